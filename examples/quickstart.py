"""Design a weight bank, fabricate and calibrate a chip, multiply on it, train a few batches.

The README's first example, runnable: ``python examples/quickstart.py``. MNIST comes from
the data directory (``photonic-dfa data`` fetches it once).
"""

import numpy as np

import photonic_dfa as pdfa

ring = pdfa.AddDropRing(radius=7e-6, r1=0.99, r2=0.99)       # the template, SI units
bank = pdfa.WeightBank.design(pdfa.ChannelGrid(n_channels=16), ring=ring)  # one ring per channel
powers = bank.heater_powers_for_weights(np.linspace(-0.5, 0.5, 16))       # weights -> heaters
core = pdfa.calibrated_core(pdfa.ChipConfig(), fab_seed=0)  # fabricate, calibrate by measuring
B, e = np.random.default_rng(0).uniform(-1, 1, (800, 10)), np.eye(10)[:4] - 0.1
core.program(B)                                               # heaters from the calibration
err = core.matvec(e) - e @ B.T                                # B e on the chip, vs exact
cfg = pdfa.TrainConfig(feedback="photonic", epochs=1, train_subset=640)   # 10 batches of 64
summary = pdfa.train_mnist(cfg, pdfa.load_mnist(), core=core, progress=False, echo=None)

print(f"bank: 16 rings, weights {bank.weights(powers).round(2)[[0, -1]]} at the two ends")
print(f"chip: {core.describe()}")
print(f"B e on the chip: error rms {err.std():.3f}, |B e| up to {abs(e @ B.T).max():.1f}")
print(f"MNIST after 10 photonic-DFA batches: {100 * summary['test_acc']:.1f} % test accuracy")
