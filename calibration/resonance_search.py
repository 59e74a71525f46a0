"""Resonance search: find every ring's resonance power from heater sweeps and fit it.

For ring k of every bank at once (banks have their own detectors): light channel k alone,
sweep ring k's heater, read the balanced detectors; the weight of channel k peaks where
ring k's resonance crosses the channel (:mod:`.lorentzian`).

Coarse passes over the whole heater range (step: the nominal linewidth in power, so a
peak always has a sample within one half width of its top), then a fine sweep around each
peak fitted with :func:`~.lorentzian.fit_lorentzian`:

1. first pass, every other ring cold. A cold ring may sit on a foreign channel (the design
   biases every cold resonance blue by a few channel spacings) and hide ring k's peak;
2. next passes: every ring found so far parked at its resonance (on its own channel, far
   from the others'), the rest cold, until the set of found rings and their peaks settle
   (at most ``max_passes``): each pass frees the channels the newly found rings blocked;
   then, if rings are still missing, one pass with the missing rings' heaters at mid
   range (a ring out of reach may hide another's channel with its next mode);
3. fine sweeps (``fine_points`` over +-``fine_halfwidth`` nominal half widths), others
   parked as in the last pass (the *context* of the fit, kept with the result since the
   neighbours' heat shifts each resonance).

A ring with no peak in its heater range (open heater, or a resonance out of reach) is
reported as not found, with its index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import find_peaks

from .lorentzian import fit_lorentzian
from .measurement import MeasurableChip, applied_powers, one_hot_sweeps

__all__ = ["ResonanceFit", "find_resonances", "coarse_search"]


@dataclass(frozen=True)
class ResonanceFit:
    """Per-ring resonance fits, arrays ``(M, N)`` (powers in W).

    ``p0`` is the resonance power of ring k with the other rings at ``context`` (its own
    column unused); NaN where ``found`` is False. ``stuck`` is the level a not-found ring's
    channel reads (its weight, which no heater power changes). ``sweep_powers``,
    ``sweep_readings`` ``(M, N, G)`` are the fine sweeps behind the fits.
    """

    p0: np.ndarray
    gamma: np.ndarray
    amplitude: np.ndarray
    baseline: np.ndarray
    p0_stderr: np.ndarray
    rms_residual: np.ndarray
    found: np.ndarray
    stuck: np.ndarray
    context: np.ndarray
    sweep_powers: np.ndarray
    sweep_readings: np.ndarray
    measurements: int

    @property
    def not_found(self) -> list[tuple[int, int]]:
        """``(bank, ring)`` indices of rings without a resonance in reach."""
        return [(int(j), int(k)) for j, k in zip(*np.nonzero(~self.found))]


def coarse_search(chip: MeasurableChip, park: np.ndarray, step: float,
                  min_height: float, samples: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One coarse pass: sweep every ring over ``[0, max]`` with the others at ``park``.

    Returns ``(peak power, found, level, grid, traces)``: per ring ``(M, N)`` the power of
    the most prominent peak, whether one stands ``min_height`` above its surroundings
    (+-10 steps) while at most 4 steps wide at half prominence: the ring's own line, one
    linewidth wide, and not a neighbour's resonance dragged across the channel by thermal
    crosstalk, which is as many times wider as the crosstalk is weaker), and the trace's
    median (the stuck level of a ring that never resonates); the sweep ``grid`` ``(G,)``
    and ``traces`` ``(M, N, G)``.
    """
    d = chip.design
    m, n = chip.n_outputs, chip.n_inputs
    grid = np.arange(0.0, d.max_heater_power + 0.5 * step, step)
    grid = np.unique(applied_powers(chip, grid))
    g = grid.size
    p = np.broadcast_to(park, (n, g, m, n)).copy()
    ks = np.arange(n)
    p[ks, :, :, ks] = grid[None, :, None]  # ring k swept in batch row k
    y = one_hot_sweeps(chip, np.repeat(ks, g), p.reshape(n * g, m, n), samples)
    y = y.reshape(n, g, m).transpose(2, 0, 1)  # (M, N, G)
    peak = np.zeros((m, n))
    found = np.zeros((m, n), dtype=bool)
    for j in range(m):
        for k in range(n):
            idx, props = find_peaks(y[j, k], prominence=min_height, wlen=21,
                                    width=(None, 4.0))
            if idx.size:
                best = int(np.argmax(props["prominences"]))
                peak[j, k] = grid[idx[best]]
                found[j, k] = True
    return peak, found, np.median(y, axis=-1), grid, y


def find_resonances(chip: MeasurableChip, coarse_step: float | None = None,
                    fine_points: int = 41, fine_halfwidth: float = 6.0,
                    max_passes: int = 4, samples: int | None = None) -> ResonanceFit:
    """Search and fit every ring's resonance (module docstring). ``coarse_step`` defaults
    to the nominal linewidth in heater power; ``fine_halfwidth`` is in nominal half widths.
    """
    d = chip.design
    m, n = chip.n_outputs, chip.n_inputs
    start = chip.measurement_count
    step = d.linewidth_power if coarse_step is None else float(coarse_step)
    if not 0.0 < step < d.max_heater_power:
        raise ValueError(f"coarse_step must be in (0, {d.max_heater_power:g}) W, got {step!r}")
    if fine_points < 7:
        raise ValueError(f"fine_points must be >= 7, got {fine_points!r}")
    # a resonance swings the weight by about 2; a peak a quarter as tall is unmistakable
    min_height = 0.5
    park = np.zeros((m, n))
    known = np.zeros((m, n), dtype=bool)
    for _ in range(max_passes):
        peak, found, level, _, _ = coarse_search(chip, park, step, min_height, samples)
        settled = np.array_equal(found, known) and np.allclose(
            np.where(found, peak, 0.0), park, rtol=0.0, atol=2.0 * step)
        # rings found now are parked at their resonance; rings found before but hidden
        # now (a neighbour still cold on their channel) keep their earlier estimate
        park = np.where(found, peak, np.where(known, park, 0.0))
        known |= found
        if settled:
            break
    if not found.all():
        # A ring still missing may be hidden by another missing ring (a resonance out of
        # reach can have its next mode on a foreign channel): move the missing rings' own
        # heaters to mid range once and keep that if it reveals more rings.
        trial = np.where(known, park, 0.5 * d.max_heater_power)
        peak_t, found_t, level_t, _, _ = coarse_search(chip, trial, step, min_height, samples)
        if found_t.sum() > found.sum():
            park = np.where(found_t, peak_t, trial)
            found, level = found_t, level_t
    peak2, found2 = park, found

    # fine sweeps around each pass-2 peak, others at the pass-2 park
    half = fine_halfwidth * 0.5 * d.linewidth_power
    offs = np.linspace(-half, half, fine_points)
    centre = np.where(found2, peak2, 0.5 * d.max_heater_power)
    sweep = applied_powers(chip, centre[..., None] + offs)  # (M, N, G)
    p = np.broadcast_to(park, (n, fine_points, m, n)).copy()
    ks = np.arange(n)
    p[ks, :, :, ks] = sweep.transpose(1, 2, 0)  # (N, G, M) into ring k's column
    y = one_hot_sweeps(chip, np.repeat(ks, fine_points), p.reshape(n * fine_points, m, n),
                       samples)
    y = y.reshape(n, fine_points, m).transpose(2, 0, 1)  # (M, N, G)

    shape = (m, n)
    out = {k: np.full(shape, np.nan) for k in
           ("p0", "gamma", "amplitude", "baseline", "p0_stderr", "rms_residual")}
    found = found2.copy()
    for j, k in zip(*np.nonzero(found2)):
        f = fit_lorentzian(sweep[j, k], y[j, k])
        inside = sweep[j, k, 0] <= f.p0 <= sweep[j, k, -1]
        if not (inside and f.amplitude > min_height and np.isfinite(f.p0_stderr)):
            found[j, k] = False
            continue
        for name in out:
            out[name][j, k] = getattr(f, name)
    return ResonanceFit(found=found, stuck=level, context=park, sweep_powers=sweep,
                        sweep_readings=y, measurements=chip.measurement_count - start, **out)
