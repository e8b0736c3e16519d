"""Elementwise activations and softmax on oneDNN.

Activation (relu, sigmoid, tanh), LeakyReLU (leaky, elu, gelu)
and softmax / log_softmax over any axis (without temperature, lengths or a
different output dtype). The other modes fall back to the NumPy kernels;
softrelu among them, since oneDNN's soft_relu loses relative accuracy for
negative inputs (even turning negative below about -15).

Inside compiled training programs relu and tanh (which keep zero at zero,
so the padding of a blocked layout stays zero) and their gradients take
and give tensors in oneDNN's blocked layouts (``LayoutKernel``).
"""
import numpy as np

from ...ops import registry
from ...ops.shape import norm_axis
from . import library as L
from .. import register_layout_kernel
from .overrides import LayoutKernel, all_float32, big_enough, fallback, override
from .primitive import (Blocked, Primitive, blocked_from, cache, create_pd, empty, layout,
                        plain, strided_md)

# MXNet activation -> oneDNN algorithm.
_ACTIVATION = {"relu": L.ELTWISE_RELU, "sigmoid": L.ELTWISE_LOGISTIC, "tanh": L.ELTWISE_TANH}
_LEAKY = {"leaky": L.ELTWISE_RELU, "elu": L.ELTWISE_ELU, "gelu": L.ELTWISE_GELU_ERF}


def _unary(key, make_pd, data):
    """Run a primitive mapping a C-ordered copy of ``data`` to a fresh array, or
    return None when oneDNN has no implementation."""
    x = np.ascontiguousarray(data)
    out = np.empty(x.shape, np.float32)

    def build():
        md = strided_md(*layout(x))
        return Primitive(make_pd(md), {L.ARG_SRC: md, L.ARG_DST: md}, outputs=(L.ARG_DST,))
    prim = cache.get(key + (x.shape,), build)
    if prim is None:
        return None
    prim({L.ARG_SRC: x, L.ARG_DST: out})
    return out


def _eltwise(alg, alpha, data):
    return _unary(("eltwise", alg, alpha), lambda md: create_pd(
        "eltwise_forward", L.FORWARD_INFERENCE, alg, md, md, alpha, 0.0, None), data)


# Activations mapping 0 to 0, which may run on blocked tensors.
_ZERO_KEEPING = ("relu", "tanh")


def _zero_keeping_input(attrs, n_inputs):
    return (0,) if attrs.act_type in _ZERO_KEEPING else ()


def _blocked_eltwise(alg, data):
    """``data`` (``Blocked``) through the eltwise primitive in its own layout:
    a ``Blocked`` result of that layout, or None without an implementation."""
    held = data.layout

    def build():
        pd = create_pd("eltwise_forward", L.FORWARD_INFERENCE, alg, held.md, held.md, 0.0, 0.0,
                       None)
        return Primitive(pd, {L.ARG_SRC: held.md, L.ARG_DST: held.md}, outputs=(L.ARG_DST,),
                         blocked=(L.ARG_SRC,))
    prim = cache.get(("eltwise_blocked", alg, held), build)
    if prim is None:
        return None
    buf = empty((held.nbytes // 4,)).view(np.uint8)
    prim({L.ARG_SRC: data, L.ARG_DST: buf})
    return Blocked(buf, held, data.shape)


@override("Activation", lambda attrs, args: attrs.act_type in _ACTIVATION
          and all_float32(args) and (type(args[0]) is Blocked or big_enough(args[0])),
          blocked_inputs=_zero_keeping_input)
def _activation(xp, attrs, data, keep_out=False):
    """relu, sigmoid or tanh with oneDNN's eltwise primitive; relu and tanh
    of a ``Blocked`` tensor stay in its layout when ``keep_out``."""
    if type(data) is Blocked and keep_out:
        out = _blocked_eltwise(_ACTIVATION[attrs.act_type], data)
        if out is not None:
            return out
    out = _eltwise(_ACTIVATION[attrs.act_type], 0.0, plain(data))
    if out is None:
        return fallback("Activation", xp, attrs, (data,), {}, "has no eltwise for this call")
    return out


@override("LeakyReLU", lambda attrs, args: attrs.act_type in _LEAKY and len(args) == 1
          and all_float32(args) and big_enough(args[0]))
def _leaky_relu(xp, attrs, data, gamma=None, **resources):
    """leaky (slope), elu (alpha = slope) and exact gelu with oneDNN."""
    out = _eltwise(_LEAKY[attrs.act_type], attrs.slope if attrs.act_type != "gelu" else 0.0,
                   data)
    if out is None:
        return fallback("LeakyReLU", xp, attrs, (data,), resources,
                        "has no eltwise for this call")
    return out


def _unpadded(a):
    """Whether ``a`` is a ``Blocked`` tensor whose layout holds its elements
    and nothing else (so elementwise work may run over its buffer)."""
    return type(a) is Blocked and a.layout.nbytes == a.size * 4


_activation_backward_op = registry.get("_backward_Activation")


def _activation_backward(xp, attrs, grad, output, keep_out=False):
    """The relu or tanh gradient of ``Blocked`` tensors: the default kernel
    over the buffers of one unpadded layout (the output's), whose result
    stays in that layout when ``keep_out``; otherwise over plain arrays."""
    if keep_out and _unpadded(output):
        held = output.layout
        g = grad.to(held) if type(grad) is Blocked else blocked_from(grad, held)
        flat = (held.nbytes // 4,)
        res = _activation_backward_op.compute(np, attrs, g.buf.view(np.float32).reshape(flat),
                                              output.buf.view(np.float32).reshape(flat))
        return Blocked(res.view(np.uint8), held, output.shape)
    return _activation_backward_op.compute(np, attrs, plain(grad), plain(output))


# A layout-aware kernel only, not an override: on plain arrays the default
# kernel runs, which the fusion pass may fuse to write over its input.
register_layout_kernel("_backward_Activation", LayoutKernel(
    "_backward_Activation", _activation_backward,
    lambda attrs, args: any(type(a) is Blocked for a in args)
    and attrs.act_type in _ZERO_KEEPING and all_float32(args) and args[0].shape == args[1].shape,
    lambda attrs, n_inputs: (0, 1) if attrs.act_type in _ZERO_KEEPING else ()))


def _softmax_supports(attrs, args):
    return (not attrs.get("use_length") and attrs.temperature in (None, 1.0)
            and attrs.dtype in (None, "float32") and len(args) == 1 and all_float32(args)
            and big_enough(args[0]))


def _softmax_kernel(name, alg):
    def kernel(xp, attrs, data, length=None):
        axis = norm_axis(name, attrs.axis, data.ndim)
        out = _unary(("softmax", alg, axis), lambda md: create_pd(
            "softmax_forward", L.FORWARD_INFERENCE, alg, md, md, axis, None), data)
        if out is None:
            return fallback(name, xp, attrs, (data,), {}, "has no softmax for this call")
        return out
    kernel.__doc__ = f"{name} along one axis with oneDNN's softmax primitive."
    return kernel


override("softmax", _softmax_supports)(_softmax_kernel("softmax", L.SOFTMAX_ACCURATE))
override("log_softmax", _softmax_supports)(_softmax_kernel("log_softmax", L.SOFTMAX_LOG))
