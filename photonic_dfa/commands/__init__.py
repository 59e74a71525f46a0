"""Subcommands of ``photonic-dfa``: one module each, each with ``register(subparsers)``.

Heavy imports (numba, jax, gdsfactory) belong inside each command's ``run`` so that
``photonic-dfa --help`` stays fast.
"""
