"""SAX netlist of a whole weight bank, built from simphony's ideal couplers and waveguides.

Ring k is the add-drop netlist of :mod:`photonic_dfa.circuits.sax_models` (same instances,
settings and port conventions) with its instance names prefixed ``r{k}_``: couplers
``bus_in`` (power coupling ``1 - r1^2``) and ``bus_drop`` (``1 - r2^2``), half-ring
waveguides ``arc_in`` and ``arc_drop`` of length ``L / 2`` at the ring's temperature::

    drop bus   bus_drop.o2 <-------------- bus_drop.o3     (light runs right to left)
                   bus_drop.o0 --arc_drop--+  +--arc_in-- bus_drop.o1
                   bus_in.o2 --------------+  +---------- bus_in.o3
    thru bus   bus_in.o0 ------------------> bus_in.o1     (left to right)

Neighbouring rings are joined through bus ``r{k}_bus_in,o1 -> r{k+1}_bus_in,o0`` and drop
bus ``r{k+1}_bus_drop,o2 -> r{k}_bus_drop,o3``, directly or through unheated bus
waveguides ``bus_thru{k}`` and ``bus_drop{k}`` of ``bank.bus_length`` on ring 0's waveguide.
Circuit ports: ``in`` (ring 0, through bus, left), ``through`` (ring N-1, right), ``drop``
(ring 0, drop bus, left: the counter-propagating drop bus brings every ring's dropped light
here), ``add`` (ring N-1, drop bus, right; unused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from photonic_dfa.devices.sax_models import import_restoring_jax_config, x64

from .sax_models import MICRON, add_drop_netlist, simphony_models, waveguide_settings

if TYPE_CHECKING:
    from .weight_bank import WeightBank

__all__ = ["bank_netlist", "bank_models", "simulate_bank_sax"]


def bank_netlist(bank: WeightBank, temperatures: np.ndarray | None = None) -> dict:
    """SAX netlist dict of ``bank`` with ring temperatures ``(N,)`` in K (default 0)."""
    n = bank.n_channels
    temps = np.zeros(n) if temperatures is None else np.asarray(temperatures, dtype=float)
    if temps.shape != (n,):
        raise ValueError(f"temperatures must have shape ({n},), got {temps.shape}")
    instances: dict = {}
    connections: dict = {}
    for k, (ring, dt) in enumerate(zip(bank.rings, temps)):
        one = add_drop_netlist(ring, float(dt))
        p = f"r{k}_"
        for name, inst in one["instances"].items():
            instances[p + name] = inst
        for left, right in one["connections"].items():
            connections[p + left] = p + right
        if k == 0:
            continue
        q = f"r{k - 1}_"
        if bank.bus_length > 0.0:
            wg = {"component": "waveguide",
                  "settings": waveguide_settings(bank.rings[0], bank.bus_length)}
            instances[f"bus_thru{k - 1}"] = wg
            instances[f"bus_drop{k - 1}"] = {"component": "waveguide",
                                             "settings": dict(wg["settings"])}
            connections[q + "bus_in,o1"] = f"bus_thru{k - 1},o0"
            connections[f"bus_thru{k - 1},o1"] = p + "bus_in,o0"
            connections[p + "bus_drop,o2"] = f"bus_drop{k - 1},o0"
            connections[f"bus_drop{k - 1},o1"] = q + "bus_drop,o3"
        else:
            connections[q + "bus_in,o1"] = p + "bus_in,o0"
            connections[p + "bus_drop,o2"] = q + "bus_drop,o3"
    last = f"r{n - 1}_"
    ports = {"in": "r0_bus_in,o0", "through": last + "bus_in,o1", "drop": "r0_bus_drop,o2",
             "add": last + "bus_drop,o3"}
    return {"instances": instances, "connections": connections, "ports": ports}


def bank_models() -> dict:
    """The SAX models the netlist refers to (simphony 0.7 ideal library)."""
    return simphony_models()


def simulate_bank_sax(bank: WeightBank, wavelengths: np.ndarray,
                      temperatures: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(thru, drop)`` power spectra ``(W,)`` of ``bank`` from ``sax.circuit``.

    JAX runs in 64-bit mode for this call only: single precision would put ~1e-5 rad of
    error on round-trip phases of hundreds of radians.
    """
    netlist, models = bank_netlist(bank, temperatures), bank_models()
    sax = import_restoring_jax_config("sax")
    with x64():
        circuit, _ = sax.circuit(netlist, models=models)
        s = circuit(wl=np.asarray(wavelengths, dtype=float) / MICRON)
        thru = np.abs(np.asarray(s["in", "through"])) ** 2
        drop = np.abs(np.asarray(s["in", "drop"])) ** 2
    return thru, drop
