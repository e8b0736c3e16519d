"""ONNX import rules of the tensor ops: arithmetic, unary math, shapes,
slicing, joining, reductions, constants and casts."""
import numpy as np

from ...base import MXNetError
from .import_rules import imports
from .import_shapes import reshape_codes

_FLOAT32_MAX = float(np.finfo(np.float32).max)

_BINARY = {"Add": "broadcast_add", "Sub": "broadcast_sub", "Mul": "broadcast_mul",
           "Div": "broadcast_div", "Pow": "broadcast_power"}

_UNARY = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Log": "log",
          "Sqrt": "sqrt", "Abs": "abs", "Neg": "negative", "Reciprocal": "reciprocal",
          "Floor": "floor", "Ceil": "ceil", "Erf": "erf", "Sin": "sin", "Cos": "cos",
          "Softsign": "softsign", "Identity": "identity"}

# Variadic ONNX ops folded pairwise with a broadcasting MXNet op.
_VARIADIC = {"Sum": "broadcast_add", "Max": "broadcast_maximum", "Min": "broadcast_minimum"}


def _named_op(mx_name):
    def rule(ctx, node, attrs):
        return getattr(ctx.sym, mx_name)(*ctx.inputs(node))
    return rule


def _folded(mx_name):
    def rule(ctx, node, attrs):
        args = ctx.inputs(node)
        out = args[0]
        for arg in args[1:]:
            out = getattr(ctx.sym, mx_name)(out, arg)
        return out if len(args) > 1 else ctx.sym.identity(out)
    return rule


for _op, _name in list(_BINARY.items()) + list(_UNARY.items()):
    imports(_op)(_named_op(_name))
for _op, _name in _VARIADIC.items():
    imports(_op)(_folded(_name))


@imports("Softplus")
def softplus(ctx, node, attrs):
    return ctx.sym.Activation(ctx.tensor(node.input[0]), act_type="softrelu")


@imports("Mean")
def mean(ctx, node, attrs):
    return _folded("broadcast_add")(ctx, node, attrs) / float(len(node.input))


@imports("Clip")
def clip(ctx, node, attrs):
    if ctx.opset < 11:
        low, high = attrs.get("min", -_FLOAT32_MAX), attrs.get("max", _FLOAT32_MAX)
    else:
        low, high = ctx.constant(node, 1, "min"), ctx.constant(node, 2, "max")
        low = -_FLOAT32_MAX if low is None else float(low)
        high = _FLOAT32_MAX if high is None else float(high)
    return ctx.sym.clip(ctx.tensor(node.input[0]), a_min=low, a_max=high)


@imports("Flatten")
def flatten(ctx, node, attrs):
    axis = attrs.get("axis", 1)
    x = ctx.tensor(node.input[0])
    if axis == 1:
        return ctx.sym.flatten(x)
    shape = ctx.shape(node.input[0], node)
    rows = int(np.prod(shape[:axis % len(shape) if axis else 0]))
    return ctx.sym.reshape(x, shape=(rows, -1))


@imports("Reshape")
def reshape(ctx, node, attrs):
    if attrs.get("allowzero", 0):
        raise MXNetError(f"import_model: Reshape '{node.name}': allowzero=1 is not supported")
    if ctx.opset >= 5 and node.input[1] in ctx.dims:  # computed from symbolic dims
        return ctx.sym.reshape(ctx.tensor(node.input[0]),
                               shape=reshape_codes(ctx, node, ctx.dims[node.input[1]]))
    shape = attrs["shape"] if ctx.opset < 5 else ctx.constant(node, 1, "shape")
    # ONNX's 0 (copy) and -1 (infer) mean the same in MXNet's reshape.
    return ctx.sym.reshape(ctx.tensor(node.input[0]), shape=tuple(int(d) for d in shape))


@imports("Transpose")
def transpose(ctx, node, attrs):
    perm = attrs.get("perm")
    x = ctx.tensor(node.input[0])
    return ctx.sym.transpose(x, axes=tuple(perm)) if perm else ctx.sym.transpose(x)


@imports("Concat")
def concat(ctx, node, attrs):
    return ctx.sym.concat(*ctx.inputs(node), dim=attrs["axis"])


def _axes(ctx, node, attrs, input_from_opset):
    """The ``axes`` of a node: an attribute before ``input_from_opset``, then input 1."""
    if ctx.opset < input_from_opset:
        axes = attrs.get("axes")
    else:
        axes = ctx.constant(node, 1, "axes")
    return None if axes is None else [int(a) for a in np.ravel(axes)]


@imports("Squeeze")
def squeeze(ctx, node, attrs):
    axes = _axes(ctx, node, attrs, 13)
    x = ctx.tensor(node.input[0])
    return ctx.sym.squeeze(x, axis=tuple(axes)) if axes else ctx.sym.squeeze(x)


@imports("Unsqueeze")
def unsqueeze(ctx, node, attrs):
    axes = _axes(ctx, node, attrs, 13)
    rank = ctx.rank(node.input[0], node) + len(axes)
    out = ctx.tensor(node.input[0])
    # Axes name positions of the result: inserting in ascending order keeps them valid.
    for axis in sorted(a % rank for a in axes):
        out = ctx.sym.expand_dims(out, axis=axis)
    return out


def _reduce(mx_name, input_from_opset):
    def rule(ctx, node, attrs):
        axes = _axes(ctx, node, attrs, input_from_opset)
        x = ctx.tensor(node.input[0])
        if not axes and attrs.get("noop_with_empty_axes", 0):
            return ctx.sym.identity(x)
        keep = bool(attrs.get("keepdims", 1))
        fn = getattr(ctx.sym, mx_name)
        return fn(x, axis=tuple(axes), keepdims=keep) if axes else fn(x, keepdims=keep)
    return rule


imports("ReduceSum")(_reduce("sum", 13))
imports("ReduceMean")(_reduce("mean", 18))
imports("ReduceMax")(_reduce("max", 18))
imports("ReduceMin")(_reduce("min", 18))
imports("ReduceProd")(_reduce("prod", 18))


@imports("Gather")
def gather(ctx, node, attrs):
    axis = attrs.get("axis", 0)
    data = ctx.tensor(node.input[0])
    index = ctx.consts.get(node.input[1])
    if index is not None and np.ndim(index) == 0:
        # A scalar index drops the axis; MXNet's take wants an index array.
        k = int(index)
        axis %= ctx.rank(node.input[0], node)
        picked = ctx.sym.slice_axis(data, axis=axis, begin=k, end=(k + 1) or None)
        return ctx.sym.squeeze(picked, axis=axis)
    # mode 'wrap' reads negative indices from the end, as ONNX does.
    return ctx.sym.take(data, ctx.tensor(node.input[1]), axis=axis, mode="wrap")


@imports("Constant")
def constant(ctx, node, attrs):
    if "value" in attrs:
        value = ctx.onnx.numpy_helper.to_array(attrs["value"])
    elif "value_float" in attrs or "value_int" in attrs:
        value = np.asarray(attrs.get("value_float", attrs.get("value_int")))
    elif "value_floats" in attrs or "value_ints" in attrs:
        value = np.asarray(attrs.get("value_floats", attrs.get("value_ints")))
    else:
        raise MXNetError(f"import_model: Constant '{node.name}': only value, value_float(s) "
                         f"and value_int(s) are supported, given {sorted(attrs)}")
    ctx.consts[node.output[0]] = value


@imports("Shape")
def shape(ctx, node, attrs):
    dims = ctx.shape(node.input[0], node)
    start, end = attrs.get("start", 0), attrs.get("end", len(dims))
    ctx.consts[node.output[0]] = np.asarray(dims[start:end], dtype=np.int64)


@imports("Cast")
def cast(ctx, node, attrs):
    dtype = ctx.onnx.helper.tensor_dtype_to_np_dtype(attrs["to"])
    name = node.input[0]
    if name in ctx.consts and name not in ctx.tensors:
        # Casting a constant (often a shape) keeps it a constant.
        ctx.consts[node.output[0]] = np.asarray(ctx.consts[name]).astype(dtype)
        return None
    return ctx.sym.cast(ctx.tensor(name), dtype=np.dtype(dtype).name)


@imports("Pad")
def pad(ctx, node, attrs):
    if ctx.opset < 11:
        pads, value = attrs["pads"], attrs.get("value", 0.0)
    else:
        pads = ctx.constant(node, 1, "pads")
        value = ctx.constant(node, 2, "constant_value")
        value = 0.0 if value is None else float(value)
    pads = [int(p) for p in pads]
    half = len(pads) // 2
    # ONNX lists all the befores then all the afters; MXNet pairs them per axis.
    widths = tuple(w for pair in zip(pads[:half], pads[half:]) for w in pair)
    mode = attrs.get("mode", "constant")
    return ctx.sym.pad(ctx.tensor(node.input[0]), mode=mode, pad_width=widths,
                       constant_value=value)


@imports("Slice")
def slice_op(ctx, node, attrs):
    if ctx.opset < 10:
        starts, ends = attrs["starts"], attrs["ends"]
        axes, steps = attrs.get("axes"), None
    else:
        starts, ends = ctx.constant(node, 1, "starts"), ctx.constant(node, 2, "ends")
        axes, steps = ctx.constant(node, 3, "axes"), ctx.constant(node, 4, "steps")
    shape = ctx.symbolic_shape(node.input[0])
    if shape is None:
        shape = ctx.shape(node.input[0], node)  # raises, naming the tensor
    axes = list(range(len(starts))) if axes is None else [int(a) % len(shape) for a in axes]
    steps = [1] * len(starts) if steps is None else [int(s) for s in steps]
    begin, end, step = [None] * len(shape), [None] * len(shape), [1] * len(shape)
    for axis, b, e, s in zip(axes, starts, ends, steps):
        if not isinstance(shape[axis], int):
            begin[axis], end[axis], step[axis] = _symbolic_bounds(node, int(b), int(e), s)
            continue
        # Python's slice clamps out-of-range bounds exactly as ONNX does.
        b, e, s = slice(int(b), int(e), s).indices(shape[axis])
        begin[axis], step[axis] = b, s
        end[axis] = None if e < 0 else e
    return ctx.sym.slice(ctx.tensor(node.input[0]), begin=tuple(begin), end=tuple(end),
                         step=tuple(step))


def _symbolic_bounds(node, begin, end, step):
    """Slice bounds on an axis of unknown size: forward slices from the front."""
    if step != 1 or begin < 0 or end < 0:
        raise MXNetError(f"import_model: Slice '{node.name}': only forward slices from the "
                         f"front (step 1, non-negative bounds) of an axis of symbolic size")
    return begin, (None if end >= 2 ** 31 else end), 1


@imports("Split")
def split(ctx, node, attrs):
    axis = attrs.get("axis", 0)
    x = ctx.tensor(node.input[0])
    sizes = attrs.get("split") if ctx.opset < 13 else ctx.constant(node, 1, "split")
    n = len(node.output)
    if sizes is None or len(set(int(s) for s in sizes)) == 1:
        parts = ctx.sym.split(x, num_outputs=n, axis=axis)
        return [parts[i] for i in range(n)] if n > 1 else [parts]
    bounds = np.cumsum([0] + [int(s) for s in sizes])
    return [ctx.sym.slice_axis(x, axis=axis, begin=int(b), end=int(e))
            for b, e in zip(bounds[:-1], bounds[1:])]
