"""Reductions over axes: sum, mean, prod, max, min and their nan-variants, norm, arg*."""
import numpy as np

from ..base import MXNetError
from .infer import same_type
from .params import Param
from .registry import register

_AXIS_PARAMS = {
    "axis": Param("shape", None, "Axes to reduce; all when empty or None."),
    "keepdims": Param("bool", False, "Keep reduced axes with size 1."),
    "exclude": Param("bool", False, "Reduce over every axis except `axis`."),
}


def reduce_axes(op, attrs, ndim):
    """The tuple of axes ``attrs`` asks ``op`` to reduce on an ``ndim``-d input."""
    axis = attrs.axis
    if axis is None or axis == ():
        axes = tuple(range(ndim))
        return () if attrs.get("exclude") else axes
    axes = []
    for a in axis:
        if not -ndim <= a < ndim:
            raise MXNetError(f"{op}: axis {a} is out of range for a {ndim}-d input")
        axes.append(a % ndim)
    if attrs.get("exclude"):
        return tuple(i for i in range(ndim) if i not in axes)
    return tuple(sorted(set(axes)))


def reduced_shape(shape, axes, keepdims):
    """Output shape of reducing ``axes`` of ``shape``; MXNet gives (1,) for a full reduce."""
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return out or (1,)


def _shape_rule(name):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        axes = reduce_axes(name, attrs, len(shapes[0]))
        return shapes, [reduced_shape(shapes[0], axes, attrs.keepdims)]
    return infer


def _reducer(name, fn, aliases=(), gradient=None, doc=""):
    def compute(xp, attrs, data):
        axes = reduce_axes(name, attrs, data.ndim)
        with np.errstate(all="ignore"):
            out = fn(xp, data, axes)
        out = xp.asarray(out).astype(data.dtype, copy=False)
        return out.reshape(reduced_shape(data.shape, axes, attrs.keepdims))
    compute.__doc__ = doc
    register(name, aliases=aliases, params=_AXIS_PARAMS, infer_shape=_shape_rule(name),
             infer_type=same_type(name), gradient=gradient)(compute)


def _expand(F, attrs, g, x):
    """Broadcast a reduced gradient ``g`` back to the shape of ``x``."""
    axes = reduce_axes("reduce", attrs, x.ndim)
    if not attrs.keepdims:
        g = F.reshape(g, shape=reduced_shape(x.shape, axes, True))
    return F.broadcast_to(g, shape=x.shape)


def _sum_grad(F, attrs, ins, outs, g):
    return [_expand(F, attrs, g[0], ins[0])]


def _mean_grad(F, attrs, ins, outs, g):
    x = ins[0]
    axes = reduce_axes("mean", attrs, x.ndim)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    return [_expand(F, attrs, g[0], x) / max(count, 1)]


def _prod_grad(F, attrs, ins, outs, g):
    x = ins[0]
    return [_expand(F, attrs, g[0] * outs[0], x) / x]


def _extreme_grad(F, attrs, ins, outs, g):
    x = ins[0]
    y = _expand(F, attrs, outs[0], x)
    return [_expand(F, attrs, g[0], x) * (x == y)]


_reducer("sum", lambda xp, x, a: xp.sum(x, axis=a), ("sum_axis",), _sum_grad,
         "Sum of elements over the given axes.")
_reducer("mean", lambda xp, x, a: xp.mean(x, axis=a, dtype="float64" if x.dtype.kind in "iub"
                                          else None), (), _mean_grad,
         "Mean of elements over the given axes.")
_reducer("prod", lambda xp, x, a: xp.prod(x, axis=a), (), _prod_grad,
         "Product of elements over the given axes.")
_reducer("nansum", lambda xp, x, a: xp.nansum(x, axis=a), (),
         lambda F, attrs, ins, outs, g: [_expand(F, attrs, g[0], ins[0]) * (ins[0] == ins[0])],
         "Sum over the given axes, treating NaN as zero.")
_reducer("nanprod", lambda xp, x, a: xp.nanprod(x, axis=a), (), None,
         "Product over the given axes, treating NaN as one.")
_reducer("max", lambda xp, x, a: xp.max(x, axis=a) if x.size else xp.zeros(()), ("max_axis",),
         _extreme_grad, "Maximum over the given axes.")
_reducer("min", lambda xp, x, a: xp.min(x, axis=a) if x.size else xp.zeros(()), ("min_axis",),
         _extreme_grad, "Minimum over the given axes.")


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
