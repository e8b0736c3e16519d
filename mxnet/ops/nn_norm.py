"""Normalization layers: the batch-norm family (``BatchNorm``, ``BatchNorm_v1``,
``_contrib_SyncBatchNorm``, ``_contrib_BatchNormWithReLU``), ``LayerNorm``,
``InstanceNorm`` and ``GroupNorm``.

Batch norm, as MXNet 1.9.1 does it:

* Training mode (``is_train`` and not ``use_global_stats``) normalizes with
  the batch mean and the biased batch variance over every axis but ``axis``;
  otherwise with ``moving_mean``/``moving_var``.
* The moving statistics are updated by the *backward* pass, not the forward
  one: ``moving = moving * momentum + batch_stat * (1 - momentum)`` with the
  biased variance, when the backward runs in training mode without
  ``use_global_stats``. A forward pass alone leaves them untouched.
* ``fix_gamma`` computes with gamma = 1, gives gamma a zero gradient, and
  writes 1 into the gamma array itself.
* The second and third outputs are the mean used and, for ``BatchNorm``
  (and the ReLU variant), the inverse standard deviation ``1/sqrt(var+eps)``;
  ``BatchNorm_v1`` and ``SyncBatchNorm`` return the variance itself.
* float16 data takes float32 gamma, beta and moving statistics.

Gradients of all these layers are fused private ``_backward_*`` ops; the
gradients of the mean/variance outputs are ignored, as in MXNet. The
``_backward_*`` ops themselves have no gradient (no second order).
"""
import numpy as np

from ..base import MXNetError
from .optimizer_ops import dtype_names
from .params import Param
from .quiet import quiet
from .registry import register

_FLOATS = ("float16", "float32", "float64")


def _f32(x):
    """The float32 value MXNet stores for a default written as ``x``."""
    return float(np.float32(x))


def _wide(a):
    """float16 arrays are computed in float32 (MXNet accumulates them so too)."""
    return a.astype("float32") if a.dtype == np.float16 else a


def _norm_axis(op, axis, ndim):
    if not -ndim <= axis < ndim:
        raise MXNetError(f"{op}: argument 'axis' is {axis}, out of range for a {ndim}-d input "
                         f"(expected {-ndim} <= axis < {ndim})")
    return axis % ndim


def _check_param_shapes(op, names, shapes, expected, what):
    for name, s in zip(names, shapes):
        if s is not None and tuple(s) != expected:
            raise MXNetError(f"{op}: input '{name}' has shape {tuple(s)}, expected {expected} "
                             f"({what})")


def _check_float(op, dtype):
    if dtype not in _FLOATS:
        raise MXNetError(f"{op}: expects floating-point data ({', '.join(_FLOATS)}), "
                         f"got {dtype}")


def _uniform_type(op, names, param_dtype=lambda t: t, n_out=1):
    """Type rule: float data; the other inputs take ``param_dtype(data)``; the first
    output has the data dtype, the others the parameter dtype."""
    def infer(attrs, types):
        data = types[0]
        if data is None:
            return types, [None] * n_out
        _check_float(op, data)
        want = param_dtype(data)
        for name, t in zip(names[1:], types[1:]):
            if t is not None and t != want:
                raise MXNetError(f"{op}: input '{name}' must have dtype {want} for {data} data, "
                                 f"got {t}")
        return [data] + [want] * (len(types) - 1), [data] + [want] * (n_out - 1)
    return infer


def _broadcast_shape(ndim, axis, size):
    shape = [1] * ndim
    shape[axis] = size
    return tuple(shape)


def _sum_except(a, axis):
    return a.sum(axis=tuple(i for i in range(a.ndim) if i != axis))


# einsum sums the contiguous run after the channel axis about twice as fast as
# ndarray.sum (and sum(a*b) without the product array), but it accumulates
# runs linearly: the runs are kept to a length where that stays as accurate
# as NumPy's pairwise sums (~1e-7 relative at 50k elements, 1e-4 at 2M), and
# the partial sums of each run are then added by NumPy.
_EINSUM_RUN = (16, 1 << 16)


def _channel_sum(xp, a, axis, b=None):
    """Per-channel (along ``axis``) sum of ``a``, or of ``a * b`` when given."""
    run = 1
    for n in a.shape[axis + 1:]:
        run *= n
    if not _EINSUM_RUN[0] <= run <= _EINSUM_RUN[1]:
        return _sum_except(a if b is None else a * b, axis)
    view = (-1, a.shape[axis], run)
    if b is None:
        return xp.einsum("acb->ac", a.reshape(view)).sum(axis=0)
    return xp.einsum("acb,acb->ac", a.reshape(view), b.reshape(view)).sum(axis=0)


# ---------------------------------------------------------------------------
# Batch norm family

_BN_INPUTS = ("data", "gamma", "beta")
_BN_AUX = ("moving_mean", "moving_var")


def _bn_common():
    return {
        "eps": Param("float", _f32(1e-3), "Added to the variance before the square root."),
        "momentum": Param("float", _f32(0.9), "Weight of the old value in the moving "
                                              "statistics update."),
        "fix_gamma": Param("bool", True, "Use gamma = 1 (and write 1 into gamma)."),
        "use_global_stats": Param("bool", False, "Normalize with the moving statistics even "
                                                 "in training mode."),
        "output_mean_var": Param("bool", False, "Also return the mean and variance outputs."),
    }


def _bn_params():
    params = _bn_common()
    params.update({
        "axis": Param("int", 1, "The channel axis."),
        "cudnn_off": Param("bool", False, "Ignored (there is no cuDNN here)."),
        "min_calib_range": Param("float", None, "Quantization calibration minimum (unused)."),
        "max_calib_range": Param("float", None, "Quantization calibration maximum (unused)."),
    })
    return params


def _sync_params():
    params = _bn_common()
    params.update({
        "ndev": Param("int", 1, "Number of devices synchronized (one here)."),
        "key": Param("str", doc="Name shared by the synchronized layers."),
    })
    return params


def _bn_axis(op, attrs, ndim):
    return _norm_axis(op, attrs.get("axis", 1), ndim)


def _bn_shape_rule(op):
    def infer(attrs, shapes):
        data = shapes[0]
        if data is None:
            known = next((tuple(s) for s in shapes[1:] if s is not None), None)
            return shapes, [None, known, known]
        if len(data) == 0:
            raise MXNetError(f"{op}: input 'data' must have at least one axis, got a 0-d array")
        axis = _bn_axis(op, attrs, len(data))
        channels = (data[axis],)
        _check_param_shapes(op, _BN_INPUTS[1:] + _BN_AUX, shapes[1:], channels,
                            f"the size of axis {axis} of data")
        return [tuple(data)] + [channels] * 4, [tuple(data), channels, channels]
    return infer


def _bn_param_dtype(data):
    return "float32" if data == "float16" else data


def _batch_moments(xp, x, axis):
    """Per-channel mean and biased variance of ``x`` (what ``x.mean``/``x.var``
    give, with one pass fewer: the centred values are squared while summed),
    and ``x - mean`` as a fresh array (None for an empty batch)."""
    if x.size == 0:  # NumPy's NaN statistics (and warning) for an empty batch
        axes = tuple(i for i in range(x.ndim) if i != axis)
        return x.mean(axis=axes), x.var(axis=axes), None
    count = x.dtype.type(x.size // x.shape[axis])
    mean = _channel_sum(xp, x, axis) / count
    centred = x - mean.reshape(_broadcast_shape(x.ndim, axis, x.shape[axis]))
    return mean, _channel_sum(xp, centred, axis, centred) / count, centred


def _batch_norm_kernel(op, saved_var, relu):
    check_shapes = _bn_shape_rule(op)
    check_types = _uniform_type(op, _BN_INPUTS + _BN_AUX, _bn_param_dtype)

    @quiet
    def compute(xp, attrs, data, gamma, beta, moving_mean, moving_var, is_train=False):
        check_shapes(attrs, [data.shape, gamma.shape, beta.shape, moving_mean.shape,
                             moving_var.shape])
        check_types(attrs, dtype_names((data, gamma, beta, moving_mean, moving_var)))
        axis = _bn_axis(op, attrs, data.ndim)
        if attrs.fix_gamma:
            gamma[...] = 1  # MXNet overwrites gamma too
        x = data.astype(gamma.dtype, copy=False)
        centred = None
        if is_train and not attrs.use_global_stats:
            mean, var, centred = _batch_moments(xp, x, axis)
        else:
            mean = moving_mean.copy()
            var = moving_var.copy()
        invstd = 1.0 / xp.sqrt(var + attrs.eps)
        scale = invstd if attrs.fix_gamma else gamma * invstd
        bshape = _broadcast_shape(x.ndim, axis, x.shape[axis])
        if centred is None:
            # (x - mean) * scale + beta as one product and one in-place add per element
            out = x * scale.reshape(bshape)
            out += (beta - mean * scale).reshape(bshape)
        else:  # batch statistics: normalize the centred values where they lie
            out = centred
            out *= scale.reshape(bshape)
            out += beta.reshape(bshape)
        if relu:
            xp.maximum(out, 0, out=out)
        return (out.astype(data.dtype, copy=False), mean,
                invstd if saved_var == "invstd" else var)
    return compute


def _bn_gradient(saved_var, relu):
    def gradient(F, attrs, ins, outs, g):
        ograd = g[0] * (outs[0] > 0) if relu else g[0]
        dx, dgamma, dbeta = F._internal._backward_BatchNorm(
            ograd, ins[0], ins[1], outs[1], outs[2], ins[3], ins[4], eps=attrs.eps,
            momentum=attrs.momentum, fix_gamma=attrs.fix_gamma,
            use_global_stats=attrs.use_global_stats, axis=attrs.get("axis", 1),
            saved_var=saved_var)
        return [dx, dgamma, dbeta, None, None]
    return gradient


def _register_batch_norm(name, params, saved_var, relu, doc):
    compute = _batch_norm_kernel(name, saved_var, relu)
    compute.__doc__ = doc
    register(name, inputs=_BN_INPUTS, aux=_BN_AUX, params=params, num_outputs=3,
             visible_outputs=lambda attrs: 3 if attrs.output_mean_var else 1,
             output_names=("output", "mean", "var"), infer_shape=_bn_shape_rule(name),
             infer_type=_uniform_type(name, _BN_INPUTS + _BN_AUX, _bn_param_dtype, 3),
             gradient=_bn_gradient(saved_var, relu), resources=("is_train",),
             mutate_inputs=(1, 3, 4))(compute)


_register_batch_norm(
    "BatchNorm", _bn_params(), "invstd", False,
    "Batch normalization over every axis but `axis`: (x - mean) / sqrt(var + eps) * gamma "
    "+ beta, with batch statistics in training mode and the moving ones otherwise. The "
    "outputs are the result, the mean used and 1/sqrt(var + eps).")
_register_batch_norm(
    "BatchNorm_v1", _bn_common(), "var", False,
    "The first batch normalization layer (channel axis 1); like BatchNorm, but its third "
    "output is the variance itself.")
_register_batch_norm(
    "_contrib_SyncBatchNorm", _sync_params(), "var", False,
    "Batch normalization with statistics shared across devices; on one device it is "
    "BatchNorm_v1 (channel axis 1, third output the variance).")
_register_batch_norm(
    "_contrib_BatchNormWithReLU", _bn_params(), "invstd", True,
    "BatchNorm followed by max(x, 0) in one op.")


def _bn_backward_shape(attrs, shapes):
    return shapes, [shapes[1], shapes[2], shapes[2]]


@register("_backward_BatchNorm",
          inputs=("ograd", "data", "gamma", "mean", "var", "moving_mean", "moving_var"),
          params={"eps": Param("float", _f32(1e-3)),
                  "momentum": Param("float", _f32(0.9)),
                  "fix_gamma": Param("bool", True),
                  "use_global_stats": Param("bool", False),
                  "axis": Param("int", 1),
                  "saved_var": Param("str", "invstd", "What the forward's third output holds.",
                                     choices=("invstd", "var"))},
          num_outputs=3, infer_shape=_bn_backward_shape,
          infer_type=lambda attrs, t: (t, [t[1], t[2], t[2]]),
          resources=("is_train",), mutate_inputs=(5, 6))
@quiet
def _batch_norm_backward(xp, attrs, ograd, data, gamma, mean, var, moving_mean, moving_var,
                         is_train=False):
    """Gradients of the batch-norm family w.r.t. data, gamma and beta. In training
    mode (without use_global_stats) it treats the forward's mean/var outputs as the
    batch statistics and folds them into the moving statistics, in place."""
    axis = _norm_axis("BatchNorm", attrs.axis, data.ndim)
    eps = attrs.eps
    x = data.astype(gamma.dtype, copy=False)
    dy = ograd.astype(gamma.dtype, copy=False)
    bshape = _broadcast_shape(x.ndim, axis, x.shape[axis])
    batch = is_train and not attrs.use_global_stats
    if batch:
        if attrs.saved_var == "invstd":
            invstd, batch_var = var, 1.0 / (var * var) - eps
        else:
            invstd, batch_var = 1.0 / xp.sqrt(var + eps), var
        mom = attrs.momentum
        moving_mean[...] = moving_mean * mom + mean * (1 - mom)
        moving_var[...] = moving_var * mom + batch_var * (1 - mom)
    else:
        mean, invstd = moving_mean, 1.0 / xp.sqrt(moving_var + eps)
    # Per-channel sums only: with xhat = (x - mean) * invstd, sum(dy * xhat) is
    # invstd * (sum(dy * x) - mean * sum(dy)), and dx is a per-channel affine map
    # of dy and x, so no full-size xhat is ever built.
    dbeta = _channel_sum(xp, dy, axis)
    dgamma = invstd * (_channel_sum(xp, dy, axis, x) - mean * dbeta)
    scale = invstd if attrs.fix_gamma else gamma * invstd
    dx = dy * scale.reshape(bshape)
    if batch:
        count = x.size // max(x.shape[axis], 1)
        slope = scale * invstd * dgamma / count
        dx -= x * slope.reshape(bshape)
        dx += (slope * mean - scale * dbeta / count).reshape(bshape)
    if attrs.fix_gamma:
        dgamma = xp.zeros_like(dgamma)
    return dx.astype(data.dtype, copy=False), dgamma, dbeta


# ---------------------------------------------------------------------------
# Layer, instance and group norm
#
# Each works on a 3-d view (A, P, M) of the data: the parameters (gamma, beta)
# run along axis 1, the statistics are taken over `stat_axis` (1 for layer norm,
# 2 for instance and group norm).

def _moments(x, stat_axis, eps):
    mean = x.mean(axis=stat_axis, keepdims=True)
    std = (x.var(axis=stat_axis, keepdims=True) + eps) ** 0.5
    return mean, std


def _norm3_forward(x, gamma, beta, stat_axis, eps):
    mean, std = _moments(x, stat_axis, eps)
    out = (x - mean) / std * gamma.reshape(1, -1, 1) + beta.reshape(1, -1, 1)
    return out, mean, std


def _norm3_backward(x, dy, gamma, stat_axis, eps):
    mean, std = _moments(x, stat_axis, eps)
    xhat = (x - mean) / std
    dxhat = dy * gamma.reshape(1, -1, 1)
    dx = (dxhat - dxhat.mean(axis=stat_axis, keepdims=True)
          - xhat * (dxhat * xhat).mean(axis=stat_axis, keepdims=True)) / std
    return dx, (dy * xhat).sum(axis=(0, 2)), dy.sum(axis=(0, 2))


def _register_norm3(name, params, layout, param_shape, n_out, doc):
    """Register ``name`` and ``_backward_<name>``.

    ``layout(attrs, shape)`` gives the (A, P, M) view, the stat axis and the
    shape of the mean/std outputs; ``param_shape(attrs, shape)`` the expected
    gamma/beta shape and what it is, for error messages.
    """
    inputs = ("data", "gamma", "beta")

    def infer_shape(attrs, shapes):
        data = shapes[0]
        if data is None:
            return shapes, [None] * n_out
        expected, what = param_shape(attrs, tuple(data))
        _check_param_shapes(name, inputs[1:], shapes[1:], expected, what)
        stat_shape = layout(attrs, tuple(data))[2]
        return [tuple(data), expected, expected], [tuple(data)] + [stat_shape] * (n_out - 1)

    def check(attrs, data, gamma, beta):
        infer_shape(attrs, [data.shape, gamma.shape, beta.shape])
        _uniform_type(name, inputs)(attrs, dtype_names((data, gamma, beta)))

    @quiet
    def compute(xp, attrs, data, gamma, beta):
        check(attrs, data, gamma, beta)
        view, stat_axis, stat_shape = layout(attrs, data.shape)
        x = _wide(data).reshape(view)
        out, mean, std = _norm3_forward(x, _wide(gamma), _wide(beta), stat_axis, attrs.eps)
        out = out.reshape(data.shape).astype(data.dtype, copy=False)
        if n_out == 1:
            return out
        return (out, mean.reshape(stat_shape).astype(data.dtype, copy=False),
                std.reshape(stat_shape).astype(data.dtype, copy=False))

    @quiet
    def backward(xp, attrs, ograd, data, gamma):
        view, stat_axis, _ = layout(attrs, data.shape)
        dx, dgamma, dbeta = _norm3_backward(_wide(data).reshape(view), _wide(ograd).reshape(view),
                                            _wide(gamma), stat_axis, attrs.eps)
        return (dx.reshape(data.shape).astype(data.dtype, copy=False),
                dgamma.reshape(gamma.shape).astype(gamma.dtype, copy=False),
                dbeta.reshape(gamma.shape).astype(gamma.dtype, copy=False))

    backward_name = "_backward_" + name

    def gradient(F, attrs, ins, outs, g):
        kwargs = {k: attrs[k] for k in params if k != "output_mean_var"}
        return list(getattr(F._internal, backward_name)(g[0], ins[0], ins[1], **kwargs))

    compute.__doc__ = doc
    backward.__doc__ = f"Gradients of {name} w.r.t. data, gamma and beta."
    extra = {}
    if n_out > 1:
        extra = {"visible_outputs": lambda attrs: n_out if attrs.output_mean_var else 1,
                 "output_names": ("output", "mean", "std")}
    register(name, inputs=inputs, params=params, num_outputs=n_out, infer_shape=infer_shape,
             infer_type=_uniform_type(name, inputs, n_out=n_out), gradient=gradient,
             **extra)(compute)
    backward_params = {k: p for k, p in params.items() if k != "output_mean_var"}
    register(backward_name, inputs=("ograd", "data", "gamma"), params=backward_params,
             num_outputs=3,
             infer_shape=lambda attrs, s: (s, [s[1], s[2], s[2]]),
             infer_type=lambda attrs, t: (t, [t[1], t[2], t[2]]))(backward)


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def _layer_layout(attrs, shape):
    if len(shape) == 0:
        raise MXNetError("LayerNorm: input 'data' must have at least one axis, got a 0-d array")
    axis = _norm_axis("LayerNorm", attrs.axis, len(shape))
    view = (_prod(shape[:axis]), shape[axis], _prod(shape[axis + 1:]))
    return view, 1, shape[:axis] + (1,) + shape[axis + 1:]


def _layer_params(attrs, shape):
    axis = _norm_axis("LayerNorm", attrs.axis, len(shape))
    return (shape[axis],), f"the size of axis {axis} of data"


def _need_channels(op, shape):
    if len(shape) < 3:
        raise MXNetError(f"{op}: input 'data' must have at least 3 axes (batch, channel, "
                         f"spatial...), got shape {shape}")


def _instance_layout(attrs, shape):
    _need_channels("InstanceNorm", shape)
    return (shape[0], shape[1], _prod(shape[2:])), 2, (shape[0], shape[1])


def _instance_params(attrs, shape):
    _need_channels("InstanceNorm", shape)
    return (shape[1],), "the number of channels, axis 1 of data"


def _groups(attrs, shape):
    _need_channels("GroupNorm", shape)
    groups = attrs.num_groups
    if groups <= 0 or shape[1] % groups:
        raise MXNetError(f"GroupNorm: argument 'num_groups' ({groups}) must be positive and "
                         f"divide the number of channels ({shape[1]})")
    return groups


def _group_layout(attrs, shape):
    groups = _groups(attrs, shape)
    return (shape[0], groups, _prod(shape[1:]) // groups), 2, (shape[0], groups)


def _group_params(attrs, shape):
    return (_groups(attrs, shape),), "one value per group, num_groups"


_register_norm3(
    "LayerNorm",
    {"axis": Param("int", -1, "The axis to normalize over."),
     "eps": Param("float", _f32(1e-5), "Added to the variance before the square root."),
     "output_mean_var": Param("bool", False, "Also return the mean and standard deviation.")},
    _layer_layout, _layer_params, 3,
    "Normalize over `axis`: (x - mean) / sqrt(var + eps) * gamma + beta, gamma and beta "
    "running along `axis`. The extra outputs are the mean and sqrt(var + eps), with `axis` "
    "kept as size 1.")
_register_norm3(
    "InstanceNorm",
    {"eps": Param("float", _f32(1e-3), "Added to the variance before the square root.")},
    _instance_layout, _instance_params, 1,
    "Normalize every (example, channel) slice over its spatial axes, then scale and shift "
    "per channel with gamma and beta. Data is (batch, channel, spatial...).")
_register_norm3(
    "GroupNorm",
    {"num_groups": Param("int", 1, "Number of channel groups."),
     "eps": Param("float", _f32(1e-5), "Added to the variance before the square root."),
     "output_mean_var": Param("bool", False, "Also return the mean and standard deviation.")},
    _group_layout, _group_params, 3,
    "Split the channels into num_groups groups and normalize each (example, group) over "
    "its channels and spatial axes; gamma and beta hold one value per group, as in MXNet "
    "1.x. The extra outputs (batch, num_groups) are the mean and sqrt(var + eps).")


# ---------------------------------------------------------------------------
# L2Normalization and LRN

_L2_MODES = ("channel", "instance", "spatial")


def _l2_reduce(mode):
    """Keyword arguments of ``sum`` reducing the axes that `mode` normalizes over,
    written without the data's rank so the same call works on symbols."""
    if mode == "instance":
        return {"axis": 0, "exclude": True}
    if mode == "channel":
        return {"axis": 1}
    return {"axis": (0, 1), "exclude": True}


def _l2_axes(attrs, ndim):
    if attrs.mode != "instance" and ndim < 3:
        raise MXNetError(f"L2Normalization: mode '{attrs.mode}' needs data with at least 3 "
                         f"axes (batch, channel, spatial...), got {ndim}")
    if ndim == 0:
        raise MXNetError("L2Normalization: input 'data' must have at least one axis")
    start = {"instance": 1, "channel": 1, "spatial": 2}[attrs.mode]
    stop = 2 if attrs.mode == "channel" else ndim
    return tuple(range(start, stop))


def _l2_shape(attrs, shapes):
    if shapes[0] is not None:
        _l2_axes(attrs, len(shapes[0]))
    return shapes, [shapes[0]]


def _l2_grad(F, attrs, ins, outs, g):
    # y = x / n with n = sqrt(sum(x^2) + eps): dx = (g - y * sum(g * y)) / n.
    red = _l2_reduce(attrs.mode)
    x = ins[0]
    norm = F.sqrt(F.sum(F.square(x), keepdims=True, **red) + attrs.eps)
    y = F.broadcast_div(x, norm)
    inner = F.sum(g[0] * y, keepdims=True, **red)
    return [F.broadcast_div(g[0] - F.broadcast_mul(y, inner), norm)]


@register("L2Normalization",
          params={"eps": Param("float", _f32(1e-10), "Added to the sum of squares."),
                  "mode": Param("str", "instance", "Axes normalized together: 'instance' "
                                "(all but the first), 'channel' (axis 1), 'spatial' (axes "
                                "2 and up).", choices=_L2_MODES)},
          infer_shape=_l2_shape, infer_type=_uniform_type("L2Normalization", ("data",)),
          gradient=_l2_grad)
@quiet
def _l2_normalization(xp, attrs, data):
    """Divide the data by its L2 norm sqrt(sum(x^2) + eps) over the axes of `mode`."""
    axes = _l2_axes(attrs, data.ndim)
    _check_float("L2Normalization", data.dtype.name)
    x = _wide(data)
    norm = xp.sqrt(xp.sum(x * x, axis=axes, keepdims=True) + attrs.eps)
    return (x / norm).astype(data.dtype, copy=False)


_LRN_PARAMS = {
    "alpha": Param("float", _f32(1e-4), "Scale of the sum of squares."),
    "beta": Param("float", 0.75, "Exponent of the normalizer."),
    "knorm": Param("float", 2.0, "Constant added to the scaled sum of squares."),
    "nsize": Param("int", doc="Number of channels in each window."),
}


def _lrn_check(attrs, shape):
    if attrs.nsize <= 0:
        raise MXNetError(f"LRN: argument 'nsize' must be positive, got {attrs.nsize}")
    if len(shape) != 4:
        raise MXNetError(f"LRN: input 'data' must be 4-d (batch, channel, height, width), "
                         f"got shape {tuple(shape)}")


def _lrn_shape(attrs, shapes):
    if shapes[0] is not None:
        _lrn_check(attrs, shapes[0])
    return shapes, [shapes[0]]


def _window_sum(xp, a, radius):
    """Sum over channels c - radius .. c + radius (clipped at the edges), for every c."""
    channels = a.shape[1]
    padded = xp.zeros((a.shape[0], channels + 2 * radius) + a.shape[2:], dtype=a.dtype)
    padded[:, radius:radius + channels] = a
    out = padded[:, :channels].copy()
    for k in range(1, 2 * radius + 1):
        out += padded[:, k:k + channels]
    return out


def _lrn_norm(xp, attrs, x):
    """knorm + alpha / nsize * (sum of squares over the window of each channel).

    The window reaches (nsize - 1) // 2 channels to each side, so an even nsize
    sums only nsize - 1 channels, while the scale still divides by nsize (MXNet)."""
    n = attrs.nsize
    return attrs.knorm + attrs.alpha / n * _window_sum(xp, x * x, (n - 1) // 2)


@register("LRN", params=_LRN_PARAMS,
          infer_shape=_lrn_shape,
          infer_type=_uniform_type("LRN", ("data",)),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_LRN(
              g[0], ins[0], **{k: attrs[k] for k in _LRN_PARAMS})])
def _lrn(xp, attrs, data):
    """Local response normalization across channels: x / (knorm + alpha / nsize *
    sum of x^2 over the nsize channels around it) ** beta."""
    _lrn_check(attrs, data.shape)
    _check_float("LRN", data.dtype.name)
    x = _wide(data)
    return (x * _lrn_norm(xp, attrs, x) ** -attrs.beta).astype(data.dtype, copy=False)


@register("_backward_LRN", inputs=("ograd", "data"), params=_LRN_PARAMS,
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[1]]))
def _lrn_backward(xp, attrs, ograd, data):
    """Gradient of LRN w.r.t. its data."""
    x, dy = _wide(data), _wide(ograd)
    norm = _lrn_norm(xp, attrs, x)
    n, beta = attrs.nsize, attrs.beta
    # The window is symmetric, so the channels whose normalizer reads x_j are the
    # ones in the window around j.
    back = _window_sum(xp, dy * x * norm ** (-beta - 1), (n - 1) // 2)
    dx = dy * norm ** -beta - (2 * attrs.alpha * beta / n) * x * back
    return dx.astype(data.dtype, copy=False)
