"""CalibrationResult files: round trip, corruption and truncation detected."""

from __future__ import annotations

import numpy as np
import pytest

from photonic_dfa.base.atomic import CorruptFileError, save_npz_checked
from photonic_dfa.calibration.result import FILE_VERSION, CalibrationResult


def test_round_trip_is_exact(quiet_chip_result, tmp_path):
    _, result = quiet_chip_result
    path = result.save(tmp_path / "cal.npz")
    back = CalibrationResult.load(path)
    assert back.equals(result)
    t = np.random.default_rng(0).uniform(-0.5, 0.5, result.shape)
    for stage in ("resonance", "crosstalk", "lookup"):
        np.testing.assert_array_equal(back.heater_powers_for(t, stage=stage),
                                      result.heater_powers_for(t, stage=stage))
    assert back.flagged == result.flagged
    assert back.measurements == result.measurements


def test_corrupt_file_is_detected(quiet_chip_result, tmp_path):
    _, result = quiet_chip_result
    path = result.save(tmp_path / "cal.npz")
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="cal.npz"):
        CalibrationResult.load(path)


@pytest.mark.parametrize("keep", [0.0, 0.3, 0.9])
def test_truncated_file_is_detected(quiet_chip_result, tmp_path, keep):
    _, result = quiet_chip_result
    path = result.save(tmp_path / "cal.npz")
    data = path.read_bytes()
    path.write_bytes(data[: int(keep * len(data))])
    with pytest.raises(CorruptFileError, match="unreadable or truncated|not a photonic"):
        CalibrationResult.load(path)


def test_wrong_kind_version_or_missing_file(tmp_path):
    other = save_npz_checked(tmp_path / "ckpt.npz", {"w": np.zeros(3)}, {}, "checkpoint", 1)
    with pytest.raises(CorruptFileError, match="checkpoint"):
        CalibrationResult.load(other)
    old = save_npz_checked(tmp_path / "old.npz", {"w": np.zeros(3)}, {}, "calibration",
                           FILE_VERSION + 1)
    with pytest.raises(CorruptFileError, match="version"):
        CalibrationResult.load(old)
    lacking = save_npz_checked(tmp_path / "lack.npz", {"p0": np.zeros((2, 2))},
                               {"max_heater_power": 0.05, "heater_lsb": 0.0,
                                "measurements": {}, "meta": {}}, "calibration",
                               FILE_VERSION)
    with pytest.raises(CorruptFileError, match="lacks"):
        CalibrationResult.load(lacking)
    with pytest.raises(FileNotFoundError):
        CalibrationResult.load(tmp_path / "nothing.npz")


def _crafted(result, tmp_path, change):
    """A calibration file with a valid checksum whose content ``change`` made wrong."""
    from photonic_dfa.base.atomic import load_npz_checked
    from photonic_dfa.calibration.result import FILE_KIND

    path = result.save(tmp_path / "cal.npz")
    arrays, meta = load_npz_checked(path, FILE_KIND, FILE_VERSION)
    change(arrays, meta)
    save_npz_checked(path, arrays, meta, FILE_KIND, FILE_VERSION)
    return path


def _set(name, value):
    def change(arrays, meta):
        target = arrays if name in arrays else meta
        target[name] = value(target[name]) if callable(value) else value
    return change


@pytest.mark.parametrize(("change", "field"), [
    (_set("p0", lambda a: np.where(True, -1e-3, a)), "p0"),
    (_set("park", lambda a: np.full_like(a, np.nan)), "park"),
    (_set("crosstalk", lambda a: a[:, :1]), "crosstalk"),
    (_set("gamma", lambda a: a[:1]), "gamma"),
    (_set("max_heater_power", -0.03), "max_heater_power"),
    (_set("heater_lsb", float("nan")), "heater_lsb"),
    (lambda arrays, meta: meta.pop("measurements"), "measurements"),
])
def test_content_is_checked_behind_a_valid_checksum(quiet_chip_result, tmp_path, change,
                                                    field):
    _, result = quiet_chip_result
    path = _crafted(result, tmp_path, change)
    with pytest.raises(CorruptFileError, match=field):
        CalibrationResult.load(path)
