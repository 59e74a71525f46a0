"""Simulated broadcast-and-weight core against a plain numpy GEMM of the same shape.

For B of shape (800, 10) at batch 64 (MNIST DFA feedback) and (4096, 256) at batch 256,
with every error source of the default chip on: best-of-repeats wall time of
``core.matvec(X)`` and of ``X @ W.T``, the ratio of throughputs, and the peak memory
allocated during one matvec (tracemalloc), which must stay O(batch (inputs + outputs)).
Programming (the bank inverse) is done once, outside the timing. The default chip uses
``core.accumulation = "integrate"``; pass ``--digitize`` for one ADC conversion per
column-block pass. The machine's load average is printed (timings are best-of on shared
cores). Ends with one JSON line.

numpy's GEMM uses every core, so the core is timed with ``threads`` = every core too (the
targets are read from that), and with one thread (the default of ``PhotonicMVM``, for use
beside multi-threaded BLAS, see :attr:`PhotonicMVM.threads`).
"""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc

import numpy as np

from photonic_dfa.architecture.config import ChipConfig
from photonic_dfa.architecture.core import PhotonicMVM


def best(f, repeats: int = 7, number: int = 3) -> float:
    f()
    out = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(number):
            f()
        out = min(out, (time.perf_counter() - t) / number)
    return out


def main() -> None:
    rng = np.random.default_rng(0)
    acc = "digitize" if "--digitize" in sys.argv[1:] else "integrate"
    cfg = ChipConfig().updated(**{"core.accumulation": acc})
    load = os.getloadavg()
    print(f"accumulation {acc}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
          f"{os.cpu_count()} cores")
    figures = {"accumulation": acc, "load_average": load[0]}
    cores = os.cpu_count() or 1
    for (n_out, n_in, batch) in ((800, 10, 64), (4096, 256, 256)):
        w = rng.uniform(-1.0, 1.0, (n_out, n_in))
        x = rng.standard_normal((batch, n_in))
        core = PhotonicMVM(cfg)
        t0 = time.perf_counter()
        info = core.program(w)
        t_prog = time.perf_counter() - t0
        # the small shape takes microseconds: many repeats, so that the best of them
        # escapes the other processes sharing the cores
        number, repeats = (20, 40) if n_in < 100 else (2, 7)
        t_one = best(lambda c=core, a=x: c.matvec(a), repeats, number)
        core.threads = cores
        t_core = best(lambda c=core, a=x: c.matvec(a), repeats, number)
        t_gemm = best(lambda a=x, b=w: a @ b.T, repeats, number)
        tracemalloc.start()
        tracemalloc.reset_peak()
        core.matvec(x)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        macs = n_out * n_in * batch
        linear = 8 * batch * (n_in + n_out)
        cubic = 8 * batch * n_in * n_out
        key = f"{n_out}x{n_in}_b{batch}"
        figures[key] = {
            "tiles": info.tiles, "program_s": t_prog, "threads": cores,
            "core_s": t_core, "core_one_thread_s": t_one, "gemm_s": t_gemm,
            "core_mac_per_s": macs / t_core, "gemm_mac_per_s": macs / t_gemm,
            "throughput_ratio": t_gemm / t_core, "time_ratio": t_core / t_gemm,
            "time_ratio_one_thread": t_one / t_gemm,
            "peak_bytes": peak, "peak_over_batch_io": peak / linear,
            "peak_over_batch_in_out": peak / cubic,
        }
        print(f"{key}: tiles {info.tiles}, program {t_prog:.2f} s; core on {cores} threads "
              f"{t_core * 1e6:.1f} us ({macs / t_core:.3g} MAC/s), on 1 thread "
              f"{t_one * 1e6:.1f} us, vs numpy X @ W.T {t_gemm * 1e6:.1f} us "
              f"({macs / t_gemm:.3g} MAC/s): throughput ratio {t_gemm / t_core:.3f}, "
              f"time ratio {t_core / t_gemm:.1f} ({t_one / t_gemm:.1f} on 1 thread); peak "
              f"memory {peak / 1e6:.2f} MB = {peak / linear:.1f} x batch(in+out) doubles, "
              f"{peak / cubic:.3f} x batch*in*out")
    large, small = figures["4096x256_b256"], figures["800x10_b64"]
    print(f"targets: large-shape throughput ratio >= 0.3: {large['throughput_ratio']:.3f}; "
          f"MNIST-shape time ratio <= 3: {small['time_ratio']:.1f}")
    print(json.dumps({"benchmark": "mvm_throughput", **figures}))


if __name__ == "__main__":
    main()
