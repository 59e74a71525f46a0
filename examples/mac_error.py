"""An ML-hardware researcher's question: how wrong is ``B e`` on the chip, against the
authors' Gaussian model, for the design chip and for a fabricated chip after calibration?

``python examples/mac_error.py [samples]``
"""

import sys

import photonic_dfa as pdfa

samples = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
cfg = pdfa.ChipConfig()
design = pdfa.measure_mac_error(cfg, samples=samples)
chip = pdfa.measure_mac_error(cfg, samples=samples, core=pdfa.calibrated_core(cfg, fab_seed=0))
model = pdfa.AUTHORS_ERROR
print(f"error of (B e)_j in units of max|e|, B (800 x 10), {samples} DFA errors e")
print(f"{'':28}{'mean':>9}{'std':>8}{'bits':>7}")
print(f"{'design chip':28}{design.mean:+9.4f}{design.std:8.3f}{design.enob:7.2f}")
print(f"{'fabricated chip, calibrated':28}{chip.mean:+9.4f}{chip.std:8.3f}{chip.enob:7.2f}")
print(f"{'authors model':28}{model.mean:+9.4f}{model.std:8.3f}{design.authors_enob:7.2f}")
