"""``_npi_*`` joining, splitting, padding and selection operators of ``mx.np``:
concatenate, stack, vstack/hstack/dstack/column_stack, split/hsplit/dsplit,
pad, take, delete.

Every join is a concatenation of its inputs after lifting each to a common
rank (stack adds the new axis, vstack makes rows, ...), so one declaration
serves them all and their gradient is a split of the output gradient.
Inputs must share a dtype, as in MXNet.
"""
import ast
import math

import numpy as np

from ..base import MXNetError
from ..device import to_numpy
from . import registry
from .params import Param
from .registry import register
from .shape import first_type, norm_axis, split_parts, unary_shape


def _same_dtype(op, types):
    known = {t for t in types if t is not None}
    if len(known) > 1:
        raise MXNetError(f"{op}: all inputs must have the same dtype, got "
                         + ", ".join(str(t) for t in types))
    dtype = known.pop() if known else None
    return [dtype] * len(types), [dtype]


# -- joins ------------------------------------------------------------------------------------
def _concat_lift(attrs, shapes):
    if any(len(s) == 0 for s in shapes):
        raise MXNetError("_npi_concatenate: zero-dimensional arrays cannot be concatenated")
    return shapes, norm_axis("_npi_concatenate", attrs.axis, len(shapes[0]))


def _stack_lift(attrs, shapes):
    axis = norm_axis("_npi_stack", attrs.axis, len(shapes[0]), extra=1)
    if any(s != shapes[0] for s in shapes):
        raise MXNetError(f"_npi_stack: all inputs must have the same shape, got "
                         f"{', '.join(str(s) for s in shapes)}")
    return [s[:axis] + (1,) + s[axis:] for s in shapes], axis


def _rows(shape):
    return shape if len(shape) >= 2 else (1,) + ((shape[0],) if shape else (1,))


def _vstack_lift(attrs, shapes):
    return [_rows(s) for s in shapes], 0


def _hstack_lift(attrs, shapes):
    lifted = [s if s else (1,) for s in shapes]
    return lifted, 0 if len(lifted[0]) == 1 else 1


def _depth(shape):
    if len(shape) >= 3:
        return shape
    return {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)]


def _dstack_lift(attrs, shapes):
    return [_depth(s) for s in shapes], 2


def _column_lift(attrs, shapes):
    return [s if len(s) >= 2 else ((s[0] if s else 1), 1) for s in shapes], 1


def join_plan(op, lift, attrs, shapes):
    """(lifted input shapes, axis, output shape) of joining arrays of ``shapes``."""
    shapes = [tuple(s) for s in shapes]
    if len(shapes) != attrs.num_args or not shapes:
        raise MXNetError(f"{op}: argument 'num_args' is {attrs.num_args} but "
                         f"{len(shapes)} arrays were given (at least one is needed)")
    lifted, axis = lift(attrs, shapes)
    first = lifted[0]
    for s in lifted:
        if len(s) != len(first) or any(a != b for i, (a, b) in enumerate(zip(s, first))
                                       if i != axis):
            raise MXNetError(f"{op}: the arrays must agree on every axis but {axis}, got "
                             f"shapes {', '.join(str(x) for x in shapes)}")
    return lifted, axis, first[:axis] + (sum(s[axis] for s in lifted),) + first[axis + 1:]


def _grad_join(op, lift):
    def rule(F, attrs, ins, outs, g):
        lifted, axis, _ = join_plan(op, lift, attrs, [x.shape for x in ins])
        if len(ins) == 1:
            return [F._internal._np_reshape(g[0], newshape=ins[0].shape)]
        cuts, pos = [0], 0
        for s in lifted[:-1]:
            pos += s[axis]
            cuts.append(pos)
        parts = F._internal._npi_split(g[0], indices=tuple(cuts), axis=axis)
        return [F._internal._np_reshape(parts[i], newshape=x.shape) for i, x in enumerate(ins)]
    return rule


def _join_op(name, lift, doc, extra_params=None):
    params = {"num_args": Param("int", doc="Number of inputs."), **(extra_params or {})}

    def compute(xp, attrs, *data):
        dtype = data[0].dtype
        if any(x.dtype != dtype for x in data):
            _same_dtype(name, [x.dtype.name for x in data])  # raises, naming them
        lifted, axis, _ = join_plan(name, lift, attrs, [x.shape for x in data])
        return xp.concatenate([x.reshape(s) for x, s in zip(data, lifted)], axis=axis)
    compute.__doc__ = doc
    register(name, inputs=("data",), variadic="num_args", params=params,
             infer_shape=lambda attrs, s: (s, [None if None in s else join_plan(
                 name, lift, attrs, s)[2]]),
             infer_type=lambda attrs, t: _same_dtype(name, t),
             gradient=_grad_join(name, lift))(compute)


_join_op("_npi_concatenate", _concat_lift, "Join arrays along an existing axis `axis`.",
         {"axis": Param("int", 0, "The axis to join along.")})
_join_op("_npi_stack", _stack_lift, "Join same-shaped arrays along a new axis `axis`.",
         {"axis": Param("int", 0, "Position of the new axis in the result.")})
_join_op("_npi_vstack", _vstack_lift, "Stack arrays as rows (1-d inputs become rows).")
_join_op("_npi_hstack", _hstack_lift, "Join arrays along their second axis (the first for "
                                      "1-d inputs).")
_join_op("_npi_dstack", _dstack_lift, "Join arrays along their third axis (lower-rank "
                                      "inputs get size-1 axes first).")
_join_op("_npi_column_stack", _column_lift, "Join arrays as columns (1-d inputs become "
                                            "columns).")


# -- splits -----------------------------------------------------------------------------------
def split_bounds(op, attrs, shape):
    """(axis, [(begin, end)] per output) of a split of an array of ``shape``."""
    if not shape:
        raise MXNetError(f"{op}: a zero-dimensional array cannot be split")
    axis = norm_axis(op, _split_axis(op, attrs, shape), len(shape))
    sections = attrs.sections if attrs.sections > 0 else None
    return axis, split_parts(op, shape[axis], axis, sections, attrs.indices,
                             attrs.squeeze_axis)


def _split_axis(op, attrs, shape):
    """The split axis: hsplit's second (a 1-d input's first), dsplit's third."""
    if op == "_npi_hsplit":
        return 0 if len(shape) == 1 else 1
    if op == "_npi_dsplit":
        if len(shape) < 3:
            raise MXNetError(f"{op}: the input must have at least 3 dimensions, got shape "
                             f"{shape}")
        return 2
    return attrs.axis


def _split_count(attrs):
    return attrs.sections if attrs.sections > 0 else len(attrs.indices)


def _split_op(name, doc):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None] * _split_count(attrs)
        shape = tuple(shapes[0])
        axis, bounds = split_bounds(name, attrs, shape)
        mid = () if attrs.squeeze_axis else None
        return shapes, [shape[:axis] + ((e - b,) if mid is None else mid) + shape[axis + 1:]
                        for b, e in bounds]

    def compute(xp, attrs, data):
        axis, bounds = split_bounds(name, attrs, data.shape)
        index = [slice(None)] * data.ndim
        outs = []
        for b, e in bounds:
            index[axis] = b if attrs.squeeze_axis else slice(b, e)
            outs.append(data[tuple(index)].copy())
        return tuple(outs)

    def gradient(F, attrs, ins, outs, g):
        axis, bounds = split_bounds(name, attrs, ins[0].shape)
        if attrs.squeeze_axis:
            g = [F.expand_dims(x, axis=axis) for x in g]
        if len(g) == 1:
            return [F._internal._np_reshape(g[0], newshape=ins[0].shape)]
        return [F._internal._npi_concatenate(*g, axis=axis, num_args=len(g))]
    compute.__doc__ = doc
    register(name, params={
        "indices": Param("shape", doc="Split points along the axis, starting with 0."),
        "axis": Param("int", 1, "The axis to split."),
        "squeeze_axis": Param("bool", False, "Drop the split axis (parts must have size 1)."),
        "sections": Param("int", 0, "Number of equal parts; overrides indices when > 0.")},
        num_outputs=_split_count, infer_shape=infer,
        infer_type=lambda attrs, t: (t, t * _split_count(attrs)), gradient=gradient)(compute)


_split_op("_npi_split", "Split an array along `axis` at `indices` or into `sections` equal "
                        "parts.")
_split_op("_npi_hsplit", "Split an array along its second axis (the first for 1-d input).")
_split_op("_npi_dsplit", "Split an array (3-d or more) along its third axis.")


# -- pad --------------------------------------------------------------------------------------
_PAD_MODES = ("constant", "edge", "maximum", "minimum", "reflect", "symmetric")


def pad_pairs(op, pad_width, ndim):
    """``pad_width`` as one (before, after) pair per axis: NumPy's forms ``n``,
    ``(n,)``, ``(before, after)`` and ``((before, after),)`` apply to every axis."""
    value = ast.literal_eval(pad_width) if isinstance(pad_width, str) else pad_width
    try:
        arr = np.asarray(value)
        pairs = np.broadcast_to(arr, (ndim, 2)) if arr.dtype.kind in "iu" else None
    except ValueError:
        pairs = None
    if pairs is None or (pairs < 0).any():
        raise MXNetError(f"{op}: argument 'pad_width' expects one (before, after) pair of "
                         f"non-negative ints per axis of the {ndim}-d input, got {pad_width!r}")
    return [(int(b), int(e)) for b, e in pairs]


def _pad_shape(attrs, shape):
    pairs = pad_pairs("_npi_pad", attrs.pad_width, len(shape))
    if attrs.mode != "constant" and any(
            n == 0 and (b or e) for n, (b, e) in zip(shape, pairs)):
        raise MXNetError(f"_npi_pad: mode '{attrs.mode}' cannot pad an empty axis "
                         f"(shape {shape})")
    return tuple(n + b + e for n, (b, e) in zip(shape, pairs))


def _grad_pad(F, attrs, ins, outs, g):
    if attrs.mode != "constant":
        raise MXNetError(f"_npi_pad: only mode 'constant' is differentiable (as in MXNet), "
                         f"got mode '{attrs.mode}'")
    pairs = pad_pairs("_npi_pad", attrs.pad_width, ins[0].ndim)
    if not pairs:
        return [g[0]]
    return [F.slice(g[0], begin=tuple(b for b, _ in pairs),
                    end=tuple(b + n for (b, _), n in zip(pairs, ins[0].shape)))]


@register("_npi_pad", params={
    "pad_width": Param("any", doc="((before, after), ...) per axis, or NumPy's shorthands."),
    "mode": Param("str", "constant", choices=_PAD_MODES, doc="How the border is filled."),
    "constant_value": Param("float", 0.0, "Fill value of mode 'constant'."),
    "reflect_type": Param("str", "even", "Only 'even' (NumPy's default) is supported.",
                          choices=("even",))},
    infer_shape=unary_shape(_pad_shape), infer_type=first_type, gradient=_grad_pad)
def _npi_pad(xp, attrs, data):
    """Pad each axis with `pad_width` elements before and after, filled by `mode`:
    a constant, the edge value, the axis maximum/minimum, or a reflection (without or
    with the edge repeated: 'reflect'/'symmetric')."""
    pairs = pad_pairs("_npi_pad", attrs.pad_width, data.ndim)
    _pad_shape(attrs, data.shape)
    if attrs.mode == "constant":
        # A host scalar of data's dtype (converted like a C cast): CuPy's pad reads it
        # on the host.
        fill = np.asarray(attrs.constant_value).astype(data.dtype).item()
        return xp.pad(data, pairs, mode="constant", constant_values=fill)
    return xp.pad(data, pairs, mode=attrs.mode)


# -- take -------------------------------------------------------------------------------------
def _take_shape(attrs, shapes):
    a, idx = shapes
    if a is None or idx is None:
        return shapes, [None]
    if not a:
        raise MXNetError("_npi_take: cannot take from a zero-dimensional array")
    axis = norm_axis("_npi_take", attrs.axis, len(a))
    return shapes, [tuple(a[:axis]) + tuple(idx) + tuple(a[axis + 1:])]


def take_positions(xp, op, indices, n, mode):
    """Integer positions in [0, n) for ``indices`` (floats truncate): 'raise' accepts
    [-n, n) as NumPy does, 'wrap' wraps around, 'clip' clamps."""
    idx = indices.astype("int64") if indices.dtype.kind not in "iu" else indices
    if mode == "raise":
        if idx.size and (n == 0 or int(idx.min()) < -n or int(idx.max()) >= n):
            raise MXNetError(f"{op}: an index is out of bounds for an axis of size {n} "
                             f"(values from {int(idx.min())} to {int(idx.max())})")
        return idx % max(n, 1)
    if n == 0:
        if idx.size:
            raise MXNetError(f"{op}: cannot take from an empty axis")
        return idx
    if mode == "wrap":
        return idx % n
    return xp.clip(idx, 0, n - 1)


@register("_npi_take", inputs=("a", "indices"), infer_shape=_take_shape,
          infer_type=lambda attrs, t: (t, [t[0]]),
          params={"axis": Param("int", 0, "The axis to take along."),
                  "mode": Param("str", "clip", choices=("clip", "raise", "wrap"),
                                doc="Out-of-range indices: clip, raise an error, or wrap.")},
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_take(
              g[0], ins[1], ins[0], axis=attrs.axis,
              mode="wrap" if attrs.mode == "raise" else attrs.mode), None])
def _npi_take(xp, attrs, a, indices):
    """Entries of `a` along `axis` at `indices` (the index array's shape replaces that
    axis); negative indices count from the end."""
    _take_shape(attrs, [a.shape, indices.shape])
    axis = norm_axis("_npi_take", attrs.axis, a.ndim)
    pos = take_positions(xp, "_npi_take", indices, a.shape[axis], attrs.mode)
    return xp.take(a, pos, axis=axis)


# MXNet declares these NumPy names as aliases of the legacy operators (a graph
# stores the legacy name), and they compute the same thing here.
for _name, _legacy in (("_npi_gather_nd", "gather_nd"), ("_npi_scatter_set_nd", "_scatter_set_nd"),
                       ("_npi_copyto", "_copyto"),
                       ("_npi_rnn_param_concat", "_rnn_param_concat")):
    registry.add_alias(_name, _legacy)


# -- delete -----------------------------------------------------------------------------------
_DELETE_PARAMS = {
    "start": Param("int", None, "Slice start of the entries to delete."),
    "stop": Param("int", None, "Slice stop of the entries to delete."),
    "step": Param("int", None, "Slice step; given (with start/stop) for a slice."),
    "int_ind": Param("int", None, "The one index to delete."),
    "axis": Param("int", None, "The axis (None: the flattened array).")}


def _delete_by_obj(attrs):
    """Whether the entries to delete come as the 'obj' input (not int_ind or a slice)."""
    return attrs.int_ind is None and attrs.step is None


def _delete_inputs(attrs):
    return ("arr", "obj") if _delete_by_obj(attrs) else ("arr",)


def _delete_axis(attrs, shape):
    """(axis, shape seen by the deletion): a None axis means the flattened array."""
    if attrs.axis is None:
        return 0, (math.prod(shape),)
    return norm_axis("_npi_delete", attrs.axis, len(shape)), tuple(shape)


def _deleted(attrs, n, obj):
    """Host positions in [0, n) named by int_ind, the slice, or ``obj`` (ints, or a mask)."""
    if attrs.int_ind is not None:
        pos = np.array([attrs.int_ind])
    elif not _delete_by_obj(attrs):
        return np.arange(n)[slice(attrs.start, attrs.stop, attrs.step)]
    else:
        pos = obj if isinstance(obj, np.ndarray) else to_numpy(obj)
        if pos.dtype == np.bool_:
            if pos.shape != (n,):
                raise MXNetError(f"_npi_delete: a boolean obj must have the axis length {n}, "
                                 f"got shape {pos.shape}")
            return np.flatnonzero(pos)
        pos = pos.astype(np.int64).reshape(-1)
    if pos.size and (pos.min() < -n or pos.max() >= n):
        raise MXNetError(f"_npi_delete: index out of bounds for an axis of size {n} "
                         f"(got {pos.min()} to {pos.max()})")
    return pos % max(n, 1)


def _delete_plan(xp, attrs, shape, obj):
    """(axis, shape seen, device positions of the kept entries)."""
    axis, seen = _delete_axis(attrs, shape)
    keep = np.setdiff1d(np.arange(seen[axis]), _deleted(attrs, seen[axis], obj))
    return axis, seen, xp.asarray(keep)


def _delete_shape(attrs, shapes):
    if shapes[0] is None or _delete_by_obj(attrs):
        return shapes, [None]  # the count deleted depends on obj's values
    axis, seen = _delete_axis(attrs, tuple(shapes[0]))
    kept = seen[axis] - _deleted(attrs, seen[axis], None).size
    return shapes, [seen[:axis] + (kept,) + seen[axis + 1:]]


def _grad_delete(F, attrs, ins, outs, g):
    return [F._internal._backward_npi_delete(g[0], *ins, **_delete_kwargs(attrs))] + \
        [None] * (len(ins) - 1)


def _delete_kwargs(attrs):
    return {k: attrs[k] for k in _DELETE_PARAMS}


@register("_npi_delete", inputs=("arr", "obj"), active_inputs=_delete_inputs,
          params=_DELETE_PARAMS, infer_shape=_delete_shape, infer_type=first_type,
          gradient=_grad_delete)
def _npi_delete(xp, attrs, arr, obj=None):
    """`arr` without the entries along `axis` (of the flattened array when None) named by
    `int_ind`, the slice start:stop:step, or the `obj` input (indices or a boolean mask)."""
    axis, seen, keep = _delete_plan(xp, attrs, arr.shape, obj)
    return xp.take(arr.reshape(seen), keep, axis=axis)


@register("_backward_npi_delete", inputs=("grad", "arr", "obj"),
          active_inputs=lambda attrs: ("grad",) + _delete_inputs(attrs), params=_DELETE_PARAMS,
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._npi_delete(
              g[0], *ins[2:], **_delete_kwargs(attrs))] + [None] * (len(ins) - 1))
def _backward_npi_delete(xp, attrs, grad, arr, obj=None):
    """The gradient of `_npi_delete`: zeros shaped like `arr` with `grad` at the kept
    entries."""
    axis, seen, keep = _delete_plan(xp, attrs, arr.shape, obj)
    out = xp.zeros(seen, dtype=grad.dtype)
    index = [slice(None)] * len(seen)
    index[axis] = keep
    out[tuple(index)] = grad
    return out.reshape(arr.shape)
