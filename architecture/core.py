"""Broadcast-and-weight matrix-vector core (Tait et al., Sci. Rep. 7, 7430 (2017);
Filipovich et al., Optica 9, 1323 (2022)).

Signal chain for one symbol (one input vector ``x``, one physical tile of N channels by M
banks), every stage switchable through :class:`~photonic_dfa.architecture.config.ErrorConfig`:

1. digital: ``u = x / s_x`` with ``s_x = max|x|`` of each sample
   (``core.input_scaling = "sample"``, default) or of the whole batch (``"batch"``),
   undone at the end;
2. signed inputs, **offset** scheme (default): ``v = (u + 1) / 2`` on one pass, the bank
   output minus a reference ``ref_j`` (the same bank's output for ``u = 0``, measured at
   programming time through the noisy detectors and the ADC, averaged over
   ``bank.measure_readings`` conversions, :meth:`PhotonicMVM._measure`) gives
   ``sum_k w_jk u_k``; **differential**: two passes
   with ``v+ = max(u, 0)`` and ``v- = max(-u, 0)``, outputs subtracted digitally; twice the
   time (MAC/s halved in :mod:`~photonic_dfa.architecture.performance`), but the modulator's
   finite-extinction offset cancels without a reference and no light idles at mid level;
3. DAC + modulator: pre-distorted drive quantised to ``dac.bits`` (the realised
   transmission of every code is tabulated once from the modulator model), ``t in
   [T_min, T_max]``; without ``modulator_extinction`` an ideal ``t = v``;
4. optics: ``p_k = P_k eta t_k (1 + eps_k)``, ``P_k`` the (spread) line power, ``eta`` the
   link and 1/M broadcast loss, ``eps_k ~ N(0, RIN B)`` per line and symbol (common to all
   banks, as a laser's intensity noise is; by default one draw per sample serves all row
   tiles of a taller matrix, with ``errors.rin_per_slot`` each row tile, another time
   slot, draws its own);
5. bank ``j``: drop and through powers ``T_drop,jk p_k`` and ``T_thru,jk p_k`` (realised
   transmissions of the programmed bank, tails included); balanced pair
   ``I = R sum_k (w_jk + m/2 s_jk) p_k`` with ``w = T_drop - T_thru``, ``s = T_drop + T_thru``,
   ``m`` the responsivity mismatch; shot ``2 q (R sum s p + 2 I_dark) B`` and thermal
   ``4 k T B / R_L`` noise;
6. TIA + ADC: ``V = G_j (I - c_j)`` quantised by a bipolar ADC; with ``adc.auto_range`` the
   gain and offset of bank ``j`` map its reachable output range, measured at programming
   from averaged readings with each input alone at full scale, onto the ADC full scale;
7. digital: ``y = s_W s_x (I_q - ref_j) / (R P eta (T_max - T_min) / 2)``; gated outputs
   (``gate`` False, the ReLU derivative applied at the detector) are zero.

With ``errors.isi`` (and its estimate above the fast-path threshold) steps 4-5 run through
the symbol-rate model of :mod:`~photonic_dfa.architecture.dynamics` instead of the static
product: each tile's batch is one symbol sequence in order, so inter-symbol interference
couples consecutive samples; receiver noise, ADC, reference and gate are unchanged.

Matrices larger than the core are tiled in time: row tiles use other banks' time slots;
the C column tiles of one output are summed according to ``core.accumulation``:

- ``"integrate"`` (default): a time-integrating receiver (Sludds et al., Science 378, 270
  (2022)) accumulates the photocharge of all C passes before one TIA + ADC conversion per
  output (per input sign in the differential scheme). The per-pass detector noises are
  independent Gaussians, so their sum is one Gaussian of summed variance: shot noise
  ``2 q R B sum_passes (s p)`` (linear in power, hence the same GEMM of the powers with the
  common mode ``s = T_drop + T_thru`` over all columns), thermal and dark noise ``C`` times
  the per-pass variance. RIN is drawn per laser line and pass (each pass is a different
  symbol; white intensity noise over ``B`` is uncorrelated between symbols) and common to
  all banks, as in the per-pass model; the approximation is that RIN is white and its
  intensity fluctuation is Gaussian and small (first order in ``eps``). The auto-ranged
  ADC maps the summed reachable range, so its LSB is C times that of one pass.
- ``"digitize"``: every pass is detected, converted and its partial output summed
  digitally (C conversions per output; :mod:`~photonic_dfa.architecture.performance`
  charges the ADC energy accordingly).

Weights are
normalised to the symmetric reachable range: ``W = s_W W_n`` with ``max|W_n| = margin *
w_lim``. The per-sample work is the encode kernel of :mod:`~._encode`, a product of the
powers with ``[w | s]`` per conversion group (``w`` only when neither shot noise nor
mismatch needs ``s``) and the detection kernel of :mod:`~._detect` (noise, ADC,
reference, gate, accumulation). Large products go to BLAS between the two kernels; small
ones (the DFA feedback) are computed inside the detection kernel, which also encodes and
may split the batch over :attr:`PhotonicMVM.threads`.
Products run in float32 when receiver noise or an ADC of <= 16 bits is on (their
rounding, ~1e-7 relative, is far below either), in float64 otherwise; memory is
O(batch (inputs + outputs)).

With every error off (:meth:`ChipConfig.ideal`) the realised weights are the normalised
targets exactly and the core returns ``W x`` to rounding: per element
``|y - W x| <= 1e-10 (|W| 1) max|x|``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numba
import numpy as np
from numpy.typing import ArrayLike
from scipy.constants import Boltzmann, elementary_charge
from scipy.special import ndtr

from photonic_dfa.base.arrays import FloatArray, IntArray, RealArray
from photonic_dfa.base.validation import check_array, check_int, check_scalar
from photonic_dfa.devices.photodetector import ADC

from ._detect import SMALL_PRODUCT, detect
from ._encode import encode_rows, rin_slabs
from .chip import build_bank, build_detector, build_modulator, channel_powers, link_transmission
from .config import ChipConfig
from .dynamics import DynamicOperands, symbol_timing

if TYPE_CHECKING:
    from photonic_dfa.circuits.weight_bank import WeightBank

__all__ = ["PhotonicMVM", "ProgramInfo", "Encoder"]

#: heater powers for :meth:`PhotonicMVM.program`: an ``(M, N)`` array (W) or a hook mapping the
#: target bank weights ``(M, N)`` to the powers that realise them
HeaterPowers = FloatArray | Callable[[FloatArray], FloatArray]

_NO_GATE = np.ones((1, 1), dtype=np.bool_)  # placeholder operand when no gate is given


@dataclass(frozen=True)
class ProgramInfo:
    """What :meth:`PhotonicMVM.program` did."""

    shape: tuple[int, int]
    tiles: tuple[int, int]
    scale: float
    n_clipped: int
    weight_rms_error: float
    weight_max_error: float
    #: detector readings taken to measure the offset reference and the auto-range (each
    #: a conversion of every bank of one row tile; ``bank.measure_readings`` per pattern)
    measurement_readings: int = 0
    #: symbols those readings took (a reading of an integrated group takes one per pass)
    measurement_symbols: int = 0
    #: chip time of those symbols at ``core.symbol_rate``, s
    measurement_time: float = 0.0


@dataclass(frozen=True)
class Encoder:
    """Input encoding ``v in [0, 1] -> t``: continuous ``t_min + v (t_max - t_min)`` or a
    DAC code table (``levels`` ascending, ``bounds`` the ``v`` thresholds between them)."""

    t_min: float
    t_max: float
    levels: FloatArray
    bounds: FloatArray
    continuous: bool
    #: ``start[m]`` = number of bounds <= ``m / len(start)``: the code search of a ``v`` in
    #: cell ``m`` starts there and steps over the few bounds inside the cell
    start: IntArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cells = np.arange(4 * (self.bounds.size + 1)) / (4.0 * (self.bounds.size + 1))
        object.__setattr__(self, "start", np.searchsorted(self.bounds, cells, side="right"))

    @classmethod
    def from_config(cls, cfg: ChipConfig) -> Encoder:
        """The chip's encoder. With a DAC in the offset scheme, ``v = 1/2`` (``u = 0``) is
        put at the centre of its code's cell (the code thresholds move by less than half a
        code): with an even number of codes mid-scale otherwise falls on a threshold, and
        every tiny negative input (the correct class's error of a well-classified sample)
        would round one code below the reference while tiny positive ones round onto it,
        a bias that does not shrink with the input."""
        enc = cls._from_config(cfg)
        if enc.continuous or cfg.core.signed_inputs != "offset" or enc.bounds.size == 0:
            return enc
        b = enc.bounds
        k0 = int(np.searchsorted(b, 0.5, side="right"))
        lo = b[k0 - 1] if k0 > 0 else 0.0
        hi = b[k0] if k0 < b.size else 1.0
        return cls(enc.t_min, enc.t_max, enc.levels, b + (0.5 - 0.5 * (lo + hi)), False)

    @classmethod
    def _from_config(cls, cfg: ChipConfig) -> Encoder:
        bits = cfg.dac.bits if cfg.errors.dac_quantization else None
        if cfg.errors.modulator_extinction:
            mod = build_modulator(cfg)
            t_min, t_max = mod.transmission_range
            if bits is None:
                return cls(t_min, t_max, np.zeros(0), np.zeros(0), True)
            # codes are voltages; tabulate their transmissions and the v where the rounded
            # pre-distorted drive switches code (midpoints in voltage, mapped back to v).
            step = mod.dac_step(bits)
            n = 2**bits
            volts = np.clip(np.arange(n) * step, 0.0, mod._swing)
            levels = mod.transmission(volts)
            mids = mod.transmission(np.clip((np.arange(n - 1) + 0.5) * step, 0.0, mod._swing))
            order = np.argsort(levels)
            levels = levels[order]
            mids = np.sort(mids)
            bounds = (mids - t_min) / (t_max - t_min)
            return cls(float(t_min), float(t_max), np.ascontiguousarray(levels),
                       np.ascontiguousarray(bounds), False)
        if bits is None:
            return cls(0.0, 1.0, np.zeros(0), np.zeros(0), True)
        n = 2**bits
        levels = np.arange(n) / (n - 1.0)
        bounds = (np.arange(n - 1) + 0.5) / (n - 1.0)
        return cls(0.0, 1.0, levels, bounds, False)

    def encode(self, v: FloatArray) -> FloatArray:
        """Transmission for ``v`` in [0, 1] (numpy reference of the kernel's encoding)."""
        v = np.clip(np.asarray(v, dtype=float), 0.0, 1.0)
        if self.continuous:
            return self.t_min + v * (self.t_max - self.t_min)
        return self.levels[np.searchsorted(self.bounds, v, side="right")]


@dataclass
class _Tile:
    """Programmed state of one column tile (all row tiles stacked): GEMM operand and
    per-bank constants."""

    c0: int
    nc: int
    ws: np.ndarray  # (nc, n_out) or (nc, 2 n_out): [w | s], a transposed C array
    ws_c: np.ndarray  # the same, C-ordered (for the small-problem kernel)
    const_i: np.ndarray  # (n_out,) A, idle (padding) channels' current
    const_s: np.ndarray  # (n_out,) W, idle channels' common-mode power (shot noise)
    ref: np.ndarray  # (n_out,) A, output for u = 0 (offset scheme)
    center: np.ndarray  # (n_out,) A
    gain: np.ndarray  # (n_out,) V/A
    pline: np.ndarray  # (nc,) W, line power at the banks of each column
    n_passes: int = 1  # column-block passes integrated into one conversion
    # ref, center and gain are measured through the noisy detectors (PhotonicMVM._measure),
    # never computed from the realised weights


class PhotonicMVM:
    """The simulated broadcast-and-weight core (module docstring for the model).

    Parameters
    ----------
    config:
        The chip; default :class:`ChipConfig()`.
    banks:
        ``None``: every bank is the design bank of ``config`` (identical rings). Or a
        sequence of M :class:`~photonic_dfa.circuits.weight_bank.WeightBank` of N channels,
        e.g. fabricated banks with variation; they need ``errors.weight_bank``.
    weight_limit:
        Symmetric bank weight ``w_lim`` to normalise matrices to (before
        ``bank.weight_margin``), e.g. a calibration's measured range; default the banks'
        model range (:attr:`WeightBank.symmetric_weight_range`).
    threads:
        Threads (numba's) the detection kernel of a small product may split a batch over
        (:attr:`threads`); results do not depend on it.
    """

    def __init__(self, config: ChipConfig | None = None,
                 banks: Sequence[WeightBank] | None = None,
                 weight_limit: float | None = None, *, threads: int = 1) -> None:
        self.threads = threads
        cfg = ChipConfig() if config is None else config
        if not isinstance(cfg, ChipConfig):
            raise ValueError(f"config must be a ChipConfig, got {type(cfg).__name__}")
        self.config = cfg
        self.n_inputs = cfg.core.n_inputs
        self.n_outputs = cfg.core.n_outputs
        e = cfg.errors
        if banks is not None:
            if not e.weight_bank:
                raise ValueError("banks were given but errors.weight_bank is off (ideal "
                                 "weights); switch it on to simulate these banks")
            banks = tuple(banks)
            if len(banks) != self.n_outputs:
                raise ValueError(f"banks must hold core.n_outputs={self.n_outputs} weight "
                                 f"banks, got {len(banks)}")
            for i, bk in enumerate(banks):
                if getattr(bk, "n_channels", None) != self.n_inputs:
                    raise ValueError(f"banks[{i}] must have core.n_inputs={self.n_inputs} "
                                     f"channels, got {getattr(bk, 'n_channels', None)!r}")
            self._banks: tuple[WeightBank, ...] | None = banks
        elif e.weight_bank:
            self._banks = (build_bank(cfg),)
        else:
            self._banks = None
        if weight_limit is not None:
            lim = check_scalar("weight_limit", weight_limit, 0.0, 1.0, low_inclusive=False)
        elif self._banks is not None:
            lim = min(bk.symmetric_weight_range for bk in self._banks)
            if lim <= 0:
                raise ValueError("the weight banks have no symmetric weight range")
        else:
            lim = 1.0
        self.weight_limit = lim * cfg.bank.weight_margin
        self.encoder = Encoder.from_config(cfg)
        self._eta = link_transmission(cfg)
        self.line_powers = channel_powers(cfg) * self._eta  # W per line at each bank
        self._p_nominal = cfg.laser.power_per_channel * self._eta
        self.detector = build_detector(cfg)
        d = cfg.detector
        self._resp = d.responsivity
        self._half_m = 0.5 * d.responsivity_mismatch if e.detector_mismatch else 0.0
        self._shot_a = 2.0 * elementary_charge * d.bandwidth * d.responsivity if e.shot else 0.0
        base = 0.0
        if e.shot:
            base += 4.0 * elementary_charge * d.dark_current * d.bandwidth
        if e.thermal:
            base += 4.0 * Boltzmann * d.temperature / d.load_resistance * d.bandwidth
        self._base_var = base
        self._noisy = self._shot_a > 0.0 or base > 0.0  # receiver noise drawn per output
        self._rin_sigma = (math.sqrt(10.0 ** (cfg.laser.rin_db_per_hz / 10.0) * d.bandwidth)
                           if e.rin else 0.0)
        self._differential = cfg.core.signed_inputs == "differential"
        self._passes = 2 if self._differential else 1
        self.adc = ADC(bits=cfg.adc.bits, full_scale=cfg.adc.full_scale)
        # single-precision products where receiver noise or a <= 16-bit ADC dominates the
        # ~1e-7 rounding; double precision otherwise (the ideal core is exact to 1e-10)
        lossy = (self._noisy or self._rin_sigma > 0.0
                 or (e.adc_quantization and cfg.adc.bits <= 16))
        self._dtype = np.float32 if lossy else np.float64
        self._groups: list[_Tile] = []
        # symbol-rate model (errors.isi, unless its ISI is negligible): replaces the static
        # product of the powers with the bank at the optics/detection step
        self.timing = symbol_timing(cfg)
        self._dyn: list[DynamicOperands] = []
        self._rng = np.random.default_rng(e.seed)
        # programming-time readings (reference, auto-range): their own stream, so that
        # measuring does not shift the run-time noise of a given seed
        self._meas_rng = np.random.default_rng([e.seed, 0x3EA5])
        self._batch_scaling = cfg.core.input_scaling == "batch"
        self._layout: tuple[np.ndarray, int, int] | None = None
        self._tiles: list[_Tile] = []
        self._shape: tuple[int, int] | None = None
        self.info: ProgramInfo | None = None
        self.realised: FloatArray | None = None
        self.heater_powers: FloatArray | None = None
        self.adc_clipped = 0

    @property
    def threads(self) -> int:
        """Threads a batch may be split over (at most numba's ``get_num_threads()``).

        1 by default: alongside multi-threaded BLAS, as in training, a second thread pool
        costs more than it gains. numba's OpenMP workers spin for milliseconds after each
        call and starve BLAS's own spinning workers (MNIST training with photonic feedback
        ran 2.8x slower than digital DFA with 2 threads on 2 cores, 1.2x with 1). Raise it
        where the core has the cores to itself: the MNIST-shape benchmark runs about 1.8x
        faster on 2 threads."""
        return self._threads

    @threads.setter
    def threads(self, n: int) -> None:
        self._threads = check_int("threads", n, 1, None)

    # ------------------------------------------------------------------ programming
    @property
    def programmed(self) -> bool:
        return self._shape is not None

    @property
    def scale(self) -> float:
        """``s_W``: the programmed matrix is ``s_W`` times the normalised bank weights."""
        if self.info is None:
            raise RuntimeError("the core is not programmed; call program(W) first")
        return self.info.scale

    def tile_grid(self, shape: tuple[int, int]) -> tuple[int, int]:
        """(row tiles, column tiles) for a matrix of ``shape`` ``(n_out, n_in)``."""
        return (math.ceil(shape[0] / self.n_outputs), math.ceil(shape[1] / self.n_inputs))

    def program(self, weights: ArrayLike, *, scale: float | None = None,
                heater_powers: HeaterPowers | None = None, clip: bool = True) -> ProgramInfo:
        """Program the target matrix ``weights`` ``(n_out, n_in)``.

        ``scale``: ``None`` normalises ``max|W|`` to ``margin * w_lim`` (``w_lim`` the
        banks' symmetric reachable weight); a fixed positive ``scale`` maps ``W / scale`` to
        bank weights, and entries beyond ``+-w_lim`` are clipped with a ``RuntimeWarning``
        and counted in :attr:`ProgramInfo.n_clipped` (``clip=False``: ``ValueError``).

        ``heater_powers`` (physical banks only) replaces the design inverse: an array
        ``(R, C, M, N)`` (row tile, column tile, bank, channel; ``(M, N)`` for one tile) or a
        callable mapping the normalised target tiles ``(R, C, M, N)`` to such powers (the
        calibration hook). The realised weights always come from the bank model.
        """
        w = check_array("weights", weights, ndim=2)
        n_out, n_in = w.shape
        if n_out == 0 or n_in == 0:
            raise ValueError(f"weights must be non-empty, got shape {w.shape}")
        lim = self.weight_limit
        wmax = float(np.max(np.abs(w)))
        if scale is None:
            s = wmax / lim if wmax > 0 else 1.0
        else:
            s = check_scalar("scale", scale, 0.0, None, low_inclusive=False)
        t = w / s
        over = np.abs(t) > lim * (1.0 + 1e-12)
        n_clipped = int(np.count_nonzero(over))
        if n_clipped:
            if not clip:
                raise ValueError(f"{n_clipped} weight(s) exceed the reachable range "
                                 f"+-{lim:.6g} * scale={s:.6g} (max |W| = {wmax:.6g}); "
                                 "raise scale or use clip=True")
            warnings.warn(f"{n_clipped} weight(s) beyond +-{lim:.6g} * scale clipped",
                          RuntimeWarning, stacklevel=2)
            t = np.clip(t, -lim, lim)
        if heater_powers is not None and self._banks is None:
            raise ValueError("heater_powers needs physical weight banks (errors.weight_bank)")
        n, m = self.n_inputs, self.n_outputs
        r_t, c_t = self.tile_grid(w.shape)
        padded = np.zeros((r_t * m, c_t * n))
        padded[:n_out, :n_in] = t
        tiles = padded.reshape(r_t, m, c_t, n).transpose(0, 2, 1, 3)  # (R, C, M, N)
        wr, sr = self._realise(tiles, heater_powers)
        full_w = wr.transpose(0, 2, 1, 3).reshape(r_t * m, c_t * n)[:n_out]
        full_s = sr.transpose(0, 2, 1, 3).reshape(r_t * m, c_t * n)[:n_out]
        err = full_w[:, :n_in] - t
        self._build_tiles(full_w, full_s, n_in)
        readings, symbols = self._measure_groups(r_t)
        self._shape = (n_out, n_in)
        self._layout = (tiles, n_out, n_in)
        self.realised = full_w[:, :n_in] * s
        self.adc_clipped = 0
        self.info = ProgramInfo(shape=(n_out, n_in), tiles=(r_t, c_t), scale=s,
                                n_clipped=n_clipped,
                                weight_rms_error=float(np.sqrt(np.mean(err * err))),
                                weight_max_error=float(np.max(np.abs(err))),
                                measurement_readings=readings, measurement_symbols=symbols,
                                measurement_time=symbols / self.config.core.symbol_rate)
        self._pack(s)
        return self.info

    def rebank(self, banks: Sequence[WeightBank]) -> None:
        """The chip's banks changed (e.g. its ambient temperature drifted) while the heaters
        hold their powers: the realised weights follow the new banks; the offset reference,
        TIA gains and ADC ranges measured at programming stay as they were, as on a real
        chip until it is programmed again."""
        if self._layout is None or self.heater_powers is None or self.info is None:
            raise RuntimeError("the core is not programmed; call program(W) first")
        banks = tuple(banks)
        if len(banks) != self.n_outputs:
            raise ValueError(f"banks must hold core.n_outputs={self.n_outputs} weight banks, "
                             f"got {len(banks)}")
        tiles, n_out, n_in = self._layout
        old = self._groups
        self._banks = banks
        wr, sr = self._realise(tiles, self.heater_powers)
        r_t, c_t = tiles.shape[:2]
        full_w = wr.transpose(0, 2, 1, 3).reshape(r_t * self.n_outputs, c_t * self.n_inputs)
        full_s = sr.transpose(0, 2, 1, 3).reshape(r_t * self.n_outputs, c_t * self.n_inputs)
        self._build_tiles(full_w[:n_out], full_s[:n_out], n_in)
        for g, o in zip(self._groups, old, strict=True):
            g.ref, g.center, g.gain = o.ref, o.center, o.gain
        self._cast_groups()
        self.realised = full_w[:n_out, :n_in] * self.info.scale
        self._pack(self.info.scale)

    def _realise(self, tiles: np.ndarray, heater_powers: HeaterPowers | None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Realised ``(w, s)`` per tile ``(R, C, M, N)``."""
        if self._banks is None:
            return tiles, np.ones_like(tiles)
        cfg = self.config
        solver = cfg.bank.solver
        banks = self._banks
        if heater_powers is None:
            if len(banks) == 1:
                p = banks[0].heater_powers_for_weights(tiles, solver=solver)
            else:
                p = np.empty_like(tiles)
                for j, bk in enumerate(banks):
                    p[:, :, j, :] = bk.heater_powers_for_weights(tiles[:, :, j, :], solver=solver)
        else:
            raw = heater_powers(tiles.copy()) if callable(heater_powers) else heater_powers
            p = check_array("heater_powers", raw, 0.0, None)
            if p.ndim == 2 and tiles.shape[:2] == (1, 1):
                p = p[None, None]
            if p.shape != tiles.shape:
                raise ValueError(f"heater_powers must have shape {tiles.shape} (row tile, "
                                 f"column tile, bank, channel), got {p.shape}")
        if cfg.errors.heater_quantization:
            pmax = cfg.heater.max_power
            lsb = pmax / (2.0**cfg.heater.dac_bits - 1.0)
            p = np.clip(np.rint(p / lsb) * lsb, 0.0, pmax)
        if len(banks) == 1:
            thru, drop = banks[0].channel_transmissions(p, solver)
        else:
            thru = np.empty_like(p)
            drop = np.empty_like(p)
            for j, bk in enumerate(banks):
                thru[:, :, j, :], drop[:, :, j, :] = bk.channel_transmissions(p[:, :, j, :],
                                                                              solver)
        self.heater_powers = p
        return drop - thru, drop + thru

    def _build_tiles(self, full_w: np.ndarray, full_s: np.ndarray, n_in: int) -> None:
        cfg = self.config
        n = self.n_inputs
        enc = self.encoder
        need_s = self._shot_a > 0.0 or self._half_m != 0.0
        resp, hm = self._resp, self._half_m
        t_idle = enc.t_min
        self._tiles = []
        for c0 in range(0, n_in, n):
            nc = min(n, n_in - c0)
            wt = full_w[:, c0:c0 + n]  # (n_out, N) incl. idle channels
            st = full_s[:, c0:c0 + n]
            pl = self.line_powers[: wt.shape[1]]
            coef = resp * (wt + hm * st) * pl  # A per unit transmission, (n_out, N)
            idle = slice(nc, n)
            const_i = coef[:, idle].sum(axis=1) * t_idle
            const_s = (st[:, idle] * pl[idle]).sum(axis=1) * t_idle
            # placeholders until measured (PhotonicMVM._measure)
            ref = np.zeros(wt.shape[0])
            center = np.zeros(wt.shape[0])
            gain = np.full(wt.shape[0], cfg.tia.transimpedance)
            # stored (K, nc) C-ordered and used transposed: OpenBLAS is much faster on
            # p @ ws.T than on a C-ordered (nc, K) operand when nc is small
            ws = np.concatenate([wt[:, :nc], st[:, :nc]], axis=0) if need_s else wt[:, :nc]
            wsc = np.ascontiguousarray(ws)
            self._tiles.append(_Tile(c0, nc, wsc.T, np.ascontiguousarray(wsc.T), const_i,
                                     const_s, ref, center, gain, pl[:nc].copy()))
        self._need_s = need_s
        if cfg.core.accumulation == "integrate" and len(self._tiles) > 1:
            self._groups = [self._integrated()]
        else:
            self._groups = list(self._tiles)
        if self.timing is not None:
            self._dyn = [self.timing.operands(full_w[:, t.c0:t.c0 + t.nc],
                                              full_s[:, t.c0:t.c0 + t.nc])
                         for t in self._groups]
        swing = enc.t_max - enc.t_min
        self._kout_base = 1.0 / (resp * self._p_nominal * swing
                                 * (1.0 if self._differential else 0.5))

    def _cast_groups(self) -> None:
        """The groups' product operands in the core's working precision."""
        if self._dtype != np.float64:
            self._groups = [replace(t, ws=np.ascontiguousarray(t.ws.T, dtype=self._dtype).T,
                                    ws_c=t.ws_c.astype(self._dtype)) for t in self._groups]

    def _measure_groups(self, row_tiles: int) -> tuple[int, int]:
        """Measure every conversion group's run-time constants through the noisy chip
        (:meth:`_measure`), then cast the operands; returns (readings, symbols)."""
        readings = symbols = 0
        for g in self._groups:
            n = self._measure(g)
            readings += n * row_tiles
            symbols += n * row_tiles * g.n_passes
        self._cast_groups()
        return readings, symbols

    def _adc_average(self, g: _Tile, t: np.ndarray, reads: int) -> np.ndarray:
        """The digital average of ``reads`` ADC conversions of group ``g`` at one input
        pattern ``t`` ``(1, nc)``, back in amps ``(n_out,)``.

        Drawn from its moments, not reading by reading: a reading is ``x + s Z`` in ADC
        codes (``s`` its noise std); where ``s >= 1`` the noise dithers the ADC, the code
        average is unbiased to ``exp(-2 pi^2 s^2) < 3e-9`` and each code has variance
        ``s^2 + 1/12`` (Widrow & Kollar, Quantization Noise (2008)); below, the mean and
        variance of the rounded, clipped code are summed exactly over the codes within
        8 of ``x``. The average of ``reads`` codes is then Gaussian with the code's mean
        and a variance over ``reads`` (central limit; exact for one noise-free reading).
        RIN's correlation across banks is not kept here."""
        mean, var = self._reading_stats(g, t)
        lsb_i = self.adc.lsb / g.gain  # A per code
        x = (mean[0] - g.center) / lsb_i
        sd = np.sqrt(var[0]) / lsb_i
        lo_c, hi_c = self.adc.code_range
        k = np.rint(x)[:, None] + np.arange(-8.0, 9.0)[None, :]
        s = np.maximum(sd, 1e-300)[:, None]
        p = ndtr((k + 0.5 - x[:, None]) / s) - ndtr((k - 0.5 - x[:, None]) / s)
        kc = np.clip(k, lo_c, hi_c)
        m1 = np.sum(p * kc, axis=1)
        m2 = np.sum(p * kc * kc, axis=1)
        dith = sd >= 1.0
        mu = np.where(dith, np.clip(x, lo_c, hi_c), m1)
        v = np.where(dith, sd * sd + 1.0 / 12.0, np.maximum(m2 - m1 * m1, 0.0))
        codes = mu + np.sqrt(v / reads) * self._meas_rng.standard_normal(mu.shape)
        out: np.ndarray = codes * lsb_i + g.center
        return out

    def _reading_stats(self, g: _Tile, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean current and single-symbol noise variance ``(P, n_out)`` of group ``g`` for
        transmission patterns ``t`` ``(P, nc)`` (shot, dark, thermal and RIN)."""
        n_out = g.const_i.shape[0]
        ws = g.ws_c
        w = ws[:, :n_out]
        s = ws[:, n_out:] if self._need_s else np.zeros_like(w)
        pl = g.pline[:, None]
        a = self._resp * (w + self._half_m * s) * pl
        mean = t @ a + g.const_i
        var = np.full_like(mean, self._base_var * g.n_passes)
        if self._shot_a > 0.0:
            var += self._shot_a * (t @ ((s + self._half_m * w) * pl) + g.const_s)
        if self._rin_sigma > 0.0:
            var += self._rin_sigma**2 * ((t * t) @ (a * a))
        return mean, var

    def _readings(self, g: _Tile, t: np.ndarray, reads: int, avg: int) -> np.ndarray:
        """``reads`` detector readings ``(reads, P, n_out)`` of group ``g`` for input
        transmission patterns ``t`` ``(P, nc)`` (line powers and idle channels as at run
        time), each the mean of ``avg`` symbols, before the ADC: the balanced current plus
        shot, dark and thermal noise (independent per bank) and RIN (per line and symbol,
        common to the banks), the same model the detection kernel draws from. Noise-free
        chips return the exact current (one reading)."""
        n_out = g.const_i.shape[0]
        ws = g.ws_c
        w = ws[:, :n_out]
        s = ws[:, n_out:] if self._need_s else np.zeros_like(w)
        pl = g.pline[:, None]
        a = self._resp * (w + self._half_m * s) * pl  # (nc, n_out) A per unit transmission
        mean = t @ a + g.const_i  # (P, n_out)
        if not (self._noisy or self._rin_sigma > 0.0):
            return mean[None]
        rng = self._meas_rng
        var = np.full_like(mean, self._base_var * g.n_passes)
        if self._shot_a > 0.0:
            var += self._shot_a * (t @ ((s + self._half_m * w) * pl) + g.const_s)
        out = mean + np.sqrt(var / avg) * rng.standard_normal((reads, *mean.shape))
        if self._rin_sigma > 0.0:
            z = rng.standard_normal((reads, *t.shape)) * (self._rin_sigma / math.sqrt(avg))
            out += (z * t) @ a
        return out

    def _measure(self, g: _Tile) -> int:
        """Set group ``g``'s TIA gain and ADC centre (``adc.auto_range``) and its offset
        reference from readings of its own detectors with known inputs, as a real chip must;
        returns the number of patterns times ``bank.measure_readings`` read.

        Auto-range: ``R`` = ``bank.measure_readings`` symbols averaged for all inputs at
        ``T_min`` (``r_0``) and for each input ``k`` alone at ``T_max`` (``r_k``); the
        reachable range of bank ``j`` is ``[r_0 + sum_k min(r_k - r_0, 0), r_0 + sum_k
        max(r_k - r_0, 0)]`` (the current is linear in the transmissions), mapped onto the
        ADC full scale. These readings are averaged before the ADC (at the TIA's fixed gain;
        the range needs only a few per cent). Reference (offset scheme): ``R`` conversions
        through the auto-ranged ADC of all inputs at ``u = 0``, their codes averaged
        digitally (the reference is subtracted after the ADC). Its error is the reading
        noise over ``sqrt(R)`` (plus the ADC's rounding where noise does not dither it);
        with noise off it is the exact (quantised) current, so the ideal core stays exact.
        """
        cfg = self.config
        enc = self.encoder
        reads = cfg.bank.measure_readings
        t_lo, t_hi, t_zero = (float(v) for v in enc.encode(np.array([0.0, 1.0, 0.5])))
        nc = g.ws_c.shape[0]
        patterns = 0
        if cfg.adc.auto_range:
            t = np.full((nc + 1, nc), t_lo)
            t[np.arange(1, nc + 1), np.arange(nc)] = t_hi
            r = self._readings(g, t, 1, reads)[0]
            d = r[1:] - r[0]
            lo = r[0] + np.minimum(d, 0.0).sum(axis=0)
            hi = r[0] + np.maximum(d, 0.0).sum(axis=0)
            g.center = 0.5 * (lo + hi)
            g.gain = cfg.adc.full_scale / np.maximum(0.5 * (hi - lo), 1e-30)
            patterns += nc + 1
        else:
            g.center = np.zeros_like(g.const_i)
            g.gain = np.full_like(g.const_i, cfg.tia.transimpedance)
        if self._differential:
            g.ref = np.zeros_like(g.const_i)
            return patterns * reads
        t0 = np.full((1, nc), t_zero)
        if not cfg.errors.adc_quantization:  # R analog readings: one Gaussian of var / R
            g.ref = self._readings(g, t0, 1, reads)[0, 0]
        else:
            g.ref = self._adc_average(g, t0, reads)
        return (patterns + 1) * reads

    def _pack(self, scale: float) -> None:
        """Per-group operands of :func:`~._detect.detect`, fixed once programmed."""
        lsb = self.adc.lsb
        lo, hi = self.adc.code_range
        kout = self._kout_base * scale
        self._packs = []
        for t in self._groups:
            g_lsb = t.gain / lsb
            k64 = np.stack([t.const_i, t.const_s, t.center, g_lsb, lsb / t.gain, t.ref,
                            t.center - t.ref])
            k32 = np.stack([t.const_s, t.const_i - t.center, g_lsb]).astype(np.float32)
            sc = np.array([self._half_m, self._resp, self._shot_a, self._base_var * t.n_passes,
                           lo, hi, kout], dtype=np.float64)
            self._packs.append((k64, k32, sc))
        self._tile_w: list[np.ndarray] = []
        if (self._rin_sigma > 0.0 and self.config.errors.rin_per_slot and self.timing is None
                and self._shape is not None and self._shape[0] > self.config.core.n_outputs):
            self._tile_weights()
        # the single-precision row needs float32 products and codes exact in float32
        self._fast32 = (self._noisy and self.config.errors.adc_quantization and self._need_s
                        and self._dtype == np.float32 and self.config.adc.bits <= 16)

    def _integrated(self) -> _Tile:
        """All column tiles as one time-integrated conversion: the photocharges of the
        passes add, so do their idle-channel currents; the per-pass shot noise sums to a
        Gaussian whose variance is linear in the summed common-mode power, the thermal and
        dark noise variances scale with the number of passes. Its reference and range are
        measured through the integrated conversion itself."""
        tiles = self._tiles
        ws_c = np.concatenate([t.ws_c for t in tiles], axis=0)  # (n_in, K)
        zeros = np.zeros_like(tiles[0].const_i)
        return _Tile(0, ws_c.shape[0], np.ascontiguousarray(ws_c.T).T, ws_c,
                     sum(t.const_i for t in tiles), sum(t.const_s for t in tiles),
                     zeros, zeros.copy(), np.ones_like(zeros),
                     np.concatenate([t.pline for t in tiles]), len(tiles))

    # ------------------------------------------------------------------ computing
    def _generator(self, rng: np.random.Generator | int | None) -> np.random.Generator:
        if rng is None:
            return self._rng
        if isinstance(rng, np.random.Generator):
            return rng
        if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
            return np.random.default_rng(int(rng))
        raise ValueError(f"rng must be None, a numpy Generator or a non-negative seed, "
                         f"got {rng!r}")

    def matvec(self, x: ArrayLike, gate: ArrayLike | None = None,
               rng: np.random.Generator | int | None = None) -> RealArray:
        """``W x`` for a batch ``x`` ``(batch, n_in)`` (or one vector ``(n_in,)``).

        ``gate``: optional boolean ``(batch, n_out)``; False outputs are zero (ReLU
        derivative applied at the detector). ``rng``: Generator or seed for this call;
        default the core's own generator (seeded by ``errors.seed``, advancing per call).
        """
        if self._shape is None:
            raise RuntimeError("the core is not programmed; call program(W) first")
        n_out, n_in = self._shape
        xa = check_array("x", x)
        single = xa.ndim == 1
        if single:
            xa = xa[None, :]
        if xa.ndim != 2 or xa.shape[1] != n_in:
            raise ValueError(f"x must have shape (batch, {n_in}) or ({n_in},) for the "
                             f"programmed ({n_out}, {n_in}) matrix, got {np.shape(x)}")
        xa = np.ascontiguousarray(xa, dtype=np.float64)
        nb = xa.shape[0]
        if gate is not None:
            g = np.asarray(gate)
            if g.dtype != np.bool_:
                raise ValueError(f"gate must be a boolean array, got dtype {g.dtype}")
            if single and g.ndim == 1:
                g = g[None, :]
            if g.shape != (nb, n_out):
                raise ValueError(f"gate must have shape ({nb}, {n_out}), got {g.shape}")
            g = np.ascontiguousarray(g)
            use_gate = True
        else:
            g = _NO_GATE
            use_gate = False
        s_x = np.empty(nb)
        inv_s = np.empty(nb)
        # one scale for the batch (the DAC reference, set once) or each sample's own max
        bscale = (float(np.max(np.abs(xa))) or 1.0) if self._batch_scaling else 0.0
        noisy = self._noisy
        if noisy or self._rin_sigma > 0.0:
            keys = self._generator(rng).bit_generator.random_raw(2 * len(self._groups))
        else:
            keys = np.zeros(2 * len(self._groups), dtype=np.uint64)
        enc = self.encoder
        adc_on = self.config.errors.adc_quantization
        # with errors.rin_per_slot each row tile (its own time slot) draws its own RIN
        # below (operands prepared by _pack); otherwise the encoding kernel's one draw per
        # sample serves all rows
        rin_tiles = bool(self._tile_w)
        rin_enc = 0.0 if rin_tiles else self._rin_sigma
        # the first group stores, later ones add: no zero-fill pass over the output
        out = np.empty((nb, n_out)) if self._groups else np.zeros((nb, n_out))
        # the fused kernel may use several threads; after a BLAS product it stays on one
        # thread, as BLAS's own threads still spin on the other cores for a while
        threads = min(self._threads, numba.get_num_threads())
        bufs: dict[int, np.ndarray] = {}
        clipped = 0
        for i, tile in enumerate(self._groups):
            pv = bufs.get(tile.nc)
            if pv is None:
                pv = bufs[tile.nc] = np.empty((self._passes * nb, tile.nc), dtype=self._dtype)
            k64, k32, sc = self._packs[i]
            fused = (pv.shape[0] * tile.nc * tile.ws.shape[1] < SMALL_PRODUCT
                     and self.timing is None and not rin_tiles)
            if fused:  # the kernel encodes each thread's samples itself
                gmat = pv
            else:
                encode_rows(xa, 0, nb, tile.c0, self._differential, enc.continuous,
                            enc.t_min, enc.t_max - enc.t_min, enc.bounds, enc.levels,
                            enc.start, tile.pline, rin_enc, keys[2 * i], s_x, inv_s,
                            pv, bscale)
                if self.timing is not None:  # each tile's batch is one symbol sequence
                    gmat = self._dyn[i].products(pv, nb, self._passes, self.n_inputs,
                                                 self._dtype)
                else:
                    # contiguous operand: a strided view would send matmul off its BLAS path
                    gmat = pv @ tile.ws
                    if rin_tiles:
                        self._add_row_tile_rin(gmat, pv, i, keys[2 * i])
            clipped += detect(pv, tile.ws_c, gmat, k64, k32, sc, nb, n_out, self._passes,
                              fused, self._need_s, noisy, adc_on, self._fast32,
                              keys[2 * i + 1], s_x, g, use_gate, out, i == 0,
                              threads if fused else 1, xa, inv_s, tile.c0,
                              self._differential, enc.continuous, enc.t_min,
                              enc.t_max - enc.t_min, enc.bounds, enc.levels, enc.start,
                              tile.pline, rin_enc, keys[2 * i], bscale)
        self.adc_clipped += clipped
        return out[0] if single else out

    __call__ = matvec

    def _add_row_tile_rin(self, gmat: RealArray, p: RealArray, i: int,
                          key: np.uint64) -> None:
        """Add each row tile's own RIN to the products ``gmat = p @ ws``: channel powers
        ``p (1 + sigma z_t)``, ``z_t`` standard normal and independent per row tile ``t``
        (the banks compute outputs ``t M .. (t + 1) M - 1`` in time slot ``t``), so the
        term ``sigma (p z_t) @ w_t`` on the weight columns. The common-mode columns keep
        the clean powers: RIN there changes only the shot-noise variance and the
        responsivity-mismatch term, both second order in ``sigma``. Tiles go through BLAS
        in slabs whose temporary stays within ``rows x (n_c + n_out)`` values."""
        tw = self._tile_w[i]  # (tiles, nc, M)
        tiles, nc, m = tw.shape
        rows = p.shape[0]
        n_out = self._shape[0] if self._shape is not None else 0
        slab = max(1, (nc + n_out) // max(nc, 1))
        for t0 in range(0, tiles, slab):
            c = min(slab, tiles - t0)
            q = np.empty((c, rows, nc), dtype=p.dtype)
            rin_slabs(q, p, self._rin_sigma, key, t0)
            r = np.matmul(q, tw[t0:t0 + c])
            for k in range(c):
                j0 = (t0 + k) * m
                j1 = min(j0 + m, n_out)
                gmat[:, j0:j1] += r[k, :, :j1 - j0]

    def _tile_weights(self) -> None:
        """Per group, its weight columns as ``(row tiles, n_c, M)`` (the last tile
        zero-padded): the operands of :meth:`_add_row_tile_rin`."""
        m = self.config.core.n_outputs
        n_out = self._shape[0] if self._shape is not None else 0
        tiles = -(-n_out // m)
        self._tile_w = []
        for g in self._groups:
            w = np.zeros((g.nc, tiles * m), dtype=g.ws_c.dtype)
            w[:, :n_out] = g.ws_c[:, :n_out]
            self._tile_w.append(np.ascontiguousarray(
                w.reshape(g.nc, tiles, m).transpose(1, 0, 2)))

    # ------------------------------------------------------------------ analysis
    def analytic_noise_std(self, x: ArrayLike) -> FloatArray:
        """Output noise std ``(batch, n_out)`` from the device model
        (:meth:`BalancedPhotodetector.noise_variance` on each bank's per-channel drop and
        through powers, summed over passes and column tiles), in output units. Exact for
        the switched-on shot, thermal and RIN noise without ADC quantisation."""
        if self._shape is None:
            raise RuntimeError("the core is not programmed; call program(W) first")
        xa = check_array("x", x, ndim=2)
        n_out, n_in = self._shape
        if self._batch_scaling:
            s_x = np.full(xa.shape[0], float(np.max(np.abs(xa))) or 1.0)
        else:
            s_x = np.max(np.abs(xa), axis=1)
            s_x[s_x == 0.0] = 1.0
        u = xa / s_x[:, None]
        v_sets = [np.maximum(u, 0.0), np.maximum(-u, 0.0)] if self._differential else \
            [0.5 * (u + 1.0)]
        det = self.detector
        e = self.config.errors
        var = np.zeros((xa.shape[0], n_out))
        for tile in self._tiles:
            nc = tile.nc
            w = tile.ws[:, :n_out].T  # (n_out, nc)
            if self._need_s:
                s = tile.ws[:, n_out:].T
            else:
                s = np.ones_like(w)  # no shot noise, no mismatch: s unused
            for v in v_sets:
                pw = self.encoder.encode(v[:, tile.c0:tile.c0 + nc]) * self.line_powers[:nc]
                pd = 0.5 * (s + w)[None] * pw[:, None, :]
                pt = 0.5 * (s - w)[None] * pw[:, None, :]
                br = det.noise_breakdown(pd, pt, channel_axis=-1)
                total = (br["shot"] if e.shot else 0.0) + (br["thermal"] if e.thermal else 0.0)
                total = total + (br["rin"] if e.rin else 0.0)
                if e.shot:
                    resp = det.detector.responsivity
                    total = total + 2 * elementary_charge * det.bandwidth * resp \
                        * tile.const_s[None, :]
                var += total
        return np.sqrt(var) * self._kout_base * self.info.scale * s_x[:, None]
