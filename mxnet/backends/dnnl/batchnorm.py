"""Batch normalization's training forward on oneDNN: normalizing with the
batch statistics, for the batch-norm family whose channel axis is 1
(``BatchNorm``, ``BatchNorm_v1``, ``_contrib_SyncBatchNorm``, and
``_contrib_BatchNormWithReLU`` with the ReLU fused) on 2-D to 5-D float32
data.

oneDNN computes the batch mean and biased variance; the third output is
derived from that variance as in the default kernel (``mxnet/ops/nn_norm.py``).
It computes in its channel-blocked layout (nChw16c and kin), reordering plain
data in and out: its kernel for plain channels-first data is not vectorized.

The rest stays on NumPy, because measured CPU time said so ((32, 64, 56, 56),
NaiveEngine): normalizing with the moving statistics (inference,
``use_global_stats``) costs NumPy two passes over the data, less than the
two reorders around oneDNN's one (4.8 vs 6.9 ms); and the backward (which
also folds the batch statistics into the moving ones) gained at most 15% on
one thread (14 vs 12 ms) but lost 1.5-3x with two threads on shared cores,
where oneDNN's batch-norm backward waits at its thread barriers (47 vs 75 ms
per ResNet-18 step, batch 8). Measured again with oneDNN 3.2 (1 thread, CPU
time, reorders of the data, gradient and result included): (8, 64, 56, 56)
2.3 -> 2.1 ms, (32, 64, 56, 56) 11.8 -> 10.9 ms, but (8, 64, 112, 112) 7.4
-> 10.4 ms, and a ResNet-18 training step at batch 8 level (912 vs 918 ms).
The primitive alone takes 3 of those 10.4 ms: the three reorders are the
cost, so the backward pays once activations stay channel-blocked between
the training plan's oneDNN steps. The training forward gains on both: 12 ->
8 ms on one thread, 13 -> 8 ms on two.

So inside compiled training programs, where the data and gradients come
as ``Blocked`` tensors (``LayoutKernel``), both directions run on oneDNN
and may leave their result blocked: ResNet-18 v1 at batch 8, CPU time per
step, one thread: forward 27 -> 16 ms, backward 37 -> 22 ms; two threads:
forward 34 -> 16 ms, backward 39 -> 38 ms. Plain arrays keep the NumPy
backward.
"""
import ctypes

import numpy as np

from . import library as L
from .normalization import (ARG_DIFF_SCALE, ARG_DIFF_SHIFT, ARG_MEAN, ARG_SCALE, ARG_SHIFT,
                            ARG_VARIANCE, BACKWARD, FUSE_NORM_RELU, USE_SCALE, USE_SHIFT,
                            bind_constructors)
from .overrides import all_float32, big_enough, contiguous, fallback, override
from .primitive import (Blocked, Primitive, cache, create_pd, destroy_pd, empty, layout,
                        strided_md, tag_md)

_p = ctypes.c_void_p
bind_constructors({"batch_normalization_forward_primitive_desc_create":
                   [ctypes.POINTER(_p), _p, ctypes.c_int, _p, _p, ctypes.c_float,
                    ctypes.c_uint, _p],
                   "batch_normalization_backward_primitive_desc_create":
                   [ctypes.POINTER(_p), _p, ctypes.c_int, _p, _p, _p, ctypes.c_float,
                    ctypes.c_uint, _p, _p]})

# channel-blocked format tags (dnnl_nCw16c, dnnl_nChw16c, dnnl_nCdhw16c) by number of axes
_BLOCKED_TAG = {3: 56, 4: 78, 5: 121}

# operator -> (what its third output holds, whether a ReLU follows)
_VARIANTS = {"BatchNorm": ("invstd", False), "BatchNorm_v1": ("var", False),
             "_contrib_SyncBatchNorm": ("var", False),
             "_contrib_BatchNormWithReLU": ("invstd", True)}


def _supports(attrs, args):
    """Batch statistics possible (not ``use_global_stats``), channel axis 1,
    float32 data big enough, and gamma, beta and the moving statistics of
    the data's channel count (others go to the default kernel, which reports
    mismatches)."""
    data, per_channel = args[0], tuple(args[1:])
    if attrs.use_global_stats or not 2 <= data.ndim <= 5 \
            or attrs.get("axis", 1) % data.ndim != 1:
        return False
    channels = data.shape[1:2]
    return all(a.shape == channels for a in per_channel) and all_float32(args) \
        and big_enough(data)


def _channel_axis_first(attrs, n_inputs):
    """``blocked_inputs`` of the forward: the data, when the channel axis is 1."""
    return (0,) if attrs.get("axis", 1) == 1 else ()


def _inner_md(x):
    """The layout the primitives compute in: channel-blocked for 3-D to 5-D data."""
    tag = _BLOCKED_TAG.get(x.ndim)
    return strided_md(*layout(x)) if tag is None else tag_md(x.shape, tag)


def _forward_primitive(x, y, eps, relu):
    """Training forward: normalizes with the batch statistics, which it
    writes to the mean and variance arguments, then applies max(., 0) when
    ``relu`` (its workspace, the sign mask, is for oneDNN's backward, which
    the operator's gradient rule does not use)."""
    def build():
        inner = _inner_md(x)
        vec = strided_md((x.shape[1],), (1,))
        flags = USE_SCALE | USE_SHIFT | (FUSE_NORM_RELU if relu else 0)
        pd = create_pd("batch_normalization_forward", L.FORWARD_TRAINING, inner, inner, eps,
                       flags, None)
        user = {L.ARG_SRC: strided_md(*layout(x)), L.ARG_DST: strided_md(*layout(y)),
                ARG_MEAN: vec, ARG_VARIANCE: vec, ARG_SCALE: vec, ARG_SHIFT: vec}
        return Primitive(pd, user, outputs=(L.ARG_DST, ARG_MEAN, ARG_VARIANCE),
                         internal=(L.ARG_WORKSPACE,) if relu else ())
    return cache.get(("bnorm", layout(x), layout(y), eps, relu), build)


def _batch_norm_kernel(op_name):
    saved_var, relu = _VARIANTS[op_name]

    def kernel(xp, attrs, data, gamma, beta, moving_mean, moving_var, is_train=False,
               keep_out=False):
        """Batch normalization with the batch statistics on oneDNN (see the
        module docstring); with the moving ones, the default kernel. ``data``
        may be ``Blocked``; with ``keep_out`` the result may stay blocked."""
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
        scale = np.ones_like(gamma) if attrs.fix_gamma else np.ascontiguousarray(gamma)
        mean, var = np.empty(x.shape[1], np.float32), np.empty(x.shape[1], np.float32)
        kept = prim({L.ARG_SRC: x, L.ARG_DST: out, ARG_MEAN: mean, ARG_VARIANCE: var,
                     ARG_SCALE: scale, ARG_SHIFT: np.ascontiguousarray(beta)},
                    keep=(L.ARG_DST,) if keep_out else ())
        if saved_var == "invstd":
            var = 1.0 / np.sqrt(var + attrs.eps)
        return kept.get(L.ARG_DST, out), mean, var
    return kernel


for _name in _VARIANTS:
    override(_name, _supports, blocked_inputs=_channel_axis_first)(_batch_norm_kernel(_name))


# ----------------------------------------------------------------------------------------
# Backward, for blocked tensors only
# ----------------------------------------------------------------------------------------

def _backward_supports(attrs, args):
    """The output gradient or the data comes ``Blocked`` (plain arrays stay
    on NumPy: see the module docstring), 3-D to 5-D with channel axis 1,
    and every argument float32 of a matching size."""
    ograd, data = args[0], args[1]
    if type(ograd) is not Blocked and type(data) is not Blocked:
        return False
    return attrs.axis % data.ndim == 1 and data.ndim in _BLOCKED_TAG \
        and ograd.shape == data.shape and all_float32(args) \
        and all(a.shape == data.shape[1:2] for a in args[2:])


def _backward_primitive(x, eps):
    """Backward of the training forward (without ReLU): the data gradient
    and the gradients of scale and shift, from the batch statistics."""
    def build():
        inner = _inner_md(x)
        flags = USE_SCALE | USE_SHIFT
        hint = create_pd("batch_normalization_forward", L.FORWARD_TRAINING, inner, inner, eps,
                         flags, None)
        try:
            pd = create_pd("batch_normalization_backward", BACKWARD, inner, inner, inner, eps,
                           flags, hint, None)
        finally:
            destroy_pd(hint)
        data, vec = strided_md(*layout(x)), strided_md((x.shape[1],), (1,))
        user = {L.ARG_SRC: data, L.ARG_DIFF_DST: data, L.ARG_DIFF_SRC: data, ARG_MEAN: vec,
                ARG_VARIANCE: vec, ARG_SCALE: vec, ARG_DIFF_SCALE: vec, ARG_DIFF_SHIFT: vec}
        return Primitive(pd, user, outputs=(L.ARG_DIFF_SRC, ARG_DIFF_SCALE, ARG_DIFF_SHIFT))
    return cache.get(("bnorm_bwd", layout(x), eps), build)


def _batch_variance(attrs, var):
    """The batch variance from the forward's third output (see ``_VARIANTS``)."""
    if attrs.saved_var == "invstd":
        return np.ascontiguousarray(1.0 / (var * var) - attrs.eps, np.float32)
    return np.ascontiguousarray(var, np.float32)


@override("_backward_BatchNorm", _backward_supports, blocked_inputs=lambda attrs, n: (0, 1))
def _backward_batch_norm(xp, attrs, ograd, data, gamma, mean, var, moving_mean, moving_var,
                         is_train=False, keep_out=False):
    """Gradients of the batch-norm family with the batch statistics, on
    oneDNN, for ``Blocked`` data or output gradients (the data gradient
    stays blocked with ``keep_out``); the moving statistics are updated as
    the default kernel does. Other calls run the default kernel."""
    args = (ograd, data, gamma, mean, var, moving_mean, moving_var)
    x = contiguous(data)
    prim = _backward_primitive(x, attrs.eps) \
        if is_train and not attrs.use_global_stats else None
    if prim is None:
        return fallback("_backward_BatchNorm", xp, attrs, args, {"is_train": is_train},
                        "has no batch normalization backward for this call")
    batch_var = _batch_variance(attrs, var)
    mom = attrs.momentum
    moving_mean[...] = moving_mean * mom + mean * (1 - mom)
    moving_var[...] = moving_var * mom + batch_var * (1 - mom)
    scale = np.ones_like(gamma) if attrs.fix_gamma else np.ascontiguousarray(gamma)
    dx = empty(x.shape)
    dgamma, dbeta = np.empty(x.shape[1], np.float32), np.empty(x.shape[1], np.float32)
    kept = prim({L.ARG_SRC: x, L.ARG_DIFF_DST: contiguous(ograd), L.ARG_DIFF_SRC: dx,
                 ARG_MEAN: np.ascontiguousarray(mean), ARG_VARIANCE: batch_var,
                 ARG_SCALE: scale, ARG_DIFF_SCALE: dgamma, ARG_DIFF_SHIFT: dbeta},
                keep=(L.ARG_DIFF_SRC,) if keep_out else ())
    if attrs.fix_gamma:
        dgamma[...] = 0
    return kept.get(L.ARG_DIFF_SRC, dx), dgamma, dbeta
