"""A weight bank as a SAX netlist of our own device models (:mod:`photonic_dfa.devices.sax_models`).

Ring k is one ``add_drop_ring`` instance ``r{k}`` with its own geometry and its temperature
for the heater powers (thermal crosstalk and ambient drift included, as
:meth:`WeightBank.temperatures`). Neighbours are joined through bus
``r{k},through -> r{k+1},in`` and drop bus ``r{k+1},drop -> r{k},add``, directly or
through unheated ``waveguide`` segments ``bus_thru{k}`` and ``bus_drop{k}`` of
``bank.bus_length`` on ring 0's waveguide. Circuit ports: ``in`` (``r0,in``), ``through``
(``r{N-1},through``), ``drop`` (``r0,drop``: the counter-propagating drop bus brings every
ring's light here) and ``add`` (``r{N-1},add``, unused). This is the topology of the
``exact`` solver, so ``sax.circuit`` of this netlist reproduces ``spectra(..., "exact")``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from photonic_dfa.base.validation import check_array
from photonic_dfa.devices.sax_models import (
    UM,
    import_restoring_jax_config,
    model_settings,
    sax_models,
    waveguide_settings,
    x64,
)

if TYPE_CHECKING:
    from .weight_bank import WeightBank

__all__ = ["bank_sax_netlist", "simulate_bank_models"]


def bank_sax_netlist(bank: WeightBank, heater_powers: ArrayLike | None = None
                     ) -> tuple[dict, dict[str, Callable[..., Any]]]:
    """``(netlist, models)`` of ``bank`` at ``heater_powers`` ``(N,)`` in W (default all
    off), for ``sax.circuit(netlist, models=models)``."""
    n = bank.n_channels
    p = np.zeros(n) if heater_powers is None else heater_powers
    temps = bank.temperatures(p)
    if temps.shape != (n,):
        raise ValueError(f"heater_powers must have shape ({n},), got {np.shape(p)}")
    instances: dict[str, dict] = {}
    connections: dict[str, str] = {}
    bus = waveguide_settings(bank.rings[0], bank.bus_length) if bank.bus_length > 0 else None
    for k, (ring, dt) in enumerate(zip(bank.rings, temps)):
        instances[f"r{k}"] = {"component": "add_drop_ring",
                              "settings": model_settings(ring, delta_t=float(dt))}
        if k == 0:
            continue
        if bus is None:
            connections[f"r{k - 1},through"] = f"r{k},in"
            connections[f"r{k},drop"] = f"r{k - 1},add"
            continue
        thru, drop = f"bus_thru{k - 1}", f"bus_drop{k - 1}"
        instances[thru] = {"component": "waveguide", "settings": dict(bus)}
        instances[drop] = {"component": "waveguide", "settings": dict(bus)}
        connections[f"r{k - 1},through"] = f"{thru},in0"
        connections[f"{thru},out0"] = f"r{k},in"
        connections[f"r{k},drop"] = f"{drop},in0"
        connections[f"{drop},out0"] = f"r{k - 1},add"
    ports = {"in": "r0,in", "through": f"r{n - 1},through", "drop": "r0,drop",
             "add": f"r{n - 1},add"}
    netlist = {"instances": instances, "connections": connections, "ports": ports}
    return netlist, sax_models()


def simulate_bank_models(bank: WeightBank, wavelengths: ArrayLike,
                         heater_powers: ArrayLike | None = None, backend: str = "default"
                         ) -> tuple[np.ndarray, np.ndarray]:
    """``(thru, drop)`` power spectra ``(W,)`` of ``bank`` from ``sax.circuit`` of
    :func:`bank_sax_netlist`, ``wavelengths`` ``(W,)`` in m.

    Runs in JAX's 64-bit mode, enabled for this call only.
    """
    wl = check_array("wavelengths", wavelengths, 1e-7, 1e-4, ndim=1)
    netlist, models = bank_sax_netlist(bank, heater_powers)
    sax = import_restoring_jax_config("sax")
    with x64():
        circuit, _ = sax.circuit(netlist, models=models, backend=backend)
        s = circuit(wl=wl / UM)
        thru = np.abs(np.asarray(s["in", "through"])) ** 2
        drop = np.abs(np.asarray(s["in", "drop"])) ** 2
    return thru, drop
