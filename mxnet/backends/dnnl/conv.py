"""Convolution (forward, backward data and weights) and Deconvolution on oneDNN.

Arrays bind in place through their strides: channels-last data and weights
are the channels-first views of the same memory, groups split the weight's
first axis (oneDNN's grouped ``goihw`` weights), and Deconvolution's
(in, out/groups, *kernel) weights are viewed as oneDNN's (out, in) ones. The
primitives work in the layouts picked per layer by channel counts (blocked,
channels-last or the caller's own; see ``_blocked_forward`` and
``_backward_formats``) and the arguments are reordered in and out, except
inside compiled programs, where the forward and both backwards take their
data and output gradient as ``Blocked`` tensors and may leave their result
(output or data gradient) in the primitive's layout (``LayoutKernel``).
oneDNN counts dilation from 0 (MXNet's ``dilate - 1``).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...ops import registry
from ...ops.nn_conv import Geometry, _deconv_shapes
from . import library as L
from .overrides import all_float32, big_enough_product, contiguous, fallback, override
from .primitive import (Attr, Blocked, Primitive, blocked_from, cache, create_pd, destroy_pd,
                        empty, layout, strided_md, tag_md)


# oneDNN's direct kernels work on channels in blocks of this many (AVX-512).
_BLOCK = 16
_NCHW16C = 78  # dnnl_nChw16c, the format tag of 2-D data in those blocks


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


def _channels_first_inputs(*positions):
    """``blocked_inputs`` of a kernel: ``positions`` may come as ``Blocked``
    tensors in channels-first layouts (a channels-last array is a view that
    a ``Blocked`` tensor cannot stand for)."""
    def accepts(attrs, n_inputs):
        return positions if attrs.get("layout") in (None, "NCW", "NCHW", "NCDHW") else ()
    return accepts


# ----------------------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------------------

def forward_primitive(kind, x, w, b, y, g, pad_r=None, post=(), blocked=False):
    """Forward (de)convolution primitive for these array layouts, followed by
    the ``post`` chain of post-ops (see ``primitive.Attr``; with a ``sum``
    the destination's contents are added, so it is read as well as written).
    With ``blocked`` it is created for training propagation, for which
    oneDNN picks its blocked direct kernels rather than channels-last ones
    (see ``_blocked_forward``); the results are the same."""
    key = (kind, layout(x), layout(w), None if b is None else layout(b), layout(y),
           g.stride, g.dilate, g.pad, pad_r, post, blocked)

    def build():
        user = {L.ARG_SRC: _md(x), L.ARG_WEIGHTS: _md(w), L.ARG_DST: _md(y)}
        if b is not None:
            user[L.ARG_BIAS] = _md(b)
        alg = L.CONVOLUTION_DIRECT if kind == "convolution" else L.DECONVOLUTION_DIRECT
        attr = Attr(post) if post else None
        prop = L.FORWARD_TRAINING if blocked else L.FORWARD_INFERENCE
        pd = create_pd(kind + "_forward", prop, alg, tag_md(x.shape),
                       tag_md(w.shape), user.get(L.ARG_BIAS), tag_md(y.shape),
                       *_geometry_args(g, pad_r), attr)
        summed = any(p[0] == "sum" for p in post)
        return Primitive(pd, user, outputs=() if summed else (L.ARG_DST,),
                         updated=(L.ARG_DST,) if summed else ())
    return cache.get(key, build)


def _blocked_forward(x, w, groups):
    """Whether a Convolution on plain arrays runs faster on oneDNN's blocked
    kernels than on the channels-last ones it picks for inference: with
    both channel counts in whole blocks of 16 the blocked kernels pay no
    padding, and their reorders from NCHW are cheaper. CPU time, 1 thread,
    reorders included: 3x3 64 -> 64 56x56 b32 77 -> 69 ms, 3x3 128 -> 128
    14x14 b16 8.3 -> 7.9 ms, 1x1 64 -> 128 28x28 b16 3.5 -> 2.7 ms."""
    return x.ndim == 4 and groups == 1 and x.shape[1] % _BLOCK == 0 \
        and w.shape[0] % _BLOCK == 0


def _conv_kernel(name):
    op = registry.get(name)

    def kernel(xp, attrs, data, weight, bias=None, keep_out=False):
        shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
        out_shape = op.infer_shape(attrs, shapes)[1][0]
        g = Geometry(name, attrs, data.ndim)
        out = empty(out_shape)
        x = _channels_first(g, contiguous(data))
        w = _split_groups(_channels_first(g, contiguous(weight)), attrs.num_group)
        y = _channels_first(g, out)
        prim = forward_primitive("convolution", x, w, bias, y, g,
                                 blocked=_blocked_forward(x, w, attrs.num_group))
        if prim is None:
            return fallback(name, xp, attrs, (data, weight, bias)[:len(shapes)], {},
                            "has no convolution for this call")
        args = {L.ARG_SRC: x, L.ARG_WEIGHTS: w, L.ARG_DST: y}
        if bias is not None:
            args[L.ARG_BIAS] = bias
        # (with ``keep_out`` the result may stay in the primitive's layout)
        return prim(args, keep=(L.ARG_DST,) if keep_out else ()).get(L.ARG_DST, out)
    return kernel


for _name in ("Convolution", "Convolution_v1"):
    override(_name, _supports, blocked_inputs=_channels_first_inputs(0))(_conv_kernel(_name))


def _channels_last_md(shape):
    """Descriptor of a channels-last tensor of channels-first ``shape``."""
    dims = (shape[0],) + tuple(shape[2:]) + (shape[1],)
    strides, step = [0] * len(dims), 1
    for i in reversed(range(len(dims))):
        strides[i] = step
        step *= dims[i]
    return strided_md(shape, (strides[0], strides[-1]) + tuple(strides[1:-1]))


def _backward_formats(x, w, dy, dx, groups, chained=False):
    """(backward-data, backward-weights) choice of src/diff_dst format:
    'any' (oneDNN's pick: blocked nChw16c, or channels-last for strided
    data gradients), 'blocked' (nChw16c), 'nhwc' or 'plain' (the caller's
    arrays).

    Measured on 2-D layers (CPU time, 1 thread, reorders included): blocked
    kernels pad channels to multiples of 16, so where either count is not
    one, the channels-last brgconv kernels are faster (LeNet's 20 -> 50
    channels: data 4.2 -> 3.6 ms, weights 4.9 -> 3.0 ms); with a single
    partial block of input channels, the data gradient is fastest as im2col
    + GEMM on the plain arrays (1 -> 20 channels, 5x5, batch 64: 9.6 -> 1.1
    ms; 3 -> 32: 3.0 -> 1.5 ms) while the weight gradient stays blocked.
    When the gradient and data come ``Blocked`` (``chained``), the data
    gradient stays blocked too: oneDNN picks channels-last for strided
    layers, but with the reorders in and out of it the blocked kernel is
    faster (3x3 stride 2, 128 -> 256 channels, 28x28, batch 8: 19.7 -> 18.7
    ms, 1 thread)."""
    if x.ndim != 4 or groups != 1:
        return "any", "any"
    ic, oc = x.shape[1], dy.shape[1]
    if ic < _BLOCK:
        return "plain", "any"
    if ic % _BLOCK or oc % _BLOCK:
        return "nhwc", "nhwc"
    return "blocked" if chained else "any", "any"


def _formatted(fmt, a):
    """Descriptor of ``a``'s shape in format ``fmt`` (see ``_backward_formats``)."""
    if fmt == "plain":
        return _md(a)
    if fmt == "blocked":
        return tag_md(a.shape, _NCHW16C)
    return _channels_last_md(a.shape) if fmt == "nhwc" else tag_md(a.shape)


def _training_hint(fmt, x, w, db, dy, geometry):
    """The forward-training descriptor a backward primitive is created against."""
    return create_pd("convolution_forward", L.FORWARD_TRAINING, L.CONVOLUTION_DIRECT,
                     _formatted(fmt, x), tag_md(w.shape),
                     tag_md(db.shape) if db is not None else None, _formatted(fmt, dy),
                     *geometry, None)


def _backward_data_primitive(fmt, x, w, dy, dx, geometry):
    hint = _training_hint(fmt, x, w, None, dy, geometry)
    try:
        return Primitive(
            create_pd("convolution_backward_data", L.CONVOLUTION_DIRECT, _formatted(fmt, dx),
                      tag_md(w.shape), _formatted(fmt, dy), *geometry, hint, None),
            {L.ARG_DIFF_SRC: _md(dx), L.ARG_WEIGHTS: _md(w), L.ARG_DIFF_DST: _md(dy)},
            outputs=(L.ARG_DIFF_SRC,))
    finally:
        destroy_pd(hint)


def _backward_weights_primitive(fmt, x, dy, dw, db, geometry):
    hint = _training_hint(fmt, x, dw, db, dy, geometry)
    try:
        user = {L.ARG_SRC: _md(x), L.ARG_DIFF_DST: _md(dy), L.ARG_DIFF_WEIGHTS: _md(dw)}
        if db is not None:
            user[L.ARG_DIFF_BIAS] = _md(db)
        return Primitive(
            create_pd("convolution_backward_weights", L.CONVOLUTION_DIRECT,
                      _formatted(fmt, x), tag_md(dw.shape),
                      tag_md(db.shape) if db is not None else None, _formatted(fmt, dy),
                      *geometry, hint, None),
            user, outputs=(L.ARG_DIFF_WEIGHTS, L.ARG_DIFF_BIAS))
    finally:
        destroy_pd(hint)


def _backward_primitives(x, w, dy, dx, dw, db, g, groups):
    """(backward-data, backward-weights) primitives, in the formats
    ``_backward_formats`` picks; None when either has no fast implementation."""
    chained = type(x) is Blocked or type(dy) is Blocked
    key = ("conv_bwd", layout(x), layout(w), layout(dy), layout(dx), layout(dw),
           db is not None, g.stride, g.dilate, g.pad, chained)

    def build():
        geometry = _geometry_args(g)
        data_fmt, weights_fmt = _backward_formats(x, w, dy, dx, groups, chained)
        return (_backward_data_primitive(data_fmt, x, w, dy, dx, geometry),
                _backward_weights_primitive(weights_fmt, x, dy, dw, db, geometry))
    return cache.get(key, build)


def _shared_out_grad(bwd_data, bwd_weights, dy):
    """``dy`` reordered once when both primitives want it in the same layout
    (a ``Blocked`` tensor both bind as it is), else ``dy`` itself."""
    want = bwd_data.blocks(L.ARG_DIFF_DST)
    if want is None or want is not bwd_weights.blocks(L.ARG_DIFF_DST):
        return dy
    return dy.to(want) if type(dy) is Blocked else blocked_from(dy, want)


@override("_backward_Convolution", _backward_supports,
          blocked_inputs=_channels_first_inputs(0, 1))
def _backward_convolution(xp, attrs, out_grad, data, weight, bias=None, keep_out=False):
    """Gradients of Convolution w.r.t. data, weight (and bias) with oneDNN.
    ``out_grad`` and ``data`` may be ``Blocked``; with ``keep_out`` the data
    gradient may stay in the primitive's layout."""
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
    prims = _backward_primitives(x, w, dy, dx, dw, db, g, groups)
    args = (out_grad, data, weight) + (() if bias is None else (bias,))
    if prims is None:
        return fallback("_backward_Convolution", xp, attrs, args, {},
                        "has no convolution backward for this call")
    bwd_data, bwd_weights = prims
    dy_in = _shared_out_grad(bwd_data, bwd_weights, dy)
    kept = bwd_data({L.ARG_DIFF_SRC: dx, L.ARG_WEIGHTS: w, L.ARG_DIFF_DST: dy_in},
                    keep=(L.ARG_DIFF_SRC,) if keep_out else ())
    dx_out = kept.get(L.ARG_DIFF_SRC, dx_out)
    grads = {L.ARG_SRC: x, L.ARG_DIFF_DST: dy_in, L.ARG_DIFF_WEIGHTS: dw}
    if db is not None:
        grads[L.ARG_DIFF_BIAS] = db
    bwd_weights(grads)
    return (dx_out, dw_out) if db is None else (dx_out, dw_out, db)


@override("_backward_Convolution_weight", _backward_supports,
          blocked_inputs=_channels_first_inputs(0, 1))
def _backward_convolution_weight(xp, attrs, out_grad, data, weight, bias=None,
                                 keep_out=False):
    """Gradients of Convolution w.r.t. weight (and bias) only, with oneDNN
    (``out_grad`` and ``data`` may be ``Blocked``; nothing is kept blocked)."""
    g = Geometry("Convolution", attrs, data.ndim)
    dw_out = np.empty(weight.shape, np.float32)
    x = _channels_first(g, contiguous(data))
    w = _split_groups(_channels_first(g, contiguous(weight)), attrs.num_group)
    dy = _channels_first(g, contiguous(out_grad))
    dw = _split_groups(_channels_first(g, dw_out), attrs.num_group)
    db = None if bias is None else np.empty(bias.shape, np.float32)
    prims = _backward_primitives(x, w, dy, x, dw, db, g, attrs.num_group)
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
