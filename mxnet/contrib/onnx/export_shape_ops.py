"""ONNX export rules of the shape and layout ops: tile, repeat, reverse,
SwapAxis, shape_array, size_array, reshape_like, slice_like, Crop, split_v2,
depth_to_space/space_to_depth, norm and the generators (zeros, ones, arange,
arange_like).

Shapes are known at export (``node.out_shapes``), so most targets, sizes and
offsets are constants; where a size follows an input that may be left
symbolic (the batch, a sequence length), the rule reads it at run time
(Reshape's 0/-1 codes, Shape).
"""
import numpy as np

from .export_index_ops import reverse_axes
from .export_logic_ops import onnx_type
from .export_rules import exports


@exports("tile")
def tile(ctx, node):
    reps = list(node.attrs.reps)
    x = node.inputs[0]
    ndim = len(node.in_shapes[0])
    if len(reps) > ndim:  # the input gains leading unit axes first
        x = ctx.emit("Unsqueeze", [x, ctx.ints(f"{node.name}_axes", range(len(reps) - ndim))])
    reps = [1] * (ndim - len(reps)) + reps
    ctx.emit("Tile", [x, ctx.ints(f"{node.name}_reps", reps)], node.output)


@exports("repeat")
def repeat(ctx, node):
    # Each element repeats in place: a new unit axis after `axis` is tiled
    # `repeats` times, then merged into `axis`.
    a = node.attrs
    x = node.inputs[0]
    shape = list(node.in_shapes[0])
    if a.axis is None:
        x = ctx.emit("Reshape", [x, ctx.ints(f"{node.name}_flat", [-1])])
        shape, axis = [int(np.prod(shape))], 0
    else:
        axis = a.axis % len(shape)
    x = ctx.emit("Unsqueeze", [x, ctx.ints(f"{node.name}_axes", [axis + 1])])
    reps = [1] * (len(shape) + 1)
    reps[axis + 1] = a.repeats
    tiled = ctx.emit("Tile", [x, ctx.ints(f"{node.name}_reps", reps)])
    # Axes before `axis` keep their run-time size (0), `axis` absorbs the copies.
    target = [0] * axis + [-1] + shape[axis + 1:]
    ctx.emit("Reshape", [tiled, ctx.ints(f"{node.name}_shape", target)], node.output)


@exports("reverse")
def reverse(ctx, node):
    ndim = len(node.in_shapes[0])
    axes = sorted({a % ndim for a in node.attrs.axis})
    reverse_axes(ctx, node, node.inputs[0], axes, node.output)


@exports("SwapAxis")
def swap_axis(ctx, node):
    ndim = len(node.in_shapes[0])
    perm = list(range(ndim))
    i, j = node.attrs.dim1 % ndim, node.attrs.dim2 % ndim
    perm[i], perm[j] = perm[j], perm[i]
    ctx.emit("Transpose", node.inputs, node.output, perm=perm)


@exports("shape_array")
def shape_array(ctx, node):
    ctx.emit("Shape", node.inputs, node.output)


@exports("size_array")
def size_array(ctx, node):
    size = ctx.emit("Size", node.inputs)  # a 0-d count; MXNet's has shape (1,)
    ctx.emit("Reshape", [size, ctx.ints(f"{node.name}_shape", [1])], node.output)


@exports("reshape_like")
def reshape_like(ctx, node):
    shape = ctx.ints(f"{node.name}_shape", node.out_shapes[0])
    ctx.emit("Reshape", [node.inputs[0], shape], node.output)


def _crop(ctx, node, starts):
    """The output-shaped window of input 0 that begins at ``starts``."""
    ends = [s + n for s, n in zip(starts, node.out_shapes[0])]
    axes = list(range(len(starts)))
    ctx.emit("Slice", [node.inputs[0], ctx.ints(f"{node.name}_starts", starts),
                       ctx.ints(f"{node.name}_ends", ends), ctx.ints(f"{node.name}_axes", axes)],
             node.output)


@exports("slice_like")
def slice_like(ctx, node):
    _crop(ctx, node, [0] * len(node.in_shapes[0]))


@exports("Crop")
def crop(ctx, node):
    a = node.attrs
    in_shape, out_shape = node.in_shapes[0], node.out_shapes[0]
    if a.center_crop:
        offset = [(n - o) // 2 for n, o in zip(in_shape[2:], out_shape[2:])]
    else:
        offset = list(a.offset)
    _crop(ctx, node, [0, 0] + offset)


@exports("_split_v2")
def split_v2(ctx, node):
    a = node.attrs
    axis = a.axis % len(node.in_shapes[0])
    if a.squeeze_axis:
        sizes = [1] * len(node.outputs)
    else:
        sizes = [shape[axis] for shape in node.out_shapes]
    split = ctx.ints(f"{node.name}_split", sizes)
    if not a.squeeze_axis:
        ctx.emit_multi("Split", [node.inputs[0], split], node.outputs, axis=axis)
        return
    parts = [ctx.reserve(f"{out}_unsqueezed") for out in node.outputs]
    ctx.emit_multi("Split", [node.inputs[0], split], parts, axis=axis)
    axes = ctx.ints(f"{node.name}_axes", [axis])
    for part, out in zip(parts, node.outputs):
        ctx.emit("Squeeze", [part, axes], out)


@exports("depth_to_space")
def depth_to_space(ctx, node):
    # MXNet splits the channels block-row first: ONNX's default DCR order.
    ctx.emit("DepthToSpace", node.inputs, node.output, blocksize=node.attrs.block_size)


@exports("space_to_depth")
def space_to_depth(ctx, node):
    ctx.emit("SpaceToDepth", node.inputs, node.output, blocksize=node.attrs.block_size)


@exports("norm")
def norm(ctx, node):
    a = node.attrs
    ndim = len(node.in_shapes[0])
    axes = list(range(ndim)) if a.axis is None else sorted(x % ndim for x in a.axis)
    keep = int(bool(a.keepdims))
    op = "ReduceL1" if a.ord == 1 else "ReduceL2"
    result = ctx.emit(op, node.inputs, axes=axes, keepdims=keep)
    if not keep and len(axes) == ndim:  # MXNet's legacy result has shape (1,)
        result = ctx.emit("Reshape", [result, ctx.ints(f"{node.name}_shape", [1])])
    if node.out_dtypes[0] != node.in_dtypes[0]:
        ctx.emit("Cast", [result], node.output, to=onnx_type(ctx, node.out_dtypes[0]))
    else:
        ctx.emit("Identity", [result], node.output)


def _filled(value):
    def rule(ctx, node):
        fill = ctx.onnx.numpy_helper.from_array(np.array([value], node.out_dtypes[0]))
        ctx.emit("ConstantOfShape", [ctx.ints(f"{node.name}_shape", node.out_shapes[0])],
                 node.output, value=fill)
    return rule


exports("_zeros")(_filled(0))
exports("_ones")(_filled(1))


def _range(ctx, node, count, start, step, repeat, shape):
    """``start + (i // repeat) * step`` for the ``count * repeat`` elements of
    the output, reshaped to ``shape``; ``count`` is a float scalar tensor.

    ONNX Range counts ``ceil((limit - start) / delta)`` values; a limit half a
    step short of the last wanted value keeps float rounding from adding one.
    """
    dtype = node.out_dtypes[0]
    work = _work_dtype(dtype)
    start_, step_, half = (ctx.const(f"{node.name}_{what}", np.array(v, work))
                           for what, v in (("start", start), ("step", step), ("half", 0.5)))
    limit = ctx.emit("Add", [start_, ctx.emit("Mul", [ctx.emit("Sub", [count, half]), step_])])
    values = ctx.emit("Range", [start_, limit, step_])
    if repeat > 1:
        values = ctx.emit("Unsqueeze", [values, ctx.ints(f"{node.name}_axes", [1])])
        values = ctx.emit("Tile", [values, ctx.ints(f"{node.name}_reps", [1, repeat])])
    if np.dtype(work) != dtype:
        values = ctx.emit("Cast", [values], to=onnx_type(ctx, dtype))
    ctx.emit("Reshape", [values, shape], node.output)


def _work_dtype(dtype):
    return np.float64 if dtype == np.float64 else np.float32


@exports("_arange")
def arange(ctx, node):
    a = node.attrs
    count = int(np.prod(node.out_shapes[0])) // a.repeat
    _range(ctx, node, ctx.const(f"{node.name}_count", np.array(count, _work_dtype(
        node.out_dtypes[0]))), a.start, a.step, a.repeat,
        ctx.ints(f"{node.name}_shape", node.out_shapes[0]))


def _positions(ctx, node, axis):
    """0, 1, ... along ``axis`` as Range(0, size, 1): the positions of a
    sequence, in the form importers read back."""
    size = ctx.emit("Gather", [ctx.emit("Shape", node.inputs),
                               ctx.const(f"{node.name}_axis", np.array(axis, np.int64))], axis=0)
    zero = ctx.const(f"{node.name}_zero", np.array(0, np.int64))
    one = ctx.const(f"{node.name}_one", np.array(1, np.int64))
    ctx.emit("Cast", [ctx.emit("Range", [zero, size, one])], node.output,
             to=onnx_type(ctx, node.out_dtypes[0]))


@exports("_contrib_arange_like")
def arange_like(ctx, node):
    # The count comes from the input's run-time shape, so a length left
    # symbolic at export still gets its own range.
    a = node.attrs
    if a.axis is not None and (a.start, a.step, a.repeat) == (0, 1, 1):
        _positions(ctx, node, a.axis % len(node.in_shapes[0]))
        return
    shape = ctx.emit("Shape", node.inputs)
    if a.axis is not None:
        axis = a.axis % len(node.in_shapes[0])
        shape = ctx.emit("Slice", [shape, ctx.ints(f"{node.name}_start", [axis]),
                                   ctx.ints(f"{node.name}_end", [axis + 1])])
    size = ctx.emit("ReduceProd", [shape], keepdims=0)
    count = ctx.emit("Cast", [size], to=onnx_type(ctx, _work_dtype(node.out_dtypes[0])))
    if a.repeat > 1:
        count = ctx.emit("Div", [count, ctx.const(f"{node.name}_repeat", np.array(
            a.repeat, _work_dtype(node.out_dtypes[0])))])
    _range(ctx, node, count, a.start, a.step, a.repeat, shape)
