"""BatchNorm (forward, training and inference) and LRN (forward and backward)
on oneDNN.

Batch norm runs over channel axis 1 only. In training mode (without
``use_global_stats``) oneDNN computes the batch mean and biased variance;
otherwise it normalizes with the moving statistics. As in the NumPy kernel
the forward never updates the moving statistics (MXNet does that in the
backward pass) and ``fix_gamma`` writes 1 into gamma. LRN covers odd
``nsize`` only: for an even one MXNet sums nsize - 1 channels but divides by
nsize, which oneDNN's window does not reproduce.
"""
import numpy as np

from ...ops import registry
from . import library as L
from .overrides import all_float32, fallback, override
from .primitive import Primitive, cache, create_pd, layout, strided_md


def _bn_supports(attrs, args):
    data = args[0]
    return 2 <= data.ndim <= 5 and attrs.get("axis", 1) in (1, 1 - data.ndim) \
        and all_float32(args)


def _batch_norm_kernel(name, saved_var):
    op = registry.get(name)

    def kernel(xp, attrs, data, gamma, beta, moving_mean, moving_var, is_train=False):
        args = (data, gamma, beta, moving_mean, moving_var)
        op.infer_shape(attrs, [a.shape for a in args])
        training = is_train and not attrs.use_global_stats
        x = np.ascontiguousarray(data)
        out = np.empty(x.shape, np.float32)
        flags = L.USE_SCALE | L.USE_SHIFT | (0 if training else L.USE_GLOBAL_STATS)
        prop = L.FORWARD_TRAINING if training else L.FORWARD_INFERENCE

        def build():
            md = strided_md(*layout(x))
            pd = create_pd("batch_normalization_forward", prop, md, md, attrs.eps, flags,
                           None)
            stat = strided_md((x.shape[1],), (1,))
            user = {L.ARG_SRC: md, L.ARG_DST: md, L.ARG_MEAN: stat, L.ARG_VARIANCE: stat,
                    L.ARG_SCALE: stat, L.ARG_SHIFT: stat}
            outputs = (L.ARG_DST, L.ARG_MEAN, L.ARG_VARIANCE) if training else (L.ARG_DST,)
            return Primitive(pd, user, outputs=outputs)
        prim = cache.get(("batch_norm", training, x.shape, float(attrs.eps)), build)
        if prim is None:
            return fallback(name, xp, attrs, args, {"is_train": is_train},
                            "has no batch normalization for this call")
        if attrs.fix_gamma:
            gamma[...] = 1  # MXNet overwrites gamma too
        if training:
            mean = np.empty(x.shape[1], np.float32)
            var = np.empty(x.shape[1], np.float32)
        else:
            mean, var = moving_mean.copy(), moving_var.copy()
        prim({L.ARG_SRC: x, L.ARG_DST: out, L.ARG_MEAN: mean, L.ARG_VARIANCE: var,
              L.ARG_SCALE: np.ascontiguousarray(gamma), L.ARG_SHIFT: np.ascontiguousarray(beta)})
        if saved_var == "invstd":
            var = 1.0 / np.sqrt(var + attrs.eps)
        return out, mean, var
    kernel.__doc__ = f"{name} over channel axis 1 with oneDNN's batch normalization."
    return kernel


for _name, _saved in (("BatchNorm", "invstd"), ("BatchNorm_v1", "var"),
                      ("_contrib_SyncBatchNorm", "var")):
    override(_name, _bn_supports)(_batch_norm_kernel(_name, _saved))


# ----------------------------------------------------------------------------------------
# LRN
# ----------------------------------------------------------------------------------------

def _lrn_supports(attrs, args):
    return args[-1].ndim == 4 and attrs.nsize % 2 == 1 and all_float32(args)


def _lrn_params(attrs):
    return (attrs.nsize, attrs.alpha, attrs.beta, attrs.knorm)


def _lrn_forward_pd(prop, md, attrs):
    return create_pd("lrn_forward", prop, L.LRN_ACROSS_CHANNELS, md, md, *_lrn_params(attrs),
                     None)


@override("LRN", _lrn_supports)
def _lrn(xp, attrs, data):
    """Local response normalization across channels with oneDNN."""
    x = np.ascontiguousarray(data)
    out = np.empty(x.shape, np.float32)

    def build():
        md = strided_md(*layout(x))
        return Primitive(_lrn_forward_pd(L.FORWARD_INFERENCE, md, attrs),
                         {L.ARG_SRC: md, L.ARG_DST: md}, outputs=(L.ARG_DST,))
    prim = cache.get(("lrn", x.shape, _lrn_params(attrs)), build)
    if prim is None:
        return fallback("LRN", xp, attrs, (data,), {}, "has no LRN for this call")
    prim({L.ARG_SRC: x, L.ARG_DST: out})
    return out


@override("_backward_LRN", _lrn_supports)
def _backward_lrn(xp, attrs, ograd, data):
    """Gradient of LRN w.r.t. its data with oneDNN (the forward runs again in
    training mode when the backward needs its workspace)."""
    x = np.ascontiguousarray(data)
    dy = np.ascontiguousarray(ograd)
    grad = np.empty(x.shape, np.float32)

    def build():
        md = strided_md(*layout(x))
        hint = _lrn_forward_pd(L.FORWARD_TRAINING, md, attrs)
        user = {L.ARG_SRC: md, L.ARG_DST: md}
        forward = Primitive(hint, user, outputs=(L.ARG_DST,), internal=(L.ARG_WORKSPACE,))
        pd = create_pd("lrn_backward", L.LRN_ACROSS_CHANNELS, md, md, md,
                       *_lrn_params(attrs), hint, None)
        backward = Primitive(pd, {L.ARG_SRC: md, L.ARG_DIFF_DST: md, L.ARG_DIFF_SRC: md},
                             outputs=(L.ARG_DIFF_SRC,), internal=(L.ARG_WORKSPACE,))
        return (forward if forward.internal else None), backward
    prims = cache.get(("lrn_bwd", x.shape, _lrn_params(attrs)), build)
    if prims is None:
        return fallback("_backward_LRN", xp, attrs, (ograd, data), {},
                        "has no LRN backward for this call")
    forward, backward = prims
    internal = None
    if forward is not None:
        internal = {L.ARG_WORKSPACE: np.empty(forward.internal_size(L.ARG_WORKSPACE), np.uint8)}
        forward({L.ARG_SRC: x, L.ARG_DST: np.empty_like(x)}, internal)
    backward({L.ARG_SRC: x, L.ARG_DIFF_DST: dy, L.ARG_DIFF_SRC: grad}, internal)
    return grad
