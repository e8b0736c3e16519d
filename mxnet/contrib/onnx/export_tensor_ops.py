"""ONNX export rules of the tensor operators: arithmetic, unary math,
reshaping, slicing, joining, reductions, products and casts."""
import numpy as np

from .export_rules import exports

_INT64_MIN = np.iinfo(np.int64).min

_BINARY = {
    "Add": ("elemwise_add", "broadcast_add"),
    "Sub": ("elemwise_sub", "broadcast_sub"),
    "Mul": ("elemwise_mul", "broadcast_mul"),
    "Div": ("elemwise_div", "broadcast_div"),
    "Max": ("_maximum", "broadcast_maximum"),
    "Min": ("_minimum", "broadcast_minimum"),
    "Pow": ("_power", "broadcast_power"),
}

_UNARY = {
    "Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Log": "log",
    "Sqrt": "sqrt", "Abs": "abs", "Neg": "negative", "Reciprocal": "reciprocal",
    "Floor": "floor", "Ceil": "ceil", "Erf": "erf", "Sin": "sin", "Cos": "cos",
    "Softsign": "softsign", "Identity": ("_copy", "BlockGrad", "make_loss", "MakeLoss"),
}

# (ONNX op, whether the scalar is the left operand)
_SCALAR = {
    "_plus_scalar": ("Add", False), "_minus_scalar": ("Sub", False),
    "_rminus_scalar": ("Sub", True), "_mul_scalar": ("Mul", False),
    "_div_scalar": ("Div", False), "_rdiv_scalar": ("Div", True),
    "_power_scalar": ("Pow", False), "_rpower_scalar": ("Pow", True),
    "_maximum_scalar": ("Max", False), "_minimum_scalar": ("Min", False),
}


def _same_op(onnx_op):
    def rule(ctx, node):
        ctx.emit(onnx_op, node.inputs, node.output)
    return rule


def _register_tables():
    for onnx_op, names in _BINARY.items():
        exports(*names)(_same_op(onnx_op))
    for onnx_op, names in _UNARY.items():
        exports(*((names,) if isinstance(names, str) else names))(_same_op(onnx_op))
    for name, (onnx_op, scalar_first) in _SCALAR.items():
        exports(name)(_scalar_rule(onnx_op, scalar_first))


def _scalar_rule(onnx_op, scalar_first):
    def rule(ctx, node):
        scalar = ctx.const(f"{node.name}_scalar", np.array(node.attrs.scalar, node.in_dtypes[0]))
        x = node.inputs[0]
        ctx.emit(onnx_op, [scalar, x] if scalar_first else [x, scalar], node.output)
    return rule


_register_tables()


@exports("add_n")
def add_n(ctx, node):
    ctx.emit("Sum", node.inputs, node.output)


@exports("square")
def square(ctx, node):
    x = node.inputs[0]
    ctx.emit("Mul", [x, x], node.output)


@exports("clip")
def clip(ctx, node):
    dtype = node.in_dtypes[0]
    low = ctx.const(f"{node.name}_min", np.array(node.attrs.a_min, dtype))
    high = ctx.const(f"{node.name}_max", np.array(node.attrs.a_max, dtype))
    ctx.emit("Clip", [node.inputs[0], low, high], node.output)


@exports("Flatten")
def flatten(ctx, node):
    ctx.emit("Flatten", node.inputs, node.output, axis=1)


@exports("Reshape")
def reshape(ctx, node):
    # The result shape is known; the dims before any of MXNet's multi-dim
    # codes keep ONNX's 0 (copy) and -1 (infer), so a batch dimension left
    # symbolic at export still reshapes correctly.
    target = list(node.out_shapes[0])
    codes = list(node.attrs.shape)
    if not node.attrs.reverse:
        for i, code in enumerate(codes):
            if code < -1 or i >= len(target):
                break
            if code in (0, -1):
                target[i] = code
    ctx.emit("Reshape", [node.inputs[0], ctx.ints(f"{node.name}_shape", target)], node.output)


@exports("transpose")
def transpose(ctx, node):
    axes = list(node.attrs.axes) or list(reversed(range(len(node.in_shapes[0]))))
    ctx.emit("Transpose", node.inputs, node.output, perm=axes)


@exports("expand_dims")
def expand_dims(ctx, node):
    axis = node.attrs.axis % len(node.out_shapes[0])
    ctx.emit("Unsqueeze", [node.inputs[0], ctx.ints(f"{node.name}_axes", [axis])], node.output)


@exports("squeeze")
def squeeze(ctx, node):
    shape = node.in_shapes[0]
    axis = node.attrs.axis
    if axis is None:
        axes = [i for i, d in enumerate(shape) if d == 1]
    else:
        axes = [a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,))]
    ctx.emit("Squeeze", [node.inputs[0], ctx.ints(f"{node.name}_axes", axes)], node.output)


@exports("Concat", "_rnn_param_concat")
def concat(ctx, node):
    ctx.emit("Concat", node.inputs, node.output, axis=node.attrs.dim)


@exports("stack")
def stack(ctx, node):
    axis = node.attrs.axis % len(node.out_shapes[0])
    axes = ctx.ints(f"{node.name}_axes", [axis])
    parts = [ctx.emit("Unsqueeze", [x, axes]) for x in node.inputs]
    ctx.emit("Concat", parts, node.output, axis=axis)


@exports("SliceChannel")
def slice_channel(ctx, node):
    a = node.attrs
    if not a.squeeze_axis:
        ctx.emit_multi("Split", node.inputs, node.outputs, axis=a.axis)
        return
    parts = [ctx.reserve(f"{out}_unsqueezed") for out in node.outputs]
    ctx.emit_multi("Split", node.inputs, parts, axis=a.axis)
    axes = ctx.ints(f"{node.name}_axes", [a.axis % len(node.in_shapes[0])])
    for part, out in zip(parts, node.outputs):
        ctx.emit("Squeeze", [part, axes], out)


def _bounds(begin, end, step, size):
    """ONNX Slice start/end of MXNet's (possibly None) begin/end on ``size``."""
    start, stop, step = slice(begin, end, step).indices(size)
    if step < 0 and stop < 0:
        stop = _INT64_MIN  # "before index 0": ONNX would read -1 as the last element
    return start, stop


def _emit_slice(ctx, node, axes, begins, ends, steps):
    shape = node.in_shapes[0]
    starts, stops = zip(*[_bounds(b, e, s, shape[ax])
                          for ax, b, e, s in zip(axes, begins, ends, steps)])
    inputs = [node.inputs[0], ctx.ints(f"{node.name}_starts", starts),
              ctx.ints(f"{node.name}_ends", stops), ctx.ints(f"{node.name}_axes", axes),
              ctx.ints(f"{node.name}_steps", steps)]
    ctx.emit("Slice", inputs, node.output)


@exports("slice")
def slice_op(ctx, node):
    a = node.attrs
    n = len(a.begin)
    steps = [(s if s is not None else 1) for s in (a.step or (None,) * n)]
    _emit_slice(ctx, node, list(range(n)), list(a.begin), list(a.end), steps)


@exports("slice_axis")
def slice_axis(ctx, node):
    a = node.attrs
    axis = a.axis % len(node.in_shapes[0])
    _emit_slice(ctx, node, [axis], [a.begin], [a.end], [1])


def _reduce_axes(node):
    ndim = len(node.in_shapes[0])
    axis = node.attrs.axis
    if axis is None or axis == ():
        axes = list(range(ndim))
        return [] if node.attrs.exclude else axes
    axes = sorted(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    if node.attrs.exclude:
        axes = [i for i in range(ndim) if i not in axes]
    return axes


def _reduce_rule(onnx_op, axes_as_input):
    def rule(ctx, node):
        axes = _reduce_axes(node)
        keep = int(node.attrs.keepdims)
        if not axes:
            ctx.emit("Identity", node.inputs, node.output)
            return
        # Reducing every axis gives MXNet's legacy shape (1,), not a 0-d tensor.
        to_scalar = not keep and len(axes) == len(node.in_shapes[0])
        out = ctx.reserve(f"{node.name}_all") if to_scalar else node.output
        if axes_as_input:
            ctx.emit(onnx_op, [node.inputs[0], ctx.ints(f"{node.name}_axes", axes)], out,
                     keepdims=keep)
        else:
            ctx.emit(onnx_op, node.inputs, out, axes=axes, keepdims=keep)
        if to_scalar:
            ctx.emit("Reshape", [out, ctx.ints(f"{node.name}_shape", [1])], node.output)
    return rule


# In opset 13 only ReduceSum takes its axes as an input.
exports("sum")(_reduce_rule("ReduceSum", True))
exports("mean")(_reduce_rule("ReduceMean", False))
exports("max")(_reduce_rule("ReduceMax", False))
exports("min")(_reduce_rule("ReduceMin", False))
exports("prod")(_reduce_rule("ReduceProd", False))


@exports("dot")
def dot(ctx, node):
    a = node.attrs
    lhs, rhs = node.inputs
    lshape, rshape = node.in_shapes
    if (a.transpose_a and len(lshape) != 2) or (a.transpose_b and len(rshape) != 2):
        raise node.unsupported("transpose_a/transpose_b of a non-2-D operand")
    if a.transpose_a:
        lhs = ctx.emit("Transpose", [lhs], perm=[1, 0])
    if a.transpose_b:
        rhs = ctx.emit("Transpose", [rhs], perm=[1, 0])
    if len(rshape) <= 2:
        ctx.emit("MatMul", [lhs, rhs], node.output)
        return
    # MXNet contracts lhs's last axis with rhs's first: fold rhs's other axes.
    folded = ctx.emit("Reshape", [rhs, ctx.ints(f"{node.name}_rhs2d", [rshape[0], -1])])
    product = ctx.emit("MatMul", [lhs, folded])
    ctx.emit("Reshape", [product, ctx.ints(f"{node.name}_shape", node.out_shapes[0])],
             node.output)


@exports("batch_dot")
def batch_dot(ctx, node):
    a = node.attrs
    lhs, rhs = node.inputs
    if a.transpose_a:
        lhs = ctx.emit("Transpose", [lhs], perm=swap_last(len(node.in_shapes[0])))
    if a.transpose_b:
        rhs = ctx.emit("Transpose", [rhs], perm=swap_last(len(node.in_shapes[1])))
    ctx.emit("MatMul", [lhs, rhs], node.output)


def swap_last(ndim):
    """The permutation that swaps the last two of ``ndim`` axes."""
    return list(range(ndim - 2)) + [ndim - 1, ndim - 2]


@exports("Cast")
def cast(ctx, node):
    to = ctx.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(node.attrs.dtype))
    ctx.emit("Cast", node.inputs, node.output, to=to)


def _filled_like(value):
    def rule(ctx, node):
        fill = ctx.onnx.numpy_helper.from_array(np.array([value], node.out_dtypes[0]))
        shape = ctx.emit("Shape", node.inputs)
        ctx.emit("ConstantOfShape", [shape], node.output, value=fill)
    return rule


exports("zeros_like")(_filled_like(0))
exports("ones_like")(_filled_like(1))


@exports("broadcast_to", "broadcast_axis")
def broadcast_to(ctx, node):
    # Expand keeps a dim given as 1, so dims that do not grow stay whatever
    # size they have at run time (a batch left symbolic, say).
    grown = [o if o != i else 1 for i, o in zip(node.in_shapes[0], node.out_shapes[0])]
    ctx.emit("Expand", [node.inputs[0], ctx.ints(f"{node.name}_shape", grown)], node.output)


@exports("broadcast_like")
def broadcast_like(ctx, node):
    a = node.attrs
    if a.lhs_axes is not None or a.rhs_axes is not None:
        broadcast_to(ctx, node)
        return
    # The target is the other input's run-time shape.
    ctx.emit("Expand", [node.inputs[0], ctx.emit("Shape", [node.inputs[1]])], node.output)


@exports("Pad")
def pad(ctx, node):
    a = node.attrs
    widths = list(a.pad_width)
    pads = widths[0::2] + widths[1::2]  # MXNet pairs (before, after); ONNX all befores first
    inputs = [node.inputs[0], ctx.ints(f"{node.name}_pads", pads)]
    if a.mode == "constant":
        inputs.append(ctx.const(f"{node.name}_value",
                                np.array(a.constant_value, node.in_dtypes[0])))
    ctx.emit("Pad", inputs, node.output, mode=a.mode)
