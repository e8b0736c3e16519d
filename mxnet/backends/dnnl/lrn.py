"""LRN (forward and backward) on oneDNN.

Only odd ``nsize``: for an even one MXNet sums nsize - 1 channels but divides
by nsize, which oneDNN's window does not reproduce. (Batch norm has no
override: oneDNN's kernel for plain NCHW data measured slower than the NumPy
one, in training and inference.)
"""
import numpy as np

from . import library as L
from .overrides import all_float32, big_enough, fallback, override
from .primitive import Primitive, cache, create_pd, layout, strided_md


def _lrn_supports(attrs, args):
    return args[-1].ndim == 4 and attrs.nsize % 2 == 1 and all_float32(args) \
        and big_enough(args[-1])


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
