"""Performance model arithmetic and the MAC-error measurement."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.architecture.chip import build_bank
from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.digital import AUTHORS_ERROR
from photonic_dfa.architecture.mac_error import (
    dfa_errors,
    measure_mac_error,
    plot_mac_error,
)
from photonic_dfa.architecture.performance import format_report, heater_powers, performance

SMALL = {"core.n_inputs": 4, "core.n_outputs": 4}


def test_mac_rate_and_energy_terms():
    cfg = ChipConfig().updated(**SMALL)
    hold = (1e-4, 2e-3)
    r = performance(cfg, hold_trim=hold)
    n, m, f = 4, 4, cfg.core.symbol_rate
    assert r.mac_per_s == n * m * f
    assert r.power["heaters (fabrication bias)"] == pytest.approx(n * m * hold[1])
    assert r.power["ADCs"] == pytest.approx(m * cfg.adc.walden_fom * 2**cfg.adc.bits * f)
    assert r.energy_per_mac == pytest.approx(sum(r.power.values()) / r.mac_per_s)
    assert sum(r.shares().values()) == pytest.approx(1.0)
    d = performance(cfg.updated(**{"core.signed_inputs": "differential"}), hold_trim=hold)
    assert d.mac_per_s == r.mac_per_s / 2 and d.energy_per_mac == pytest.approx(
        2 * r.energy_per_mac)
    assert "claim" in format_report(r)


def test_dfa_errors_are_softmax_minus_onehot():
    e = dfa_errors(50, np.random.default_rng(0))
    assert np.allclose(e.sum(axis=1), 0.0)
    assert np.all((e < 0).sum(axis=1) == 1)


def test_mac_error_ideal_and_default(tmp_path):
    ideal = measure_mac_error(ChipConfig.ideal().updated(**SMALL), samples=64, width=12)
    assert ideal.std < 1e-12 and ideal.enob > 30
    real = measure_mac_error(ChipConfig().updated(**SMALL), samples=64, width=12)
    assert 1e-3 < real.std < AUTHORS_ERROR.std and real.enob > real.authors_enob
    assert real.summary()["std_relative_to_full_scale"] == pytest.approx(
        real.std / real.full_scale)
    png = plot_mac_error(real, tmp_path / "m.png")
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_mac_error_slope_and_output_bias_of_a_known_distortion():
    # a core that returns 0.5 B e + 0.1 max|e| on output 0 only: slope and bias recovered
    from photonic_dfa.architecture.core import ProgramInfo
    from photonic_dfa.architecture.digital import DigitalCore

    class Exact(DigitalCore):
        adc_clipped = 0

        def program(self, weights):
            super().program(weights)
            return ProgramInfo(np.shape(weights), (1, 1), 1.0, 0, 0.0, 0.0)

        def matvec(self, x, gate=None, rng=None):
            return super().matvec(x, gate)

    class Distorted(Exact):
        def matvec(self, x, gate=None, rng=None):
            y = 0.5 * super().matvec(x, gate)
            y[:, 0] += 0.1 * np.abs(x).max(axis=1)
            return y

    res = measure_mac_error(ChipConfig(), samples=256, width=25, core=Distorted())
    # the bias adds a little to the slope through its correlation with B e
    assert res.signal_slope == pytest.approx(0.5, abs=0.02)
    exact = Exact()
    ok = measure_mac_error(ChipConfig(), samples=256, width=25, core=exact)
    assert ok.signal_slope == pytest.approx(1.0, abs=1e-12) and ok.output_bias_rms < 1e-12
    # one output of 25 off by 0.1, the others by the (zero-mean) half signal
    assert res.output_bias_rms > 0.1 / np.sqrt(25) * 0.9


def test_performance_rejects_bank_without_symmetric_range():
    # low-Q rings on a 4-channel grid: every realisable weight is positive
    cfg = ChipConfig().updated(**{"core.n_inputs": 4, "ring.radius": 5e-6,
                                  "ring.q_loaded": 4369.2})
    assert build_bank(cfg).symmetric_weight_range == 0.0
    with pytest.raises(ValueError, match="no symmetric weight range"):
        performance(cfg)
    with pytest.raises(ValueError, match="ring.q_loaded"):
        heater_powers(cfg)


def test_integrating_receiver_divides_adc_energy_by_column_passes():
    hold = (1e-4, 2e-3)
    cfg = ChipConfig().updated(**SMALL, **{"perf.column_passes": 16})
    one = performance(cfg.updated(**{"perf.column_passes": 1}), hold_trim=hold)
    integ = performance(cfg, hold_trim=hold)
    digit = performance(cfg.updated(**{"core.accumulation": "digitize"}), hold_trim=hold)
    assert integ.power["ADCs"] == pytest.approx(one.power["ADCs"] / 16)
    assert digit.power == one.power
    assert {k: v for k, v in integ.power.items() if k != "ADCs"} == {
        k: v for k, v in digit.power.items() if k != "ADCs"}


def test_mac_error_scales_errors_as_the_chip_scales_inputs():
    # with one scale per batch the error is in units of the batch's max|e| (as the
    # authors' model); per-sample scaling in units of each sample's
    cfg = ChipConfig.ideal().updated(**SMALL, **{"errors.dac_quantization": True})
    for scaling in ("batch", "sample"):
        res = measure_mac_error(cfg.updated(**{"core.input_scaling": scaling}), samples=64,
                                width=12, batch=16)
        assert res.scaling == scaling and res.batch == 16
        assert res.summary()["input_scaling"] == scaling
        assert 0.0 < res.std < 0.1


def test_mac_rate_counts_channels_carrying_data_and_per_sample_scaling_is_charged():
    hold = (1e-4, 2e-3)
    cfg = ChipConfig().updated(**{"core.n_inputs": 16, "core.n_outputs": 4})
    r = performance(cfg, hold_trim=hold)  # the MNIST feedback: 10 of 16 channels
    assert r.used_inputs == 10 and r.mac_per_s == 10 * 4 * cfg.core.symbol_rate
    full = performance(cfg.updated(**{"perf.workload_inputs": 0}), hold_trim=hold)
    assert full.mac_per_s == 16 * 4 * cfg.core.symbol_rate
    b = performance(cfg.updated(**{"core.input_scaling": "batch"}), hold_trim=hold)
    assert b.power["per-sample scaling"] == 0.0  # batch scaling: one DAC reference
    s = performance(cfg, hold_trim=hold)  # the default: each sample's own scale
    p = cfg.perf
    assert s.power["per-sample scaling"] == pytest.approx(
        cfg.core.symbol_rate * (15 * p.compare_energy + 16 * p.multiply_energy))


def test_heater_power_is_the_fabricated_chips():
    from photonic_dfa.architecture.fabricated import FabricationSpec

    cfg = ChipConfig().updated(**SMALL)
    hold, bias = heater_powers(cfg)
    # no spread, no bias to hold
    hold0, bias0 = heater_powers(cfg, spec=FabricationSpec(
        resonance_spread=0.0, common_offset_spread=0.0, tuning_bias=0.0))
    assert abs(bias0) < 1e-3 * hold0 and hold0 == pytest.approx(hold, rel=1e-6)
    # the default bias is four standard deviations of the spread: about 4 sqrt(2) half
    # spacings of red shift, in heater power (crosstalk shares part of it)
    assert bias > 0.5 * hold
