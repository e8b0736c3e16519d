"""Batch normalization on oneDNN in training: the batch-statistics forward
and its backward, for the batch-norm family whose channel axis is 1
(``BatchNorm``, ``BatchNorm_v1``, ``_contrib_SyncBatchNorm``,
``_contrib_BatchNormWithReLU`` with the ReLU fused) on 2-D to 5-D float32
data.

The semantics stay those of the NumPy kernels (``mxnet/ops/nn_norm.py``).
The training forward lets oneDNN compute the batch mean and biased variance
(the third output is derived from that variance); the moving statistics are
folded in by the backward, per channel in NumPy, exactly as the default
kernel does, and the data, gamma and beta gradients are one oneDNN
primitive. ``fix_gamma`` runs with a scale of ones and gives gamma a zero
gradient.

oneDNN computes in its channel-blocked layout (nChw16c and kin), reordering
plain data in and out: its kernel for plain channels-first data is not
vectorized. Normalizing with the moving statistics (inference, or
``use_global_stats``) stays on NumPy: its two passes over the data cost
less CPU time than the two reorders around oneDNN's one (measured on
(32, 64, 56, 56): forward 4.8 ms NumPy vs 6.9 ms oneDNN, backward 6.5 vs
10.7 ms; training forward 12 vs 8.3 ms, backward 14 vs 12 ms).
"""
import ctypes

import numpy as np

from . import library as L
from . import primitive
from .overrides import all_float32, big_enough, contiguous, fallback, override
from .primitive import Primitive, cache, create_pd, destroy_pd, layout, strided_md, tag_md

# dnnl_types.h values the normalization families need beyond library.py's
BACKWARD = 128
USE_SCALE, USE_SHIFT, FUSE_NORM_RELU = 0x2, 0x4, 0x8
ARG_MEAN, ARG_VARIANCE, ARG_SCALE, ARG_SHIFT = 49, 50, 51, 52
ARG_DIFF_SCALE, ARG_DIFF_SHIFT = 255, 256
# channel-blocked format tags (nCw16c, nChw16c, nCdhw16c) by number of axes
_BLOCKED_TAG = {3: 56, 4: 78, 5: 121}

_p, _f, _u = ctypes.c_void_p, ctypes.c_float, ctypes.c_uint
_pp = ctypes.POINTER(ctypes.c_void_p)
_SIGNATURES = {
    "batch_normalization_forward_primitive_desc_create": [_pp, _p, ctypes.c_int, _p, _p, _f,
                                                          _u, _p],
    "batch_normalization_backward_primitive_desc_create": [_pp, _p, ctypes.c_int, _p, _p, _p,
                                                           _f, _u, _p, _p],
}


def bind_constructors(signatures):
    """Give the loaded ``library.Library`` the descriptor constructors named in
    ``signatures`` ({name without ``dnnl_``: argtypes}), so
    ``primitive.create_pd`` reaches them by name. (Shared with layernorm.py.)"""
    lib = primitive._lib
    cdll = ctypes.CDLL(lib.path)
    for name, argtypes in signatures.items():
        fn = getattr(cdll, "dnnl_" + name)
        fn.restype, fn.argtypes = ctypes.c_int, argtypes
        setattr(lib, name, fn)


bind_constructors(_SIGNATURES)

# operator -> (what its third output holds, whether a ReLU follows)
_VARIANTS = {"BatchNorm": ("invstd", False), "BatchNorm_v1": ("var", False),
             "_contrib_SyncBatchNorm": ("var", False),
             "_contrib_BatchNormWithReLU": ("invstd", True)}
_FLAGS = USE_SCALE | USE_SHIFT


def _covered(attrs, data, per_channel):
    """Batch statistics, channel axis 1, float32, big enough, and every
    per-channel array of the data's channel count (others go to the default
    kernel, which reports the mismatch)."""
    if attrs.use_global_stats or not 2 <= data.ndim <= 5 \
            or attrs.get("axis", 1) % data.ndim != 1:
        return False
    channels = data.shape[1:2]
    return all(a.shape == channels for a in per_channel) and all_float32((data,) + per_channel) \
        and big_enough(data)


def _supports(attrs, args):
    return _covered(attrs, args[0], tuple(args[1:]))


def _backward_supports(attrs, args):
    return args[0].shape == args[1].shape and _covered(attrs, args[1], tuple(args[2:]))


def _vector_md(n):
    return strided_md((n,), (1,))


def _inner_md(a):
    """The layout the primitive computes in: oneDNN's kernel for plain
    channels-first data is not vectorized, its kernel for channel-blocked
    data is, and the reorders in and out cost less than the difference."""
    tag = _BLOCKED_TAG.get(a.ndim)
    return strided_md(*layout(a)) if tag is None else tag_md(a.shape, tag)


def _forward_primitive(x, y, eps, relu):
    """Training forward: normalizes with the batch statistics, which it
    writes to the mean and variance arguments, then applies max(., 0) when
    ``relu`` (its workspace, the sign mask, is for oneDNN's backward, which
    the operator's gradient rule does not use)."""
    def build():
        vec, inner = _vector_md(x.shape[1]), _inner_md(x)
        flags = _FLAGS | (FUSE_NORM_RELU if relu else 0)
        pd = create_pd("batch_normalization_forward", L.FORWARD_TRAINING, inner, inner, eps,
                       flags, None)
        user = {L.ARG_SRC: strided_md(*layout(x)), L.ARG_DST: strided_md(*layout(y)),
                ARG_MEAN: vec, ARG_VARIANCE: vec, ARG_SCALE: vec, ARG_SHIFT: vec}
        return Primitive(pd, user, outputs=(L.ARG_DST, ARG_MEAN, ARG_VARIANCE),
                         internal=(L.ARG_WORKSPACE,) if relu else ())
    return cache.get(("bnorm", layout(x), layout(y), eps, relu), build)


def _backward_primitive(x, dy, dx, eps):
    """Backward of the training forward: data, scale and shift gradients."""
    def build():
        vec, inner = _vector_md(x.shape[1]), _inner_md(x)
        hint = create_pd("batch_normalization_forward", L.FORWARD_TRAINING, inner, inner, eps,
                         _FLAGS, None)
        try:
            pd = create_pd("batch_normalization_backward", BACKWARD, inner, inner, inner, eps,
                           _FLAGS, hint, None)
        finally:
            destroy_pd(hint)
        user = {L.ARG_SRC: strided_md(*layout(x)), L.ARG_DIFF_DST: strided_md(*layout(dy)),
                L.ARG_DIFF_SRC: strided_md(*layout(dx)), ARG_MEAN: vec, ARG_VARIANCE: vec,
                ARG_SCALE: vec, ARG_DIFF_SCALE: vec, ARG_DIFF_SHIFT: vec}
        return Primitive(pd, user, outputs=(L.ARG_DIFF_SRC, ARG_DIFF_SCALE, ARG_DIFF_SHIFT))
    return cache.get(("bnorm_bwd", layout(x), layout(dy), layout(dx), eps), build)


def _scale(attrs, gamma):
    """The scale oneDNN multiplies by: ones under ``fix_gamma``."""
    return np.ones_like(gamma) if attrs.fix_gamma else np.ascontiguousarray(gamma)


def _batch_norm_kernel(op_name):
    saved_var, relu = _VARIANTS[op_name]

    def kernel(xp, attrs, data, gamma, beta, moving_mean, moving_var, is_train=False):
        """Batch normalization with the batch statistics on oneDNN (see the
        module docstring); with the moving ones, the default kernel."""
        args = (data, gamma, beta, moving_mean, moving_var)
        if not is_train:
            return fallback(op_name, xp, attrs, args, {"is_train": is_train},
                            "is slower than NumPy with the moving statistics")
        x = contiguous(data)
        out = np.empty(x.shape, np.float32)
        prim = _forward_primitive(x, out, attrs.eps, relu)
        if prim is None:
            return fallback(op_name, xp, attrs, args, {"is_train": is_train},
                            "has no batch normalization for this call")
        if attrs.fix_gamma:
            gamma[...] = 1  # MXNet overwrites gamma too
        mean, var = np.empty(x.shape[1], np.float32), np.empty(x.shape[1], np.float32)
        prim({L.ARG_SRC: x, L.ARG_DST: out, ARG_MEAN: mean, ARG_VARIANCE: var,
              ARG_SCALE: _scale(attrs, gamma), ARG_SHIFT: np.ascontiguousarray(beta)})
        if saved_var == "invstd":
            var = 1.0 / np.sqrt(var + attrs.eps)
        return out, mean, var
    return kernel


for _name in _VARIANTS:
    override(_name, _supports)(_batch_norm_kernel(_name))


@override("_backward_BatchNorm", _backward_supports)
def _backward_batch_norm(xp, attrs, ograd, data, gamma, mean, var, moving_mean, moving_var,
                         is_train=False):
    """Gradients of the training batch norm w.r.t. data, gamma and beta with
    oneDNN, after folding the batch statistics into the moving ones (in
    place, with MXNet's momentum rule) as the default kernel does."""
    args = (ograd, data, gamma, mean, var, moving_mean, moving_var)
    if not is_train:
        return fallback("_backward_BatchNorm", xp, attrs, args, {"is_train": is_train},
                        "is slower than NumPy with the moving statistics")
    x, dy = contiguous(data), contiguous(ograd)
    dx = np.empty(x.shape, np.float32)
    prim = _backward_primitive(x, dy, dx, attrs.eps)
    if prim is None:
        return fallback("_backward_BatchNorm", xp, attrs, args, {"is_train": is_train},
                        "has no batch normalization backward for this call")
    batch_var = 1.0 / (var * var) - attrs.eps if attrs.saved_var == "invstd" else var
    mom = attrs.momentum
    moving_mean[...] = moving_mean * mom + mean * (1 - mom)
    moving_var[...] = moving_var * mom + batch_var * (1 - mom)
    channels = x.shape[1]
    dgamma, dbeta = np.empty(channels, np.float32), np.empty(channels, np.float32)
    prim({L.ARG_SRC: x, L.ARG_DIFF_DST: dy, L.ARG_DIFF_SRC: dx,
          ARG_MEAN: np.ascontiguousarray(mean), ARG_VARIANCE: np.ascontiguousarray(batch_var),
          ARG_SCALE: _scale(attrs, gamma), ARG_DIFF_SCALE: dgamma, ARG_DIFF_SHIFT: dbeta})
    if attrs.fix_gamma:
        dgamma[...] = 0
    return dx, dgamma, dbeta
