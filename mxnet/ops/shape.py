"""Shape and layout operators: reshape, transpose, broadcast, flatten, squeeze,
tile, repeat, pad, flip, concat/stack/split, diag, depth/space moves.

Kernels return new arrays (``.copy()`` where NumPy would return a view): an
operator's output never aliases its input. NDArray methods that MXNet
defines as views (``x.reshape``, ``x[i]``) build views themselves. Each op
computes its output shape with one function shared by ``infer_shape`` and
the kernel, so both reject bad arguments with the same message.
"""
import numpy as np

from ..base import MXNetError
from .shape_codes import fill_unknown_dim, infer_reshape
from .infer import broadcast_shapes, same_type
from .params import Param
from .registry import register


def norm_axis(op, axis, ndim, name="axis", extra=0):
    """``axis`` as an index in [0, ndim + extra); negative values count from the end."""
    n = ndim + extra
    if not -n <= axis < n:
        raise MXNetError(f"{op}: argument '{name}' is {axis}, expected an axis in "
                         f"[{-n}, {n - 1}] for a {ndim}-d input")
    return axis % n


def unary_shape(fn):
    """An ``infer_shape`` rule from ``fn(attrs, in_shape) -> out_shape`` (one input)."""
    return lambda attrs, s: (s, [None if s[0] is None else fn(attrs, tuple(s[0]))])


def first_type(attrs, types):
    """``infer_type``: every output has the dtype of the first input."""
    return types, [types[0]]


def _reshape_target(attrs, shape):
    spec = attrs.shape if attrs.shape else attrs.target_shape
    if not spec:
        raise MXNetError("Reshape: argument 'shape' is required")
    return infer_reshape("Reshape", shape, spec, attrs.reverse)


def _grad_reshape_like_input(F, attrs, ins, outs, g):
    return [F.reshape_like(g[0], ins[0])]


def _reshape_shape(attrs, shapes, out_shapes=None):
    """Forwards from a known input shape; backwards (a partly known input, 0
    meaning unknown, with one unknown dimension) from a known output shape,
    so a deferred parameter reshaped into a bigger op learns its shape."""
    src = shapes[0]
    if src is not None and 0 in src:
        src = fill_unknown_dim("Reshape", src, out_shapes[0] if out_shapes else None)
    if src is None:
        return shapes, [None]
    return [src], [_reshape_target(attrs, src)]


_reshape_shape.uses_outputs = True


@register("Reshape", aliases=("reshape",),
          params={"shape": Param("shape", ()), "reverse": Param("bool", False),
                  "target_shape": Param("shape", ()), "keep_highest": Param("bool", False)},
          infer_shape=_reshape_shape,
          infer_type=same_type("Reshape"), gradient=_grad_reshape_like_input)
def _reshape(xp, attrs, data):
    """Reshape to `shape`, with MXNet's special codes 0, -1, -2, -3, -4."""
    return data.reshape(_reshape_target(attrs, data.shape)).copy()


@register("reshape_like", inputs=("lhs", "rhs"),
          params={"lhs_begin": Param("int", None), "lhs_end": Param("int", None),
                  "rhs_begin": Param("int", None), "rhs_end": Param("int", None)},
          infer_shape=lambda attrs, s: (s, [None if None in s else _reshape_like(attrs, *s)]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F.reshape_like(g[0], ins[0]), None])
def _reshape_like_op(xp, attrs, lhs, rhs):
    """Reshape lhs (or its axes lhs_begin:lhs_end) to the shape of rhs (rhs_begin:rhs_end)."""
    return lhs.reshape(_reshape_like(attrs, lhs.shape, rhs.shape)).copy()


def _reshape_like(attrs, lshape, rshape):
    lb, le = _span(attrs.lhs_begin, attrs.lhs_end, len(lshape))
    rb, re = _span(attrs.rhs_begin, attrs.rhs_end, len(rshape))
    out = tuple(lshape[:lb]) + tuple(rshape[rb:re]) + tuple(lshape[le:])
    if _prod(out) != _prod(lshape):
        raise MXNetError(f"reshape_like: cannot reshape {tuple(lshape)} to {out}")
    return out


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _span(begin, end, ndim):
    begin = 0 if begin is None else begin % ndim if ndim else 0
    end = ndim if end is None else (end % ndim if end < 0 else end)
    return begin, end


def _transpose_axes(attrs, ndim):
    return tuple(attrs.axes) if attrs.axes else tuple(reversed(range(ndim)))


def _grad_transpose(F, attrs, ins, outs, g):
    axes = _transpose_axes(attrs, ins[0].ndim)
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return [F.transpose(g[0], axes=tuple(inverse))]


@register("transpose", params={"axes": Param("shape", ())},
          infer_shape=lambda attrs, s: (s, [None if s[0] is None else tuple(
              s[0][a] for a in _transpose_axes(attrs, len(s[0])))]),
          infer_type=same_type("transpose"), gradient=_grad_transpose)
def _transpose(xp, attrs, data):
    """Permute axes (reverse them when `axes` is empty)."""
    axes = _transpose_axes(attrs, data.ndim)
    if sorted(a % max(data.ndim, 1) for a in axes) != list(range(data.ndim)):
        raise MXNetError(f"transpose: axes {axes} is not a permutation of {data.ndim} axes")
    return xp.ascontiguousarray(data.transpose(axes)) if data.ndim > 1 else data.copy()


def _broadcast_to_shape(attrs, shape):
    target = tuple(s if t == 0 else t for s, t in zip(shape, attrs.shape)) \
        if len(attrs.shape) == len(shape) else tuple(attrs.shape)
    return broadcast_shapes("broadcast_to", [tuple(shape), target])


@register("broadcast_to", params={"shape": Param("shape", ())},
          infer_shape=lambda attrs, s: (s, [None if s[0] is None
                                            else _broadcast_to_shape(attrs, s[0])]),
          infer_type=same_type("broadcast_to"),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._reduce_sum_like(g[0], ins[0])])
def _broadcast_to(xp, attrs, data):
    """Broadcast to `shape` (0 keeps the input's dimension)."""
    target = _broadcast_to_shape(attrs, data.shape)
    if len(target) != data.ndim:
        raise MXNetError(f"broadcast_to: shape {attrs.shape} must have {data.ndim} dimensions")
    return xp.broadcast_to(data, target).copy()


@register("broadcast_like", inputs=("lhs", "rhs"),
          params={"lhs_axes": Param("shape", None), "rhs_axes": Param("shape", None)},
          infer_shape=lambda attrs, s: (s, [None if None in s else _like_target(attrs, *s)]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._reduce_sum_like(g[0], ins[0]),
                                                   None])
def _broadcast_like(xp, attrs, lhs, rhs):
    """Broadcast lhs to the shape of rhs (or only the axes lhs_axes to rhs_axes)."""
    return xp.broadcast_to(lhs, _like_target(attrs, lhs.shape, rhs.shape)).copy()


def _like_target(attrs, lshape, rshape):
    if attrs.lhs_axes is None:
        return broadcast_shapes("broadcast_like", [tuple(lshape), tuple(rshape)])
    if attrs.rhs_axes is None or len(attrs.lhs_axes) != len(attrs.rhs_axes):
        raise MXNetError(f"broadcast_like: lhs_axes {attrs.lhs_axes} and rhs_axes "
                         f"{attrs.rhs_axes} must have the same length")
    out = list(lshape)
    for la, ra in zip(attrs.lhs_axes, attrs.rhs_axes):
        la = norm_axis("broadcast_like", la, len(lshape), "lhs_axes")
        ra = norm_axis("broadcast_like", ra, len(rshape), "rhs_axes")
        if out[la] != 1:
            raise MXNetError(f"broadcast_like: lhs axis {la} has size {out[la]}, expected 1")
        out[la] = rshape[ra]
    return tuple(out)


def _grad_like_input(F, attrs, ins, outs, g):
    return [F.reshape_like(g[0], ins[0])]


# -- flatten, expand_dims, squeeze, swapaxes -----------------------------------

def _flatten_shape(attrs, shape):
    if not shape:
        raise MXNetError("Flatten: the input must have at least 1 dimension, got shape ()")
    return (shape[0], _prod(shape[1:]))


@register("Flatten", aliases=("flatten",), infer_shape=unary_shape(_flatten_shape),
          infer_type=first_type, gradient=_grad_like_input)
def _flatten(xp, attrs, data):
    """Collapse all axes after the first: (d0, d1, ..., dk) -> (d0, d1*...*dk)."""
    return data.reshape(_flatten_shape(attrs, data.shape)).copy()


def _expand_dims_shape(attrs, shape):
    axis = norm_axis("expand_dims", attrs.axis, len(shape), extra=1)
    return shape[:axis] + (1,) + shape[axis:]


@register("expand_dims", params={"axis": Param("int", doc="Position of the new axis.")},
          infer_shape=unary_shape(_expand_dims_shape), infer_type=first_type,
          gradient=_grad_like_input)
def _expand_dims(xp, attrs, data):
    """Insert an axis of size 1 at `axis` (in [-ndim-1, ndim])."""
    return data.reshape(_expand_dims_shape(attrs, data.shape)).copy()


def _squeeze_shape(attrs, shape):
    if attrs.axis is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    else:
        axes = [norm_axis("squeeze", a, len(shape)) for a in attrs.axis]
        if len(set(axes)) != len(axes):
            raise MXNetError(f"squeeze: argument 'axis' {attrs.axis} repeats an axis")
        for a in axes:
            if shape[a] != 1:
                raise MXNetError(f"squeeze: axis {a} has size {shape[a]}, expected 1 "
                                 f"(input shape {shape})")
    return tuple(d for i, d in enumerate(shape) if i not in axes) or (1,)


@register("squeeze", params={"axis": Param("shape", None, "Axes to remove; all size-1 axes "
                                                          "when None.")},
          infer_shape=unary_shape(_squeeze_shape), infer_type=first_type,
          gradient=_grad_like_input)
def _squeeze(xp, attrs, data):
    """Remove axes of size 1 (a result with no axes left has shape (1,))."""
    return data.reshape(_squeeze_shape(attrs, data.shape)).copy()


def _swap_axes(attrs, ndim):
    return (norm_axis("SwapAxis", attrs.dim1, ndim, "dim1"),
            norm_axis("SwapAxis", attrs.dim2, ndim, "dim2"))


def _swap_shape(attrs, shape):
    a, b = _swap_axes(attrs, len(shape))
    out = list(shape)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


@register("SwapAxis", aliases=("swapaxes",),
          params={"dim1": Param("int", 0), "dim2": Param("int", 0)},
          infer_shape=unary_shape(_swap_shape), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F.SwapAxis(g[0], dim1=attrs.dim1,
                                                              dim2=attrs.dim2)])
def _swapaxis(xp, attrs, data):
    """Exchange axes `dim1` and `dim2`."""
    a, b = _swap_axes(attrs, data.ndim)
    return xp.ascontiguousarray(xp.swapaxes(data, a, b)) if a != b else data.copy()


# -- tile, repeat, reverse -------------------------------------------------------

def _tile_reps(attrs, ndim):
    reps = tuple(attrs.reps)
    if any(r is None or r < 1 for r in reps):
        raise MXNetError(f"tile: argument 'reps' must hold positive integers, got {reps}")
    return (1,) * (ndim - len(reps)) + reps


def _tile_shape(attrs, shape):
    reps = _tile_reps(attrs, len(shape))
    shape = (1,) * (len(reps) - len(shape)) + shape
    return tuple(d * r for d, r in zip(shape, reps))


def _grad_tile(F, attrs, ins, outs, g):
    x = ins[0]
    reps = _tile_reps(attrs, x.ndim)
    shape = (1,) * (len(reps) - x.ndim) + tuple(x.shape)
    # Output axis i is (reps[i], shape[i]) laid out row-major: sum over each rep axis.
    split = tuple(v for r, d in zip(reps, shape) for v in (r, d))
    summed = F.sum(F.reshape(g[0], shape=split), axis=tuple(range(0, len(split), 2)))
    return [F.reshape_like(summed, x)]


@register("tile", params={"reps": Param("shape", doc="Repetitions per axis.")},
          infer_shape=unary_shape(_tile_shape), infer_type=first_type, gradient=_grad_tile)
def _tile(xp, attrs, data):
    """Repeat the whole array `reps` times along each axis (NumPy's tile)."""
    return xp.tile(data, _tile_reps(attrs, data.ndim))


def _repeat_axis(attrs, shape):
    if attrs.repeats < 0:
        raise MXNetError(f"repeat: argument 'repeats' must be >= 0, got {attrs.repeats}")
    return None if attrs.axis is None else norm_axis("repeat", attrs.axis, len(shape))


def _repeat_shape(attrs, shape):
    axis = _repeat_axis(attrs, shape)
    if axis is None:
        return (_prod(shape) * attrs.repeats,)
    return shape[:axis] + (shape[axis] * attrs.repeats,) + shape[axis + 1:]


def _grad_repeat(F, attrs, ins, outs, g):
    x = ins[0]
    axis = _repeat_axis(attrs, x.shape)
    if axis is None:
        split, axis = (x.size, attrs.repeats), 0
    else:
        split = tuple(x.shape[:axis + 1]) + (attrs.repeats,) + tuple(x.shape[axis + 1:])
    summed = F.sum(F.reshape(g[0], shape=split), axis=axis + 1)
    return [F.reshape_like(summed, x)]


@register("repeat", params={"repeats": Param("int", doc="Copies of each element."),
                            "axis": Param("int", None, "Axis to repeat along; the "
                                                       "flattened input when None.")},
          infer_shape=unary_shape(_repeat_shape), infer_type=first_type, gradient=_grad_repeat)
def _repeat(xp, attrs, data):
    """Repeat each element `repeats` times along `axis` (NumPy's repeat)."""
    return xp.repeat(data, attrs.repeats, axis=_repeat_axis(attrs, data.shape))


def _reverse_axes(attrs, ndim):
    # MXNet 1.x accepts only non-negative axes here; a repeated axis flips twice.
    for a in attrs.axis:
        if not 0 <= a < ndim:
            raise MXNetError(f"reverse: argument 'axis' has {a}, expected an axis in "
                             f"[0, {ndim - 1}] for a {ndim}-d input")
    return [a for a in set(attrs.axis) if attrs.axis.count(a) % 2]


def _reverse_shape(attrs, shape):
    _reverse_axes(attrs, len(shape))
    return shape


@register("reverse", aliases=("flip",), params={"axis": Param("shape", doc="Axes to flip.")},
          infer_shape=unary_shape(_reverse_shape),
          infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F.reverse(g[0], axis=attrs.axis)])
def _reverse(xp, attrs, data):
    """Reverse the order of elements along the given axes."""
    axes = _reverse_axes(attrs, data.ndim)
    return xp.flip(data, axis=tuple(axes)).copy() if axes else data.copy()


# -- pad -------------------------------------------------------------------------

def _pad_pairs(attrs, shape):
    width, ndim = tuple(attrs.pad_width), len(shape)
    if ndim not in (4, 5):
        raise MXNetError(f"Pad: only 4-d and 5-d inputs are supported, got shape {shape}")
    if len(width) != 2 * ndim or any(w is None or w < 0 for w in width):
        raise MXNetError(f"Pad: argument 'pad_width' must hold {2 * ndim} non-negative "
                         f"integers (before, after per axis), got {width}")
    if any(width[:4]):
        raise MXNetError(f"Pad: the first two axes cannot be padded, got pad_width {width}")
    pairs = tuple(zip(width[::2], width[1::2]))
    if attrs.mode == "reflect":
        for d, (b, a) in zip(shape, pairs):
            if b >= d or a >= d:
                raise MXNetError(f"Pad: reflect padding must be smaller than the axis size, "
                                 f"got pad_width {width} for shape {shape}")
    return pairs


def _pad_shape(attrs, shape):
    return tuple(d + b + a for d, (b, a) in zip(shape, _pad_pairs(attrs, shape)))


def _pad_source(n, before, after, mode):
    """Index of the source element of every padded position on an axis (-1: constant)."""
    if mode == "constant":
        return np.pad(np.arange(n), (before, after), mode="constant", constant_values=-1)
    return np.pad(np.arange(n), (before, after), mode=mode)


_PAD_PARAMS = {"mode": Param("str", choices=("constant", "edge", "reflect")),
               "pad_width": Param("shape", doc="Pad sizes (before, after) for every axis."),
               "constant_value": Param("float", 0.0)}


@register("Pad", aliases=("pad",), params=_PAD_PARAMS, infer_shape=unary_shape(_pad_shape),
          infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_Pad(
              g[0], mode=attrs.mode, pad_width=attrs.pad_width)])
def _pad(xp, attrs, data):
    """Pad the spatial axes of a 4-d/5-d array with a constant, the edge values or a
    reflection (MXNet's pad_width lists before/after sizes per axis, first two zero)."""
    pairs = _pad_pairs(attrs, data.shape)
    if attrs.mode == "constant":
        return xp.pad(data, pairs, mode="constant",
                      constant_values=data.dtype.type(attrs.constant_value))
    return xp.pad(data, pairs, mode=attrs.mode)


def _pad_backward_shape(attrs, shape):
    width = tuple(attrs.pad_width)
    return tuple(d - b - a for d, b, a in zip(shape, width[::2], width[1::2]))


@register("_backward_Pad", params={k: _PAD_PARAMS[k] for k in ("mode", "pad_width")},
          infer_shape=unary_shape(_pad_backward_shape), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F.Pad(g[0], mode=attrs.mode,
                                                         pad_width=attrs.pad_width)])
def _pad_backward(xp, attrs, grad):
    """Gradient of Pad: each input element receives the sum of the gradients at the
    padded positions that copied it."""
    out = grad
    width = tuple(attrs.pad_width)
    for axis, (b, a) in enumerate(zip(width[::2], width[1::2])):
        if not b and not a:
            continue
        n = out.shape[axis] - b - a
        src = _pad_source(n, b, a, attrs.mode)
        keep = src >= 0
        moved = xp.moveaxis(out, axis, 0)
        acc = xp.zeros((n,) + moved.shape[1:], dtype=out.dtype)
        xp.add.at(acc, xp.asarray(src[keep]), moved[xp.asarray(keep)])
        out = xp.moveaxis(acc, 0, axis)
    return xp.ascontiguousarray(out) if out is not grad else grad.copy()


# -- concat, stack, split ----------------------------------------------------------

def _check_same_types(op, types):
    known = [t for t in types if t is not None]
    if any(t != known[0] for t in known):
        raise MXNetError(f"{op}: all inputs must have the same dtype, got {', '.join(known)}")
    return known[0] if known else None


def _join_type(op):
    def infer(attrs, types):
        t = _check_same_types(op, types)
        return [t] * len(types), [t]
    return infer


def _check_num_args(op, attrs, count):
    if attrs.num_args != count:
        raise MXNetError(f"{op}: num_args={attrs.num_args} but {count} inputs were given")


def _concat_shape(attrs, shapes):
    _check_num_args("Concat", attrs, len(shapes))
    first = shapes[0]
    axis = norm_axis("Concat", attrs.dim, len(first), "dim")
    for s in shapes:
        if len(s) != len(first) or any(a != b for i, (a, b) in enumerate(zip(s, first))
                                       if i != axis):
            raise MXNetError(f"Concat: inputs must agree on every axis except dim={attrs.dim}, "
                             f"got shapes {', '.join(str(tuple(x)) for x in shapes)}")
    return first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]


def _grad_concat(F, attrs, ins, outs, g):
    axis = attrs.dim % ins[0].ndim
    grads, start = [], 0
    for x in ins:
        end = start + x.shape[axis]
        grads.append(F.slice_axis(g[0], axis=axis, begin=start, end=end))
        start = end
    return grads


@register("Concat", aliases=("concat",), variadic="num_args",
          params={"num_args": Param("int", doc="Number of inputs."), "dim": Param("int", 1)},
          infer_shape=lambda attrs, s: (s, [None if None in s else _concat_shape(
              attrs, [tuple(x) for x in s])]),
          infer_type=_join_type("Concat"), gradient=_grad_concat)
def _concat(xp, attrs, *data):
    """Join arrays along axis `dim`; they must agree on every other axis."""
    _concat_shape(attrs, [x.shape for x in data])
    _check_same_types("Concat", [x.dtype.name for x in data])
    return xp.concatenate(data, axis=attrs.dim % data[0].ndim)


def _stack_shape(attrs, shapes):
    _check_num_args("stack", attrs, len(shapes))
    first = shapes[0]
    if any(s != first for s in shapes):
        raise MXNetError(f"stack: all inputs must have the same shape, got "
                         f"{', '.join(str(tuple(x)) for x in shapes)}")
    axis = norm_axis("stack", attrs.axis, len(first), extra=1)
    return first[:axis] + (len(shapes),) + first[axis:]


def _grad_stack(F, attrs, ins, outs, g):
    axis = norm_axis("stack", attrs.axis, ins[0].ndim, extra=1)
    return [F.reshape_like(F.slice_axis(g[0], axis=axis, begin=i, end=i + 1), x)
            for i, x in enumerate(ins)]


@register("stack", variadic="num_args",
          params={"axis": Param("int", 0), "num_args": Param("int", doc="Number of inputs.")},
          infer_shape=lambda attrs, s: (s, [None if None in s else _stack_shape(
              attrs, [tuple(x) for x in s])]),
          infer_type=_join_type("stack"), gradient=_grad_stack)
def _stack(xp, attrs, *data):
    """Join same-shaped arrays along a new axis `axis`."""
    _stack_shape(attrs, [x.shape for x in data])
    _check_same_types("stack", [x.dtype.name for x in data])
    return xp.stack(data, axis=norm_axis("stack", attrs.axis, data[0].ndim, extra=1))


def _split_bounds(op, attrs, shape):
    """(axis, [(begin, end)] per output) of a split of an array of ``shape``."""
    axis = norm_axis(op, attrs.axis, len(shape))
    if op == "SliceChannel":
        sections, indices = attrs.num_outputs, ()
    else:
        sections = attrs.sections if attrs.sections > 0 else None
        indices = attrs.indices
    return axis, split_parts(op, shape[axis], axis, sections, indices, attrs.squeeze_axis)


def split_parts(op, size, axis, sections, indices, squeeze):
    """[(begin, end)] per part of splitting axis ``axis`` of ``size``: into
    ``sections`` equal parts, or (``sections`` None) at the increasing cut
    points ``indices`` starting at 0; ``squeeze`` needs every part of size 1."""
    if sections is not None:
        if sections < 1 or size % sections:
            raise MXNetError(f"{op}: axis {axis} of size {size} cannot be split into "
                             f"{sections} equal parts")
        step = size // sections
        bounds = [(i * step, (i + 1) * step) for i in range(sections)]
    else:
        cuts = tuple(indices) + (size,)
        if not indices or cuts[0] != 0 or any(
                a is None or not 0 <= a <= b for a, b in zip(cuts, cuts[1:])):
            raise MXNetError(f"{op}: argument 'indices' must be increasing split points "
                             f"starting at 0 within axis size {size}, got {indices}")
        bounds = list(zip(cuts, cuts[1:]))
    if squeeze and any(e - b != 1 for b, e in bounds):
        raise MXNetError(f"{op}: squeeze_axis=True needs every output to have size 1 on "
                         f"axis {axis}, got parts of sizes {[e - b for b, e in bounds]}")
    return bounds


def _split_shapes(op):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None] * _split_count(op, attrs)
        shape = tuple(shapes[0])
        axis, bounds = _split_bounds(op, attrs, shape)
        rest = shape[axis + 1:]
        return shapes, [shape[:axis] + (() if attrs.squeeze_axis else (e - b,)) + rest
                        for b, e in bounds]
    return infer


def _split_count(op, attrs):
    if op == "SliceChannel":
        return attrs.num_outputs
    return attrs.sections if attrs.sections > 0 else len(attrs.indices)


def _split_compute(op):
    def compute(xp, attrs, data):
        axis, bounds = _split_bounds(op, attrs, data.shape)
        index = [slice(None)] * data.ndim
        outs = []
        for b, e in bounds:
            index[axis] = b if attrs.squeeze_axis else slice(b, e)
            outs.append(xp.array(data[tuple(index)], copy=True))
        return tuple(outs)
    return compute


def _split_grad(op):
    def gradient(F, attrs, ins, outs, g):
        axis, bounds = _split_bounds(op, attrs, ins[0].shape)
        if attrs.squeeze_axis:
            g = [F.expand_dims(x, axis=axis) for x in g]
        return [g[0] if len(g) == 1 else F.concat(*g, dim=axis)]
    return gradient


_SPLIT_COMMON = {"axis": Param("int", 1), "squeeze_axis": Param("bool", False)}
register("SliceChannel", aliases=("split",), params={
    "num_outputs": Param("int", doc="Number of equal parts."), **_SPLIT_COMMON},
    num_outputs=lambda attrs: _split_count("SliceChannel", attrs),
    # MXNet names the parts by index even when there is one (output0); _split_v2 does not
    output_names=lambda attrs: [f"output{i}" for i in range(attrs.num_outputs)],
    infer_shape=_split_shapes("SliceChannel"),
    infer_type=lambda attrs, t: (t, t * attrs.num_outputs),
    gradient=_split_grad("SliceChannel"),
    doc="Split an array into `num_outputs` equal parts along `axis` (dropping that axis "
        "when `squeeze_axis` and every part has size 1).")(_split_compute("SliceChannel"))
register("_split_v2", params={
    "indices": Param("shape", doc="Split points along the axis, starting with 0."),
    **_SPLIT_COMMON, "sections": Param("int", 0, "Number of equal parts; overrides indices "
                                                 "when positive.")},
    num_outputs=lambda attrs: _split_count("_split_v2", attrs),
    infer_shape=_split_shapes("_split_v2"),
    infer_type=lambda attrs, t: (t, t * _split_count("_split_v2", attrs)),
    gradient=_split_grad("_split_v2"),
    doc="Split an array along `axis` at the given indices or into `sections` equal "
        "parts.")(_split_compute("_split_v2"))


# -- depth_to_space / space_to_depth ---------------------------------------------

def _block_check(op, attrs, shape):
    b = attrs.block_size
    if len(shape) != 4:
        raise MXNetError(f"{op}: the input must be 4-d (N, C, H, W), got shape {shape}")
    if b < 1:
        raise MXNetError(f"{op}: argument 'block_size' must be positive, got {b}")
    return b


def _d2s_shape(attrs, shape):
    b = _block_check("depth_to_space", attrs, shape)
    n, c, h, w = shape
    if c % (b * b):
        raise MXNetError(f"depth_to_space: the channel axis ({c}) must be a multiple of "
                         f"block_size^2 ({b * b})")
    return (n, c // (b * b), h * b, w * b)


def _s2d_shape(attrs, shape):
    b = _block_check("space_to_depth", attrs, shape)
    n, c, h, w = shape
    if h % b or w % b:
        raise MXNetError(f"space_to_depth: the spatial axes ({h}, {w}) must be multiples of "
                         f"block_size ({b})")
    return (n, c * b * b, h // b, w // b)


@register("depth_to_space", params={"block_size": Param("int")},
          infer_shape=unary_shape(_d2s_shape), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F.space_to_depth(g[0],
                                                                    block_size=attrs.block_size)])
def _depth_to_space(xp, attrs, data):
    """Move blocks of channels into block_size x block_size spatial tiles (NCHW)."""
    out = _d2s_shape(attrs, data.shape)
    n, c, h, w = data.shape
    b = attrs.block_size
    tiles = data.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
    return xp.ascontiguousarray(tiles).reshape(out)


@register("space_to_depth", params={"block_size": Param("int")},
          infer_shape=unary_shape(_s2d_shape), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F.depth_to_space(g[0],
                                                                    block_size=attrs.block_size)])
def _space_to_depth(xp, attrs, data):
    """Move block_size x block_size spatial tiles into channels (inverse of depth_to_space)."""
    out = _s2d_shape(attrs, data.shape)
    n, c, h, w = data.shape
    b = attrs.block_size
    tiles = data.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
    return xp.ascontiguousarray(tiles).reshape(out)


# -- shape_array, size_array, broadcast_axis -----------------------------------------

@register("shape_array", infer_shape=unary_shape(lambda attrs, s: (len(s),)),
          infer_type=lambda attrs, t: (t, ["int64"]))
def _shape_array(xp, attrs, data):
    """The shape of the input as a 1-d int64 array."""
    return xp.asarray(data.shape, dtype="int64").reshape(data.ndim)


@register("size_array", infer_shape=unary_shape(lambda attrs, s: (1,)),
          infer_type=lambda attrs, t: (t, ["int64"]))
def _size_array(xp, attrs, data):
    """The number of elements of the input as a (1,) int64 array."""
    return xp.asarray([data.size], dtype="int64")


def _broadcast_axis_shape(attrs, shape):
    axes, sizes = tuple(attrs.axis), tuple(attrs.size)
    if len(axes) != len(sizes):
        raise MXNetError(f"broadcast_axis: 'axis' {axes} and 'size' {sizes} must have the "
                         f"same length")
    out = list(shape)
    for a, n in zip(axes, sizes):
        if not 0 <= a < len(shape):
            raise MXNetError(f"broadcast_axis: axis {a} is out of range [0, {len(shape) - 1}] "
                             f"for input shape {shape}")
        if out[a] != 1:
            raise MXNetError(f"broadcast_axis: axis {a} must have size 1 to be broadcast, "
                             f"got size {out[a]} (input shape {shape})")
        out[a] = n
    return tuple(out)


@register("broadcast_axis", aliases=("broadcast_axes",),
          params={"axis": Param("shape", ()), "size": Param("shape", ())},
          infer_shape=unary_shape(_broadcast_axis_shape), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._reduce_sum_like(g[0], ins[0])])
def _broadcast_axis(xp, attrs, data):
    """Broadcast size-1 axes `axis` to the sizes `size`."""
    return xp.broadcast_to(data, _broadcast_axis_shape(attrs, data.shape)).copy()


# -- diag ----------------------------------------------------------------------------

def _diag_axes(attrs, ndim):
    a1 = norm_axis("diag", attrs.axis1, ndim, "axis1")
    a2 = norm_axis("diag", attrs.axis2, ndim, "axis2")
    if a1 == a2:
        raise MXNetError(f"diag: axis1 and axis2 must differ, both refer to axis {a1}")
    return a1, a2


def _diag_len(attrs, n1, n2):
    k = attrs.k
    length = min(n1, n2 - k) if k >= 0 else min(n1 + k, n2)
    if length <= 0:
        raise MXNetError(f"diag: diagonal k={k} does not exist in a {n1}x{n2} matrix")
    return length


def _diag_shape(attrs, shape):
    if len(shape) == 1:
        n = shape[0] + abs(attrs.k)
        return (n, n)
    if not shape:
        raise MXNetError("diag: the input must have at least 1 dimension")
    a1, a2 = _diag_axes(attrs, len(shape))
    rest = tuple(d for i, d in enumerate(shape) if i not in (a1, a2))
    return rest + (_diag_len(attrs, shape[a1], shape[a2]),)


def _grad_diag(F, attrs, ins, outs, g):
    if ins[0].ndim == 1:
        return [F.diag(g[0], k=attrs.k)]
    return [F._internal._backward_diag(g[0], ins[0], k=attrs.k, axis1=attrs.axis1,
                                       axis2=attrs.axis2)]


_DIAG_PARAMS = {"k": Param("int", 0, "Diagonal offset (positive: above the main one)."),
                "axis1": Param("int", 0), "axis2": Param("int", 1)}


@register("diag", params=_DIAG_PARAMS, infer_shape=unary_shape(_diag_shape),
          infer_type=first_type, gradient=_grad_diag)
def _diag(xp, attrs, data):
    """A 1-d input becomes a square matrix with it on diagonal `k`; an n-d input gives
    its diagonal `k` over axes (axis1, axis2), appended as the last axis."""
    if data.ndim == 1:
        return xp.diag(data, attrs.k)
    _diag_shape(attrs, data.shape)
    a1, a2 = _diag_axes(attrs, data.ndim)
    return xp.diagonal(data, attrs.k, a1, a2).copy()


@register("_backward_diag", inputs=("grad", "like"), params=_DIAG_PARAMS,
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[1]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F.diag(g[0], k=attrs.k, axis1=attrs.axis1, axis2=attrs.axis2), None])
def _diag_backward(xp, attrs, grad, like):
    """Zeros shaped like `like` with `grad` written on diagonal k of (axis1, axis2)."""
    a1, a2 = _diag_axes(attrs, like.ndim)
    out = xp.zeros(like.shape, dtype=grad.dtype)
    k = attrs.k
    steps = xp.arange(grad.shape[-1])
    xp.moveaxis(out, (a1, a2), (-2, -1))[..., steps + max(-k, 0), steps + max(k, 0)] = grad
    return out
