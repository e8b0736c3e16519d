"""Convolution family: Convolution (and _v1), Deconvolution, im2col, col2im.

Every kernel works on channels-first arrays (channels-last layouts are
transposed in and out) and reduces to three primitives sharing one
geometry (kernel, stride, dilate, pad): ``conv_forward`` (im2col + one
batched GEMM per group), ``conv_backward_data`` (GEMM + col2im, which is
also Deconvolution's forward) and ``conv_backward_weight`` (im2col + GEMM).
im2col and col2im loop over kernel offsets only (9 for a 3x3 kernel), each
step moving one strided slice of the whole batch.

Gradients go through the fused ``_backward_Convolution`` and
``_backward_Deconvolution`` ops, whose own gradients are again convolutions,
so higher-order gradients work.
"""
import itertools
import math

import numpy as np

from ..base import MXNetError
from .params import Param
from .quiet import quiet
from .registry import input_grad_needed, register

_CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}
_CHANNELS_LAST = {"NWC": 1, "NHWC": 2, "NDHWC": 3}
_LAYOUTS = (None, "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC")


# ----------------------------------------------------------------------------------------
# geometry
# ----------------------------------------------------------------------------------------

def spatial_tuple(op, attrs, name, nsp, default):
    """``attrs[name]`` checked to have one entry per spatial axis (``default`` when empty)."""
    value = attrs[name]
    if not value:
        return (default,) * nsp
    if len(value) != nsp:
        raise MXNetError(f"{op}: argument '{name}' must have {nsp} entries like 'kernel' "
                         f"{tuple(attrs.kernel)}, got {tuple(value)}")
    return tuple(value)


def check_layout(op, layout, ndim):
    """Whether ``layout`` is channels-last for a ``ndim``-d input (validating it)."""
    if layout is None:
        return False
    expected = _CHANNELS_FIRST.get(ndim - 2)
    if layout != expected and _CHANNELS_LAST.get(layout) != ndim - 2:
        raise MXNetError(f"{op}: layout '{layout}' does not fit a {ndim}-d input "
                         f"(expected {expected} or its channels-last form)")
    return layout in _CHANNELS_LAST


def to_channels_first(xp, a):
    return xp.moveaxis(a, -1, 1)


def to_channels_last(xp, a):
    return xp.ascontiguousarray(xp.moveaxis(a, 1, -1))


class Geometry:
    """Kernel, stride, dilation and padding of one convolution call."""
    __slots__ = ("kernel", "stride", "dilate", "pad", "channels_last")

    def __init__(self, op, attrs, ndim, min_dims=1):
        kernel = tuple(attrs.kernel)
        nsp = len(kernel)
        if not min_dims <= nsp <= 3:
            raise MXNetError(f"{op}: {nsp}-d kernel {kernel} is not supported "
                             f"(expects {min_dims} to 3 spatial dimensions)")
        if ndim != nsp + 2:
            raise MXNetError(f"{op}: a {nsp}-d kernel needs {nsp + 2}-d input data "
                             f"(batch, channel, {nsp} spatial), got {ndim}-d data")
        if min(kernel) <= 0:
            raise MXNetError(f"{op}: argument 'kernel' must be positive, got {kernel}")
        self.kernel = kernel
        self.stride = spatial_tuple(op, attrs, "stride", nsp, 1)
        self.dilate = spatial_tuple(op, attrs, "dilate", nsp, 1)
        self.pad = spatial_tuple(op, attrs, "pad", nsp, 0)
        for name in ("stride", "dilate"):
            if min(getattr(self, name)) <= 0:
                raise MXNetError(f"{op}: argument '{name}' must be positive, got "
                                 f"{getattr(self, name)}")
        if min(self.pad) < 0:
            raise MXNetError(f"{op}: argument 'pad' must not be negative, got {self.pad}")
        self.channels_last = check_layout(op, attrs.get("layout"), ndim)

    def dilated_kernel(self):
        return tuple((k - 1) * d + 1 for k, d in zip(self.kernel, self.dilate))

    def conv_out(self, op, spatial):
        """Output spatial shape of a convolution over ``spatial``."""
        out = []
        for n, dk, s, p in zip(spatial, self.dilated_kernel(), self.stride, self.pad):
            if dk > n + 2 * p:
                raise MXNetError(f"{op}: kernel {self.kernel} (dilated to {dk}) exceeds the "
                                 f"input size {n} padded by {p}")
            out.append((n + 2 * p - dk) // s + 1)
        return tuple(out)

    def split_data(self, shape):
        """(batch, channels, spatial) of a data shape in this layout."""
        if self.channels_last:
            return shape[0], shape[-1], tuple(shape[1:-1])
        return shape[0], shape[1], tuple(shape[2:])

    def join_data(self, n, c, spatial):
        return (n,) + tuple(spatial) + (c,) if self.channels_last else (n, c) + tuple(spatial)

    def weight_shape(self, out_channels, in_channels):
        if self.channels_last:
            return (out_channels,) + self.kernel + (in_channels,)
        return (out_channels, in_channels) + self.kernel


# ----------------------------------------------------------------------------------------
# numeric primitives (channels-first arrays)
# ----------------------------------------------------------------------------------------

def check_float(op, dtype):
    """MXNet runs these operators on floating point data only."""
    if dtype.kind != "f":
        raise MXNetError(f"{op}: supports floating point data only (float16, float32, "
                         f"float64), got {dtype}")


def _prod(values):
    return math.prod(values)


def _is_pointwise(g):
    return all(k == 1 for k in g.kernel) and all(s == 1 for s in g.stride) \
        and not any(g.pad)


def _offsets(g, out_sp):
    """(kernel index, slices of the padded input it reads) for every kernel offset."""
    for off in itertools.product(*(range(k) for k in g.kernel)):
        yield off, tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                         for o, d, s, n in zip(off, g.dilate, g.stride, out_sp))


def im2col(xp, x, g, out_sp):
    """Columns (N, C, *kernel, *out) of channels-first ``x``: one input patch per output."""
    n, c = x.shape[:2]
    if _is_pointwise(g):
        return x
    if any(g.pad):
        padded = xp.zeros((n, c) + tuple(d + 2 * p for d, p in zip(x.shape[2:], g.pad)),
                          dtype=x.dtype)
        padded[(slice(None), slice(None)) + tuple(slice(p, p + d) for p, d in
                                                  zip(g.pad, x.shape[2:]))] = x
    else:
        padded = x
    # A strided view with every patch, copied out at once: one pass (one kernel
    # launch on a GPU) instead of one per kernel offset.
    spatial = padded.strides[2:]
    view = xp.lib.stride_tricks.as_strided(
        padded, (n, c) + g.kernel + tuple(out_sp),
        padded.strides[:2] + tuple(st * d for st, d in zip(spatial, g.dilate))
        + tuple(st * s for st, s in zip(spatial, g.stride)))
    return xp.ascontiguousarray(view)


def col2im(xp, cols, g, in_sp, out_sp):
    """Adjoint of ``im2col``: sum columns (N, C, *kernel, *out) back into (N, C, *in_sp)."""
    n, c = cols.shape[:2]
    if _is_pointwise(g):
        return cols.reshape((n, c) + tuple(in_sp))
    padded = xp.zeros((n, c) + tuple(d + 2 * p for d, p in zip(in_sp, g.pad)), dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for off, dst in _offsets(g, out_sp):
        padded[lead + dst] += cols[lead + off]
    if not any(g.pad):
        return padded
    return padded[lead + tuple(slice(p, p + d) for p, d in zip(g.pad, in_sp))].copy()


def _compute_dtype(xp, dtype):
    # float16 GEMMs are slow and lose precision in NumPy; accumulate in float32.
    return xp.float32 if dtype == xp.float16 else dtype


def conv_forward(xp, x, w, g, groups, out_sp=None):
    """Convolution of channels-first ``x`` (N, C, *S) with ``w`` (F, C/groups, *K)."""
    n, c = x.shape[:2]
    f = w.shape[0]
    out_sp = out_sp or g.conv_out("Convolution", x.shape[2:])
    ct = _compute_dtype(xp, x.dtype)
    cols = im2col(xp, x.astype(ct, copy=False), g, out_sp)
    k = (c // groups) * _prod(g.kernel)
    out = xp.matmul(w.astype(ct, copy=False).reshape(groups, f // groups, k),
                    cols.reshape(n, groups, k, _prod(out_sp)))
    return out.reshape((n, f) + out_sp).astype(x.dtype, copy=False)


def conv_backward_data(xp, dy, w, g, groups, in_sp):
    """Gradient of ``conv_forward`` w.r.t. its data, for output gradient ``dy``."""
    n, f = dy.shape[:2]
    out_sp = dy.shape[2:]
    c = w.shape[1] * groups
    k = (c // groups) * _prod(g.kernel)
    ct = _compute_dtype(xp, dy.dtype)
    wm = w.astype(ct, copy=False).reshape(groups, f // groups, k)
    cols = xp.matmul(wm.transpose(0, 2, 1),
                     dy.astype(ct, copy=False).reshape(n, groups, f // groups, _prod(out_sp)))
    dx = col2im(xp, cols.reshape((n, c) + g.kernel + tuple(out_sp)), g, in_sp, out_sp)
    return dx.astype(dy.dtype, copy=False)


def conv_backward_weight(xp, dy, x, g, groups, w_shape):
    """Gradient of ``conv_forward`` w.r.t. its weight (shape ``w_shape``, channels-first)."""
    n, f = dy.shape[:2]
    out_sp = dy.shape[2:]
    c = x.shape[1]
    k = (c // groups) * _prod(g.kernel)
    ct = _compute_dtype(xp, dy.dtype)
    cols = im2col(xp, x.astype(ct, copy=False), g, out_sp).reshape(n, groups, k, _prod(out_sp))
    dym = dy.astype(ct, copy=False).reshape(n, groups, f // groups, _prod(out_sp))
    dw = xp.matmul(dym, cols.transpose(0, 1, 3, 2)).sum(axis=0)
    return dw.reshape(w_shape).astype(dy.dtype, copy=False)


def _bias_view(b, ndim):
    return b.reshape((1, -1) + (1,) * (ndim - 2))


# ----------------------------------------------------------------------------------------
# Convolution
# ----------------------------------------------------------------------------------------

def conv_params(workspace, no_bias, layouts, deconv=False):
    params = {
        "kernel": Param("shape", doc="Kernel size per spatial axis: (w,), (h, w) or (d, h, w)."),
        "stride": Param("shape", (), doc="Stride per spatial axis (default 1)."),
        "dilate": Param("shape", (), doc="Dilation per spatial axis (default 1)."),
        "pad": Param("shape", (), doc="Zero padding per spatial axis, both sides (default 0)."),
        "num_filter": Param("int", doc="Number of output channels."),
        "num_group": Param("int", 1, doc="Number of groups the channels are split into."),
        "workspace": Param("int", workspace, doc="Accepted for compatibility; unused."),
        "no_bias": Param("bool", no_bias, doc="Whether there is no bias input."),
        "cudnn_tune": Param("str", None, choices=("fastest", "limited_workspace", "off"),
                            doc="Accepted for compatibility; unused."),
        "cudnn_off": Param("bool", False, doc="Accepted for compatibility; unused."),
        "layout": Param("str", None, choices=layouts,
                        doc="Data layout: channels first (NCW, NCHW, NCDHW) or last."),
    }
    if deconv:
        params["adj"] = Param("shape", (), doc="Extra output size at the end of each axis.")
        params["target_shape"] = Param("shape", (), doc="Output spatial shape; sets pad/adj.")
    return params


def _check_groups(op, attrs, channels):
    groups = attrs.num_group
    if groups <= 0 or channels % groups or attrs.num_filter % groups:
        raise MXNetError(f"{op}: num_group {groups} must divide both the input channels "
                         f"({channels}) and num_filter ({attrs.num_filter})")


def _check_shape(op, name, given, expected):
    if given is not None and tuple(given) != tuple(expected):
        raise MXNetError(f"{op}: argument '{name}' expects shape {tuple(expected)}, "
                         f"got {tuple(given)}")


def _bias_shapes(op, attrs, shapes):
    """The bias shape as a list: present exactly when no_bias is False."""
    if (len(shapes) > 2) == attrs.no_bias:
        raise MXNetError(f"{op}: takes a 'bias' input exactly when no_bias=False "
                         f"(no_bias={attrs.no_bias}, {len(shapes)} inputs given)")
    if attrs.no_bias:
        return []
    _check_shape(op, "bias", shapes[2], (attrs.num_filter,))
    return [(attrs.num_filter,)]


def _conv_shapes(op, attrs, shapes, min_dims=1):
    """(input shapes, output shape) of a Convolution call from a known data shape."""
    data = tuple(shapes[0])
    g = Geometry(op, attrs, len(data), min_dims)
    n, c, spatial = g.split_data(data)
    _check_groups(op, attrs, c)
    w_shape = g.weight_shape(attrs.num_filter, c // attrs.num_group)
    _check_shape(op, "weight", shapes[1] if len(shapes) > 1 else None, w_shape)
    ins = [data, w_shape] + _bias_shapes(op, attrs, shapes)
    out = g.join_data(n, attrs.num_filter, g.conv_out(op, spatial))
    return g, ins, out


def uniform_type(op_name):
    """``infer_type``: every input and the output share the dtype of the first known input."""
    def infer(attrs, types):
        known = next((t for t in types if t is not None), None)
        if known is not None:
            check_float(op_name, np.dtype(known))
        for name, t in zip(("data", "weight", "bias"), types):
            if t is not None and t != known:
                raise MXNetError(f"{op_name}: all inputs must have one dtype; '{name}' is {t}, "
                                 f"expected {known}")
        return [known] * len(types), [known]
    return infer


def _check_types(op, *arrays):
    uniform_type(op)(None, [None if a is None else a.dtype.name for a in arrays])


def _conv_infer_shape(op, min_dims):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        _, ins, out = _conv_shapes(op, attrs, shapes, min_dims)
        return ins, [out]
    return infer


def _weight_cf(xp, g, w):
    return to_channels_first(xp, w) if g.channels_last else w


def _conv_compute(op, min_dims):
    def compute(xp, attrs, data, weight, bias=None):
        _check_types(op, data, weight, bias)
        g, _, _ = _conv_shapes(op, attrs, [data.shape, weight.shape]
                               + ([] if bias is None else [bias.shape]), min_dims)
        x = to_channels_first(xp, data) if g.channels_last else data
        out = conv_forward(xp, x, _weight_cf(xp, g, weight), g, attrs.num_group)
        if bias is not None:
            out += _bias_view(bias, out.ndim).astype(out.dtype, copy=False)
        return to_channels_last(xp, out) if g.channels_last else out
    return compute


def _broadcast_bias(F, attrs, c, like):
    """The bias cotangent ``c`` (num_filter,) spread over the shape of ``like``."""
    shape = [1] * like.ndim
    shape[-1 if attrs.layout in _CHANNELS_LAST else 1] = -1
    return F.broadcast_like(F.reshape(c, shape=tuple(shape)), like)


def _kwargs(attrs, **overrides):
    kw = dict(attrs)
    kw.update(overrides)
    return kw


def _conv_gradient(F, attrs, ins, outs, out_grads):
    if input_grad_needed(0):
        return list(F._internal._backward_Convolution(out_grads[0], *ins, **attrs))[:len(ins)]
    # The data gradient of a network's first layer is never used: skip its work.
    weight_grads = F._internal._backward_Convolution_weight(out_grads[0], *ins, **attrs)
    return [None] + (list(weight_grads) if len(ins) == 3 else [weight_grads])


_CONV_DOC = """Convolution of `data` (batch, channel, *spatial) with `weight`
(num_filter, channel/num_group, *kernel) plus an optional `bias` (num_filter,).
Output spatial size per axis: floor((in + 2*pad - dilate*(kernel-1) - 1)/stride) + 1.
Channels-last layouts take the weight as (num_filter, *kernel, channel/num_group)."""

for _name, _min_dims, _layouts in (("Convolution", 1, _LAYOUTS),
                                   ("Convolution_v1", 2, tuple(x for x in _LAYOUTS
                                                               if x != "NCW"))):
    register(_name, inputs=("data", "weight", "bias"),
             params=conv_params(1024, False, _layouts),
             infer_shape=_conv_infer_shape(_name, _min_dims), infer_type=uniform_type(_name),
             gradient=_conv_gradient, doc=_CONV_DOC)(quiet(_conv_compute(_name, _min_dims)))


def _backward_conv_shape(attrs, shapes):
    return shapes, list(shapes[1:])


def _backward_conv_type(attrs, types):
    return types, list(types[1:])


def _grad_of_backward_conv(F, attrs, ins, outs, out_grads):
    """The backward convolution is linear in each argument: its gradients are convolutions
    (``a``, ``b``, ``c`` are the cotangents of the data, weight and bias gradients)."""
    dy, x, w = ins[:3]
    a, b = out_grads[0], out_grads[1]
    plain = _kwargs(attrs, no_bias=True)
    g_dy = F.Convolution(a, w, **plain) + F.Convolution(x, b, **plain)
    if len(ins) > 3:
        g_dy = g_dy + _broadcast_bias(F, attrs, out_grads[2], dy)
    g_x = F._internal._backward_Convolution(dy, x, b, **plain)[0]
    g_w = F._internal._backward_Convolution(dy, a, w, **plain)[1]
    return [g_dy, g_x, g_w] + [None] * (len(ins) - 3)


@register("_backward_Convolution", inputs=("out_grad", "data", "weight", "bias"),
          params=conv_params(1024, False, _LAYOUTS),
          num_outputs=lambda attrs: 2 if attrs.no_bias else 3,
          infer_shape=_backward_conv_shape, infer_type=_backward_conv_type,
          gradient=_grad_of_backward_conv)
def _backward_convolution(xp, attrs, out_grad, data, weight, bias=None):
    """Gradients of Convolution w.r.t. data, weight (and bias) in one pass."""
    g = Geometry("Convolution", attrs, data.ndim)
    x = to_channels_first(xp, data) if g.channels_last else data
    dy = to_channels_first(xp, out_grad) if g.channels_last else out_grad
    w = _weight_cf(xp, g, weight)
    dx = conv_backward_data(xp, dy, w, g, attrs.num_group, x.shape[2:])
    dw = conv_backward_weight(xp, dy, x, g, attrs.num_group, w.shape)
    if g.channels_last:
        dx, dw = to_channels_last(xp, dx), to_channels_last(xp, dw)
    if attrs.no_bias:
        return dx, dw
    return dx, dw, dy.sum(axis=(0,) + tuple(range(2, dy.ndim))).astype(dy.dtype, copy=False)


def _grad_of_backward_conv_weight(F, attrs, ins, outs, out_grads):
    """Like ``_grad_of_backward_conv`` with no data-gradient output (its cotangent is 0)."""
    dy, x = ins[:2]
    b = out_grads[0]
    plain = _kwargs(attrs, no_bias=True)
    g_dy = F.Convolution(x, b, **plain)
    if len(ins) > 3:
        g_dy = g_dy + _broadcast_bias(F, attrs, out_grads[1], dy)
    g_x = F._internal._backward_Convolution(dy, x, b, **plain)[0]
    return [g_dy, g_x] + [None] * (len(ins) - 2)


@register("_backward_Convolution_weight", inputs=("out_grad", "data", "weight", "bias"),
          params=conv_params(1024, False, _LAYOUTS),
          num_outputs=lambda attrs: 1 if attrs.no_bias else 2,
          infer_shape=lambda attrs, shapes: (shapes, list(shapes[2:])),
          infer_type=lambda attrs, types: (types, list(types[2:])),
          gradient=_grad_of_backward_conv_weight)
def _backward_convolution_weight(xp, attrs, out_grad, data, weight, bias=None):
    """Gradients of Convolution w.r.t. weight (and bias) only."""
    g = Geometry("Convolution", attrs, data.ndim)
    x = to_channels_first(xp, data) if g.channels_last else data
    dy = to_channels_first(xp, out_grad) if g.channels_last else out_grad
    w_shape = _weight_cf(xp, g, weight).shape
    dw = conv_backward_weight(xp, dy, x, g, attrs.num_group, w_shape)
    if g.channels_last:
        dw = to_channels_last(xp, dw)
    if attrs.no_bias:
        return dw
    return dw, dy.sum(axis=(0,) + tuple(range(2, dy.ndim))).astype(dy.dtype, copy=False)


# ----------------------------------------------------------------------------------------
# Deconvolution (transposed convolution)
# ----------------------------------------------------------------------------------------

def _deconv_shapes(attrs, shapes):
    """(geometry with the effective padding, input shapes, output shape) of Deconvolution."""
    op = "Deconvolution"
    data = tuple(shapes[0])
    g = Geometry(op, attrs, len(data))
    n, c, spatial = g.split_data(data)
    groups = attrs.num_group
    if groups <= 0 or c % groups or attrs.num_filter % groups:
        raise MXNetError(f"{op}: num_group {groups} must divide both the input channels "
                         f"({c}) and num_filter ({attrs.num_filter})")
    w_shape = g.weight_shape(c, attrs.num_filter // groups)
    _check_shape(op, "weight", shapes[1] if len(shapes) > 1 else None, w_shape)
    ins = [data, w_shape] + _bias_shapes(op, attrs, shapes)
    nsp = len(spatial)
    adj = spatial_tuple(op, attrs, "adj", nsp, 0)
    full = [s * (d - 1) + dk for s, d, dk in zip(g.stride, spatial, g.dilated_kernel())]
    if any(attrs.target_shape):
        # MXNet derives padding from the target: as even as possible, the extra one at the end.
        target = spatial_tuple(op, attrs, "target_shape", nsp, 0)
        totals = [f - t for f, t in zip(full, target)]
        if min(totals) < 0:
            raise MXNetError(f"{op}: target_shape {target} is larger than the largest "
                             f"possible output {tuple(full)}")
        adj = tuple(t % 2 for t in totals)
        g.pad = tuple((t + 1) // 2 for t in totals)
    for a, s in zip(adj, g.stride):
        if a >= s:
            raise MXNetError(f"{op}: adj {adj} must be smaller than stride {g.stride} "
                             f"on every axis (with target_shape, adj is derived from it)")
    out_sp = tuple(f - 2 * p + a for f, p, a in zip(full, g.pad, adj))
    if min(out_sp) <= 0:
        raise MXNetError(f"{op}: pad {g.pad} leaves an empty output {out_sp} for input "
                         f"{spatial} and kernel {g.kernel}")
    return g, ins, g.join_data(n, attrs.num_filter, out_sp)


def _deconv_infer_shape(attrs, shapes):
    if shapes[0] is None:
        return shapes, [None]
    _, ins, out = _deconv_shapes(attrs, shapes)
    return ins, [out]


def _deconv_weight_cf(xp, g, w):
    # Deconvolution weights are (in, out/groups, *kernel): a convolution weight from
    # the deconvolution's output channels to its input channels.
    return xp.moveaxis(w, -1, 1) if g.channels_last else w


@register("Deconvolution", inputs=("data", "weight", "bias"),
          params=conv_params(512, True, _LAYOUTS, deconv=True),
          infer_shape=_deconv_infer_shape, infer_type=uniform_type("Deconvolution"),
          gradient=lambda F, attrs, ins, outs, g: list(
              F._internal._backward_Deconvolution(g[0], *ins, **attrs))[:len(ins)])
def _deconvolution(xp, attrs, data, weight, bias=None):
    """Transposed convolution: the gradient of a Convolution w.r.t. its data.

    `weight` is (channel, num_filter/num_group, *kernel). Output size per axis:
    stride*(in-1) + dilate*(kernel-1) + 1 - 2*pad + adj, or `target_shape` when given
    (pad and adj are then derived from it)."""
    _check_types("Deconvolution", data, weight, bias)
    shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
    g, _, out_shape = _deconv_shapes(attrs, shapes)
    x = to_channels_first(xp, data) if g.channels_last else data
    out_sp = g.split_data(out_shape)[2]
    out = conv_backward_data(xp, x, _deconv_weight_cf(xp, g, weight), g, attrs.num_group,
                             out_sp)
    if bias is not None:
        out += _bias_view(bias, out.ndim).astype(out.dtype, copy=False)
    return to_channels_last(xp, out) if g.channels_last else out


def _grad_of_backward_deconv(F, attrs, ins, outs, out_grads):
    """Adjoint of ``_backward_Deconvolution`` (cotangents ``a``, ``b`` of the data and
    weight gradients), built from deconvolutions and convolutions."""
    dy, x, w = ins[:3]
    a, b = out_grads[0], out_grads[1]
    plain = _kwargs(attrs, no_bias=True)
    g_dy = F.Deconvolution(a, w, **plain) + F.Deconvolution(x, b, **plain)
    if len(ins) > 3:
        g_dy = g_dy + _broadcast_bias(F, attrs, out_grads[2], dy)
    g_x = F._internal._backward_Deconvolution(dy, x, b, **plain)[0]
    g_w = F._internal._backward_Deconvolution(dy, a, w, **plain)[1]
    return [g_dy, g_x, g_w] + [None] * (len(ins) - 3)


@register("_backward_Deconvolution", inputs=("out_grad", "data", "weight", "bias"),
          params=conv_params(512, True, _LAYOUTS, deconv=True),
          num_outputs=lambda attrs: 2 if attrs.no_bias else 3,
          infer_shape=_backward_conv_shape, infer_type=_backward_conv_type,
          gradient=_grad_of_backward_deconv)
def _backward_deconvolution(xp, attrs, out_grad, data, weight, bias=None):
    """Gradients of Deconvolution w.r.t. data, weight (and bias) in one pass."""
    g, _, _ = _deconv_shapes(attrs, [data.shape, weight.shape]
                             + ([] if bias is None else [bias.shape]))
    x = to_channels_first(xp, data) if g.channels_last else data
    dy = to_channels_first(xp, out_grad) if g.channels_last else out_grad
    w = _deconv_weight_cf(xp, g, weight)
    dx = conv_forward(xp, dy, w, g, attrs.num_group, out_sp=x.shape[2:])
    dw = conv_backward_weight(xp, x, dy, g, attrs.num_group, w.shape)
    if g.channels_last:
        dx, dw = to_channels_last(xp, dx), to_channels_last(xp, dw)
    if attrs.no_bias:
        return dx, dw
    return dx, dw, dy.sum(axis=(0,) + tuple(range(2, dy.ndim))).astype(dy.dtype, copy=False)


# ----------------------------------------------------------------------------------------
# im2col / col2im
# ----------------------------------------------------------------------------------------

def _im2col_params(with_size):
    params = {"kernel": Param("shape", doc="Kernel size per spatial axis."),
              "stride": Param("shape", (), doc="Stride per spatial axis (default 1)."),
              "dilate": Param("shape", (), doc="Dilation per spatial axis (default 1)."),
              "pad": Param("shape", (), doc="Zero padding per spatial axis (default 0).")}
    if with_size:
        params["output_size"] = Param("shape", doc="Spatial shape of the image to rebuild.")
    return params


def _im2col_shape(attrs, shape):
    g = Geometry("im2col", attrs, len(shape))
    out_sp = g.conv_out("im2col", shape[2:])
    return g, out_sp, (shape[0], shape[1] * _prod(g.kernel), _prod(out_sp))


def _col2im_shape(attrs, shape):
    op = "col2im"
    size = tuple(attrs.output_size)
    if len(shape) != 3:
        raise MXNetError(f"{op}: data must be 3-d (batch, channel*kernel, blocks), got {shape}")
    g = Geometry(op, attrs, len(size) + 2)
    out_sp = g.conv_out(op, size)
    k = _prod(g.kernel)
    if shape[1] % k or shape[2] != _prod(out_sp):
        raise MXNetError(f"{op}: data of shape {tuple(shape)} does not hold columns of a "
                         f"{g.kernel} kernel over {_prod(out_sp)} blocks of {size}")
    return g, out_sp, (shape[0], shape[1] // k) + size


@register("im2col", params=_im2col_params(False),
          infer_shape=lambda attrs, s: (s, [None if s[0] is None
                                            else _im2col_shape(attrs, s[0])[2]]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F.col2im(
              g[0], output_size=tuple(ins[0].shape[2:]), **attrs)])
def _im2col_op(xp, attrs, data):
    """Image patches as columns: (N, C, *spatial) -> (N, C*prod(kernel), blocks), rows
    ordered by channel then kernel offset, one column per sliding-window position."""
    check_float("im2col", data.dtype)
    g, out_sp, shape = _im2col_shape(attrs, data.shape)
    cols = im2col(xp, data, g, out_sp)
    return (cols.copy() if cols is data else cols).reshape(shape)


@register("col2im", params=_im2col_params(True),
          infer_shape=lambda attrs, s: (s, [None if s[0] is None
                                            else _col2im_shape(attrs, s[0])[2]]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F.im2col(
              g[0], **{k: v for k, v in attrs.items() if k != "output_size"})])
def _col2im_op(xp, attrs, data):
    """Sum columns (N, C*prod(kernel), blocks) back into images (N, C, *output_size):
    the adjoint of im2col, overlapping patches adding up."""
    check_float("col2im", data.dtype)
    g, out_sp, shape = _col2im_shape(attrs, data.shape)
    cols = data.reshape(shape[:2] + g.kernel + tuple(out_sp))
    out = col2im(xp, cols, g, shape[2:], out_sp)
    return out.copy() if out is data or out.base is data else out
