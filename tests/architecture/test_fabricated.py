"""FabricatedChip: readings agree with the hidden banks and the core, noise, drift, API."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.constants import Boltzmann, elementary_charge

from photonic_dfa.architecture.chip import link_transmission
from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.fabricated import (
    FabricatedChip,
    FabricationSpec,
    evaluation_truth,
    load_chip_toml,
)

CFG = ChipConfig().updated(**{"core.n_inputs": 4, "core.n_outputs": 3})


def chip(seed=1, **spec):
    return FabricatedChip.from_config(CFG, seed=seed, spec=FabricationSpec(**spec))


def test_readings_are_the_true_effective_weights_without_noise():
    c = chip(detector_noise=False)
    truth = evaluation_truth(c)
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.02, (6, 3, 4))
    w = truth.weights(p)  # (6, 3, 4)
    x = rng.uniform(0, 1, (6, 4))
    np.testing.assert_allclose(c.measure(x, p), np.einsum("bmk,bk->bm", w, x), atol=1e-12)
    for k in range(4):
        e = np.eye(4)[k]
        np.testing.assert_allclose(c.measure(e, p[0]), w[0, :, k], atol=1e-12)
    assert c.measurement_count == 6 + 4
    # the stateful API is the same instrument
    c.apply_heater_powers(p[1])
    c.set_inputs(x[1])
    np.testing.assert_allclose(c.read(), c.measure(x[1], p[1]), atol=0)


def test_core_on_the_fabricated_banks_computes_the_true_weights():
    cfg = CFG.updated(**{"errors.shot": False, "errors.thermal": False, "errors.rin": False,
                         "errors.adc_quantization": False, "errors.dac_quantization": False,
                         "errors.modulator_extinction": False})
    c = FabricatedChip.from_config(cfg, seed=3)
    truth = evaluation_truth(c)
    core = truth.core(weight_limit=0.5)
    p = np.random.default_rng(1).uniform(0, 0.02, (3, 4))
    w = np.random.default_rng(2).uniform(-1, 1, (3, 4))
    info = core.program(w, heater_powers=p)
    x = np.random.default_rng(3).uniform(-1, 1, (20, 4))
    y = core.matvec(x)
    np.testing.assert_allclose(y, x @ (truth.weights(p) * info.scale).T, atol=1e-12)


def test_noise_matches_the_detector_model():
    c = chip(seed=2, readout_averages=4)
    x = np.zeros(4)
    x[1] = 1.0
    p = np.full((3, 4), 0.01)
    y = c.measure(np.tile(x, (4000, 1)), p)
    cfg = c.config
    truth = evaluation_truth(c)
    th, dr = truth.banks[0].channel_transmissions(p[0])
    p_bank = cfg.laser.power_per_channel * link_transmission(cfg) * truth.line_gain[1]
    r = cfg.detector.responsivity
    i_sum = r * p_bank * (th[1] + dr[1])
    var = (2 * elementary_charge * (i_sum + 2 * cfg.detector.dark_current)
           + 4 * Boltzmann * cfg.detector.temperature / cfg.detector.load_resistance
           + (r * p_bank * (dr[1] - th[1])) ** 2 * 10 ** (cfg.laser.rin_db_per_hz / 10)) \
        * cfg.detector.bandwidth / 4
    want = np.sqrt(var) / (r * cfg.laser.power_per_channel * link_transmission(cfg))
    # mismatch changes the shot/RIN terms by ~1 %: compare to 5 %
    assert np.std(y[:, 0]) == pytest.approx(want, rel=0.05)
    assert c.sample_count == 4000 * 4


def test_same_seed_same_chip_other_seed_other_chip():
    p = np.full((3, 4), 0.008)
    e = np.eye(4)
    a, b, other = chip(5), chip(5), chip(6)
    np.testing.assert_array_equal(a.measure(e, p), b.measure(e, p))
    assert not np.allclose(a.measure(e, p), other.measure(e, p))


def test_drift_moves_the_readings_and_the_clock():
    c = chip(seed=4, detector_noise=False, drift_rate=0.01)
    p = np.full((3, 4), 8e-3)
    before = c.measure(np.eye(4), p)
    c.advance(100.0)
    assert c.time == 100.0
    after = c.measure(np.eye(4), p)
    assert not np.allclose(before, after)
    amb = evaluation_truth(c).ambient
    assert np.all(amb != 0.0) and np.ptp(amb) < 0.5 * np.max(np.abs(amb)) + 1e-12
    # time per reading
    d = chip(seed=4, measurement_time=1e-3)
    d.measure(np.tile(np.eye(4)[0], (10, 1)), p)
    assert d.time == pytest.approx(10e-3)


def test_faults_are_placed_as_asked():
    c = chip(seed=7, dead_heaters=2, unreachable_rings=1)
    t = evaluation_truth(c)
    assert t.dead_heaters.sum() == 2 and t.unreachable_rings.sum() == 1
    assert not np.any(t.dead_heaters & t.unreachable_rings)
    j, k = np.argwhere(t.dead_heaters)[0]
    p = np.zeros((3, 4))
    e = np.eye(4)[k]
    cold = c.measure(e, p)
    p[j, k] = c.design.max_heater_power
    assert c.measure(e, p)[j] == pytest.approx(cold[j], abs=1e-3)
    with pytest.raises(ValueError, match="exceeds"):
        chip(dead_heaters=10, unreachable_rings=3)


def test_bad_input_is_named():
    c = chip()
    with pytest.raises(ValueError, match="heater_powers"):
        c.measure(np.eye(4)[0], np.full((3, 4), 1.0))
    with pytest.raises(ValueError, match="heater_powers must have shape"):
        c.apply_heater_powers(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="inputs"):
        c.measure(np.full(4, 2.0), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="do not broadcast"):
        c.measure(np.zeros((2, 4)), np.zeros((3, 3, 4)))
    with pytest.raises(ValueError, match="seconds"):
        c.advance(-1.0)
    with pytest.raises(ValueError, match="coupling_spread"):
        FabricationSpec(coupling_spread=2.0)
    with pytest.raises(ValueError, match="seed"):
        FabricatedChip.from_config(CFG, seed=-1)
    with pytest.raises(ValueError, match="weight_bank"):
        FabricatedChip.from_config(ChipConfig.ideal(), seed=0)


def test_chip_toml_with_fabrication_table(tmp_path):
    text = CFG.to_toml() + "\n[fabrication]\ndead_heaters = 1\ndrift_rate = 0.0\n"
    path = tmp_path / "chip.toml"
    path.write_text(text)
    cfg, spec = load_chip_toml(path)
    assert cfg == CFG and spec.dead_heaters == 1 and spec.drift_rate == 0.0
    path.write_text(text + "bogus = 3\n")
    with pytest.raises(ValueError, match="fabrication.bogus"):
        load_chip_toml(path)
    with pytest.raises(FileNotFoundError):
        load_chip_toml(tmp_path / "none.toml")
