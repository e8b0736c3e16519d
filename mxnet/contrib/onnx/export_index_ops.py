"""ONNX export rules of indexing, sorting and sequence ops: take, one_hot,
gather_nd, argmax/argmin, topk, argsort, SequenceMask, SequenceReverse.

MXNet passes indices as floats and returns them as floats (``dtype``);
ONNX wants and gives int64, so indices are cast on the way in and out.
"""
import numpy as np

from .export_logic_ops import onnx_type
from .export_rules import exports


def _int64(ctx, name):
    # Casting a float index to int64 truncates toward zero, as MXNet does.
    return ctx.emit("Cast", [name], to=onnx_type(ctx, np.int64))


def _cast_out(ctx, node, name, out, dtype):
    """``name`` cast to ``dtype`` as the node output ``out``."""
    ctx.emit("Cast", [name], out, to=onnx_type(ctx, dtype))


@exports("take")
def take(ctx, node):
    a = node.attrs
    data, index = node.inputs
    axis = a.axis % len(node.in_shapes[0])
    size = node.in_shapes[0][axis]
    index = _int64(ctx, index)
    if a.mode == "clip":
        low = ctx.const(f"{node.name}_low", np.array(0, np.int64))
        high = ctx.const(f"{node.name}_high", np.array(size - 1, np.int64))
        index = ctx.emit("Clip", [index, low, high])
    elif a.mode == "wrap":
        # int64 Mod takes the divisor's sign, so -1 wraps to size - 1.
        index = ctx.emit("Mod", [index, ctx.const(f"{node.name}_size",
                                                  np.array(size, np.int64))])
    ctx.emit("Gather", [data, index], node.output, axis=axis)


@exports("one_hot")
def one_hot(ctx, node):
    a = node.attrs
    index = _int64(ctx, node.inputs[0])
    # ONNX counts a negative index from the end; MXNet gives an all-off row,
    # as ONNX does for an index of `depth`.
    depth = ctx.const(f"{node.name}_depth", np.array(a.depth, np.int64))
    zero = ctx.const(f"{node.name}_zero", np.array(0, np.int64))
    index = ctx.emit("Where", [ctx.emit("Less", [index, zero]), depth, index])
    # onnxruntime has OneHot kernels for float32 and int64 values only.
    dtype = node.out_dtypes[0]
    work = np.int64 if np.issubdtype(dtype, np.integer) else np.float32
    values = ctx.const(f"{node.name}_values", np.array([a.off_value, a.on_value], work))
    if np.dtype(work) == dtype:
        ctx.emit("OneHot", [index, depth, values], node.output, axis=-1)
    else:
        _cast_out(ctx, node, ctx.emit("OneHot", [index, depth, values], axis=-1), node.output,
                  dtype)


@exports("gather_nd")
def gather_nd(ctx, node):
    # MXNet's indices lead with the coordinate axis, ONNX's end with it.
    ndim = len(node.in_shapes[1])
    index = _int64(ctx, node.inputs[1])
    if ndim > 1:
        index = ctx.emit("Transpose", [index], perm=list(range(1, ndim)) + [0])
    ctx.emit("GatherND", [node.inputs[0], index], node.output)


def _arg_rule(onnx_op):
    def rule(ctx, node):
        a = node.attrs
        x = node.inputs[0]
        keep = int(bool(a.keepdims))
        if a.axis is None:  # over the flattened input
            x = ctx.emit("Reshape", [x, ctx.ints(f"{node.name}_flat", [-1])])
            axis = 0
        else:
            axis = a.axis % len(node.in_shapes[0])
        picked = ctx.emit(onnx_op, [x], axis=axis, keepdims=keep)
        if a.axis is None and not keep:
            picked = ctx.emit("Reshape", [picked, ctx.ints(f"{node.name}_shape",
                                                           node.out_shapes[0])])
        _cast_out(ctx, node, picked, node.output, node.out_dtypes[0])
    return rule


exports("argmax")(_arg_rule("ArgMax"))
exports("argmin")(_arg_rule("ArgMin"))


def _top(ctx, node, k, axis, largest):
    """(values, int64 indices) of ONNX TopK along ``axis``."""
    values = ctx.reserve(f"{node.name}_values")
    indices = ctx.reserve(f"{node.name}_indices")
    ctx.emit_multi("TopK", [node.inputs[0], ctx.ints(f"{node.name}_k", [k])],
                   [values, indices], axis=axis, largest=int(largest), sorted=1)
    return values, indices


@exports("topk")
def topk(ctx, node):
    a = node.attrs
    shape = node.in_shapes[0]
    if a.axis is None or a.ret_typ == "mask":
        raise node.unsupported(f"axis={a.axis} with ret_typ '{a.ret_typ}' (an axis and "
                               f"value/indices/both)")
    axis = a.axis % len(shape)
    k = a.k if 0 < a.k <= shape[axis] else shape[axis]
    values, indices = _top(ctx, node, k, axis, not a.is_ascend)
    if a.ret_typ == "value":
        ctx.emit("Identity", [values], node.output)
    elif a.ret_typ == "indices":
        _cast_out(ctx, node, indices, node.output, a.dtype)
    else:
        ctx.emit("Identity", [values], node.outputs[0])
        _cast_out(ctx, node, indices, node.outputs[1], a.dtype)


@exports("argsort")
def argsort(ctx, node):
    a = node.attrs
    shape = node.in_shapes[0]
    if a.axis is None:
        raise node.unsupported("axis=None")
    axis = a.axis % len(shape)
    _, indices = _top(ctx, node, shape[axis], axis, not a.is_ascend)
    _cast_out(ctx, node, indices, node.output, a.dtype)


@exports("SequenceMask")
def sequence_mask(ctx, node):
    a = node.attrs
    if not a.use_sequence_length:
        ctx.emit("Identity", node.inputs[:1], node.output)
        return
    data, lengths = node.inputs
    shape = node.in_shapes[0]
    time_axis = a.axis % len(shape)
    steps = shape[time_axis]
    # mask[t, b] = t < length[b], laid out on (time, batch) in the data's order.
    grid, len_grid = ((steps, 1), (1, -1)) if time_axis == 0 else ((1, steps), (-1, 1))
    times = ctx.const(f"{node.name}_steps",
                      np.arange(steps, dtype=node.in_dtypes[1]).reshape(grid))
    lengths = ctx.emit("Reshape", [lengths, ctx.ints(f"{node.name}_len_shape", len_grid)])
    mask = ctx.emit("Less", [times, lengths])
    mask = ctx.emit("Reshape", [mask, ctx.ints(f"{node.name}_mask_shape",
                                               [0, 0] + [1] * (len(shape) - 2))])
    fill = ctx.const(f"{node.name}_value", np.array(a.value, node.in_dtypes[0]))
    ctx.emit("Where", [mask, data, fill], node.output)


@exports("SequenceReverse")
def sequence_reverse(ctx, node):
    a = node.attrs
    if a.axis != 0:
        raise node.unsupported(f"axis={a.axis} (only 0)")
    data = node.inputs[0]
    if not a.use_sequence_length:
        reverse_axes(ctx, node, data, [0], node.output)
        return
    lengths = _int64(ctx, node.inputs[1])
    ctx.emit("ReverseSequence", [data, lengths], node.output, batch_axis=1, time_axis=0)


def reverse_axes(ctx, node, data, axes, out):
    """``data`` reversed along ``axes``: a Slice stepping back from the end."""
    n = len(axes)
    starts = ctx.ints(f"{node.name}_starts", [-1] * n)
    ends = ctx.ints(f"{node.name}_ends", [np.iinfo(np.int64).min] * n)
    ctx.emit("Slice", [data, starts, ends, ctx.ints(f"{node.name}_axes", axes),
                       ctx.ints(f"{node.name}_steps", [-1] * n)], out)
