"""ONNX export rules of the shape and layout ops: tile, repeat, reverse,
SwapAxis, shape_array, size_array, reshape_like, broadcast_axis, slice_like,
Crop, split_v2, depth_to_space/space_to_depth, norm and the generators
(zeros, ones, arange, arange_like).

Every shape is known at export (``node.out_shapes``), so targets, sizes and
offsets are written as constants.
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
        x = ctx.emit("Reshape", [x, ctx.ints(f"{node.name}_shape",
                                             [1] * (len(reps) - ndim) + list(node.in_shapes[0]))])
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
    ctx.emit("Reshape", [tiled, ctx.ints(f"{node.name}_shape", node.out_shapes[0])],
             node.output)


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


@exports("broadcast_axis")
def broadcast_axis(ctx, node):
    shape = ctx.ints(f"{node.name}_shape", node.out_shapes[0])
    ctx.emit("Expand", [node.inputs[0], shape], node.output)


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


def _range(ctx, node, start, step, repeat):
    """``start + (i // repeat) * step`` for every element of the output, in its shape.

    ONNX Range counts ``ceil((limit - start) / delta)`` values; a limit half a
    step short of the last wanted value keeps float rounding from adding one.
    """
    shape = node.out_shapes[0]
    count = int(np.prod(shape)) // repeat
    dtype = node.out_dtypes[0]
    work = np.float64 if dtype == np.float64 else np.float32
    bounds = [ctx.const(f"{node.name}_{what}", np.array(v, work)) for what, v in
              (("start", start), ("limit", start + (count - 0.5) * step), ("delta", step))]
    values = ctx.emit("Range", bounds)
    if repeat > 1:
        values = ctx.emit("Unsqueeze", [values, ctx.ints(f"{node.name}_axes", [1])])
        values = ctx.emit("Tile", [values, ctx.ints(f"{node.name}_reps", [1, repeat])])
    if np.dtype(work) != dtype:
        values = ctx.emit("Cast", [values], to=onnx_type(ctx, dtype))
    ctx.emit("Reshape", [values, ctx.ints(f"{node.name}_shape", shape)], node.output)


@exports("_arange", "_contrib_arange_like")
def arange(ctx, node):
    a = node.attrs
    _range(ctx, node, a.start, a.step, a.repeat)
