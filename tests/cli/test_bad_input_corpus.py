"""Every subcommand over a corpus of bad inputs, through the CLI's entry point.

For each case: exit status 2, one error line on stderr naming the flag or the file, no
traceback, nothing written outside the case's ``--out`` and an end within a hang bound.
The cases run in-process (``photonic_dfa.cli.main``); every entry into real work (data
download, training, calibration, grid tasks, sampling) is replaced by a sentinel that fails
the case, so each must be refused before any work starts.
"""

from __future__ import annotations

import shlex
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest

from photonic_dfa.cli import main

HANG_BOUND = 30.0  # seconds per case: a bound for hangs, not a speed requirement


class RealWork(BaseException):
    """Raised by the sentinels: the case got past validation into real work."""


class Hang(BaseException):
    """Raised by the alarm: the case ran past the hang bound."""


def _work(name: str):
    def sentinel(*args, **kwargs):
        raise RealWork(f"{name} started: the bad input was not refused before work")

    return sentinel


# (id, command line with placeholders, text the error line must contain; " && " joins texts
# that must all be there, e.g. the problem and the file). Placeholders: {out} the
# case's output directory, {file} a regular file, {dir} a directory, {tmp} the case root;
# chip files {garbage} {nested} {badtoml} {unknown} {badvalue} {badfab} {missing};
# {notutf8} {empty} text files; {lmckpt_*} crafted checkpoints; {npzdir} a data directory
# whose mnist.npz is a directory.
OUT_COMMANDS = {
    "ring": "ring",
    "mac-error": "mac-error",
    "calibrate": "calibrate",
    "sweep": "sweep --param radius=5um:6um:2",
    "train": "train mnist",
    "lm": "lm",
    "demo": "demo",
    "scaling": "scaling --preset smoke",
    "layout": "layout",
}
CHIP_COMMANDS = {
    "calibrate": "calibrate --out {out} --chip",
    "mac-error": "mac-error --out {out} --chip",
    "mac-error-calibrated": "mac-error --calibrated --out {out} --chip",
    "perf": "perf --chip",
    "layout": "layout --out {out} --chip",
    "config": "config --chip",
    "train": "train mnist --feedback photonic --out {out} --chip",
    "demo": "demo --out {out} --chip",
    "lm": "lm --method photonic --out {out} --chip",
}
CHIP_FILES = {
    "missing": ("{missing}", "no such chip configuration file"),
    "directory": ("{dir}", "is a directory, expected a chip configuration file"),
    "binary": ("{garbage}", "not UTF-8"),
    "deeply-nested": ("{nested}", "nested deeper than"),
    "invalid-toml": ("{badtoml}", "invalid TOML"),
    "unknown-key": ("{unknown}", "ring.bogus"),
    "bad-value": ("{badvalue}", "radius"),
    "bad-fabrication": ("{badfab}", "fabrication.bogus"),
    "empty-path": ("''", "empty path"),
}

CASES: list[tuple[str, str, str]] = []
for cmd, line in OUT_COMMANDS.items():
    CASES += [
        (f"{cmd}-out-is-a-file", f"{line} --out {{file}}", "is a file"),
        (f"{cmd}-out-inside-a-file", f"{line} --out {{file}}/sub", "is a file, not a directory"),
        (f"{cmd}-out-unwritable", f"{line} --out /proc/photonic-dfa-no/out",
         "/proc/photonic-dfa-no/out"),
    ]
for cmd, line in CHIP_COMMANDS.items():
    for kind, (path, message) in CHIP_FILES.items():
        # the message says what is wrong and names the file
        also = "" if kind == "empty-path" else f" && {path}"
        CASES.append((f"{cmd}-chip-{kind}", f"{line} {path}", message + also))

CASES += [
    # train
    ("train-epochs-0", "train mnist --epochs 0 --out {out}", "--epochs"),
    ("train-epochs-negative", "train mnist --epochs -1 --out {out}", "--epochs"),
    ("train-epochs-huge", "train mnist --epochs 100000 --out {out}", "--epochs"),
    ("train-epochs-text", "train mnist --epochs many --out {out}", "--epochs"),
    ("train-epochs-fraction", "train mnist --epochs 1.5 --out {out}", "--epochs"),
    ("train-epochs-nan", "train mnist --epochs nan --out {out}", "--epochs"),
    ("train-batch-0", "train mnist --batch-size 0 --out {out}", "--batch-size"),
    ("train-batch-huge", "train mnist --batch-size 1e9 --out {out}", "--batch-size"),
    ("train-hidden-0", "train mnist --hidden 0 --out {out}", "--hidden"),
    ("train-hidden-huge", "train mnist --hidden 100000000 --out {out}", "--hidden"),
    ("train-hidden-memory", "train mnist --hidden 65536 65536 65536 65536 65536 --out {out}",
     "memory"),
    ("train-hidden-too-many", "train mnist --hidden " + "8 " * 17 + "--out {out}", "--hidden"),
    ("train-subset-negative", "train mnist --train-subset -1 --out {out}", "--train-subset"),
    ("train-subset-huge", "train mnist --train-subset 60001 --out {out}", "--train-subset"),
    ("train-seed-negative", "train mnist --seed -1 --out {out}", "--seed"),
    ("train-lr-0", "train mnist --lr 0 --out {out}", "lr"),
    ("train-lr-nan", "train mnist --lr nan --out {out}", "--lr"),
    ("train-lr-unit", "train mnist --lr 5mW --out {out}", "--lr"),
    ("train-momentum-1", "train mnist --momentum 1 --out {out}", "momentum"),
    ("train-error-std-negative",
     "train mnist --feedback gaussian --error-std -1 --out {out}", "error_std"),
    ("train-error-std-unused", "train mnist --feedback dfa --error-std 0.5 --out {out}",
     "--error-std"),
    ("train-chip-unused", "train mnist --feedback dfa --chip {dir} --out {out}", "--chip"),
    ("train-chip-without-photonic",
     "train mnist --feedback dfa --chip {chipok} --out {out}", "--chip only applies"),
    ("train-ideal-without-photonic", "train mnist --ideal-chip --out {out}", "--ideal-chip"),
    ("train-fab-seed-without-photonic", "train mnist --fab-seed 3 --out {out}", "--fab-seed"),
    ("train-ideal-and-chip",
     "train mnist --feedback photonic --ideal-chip --chip {chipok} --out {out}",
     "--ideal-chip"),
    ("train-fab-seed-design",
     "train mnist --feedback photonic --design-chip --fab-seed 2 --out {out}", "--fab-seed"),
    ("train-data-dir-file", "train mnist --data-dir {file} --out {out}", "--data-dir"),
    ("train-data-dir-inside-file", "train mnist --data-dir {file}/d --out {out}", "--data-dir"),
    ("train-mnist-npz-directory", "train mnist --data-dir {npzdir} --out {out}", "mnist.npz"),
    ("train-task-unknown", "train cifar --out {out}", "cifar"),
    ("train-feedback-unknown", "train mnist --feedback magic --out {out}", "--feedback"),
    ("train-preset-unknown", "train mnist --preset huge --out {out}", "--preset"),
    # demo
    ("demo-epochs-0", "demo --epochs 0 --out {out}", "--epochs"),
    ("demo-epochs-negative", "demo --epochs -3 --out {out}", "--epochs"),
    ("demo-hidden-0", "demo --hidden 0 --out {out}", "--hidden"),
    ("demo-hidden-memory", "demo --hidden 65536 65536 65536 65536 65536 --out {out}",
     "memory"),
    ("demo-chip-without-photonic", "demo --modes dfa --chip {chipok} --out {out}", "--chip"),
    ("demo-mode-twice", "demo --modes dfa dfa --out {out}", "--modes"),
    ("demo-mode-unknown", "demo --modes magic --out {out}", "--modes"),
    ("demo-data-dir-file", "demo --data-dir {file} --out {out}", "--data-dir"),
    ("demo-mnist-npz-directory", "demo --modes dfa --data-dir {npzdir} --out {out}",
     "mnist.npz"),
    ("demo-seed-negative", "demo --seed -1 --out {out}", "--seed"),
    # lm
    ("lm-context-huge", "lm --context 100000000 --out {out}", "--context"),
    ("lm-context-0", "lm --context 0 --out {out}", "--context"),
    ("lm-dfa-signal-removed", "lm --method bp --dfa-signal raw --out {out}", "--dfa-signal"),
    ("lm-ln-variant-post-ln", "lm --method dfa-ln --norm post --out {out}", "norm"),
    ("lm-context-memory", "lm --context 65536 --batch-size 65536 --out {out}", "memory"),
    ("lm-steps-0", "lm --steps 0 --out {out}", "--steps"),
    ("lm-steps-huge", "lm --steps 1e12 --out {out}", "--steps"),
    ("lm-batch-0", "lm --batch-size 0 --out {out}", "--batch-size"),
    ("lm-eval-interval-0", "lm --eval-interval 0 --out {out}", "--eval-interval"),
    ("lm-lr-0", "lm --lr 0 --out {out}", "lr"),
    ("lm-lr-2", "lm --lr 2 --out {out}", "lr"),
    ("lm-lr-inf", "lm --lr inf --out {out}", "--lr"),
    ("lm-seed-negative", "lm --seed -1 --out {out}", "--seed"),
    ("lm-text-missing", "lm --text {missing} --out {out}", "no such text file"),
    ("lm-text-directory", "lm --text {dir} --out {out}", "is a directory"),
    ("lm-text-binary", "lm --text {notutf8} --out {out}", "not UTF-8"),
    ("lm-text-empty", "lm --text {empty} --out {out}", "is empty"),
    ("lm-chip-without-photonic", "lm --chip {chipok} --out {out}", "--chip"),
    ("lm-design-chip-without-photonic", "lm --design-chip --out {out}", "--design-chip"),
    ("lm-chip-with-gaussian", "lm --method photonic --core gaussian --chip {chipok} "
     "--out {out}", "--chip"),
    ("lm-mac-error-unused", "lm --method dfa --mac-error-std 0.3 --out {out}",
     "--mac-error-std"),
    ("lm-mac-error-std-negative", "lm --method photonic --core gaussian --mac-error-std -1 "
     "--out {out}", "--mac-error-std"),
    ("lm-core-without-photonic", "lm --core gaussian --out {out}", "--core"),
    ("lm-data-dir-file", "lm --data-dir {file} --out {out}", "--data-dir"),
    ("lm-method-unknown", "lm --method magic --out {out}", "--method"),
    ("lm-preset-unknown", "lm --preset smoke --out {out}", "--preset"),
    ("lm-out-missing", "lm", "--out"),
    # sample
    ("sample-length-huge", "sample --checkpoint {lmckpt_ok} --length 1000000000", "--length"),
    ("sample-length-negative", "sample --checkpoint {lmckpt_ok} --length -1", "--length"),
    ("sample-temperature-negative", "sample --checkpoint {lmckpt_ok} --temperature -1",
     "--temperature"),
    ("sample-temperature-nan", "sample --checkpoint {lmckpt_ok} --temperature nan",
     "--temperature"),
    ("sample-checkpoint-missing", "sample --checkpoint {missing}", "no such checkpoint"),
    ("sample-checkpoint-directory", "sample --checkpoint {dir}", "is a directory"),
    ("sample-checkpoint-garbage", "sample --checkpoint {garbage}", "garbage.toml"),
    ("sample-checkpoint-wrong-kind", "sample --checkpoint {npz_wrong_kind}", "expected"),
    ("sample-checkpoint-wrong-shape", "sample --checkpoint {lmckpt_shape}", "wte"),
    ("sample-checkpoint-nan", "sample --checkpoint {lmckpt_nan}", "NaN"),
    ("sample-checkpoint-no-vocab", "sample --checkpoint {lmckpt_novocab}", "vocab"),
    ("sample-checkpoint-vocab-size", "sample --checkpoint {lmckpt_vocabsize}", "vocab_size"),
    ("sample-checkpoint-model-key", "sample --checkpoint {lmckpt_modelkey}", "model"),
    ("sample-prompt-unknown-character", "sample --checkpoint {lmckpt_ok} --prompt Z",
     "vocabulary"),
    ("sample-prompt-empty", "sample --checkpoint {lmckpt_ok} --prompt ''", "prompt"),
    ("sample-checkpoint-required", "sample", "--checkpoint"),
    # mac-error
    ("mac-error-samples-huge", "mac-error --samples 100000000 --out {out}", "--samples"),
    ("mac-error-samples-0", "mac-error --samples 0 --out {out}", "--samples"),
    ("mac-error-width-0", "mac-error --width 0 --out {out}", "--width"),
    ("mac-error-width-huge", "mac-error --width 1000000 --out {out}", "--width"),
    ("mac-error-memory", "mac-error --samples 10000000 --width 65536 --out {out}", "memory"),
    ("mac-error-fab-seed-unused", "mac-error --fab-seed 2 --out {out}", "--fab-seed"),
    ("mac-error-seed-negative", "mac-error --seed -1 --out {out}", "--seed"),
    # calibrate
    ("calibrate-chip-memory", "calibrate --chip {bigchip} --out {out}",
     "memory && core.n_outputs"),
    ("mac-error-calibrated-chip-memory", "mac-error --calibrated --chip {bigchip} --out {out}",
     "memory && core.n_outputs"),
    ("train-chip-memory", "train mnist --feedback photonic --chip {bigchip} --out {out}",
     "memory"),
    ("demo-chip-memory", "demo --chip {bigchip} --out {out}", "memory"),
    ("calibrate-drift-nan", "calibrate --drift nan --out {out}", "--drift"),
    ("calibrate-drift-inf", "calibrate --drift inf --out {out}", "--drift"),
    ("calibrate-drift-negative", "calibrate --drift -5s --out {out}", "--drift"),
    ("calibrate-drift-huge", "calibrate --drift 1e12 --out {out}", "--drift"),
    ("calibrate-drift-wrong-unit", "calibrate --drift 5mW --out {out}", "--drift"),
    ("calibrate-samples-0", "calibrate --samples 0 --out {out}", "--samples"),
    ("calibrate-samples-huge", "calibrate --samples 1e12 --out {out}", "--samples"),
    ("calibrate-seed-negative", "calibrate --seed -2 --out {out}", "--seed"),
    ("calibrate-seed-text", "calibrate --seed abc --out {out}", "--seed"),
    ("calibrate-target-seed-negative", "calibrate --target-seed -1 --out {out}",
     "--target-seed"),
    # ring
    ("ring-radius-bare", "ring --radius 10 --out {out}", "radius"),
    ("ring-radius-wrong-unit", "ring --radius 5mW --out {out}", "--radius"),
    ("ring-r1-above-1", "ring --r1 1.5 --out {out}", "r1"),
    ("ring-r1-nan", "ring --r1 nan --out {out}", "--r1"),
    ("ring-points-few", "ring --points 10 --out {out}", "--points"),
    ("ring-points-huge", "ring --points 100000000 --out {out}", "--points"),
    ("ring-band-reversed", "ring --band 1560nm 1540nm --out {out}", "--band"),
    ("ring-heater-negative", "ring --heater-power -1mW --out {out}", "--heater-power"),
    ("ring-loss-negative", "ring --loss-db-per-cm -1 --out {out}", "loss"),
    ("ring-n-g-zero", "ring --n-g 0 --out {out}", "n_g"),
    ("ring-out-missing", "ring", "--out"),
    # sweep
    ("sweep-no-grid", "sweep --out {out}", "--grid"),
    ("sweep-axis-huge", "sweep --param radius=5e-6:10e-6:100000000 --out {out}", "radius"),
    ("sweep-band-beyond-dispersion", "sweep --param core.n_inputs=8,4096 --out {out}",
     "core.n_inputs && laser.channel_spacing"),
    ("sweep-grid-huge", "sweep --param radius=5um:10um:1000 --param r=0.9:0.99:1000 "
     "--out {out}", "points"),
    ("sweep-axis-empty-range", "sweep --param radius=5um:10um:0 --out {out}", "radius"),
    ("sweep-axis-unknown", "sweep --param bogus=1,2 --out {out}", "bogus"),
    ("sweep-axis-nothing", "sweep --param radius= --out {out}", "radius"),
    ("sweep-axis-empty-item", "sweep --param radius=5um,,6um --out {out}", "radius"),
    ("sweep-axis-scale", "sweep --param radius=5um:6um:3:cubic --out {out}", "radius"),
    ("sweep-axis-nan", "sweep --param radius=nan,5um --out {out}", "radius"),
    ("sweep-axis-no-equals", "sweep --param radius --out {out}", "--param"),
    ("sweep-grid-missing", "sweep --grid {missing} --out {out}", "no such grid file"),
    ("sweep-grid-directory", "sweep --grid {dir} --out {out}", "is a directory"),
    ("sweep-grid-binary", "sweep --grid {garbage} --out {out}", "not UTF-8"),
    ("sweep-grid-nested", "sweep --grid {nested} --out {out}", "nested"),
    ("sweep-grid-invalid", "sweep --grid {badtoml} --out {out}", "invalid TOML"),
    ("sweep-grid-file-huge-axis", "sweep --grid {grid_huge} --out {out}", "radius"),
    ("sweep-grid-file-empty-axis", "sweep --grid {grid_empty} --out {out}", "radius"),
    ("sweep-grid-file-unknown-option", "sweep --grid {grid_option} --out {out}", "bogus"),
    ("sweep-workers-0", "sweep --param radius=5um:6um:2 --workers 0 --out {out}", "--workers"),
    ("sweep-mnist-epochs-negative", "sweep --param radius=5um:6um:2 --mnist-epochs -1 "
     "--out {out}", "--mnist-epochs"),
    ("sweep-data-dir-unused", "sweep --param radius=5um:6um:2 --data-dir {dir} --out {out}",
     "--data-dir"),
    ("sweep-scheduler-closed", "sweep --param radius=5um:6um:2 --scheduler "
     "tcp://127.0.0.1:{closed_port} --out {out}", "scheduler"),
    ("sweep-scheduler-malformed", "sweep --param radius=5um:6um:2 --scheduler nonsense "
     "--out {out}", "scheduler"),
    ("sweep-seed-negative", "sweep --param radius=5um:6um:2 --seed -1 --out {out}", "--seed"),
    ("sweep-out-missing", "sweep --param radius=5um:6um:2", "--out"),
    # scaling
    ("scaling-methods-empty", "scaling --methods '' --out {out}", "--methods"),
    ("scaling-methods-comma", "scaling --methods , --out {out}", "--methods"),
    ("scaling-methods-unknown", "scaling --methods bp,magic --out {out}", "magic"),
    ("scaling-methods-repeated", "scaling --methods bp,bp --out {out}", "--methods"),
    ("scaling-tokens-comma", "scaling --tokens , --out {out}", "--tokens"),
    ("scaling-tokens-empty", "scaling --tokens '' --out {out}", "--tokens"),
    ("scaling-tokens-inf", "scaling --tokens inf --out {out}", "--tokens"),
    ("scaling-tokens-0", "scaling --tokens 0 --out {out}", "--tokens"),
    ("scaling-tokens-huge", "scaling --tokens 1e20 --out {out}", "--tokens"),
    ("scaling-tokens-fraction", "scaling --tokens 1.5 --out {out}", "--tokens"),
    ("scaling-tokens-below-batch", "scaling --preset smoke --tokens 10 --out {out}",
     "token budget"),
    ("scaling-sizes-empty", "scaling --sizes '' --out {out}", "--sizes"),
    ("scaling-sizes-zero", "scaling --sizes 0x32 --out {out}", "--sizes"),
    ("scaling-sizes-deep", "scaling --sizes 100x32 --out {out}", "--sizes"),
    ("scaling-sizes-wide", "scaling --sizes 1x100000 --out {out}", "--sizes"),
    ("scaling-sizes-text", "scaling --sizes big --out {out}", "--sizes"),
    ("scaling-sizes-heads", "scaling --sizes 1x30 --out {out}", "d_model"),
    ("scaling-workers-0", "scaling --workers 0 --out {out}", "--workers"),
    ("scaling-seed-negative", "scaling --seed -1 --out {out}", "--seed"),
    ("scaling-scheduler-closed", "scaling --scheduler tcp://127.0.0.1:{closed_port} "
     "--out {out}", "scheduler"),
    ("scaling-scheduler-scheme", "scaling --scheduler http://127.0.0.1:8786 --out {out}",
     "scheduler"),
    ("scaling-text-missing", "scaling --text {missing} --out {out}", "no such text file"),
    ("scaling-text-binary", "scaling --preset smoke --text {notutf8} --out {out}",
     "not UTF-8"),
    ("scaling-cache-dir-file", "scaling --cache-dir {file} --out {out}", "--cache-dir"),
    ("scaling-data-dir-file", "scaling --data-dir {file} --out {out}", "--data-dir"),
    ("scaling-preset-unknown", "scaling --preset quick --out {out}", "--preset"),
    # layout
    ("layout-name-traversal", "layout --name ../../x --out {out}", "--name"),
    ("layout-name-path", "layout --name a/b --out {out}", "--name"),
    ("layout-name-dotdot", "layout --name .. --out {out}", "--name"),
    ("layout-name-empty", "layout --name '' --out {out}", "--name"),
    ("layout-name-absolute", "layout --name /tmp/x --out {out}", "--name"),
    ("layout-banks-0", "layout --banks 0 --out {out}", "--banks"),
    ("layout-channels-0", "layout --channels 0 --out {out}", "n_inputs"),
    ("layout-radius-negative", "layout --radius -1um --out {out}", "radius"),
    ("layout-spacing-wrong-unit", "layout --spacing 5mW --out {out}", "--spacing"),
    # perf
    ("perf-json-directory", "perf --json {dir}", "is a directory"),
    ("perf-json-inside-file", "perf --json {file}/perf.json", "is a file, not a directory"),
    ("perf-json-trailing-slash", "perf --json {tmp}/new/", "is a directory"),
    # config
    ("config-out-directory", "config --default --out {dir}", "is a directory"),
    ("config-out-inside-file", "config --default --out {file}/chip.toml", "is a file"),
    ("config-nothing", "config", "one of the arguments"),
    ("config-two", "config --default --ideal", "not allowed with"),
    # data
    ("data-dir-file", "data --data-dir {file}", "--data-dir"),
    ("data-only-unknown", "data --only cifar", "--only"),
    ("data-dir-unwritable", "data --data-dir /proc/photonic-dfa-no/data",
     "/proc/photonic-dfa-no/data"),
    ("train-data-dir-unwritable", "train mnist --data-dir /proc/photonic-dfa-no/data "
     "--out {out}", "/proc/photonic-dfa-no/data"),
    ("lm-data-dir-unwritable", "lm --data-dir /proc/photonic-dfa-no/data --out {out}",
     "/proc/photonic-dfa-no/data"),
    ("data-mnist-npz-directory", "data --only mnist --data-dir {npzdir}", "mnist.npz"),
    # the command line itself
    ("unknown-command", "frobnicate", "frobnicate"),
    ("unknown-option", "ring --frobnicate --out {out}", "--frobnicate"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The shared inputs the placeholders name."""
    from photonic_dfa.base.atomic import save_npz_checked
    from photonic_dfa.training.lm import CHECKPOINT_KIND, CHECKPOINT_VERSION, save_checkpoint
    from photonic_dfa.training.transformer import Transformer, TransformerConfig

    root = tmp_path_factory.mktemp("inputs")
    (root / "afile.txt").write_text("a file\n")
    (root / "adir").mkdir()
    (root / "garbage.toml").write_bytes(bytes(range(256)) * 8)
    (root / "nested.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (root / "bad.toml").write_text("[ring\nradius = \n")
    (root / "unknown.toml").write_text("[ring]\nbogus = 1\n")
    (root / "badvalue.toml").write_text("[ring]\nradius = -1.0\n")
    (root / "badfab.toml").write_text("[fabrication]\nbogus = 1\n")
    (root / "chipok.toml").write_text("[ring]\nradius = 8e-6\n")
    (root / "bigchip.toml").write_text("[core]\nn_outputs = 65536\nn_inputs = 4096\n"
                                       "[laser]\nchannel_spacing = 5e9\n")
    (root / "notutf8.txt").write_bytes(b"\xff\xfe\x00abc\x80\x81")
    (root / "empty.txt").write_text("")
    (root / "npzdir" / "mnist.npz").mkdir(parents=True)
    (root / "grid_huge.toml").write_text(
        '[grid]\nradius = {start = "5um", stop = "20um", num = 100000000}\n')
    (root / "grid_empty.toml").write_text("[grid]\nradius = []\n")
    (root / "grid_option.toml").write_text("[grid]\nr = [0.9, 0.95]\n[options]\nbogus = 1\n")

    vocab = "abcdef\n "
    cfg = TransformerConfig(vocab_size=len(vocab), context=8, d_model=8, n_layers=1, n_heads=2)
    model = Transformer(cfg, rng=np.random.default_rng(0))
    save_checkpoint(root / "lm_ok.npz", model, vocab, {})
    model_meta = cfg.to_dict()
    params = dict(model.params)

    def crafted(name, params, meta):
        # a valid checksum over wrong content
        save_npz_checked(root / name, params, meta, CHECKPOINT_KIND, CHECKPOINT_VERSION)

    wrong = dict(params, wte=params["wte"][:1])  # a shape that would broadcast
    crafted("lm_shape.npz", wrong, {"model": model_meta, "vocab": vocab})
    nan = dict(params, wpe=np.full_like(params["wpe"], np.nan))
    crafted("lm_nan.npz", nan, {"model": model_meta, "vocab": vocab})
    crafted("lm_novocab.npz", params, {"model": model_meta})
    crafted("lm_vocabsize.npz", params, {"model": model_meta, "vocab": vocab + "xyz"})
    crafted("lm_modelkey.npz", params, {"model": {**model_meta, "bogus": 1}, "vocab": vocab})
    save_npz_checked(root / "wrong_kind.npz", {"a": np.zeros(2)}, {}, "mnist-checkpoint", 1)

    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    return {
        "file": root / "afile.txt", "dir": root / "adir", "garbage": root / "garbage.toml",
        "nested": root / "nested.toml", "badtoml": root / "bad.toml",
        "unknown": root / "unknown.toml", "badvalue": root / "badvalue.toml",
        "badfab": root / "badfab.toml", "chipok": root / "chipok.toml",
        "bigchip": root / "bigchip.toml",
        "missing": root / "no-such-file.toml", "notutf8": root / "notutf8.txt",
        "empty": root / "empty.txt", "npzdir": root / "npzdir",
        "lmckpt_ok": root / "lm_ok.npz", "lmckpt_shape": root / "lm_shape.npz",
        "lmckpt_nan": root / "lm_nan.npz", "lmckpt_novocab": root / "lm_novocab.npz",
        "lmckpt_vocabsize": root / "lm_vocabsize.npz",
        "lmckpt_modelkey": root / "lm_modelkey.npz", "npz_wrong_kind": root / "wrong_kind.npz",
        "grid_huge": root / "grid_huge.toml", "grid_empty": root / "grid_empty.toml",
        "grid_option": root / "grid_option.toml", "closed_port": closed_port, "root": root,
    }


def _tree(root: Path) -> set[Path]:
    return set(root.rglob("*"))


@pytest.fixture
def guarded(monkeypatch, tmp_path):
    """Sentinels at every entry into real work; an empty data directory; cwd in tmp."""
    import photonic_dfa.calibration.pipeline as pipeline
    import photonic_dfa.studies.scaling as scaling
    import photonic_dfa.training.lm as lm
    import photonic_dfa.training.trainer as trainer
    import photonic_dfa.training.transformer as transformer
    from photonic_dfa.base import tasks

    monkeypatch.setattr(subprocess, "run", _work("a download (subprocess)"))
    monkeypatch.setattr(trainer.Trainer, "__init__", _work("MNIST training"))
    monkeypatch.setattr(lm, "train_lm", _work("Transformer training"))
    monkeypatch.setattr(transformer, "generate", _work("sampling"))
    monkeypatch.setattr(pipeline, "calibrate", _work("calibration"))
    monkeypatch.setattr(tasks, "run_tasks", _work("grid tasks"))
    monkeypatch.setattr(scaling, "run_tasks", _work("grid tasks"))
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PHOTONIC_DFA_DATA", str(data))
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return tmp_path


def _alarm(signum, frame):
    raise Hang(f"no answer within {HANG_BOUND} s")


@pytest.mark.parametrize("case_id, line, expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_error(case_id, line, expected, files, guarded, capsys):
    out = guarded / "out"
    values = {k: v for k, v in files.items() if k != "root"}
    line = line.format(out=out, tmp=guarded, **values)
    argv = shlex.split(line)
    before = _tree(guarded) | _tree(files["root"])
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_BOUND)
    try:
        status = main(argv)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    captured = capsys.readouterr()
    err = captured.err
    assert status == 2, f"exit status {status}; stderr:\n{err}"
    assert "Traceback" not in err and "Traceback" not in captured.out
    errors = [l for l in err.splitlines() if ": error: " in l]
    assert len(errors) == 1, err
    for part in expected.split(" && "):  # every part must be named
        part = part.format(**values)
        assert part.lower() in errors[0].lower(), err
    after = _tree(guarded) | _tree(files["root"])
    written = sorted(p for p in after - before if out not in (p, *p.parents))
    assert not written, f"written outside --out: {written}"


def test_corpus_size():
    """The issue asks for at least 150 bad inputs, every subcommand among them."""
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES)
    commands = {shlex.split(c[1])[0] for c in CASES}
    assert {"ring", "mac-error", "calibrate", "sweep", "train", "lm", "demo", "perf",
            "layout", "config", "data", "sample", "scaling"} <= commands
