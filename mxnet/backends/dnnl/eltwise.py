"""Elementwise activations and softmax on oneDNN.

Activation (relu, sigmoid, tanh), LeakyReLU (leaky, elu, gelu)
and softmax / log_softmax over any axis (without temperature, lengths or a
different output dtype). The other modes fall back to the NumPy kernels;
softrelu among them, since oneDNN's soft_relu loses relative accuracy for
negative inputs (even turning negative below about -15).
"""
import numpy as np

from ...ops.shape import norm_axis
from . import library as L
from .overrides import all_float32, big_enough, fallback, override
from .primitive import Primitive, cache, create_pd, layout, strided_md

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


@override("Activation", lambda attrs, args: attrs.act_type in _ACTIVATION
          and all_float32(args) and big_enough(args[0]))
def _activation(xp, attrs, data):
    """relu, sigmoid or tanh with oneDNN's eltwise primitive."""
    out = _eltwise(_ACTIVATION[attrs.act_type], 0.0, data)
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
