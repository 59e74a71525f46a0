"""Every subcommand's ``--help``: a description, its defaults and an example that parses."""

from __future__ import annotations

import argparse
import re
import shlex

import pytest

from photonic_dfa.cli import build_parser, main
from photonic_dfa.commands._common import COMMAND_PRESETS, PRESETS, library_preset


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


COMMANDS = sorted(_subparsers())


def test_every_command_is_discovered():
    assert {"calibrate", "config", "data", "demo", "layout", "lm", "mac-error", "perf", "ring",
            "sample", "scaling", "sweep", "train"} <= set(COMMANDS)


def _blocks(help_text: str) -> dict[str, str]:
    """Option string -> its help block (the option line and its continuation lines)."""
    blocks: dict[str, str] = {}
    current: list[str] = []
    for line in help_text.splitlines():
        m = re.match(r"^  (-{1,2}[\w-]+)", line)
        if m:
            current = [line]
            blocks[m.group(1)] = ""
            key = m.group(1)
        elif current and line.startswith("      "):
            current.append(line)
        else:
            current = []
            continue
        blocks[key] = " ".join(" ".join(current).split())
    return blocks


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_description_defaults_and_a_parsing_example(name, tmp_path, monkeypatch):
    sub = _subparsers()[name]
    text = sub.format_help()
    assert sub.description and len(sub.description.split()) >= 12
    blocks = _blocks(text)
    for action in sub._actions:
        if not action.option_strings or action.default in (None, False, argparse.SUPPRESS):
            continue
        assert action.help, f"{name} {action.option_strings[0]} has no help"
        block = blocks[action.option_strings[0]]
        assert "default" in block.lower(), f"{name} {action.option_strings[0]}: {block}"
    examples = re.findall(r"^Example:\n  (photonic-dfa .+)$", text, re.MULTILINE)
    assert len(examples) == 1, text
    argv = shlex.split(examples[0])[1:]
    argv = argv[:next((i for i, a in enumerate(argv) if a in (">", "|")), len(argv))]
    assert argv[0] == name
    # input files are checked while parsing: the example's files exist in its folder
    monkeypatch.chdir(tmp_path)
    for a in argv:
        if a.endswith((".toml", ".npz", ".txt")) and not a.startswith("results/perf"):
            (tmp_path / a).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / a).write_text("")
    args = build_parser().parse_args(argv)  # parses; nothing runs
    assert args.func.__module__.endswith(name.replace("-", "_"))


def test_main_returns_2_on_usage_errors_and_0_on_help(capsys):
    assert main(["ring", "--radius", "5mW", "--out", "x"]) == 2
    err = capsys.readouterr().err
    assert "--radius" in err and "'5mW'" in err and "length (m)" in err
    assert main(["config", "--help"]) == 0
    assert "Example:" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "flag"), [
    (["ring", "--wavelength0", "5mW", "--out", "x"], "--wavelength0"),
    (["ring", "--heater-power", "10um", "--out", "x"], "--heater-power"),
    (["ring", "--r1", "nan", "--out", "x"], "--r1"),
    (["layout", "--spacing", "5mW", "--out", "x"], "--spacing"),
    (["layout", "--pitch", "inf", "--out", "x"], "--pitch"),
    (["calibrate", "--drift", "5um"], "--drift"),
    (["train", "mnist", "--lr", "1GHz"], "--lr"),
])
def test_every_quantity_flag_checks_its_dimension(capsys, argv, flag):
    assert main(argv) == 2
    assert flag in capsys.readouterr().err


def test_quantity_flags_parse_units():
    p = build_parser()
    a = p.parse_args(["ring", "--radius", "10 µm", "--heater-power", "5mW",
                      "--heater-efficiency", "3K/mW", "--loss-db-per-cm", "0.2dB/mm",
                      "--out", "x"])
    assert (a.radius, a.heater_power, a.heater_efficiency, a.loss_db_per_cm) == \
        (10e-6, 5e-3, 3000.0, 2.0)
    assert p.parse_args(["ring", "--out", "x"]).wavelength0 == 1550e-9
    assert p.parse_args(["layout", "--spacing", "100GHz", "--out", "x"]).spacing == \
        (100e9, "Hz")
    assert p.parse_args(["layout", "--spacing", "0.8nm", "--out", "x"]).spacing == (0.8e-9, "m")
    assert p.parse_args(["calibrate", "--drift", "1ks"]).drift == 1000.0


def test_one_preset_vocabulary():
    p = build_parser()
    for command, names in COMMAND_PRESETS.items():
        assert set(names) <= set(PRESETS)
        extra = ["mnist"] if command == "train" else []
        out = ["--out", "x"] if command in ("lm", "scaling") else []
        for name in names:
            args = p.parse_args([command, *extra, "--preset", name, *out])
            assert args.preset == name
    assert library_preset("lm", "full") == "default"
    assert library_preset("scaling", "default") == "paper"  # the former name still reads
    assert library_preset("scaling", "paper") == "paper"  # the study's own name for full
    assert p.parse_args(["scaling", "--preset", "paper", "--out", "x"]).preset == "full"


def test_unknown_preset_lists_the_allowed_names(capsys):
    assert main(["lm", "--preset", "huge", "--out", "x"]) == 2
    err = capsys.readouterr().err
    assert "'huge'" in err and "allowed: quick, full" in err
    assert main(["scaling", "--preset", "quick", "--out", "x"]) == 2
    assert "allowed: smoke, full" in capsys.readouterr().err


@pytest.mark.parametrize("tokens", ["inf", "nan", "1.5", "0", "1um", ""])
def test_token_budgets_are_whole_numbers(capsys, tokens):
    assert main(["scaling", "--tokens", tokens, "--out", "x"]) == 2
    assert "--tokens" in capsys.readouterr().err
