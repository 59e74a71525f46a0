"""A SAX user's view: our ring models inside your own netlist, and a whole weight bank
assembled in ``sax.circuit`` from them, checked against the built-in coherent solver.

``python examples/sax_circuit.py``
"""

import numpy as np
import sax

import photonic_dfa as pdfa
from photonic_dfa.circuits.bank_sax import simulate_bank_models
from photonic_dfa.devices.sax_models import model_settings, x64

# your netlist: a ring filter followed by a second, detuned one (5 K warmer)
netlist = {"instances": {"f1": "add_drop_ring", "f2": "add_drop_ring"},
           "connections": {"f1,through": "f2,in"},
           "ports": {"in": "f1,in", "out": "f2,through", "d1": "f1,drop", "d2": "f2,drop"}}
ring = pdfa.AddDropRing(r1=0.985, r2=0.985)
wl_um = np.linspace(1.545, 1.555, 2001)
with x64():  # JAX 64-bit for this block only
    circuit, _ = sax.circuit(netlist, models=pdfa.sax_models())
    s = circuit(wl=wl_um, f1=model_settings(ring), f2=model_settings(ring, delta_t=5.0))
    drop1, drop2 = (np.abs(np.asarray(s["in", p])) ** 2 for p in ("d1", "d2"))
print(f"drop peaks at {wl_um[drop1.argmax()]:.4f} um and {wl_um[drop2.argmax()]:.4f} um "
      f"(5 K shifts by {ring.resonance_shift(5.0, 1.55e-6) * 1e12:.0f} pm)")

# a designed 8-channel bank, heaters set for some weights, solved both ways
bank = pdfa.WeightBank.design(pdfa.ChannelGrid(n_channels=8))
powers = bank.heater_powers_for_weights(np.linspace(-0.6, 0.6, 8))
wl = np.linspace(bank.channel_wavelengths[0] - 1e-9, bank.channel_wavelengths[-1] + 1e-9, 1500)
thru_sax, drop_sax = simulate_bank_models(bank, wl, powers)
thru, drop = bank.spectra(wl, powers, solver="exact")
print(f"8-ring bank, SAX netlist of our models vs the exact solver: largest difference "
      f"{max(np.abs(thru_sax - thru).max(), np.abs(drop_sax - drop).max()):.1e}")
