"""Symbol-rate model: ring time response, ISI estimate, fast path and the core's time path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.core import PhotonicMVM
from photonic_dfa.architecture.dynamics import (
    SymbolTiming,
    cascade_isi,
    isi_estimate,
    single_pole_isi,
)
from photonic_dfa.devices.microring import SPEED_OF_LIGHT, AddDropRing

RING = AddDropRing.from_targets(1.55e-6, 2e4)


def test_photon_lifetime_is_two_q_over_omega_and_the_linewidth() -> None:
    tau = RING.photon_lifetime()
    omega0 = 2 * math.pi * SPEED_OF_LIGHT / 1.55e-6
    assert tau == pytest.approx(2 * RING.q_loaded() / omega0, rel=1e-12)
    # the drop's half width in angular frequency is 1 / tau
    assert tau == pytest.approx(1.55e-6**2 / (math.pi * SPEED_OF_LIGHT * RING.fwhm()),
                                rel=1e-12)


def test_static_limit_is_the_lorentzian() -> None:
    x = 0.7
    tau = RING.photon_lifetime()
    d, t = RING.symbol_response(np.ones(3), 1e-9, detuning=x / tau)
    assert np.abs(d) ** 2 == pytest.approx(RING.drop_peak() / (1 + x * x), rel=1e-12)
    assert abs(t[0]) ** 2 == pytest.approx(abs(1 - (1 - RING.through_resonance_field())
                                               / (1 - 1j * x)) ** 2, rel=1e-12)


def test_no_isi_for_a_ring_much_faster_than_the_symbol_rate() -> None:
    u = np.sqrt(np.random.default_rng(1).uniform(0.0, 1.0, 200))
    period = 200 * RING.photon_lifetime()
    d, _ = RING.symbol_response(u, period)
    assert np.max(np.abs(np.abs(d) ** 2 / RING.drop_peak() - u**2)) < 1e-15
    assert single_pole_isi(200.0) < 1e-40


@pytest.mark.parametrize("period_over_tau", [0.5, 1.0, 3.0])
def test_ring_isi_matches_the_single_pole_estimate(period_over_tau: float) -> None:
    """Small intensity modulation on resonance: the drop power's ISI is the single pole's
    (a resonant ring's intensity response is its field pole 1 / (1 + s tau))."""
    rng = np.random.default_rng(2)
    p = 1.0 + 0.05 * rng.uniform(-1.0, 1.0, 20000)
    d, _ = RING.symbol_response(np.sqrt(p), period_over_tau * RING.photon_lifetime())
    err = np.abs(d) ** 2 / RING.drop_peak() - p
    rms = np.sqrt(np.mean(err[100:] ** 2)) / np.std(p)
    assert rms == pytest.approx(single_pole_isi(period_over_tau), rel=0.10)


def test_cascade_of_one_pole_is_the_closed_form() -> None:
    for r in (0.3, 1.0, 4.0):
        assert cascade_isi(1.0, (1.0 / r,)) == pytest.approx(single_pole_isi(r), rel=1e-9)
    assert cascade_isi(1.0, ()) == 0.0
    # more poles, more ISI
    assert cascade_isi(1.0, (0.3, 0.2)) > cascade_isi(1.0, (0.3,))


def _cfg(rate: float, **more: object) -> ChipConfig:
    return ChipConfig.ideal().updated(**{"errors.weight_bank": True, "core.symbol_rate": rate,
                                         "errors.isi": True, **more})


def _products(cfg: ChipConfig, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    core = PhotonicMVM(cfg)
    core.program(w)
    return core.matvec(x)


def test_fast_path_below_threshold_and_agreement_with_the_time_path() -> None:
    cfg = _cfg(1e9)
    timing = SymbolTiming.from_config(cfg)
    assert timing.isi_rms < timing.threshold
    assert PhotonicMVM(cfg).timing is None  # static model kept
    forced = cfg.updated(**{"core.isi_tolerance": 0.0})
    assert PhotonicMVM(forced).timing is not None
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 1, (40, 20))
    x = rng.uniform(-1, 1, (32, 20))
    y_static = _products(cfg, x, w)
    y_time = _products(forced, x, w)
    full = np.abs(w).sum(axis=1).max()
    # the two agree to well under the threshold, in units of the output full scale
    assert np.max(np.abs(y_time - y_static)) / full < timing.threshold


def test_isi_grows_with_q_times_symbol_rate_and_couples_consecutive_samples() -> None:
    rng = np.random.default_rng(3)
    w = rng.uniform(-1, 1, (16, 16))
    x = rng.uniform(-1, 1, (64, 16))
    ref = x @ w.T
    errs = []
    for rate in (2e9, 5e9, 10e9):
        y = _products(_cfg(rate), x, w)
        errs.append(np.sqrt(np.mean((y - ref) ** 2)))
    assert errs[0] < errs[1] < errs[2]
    # the time path: sample 1 depends on sample 0 (it follows it on the tile); static: not
    x2 = x.copy()
    x2[0] = -x2[0]
    for cfg, coupled in ((_cfg(10e9), True), (_cfg(10e9, **{"errors.isi": False}), False)):
        y1, y2 = _products(cfg, x, w), _products(cfg, x2, w)
        assert (np.max(np.abs(y1[1] - y2[1])) > 1e-3) == coupled
        assert np.array_equal(y1[2:], y2[2:]) or coupled


def test_isi_estimate_of_the_default_chip() -> None:
    est = isi_estimate(ChipConfig())
    assert est["q_times_symbol_rate"] == pytest.approx(2e4 * 10e9)
    assert not est["negligible"]
    assert est["isi_rms"] > est["isi_ring_only"] > 0.1
