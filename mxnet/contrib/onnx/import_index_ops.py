"""ONNX import rules of indexing, sorting and layout ops: Expand, Tile, TopK,
ArgMax/ArgMin, OneHot, GatherND, DepthToSpace/SpaceToDepth,
ReverseSequence, Size and the ReduceL1/ReduceL2 norms.

ONNX indices are int64; MXNet's ops return theirs as floats unless told a
dtype, so index results are cast to int64.
"""
import numpy as np

from ...base import MXNetError
from .import_rules import imports
from .import_shapes import arange_of_dim, broadcast_to_dims


def _unsupported(node, what):
    return MXNetError(f"import_model: {node.op_type} '{node.name}': {what} is not supported")


@imports("Expand")
def expand(ctx, node, attrs):
    if node.input[1] in ctx.dims:
        return _expand_to_dims(ctx, node, ctx.dims[node.input[1]])
    shape = ctx.shape(node.input[0], node)
    target = ctx.constant(node, 1, "shape")
    # Expand broadcasts both ways: a target dim of 1 keeps the input's.
    common = tuple(np.broadcast_shapes(tuple(shape), tuple(int(d) for d in target)))
    x = ctx.tensor(node.input[0])
    if len(shape) < len(common):
        x = ctx.sym.reshape(x, shape=(1,) * (len(common) - len(shape)) + tuple(shape))
    return ctx.sym.broadcast_to(x, shape=common)


def _expand_to_dims(ctx, node, target):
    """Expand to a target holding symbolic dims: the input plus zeros of the
    target's shape, which broadcasts both ways as Expand does."""
    x = ctx.tensor(node.input[0])
    for _ in range(len(target) - ctx.rank(node.input[0], node)):
        x = ctx.sym.expand_dims(x, axis=0)
    # Zeros of x's dtype and shape (1, ..., 1), grown to the target.
    unit = ctx.sym.sum(ctx.sym.zeros_like(x), axis=tuple(range(len(target))), keepdims=True)
    return ctx.sym.broadcast_add(x, broadcast_to_dims(ctx, unit, list(target)))


@imports("ConstantOfShape")
def constant_of_shape(ctx, node, attrs):
    # Reached only with a symbolic shape: a constant one is folded on import.
    if node.input[0] not in ctx.dims:
        raise _unsupported(node, "a shape computed from tensors")
    target = ctx.dims[node.input[0]]
    value = attrs.get("value")
    value = (np.zeros(1, np.float32) if value is None
             else ctx.onnx.numpy_helper.to_array(value).reshape(1))
    fill = ctx.param(f"{node.name}_value", value.reshape((1,) * len(target)))
    return broadcast_to_dims(ctx, fill, list(target))


@imports("Range")
def range_op(ctx, node, attrs):
    # Reached only with a symbolic limit: constant bounds are folded on import.
    start = ctx.constant(node, 0, "start")
    delta = ctx.constant(node, 2, "delta")
    limit = ctx.dims.get(node.input[1])
    if limit is None or limit.size != 1 or not isinstance(limit.ravel()[0], str):
        raise _unsupported(node, "bounds computed from tensors")
    return arange_of_dim(ctx, node, start, limit.ravel()[0], delta)


@imports("Tile")
def tile(ctx, node, attrs):
    reps = ctx.constant(node, 1, "repeats")
    return ctx.sym.tile(ctx.tensor(node.input[0]), reps=tuple(int(r) for r in reps))


@imports("TopK")
def topk(ctx, node, attrs):
    k = int(np.ravel(ctx.constant(node, 1, "K"))[0])
    if not attrs.get("sorted", 1):
        raise _unsupported(node, "sorted=0")
    values, indices = ctx.sym.topk(ctx.tensor(node.input[0]), k=k, axis=attrs.get("axis", -1),
                                   is_ascend=not attrs.get("largest", 1), ret_typ="both",
                                   dtype="int64")
    return [values, indices]


def _arg_rule(mx_name):
    def rule(ctx, node, attrs):
        if attrs.get("select_last_index", 0):
            raise _unsupported(node, "select_last_index=1")
        picked = getattr(ctx.sym, mx_name)(ctx.tensor(node.input[0]), axis=attrs.get("axis", 0),
                                           keepdims=bool(attrs.get("keepdims", 1)))
        return ctx.sym.cast(picked, dtype="int64")
    return rule


imports("ArgMax")(_arg_rule("argmax"))
imports("ArgMin")(_arg_rule("argmin"))


@imports("OneHot")
def one_hot(ctx, node, attrs):
    depth = int(np.ravel(ctx.constant(node, 1, "depth"))[0])
    values = ctx.constant(node, 2, "values")
    off, on = (float(v) for v in values)
    index = ctx.tensor(node.input[0])
    # ONNX counts negative indices from the end; MXNet's one_hot does not.
    index = ctx.sym.where(index < 0, index + depth, index)
    out = ctx.sym.one_hot(index, depth=depth, on_value=on, off_value=off,
                          dtype=values.dtype.name)
    axis = attrs.get("axis", -1)
    rank = ctx.rank(node.input[0], node) + 1
    axis %= rank
    if axis == rank - 1:
        return out
    # MXNet appends the one-hot axis; move it to `axis`.
    perm = list(range(axis)) + [rank - 1] + list(range(axis, rank - 1))
    return ctx.sym.transpose(out, axes=tuple(perm))


@imports("GatherND")
def gather_nd(ctx, node, attrs):
    if attrs.get("batch_dims", 0):
        raise _unsupported(node, "batch_dims > 0")
    rank = ctx.rank(node.input[1], node)
    index = ctx.tensor(node.input[1])
    if rank > 1:  # ONNX's coordinates are the last axis, MXNet's the first
        index = ctx.sym.transpose(index, axes=(rank - 1,) + tuple(range(rank - 1)))
    return ctx.sym.gather_nd(ctx.tensor(node.input[0]), index)


@imports("DepthToSpace")
def depth_to_space(ctx, node, attrs):
    if attrs.get("mode", "DCR") != "DCR":
        raise _unsupported(node, f"mode '{attrs['mode']}' (only DCR)")
    return ctx.sym.depth_to_space(ctx.tensor(node.input[0]), block_size=attrs["blocksize"])


@imports("SpaceToDepth")
def space_to_depth(ctx, node, attrs):
    return ctx.sym.space_to_depth(ctx.tensor(node.input[0]), block_size=attrs["blocksize"])


@imports("ReverseSequence")
def reverse_sequence(ctx, node, attrs):
    data, lengths = ctx.inputs(node)
    if (attrs.get("batch_axis", 1), attrs.get("time_axis", 0)) != (1, 0):
        raise _unsupported(node, "batch_axis/time_axis other than 1/0")
    return ctx.sym.SequenceReverse(data, ctx.sym.cast(lengths, dtype="float32"),
                                   use_sequence_length=True)


@imports("Size")
def size(ctx, node, attrs):
    ctx.consts[node.output[0]] = np.array(int(np.prod(ctx.shape(node.input[0], node))),
                                          dtype=np.int64)


def _norm_rule(order):
    def rule(ctx, node, attrs):
        axes = attrs.get("axes") if ctx.opset < 18 else None
        if ctx.opset >= 18:
            value = ctx.constant(node, 1, "axes")
            axes = None if value is None else [int(a) for a in np.ravel(value)]
        x = ctx.tensor(node.input[0])
        keep = bool(attrs.get("keepdims", 1))
        if not axes:
            if attrs.get("noop_with_empty_axes", 0):
                return ctx.sym.identity(x)
            axes = list(range(len(ctx.shape(node.input[0], node))))
        return ctx.sym.norm(x, ord=order, axis=tuple(axes), keepdims=keep)
    return rule


imports("ReduceL1")(_norm_rule(1))
imports("ReduceL2")(_norm_rule(2))
