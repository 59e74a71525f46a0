"""Array type aliases for annotations: the dtype is part of the type.

A bare ``np.ndarray`` means ``ndarray[Any, dtype[Any]]`` to a type checker; the public
signatures name the element type with these aliases instead.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
from numpy.typing import NDArray

__all__ = ["FloatArray", "ComplexArray", "IntArray", "BoolArray"]

#: real-valued arrays (powers, wavelengths, weights, currents, ...)
FloatArray: TypeAlias = NDArray[np.float64]
#: complex fields
ComplexArray: TypeAlias = NDArray[np.complex128]
#: indices and counts
IntArray: TypeAlias = NDArray[np.int64]
#: masks
BoolArray: TypeAlias = NDArray[np.bool_]
