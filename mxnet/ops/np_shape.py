"""``_np_*``/``_npi_*`` shape operators of the ``mx.np`` front end: reshape,
transpose and axis moves, squeeze/expand/broadcast, atleast_nd, tile, repeat,
roll, flip, rot90, copy.

They follow NumPy's rules (0-d inputs, zero-size axes, negative axes), unlike
the legacy ops of ``shape.py``. Kernels return new arrays: an output never
aliases its input. Each op's output shape comes from one function shared by
``infer_shape`` and the kernel, so both reject bad arguments alike. Joining,
splitting, padding, take and delete live in ``np_join.py``, diagonals in
``np_diag.py``, insert in ``np_insert.py``; this module imports them so the
family registers as a whole.
"""
import math

from ..base import MXNetError
from .infer import same_type
from .params import Param
from .registry import register
from .shape import first_type, norm_axis, unary_shape


def _prod(shape):
    return math.prod(shape)


def norm_axes(op, axes, ndim, name="axis"):
    """``axes`` (ints, negative from the end) as distinct indices in [0, ndim)."""
    out = tuple(norm_axis(op, a, ndim, name) for a in axes)
    if len(set(out)) != len(out):
        raise MXNetError(f"{op}: argument '{name}' repeats an axis: {tuple(axes)}")
    return out


def _copy_rule(F, attrs, ins, outs, g):
    return [g[0]]


# -- reshape ----------------------------------------------------------------------------------
def np_reshape_target(op, shape, newshape):
    """NumPy's reshape: ``newshape`` with at most one -1 (inferred) for ``shape``."""
    newshape = tuple(newshape)
    size = _prod(shape)
    unknown = [i for i, d in enumerate(newshape) if d == -1]
    if len(unknown) > 1 or any(d < -1 for d in newshape):
        raise MXNetError(f"{op}: argument 'newshape' {newshape} must hold sizes >= 0 and at "
                         "most one -1 (inferred)")
    known = _prod(d for d in newshape if d != -1)
    if unknown:
        if known == 0 or size % known:
            raise MXNetError(f"{op}: cannot reshape an array of size {size} (shape {shape}) "
                             f"into {newshape}")
        i = unknown[0]
        return newshape[:i] + (size // known,) + newshape[i + 1:]
    if known != size:
        raise MXNetError(f"{op}: cannot reshape an array of size {size} (shape {shape}) "
                         f"into {newshape}")
    return newshape


def _reshape_rule(name):
    def rule(F, attrs, ins, outs, g):
        return [F._internal._np_reshape(g[0], newshape=ins[0].shape, order=attrs.order)]
    return rule


def _reshape_op(name, extra_params=None):
    params = {"newshape": Param("shape", doc="Target shape; one -1 is inferred."),
              "order": Param("str", "C", "Element order: C (row-major) or F (column-major).",
                             choices=("C", "F")), **(extra_params or {})}

    def compute(xp, attrs, a):
        target = np_reshape_target(name, a.shape, attrs.newshape)
        return xp.reshape(a, target, order=attrs.order).copy()
    compute.__doc__ = "The elements of `a` in a new shape (NumPy's reshape)."
    register(name, inputs=("a",), params=params, infer_type=first_type,
             infer_shape=unary_shape(lambda attrs, s: np_reshape_target(name, s, attrs.newshape)),
             gradient=_reshape_rule(name))(compute)


_reshape_op("_np_reshape")
_reshape_op("_npi_reshape", {"reverse": Param("bool", False, "Kept for MXNet's signature: "
                                                             "with NumPy shapes the result "
                                                             "is the same either way.")})


# -- axis permutations ------------------------------------------------------------------------
def _transpose_axes(attrs, ndim):
    if attrs.axes is None or len(attrs.axes) == 0:
        return tuple(reversed(range(ndim)))
    if len(attrs.axes) != ndim:
        raise MXNetError(f"_np_transpose: argument 'axes' {attrs.axes} must name each of the "
                         f"{ndim} axes once")
    return norm_axes("_np_transpose", attrs.axes, ndim, "axes")


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _permute_shape(perm_of):
    return unary_shape(lambda attrs, s: tuple(s[a] for a in perm_of(attrs, len(s))))


def _permute_rule(perm_of):
    def rule(F, attrs, ins, outs, g):
        return [F._internal._np_transpose(g[0], axes=_inverse(perm_of(attrs, ins[0].ndim)))]
    return rule


def _permute_op(name, perm_of, params, inputs, doc):
    def compute(xp, attrs, data):
        return xp.ascontiguousarray(xp.transpose(data, perm_of(attrs, data.ndim))).copy() \
            if data.ndim > 1 else data.copy()
    compute.__doc__ = doc
    register(name, inputs=inputs, params=params, infer_shape=_permute_shape(perm_of),
             infer_type=first_type, gradient=_permute_rule(perm_of))(compute)


_permute_op("_np_transpose", _transpose_axes,
            {"axes": Param("shape", None, "The permutation; None reverses the axes.")},
            ("a",), "Permute the axes of `a` (reverse them when `axes` is None).")


def _swap_perm(attrs, ndim):
    perm = list(range(ndim))
    i = norm_axis("_npi_swapaxes", attrs.dim1, ndim, "dim1")
    j = norm_axis("_npi_swapaxes", attrs.dim2, ndim, "dim2")
    perm[i], perm[j] = perm[j], perm[i]
    return tuple(perm)


_permute_op("_npi_swapaxes", _swap_perm,
            {"dim1": Param("int", 0, "First axis."), "dim2": Param("int", 0, "Second axis.")},
            ("data",), "Exchange axes `dim1` and `dim2`.")


def _moveaxis_perm(attrs, ndim):
    op = "_np_moveaxis"
    src = norm_axes(op, attrs.source, ndim, "source")
    dst = norm_axes(op, attrs.destination, ndim, "destination")
    if len(src) != len(dst):
        raise MXNetError(f"{op}: arguments 'source' {attrs.source} and 'destination' "
                         f"{attrs.destination} must have the same number of axes")
    rest = [a for a in range(ndim) if a not in src]
    for d, s in sorted(zip(dst, src)):
        rest.insert(d, s)
    return tuple(rest)


_permute_op("_np_moveaxis", _moveaxis_perm,
            {"source": Param("shape", doc="Axes to move."),
             "destination": Param("shape", doc="Their new positions.")},
            ("a",), "Move axes `source` of `a` to positions `destination`, keeping the order "
                    "of the others.")


# -- adding and removing axes -----------------------------------------------------------------
def _expand_shape(attrs, shape):
    axis = norm_axis("_npi_expand_dims", attrs.axis, len(shape), extra=1)
    return shape[:axis] + (1,) + shape[axis:]


def _to_input_shape(F, attrs, ins, outs, g):
    return [F._internal._np_reshape(g[0], newshape=ins[0].shape)]


@register("_npi_expand_dims", params={"axis": Param("int", doc="Position of the new axis.")},
          infer_shape=unary_shape(_expand_shape), infer_type=first_type,
          gradient=_to_input_shape)
def _npi_expand_dims(xp, attrs, data):
    """Insert an axis of size 1 at position `axis` (negative counts from the end)."""
    return data.reshape(_expand_shape(attrs, data.shape)).copy()


def _squeeze_shape(attrs, shape):
    op = "_np_squeeze"
    if attrs.axis is None:
        return tuple(d for d in shape if d != 1)
    axes = norm_axes(op, attrs.axis, len(shape))
    for a in axes:
        if shape[a] != 1:
            raise MXNetError(f"{op}: cannot squeeze axis {a} of size {shape[a]} (shape "
                             f"{shape}); only size-1 axes can be removed")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


@register("_np_squeeze", inputs=("a",),
          params={"axis": Param("shape", None, "Axes to remove (None: every size-1 axis).")},
          infer_shape=unary_shape(_squeeze_shape), infer_type=first_type,
          gradient=_to_input_shape)
def _np_squeeze(xp, attrs, a):
    """Remove size-1 axes of `a` (those in `axis`, or all of them)."""
    return a.reshape(_squeeze_shape(attrs, a.shape)).copy()


def np_broadcast_target(op, shape, target):
    """Check that ``shape`` broadcasts to ``target`` (NumPy's rules)."""
    target = tuple(target)
    extra = len(target) - len(shape)
    if extra < 0 or any(d < 0 for d in target) or any(
            s != t and s != 1 for s, t in zip(shape, target[extra:])):
        raise MXNetError(f"{op}: an array of shape {shape} cannot be broadcast to {target}")
    return target


@register("_npi_broadcast_to", inputs=("array",),
          params={"shape": Param("shape", (), "The target shape.")},
          infer_shape=unary_shape(lambda attrs, s: np_broadcast_target(
              "_npi_broadcast_to", s, attrs.shape)),
          infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._reduce_sum_like(g[0], ins[0])])
def _npi_broadcast_to(xp, attrs, array):
    """`array` repeated along new leading axes and its size-1 axes to fill `shape`."""
    target = np_broadcast_target("_npi_broadcast_to", array.shape, attrs.shape)
    return xp.broadcast_to(array, target).copy()


def _atleast_shape(ndim, shape):
    if len(shape) >= ndim:
        return tuple(shape)
    if ndim == 1:
        return (1,)
    if ndim == 2:
        return (1,) * (2 - len(shape)) + tuple(shape)
    return {0: (1, 1, 1), 1: (1,) + tuple(shape) + (1,), 2: tuple(shape) + (1,)}[len(shape)]


def _atleast_op(ndim):
    name = f"_np_atleast_{ndim}d"

    def compute(xp, attrs, *arys):
        return tuple(x.reshape(_atleast_shape(ndim, x.shape)).copy() for x in arys)
    compute.__doc__ = (f"Each input viewed with at least {ndim} dimensions (size-1 axes "
                       "added as NumPy does).")
    register(name, inputs=("arys",), variadic="num_args",
             num_outputs=lambda attrs: attrs.num_args,
             infer_shape=lambda attrs, s: (s, [None if x is None else _atleast_shape(ndim, x)
                                               for x in s]),
             infer_type=lambda attrs, t: (t, list(t)),
             gradient=lambda F, attrs, ins, outs, g: [
                 F._internal._np_reshape(gi, newshape=x.shape) for gi, x in zip(g, ins)])(compute)


for _n in (1, 2, 3):
    _atleast_op(_n)


# -- repetition -------------------------------------------------------------------------------
def _tile_plan(attrs, shape):
    """(input shape, reps) both padded with leading 1s to the same length."""
    reps = tuple(attrs.reps)
    if any(r < 0 for r in reps):
        raise MXNetError(f"_npi_tile: argument 'reps' {reps} must hold non-negative counts")
    n = max(len(reps), len(shape))
    return (1,) * (n - len(shape)) + tuple(shape), (1,) * (n - len(reps)) + reps


def _tile_shape(attrs, shape):
    padded, reps = _tile_plan(attrs, shape)
    return tuple(s * r for s, r in zip(padded, reps))


def _grad_tile(F, attrs, ins, outs, g):
    padded, reps = _tile_plan(attrs, ins[0].shape)
    split = tuple(d for pair in zip(reps, padded) for d in pair)
    summed = F.sum(F._internal._np_reshape(g[0], newshape=split),
                   axis=tuple(range(0, len(split), 2)))
    return [F._internal._np_reshape(summed, newshape=ins[0].shape)]


@register("_npi_tile", params={"reps": Param("shape", doc="Repetitions per axis.")},
          infer_shape=unary_shape(_tile_shape), infer_type=first_type, gradient=_grad_tile)
def _npi_tile(xp, attrs, data):
    """`data` repeated `reps[i]` times along each axis i (leading axes added when
    `reps` is longer than the input's dimensions, and the other way round)."""
    padded, reps = _tile_plan(attrs, data.shape)
    return xp.tile(data.reshape(padded), reps)


def _repeat_plan(attrs, shape):
    """(axis or None, input shape seen by the repeat)."""
    if attrs.repeats < 0:
        raise MXNetError(f"_np_repeat: argument 'repeats' must be non-negative, got "
                         f"{attrs.repeats}")
    if attrs.axis is None:
        return 0, (_prod(shape),)
    return norm_axis("_np_repeat", attrs.axis, len(shape)), tuple(shape)


def _repeat_shape(attrs, shape):
    axis, seen = _repeat_plan(attrs, shape)
    return seen[:axis] + (seen[axis] * attrs.repeats,) + seen[axis + 1:]


def _grad_repeat(F, attrs, ins, outs, g):
    axis, seen = _repeat_plan(attrs, ins[0].shape)
    split = seen[:axis + 1] + (attrs.repeats,) + seen[axis + 1:]
    summed = F.sum(F._internal._np_reshape(g[0], newshape=split), axis=axis + 1)
    return [F._internal._np_reshape(summed, newshape=ins[0].shape)]


@register("_np_repeat", params={"repeats": Param("int", doc="Copies of each element."),
                                "axis": Param("int", None, "Axis to repeat along (None: the "
                                                           "flattened array).")},
          infer_shape=unary_shape(_repeat_shape), infer_type=first_type, gradient=_grad_repeat)
def _np_repeat(xp, attrs, data):
    """Each element repeated `repeats` times, along `axis` or over the flattened array."""
    axis, seen = _repeat_plan(attrs, data.shape)
    return xp.repeat(data.reshape(seen), attrs.repeats, axis=axis)


# -- roll, flip, rot90, copy ------------------------------------------------------------------
def _roll_plan(attrs, ndim):
    """(shifts, axes) of a roll; axes None means the flattened array."""
    shift = attrs.shift
    if shift is None:
        raise MXNetError("_np_roll: argument 'shift' is required")
    if attrs.axis is None:
        if len(shift) != 1:
            raise MXNetError(f"_np_roll: without 'axis' the shift must be one number, got "
                             f"{shift}")
        return shift, None
    axes = tuple(norm_axis("_np_roll", a, ndim) for a in attrs.axis)
    if len(shift) == 1:
        shift = shift * len(axes)
    if len(shift) != len(axes):
        raise MXNetError(f"_np_roll: 'shift' {attrs.shift} and 'axis' {attrs.axis} must have "
                         "the same length")
    return shift, axes


@register("_np_roll", params={"shift": Param("shape", None, "Places to shift by (per axis)."),
                              "axis": Param("shape", None, "Axes to roll (None: flattened).")},
          infer_shape=unary_shape(lambda attrs, s: (_roll_plan(attrs, len(s)), s)[1]),
          infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._np_roll(
              g[0], shift=tuple(-s for s in _roll_plan(attrs, ins[0].ndim)[0]),
              axis=attrs.axis)])
def _np_roll(xp, attrs, data):
    """Shift elements cyclically by `shift` places along `axis` (or the flattened array)."""
    shift, axes = _roll_plan(attrs, data.ndim)
    if axes is None:
        return xp.roll(data, shift[0])
    return xp.roll(data, shift, axis=axes)


def _flip_axes(attrs, ndim):
    if attrs.axis is None:
        return tuple(range(ndim))
    return tuple(norm_axis("_npi_flip", a, ndim) for a in attrs.axis)


@register("_npi_flip", params={"axis": Param("shape", None, "Axes to reverse (None: all).")},
          infer_shape=unary_shape(lambda attrs, s: (_flip_axes(attrs, len(s)), s)[1]),
          infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._npi_flip(g[0], axis=attrs.axis)])
def _npi_flip(xp, attrs, data):
    """Reverse the order of elements along each axis in `axis` (every axis when None)."""
    axes = _flip_axes(attrs, data.ndim)
    return xp.flip(data, axes).copy() if axes else data.copy()


def _rot90_axes(attrs, ndim):
    axes = (0, 1) if attrs.axes is None else tuple(attrs.axes)
    if len(axes) != 2:
        raise MXNetError(f"_npi_rot90: argument 'axes' must name 2 axes, got {axes}")
    a, b = norm_axes("_npi_rot90", axes, ndim, "axes")
    return a, b


def _rot90_shape(attrs, shape):
    a, b = _rot90_axes(attrs, len(shape))
    if attrs.k % 2 == 0:
        return tuple(shape)
    out = list(shape)
    out[a], out[b] = out[b], out[a]
    return tuple(out)


@register("_npi_rot90", params={"k": Param("int", 1, "Quarter turns (negative: clockwise)."),
                                "axes": Param("shape", None, "The plane to rotate in.")},
          infer_shape=unary_shape(_rot90_shape), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._npi_rot90(
              g[0], k=-attrs.k, axes=attrs.axes)])
def _npi_rot90(xp, attrs, data):
    """Rotate by 90 degrees `k` times in the plane of `axes`, from the first axis
    towards the second."""
    return xp.ascontiguousarray(xp.rot90(data, attrs.k, _rot90_axes(attrs, data.ndim))).copy()


@register("_np_copy", inputs=("a",), infer_shape=unary_shape(lambda attrs, s: s),
          infer_type=same_type("_np_copy"), gradient=_copy_rule)
def _np_copy(xp, attrs, a):
    """A copy of `a`."""
    return a.copy()


# The rest of the family: joining/splitting/padding/indexing, diagonals and triangles.
from . import np_diag, np_insert, np_join  # noqa: E402,F401
