"""ONNX export rules of the neural-network layers: convolution, dense,
normalisation, activation, pooling, softmax, resizing, embedding."""
import dataclasses
import math

import numpy as np

from ...ops.registry import Attrs
from .export_rules import exports

_ACTIVATIONS = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh",
                "softrelu": "Softplus", "softsign": "Softsign"}


def _spatial(values, ndim, default):
    """A per-spatial-axis tuple; MXNet's empty tuple means ``default`` everywhere."""
    return list(values) if values else [default] * ndim


_CHANNELS_LAST = ("NWC", "NHWC", "NDHWC")


def _check_channel_first(node, layout):
    if layout is not None and not layout.startswith("NC"):
        raise node.unsupported(f"layout '{layout}' (only NC... layouts)")


def _via_channels_first(ctx, node, rule, with_weight):
    """Translate a channels-last node as ``rule`` does its channels-first twin.

    ONNX's Conv and pools are channels-first only: the data (and the weight,
    stored here as (num_filter, *kernel, channels)) move their channel axis
    to position 1, and the result moves it back to the end.
    """
    ndim = len(node.in_shapes[0])
    to_first = [0, ndim - 1] + list(range(1, ndim - 1))
    to_last = [0] + list(range(2, ndim)) + [1]
    moved = 2 if with_weight else 1
    inputs = [ctx.emit("Transpose", [x], perm=to_first) for x in node.inputs[:moved]]
    shapes = [tuple(s[i] for i in to_first) for s in node.in_shapes[:moved]]
    out = ctx.reserve(f"{node.output}_channels_first")
    twin = dataclasses.replace(
        node, attrs=Attrs(dict(node.attrs, layout=None))._freeze(),
        inputs=inputs + node.inputs[moved:], in_shapes=shapes + node.in_shapes[moved:],
        out_shapes=[tuple(node.out_shapes[0][i] for i in to_first)], outputs=[out])
    rule(ctx, twin)
    ctx.emit("Transpose", [out], node.output, perm=to_last)


@exports("Convolution")
def convolution(ctx, node):
    a = node.attrs
    if a.layout in _CHANNELS_LAST:
        _via_channels_first(ctx, node, convolution, with_weight=True)
        return
    _check_channel_first(node, a.layout)
    k = len(a.kernel)
    pad = _spatial(a.pad, k, 0)
    ctx.emit("Conv", node.inputs, node.output, kernel_shape=list(a.kernel),
             strides=_spatial(a.stride, k, 1), dilations=_spatial(a.dilate, k, 1),
             pads=pad + pad, group=a.num_group)


@exports("Deconvolution")
def deconvolution(ctx, node):
    a = node.attrs
    _check_channel_first(node, a.layout)
    k = len(a.kernel)
    stride, dilate = _spatial(a.stride, k, 1), _spatial(a.dilate, k, 1)
    pad, adj = _spatial(a.pad, k, 0), _spatial(a.adj, k, 0)
    if a.target_shape and any(a.target_shape):
        # MXNet derives padding from the wanted size: the overshoot of the
        # full transposed convolution, split evenly, odd remainder as adj.
        in_sizes = node.in_shapes[0][2:]
        full = [s * (n - 1) + d * (kk - 1) + 1
                for n, s, d, kk in zip(in_sizes, stride, dilate, a.kernel)]
        over = [f - t for f, t in zip(full, a.target_shape)]
        pad = [(o + 1) // 2 for o in over]
        adj = [o % 2 for o in over]
    ctx.emit("ConvTranspose", node.inputs, node.output, kernel_shape=list(a.kernel),
             strides=stride, dilations=dilate, pads=pad + pad,
             output_padding=adj if any(adj) else None, group=a.num_group)


@exports("FullyConnected")
def fully_connected(ctx, node):
    a = node.attrs
    data, weight = node.inputs[0], node.inputs[1]
    bias = node.inputs[2:3]
    if a.flatten:
        if len(node.in_shapes[0]) != 2:
            data = ctx.emit("Flatten", [data], axis=1)
        ctx.emit("Gemm", [data, weight] + bias, node.output, transB=1)
        return
    wt = ctx.emit("Transpose", [weight], perm=[1, 0])
    if bias:
        product = ctx.emit("MatMul", [data, wt])
        ctx.emit("Add", [product, bias[0]], node.output)
    else:
        ctx.emit("MatMul", [data, wt], node.output)


@exports("BatchNorm", "_contrib_SyncBatchNorm")
def batch_norm(ctx, node):
    a = node.attrs
    axis = a.get("axis", 1)  # SyncBatchNorm always normalises axis 1
    if axis not in (1, 1 - len(node.in_shapes[0])):
        raise node.unsupported(f"axis={axis} (only the channel axis 1)")
    data, gamma, beta, mean, var = node.inputs
    if a.fix_gamma:
        # fix_gamma: MXNet ignores the stored gamma and scales by one.
        channels = node.in_shapes[1][0]
        gamma = ctx.const(f"{node.name}_fixed_gamma", np.ones(channels, node.in_dtypes[1]))
    # Inference always normalises with the moving statistics.
    ctx.emit("BatchNormalization", [data, gamma, beta, mean, var], node.output,
             epsilon=float(a.eps), momentum=float(a.momentum))


@exports("InstanceNorm")
def instance_norm(ctx, node):
    ctx.emit("InstanceNormalization", node.inputs, node.output, epsilon=float(node.attrs.eps))


@exports("LayerNorm")
def layer_norm(ctx, node):
    # Opset 13 has no LayerNormalization: mean and variance over one axis.
    a = node.attrs
    ndim = len(node.in_shapes[0])
    axis = a.axis % ndim
    data, gamma, beta = node.inputs
    mean = ctx.emit("ReduceMean", [data], axes=[axis], keepdims=1)
    centred = ctx.emit("Sub", [data, mean])
    var = ctx.emit("ReduceMean", [ctx.emit("Mul", [centred, centred])], axes=[axis], keepdims=1)
    eps = ctx.const(f"{node.name}_eps", np.array(a.eps, node.in_dtypes[0]))
    normed = ctx.emit("Div", [centred, ctx.emit("Sqrt", [ctx.emit("Add", [var, eps])])])
    if axis != ndim - 1:
        shape = ctx.ints(f"{node.name}_param_shape", [-1] + [1] * (ndim - axis - 1))
        gamma = ctx.emit("Reshape", [gamma, shape])
        beta = ctx.emit("Reshape", [beta, shape])
    ctx.emit("Add", [ctx.emit("Mul", [normed, gamma]), beta], node.output)


@exports("GroupNorm")
def group_norm(ctx, node):
    # Opset 13 has no GroupNormalization: the channels fold into (groups, rest),
    # each group is normalised, and gamma/beta (one per group) scale it.
    a = node.attrs
    data, gamma, beta = node.inputs
    dtype = node.in_dtypes[0]
    grouped = ctx.emit("Reshape", [data, ctx.ints(f"{node.name}_groups",
                                                  [0, a.num_groups, -1])])
    mean = ctx.emit("ReduceMean", [grouped], axes=[2], keepdims=1)
    centred = ctx.emit("Sub", [grouped, mean])
    var = ctx.emit("ReduceMean", [ctx.emit("Mul", [centred, centred])], axes=[2], keepdims=1)
    eps = ctx.const(f"{node.name}_eps", np.array(a.eps, dtype))
    normed = ctx.emit("Div", [centred, ctx.emit("Sqrt", [ctx.emit("Add", [var, eps])])])
    per_group = ctx.ints(f"{node.name}_param_shape", [1, -1, 1])
    scaled = ctx.emit("Add", [ctx.emit("Mul", [normed, ctx.emit("Reshape", [gamma, per_group])]),
                              ctx.emit("Reshape", [beta, per_group])])
    # Back to the input's shape, read at run time so the batch may vary.
    ctx.emit("Reshape", [scaled, ctx.emit("Shape", [data])], node.output)


@exports("L2Normalization")
def l2_normalization(ctx, node):
    a = node.attrs
    ndim = len(node.in_shapes[0])
    axes = {"instance": range(1, ndim), "channel": [1], "spatial": range(2, ndim)}[a.mode]
    data = node.inputs[0]
    squares = ctx.emit("ReduceSum", [ctx.emit("Mul", [data, data]),
                                     ctx.ints(f"{node.name}_axes", axes)], keepdims=1)
    eps = ctx.const(f"{node.name}_eps", np.array(a.eps, node.in_dtypes[0]))
    norm = ctx.emit("Sqrt", [ctx.emit("Add", [squares, eps])])
    ctx.emit("Div", [data, norm], node.output)


@exports("LRN")
def lrn(ctx, node):
    a = node.attrs
    ctx.emit("LRN", node.inputs, node.output, alpha=float(a.alpha), beta=float(a.beta),
             bias=float(a.knorm), size=a.nsize)


@exports("Activation")
def activation(ctx, node):
    kind = node.attrs.act_type
    x = node.inputs[0]
    if kind in _ACTIVATIONS:
        ctx.emit(_ACTIVATIONS[kind], [x], node.output)
    else:
        raise node.unsupported(f"act_type '{kind}'")


@exports("LeakyReLU")
def leaky_relu(ctx, node):
    a = node.attrs
    kind = a.act_type
    x = node.inputs[0]
    if kind == "leaky":
        ctx.emit("LeakyRelu", [x], node.output, alpha=float(a.slope))
    elif kind == "rrelu":
        # At inference the random slope is the middle of its range.
        ctx.emit("LeakyRelu", [x], node.output, alpha=float(a.lower_bound + a.upper_bound) / 2)
    elif kind == "elu":
        ctx.emit("Elu", [x], node.output, alpha=float(a.slope))
    elif kind == "selu":
        ctx.emit("Selu", [x], node.output)
    elif kind == "prelu":
        _prelu(ctx, node)
    elif kind == "gelu":
        _gelu(ctx, node)
    else:
        raise node.unsupported(f"act_type '{kind}'")


def _prelu(ctx, node):
    # MXNet's gamma has one slope per channel (axis 1); ONNX broadcasts the
    # slope from the right, so it gets trailing unit dims.
    x, gamma = node.inputs
    ndim = len(node.in_shapes[0])
    if ndim > 2:
        shape = ctx.ints(f"{node.name}_slope_shape", [-1] + [1] * (ndim - 2))
        gamma = ctx.emit("Reshape", [gamma, shape])
    ctx.emit("PRelu", [x, gamma], node.output)


def _gelu(ctx, node):
    # Opset 13 has no Gelu: 0.5 * x * (1 + erf(x / sqrt(2))).
    x = node.inputs[0]
    dtype = node.in_dtypes[0]
    root2 = ctx.const(f"{node.name}_sqrt2", np.array(math.sqrt(2.0), dtype))
    one = ctx.const(f"{node.name}_one", np.array(1.0, dtype))
    half = ctx.const(f"{node.name}_half", np.array(0.5, dtype))
    erf = ctx.emit("Erf", [ctx.emit("Div", [x, root2])])
    ctx.emit("Mul", [ctx.emit("Mul", [x, half]), ctx.emit("Add", [erf, one])], node.output)


@exports("Pooling")
def pooling(ctx, node):
    a = node.attrs
    if a.layout in _CHANNELS_LAST:
        _via_channels_first(ctx, node, pooling, with_weight=False)
        return
    _check_channel_first(node, a.layout)
    x = node.inputs[0]
    kind = a.pool_type
    if a.global_pool:
        op = {"max": "GlobalMaxPool", "avg": "GlobalAveragePool", "lp": "GlobalLpPool",
              "sum": "GlobalAveragePool"}[kind]
        extra = {"p": a.p_value or 2} if kind == "lp" else {}
        if kind == "sum":
            _scaled_average(ctx, node, op, {}, int(np.prod(node.in_shapes[0][2:])))
        else:
            ctx.emit(op, [x], node.output, **extra)
        return
    k = len(a.kernel)
    strides = _spatial(a.stride, k, 1)
    if a.pooling_convention == "same":
        pads = _same_pads(node.in_shapes[0][2:], node.out_shapes[0][2:], a.kernel, strides)
    else:
        pads = _spatial(a.pad, k, 0) * 2
    window = dict(kernel_shape=list(a.kernel), strides=strides,
                  pads=pads, ceil_mode=int(a.pooling_convention == "full"))
    if kind == "max":
        ctx.emit("MaxPool", [x], node.output, **window)
    elif kind == "avg":
        include = True if a.count_include_pad is None else a.count_include_pad
        ctx.emit("AveragePool", [x], node.output, count_include_pad=int(include), **window)
    elif kind == "lp":
        if window.pop("ceil_mode"):  # opset 13's LpPool always rounds down
            raise node.unsupported("lp pooling with pooling_convention 'full'")
        ctx.emit("LpPool", [x], node.output, p=a.p_value or 2, **window)
    else:
        _sum_pool(ctx, node, window)


def _same_pads(sizes, outs, kernel, strides):
    """ONNX pads of MXNet's 'same' convention: the padding the windows need,
    the odd unit after the data."""
    total = [max((o - 1) * s + kk - n, 0) for n, o, kk, s in zip(sizes, outs, kernel, strides)]
    return [t // 2 for t in total] + [t - t // 2 for t in total]


@exports("_contrib_AdaptiveAvgPooling2D")
def adaptive_avg_pooling(ctx, node):
    sizes, outs = node.in_shapes[0][2:], node.out_shapes[0][2:]
    if all(o == 1 for o in outs):
        ctx.emit("GlobalAveragePool", node.inputs, node.output)
        return
    if any(n % o for n, o in zip(sizes, outs)):
        # Uneven bins overlap by different amounts: no single ONNX pool has them.
        raise node.unsupported(f"output_size {tuple(outs)} that does not divide the input "
                               f"size {tuple(sizes)}")
    kernel = [n // o for n, o in zip(sizes, outs)]
    ctx.emit("AveragePool", node.inputs, node.output, kernel_shape=kernel, strides=kernel)


def _sum_pool(ctx, node, window):
    """Sum pooling as the average of zero-padded whole windows, times their size.

    The input is zero-padded far enough that every window (those the 'full'
    convention adds at the end included) lies inside it, since ONNX averages a
    window that overhangs the padding over fewer elements.
    """
    kernel, strides = window["kernel_shape"], window["strides"]
    k = len(kernel)
    sizes, outs = node.in_shapes[0][2:], node.out_shapes[0][2:]
    before = window["pads"][:k]
    after = [(o - 1) * s + kk - n - b
             for o, s, kk, n, b in zip(outs, strides, kernel, sizes, before)]
    padded = ctx.emit("Pad", [node.inputs[0],
                              ctx.ints(f"{node.name}_pads", [0, 0] + before + [0, 0] + after)])
    _scaled_average(ctx, node, "AveragePool", dict(kernel_shape=kernel, strides=strides),
                    int(np.prod(kernel)), padded)


def _scaled_average(ctx, node, op, attrs, size, data=None):
    avg = ctx.emit(op, [node.inputs[0] if data is None else data], **attrs)
    scale = ctx.const(f"{node.name}_window", np.array(size, node.in_dtypes[0]))
    ctx.emit("Mul", [avg, scale], node.output)


def _softmax(ctx, node, onnx_op):
    a = node.attrs
    x = node.inputs[0]
    if a.temperature is not None and a.temperature != 1.0:
        t = ctx.const(f"{node.name}_temperature", np.array(a.temperature, node.in_dtypes[0]))
        x = ctx.emit("Div", [x, t])
    if a.get("dtype") is not None and np.dtype(a.dtype) != node.in_dtypes[0]:
        x = ctx.emit("Cast", [x], to=_onnx_type(ctx, a.dtype))
    if not a.get("use_length"):
        ctx.emit(onnx_op, [x], node.output, axis=a.axis)
        return
    # Positions at or past a row's length get no weight: they enter as -inf
    # and leave as 0.
    mask = _length_mask(ctx, node, a.axis)
    dtype = node.out_dtypes[0]
    low = ctx.const(f"{node.name}_minus_inf", np.array(-np.inf, dtype))
    probs = ctx.emit(onnx_op, [ctx.emit("Where", [mask, x, low])], axis=a.axis)
    zero = ctx.const(f"{node.name}_zero", np.array(0, dtype))
    ctx.emit("Where", [mask, probs, zero], node.output)


def _length_mask(ctx, node, axis):
    """True where the position along ``axis`` is below its row's length
    (``length`` has the data's shape without ``axis``)."""
    shape = node.in_shapes[0]
    axis %= len(shape)
    grid = [n if i == axis else 1 for i, n in enumerate(shape)]
    positions = ctx.const(f"{node.name}_positions",
                          np.arange(shape[axis], dtype=node.in_dtypes[1]).reshape(grid))
    length = ctx.emit("Unsqueeze", [node.inputs[1], ctx.ints(f"{node.name}_axes", [axis])])
    return ctx.emit("Less", [positions, length])


def _onnx_type(ctx, dtype):
    return ctx.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


@exports("softmax")
def softmax(ctx, node):
    _softmax(ctx, node, "Softmax")


@exports("softmin")
def softmin(ctx, node):
    # softmin(x) is softmax(-x).
    negated = ctx.emit("Neg", node.inputs[:1])
    _softmax(ctx, dataclasses.replace(node, inputs=[negated] + node.inputs[1:]), "Softmax")


@exports("log_softmax")
def log_softmax(ctx, node):
    _softmax(ctx, node, "LogSoftmax")


@exports("SoftmaxOutput")
def softmax_output(ctx, node):
    # At inference SoftmaxOutput is a softmax; the label input is unused.
    a = node.attrs
    x = node.inputs[0]
    shape = node.in_shapes[0]
    if a.multi_output:
        ctx.emit("Softmax", [x], node.output, axis=1)
    elif a.preserve_shape or len(shape) <= 2:
        ctx.emit("Softmax", [x], node.output, axis=-1)
    else:
        # Without either flag the rows are the flattened samples.
        flat = ctx.emit("Flatten", [x], axis=1)
        probs = ctx.emit("Softmax", [flat], axis=1)
        ctx.emit("Reshape", [probs, ctx.ints(f"{node.name}_shape", shape)], node.output)


@exports("LinearRegressionOutput", "MAERegressionOutput")
def regression_output(ctx, node):
    ctx.emit("Identity", node.inputs[:1], node.output)


@exports("LogisticRegressionOutput")
def logistic_regression_output(ctx, node):
    ctx.emit("Sigmoid", node.inputs[:1], node.output)


@exports("Dropout")
def dropout(ctx, node):
    ctx.emit("Identity", node.inputs[:1], node.output)


@exports("UpSampling")
def upsampling(ctx, node):
    a = node.attrs
    if a.sample_type == "bilinear":
        _bilinear_upsampling(ctx, node)
        return
    if len(node.inputs) != 1:
        raise node.unsupported(f"nearest sampling of {len(node.inputs)} inputs (only one)")
    ndim = len(node.in_shapes[0])
    scales = ctx.const(f"{node.name}_scales",
                       np.array([1.0, 1.0] + [float(a.scale)] * (ndim - 2), np.float32))
    ctx.emit("Resize", [node.inputs[0], "", scales], node.output, mode="nearest",
             coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _bilinear_upsampling(ctx, node):
    # MXNet's bilinear UpSampling is a depthwise transposed convolution with
    # the (channels, 1, k, k) weight input: the same ConvTranspose in ONNX.
    s = node.attrs.scale
    k, pad = 2 * s - s % 2, s // 2
    ctx.emit("ConvTranspose", node.inputs, node.output, kernel_shape=[k, k], strides=[s, s],
             pads=[pad] * 4, group=node.in_shapes[0][1])


@exports("_contrib_BilinearResize2D")
def bilinear_resize(ctx, node):
    a = node.attrs
    if len(node.inputs) != 1:
        raise node.unsupported("mode 'like'")
    sizes = ctx.ints(f"{node.name}_sizes", node.out_shapes[0])
    transform = "align_corners" if a.align_corners else "pytorch_half_pixel"
    ctx.emit("Resize", [node.inputs[0], "", "", sizes], node.output, mode="linear",
             coordinate_transformation_mode=transform)


@exports("Embedding")
def embedding(ctx, node):
    indices, weight = node.inputs
    index = ctx.emit("Cast", [indices], to=_onnx_type(ctx, np.int64))
    ctx.emit("Gather", [weight, index], node.output, axis=0)
