"""``photonic-dfa ring``: one microring's figures and through/drop spectra, cold and heated.

Quantities are SI numbers or numbers with a unit (``10um``, ``1550nm``, ``5mW``). The heater's
temperature rise is ``heater power x thermal resistance`` (``devices.thermal.Heater``) and
shifts the resonances by ``lambda dn_dT dT / n_g``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from photonic_dfa.base.units import (
    length,
    loss_db_per_cm,
    number,
    power,
    thermal_resistance,
)
from photonic_dfa.devices.microring import AddDropRing

from ._common import UNITS_RULE, add_command, directory

_MAX_POINTS = 2_000_000


def register(subparsers: Any) -> None:
    p = add_command(
        subparsers, "ring",
        help="figures and spectra of one microring (FSR, FWHM, Q, extinction, heater shift)",
        description="Compute one microring's figures (FSR, FWHM, loaded and intrinsic Q, "
                    "finesse, extinction ratio, coupling regime, drop peak, resonances in the "
                    "band), print them as a table and write OUT/ring_figures.json and "
                    "OUT/ring_spectrum.png (through/drop spectra in dB and linear). With "
                    "--heater-power the heated spectrum is drawn beside the cold one."
                    "\n\n" + UNITS_RULE,
        example="photonic-dfa ring --radius 10um --r1 0.98 --heater-power 5mW --out "
                "results/ring")
    p.add_argument("--radius", type=length, default=f"{AddDropRing.radius * 1e6:g}um",
                   metavar="LENGTH", help="ring radius (the default chip's ring)")
    p.add_argument("--r1", type=number, default=0.98,
                   help="field self-coupling of the input (through) bus coupler, in (0, 1]")
    p.add_argument("--r2", type=number, default=0.98,
                   help="field self-coupling of the drop bus coupler, in (0, 1]")
    p.add_argument("--all-pass", action="store_true",
                   help="single bus (all-pass ring with r = r1); no drop port")
    p.add_argument("--loss-db-per-cm", type=loss_db_per_cm, default=2.0, metavar="DB_PER_CM",
                   help="waveguide propagation loss, dB/cm (or e.g. 0.2dB/mm)")
    p.add_argument("--n-eff", type=number, default=2.4, help="effective index at wavelength0")
    p.add_argument("--n-g", type=number, default=4.2, help="group index")
    p.add_argument("--wavelength0", type=length, default="1550nm", metavar="LENGTH",
                   help="design wavelength of n_eff and n_g")
    p.add_argument("--coupler-length", type=length, default="0um", metavar="LENGTH",
                   help="straight coupler length per coupler (racetrack)")
    p.add_argument("--dn-dT", type=number, default=None, metavar="PER_K",
                   help="effective thermo-optic coefficient dn_eff/dT, 1/K (default 1.77e-4)")
    p.add_argument("--band", type=length, nargs=2, metavar=("START", "STOP"),
                   help="wavelength band to plot and list resonances in, e.g. 1540nm 1560nm "
                        "(default: 2.5 FSR around the resonance nearest wavelength0)")
    p.add_argument("--heater-power", type=power, default=None, metavar="POWER",
                   help="heater power, e.g. 5mW; draws the heated spectrum beside the cold one "
                        "(default: no heating)")
    p.add_argument("--heater-efficiency", type=thermal_resistance, default=None,
                   metavar="K_PER_W", help="heater thermal resistance, K/W or e.g. 3K/mW "
                   "(default the Heater model's 3000 K/W)")
    p.add_argument("--points", type=int, default=None,
                   help="wavelength samples (default: enough for 40 per linewidth, >= 20001)")
    p.add_argument("--out", type=directory("output directory"), required=True,
                   help="output directory")
    p.set_defaults(func=run)


def build_ring(args: argparse.Namespace) -> Any:
    from photonic_dfa.devices.microring import AddDropRing, AllPassRing

    common = dict(radius=args.radius, coupler_length=args.coupler_length,
                  loss_db_per_cm=args.loss_db_per_cm, n_eff=args.n_eff, n_g=args.n_g,
                  wavelength0=args.wavelength0)
    if args.dn_dT is not None:
        common["dn_dT"] = args.dn_dT
    if args.all_pass:
        return AllPassRing(r=args.r1, **common)
    return AddDropRing(r1=args.r1, r2=args.r2, **common)


def figures(ring: Any, band: tuple[float, float], delta_t: float | None = None
            ) -> dict[str, Any]:
    """The ring's figures at the resonance nearest the band centre (SI units); with
    ``delta_t`` also the heated resonances and the shift."""
    import math

    centre = ring.resonance_near((band[0] + band[1]) / 2)
    er = ring.extinction_ratio()
    out: dict[str, Any] = {
        "kind": "add-drop" if hasattr(ring, "r1") else "all-pass",
        "resonance": centre,
        "fsr": ring.fsr(centre),
        "fwhm": ring.fwhm(centre),
        "q_loaded": ring.q_loaded(centre),
        "q_intrinsic": ring.q_intrinsic(centre),
        "finesse": ring.finesse(),
        "extinction_ratio_db": 10 * math.log10(er) if math.isfinite(er) else math.inf,
        "coupling_regime": ring.coupling_regime,
        "round_trip_amplitude": ring.round_trip_amplitude,
        "resonances": ring.resonances(*band).tolist(),
    }
    if hasattr(ring, "drop_peak"):
        out["drop_peak"] = ring.drop_peak()
    if delta_t is not None:
        out["resonances_heated"] = ring.resonances(*band, delta_t=delta_t).tolist()
        out["resonance_shift"] = float(ring.resonance_shift(delta_t, centre))
    return out


def _q(q: float) -> str:
    return f"{q:,.0f}" if q < 1e7 else f"{q:.3g}"


def _table(ring: Any, fig: dict[str, Any], heat: dict[str, float] | None) -> str:
    rows = [
        ("ring", f"{fig['kind']}, R = {ring.radius * 1e6:.4g} um, L = {ring.length * 1e6:.4g} um"),
        ("couplings", f"r1 = {ring.r1:.6g}, r2 = {ring.r2:.6g}" if hasattr(ring, "r1")
         else f"r = {ring.r:.6g}"),
        ("loss", f"{ring.loss_db_per_cm:.4g} dB/cm (round-trip a = "
                 f"{fig['round_trip_amplitude']:.6f})"),
        ("figures at", f"{fig['resonance'] * 1e9:.4f} nm (resonance nearest the band centre)"),
        ("FSR", f"{fig['fsr'] * 1e9:.4f} nm"),
        ("FWHM", f"{fig['fwhm'] * 1e12:.4g} pm"),
        ("loaded Q", _q(fig["q_loaded"])),
        ("intrinsic Q", _q(fig["q_intrinsic"])),
        ("finesse", f"{fig['finesse']:.4g}"),
        ("extinction ratio", f"{fig['extinction_ratio_db']:.4g} dB"),
        ("coupling regime", f"{fig['coupling_regime']}-coupled"),
    ]
    if "drop_peak" in fig:
        import math

        dp = fig["drop_peak"]
        db = f"{10 * math.log10(dp):.3g} dB" if dp > 0 else "-inf dB"
        rows.append(("drop peak", f"{dp:.4f} ({db})"))
    res = ", ".join(f"{r * 1e9:.3f}" for r in fig["resonances"])
    rows.append((f"resonances in band ({len(fig['resonances'])})", f"{res} nm" if res else "none"))
    if heat is not None:
        rows += [
            ("heater", f"{heat['power'] * 1e3:.4g} mW x {heat['thermal_resistance']:.4g} K/W "
                       f"= {heat['delta_t']:.4g} K"),
            ("resonance shift", f"{fig['resonance_shift'] * 1e12:.4g} pm "
                                f"({fig['resonance_shift'] / fig['fsr']:.3f} FSR)"),
            ("heated resonances",
             ", ".join(f"{r * 1e9:.3f}" for r in fig["resonances_heated"]) + " nm"
             if fig["resonances_heated"] else "none"),
        ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _plot(ring: Any, wl: Any, fig: dict[str, Any], heat: dict[str, float] | None,
          path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from photonic_dfa.base.atomic import atomic_write

    add_drop = hasattr(ring, "r1")
    curves = []  # (label, power, style)
    cold = ring.spectra(wl) if add_drop else (ring.through(wl),)
    names = ("through", "drop")
    colors = {"through": "tab:blue", "drop": "tab:orange"}
    for name, p in zip(names, cold):
        curves.append((name, p, dict(color=colors[name], lw=1.4)))
    if heat is not None:
        dt = heat["delta_t"]
        hot = ring.spectra(wl, dt) if add_drop else (ring.through(wl, dt),)
        tag = f"heated +{dt:.3g} K ({heat['power'] * 1e3:.3g} mW)"
        for name, p in zip(names, hot):
            curves.append((f"{name}, {tag}", p, dict(color=colors[name], lw=1.2, ls="--")))

    x = wl * 1e9
    f, (ax_db, ax_lin) = plt.subplots(2, 1, figsize=(10, 7.4), sharex=True,
                                      layout="constrained")
    floor = 1e-6  # -60 dB display floor
    for label, p, style in curves:
        ax_db.plot(x, 10 * np.log10(np.maximum(p, floor)), label=label, **style)
        ax_lin.plot(x, p, label=label, **style)
    for r in fig["resonances"]:
        for ax in (ax_db, ax_lin):
            ax.axvline(r * 1e9, color="0.6", lw=0.6, ls=":", zorder=0)
    ax_db.set_ylabel("transmission (dB)")
    ax_lin.set_ylabel("transmission (linear)")
    ax_lin.set_xlabel("wavelength (nm)")
    ax_lin.set_ylim(-0.02, 1.02)
    lo_db = 10 * np.log10(max(min(float(np.min(p)) for _, p, _ in curves), floor))
    ax_db.set_ylim(min(lo_db - 3, -3), 1)
    for ax in (ax_db, ax_lin):
        ax.grid(True, alpha=0.3)
        ax.set_xlim(x[0], x[-1])
    r0 = fig["resonance"] * 1e9
    r1 = r0 + fig.get("resonance_shift", 0.0) * 1e9
    if heat is not None and r1 != r0 and x[0] <= min(r0, r1) and max(r0, r1) <= x[-1]:
        ax_lin.annotate("", xy=(r1, 0.5), xytext=(r0, 0.5),
                        arrowprops=dict(arrowstyle="->", color="0.2", lw=1.0))
        ax_lin.text((r0 + r1) / 2, 0.53, f"{fig['resonance_shift'] * 1e12:+.4g} pm",
                    ha="center", va="bottom", fontsize=8, color="0.2",
                    bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.8))
    if not fig["resonances"]:
        ax_lin.text(0.5, 0.5, "no resonance in the band", transform=ax_lin.transAxes,
                    ha="center", va="center", color="0.4")
    f.legend(*ax_lin.get_legend_handles_labels(), loc="outside lower center",
             ncol=len(curves), fontsize=9, frameon=False)
    kind = "Add-drop" if add_drop else "All-pass"
    coup = (f"r1={ring.r1:.4g}, r2={ring.r2:.4g}" if add_drop else f"r={ring.r:.4g}")
    er = fig["extinction_ratio_db"]
    line2 = (f"FSR {fig['fsr'] * 1e9:.3f} nm, FWHM {fig['fwhm'] * 1e12:.4g} pm, "
             f"Q$_L$ {_q(fig['q_loaded'])}, Q$_i$ {_q(fig['q_intrinsic'])}, "
             f"F {fig['finesse']:.3g}, ER {er:.3g} dB ({fig['coupling_regime']}-coupled)")
    if add_drop:
        line2 += f", drop peak {fig['drop_peak']:.3f}"
    ax_db.set_title(f"{kind} ring R={ring.radius * 1e6:.4g} µm, {coup}, "
                    f"{ring.loss_db_per_cm:.3g} dB/cm\n{line2}", fontsize=10)
    atomic_write(path, lambda fh: f.savefig(fh, format="png", dpi=130))
    plt.close(f)
    return path


def run(args: argparse.Namespace) -> int:
    import math

    import numpy as np

    from photonic_dfa.base.atomic import write_json
    from photonic_dfa.base.validation import check_int, check_scalar
    from photonic_dfa.devices.thermal import Heater

    try:
        ring = build_ring(args)
    except ValueError as exc:
        raise ValueError(f"{exc} (lengths are metres unless a unit is given, e.g. 10um)") from None
    if args.band is None:
        centre = ring.resonance_near(ring.wavelength0)
        half = 1.25 * ring.fsr(centre)
        band = (centre - half, centre + half)
    else:
        band = (check_scalar("--band START", args.band[0], 1e-7, 1e-4),
                check_scalar("--band STOP", args.band[1], 1e-7, 1e-4))
        if band[1] <= band[0]:
            raise ValueError(f"--band STOP must exceed START, got {band[0]!r} {band[1]!r}")

    heat = None
    if args.heater_power is not None or args.heater_efficiency is not None:
        power = check_scalar("--heater-power", args.heater_power or 0.0, 0.0, 10.0)
        kw = {"max_power": max(power, 1e-3)}
        if args.heater_efficiency is not None:
            kw["thermal_resistance"] = args.heater_efficiency
        heater = Heater(**kw)
        heat = {"power": power, "thermal_resistance": heater.thermal_resistance,
                "delta_t": float(heater.temperature_rise(power))}
    delta_t = heat["delta_t"] if heat else None

    fig = figures(ring, band, delta_t)
    if args.points is None:
        per_fwhm = 40 * (band[1] - band[0]) / fig["fwhm"]
        points = int(min(max(20_001, per_fwhm), _MAX_POINTS))
    else:
        points = check_int("--points", args.points, 101, _MAX_POINTS)
    wl = np.linspace(band[0], band[1], points)

    out = Path(args.out)
    png = _plot(ring, wl, fig, heat, out / "ring_spectrum.png")
    summary = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
               for k, v in fig.items()}
    summary.update(band=list(band), points=points, heater=heat,
                   parameters={k: getattr(ring, k) for k in ring.__dataclass_fields__})
    js = write_json(out / "ring_figures.json", summary)
    print(_table(ring, fig, heat))
    print(f"wrote {png}\nwrote {js}")
    return 0
