"""Reductions over axes: sum, mean, prod, max, min and their nan-variants, norm,
moments, arg-reductions, running sums and whole-array checks.

MXNet 1.x keeps the input dtype for every plain reduction: an integer sum
wraps around like C arithmetic, an integer mean is that wrapped sum divided
and truncated toward zero, and a boolean sum is a logical "any". Reducing
every axis gives shape ``(1,)``, never a 0-d array.
"""
import math

import numpy as np

from ..base import MXNetError
from .infer import same_type
from .params import Param
from .quiet import quiet
from .registry import register

_AXIS_PARAMS = {
    "axis": Param("shape", None, "Axes to reduce; all when empty or None."),
    "keepdims": Param("bool", False, "Keep reduced axes with size 1."),
    "exclude": Param("bool", False, "Reduce over every axis except `axis`."),
}


def normalize_axes(op, axis, ndim):
    """``axis`` (a tuple of possibly negative ints) as sorted non-negative axes."""
    axes = []
    for a in axis:
        if not -ndim <= a < ndim:
            raise MXNetError(f"{op}: axis {a} is out of range for a {ndim}-d input "
                             f"(expected {-ndim} <= axis < {ndim})")
        a %= ndim
        if a in axes:
            raise MXNetError(f"{op}: axis {a} is given twice in axis={tuple(axis)}")
        axes.append(a)
    return tuple(sorted(axes))


def reduce_axes(op, attrs, ndim):
    """The tuple of axes ``attrs`` asks ``op`` to reduce on an ``ndim``-d input.

    An empty or missing ``axis`` reduces everything, with or without ``exclude``.
    """
    axis = attrs.axis
    if not axis:
        return tuple(range(ndim))
    axes = normalize_axes(op, axis, ndim)
    if attrs.get("exclude"):
        return tuple(i for i in range(ndim) if i not in axes)
    return axes


def reduced_shape(shape, axes, keepdims):
    """Output shape of reducing ``axes`` of ``shape``; MXNet gives (1,) for a full reduce."""
    if len(axes) == len(shape):  # every axis (they are distinct): the common loss.sum()
        return (1,) * len(shape) if keepdims else (1,)
    if keepdims:
        return tuple([1 if i in axes else d for i, d in enumerate(shape)])
    return tuple([d for i, d in enumerate(shape) if i not in axes]) or (1,)


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _accumulator(dtype):
    """The dtype a kernel sums ``dtype`` in: itself for integers (so they wrap as in
    MXNet), float32 for float16 (to keep precision), the dtype otherwise."""
    return "float32" if dtype.char == "e" else dtype  # 'e': float16, without a dtype compare


def _int_mean(xp, total, count):
    """Integer division truncating toward zero, as C does."""
    return (xp.abs(total) // count) * xp.sign(total)


def _shape_rule(name):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        axes = reduce_axes(name, attrs, len(shapes[0]))
        return shapes, [reduced_shape(shapes[0], axes, attrs.keepdims)]
    return infer


def _reducer(name, fn, aliases=(), gradient=None, doc="", empty_ok=True):
    fn = quiet(fn)

    def compute(xp, attrs, data):
        axes = reduce_axes(name, attrs, data.ndim)
        if not empty_ok and data.size == 0:
            raise MXNetError(f"{name}: cannot reduce an array with no elements "
                             f"(shape {data.shape})")
        out = fn(xp, data, axes)
        out = xp.asarray(out).astype(data.dtype, copy=False)
        return out.reshape(reduced_shape(data.shape, axes, attrs.keepdims))
    compute.__doc__ = doc
    register(name, aliases=aliases, params=_AXIS_PARAMS, infer_shape=_shape_rule(name),
             infer_type=same_type(name), gradient=gradient)(compute)


def _expand(F, attrs, g, x, name="reduce", divisor=1):
    """Broadcast a reduced gradient ``g`` back to the shape of ``x`` (one op),
    divided by ``divisor``."""
    # Only the arguments that differ from the defaults: each one given costs
    # the front end and the parse cache's key a little on every backward.
    kwargs = {"shape": x.shape}
    if attrs.axis:
        reduce_axes(name, attrs, x.ndim)  # bad axes are reported under the forward op's name
        kwargs["axis"] = attrs.axis
    if attrs.get("keepdims"):
        kwargs["keepdims"] = True
    if attrs.get("exclude"):
        kwargs["exclude"] = True
    if divisor != 1:
        kwargs["divisor"] = divisor
    return F._internal._backward_reduce_broadcast(g, **kwargs)


def _reduce_broadcast_grad(F, attrs, ins, outs, h):
    g = F.sum(h[0], axis=attrs.axis, keepdims=attrs.keepdims, exclude=attrs.exclude)
    return [g if attrs.divisor == 1 else g / attrs.divisor]


@register("_backward_reduce_broadcast", inputs=("grad",),
          params={**_AXIS_PARAMS,
                  "shape": Param("shape", doc="Shape of the reduced input."),
                  "divisor": Param("float", 1.0, "Divide the gradient by this (a mean's count).")},
          infer_shape=lambda attrs, s: (s, [tuple(attrs.shape)]),
          infer_type=same_type("_backward_reduce_broadcast"), gradient=_reduce_broadcast_grad)
def _reduce_broadcast(xp, attrs, grad):
    """Gradient of a reduction: ``grad`` (the reduced shape) broadcast back to
    ``shape`` along the reduced axes, divided by ``divisor``."""
    shape = tuple(attrs.shape)
    axes = reduce_axes("_backward_reduce_broadcast", attrs, len(shape))
    kept = reduced_shape(shape, axes, True)
    if grad.size != math.prod(kept):
        raise MXNetError(f"_backward_reduce_broadcast: 'grad' of shape {grad.shape} does not "
                         f"match the reduced shape {kept} of {shape}")
    g = grad.reshape(kept)
    if attrs.divisor != 1:
        if grad.dtype.kind != "f":
            raise MXNetError(f"_backward_reduce_broadcast: divisor={attrs.divisor} needs a "
                             f"floating point 'grad', got {grad.dtype}")
        # Dividing before broadcasting gives the same values with fewer divisions.
        g = g / grad.dtype.type(attrs.divisor)
    out = xp.empty(shape, g.dtype)
    out[...] = g  # broadcasts; cheaper than broadcast_to(...).copy()
    return out


def _sum_grad(F, attrs, ins, outs, g):
    return [_expand(F, attrs, g[0], ins[0])]


def _mean_grad(F, attrs, ins, outs, g):
    x = ins[0]
    count = max(_count(x.shape, reduce_axes("mean", attrs, x.ndim)), 1)
    if np.dtype(g[0].dtype).kind == "f":
        return [_expand(F, attrs, g[0], x, divisor=count)]
    return [_expand(F, attrs, g[0], x) / count]  # integer division semantics of the scalar op


def _prod_grad(F, attrs, ins, outs, g):
    x = ins[0]
    return [_expand(F, attrs, g[0] * outs[0], x) / x]


def _extreme_grad(F, attrs, ins, outs, g):
    # Every element equal to the extreme gets the full gradient (ties included), as in MXNet.
    x = ins[0]
    y = _expand(F, attrs, outs[0], x)
    return [_expand(F, attrs, g[0], x) * (x == y)]


def _sum(xp, x, axes):
    # The method, not xp.sum: NumPy's function adds ~2 us of Python dispatch;
    # keepdims gives an array even for a full reduction (no scalar to convert).
    return x.sum(axis=axes, dtype=_accumulator(x.dtype), keepdims=True)


def _mean(xp, x, axes):
    if x.dtype.kind in "iu":
        return _int_mean(xp, xp.sum(x, axis=axes, dtype=x.dtype), _count(x.shape, axes))
    return xp.mean(x, axis=axes, dtype="float32" if x.dtype.kind in "bf" and x.itemsize < 4
                   else None)


_reducer("sum", _sum, ("sum_axis",), _sum_grad, "Sum of elements over the given axes.")
_reducer("mean", _mean, (), _mean_grad, "Mean of elements over the given axes.")
_reducer("prod", lambda xp, x, a: xp.prod(x, axis=a, dtype=_accumulator(x.dtype)), (),
         _prod_grad, "Product of elements over the given axes.")
_reducer("nansum", lambda xp, x, a: xp.nansum(x, axis=a, dtype=_accumulator(x.dtype)), (),
         lambda F, attrs, ins, outs, g: [_expand(F, attrs, g[0], ins[0]) * (ins[0] == ins[0])],
         "Sum over the given axes, treating NaN as zero.")
def _nanprod_grad(F, attrs, ins, outs, g):
    # As prod, with NaN inputs (which count as 1) getting no gradient.
    x = ins[0]
    full = _expand(F, attrs, g[0] * outs[0], x) / x
    return [F.where(x == x, full, F.zeros_like(full))]


_reducer("nanprod", lambda xp, x, a: xp.nanprod(x, axis=a, dtype=_accumulator(x.dtype)), (),
         _nanprod_grad, "Product over the given axes, treating NaN as one.")
_reducer("max", lambda xp, x, a: xp.max(x, axis=a), ("max_axis",), _extreme_grad,
         "Maximum over the given axes.", empty_ok=False)
_reducer("min", lambda xp, x, a: xp.min(x, axis=a), ("min_axis",), _extreme_grad,
         "Minimum over the given axes.", empty_ok=False)


# -- sums of squares and norms -------------------------------------------------

def _square_sum_grad(F, attrs, ins, outs, g):
    return [_expand(F, attrs, g[0], ins[0]) * ins[0] * 2]


@register("_square_sum", params=_AXIS_PARAMS, infer_shape=_shape_rule("_square_sum"),
          infer_type=same_type("_square_sum"), gradient=_square_sum_grad)
def _square_sum(xp, attrs, data):
    """Sum of squared elements over the given axes (MXNet only accepts row_sparse
    input here; dense input is reduced the same way)."""
    axes = reduce_axes("_square_sum", attrs, data.ndim)
    out = xp.sum(xp.square(data), axis=axes, dtype=_accumulator(data.dtype))
    return out.astype(data.dtype).reshape(reduced_shape(data.shape, axes, attrs.keepdims))


# Below these values a norm computed from squares may have lost precision to underflow.
_NORM_FLOOR = {np.dtype(t).char: math.sqrt(np.finfo(t).tiny) / np.finfo(t).eps
               for t in ("float16", "float32", "float64")}


def rescaled_norm(xp, norm, x, axes):
    """``norm(x)`` (a norm of ``x`` over ``axes``, None for all, keeping them or not),
    recomputed as ``m * norm(x / m)``, with m the largest |x| over those axes, where
    squaring overflows to inf or underflows toward 0. MXNet scales its norms this way, so
    the norm of a finite [1e30, 1] in float32 is 1e30, not inf, and of [1e-30] not 0."""
    out = norm(x)
    if x.size == 0:
        return out
    low, high = (float(out), float(out)) if out.ndim == 0 else (out.min(), out.max())
    if _NORM_FLOOR[out.dtype.char] <= low and high < math.inf:
        return out
    top = xp.max(xp.abs(x), axis=axes, keepdims=True)
    unit = xp.where((top > 0) & xp.isfinite(top), top, 1).astype(x.dtype, copy=False)
    return xp.asarray(norm(x / unit) * unit.reshape(xp.shape(out)), dtype=out.dtype)


_NORM_PARAMS = {
    "ord": Param("int", 2, "Order of the norm: 1 (sum of absolute values) or 2 (Euclidean)."),
    "axis": Param("shape", None, "Axes to compute the norm over; all when empty or None."),
    "out_dtype": Param("dtype", None, "Output dtype; the input dtype when None.",
                       choices=("float16", "float32", "float64", "int32", "int64", "int8")),
    "keepdims": Param("bool", False, "Keep reduced axes with size 1."),
}


def _check_ord(attrs):
    if attrs.ord not in (1, 2):
        raise MXNetError(f"norm: argument 'ord' expects 1 or 2, got {attrs.ord}")


def _norm_shape(attrs, shapes):
    _check_ord(attrs)
    return _shape_rule("norm")(attrs, shapes)


def _norm_type(attrs, types):
    return types, [attrs.out_dtype or types[0]]


def _norm_grad(F, attrs, ins, outs, g):
    x = ins[0]
    if attrs.ord == 1:
        return [_expand(F, attrs, g[0], x, "norm") * F.sign(x)]
    return [_expand(F, attrs, g[0] / outs[0], x, "norm") * x]


@register("norm", params=_NORM_PARAMS, infer_shape=_norm_shape, infer_type=_norm_type,
          gradient=_norm_grad)
@quiet
def _norm(xp, attrs, data):
    """L1 or L2 norm of the elements over the given axes (all by default)."""
    _check_ord(attrs)
    axes = reduce_axes("norm", attrs, data.ndim)
    x = data.astype("float64" if data.dtype.kind in "iub" else _accumulator(data.dtype))
    if attrs.ord == 1:
        out = xp.sum(xp.abs(x), axis=axes)
    elif data.dtype.kind in "iu" and data.size:
        # MXNet scales by the running maximum before squaring; in integer arithmetic
        # every element smaller than the maximum then contributes nothing, so the
        # result is max|x| * sqrt(number of elements reaching it).
        mag = xp.abs(x)
        top = xp.max(mag, axis=axes)
        hits = xp.sum(mag == xp.max(mag, axis=axes, keepdims=True), axis=axes)
        out = xp.where(top > 0, top * xp.sqrt(hits), 0)
    else:
        out = rescaled_norm(xp, lambda v: xp.sqrt(xp.sum(v * v, axis=axes)), x, axes)
    out = out.astype(attrs.out_dtype or data.dtype)
    return out.reshape(reduced_shape(data.shape, axes, attrs.keepdims))


# -- moments ---------------------------------------------------------------------

def _moments_axes(attrs, ndim):
    if not attrs.axes:
        raise MXNetError("moments: argument 'axes' must name at least one axis; "
                         "pass every axis for global moments")
    return normalize_axes("moments", attrs.axes, ndim)


def _moments_shape(attrs, shapes):
    if shapes[0] is None:
        return shapes, [None, None]
    out = reduced_shape(shapes[0], _moments_axes(attrs, len(shapes[0])), attrs.keepdims)
    return shapes, [out, out]


def _moments_grad(F, attrs, ins, outs, g):
    x = ins[0]
    axes = _moments_axes(attrs, x.ndim)
    n = _count(x.shape, axes)
    kept = reduced_shape(x.shape, axes, True)

    def expand(v):
        return F.broadcast_to(F.reshape(v, shape=kept), shape=x.shape)
    centered = x - expand(outs[0])
    return [expand(g[0]) / n + expand(g[1]) * centered * (2.0 / n)]


@register("moments", params={"axes": Param("shape", None, "Axes to compute the moments over."),
                             "keepdims": Param("bool", False, "Keep reduced axes with size 1.")},
          num_outputs=2, infer_shape=_moments_shape,
          infer_type=lambda attrs, t: (t, [t[0], t[0]]), gradient=_moments_grad)
@quiet
def _moments(xp, attrs, data):
    """Mean and (biased) variance of the elements over ``axes``."""
    axes = _moments_axes(attrs, data.ndim)
    n = _count(data.shape, axes)
    if data.dtype.kind in "iu":
        mean = _int_mean(xp, xp.sum(data, axis=axes, dtype=data.dtype, keepdims=True), n)
        dev = data - mean
        var = _int_mean(xp, xp.sum(dev * dev, axis=axes, dtype=data.dtype, keepdims=True), n)
    else:
        x = data.astype(_accumulator(data.dtype))
        mean = xp.mean(x, axis=axes, keepdims=True)
        var = xp.mean(xp.square(x - mean), axis=axes, keepdims=True)
    shape = reduced_shape(data.shape, axes, attrs.keepdims)
    return (mean.astype(data.dtype).reshape(shape), var.astype(data.dtype).reshape(shape))


# -- arg-reductions ----------------------------------------------------------------

def _arg_axis(op, axis, ndim):
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: axis {axis} is out of range for a {ndim}-d input "
                         f"(expected {-ndim} <= axis < {ndim})")
    return axis % ndim


def _arg_shape(op, shape, axis, keepdims):
    axis = _arg_axis(op, axis, len(shape))
    if axis is None:
        return (1,) * len(shape) if keepdims else (1,)
    return reduced_shape(shape, (axis,), keepdims)


def _arg_type(op):
    def infer(attrs, types):
        if types[0] == "bool":
            raise MXNetError(f"{op}: boolean input is not supported")
        return types, [types[0]]
    return infer


def _zero_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(x) for x in ins]


def _arg_reducer(name, fn, doc):
    def compute(xp, attrs, data):
        if data.dtype == np.bool_:
            raise MXNetError(f"{name}: boolean input is not supported")
        axis = _arg_axis(name, attrs.axis, data.ndim)
        if data.size == 0:
            raise MXNetError(f"{name}: cannot reduce an array with no elements "
                             f"(shape {data.shape})")
        out = fn(data, axis=axis)
        # MXNet returns the positions in the input's dtype (float32 indices for float32).
        return xp.asarray(out).astype(data.dtype).reshape(
            _arg_shape(name, data.shape, attrs.axis, attrs.keepdims))
    compute.__doc__ = doc
    register(name, params={"axis": Param("int", None, "Axis to search; the flattened "
                                         "array when None."),
                           "keepdims": Param("bool", False, "Keep the reduced axis with size 1.")},
             infer_shape=lambda attrs, s: (s, [None if s[0] is None else
                                               _arg_shape(name, s[0], attrs.axis,
                                                          attrs.keepdims)]),
             infer_type=_arg_type(name), gradient=_zero_grad)(compute)


_arg_reducer("argmax", np.argmax, "Position of the largest element along an axis "
             "(the first one on ties or NaN), in the input's dtype.")
_arg_reducer("argmin", np.argmin, "Position of the smallest element along an axis "
             "(the first one on ties or NaN), in the input's dtype.")


def _channel_shape(attrs, shapes):
    if shapes[0] is None:
        return shapes, [None]
    return shapes, [_arg_shape("argmax_channel", shapes[0], 1, False)]


@register("argmax_channel", infer_shape=_channel_shape, infer_type=_arg_type("argmax_channel"),
          gradient=_zero_grad)
def _argmax_channel(xp, attrs, data):
    """Position of the largest element along axis 1, in the input's dtype."""
    _arg_axis("argmax_channel", 1, data.ndim)
    return xp.argmax(data, axis=1).astype(data.dtype)


# -- running sums -------------------------------------------------------------------

_CUMSUM_DTYPES = ("float16", "float32", "float64", "int32", "int64", "int8")


def _cumsum_dtype(attrs, dtype):
    if attrs.dtype is not None:
        return attrs.dtype
    return "int64" if dtype == "bool" else dtype


def _cumsum_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None]
    if attrs.axis is None:
        return shapes, [(_count(s, range(len(s))),)]
    _arg_axis("cumsum", attrs.axis, len(s))
    return shapes, [tuple(s)]


def _cumsum_grad(F, attrs, ins, outs, g):
    # d/dx_i of sum_j w_j * cumsum_j = sum over j >= i of w_j = total - cumsum + w.
    x = ins[0]
    gy = g[0]
    axis = 0 if attrs.axis is None else attrs.axis
    total = F.sum(gy, axis=axis, keepdims=True)
    running = F._internal._np_cumsum(gy, axis=axis)
    gx = F.broadcast_add(F.broadcast_sub(F.broadcast_like(total, gy), running), gy)
    return [F.reshape_like(gx, x)]


@register("_np_cumsum", aliases=("cumsum",), inputs=("a",),
          params={"axis": Param("int", None, "Axis to accumulate along; the flattened array "
                                "when None."),
                  "dtype": Param("dtype", None, "Output dtype; the input's when None "
                                 "(int64 for bool).", choices=_CUMSUM_DTYPES)},
          infer_shape=_cumsum_shape,
          infer_type=lambda attrs, t: (t, [None if t[0] is None else _cumsum_dtype(attrs, t[0])]),
          gradient=_cumsum_grad)
def _cumsum(xp, attrs, a):
    """Running sum of the elements along ``axis`` (of the flattened array when None)."""
    dtype = _cumsum_dtype(attrs, a.dtype.name)
    if attrs.axis is None:
        return xp.cumsum(a.reshape(-1), dtype=dtype)
    return xp.cumsum(a, axis=_arg_axis("cumsum", attrs.axis, a.ndim), dtype=dtype)


# -- whole-array checks --------------------------------------------------------------

def _multi_sum_sq_type(attrs, types):
    known = [t for t in types if t is not None]
    for t in known:
        if t != known[0]:
            raise MXNetError("multi_sum_sq: all arrays must have one dtype, got "
                             + ", ".join(known))
        if not np.issubdtype(np.dtype(t), np.floating):
            raise MXNetError(f"multi_sum_sq: arrays must be floating point, got {t}")
    return types, ["float32"]


@register("multi_sum_sq", variadic="num_arrays",
          infer_shape=lambda attrs, s: (s, [(attrs.num_arrays,)]),
          infer_type=_multi_sum_sq_type)
def _multi_sum_sq(xp, attrs, *arrays):
    """Sum of squares of each input array, as one float32 vector of length num_arrays."""
    if len(arrays) != attrs.num_arrays:
        raise MXNetError(f"multi_sum_sq: num_arrays={attrs.num_arrays} but "
                         f"{len(arrays)} arrays were given")
    _multi_sum_sq_type(attrs, [a.dtype.name for a in arrays])
    sums = [xp.sum(xp.square(a.astype("float64" if a.dtype == np.float64 else "float32")))
            for a in arrays]
    return xp.asarray(sums, dtype="float32").reshape(len(arrays))


def _allclose_shape(attrs, shapes):
    a, b = shapes
    if a is not None and b is not None and tuple(a) != tuple(b):
        raise MXNetError(f"allclose: inputs must have the same shape, got {tuple(a)} "
                         f"and {tuple(b)}")
    return shapes, [()]


def _allclose_type(attrs, types):
    a, b = types
    if a is not None and b is not None and a != b:
        raise MXNetError(f"allclose: inputs must have the same dtype, got {a} and {b}")
    return types, ["uint8"]


@register("_contrib_allclose", inputs=("a", "b"),
          params={"rtol": Param("float", 1e-5, "Relative tolerance."),
                  "atol": Param("float", 1e-8, "Absolute tolerance."),
                  "equal_nan": Param("bool", True, "Whether NaNs compare equal.")},
          infer_shape=_allclose_shape, infer_type=_allclose_type)
def _allclose(xp, attrs, a, b):
    """1 (uint8, shape ()) when |a - b| <= atol + rtol * |b| holds everywhere, else 0."""
    _allclose_shape(attrs, [a.shape, b.shape])
    _allclose_type(attrs, [a.dtype.name, b.dtype.name])
    with np.errstate(all="ignore"):
        ok = xp.allclose(a, b, rtol=attrs.rtol, atol=attrs.atol, equal_nan=attrs.equal_nan)
    return xp.asarray(ok, dtype="uint8").reshape(())


# -- sums back to a broadcast operand's shape -------------------------------------

def _like_shape(attrs, shapes):
    return shapes, [shapes[1]]


@register("_reduce_sum_like", inputs=("data", "like"), infer_shape=_like_shape,
          infer_type=lambda attrs, types: (types, [types[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F.broadcast_like(g[0], ins[0]), None])
def _reduce_sum_like(xp, attrs, data, like):
    """Sum a broadcast result back to the shape of `like` (gradients of broadcasting ops)."""
    shape = like.shape
    extra = data.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, d in enumerate(shape) if d == 1 and data.shape[i + extra] != 1)
    out = data.sum(axis=axes, keepdims=True) if axes else data.copy()
    return out.reshape(shape)
