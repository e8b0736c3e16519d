"""Basic slicing operators: slice (crop), slice_axis, slice_like and the assign forms
``_slice_assign`` / ``_slice_assign_scalar`` that ``x[a:b] = y`` is built on.

``begin``/``end``/``step`` follow Python slice rules per axis: ``None`` means
the whole axis in the step's direction, negative positions count from the
end and out-of-range positions are clipped; axes past ``len(begin)`` are kept
whole. The gradient of a slice writes the output gradient into zeros with
``_slice_assign``, whose own gradients are again slices, so every order of
derivative stays inside this family.
"""
from ..base import MXNetError
from .params import Param
from .registry import register
from .shape import first_type, norm_axis, unary_shape

_SLICE_PARAMS = {"begin": Param("shape", doc="Start of each sliced axis (None: from the edge)."),
                 "end": Param("shape", doc="Stop of each sliced axis (None: to the edge)."),
                 "step": Param("shape", (), "Step of each sliced axis (default 1).")}


def slice_key(op, attrs, shape):
    """The tuple of Python slices that ``begin``/``end``/``step`` select on ``shape``."""
    begin, end, step = tuple(attrs.begin), tuple(attrs.end), tuple(attrs.step)
    if len(begin) != len(end):
        raise MXNetError(f"{op}: 'begin' {begin} and 'end' {end} must have the same length")
    if step and len(step) != len(begin):
        raise MXNetError(f"{op}: 'step' {step} must be empty or as long as 'begin' {begin}")
    if len(begin) > len(shape):
        raise MXNetError(f"{op}: {len(begin)} axes sliced but the input has shape {shape}")
    key = []
    for i, (b, e) in enumerate(zip(begin, end)):
        s = step[i] if step and step[i] is not None else 1
        if s == 0:
            raise MXNetError(f"{op}: step on axis {i} must not be 0 (step={step})")
        key.append(slice(b, e, s))
    return tuple(key)


def _sliced_shape(op, attrs, shape):
    key = slice_key(op, attrs, shape)
    return tuple(len(range(*k.indices(d))) for k, d in zip(key, shape)) + shape[len(key):]


def _slice_params(attrs):
    return {"begin": attrs.begin, "end": attrs.end, "step": attrs.step}


@register("slice", aliases=("crop",), params=_SLICE_PARAMS,
          infer_shape=unary_shape(lambda attrs, s: _sliced_shape("slice", attrs, s)),
          infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._slice_assign(
              F.zeros_like(ins[0]), g[0], **_slice_params(attrs))])
def _slice(xp, attrs, data):
    """Take a strided box begin:end:step of the array (Python slice semantics per axis)."""
    return data[slice_key("slice", attrs, data.shape)].copy()


def _assign_shape(op):
    def infer(attrs, shapes):
        lhs = shapes[0]
        if lhs is None:
            return shapes, [None]
        region = _sliced_shape(op, attrs, tuple(lhs))
        if len(shapes) > 1 and shapes[1] is not None and tuple(shapes[1]) != region:
            raise MXNetError(f"{op}: rhs has shape {tuple(shapes[1])}, but the region "
                             f"selected in lhs {tuple(lhs)} has shape {region}")
        return shapes, [tuple(lhs)]
    return infer


def _same_two_types(attrs, types):
    lhs, rhs = types
    if lhs is not None and rhs is not None and lhs != rhs:
        raise MXNetError(f"_slice_assign: lhs and rhs must have the same dtype, got {lhs} "
                         f"and {rhs}")
    return types, [lhs or rhs]


@register("_slice_assign", aliases=("_crop_assign",), inputs=("lhs", "rhs"),
          params=_SLICE_PARAMS, infer_shape=_assign_shape("_slice_assign"),
          infer_type=_same_two_types,
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._slice_assign_scalar(g[0], scalar=0.0, **_slice_params(attrs)),
              F.slice(g[0], **_slice_params(attrs))])
def _slice_assign(xp, attrs, lhs, rhs):
    """A copy of lhs with the region begin:end:step replaced by rhs."""
    _assign_shape("_slice_assign")(attrs, [lhs.shape, rhs.shape])
    _same_two_types(attrs, [lhs.dtype.name, rhs.dtype.name])
    out = lhs.copy()
    out[slice_key("_slice_assign", attrs, lhs.shape)] = rhs
    return out


@register("_slice_assign_scalar", aliases=("_crop_assign_scalar",),
          params={"scalar": Param("float", 0.0, "The value to write."), **_SLICE_PARAMS},
          infer_shape=_assign_shape("_slice_assign_scalar"), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._slice_assign_scalar(g[0], scalar=0.0, **_slice_params(attrs))])
def _slice_assign_scalar(xp, attrs, data):
    """A copy of data with the region begin:end:step set to `scalar` (cast to the dtype)."""
    out = data.copy()
    out[slice_key("_slice_assign_scalar", attrs, data.shape)] = data.dtype.type(attrs.scalar)
    return out


def _axis_bounds(attrs, shape):
    axis = norm_axis("slice_axis", attrs.axis, len(shape))
    size = shape[axis]
    begin = attrs.begin + size if attrs.begin < 0 else attrs.begin
    end = size if attrs.end is None else attrs.end + size if attrs.end < 0 else attrs.end
    if not 0 <= begin < end <= size:
        raise MXNetError(f"slice_axis: begin={attrs.begin}, end={attrs.end} is not a non-empty "
                         f"range within axis {attrs.axis} of size {size}")
    return axis, begin, end


def _slice_axis_shape(attrs, shape):
    axis, begin, end = _axis_bounds(attrs, shape)
    return shape[:axis] + (end - begin,) + shape[axis + 1:]


def _grad_slice_axis(F, attrs, ins, outs, g):
    axis, begin, end = _axis_bounds(attrs, ins[0].shape)
    lead = (None,) * axis
    return [F._internal._slice_assign(F.zeros_like(ins[0]), g[0], begin=lead + (begin,),
                                      end=lead + (end,))]


@register("slice_axis", params={"axis": Param("int"), "begin": Param("int"),
                                "end": Param("int", None, "Stop (exclusive); None for the "
                                                          "axis end.")},
          infer_shape=unary_shape(_slice_axis_shape), infer_type=first_type,
          gradient=_grad_slice_axis)
def _slice_axis(xp, attrs, data):
    """Take begin:end along one axis (negative positions count from the end)."""
    axis, begin, end = _axis_bounds(attrs, data.shape)
    key = (slice(None),) * axis + (slice(begin, end),)
    return data[key].copy()


def _like_shape(attrs, shape, like):
    if attrs.axes:
        axes = [norm_axis("slice_like", a, len(shape), "axes") for a in attrs.axes]
        for a in axes:
            if a >= len(like):
                raise MXNetError(f"slice_like: axis {a} does not exist in shape_like {like}")
    elif len(shape) != len(like):
        raise MXNetError(f"slice_like: data {shape} and shape_like {like} must have the same "
                         f"number of axes when 'axes' is empty")
    else:
        axes = range(len(shape))
    out = list(shape)
    for a in axes:
        if like[a] > shape[a]:
            raise MXNetError(f"slice_like: axis {a} of shape_like {like} is longer than the "
                             f"data axis (data shape {shape})")
        out[a] = like[a]
    return tuple(out)


def _grad_slice_like(F, attrs, ins, outs, g):
    out = outs[0].shape
    return [F._internal._slice_assign(F.zeros_like(ins[0]), g[0], begin=(0,) * len(out),
                                      end=tuple(out)), None]


@register("slice_like", inputs=("data", "shape_like"), params={"axes": Param("shape", ())},
          infer_shape=lambda attrs, s: (s, [None if None in s else _like_shape(
              attrs, tuple(s[0]), tuple(s[1]))]),
          infer_type=first_type, gradient=_grad_slice_like)
def _slice_like(xp, attrs, data, shape_like):
    """Take the leading part of data whose size on `axes` (all when empty) matches
    shape_like."""
    out = _like_shape(attrs, data.shape, shape_like.shape)
    return data[tuple(slice(0, d) for d in out)].copy()
