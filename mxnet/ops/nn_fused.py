"""Fused inference operators that the folding pass (``mxnet.graph.fold``) and
``Symbol.optimize_for('MKLDNN')`` rewrite graphs into, named as in MXNet's
oneDNN subgraph backend.

``_sg_mkldnn_conv(data, weight[, bias][, gamma, beta, moving_mean, moving_var][, sum])``
    Convolution, then (``with_bn``) BatchNorm with the moving statistics
    folded in, then (``with_act``) the activation ``act_type``, then
    (``with_sum``) ``+ sum``, then (``with_postsum_act``) the activation
    ``postsum_act_type``. Attributes: every Convolution parameter (kernel,
    stride, dilate, pad, num_filter, num_group, no_bias, layout, ...), the
    flags with_bn, with_act, with_sum, with_postsum_act (MXNet's names), the
    BatchNorm ``eps`` and ``fix_gamma``, and ``act_type`` /
    ``postsum_act_type`` (one of ``POST_OPS``) with their ``*_alpha`` /
    ``*_beta`` (clip's bounds, the slope of leaky and elu). ``self_sum``
    marks MXNet's ``y + y``: the sum adds the result to itself and there is
    no ``sum`` input. Kernel: ``compute(xp, attrs, data, weight, *rest)``;
    ``rest`` holds the optional inputs in the order above (``fused_inputs``
    splits it).

``_sg_mkldnn_fully_connected(data, weight[, bias][, gamma, beta, moving_mean, moving_var])``
    FullyConnected, then (``with_bn``, an extension: MXNet fuses only the
    activation) BatchNorm over the last axis, then (``with_eltwise``, MXNet's
    name) the post-op ``act_type``. Attributes: every FullyConnected
    parameter plus with_bn, eps, fix_gamma, with_eltwise, act_type,
    act_alpha, act_beta.

MXNet stores the fused structure as a nested subgraph; here it is plain
attributes, so the nodes serialise with ``tojson`` like any other. The
batch norm is folded into a scale (on the weight or on the output,
whichever is smaller) and one shift; everything after the product runs in
place on the output. These ops are for inference only and have no gradient.

Folding (and the oneDNN kernel's reorder of the weight into its blocked
layout) is work on the parameters alone. A compiled graph passes the kernel
``const_vars``, the engine vars of the weight, bias and batch-norm inputs;
the kernels then keep that work in ``derived`` under the weight array and
the vars' write versions, so it is redone only after a parameter is written
(a Trainer step, ``set_data``, ``w[:] = ...``, a kvstore pull). Called
without vars (imperatively) they fold at every call.
"""
import threading
import weakref

import numpy as np

from ..base import MXNetError
from .nn_conv import conv_params, uniform_type
from .nn_dense import _FC_PARAMS
from .params import Param
from .registry import get, register, run_host_op

ACTIVATIONS = ("relu", "sigmoid", "tanh", "softrelu", "softsign")
# What a fused node can apply after its product or sum: the Activation types,
# clip (alpha, beta = a_min, a_max), LeakyReLU's leaky / elu (alpha = slope)
# and gelu, and the unary operators MXNet folds into an inner product.
POST_OPS = ACTIVATIONS + ("clip", "leaky", "elu", "gelu", "square", "sqrt", "abs", "exp")
_UNARY = {"square": "square", "sqrt": "sqrt", "abs": "absolute", "exp": "exp"}
_BN_NAMES = ("gamma", "beta", "moving_mean", "moving_var")


def apply_post_op(xp, out, kind, alpha=0.0, beta=0.0):
    """Apply post-op ``kind`` (one of ``POST_OPS``) with its ``alpha`` and
    ``beta`` to the float array ``out`` in place, with the arithmetic of the
    operator it stands for."""
    if kind in ACTIVATIONS:
        return apply_activation(xp, kind, out)
    if kind in _UNARY:
        with np.errstate(invalid="ignore", over="ignore"):
            getattr(xp, _UNARY[kind])(out, out=out)
    elif kind == "clip":
        out[...] = run_host_op("clip", xp, {"a_min": alpha, "a_max": beta}, out)
    else:  # LeakyReLU: slope is only read by leaky and elu
        out[...] = run_host_op("LeakyReLU", xp, {"act_type": kind, "slope": alpha}, out)
    return out


def post_op_params(attrs, prefix):
    """(kind, alpha, beta) of the post-op ``prefix`` ('act' or 'postsum_act')."""
    return attrs[prefix + "_type"], attrs[prefix + "_alpha"], attrs[prefix + "_beta"]


def has_sum_input(attrs):
    """Whether the fused call takes a ``sum`` input (a sum that is not ``y + y``)."""
    return bool(attrs.get("with_sum")) and not attrs.get("self_sum")


def apply_activation(xp, kind, out):
    """Apply activation ``kind`` to the float array ``out`` in place (same
    arithmetic as the Activation kernels)."""
    if kind == "relu":
        xp.maximum(out, out.dtype.type(0), out=out)
    elif kind == "sigmoid":
        xp.negative(out, out=out)
        xp.exp(out, out=out)
        out += 1
        xp.divide(1, out, out=out)
    elif kind == "tanh":
        xp.tanh(out, out=out)
    elif kind == "softrelu":
        xp.logaddexp(out.dtype.type(0), out, out=out)
    else:  # softsign: x / (1 + |x|) needs x and the denominator at once
        xp.divide(out, xp.abs(out) + 1, out=out)
    return out


def fused_inputs(attrs, n_extra):
    """Names of the optional inputs after (data, weight) for ``attrs``."""
    names = [] if attrs.no_bias else ["bias"]
    if attrs.with_bn:
        names += list(_BN_NAMES)
    if has_sum_input(attrs):
        names.append("sum")
    if n_extra is not None and n_extra != len(names):
        raise MXNetError(f"fused operator: expects inputs (data, weight, {', '.join(names)}) for "
                         f"its attributes, got {n_extra + 2} inputs")
    return names


def _fused_aux(attrs):
    """The folded batch norm's moving statistics are aux states, as in MXNet
    (``list_auxiliary_states`` lists them; ``bind`` takes them as aux_states)."""
    return ("moving_mean", "moving_var") if attrs.with_bn else ()


def _split(attrs, rest):
    return dict(zip(fused_inputs(attrs, len(rest)), rest))


def _bn_scale_shift(xp, attrs, parts, dtype):
    """(scale, shift) per channel such that bn(y + bias) == y * scale + shift,
    or (None, bias) without batch norm."""
    bias = parts.get("bias")
    if not attrs.with_bn:
        return None, bias
    invstd = 1.0 / xp.sqrt(parts["moving_var"] + attrs.eps)
    scale = invstd if attrs.fix_gamma else parts["gamma"] * invstd
    shift = parts["beta"] - parts["moving_mean"] * scale
    if bias is not None:
        shift = shift + bias * scale
    return scale.astype(dtype, copy=False), shift.astype(dtype, copy=False)


def constant_positions(attrs, n_inputs):
    """Positions of a fused call's parameter inputs (weight, bias, batch-norm
    arrays): every input but the data and the residual ``sum``."""
    names = fused_inputs(attrs, n_inputs - 2)
    return (1,) + tuple(i + 2 for i, name in enumerate(names) if name != "sum")


class _Derived:
    """What kernels derived from one weight array: ``items`` by key, valid
    while the parameter inputs keep ``stamp`` (their identities and versions)."""
    __slots__ = ("ref", "stamp", "items")

    def __init__(self, ref):
        self.ref = ref
        self.stamp = None
        self.items = {}


_MAX_ITEMS = 8  # per weight: a few primitives (batch sizes) and folds at most
_derived = {}   # id(weight array) -> _Derived; entries leave with their array
# Re-entrant: a weak reference's callback may run (garbage collection) while
# this thread holds the lock.
_derived_lock = threading.RLock()


def _forget(key, ref):
    with _derived_lock:
        entry = _derived.get(key)
        if entry is not None and entry.ref is ref:
            del _derived[key]


def derived(weight, consts, const_vars, key, build):
    """``build()``, kept for ``key`` with ``weight`` (a backing array) while
    every array of ``consts`` (the parameter inputs, weight included) is the
    same object under the same engine var at the same write version.
    ``const_vars`` (one per ``consts`` entry) is None when the caller does
    not know the vars: then nothing is kept. What ``build`` returns must not
    hold ``weight`` or a view of it, or the entry would keep it alive."""
    if const_vars is None:
        return build()
    stamp = tuple((id(a), v, v.version) for a, v in zip(consts, const_vars))
    key_w = id(weight)
    with _derived_lock:
        entry = _derived.get(key_w)
        if entry is None or entry.ref() is not weight:
            try:
                ref = weakref.ref(weight, lambda r, k=key_w: _forget(k, r))
            except TypeError:  # an array type without weak references: keep nothing
                return build()
            entry = _derived[key_w] = _Derived(ref)
        if entry.stamp != stamp:
            entry.stamp, entry.items = stamp, {}
        value = entry.items.get(key)
    if value is None:
        value = build()
        with _derived_lock:
            if entry.stamp == stamp:
                if len(entry.items) >= _MAX_ITEMS:
                    entry.items.pop(next(iter(entry.items)))
                entry.items[key] = value
    return value


def fold_key(attrs):
    """The attributes a folded weight depends on (part of ``derived`` keys)."""
    return (attrs.no_bias, attrs.with_bn, attrs.eps, attrs.fix_gamma,
            attrs.get("layout"), attrs.get("num_group"))


def _own_params(attrs, op_name, **overrides):
    params = {k: v for k, v in attrs.items() if k in get(op_name).params}
    params.update(overrides)
    return params


def constants(attrs, weight, rest):
    """The parameter inputs of a fused call (weight first), in the order of
    ``constant_positions``."""
    return (weight,) + tuple(a for a, name in zip(rest, fused_inputs(attrs, len(rest)))
                             if name != "sum")


def _product_then_post_ops(xp, attrs, op_name, data, weight, rest, channel_axis, const_vars):
    """The conv/dense product with the folded batch norm and bias."""
    parts = _split(attrs, rest)
    if not attrs.with_bn:  # the product op adds the bias itself
        return run_host_op(op_name, xp, _own_params(attrs, op_name), data, weight,
                     *([] if attrs.no_bias else [parts["bias"]]))
    params = _own_params(attrs, op_name, no_bias=True)
    op = get(op_name)
    out_shape = op.infer_shape(op.parse(params), [data.shape, weight.shape])[1][0]
    # Scaling the weight costs one product per weight, scaling the output one
    # per output element: take the cheaper side.
    prescale = weight.size <= int(np.prod(out_shape))

    def fold():
        # Never the weight itself: what is kept must not keep the weight alive.
        scale, shift = _bn_scale_shift(xp, attrs, parts, data.dtype)
        if prescale:
            return None, shift, weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
        return scale, shift, None

    scale, shift, scaled = derived(weight, constants(attrs, weight, rest), const_vars,
                                   ("numpy", fold_key(attrs), prescale, data.dtype), fold)
    out = run_host_op(op_name, xp, params, data, weight if scaled is None else scaled)
    bshape = [1] * out.ndim
    bshape[channel_axis] = -1
    if scale is not None:
        out *= scale.reshape(bshape)
    out += shift.reshape(bshape)
    return out


def _conv_channel_axis(attrs):
    return -1 if attrs.layout in ("NWC", "NHWC", "NDHWC") else 1


def _fused_shape_rule(base_rule, channels_of):
    """Shape rule: the base op's rule on (data, weight[, bias]), per-channel
    shapes for the batch-norm inputs and the output shape for ``sum``. The base
    rule also sees the known output shapes (FullyConnected learns a batch size)."""
    def infer(attrs, shapes, out_shapes=None):
        names = fused_inputs(attrs, len(shapes) - 2)
        n_base = 2 + (not attrs.no_bias)
        base_ins, outs = base_rule(attrs, shapes[:n_base], out_shapes)
        out = outs[0]
        ins = list(base_ins)
        for name, given in zip(names[n_base - 2:], shapes[n_base:]):
            want = out if name == "sum" else (None if out is None else (channels_of(attrs, out),))
            if given is not None and want is not None and tuple(given) != tuple(want):
                raise MXNetError(f"fused operator: input '{name}' has shape {tuple(given)}, "
                                 f"expected {tuple(want)}")
            ins.append(given if want is None else tuple(want))
        if out is None and "sum" in names and shapes[-1] is not None:
            out = tuple(shapes[-1])
        return ins, [out]
    infer.uses_outputs = True
    return infer


def _fused_type_rule(base_name):
    base = uniform_type(base_name)

    def infer(attrs, types):
        n_base = 2 + (not attrs.no_bias)
        ins, outs = base(attrs, types[:n_base] + [t for t in types[n_base:] if t is not None])
        dtype = outs[0]
        return [dtype] * len(types), [dtype]
    return infer


def _post_op_params(prefix, where):
    return {
        prefix + "_type": Param("str", "relu", choices=POST_OPS, doc=f"Post-op {where}."),
        prefix + "_alpha": Param("float", 0.0, doc="Its first parameter (clip's a_min, "
                                                   "the slope of leaky and elu)."),
        prefix + "_beta": Param("float", 0.0, doc="Its second parameter (clip's a_max)."),
    }


def _act_params():
    return {
        **_post_op_params("act", "after the product (and batch norm)"),
        "with_bn": Param("bool", False, doc="Fold a BatchNorm (moving statistics) in."),
        "eps": Param("float", float(np.float32(1e-3)), doc="The folded BatchNorm's eps."),
        "fix_gamma": Param("bool", True, doc="The folded BatchNorm ignores gamma (uses 1)."),
    }


def _conv_fused_params():
    params = conv_params(1024, False, (None, "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC"))
    params.update(_act_params())
    params.update({
        "with_act": Param("bool", False, doc="Apply act_type after the batch norm."),
        "with_sum": Param("bool", False, doc="Add the last input to the result."),
        "self_sum": Param("bool", False, doc="The sum adds the result to itself (y + y)."),
        "with_postsum_act": Param("bool", False, doc="Apply postsum_act_type after the sum."),
    })
    params.update(_post_op_params("postsum_act", "after the sum"))
    return params


def _conv_base_shape(attrs, shapes, out_shapes=None):
    return get("Convolution").infer_shape(attrs, shapes)


@register("_sg_mkldnn_conv", inputs=("data", "weight", "bias") + _BN_NAMES + ("sum",),
          active_inputs=lambda a: ["data", "weight"] + fused_inputs(a, None), aux=_fused_aux,
          params=_conv_fused_params(),
          infer_shape=_fused_shape_rule(_conv_base_shape, lambda a, out: a.num_filter),
          infer_type=_fused_type_rule("_sg_mkldnn_conv"))
def _sg_conv(xp, attrs, data, weight, *rest, const_vars=None):
    """Convolution with folded batch norm, activation, residual sum and
    post-sum activation, for inference (see the module docstring)."""
    out = _product_then_post_ops(xp, attrs, "Convolution", data, weight, rest,
                                 _conv_channel_axis(attrs), const_vars)
    if attrs.with_act:
        apply_post_op(xp, out, *post_op_params(attrs, "act"))
    if attrs.with_sum:
        out += out if attrs.self_sum else rest[-1]
        if attrs.with_postsum_act:
            apply_post_op(xp, out, *post_op_params(attrs, "postsum_act"))
    return out


def _fc_fused_params():
    params = dict(_FC_PARAMS)
    params.update(_act_params())
    params["with_eltwise"] = Param("bool", False, doc="Apply act_type after the product.")
    return params


@register("_sg_mkldnn_fully_connected", inputs=("data", "weight", "bias") + _BN_NAMES,
          active_inputs=lambda a: ["data", "weight"] + fused_inputs(a, None), aux=_fused_aux,
          params=_fc_fused_params(),
          infer_shape=_fused_shape_rule(lambda a, s, o: get("FullyConnected").infer_shape(a, s, o),
                                        lambda a, out: a.num_hidden),
          infer_type=_fused_type_rule("_sg_mkldnn_fully_connected"))
def _sg_fully_connected(xp, attrs, data, weight, *rest, const_vars=None):
    """FullyConnected with folded batch norm (over the output's last axis) and
    activation, for inference (see the module docstring)."""
    out = _product_then_post_ops(xp, attrs, "FullyConnected", data, weight, rest, -1,
                                 const_vars)
    if attrs.with_eltwise:
        apply_post_op(xp, out, *post_op_params(attrs, "act"))
    return out
