"""A sweep cache entry whose checksum holds but whose figures are wrong is not used: the
warning names the field and the point is computed again."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from photonic_dfa.base.tasks import CorruptCacheWarning, _write_cached, cache_path, run_tasks
from photonic_dfa.studies.sweep_figures import check_point_result


def figures(params):
    return {"fsr": 1e-9 * params["x"], "notes": "", "eval_seconds": 0.1}


@pytest.mark.parametrize(("bad", "field"), [
    ({"fsr": -1e-9, "notes": "", "eval_seconds": 0.1}, "fsr"),
    ({"fsr": "NaN", "notes": "", "eval_seconds": -3.0}, "eval_seconds"),
    ({"fsr": [1, 2], "notes": "", "eval_seconds": 0.1}, "fsr"),
    ({"fsr": 1e-9, "eval_seconds": 0.1}, "notes"),
    ([1, 2, 3], "table of figures"),
])
def test_wrong_cached_figures_are_recomputed(tmp_path, bad, field):
    from photonic_dfa.base.tasks import function_name, task_key

    params = {"x": 2}
    key = task_key(figures, params, "v1")
    _write_cached(cache_path(tmp_path, key), key, function_name(figures), params, "v1", bad,
                  0.0)
    with ThreadPoolExecutor(1) as pool, pytest.warns(CorruptCacheWarning, match=field):
        (result,) = run_tasks(figures, [params], tmp_path, executor=pool, code_version="v1",
                              progress=False, check_result=check_point_result)
    assert result == figures(params)


def test_good_figures_pass():
    check_point_result({"fsr": 1e-9, "q_loaded": 5000, "weight_bits_source": "design",
                        "mac_per_s": None, "flag": True, "notes": "", "eval_seconds": 0.0})
