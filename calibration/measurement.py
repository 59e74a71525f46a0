"""What calibration may touch: the instrument interface of a chip, and batched helpers.

Calibration sees a chip only through :class:`MeasurableChip`: its data sheet
(:attr:`design`) and readings of the M balanced detectors for chosen inputs and heater
powers. It never reads the chip's hidden state; every procedure in this package works on
any object with these members (tests run them on a proxy exposing nothing else).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.arrays import FloatArray

if TYPE_CHECKING:
    from photonic_dfa.circuits.weight_bank import WeightBank

__all__ = ["MeasurableChip", "DataSheet", "one_hot_sweeps", "measure_weight_matrix",
           "applied_powers", "LONG_AVERAGE"]

#: Detector samples per reading for stages that take few readings (lookup, closed loop,
#: drift): 4096 samples are 0.4 us at 10 GS/s, far below a heater's settling time.
LONG_AVERAGE = 4096


class DataSheet(Protocol):
    """What calibration reads of a chip's published design (e.g.
    :class:`photonic_dfa.architecture.fabricated.DesignInfo`): never its hidden truth."""

    @property
    def channel_wavelengths(self) -> FloatArray: ...

    @property
    def max_heater_power(self) -> float: ...

    @property
    def heater_lsb(self) -> float: ...

    @property
    def linewidth_power(self) -> float: ...

    @property
    def branch_power(self) -> float: ...

    @property
    def design_bank(self) -> WeightBank: ...


@runtime_checkable
class MeasurableChip(Protocol):
    """The measurement API (see :class:`photonic_dfa.architecture.fabricated.FabricatedChip`)."""

    @property
    def design(self) -> DataSheet: ...

    @property
    def n_inputs(self) -> int: ...

    @property
    def n_outputs(self) -> int: ...

    @property
    def measurement_count(self) -> int: ...

    def measure(self, inputs: ArrayLike, heater_powers: ArrayLike, samples: int | None = None
                ) -> FloatArray: ...


def one_hot_sweeps(chip: MeasurableChip, channels: ArrayLike, powers: FloatArray,
                   samples: int | None = None) -> FloatArray:
    """Readings ``(B, M)`` for a batch: channel ``channels[b]`` alone lit at full
    intensity, heater powers ``powers[b]`` ``(B, M, N)``."""
    ch = np.asarray(channels, dtype=int)
    x = np.zeros((ch.shape[0], chip.n_inputs))
    x[np.arange(ch.shape[0]), ch] = 1.0
    return chip.measure(x, powers, samples)


def measure_weight_matrix(chip: MeasurableChip, heater_powers: FloatArray,
                          samples: int | None = None) -> FloatArray:
    """Measured effective weights ``(M, N)`` at heater powers ``(M, N)``: column k is the
    reading with channel k alone lit (N readings, all banks at once)."""
    n = chip.n_inputs
    p = np.broadcast_to(np.asarray(heater_powers, dtype=float), (n, chip.n_outputs, n))
    return one_hot_sweeps(chip, np.arange(n), p, samples).T


def applied_powers(chip: MeasurableChip, powers: FloatArray) -> FloatArray:
    """The powers the heater drivers really apply for commanded ``powers``: rounded to the
    data sheet's step ``design.heater_lsb`` (none if 0), within ``[0, max_heater_power]``.
    Sweeps record these, so a model is never fitted to powers the chip did not apply."""
    d = chip.design
    p = np.clip(np.asarray(powers, dtype=float), 0.0, d.max_heater_power)
    if d.heater_lsb > 0.0:
        p = np.clip(np.rint(p / d.heater_lsb) * d.heater_lsb, 0.0, d.max_heater_power)
    applied: FloatArray = p
    return applied
