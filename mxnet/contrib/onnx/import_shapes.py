"""Shape arithmetic on symbolic dims, for models exported with dynamic axes.

When a graph input has a symbolic dim ('batch', 'sequence'), ``Shape`` of a
tensor that carries it is no constant. Exporters then compute reshape
targets from it (Shape -> Gather -> Unsqueeze -> Concat -> Reshape). This
module follows such vectors symbolically: each entry is an int or the name
of a symbolic dim, kept in ``ctx.dims``. A vector that becomes all ints is a
constant again; a Reshape whose target still holds names becomes MXNet's
reshape codes: a name equal to the input's dim at the same position is 0
(copy), one other name is -1 (infer).
"""
import numpy as np

from ...base import MXNetError

_FOLLOWED = ("Shape", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Identity")


def follow(ctx, node):
    """Evaluate a shape-arithmetic node over symbolic dims; True when done."""
    if node.op_type not in _FOLLOWED:
        return False
    if node.op_type == "Shape":
        return _shape(ctx, node)
    names = [name for name in node.input if name]
    if not any(name in ctx.dims for name in names):
        return False
    attrs = {a.name: ctx.onnx.helper.get_attribute_value(a) for a in node.attribute}
    values = {name: ctx.dims[name] if name in ctx.dims else ctx.consts.get(name)
              for name in names}
    if any(v is None for v in values.values()):
        return False  # mixes a computed tensor in: the op's own rule reports it
    _store(ctx, node.output[0], _EVALUATE[node.op_type](ctx, node, attrs, values))
    return True


def _shape(ctx, node):
    shape = ctx.symbolic_shape(node.input[0])
    if shape is None or all(isinstance(d, int) for d in shape):
        return False  # static (or unknown rank): the Shape rule handles it
    attrs = {a.name: ctx.onnx.helper.get_attribute_value(a) for a in node.attribute}
    # An unknown dim gets a name of its own: equal only to itself.
    dims = [d if d is not None else f"?{node.input[0]}:{i}" for i, d in enumerate(shape)]
    for axis, dim in enumerate(dims):
        if isinstance(dim, str):
            ctx.dim_sources.setdefault(dim, (node.input[0], axis))
    start, end = attrs.get("start", 0), attrs.get("end", len(dims))
    _store(ctx, node.output[0], np.array(dims[start:end], dtype=object))
    return True


def _store(ctx, name, value):
    value = np.asarray(value, dtype=object)
    if all(isinstance(v, (int, np.integer)) for v in value.ravel()):
        ctx.consts[name] = value.astype(np.int64)
    else:
        ctx.dims[name] = value


def _ints(value):
    return [int(v) for v in np.ravel(value)]


def _axes(ctx, node, attrs, values):
    if ctx.opset < 13:
        return attrs.get("axes")
    return _ints(values[node.input[1]]) if len(node.input) > 1 and node.input[1] else None


def _gather(ctx, node, attrs, values):
    data, index = (values[n] for n in node.input[:2])
    return np.take(np.asarray(data, dtype=object), np.asarray(index).astype(np.int64),
                   axis=attrs.get("axis", 0))


def _unsqueeze(ctx, node, attrs, values):
    out = np.asarray(values[node.input[0]], dtype=object)
    rank = out.ndim + len(_axes(ctx, node, attrs, values))
    for axis in sorted(a % rank for a in _axes(ctx, node, attrs, values)):
        out = np.expand_dims(out, axis)
    return out


def _squeeze(ctx, node, attrs, values):
    axes = _axes(ctx, node, attrs, values)
    data = np.asarray(values[node.input[0]], dtype=object)
    return np.squeeze(data, axis=None if axes is None else tuple(axes))


def _concat(ctx, node, attrs, values):
    parts = [np.asarray(values[n], dtype=object).reshape(-1) for n in node.input if n]
    return np.concatenate(parts)


def _slice(ctx, node, attrs, values):
    data = np.asarray(values[node.input[0]], dtype=object)
    if data.ndim != 1:
        raise MXNetError(f"import_model: Slice '{node.name}': only 1-d symbolic shape vectors "
                         f"can be sliced, given rank {data.ndim}")
    if ctx.opset < 10:
        starts, ends, steps = attrs["starts"], attrs["ends"], [1]
    else:
        inputs = list(node.input) + [""] * 5
        starts, ends = _ints(values[inputs[1]]), _ints(values[inputs[2]])
        steps = _ints(values[inputs[4]]) if inputs[4] else [1]
    return data[slice(starts[0], ends[0], steps[0])]


def _same(ctx, node, attrs, values):
    return values[node.input[0]]


_EVALUATE = {"Gather": _gather, "Unsqueeze": _unsqueeze, "Squeeze": _squeeze,
             "Concat": _concat, "Slice": _slice, "Cast": _same, "Identity": _same}


def broadcast_to_dims(ctx, sym, target):
    """``sym``, of shape (1, ..., 1) and rank ``len(target)``, broadcast to
    ``target``: like the source tensor along a symbolic dim, to the size of a
    number along the others."""
    for axis, dim in enumerate(target):
        if isinstance(dim, str):
            source, source_axis = ctx.dim_sources[dim]
            sym = ctx.sym.broadcast_like(sym, ctx.tensor(source), lhs_axes=(axis,),
                                         rhs_axes=(source_axis,))
        elif int(dim) > 1:
            sym = ctx.sym.broadcast_axis(sym, axis=axis, size=int(dim))
    return sym


def arange_of_dim(ctx, node, start, limit, delta):
    """``Range(0, d, 1)`` for a symbolic dim ``d``: arange_like of its source."""
    if float(start) != 0 or float(delta) != 1:
        raise MXNetError(f"import_model: Range '{node.name}': a symbolic limit needs start 0 "
                         f"and delta 1, given start {start} and delta {delta}")
    source, axis = ctx.dim_sources[limit]
    values = ctx.sym.contrib.arange_like(ctx.tensor(source), axis=axis)
    return ctx.sym.cast(values, dtype=np.asarray(start).dtype.name)


def _merge_or_split_front(source, target):
    """MXNet codes for the two reshapes of multi-head attention: merging the
    first two dims (``[-1] + rest``, code -3) or splitting the first in two
    (``[-1, n] + rest``, code -4); None for any other target."""
    rest = len(source) - 2
    if len(target) == len(source) - 1 and _is_minus_one(target[0]) and \
            list(target[1:]) == list(source[2:]):
        return (-3,) + (0,) * rest
    if len(target) == len(source) + 1 and _is_minus_one(target[0]) and \
            isinstance(target[1], (int, np.integer)) and list(target[2:]) == list(source[1:]):
        return (-4, -1, int(target[1])) + (0,) * (rest + 1)
    return None


def _is_minus_one(dim):
    return isinstance(dim, (int, np.integer)) and dim == -1


def reshape_codes(ctx, node, target):
    """MXNet reshape codes for a ``target`` holding names of symbolic dims."""
    source = ctx.symbolic_shape(node.input[0]) or ()
    codes = []
    for position, dim in enumerate(target):
        if isinstance(dim, (int, np.integer)):
            codes.append(int(dim))
        elif position < len(source) and source[position] == dim:
            codes.append(0)
        else:
            codes.append(-1)
    if codes.count(-1) > 1:
        codes = _merge_or_split_front(source, list(target)) or codes
    if codes.count(-1) > 1:
        raise MXNetError(f"import_model: Reshape '{node.name}': target {list(target)} has more "
                         f"than one dim that is neither a number nor copied from the input "
                         f"{source}")
    return tuple(codes)
