"""photonic-dfa: silicon-photonic Direct Feedback Alignment, from microring to MNIST.

Subpackages (an import points only down this list):
``training -> calibration -> architecture -> circuits -> devices``.
"""

from .base.version import __version__

__all__ = ["__version__"]
