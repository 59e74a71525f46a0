"""PyTorch adapter: train any ``torch.nn.Module`` with Direct Feedback Alignment whose
feedback product ``B e`` runs through any :class:`~photonic_dfa.architecture.digital.MatVecCore`
(digital, the authors' Gaussian error model, a simulated calibrated chip).

Needs the ``torch`` extra (``pip install 'photonic-dfa[torch]'``); torch is never a core
dependency of the project. Usage, in the spirit of LightOn's TinyDFA::

    from photonic_dfa.torch import DFA, DFALayer

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(784, 800), nn.Linear(800, 800)
            self.fc3 = nn.Linear(800, 10)
            self.m1, self.m2 = DFALayer(), DFALayer()          # one marker per hidden signal
            self.dfa = DFA([self.m1, self.m2], core="chip", rng=0)

        def forward(self, x):
            x = torch.relu(self.m1(self.fc1(x)))
            x = torch.relu(self.m2(self.fc2(x)))
            return self.dfa(self.fc3(x))                         # the output hook

See :mod:`photonic_dfa.torch.dfa` for the equations and conventions.
"""

from __future__ import annotations

from .dfa import CORES, DFA, DFALayer, make_core

__all__ = ["CORES", "DFA", "DFALayer", "make_core"]
