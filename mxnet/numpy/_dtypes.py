"""dtype names, constants and type queries of ``mx.np`` (float32, pi, finfo, result_type...).

MXNet's ``mx.np`` re-exports NumPy's own scalar types and constants (so
``mx.np.float32 is numpy.float32``); the queries here accept ``mx.np``
arrays wherever NumPy's accept NumPy arrays.
"""
import numpy as _onp

from ..base import MXNetError

__all__ = ["float16", "float32", "float64", "int8", "int32", "int64", "uint8", "bool", "bool_",
           "pi", "e", "inf", "nan", "NAN", "NaN", "NINF", "PINF", "NZERO", "PZERO", "newaxis",
           "finfo", "promote_types", "result_type", "min_scalar_type", "set_printoptions",
           "ndim", "shape", "size"]

float16 = _onp.float16
float32 = _onp.float32
float64 = _onp.float64
int8 = _onp.int8
int32 = _onp.int32
int64 = _onp.int64
uint8 = _onp.uint8
bool = bool  # noqa: A001 -- MXNet's mx.np.bool is Python's bool, as old NumPy's was
bool_ = _onp.bool_

pi = _onp.pi
e = _onp.e
inf = _onp.inf
nan = _onp.nan
NAN = NaN = _onp.nan
NINF = -_onp.inf
PINF = _onp.inf
NZERO = -0.0
PZERO = 0.0
newaxis = None

finfo = _onp.finfo
promote_types = _onp.promote_types
min_scalar_type = _onp.min_scalar_type


def _host_dtype(x):
    """``x`` as something NumPy's type queries accept: an ``mx`` array is
    replaced by its dtype (NumPy cannot look inside it without a copy)."""
    from ..ndarray.ndarray import NDArray
    if isinstance(x, NDArray):
        return x._data.dtype
    return x


def result_type(*arrays_and_dtypes):
    """The dtype NumPy's promotion rules give for the operands (arrays of
    ``mx.np`` or NumPy, dtypes, Python scalars)."""
    return _onp.result_type(*[_host_dtype(x) for x in arrays_and_dtypes])


def ndim(a):
    """Number of dimensions of ``a`` (an array, or anything NumPy can convert)."""
    return len(shape(a))


def shape(a):
    """Shape of ``a`` as a tuple (an array, or anything NumPy can convert)."""
    from ..ndarray.ndarray import NDArray
    if isinstance(a, NDArray):
        return a.shape
    return _onp.shape(a)


def size(a, axis=None):
    """Number of elements of ``a``, or its length along ``axis``."""
    dims = shape(a)
    if axis is None:
        return int(_onp.prod(dims, dtype=_onp.int64))
    if not -len(dims) <= axis < len(dims):
        raise MXNetError(f"size: axis {axis} is out of bounds for an array of "
                         f"{len(dims)} dimensions")
    return dims[axis]


def set_printoptions(precision=None, threshold=None, **kwarg):
    """Set how arrays print (``precision`` digits, summarise above ``threshold``
    elements). MXNet supports only these two options; any other raises
    ``NotImplementedError``. Printing goes through NumPy, so NumPy's options
    change too."""
    if kwarg:
        raise NotImplementedError(f"mxnet.numpy.set_printoptions supports only precision "
                                  f"and threshold, got {sorted(kwarg)}")
    _onp.set_printoptions(precision=precision, threshold=threshold)
