"""Bad input to every public constructor of the heater, detector, modulator and laser
models: NaN/inf/out-of-range raise ValueError naming the parameter, and a fuzz over
arbitrary values lets no other exception type escape."""

from __future__ import annotations

import dataclasses
import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from photonic_dfa.devices.laser import ChannelGrid, CombLaser
from photonic_dfa.devices.modulator import MachZehnderModulator, RingModulator
from photonic_dfa.devices.photodetector import ADC, BalancedPhotodetector, Photodetector
from photonic_dfa.devices.thermal import Heater, ThermalCrosstalk

DATACLASSES = [Heater, Photodetector, BalancedPhotodetector, ADC, MachZehnderModulator,
               RingModulator, ChannelGrid, CombLaser]

# One out-of-range (but finite, well-typed) value per parameter.
OUT_OF_RANGE = {
    Heater: dict(resistance=-1.0, thermal_resistance=0.0, time_constant=-1e-6, max_power=0.0),
    Photodetector: dict(responsivity=3.0, dark_current=-1e-9, bandwidth=0.0,
                        load_resistance=0.0, transimpedance=-5.0, temperature=0.0,
                        rin_db_per_hz=-10.0),
    BalancedPhotodetector: dict(detector=ADC(), responsivity_mismatch=0.9),
    ADC: dict(bits=25, full_scale=0.0, unipolar=1),
    MachZehnderModulator: dict(v_pi=0.0, extinction_ratio_db=0.0, insertion_loss_db=-1.0,
                               bias_voltage=1e5, drive_swing=0.0),
    RingModulator: dict(self_coupling=1.0, round_trip_amplitude=1.0, fsr=0.0,
                        resonance_shift_per_volt=0.0, detuning=1e-3, drive_swing=0.0,
                        insertion_loss_db=-1.0),
    ChannelGrid: dict(n_channels=0, channel_spacing=-1.0, center_wavelength=1e-3),
    CombLaser: dict(n_channels=5000, channel_spacing=0.0, center_wavelength=0.0,
                    power_per_channel=0.0, power_spread=1.5, rin_db_per_hz=0.0,
                    wall_plug_efficiency=1.5),
}

CASES = [(cls, f.name) for cls in DATACLASSES for f in dataclasses.fields(cls)]


def test_every_field_has_an_out_of_range_case():
    for cls in DATACLASSES:
        assert set(OUT_OF_RANGE[cls]) == {f.name for f in dataclasses.fields(cls)}


@pytest.mark.parametrize(("cls", "name"), CASES, ids=[f"{c.__name__}.{n}" for c, n in CASES])
@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "text", "out_of_range"])
def test_constructor_rejects_bad_value_naming_parameter(cls, name, bad):
    value = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "text": "1.0",
             "out_of_range": OUT_OF_RANGE[cls][name]}[bad]
    with pytest.raises(ValueError, match=name):
        cls(**{name: value})


def test_defaults_construct():
    for cls in DATACLASSES:
        cls()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -2.0, "x", None])
def test_thermal_crosstalk_constructors_name_parameter(bad):
    x = np.arange(3) * 20e-6
    with pytest.raises(ValueError, match="matrix"):
        ThermalCrosstalk.from_matrix([[3e3, bad], [bad, 3e3]])
    with pytest.raises(ValueError, match="positions"):
        ThermalCrosstalk.from_positions([0.0, bad], 3e3, decay_length=1e-5)
    with pytest.raises(ValueError, match="thermal_resistance"):
        ThermalCrosstalk.from_positions(x, bad, decay_length=1e-5)
    if bad is not None:  # None selects the other length parameter
        with pytest.raises(ValueError, match="decay_length"):
            ThermalCrosstalk.from_positions(x, 3e3, decay_length=bad)
        with pytest.raises(ValueError, match="neighbour_coupling"):
            ThermalCrosstalk.from_positions(x, 3e3, neighbour_coupling=bad)
        with pytest.raises(ValueError, match="coupling"):
            ThermalCrosstalk.from_positions(x, 3e3, decay_length=1e-5, coupling=bad)
    with pytest.raises(ValueError, match="allow_asymmetric"):
        ThermalCrosstalk(np.eye(2), allow_asymmetric="yes")


# -- fuzz ---------------------------------------------------------------------------------
junk = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
    st.none(),
    st.text(max_size=6),
    st.booleans(),
    st.floats(-1e3, 1e3),
)


def _plausible(default):
    """Values near a field's default, so a fair share of fuzzed objects are valid."""
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(max(1, default // 4), default * 2)
    if isinstance(default, float):
        if default == 0.0:
            return st.floats(-1e-3, 1e-3)
        return st.floats(0.25, 2.0).map(lambda s: default * s)
    return st.one_of(st.none(), st.floats(-200.0, 5.0))  # optional fields


def _kwargs(cls):
    fields = {}
    for f in dataclasses.fields(cls):
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        good = _plausible(default)
        if isinstance(default, Photodetector):
            good = st.builds(Photodetector)
        # plausible values 3 times in 4 (a bare one_of would flatten junk's six branches
        # against one), so many fuzzed objects also pass validation
        fields[f.name] = st.integers(0, 3).flatmap(
            lambda i, good=good: junk if i == 0 else good)
    return st.fixed_dictionaries({}, optional=fields)


def _check_valid(obj):
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, float):
            assert math.isfinite(v), f.name


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("cls", DATACLASSES, ids=[c.__name__ for c in DATACLASSES])
def test_fuzz_dataclass_constructors(cls):
    @settings(max_examples=200, deadline=None)
    @given(_kwargs(cls))
    def run(kw):
        try:
            obj = cls(**kw)
        except ValueError:
            return
        _check_valid(obj)

    run()


arrays = st.one_of(
    junk,
    st.lists(st.one_of(junk, st.lists(junk, max_size=3)), max_size=4),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
               elements=st.floats(allow_nan=True, allow_infinity=True)),
    hnp.arrays(np.float64, st.integers(1, 5).map(lambda n: (n, n)),
               elements=st.floats(0, 1e4)),
    hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(-1e-4, 1e-4), unique=True),
)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=300, deadline=None)
@given(arrays, junk)
def test_fuzz_thermal_crosstalk_matrix(matrix, allow):
    for build in (lambda: ThermalCrosstalk(matrix, allow),
                  lambda: ThermalCrosstalk.from_matrix(matrix, allow)):
        try:
            tc = build()
        except ValueError:
            continue
        assert np.all(np.isfinite(tc.matrix))


@pytest.mark.filterwarnings("error::RuntimeWarning")
@settings(max_examples=300, deadline=None)
@given(arrays, st.one_of(arrays, st.floats(1e2, 1e4)),
       st.one_of(junk, st.floats(1e-7, 1e-4)), st.one_of(junk, st.floats(0.0, 1.0)),
       st.one_of(junk, st.floats(0.0, 1.0)))
def test_fuzz_thermal_crosstalk_from_positions(positions, r_th, decay, xi, coupling):
    try:
        tc = ThermalCrosstalk.from_positions(positions, r_th, decay_length=decay,
                                             neighbour_coupling=xi, coupling=coupling)
    except ValueError:
        return
    assert tc.is_symmetric and np.all(np.isfinite(tc.matrix))


@settings(max_examples=100, deadline=None)
@given(
    st.floats(1e-3, 1e6), st.floats(1e-2, 1e6), st.floats(0, 1), st.floats(1e-6, 10),
    st.floats(0.01, 2.0), st.floats(0, 1e-3), st.floats(1e3, 1e12), st.floats(1, 1e9),
    st.one_of(st.none(), st.floats(1, 1e9)), st.floats(1, 1000),
    st.one_of(st.none(), st.floats(-200, -60)), st.floats(-0.5, 0.5),
    st.integers(1, 24), st.floats(1e-12, 1e6), st.booleans(),
    st.integers(1, 64), st.floats(1e9, 2e12), st.floats(1e-6, 2e-6), st.floats(1e-6, 10),
    st.floats(0, 1), st.floats(1e-3, 1),
)
def test_valid_values_construct(r, rth, tau, pmax, resp, dark, bw, rl, tia, temp, rin, mis,
                                bits, fs, uni, n, spacing, center, ppc, spread, wpe):
    h = Heater(r, rth, tau, pmax)
    assert (h.resistance, h.thermal_resistance, h.time_constant, h.max_power) == (
        r, rth, tau, pmax)
    pd = Photodetector(resp, dark, bw, rl, tia, temp, rin)
    assert pd.gain == (rl if tia is None else tia)
    BalancedPhotodetector(pd, mis)
    assert ADC(bits, fs, uni).lsb > 0
    laser = CombLaser(n, spacing, center, ppc, spread, rin, wpe)
    assert laser.wavelengths.shape == (n,)
