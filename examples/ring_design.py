"""A device engineer's first look: how radius and coupling trade Q, FSR and extinction,
and what that does to a 16-channel weight bank's crosstalk and weight range.

``python examples/ring_design.py``
"""

import warnings

import numpy as np

import photonic_dfa as pdfa

warnings.simplefilter("ignore", UserWarning)  # the "fits" column says when the band > FSR
grid = pdfa.ChannelGrid(n_channels=16, channel_spacing=100e9)
lam = grid.center_wavelength
print(f"{'radius':>8} {'r':>6} {'Q_L':>8} {'FSR nm':>7} {'ER dB':>6} {'fits':>5} {'range':>6}")
for radius in (5e-6, 7e-6, 10e-6):
    for r in (0.97, 0.985, 0.99):
        ring = pdfa.AddDropRing(radius=radius, r1=r, r2=r)
        fits = ring.fsr(lam) > grid.n_channels * lam**2 * grid.channel_spacing / 299_792_458.0
        bank = pdfa.WeightBank.design(grid, ring=ring)
        w_min, w_max = bank.reachable_weights()
        span = float(np.minimum(-w_min, w_max).min())  # symmetric range every channel reaches
        print(f"{radius * 1e6:6.1f}um {r:6.3f} {ring.q_loaded(lam):8.0f} "
              f"{ring.fsr(lam) * 1e9:7.2f} {10 * np.log10(ring.extinction_ratio()):6.1f} "
              f"{'yes' if fits else 'no':>5} {span:6.3f}")
