"""Sorting: topk, sort, argsort, and the gather/scatter pair their gradients use.

Ordering is stable in both directions: equal elements keep their original
order, so a descending sort lists ties by increasing position, as MXNet does.
Positions come back in the dtype named by ``dtype`` (float32 by default).
"""
from ..base import MXNetError
from .params import Param
from .registry import register

_INDEX_DTYPES = ("float16", "float32", "float64", "int32", "int64", "uint8")


def _axis(op, axis, ndim):
    """``axis`` made non-negative, or None for the flattened array."""
    if axis is None:
        return None
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: axis {axis} is out of range for a {ndim}-d input "
                         f"(expected {-ndim} <= axis < {ndim})")
    return axis % ndim


def _order(xp, x, axis, ascend):
    """Stable argsort along ``axis``; descending keeps ties in increasing position."""
    if ascend:
        return xp.argsort(x, axis=axis, kind="stable")
    # Sorting the reversed array ascending and reversing the result puts the largest
    # first with ties in decreasing reversed position, i.e. increasing position.
    rev = xp.argsort(xp.flip(x, axis=axis), axis=axis, kind="stable")
    return x.shape[axis] - 1 - xp.flip(rev, axis=axis)


def _topk_k(attrs, shape):
    axis = _axis("topk", attrs.axis, len(shape))
    n = _size(shape) if axis is None else shape[axis]
    k = attrs.k
    if k > n:
        raise MXNetError(f"topk: argument 'k' must be at most {n} (the length of the "
                         f"sorted axis), got {k}")
    return axis, (n if k <= 0 else k)


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _topk_shapes(attrs, shape):
    axis, k = _topk_k(attrs, shape)
    if attrs.ret_typ == "mask":
        return [tuple(shape)]
    out = (k,) if axis is None else tuple(k if i == axis else d for i, d in enumerate(shape))
    return [out, out] if attrs.ret_typ == "both" else [out]


def _topk_types(attrs, types):
    t = types[0]
    return types, {"value": [t], "mask": [t], "indices": [attrs.dtype],
                   "both": [t, attrs.dtype]}[attrs.ret_typ]


def _topk_grad(F, attrs, ins, outs, g):
    x = ins[0]
    if attrs.ret_typ not in ("value", "both"):
        return [F.zeros_like(x)]
    if attrs.ret_typ == "both":
        idx = outs[1]
    else:
        idx = F.topk(x, axis=attrs.axis, k=attrs.k, ret_typ="indices",
                     is_ascend=attrs.is_ascend, dtype="int64")
    if attrs.axis is None:
        flat = F._internal._scatter_along_axis(g[0], idx, axis=0, size=x.size)
        return [F.reshape_like(flat, x)]
    axis = attrs.axis % x.ndim
    return [F._internal._scatter_along_axis(g[0], idx, axis=axis, size=x.shape[axis])]


@register("topk", params={
    "axis": Param("int", -1, "Axis to search; the flattened array when None.", optional=True),
    "k": Param("int", 1, "How many elements to keep; the whole axis when k <= 0."),
    "ret_typ": Param("str", "indices", "What to return: value, indices, both (values then "
                     "indices) or mask (1 at the kept positions, input shape).",
                     choices=("both", "indices", "mask", "value")),
    "is_ascend": Param("bool", False, "Keep the smallest instead of the largest."),
    "dtype": Param("dtype", "float32", "Dtype of the returned positions.",
                   choices=_INDEX_DTYPES)},
    num_outputs=lambda attrs: 2 if attrs.ret_typ == "both" else 1,
    infer_shape=lambda attrs, s: (s, [None] * (2 if attrs.ret_typ == "both" else 1)
                                  if s[0] is None else _topk_shapes(attrs, s[0])),
    infer_type=_topk_types, gradient=_topk_grad)
def _topk(xp, attrs, data):
    """The k largest (or smallest) elements along an axis, as values, positions or a mask."""
    axis, k = _topk_k(attrs, data.shape)
    x = data.reshape(-1) if axis is None else data
    ax = 0 if axis is None else axis
    order = xp.take(_order(xp, x, ax, attrs.is_ascend), xp.arange(k), axis=ax)
    if attrs.ret_typ == "mask":
        mask = xp.zeros(x.shape, dtype=data.dtype)
        xp.put_along_axis(mask, order, 1, axis=ax)
        return mask.reshape(data.shape)
    indices = order.astype(attrs.dtype)
    if attrs.ret_typ == "indices":
        return indices
    values = xp.take_along_axis(x, order, axis=ax)
    return (values, indices) if attrs.ret_typ == "both" else values


def _sort_shape(op):
    def infer(attrs, shapes):
        s = shapes[0]
        if s is None:
            return shapes, [None]
        axis = _axis(op, attrs.axis, len(s))
        return shapes, [(_size(s),) if axis is None else tuple(s)]
    return infer


def _sort_grad(F, attrs, ins, outs, g):
    x = ins[0]
    idx = F.argsort(x, axis=attrs.axis, is_ascend=attrs.is_ascend, dtype="int64")
    if attrs.axis is None:
        flat = F._internal._scatter_along_axis(g[0], idx, axis=0, size=x.size)
        return [F.reshape_like(flat, x)]
    axis = attrs.axis % x.ndim
    return [F._internal._scatter_along_axis(g[0], idx, axis=axis, size=x.shape[axis])]


def _sorted_order(op, xp, attrs, data):
    axis = _axis(op, attrs.axis, data.ndim)
    if axis is None:
        return data.reshape(-1), _order(xp, data.reshape(-1), 0, attrs.is_ascend), 0
    return data, _order(xp, data, axis, attrs.is_ascend), axis


@register("sort", params={
    "axis": Param("int", -1, "Axis to sort along; the flattened array when None.",
                  optional=True),
    "is_ascend": Param("bool", True, "Sort in ascending order.")},
    infer_shape=_sort_shape("sort"), infer_type=lambda attrs, t: (t, [t[0]]),
    gradient=_sort_grad)
def _sort(xp, attrs, data):
    """The elements sorted along an axis (stable)."""
    x, order, axis = _sorted_order("sort", xp, attrs, data)
    return xp.take_along_axis(x, order, axis=axis)


@register("argsort", params={
    "axis": Param("int", -1, "Axis to sort along; the flattened array when None.",
                  optional=True),
    "is_ascend": Param("bool", True, "Sort in ascending order."),
    "dtype": Param("dtype", "float32", "Dtype of the returned positions.",
                   choices=_INDEX_DTYPES)},
    infer_shape=_sort_shape("argsort"), infer_type=lambda attrs, t: (t, [attrs.dtype]),
    gradient=lambda F, attrs, ins, outs, g: [F.zeros_like(ins[0])])
def _argsort(xp, attrs, data):
    """Positions that sort the elements along an axis (stable), in ``dtype``."""
    return _sorted_order("argsort", xp, attrs, data)[1].astype(attrs.dtype)


# -- gather/scatter along an axis (gradients of the sorting ops) ------------------

_ALONG_PARAMS = {"axis": Param("int", 0, "Axis the positions index.")}


def _along_shapes(op, data, indices, axis):
    if len(data) != len(indices) or any(
            a != b for i, (a, b) in enumerate(zip(data, indices)) if i != axis):
        raise MXNetError(f"{op}: data {tuple(data)} and indices {tuple(indices)} must agree "
                         f"on every axis but {axis}")


def _gather_shape(attrs, shapes):
    data, indices = shapes
    if data is None or indices is None:
        return shapes, [indices]
    _along_shapes("_gather_along_axis", data, indices, attrs.axis)
    return shapes, [tuple(indices)]


@register("_gather_along_axis", inputs=("data", "indices"), params=_ALONG_PARAMS,
          infer_shape=_gather_shape, infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._scatter_along_axis(g[0], ins[1], axis=attrs.axis,
                                              size=ins[0].shape[attrs.axis]), None])
def _gather_along_axis(xp, attrs, data, indices):
    """``data`` picked at ``indices`` along ``axis`` (NumPy's take_along_axis)."""
    return xp.take_along_axis(data, indices.astype("int64"), axis=attrs.axis)


def _scatter_shape(attrs, shapes):
    data, indices = shapes
    if data is None:
        return shapes, [None]
    return shapes, [tuple(attrs.size if i == attrs.axis else d for i, d in enumerate(data))]


@register("_scatter_along_axis", inputs=("data", "indices"),
          params=dict(_ALONG_PARAMS, size=Param("int", doc="Length of the output along axis.")),
          infer_shape=_scatter_shape, infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._gather_along_axis(g[0], ins[1], axis=attrs.axis), None])
def _scatter_along_axis(xp, attrs, data, indices):
    """Zeros of length ``size`` along ``axis`` with ``data`` placed at ``indices``
    (positions along the axis must not repeat, as those of a sort never do)."""
    _along_shapes("_scatter_along_axis", data.shape, indices.shape, attrs.axis)
    shape = list(data.shape)
    shape[attrs.axis] = attrs.size
    out = xp.zeros(shape, dtype=data.dtype)
    xp.put_along_axis(out, indices.astype("int64"), data, axis=attrs.axis)
    return out
