"""The feedback core a training run asks for by its options.

By default a fabricated chip programmed through its calibration
(:func:`photonic_dfa.calibration.calibrated_core.calibrated_core`): training sees the chip
as the calibration left it. With ``drift_rate`` (K/sqrt(s) of chip time) its ambient
temperature random-walks while it computes (:class:`DriftingCore`), and with
``recalibrate_every`` it is re-calibrated for drift at that interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.architecture.digital import MatVecCore
from photonic_dfa.base.arrays import RealArray
from photonic_dfa.base.validation import check_int

if TYPE_CHECKING:
    from photonic_dfa.calibration.calibrated_core import CalibratedCore

__all__ = ["chip_core", "DriftingCore"]

#: products between updates of the drifting ambient (its random walk is sampled exactly at
#: these steps and held between them; each update re-evaluates the banks)
DRIFT_STEP = 10


class DriftingCore:
    """A calibrated fabricated chip whose ambient drifts while it computes.

    Chip time advances by the symbols each product takes, ``batch x row tiles x column
    tiles x passes / core.symbol_rate`` (row tiles are separate time slots of the banks,
    column tiles separate passes, the differential scheme two passes). Programming and
    re-calibration are taken to happen with the chip held (their readings,
    :attr:`ProgramInfo.measurement_time`, 3.9 ms for the MNIST feedback, do not advance
    the drift clock: counted, one re-programming would let the chip drift more than the
    3.0 ms all products of a 10-epoch run take). The ambient walks
    (:meth:`FabricatedChip.advance`, ``fabrication.drift_rate`` K/sqrt(s)) every
    :data:`DRIFT_STEP` products with the time elapsed; the programmed heaters hold their
    powers, so the realised weights drift. Every ``recalibrate_every`` products (0: never)
    the drift re-calibration runs and the feedback matrix is programmed again
    (:meth:`CalibratedCore.recalibrate`).

    What drift does here is mostly to the offset reference: held from programming, it no
    longer matches the drifted bank, and the mismatch is a per-output bias of random sign
    (on the default calibrated chip about 0.03 max|e| per mK of ambient change, measured
    in the README), which drives some hidden units to grow without bound (the Gaussian
    model with mean -0.03 diverges the same way). Re-programming re-measures it.
    """

    def __init__(self, core: CalibratedCore, recalibrate_every: int = 0,
                 step: int = DRIFT_STEP) -> None:
        self.core = core
        self.recalibrate_every = check_int("recalibrate_every", recalibrate_every, 0)
        self.step = check_int("step", step, 1)
        self.products = 0
        self._pending = 0.0
        self._symbols_per_sample = 0
        #: chip time of every ambient update so far: with the products count it replays
        #: the drift (and its re-calibrations) exactly on a fresh chip of the same seed
        self.advances: list[float] = []

    @property
    def chip_time(self) -> float:
        """Chip time elapsed (the fabricated chip's clock), s."""
        return self.core.chip.time + self._pending

    def program(self, weights: ArrayLike) -> object:
        info = self.core.program(weights)
        r_t, c_t = info.tiles
        passes = 2 if self.core.config.core.signed_inputs == "differential" else 1
        self._symbols_per_sample = r_t * c_t * passes
        return info

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | None = None) -> RealArray:
        y = self.core.matvec(x, gate=gate, rng=rng)
        self.products += 1
        self._pending += (np.shape(x)[0] * self._symbols_per_sample
                          / self.core.config.core.symbol_rate)
        if self.products % self.step == 0:
            self.core.advance(self._pending)
            self.advances.append(self._pending)
            self._pending = 0.0
        if self.recalibrate_every and self.products % self.recalibrate_every == 0:
            self.core.recalibrate()
        return y

    def state(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """What a checkpoint needs to restore the drifted chip (:meth:`load_state`)."""
        return ({"drift_advances": np.array(self.advances, dtype=float)},
                {"drift_products": self.products, "drift_pending": self._pending,
                 "drift_recalibrate_every": self.recalibrate_every, "drift_step": self.step})

    def load_state(self, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> None:
        """Bring a fresh, programmed core (same chip seed and options) to the state
        :meth:`state` saved: the ambient updates and re-calibrations replayed in their
        order, so the chip's own random streams (drift walk, reading noise) are where an
        uninterrupted run would have them. The products themselves are not repeated (the
        detector noise of the feedback comes from the training's own generator)."""
        if self.products or self.advances:
            raise RuntimeError("drift state can only be loaded into a fresh core")
        if "drift_products" not in meta or "drift_advances" not in arrays:
            raise ValueError("checkpoint has no drift state, but the chip drifts: it was "
                             "made by a run without --drift-rate/--recalibrate-every")
        if (int(meta["drift_recalibrate_every"]) != self.recalibrate_every
                or int(meta["drift_step"]) != self.step):
            raise ValueError("checkpoint drift schedule differs from this run's "
                             f"(recalibrate every {meta['drift_recalibrate_every']} vs "
                             f"{self.recalibrate_every})")
        advances = [float(v) for v in np.asarray(arrays["drift_advances"], dtype=float)]
        products = int(meta["drift_products"])
        if len(advances) != products // self.step:
            raise ValueError(f"checkpoint drift state is inconsistent: {len(advances)} "
                             f"ambient updates for {products} products")
        for k in range(1, products + 1):
            if k % self.step == 0:
                self.core.advance(advances[k // self.step - 1])
            if self.recalibrate_every and k % self.recalibrate_every == 0:
                self.core.recalibrate()
        self.products, self.advances = products, advances
        self._pending = float(meta["drift_pending"])

    @property
    def adc_clipped(self) -> int:
        return self.core.adc_clipped


def chip_core(options: Mapping[str, Any] | None = None, fab_seed: int = 0) -> MatVecCore:
    """The feedback core training options ask for (see
    :func:`photonic_dfa.training.feedback.chip_config` for the configuration keys): the
    error-free core with ``ideal``, the design chip programmed by its model inverse with
    ``design``, else a chip fabricated from ``fab_seed`` (option ``fab_seed`` overrides it)
    as the chip file's ``[fabrication]`` table says, programmed through its calibration.
    Options ``drift_rate`` (K/sqrt(s) of chip time, default 0: a frozen chip) and
    ``recalibrate_every`` (products between drift re-calibrations, default 0: never) make
    the fabricated chip drift (:class:`DriftingCore`)."""
    from .feedback import chip_config

    opts = dict(options or {})
    design = bool(opts.pop("design", False))
    fab_seed = int(opts.pop("fab_seed", fab_seed))
    drift_rate = float(opts.pop("drift_rate", 0.0))
    recal = int(opts.pop("recalibrate_every", 0))
    cfg = chip_config(opts)
    if design or opts.get("ideal"):
        if drift_rate or recal:
            raise ValueError("drift_rate and recalibrate_every need the fabricated chip "
                             "(not design or ideal)")
        from photonic_dfa.architecture.core import PhotonicMVM

        return PhotonicMVM(cfg)
    from photonic_dfa.architecture.fabricated import FabricationSpec
    from photonic_dfa.calibration.calibrated_core import calibrated_core

    spec = FabricationSpec()
    if opts.get("toml"):  # the chip file's [fabrication] table, as calibrate reads it
        from photonic_dfa.architecture.fabricated import load_chip_toml

        spec = load_chip_toml(opts["toml"])[1]
    if not drift_rate and not recal:
        return calibrated_core(cfg, fab_seed, spec)
    core = calibrated_core(cfg, fab_seed, replace(spec, drift_rate=drift_rate))
    return DriftingCore(core, recal)
