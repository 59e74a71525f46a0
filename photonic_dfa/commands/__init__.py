"""Subcommands of ``photonic-dfa``: one module each, each with ``register(subparsers)``.

``_common`` holds what they share: the help layout (description, defaults, one example),
the units rule of every quantity flag (:mod:`photonic_dfa.base.units`) and the one preset
vocabulary (``smoke``, ``quick``, ``full``).

Heavy imports (numba, jax, gdsfactory) belong inside each command's ``run`` so that
``photonic-dfa --help`` stays fast.
"""
