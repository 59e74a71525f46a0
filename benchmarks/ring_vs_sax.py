"""16-ring add-drop bank spectrum: our ring model against a jitted SAX circuit of simphony models.

Each of 16 add-drop rings, tuned to a 16-channel WDM grid (1550 nm +- 0.8 nm spacing), is
evaluated on the same 10,000 wavelengths, through and drop power, by both models in the same
run. SAX is used as its users would: the circuit is built once, jitted, and called with each
ring's parameters (a Python loop of jitted calls, and one jitted ``vmap`` over the 16 rings),
for each SAX backend available; the fastest SAX variant is the baseline. Times are the best of
several repeats after warm-up (JIT compilation excluded on both sides). Our own SAX model
(``photonic_dfa.devices.sax_models.add_drop_ring``, jitted ``vmap``) is timed and checked
apart. JAX runs in 64-bit mode inside the SAX section only.

Prints the agreement (max abs power difference) and the speed ratio, then one JSON line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from photonic_dfa.circuits.sax_models import MICRON, ring_circuit, ring_settings
from photonic_dfa.devices.microring import AddDropRing
from photonic_dfa.devices.sax_models import (
    UM,
    add_drop_ring,
    import_restoring_jax_config,
    model_settings,
    x64,
)

N_RINGS = 16
N_WAVELENGTHS = 10_000
CENTRE = 1550e-9
SPACING = 0.8e-9
TARGET_SPEEDUP = 100.0


def best_time(fn: Callable[[], Any], repeats: int) -> float:
    """Best wall time of ``repeats`` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def make_bank() -> tuple[list[AddDropRing], np.ndarray, np.ndarray]:
    channels = CENTRE + (np.arange(N_RINGS) - (N_RINGS - 1) / 2) * SPACING
    # 5 um radius: FSR ~18 nm covers the 12.8 nm grid without aliasing
    template = AddDropRing(radius=5e-6, r1=0.99, r2=0.99, loss_db_per_cm=2.0)
    rings = [template.tuned_to(float(c)) for c in channels]
    wl = np.linspace(channels[0] - 3e-9, channels[-1] + 3e-9, N_WAVELENGTHS)
    return rings, channels, wl


def ours(rings: list[AddDropRing], wl: np.ndarray) -> np.ndarray:
    out = np.empty((2, len(rings), wl.size))
    for k, ring in enumerate(rings):
        out[0, k], out[1, k] = ring.spectra(wl)
    return out


def sax_variants(rings: list[AddDropRing], wl: np.ndarray) -> dict[str, Callable[[], Any]]:
    import jax
    import jax.numpy as jnp

    circuit_backends = import_restoring_jax_config("sax.backends").circuit_backends

    wl_um = jnp.asarray(wl / MICRON)
    settings = [ring_settings(r) for r in rings]
    stacked = jax.tree.map(lambda *v: jnp.asarray(v), *settings)
    variants: dict[str, Callable[[], Any]] = {}
    for backend in ("klu", "fg"):
        if backend not in circuit_backends:
            continue
        circuit = ring_circuit("add_drop", backend)

        def powers(w: Any, s: dict, circuit: Any = circuit) -> Any:
            sd = circuit(wl=w, **s)
            return jnp.stack([jnp.abs(sd[("in", "through")]) ** 2,
                              jnp.abs(sd[("in", "drop")]) ** 2])

        one = jax.jit(powers)
        many = jax.jit(jax.vmap(powers, in_axes=(None, 0)))

        def loop(one: Any = one) -> np.ndarray:
            res = [one(wl_um, s) for s in settings]
            jax.block_until_ready(res)
            return np.stack([np.asarray(r) for r in res], axis=1)

        def vmapped(many: Any = many) -> np.ndarray:
            return np.asarray(jax.block_until_ready(many(wl_um, stacked))).transpose(1, 0, 2)

        variants[f"sax-{backend}-loop"] = loop
        variants[f"sax-{backend}-vmap"] = vmapped
    return variants


def our_sax_model(rings: list[AddDropRing], wl: np.ndarray) -> Callable[[], np.ndarray]:
    """Our own ``add_drop_ring`` SAX model, jitted and vmapped over the rings (reported
    apart: it is not a netlist of simphony components, so not the SAX baseline)."""
    import jax
    import jax.numpy as jnp

    wl_um = jnp.asarray(wl / UM)
    stacked = {k: jnp.asarray([model_settings(r)[k] for r in rings])
               for k in model_settings(rings[0])}

    def powers(s: dict) -> Any:
        sd = add_drop_ring(wl=wl_um, **s)
        return jnp.stack([jnp.abs(sd[("in", "through")]) ** 2, jnp.abs(sd[("in", "drop")]) ** 2])

    many = jax.jit(jax.vmap(powers))
    return lambda: np.asarray(jax.block_until_ready(many(stacked))).transpose(1, 0, 2)


def main() -> dict[str, Any]:
    rings, channels, wl = make_bank()
    t0 = time.perf_counter()
    ref = ours(rings, wl)
    ours_first = time.perf_counter() - t0
    t_ours = best_time(lambda: ours(rings, wl), repeats=50)

    sax_times: dict[str, float] = {}
    sax_compile: dict[str, float] = {}
    max_diff = 0.0
    with x64():  # JAX's 64-bit mode for the SAX runs only
        variants = sax_variants(rings, wl)
        for name, fn in variants.items():
            t0 = time.perf_counter()
            got = fn()  # includes JIT compilation
            sax_compile[name] = time.perf_counter() - t0
            max_diff = max(max_diff, float(np.max(np.abs(got - ref))))
            sax_times[name] = best_time(fn, repeats=5)
        model_fn = our_sax_model(rings, wl)
        t0 = time.perf_counter()
        model_diff = float(np.max(np.abs(model_fn() - ref)))
        model_compile = time.perf_counter() - t0
        t_model = best_time(model_fn, repeats=5)
    best_name = min(sax_times, key=sax_times.get)
    speedup = sax_times[best_name] / t_ours

    print(f"{N_RINGS} add-drop rings x {N_WAVELENGTHS} wavelengths, through + drop power")
    print(f"channels {channels[0] * 1e9:.2f}-{channels[-1] * 1e9:.2f} nm, "
          f"ring FSR {rings[0].fsr() * 1e9:.2f} nm, Q {rings[0].q_loaded():.0f}")
    print(f"{'model':<20}{'best time (ms)':>16}{'per ring (us)':>16}{'compile (s)':>14}")
    print(f"{'ours (numba)':<20}{t_ours * 1e3:>16.3f}{t_ours / N_RINGS * 1e6:>16.1f}"
          f"{ours_first:>14.3f}")
    for name, t in sax_times.items():
        print(f"{name:<20}{t * 1e3:>16.3f}{t / N_RINGS * 1e6:>16.1f}{sax_compile[name]:>14.3f}")
    print(f"{'our SAX model (vmap)':<20}{t_model * 1e3:>16.3f}{t_model / N_RINGS * 1e6:>16.1f}"
          f"{model_compile:>14.3f}   max |P - P_ours| {model_diff:.3e}")
    print(f"max |P_ours - P_sax| over all rings, ports, wavelengths and SAX variants: "
          f"{max_diff:.3e}")
    print(f"speed ratio vs fastest SAX ({best_name}): {speedup:.1f}x "
          f"(target {TARGET_SPEEDUP:.0f}x at 1e-6 agreement)")
    figures = {
        "benchmark": "ring_vs_sax",
        "rings": N_RINGS,
        "wavelengths": N_WAVELENGTHS,
        "ours_s": t_ours,
        "sax_s": sax_times,
        "sax_best": best_name,
        "speedup_vs_best_sax": speedup,
        "speedup_vs_each": {k: v / t_ours for k, v in sax_times.items()},
        "max_abs_power_diff": max_diff,
        "our_sax_model_s": t_model,
        "our_sax_model_max_abs_power_diff": model_diff,
        "agree_1e-6": max_diff < 1e-6,
        "meets_target": bool(speedup >= TARGET_SPEEDUP and max_diff < 1e-6),
    }
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
