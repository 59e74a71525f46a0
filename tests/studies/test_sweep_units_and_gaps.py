"""Sweep values with units, and points without a figure explained (command and plots)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from photonic_dfa.base.units import format_quantity
from photonic_dfa.cli import main
from photonic_dfa.studies.sweep import PARAMETERS, SweepGrid, load_grid, parse_axis, read_csv
from photonic_dfa.studies.sweep_plots import (
    describe_missing,
    explain_missing,
    missing_reason,
    plot_heatmap,
    plot_lines,
)


@pytest.mark.parametrize(("text", "values"), [
    ("radius=5um:20um:4", (5e-6, 10e-6, 15e-6, 20e-6)),
    ("radius=5 µm:20μm:2", (5e-6, 20e-6)),
    ("radius=5e-6:20um:2", (5e-6, 20e-6)),
    ("channel_spacing=50GHz,100GHz", (50e9, 100e9)),
    ("heater_max_power=0.2mW,50mW", (0.2e-3, 50e-3)),
    ("thermal_resistance=1K/mW:4K/mW:2:log", (1000.0, 4000.0)),
    ("loss_db_per_cm=0.1dB/mm,3", (1.0, 3)),
    ("heater_resistance=2kohm,2.5kΩ,3k\u2126", (2e3, 2.5e3, 3e3)),
    ("n_channels=4,8", (4, 8)),
])
def test_ranges_and_lists_take_units(text, values):
    name, parsed = parse_axis(text)
    assert SweepGrid(((name, parsed),)).axes[0][1] == values


@pytest.mark.parametrize(("text", "words"), [
    ("radius=5mW:20um:4", ["'radius'", "'5mW'", "power", "length (m)"]),
    ("channel_spacing=50GHz,0.8nm", ["'channel_spacing'", "'0.8nm'", "frequency (Hz)"]),
    ("r=0.9um,0.95", ["'r'", "plain number"]),
    ("radius=nan:1:3", ["'radius'", "finite"]),
    ("core.n_outputs=4um", ["'core.n_outputs'", "SI numbers"]),
])
def test_wrong_units_name_parameter_value_and_unit(text, words):
    with pytest.raises(ValueError) as info:
        SweepGrid((parse_axis(text),))
    assert all(w in str(info.value) for w in words), str(info.value)


@given(st.sampled_from([n for n, p in PARAMETERS.items() if p.unit and not p.integer]),
       st.floats(0.0, 1.0))
def test_formatted_values_round_trip_through_a_list(name, frac):
    p = PARAMETERS[name]
    value = p.low + frac * (p.high - p.low)
    _, parsed = parse_axis(f"{name}={format_quantity(value, p.unit)}")
    assert parsed == (value,)


def test_grid_toml_strings_with_units(tmp_path):
    path = tmp_path / "g.toml"
    path.write_text('[grid]\nradius = {start = "5um", stop = "20um", num = 4}\n'
                    'channel_spacing = ["50GHz", "100GHz"]\nr = 0.98\n'
                    'heater_max_power = "10mW"\n')
    grid = load_grid(path)
    assert dict(grid.axes) == {"radius": (5e-6, 10e-6, 15e-6, 20e-6),
                               "channel_spacing": (50e9, 100e9), "r": (0.98,),
                               "heater_max_power": (10e-3,)}
    path.write_text('[grid]\nradius = {start = "5mW", stop = "20um", num = 4}\n')
    with pytest.raises(ValueError, match="'radius'.*'5mW' is a power"):
        load_grid(path)


# ---------------------------------------------------------------- points without a figure
WEAK = ("no design weight bank (heater max_power=0.0002 W cannot cover the branch: it needs "
        "up to 0.00167 W; raise max_power or thermal_resistance, or lower branch_fraction)")


def test_reasons_are_short_and_group_equal_causes():
    a = missing_reason(WEAK)
    b = missing_reason(WEAK.replace("0.00167", "0.001548").replace("0.0002", "0.0003"))
    assert a == b == "no design weight bank (heaters too weak for the weight branch)"
    assert missing_reason("FSR alias; no symmetric weight range: performance figures not "
                          "computed") == "no symmetric weight range: performance figures " \
                                         "not computed"
    assert missing_reason("") == missing_reason(None) == "not computed (no note)"
    assert len(missing_reason("no " + "x" * 300)) <= 90


def _rows():
    rows = []
    for radius in (5e-6, 10e-6):
        for r in (0.98, 0.99):
            row = {"radius": radius, "r": r, "fsr": 1e-16 / radius, "weight_bits": 8.0,
                   "mac_per_s": 1e11, "notes": ""}
            if r == 0.99:
                row.update(weight_bits=None, mac_per_s=None, notes=WEAK)
            elif radius == 10e-6:
                row.update(mac_per_s=None,
                           notes="no symmetric weight range: performance figures not computed")
            rows.append(row)
    return rows


AXES = (("radius", (5e-6, 10e-6)), ("r", (0.98, 0.99)))


def test_missing_points_are_grouped_and_described():
    rows = _rows()
    groups = explain_missing(rows)
    assert (("weight_bits", "mac_per_s"), missing_reason(WEAK), (1, 3)) in groups
    assert (("mac_per_s",), "no symmetric weight range: performance figures not computed",
            (2,)) in groups
    lines = describe_missing(rows, AXES)
    assert lines[0] == ("2 points have no weight_bits, mac_per_s: no design weight bank "
                        "(heaters too weak for the weight branch); at radius=5um, r=0.99 | "
                        "radius=10um, r=0.99")
    assert lines[1].startswith("1 point has no mac_per_s: no symmetric weight range")
    assert describe_missing(rows[:1], AXES) == []


def test_plots_with_hatched_cells_and_gaps_are_written(tmp_path):
    rows = _rows()
    heat = plot_heatmap(rows, AXES, "radius", "r", tmp_path / "h.png")
    lines = plot_lines(rows, AXES, "radius", "r", tmp_path / "l.png")
    for p in (heat, lines):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 10_000


@pytest.mark.slow
def test_command_prints_why_points_have_no_figures(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", "--param", "heater_max_power=0.2mW,50mW", "--param",
                 "radius=7um,10um", "--param", "core.n_inputs=3", "--no-calibration",
                 "--quiet", "--workers", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "2 points have no " in err and "weight_range" in err
    assert "heaters too weak for the weight branch" in err
    assert "radius=7um, heater_max_power=0.2mW" in err or \
        "heater_max_power=0.2mW, radius=7um" in err
    assert len(read_csv(out / "sweep.csv")) == 4


def test_optimum_heatmap_outlines_the_best_of_each_row(tmp_path):
    from photonic_dfa.studies.sweep_plots import plot_optimum

    qs, rates = (1e4, 2e4, 4e4), (1e9, 1e10)
    rows = [{"q_loaded": q, "symbol_rate": r, "mac_bits": 5.0 - abs(q / 2e4 - r / 1e9 / 5),
             "notes": ""} for q in qs for r in rates]
    rows[0]["mac_bits"] = None  # a cell without a value is hatched, not an error
    path = plot_optimum(rows, (("q_loaded", qs), ("symbol_rate", rates)), "q_loaded",
                        "symbol_rate", "mac_bits", tmp_path / "opt.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
