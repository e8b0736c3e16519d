"""Neural-network activations: Activation, LeakyReLU, the softmax family and Dropout.

Every operator here works on floating point data only (MXNet rejects integer
inputs) and keeps the input dtype, except ``softmax``/``log_softmax``/
``softmin`` whose ``dtype`` argument picks the output type. Gradients are
written with ``F`` operators so they can be differentiated again.

Where MXNet 1.9.1 is broken we follow its documented meaning instead:
``LeakyReLU(act_type='rrelu')`` crashes in training mode and returns
uninitialised memory as its mask in inference mode; here the mask output
holds the slope used for each element (random in training, the mean of the
bounds otherwise) and the gradient follows it. ``SoftmaxActivation`` in
instance mode on data with more than two dimensions gets the true gradient
of its forward pass (softmax over the last axis).
"""
import math

import numpy as np

from ..base import MXNetError
from .params import Param
from .quiet import quiet
from .registry import Attrs, register
from .shape import norm_axis
from .unary import special_function

_FLOATS = ("float16", "float32", "float64")
# Names and dtype objects both hash here, so the common check skips np.dtype().name (slow).
_FLOAT_KEYS = frozenset(_FLOATS + tuple(np.dtype(t) for t in _FLOATS))


def require_float(op, dtype, what="data"):
    """Raise unless ``dtype`` is a floating point type (MXNet's check)."""
    if dtype in _FLOAT_KEYS:
        return
    name = np.dtype(dtype).name
    if name not in _FLOATS:
        raise MXNetError(f"{op}: '{what}' must be a floating point array "
                         f"(float16, float32 or float64), got {name}")


def float_same_type(op):
    """Type rule: float inputs that share one dtype, which the outputs keep."""
    def infer(attrs, types):
        known = next((t for t in types if t is not None), None)
        if known is not None:
            require_float(op, known)
        for t in types:
            if t is not None and t != known:
                raise MXNetError(f"{op}: inputs must have the same dtype, got "
                                 + ", ".join(str(t) for t in types))
        return [known] * len(types), [known]
    return infer


def _same_shape_rule(attrs, shapes):
    return shapes, [shapes[0]]


# -- Activation -------------------------------------------------------------------

def _softrelu(xp, x):
    return xp.logaddexp(x.dtype.type(0), x)


_ACTIVATIONS = {
    "relu": lambda xp, x: xp.maximum(x, x.dtype.type(0)),
    "sigmoid": lambda xp, x: 1 / (1 + xp.exp(-x)),
    "softrelu": _softrelu,
    "softsign": lambda xp, x: x / (1 + xp.abs(x)),
    "tanh": lambda xp, x: xp.tanh(x),
}


# Activations whose derivative is a function of the output: one fused backward op.
_FROM_OUTPUT = {
    "relu": lambda xp, g, y: g * (y > 0),
    "sigmoid": lambda xp, g, y: g * y * (1 - y),
    "tanh": lambda xp, g, y: g * (1 - y * y),
}


def _activation_grad(F, attrs, ins, outs, g):
    x, y, g = ins[0], outs[0], g[0]
    kind = attrs.act_type
    if kind in _FROM_OUTPUT:
        return [F._internal._backward_Activation(g, y, act_type=kind)]
    if kind == "softrelu":
        return [g * F.sigmoid(x)]
    return [g / F.square(1 + F.abs(x))]


def _activation_backward_grad(F, attrs, ins, outs, h):
    """Second order: the backward op is linear in ``grad``; ``out`` enters
    through the derivative (zero almost everywhere for relu)."""
    g, y, h = ins[0], ins[1], h[0]
    kind = attrs.act_type
    dg = F._internal._backward_Activation(h, y, act_type=kind)
    if kind == "relu":
        return [dg, None]
    if kind == "sigmoid":
        return [dg, h * g * (1 - 2 * y)]
    return [dg, h * g * y * -2]


@register("_backward_Activation", inputs=("grad", "output"),
          params={"act_type": Param("str", choices=tuple(_FROM_OUTPUT),
                                    doc="The activation whose gradient this is.")},
          infer_shape=lambda attrs, s: (s, [s[0] if s[0] is not None else s[1]]),
          infer_type=float_same_type("_backward_Activation"),
          gradient=_activation_backward_grad)
def _activation_backward(xp, attrs, grad, out):
    """Gradient of Activation (relu, sigmoid or tanh) from its output ``output``
    and the output gradient ``grad``, in one pass."""
    require_float("_backward_Activation", grad.dtype, "grad")
    if grad.shape != out.shape or grad.dtype != out.dtype:
        raise MXNetError(f"_backward_Activation: 'grad' must match 'output' ({out.shape}, "
                         f"{out.dtype}), got {grad.shape}, {grad.dtype}")
    return _FROM_OUTPUT[attrs.act_type](xp, grad, out).astype(grad.dtype, copy=False)


@register("Activation",
          params={"act_type": Param("str", choices=tuple(_ACTIVATIONS),
                                    doc="The activation function: relu, sigmoid, softrelu "
                                        "(log(1 + exp(x))), softsign (x / (1 + |x|)) or tanh.")},
          infer_shape=_same_shape_rule, infer_type=float_same_type("Activation"),
          gradient=_activation_grad)
@quiet  # softrelu of inf or nan is nan/inf without a warning, as in MXNet
def _activation(xp, attrs, data):
    """Apply the activation function ``act_type`` elementwise."""
    require_float("Activation", data.dtype)
    return _ACTIVATIONS[attrs.act_type](xp, data).astype(data.dtype, copy=False)


# -- LeakyReLU --------------------------------------------------------------------

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946
_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _prelu_gamma(op, xp, data, gamma):
    """``gamma`` shaped to broadcast against ``data``: one slope for all, or
    one per channel (axis 1)."""
    if gamma.size == 1:
        return gamma.reshape((1,) * data.ndim)
    channels = data.shape[1] if data.ndim > 1 else 1
    if gamma.ndim != 1 or gamma.shape[0] != channels:
        raise MXNetError(f"{op}: 'gamma' must have 1 element or shape ({channels},) (one slope "
                         f"per channel of data {data.shape}), got {gamma.shape}")
    return gamma.reshape((1, channels) + (1,) * (data.ndim - 2))


def _leaky_inputs(attrs, n):
    want = 2 if attrs.act_type == "prelu" else 1
    if n != want:
        raise MXNetError(f"LeakyReLU: act_type='{attrs.act_type}' takes {want} input"
                         f"{'s (data, gamma)' if want == 2 else ' (data)'}, got {n}")


def _leaky_shape(attrs, shapes):
    _leaky_inputs(attrs, len(shapes))
    data = shapes[0]
    out = [data, data] if attrs.act_type == "rrelu" else [data]
    if attrs.act_type != "prelu" or data is None:
        return shapes, out
    if shapes[1] is None:
        return [data, (data[1] if len(data) > 1 else 1,)], out
    size = int(np.prod(shapes[1]))
    channels = data[1] if len(data) > 1 else 1
    if size != 1 and tuple(shapes[1]) != (channels,):
        raise MXNetError(f"LeakyReLU: 'gamma' must have 1 element or shape ({channels},), "
                         f"got {tuple(shapes[1])} for data {tuple(data)}")
    return shapes, out


def _leaky_type(attrs, types):
    _leaky_inputs(attrs, len(types))
    ins, outs = float_same_type("LeakyReLU")(attrs, types)
    return ins, outs * (2 if attrs.act_type == "rrelu" else 1)


def _leaky_grad(F, attrs, ins, outs, g):
    x, y, gy = ins[0], outs[0], g[0]
    kind = attrs.act_type
    pos = x > 0
    if kind == "leaky":
        return [gy * (pos + (1 - pos) * attrs.slope)]
    if kind == "rrelu":
        return [gy * (pos + F.broadcast_mul(1 - pos, outs[1]))]
    if kind == "elu":
        return [gy * (pos + (1 - pos) * (y + attrs.slope))]
    if kind == "selu":
        # MXNet 1.9.1 uses lambda * (y + alpha) for x <= 0 where the derivative
        # is y + lambda * alpha; kept for compatibility (trained models rely on it).
        return [gy * (pos * _SELU_LAMBDA + (1 - pos) * ((y + _SELU_ALPHA) * _SELU_LAMBDA))]
    if kind == "gelu":
        cdf = 0.5 * (1 + F.erf(x * _SQRT_HALF))
        return [gy * (cdf + x * F.exp(-0.5 * F.square(x)) * _INV_SQRT_2PI)]
    gamma = ins[1]
    neg = 1 - pos
    if x.ndim > 1 and gamma.size > 1:
        slope = F.reshape(gamma, shape=(1, -1) + (1,) * (x.ndim - 2))
        ggamma = F.sum(gy * x * neg, axis=1, exclude=True)
    else:
        slope = F.reshape(gamma, shape=(1,) * x.ndim)
        ggamma = F.reshape_like(F.sum(gy * x * neg), gamma)
    return [gy * (pos + F.broadcast_mul(neg, slope)), ggamma]


@register("LeakyReLU", inputs=("data", "gamma"),
          active_inputs=lambda a: ("data", "gamma") if a.act_type == "prelu" else ("data",),
          params={"act_type": Param("str", "leaky", "Activation: leaky, prelu (learned slope "
                                    "'gamma'), rrelu (random slope in training), elu, selu "
                                    "or gelu.",
                                    choices=("elu", "gelu", "leaky", "prelu", "rrelu", "selu")),
                  "slope": Param("float", 0.25, "Slope of leaky, and the alpha of elu."),
                  "lower_bound": Param("float", 0.125, "Lower bound of the rrelu slope."),
                  "upper_bound": Param("float", 0.334, "Upper bound of the rrelu slope.")},
          num_outputs=lambda attrs: 2 if attrs.act_type == "rrelu" else 1,
          output_names=lambda attrs: ["output", "mask"] if attrs.act_type == "rrelu"
          else ["output"],
          infer_shape=_leaky_shape, infer_type=_leaky_type, gradient=_leaky_grad,
          resources=("rng", "is_train"))
def _leaky_relu(xp, attrs, data, gamma=None, rng=None, is_train=False):
    """Leaky rectifiers: x for x > 0, and otherwise slope * x (leaky), gamma * x
    with a learned per-channel gamma (prelu), a random slope in [lower_bound,
    upper_bound] while training and their mean otherwise (rrelu, which also
    returns the slopes as a second output), slope * (exp(x) - 1) (elu), or the
    scaled elu of self-normalising networks (selu). gelu is x * Phi(x) with the
    exact normal CDF."""
    _leaky_inputs(attrs, 1 if gamma is None else 2)
    require_float("LeakyReLU", data.dtype)
    kind = attrs.act_type
    dt = data.dtype.type
    pos = data > 0
    with np.errstate(over="ignore", invalid="ignore"):
        if kind == "leaky":
            out = xp.where(pos, data, data * dt(attrs.slope))
        elif kind == "prelu":
            if gamma.dtype != data.dtype:
                raise MXNetError(f"LeakyReLU: 'gamma' must have the dtype of data "
                                 f"({data.dtype}), got {gamma.dtype}")
            out = xp.where(pos, data, data * _prelu_gamma("LeakyReLU", xp, data, gamma))
        elif kind == "elu":
            out = xp.where(pos, data, xp.expm1(data) * dt(attrs.slope))
        elif kind == "selu":
            out = xp.where(pos, data, xp.expm1(data) * dt(_SELU_ALPHA)) * dt(_SELU_LAMBDA)
        elif kind == "gelu":
            erf = special_function(xp, "erf")
            out = data * (1 + erf(data * dt(_SQRT_HALF))) * dt(0.5)
        else:
            if is_train:
                draw = rng.uniform(attrs.lower_bound, attrs.upper_bound, size=data.shape)
                mask = xp.asarray(draw, dtype=data.dtype)
            else:
                mask = xp.full(data.shape, (attrs.lower_bound + attrs.upper_bound) / 2,
                               dtype=data.dtype)
            return xp.where(pos, data, data * mask), mask
    return out.astype(data.dtype, copy=False)


# -- softmax, log_softmax, softmin ------------------------------------------------

def _softmax_params(with_length):
    doc = ("Use the 'length' input: only the first length[i] entries along the axis "
           "take part, the rest of the output is 0." if with_length else
           "Not supported by this operator (it has no length input).")
    return {"axis": Param("int", -1, "The axis to normalise over."),
            "temperature": Param("float", None, "Divide the input by this before the "
                                 "exponential (None: 1)."),
            "dtype": Param("dtype", None, "Output dtype (None: the input dtype).",
                           choices=_FLOATS),
            "use_length": Param("bool", False, doc, optional=True)}


def _out_dtype(attrs, dtype):
    return attrs.dtype or np.dtype(dtype).name


def _softmax_shape(op):
    def infer(attrs, shapes):
        data = shapes[0]
        if data is None:
            return shapes, [None]
        axis = norm_axis(op, attrs.axis, len(data))
        if attrs.use_length:
            if len(shapes) != 2:
                raise MXNetError(f"{op}: use_length=True needs the 'length' input")
            want = tuple(data[:axis]) + tuple(data[axis + 1:])
            if shapes[1] is not None and tuple(shapes[1]) != want:
                raise MXNetError(f"{op}: 'length' must have the data shape without the axis, "
                                 f"{want}, got {tuple(shapes[1])}")
            return [data, want], [data]
        if len(shapes) != 1:
            raise MXNetError(f"{op}: the 'length' input is only used with use_length=True")
        return shapes, [data]
    return infer


def _softmax_type(op):
    def infer(attrs, types):
        if types[0] is None:
            return types, [attrs.dtype]
        require_float(op, types[0])
        if len(types) > 1 and types[1] is not None and np.dtype(types[1]).kind not in "iu":
            raise MXNetError(f"{op}: 'length' must be an integer array, got {types[1]}")
        return types, [_out_dtype(attrs, types[0])]
    return infer


_DTYPE_PAIRS = {}


def _normalise_dtypes(dtype, requested):
    """(output dtype, working dtype) of a softmax: float16 is accumulated in
    float32. Cached: numpy's dtype promotion and naming are slow."""
    key = (dtype, requested)
    pair = _DTYPE_PAIRS.get(key)
    if pair is None:
        out = np.dtype(requested or dtype)
        pair = _DTYPE_PAIRS[key] = (out, np.promote_types(np.promote_types(dtype, out),
                                                          np.float32))
    return pair


def _normalise(op, xp, attrs, data, length, kind):
    """softmax, log_softmax or softmin of ``data`` along ``attrs.axis``.

    float16 data is accumulated in float32 (MXNet's safe accumulation)."""
    require_float(op, data.dtype)
    axis = norm_axis(op, attrs.axis, data.ndim)
    out_dtype, work_dtype = _normalise_dtypes(data.dtype, attrs.dtype)
    x = data.astype(work_dtype, copy=False)  # only read below: new arrays come out
    if attrs.temperature is not None and attrs.temperature != 1:
        x = x / work_dtype.type(attrs.temperature)
    if kind == "softmin":
        x = -x
    mask = None
    if attrs.use_length:
        if length is None:
            raise MXNetError(f"{op}: use_length=True needs the 'length' input")
        want = data.shape[:axis] + data.shape[axis + 1:]
        if length.shape != want:
            raise MXNetError(f"{op}: 'length' must have the data shape without the axis, "
                             f"{want}, got {length.shape}")
        if length.dtype.kind not in "iu":
            raise MXNetError(f"{op}: 'length' must be an integer array, got {length.dtype}")
        positions = xp.arange(data.shape[axis]).reshape((-1,) + (1,) * (data.ndim - axis - 1))
        mask = positions < xp.expand_dims(length, axis)
        x = xp.where(mask, x, -xp.inf)
    elif length is not None:
        raise MXNetError(f"{op}: the 'length' input is only used with use_length=True")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        top = x.max(axis=axis, keepdims=True)
        top = xp.where(xp.isfinite(top), top, 0)  # rows of -inf (length 0) stay finite here
        shifted = x - top
        e = xp.exp(shifted)
        total = e.sum(axis=axis, keepdims=True)
        if kind == "log_softmax":
            out = shifted - xp.log(total)
        else:
            out = e / total
            if mask is not None:
                out = xp.where(mask, out, 0)
    return out.astype(out_dtype, copy=False)


def _softmax_grad(kind):
    def rule(F, attrs, ins, outs, g):
        x, y, g = ins[0], outs[0], g[0]
        if kind == "log_softmax":
            gx = F._internal._backward_log_softmax(g, y, axis=attrs.axis)
        else:
            gx = F._internal._backward_softmax(g, y, axis=attrs.axis)
            if kind == "softmin":
                gx = -gx
        if attrs.temperature is not None and attrs.temperature != 1:
            gx = gx / attrs.temperature
        if gx.dtype != x.dtype:
            gx = F.Cast(gx, dtype=np.dtype(x.dtype).name)
        return [gx] + [None] * (len(ins) - 1)
    return rule


def _softmax_backward_check(op, grad, out, axis):
    require_float(op, grad.dtype, "grad")
    if grad.shape != out.shape or grad.dtype != out.dtype:
        raise MXNetError(f"{op}: 'grad' must match 'output' ({out.shape}, {out.dtype}), "
                         f"got {grad.shape}, {grad.dtype}")
    return norm_axis(op, axis, out.ndim)


def _softmax_backward_rules(op):
    return dict(inputs=("grad", "output"),
                params={"axis": Param("int", -1, "The axis the forward op normalised over.")},
                infer_shape=lambda attrs, s: (s, [s[0] if s[0] is not None else s[1]]),
                infer_type=float_same_type(op))


def _log_softmax_backward_grad(F, attrs, ins, outs, h):
    # out = g - e * sum(g) with e = exp(y): linear in g, and e depends on y.
    g, y, h = ins[0], ins[1], h[0]
    he = h * F.exp(y)
    return [F.broadcast_sub(h, F.sum(he, axis=attrs.axis, keepdims=True)),
            -F.broadcast_mul(he, F.sum(g, axis=attrs.axis, keepdims=True))]


@register("_backward_log_softmax", gradient=_log_softmax_backward_grad,
          **_softmax_backward_rules("_backward_log_softmax"))
def _log_softmax_backward(xp, attrs, grad, out):
    """Gradient of log_softmax from its output: grad - exp(out) * sum(grad)
    along ``axis`` (float16 is computed in float32)."""
    axis = _softmax_backward_check("_backward_log_softmax", grad, out, attrs.axis)
    g, y = (grad, out) if grad.dtype != np.float16 else (grad.astype(np.float32),
                                                         out.astype(np.float32))
    with np.errstate(over="ignore", invalid="ignore"):
        res = xp.exp(y)
        res *= g.sum(axis=axis, keepdims=True)
        xp.subtract(g, res, out=res)
    return res.astype(grad.dtype, copy=False)


def _softmax_backward_grad(F, attrs, ins, outs, h):
    # out = y * (g - sum(g * y)): the same map applied to h, plus the y terms.
    g, y, h = ins[0], ins[1], h[0]
    axis = attrs.axis
    dg = F._internal._backward_softmax(h, y, axis=axis)
    dy = h * F.broadcast_sub(g, F.sum(g * y, axis=axis, keepdims=True)) \
        - F.broadcast_mul(g, F.sum(h * y, axis=axis, keepdims=True))
    return [dg, dy]


@register("_backward_softmax", gradient=_softmax_backward_grad,
          **_softmax_backward_rules("_backward_softmax"))
def _softmax_backward(xp, attrs, grad, out):
    """Gradient of softmax from its output: out * (grad - sum(grad * out))
    along ``axis`` (float16 is computed in float32)."""
    axis = _softmax_backward_check("_backward_softmax", grad, out, attrs.axis)
    g, y = (grad, out) if grad.dtype != np.float16 else (grad.astype(np.float32),
                                                         out.astype(np.float32))
    with np.errstate(over="ignore", invalid="ignore"):
        res = g * y
        total = res.sum(axis=axis, keepdims=True)
        xp.subtract(g, total, out=res)
        res *= y
    return res.astype(grad.dtype, copy=False)


@register("softmax", inputs=("data", "length"), params=_softmax_params(True),
          active_inputs=lambda a: ("data", "length") if a.use_length else ("data",),
          infer_shape=_softmax_shape("softmax"), infer_type=_softmax_type("softmax"),
          gradient=_softmax_grad("softmax"))
def _softmax(xp, attrs, data, length=None):
    """exp(x / temperature) normalised to sum 1 along ``axis``."""
    return _normalise("softmax", xp, attrs, data, length, "softmax")


@register("log_softmax", params=_softmax_params(False),
          infer_shape=_softmax_shape("log_softmax"), infer_type=_softmax_type("log_softmax"),
          gradient=_softmax_grad("log_softmax"))
def _log_softmax(xp, attrs, data):
    """The logarithm of softmax along ``axis``, computed stably."""
    return _normalise("log_softmax", xp, attrs, data, None, "log_softmax")


@register("softmin", params=_softmax_params(False),
          infer_shape=_softmax_shape("softmin"), infer_type=_softmax_type("softmin"),
          gradient=_softmax_grad("softmin"))
def _softmin(xp, attrs, data):
    """softmax of -x: small values get the large weights."""
    return _normalise("softmin", xp, attrs, data, None, "softmin")


def _softmax_activation_axis(attrs, ndim):
    if attrs.mode == "instance":
        return -1
    if ndim < 3:
        raise MXNetError(f"SoftmaxActivation: mode='channel' needs data with at least 3 "
                         f"dimensions (batch, channel, ...), got {ndim}")
    return 1


def _softmax_activation_shape(attrs, shapes):
    if shapes[0] is not None:
        _softmax_activation_axis(attrs, len(shapes[0]))
    return shapes, [shapes[0]]


def _softmax_activation_grad(F, attrs, ins, outs, g):
    y, g = outs[0], g[0]
    axis = _softmax_activation_axis(attrs, y.ndim)
    return [y * F.broadcast_sub(g, F.sum(g * y, axis=axis, keepdims=True))]


@register("SoftmaxActivation",
          params={"mode": Param("str", "instance", "instance: softmax over the last axis of "
                                "each instance; channel: softmax over axis 1 at each position.",
                                choices=("channel", "instance"))},
          infer_shape=_softmax_activation_shape,
          infer_type=float_same_type("SoftmaxActivation"), gradient=_softmax_activation_grad)
def _softmax_activation(xp, attrs, data):
    """Softmax over the last axis (instance mode) or the channel axis 1 (channel
    mode); deprecated in MXNet in favour of ``softmax``."""
    axis = _softmax_activation_axis(attrs, data.ndim)
    call = dict(axis=axis, temperature=None, dtype=None, use_length=False)
    return _normalise("SoftmaxActivation", xp, Attrs(call), data, None, "softmax")


# -- Dropout ----------------------------------------------------------------------

def _dropout_mask_shape(op, attrs, shape):
    shape = list(shape)
    for a in attrs.axes:
        shape[norm_axis(op, a, len(shape), name="axes")] = 1
    return tuple(shape)


def _dropout_shape(attrs, shapes):
    data = shapes[0]
    if data is None:
        return shapes, [None, None]
    return shapes, [data, _dropout_mask_shape("Dropout", attrs, data)]


def _dropout_type(attrs, types):
    ins, outs = float_same_type("Dropout")(attrs, types)
    return ins, outs * 2


def _dropout_grad(F, attrs, ins, outs, g):
    return [F.broadcast_mul(g[0], outs[1])]


@register("Dropout",
          params={"p": Param("float", 0.5, "Fraction of the input dropped (0 to 1)."),
                  "mode": Param("str", "training", "training: drop only in training mode; "
                                "always: drop in inference too.", choices=("always", "training")),
                  "axes": Param("shape", (), "Axes along which one decision is shared "
                                "(variational dropout)."),
                  "cudnn_off": Param("bool", False, "Ignored (no cuDNN here).", optional=True)},
          num_outputs=2, visible_outputs=lambda attrs: 1, output_names=("output", "mask"),
          infer_shape=_dropout_shape, infer_type=_dropout_type, gradient=_dropout_grad,
          resources=("rng", "is_train"))
def _dropout(xp, attrs, data, rng=None, is_train=False):
    """Zero each element with probability ``p`` and scale the kept ones by
    1 / (1 - p), so the expected value is unchanged; the identity when not
    training (unless mode='always'). The hidden second output is the scale
    applied (0 or 1 / (1 - p)), with size 1 along ``axes``."""
    require_float("Dropout", data.dtype)
    if not 0 <= attrs.p <= 1:
        raise MXNetError(f"Dropout: argument 'p' must be in [0, 1], got {attrs.p}")
    shape = _dropout_mask_shape("Dropout", attrs, data.shape)
    if not (is_train or attrs.mode == "always") or attrs.p == 0:
        return data.copy(), xp.ones(shape, dtype=data.dtype)
    keep = xp.asarray(rng.random(size=shape) >= attrs.p)
    with np.errstate(divide="ignore", invalid="ignore"):
        # p = 1 gives 0 * inf = nan, as in MXNet.
        mask = keep.astype(data.dtype) * data.dtype.type(1 / (1 - attrs.p) if attrs.p < 1
                                                          else np.inf)
        return data * mask, mask
