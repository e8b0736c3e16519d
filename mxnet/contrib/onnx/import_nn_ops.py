"""ONNX import rules of the neural-network ops: convolution, Gemm/MatMul,
normalisation, activations, pooling, softmax, resizing."""
import numpy as np

from ...base import MXNetError
from .import_rules import imports


def _unsupported(node, what):
    return MXNetError(f"import_model: {node.op_type} '{node.name}': {what} is not supported")


def _window(ctx, node, attrs, kernel):
    """``(stride, dilate, pad)`` of a conv/pool node with explicit symmetric pads."""
    k = len(kernel)
    strides = tuple(attrs.get("strides", [1] * k))
    dilations = tuple(attrs.get("dilations", [1] * k))
    auto_pad = attrs.get("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        sizes = ctx.shape(node.input[0], node)[2:]
        total = [max((-(-n // s) - 1) * s + (kk - 1) * d + 1 - n, 0)
                 for n, s, d, kk in zip(sizes, strides, dilations, kernel)]
        small = [t // 2 for t in total]
        big = [t - t // 2 for t in total]
        pads = small + big if auto_pad == "SAME_UPPER" else big + small
    elif auto_pad == "VALID":
        pads = [0] * (2 * k)
    else:
        pads = list(attrs.get("pads", [0] * (2 * k)))
    if pads[:k] != pads[k:]:
        raise _unsupported(node, f"asymmetric padding {pads}")
    return strides, dilations, tuple(pads[:k])


def _weight_shape(ctx, node):
    return ctx.shape(node.input[1], node)


@imports("Conv")
def conv(ctx, node, attrs):
    wshape = _weight_shape(ctx, node)
    kernel = tuple(attrs.get("kernel_shape", wshape[2:]))
    stride, dilate, pad = _window(ctx, node, attrs, kernel)
    args = ctx.inputs(node)
    return ctx.sym.Convolution(*args, kernel=kernel, stride=stride, dilate=dilate, pad=pad,
                               num_filter=wshape[0], num_group=attrs.get("group", 1),
                               no_bias=len(args) < 3)


@imports("ConvTranspose")
def conv_transpose(ctx, node, attrs):
    wshape = _weight_shape(ctx, node)
    group = attrs.get("group", 1)
    kernel = tuple(attrs.get("kernel_shape", wshape[2:]))
    if "output_shape" in attrs:
        raise _unsupported(node, "attribute 'output_shape'")
    stride, dilate, pad = _window(ctx, node, attrs, kernel)
    adj = tuple(attrs.get("output_padding", [0] * len(kernel)))
    args = ctx.inputs(node)
    return ctx.sym.Deconvolution(*args, kernel=kernel, stride=stride, dilate=dilate, pad=pad,
                                 adj=adj, num_filter=wshape[1] * group, num_group=group,
                                 no_bias=len(args) < 3)


@imports("Gemm")
def gemm(ctx, node, attrs):
    sym = ctx.sym
    a, b = ctx.tensor(node.input[0]), ctx.tensor(node.input[1])
    if attrs.get("transA", 0):
        a = sym.transpose(a)
    alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
    if alpha != 1.0:
        a = a * alpha
    bshape = ctx.shape(node.input[1], node)
    trans_b = attrs.get("transB", 0)
    weight = b if trans_b else sym.transpose(b)
    units = bshape[0] if trans_b else bshape[1]
    has_c = len(node.input) > 2 and node.input[2]
    c_value = ctx.consts.get(node.input[2]) if has_c else None
    if has_c and c_value is not None and np.size(c_value) == units:
        # A per-unit constant C is exactly FullyConnected's bias.
        bias = ctx.param(f"{node.input[2]}_bias", np.asarray(c_value).reshape(units) * beta)
        return sym.FullyConnected(a, weight, bias, num_hidden=units)
    out = sym.FullyConnected(a, weight, num_hidden=units, no_bias=True)
    if has_c:
        c = ctx.tensor(node.input[2])
        out = sym.broadcast_add(out, c * beta if beta != 1.0 else c)
    return out


@imports("MatMul")
def matmul(ctx, node, attrs):
    a, b = ctx.inputs(node)
    ra, rb = ctx.rank(node.input[0], node), ctx.rank(node.input[1], node)
    if rb == 2 and ra >= 2:
        return ctx.sym.dot(a, b)  # contracts a's last axis with b's first, as MatMul
    if ra < 2 or rb < 2:
        raise _unsupported(node, f"MatMul of rank-{ra} and rank-{rb} operands")
    sa, sb = ctx.symbolic_shape(node.input[0]), ctx.symbolic_shape(node.input[1])
    static = all(isinstance(d, int) for d in sa[:-2] + sb[:-2])
    if sa[:-2] == sb[:-2] or (ra == rb and not static):
        # Equal batch dims, or run-time ones taken to be equal: gemm2 checks
        # them when it runs (broadcasting a symbolic batch dim is not covered).
        return ctx.sym.linalg.gemm2(a, b)
    sa = tuple(ctx.shape(node.input[0], node))
    sb = tuple(ctx.shape(node.input[1], node))
    # numpy.matmul rules: the leading (batch) dims broadcast against each other.
    batch = tuple(np.broadcast_shapes(sa[:-2], sb[:-2]))
    if sa[:-2] != batch:
        a = ctx.sym.broadcast_to(ctx.sym.reshape(a, shape=_ranked(sa, len(batch))),
                                 shape=batch + sa[-2:])
    if sb[:-2] != batch:
        b = ctx.sym.broadcast_to(ctx.sym.reshape(b, shape=_ranked(sb, len(batch))),
                                 shape=batch + sb[-2:])
    return ctx.sym.linalg.gemm2(a, b)


def _ranked(shape, batch_rank):
    """``shape`` with leading unit dims so that it has ``batch_rank`` batch dims."""
    return (1,) * (batch_rank + 2 - len(shape)) + shape


@imports("GroupNormalization")
def group_norm(ctx, node, attrs):
    # Opset 18's scale and bias hold one value per group, as MXNet's gamma/beta do.
    data, gamma, beta = ctx.inputs(node)
    return ctx.sym.GroupNorm(data, gamma, beta, num_groups=attrs["num_groups"],
                             eps=attrs.get("epsilon", 1e-5))


@imports("LayerNormalization")
def layer_norm(ctx, node, attrs):
    if any(len(node.output) > i and node.output[i] for i in (1, 2)):
        raise _unsupported(node, "the Mean/InvStdDev outputs")
    rank = ctx.rank(node.input[0], node)
    axis = attrs.get("axis", -1) % rank
    eps = attrs.get("epsilon", 1e-5)
    x = ctx.tensor(node.input[0])
    if axis == rank - 1:
        gamma = ctx.tensor(node.input[1])
        beta = (ctx.tensor(node.input[2]) if len(node.input) > 2 and node.input[2]
                else ctx.param(f"{node.name}_beta",
                               np.zeros(ctx.shape(node.input[1], node), np.float32)))
        return ctx.sym.LayerNorm(x, gamma, beta, axis=-1, eps=eps)
    shape = ctx.shape(node.input[0], node)
    # Normalising over several trailing axes: flatten them into one, with
    # the (constant) scale and bias flattened to match.
    size = int(np.prod(shape[axis:]))
    scale = ctx.constant(node, 1, "Scale")
    bias = ctx.constant(node, 2, "B")
    gamma = ctx.param(f"{node.input[1]}_flat", np.broadcast_to(scale, shape[axis:]).ravel())
    beta = ctx.param(f"{node.name}_beta_flat", np.zeros(size, scale.dtype) if bias is None
                     else np.broadcast_to(bias, shape[axis:]).ravel())
    flat = ctx.sym.reshape(x, shape=tuple(shape[:axis]) + (size,))
    normed = ctx.sym.LayerNorm(flat, gamma, beta, axis=-1, eps=eps)
    return ctx.sym.reshape(normed, shape=tuple(shape))


@imports("BatchNormalization")
def batch_norm(ctx, node, attrs):
    data, gamma, beta, mean, var = ctx.inputs(node)[:5]
    return ctx.sym.BatchNorm(data, gamma, beta, mean, var, eps=attrs.get("epsilon", 1e-5),
                             momentum=attrs.get("momentum", 0.9), fix_gamma=False)


@imports("InstanceNormalization")
def instance_norm(ctx, node, attrs):
    return ctx.sym.InstanceNorm(*ctx.inputs(node), eps=attrs.get("epsilon", 1e-5))


@imports("LRN")
def lrn(ctx, node, attrs):
    return ctx.sym.LRN(ctx.tensor(node.input[0]), alpha=attrs.get("alpha", 1e-4),
                       beta=attrs.get("beta", 0.75), knorm=attrs.get("bias", 1.0),
                       nsize=attrs["size"])


@imports("LeakyRelu")
def leaky_relu(ctx, node, attrs):
    return ctx.sym.LeakyReLU(ctx.tensor(node.input[0]), act_type="leaky",
                             slope=attrs.get("alpha", 0.01))


@imports("Elu")
def elu(ctx, node, attrs):
    return ctx.sym.LeakyReLU(ctx.tensor(node.input[0]), act_type="elu",
                             slope=attrs.get("alpha", 1.0))


@imports("Selu")
def selu(ctx, node, attrs):
    x = ctx.tensor(node.input[0])
    alpha, gamma = attrs.get("alpha"), attrs.get("gamma")
    if alpha is None and gamma is None:
        return ctx.sym.LeakyReLU(x, act_type="selu")
    alpha = 1.67326319217681884765625 if alpha is None else alpha
    gamma = 1.05070102214813232421875 if gamma is None else gamma
    # gamma * (x if x > 0 else alpha * (exp(x) - 1)), with the model's constants
    return ctx.sym.LeakyReLU(x, act_type="elu", slope=alpha) * gamma


@imports("PRelu")
def prelu(ctx, node, attrs):
    x = ctx.tensor(node.input[0])
    slope = ctx.consts.get(node.input[1])
    if slope is not None:
        gamma = ctx.param(f"{node.input[1]}_gamma", np.asarray(slope).reshape(-1))
    else:
        gamma = ctx.sym.reshape(ctx.tensor(node.input[1]), shape=(-1,))
    return ctx.sym.LeakyReLU(x, gamma, act_type="prelu")


@imports("HardSigmoid")
def hard_sigmoid(ctx, node, attrs):
    return ctx.sym.hard_sigmoid(ctx.tensor(node.input[0]), alpha=attrs.get("alpha", 0.2),
                                beta=attrs.get("beta", 0.5))


def _softmax(ctx, node, attrs, fn):
    x = ctx.tensor(node.input[0])
    if ctx.opset >= 13:
        return fn(x, axis=attrs.get("axis", -1))
    # Before opset 13 the input is seen as 2-D: dims before `axis` are rows.
    axis = attrs.get("axis", 1)
    shape = ctx.shape(node.input[0], node)
    axis %= len(shape)
    if axis == len(shape) - 1:
        return fn(x, axis=-1)
    rows = int(np.prod(shape[:axis]))
    flat = fn(ctx.sym.reshape(x, shape=(rows, -1)), axis=-1)
    return ctx.sym.reshape(flat, shape=shape)


@imports("Softmax")
def softmax(ctx, node, attrs):
    return _softmax(ctx, node, attrs, ctx.sym.softmax)


@imports("LogSoftmax")
def log_softmax(ctx, node, attrs):
    return _softmax(ctx, node, attrs, ctx.sym.log_softmax)


def _pool(ctx, node, attrs, pool_type):
    if attrs.get("storage_order", 0) or any(d != 1 for d in attrs.get("dilations", [])):
        raise _unsupported(node, "storage_order or dilations")
    kernel = tuple(attrs["kernel_shape"])
    stride, _, pad = _window(ctx, node, attrs, kernel)
    extra = {}
    if pool_type == "avg":
        extra["count_include_pad"] = bool(attrs.get("count_include_pad", 0))
    convention = "full" if attrs.get("ceil_mode", 0) else "valid"
    return ctx.sym.Pooling(ctx.tensor(node.input[0]), kernel=kernel, stride=stride, pad=pad,
                           pool_type=pool_type, pooling_convention=convention, **extra)


@imports("MaxPool")
def max_pool(ctx, node, attrs):
    if len(node.output) > 1 and node.output[1]:
        raise _unsupported(node, "the Indices output")
    return _pool(ctx, node, attrs, "max")


@imports("AveragePool")
def average_pool(ctx, node, attrs):
    return _pool(ctx, node, attrs, "avg")


def _global_pool(pool_type):
    def rule(ctx, node, attrs):
        return ctx.sym.Pooling(ctx.tensor(node.input[0]), kernel=(1, 1), global_pool=True,
                               pool_type=pool_type)
    return rule


imports("GlobalAveragePool")(_global_pool("avg"))
imports("GlobalMaxPool")(_global_pool("max"))


@imports("Dropout")
def dropout(ctx, node, attrs):
    if len(node.output) > 1 and node.output[1]:
        raise _unsupported(node, "the mask output")
    return ctx.sym.identity(ctx.tensor(node.input[0]))


def _resize_scales(ctx, node, attrs):
    """Per-axis scale factors of Upsample/Resize, from attributes or constants."""
    if "scales" in attrs:  # Upsample of opset 7
        return np.asarray(attrs["scales"], dtype=np.float64)
    if node.op_type == "Upsample" or ctx.opset < 11:
        return ctx.constant(node, 1, "scales").astype(np.float64)
    scales = ctx.constant(node, 2, "scales")
    if scales is not None and scales.size:
        return scales.astype(np.float64)
    sizes = ctx.constant(node, 3, "sizes")
    in_shape = ctx.shape(node.input[0], node)
    return np.asarray(sizes, np.float64) / np.asarray(in_shape, np.float64)


@imports("Upsample", "Resize")
def resize(ctx, node, attrs):
    mode = attrs.get("mode", "nearest")
    scales = _resize_scales(ctx, node, attrs)
    x = ctx.tensor(node.input[0])
    if mode == "linear":
        return _bilinear(ctx, node, attrs, x, scales)
    if mode != "nearest":
        raise _unsupported(node, f"mode '{mode}' (only nearest and linear)")
    spatial = scales[2:]
    if (len(scales) < 3 or tuple(scales[:2]) != (1.0, 1.0) or np.any(spatial != spatial[0])
            or spatial[0] != int(spatial[0])):
        raise _unsupported(node, f"scales {list(scales)} (only one integer factor on the "
                                 f"spatial axes)")
    if not _repeats_pixels(ctx, node, attrs):
        raise _unsupported(node, "this coordinate_transformation_mode/nearest_mode pair")
    return ctx.sym.UpSampling(x, scale=int(spatial[0]), sample_type="nearest", num_args=1)


def _repeats_pixels(ctx, node, attrs):
    """Whether nearest resizing by an integer factor s maps output x to input x // s.

    It does for the pre-opset-11 rule and for ``asymmetric`` with ``floor``;
    under half-pixel coordinates x maps to (x + 0.5) / s - 0.5, which never
    falls on a tie and always rounds to x // s.
    """
    if node.op_type == "Upsample" or ctx.opset < 11:
        return True
    transform = attrs.get("coordinate_transformation_mode", "half_pixel")
    rounding = attrs.get("nearest_mode", "round_prefer_floor")
    if transform in ("half_pixel", "pytorch_half_pixel"):
        return rounding.startswith("round")
    return transform == "asymmetric" and rounding == "floor"


def _bilinear(ctx, node, attrs, x, scales):
    """Linear Resize of NCHW as BilinearResize2D, for the coordinate modes it shares."""
    transform = attrs.get("coordinate_transformation_mode", "half_pixel")
    in_shape = ctx.shape(node.input[0], node)
    out_hw = [int(np.floor(n * s)) for n, s in zip(in_shape[2:], scales[2:])]
    if len(in_shape) != 4 or tuple(scales[:2]) != (1.0, 1.0):
        raise _unsupported(node, f"linear resizing with scales {list(scales)} (only the "
                                 f"spatial axes of a 4-D tensor)")
    # half_pixel and pytorch_half_pixel differ only for an output size of 1.
    half_pixel = transform == "pytorch_half_pixel" or (transform == "half_pixel"
                                                       and min(out_hw) > 1)
    if not half_pixel and transform != "align_corners":
        raise _unsupported(node, f"linear resizing with coordinate_transformation_mode "
                                 f"'{transform}'")
    return ctx.sym.contrib.BilinearResize2D(x, height=out_hw[0], width=out_hw[1],
                                            align_corners=transform == "align_corners")
