"""Every figure of one sweep point: ring, bank, calibrated chip, performance, MNIST."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .sweep_configs import point_config
from .sweep_grid import _check_options
from .sweep_params import _C


def _finite(x: Any) -> Any:
    """JSON-safe figure: non-finite floats become None (an empty CSV cell)."""
    if isinstance(x, bool | str | type(None)):
        return x
    if isinstance(x, int | np.integer):
        return int(x)
    v = float(x)
    return v if math.isfinite(v) else None


def _db(x: float) -> float:
    return 10.0 * math.log10(x) if x > 0 else -math.inf


def _ring_figures(cfg: Any) -> dict[str, Any]:
    from photonic_dfa.architecture.chip import build_laser, build_ring
    from photonic_dfa.devices.coupler_gap import gap_for_coupling

    ring = build_ring(cfg)
    lam = cfg.laser.center_wavelength
    fsr = float(ring.fsr(lam))
    d_lam = lam * lam * cfg.laser.channel_spacing / _C
    per_fsr = int(math.floor(fsr / d_lam * (1 + 1e-12)))
    gap, valid = gap_for_coupling(ring.r1, ring.radius)
    out = {
        "q_loaded": float(ring.q_loaded(lam)),
        "q_intrinsic": float(ring.q_intrinsic(lam)),
        "fwhm": float(ring.fwhm(lam)),
        "fsr": fsr,
        "finesse": ring.finesse(),
        "extinction_ratio_db": _db(ring.extinction_ratio()),
        "drop_loss_db": -_db(ring.drop_peak()),
        "coupling_r": ring.r1,
        "coupling_gap": float(gap) if bool(valid) else None,
        "channel_spacing_wavelength": d_lam,
        "channels_per_fsr": per_fsr,
        "fits_fsr": int(cfg.core.n_inputs <= per_fsr),
    }
    # crosstalk: ring k resonant on channel k (its branch start), isolated drop responses
    chans = build_laser(cfg).wavelengths
    if chans.size > 1:
        drops = np.stack([ring.tuned_to(float(w)).drop(chans) for w in chans])
        rel = drops / np.diag(drops)[:, None]
        np.fill_diagonal(rel, 0.0)
        out["crosstalk_db"] = _db(float(rel.max()))
    else:
        out["crosstalk_db"] = None
    # heaters: one FSR and one channel spacing of tuning, at the centre wavelength
    shift_per_watt = cfg.heater.thermal_resistance * lam * cfg.ring.dn_dT / cfg.ring.n_g
    p_fsr = fsr / shift_per_watt
    out.update({
        "heater_power_fsr": p_fsr,
        "heater_voltage_fsr": math.sqrt(p_fsr * cfg.heater.resistance),
        "heater_power_channel": d_lam / shift_per_watt,
        "fsr_reachable": int(p_fsr <= cfg.heater.max_power),
    })
    return out


def _light_figures(cfg: Any) -> dict[str, Any]:
    from photonic_dfa.architecture.light_budget import light_budget

    b = light_budget(cfg)
    heats = [h for h in (b.modulator_heating, b.bank_heating) if h is not None]
    return {"received_power": b.received_power, "snr_db": 10.0 * math.log10(b.snr),
            "max_laser_power": b.max_laser_power,
            "self_heating_shift": max(h.shift_fraction for h in heats),
            "nonlinear_bits": b.nonlinear_bits, "light_bits": b.total_bits}


def _isi_figures(cfg: Any) -> dict[str, Any]:
    from photonic_dfa.architecture.dynamics import isi_estimate

    isi = float(isi_estimate(cfg)["isi_rms"])
    return {"isi_rms": isi, "isi_bits": math.log2(1.0 / isi) if isi > 0 else math.inf}


def _design_weight_figures(cfg: Any, bank: Any, samples: int, seed: int) -> dict[str, Any]:
    """Design chip: random weights over the programmable range, the config solver's inverse,
    heater-DAC rounding; the realised weights against the targets, and exact vs fast."""
    from photonic_dfa.devices.photodetector import effective_bits

    s = bank.symmetric_weight_range
    lim = s * cfg.bank.weight_margin
    out: dict[str, Any] = {"weight_range": s}
    if lim <= 0:
        out.update({"weight_bits_design": None, "solver_weight_error": None})
        return out
    rng = np.random.default_rng([seed, 0x5EE9])
    targets = rng.uniform(-lim, lim, size=(samples, bank.n_channels))
    solver = cfg.bank.solver
    p, _ = bank.heater_powers_for_weights(targets, solver=solver, clip=True)
    if cfg.errors.heater_quantization:
        pmax = cfg.heater.max_power
        lsb = pmax / (2.0**cfg.heater.dac_bits - 1.0)
        p = np.clip(np.rint(p / lsb) * lsb, 0.0, pmax)
    w = bank.weights(p, solver)
    err = float(np.sqrt(np.mean((w - targets) ** 2)))
    other = "exact" if solver == "fast" else "fast"
    w_other = bank.weights(p, other)
    out["solver_weight_error"] = float(np.sqrt(np.mean((w_other - w) ** 2)))
    out["weight_bits_design"] = (float(effective_bits(err, 2 * lim)) if err > 0
                                 else float("inf"))
    return out


def _calibrated_figures(cfg: Any, options: Mapping[str, Any]) -> dict[str, Any]:
    """Calibrate a seeded fabricated chip of this design (``cal_banks`` banks) through its
    measurement API (:func:`photonic_dfa.calibration.pipeline.calibrate`), program random
    weights over its measured symmetric range with the calibration's lookup, and score the
    chip's true weights (evaluation only) against the targets: effective bits
    ``log2(2 w_lim / (e_rms sqrt 12))`` over the working rings."""
    from photonic_dfa.architecture.fabricated import evaluation_truth
    from photonic_dfa.calibration.calibrated_core import calibrated_core
    from photonic_dfa.calibration.metrics import weight_error_figures

    small = cfg.updated(**{"core.n_outputs": options["cal_banks"]})
    try:
        cc = calibrated_core(small, options["seed"], allow_flagged=True)
    except ValueError as exc:
        return {"source": f"design (fabricated chip not calibrated: {exc})"}
    chip, result = cc.chip, cc.result
    s = result.symmetric_weight_range
    lim = s * cfg.bank.weight_margin
    ok = result.working
    out = {"weight_range_calibrated": s, "rings_working": float(ok.mean()),
           "cal_measurements": result.total_measurements}
    if lim <= 0 or not ok.any():
        return {**out, "source": "design (calibrated chip has no symmetric weight range)"}
    rng = np.random.default_rng([options["seed"], 0xCA1])
    m, n = result.shape
    targets = rng.uniform(-lim, lim, size=(options["weight_samples"], m, n))
    powers = result.heater_powers_for(targets, allow_flagged=True)
    realised = evaluation_truth(chip).weights(powers)
    fig = weight_error_figures(realised, targets, 2.0 * lim, mask=ok)
    return {**out, "bits": fig["bits"], "source": "calibrated", "core": cc}


def _mnist_accuracy(cfg: Any, options: Mapping[str, Any], cal: Mapping[str, Any]) -> float:
    """Test accuracy after ``mnist_epochs`` of photonic DFA (784-h-h-10, ``mnist_subset``
    images) with the feedback on the calibrated fabricated chip, or on the design chip when
    calibration is skipped or unavailable."""
    from photonic_dfa.architecture.core import PhotonicMVM
    from photonic_dfa.training.datasets import load_mnist, synthetic_mnist
    from photonic_dfa.training.trainer import TrainConfig, train_mnist

    h = options["mnist_hidden"]
    if options["mnist_data"] == "synthetic":
        data = synthetic_mnist(n_train=max(options["mnist_subset"], 100), n_test=200,
                               seed=options["seed"])
    else:
        data = load_mnist(download=False)
    tc = TrainConfig(feedback="photonic", sizes=(784, h, h, 10),
                     epochs=options["mnist_epochs"],
                     train_subset=min(options["mnist_subset"], len(data.y_train)),
                     seed=options["seed"], checkpoint_seconds=0.0)
    core = cal["core"] if "core" in cal else PhotonicMVM(cfg)
    with warnings.catch_warnings():
        # ProgramInfo counts clipped targets; the accuracy shows their effect
        warnings.simplefilter("ignore", RuntimeWarning)
        summary = train_mnist(tc, data, None, progress=False, core=core, echo=None)
    return float(summary["test_acc"])


#: figures that are counts, powers, rates or times: never negative
_NON_NEGATIVE = ("fsr", "fwhm", "q_loaded", "q_intrinsic", "finesse", "heater_power_hold",
                 "mac_per_s", "energy_per_mac", "power_total", "rings_working",
                 "cal_measurements", "eval_seconds")


def check_point_result(result: Any) -> None:
    """``ValueError`` naming the field if ``result`` is not what :func:`evaluate_point`
    returns: a table of figures, each a finite number, a string, a boolean or None (a
    figure the design has no value for), counts, powers and times not negative."""
    if not isinstance(result, dict):
        raise ValueError(f"a sweep point must be a table of figures, got {type(result).__name__}")
    for key in ("notes", "eval_seconds"):
        if key not in result:
            raise ValueError(f"field {key!r} is missing")
    for key, v in result.items():
        if v is None or isinstance(v, str | bool):
            continue
        if not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"field {key!r} must be a finite number, a string or null, "
                             f"got {v!r}")
        if key in _NON_NEGATIVE and v < 0:
            raise ValueError(f"field {key!r} must not be negative, got {v!r}")


def evaluate_point(params: Mapping[str, Any]) -> dict[str, Any]:
    """Every figure of one grid point (module docstring; units in :data:`FIGURES`).

    ``params``: ``{"point": {name: value}, "base": {dotted: value}, "options": {...}}``
    (one element of :meth:`SweepGrid.tasks`). Returns a JSON-safe dict (None for a figure
    that does not exist, e.g. crosstalk of a one-channel bank).
    """
    t0 = time.perf_counter()
    options = _check_options(params.get("options", {}))
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        # model warnings (e.g. the channel band exceeding the FSR) go to the notes column
        warnings.simplefilter("always", UserWarning)
        out = _evaluate(params, options, notes)
    out["notes"] = "; ".join(dict.fromkeys(notes + [str(w.message) for w in caught]))
    out["eval_seconds"] = time.perf_counter() - t0
    return {k: _finite(v) for k, v in out.items()}


def _mac_figures(cfg: Any, options: Mapping[str, Any], notes: list[str]) -> dict[str, Any]:
    """Effective bits of simulated DFA products on the design chip, with the symbol-rate
    model (ISI) and without (:func:`~photonic_dfa.architecture.mac_error.measure_mac_error`;
    the ISI-on core keeps the static model where ISI is negligible)."""
    from photonic_dfa.architecture.mac_error import measure_mac_error

    out: dict[str, Any] = {}
    for key, isi in (("mac_bits", True), ("mac_bits_static", False)):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                res = measure_mac_error(cfg.updated(**{"errors.isi": isi}),
                                        samples=options["mac_samples"], width=800,
                                        seed=options["seed"], batch=256)
            out[key] = res.enob
        except ValueError as exc:
            notes.append(f"no MAC error ({exc})")
            out[key] = None
    return out


def _evaluate(params: Mapping[str, Any], options: Mapping[str, Any], notes: list[str]
              ) -> dict[str, Any]:
    from photonic_dfa.architecture.chip import build_bank

    cfg = point_config(params["point"], params.get("base", {}))
    out = _ring_figures(cfg)
    out.update(_isi_figures(cfg))
    try:
        bank = build_bank(cfg)
    except ValueError as exc:
        notes.append(f"no design weight bank ({exc})")
        for key in ("received_power", "snr_db", "max_laser_power", "self_heating_shift",
                    "nonlinear_bits", "light_bits",
                    "weight_range", "weight_bits_design", "solver_weight_error",
                    "weight_bits", "weight_bits_source", "weight_range_calibrated",
                    "rings_working", "cal_measurements", "heater_power_hold", "mac_per_s",
                    "energy_per_mac", "power_total", "analog_bits"):
            out[key] = None
        if options["mnist_epochs"]:
            out["mnist_test_acc"] = out["mnist_chip"] = None
        if options["mac_samples"]:
            out["mac_bits"] = out["mac_bits_static"] = None
        return out
    out.update(_design_weight_figures(cfg, bank, options["weight_samples"], options["seed"]))
    out.update(_light_figures(cfg))
    cal = (_calibrated_figures(cfg, options) if options["calibrate"]
           else {"source": "design (calibration skipped)"})
    out["weight_bits"] = cal.get("bits", out["weight_bits_design"])
    out["weight_bits_source"] = cal["source"]
    for key in ("weight_range_calibrated", "rings_working", "cal_measurements"):
        out[key] = cal.get(key)
    if options["performance"]:
        out.update(_performance_figures(cfg, out["weight_range"], notes))
    if options["mac_samples"]:
        out.update(_mac_figures(cfg, options, notes))
    if options["mnist_epochs"]:
        chip = "calibrated" if "core" in cal else "design"
        usable = cal.get("weight_range_calibrated") if "core" in cal else out["weight_range"]
        if usable:
            out["mnist_test_acc"] = _mnist_accuracy(cfg, options, cal)
            out["mnist_chip"] = chip
        else:
            notes.append(f"MNIST not run: the {chip} chip has no symmetric weight range")
            out["mnist_test_acc"] = out["mnist_chip"] = None
    return out


def _performance_figures(cfg: Any, weight_range: float | None, notes: list[str]
                         ) -> dict[str, Any]:
    from photonic_dfa.architecture.performance import performance

    keys = ("heater_power_hold", "mac_per_s", "energy_per_mac", "power_total", "analog_bits")
    if not weight_range:
        # the hold-power estimate draws weights over the symmetric range; there is none
        notes.append("no symmetric weight range: performance figures not computed")
        return dict.fromkeys(keys)
    perf = performance(cfg)
    hold = perf.power["heaters (hold weights)"] / (perf.n_inputs * perf.n_outputs)
    return dict(zip(keys, (hold, perf.mac_per_s, perf.energy_per_mac, perf.total_power,
                           perf.analog_bits)))


