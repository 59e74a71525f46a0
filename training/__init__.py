"""photonic_dfa.training: networks trained with the feedback computed by any core.

MNIST (offline loader, numpy MLP, :func:`train_mnist` with ``backprop``, ``dfa``,
``gaussian`` or ``photonic`` feedback) and a character-level Transformer
(:func:`train_lm`: BP, macro/micro DFA, photonic DFA) on Shakespeare or any text.
"""

from .corpus import CharCorpus, load_corpus
from .datasets import MNIST, load_mnist, synthetic_mnist
from .feedback import DFA, Backprop, ChipFeedback, GaussianDFA, make_feedback
from .lm import LMConfig, train_lm
from .lm_feedback import DFAFeedback, make_core
from .mlp import MLP
from .trainer import TrainConfig, Trainer, train_mnist
from .transformer import Transformer, TransformerConfig

__all__ = [
    "DFA", "MLP", "MNIST", "Backprop", "CharCorpus", "ChipFeedback", "DFAFeedback",
    "GaussianDFA", "LMConfig", "TrainConfig", "Trainer", "Transformer", "TransformerConfig",
    "load_corpus", "load_mnist", "make_core", "make_feedback", "synthetic_mnist", "train_lm",
    "train_mnist",
]
