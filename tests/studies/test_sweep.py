"""Device sweeps: grid parsing and up-front validation, per-point physics, CSV, local pool,
Dask cluster, and resumption of a killed sweep without recomputation."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.architecture.chip import build_ring
from photonic_dfa.cli import main
from photonic_dfa.devices.coupler_gap import power_coupling_from_gap
from photonic_dfa.studies.sweep import (
    PARAMETERS,
    SweepGrid,
    evaluate_point,
    load_grid,
    parse_axis,
    point_config,
    read_csv,
    run_sweep,
    write_csv,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sweep_default.toml"
_C = 299_792_458.0
# The cheapest evaluation: no calibration, no performance model, small banks.
CHEAP = {"calibrate": False, "performance": False, "weight_samples": 4}
SMALL = {"core.n_inputs": 3, "core.n_outputs": 2}


def _cheap_grid(n_radius: int = 5, n_r: int = 5, n_spacing: int = 2) -> SweepGrid:
    return SweepGrid((("radius", tuple(np.linspace(6e-6, 12e-6, n_radius))),
                      ("r", tuple(np.linspace(0.985, 0.995, n_r))),
                      ("channel_spacing", tuple(np.linspace(100e9, 150e9, n_spacing)))),
                     base=SMALL, options=CHEAP)


class _CountingExecutor(ThreadPoolExecutor):
    """Counts submissions: a grid that fails validation must submit nothing."""

    def __init__(self) -> None:
        super().__init__(1)
        self.submitted = 0

    def submit(self, *args, **kwargs):  # noqa: ANN002, ANN003
        self.submitted += 1
        return super().submit(*args, **kwargs)


# ------------------------------------------------------------------------- grid parsing
def test_parse_axis_ranges_and_lists():
    name, vals = parse_axis("radius=5e-6:20e-6:4")
    assert name == "radius" and np.allclose(vals, [5e-6, 10e-6, 15e-6, 20e-6])
    assert parse_axis("r=0.95,0.97,0.99") == ("r", (0.95, 0.97, 0.99))
    _, logv = parse_axis("thermal_resistance=1e3:1e5:3:log")
    assert np.allclose(logv, [1e3, 1e4, 1e5])
    assert parse_axis("n_channels=2:8:4")[1] == (2, 4, 6, 8)
    assert parse_axis("core.n_outputs=16") == ("core.n_outputs", (16,))


@pytest.mark.parametrize("text, match", [
    ("radius=", "'radius' has an empty range"),
    ("radius=5e-6:20e-6:0", "'radius' has an empty range"),
    ("radius=5e-6:x:3", "'radius': cannot read 'x'"),
    ("radius=1:2:3:cubic", "'radius': cannot parse"),
    ("r=0.9,,0.95", "'r': cannot parse"),
    ("radius 5e-6", "NAME="),
])
def test_parse_axis_rejects_malformed(text, match):
    with pytest.raises(ValueError, match=match):
        parse_axis(text)


@pytest.mark.parametrize("axes, match", [
    ((("radius", ()),), "'radius' has an empty range"),
    ((("ring_radius", (5e-6,)),), "unknown sweep parameter 'ring_radius'"),
    ((("radius", (-5e-6, 5e-6)),), "radius"),
    ((("r", (0.9, 1.2)),), "r must be"),
    ((("r", (0.0,)),), "r must be"),
    ((("gap", (10e-9,)),), "gap must be"),
    ((("loss_db_per_cm", (-1.0,)),), "loss_db_per_cm"),
    ((("channel_spacing", (0.0,)),), "channel_spacing"),
    ((("n_channels", (0,)),), "n_channels"),
    ((("n_channels", (2.5,)),), "n_channels"),
    ((("thermal_resistance", (0.0,)),), "thermal_resistance"),
    ((("heater_resistance", (float("nan"),)),), "heater_resistance"),
    ((("radius", (5e-6, 5e-6)),), "'radius' repeats"),
    ((("r", (0.97,)), ("gap", (100e-9,))), "r, gap set the same thing"),
    ((("radius", (5e-6,)), ("ring.radius", (6e-6,))), "set the same thing"),
    ((), "no sweep parameters"),
])
def test_invalid_axes_name_the_parameter(axes, match):
    with pytest.raises(ValueError, match=match):
        SweepGrid(axes)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(PARAMETERS)),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 0)))
def test_any_bad_value_is_a_named_error_or_accepted(name, value):
    """Fuzz: a value is either accepted (inside the documented range) or rejected naming the
    parameter; never another exception."""
    spec = PARAMETERS[name]
    try:
        SweepGrid(((name, (value,)),))
    except ValueError as exc:
        assert name in str(exc)
    else:
        assert math.isfinite(value) and spec.low <= value <= spec.high


@pytest.mark.parametrize("point, match", [
    ({"r": 1 - 1e-9, "loss_db_per_cm": 0.0}, "r=.* gives loaded Q"),  # beyond modelled Q
    ({"gap": 100e-9, "radius": 30e-6}, "gap is only modelled for radius"),
    ({"tuning_efficiency": 1e-3}, "tuning_efficiency"),
    ({"q_loaded": 5e6, "loss_db_per_cm": 3.0}, "q_loaded"),  # above the intrinsic Q
    ({"core.n_outputs": 0}, "core.n_outputs"),
    ({"ring.bogus": 1.0}, "ring.bogus"),
])
def test_non_physical_points_fail_before_any_work(tmp_path, point, match):
    grid = SweepGrid(tuple((k, (v,)) for k, v in point.items()) + (("n_channels", (2, 3)),),
                     options=CHEAP)
    ex = _CountingExecutor()
    with ex, pytest.raises(ValueError, match=match):
        run_sweep(grid, tmp_path / "out", executor=ex, progress=False)
    assert ex.submitted == 0
    assert not (tmp_path / "out").exists()


def test_bad_options_and_base_are_named():
    with pytest.raises(ValueError, match="unknown sweep option 'calibration'"):
        SweepGrid((("r", (0.99,)),), options={"calibration": False})
    with pytest.raises(ValueError, match="calibrate must be true or false"):
        SweepGrid((("r", (0.99,)),), options={"calibrate": "no"})
    with pytest.raises(ValueError, match="r, ring.q_loaded set the same thing"):
        SweepGrid((("r", (0.99,)),), base={"ring": {"q_loaded": 1e4}})


def test_grid_file_and_example(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('[grid]\nradius = {start = 6e-6, stop = 12e-6, num = 3}\n'
                    'r = [0.98, 0.99]\n[chip.core]\nn_inputs = 4\n[options]\ncalibrate = false\n')
    g = load_grid(path)
    assert g.shape == (3, 2) and len(g.points()) == 6
    assert g.base == {"core.n_inputs": 4} and g.options["calibrate"] is False
    assert g.points()[1] == {"radius": 6e-6, "r": 0.99}
    path.write_text('[grid]\nr = [0.98]\n[extra]\nx = 1\n')
    with pytest.raises(ValueError, match="unknown table"):
        load_grid(path)
    path.write_text('[grid]\nradius = {start = 6e-6, stop = 12e-6}\n')
    with pytest.raises(ValueError, match="'radius': a range table needs"):
        load_grid(path)
    ex = load_grid(EXAMPLE)
    assert len(ex) >= 50
    assert all(msg is None or "bias" in msg or "branch" in msg for msg in ex.validate())


# ----------------------------------------------------------------------------- physics
def test_derived_parameters_reach_the_chip():
    cfg = point_config({"r": 0.97, "radius": 8e-6})
    ring = build_ring(cfg)
    assert ring.r1 == pytest.approx(0.97, abs=1e-12) and ring.r2 == ring.r1
    cfg = point_config({"gap": 120e-9, "radius": 10e-6})
    kappa2 = float(power_coupling_from_gap(120e-9, 10e-6))
    assert build_ring(cfg).r1 == pytest.approx(math.sqrt(1 - kappa2), abs=1e-12)
    cfg = point_config({"tuning_efficiency": 0.2e-6})  # 0.2 nm/mW
    lam, rc = cfg.laser.center_wavelength, cfg.ring
    assert cfg.heater.thermal_resistance * lam * rc.dn_dT / rc.n_g == pytest.approx(0.2e-6)
    # a larger ring gets a wider pitch, keeping the edge clearance
    assert point_config({"radius": 20e-6}).crosstalk.ring_pitch > 40e-6


def test_symbol_rate_laser_power_and_their_figures():
    from photonic_dfa.architecture.dynamics import isi_estimate
    from photonic_dfa.architecture.light_budget import light_budget

    point = {"q_loaded": 3e4, "symbol_rate": 8e9, "laser_power": 2e-3}
    cfg = point_config(point)
    assert cfg.core.symbol_rate == 8e9 and cfg.laser.power_per_channel == 2e-3
    assert cfg.detector.bandwidth == 4e9 and cfg.tia.bandwidth == pytest.approx(5.6e9)
    fig = evaluate_point({"point": point, "base": {"core.n_inputs": 8},
                          "options": {**CHEAP, "mac_samples": 16}})
    cfg = point_config(point, {"core.n_inputs": 8})
    assert fig["isi_rms"] == pytest.approx(isi_estimate(cfg)["isi_rms"])
    assert fig["isi_bits"] == pytest.approx(math.log2(1 / fig["isi_rms"]))
    assert fig["mac_bits"] < fig["mac_bits_static"]  # ISI at Q 3e4 x 8 GBd costs bits
    b = light_budget(cfg)
    assert fig["received_power"] == pytest.approx(b.received_power)
    assert fig["max_laser_power"] == pytest.approx(b.max_laser_power)
    assert fig["light_bits"] == pytest.approx(b.total_bits)


def test_point_figures_are_consistent():
    base = {"core.n_inputs": 4, "core.n_outputs": 4}
    opts = {"calibrate": False, "weight_samples": 8}
    point = {"radius": 8e-6, "r": 0.99, "channel_spacing": 100e9}
    fig = evaluate_point({"point": point, "base": base, "options": opts})
    cfg = point_config(point, base)
    ring = build_ring(cfg)
    lam = cfg.laser.center_wavelength
    assert fig["fsr"] == pytest.approx(lam**2 / (ring.n_g * ring.length))
    assert fig["q_loaded"] == pytest.approx(lam / fig["fwhm"])
    d_lam = lam**2 * 100e9 / _C
    assert fig["channel_spacing_wavelength"] == pytest.approx(d_lam)
    assert fig["channels_per_fsr"] == math.floor(fig["fsr"] / d_lam)
    assert fig["fits_fsr"] == 1
    # one FSR of heater power shifts the resonance by one FSR
    shift = cfg.heater.thermal_resistance * lam * cfg.ring.dn_dT / cfg.ring.n_g
    assert fig["heater_power_fsr"] * shift == pytest.approx(fig["fsr"])
    assert fig["heater_voltage_fsr"] == pytest.approx(
        math.sqrt(fig["heater_power_fsr"] * cfg.heater.resistance))
    assert fig["mac_per_s"] == pytest.approx(4 * 4 * cfg.core.symbol_rate)
    assert 0 < fig["weight_range"] <= 1 and fig["weight_bits"] == fig["weight_bits_design"] > 0
    assert fig["weight_bits_source"] == "design (calibration skipped)"
    # crosstalk: a nearest-neighbour Lorentzian tail at most, of the order 1/(1+(2d/FWHM)^2)
    lorentz = 10 * math.log10(1 / (1 + (2 * d_lam / fig["fwhm"]) ** 2))
    assert fig["crosstalk_db"] == pytest.approx(lorentz, abs=0.5)


def test_crosstalk_grows_with_linewidth_and_fsr_aliasing():
    def xt(point):
        return evaluate_point({"point": point, "base": {"core.n_inputs": 8},
                               "options": CHEAP})["crosstalk_db"]

    low_q, high_q = xt({"r": 0.97}), xt({"r": 0.99})
    assert low_q > high_q
    # channels half an FSR apart: ring k's next order lands on channel k + 2
    point = {"radius": 20e-6, "r": 0.98}
    cfg = point_config(point, {"core.n_inputs": 4})
    lam = cfg.laser.center_wavelength
    point["channel_spacing"] = _C * build_ring(cfg).fsr(lam) / lam**2 / 2
    alias = evaluate_point({"point": point, "base": {"core.n_inputs": 4}, "options": CHEAP})
    assert alias["fits_fsr"] == 0 and alias["channels_per_fsr"] == 2
    assert alias["crosstalk_db"] > -1.0 > -10.0 > high_q
    assert "FSR" in alias["notes"]


def test_infeasible_bank_is_a_point_not_a_grid_error(tmp_path):
    # 0.2 mW heaters cannot tune across the weight branch: the point reports why
    grid = SweepGrid((("heater_max_power", (0.2e-3, 50e-3)),), base=SMALL, options=CHEAP)
    problems = grid.validate()
    assert problems[0] and "max_power" in problems[0] and problems[1] is None
    with ThreadPoolExecutor(1) as ex:
        res = run_sweep(grid, tmp_path, executor=ex, progress=False)
    bad, good = res.rows
    assert bad["weight_range"] is None and "no design weight bank" in bad["notes"]
    assert bad["fsr"] == good["fsr"] and good["weight_range"] > 0


def test_calibrated_weight_bits_and_mnist_on_the_fabricated_chip():
    opts = {**CHEAP, "calibrate": True, "weight_samples": 8, "mnist_epochs": 1,
            "mnist_data": "synthetic", "mnist_subset": 100, "mnist_hidden": 8}
    fig = evaluate_point({"point": {"r": 0.99}, "base": {"core.n_inputs": 4}, "options": opts})
    assert fig["weight_bits_source"] == "calibrated" and fig["rings_working"] == 1.0
    assert 0 < fig["weight_bits"] < 16 and fig["cal_measurements"] > 0
    assert 0 < fig["weight_range_calibrated"] <= 1
    assert fig["mnist_chip"] == "calibrated" and 0.0 <= fig["mnist_test_acc"] <= 1.0
    # the same seed gives the same chip, calibration and score
    again = evaluate_point({"point": {"r": 0.99}, "base": {"core.n_inputs": 4},
                            "options": opts})
    assert again["weight_bits"] == fig["weight_bits"]
    assert again["mnist_test_acc"] == fig["mnist_test_acc"]


def test_csv_round_trip_is_atomic(tmp_path):
    rows = [{"r": 0.99, "q_loaded": 2e4, "notes": "", "x": None},
            {"r": 0.98, "q_loaded": 1e4, "notes": "a, b", "x": 3}]
    path = write_csv(tmp_path / "s.csv", rows, ("r",))
    back = read_csv(path)
    assert back == [{"r": 0.99, "q_loaded": 20000.0, "notes": None, "x": None},
                    {"r": 0.98, "q_loaded": 10000.0, "notes": "a, b", "x": 3}]
    assert [p.name for p in tmp_path.iterdir()] == ["s.csv"]  # no temporary left


@pytest.mark.slow
def test_command_writes_csv_and_plots(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["sweep", "--param", "r=0.985,0.99,0.995", "--param", "n_channels=2,3",
            "--out", str(out), "--no-calibration", "--quiet", "--workers", "1"]
    assert main(args) == 0
    rows = read_csv(out / "sweep.csv")
    assert len(rows) == 6 and [r["r"] for r in rows[:2]] == [0.985, 0.985]
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["heatmap_r_n_channels.png", "lines_n_channels.png", "lines_r.png"]
    assert all((out / p).stat().st_size > 10_000 for p in pngs)
    assert "6 computed, 0 from cache" in capsys.readouterr().out
    assert main(args + ["--no-plots"]) == 0
    assert "0 computed, 6 from cache" in capsys.readouterr().out
    assert main(["sweep", "--param", "radius=5e-6:1e-5:0", "--out", str(tmp_path / "x")]) == 2
    assert "'radius' has an empty range" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


# ------------------------------------------------------------------- executors, resumption
def _strip(rows):
    return [{k: v for k, v in r.items() if k != "eval_seconds"} for r in rows]


@pytest.mark.slow
def test_fifty_points_local_pool_and_dask_cluster_agree(tmp_path):
    distributed = pytest.importorskip("distributed")
    grid = _cheap_grid()
    assert len(grid) >= 50
    local = run_sweep(grid, tmp_path / "local", workers=2, progress=False)
    assert local.n_computed == len(grid) and len(read_csv(local.csv_path)) == len(grid)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        dask = run_sweep(grid, tmp_path / "dask", scheduler=cluster.scheduler_address,
                         progress=False)
    assert dask.n_computed == len(grid)
    assert _strip(dask.rows) == _strip(local.rows)
    assert len(list((tmp_path / "dask" / "cache").glob("*.json"))) == len(grid)


@pytest.mark.slow
def test_killed_sweep_resumes_without_recomputing(tmp_path):
    grid_file = tmp_path / "grid.toml"
    grid_file.write_text(
        '[grid]\nradius = {start = 6e-6, stop = 12e-6, num = 6}\n'
        'r = {start = 0.985, stop = 0.995, num = 5}\nchannel_spacing = [100e9, 150e9]\n'
        '[chip.core]\nn_inputs = 3\nn_outputs = 2\n'
        '[options]\ncalibrate = false\nperformance = false\nweight_samples = 4\n')
    out = tmp_path / "out"
    cache = out / "cache"
    cmd = [sys.executable, "-m", "photonic_dfa.cli", "sweep", "--grid", str(grid_file),
           "--out", str(out), "--workers", "1", "--quiet", "--no-plots"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(list(cache.glob("*.json"))) < 5:
            assert proc.poll() is None, "sweep exited before it could be killed"
            assert time.monotonic() < deadline, "no points finished"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its pool workers
        proc.wait()
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.glob("*.json")}
    assert 5 <= len(before) < 60 and not (out / "sweep.csv").exists()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in cache.glob("*.json")}
    assert len(after) == 60
    assert all(after[name] == stamp for name, stamp in before.items())  # none rewritten
    assert f"{60 - len(before)} computed, {len(before)} from cache" in done.stdout
    assert len(read_csv(out / "sweep.csv")) == 60
