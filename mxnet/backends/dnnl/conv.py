"""Convolution (forward, backward data and weights) and Deconvolution on oneDNN.

Arrays bind in place through their strides: channels-last data and weights
are the channels-first views of the same memory, groups split the weight's
first axis (oneDNN's grouped ``goihw`` weights), and Deconvolution's
(in, out/groups, *kernel) weights are viewed as oneDNN's (out, in) ones. The
primitives pick their own (blocked) layouts and the arguments are reordered
in and out. oneDNN counts dilation from 0 (MXNet's ``dilate - 1``).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...ops import registry
from ...ops.nn_conv import Geometry, _deconv_shapes
from . import library as L
from .overrides import all_float32, big_enough_product, contiguous, fallback, override
from .primitive import (Attr, Primitive, cache, create_pd, destroy_pd, empty, layout,
                        strided_md, tag_md)


def _channels_first(g, a):
    return np.moveaxis(a, -1, 1) if g.channels_last else a


def _split_groups(a, groups):
    """View of ``a`` with its first axis split into (groups, size / groups)."""
    if groups == 1:
        return a
    head = a.shape[0] // groups
    return as_strided(a, (groups, head) + a.shape[1:],
                      (a.strides[0] * head,) + a.strides, writeable=True)


def _deconv_weight(a, groups):
    """Deconvolution weight (in, out/groups, *k) as oneDNN's (groups, out/g, in/g, *k)."""
    per = a.shape[0] // groups
    s = a.strides
    if groups == 1:
        return as_strided(a, (a.shape[1], a.shape[0]) + a.shape[2:], (s[1], s[0]) + s[2:],
                          writeable=True)
    return as_strided(a, (groups, a.shape[1], per) + a.shape[2:],
                      (s[0] * per, s[1], s[0]) + s[2:], writeable=True)


def _md(a):
    return strided_md(*layout(a))


def _geometry_args(g, pad_r=None):
    """strides, dilations, left and right padding as ``dnnl_dims_t``."""
    return (L.dims(g.stride), L.dims([d - 1 for d in g.dilate]), L.dims(g.pad),
            L.dims(g.pad if pad_r is None else pad_r))


def _supports(attrs, args):
    return 3 <= args[0].ndim <= 5 and all_float32(args) \
        and big_enough_product(args[0], attrs.num_filter)


def _backward_supports(attrs, args):
    return _supports(attrs, args[1:])


# ----------------------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------------------

def forward_primitive(kind, x, w, b, y, g, pad_r=None, post=()):
    """Forward (de)convolution primitive for these array layouts, followed by
    the ``post`` chain of post-ops (see ``primitive.Attr``; with a ``sum``
    the destination's contents are added, so it is read as well as written)."""
    key = (kind, layout(x), layout(w), None if b is None else layout(b), layout(y),
           g.stride, g.dilate, g.pad, pad_r, post)

    def build():
        user = {L.ARG_SRC: _md(x), L.ARG_WEIGHTS: _md(w), L.ARG_DST: _md(y)}
        if b is not None:
            user[L.ARG_BIAS] = _md(b)
        alg = L.CONVOLUTION_DIRECT if kind == "convolution" else L.DECONVOLUTION_DIRECT
        attr = Attr(post) if post else None
        pd = create_pd(kind + "_forward", L.FORWARD_INFERENCE, alg, tag_md(x.shape),
                       tag_md(w.shape), user.get(L.ARG_BIAS), tag_md(y.shape),
                       *_geometry_args(g, pad_r), attr)
        summed = any(p[0] == "sum" for p in post)
        return Primitive(pd, user, outputs=() if summed else (L.ARG_DST,),
                         updated=(L.ARG_DST,) if summed else ())
    return cache.get(key, build)


def _conv_kernel(name):
    op = registry.get(name)

    def kernel(xp, attrs, data, weight, bias=None):
        shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
        out_shape = op.infer_shape(attrs, shapes)[1][0]
        g = Geometry(name, attrs, data.ndim)
        out = empty(out_shape)
        x = _channels_first(g, contiguous(data))
        w = _split_groups(_channels_first(g, contiguous(weight)), attrs.num_group)
        y = _channels_first(g, out)
        prim = forward_primitive("convolution", x, w, bias, y, g)
        if prim is None:
            return fallback(name, xp, attrs, (data, weight, bias)[:len(shapes)], {},
                            "has no convolution for this call")
        args = {L.ARG_SRC: x, L.ARG_WEIGHTS: w, L.ARG_DST: y}
        if bias is not None:
            args[L.ARG_BIAS] = bias
        prim(args)
        return out
    return kernel


for _name in ("Convolution", "Convolution_v1"):
    override(_name, _supports)(_conv_kernel(_name))


def _backward_primitives(x, w, dy, dx, dw, db, g):
    """(backward-data, backward-weights) primitives; either may be None."""
    key = ("conv_bwd", layout(x), layout(w), layout(dy), layout(dx), layout(dw),
           db is not None, g.stride, g.dilate, g.pad)

    def build():
        geometry = _geometry_args(g)
        bias_any = tag_md(db.shape) if db is not None else None
        hint = create_pd("convolution_forward", L.FORWARD_TRAINING, L.CONVOLUTION_DIRECT,
                         tag_md(x.shape), tag_md(w.shape), bias_any, tag_md(dy.shape),
                         *geometry, None)
        try:
            bwd_data = Primitive(
                create_pd("convolution_backward_data", L.CONVOLUTION_DIRECT, tag_md(dx.shape),
                          tag_md(w.shape), tag_md(dy.shape), *geometry, hint, None),
                {L.ARG_DIFF_SRC: _md(dx), L.ARG_WEIGHTS: _md(w), L.ARG_DIFF_DST: _md(dy)},
                outputs=(L.ARG_DIFF_SRC,))
            user = {L.ARG_SRC: _md(x), L.ARG_DIFF_DST: _md(dy), L.ARG_DIFF_WEIGHTS: _md(dw)}
            if db is not None:
                user[L.ARG_DIFF_BIAS] = _md(db)
            bwd_weights = Primitive(
                create_pd("convolution_backward_weights", L.CONVOLUTION_DIRECT,
                          tag_md(x.shape), tag_md(dw.shape), bias_any, tag_md(dy.shape),
                          *geometry, hint, None),
                user, outputs=(L.ARG_DIFF_WEIGHTS, L.ARG_DIFF_BIAS))
        finally:
            destroy_pd(hint)
        return bwd_data, bwd_weights
    return cache.get(key, build)


@override("_backward_Convolution", _backward_supports)
def _backward_convolution(xp, attrs, out_grad, data, weight, bias=None):
    """Gradients of Convolution w.r.t. data, weight (and bias) with oneDNN."""
    g = Geometry("Convolution", attrs, data.ndim)
    groups = attrs.num_group
    dx_out = np.empty(data.shape, np.float32)
    dw_out = np.empty(weight.shape, np.float32)
    x = _channels_first(g, contiguous(data))
    w = _split_groups(_channels_first(g, contiguous(weight)), groups)
    dy = _channels_first(g, contiguous(out_grad))
    dx = _channels_first(g, dx_out)
    dw = _split_groups(_channels_first(g, dw_out), groups)
    db = None if bias is None else np.empty(bias.shape, np.float32)
    prims = _backward_primitives(x, w, dy, dx, dw, db, g)
    args = (out_grad, data, weight) + (() if bias is None else (bias,))
    if prims is None:
        return fallback("_backward_Convolution", xp, attrs, args, {},
                        "has no convolution backward for this call")
    bwd_data, bwd_weights = prims
    bwd_data({L.ARG_DIFF_SRC: dx, L.ARG_WEIGHTS: w, L.ARG_DIFF_DST: dy})
    grads = {L.ARG_SRC: x, L.ARG_DIFF_DST: dy, L.ARG_DIFF_WEIGHTS: dw}
    if db is not None:
        grads[L.ARG_DIFF_BIAS] = db
    bwd_weights(grads)
    return (dx_out, dw_out) if db is None else (dx_out, dw_out, db)


@override("_backward_Convolution_weight", _backward_supports)
def _backward_convolution_weight(xp, attrs, out_grad, data, weight, bias=None):
    """Gradients of Convolution w.r.t. weight (and bias) only, with oneDNN."""
    g = Geometry("Convolution", attrs, data.ndim)
    dw_out = np.empty(weight.shape, np.float32)
    x = _channels_first(g, contiguous(data))
    w = _split_groups(_channels_first(g, contiguous(weight)), attrs.num_group)
    dy = _channels_first(g, contiguous(out_grad))
    dw = _split_groups(_channels_first(g, dw_out), attrs.num_group)
    db = None if bias is None else np.empty(bias.shape, np.float32)
    prims = _backward_primitives(x, w, dy, x, dw, db, g)
    if prims is None:
        args = (out_grad, data, weight) + (() if bias is None else (bias,))
        return fallback("_backward_Convolution_weight", xp, attrs, args, {},
                        "has no convolution backward for this call")
    grads = {L.ARG_SRC: x, L.ARG_DIFF_DST: dy, L.ARG_DIFF_WEIGHTS: dw}
    if db is not None:
        grads[L.ARG_DIFF_BIAS] = db
    prims[1](grads)
    return dw_out if db is None else (dw_out, db)


# ----------------------------------------------------------------------------------------
# Deconvolution
# ----------------------------------------------------------------------------------------

@override("Deconvolution", _supports)
def _deconvolution(xp, attrs, data, weight, bias=None):
    """Transposed convolution with oneDNN; ``adj`` and ``target_shape`` become
    right padding (``pad - adj``)."""
    shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
    g, _, out_shape = _deconv_shapes(attrs, shapes)
    out = empty(out_shape)
    x = _channels_first(g, contiguous(data))
    w = _deconv_weight(_channels_first(g, contiguous(weight)), attrs.num_group)
    y = _channels_first(g, out)
    full = [s * (n - 1) + (k - 1) * d + 1
            for s, n, k, d in zip(g.stride, x.shape[2:], g.kernel, g.dilate)]
    pad_r = tuple(f - o - p for f, o, p in zip(full, y.shape[2:], g.pad))
    prim = None if min(pad_r) < 0 else forward_primitive("deconvolution", x, w, bias, y, g,
                                                          pad_r)
    if prim is None:
        return fallback("Deconvolution", xp, attrs, (data, weight, bias)[:len(shapes)], {},
                        "has no deconvolution for this call")
    args = {L.ARG_SRC: x, L.ARG_WEIGHTS: w, L.ARG_DST: y}
    if bias is not None:
        args[L.ARG_BIAS] = bias
    prim(args)
    return out
