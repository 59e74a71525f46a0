"""Weight-bank solvers: how far ``fast`` (incoherent single pass) is from ``exact``
(coherent star product), against channel spacing and loaded Q; and what each costs.

For an 8-ring bank (5 um radius rings, FSR 18 nm, so even the widest grid (8 x 200 GHz =
12.8 nm) stays inside one FSR; default waveguide, 2 dB/cm; symmetric couplers set for the
loaded Q; 15 um pitch = bus segment) and every (Q, spacing) it prints:

- ``spacing/FWHM``: channel spacing over the ring linewidth;
- ``max|dw|``, ``rms|dw|``: weight difference fast - exact over random heater states drawn
  uniformly in the branch box (every ring anywhere on its branch);
- ``max|dT|``: largest through/drop spectral difference over a sweep of all channels;
- ``max|dw| avg``: the same weight difference after averaging ``exact`` over one cycle of
  the bus-segment phase (16 bus lengths): the incoherent ``fast`` result is the phase
  average of the coherent one up to second-order (multiple-pass) terms, so this column
  shows what remains when the interference between rings' dropped fields averages out.

Then timings of ``channel_transmissions`` on (1000, 8) heater states (fused numba kernel
vs the numpy cascade vs SAX/simphony per state) and of the weight inverse.
Ends with one JSON line of the figures.
"""

from __future__ import annotations

import json
import time

import numpy as np
from scipy.constants import speed_of_light

from photonic_dfa.circuits.weight_bank import WeightBank
from photonic_dfa.devices.laser import ChannelGrid
from photonic_dfa.devices.microring import AddDropRing

N = 8
CENTER = 1550e-9
QS = (5_000, 10_000, 20_000, 50_000)
SPACINGS_GHZ = (25, 50, 100, 200)
RADIUS = 5e-6
STATES = 200
PHASE_STEPS = 16


def _timeit(fn, repeat: int = 5) -> float:
    fn()
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _bank(q: float, spacing_hz: float, bus_length: float | None = None) -> WeightBank:
    ring = AddDropRing.from_targets(CENTER, q, wavelength0=CENTER, radius=RADIUS)
    return WeightBank.design(ChannelGrid(N, spacing_hz, CENTER), ring=ring, crosstalk=False,
                             bus_length=bus_length)


def _random_states(bank: WeightBank, rng: np.random.Generator, m: int) -> np.ndarray:
    lo, hi = bank.branch_temperatures
    theta = lo + rng.random((m, N)) * (hi - lo)
    return bank.powers_for_temperatures(theta)


def accuracy_table(rng: np.random.Generator) -> list[dict]:
    rows = []
    for q in QS:
        for sp in SPACINGS_GHZ:
            bank = _bank(q, sp * 1e9)
            ring = bank.rings[0]
            spacing_m = CENTER**2 * sp * 1e9 / speed_of_light
            ratio = spacing_m / ring.fwhm(CENTER)
            p = _random_states(bank, rng, STATES)
            dw = bank.weights(p, "fast") - bank.weights(p, "exact")
            lam = np.asarray(bank.channel_wavelengths)
            wl = np.linspace(lam[0] - spacing_m, lam[-1] + spacing_m, 6000)
            ft, fd = bank.spectra(wl, p[:4], "fast")
            et, ed = bank.spectra(wl, p[:4], "exact")
            dspec = max(np.abs(ft - et).max(), np.abs(fd - ed).max())
            # one cycle of bus phase: bus length + n * lambda / n_eff / PHASE_STEPS
            step = CENTER / ring.n_eff / PHASE_STEPS
            avg = np.zeros_like(dw)
            for i in range(PHASE_STEPS):
                b = WeightBank(bank.rings, bank.channel_wavelengths, bank.heater, None, 0.0,
                               bank.bus_length + i * step)
                avg += b.weights(p, "exact") / PHASE_STEPS
            rows.append({"q_loaded": q, "spacing_ghz": sp, "spacing_over_fwhm": float(ratio),
                         "max_dw": float(np.abs(dw).max()),
                         "rms_dw": float(np.sqrt(np.mean(dw**2))),
                         "max_dspectrum": float(dspec),
                         "max_dw_phase_avg": float(np.abs(bank.weights(p, "fast") - avg).max())})
    return rows


def timing(rng: np.random.Generator) -> dict:
    bank = _bank(20_000, 100e9)
    p = _random_states(bank, rng, 1000)
    theta = bank.temperatures(p)
    t_fast = _timeit(lambda: bank.channel_transmissions(p, "fast"))
    t_exact = _timeit(lambda: bank.channel_transmissions(p, "exact"))
    t_np_fast = _timeit(lambda: bank._spectra_theta_numpy(bank._lam, theta, "fast"))
    t_np_exact = _timeit(lambda: bank._spectra_theta_numpy(bank._lam, theta, "exact"))
    bank.simulate_sax(np.asarray(bank.channel_wavelengths), p[0])  # trace and compile once
    n_sax = 5
    t0 = time.perf_counter()
    for i in range(n_sax):
        bank.simulate_sax(np.asarray(bank.channel_wavelengths), p[i])
    t_sax = (time.perf_counter() - t0) / n_sax * 1000  # per 1000 states
    w_min, w_max = bank.weight_range
    tgt = rng.uniform(w_min, w_max, (1000, N))
    inv = {}
    for s in ("fast", "exact"):
        t0 = time.perf_counter()
        pw = bank.heater_powers_for_weights(tgt, s)
        inv[s] = time.perf_counter() - t0
        inv[s + "_err"] = float(np.abs(bank.weights(pw, s) - tgt).max())
    return {"ct_fast_s": t_fast, "ct_exact_s": t_exact, "ct_numpy_fast_s": t_np_fast,
            "ct_numpy_exact_s": t_np_exact, "ct_sax_s_est": t_sax,
            "inverse_fast_s": inv["fast"], "inverse_exact_s": inv["exact"],
            "inverse_fast_err": inv["fast_err"], "inverse_exact_err": inv["exact_err"]}


def main() -> None:
    rng = np.random.default_rng(2024)
    rows = accuracy_table(rng)
    print(f"fast vs exact, {N}-ring bank, bus segment = pitch, {STATES} random heater states "
          "on the branch")
    print(f"{'Q':>7} {'GHz':>5} {'spacing/FWHM':>13} {'max|dw|':>9} {'rms|dw|':>9} "
          f"{'max|dT|':>9} {'max|dw| avg':>12}")
    for r in rows:
        print(f"{r['q_loaded']:>7} {r['spacing_ghz']:>5} {r['spacing_over_fwhm']:>13.1f} "
              f"{r['max_dw']:>9.2e} {r['rms_dw']:>9.2e} {r['max_dspectrum']:>9.2e} "
              f"{r['max_dw_phase_avg']:>12.2e}")
    t = timing(rng)
    print("\nchannel_transmissions on (1000, 8) heater states (Q 20k, 100 GHz):")
    for s in ("fast", "exact"):
        k, npy = t[f"ct_{s}_s"], t[f"ct_numpy_{s}_s"]
        print(f"  {s:5s} kernel {k * 1e3:8.2f} ms   numpy {npy * 1e3:8.2f} ms   "
              f"numpy/kernel {npy / k:.2f}x")
    print(f"  SAX/simphony (one circuit call per state, estimated for 1000) "
          f"{t['ct_sax_s_est']:.1f} s   SAX/exact {t['ct_sax_s_est'] / t['ct_exact_s']:.0f}x   "
          f"exact/fast {t['ct_exact_s'] / t['ct_fast_s']:.2f}x")
    print(f"heater_powers_for_weights on (1000, 8) targets: fast {t['inverse_fast_s']:.3f} s "
          f"(max err {t['inverse_fast_err']:.1e}), exact {t['inverse_exact_s']:.3f} s "
          f"(max err {t['inverse_exact_err']:.1e})")
    print(json.dumps({"benchmark": "bank_solvers", "table": rows, "timing": t}))


if __name__ == "__main__":
    main()
