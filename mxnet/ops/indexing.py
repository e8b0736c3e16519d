"""Indexing operators: take, pick, batch_take, gather_nd/scatter_nd, one_hot,
index conversions, contrib index helpers and the Sequence* masks.

Index arrays may have any dtype; floating indices are truncated toward zero,
as MXNet does. Each out-of-range policy is MXNet's: ``take``/``pick`` clip by
default (so -1 becomes 0) or wrap, ``one_hot`` writes no "on" value, and
where MXNet's result is undefined (gather_nd, index_copy) an MXNetError is
raised instead. Gradients scatter back with private ``_backward_*`` ops whose
own gradients are the forward gathers, so higher orders work.
"""
import math

import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register
from .shape import first_type, norm_axis, unary_shape


def _no_grad(F, attrs, ins, outs, g):
    return [None] * len(ins)


def _int_index(xp, index):
    return index.astype("int64") if index.dtype.kind != "i" else index


def _fix_range(op, xp, idx, n, mode):
    """Indices mapped into [0, n) by `mode`: clip, wrap or raise."""
    if mode == "clip":  # maximum/minimum: numpy's clip adds microseconds of Python checks
        return xp.minimum(xp.maximum(idx, 0), n - 1)
    if mode == "wrap":
        return xp.mod(idx, n)
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise MXNetError(f"{op}: mode='raise' and an index is outside [0, {n - 1}] "
                         f"(got values from {int(idx.min())} to {int(idx.max())})")
    return idx


def _index_type(attrs, types):
    return types, [types[0]]


# -- take ------------------------------------------------------------------------

_TAKE_PARAMS = {"axis": Param("int", 0), "mode": Param("str", "clip",
                                                      choices=("clip", "raise", "wrap"))}


def _take_shape(attrs, shapes):
    a, idx = shapes[0], shapes[1]
    if a is None or idx is None:
        return shapes, [None]
    axis = norm_axis("take", attrs.axis, len(a))
    return shapes, [tuple(a[:axis]) + tuple(idx) + tuple(a[axis + 1:])]


@register("take", inputs=("a", "indices"), params=_TAKE_PARAMS, infer_shape=_take_shape,
          infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_take(
              g[0], ins[1], ins[0], axis=attrs.axis, mode=attrs.mode), None])
def _take(xp, attrs, a, indices):
    """Select entries of `a` along `axis` at `indices`; the result has the index
    array's shape in place of that axis."""
    axis = norm_axis("take", attrs.axis, a.ndim)
    idx = _fix_range("take", xp, _int_index(xp, indices), a.shape[axis], attrs.mode)
    return xp.take(a, idx, axis=axis)


@register("_backward_take", inputs=("grad", "indices", "like"), params=_TAKE_PARAMS,
          infer_shape=lambda attrs, s: (s, [s[2]]), infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F.take(g[0], ins[1], axis=attrs.axis, mode=attrs.mode), None, None])
def _take_backward(xp, attrs, grad, indices, like):
    """Gradient of take: zeros shaped like `like`, with every gradient entry added to
    the slot it was taken from."""
    axis = norm_axis("take", attrs.axis, like.ndim)
    idx = _fix_range("take", xp, _int_index(xp, indices), like.shape[axis], attrs.mode)
    out = xp.zeros(like.shape, dtype=grad.dtype)
    rows = grad.reshape(like.shape[:axis] + (idx.size,) + like.shape[axis + 1:])
    xp.add.at(xp.moveaxis(out, axis, 0), idx.reshape(-1), xp.moveaxis(rows, axis, 0))
    return out


# -- pick, batch_take, fill_element_0index -------------------------------------------

_PICK_PARAMS = {"axis": Param("int", -1, "Axis to pick along (None is not supported).",
                               optional=True),
                "keepdims": Param("bool", False),
                "mode": Param("str", "clip", choices=("clip", "wrap"))}


def _pick_shape(attrs, shape, index_shape=None):
    if attrs.axis is None:
        raise MXNetError("pick: argument 'axis' must be an axis, got None")
    axis = norm_axis("pick", attrs.axis, len(shape))
    rest = shape[:axis] + shape[axis + 1:]
    if index_shape is not None and math.prod(index_shape) != math.prod(rest):
        raise MXNetError(f"pick: index of shape {tuple(index_shape)} does not match data "
                         f"{shape} without axis {attrs.axis} ({rest})")
    if attrs.keepdims:
        return axis, shape[:axis] + (1,) + shape[axis + 1:]
    return axis, rest or (1,)


def _pick_index(xp, attrs, data, index):
    """Per-position indices along the picked axis, shaped to broadcast against data."""
    axis, _ = _pick_shape(attrs, data.shape, index.shape)
    idx = _fix_range("pick", xp, _int_index(xp, index), data.shape[axis], attrs.mode)
    return axis, idx.reshape(data.shape[:axis] + (1,) + data.shape[axis + 1:])


@register("pick", aliases=("choose_element_0index",), inputs=("data", "index"),
          params=_PICK_PARAMS,
          infer_shape=lambda attrs, s: (s, [None if None in s else _pick_shape(
              attrs, tuple(s[0]), s[1])[1]]),
          infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_pick(
              g[0], ins[1], ins[0], **attrs), None])
def _pick(xp, attrs, data, index):
    """Pick one element along `axis` for every other position: out[i, j] =
    data[i, index[i, j], j]."""
    axis, idx = _pick_index(xp, attrs, data, index)
    out = xp.take_along_axis(data, idx, axis=axis)
    return out.reshape(_pick_shape(attrs, data.shape)[1])


@register("_backward_pick", inputs=("grad", "index", "like"), params=_PICK_PARAMS,
          infer_shape=lambda attrs, s: (s, [s[2]]), infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F.pick(g[0], ins[1], **attrs), None, None])
def _pick_backward(xp, attrs, grad, index, like):
    """Gradient of pick: zeros shaped like `like` with grad at the picked positions."""
    axis, idx = _pick_index(xp, attrs, like, index)
    out = xp.zeros(like.shape, dtype=grad.dtype)
    xp.put_along_axis(out, idx, grad.reshape(idx.shape), axis=axis)
    return out


def _batch_take_shape(a, indices):
    if len(a) < 2:
        raise MXNetError(f"batch_take: 'a' must have at least 2 dimensions, got shape {a}")
    rows = int(np.prod(a[:-1]))
    if int(np.prod(indices)) != rows:
        raise MXNetError(f"batch_take: indices of shape {indices} must have one entry per "
                         f"row of 'a' ({rows} rows of length {a[-1]})")
    return tuple(indices)


def _grad_batch_take(F, attrs, ins, outs, g):
    a, idx = ins
    rows = F.reshape(a, shape=(-1, a.shape[-1]))
    grad = F._internal._backward_pick(F.reshape(g[0], shape=(-1,)), idx, rows, axis=-1)
    return [F.reshape_like(grad, a), None]


@register("batch_take", inputs=("a", "indices"),
          infer_shape=lambda attrs, s: (s, [None if None in s else _batch_take_shape(
              tuple(s[0]), tuple(s[1]))]),
          infer_type=_index_type, gradient=_grad_batch_take)
def _batch_take(xp, attrs, a, indices):
    """One element per row of `a` (its last axis): out[i] = a[i, indices[i]], clipped."""
    _batch_take_shape(a.shape, indices.shape)
    rows = a.reshape(-1, a.shape[-1])
    idx = xp.clip(_int_index(xp, indices).reshape(-1), 0, a.shape[-1] - 1)
    return rows[xp.arange(rows.shape[0]), idx].reshape(indices.shape)


def _fill_check(lhs, mhs, rhs):
    if len(lhs) != 2 or tuple(mhs) != lhs[:1] or tuple(rhs) != lhs[:1]:
        raise MXNetError(f"fill_element_0index: expects a 2-d lhs (N, M) with mhs and rhs of "
                         f"shape (N,), got {lhs}, {tuple(mhs)}, {tuple(rhs)}")
    return lhs


@register("fill_element_0index", inputs=("lhs", "mhs", "rhs"),
          infer_shape=lambda attrs, s: (s, [None if None in s else _fill_check(*map(tuple, s))]),
          infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F.fill_element_0index(g[0], F.zeros_like(ins[1]), ins[2]),
              F.pick(g[0], ins[2], axis=-1), None])
def _fill_element_0index(xp, attrs, lhs, mhs, rhs):
    """A copy of the matrix lhs with lhs[i, rhs[i]] = mhs[i] for every row i."""
    _fill_check(lhs.shape, mhs.shape, rhs.shape)
    idx = _fix_range("fill_element_0index", xp, _int_index(xp, rhs), lhs.shape[1], "raise")
    out = lhs.copy()
    out[xp.arange(lhs.shape[0]), idx] = mhs
    return out


# -- gather_nd, scatter_nd --------------------------------------------------------------

def _nd_index(op, xp, indices, shape):
    """The tuple of per-axis index arrays in the first axis of `indices`, checked and
    with negative entries counted from the end."""
    idx = _int_index(xp, indices)
    for axis in range(idx.shape[0]):
        n = shape[axis]
        row = idx[axis]
        if row.size and (int(row.min()) < -n or int(row.max()) >= n):
            raise MXNetError(f"{op}: indices for axis {axis} must be in [{-n}, {n - 1}], got "
                             f"values from {int(row.min())} to {int(row.max())}")
    return tuple(idx)


def _gather_shape(data, indices):
    if not indices or indices[0] > len(data):
        raise MXNetError(f"gather_nd: indices of shape {indices} must index at most the "
                         f"{len(data)} axes of data {data} along its first axis")
    return (tuple(indices[1:]) + tuple(data[indices[0]:])) or (1,)


@register("gather_nd", inputs=("data", "indices"),
          infer_shape=lambda attrs, s: (s, [None if None in s else _gather_shape(
              tuple(s[0]), tuple(s[1]))]),
          infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_gather_nd(
              g[0], ins[1], shape=ins[0].shape), None])
def _gather_nd(xp, attrs, data, indices):
    """out[i...] = data[indices[0, i...], ..., indices[M-1, i...], ...] for indices of
    shape (M, ...)."""
    out_shape = _gather_shape(data.shape, indices.shape)
    return data[_nd_index("gather_nd", xp, indices, data.shape)].reshape(out_shape)


def _scatter_check(op, data, indices, shape):
    m = indices[0] if indices else 0
    if not indices or m > len(shape) or tuple(data) != tuple(indices[1:]) + tuple(shape[m:]):
        raise MXNetError(f"{op}: data {tuple(data)} and indices {tuple(indices)} do not fit "
                         f"output shape {tuple(shape)} (data must be indices.shape[1:] + "
                         f"shape[M:])")
    return tuple(shape)


@register("_backward_gather_nd", inputs=("data", "indices"), params={"shape": Param("shape")},
          infer_shape=lambda attrs, s: (s, [tuple(attrs.shape)]),
          infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [F.gather_nd(g[0], ins[1]), None])
def _gather_nd_backward(xp, attrs, data, indices):
    """Zeros of `shape` with each data entry added at its index (scatter-add)."""
    _scatter_check("_backward_gather_nd", data.shape, indices.shape, attrs.shape)
    out = xp.zeros(attrs.shape, dtype=data.dtype)
    xp.add.at(out, _nd_index("_backward_gather_nd", xp, indices, attrs.shape), data)
    return out


@register("scatter_nd", inputs=("data", "indices"), params={"shape": Param("shape")},
          infer_shape=lambda attrs, s: (s, [tuple(attrs.shape)]),
          infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [F.gather_nd(g[0], ins[1]), None])
def _scatter_nd(xp, attrs, data, indices):
    """Zeros of `shape` with data written at the given indices (the inverse of
    gather_nd; with repeated indices one of the writes wins)."""
    _scatter_check("scatter_nd", data.shape, indices.shape, attrs.shape)
    out = xp.zeros(attrs.shape, dtype=data.dtype)
    out[_nd_index("scatter_nd", xp, indices, attrs.shape)] = data
    return out


@register("_scatter_set_nd", inputs=("lhs", "rhs", "indices"), params={"shape": Param("shape")},
          infer_shape=lambda attrs, s: (s, [s[0]]), infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._scatter_set_nd(g[0], F.zeros_like(ins[1]), ins[2], shape=attrs.shape),
              F.gather_nd(g[0], ins[2]), None])
def _scatter_set_nd(xp, attrs, lhs, rhs, indices):
    """A copy of lhs with rhs written at the given indices (``x[idx] = y`` on arrays)."""
    _scatter_check("_scatter_set_nd", rhs.shape, indices.shape, lhs.shape)
    out = lhs.copy()
    out[_nd_index("_scatter_set_nd", xp, indices, lhs.shape)] = rhs
    return out


# -- one_hot, ravel/unravel -------------------------------------------------------------

@register("one_hot", inputs=("indices",),
          params={"depth": Param("int"), "on_value": Param("float", 1.0),
                  "off_value": Param("float", 0.0),
                  "dtype": Param("dtype", "float32", choices=(
                      "bfloat16", "float16", "float32", "float64", "int32", "int64", "int8",
                      "uint8"))},
          infer_shape=unary_shape(lambda attrs, s: s + (attrs.depth,)),
          infer_type=lambda attrs, t: (t, [attrs.dtype]), gradient=_no_grad)
def _one_hot(xp, attrs, indices):
    """A new last axis of size `depth` holding on_value at each index and off_value
    elsewhere (indices outside [0, depth) give a row of off_value)."""
    if attrs.depth < 0:
        raise MXNetError(f"one_hot: argument 'depth' must be >= 0, got {attrs.depth}")
    idx = _int_index(xp, indices)[..., None]
    hit = idx == xp.arange(attrs.depth)
    on = xp.asarray(attrs.on_value).astype(attrs.dtype)
    off = xp.asarray(attrs.off_value).astype(attrs.dtype)
    return xp.where(hit, on, off).astype(attrs.dtype)


def _ravel_check(op, attrs):
    shape = attrs.shape
    if not shape or any(d is None or d < 1 for d in shape):
        raise MXNetError(f"{op}: argument 'shape' must be a non-empty tuple of positive "
                         f"sizes, got {shape}")
    return tuple(shape)


def _ravel_shape(attrs, s):
    shape = _ravel_check("ravel_multi_index", attrs)
    if len(s) != 2 or s[0] != len(shape):
        raise MXNetError(f"ravel_multi_index: data must have shape ({len(shape)}, N) for "
                         f"shape={shape}, got {s}")
    return (s[1],)


@register("ravel_multi_index", aliases=("_ravel_multi_index",),
          params={"shape": Param("shape", None)}, infer_shape=unary_shape(_ravel_shape),
          infer_type=first_type, gradient=_no_grad)
def _ravel_multi_index(xp, attrs, data):
    """Flat row-major positions in an array of `shape` from the rows of coordinates in
    data (shape (ndim, N)); no bounds check, as in MXNet."""
    shape = _ravel_check("ravel_multi_index", attrs)
    _ravel_shape(attrs, data.shape)
    strides = np.cumprod((1,) + shape[:0:-1])[::-1].copy()
    flat = (_int_index(xp, data) * xp.asarray(strides)[:, None]).sum(axis=0)
    return flat.astype(data.dtype)


@register("unravel_index", aliases=("_unravel_index",),
          params={"shape": Param("shape", None)},
          infer_shape=unary_shape(lambda attrs, s: (len(_ravel_check("unravel_index", attrs)),)
                                  + s),
          infer_type=first_type, gradient=_no_grad)
def _unravel_index(xp, attrs, data):
    """Row-major coordinates (one row per axis of `shape`) of flat positions. Like MXNet,
    the first coordinate is not wrapped and division truncates toward zero."""
    shape = _ravel_check("unravel_index", attrs)
    rest = _int_index(xp, data)
    coords = []
    for n in shape[:0:-1]:
        coords.append(xp.fmod(rest, n))
        rest = (rest - coords[-1]) // n
    coords.append(rest)
    return xp.stack(coords[::-1]).astype(data.dtype)


# -- contrib: index_copy, index_array, boolean_mask, arange_like -----------------------

def _index_copy_check(old, index, new):
    if len(index) != 1 or not old or tuple(new) != tuple(index) + tuple(old[1:]):
        raise MXNetError(f"index_copy: new_tensor must have shape (len(index_vector),) + "
                         f"old_tensor.shape[1:], got old {tuple(old)}, index {tuple(index)}, "
                         f"new {tuple(new)}")
    return tuple(old)


@register("_contrib_index_copy", inputs=("old_tensor", "index_vector", "new_tensor"),
          infer_shape=lambda attrs, s: (s, [None if None in s else _index_copy_check(*s)]),
          infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F.contrib.index_copy(g[0], ins[1], F.zeros_like(ins[2])), None,
              F.take(g[0], ins[1], axis=0)])
def _index_copy(xp, attrs, old_tensor, index_vector, new_tensor):
    """A copy of old_tensor whose rows index_vector[i] are replaced by new_tensor[i]."""
    _index_copy_check(old_tensor.shape, index_vector.shape, new_tensor.shape)
    idx = _fix_range("index_copy", xp, _int_index(xp, index_vector), old_tensor.shape[0],
                     "raise")
    out = old_tensor.copy()
    out[idx] = new_tensor
    return out


def _index_array_axes(attrs, ndim):
    if attrs.axes is None:
        return tuple(range(ndim))
    return tuple(norm_axis("index_array", a, ndim, "axes") for a in attrs.axes)


@register("_contrib_index_array", params={"axes": Param("shape", None, "Axes whose "
                                                                       "coordinates to list.")},
          infer_shape=unary_shape(lambda attrs, s: s + (len(_index_array_axes(attrs, len(s))),)),
          infer_type=lambda attrs, t: (t, ["int64"]), gradient=_no_grad)
def _index_array(xp, attrs, data):
    """For every position of data, its coordinates on `axes` (all axes when None) in a
    new last axis, as int64."""
    axes = _index_array_axes(attrs, data.ndim)
    grid = xp.indices(data.shape, dtype="int64")
    return xp.ascontiguousarray(xp.moveaxis(grid[list(axes)], 0, -1))


def _mask_check(attrs, data, index):
    axis = norm_axis("boolean_mask", attrs.axis, len(data))
    if len(index) != 1 or index[0] != data[axis]:
        raise MXNetError(f"boolean_mask: index must be 1-d with one entry per element of "
                         f"axis {attrs.axis} of data {tuple(data)}, got shape {tuple(index)}")
    return axis


@register("_contrib_boolean_mask", inputs=("data", "index"), params={"axis": Param("int", 0)},
          infer_shape=lambda attrs, s: (s, [None]), infer_type=_index_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_boolean_mask(
              g[0], ins[1], ins[0], axis=attrs.axis), None])
def _boolean_mask(xp, attrs, data, index):
    """The slices of data along `axis` where index is nonzero (the output length is
    known only after running)."""
    axis = _mask_check(attrs, data.shape, index.shape)
    return xp.compress(index != 0, data, axis=axis)


@register("_backward_boolean_mask", inputs=("grad", "index", "like"),
          params={"axis": Param("int", 0)},
          infer_shape=lambda attrs, s: (s, [s[2]]), infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F.contrib.boolean_mask(g[0], ins[1], axis=attrs.axis), None, None])
def _boolean_mask_backward(xp, attrs, grad, index, like):
    """Gradient of boolean_mask: grad written back to the kept slices, zeros elsewhere."""
    axis = _mask_check(attrs, like.shape, index.shape)
    out = xp.zeros(like.shape, dtype=grad.dtype)
    xp.moveaxis(out, axis, 0)[index != 0] = xp.moveaxis(grad, axis, 0)
    return out


def _arange_like_shape(attrs, shape):
    if attrs.axis is None:
        return shape
    return (shape[norm_axis("arange_like", attrs.axis, len(shape))],)


@register("_contrib_arange_like",
          params={"start": Param("float", 0.0), "step": Param("float", 1.0),
                  "repeat": Param("int", 1, "Times each value is repeated."),
                  "ctx": Param("str", ""), "axis": Param("int", None, "Axis whose length to "
                                                                      "use; all of data when "
                                                                      "None.")},
          infer_shape=unary_shape(_arange_like_shape), infer_type=first_type,
          gradient=_no_grad)
def _arange_like(xp, attrs, data):
    """start, start+step, ... shaped like data (or like one axis of it), each value
    repeated `repeat` times, in data's dtype."""
    if attrs.repeat < 1:
        raise MXNetError(f"arange_like: argument 'repeat' must be positive, got {attrs.repeat}")
    shape = _arange_like_shape(attrs, data.shape)
    count = int(np.prod(shape))
    values = attrs.start + attrs.step * (xp.arange(count, dtype="float64") // attrs.repeat)
    return values.reshape(shape).astype(data.dtype)


# -- SequenceMask, SequenceLast, SequenceReverse ------------------------------------------

_SEQ_PARAMS = {"use_sequence_length": Param("bool", False, "Read per-batch lengths from "
                                                           "sequence_length."),
               "axis": Param("int", 0, "The time axis: 0 (T, B, ...) or 1 (B, T, ...).")}


def _seq_check(op, attrs, shapes, axes=(0, 1)):
    """Validate a Sequence* call; returns (time axis, batch axis) of data."""
    data = tuple(shapes[0])
    if attrs.axis not in axes:
        raise MXNetError(f"{op}: argument 'axis' must be one of {axes}, got {attrs.axis}")
    if len(data) < 2:
        raise MXNetError(f"{op}: data must have time and batch axes, got shape {data}")
    batch = 1 - attrs.axis
    if attrs.use_sequence_length:
        if len(shapes) < 2:
            raise MXNetError(f"{op}: use_sequence_length=True needs a sequence_length input")
        if shapes[1] is not None and tuple(shapes[1]) != (data[batch],):
            raise MXNetError(f"{op}: sequence_length must have shape ({data[batch]},) (the "
                             f"batch size of data {data}), got {tuple(shapes[1])}")
    elif len(shapes) > 1:
        raise MXNetError(f"{op}: sequence_length is given but use_sequence_length is False")
    return attrs.axis, batch


def _lengths(op, xp, attrs, data, lengths, low, capped=True):
    """Per-batch lengths as int64, each checked to be >= low and, when capped, <= T."""
    steps = data.shape[attrs.axis]
    if not attrs.use_sequence_length:
        return xp.full((data.shape[1 - attrs.axis],), steps, dtype="int64")
    n = _int_index(xp, lengths)
    if n.size and (int(n.min()) < low or (capped and int(n.max()) > steps)):
        high = steps if capped else "inf"
        raise MXNetError(f"{op}: sequence lengths must be in [{low}, {high}], got values "
                         f"from {int(n.min())} to {int(n.max())}")
    return n


def _time_major(xp, attrs, data):
    """data viewed as (T, B, ...) whatever the time axis."""
    return data if attrs.axis == 0 else xp.swapaxes(data, 0, 1)


def _seq_shape(op, out):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        _seq_check(op, attrs, shapes)
        return shapes, [out(attrs, tuple(shapes[0]))]
    return infer


def _seq_inputs(attrs, ins):
    return list(ins[1:2]) if attrs.use_sequence_length else []


def _seq_input_names(attrs):
    # As in MXNet, the lengths are an input (and a symbol argument) only when used.
    return ("data", "sequence_length") if attrs.use_sequence_length else ("data",)


@register("SequenceMask", inputs=("data", "sequence_length"), active_inputs=_seq_input_names,
          params={**_SEQ_PARAMS, "value": Param("float", 0.0, "The fill value.")},
          infer_shape=_seq_shape("SequenceMask", lambda attrs, s: s), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F.SequenceMask(g[0], *_seq_inputs(attrs, ins), axis=attrs.axis,
                             use_sequence_length=attrs.use_sequence_length)] + [None] * (
                  len(ins) - 1))
def _sequence_mask(xp, attrs, data, sequence_length=None):
    """Set every step at or after each batch entry's length to `value`."""
    _seq_check("SequenceMask", attrs, [data.shape] + (
        [] if sequence_length is None else [sequence_length.shape]))
    n = _lengths("SequenceMask", xp, attrs, data, sequence_length, 0, capped=False)
    out = data.copy()
    view = _time_major(xp, attrs, out)
    past = xp.arange(view.shape[0])[:, None] >= n[None, :]
    view[past] = data.dtype.type(attrs.value)
    return out


def _seq_last_shape(attrs, shape):
    return shape[:attrs.axis] + shape[attrs.axis + 1:]


def _grad_sequence_last(F, attrs, ins, outs, g):
    x, grad = ins[0], g[0]
    # The output is (B, ...) for either time axis: one picked step per output entry.
    if attrs.use_sequence_length:
        index = F.broadcast_to(F.reshape(ins[1] - 1, shape=(-1,) + (1,) * (grad.ndim - 1)),
                               shape=grad.shape)
    else:
        index = F.ones_like(grad) * (x.shape[attrs.axis] - 1)
    return [F._internal._backward_pick(grad, index, x, axis=attrs.axis)] + [None] * (len(ins) - 1)


@register("SequenceLast", inputs=("data", "sequence_length"), params=_SEQ_PARAMS,
          active_inputs=_seq_input_names,
          infer_shape=_seq_shape("SequenceLast", _seq_last_shape), infer_type=first_type,
          gradient=_grad_sequence_last)
def _sequence_last(xp, attrs, data, sequence_length=None):
    """The last valid step of every batch entry (step length-1, or the final step)."""
    _seq_check("SequenceLast", attrs, [data.shape] + (
        [] if sequence_length is None else [sequence_length.shape]))
    n = _lengths("SequenceLast", xp, attrs, data, sequence_length, 1)
    view = _time_major(xp, attrs, data)
    return view[n - 1, xp.arange(view.shape[1])]


@register("SequenceReverse", inputs=("data", "sequence_length"), params=_SEQ_PARAMS,
          active_inputs=_seq_input_names,
          infer_shape=_seq_shape("SequenceReverse", lambda attrs, s: s), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F.SequenceReverse(g[0], *_seq_inputs(attrs, ins),
                                use_sequence_length=attrs.use_sequence_length)] + [None] * (
                  len(ins) - 1))
def _sequence_reverse(xp, attrs, data, sequence_length=None):
    """Reverse the first `length` steps of every batch entry along axis 0; later steps
    stay in place."""
    _seq_check("SequenceReverse", attrs, [data.shape] + (
        [] if sequence_length is None else [sequence_length.shape]), axes=(0,))
    n = _lengths("SequenceReverse", xp, attrs, data, sequence_length, 0)
    steps = xp.arange(data.shape[0])[:, None]
    source = xp.where(steps < n[None, :], n[None, :] - 1 - steps, steps)
    return data[source, xp.arange(data.shape[1])[None, :]]
