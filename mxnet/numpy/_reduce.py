"""``mx.np`` reductions and statistics (sum, mean, std, argmax, cumsum...).

Each runs an ``_np_*``/``_npi_*`` operator (autograd, engine, Symbols); the
shape and dtype rules are those of ``mxnet/ops/np_reduce.py``: NumPy's shapes
(0-d results for full reductions), MXNet 1.9.1's dtypes.
"""
import numpy as _onp

from ..ndarray.ndarray import NDArray as _NDArray
from ._op import call as _call

__all__ = ["sum", "prod", "product", "mean", "std", "var", "max", "amax", "min", "amin",
           "all", "any", "sometrue", "alltrue", "argmax", "argmin", "cumsum", "average"]

_SCALAR_TYPES = (int, float, _onp.integer, _onp.floating, _onp.bool_)


def _operand(fname, a):
    """``a`` if it is an array (or Symbol) the ops take; NumPy's answer is used
    for Python scalars by the caller; anything else is a TypeError."""
    if isinstance(a, _NDArray):
        return a
    from ..symbol.symbol import Symbol
    if isinstance(a, Symbol):
        return a
    raise TypeError(f"mx.np.{fname}: 'a' must be an mx.np.ndarray, got {type(a)}")


def _axis(axis):
    if axis is None or isinstance(axis, tuple):
        return axis
    if isinstance(axis, list):
        return tuple(axis)
    return (axis,)


def _dtype(dtype):
    return None if dtype is None else _onp.dtype(dtype).name


def _reduce(fname, op_name, a, attrs, out=None, host=None):
    if isinstance(a, _SCALAR_TYPES) and host is not None:
        return host(a)
    return _call(op_name, (_operand(fname, a),), attrs, out)


def sum(a, axis=None, dtype=None, keepdims=False, initial=None, out=None):  # noqa: A001
    """Sum of the elements over ``axis`` (every axis by default; a tuple for
    several). Integer sums keep the dtype (and wrap around), bool sums are
    int64; ``dtype`` chooses the result's; ``initial`` starts the sum."""
    return _reduce("sum", "_np_sum", a, {"axis": _axis(axis), "dtype": _dtype(dtype),
                                         "keepdims": keepdims, "initial": initial}, out, _onp.sum)


def prod(a, axis=None, dtype=None, out=None, keepdims=False):
    """Product of the elements over ``axis``; dtypes as for ``sum``."""
    return _reduce("prod", "_np_prod", a, {"axis": _axis(axis), "dtype": _dtype(dtype),
                                           "keepdims": keepdims}, out, _onp.prod)


def product(a, axis=None, dtype=None, out=None, keepdims=False):
    """The same as ``prod``."""
    return prod(a, axis, dtype, out, keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False):
    """Arithmetic mean over ``axis``: float32 for integer and bool arrays,
    the input dtype for floats, ``dtype`` when given."""
    return _reduce("mean", "_npi_mean", a, {"axis": _axis(axis), "dtype": _dtype(dtype),
                                            "keepdims": keepdims}, out, _onp.mean)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis``, dividing by N - ``ddof``; the input's
    dtype (integer results truncated, as in MXNet)."""
    return _reduce("std", "_npi_std", a, {"axis": _axis(axis), "dtype": _dtype(dtype),
                                          "ddof": ddof, "keepdims": keepdims}, out, _onp.std)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    """Variance over ``axis``, dividing by N - ``ddof``; dtypes as for ``std``."""
    return _reduce("var", "_npi_var", a, {"axis": _axis(axis), "dtype": _dtype(dtype),
                                          "ddof": ddof, "keepdims": keepdims}, out, _onp.var)


def max(a, axis=None, keepdims=False, out=None):  # noqa: A001 -- NumPy's name
    """Largest element over ``axis`` (NaN propagates); an empty reduction is an error."""
    return _reduce("max", "_np_max", a, {"axis": _axis(axis), "keepdims": keepdims}, out,
                   _onp.max)


def amax(a, axis=None, keepdims=False, out=None):
    """The same as ``max``."""
    return max(a, axis, keepdims, out)


def min(a, axis=None, keepdims=False, out=None):  # noqa: A001 -- NumPy's name
    """Smallest element over ``axis`` (NaN propagates); an empty reduction is an error."""
    return _reduce("min", "_np_min", a, {"axis": _axis(axis), "keepdims": keepdims}, out,
                   _onp.min)


def amin(a, axis=None, keepdims=False, out=None):
    """The same as ``min``."""
    return min(a, axis, keepdims, out)


def all(a, axis=None, keepdims=False, out=None):  # noqa: A001 -- NumPy's name
    """Whether every element over ``axis`` is nonzero, as bool."""
    return _reduce("all", "_np_all", a, {"axis": _axis(axis), "keepdims": keepdims}, out,
                   _onp.all)


def alltrue(a, axis=None, keepdims=False, out=None):
    """The same as ``all``."""
    return all(a, axis, keepdims, out)


def any(a, axis=None, keepdims=False, out=None):  # noqa: A001 -- NumPy's name
    """Whether some element over ``axis`` is nonzero, as bool."""
    return _reduce("any", "_np_any", a, {"axis": _axis(axis), "keepdims": keepdims}, out,
                   _onp.any)


def sometrue(a, axis=None, keepdims=False, out=None):
    """The same as ``any``."""
    return any(a, axis, keepdims, out)


def argmax(a, axis=None, out=None):
    """Index (int64) of the largest element of the flattened array, or along
    ``axis``; the first one on ties."""
    return _reduce("argmax", "_npi_argmax", a, {"axis": axis}, out, _onp.argmax)


def argmin(a, axis=None, out=None):
    """Index (int64) of the smallest element of the flattened array, or along
    ``axis``; the first one on ties."""
    return _reduce("argmin", "_npi_argmin", a, {"axis": axis}, out, _onp.argmin)


def cumsum(a, axis=None, dtype=None, out=None):
    """Running sum along ``axis`` (of the flattened array when None); bool
    input gives int64, ``dtype`` chooses."""
    return _reduce("cumsum", "_np_cumsum", a, {"axis": axis, "dtype": _dtype(dtype)}, out,
                   _onp.cumsum)


def average(a, axis=None, weights=None, returned=False, out=None):
    """Weighted mean over ``axis`` (``weights`` of ``a``'s shape, or 1-D along
    the single averaged axis); the plain mean without weights. Integer
    arrays give truncated integer results, as in MXNet. With ``returned``,
    ``[average, sum of weights]``."""
    a = _operand("average", a)
    attrs = {"axis": _axis(axis), "returned": returned, "weighted": weights is not None}
    if weights is None:
        weights = a
    elif not isinstance(weights, _NDArray):
        weights = _operand("average", weights)
    return _call("_npi_average", (a, weights), attrs, out)
