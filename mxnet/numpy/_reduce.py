"""``mx.np`` reductions and statistics (sum, mean, std, argmax, cumsum...).

Each runs an ``_np_*``/``_npi_*`` operator (autograd, engine, Symbols); the
shape and dtype rules are those of ``mxnet/ops/np_reduce.py``: NumPy's shapes
(0-d results for full reductions), MXNet 1.9.1's dtypes.
"""
import numpy as _onp

from ..ndarray.invoke import invoke as _invoke
from ..ndarray.ndarray import NDArray as _NDArray
from ..ops.registry import get as _get_op
from ._math import check_out as _check_out
from ._math import multiply as _multiply
from ._op import call as _call
from .multiarray import ndarray

__all__ = ["sum", "prod", "product", "mean", "std", "var", "max", "amax", "min", "amin",
           "all", "any", "sometrue", "alltrue", "argmax", "argmin", "cumsum", "average",
           "percentile", "quantile", "diff", "ediff1d", "bincount", "polyval", "histogram"]

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
    """Run reduction ``op_name`` on ``a``. Arguments left at their defaults
    (None or False) are not passed: ``a.sum()`` then parses nothing."""
    kwargs = {k: v for k, v in attrs.items() if v is not None and v is not False}
    if isinstance(a, _NDArray):
        op = _get_op(op_name)
        if out is not None:
            _check_out(fname, op, [a], kwargs, out)
            _invoke(op, [a], kwargs, out)
            return out
        res = _invoke(op, [a], kwargs, None)
        res.__class__ = ndarray
        return res
    if isinstance(a, _SCALAR_TYPES) and host is not None:
        return host(a)
    return _call(op_name, (_operand(fname, a),), kwargs, out)


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


def _percentile(fname, a, q, axis, out, interpolation, keepdims):
    attrs = {"axis": _axis(axis), "interpolation": interpolation, "keepdims": keepdims}
    a = _operand(fname, a)
    if isinstance(q, _SCALAR_TYPES):
        attrs["q_scalar"] = float(q)
        return _call("_npi_percentile", (a,), attrs, out)
    return _call("_npi_percentile", (a, _operand(fname, q)), attrs, out)


def percentile(a, q, axis=None, out=None, overwrite_input=None, interpolation="linear",
               keepdims=False):
    """The ``q``-th percentiles (0..100; a scalar or an array of them, which
    adds a leading axis) of ``a`` over ``axis``; ``interpolation`` is linear,
    lower, higher, midpoint or nearest. Float64 for float64 input, else
    float32. Its gradient is zero, as in MXNet."""
    return _percentile("percentile", a, q, axis, out, interpolation, keepdims)


def quantile(a, q, axis=None, out=None, overwrite_input=None, interpolation="linear",
             keepdims=False):
    """As ``percentile`` with ``q`` in 0..1."""
    q = q * 100 if isinstance(q, _SCALAR_TYPES) else _multiply(q, 100)
    return _percentile("quantile", a, q, axis, out, interpolation, keepdims)


def _edge(a, value, axis):
    """``prepend``/``append`` of diff as an array of ``a``'s shape with size 1 along ``axis``."""
    from . import _creation, _shape
    if isinstance(value, _SCALAR_TYPES):
        shape = list(a.shape)
        shape[axis] = 1
        return _creation.full(tuple(shape), value, dtype=a.dtype, ctx=a.ctx)
    value = _operand("diff", value)
    if value.ndim == 0:
        return _edge(a, value.item(), axis)
    return _shape.broadcast_to(value, value.shape) if value.ndim == a.ndim else value


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """The ``n``-th differences ``a[i+1] - a[i]`` along ``axis``, after
    ``prepend`` and ``append`` (scalars or arrays) are joined to ``a`` there."""
    a = _operand("diff", a)
    if prepend is not None or append is not None:
        from . import _shape
        parts = [_edge(a, prepend, axis)] if prepend is not None else []
        parts.append(a)
        if append is not None:
            parts.append(_edge(a, append, axis))
        a = _shape.concatenate(parts, axis=axis)
    return _call("_npi_diff", (a,), {"n": n, "axis": axis})


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences between consecutive elements of the flattened ``ary``, with
    ``to_begin`` before and ``to_end`` after (scalars or arrays)."""
    inputs = [_operand("ediff1d", ary)]
    attrs = {}
    for name, value in (("to_begin", to_begin), ("to_end", to_end)):
        if value is None:
            continue
        if isinstance(value, _SCALAR_TYPES):
            attrs[f"{name}_scalar"] = float(value)
        else:
            inputs.append(_operand("ediff1d", value))
            attrs[f"{name}_arr_given"] = True
    return _call("_npi_ediff1d", inputs, attrs)


def bincount(x, weights=None, minlength=0):
    """How many times each integer 0..max(x) occurs in the non-negative
    integer array ``x`` (or the sum of its ``weights``), at least ``minlength`` long."""
    inputs = [_operand("bincount", x)]
    if weights is not None:
        inputs.append(_operand("bincount", weights))
    return _call("_npi_bincount", inputs, {"minlength": minlength,
                                           "has_weights": weights is not None})


def histogram(a, bins=10, range=None, normed=None, weights=None, density=None):  # noqa: A002
    """``[counts, bin_edges]`` of ``a``'s elements: ``bins`` equal-width bins over
    ``range`` (the data's extent when None), or the edges ``bins`` (an
    array). Counts are int64, edges in ``a``'s dtype. ``weights``, ``normed``
    and ``density`` are not supported (as in MXNet)."""
    if weights is not None or normed or density:
        raise NotImplementedError("mx.np.histogram: weights, normed and density are not "
                                  "supported")
    a = _operand("histogram", a)
    if isinstance(bins, (int, _onp.integer)):
        attrs = {"bin_cnt": int(bins), "range": None if range is None else tuple(range)}
        return list(_call("_npi_histogram", (a,), attrs))
    return list(_call("_npi_histogram", (a, _operand("histogram", bins)), {}))


def polyval(p, x):
    """The polynomial with coefficients ``p`` (highest power first) at ``x``."""
    return _call("_npi_polyval", (_operand("polyval", p), _operand("polyval", x)))
