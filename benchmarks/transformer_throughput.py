"""Training throughput (tokens/s) of the numpy Transformer against PyTorch on CPU, same model.

Both run the same pre-LN GPT (same config, same weights, tanh GELU, untied unembedding,
AdamW) on the same batch, in this process, alternating timed rounds so that machine load
hits both alike. Before timing, the loss and every gradient are checked to agree.
PyTorch uses its fused causal attention (scaled_dot_product_attention). Thread count: the
same for both (``--threads``; default 1, the setting the grid workers use).

Usage: python benchmarks/transformer_throughput.py [--preset default|quick] [--threads N]
Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", choices=("quick", "default"), default="default")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--steps", type=int, default=4, help="training steps per timed round")
    return p.parse_args()


ARGS = _parse()
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402  (after the thread limits)

from photonic_dfa.training.adamw import AdamW, AdamWConfig  # noqa: E402
from photonic_dfa.training.lm import PRESETS  # noqa: E402
from photonic_dfa.training.transformer import Transformer  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover
    sys.exit("PyTorch is needed: pip install 'photonic-dfa[bench]'")

VOCAB = 84  # the Shakespeare corpus


def torch_model(params: dict[str, np.ndarray], n_layers: int, n_heads: int):
    """The same network in PyTorch, holding copies of ``params``."""
    tp = {k: torch.nn.Parameter(torch.from_numpy(v.copy())) for k, v in params.items()}

    def forward(idx: torch.Tensor) -> torch.Tensor:
        b, t = idx.shape
        x = tp["wte"][idx] + tp["wpe"][:t]
        d = x.shape[-1]
        for layer in range(n_layers):
            p = f"h{layer}."
            a = F.layer_norm(x, (d,), tp[p + "ln1.g"], tp[p + "ln1.b"], 1e-5)
            qkv = a @ tp[p + "attn.wqkv"] + tp[p + "attn.bqkv"]
            q, k, v = qkv.view(b, t, 3, n_heads, d // n_heads).permute(2, 0, 3, 1, 4)
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = y.transpose(1, 2).reshape(b, t, d)
            x = x + y @ tp[p + "attn.wo"] + tp[p + "attn.bo"]
            m = F.layer_norm(x, (d,), tp[p + "ln2.g"], tp[p + "ln2.b"], 1e-5)
            h = F.gelu(m @ tp[p + "mlp.w1"] + tp[p + "mlp.b1"], approximate="tanh")
            x = x + h @ tp[p + "mlp.w2"] + tp[p + "mlp.b2"]
        x = F.layer_norm(x, (d,), tp["lnf.g"], tp["lnf.b"], 1e-5)
        return x @ tp["wout"]

    return tp, forward


def main() -> int:
    torch.set_num_threads(ARGS.threads)
    cfg = PRESETS[ARGS.preset]
    rng = np.random.default_rng(0)
    model = Transformer(cfg.model_config(VOCAB), rng=rng)
    x = rng.integers(0, VOCAB, size=(cfg.batch_size, cfg.context))
    y = rng.integers(0, VOCAB, size=(cfg.batch_size, cfg.context))
    tp, tforward = torch_model(model.params, cfg.n_layers, cfg.n_heads)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    names = list(tp)
    ordered = [tp[k] for k in names]
    topt = torch.optim.AdamW(ordered, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.1)
    nopt = AdamW(model.params, AdamWConfig(weight_decay=0.1))

    # correctness first: same loss and gradients
    loss, grads = model.loss_and_grads(x, y)
    tloss = F.cross_entropy(tforward(tx).reshape(-1, VOCAB), ty.reshape(-1))
    tloss.backward()
    rel = 0.0
    for k in names:
        ref = tp[k].grad.numpy()
        rel = max(rel, float(np.abs(grads[k] - ref).max() / (np.abs(ref).max() + 1e-30)))
    loss_diff = abs(loss - float(tloss.detach()))
    print(f"agreement: |loss diff| = {loss_diff:.2e}, max relative gradient diff = {rel:.2e}")
    if loss_diff > 1e-4 or rel > 1e-3:
        print("numpy and PyTorch disagree", file=sys.stderr)
        return 1

    def ours() -> None:
        _, g = model.loss_and_grads(x, y)
        nopt.step(model.params, g, 1e-4)

    def theirs() -> None:
        topt.zero_grad(set_to_none=True)
        out = tforward(tx)
        F.cross_entropy(out.reshape(-1, VOCAB), ty.reshape(-1)).backward()
        torch.nn.utils.clip_grad_norm_(ordered, 1.0)
        topt.step()

    for fn in (ours, theirs):  # warm-up (numba compile, allocator)
        fn()
    times = {"numpy": [], "torch": []}
    for _ in range(ARGS.rounds):
        for name, fn in (("numpy", ours), ("torch", theirs)):
            t0 = time.perf_counter()
            for _ in range(ARGS.steps):
                fn()
            times[name].append((time.perf_counter() - t0) / ARGS.steps)
    tokens = cfg.batch_size * cfg.context
    best = {k: tokens / min(v) for k, v in times.items()}
    median = {k: tokens / float(np.median(v)) for k, v in times.items()}
    ratio = median["numpy"] / median["torch"]
    n = model.config.non_embedding_params
    print(f"model: preset {ARGS.preset}, d_model {cfg.d_model}, layers {cfg.n_layers}, "
          f"context {cfg.context}, batch {cfg.batch_size}, N (non-embedding) {n}")
    print(f"threads {ARGS.threads}, torch {torch.__version__}, median of {ARGS.rounds} rounds")
    print(f"numpy  {median['numpy']:9.0f} tokens/s  (best {best['numpy']:.0f})")
    print(f"torch  {median['torch']:9.0f} tokens/s  (best {best['torch']:.0f})")
    print(f"ratio numpy/torch = {ratio:.2f}  (target >= 0.5)")
    print(json.dumps({
        "benchmark": "transformer_throughput", "preset": ARGS.preset, "threads": ARGS.threads,
        "numpy_tokens_per_s": round(median["numpy"], 1),
        "torch_tokens_per_s": round(median["torch"], 1),
        "ratio_numpy_over_torch": round(ratio, 3), "non_embedding_params": n,
        "max_rel_grad_diff": rel, "torch_version": torch.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
