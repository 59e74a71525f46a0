"""SAX netlist of a whole weight bank, built from simphony's ideal couplers and waveguides.

Each add-drop ring is two ideal directional couplers (power coupling ``1 - r1^2`` on the
through bus, ``1 - r2^2`` on the drop bus, cross phase pi/2) joined by two half-ring
waveguides of length ``L / 2`` with the ring's ``n_eff``, ``n_g``, ``wavelength0`` and loss;
the ring temperature enters as ``n_eff + dn_dT dT`` and ``n_g + dn_dT dT`` (simphony's
first-order dispersion then gives exactly ``n_eff(lambda, dT)`` of the ring model).

Ports of ring k's couplers (simphony numbering)::

    drop bus   cpd.o2 <-------------- cpd.o3        (light runs right to left)
                  cpd.o0 --armL--+   +--armR-- cpd.o1
                  cpt.o2 --------+   +-------- cpt.o3
    thru bus   cpt.o0 --------------> cpt.o1        (left to right)

Neighbouring rings are joined through bus ``r{k}_cpt,o1 -> r{k+1}_cpt,o0`` and drop bus
``r{k+1}_cpd,o2 -> r{k}_cpd,o3``, directly or through bus waveguides of
``bank.bus_length``. Circuit ports: ``in`` (ring 0 through bus, left), ``thru`` (ring N-1,
right), ``drop`` (ring 0 drop bus, left: the counter-propagating drop bus brings every
ring's dropped light here), ``add`` (ring N-1 drop bus, right; unused).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .weight_bank import WeightBank

__all__ = ["bank_netlist", "bank_models", "simulate_bank_sax"]

_UM = 1e6


def _waveguide(ring, length: float, delta_t: float) -> dict:
    shift = ring.dn_dT * delta_t
    return {"component": "waveguide",
            "settings": {"wl0": ring.wavelength0 * _UM, "neff": ring.n_eff + shift,
                         "ng": ring.n_g + shift, "length": length * _UM,
                         "loss": ring.loss_db_per_cm}}


def bank_netlist(bank: WeightBank, temperatures: np.ndarray | None = None) -> dict:
    """SAX netlist dict of ``bank`` with ring temperatures ``(N,)`` in K (default 0)."""
    n = bank.n_channels
    temps = np.zeros(n) if temperatures is None else np.asarray(temperatures, dtype=float)
    if temps.shape != (n,):
        raise ValueError(f"temperatures must have shape ({n},), got {temps.shape}")
    instances: dict = {}
    connections: dict = {}
    for k, (ring, dt) in enumerate(zip(bank.rings, temps)):
        p = f"r{k}_"
        instances[p + "cpt"] = {"component": "coupler",
                                "settings": {"coupling": 1.0 - ring.r1**2}}
        instances[p + "cpd"] = {"component": "coupler",
                                "settings": {"coupling": 1.0 - ring.r2**2}}
        instances[p + "armR"] = _waveguide(ring, ring.length / 2.0, float(dt))
        instances[p + "armL"] = _waveguide(ring, ring.length / 2.0, float(dt))
        connections[p + "cpt,o3"] = p + "armR,o0"
        connections[p + "armR,o1"] = p + "cpd,o1"
        connections[p + "cpd,o0"] = p + "armL,o0"
        connections[p + "armL,o1"] = p + "cpt,o2"
        if k == 0:
            continue
        q = f"r{k - 1}_"
        if bank.bus_length > 0.0:
            bus_ring = bank.rings[0]
            instances[f"bus_t{k - 1}"] = _waveguide(bus_ring, bank.bus_length, 0.0)
            instances[f"bus_d{k - 1}"] = _waveguide(bus_ring, bank.bus_length, 0.0)
            connections[q + "cpt,o1"] = f"bus_t{k - 1},o0"
            connections[f"bus_t{k - 1},o1"] = p + "cpt,o0"
            connections[p + "cpd,o2"] = f"bus_d{k - 1},o0"
            connections[f"bus_d{k - 1},o1"] = q + "cpd,o3"
        else:
            connections[q + "cpt,o1"] = p + "cpt,o0"
            connections[p + "cpd,o2"] = q + "cpd,o3"
    last = f"r{n - 1}_"
    ports = {"in": "r0_cpt,o0", "thru": last + "cpt,o1", "drop": "r0_cpd,o2",
             "add": last + "cpd,o3"}
    return {"instances": instances, "connections": connections, "ports": ports}


def bank_models() -> dict:
    """The SAX models the netlist refers to (simphony 0.7 ideal library)."""
    from simphony.libraries import ideal

    return {"coupler": ideal.coupler, "waveguide": ideal.waveguide}


def simulate_bank_sax(bank: WeightBank, wavelengths: np.ndarray,
                      temperatures: np.ndarray | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``(thru, drop)`` power spectra ``(W,)`` of ``bank`` from ``sax.circuit``.

    Enables JAX 64-bit mode (process-wide): single precision would put ~1e-5 rad of error
    on round-trip phases of hundreds of radians.
    """
    import jax

    jax.config.update("jax_enable_x64", True)
    import sax

    circuit, _ = sax.circuit(bank_netlist(bank, temperatures), models=bank_models())
    s = circuit(wl=np.asarray(wavelengths, dtype=float) * _UM)
    thru = np.abs(np.asarray(s["in", "thru"])) ** 2
    drop = np.abs(np.asarray(s["in", "drop"])) ** 2
    return thru, drop
