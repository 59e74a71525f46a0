"""photonic-dfa: silicon-photonic Direct Feedback Alignment, from microring to MNIST.

``import photonic_dfa as pdfa`` gives the whole public API in one place: every name of the
layers' ``__all__`` (devices, circuits, architecture, calibration, training) and of the
studies, plus :func:`sax_models`. A layer is imported the first time one of its names is
used, so the package and its command line start fast::

    import photonic_dfa as pdfa

    cfg = pdfa.ChipConfig()                        # the documented default chip
    core = pdfa.calibrated_core(cfg, fab_seed=0)   # fabricate, calibrate, program through it
    core.program(W)                                # W (n_out, n_in), any size: tiled in time
    y = core.matvec(X)                             # X W^T on the simulated chip

Layers, each importing only those below it:
``studies/CLI -> training -> calibration -> architecture -> circuits -> devices -> base``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .base.version import __version__ as __version__

if TYPE_CHECKING:
    from .architecture import *  # noqa: F403
    from .calibration import *  # noqa: F403
    from .circuits import *  # noqa: F403
    from .devices import *  # noqa: F403
    from .devices.sax_models import sax_models as sax_models
    from .studies import *  # noqa: F403
    from .training import *  # noqa: F403

#: subpackages whose ``__all__`` make up the face, searched in this order
_LAYERS = ("devices", "circuits", "architecture", "calibration", "training", "studies")
#: names the face takes from a module outside the layers' ``__all__``
_EXTRA = {"sax_models": ".devices.sax_models"}


def _public_names() -> list[str]:
    names = {"__version__", *_EXTRA}
    for layer in _LAYERS:
        names.update(importlib.import_module(f".{layer}", __name__).__all__)
    return sorted(names)


def __getattr__(name: str) -> object:
    if name == "__all__":
        return _public_names()
    if name in _EXTRA:
        return getattr(importlib.import_module(_EXTRA[name], __name__), name)
    if not name.startswith("_"):
        for layer in _LAYERS:
            module = importlib.import_module(f".{layer}", __name__)
            if name in module.__all__:
                return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(_public_names()) | set(_LAYERS) | {"base", "cli", "commands"})
