"""The fused inference operators of the folding pass on oneDNN post-ops.

``_sg_mkldnn_conv`` becomes one convolution primitive: the batch norm is
folded into the weights and bias, and the weights are reordered into the
primitive's layout, once per parameter version when the graph passes the
parameters' vars (``nn_fused.derived``); the activation, the
residual ``sum`` and the post-sum activation run as post-ops while the
output is still in cache, instead of as passes over it afterwards.
``_sg_mkldnn_fully_connected`` is one inner product with its activation as
a post-op. Post-ops oneDNN lacks (softsign) use the NumPy kernel.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...ops import nn_fused, registry
from ...ops.nn_conv import Geometry
from . import library as L
from . import replay
from .conv import _channels_first, _split_groups, forward_primitive
from .dense import inner_product_primitive, run_inner_product
from .overrides import all_float32, big_enough_product, contiguous, fallback, override
from .primitive import Blocked, empty, plain

# Post-op kind -> oneDNN eltwise algorithm; ``alpha``/``beta`` come from the
# node (clip's bounds, leaky and elu's slope), soft_relu takes alpha 1.
# Exact gelu, as LeakyReLU(act_type='gelu') and MXNet's own oneDNN build use.
_ELTWISE = {"relu": L.ELTWISE_RELU, "tanh": L.ELTWISE_TANH, "sigmoid": L.ELTWISE_LOGISTIC,
            "softrelu": L.ELTWISE_SOFT_RELU, "clip": L.ELTWISE_CLIP, "leaky": L.ELTWISE_RELU,
            "elu": L.ELTWISE_ELU, "gelu": L.ELTWISE_GELU_ERF, "square": L.ELTWISE_SQUARE,
            "sqrt": L.ELTWISE_SQRT, "abs": L.ELTWISE_ABS, "exp": L.ELTWISE_EXP}


def _folded(attrs, param, weight, rest, const_vars):
    """(weight, bias) with the batch norm folded in, as C-contiguous float32
    arrays. ``weight`` is the kernel's weight input ``param`` or a view of it
    with the output channels first; the result is kept with ``param`` while
    the parameters are unchanged (``nn_fused.derived``)."""
    def fold():
        scale, shift = nn_fused._bn_scale_shift(np, attrs, nn_fused._split(attrs, rest),
                                                np.float32)
        scaled = weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
        return np.ascontiguousarray(scaled, np.float32), np.ascontiguousarray(shift, np.float32)

    if not attrs.with_bn:  # nothing to fold: the arrays as given
        bias = None if attrs.no_bias else np.ascontiguousarray(rest[0], np.float32)
        return np.ascontiguousarray(weight, np.float32), bias
    return nn_fused.derived(param, nn_fused.constants(attrs, param, rest), const_vars,
                            ("onednn", nn_fused.fold_key(attrs)), fold)


def _run(prim, x, w, b, y, weight, attrs, rest, const_vars, keep_out=False):
    """Run ``prim`` with the (folded) weight ``w`` reordered once into the
    primitive's layout and kept, like the fold, with the parameter ``weight``.
    Returns ``(dst, weights)``: the ``Blocked`` destination when ``keep_out``
    left it blocked, else None; and the weights as bound (``w`` or its
    packed copy)."""
    packed = nn_fused.derived(weight, nn_fused.constants(attrs, weight, rest), const_vars,
                              ("onednn-packed", prim, nn_fused.fold_key(attrs)),
                              lambda: prim.pack(L.ARG_WEIGHTS, w))
    args = {L.ARG_SRC: x, L.ARG_WEIGHTS: w if packed is None else packed, L.ARG_DST: y}
    if b is not None:
        args[L.ARG_BIAS] = b
    kept = prim(args, packed=() if packed is None else (L.ARG_WEIGHTS,),
                keep=(L.ARG_DST,) if keep_out else ())
    return kept.get(L.ARG_DST), args[L.ARG_WEIGHTS]


def _eltwise(attrs, prefix):
    kind, alpha, beta = nn_fused.post_op_params(attrs, prefix)
    return ("eltwise", _ELTWISE[kind], 1.0 if kind == "softrelu" else alpha, beta)


def _chain(attrs, activation_flag):
    post = []
    if attrs.get(activation_flag):
        post.append(_eltwise(attrs, "act"))
    if attrs.get("with_sum"):
        # y + y is 2 * y, exactly: a linear post-op instead of a second input.
        post.append(("eltwise", L.ELTWISE_LINEAR, 2.0, 0.0) if attrs.self_sum else ("sum",))
        if attrs.with_postsum_act:
            post.append(_eltwise(attrs, "postsum_act"))
    return tuple(post)


def _post_op_supported(attrs, prefix):
    """oneDNN has the post-op (a clip whose a_min exceeds a_max keeps MXNet's
    rule, a_max for what is above it and a_min for the rest, on NumPy)."""
    kind, alpha, beta = nn_fused.post_op_params(attrs, prefix)
    return kind in _ELTWISE and (kind != "clip" or alpha <= beta)


def _acts_supported(attrs, activation_flag):
    return (not attrs.get(activation_flag) or _post_op_supported(attrs, "act")) and \
        (not attrs.get("with_postsum_act") or _post_op_supported(attrs, "postsum_act"))


def _conv_supports(attrs, args):
    return 3 <= args[0].ndim <= 5 and all_float32(args) \
        and big_enough_product(args[0], attrs.num_filter) and _acts_supported(attrs, "with_act")


def _conv_blocked_inputs(attrs, n_inputs):
    """The data and the residual ``sum`` may come blocked (channels-first layouts)."""
    if attrs.layout not in (None, "NCW", "NCHW", "NCDHW"):
        return ()
    return (0, n_inputs - 1) if nn_fused.has_sum_input(attrs) else (0,)


def _conv_reusable_inputs(attrs, n_inputs):
    """The ``sum`` input: the convolution adds into it, so it can be the output."""
    return (n_inputs - 1,) if nn_fused.has_sum_input(attrs) else ()


# (id(attrs), data shape, weight shape) -> (attrs, Geometry, output shape,
# post-ops, stand-in for the plain output): what a call derives from its
# parameters and shapes alone, worked out once per compiled step. The shapes
# are part of the key because layers with equal parameters share one parsed
# ``attrs`` (AlexNet's last two convolutions): keyed by ``attrs`` alone they
# evicted each other and every call rebuilt its plan.
_call_plans = {}


def _call_plan(attrs, data, weight):
    key = (id(attrs), data.shape, weight.shape)
    entry = _call_plans.get(key)
    if entry is None or entry[0] is not attrs:
        g = Geometry("Convolution", attrs, data.ndim)
        op = registry.get("Convolution")
        conv_attrs = op.parse(nn_fused._own_params(attrs, "Convolution", no_bias=True))
        out_shape = op.infer_shape(conv_attrs, [data.shape, weight.shape])[1][0]
        # The plain output's shape and strides over one element: all the
        # primitive's key and descriptor need, and never written.
        strides, step = [], 4
        for n in reversed(out_shape):
            strides.append(step)
            step *= n
        standin = as_strided(np.zeros(1, np.float32), out_shape, tuple(reversed(strides)),
                             writeable=False)
        entry = (attrs, g, out_shape, _chain(attrs, "with_act"), _channels_first(g, standin))
        if len(_call_plans) >= 4096:
            _call_plans.clear()
        _call_plans[key] = entry
    return entry[1:]


@override("_sg_mkldnn_conv", _conv_supports, blocked_inputs=_conv_blocked_inputs,
          reusable_inputs=_conv_reusable_inputs)
def _sg_conv(xp, attrs, data, weight, *rest, const_vars=None, keep_out=False, donated=()):
    """Convolution + folded batch norm + activation + sum as one oneDNN primitive.
    ``data`` and the ``sum`` input may be ``Blocked``; with ``keep_out`` the
    result stays in the primitive's layout when that is not the plain one,
    written over a ``Blocked`` sum input that is ``donated``."""
    summand = rest[-1] if nn_fused.has_sum_input(attrs) else None
    # Replayed: calls with the output new or written over a donated Blocked summand.
    into = summand is not None and type(summand) is Blocked and len(rest) + 1 in donated
    holder = None
    if const_vars is not None and (summand is None or into) \
            and attrs.layout in (None, "NCW", "NCHW", "NCDHW"):
        holder = replay.slot(attrs, data, weight, nn_fused.constants(attrs, weight, rest),
                             const_vars, (keep_out, into and summand.layout))
        if holder[0]:
            out = holder[0](attrs, data, summand)
            if out is not None:
                return out
    g, out_shape, post, standin = _call_plan(attrs, data, weight)
    w_cf, b = _folded(attrs, weight, _channels_first(g, contiguous(weight)), rest, const_vars)
    x = data if type(data) is Blocked else _channels_first(g, contiguous(data))
    w = _split_groups(w_cf, attrs.num_group)
    prim = forward_primitive("convolution", x, w, b, standin, g, post=post)
    if prim is None:
        return fallback("_sg_mkldnn_conv", xp, attrs, (data, weight) + rest,
                        {"const_vars": const_vars}, "has no convolution with these post-ops")
    blocked_out = keep_out and prim.blocks(L.ARG_DST) is not None
    if blocked_out and (summand is None or type(summand) is Blocked):
        out, dst = None, standin  # the result goes to a Blocked tensor
    else:
        out = empty(out_shape)
        dst = _channels_first(g, out)
    if summand is not None:
        if out is None:
            # The sum post-op adds into the destination: a copy of the input,
            # or the input itself when nothing reads it after this call.
            dst = summand.to(prim.blocks(L.ARG_DST))
            if len(rest) + 1 in donated:
                dst.forget_conversions()
            else:
                dst = dst.copy()
        else:
            dst[...] = _channels_first(g, plain(summand))
    kept, weights = _run(prim, x, w, b, dst, weight, attrs, rest, const_vars, keep_out)
    result = out if kept is None else kept
    if holder is not None and x is data and (holder[0] is None or holder[0] and
                                             holder[0].attrs is not attrs):
        others = {L.ARG_WEIGHTS: ("plain" if weights is w else "packed", weights)}
        if b is not None:
            others[L.ARG_BIAS] = ("plain", b)
        # False: calls of this kind need reorders (or a copy of the summand)
        # and are not replayed
        recorded = None
        if summand is None or result is summand:
            recorded = replay.Replay.record(attrs, prim, x, result, others, weight, out_shape,
                                            into=summand is not None)
        holder[0] = recorded or False
    return result


def _fc_supports(attrs, args):
    return args[0].ndim >= 1 and all_float32(args) \
        and big_enough_product(args[0], attrs.num_hidden) and _acts_supported(attrs, "with_eltwise")


# From this many rows on, the inner product runs on weights reordered once into
# oneDNN's blocked layout (its brgemm kernels): 2x less CPU than the GEMM on
# plain weights at 8 rows, and that GEMM stopped scaling with threads (16 rows,
# 9216 -> 4096: 36 ms on 1 thread, 113 ms of CPU on 2). Below it, a row is a
# matrix-vector product that plain weights serve best (measured on 2 vCPUs).
PACKED_MIN_ROWS = 4


@override("_sg_mkldnn_fully_connected", _fc_supports)
def _sg_fully_connected(xp, attrs, data, weight, *rest, const_vars=None):
    """FullyConnected + folded batch norm + activation as one inner product.
    With several rows and parameters known constant (``const_vars``) the
    weights are reordered once into oneDNN's layout and kept like the fold."""
    w, b = _folded(attrs, weight, weight, rest, const_vars)
    features = w.shape[1]
    x = np.ascontiguousarray(data).reshape(-1, features) if attrs.flatten or data.ndim <= 2 \
        else np.ascontiguousarray(data).reshape(-1, data.shape[-1])
    out_shape = (data.shape[0], w.shape[0]) if attrs.flatten else data.shape[:-1] + (w.shape[0],)
    out = empty(out_shape)
    y = out.reshape(x.shape[0], w.shape[0])
    post = _chain(attrs, "with_eltwise")
    if const_vars is not None and x.shape[0] >= PACKED_MIN_ROWS:
        prim = inner_product_primitive(x, w, b, y, post, packed=True)
        if prim is not None:
            _run(prim, x, w, b, y, weight, attrs, rest, const_vars)
            return out
    elif run_inner_product(x, w, b, y, post):
        return out
    return fallback("_sg_mkldnn_fully_connected", xp, attrs, (data, weight) + rest,
                    {"const_vars": const_vars}, "has no inner product with these post-ops")
