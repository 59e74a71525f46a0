"""photonic-dfa: silicon-photonic Direct Feedback Alignment, from microring to MNIST.

Subpackages (an import points only down this list):
``training -> calibration -> architecture -> circuits -> devices``.
"""

__version__ = "0.1.0"
