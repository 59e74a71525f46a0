"""Direct calls into the OpenBLAS that numpy itself uses, for the two BLAS forms numpy lacks.

``gemm_tn_acc(a, b, c, beta)``: ``c <- a^T b + beta c`` (sgemm with ``beta``) and
``axpy(alpha, x, y)``: ``y <- alpha x + y``. SGD with momentum then needs no gradient buffer:
``buf <- h^T delta + mu buf`` is one GEMM and ``W <- W - lr buf`` one AXPY, both threaded by
BLAS, instead of a GEMM plus three memory-bound passes.

Only numpy's bundled ``scipy_openblas64`` (the PyPI wheels) is used, through ctypes, so it
is the same library and thread pool as ``numpy.matmul``; the handle is checked against numpy
on a small problem at import. Anywhere else :data:`AVAILABLE` is False and callers use numpy.
"""

from __future__ import annotations

import ctypes
import glob
import os

import numpy as np

__all__ = ["AVAILABLE", "gemm_tn_acc", "axpy"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_I, _I64, _F, _P = ctypes.c_int, ctypes.c_int64, ctypes.c_float, ctypes.c_void_p


def _load() -> tuple[object, object] | None:
    if os.environ.get("PHOTONIC_DFA_NUMPY_ONLY"):
        return None
    libdir = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libdir, "libscipy_openblas64_*.so"))):
        try:
            lib = ctypes.CDLL(path)
            gemm, ax = lib.scipy_cblas_sgemm64_, lib.scipy_cblas_saxpy64_
        except (OSError, AttributeError):
            continue
        gemm.argtypes = [_I, _I, _I, _I64, _I64, _I64, _F, _P, _I64, _P, _I64, _F, _P, _I64]
        gemm.restype = None
        ax.argtypes = [_I64, _F, _P, _I64, _P, _I64]
        ax.restype = None
        return gemm, ax
    return None


_FUNCS = _load()
AVAILABLE = _FUNCS is not None


def _rows_ok(a: np.ndarray) -> bool:
    return (a.dtype == np.float32 and a.ndim == 2 and a.strides[1] == 4
            and a.strides[0] % 4 == 0 and a.strides[0] // 4 >= max(1, a.shape[1]))


def gemm_tn_acc(a: np.ndarray, b: np.ndarray, c: np.ndarray, beta: float) -> None:
    """``c <- a^T b + beta c`` for float32 row-major ``a`` (k, m), ``b`` (k, n), ``c`` (m, n).

    Rows of ``a`` and ``b`` may be strided (column views of a wider buffer); ``c`` must be
    C-contiguous.
    """
    k, m = a.shape
    n = b.shape[1]
    if not (AVAILABLE and _rows_ok(a) and _rows_ok(b) and b.shape[0] == k
            and c.shape == (m, n) and c.dtype == np.float32 and c.flags.c_contiguous):
        raise ValueError("gemm_tn_acc needs float32 row-major operands of matching shapes")
    _FUNCS[0](_ROW_MAJOR, _TRANS, _NO_TRANS, m, n, k, 1.0, a.ctypes.data, a.strides[0] // 4,
              b.ctypes.data, b.strides[0] // 4, float(beta), c.ctypes.data, max(1, n))


def axpy(alpha: float, x: np.ndarray, y: np.ndarray) -> None:
    """``y <- alpha x + y`` for C-contiguous float32 arrays of the same shape."""
    if not (AVAILABLE and x.dtype == y.dtype == np.float32 and x.shape == y.shape
            and x.flags.c_contiguous and y.flags.c_contiguous):
        raise ValueError("axpy needs C-contiguous float32 arrays of the same shape")
    _FUNCS[1](y.size, float(alpha), x.ctypes.data, 1, y.ctypes.data, 1)


def _self_check() -> bool:
    rng = np.random.default_rng(0)
    wide = rng.random((5, 9), dtype=np.float32)
    a, b = wide[:, :3], wide[:, 3:7]
    c = rng.random((3, 4), dtype=np.float32)
    want = a.T.astype(np.float64) @ b + 0.5 * c
    gemm_tn_acc(a, b, c, 0.5)
    y = np.ones(7, np.float32)
    axpy(-2.0, np.arange(7, dtype=np.float32), y)
    return bool(np.allclose(c, want, rtol=1e-5) and np.array_equal(y, 1 - 2 * np.arange(7)))


if AVAILABLE:
    try:
        AVAILABLE = _self_check()
    except Exception:  # a library that does not behave as expected: use numpy
        AVAILABLE = False
