"""SAX netlists of the microring models, built from simphony 0.7's ideal components.

An independent reference for :mod:`photonic_dfa.devices.microring`: the same ring assembled as a
`sax.circuit` of ``simphony.libraries.ideal`` models and solved as a scattering network.

simphony's conventions (``simphony/libraries/ideal.py``, 0.7):

- ``coupler(coupling, loss, phi)``: ports ``o0`` (bottom left), ``o1`` (bottom right), ``o2`` (top
  left), ``o3`` (top right); bar ``o0-o1`` and ``o2-o3`` with ``tau = sqrt(1 - coupling)``, cross
  ``o0-o3`` and ``o2-o1`` with ``kappa = sqrt(coupling) e^{i phi}`` (``phi = pi/2``). Our field
  self-coupling is ``r = tau``, so ``coupling = 1 - r^2``.
- ``waveguide(wl, wl0, neff, ng, length, loss)``: ``wl``, ``wl0`` and ``length`` in micrometres,
  ``loss`` in dB/cm; ``n(wl) = neff - (ng - neff)(wl - wl0)/wl0``, transmission
  ``exp(-alpha L / 2) exp(+i 2 pi n L / wl)`` with ``alpha = loss ln(10)/10 per cm``: the same
  dispersion and loss model as ours.
- A temperature offset ``dT`` adds ``dn_dT dT`` to our ``n_eff(lambda)``; simphony gets
  ``neff + dn_dT dT`` and ``ng + dn_dT dT`` (their difference, the dispersion slope, unchanged).

Port names of every ring circuit: ``in``, ``through`` (and ``drop``, ``add`` for add-drop).
With simphony's ``i kappa`` cross coupling the drop path picks up ``(i k1)(i k2) = -k1 k2``,
the device model's sign, so fields agree as well as powers (a coupler built with another
``phi`` would change field phases only).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.validation import check_array, check_scalar
from photonic_dfa.devices.microring import AddDropRing, AllPassRing
from photonic_dfa.devices.sax_models import import_restoring_jax_config, x64

__all__ = [
    "MICRON",
    "x64",
    "simphony_models",
    "coupler_settings",
    "waveguide_settings",
    "all_pass_netlist",
    "add_drop_netlist",
    "ring_netlist",
    "ring_settings",
    "ring_circuit",
    "simulate_ring_sax",
]

#: metres per simphony length unit (micrometre)
MICRON = 1e-6

RingKind = Literal["all_pass", "add_drop"]


def simphony_models() -> dict[str, Callable[..., Any]]:
    """The model table every netlist here refers to: ``coupler`` and ``waveguide``.

    Importing simphony imports sax, whose ``klujax`` switches JAX to 64-bit mode
    process-wide; the switch is undone here (see :func:`x64` for a local one).
    """
    ideal = import_restoring_jax_config("simphony.libraries.ideal")
    return {"coupler": ideal.coupler, "waveguide": ideal.waveguide}


def coupler_settings(self_coupling: float) -> dict[str, float]:
    """simphony ``coupler`` settings for a lossless point coupler of field self-coupling ``r``."""
    r = check_scalar("self_coupling", self_coupling, 0.0, 1.0, low_inclusive=False)
    return {"coupling": 1.0 - r * r, "loss": 0.0}


def waveguide_settings(
    ring: AllPassRing | AddDropRing, length: float, delta_t: float = 0.0
) -> dict[str, float]:
    """simphony ``waveguide`` settings for ``length`` metres of the ring's waveguide at ``dT``."""
    length = check_scalar("length", length, 0.0, None)
    dt = check_scalar("delta_t", delta_t, -1000.0, 1000.0)
    dn = ring.dn_dT * dt
    return {
        "wl0": ring.wavelength0 / MICRON,
        "neff": ring.n_eff + dn,
        "ng": ring.n_g + dn,
        "length": length / MICRON,
        "loss": ring.loss_db_per_cm,
    }


def _kind(ring: Any) -> RingKind:
    if isinstance(ring, AddDropRing):
        return "add_drop"
    if isinstance(ring, AllPassRing):
        return "all_pass"
    raise ValueError(f"ring must be an AllPassRing or an AddDropRing, got {type(ring).__name__}")


def ring_settings(ring: AllPassRing | AddDropRing, delta_t: float = 0.0) -> dict[str, dict]:
    """Per-instance settings of :func:`ring_netlist`'s instances for ``ring`` at ``dT``.

    Pass them to a circuit from :func:`ring_circuit` to evaluate many rings with one circuit.
    """
    if _kind(ring) == "all_pass":
        return {
            "bus": coupler_settings(ring.r),
            "loop": waveguide_settings(ring, ring.length, delta_t),
        }
    half = waveguide_settings(ring, ring.length / 2.0, delta_t)
    return {
        "bus_in": coupler_settings(ring.r1),
        "bus_drop": coupler_settings(ring.r2),
        "arc_in": half,
        "arc_drop": dict(half),
    }


def _netlist(kind: RingKind, settings: dict[str, dict]) -> dict[str, dict]:
    if kind == "all_pass":
        # bus o0 -> o1; the ring leaves the coupler at o3 and returns at o2
        instances = {"bus": "coupler", "loop": "waveguide"}
        connections = {"bus,o3": "loop,o0", "loop,o1": "bus,o2"}
        ports = {"in": "bus,o0", "through": "bus,o1"}
    else:
        # input coupler as above; the drop coupler is flipped, ring on its o0/o1 side, so
        # light from the ring at o1 crosses to the drop bus at o2 (add enters at o3)
        instances = {"bus_in": "coupler", "arc_in": "waveguide", "bus_drop": "coupler",
                     "arc_drop": "waveguide"}
        connections = {
            "bus_in,o3": "arc_in,o0",
            "arc_in,o1": "bus_drop,o1",
            "bus_drop,o0": "arc_drop,o0",
            "arc_drop,o1": "bus_in,o2",
        }
        ports = {"in": "bus_in,o0", "through": "bus_in,o1", "drop": "bus_drop,o2",
                 "add": "bus_drop,o3"}
    return {
        "instances": {
            name: {"component": comp, "settings": dict(settings[name])}
            for name, comp in instances.items()
        },
        "connections": connections,
        "ports": ports,
    }


def all_pass_netlist(ring: AllPassRing, delta_t: float = 0.0) -> dict[str, dict]:
    """SAX netlist of an all-pass ring: one ``coupler`` closed on itself by a ``waveguide``."""
    if _kind(ring) != "all_pass":
        raise ValueError(f"ring must be an AllPassRing, got {type(ring).__name__}")
    return _netlist("all_pass", ring_settings(ring, delta_t))


def add_drop_netlist(ring: AddDropRing, delta_t: float = 0.0) -> dict[str, dict]:
    """SAX netlist of an add-drop ring: two ``coupler``s joined by two half-ring ``waveguide``s."""
    if _kind(ring) != "add_drop":
        raise ValueError(f"ring must be an AddDropRing, got {type(ring).__name__}")
    return _netlist("add_drop", ring_settings(ring, delta_t))


def ring_netlist(ring: AllPassRing | AddDropRing, delta_t: float = 0.0) -> dict[str, dict]:
    """:func:`all_pass_netlist` or :func:`add_drop_netlist`, by the ring's type."""
    return _netlist(_kind(ring), ring_settings(ring, delta_t))


@lru_cache(maxsize=8)
def ring_circuit(kind: RingKind, backend: str = "default") -> Callable[..., Any]:
    """A SAX circuit function for one ring topology, built once per ``(kind, backend)``.

    Call it as ``circuit(wl=wavelengths_in_um, **ring_settings(ring))``, inside ``with
    x64():`` for double precision; it returns an SDict keyed by port pairs. It is pure JAX,
    so ``jax.jit`` and ``jax.vmap`` apply.
    """
    if kind not in ("all_pass", "add_drop"):
        raise ValueError(f"kind must be 'all_pass' or 'add_drop', got {kind!r}")
    models = simphony_models()
    sax = import_restoring_jax_config("sax")
    template = AllPassRing() if kind == "all_pass" else AddDropRing()
    with x64():
        circuit, _ = sax.circuit(
            _netlist(kind, ring_settings(template)), models=models, backend=backend
        )
    return circuit


def simulate_ring_sax(
    ring: AllPassRing | AddDropRing,
    wavelengths: ArrayLike,
    delta_t: float = 0.0,
    backend: str = "default",
) -> dict[str, np.ndarray]:
    """Complex field transmissions from ``in`` to each output port, via SAX and simphony.

    Returns ``{"through": t}`` (all-pass) or ``{"through": t, "drop": d}`` (add-drop), each of
    the shape of ``wavelengths`` (m); powers are ``abs(t)**2``. JAX runs in 64-bit mode for
    this call only.
    """
    kind = _kind(ring)
    wl = check_array("wavelengths", wavelengths, 1e-7, 1e-4)
    settings = ring_settings(ring, delta_t)
    run = _jitted_ring(kind, backend)
    with x64():
        outs = run(wl.reshape(-1) / MICRON, settings)
        return {p: np.asarray(v).reshape(wl.shape) for p, v in outs.items()}


@lru_cache(maxsize=8)
def _jitted_ring(kind: RingKind, backend: str) -> Callable[..., Any]:
    """``jax.jit`` of the ring circuit: one compilation per wavelength-array shape."""
    import jax

    circuit = ring_circuit(kind, backend)
    ports = ("through",) if kind == "all_pass" else ("through", "drop")

    def run(wl_um: Any, settings: dict[str, dict]) -> dict[str, Any]:
        s = circuit(wl=wl_um, **settings)
        return {p: s[("in", p)] for p in ports}

    return jax.jit(run)
