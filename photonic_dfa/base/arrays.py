"""Array type aliases for annotations: the dtype is part of the type.

A bare ``np.ndarray`` means ``ndarray[Any, dtype[Any]]`` to a type checker; the public
signatures name the element type with these aliases instead.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["FloatArray", "RealArray", "RealDType", "ComplexArray", "IntArray", "BoolArray"]

#: real-valued arrays (powers, wavelengths, weights, currents, ...)
FloatArray: TypeAlias = NDArray[np.float64]
#: single- or double-precision real arrays (the digital cores keep their weights' precision)
RealArray: TypeAlias = NDArray[np.float32 | np.float64]
#: the dtype of a :data:`RealArray`
RealDType: TypeAlias = (
    np.dtype[np.float32] | np.dtype[np.float64] | type[np.float32] | type[np.float64]
)
#: complex fields
ComplexArray: TypeAlias = NDArray[np.complex128]
#: indices and counts
IntArray: TypeAlias = NDArray[np.int64]
#: masks
BoolArray: TypeAlias = NDArray[np.bool_]
