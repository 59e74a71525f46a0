"""SAX model functions: agreement with the numpy device models, physics invariants, bad
input, behaviour under jit, a user's netlist in ``sax.circuit``, and local x64 mode."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("jax")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402

from photonic_dfa.devices.microring import AddDropRing, AllPassRing  # noqa: E402
from photonic_dfa.devices.modulator import MachZehnderModulator, RingModulator  # noqa: E402
from photonic_dfa.devices.sax_models import (  # noqa: E402
    UM,
    add_drop_ring,
    all_pass_ring,
    import_restoring_jax_config,
    model_settings,
    mzm,
    ring_modulator,
    sax_models,
    waveguide,
    waveguide_settings,
    x64,
)

HAS_SAX = importlib.util.find_spec("sax") is not None
WL = np.linspace(1.53e-6, 1.57e-6, 4001)  # m; 40 nm holds several FSRs of every ring below
RING_CASES = [
    dict(),
    dict(radius=5e-6, loss_db_per_cm=0.0, n_eff=2.2, n_g=4.4, r1=0.95, r2=0.99),
    dict(radius=25e-6, coupler_length=3e-6, loss_db_per_cm=6.0, r1=0.995, r2=0.9,
         dn_dT=1e-4, wavelength0=1.56e-6),
]


def _atol(ring: AllPassRing | AddDropRing) -> float:
    """Rounding bound on a field: micrometres and metres round the phase of ``N`` cycles
    differently, by up to ~8 ulp of ``2 pi N``; times the fields' largest slope in phase,
    ``max(r2 a k1^2, r1 a k2^2, k1 k2 sqrt(a)) / (1 - r1 r2 a)^2`` (at resonance)."""
    r1, r2 = (ring.r, 1.0) if isinstance(ring, AllPassRing) else (ring.r1, ring.r2)
    a = ring.round_trip_amplitude
    k1, k2 = math.sqrt(1 - r1 * r1), math.sqrt(1 - r2 * r2)
    slope = max(r2 * a * k1 * k1, r1 * a * k2 * k2, k1 * k2 * math.sqrt(a)) / (1 - r1 * r2 * a) ** 2
    cycles = ring.n_g * ring.length / WL.min()
    return 8 * np.finfo(float).eps * 2 * math.pi * cycles * slope + 1e-15


def _s_matrix(s: dict, ports: tuple[str, ...]) -> np.ndarray:
    """``(..., P, P)`` array with ``S[..., i, j]`` the field from port j to port i."""
    shape = np.broadcast_shapes(*(np.shape(v) for v in s.values()))
    out = np.zeros(shape + (len(ports), len(ports)), dtype=complex)
    for (a, b), v in s.items():
        out[..., ports.index(b), ports.index(a)] = np.asarray(v)
    return out


def test_x64_is_local_and_restored_after_an_exception():
    before, global_before = jax.enable_x64.value, jax.enable_x64.get_global()
    with x64():
        assert jnp.asarray(1.0).dtype == jnp.float64
    assert jax.enable_x64.value == before
    with pytest.raises(RuntimeError), x64():
        raise RuntimeError("inside")
    assert (jax.enable_x64.value, jax.enable_x64.get_global()) == (before, global_before)


@pytest.mark.parametrize("case", RING_CASES, ids=range(len(RING_CASES)))
def test_add_drop_ring_is_the_device_model(case):
    ring = AddDropRing(**case)
    with x64():
        s = add_drop_ring(wl=WL / UM, **model_settings(ring, delta_t=17.0, phase=0.3))
    t, d = ring.through_field(WL, 17.0, 0.3), ring.drop_field(WL, 17.0, 0.3)
    atol = _atol(ring)
    np.testing.assert_allclose(s["in", "through"], t, rtol=0, atol=atol)
    np.testing.assert_allclose(s["in", "drop"], d, rtol=0, atol=atol)
    np.testing.assert_array_equal(s["add", "through"], s["in", "drop"])
    # the add -> drop path is the through path of the mirrored ring (r1 and r2 swapped)
    mirrored = AddDropRing(**{**case, "r1": ring.r2, "r2": ring.r1})
    assert atol < 1e-10
    np.testing.assert_allclose(s["add", "drop"], mirrored.through_field(WL, 17.0, 0.3),
                               rtol=0, atol=atol)


@pytest.mark.parametrize("case", RING_CASES, ids=range(len(RING_CASES)))
def test_all_pass_ring_and_waveguide_are_the_device_model(case):
    params = {k: v for k, v in case.items() if k not in ("r1", "r2")}
    ring = AllPassRing(r=case.get("r1", 0.98), **params)
    with x64():
        s = all_pass_ring(wl=WL / UM, **model_settings(ring, delta_t=-4.0))
        w = waveguide(wl=WL / UM, **waveguide_settings(ring, 37e-6, delta_t=-4.0))
    np.testing.assert_allclose(s["in", "through"], ring.through_field(WL, -4.0),
                               rtol=0, atol=_atol(ring))
    expected = math.exp(-ring.alpha * 37e-6 / 2) * np.exp(
        2j * np.pi * ring.effective_index(WL, -4.0) * 37e-6 / WL)
    np.testing.assert_allclose(w["in0", "out0"], expected, rtol=0, atol=1e-12)


def test_modulators_are_the_device_models():
    v = np.linspace(-0.5, 2.5, 301)
    rm = RingModulator(detuning=-15e-12, insertion_loss_db=1.0)
    mz = MachZehnderModulator(bias_voltage=0.4, drive_swing=2.0)
    with x64():
        sr = ring_modulator(wl=1.55, **{**model_settings(rm, wavelength=1.55e-6), "voltage": v})
        sm = mzm(wl=np.array([1.3, 1.55]), **{**model_settings(mz), "voltage": v[:, None]})
    # wl - wl_res in um carries ~1e-16 um of rounding, ~1e-11 in power on this Q ~ 3000 ring
    np.testing.assert_allclose(np.abs(sr["in", "through"]) ** 2, rm.transmission(v),
                               rtol=0, atol=1e-11)
    assert sm["in0", "out0"].shape == (301, 2)
    power = np.broadcast_to(mz.transmission(v)[:, None], (301, 2))
    np.testing.assert_allclose(np.abs(sm["in0", "out0"]) ** 2, power, rtol=0, atol=1e-15)
    np.testing.assert_array_equal(np.angle(sm["in0", "out0"]), 0.0)  # documented: no phase


def test_ring_modulator_phase_follows_the_ring_convention():
    """Away from 0 V the modulator is the all-pass ring at the same detuning: same field."""
    ring = AllPassRing(r=0.98, loss_db_per_cm=20.0)
    lam = ring.resonance_near(1.55e-6)
    fsr = ring.fsr(lam)
    a = ring.round_trip_amplitude
    wl = lam + np.linspace(-0.2, 0.2, 41) * 1e-9
    with x64():
        sr = ring_modulator(wl=wl / UM, wl_res=lam / UM, self_coupling=0.98,
                            round_trip_amplitude=a, fsr=fsr / UM)
        sa = all_pass_ring(wl=wl / UM, **model_settings(ring))
        # numpy copies: arithmetic on JAX arrays outside the block would run in float32
        sr, sa = np.asarray(sr["in", "through"]), np.asarray(sa["in", "through"])
    # the modulator's phase is linear in wl (one FSR per 2 pi), the ring's is 1 / wl:
    # 0.2 nm from resonance they differ by ~(0.2 / 1550) of the phase offset
    np.testing.assert_allclose(sr, sa, rtol=0, atol=2e-3)
    assert np.max(np.abs(np.conj(sr) - sa)) > 0.1


@pytest.mark.parametrize("model, ports", [
    (all_pass_ring, ("in", "through")),
    (add_drop_ring, ("in", "through", "drop", "add")),
    (waveguide, ("in0", "out0")),
    (ring_modulator, ("in", "through")),
    (mzm, ("in0", "out0")),
])
def test_every_model_is_reciprocal_and_passive_with_its_documented_ports(model, ports):
    with x64():
        s = model(wl=WL / UM)
    assert {p for pair in s for p in pair} == set(ports)
    for (a, b), v in s.items():
        np.testing.assert_array_equal(v, s[b, a])
        assert np.shape(v) == WL.shape and jnp.iscomplexobj(v)
    sv = np.linalg.svd(_s_matrix(s, ports), compute_uv=False)
    assert sv.max() <= 1.0 + 1e-12


@settings(max_examples=25, deadline=None)
@given(radius=st.floats(3.0, 50.0), coupler_length=st.floats(0.0, 5.0),
       n_eff=st.floats(1.8, 3.0), dispersion=st.floats(0.0, 2.0),
       r1=st.floats(0.5, 0.999), r2=st.floats(0.5, 0.999), dt=st.floats(-50.0, 50.0))
def test_lossless_add_drop_ring_and_waveguide_are_unitary(radius, coupler_length, n_eff,
                                                          dispersion, r1, r2, dt):
    kw = dict(radius=radius, coupler_length=coupler_length, loss_db_per_cm=0.0,
              n_eff=n_eff, n_g=n_eff + dispersion, delta_t=dt)
    with x64():
        s = add_drop_ring(wl=WL[::10] / UM, r1=r1, r2=r2, **kw)
        w = waveguide(wl=WL[::10] / UM, length=radius, loss_db_per_cm=0.0, n_eff=n_eff,
                      n_g=n_eff + dispersion, delta_t=dt)
    m = _s_matrix(s, ("in", "through", "drop", "add"))
    eye = np.eye(4)
    assert np.max(np.abs(np.conj(np.swapaxes(m, -1, -2)) @ m - eye)) < 1e-12
    np.testing.assert_allclose(np.abs(w["in0", "out0"]), 1.0, rtol=0, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(loss=st.floats(0.0, 50.0), r1=st.floats(0.3, 1.0), r2=st.floats(0.3, 0.999),
       dt=st.floats(-50.0, 50.0))
def test_lossy_add_drop_ring_is_passive(loss, r1, r2, dt):
    with x64():
        s = add_drop_ring(wl=WL[::10] / UM, loss_db_per_cm=loss, r1=r1, r2=r2, delta_t=dt)
    sv = np.linalg.svd(_s_matrix(s, ("in", "through", "drop", "add")), compute_uv=False)
    assert sv.max() <= 1.0 + 1e-12


def test_models_never_change_jax_configuration():
    before = (jax.enable_x64.value, jax.enable_x64.get_global())
    for model in sax_models().values():
        model(wl=1.55)
    with pytest.raises(ValueError), x64():
        add_drop_ring(wl=float("nan"))
    assert (jax.enable_x64.value, jax.enable_x64.get_global()) == before


BAD = [
    (all_pass_ring, "r", 0.0), (all_pass_ring, "r", 1.5), (all_pass_ring, "radius", 0.01),
    (add_drop_ring, "r2", float("nan")), (add_drop_ring, "n_g", 11.0),
    (add_drop_ring, "wl0", 200.0), (add_drop_ring, "delta_t", float("inf")),
    (add_drop_ring, "loss_db_per_cm", -1.0), (add_drop_ring, "phase", 1e13),
    (waveguide, "length", -1.0), (waveguide, "dn_dT", 0.1),
    (ring_modulator, "self_coupling", 1.0), (ring_modulator, "fsr", 2.0),
    (ring_modulator, "voltage", float("nan")), (ring_modulator, "wl_res", 0.0),
    (mzm, "v_pi", 0.0), (mzm, "extinction_ratio_db", 0.0), (mzm, "insertion_loss_db", 41.0),
]


@pytest.mark.parametrize("model, name, value", BAD, ids=[f"{m.__name__}-{n}" for m, n, _ in BAD])
def test_bad_concrete_parameters_raise_naming_them(model, name, value):
    with pytest.raises(ValueError, match=name):
        model(**{name: value})


@settings(max_examples=20, deadline=None)
@given(model=st.sampled_from(list(sax_models().values())),
       wl=st.one_of(st.sampled_from([float("nan"), float("inf"), -1.55, 0.0]),
                    st.floats(100.0001, 1e6)))
def test_bad_wavelengths_raise_naming_wl(model, wl):
    with pytest.raises(ValueError, match="wl"):
        model(wl=np.array([1.55, wl]))


def test_lossless_uncoupled_ring_is_refused():
    with pytest.raises(ValueError, match="loop gain 1"):
        add_drop_ring(r1=1.0, r2=1.0, loss_db_per_cm=0.0)
    with pytest.raises(ValueError, match="loop gain 1"):
        all_pass_ring(r=1.0, loss_db_per_cm=0.0)


def test_traced_values_are_not_checked_under_jit():
    """Documented: under jit a bad value is not a ValueError but shows in the output."""
    run = jax.jit(lambda wl, r1: add_drop_ring(wl=wl, r1=r1)["in", "drop"])
    with x64():
        good = run(jnp.array([1.55, 1.56]), 0.98)
        np.testing.assert_allclose(good, add_drop_ring(wl=np.array([1.55, 1.56]))["in", "drop"],
                                   rtol=0, atol=1e-15)
        bad = run(jnp.array([1.55, jnp.nan]), 0.98)
    assert np.isfinite(bad[0]) and np.isnan(bad[1])


def test_model_settings_refuse_other_objects():
    with pytest.raises(ValueError, match="device must be"):
        model_settings(object())
    with pytest.raises(ValueError, match="delta_t"):
        model_settings(AllPassRing(), delta_t=float("nan"))
    with pytest.raises(ValueError, match="ring must be"):
        waveguide_settings(RingModulator(), 1e-6)


@pytest.mark.slow  # the first sax import of the session takes seconds
@pytest.mark.skipif(not HAS_SAX, reason="sax not installed")
def test_a_users_netlist_runs_in_sax_circuit():
    """waveguide -> all-pass ring -> MZM -> add-drop ring (in -> drop), in a user's netlist:
    the circuit's field is the product of the models' fields."""
    sax = import_restoring_jax_config("sax")
    netlist = {
        "instances": {
            "feed": {"component": "waveguide", "settings": {"length": 50.0}},
            "notch": {"component": "all_pass_ring", "settings": {"r": 0.97, "delta_t": 3.0}},
            "mod": {"component": "mzm", "settings": {"voltage": 0.7}},
            "filt": {"component": "add_drop_ring", "settings": {"radius": 7.0}},
        },
        "connections": {"feed,out0": "notch,in", "notch,through": "mod,in0",
                        "mod,out0": "filt,in"},
        "ports": {"o1": "feed,in0", "o2": "filt,drop", "o3": "filt,through"},
    }
    wl = np.linspace(1.54, 1.56, 501)
    with x64():
        circuit, _ = sax.circuit(netlist, models=sax_models())
        s = circuit(wl=wl)
        expected = (waveguide(wl=wl, length=50.0)["in0", "out0"]
                    * all_pass_ring(wl=wl, r=0.97, delta_t=3.0)["in", "through"]
                    * mzm(wl=wl, voltage=0.7)["in0", "out0"]
                    * add_drop_ring(wl=wl, radius=7.0)["in", "drop"])
        # settings can also be given at call time, as SAX users do
        hot = circuit(wl=wl, notch={"delta_t": 30.0})
    np.testing.assert_allclose(s["o1", "o2"], expected, rtol=0, atol=1e-14)
    np.testing.assert_allclose(s["o2", "o1"], expected, rtol=0, atol=1e-14)
    assert np.max(np.abs(hot["o1", "o2"] - s["o1", "o2"])) > 1e-3


@pytest.mark.slow
@pytest.mark.skipif(not HAS_SAX, reason="sax not installed")
def test_importing_sax_through_us_leaves_jax_configuration_alone():
    """In a fresh interpreter (sax's klujax sets x64 and the CPU platform on import)."""
    code = (
        "import sys, jax\n"
        "import photonic_dfa.devices.sax_models as m\n"
        "from photonic_dfa.devices.microring import AddDropRing\n"
        "assert 'sax' not in sys.modules\n"
        "before = (jax.config.jax_enable_x64, jax.config.values.get('jax_platform_name'))\n"
        "sax = m.import_restoring_jax_config('sax')\n"
        "after = (jax.config.jax_enable_x64, jax.config.values.get('jax_platform_name'))\n"
        "assert before == after == (False, ''), (before, after)\n"
        "with m.x64():\n"
        "    c, _ = sax.circuit({'instances': {'r': 'add_drop_ring'}, 'connections': {},\n"
        "                        'ports': {'a': 'r,in', 'b': 'r,drop'}}, models=m.sax_models())\n"
        "    s = c(wl=1.55)\n"
        "    assert s['a', 'b'].dtype == 'complex128'\n"
        "assert (jax.config.jax_enable_x64, jax.config.values.get('jax_platform_name')) == after\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
