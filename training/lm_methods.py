"""The training methods of the character Transformer by name, and what each one is.

* ``bp``: backpropagation.
* ``dfa``: DFA as published (Nokland 2016; Transformers: Launay et al. 2020, "macro"): the
  literal signal ``e B_k`` enters at the output of each block, which backpropagates it
  through its own sublayers only.
* ``dfa-micro``: the literal signal enters after the attention and after the MLP sublayer.
* ``dfa-ln``, ``dfa-ln-micro``: a variant of this project, not the published method: each
  ``e B_k`` is first passed through the derivative of the normalisation the stream meets
  next (the next LayerNorm), which removes its radial part.
* ``photonic``, ``photonic-ln``: ``dfa`` and ``dfa-ln`` with every feedback product
  ``e B`` computed by a matrix-vector core (the simulated chip).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MethodSpec", "METHOD_SPECS", "METHODS", "method_spec"]


@dataclass(frozen=True)
class MethodSpec:
    """How one method trains: injection points, signal form, where ``e B`` is computed."""

    name: str
    points: str | None  # "macro" (one point per block), "micro" (two), None for bp
    layernorm_signal: bool  # e B through the next LayerNorm's derivative (the variant)
    on_chip: bool  # the feedback products run on a matrix-vector core

    @property
    def is_dfa(self) -> bool:
        return self.points is not None

    def points_per_block(self) -> int:
        return {None: 0, "macro": 1, "micro": 2}[self.points]


METHOD_SPECS: dict[str, MethodSpec] = {
    s.name: s for s in (
        MethodSpec("bp", None, False, False),
        MethodSpec("dfa", "macro", False, False),
        MethodSpec("dfa-micro", "micro", False, False),
        MethodSpec("dfa-ln", "macro", True, False),
        MethodSpec("dfa-ln-micro", "micro", True, False),
        MethodSpec("photonic", "macro", False, True),
        MethodSpec("photonic-ln", "macro", True, True),
    )
}
METHODS: tuple[str, ...] = tuple(METHOD_SPECS)


def method_spec(method: str) -> MethodSpec:
    """The spec of ``method``; ``ValueError`` naming the choices otherwise."""
    try:
        return METHOD_SPECS[method]
    except (KeyError, TypeError):
        raise ValueError(f"method must be one of {METHODS}, got {method!r}") from None
