"""An ML researcher's PyTorch model trained with DFA whose feedback runs on the simulated,
calibrated chip: mark the hidden signals, hook the output, train as usual.

``python examples/torch_cnn.py [batches]`` (needs the ``torch`` extra)
"""

import sys

import numpy as np
import torch
from torch import nn

import photonic_dfa as pdfa
from photonic_dfa.torch import DFA, DFALayer


class Net(nn.Module):
    def __init__(self, core: str) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
        self.fc1, self.fc2 = nn.Linear(8 * 14 * 14, 128), nn.Linear(128, 10)
        self.m1, self.m2 = DFALayer(), DFALayer()   # the hidden signals DFA feeds back to
        self.dfa = DFA([self.m1, self.m2], core=core, rng=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.m1(self.conv(x)).flatten(1)         # block 1: conv, ReLU, pool
        h = torch.relu(self.m2(self.fc1(h)))         # block 2: linear, ReLU
        return self.dfa(self.fc2(h))                 # the output hook computes B e on the chip


batches = int(sys.argv[1]) if len(sys.argv) > 1 else 300
data = pdfa.load_mnist()
x = torch.tensor((data.x_train[:64 * batches] / 255.0 - 0.1307) / 0.3081,
                 dtype=torch.float32).reshape(-1, 1, 28, 28)
y = torch.tensor(data.y_train[:64 * batches])
torch.manual_seed(0)
net = Net(core="chip")                               # a fabricated chip, calibrated
opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
for xb, yb in zip(x.split(64), y.split(64)):
    opt.zero_grad()
    nn.functional.cross_entropy(net(xb), yb).backward()
    opt.step()
xt = torch.tensor((data.x_test / 255.0 - 0.1307) / 0.3081, dtype=torch.float32)
with torch.no_grad():
    pred = net(xt.reshape(-1, 1, 28, 28)).argmax(1).numpy()
print(f"CNN after {len(x) // 64} photonic-DFA batches: "
      f"{100 * np.mean(pred == data.y_test):.1f} % test accuracy")
