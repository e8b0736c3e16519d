"""LayerNorm (forward and backward) on oneDNN, over the last axis of
float32 data.

The data is viewed as a (rows, features) matrix, which is oneDNN's own
layout for layer normalization (no reorders). The forward always runs in
training mode, so oneDNN writes each row's mean and biased variance; the
third output is ``sqrt(var + eps)`` as in the default kernel. The backward
op gets no statistics from the forward, so it runs the forward primitive
again for them before oneDNN's backward primitive.
"""
import ctypes

import numpy as np

from . import library as L
from .normalization import (ARG_DIFF_SCALE, ARG_DIFF_SHIFT, ARG_MEAN, ARG_SCALE, ARG_SHIFT,
                            ARG_VARIANCE, BACKWARD, USE_SCALE, USE_SHIFT, bind_constructors)
from .overrides import all_float32, big_enough, fallback, override
from .primitive import Primitive, cache, create_pd, destroy_pd, strided_md

_FLAGS = USE_SCALE | USE_SHIFT
_p, _f, _u = ctypes.c_void_p, ctypes.c_float, ctypes.c_uint
_pp = ctypes.POINTER(ctypes.c_void_p)
bind_constructors({
    "layer_normalization_forward_primitive_desc_create": [_pp, _p, ctypes.c_int, _p, _p, _p,
                                                          _f, _u, _p],
    "layer_normalization_backward_primitive_desc_create": [_pp, _p, ctypes.c_int, _p, _p, _p,
                                                           _p, _f, _u, _p, _p],
})


def _covered(attrs, data, params):
    """Last axis, float32 data big enough, gamma and beta of that axis' size
    (others go to the default kernel, which reports mismatches)."""
    if data.ndim == 0 or attrs.axis % data.ndim != data.ndim - 1:
        return False
    features = data.shape[-1:]
    return all(a.shape == features for a in params) and all_float32((data,) + params) \
        and big_enough(data)


def _supports(attrs, args):
    return _covered(attrs, args[0], tuple(args[1:]))


def _backward_supports(attrs, args):
    return args[0].shape == args[1].shape and _covered(attrs, args[1], (args[2],))


def _matrix(a):
    """``a`` as a C-contiguous (rows, features) matrix."""
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def _mds(rows, features):
    """Descriptors of the data matrix, the per-row statistics and the
    per-feature parameters."""
    return (strided_md((rows, features), (features, 1)), strided_md((rows,), (1,)),
            strided_md((features,), (1,)))


def _forward_pd(data_md, stat_md, eps):
    return create_pd("layer_normalization_forward", L.FORWARD_TRAINING, data_md, data_md,
                     stat_md, eps, _FLAGS, None)


def _forward_primitive(rows, features, eps):
    def build():
        data, stat, vec = _mds(rows, features)
        user = {L.ARG_SRC: data, L.ARG_DST: data, ARG_MEAN: stat, ARG_VARIANCE: stat,
                ARG_SCALE: vec, ARG_SHIFT: vec}
        return Primitive(_forward_pd(data, stat, eps), user,
                         outputs=(L.ARG_DST, ARG_MEAN, ARG_VARIANCE))
    return cache.get(("lnorm", rows, features, eps), build)


def _backward_primitive(rows, features, eps):
    def build():
        data, stat, vec = _mds(rows, features)
        hint = _forward_pd(data, stat, eps)
        try:
            pd = create_pd("layer_normalization_backward", BACKWARD, data, data, data, stat,
                           eps, _FLAGS, hint, None)
        finally:
            destroy_pd(hint)
        user = {L.ARG_SRC: data, L.ARG_DIFF_DST: data, L.ARG_DIFF_SRC: data, ARG_MEAN: stat,
                ARG_VARIANCE: stat, ARG_SCALE: vec, ARG_SHIFT: vec, ARG_DIFF_SCALE: vec,
                ARG_DIFF_SHIFT: vec}
        return Primitive(pd, user, outputs=(L.ARG_DIFF_SRC, ARG_DIFF_SCALE, ARG_DIFF_SHIFT))
    return cache.get(("lnorm_bwd", rows, features, eps), build)


@override("LayerNorm", _supports)
def _layer_norm(xp, attrs, data, gamma, beta):
    """Layer normalization over the last axis with oneDNN."""
    x = _matrix(data)
    rows, features = x.shape
    prim = _forward_primitive(rows, features, attrs.eps)
    if prim is None:
        return fallback("LayerNorm", xp, attrs, (data, gamma, beta), {},
                        "has no layer normalization for this call")
    out = np.empty(x.shape, np.float32)
    mean, var = np.empty(rows, np.float32), np.empty(rows, np.float32)
    prim({L.ARG_SRC: x, L.ARG_DST: out, ARG_MEAN: mean, ARG_VARIANCE: var,
          ARG_SCALE: np.ascontiguousarray(gamma), ARG_SHIFT: np.ascontiguousarray(beta)})
    stat_shape = data.shape[:-1] + (1,)
    std = np.sqrt(var + np.float32(attrs.eps))
    return out.reshape(data.shape), mean.reshape(stat_shape), std.reshape(stat_shape)


@override("_backward_LayerNorm", _backward_supports)
def _backward_layer_norm(xp, attrs, ograd, data, gamma):
    """Gradients of layer normalization over the last axis w.r.t. data, gamma
    and beta with oneDNN."""
    x, dy = _matrix(data), _matrix(ograd)
    rows, features = x.shape
    forward = _forward_primitive(rows, features, attrs.eps)
    backward = _backward_primitive(rows, features, attrs.eps)
    if forward is None or backward is None:
        return fallback("_backward_LayerNorm", xp, attrs, (ograd, data, gamma), {},
                        "has no layer normalization backward for this call")
    scale = np.ascontiguousarray(gamma)
    shift = np.zeros_like(scale)  # required by both primitives, read by neither's gradients
    dx = np.empty(x.shape, np.float32)
    mean, var = np.empty(rows, np.float32), np.empty(rows, np.float32)
    # The statistics, from oneDNN's forward (several times faster than NumPy's
    # mean and var); its output goes to dx, which the backward overwrites.
    forward({L.ARG_SRC: x, L.ARG_DST: dx, ARG_MEAN: mean, ARG_VARIANCE: var,
             ARG_SCALE: scale, ARG_SHIFT: shift})
    dgamma, dbeta = np.empty(features, np.float32), np.empty(features, np.float32)
    backward({L.ARG_SRC: x, L.ARG_DIFF_DST: dy, L.ARG_DIFF_SRC: dx, ARG_MEAN: mean,
              ARG_VARIANCE: var, ARG_SCALE: scale, ARG_SHIFT: shift, ARG_DIFF_SCALE: dgamma,
              ARG_DIFF_SHIFT: dbeta})
    return dx.reshape(data.shape), dgamma, dbeta
