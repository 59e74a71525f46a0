"""The result of calibrating a chip: what was measured, and heater powers for any matrix.

A :class:`CalibrationResult` holds every stage's measurements and models (resonance fits,
crosstalk matrix, weight lookup tables) and the rings found faulty. It maps a target
matrix of effective weights ``(M, N)`` (or tiles ``(..., M, N)``) to heater powers with
the model of a chosen stage:

- ``"resonance"``: each ring's Lorentzian inverted on its red branch, in its own heater
  power, the neighbours' heat taken as it was during the fit;
- ``"crosstalk"``: the same in equivalent power, compensated through ``C P = u``;
- ``"lookup"`` (default): the measured weight curves inverted, compensated through ``C``.

A ring with a dead heater, an unreachable resonance or a channel blocked by another
ring's resonance has a fixed weight (the level it
reads); a target it cannot give raises :class:`FlaggedRingError` naming the bank and ring
(``allow_flagged=True`` programs the others and leaves it parked). Targets outside a
working ring's measured range are clipped and counted, never silently.

Files: :func:`photonic_dfa.base.atomic.save_npz_checked` (versioned, sha256-checked); a
truncated or corrupt file raises :class:`~photonic_dfa.base.atomic.CorruptFileError`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from photonic_dfa.base.arrays import BoolArray, FloatArray
from photonic_dfa.base.atomic import load_npz_checked, save_npz_checked
from photonic_dfa.base.validation import check_array

from .crosstalk import powers_for_equivalent
from .lorentzian import lorentzian_inverse
from .resonance_search import ResonanceFit
from .weight_lookup import WeightLookup, lookup_equivalent, resonance_equivalent

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from photonic_dfa.architecture.core import PhotonicMVM, ProgramInfo

    from .crosstalk import CrosstalkEstimate
    from .measurement import DataSheet

__all__ = ["CalibrationResult", "FlaggedRingError", "STAGES", "FILE_KIND", "FILE_VERSION"]

FILE_KIND = "calibration"
FILE_VERSION = 1
STAGES = ("resonance", "crosstalk", "lookup")


class FlaggedRingError(ValueError):
    """A target needs a weight that a faulty ring (dead heater, unreachable resonance)
    cannot give."""


_ARRAYS = (
    "p0", "gamma", "amplitude", "baseline", "p0_stderr", "found", "stuck", "context",
    "sweep_powers", "sweep_readings", "crosstalk", "crosstalk_step", "u_samples",
    "w_samples", "u_table", "w_table", "w_min", "w_max", "park", "dead_heater",
    "unreachable", "blocked", "drift_shift",
)


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """Calibration of an ``(M, N)`` chip (module docstring). Arrays are over rings
    ``(M, N)`` unless said; powers in W."""

    p0: FloatArray
    gamma: FloatArray
    amplitude: FloatArray
    baseline: FloatArray
    p0_stderr: FloatArray
    found: BoolArray
    stuck: FloatArray
    context: FloatArray
    sweep_powers: FloatArray  # (M, N, G)
    sweep_readings: FloatArray  # (M, N, G)
    crosstalk: FloatArray  # (M, N, N)
    crosstalk_step: FloatArray
    u_samples: FloatArray  # (M, N, G)
    w_samples: FloatArray
    u_table: FloatArray  # (M, N, T)
    w_table: FloatArray
    w_min: FloatArray
    w_max: FloatArray
    park: FloatArray
    dead_heater: BoolArray
    unreachable: BoolArray
    blocked: BoolArray
    drift_shift: FloatArray
    max_heater_power: float
    heater_lsb: float
    measurements: dict[str, int] = field(default_factory=dict)
    meta: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        m, n = np.shape(self.p0)
        for name in _ARRAYS:
            a = np.asarray(getattr(self, name))
            if a.shape[:2] != (m, n):
                raise ValueError(f"{name} must have leading shape ({m}, {n}), got {a.shape}")
            object.__setattr__(self, name, a)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_stages(cls, fit: ResonanceFit, crosstalk: CrosstalkEstimate, lookup: WeightLookup,
                    design: DataSheet, measurements: dict[str, int] | None = None,
                    meta: Mapping[str, object] | None = None) -> CalibrationResult:
        """Assemble a result. Rings without a resonance are classified by what was
        measured: a heater that shifts no neighbour (less than a tenth of the chip's
        typical nearest-neighbour coupling) is dead; a working heater whose channel reads
        a dropped weight (above 0: another ring's resonance sits on it) has its channel
        blocked; otherwise its resonance is out of reach."""
        c = crosstalk.matrix
        m, n = fit.p0.shape
        off = np.abs(c) * (1.0 - np.eye(n))[None]
        effect = off.max(axis=1)  # column max: ring k's heater on anyone else
        if n > 1:
            rows = np.concatenate([np.diagonal(c, 1, 1, 2)[fit.found[:, :-1]],
                                   np.diagonal(c, -1, 1, 2)[fit.found[:, 1:]]])
            typical = float(np.median(np.abs(rows))) if rows.size else 0.0
            dead = ~fit.found & (effect < 0.1 * typical)
        else:
            dead = np.zeros((m, n), dtype=bool)  # one ring: no neighbour to tell
        level = np.mean(lookup.w_samples, axis=-1)
        blocked = ~fit.found & ~dead & (level > 0.0)
        unreachable = ~fit.found & ~dead & ~blocked
        return cls(
            p0=fit.p0, gamma=fit.gamma, amplitude=fit.amplitude, baseline=fit.baseline,
            p0_stderr=fit.p0_stderr, found=fit.found, stuck=fit.stuck, context=fit.context,
            sweep_powers=fit.sweep_powers, sweep_readings=fit.sweep_readings,
            crosstalk=c, crosstalk_step=crosstalk.delta_power, u_samples=lookup.u_samples,
            w_samples=lookup.w_samples, u_table=lookup.u_table, w_table=lookup.w_table,
            w_min=lookup.w_min, w_max=lookup.w_max, park=lookup.park, dead_heater=dead,
            unreachable=unreachable, blocked=blocked, drift_shift=np.zeros((m, n)),
            max_heater_power=float(design.max_heater_power),
            heater_lsb=float(design.heater_lsb), measurements=dict(measurements or {}),
            meta=dict(meta or {}))

    # ------------------------------------------------------------------ figures
    @property
    def shape(self) -> tuple[int, int]:
        """``(M, N)``: banks, channels."""
        return tuple(self.p0.shape)

    @property
    def working(self) -> BoolArray:
        """Rings with a resonance in reach and a working heater ``(M, N)``."""
        return self.found & ~self.dead_heater & ~self.unreachable & ~self.blocked

    @property
    def weight_range(self) -> tuple[float, float]:
        """``(w_lo, w_hi)``: the weights every working ring reaches (measured)."""
        ok = self.working
        if not ok.any():
            return 0.0, 0.0
        return float(self.w_min[ok].max()), float(self.w_max[ok].min())

    @property
    def symmetric_weight_range(self) -> float:
        """Largest ``s`` with ``[-s, s]`` inside :attr:`weight_range` (0 if none)."""
        lo, hi = self.weight_range
        return max(0.0, min(-lo, hi))

    @property
    def flagged(self) -> list[dict[str, object]]:
        """Faulty rings: ``{"bank", "ring", "fault", "weight"}`` (``weight``: the fixed
        weight the ring's channel reads)."""
        out = []
        for kind, mask in (("dead heater", self.dead_heater),
                           ("unreachable resonance", self.unreachable),
                           ("channel blocked by another resonance", self.blocked)):
            for j, k in zip(*np.nonzero(mask)):
                out.append({"bank": int(j), "ring": int(k), "fault": kind,
                            "weight": float(self.fixed_weight[j, k])})
        return sorted(out, key=lambda d: (d["bank"], d["ring"]))

    @property
    def fixed_weight(self) -> FloatArray:
        """The weight a faulty ring's channel reads with the others parked ``(M, N)``
        (mean of its lookup sweep, which no heater power changed)."""
        mean: FloatArray = np.mean(self.w_samples, axis=-1)
        return mean

    @property
    def total_measurements(self) -> int:
        return int(sum(self.measurements.values()))

    # ------------------------------------------------------------------ programming
    def equivalent_for(self, targets: ArrayLike, stage: str = "lookup") -> FloatArray:
        """Equivalent powers ``u`` ``(..., M, N)`` for target weights (``"crosstalk"`` or
        ``"lookup"`` models)."""
        t = self._targets(targets)
        if stage == "lookup":
            return lookup_equivalent(self.lookup, t)
        if stage == "crosstalk":
            u0 = resonance_equivalent(self.resonance_fit, self.crosstalk)
            return lorentzian_inverse(t, u0, self._gamma, self._amplitude, self._baseline)
        raise ValueError(f"stage must be 'crosstalk' or 'lookup' here, got {stage!r}")

    def powers_for_equivalent(self, u: ArrayLike) -> FloatArray:
        """Heater powers for equivalent powers ``u`` ``(..., M, N)``: ``C P = u`` on working
        rings, faulty rings parked; clipped to ``[0, max_heater_power]``."""
        p = powers_for_equivalent(self.crosstalk, np.asarray(u, dtype=float),
                                  free=self.working, fixed=self.park)
        clipped: FloatArray = np.clip(p, 0.0, self.max_heater_power)
        return clipped

    def heater_powers_for(self, targets: ArrayLike, stage: str = "lookup",
                          allow_flagged: bool = False) -> FloatArray:
        """Heater powers ``(..., M, N)`` realising target effective weights ``(..., M, N)``.

        ``stage``: ``"resonance"``, ``"crosstalk"`` or ``"lookup"`` (module docstring).
        Working rings' targets outside their measured range are clipped (RuntimeWarning
        with the count); a faulty ring asked for another weight than its fixed one raises
        :class:`FlaggedRingError` unless ``allow_flagged``.
        """
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
        t = self._targets(targets)
        self._check_flagged(t, allow_flagged)
        ok = self.working
        lo = np.where(ok, self.w_min, -np.inf)
        hi = np.where(ok, self.w_max, np.inf)
        n_clip = int(np.count_nonzero(((t < lo) | (t > hi)) & ok))
        if n_clip:
            warnings.warn(f"{n_clip} target weight(s) outside their ring's measured range "
                          "were clipped", RuntimeWarning, stacklevel=2)
        t = np.clip(t, lo, hi)
        if stage == "resonance":
            p = lorentzian_inverse(t, self._p0, self._gamma, self._amplitude, self._baseline)
            p = np.where(ok, p, self.park)
            clipped: FloatArray = np.clip(p, 0.0, self.max_heater_power)
            return clipped
        return self.powers_for_equivalent(self.equivalent_for(t, stage))

    def program_hook(self, stage: str = "lookup", allow_flagged: bool = False
                     ) -> Callable[[FloatArray], FloatArray]:
        """A callable for ``PhotonicMVM.program(W, heater_powers=...)``: normalised target
        tiles ``(R, C, M, N)`` to heater powers."""
        return lambda tiles: self.heater_powers_for(tiles, stage, allow_flagged)

    def program(self, core: PhotonicMVM, weights: ArrayLike, stage: str = "lookup",
                allow_flagged: bool = False, *, scale: float | None = None,
                clip: bool = True) -> ProgramInfo:
        """Program ``core`` (a PhotonicMVM on the calibrated chip) with ``weights`` through
        this calibration; returns its ProgramInfo. The core should be built with
        ``weight_limit=self.symmetric_weight_range`` so it normalises matrices into the
        measured range."""
        return core.program(weights, heater_powers=self.program_hook(stage, allow_flagged),
                            scale=scale, clip=clip)

    # ------------------------------------------------------------------ stages as objects
    @property
    def resonance_fit(self) -> ResonanceFit:
        return ResonanceFit(
            p0=self.p0, gamma=self.gamma, amplitude=self.amplitude, baseline=self.baseline,
            p0_stderr=self.p0_stderr, rms_residual=np.zeros(self.shape), found=self.found,
            stuck=self.stuck, context=self.context, sweep_powers=self.sweep_powers,
            sweep_readings=self.sweep_readings, measurements=self.measurements.get(
                "resonance", 0))

    @property
    def lookup(self) -> WeightLookup:
        return WeightLookup(u_samples=self.u_samples, w_samples=self.w_samples,
                            u_table=self.u_table, w_table=self.w_table, w_min=self.w_min,
                            w_max=self.w_max, park=self.park,
                            measurements=self.measurements.get("lookup", 0))

    def shifted(self, shift: FloatArray, measurements: int = 0) -> CalibrationResult:
        """A copy whose weight curves and resonances moved by ``-shift`` ``(M, N)`` in
        equivalent power (a drift that warmed ring k by ``shift_k`` of its own heater)."""
        s = np.where(self.working, np.asarray(shift, dtype=float), 0.0)
        meas = dict(self.measurements)
        meas["drift"] = meas.get("drift", 0) + int(measurements)
        return replace(self, u_table=self.u_table - s[..., None],
                       u_samples=self.u_samples - s[..., None], p0=self.p0 - s,
                       drift_shift=self.drift_shift + s, measurements=meas)

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path) -> Path:
        """Write atomically with a checksum (:func:`save_npz_checked`)."""
        arrays = {name: np.asarray(getattr(self, name)) for name in _ARRAYS}
        meta = {"max_heater_power": self.max_heater_power, "heater_lsb": self.heater_lsb,
                "measurements": self.measurements, "meta": self.meta}
        return save_npz_checked(path, arrays, meta, FILE_KIND, FILE_VERSION)

    @classmethod
    def load(cls, path: str | Path) -> CalibrationResult:
        """Read :meth:`save`'s file; ``CorruptFileError`` if truncated, corrupt, or of
        another kind or version."""
        from photonic_dfa.base.atomic import CorruptFileError

        arrays, meta = load_npz_checked(path, FILE_KIND, FILE_VERSION)

        def bad(field: str, why: str) -> CorruptFileError:
            return CorruptFileError(f"{path}: calibration field {field!r} {why}")

        missing = [n for n in _ARRAYS if n not in arrays]
        if missing:
            raise CorruptFileError(f"{path}: calibration file lacks {', '.join(missing)}")
        for key in ("max_heater_power", "heater_lsb", "measurements", "meta"):
            if key not in meta:
                raise bad(key, "is missing")
        numbers = {}
        for key, low_open in (("max_heater_power", True), ("heater_lsb", False)):
            v = meta[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) \
                    or v < 0 or (low_open and v == 0):
                raise bad(key, f"must be a finite power {'> 0' if low_open else '>= 0'} W, "
                          f"got {v!r}")
            numbers[key] = float(v)
        if not isinstance(meta["measurements"], dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0
                for v in meta["measurements"].values()):
            raise bad("measurements", "must map stages to counts >= 0")
        if not isinstance(meta["meta"], dict):
            raise bad("meta", "must be a table")
        p0, found = arrays["p0"], arrays["found"]
        if p0.ndim != 2 or found.shape != p0.shape or found.dtype != bool:
            raise bad("found", f"must be a boolean array of p0's shape {p0.shape}")
        m, n = p0.shape
        if arrays["crosstalk"].shape != (m, n, n):
            raise bad("crosstalk", f"has shape {arrays['crosstalk'].shape}, expected "
                      f"{(m, n, n)}")
        for name in ("p0", "park"):
            a = arrays[name][found] if name == "p0" else arrays[name]
            if a.dtype.kind != "f" or not np.isfinite(a).all():
                raise bad(name, "must hold finite heater powers")
            if (a < 0).any():
                raise bad(name, f"holds a negative heater power ({float(a.min())!r} W)")
        if not np.isfinite(arrays["crosstalk"]).all():
            raise bad("crosstalk", "holds NaN or inf")
        try:
            return cls(**{k: arrays[k] for k in _ARRAYS},
                       max_heater_power=numbers["max_heater_power"],
                       heater_lsb=numbers["heater_lsb"],
                       measurements=dict(meta["measurements"]), meta=dict(meta["meta"]))
        except ValueError as exc:
            raise CorruptFileError(f"{path}: calibration {exc}") from None

    def equals(self, other: CalibrationResult, meta: bool = True) -> bool:
        """Field-by-field equality (arrays exactly, NaN equal to NaN); ``meta=False``
        ignores :attr:`meta` (wall-clock times)."""
        for f in fields(self):
            if f.name == "meta" and not meta:
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                if a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    return False
            elif a != b:
                return False
        return True

    # ------------------------------------------------------------------ internals
    @property
    def _p0(self) -> FloatArray:
        return np.where(self.found, self.p0, 0.0)

    @property
    def _gamma(self) -> FloatArray:
        return np.where(self.found, self.gamma, 1.0)

    @property
    def _amplitude(self) -> FloatArray:
        return np.where(self.found, self.amplitude, 1.0)

    @property
    def _baseline(self) -> FloatArray:
        return np.where(self.found, self.baseline, -1.0)

    def _targets(self, targets: ArrayLike) -> FloatArray:
        t = check_array("targets", targets)
        if t.ndim < 2 or t.shape[-2:] != self.shape:
            raise ValueError(f"targets must have shape (..., {self.shape[0]}, "
                             f"{self.shape[1]}), got {t.shape}")
        return t

    def _check_flagged(self, t: FloatArray, allow: bool) -> None:
        bad = ~self.working
        if allow or not bad.any():
            return
        # tolerance: a twentieth of the common range (a fixed weight that close is usable)
        lo, hi = self.weight_range
        tol = 0.05 * max(hi - lo, 1e-9)
        need = np.abs(t - self.fixed_weight) > tol
        hit = need & bad
        if hit.any():
            j, k = (int(v) for v in np.argwhere(hit.reshape(-1, *self.shape).any(axis=0))[0])
            kind = ("dead heater" if self.dead_heater[j, k] else
                    "unreachable resonance" if self.unreachable[j, k] else
                    "channel blocked" if self.blocked[j, k] else "no resonance fit")
            raise FlaggedRingError(
                f"bank {j} ring {k} ({kind}) is fixed at weight "
                f"{self.fixed_weight[j, k]:.4g}; a target needs "
                f"{float(t[..., j, k][hit[..., j, k]].flat[0]):.4g}. "
                f"{int(hit.sum())} target(s) need faulty rings; avoid them or pass "
                "allow_flagged=True")
