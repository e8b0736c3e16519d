"""``_np_*``/``_npi_*`` reductions of the ``mx.np`` front end (sum, mean, std,
max, all, argmax, average...).

NumPy's shapes, MXNet 1.9.1's dtypes:

* ``axis`` is None (every axis), an int or a tuple (``()`` reduces nothing);
  reducing every axis gives a 0-d array; ``keepdims`` keeps size-1 axes;
  out-of-range or repeated axes are MXNetErrors naming the op;
* sum and prod keep the input dtype (integers wrap around, float16 is
  accumulated in float32), except bool, which gives int64; ``dtype`` sets it;
* mean of integers or bools is float32; of an empty selection, 0 (MXNet's
  answer where NumPy warns and gives NaN);
* std and var keep the input dtype (integers: the mean and the result
  truncated, as MXNet);
* max/min keep the dtype and refuse an empty reduction (no identity);
* argmax/argmin give int64; all/any give bool.

Gradients use ``_np_broadcast_reduced``, which broadcasts a reduced gradient
back over the input (and casts it to the input's dtype; integer inputs get
zeros), so every rule is a few ops and differentiable again.
"""
import math

import numpy as np

from ..base import MXNetError
from .params import Param
from .quiet import quiet
from .reduce import normalize_axes
from .registry import register

_BOOL = np.dtype("bool")
_INT64 = np.dtype("int64")
_FLOAT32 = np.dtype("float32")
_DTYPES = ("bool", "float16", "float32", "float64", "int32", "int64", "int8")


# -- axes and shapes ------------------------------------------------------------------

def reduce_axes(op, axis, ndim):
    """``axis`` (None, or a tuple of possibly negative ints) as sorted axes of an
    ``ndim``-d input; MXNetError naming ``op`` when out of range or repeated."""
    if axis is None:
        return tuple(range(ndim))
    return normalize_axes(op, axis, ndim)


def reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple([1 if i in axes else d for i, d in enumerate(shape)])
    return tuple([d for i, d in enumerate(shape) if i not in axes])


def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _reduce_shape(name):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        shape = tuple(shapes[0])
        return shapes, [reduced_shape(shape, reduce_axes(name, attrs.axis, len(shape)),
                                      attrs.keepdims)]
    return infer


def _accumulator(dtype):
    """float16 is summed in float32 to keep precision; everything else in itself."""
    return _FLOAT32 if dtype.char == "e" else dtype


# -- the gradient helper ------------------------------------------------------------

_AXIS = Param("shape", None, "Axes to reduce: an int, a tuple, or None for every axis.")
_KEEPDIMS = Param("bool", False, "Keep the reduced axes with size 1.")


def _broadcast_reduced_grad(F, attrs, ins, outs, h):
    return [F._internal._np_sum(h[0], axis=attrs.axis, keepdims=attrs.keepdims), None]


@register("_np_broadcast_reduced", inputs=("grad", "like"),
          params={"axis": _AXIS, "keepdims": _KEEPDIMS},
          infer_shape=lambda attrs, s: (s, [s[1]]),
          infer_type=lambda attrs, t: (t, [t[1]]), gradient=_broadcast_reduced_grad)
def _broadcast_reduced(xp, attrs, grad, like):
    """``grad``, the gradient of a reduction of ``like`` over ``axis``, broadcast
    back to ``like``'s shape and cast to its dtype (zeros for integer or bool
    ``like``: they get no gradient)."""
    if like.dtype.kind != "f":
        return xp.zeros(like.shape, like.dtype)
    axes = reduce_axes("_np_broadcast_reduced", attrs.axis, like.ndim)
    kept = reduced_shape(like.shape, axes, True)
    if grad.size != math.prod(kept):
        raise MXNetError(f"_np_broadcast_reduced: 'grad' of shape {grad.shape} does not match "
                         f"the reduced shape {kept} of {like.shape}")
    out = xp.empty(like.shape, like.dtype)
    out[...] = grad.reshape(kept)
    return out


def expand(F, attrs, g, x):
    """The reduced gradient ``g`` broadcast back over the reduced input ``x``."""
    return F._internal._np_broadcast_reduced(g, x, axis=attrs.axis, keepdims=attrs.keepdims)


# -- sum, prod ------------------------------------------------------------------------

def _sum_dtype(attrs, dtype):
    if attrs.dtype is not None:
        return np.dtype(attrs.dtype)
    return _INT64 if dtype.kind == "b" else dtype


def _sum_like(name, method):
    """Declare the reduction ``name`` computed by the array method ``method``
    ('sum' or 'prod'); ``initial`` joins the reduction as one more element."""
    def compute(xp, attrs, a):
        axes = reduce_axes(name, attrs.axis, a.ndim)
        dtype = _sum_dtype(attrs, a.dtype)
        out = getattr(a, method)(axis=axes, dtype=_accumulator(dtype), keepdims=attrs.keepdims)
        if attrs.initial is not None:
            out = (out + attrs.initial) if method == "sum" else (out * attrs.initial)
        return xp.asarray(out).astype(dtype, copy=False)
    compute.__doc__ = (f"{method.capitalize()} of the elements over ``axis`` (every axis by "
                       "default), starting from ``initial``.")
    return compute


_SUM_PARAMS = {
    "axis": _AXIS,
    "dtype": Param("dtype", None, "Dtype of the result and the accumulation (the input's; "
                   "int64 for bool, when None).", choices=_DTYPES),
    "keepdims": _KEEPDIMS,
    "initial": Param("float", None, "A starting value for the reduction."),
}


def _sum_type(attrs, types):
    if types[0] is None:
        return types, [attrs.dtype]
    return types, [_sum_dtype(attrs, np.dtype(types[0])).name]


def _sum_grad(F, attrs, ins, outs, g):
    return [expand(F, attrs, g[0], ins[0])]


def _prod_grad(F, attrs, ins, outs, g):
    # d(prod)/dx_i = prod / x_i (inf/nan where x_i is 0, as MXNet's rule gives).
    i = F._internal
    x = ins[0]
    return [i._npi_true_divide(expand(F, attrs, i._npi_multiply(g[0], outs[0]), x), x)]


register("_np_sum", inputs=("a",), params=_SUM_PARAMS, infer_shape=_reduce_shape("_np_sum"),
         infer_type=_sum_type, gradient=_sum_grad)(quiet(_sum_like("_np_sum", "sum")))
register("_np_prod", aliases=("_np_product",), inputs=("a",), params=_SUM_PARAMS,
         infer_shape=_reduce_shape("_np_prod"), infer_type=_sum_type,
         gradient=_prod_grad)(quiet(_sum_like("_np_prod", "prod")))


# -- mean, std, var --------------------------------------------------------------------

def _mean_dtype(attrs, dtype):
    if attrs.dtype is not None:
        return np.dtype(attrs.dtype)
    return dtype if dtype.kind == "f" else _FLOAT32


def _mean_type(attrs, types):
    if types[0] is None:
        return types, [attrs.dtype]
    return types, [_mean_dtype(attrs, np.dtype(types[0])).name]


def _mean_grad(F, attrs, ins, outs, g):
    x = ins[0]
    count = _count(x.shape, reduce_axes("_npi_mean", attrs.axis, len(x.shape)))
    return [expand(F, attrs, F._internal._npi_true_divide_scalar(g[0], scalar=max(count, 1)), x)]


@register("_npi_mean", inputs=("a",), params=_SUM_PARAMS, infer_shape=_reduce_shape("_npi_mean"),
          infer_type=_mean_type, gradient=_mean_grad)
@quiet
def _mean(xp, attrs, a):
    """Arithmetic mean over ``axis`` (float32 for integer input; 0 for an empty
    selection, as MXNet gives)."""
    axes = reduce_axes("_npi_mean", attrs.axis, a.ndim)
    dtype = _mean_dtype(attrs, a.dtype)
    count = _count(a.shape, axes)
    acc = np.dtype("float64") if dtype.kind != "f" else _accumulator(dtype)
    total = a.sum(axis=axes, dtype=acc, keepdims=attrs.keepdims)
    if attrs.initial is not None:
        total = total + attrs.initial
    out = total / count if count else total * 0
    if dtype.kind in "iu":
        out = xp.trunc(out)
    return xp.asarray(out).astype(dtype, copy=False)


_MOMENT_PARAMS = {
    "axis": _AXIS,
    "dtype": Param("dtype", None, "Dtype of the result (the input's when None).",
                   choices=("float16", "float32", "float64", "int32", "int64", "int8")),
    "ddof": Param("int", 0, "Delta degrees of freedom: the divisor is N - ddof."),
    "keepdims": _KEEPDIMS,
}


def _moment_type(name):
    def infer(attrs, types):
        if types[0] == "bool":
            raise MXNetError(f"{name}: boolean input is not supported")
        return types, [attrs.dtype or types[0]]
    return infer


def _variance(name, xp, attrs, a):
    """The variance of ``a`` over ``axis``, keeping the reduced axes, in float64
    (float32 for float16/float32 input). For integers the mean is first
    truncated toward zero, as MXNet's integer kernel does (var of
    [-2, 3, -4] uses mean -1, not -1.67)."""
    if a.dtype.kind == "b":
        raise MXNetError(f"{name}: boolean input is not supported")
    axes = reduce_axes(name, attrs.axis, a.ndim)
    x = a.astype("float64") if a.dtype.kind != "f" or a.dtype.itemsize > 4 else \
        a.astype(_FLOAT32, copy=False)
    count = _count(a.shape, axes)
    mean = x.sum(axis=axes, keepdims=True) / max(count, 1)
    if a.dtype.kind in "iu":
        mean = xp.trunc(mean)
    centered = x - mean
    return (centered * centered).sum(axis=axes, keepdims=True) / max(count - attrs.ddof, 0)


def _moment_result(xp, attrs, a, value):
    dtype = np.dtype(attrs.dtype) if attrs.dtype else a.dtype
    axes = reduce_axes("moment", attrs.axis, a.ndim)
    if dtype.kind in "iu":
        value = xp.trunc(value)
    return value.reshape(reduced_shape(a.shape, axes, attrs.keepdims)).astype(dtype)


def _var_grad(F, attrs, ins, outs, g):
    # d var / dx = 2 (x - mean) / (N - ddof).
    i = F._internal
    x = ins[0]
    count = _count(x.shape, reduce_axes("_npi_var", attrs.axis, len(x.shape)))
    mean = F._internal._npi_mean(x, axis=attrs.axis, keepdims=True)
    centered = i._npi_subtract(x, mean)
    scale = i._npi_multiply_scalar(expand(F, attrs, g[0], x),
                                   scalar=2.0 / max(count - attrs.ddof, 1))
    return [i._npi_multiply(scale, centered)]


def _std_grad(F, attrs, ins, outs, g):
    # d std / dx = (x - mean) / ((N - ddof) std); 0 where std is 0 (every
    # element equal: a minimum, where 0 is a subgradient) instead of NaN.
    i = F._internal
    x = ins[0]
    count = _count(x.shape, reduce_axes("_npi_std", attrs.axis, len(x.shape)))
    mean = F._internal._npi_mean(x, axis=attrs.axis, keepdims=True)
    centered = i._npi_subtract(x, mean)
    per_std = i._npi_where_rscalar(i._npi_equal_scalar(outs[0], scalar=0.0),
                                   i._npi_true_divide(g[0], outs[0]), scalar=0.0)
    scale = expand(F, attrs, per_std, x)
    return [i._npi_multiply(i._npi_multiply_scalar(scale, scalar=1.0 / max(count - attrs.ddof, 1)),
                            centered)]


@register("_npi_var", inputs=("a",), params=_MOMENT_PARAMS, infer_shape=_reduce_shape("_npi_var"),
          infer_type=_moment_type("_npi_var"), gradient=_var_grad)
@quiet
def _var(xp, attrs, a):
    """Variance over ``axis``: the mean squared deviation, divided by N - ddof."""
    return _moment_result(xp, attrs, a, _variance("_npi_var", xp, attrs, a))


@register("_npi_std", inputs=("a",), params=_MOMENT_PARAMS, infer_shape=_reduce_shape("_npi_std"),
          infer_type=_moment_type("_npi_std"), gradient=_std_grad)
@quiet
def _std(xp, attrs, a):
    """Standard deviation over ``axis``: the square root of the variance."""
    return _moment_result(xp, attrs, a, xp.sqrt(_variance("_npi_std", xp, attrs, a)))


# -- max, min ------------------------------------------------------------------------------

_EXTREME_PARAMS = {"axis": _AXIS, "keepdims": _KEEPDIMS,
                   "initial": Param("float", None, "A value the result may not go past "
                                    "(below for max, above for min).")}


def _extreme_grad(F, attrs, ins, outs, g):
    # Every element equal to the extreme gets the whole gradient (ties too).
    i = F._internal
    x = ins[0]
    hit = i._npi_equal(x, expand(F, attrs, outs[0], x))
    return [i._npi_multiply(expand(F, attrs, g[0], x), hit)]


def _extreme(name, method):
    def compute(xp, attrs, a):
        axes = reduce_axes(name, attrs.axis, a.ndim)
        kwargs = {}
        if attrs.initial is not None:
            kwargs["initial"] = a.dtype.type(attrs.initial)
        elif a.size == 0 and (not axes or _count(a.shape, axes) == 0):
            raise MXNetError(f"{name}: zero-size array to reduction operation {method}, which "
                             "has no identity (give 'initial')")
        out = getattr(a, method)(axis=axes, keepdims=attrs.keepdims, **kwargs)
        return xp.asarray(out).astype(a.dtype, copy=False)
    compute.__doc__ = (f"{'Largest' if method == 'max' else 'Smallest'} element over ``axis`` "
                       "(every axis by default); NaN propagates.")
    register(name, aliases=(name.replace("_np_", "_np_a"),), inputs=("a",),
             params=_EXTREME_PARAMS, infer_shape=_reduce_shape(name),
             infer_type=lambda attrs, t: (t, [t[0]]), gradient=_extreme_grad)(compute)


_extreme("_np_max", "max")
_extreme("_np_min", "min")


# -- all, any ---------------------------------------------------------------------------

def _zero_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(x) for x in ins]


def _logical_reduction(name, method, aliases=()):
    def compute(xp, attrs, data):
        axes = reduce_axes(name, attrs.axis, data.ndim)
        return xp.asarray(getattr(data != 0, method)(axis=axes, keepdims=attrs.keepdims))
    compute.__doc__ = (f"Whether {'every' if method == 'all' else 'some'} element over "
                       "``axis`` is nonzero, as bool.")
    register(name, aliases=aliases, inputs=("data",), params={"axis": _AXIS, "keepdims": _KEEPDIMS},
             infer_shape=_reduce_shape(name), infer_type=lambda attrs, t: (t, ["bool"]),
             gradient=_zero_grad)(compute)


_logical_reduction("_np_all", "all")
_logical_reduction("_np_any", "any", aliases=("_np_sometrue",))


# -- argmax, argmin --------------------------------------------------------------------------

def _arg_axis(name, axis, ndim):
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{name}: axis {axis} is out of range for a {ndim}-d input "
                         f"(expected {-ndim} <= axis < {ndim})")
    return axis % ndim


def _arg_shape(name):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        shape = tuple(shapes[0])
        axis = _arg_axis(name, attrs.axis, len(shape))
        axes = tuple(range(len(shape))) if axis is None else (axis,)
        return shapes, [reduced_shape(shape, axes, attrs.keepdims)]
    return infer


def _arg_type(name):
    def infer(attrs, types):
        if types[0] == "bool":
            raise MXNetError(f"{name}: boolean input is not supported")
        return types, ["int64"]
    return infer


def _arg_reduction(name, fn):
    def compute(xp, attrs, data):
        if data.dtype.kind == "b":
            raise MXNetError(f"{name}: boolean input is not supported")
        axis = _arg_axis(name, attrs.axis, data.ndim)
        if data.size == 0:
            raise MXNetError(f"{name}: attempt to get {fn.__name__} of an empty sequence")
        out = fn(data, axis=axis, keepdims=attrs.keepdims) if axis is not None else \
            fn(data.reshape(-1)).reshape((1,) * data.ndim if attrs.keepdims else ())
        return xp.asarray(out).astype(_INT64, copy=False)
    compute.__doc__ = (f"Index of the {'largest' if 'max' in name else 'smallest'} element "
                       "(of the flattened array, or along ``axis``), as int64; the first one "
                       "on ties.")
    register(name, inputs=("data",),
             params={"axis": Param("int", None, "Axis to search; the flattened array when None."),
                     "keepdims": _KEEPDIMS},
             infer_shape=_arg_shape(name), infer_type=_arg_type(name),
             gradient=_zero_grad)(compute)


_arg_reduction("_npi_argmax", np.argmax)
_arg_reduction("_npi_argmin", np.argmin)


# -- average ----------------------------------------------------------------------------------

def _average_shape(attrs, shapes):
    a, w = shapes
    if a is None:
        return shapes, [None, None]
    axes = reduce_axes("_npi_average", attrs.axis, len(a))
    out = reduced_shape(tuple(a), axes, False)
    if attrs.weighted and w is not None and tuple(w) != tuple(a):
        if attrs.axis is None or len(w) != 1 or len(axes) != 1 or w[0] != a[axes[0]]:
            raise MXNetError(f"_npi_average: 'weights' must have the shape of 'a' {tuple(a)} or "
                             f"be 1-D along the single averaged axis, got {tuple(w)}")
    return shapes, [out, out]


def _weights_like(xp, attrs, a, w):
    """``w`` shaped to broadcast against ``a``."""
    if w.shape == a.shape:
        return w
    axis = reduce_axes("_npi_average", attrs.axis, a.ndim)[0]
    return w.reshape([-1 if i == axis else 1 for i in range(a.ndim)])


@register("_npi_average", inputs=("a", "weights"),
          params={"axis": _AXIS,
                  "returned": Param("bool", False, "Also return the sum of the weights."),
                  "weighted": Param("bool", True, "Whether 'weights' is used (else equal "
                                    "weights).")},
          num_outputs=2, visible_outputs=lambda attrs: 2 if attrs.returned else 1,
          infer_shape=_average_shape,
          infer_type=lambda attrs, t: (t, [t[0], t[1] if attrs.weighted else t[0]]),
          gradient=lambda F, attrs, ins, outs, g: _average_grad(F, attrs, ins, outs, g))
@quiet
def _average(xp, attrs, a, weights):
    """Weighted mean over ``axis`` and the sum of the weights; integer inputs
    give truncated integer results, as in MXNet."""
    axes = reduce_axes("_npi_average", attrs.axis, a.ndim)
    x = a.astype("float64")
    if attrs.weighted:
        if weights.shape != a.shape:
            _average_shape(attrs, [a.shape, weights.shape])
        w = _weights_like(xp, attrs, a, weights).astype("float64")
        w_sum = xp.broadcast_to(w, a.shape).sum(axis=axes)
        avg = (x * w).sum(axis=axes) / w_sum
        w_dtype = weights.dtype
    else:
        w_sum = xp.full(reduced_shape(a.shape, axes, False), _count(a.shape, axes), "float64")
        avg = x.sum(axis=axes) / w_sum
        w_dtype = a.dtype
    if a.dtype.kind in "iu":
        avg = xp.trunc(avg)
    return xp.asarray(avg).astype(a.dtype), xp.asarray(w_sum).astype(w_dtype)


def _average_grad(F, attrs, ins, outs, g):
    # avg = sum(a w) / sum(w): d/da = w / sum(w); d/dw = (a - avg) / sum(w).
    i = F._internal
    a, w = ins
    keep = {"axis": attrs.axis, "keepdims": False}
    if not attrs.weighted:
        count = _count(a.shape, reduce_axes("_npi_average", attrs.axis, len(a.shape)))
        return [i._np_broadcast_reduced(i._npi_true_divide_scalar(g[0], scalar=max(count, 1)), a,
                                        **keep), F.zeros_like(w)]
    if tuple(w.shape) != tuple(a.shape):
        axis = reduce_axes("_npi_average", attrs.axis, len(a.shape))[0]
        w_full = i._np_broadcast_reduced(w, a, axis=tuple(j for j in range(len(a.shape))
                                                          if j != axis), keepdims=False)
    else:
        w_full = w
    scale = i._np_broadcast_reduced(i._npi_true_divide(g[0], outs[1]), a, **keep)
    d_a = i._npi_multiply(scale, w_full)
    d_w = i._npi_multiply(scale, i._npi_subtract(a, i._np_broadcast_reduced(outs[0], a, **keep)))
    if tuple(w.shape) != tuple(a.shape):
        d_w = i._np_sum(d_w, axis=tuple(j for j in range(len(a.shape)) if j != axis))
    return [d_a, d_w]


# Percentiles, differences, counts and polynomials live in their own file;
# importing it here registers them with this family.
from . import np_stats  # noqa: E402,F401
