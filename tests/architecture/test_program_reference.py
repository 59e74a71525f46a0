"""Programming through the fused weight inverse equals programming through the numpy
inverse of the previous implementation (``WeightBank._newton_reference``) to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.core import PhotonicMVM
from photonic_dfa.circuits.weight_bank import WeightBank


@pytest.mark.parametrize("updates", [{}, {"core.signed_inputs": "differential"},
                                     {"errors.heater_quantization": False}])
def test_program_equals_reference_programming(updates, monkeypatch):
    cfg = ChipConfig().updated(**{"core.n_inputs": 8, "core.n_outputs": 6, **updates})
    rng = np.random.default_rng(7)
    w = rng.uniform(-1.0, 1.0, (15, 19))
    x = rng.standard_normal((5, 19))
    new = PhotonicMVM(cfg)
    info = new.program(w)
    y = new.matvec(x, rng=np.random.default_rng(1))
    monkeypatch.setattr(WeightBank, "_newton", WeightBank._newton_reference)
    ref = PhotonicMVM(cfg)
    info_ref = ref.program(w)
    y_ref = ref.matvec(x, rng=np.random.default_rng(1))
    assert info.tiles == info_ref.tiles == (3, 3) and info.scale == info_ref.scale
    assert np.max(np.abs(new.heater_powers - ref.heater_powers)) <= 1e-9 * cfg.heater.max_power
    assert np.max(np.abs(new.realised - ref.realised)) <= 1e-9
    assert np.max(np.abs(y - y_ref)) <= 1e-9 * np.max(np.abs(y_ref))
    assert abs(info.weight_rms_error - info_ref.weight_rms_error) <= 1e-9
