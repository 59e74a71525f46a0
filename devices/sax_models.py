"""SAX model functions of the devices with an optical response, and a local JAX x64 mode.

Every model is ``f(*, wl=..., **params) -> SDict`` (an SDict is a plain dict from port
pairs to complex arrays), vectorised over ``wl`` and evaluated with the same formulas as the
numpy device models (:mod:`._optics`), in ``jax.numpy``. :func:`sax_models` is the table to
hand to ``sax.circuit(netlist, models=sax_models())``.

Units follow SAX: wavelengths and lengths in micrometres (``wl``, ``wl0``, ``radius``,
``coupler_length``, ``length``, ``fsr``, ``wl_res``; ``resonance_shift_per_volt`` in um/V);
everything else as the device dataclasses (dB/cm, K, rad, V, dB). Defaults are the
dataclasses' defaults; :func:`model_settings` converts a device instance (SI) to a model's
keyword settings.

Ports: rings ``in``, ``through`` (and ``drop``, ``add``); two-ports ``in0``, ``out0`` (as
``sax.models.straight``). Every S-matrix is reciprocal and has no reflections.

Accuracy needs JAX's 64-bit mode: a round-trip phase of hundreds of cycles keeps ~1e-5 of
a cycle in float32. :func:`x64` enables it for a ``with`` block only (thread-local, restored
on exit, exceptions included); the models themselves never change JAX's configuration.
Convert results with ``numpy.asarray`` inside the block: JAX arithmetic on them after it
runs in float32.

Validation: parameters and ``wl`` that are concrete (Python or numpy numbers, concrete JAX
arrays) are checked, and a non-finite or out-of-range value raises ``ValueError`` naming it.
Traced values (inside ``jax.jit``, ``vmap``, ``grad``) cannot be checked: they pass
unchecked, and a bad value shows up as NaN or a meaningless response in the output.

Importing ``sax`` (through ``klujax``) switches JAX's x64 flag on and its platform to CPU,
process-wide; :func:`import_restoring_jax_config` imports a module and puts both back.
"""

from __future__ import annotations

import contextlib
import importlib
import math
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.validation import check_array

from . import _optics as _o
from .microring import AddDropRing, AllPassRing, _RingBase
from .modulator import MachZehnderModulator, RingModulator

__all__ = [
    "SDict",
    "UM",
    "x64",
    "import_restoring_jax_config",
    "all_pass_ring",
    "add_drop_ring",
    "waveguide",
    "ring_modulator",
    "mzm",
    "sax_models",
    "model_settings",
    "waveguide_settings",
]

#: An S-parameter dict as SAX defines it: ``{(port_in, port_out): complex array}``.
SDict = dict[tuple[str, str], Any]

#: metres per micrometre (SAX's length unit)
UM = 1e-6

_UM_RANGE = {k: (lo / UM, hi / UM) for k, (lo, hi) in _RingBase._RANGES.items()
             if k in ("radius", "coupler_length", "wavelength0")}
_WL_UM = _UM_RANGE["wavelength0"]
_DT_RANGE = (-1000.0, 1000.0)
_PHASE_RANGE = (-1e12, 1e12)
_VOLT_RANGE = (-1e4, 1e4)


@contextlib.contextmanager
def x64() -> Iterator[None]:
    """JAX float64/complex128 inside the ``with`` block only; the previous (thread-local)
    setting comes back on exit, also when the block raises."""
    import jax

    with jax.enable_x64(True):
        yield


def import_restoring_jax_config(name: str) -> ModuleType:
    """``importlib.import_module(name)``, then JAX's global ``jax_enable_x64`` and
    ``jax_platform_name`` set back to their values before the import (``klujax``, which
    ``sax`` imports, sets them process-wide)."""
    import jax

    x64_before = jax.enable_x64.get_global()
    platform_before = jax.config.values.get("jax_platform_name")
    try:
        return importlib.import_module(name)
    finally:
        if jax.enable_x64.get_global() != x64_before:
            jax.config.update("jax_enable_x64", x64_before)
        if jax.config.values.get("jax_platform_name") != platform_before:
            jax.config.update("jax_platform_name", platform_before)


# ------------------------------------------------------------------ validation
def _traced(value: Any) -> bool:
    import jax

    return isinstance(value, jax.core.Tracer)


def _check(name: str, value: Any, low: float, high: float, **kw: bool) -> Any:
    """``value`` as a checked float array if concrete; a traced value unchanged."""
    if _traced(value):
        return value
    return check_array(name, value, low, high, **kw)


def _concrete(*values: Any) -> bool:
    return not any(_traced(v) for v in values)


def _check_ring(length_m: Any, loss: Any, loop_gain: Callable[[Any], Any]) -> None:
    """The device models' joint checks: non-zero round trip, loop gain below 1."""
    if not _concrete(length_m, loss):
        return
    a = _o.round_trip_amplitude(np.asarray(loss), np.asarray(length_m), np)
    if np.any(a <= 0.0):
        raise ValueError(f"loss_db_per_cm={_fmt(loss)} with a round trip of {_fmt(length_m)} m "
                         "gives zero round-trip transmission; lower the loss or the size")
    gain = loop_gain(a)
    if gain is not None and np.any(gain >= 1.0):
        raise ValueError(f"couplings of 1 with loss_db_per_cm={_fmt(loss)} leave a lossless, "
                         "uncoupled ring (loop gain 1); couplings must be < 1 or the loss > 0")


def _fmt(value: Any) -> Any:
    return np.asarray(value).tolist()


def _reciprocal(s: SDict) -> SDict:
    return {**s, **{(b, a): v for (a, b), v in s.items()}}


def _ring_cycles(wl: Any, radius: Any, coupler_length: Any, n_eff: Any, n_g: Any, wl0: Any,
                 dn_dT: Any, delta_t: Any, phase: Any) -> tuple[Any, Any]:
    """Round-trip phase in cycles at ``wl`` (um) and the round-trip length in metres."""
    length_um = 2.0 * math.pi * radius + 2.0 * coupler_length
    p, q = _o.cycle_coefficients(length_um, n_eff, n_g, wl0, dn_dT, delta_t, phase)
    return p / wl + q, length_um * UM


def _ring_params(wl: Any, radius: Any, coupler_length: Any, loss_db_per_cm: Any, n_eff: Any,
                 n_g: Any, wl0: Any, dn_dT: Any, delta_t: Any, phase: Any) -> tuple[Any, ...]:
    wl = _check("wl", wl, *_WL_UM)
    radius = _check("radius", radius, *_UM_RANGE["radius"])
    coupler_length = _check("coupler_length", coupler_length, *_UM_RANGE["coupler_length"])
    rng = _RingBase._RANGES
    loss_db_per_cm = _check("loss_db_per_cm", loss_db_per_cm, *rng["loss_db_per_cm"])
    n_eff = _check("n_eff", n_eff, *rng["n_eff"])
    n_g = _check("n_g", n_g, *rng["n_g"])
    wl0 = _check("wl0", wl0, *_WL_UM)
    dn_dT = _check("dn_dT", dn_dT, *rng["dn_dT"])
    delta_t = _check("delta_t", delta_t, *_DT_RANGE)
    phase = _check("phase", phase, *_PHASE_RANGE)
    return wl, radius, coupler_length, loss_db_per_cm, n_eff, n_g, wl0, dn_dT, delta_t, phase


def _coupling(name: str, value: Any) -> Any:
    return _check(name, value, 0.0, 1.0, low_inclusive=False)


def _ring_loop(params: tuple[Any, ...], loop_gain: Callable[[Any], Any]) -> tuple[Any, Any]:
    """Checked ring parameters ``(wl, radius, coupler_length, loss_db_per_cm, n_eff, n_g, wl0,
    dn_dT, delta_t, phase)`` -> round-trip phase in cycles and round-trip amplitude ``a``."""
    import jax.numpy as jnp

    wl, radius, coupler_length, loss, n_eff, n_g, wl0, dn_dT, delta_t, phase = _ring_params(
        *params)
    cycles, length_m = _ring_cycles(wl, radius, coupler_length, n_eff, n_g, wl0, dn_dT,
                                    delta_t, phase)
    _check_ring(length_m, loss, loop_gain)
    return cycles, _o.round_trip_amplitude(loss, length_m, jnp)


# ------------------------------------------------------------------ models
def all_pass_ring(
    *,
    wl: ArrayLike = 1.55,
    radius: float = _RingBase.radius / UM,
    coupler_length: float = _RingBase.coupler_length / UM,
    loss_db_per_cm: float = _RingBase.loss_db_per_cm,
    n_eff: float = _RingBase.n_eff,
    n_g: float = _RingBase.n_g,
    wl0: float = _RingBase.wavelength0 / UM,
    dn_dT: float = _RingBase.dn_dT,
    r: float = AllPassRing.r,
    delta_t: float = 0.0,
    phase: float = 0.0,
) -> SDict:
    """All-pass ring (:class:`~.microring.AllPassRing`), ports ``in``, ``through``.

    ``t = (r - a e^{i phi}) / (1 - r a e^{i phi})``, ``a = exp(-alpha L / 2)``,
    ``L = 2 pi radius + 2 coupler_length``,
    ``phi = 2 pi n_eff(wl, dT) L / wl + phase``,
    ``n_eff(wl, dT) = n_eff - (n_g - n_eff)(wl - wl0) / wl0 + dn_dT dT``
    (Bogaerts et al., Laser Photonics Rev. 6, 47 (2012)). Lengths and ``wl`` in um.
    """
    import jax.numpy as jnp

    r = _coupling("r", r)
    cycles, a = _ring_loop((wl, radius, coupler_length, loss_db_per_cm, n_eff, n_g, wl0,
                            dn_dT, delta_t, phase), lambda a: r * a if _concrete(r) else None)
    return _reciprocal({("in", "through"): _o.all_pass_field(cycles, a, r, jnp)})


def add_drop_ring(
    *,
    wl: ArrayLike = 1.55,
    radius: float = _RingBase.radius / UM,
    coupler_length: float = _RingBase.coupler_length / UM,
    loss_db_per_cm: float = _RingBase.loss_db_per_cm,
    n_eff: float = _RingBase.n_eff,
    n_g: float = _RingBase.n_g,
    wl0: float = _RingBase.wavelength0 / UM,
    dn_dT: float = _RingBase.dn_dT,
    r1: float = AddDropRing.r1,
    r2: float = AddDropRing.r2,
    delta_t: float = 0.0,
    phase: float = 0.0,
) -> SDict:
    """Add-drop ring (:class:`~.microring.AddDropRing`), ports ``in``, ``through``, ``drop``,
    ``add``; ``r1`` couples the in/through bus, ``r2`` the drop/add bus.

    ``in -> through = (r1 - r2 a e^{i phi}) / (1 - x e^{i phi})``,
    ``add -> drop = (r2 - r1 a e^{i phi}) / (1 - x e^{i phi})``,
    ``in -> drop = add -> through = -k1 k2 sqrt(a) e^{i phi / 2} / (1 - x e^{i phi})``,
    ``x = r1 r2 a``, ``k = sqrt(1 - r^2)``; ``a`` and ``phi`` as :func:`all_pass_ring`
    (Bogaerts et al. 2012). ``in -> add`` and ``through -> drop`` are zero (one circulating
    mode per direction, no back-scattering).
    """
    import jax.numpy as jnp

    r1 = _coupling("r1", r1)
    r2 = _coupling("r2", r2)
    cycles, a = _ring_loop((wl, radius, coupler_length, loss_db_per_cm, n_eff, n_g, wl0,
                            dn_dT, delta_t, phase),
                           lambda a: r1 * r2 * a if _concrete(r1, r2) else None)
    t1, d, t2 = _o.add_drop_fields(cycles, a, r1, r2, jnp)
    return _reciprocal({("in", "through"): t1, ("in", "drop"): d, ("add", "drop"): t2,
                        ("add", "through"): d})


def waveguide(
    *,
    wl: ArrayLike = 1.55,
    length: float = 10.0,
    loss_db_per_cm: float = _RingBase.loss_db_per_cm,
    n_eff: float = _RingBase.n_eff,
    n_g: float = _RingBase.n_g,
    wl0: float = _RingBase.wavelength0 / UM,
    dn_dT: float = _RingBase.dn_dT,
    delta_t: float = 0.0,
) -> SDict:
    """Straight waveguide with the rings' dispersion and loss, ports ``in0``, ``out0``.

    ``exp(-alpha L / 2) exp(i 2 pi n_eff(wl, dT) L / wl)``, ``n_eff(wl, dT)`` and ``alpha``
    as :func:`all_pass_ring`; ``length`` and ``wl`` in um. Same sign of phase as the rings
    and ``sax.models.straight``.
    """
    import jax.numpy as jnp

    wl = _check("wl", wl, *_WL_UM)
    length = _check("length", length, *_UM_RANGE["coupler_length"])
    rng = _RingBase._RANGES
    loss = _check("loss_db_per_cm", loss_db_per_cm, *rng["loss_db_per_cm"])
    n_eff = _check("n_eff", n_eff, *rng["n_eff"])
    n_g = _check("n_g", n_g, *rng["n_g"])
    wl0 = _check("wl0", wl0, *_WL_UM)
    dn_dT = _check("dn_dT", dn_dT, *rng["dn_dT"])
    delta_t = _check("delta_t", delta_t, *_DT_RANGE)
    p, q = _o.cycle_coefficients(length, n_eff, n_g, wl0, dn_dT, delta_t, 0.0)
    cycles = _o.reduce_cycles(p / wl + q, jnp)
    # a ring's round-trip amplitude formula is the single-pass amplitude of any length
    amp = _o.round_trip_amplitude(loss, length * UM, jnp)
    return _reciprocal({("in0", "out0"): amp * jnp.exp(2j * math.pi * cycles)})


def ring_modulator(
    *,
    wl: ArrayLike = 1.55,
    voltage: float = 0.0,
    wl_res: float = 1.55,
    self_coupling: float = 0.98,
    round_trip_amplitude: float = 0.99,
    fsr: float = 0.01,
    resonance_shift_per_volt: float = 30e-6,
    insertion_loss_db: float = 0.0,
) -> SDict:
    """All-pass ring modulator (:class:`~.modulator.RingModulator`) at drive ``voltage``
    (V), ports ``in``, ``through``.

    ``sqrt(IL) (r - a e^{-i phi}) / (1 - r a e^{-i phi})`` with the device model's phase
    from resonance ``phi = 2 pi (delta - s V) / FSR``, ``delta = wl - wl_res`` (``wl_res``
    the resonance at 0 V), so ``|S|^2`` is its ``transmission(V)``. The device model gives
    powers only; the field's phase takes the rings' convention (:func:`all_pass_ring`):
    a longer wavelength lowers the round-trip phase, hence ``e^{-i phi}``. ``wl``,
    ``wl_res`` and ``fsr`` in um, ``resonance_shift_per_volt`` in um/V.
    """
    import jax.numpy as jnp

    wl = _check("wl", wl, *_WL_UM)
    voltage = _check("voltage", voltage, *_VOLT_RANGE)
    wl_res = _check("wl_res", wl_res, *_WL_UM)
    r = _check("self_coupling", self_coupling, 0.0, 1.0, low_inclusive=False,
               high_inclusive=False)
    a = _check("round_trip_amplitude", round_trip_amplitude, 0.0, 1.0, low_inclusive=False,
               high_inclusive=False)
    fsr = _check("fsr", fsr, 1e-12 / UM, 1e-6 / UM)
    shift = _check("resonance_shift_per_volt", resonance_shift_per_volt, -1e-9 / UM,
                   1e-9 / UM)
    il_db = _check("insertion_loss_db", insertion_loss_db, 0.0, 40.0)
    phi = _o.ring_modulator_phase(wl - wl_res, shift, voltage, fsr)
    field = _o.all_pass_field(-phi / (2.0 * math.pi), a, r, jnp)
    return _reciprocal({("in", "through"): 10.0 ** (-il_db / 20.0) * field})


def mzm(
    *,
    wl: ArrayLike = 1.55,
    voltage: float = 0.0,
    v_pi: float = 3.0,
    extinction_ratio_db: float = 25.0,
    insertion_loss_db: float = 3.0,
    bias_voltage: float = 0.0,
) -> SDict:
    """Mach-Zehnder modulator (:class:`~.modulator.MachZehnderModulator`) at drive
    ``voltage`` (V), ports ``in0``, ``out0``.

    ``sqrt(T(V))``, ``T = IL [eps + (1 - eps) cos^2(pi (V_bias + V) / (2 V_pi))]``,
    ``eps = 10^(-ER/10)``, ``IL = 10^(-IL_dB/10)``. The device model is an intensity
    transfer curve with no optical phase (nor chirp): the field is real and non-negative,
    the same at every ``wl``.
    """
    import jax.numpy as jnp

    wl = _check("wl", wl, *_WL_UM)
    voltage = _check("voltage", voltage, *_VOLT_RANGE)
    v_pi = _check("v_pi", v_pi, 1e-3, 1e3)
    er = _check("extinction_ratio_db", extinction_ratio_db, 0.0, 80.0, low_inclusive=False)
    il_db = _check("insertion_loss_db", insertion_loss_db, 0.0, 40.0)
    bias = _check("bias_voltage", bias_voltage, *_VOLT_RANGE)
    power = _o.mzm_power(voltage, v_pi, bias, 10.0 ** (-il_db / 10.0), 10.0 ** (-er / 10.0),
                         jnp)
    field = jnp.sqrt(power) + jnp.zeros(jnp.shape(wl))
    return _reciprocal({("in0", "out0"): field + 0j})


def sax_models() -> dict[str, Callable[..., SDict]]:
    """The model table for ``sax.circuit``: ``all_pass_ring``, ``add_drop_ring``,
    ``waveguide``, ``ring_modulator``, ``mzm``."""
    return {
        "all_pass_ring": all_pass_ring,
        "add_drop_ring": add_drop_ring,
        "waveguide": waveguide,
        "ring_modulator": ring_modulator,
        "mzm": mzm,
    }


# ------------------------------------------------------------------ settings from devices
def _ring_settings(ring: _RingBase, delta_t: float, phase: float) -> dict[str, float]:
    return {
        "radius": ring.radius / UM,
        "coupler_length": ring.coupler_length / UM,
        "loss_db_per_cm": ring.loss_db_per_cm,
        "n_eff": ring.n_eff,
        "n_g": ring.n_g,
        "wl0": ring.wavelength0 / UM,
        "dn_dT": ring.dn_dT,
        "delta_t": float(check_array("delta_t", delta_t, *_DT_RANGE, ndim=0)),
        "phase": float(check_array("phase", phase, *_PHASE_RANGE, ndim=0)),
    }


def model_settings(device: Any, *, delta_t: float = 0.0, phase: float = 0.0,
                   wavelength: float = 1.55e-6, voltage: float = 0.0) -> dict[str, float]:
    """Keyword settings of the model of ``device`` (SI dataclass) in the models' units.

    Rings take ``delta_t`` (K) and ``phase`` (rad); modulators take the drive ``voltage``
    (V), and a :class:`RingModulator` the laser ``wavelength`` (m) its ``detuning`` refers
    to (the model's ``wl_res = wavelength - detuning``).
    """
    if isinstance(device, AddDropRing):
        return {**_ring_settings(device, delta_t, phase), "r1": device.r1, "r2": device.r2}
    if isinstance(device, AllPassRing):
        return {**_ring_settings(device, delta_t, phase), "r": device.r}
    v = float(check_array("voltage", voltage, *_VOLT_RANGE, ndim=0))
    if isinstance(device, RingModulator):
        lam = float(check_array("wavelength", wavelength, *_RingBase._RANGES["wavelength0"],
                                ndim=0))
        return {
            "voltage": v,
            "wl_res": (lam - device.detuning) / UM,
            "self_coupling": device.self_coupling,
            "round_trip_amplitude": device.round_trip_amplitude,
            "fsr": device.fsr / UM,
            "resonance_shift_per_volt": device.resonance_shift_per_volt / UM,
            "insertion_loss_db": device.insertion_loss_db,
        }
    if isinstance(device, MachZehnderModulator):
        return {
            "voltage": v,
            "v_pi": device.v_pi,
            "extinction_ratio_db": device.extinction_ratio_db,
            "insertion_loss_db": device.insertion_loss_db,
            "bias_voltage": device.bias_voltage,
        }
    raise ValueError("device must be an AllPassRing, AddDropRing, RingModulator or "
                     f"MachZehnderModulator, got {type(device).__name__}")


def waveguide_settings(ring: _RingBase, length: float, delta_t: float = 0.0
                       ) -> dict[str, float]:
    """:func:`waveguide` settings for ``length`` (m) of ``ring``'s waveguide at ``delta_t``."""
    if not isinstance(ring, _RingBase):
        raise ValueError(f"ring must be an AllPassRing or AddDropRing, got "
                         f"{type(ring).__name__}")
    lo, hi = _RingBase._RANGES["coupler_length"]
    s = _ring_settings(ring, delta_t, 0.0)
    return {
        "length": float(check_array("length", length, lo, hi, ndim=0)) / UM,
        **{k: s[k] for k in ("loss_db_per_cm", "n_eff", "n_g", "wl0", "dn_dT", "delta_t")},
    }
