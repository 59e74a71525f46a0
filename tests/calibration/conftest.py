"""Small fabricated chips (4 banks x 4 channels) shared by the calibration tests.

Each procedure's accuracy against the truth is tested on chips simulated with the ``fast``
(incoherent) bank solver, the model its fits assume, so a test isolates the procedure;
``test_coherent_chip.py`` runs the whole pipeline on the default coherent (``exact``) chip,
where neighbouring rings' interference pulls the isolated fits and only the closed loop
reaches the driver's floor.

Helpers are fixtures (tests are imported with ``--import-mode=importlib``, so a conftest
cannot be imported as a module).
"""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.fabricated import FabricatedChip, FabricationSpec, evaluation_truth


def _config(n_inputs: int = 4, n_outputs: int = 4) -> ChipConfig:
    return ChipConfig().updated(**{"core.n_inputs": n_inputs, "core.n_outputs": n_outputs})


def _make_chip(seed: int = 2, noise: bool = False, **spec: object) -> FabricatedChip:
    spec.setdefault("solver", "fast")
    return FabricatedChip.from_config(_config(), seed=seed,
                                      spec=FabricationSpec(detector_noise=noise, **spec))


@pytest.fixture
def small_config():
    return _config


@pytest.fixture
def make_chip():
    """``make_chip(seed=2, noise=False, **FabricationSpec fields)``: a 4 x 4 chip
    (``solver="fast"`` unless given)."""
    return _make_chip


@pytest.fixture
def true_c():
    """``true_c(chip)``: the true ``C = K_ij / K_ii`` (evaluation only)."""
    def c(chip: FabricatedChip) -> np.ndarray:
        k = evaluation_truth(chip).thermal_matrices
        return k / np.diagonal(k, axis1=1, axis2=2)[:, :, None]
    return c


@pytest.fixture(scope="module")
def quiet_chip_result():
    """A noise-free 4 x 4 chip and its calibration."""
    from photonic_dfa.calibration.pipeline import calibrate

    chip = _make_chip(seed=2)
    return chip, calibrate(chip)
