"""``_npi_*`` order statistics, differences, counts and polynomials of the
``mx.np`` front end: percentile/quantile, diff, ediff1d, bincount, polyval.

As in MXNet 1.9.1: percentile answers float64 for float64 input, float32
for any other, and passes a zero gradient; diff and ediff1d keep the
dtype; bincount takes non-negative integers and counts in the input's dtype
(the weights' with weights); polyval promotes like arithmetic.
"""
import numpy as np

from ..base import MXNetError
from .np_elemwise import promote
from .np_reduce import reduce_axes, reduced_shape
from .params import Param
from .quiet import quiet
from .registry import register


def _zero_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(x) for x in ins]


# -- percentile -------------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _percentile_inputs(attrs):
    return ("a",) if attrs.q_scalar is not None else ("a", "q")


def _percentile_shape(attrs, shapes):
    a = shapes[0]
    q = () if attrs.q_scalar is not None else (shapes[1] if len(shapes) > 1 else None)
    if a is None or q is None:
        return shapes, [None]
    axes = reduce_axes("_npi_percentile", attrs.axis, len(a))
    return shapes, [tuple(q) + reduced_shape(tuple(a), axes, attrs.keepdims)]


def _percentile_dtype(dtype):
    # MXNet answers float64 for float64 input and float32 for everything else.
    return dtype if dtype == np.float64 else np.dtype("float32")


@register("_npi_percentile", inputs=("a", "q"), active_inputs=_percentile_inputs,
          params={"axis": Param("shape", None, "Axes to compute over; every axis when None."),
                  "interpolation": Param("str", "linear", "How to pick between two data "
                                         "points.", choices=_INTERPOLATIONS),
                  "keepdims": Param("bool", False, "Keep the reduced axes with size 1."),
                  "q_scalar": Param("float", None, "The percentile when 'q' is not an input.")},
          infer_shape=_percentile_shape,
          infer_type=lambda attrs, t: (t, [None if t[0] is None else
                                           _percentile_dtype(np.dtype(t[0])).name]),
          gradient=_zero_grad)
def _percentile(xp, attrs, a, q=None):
    """The ``q``-th percentiles (0..100) of ``a`` over ``axis``; several
    percentiles give a leading axis. The gradient is zero, as in MXNet."""
    qs = attrs.q_scalar if q is None else q.astype("float64")
    if xp.any(xp.asarray(qs) < 0) or xp.any(xp.asarray(qs) > 100):
        raise MXNetError("_npi_percentile: percentiles must be in [0, 100], got "
                         f"{xp.asarray(qs).tolist()}")
    axes = reduce_axes("_npi_percentile", attrs.axis, a.ndim)
    dtype = _percentile_dtype(a.dtype)
    if a.size == 0:
        shape = _percentile_shape(attrs, [a.shape, () if q is None else q.shape])[1][0]
        return xp.full(shape, np.nan, dtype)
    x = a.astype("float64")
    if axes:
        out = xp.percentile(x, qs, axis=axes, method=attrs.interpolation,
                            keepdims=attrs.keepdims)
    else:  # nothing reduced: every percentile of one element is that element
        out = xp.broadcast_to(x, xp.asarray(qs).shape + x.shape)
    return xp.asarray(out).astype(dtype)


# -- diff, ediff1d -------------------------------------------------------------------------

def _diff_shape(attrs, shapes):
    a = shapes[0]
    if a is None:
        return shapes, [None]
    if not a:
        raise MXNetError("_npi_diff: the input must be at least 1-d, got a 0-d array")
    axis = _axis_of("_npi_diff", attrs.axis, len(a))
    out = list(a)
    out[axis] = max(a[axis] - attrs.n, 0)
    return shapes, [tuple(out)]


def _axis_of(op, axis, ndim):
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: axis {axis} is out of range for a {ndim}-d input "
                         f"(expected {-ndim} <= axis < {ndim})")
    return axis % ndim


def _diff_grad(F, attrs, ins, outs, g):
    return [F._internal._npi_backward_diff(g[0], ins[0], n=attrs.n, axis=attrs.axis)]


@register("_npi_diff", inputs=("a",),
          params={"n": Param("int", 1, "How many times to take differences."),
                  "axis": Param("int", -1, "Axis along which to take them.")},
          infer_shape=_diff_shape, infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_diff_grad)
def _diff(xp, attrs, a):
    """The ``n``-th differences ``a[i+1] - a[i]`` along ``axis`` (the axis gets
    ``n`` shorter; empty when it is not longer than ``n``)."""
    if attrs.n < 0:
        raise MXNetError(f"_npi_diff: argument 'n' must be non-negative, got {attrs.n}")
    _diff_shape(attrs, [a.shape])
    return xp.diff(a, n=attrs.n, axis=attrs.axis) if attrs.n else a.copy()


def _backward_diff_grad(F, attrs, ins, outs, h):
    return [F._internal._npi_diff(h[0], n=attrs.n, axis=attrs.axis), None]


@register("_npi_backward_diff", inputs=("grad", "a"),
          params={"n": Param("int", 1, "The forward's n."),
                  "axis": Param("int", -1, "The forward's axis.")},
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[1]]),
          gradient=_backward_diff_grad)
def _backward_diff(xp, attrs, grad, a):
    """Gradient of diff: the transpose of differencing applied ``n`` times
    (each step maps g to [-g0, g0 - g1, ..., g_last])."""
    if a.dtype.kind != "f":
        return xp.zeros(a.shape, a.dtype)
    axis = _axis_of("_npi_backward_diff", attrs.axis, a.ndim)
    g = xp.moveaxis(grad.astype(a.dtype), axis, -1)
    for _ in range(attrs.n):
        pad = xp.zeros(g.shape[:-1] + (1,), g.dtype)
        g = xp.concatenate([pad, g], axis=-1) - xp.concatenate([g, pad], axis=-1)
    return xp.ascontiguousarray(xp.moveaxis(g, -1, axis))


_EDIFF_PARAMS = {
    "to_begin_arr_given": Param("bool", False, "Whether an input (input2) holds to_begin."),
    "to_end_arr_given": Param("bool", False, "Whether an input (the last) holds to_end."),
    "to_begin_scalar": Param("float", None, "A scalar to put first."),
    "to_end_scalar": Param("float", None, "A scalar to put last."),
}


def _ediff_inputs(attrs):
    names = ["input1"]
    if attrs.to_begin_arr_given:
        names.append("input2")
    if attrs.to_end_arr_given:
        names.append("input3")
    return names


def _ediff_parts(attrs, shapes):
    """Lengths of (begin, differences, end) for input shapes ``shapes``."""
    size = int(np.prod(shapes[0]))
    rest = list(shapes[1:])
    begin = int(np.prod(rest.pop(0))) if attrs.to_begin_arr_given else \
        int(attrs.to_begin_scalar is not None)
    end = int(np.prod(rest.pop(0))) if attrs.to_end_arr_given else \
        int(attrs.to_end_scalar is not None)
    return begin, max(size - 1, 0), end


def _ediff_shape(attrs, shapes):
    if any(s is None for s in shapes):
        return shapes, [None]
    return shapes, [(sum(_ediff_parts(attrs, shapes)),)]


def _ediff_grad(F, attrs, ins, outs, g):
    # Only the differences depend on input1; the prepended/appended values get
    # their slices of the gradient.
    i = F._internal
    begin, middle, end = _ediff_parts(attrs, [x.shape for x in ins])
    diffs = F.slice_axis(g[0], axis=0, begin=begin, end=begin + middle)
    grads = [i._npi_backward_diff(diffs, F.reshape(ins[0], shape=(-1,)), n=1, axis=0)]
    grads[0] = F.reshape_like(grads[0], ins[0])
    if attrs.to_begin_arr_given:
        grads.append(F.reshape_like(F.slice_axis(g[0], axis=0, begin=0, end=begin), ins[1]))
    if attrs.to_end_arr_given:
        grads.append(F.reshape_like(F.slice_axis(g[0], axis=0, begin=begin + middle,
                                                 end=begin + middle + end), ins[-1]))
    return grads


@register("_npi_ediff1d", inputs=("input1", "input2", "input3"), active_inputs=_ediff_inputs,
          params=_EDIFF_PARAMS, infer_shape=_ediff_shape,
          infer_type=lambda attrs, t: (t, [t[0]]), gradient=_ediff_grad)
def _ediff1d(xp, attrs, ary, *extra):
    """Differences between consecutive elements of the flattened array, with
    ``to_begin`` values before and ``to_end`` values after (in its dtype)."""
    extra = list(extra)
    dtype = ary.dtype
    parts = []
    if attrs.to_begin_arr_given:
        parts.append(extra.pop(0).reshape(-1).astype(dtype))
    elif attrs.to_begin_scalar is not None:
        parts.append(xp.asarray([attrs.to_begin_scalar]).astype(dtype))
    parts.append(xp.diff(ary.reshape(-1)))
    if attrs.to_end_arr_given:
        parts.append(extra.pop(0).reshape(-1).astype(dtype))
    elif attrs.to_end_scalar is not None:
        parts.append(xp.asarray([attrs.to_end_scalar]).astype(dtype))
    return xp.concatenate(parts).astype(dtype, copy=False)


# -- bincount -------------------------------------------------------------------------------

def _bincount_inputs(attrs):
    return ("data", "weights") if attrs.has_weights else ("data",)


def _bincount_type(attrs, types):
    if types[0] is not None and np.dtype(types[0]).kind not in "iu":
        raise MXNetError(f"_npi_bincount: 'data' must hold integers, got {types[0]}")
    return types, [types[1] if attrs.has_weights else types[0]]


@register("_npi_bincount", inputs=("data", "weights"), active_inputs=_bincount_inputs,
          params={"minlength": Param("int", 0, "The least length of the result."),
                  "has_weights": Param("bool", False, "Whether 'weights' is given.")},
          infer_shape=lambda attrs, s: (s, [None]), infer_type=_bincount_type,
          gradient=_zero_grad)
def _bincount(xp, attrs, data, weights=None):
    """How many times each non-negative integer 0..max occurs in ``data`` (or
    the sum of their ``weights``), at least ``minlength`` long."""
    _bincount_type(attrs, [data.dtype.name, None])
    if attrs.minlength < 0:
        raise MXNetError(f"_npi_bincount: 'minlength' must be non-negative, got {attrs.minlength}")
    flat = data.reshape(-1)
    if flat.size and int(flat.min()) < 0:
        raise MXNetError("_npi_bincount: 'data' must be non-negative, got "
                         f"{int(flat.min())}")
    if weights is None:
        return xp.bincount(flat, minlength=attrs.minlength).astype(data.dtype)
    if weights.shape != data.shape:
        raise MXNetError(f"_npi_bincount: 'weights' must have the shape of 'data' {data.shape}, "
                         f"got {weights.shape}")
    return xp.bincount(flat, weights=weights.reshape(-1),
                       minlength=attrs.minlength).astype(weights.dtype)


# -- polyval -----------------------------------------------------------------------------------

def _polyval_type(attrs, types):
    p, x = types
    if p is None or x is None:
        return types, [None]
    return types, [promote(np.dtype(p), np.dtype(x)).name]


def _polyval_shape(attrs, shapes):
    p, x = shapes
    if p is not None and len(p) != 1:
        raise MXNetError(f"_npi_polyval: 'p' must be 1-d, got shape {tuple(p)}")
    return shapes, [x]


def _polyval_grad(F, attrs, ins, outs, g):
    return list(F._internal._npi_backward_polyval(g[0], ins[0], ins[1]))


@register("_npi_polyval", inputs=("p", "x"), infer_shape=_polyval_shape,
          infer_type=_polyval_type, gradient=_polyval_grad)
@quiet
def _polyval(xp, attrs, p, x):
    """The polynomial with coefficients ``p`` (highest power first) at ``x``."""
    _polyval_shape(attrs, [p.shape, x.shape])
    dtype = promote(p.dtype, x.dtype)
    out = xp.zeros(x.shape, dtype)
    x = x.astype(dtype, copy=False)
    for c in p.astype(dtype, copy=False):
        out = out * x + c
    return out


def _backward_polyval_shape(attrs, shapes):
    return shapes, [shapes[1], shapes[2]]


@register("_npi_backward_polyval", inputs=("grad", "p", "x"), num_outputs=2,
          infer_shape=_backward_polyval_shape,
          infer_type=lambda attrs, t: (t, [t[1], t[2]]))
@quiet
def _backward_polyval(xp, attrs, grad, p, x):
    """Gradients of polyval: for p, the sum over x of g * x**(n-1-i); for x,
    g times the derivative polynomial."""
    xf = x.astype("float64")
    g = grad.astype("float64")
    n = p.shape[0]
    powers = xp.stack([xf ** (n - 1 - i) for i in range(n)]) if n else xp.zeros((0,) + x.shape)
    d_p = (powers * g).reshape(n, -1).sum(axis=1)
    deriv = xp.zeros_like(xf)
    for i, c in enumerate(p.astype("float64")[:-1]):
        deriv = deriv * xf + c * (n - 1 - i)
    d_p = d_p.astype(p.dtype) if p.dtype.kind == "f" else xp.zeros(p.shape, p.dtype)
    d_x = (deriv * g).astype(x.dtype) if x.dtype.kind == "f" else xp.zeros(x.shape, x.dtype)
    return d_p, d_x


# -- histogram -----------------------------------------------------------------------------------

def _histogram_inputs(attrs):
    return ("data",) if attrs.bin_cnt is not None else ("data", "bins")


def _histogram_shape(attrs, shapes):
    if attrs.bin_cnt is not None:
        n = attrs.bin_cnt
    elif len(shapes) > 1 and shapes[1] is not None:
        n = max(shapes[1][0] - 1, 0) if shapes[1] else 0
    else:
        return shapes, [None, None]
    return shapes, [(n,), (n + 1,)]


@register("_npi_histogram", inputs=("data", "bins"), active_inputs=_histogram_inputs,
          params={"bin_cnt": Param("int", None, "Number of equal-width bins (else 'bins' "
                                   "holds the edges)."),
                  "range": Param("floats", None, "(lower, upper) of the bins; the data's "
                                 "minimum and maximum when None.")},
          num_outputs=2, infer_shape=_histogram_shape,
          infer_type=lambda attrs, t: (t, ["int64", t[0]]), gradient=_zero_grad)
def _histogram(xp, attrs, data, bins=None):
    """Counts (int64) of the elements in each bin and the bin edges (in the
    data's dtype): ``bin_cnt`` equal bins over ``range``, or the edges ``bins``."""
    flat = data.reshape(-1)
    if attrs.bin_cnt is not None:
        if attrs.bin_cnt < 1:
            raise MXNetError(f"_npi_histogram: 'bin_cnt' must be positive, got {attrs.bin_cnt}")
        if attrs.range is not None and len(attrs.range) != 2:
            raise MXNetError(f"_npi_histogram: 'range' must be (lower, upper), got {attrs.range}")
        counts, edges = xp.histogram(flat, bins=attrs.bin_cnt, range=attrs.range)
    else:
        if bins.ndim != 1:
            raise MXNetError(f"_npi_histogram: 'bins' must be 1-d edges, got shape {bins.shape}")
        counts, edges = xp.histogram(flat, bins=bins)
    return counts.astype("int64"), edges.astype(data.dtype)
