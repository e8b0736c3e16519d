"""Pooling family: Pooling (and _v1), UpSampling, AdaptiveAvgPooling2D, BilinearResize2D.

Pooling walks the kernel offsets (9 for a 3x3 window), each step combining one
strided slice of the padded batch into the output, so no Python loop touches
pixels; global pooling is a plain reduction. Its gradient is the fused
``_backward_Pooling``. The resize operators are separable linear maps: one
(out, in) matrix per spatial axis, applied with two GEMMs, and their
gradients apply the transposed matrices (``_backward_spatial_resize``).
"""
import itertools
import math

import numpy as np

from ..base import MXNetError
from .nn_conv import (Geometry, check_float, check_layout, conv_backward_data,
                      to_channels_first, to_channels_last)
from .params import Param
from .quiet import quiet
from .registry import Attrs, register

_POOL_LAYOUTS = (None, "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC", "NWC")


class PoolGeometry:
    """Kernel, stride, padding (before/after) and output size of one pooling call."""
    __slots__ = ("kernel", "stride", "pad_before", "pad_after", "out", "channels_last",
                 "is_global")

    def __init__(self, op, attrs, shape, v1=False):
        ndim = len(shape)
        if not (ndim == 4 if v1 else 3 <= ndim <= 5):
            raise MXNetError(f"{op}: data must be {'4-d' if v1 else '3-d to 5-d'} (batch, "
                             f"channel, spatial...), got shape {tuple(shape)}")
        self.channels_last = check_layout(op, attrs.get("layout"), ndim)
        spatial = shape[1:-1] if self.channels_last else shape[2:]
        nsp = len(spatial)
        self.is_global = attrs.global_pool
        if self.is_global:
            self.kernel, self.stride, self.pad_before = tuple(spatial), (1,) * nsp, (0,) * nsp
        else:
            if len(attrs.kernel) != nsp:
                raise MXNetError(f"{op}: argument 'kernel' must have {nsp} entries for "
                                 f"{ndim}-d data, got {tuple(attrs.kernel)}")
            self.kernel = tuple(attrs.kernel)
            self.stride = _entries(op, attrs, "stride", nsp, 1)
            self.pad_before = _entries(op, attrs, "pad", nsp, 0)
            if min(self.kernel) <= 0 or min(self.stride) <= 0:
                raise MXNetError(f"{op}: 'kernel' and 'stride' must be positive, got "
                                 f"{self.kernel} and {self.stride}")
        convention = attrs.pooling_convention
        if convention == "same" and not self.is_global:
            if nsp != 1 or attrs.pool_type != "max":
                raise MXNetError(f"{op}: pooling_convention='same' supports only 1-d max "
                                 f"pooling, got {nsp}-d {attrs.pool_type} pooling")
            if any(self.pad_before):
                raise MXNetError(f"{op}: pooling_convention='same' computes its own padding; "
                                 f"'pad' must be 0, got {self.pad_before}")
            self.out = tuple(-(-n // s) for n, s in zip(spatial, self.stride))
            total = [max((o - 1) * s + k - n, 0)
                     for o, s, k, n in zip(self.out, self.stride, self.kernel, spatial)]
            self.pad_before = tuple(t // 2 for t in total)
        else:
            out = []
            for n, k, s, p in zip(spatial, self.kernel, self.stride, self.pad_before):
                if k > n + 2 * p:
                    raise MXNetError(f"{op}: kernel {self.kernel} exceeds the input "
                                     f"{tuple(spatial)} padded by {self.pad_before}")
                span = n + 2 * p - k
                out.append((-(-span // s) if convention == "full" and not self.is_global
                            else span // s) + 1)
            self.out = tuple(out)
        # Room after the data: the padding, or more where the last window overhangs.
        self.pad_after = tuple((o - 1) * s + k - n - pb for o, s, k, n, pb in
                               zip(self.out, self.stride, self.kernel, spatial, self.pad_before))

    def offsets(self):
        """(kernel offset, slices of the padded input it reads) for every window offset."""
        for off in itertools.product(*(range(k) for k in self.kernel)):
            yield tuple(slice(o, o + s * (n - 1) + 1, s)
                        for o, s, n in zip(off, self.stride, self.out))

    def output_shape(self, shape):
        if self.channels_last:
            return (shape[0],) + self.out + (shape[-1],)
        return tuple(shape[:2]) + self.out


def _entries(op, attrs, name, nsp, default):
    value = attrs[name]
    if not value:
        return (default,) * nsp
    if len(value) != nsp:
        raise MXNetError(f"{op}: argument '{name}' must have {nsp} entries like 'kernel', "
                         f"got {tuple(value)}")
    return tuple(value)


def _lowest(xp, dtype):
    return xp.finfo(dtype).min if xp.dtype(dtype).kind == "f" else xp.iinfo(dtype).min


def _padded(xp, x, pg, fill, pad_fill=None):
    """``x`` inside a buffer holding every window: ``pad_fill`` in the padding,
    ``fill`` where a 'full' window overhangs the padded input."""
    n, c = x.shape[:2]
    if not any(pg.pad_before) and max(pg.pad_after) <= 0:
        return x
    shape = (n, c) + tuple(d + b + max(a, 0) for d, b, a in
                           zip(x.shape[2:], pg.pad_before, pg.pad_after))
    buf = xp.full(shape, fill, dtype=x.dtype)
    if pad_fill is not None and pad_fill != fill:
        buf[(slice(None), slice(None)) + tuple(
            slice(0, d + 2 * b) for d, b in zip(x.shape[2:], pg.pad_before))] = pad_fill
    buf[(slice(None), slice(None)) + tuple(slice(b, b + d) for b, d in
                                           zip(pg.pad_before, x.shape[2:]))] = x
    return buf


def _divisor(xp, pg, spatial, count_include_pad, dtype):
    """Elements averaged by each window, as an array broadcasting over the output."""
    total = None
    for axis, (n, k, s, b, o) in enumerate(zip(spatial, pg.kernel, pg.stride,
                                               pg.pad_before, pg.out)):
        start = np.arange(o) * s
        if count_include_pad:
            count = np.minimum(start + k, n + 2 * b) - start
        else:
            count = np.clip(np.minimum(start + k, b + n) - np.maximum(start, b), 0, None)
        shape = [1] * len(spatial)
        shape[axis] = o
        count = count.reshape(shape)
        total = count if total is None else total * count
    return xp.asarray(total.astype(dtype))


def _p_value(op, attrs):
    p = attrs.p_value
    if p not in (1, 2, 3):
        raise MXNetError(f"{op}: pool_type='lp' needs p_value 1, 2 or 3, got {p}")
    return p


def pool_forward(xp, op, attrs, x, pg, v1=False):
    """Pooling of channels-first ``x`` with geometry ``pg``."""
    kind = attrs.pool_type
    acc = xp.float32 if x.dtype == xp.float16 else x.dtype
    spatial_axes = tuple(range(2, x.ndim))
    if kind == "max":
        if pg.is_global:
            return x.max(axis=spatial_axes, keepdims=True)
        low = _lowest(xp, x.dtype)
        buf = _padded(xp, x, pg, low, 0 if v1 else low)
        out = None
        for src in pg.offsets():
            win = buf[(slice(None), slice(None)) + src]
            out = win.copy() if out is None else xp.maximum(out, win, out=out)
        return out
    p = _p_value(op, attrs) if kind == "lp" else 1
    xa = x.astype(acc, copy=False)
    if p > 1:
        xa = xa ** p
    if pg.is_global:
        out = xa.sum(axis=spatial_axes, keepdims=True)
    else:
        buf = _padded(xp, xa, pg, 0)
        out = None
        for src in pg.offsets():
            win = buf[(slice(None), slice(None)) + src]
            out = win.copy() if out is None else xp.add(out, win, out=out)
    if kind == "avg":
        div = _pool_divisor(xp, attrs, pg, x.shape[2:], acc, v1)
        if xp.dtype(acc).kind == "f":
            out = xp.where(div > 0, out / xp.maximum(div, 1), 0).astype(acc, copy=False)
        else:  # integer averages truncate like C integer division
            out = (xp.sign(out) * (xp.abs(out) // xp.maximum(div, 1))).astype(acc)
    elif p == 2:
        out = xp.sqrt(out)
    elif p == 3:
        out = xp.cbrt(out)
    return out.astype(x.dtype, copy=False)


def _pool_divisor(xp, attrs, pg, spatial, dtype, v1):
    if pg.is_global or v1:
        return xp.asarray(np.array(math.prod(pg.kernel), dtype=dtype))
    include = True if attrs.count_include_pad is None else attrs.count_include_pad
    return _divisor(xp, pg, spatial, include, dtype)


def pool_backward(xp, op, attrs, dy, x, y, pg, v1=False):
    """Gradient of ``pool_forward`` w.r.t. channels-first ``x`` (output ``y``, its grad ``dy``)."""
    kind = attrs.pool_type
    lead = (slice(None), slice(None))
    if pg.is_global:
        return _global_pool_backward(xp, op, attrs, dy, x, y)
    if kind == "max":
        low = _lowest(xp, x.dtype)
        buf = _padded(xp, x, pg, low, 0 if v1 else low)
        taken = xp.zeros(y.shape, dtype=bool)
    else:
        p = _p_value(op, attrs) if kind == "lp" else 1
        if kind == "avg":
            dy = dy / _pool_divisor(xp, attrs, pg, x.shape[2:], dy.dtype, v1)
        if p > 1:
            # d(sum x^p)^(1/p)/dx = (x / y)^(p-1); windows whose output is 0 get no gradient
            scale = xp.where(y != 0, dy / xp.where(y != 0, y, 1) ** (p - 1), 0)
            buf = _padded(xp, x, pg, 0)
    grad = xp.zeros(_padded_shape(x.shape, pg), dtype=dy.dtype)
    for src in pg.offsets():
        if kind == "max":
            # the first maximum of a window (row-major order) takes the gradient
            hit = (buf[lead + src] == y) & ~taken
            taken |= hit
            grad[lead + src] += xp.where(hit, dy, 0)
        elif kind == "lp" and p > 1:
            grad[lead + src] += scale * buf[lead + src] ** (p - 1)
        else:
            grad[lead + src] += dy
    crop = lead + tuple(slice(b, b + d) for b, d in zip(pg.pad_before, x.shape[2:]))
    return grad[crop].copy()


def _global_pool_backward(xp, op, attrs, dy, x, y):
    n, c = x.shape[:2]
    kind = attrs.pool_type
    if kind == "max":
        flat = x.reshape(n, c, -1) == y.reshape(n, c, 1)
        first = flat & (flat.cumsum(axis=-1) == 1)
        return xp.where(first, dy.reshape(n, c, 1), 0).reshape(x.shape).astype(dy.dtype)
    if kind == "avg":
        dy = dy / math.prod(x.shape[2:])
    p = _p_value(op, attrs) if kind == "lp" else 1
    if p > 1:
        scale = xp.where(y != 0, dy / xp.where(y != 0, y, 1) ** (p - 1), 0)
        return (scale * x ** (p - 1)).astype(dy.dtype, copy=False)
    return xp.broadcast_to(dy, x.shape).astype(dy.dtype)


def _padded_shape(shape, pg):
    return tuple(shape[:2]) + tuple(d + b + max(a, 0) for d, b, a in
                                    zip(shape[2:], pg.pad_before, pg.pad_after))


def _pool_params(v1):
    types = ("avg", "max", "sum") if v1 else ("avg", "lp", "max", "sum")
    params = {
        "kernel": Param("shape", (), doc="Window size per spatial axis."),
        "pool_type": Param("str", "max", choices=types, doc="Reduction over each window."),
        "global_pool": Param("bool", False, doc="Pool over the whole spatial extent."),
        "pooling_convention": Param("str", "valid",
                                    choices=("full", "valid") if v1 else ("full", "same",
                                                                          "valid"),
                                    doc="Output size rounding: valid (floor), full (ceil)."),
        "stride": Param("shape", (), doc="Stride per spatial axis (default 1)."),
        "pad": Param("shape", (), doc="Padding per spatial axis (default 0)."),
    }
    if not v1:
        params.update({
            "cudnn_off": Param("bool", False, doc="Accepted for compatibility; unused."),
            "p_value": Param("int", None, doc="p of lp pooling (1, 2 or 3)."),
            "count_include_pad": Param("bool", None,
                                       doc="Whether avg pooling counts padded cells "
                                           "(default True)."),
            "layout": Param("str", None, choices=_POOL_LAYOUTS, doc="Data layout."),
        })
    return params


def _pool_infer_shape(op, v1):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        return shapes, [PoolGeometry(op, attrs, shapes[0], v1).output_shape(shapes[0])]
    return infer


def _pool_compute(op, v1):
    def compute(xp, attrs, data, is_train=False):
        # is_train (Pooling only) lets the oneDNN kernel keep a max-pooling
        # workspace for the backward pass; the result does not depend on it.
        check_float(op, data.dtype)
        pg = PoolGeometry(op, attrs, data.shape, v1)
        x = to_channels_first(xp, data) if pg.channels_last else data
        out = pool_forward(xp, op, attrs, x, pg, v1)
        return to_channels_last(xp, out) if pg.channels_last else out
    return compute


def _pool_gradient(F, attrs, ins, outs, g):
    return [F._internal._backward_Pooling(g[0], ins[0], outs[0], **attrs)]


def _pool_v1_gradient(F, attrs, ins, outs, g):
    return [F._internal._backward_Pooling_v1(g[0], ins[0], outs[0], **attrs)]


def _grad_of_backward_pool(op):
    def gradient(F, attrs, ins, outs, g):
        if attrs.pool_type in ("max", "lp"):
            raise MXNetError(f"{op}: gradients of {attrs.pool_type} pooling are "
                             f"differentiable once only")
        # avg and sum pooling are linear and do not read the data: the adjoint
        # of their gradient is the pooling itself.
        return [getattr(F, op)(g[0], **attrs), None, None]
    return gradient


for _name, _v1 in (("Pooling", False), ("Pooling_v1", True)):
    register(_name, params=_pool_params(_v1), infer_shape=_pool_infer_shape(_name, _v1),
             infer_type=lambda attrs, t: (t, [t[0]]),
             gradient=_pool_v1_gradient if _v1 else _pool_gradient,
             resources=() if _v1 else ("is_train",),
             doc=f"""{_name}: max, average, sum{'' if _v1 else ' or Lp'} pooling over
windows of `kernel` moved by `stride` over the padded spatial axes; 'valid' rounds the
output size down, 'full' up; `global_pool` pools the whole spatial extent.""")(
        quiet(_pool_compute(_name, _v1)))

    def _backward_compute(xp, attrs, out_grad, data, output, _op=_name, _v1=_v1):
        pg = PoolGeometry(_op, attrs, data.shape, _v1)
        conv = (lambda a: to_channels_first(xp, a)) if pg.channels_last else (lambda a: a)
        dx = pool_backward(xp, _op, attrs, conv(out_grad), conv(data), conv(output), pg, _v1)
        return to_channels_last(xp, dx) if pg.channels_last else dx

    register(f"_backward_{_name}", inputs=("out_grad", "data", "output"),
             params=_pool_params(_v1), infer_shape=lambda attrs, s: (s, [s[1]]),
             infer_type=lambda attrs, t: (t, [t[1]]),
             gradient=_grad_of_backward_pool(_name),
             doc=f"Gradient of {_name} w.r.t. its data.")(quiet(_backward_compute))


# ----------------------------------------------------------------------------------------
# UpSampling
# ----------------------------------------------------------------------------------------

def _bilinear_geometry(attrs, ndim):
    """The depthwise deconvolution MXNet's bilinear UpSampling is made of."""
    s = attrs.scale
    k = 2 * s - s % 2
    return Geometry("UpSampling", Attrs(kernel=(k, k), stride=(s, s), dilate=(),
                                        pad=(s // 2, s // 2)), ndim)


def _upsampling_shapes(attrs, shapes):
    """(input shapes, output shape) of UpSampling from the known input shapes."""
    op = "UpSampling"
    if attrs.scale < 1:
        raise MXNetError(f"{op}: argument 'scale' must be at least 1, got {attrs.scale}")
    first = tuple(shapes[0])
    if len(first) != 4:
        raise MXNetError(f"{op}: data must be 4-d (batch, channel, y, x), got {first}")
    n, c, h, w = first
    out_hw = (h * attrs.scale, w * attrs.scale)
    if attrs.sample_type == "bilinear":
        if len(shapes) != 2:
            raise MXNetError(f"{op}: bilinear sampling takes data and weight, got "
                             f"{len(shapes)} inputs")
        k = 2 * attrs.scale - attrs.scale % 2
        if attrs.num_filter != c:
            raise MXNetError(f"{op}: bilinear sampling needs num_filter equal to the "
                             f"channels ({c}), got {attrs.num_filter}")
        w_shape = (c, 1, k, k)
        if shapes[1] is not None and tuple(shapes[1]) != w_shape:
            raise MXNetError(f"{op}: argument 'weight' expects shape {w_shape}, "
                             f"got {tuple(shapes[1])}")
        return [first, w_shape], (n, c) + out_hw
    channels = 0
    for shape in shapes:
        if len(shape) != 4 or shape[0] != n or out_hw[0] % shape[2] or out_hw[1] % shape[3] \
                or out_hw[0] // shape[2] != out_hw[1] // shape[3]:
            raise MXNetError(f"{op}: every input must be 4-d with the batch of the first and "
                             f"a size dividing the output {out_hw} evenly, got {tuple(shape)}")
        if attrs.multi_input_mode == "sum" and shape[1] != c:
            raise MXNetError(f"{op}: multi_input_mode='sum' needs equal channels, got "
                             f"{c} and {shape[1]}")
        channels += shape[1]
    out_c = c if attrs.multi_input_mode == "sum" else channels
    return [tuple(s) for s in shapes], (n, out_c) + out_hw


def _upsampling_infer(attrs, shapes):
    if shapes[0] is None or (attrs.sample_type == "nearest" and None in shapes):
        return shapes, [None]
    ins, out = _upsampling_shapes(attrs, shapes)
    return ins, [out]


def _nearest(xp, x, factor):
    n, c, h, w = x.shape
    out = xp.broadcast_to(x[:, :, :, None, :, None], (n, c, h, factor, w, factor))
    return out.reshape(n, c, h * factor, w * factor)


def _upsampling_gradient(F, attrs, ins, outs, g):
    g = g[0]
    if attrs.sample_type == "bilinear":
        kw = _bilinear_deconv_kwargs(attrs, ins[0])
        return list(F._internal._backward_Deconvolution(g, ins[0], ins[1], **kw))
    grads = []
    begin = 0
    for x in ins:
        part = g
        if attrs.multi_input_mode == "concat":
            c = x.shape[1]
            part = F.slice_axis(g, axis=1, begin=begin, end=begin + c)
            begin += c
        factor = outs[0].shape[2] // x.shape[2]
        grads.append(F.Pooling(part, kernel=(factor, factor), stride=(factor, factor),
                               pool_type="sum") if factor > 1 else F.identity(part))
    return grads


def _bilinear_deconv_kwargs(attrs, data):
    g = _bilinear_geometry(attrs, 4)
    return dict(kernel=g.kernel, stride=g.stride, pad=g.pad, num_filter=data.shape[1],
                num_group=data.shape[1], no_bias=True)


@register("UpSampling", inputs=("data",), variadic="num_args",
          params={"scale": Param("int", doc="Up-sampling factor."),
                  "num_filter": Param("int", 0, doc="Channels (bilinear sampling)."),
                  "sample_type": Param("str", choices=("bilinear", "nearest"),
                                       doc="Nearest-neighbour or bilinear (a deconvolution "
                                           "with the given weight)."),
                  "multi_input_mode": Param("str", "concat", choices=("concat", "sum"),
                                            doc="How several inputs are combined."),
                  "workspace": Param("int", 512, doc="Accepted for compatibility; unused.")},
          infer_shape=_upsampling_infer, infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_upsampling_gradient)
def _upsampling(xp, attrs, *inputs):
    """Up-sample 4-d inputs by `scale`. Nearest: every input is repeated to the first
    input's size times `scale`, then concatenated on channels or summed. Bilinear:
    a depthwise deconvolution of the data with `weight` (channel, 1, k, k)."""
    for x in inputs:
        check_float("UpSampling", x.dtype)
    _, out_shape = _upsampling_shapes(attrs, [x.shape for x in inputs])
    if attrs.sample_type == "bilinear":
        data, weight = inputs
        g = _bilinear_geometry(attrs, 4)
        return conv_backward_data(xp, data, weight, g, data.shape[1], out_shape[2:])
    parts = [_nearest(xp, x, out_shape[2] // x.shape[2]) for x in inputs]
    if attrs.multi_input_mode == "sum":
        out = parts[0].copy()
        for p in parts[1:]:
            out += p
        return out
    return xp.concatenate(parts, axis=1)


# ----------------------------------------------------------------------------------------
# separable resizing: AdaptiveAvgPooling2D, BilinearResize2D
# ----------------------------------------------------------------------------------------

def _adaptive_matrix(n_in, n_out):
    """(n_out, n_in) averaging matrix: output i averages inputs floor(i*n/o) .. ceil((i+1)*n/o)."""
    m = np.zeros((n_out, n_in))
    for i in range(n_out):
        lo, hi = (i * n_in) // n_out, -(-((i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m


def _bilinear_matrix(n_in, n_out, align_corners):
    """(n_out, n_in) linear interpolation matrix (corner-aligned or half-pixel sampling)."""
    dst = np.arange(n_out, dtype=np.float64)
    if align_corners:
        src = dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        src = np.maximum((dst + 0.5) * (n_in / n_out) - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    frac = src - lo
    hi = np.minimum(lo + 1, n_in - 1)
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), lo), 1.0 - frac)
    np.add.at(m, (np.arange(n_out), hi), frac)
    return m


def _resize_matrices(kind, align_corners, in_hw, out_hw):
    make = _adaptive_matrix if kind == "adaptive" else (
        lambda i, o: _bilinear_matrix(i, o, align_corners))
    return make(in_hw[0], out_hw[0]), make(in_hw[1], out_hw[1])


def _apply_separable(xp, x, mh, mw):
    """``mh @ x @ mw.T`` over the last two axes, computed in x's float type."""
    dt = x.dtype if x.dtype != xp.float16 else xp.float32
    xa = x.astype(dt, copy=False)
    out = xp.matmul(xp.matmul(xp.asarray(mh, dtype=dt), xa), xp.asarray(mw.T, dtype=dt))
    return out.astype(x.dtype, copy=False)


def _check_4d_float(op, x):
    if x.ndim != 4:
        raise MXNetError(f"{op}: data must be 4-d (batch, channel, height, width), "
                         f"got shape {x.shape}")
    check_float(op, x.dtype)


def _adaptive_out(attrs, shape):
    size = tuple(attrs.output_size)
    if len(size) > 2 or len(shape) != 4 or min(size, default=1) <= 0:
        raise MXNetError(f"_contrib_AdaptiveAvgPooling2D: needs 4-d data and an output_size "
                         f"of one or two positive ints, got data {tuple(shape)} and {size}")
    return (size * 2)[:2] if size else (1, 1)


@register("_contrib_AdaptiveAvgPooling2D", params={"output_size": Param(
              "shape", (), doc="Output (height, width); one int for both; empty for 1x1.")},
          infer_shape=lambda attrs, s: (s, [None if s[0] is None else
                                            tuple(s[0][:2]) + _adaptive_out(attrs, s[0])]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._backward_spatial_resize(g[0], ins[0], kind="adaptive")])
def _adaptive_avg_pool(xp, attrs, data):
    """Average pooling to a fixed output size: output cell i (per axis) averages input
    cells floor(i*in/out) to ceil((i+1)*in/out) - 1."""
    _check_4d_float("_contrib_AdaptiveAvgPooling2D", data)
    out_hw = _adaptive_out(attrs, data.shape)
    return _apply_separable(xp, data, *_resize_matrices("adaptive", False, data.shape[2:],
                                                         out_hw))


_RESIZE_MODES = ("like", "odd_scale", "size", "to_even_down", "to_even_up", "to_odd_down",
                 "to_odd_up")


def _resize_out(attrs, shape, like_shape):
    op = "_contrib_BilinearResize2D"
    h, w = shape[2], shape[3]
    mode = attrs.mode
    scales = (attrs.scale_height, attrs.scale_width)
    if (scales[0] is None) != (scales[1] is None):
        raise MXNetError(f"{op}: give both scale_height and scale_width or neither, got "
                         f"{scales}")
    if (mode == "like") != (like_shape is not None):
        raise MXNetError(f"{op}: the 'like' input is required with mode='like' and only "
                         f"then (mode={mode!r})")
    if mode == "like":
        return tuple(like_shape[2:4])
    if mode == "size":
        if scales[0] is not None:
            return int(h * scales[0]), int(w * scales[1])
        return attrs.height, attrs.width
    if mode == "odd_scale":
        if scales[0] is None:
            raise MXNetError(f"{op}: mode='odd_scale' needs scale_height and scale_width")
        return tuple(int(d * s) if d % 2 == 0 else int((d - 1) * s) + 1
                     for d, s in zip((h, w), scales))
    step = {"to_even_down": lambda d: d - d % 2, "to_even_up": lambda d: d + d % 2,
            "to_odd_down": lambda d: d - 1 + d % 2, "to_odd_up": lambda d: d + 1 - d % 2}
    return step[mode](h), step[mode](w)


def _resize_infer(attrs, shapes):
    if shapes[0] is None or (len(shapes) > 1 and shapes[1] is None):
        return shapes, [None]
    out = _resize_out(attrs, shapes[0], shapes[1] if len(shapes) > 1 else None)
    return shapes, [tuple(shapes[0][:2]) + tuple(out)]


def _resize_gradient(F, attrs, ins, outs, g):
    grad = F._internal._backward_spatial_resize(g[0], ins[0], kind="bilinear",
                                                align_corners=attrs.align_corners)
    return [grad] + [None] * (len(ins) - 1)


@register("_contrib_BilinearResize2D", inputs=("data", "like"),
          active_inputs=lambda a: ("data", "like") if a.mode == "like" else ("data",),
          params={"height": Param("int", 1, doc="Output height (mode 'size')."),
                  "width": Param("int", 1, doc="Output width (mode 'size')."),
                  "scale_height": Param("float", None, doc="Height factor (with scale_width)."),
                  "scale_width": Param("float", None, doc="Width factor (with scale_height)."),
                  "mode": Param("str", "size", choices=_RESIZE_MODES,
                                doc="How the output size is chosen."),
                  "align_corners": Param("bool", True, doc="Map corner pixels onto corner "
                                                           "pixels; else sample half-pixel "
                                                           "centres.")},
          infer_shape=_resize_infer, infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_resize_gradient)
def _bilinear_resize(xp, attrs, data, like=None):
    """Bilinear resize of 4-d data to a size chosen by `mode`: 'size' (height/width, or
    the input times scale_height/scale_width), 'like' (another array's spatial size),
    'odd_scale', or rounding to the nearest even/odd size up or down."""
    op = "_contrib_BilinearResize2D"
    _check_4d_float(op, data)
    if attrs.height < 1 or attrs.width < 1:
        raise MXNetError(f"{op}: height and width must be at least 1, got "
                         f"{attrs.height} and {attrs.width}")
    out_hw = _resize_out(attrs, data.shape, None if like is None else like.shape)
    return _apply_separable(xp, data, *_resize_matrices("bilinear", attrs.align_corners,
                                                         data.shape[2:], out_hw))


def _grad_of_resize_backward(F, attrs, ins, outs, g):
    # the backward map is the transpose of the forward one, so its adjoint is the forward
    like = ins[0]
    if attrs.kind == "adaptive":
        return [F.contrib.AdaptiveAvgPooling2D(g[0], output_size=tuple(like.shape[2:])), None]
    return [F.contrib.BilinearResize2D(g[0], like, mode="like",
                                       align_corners=attrs.align_corners), None]


@register("_backward_spatial_resize", inputs=("out_grad", "data"),
          params={"kind": Param("str", choices=("adaptive", "bilinear"),
                                doc="Which resize the gradient is of."),
                  "align_corners": Param("bool", True, doc="As in BilinearResize2D.")},
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_grad_of_resize_backward)
def _backward_spatial_resize(xp, attrs, out_grad, data):
    """Gradient of AdaptiveAvgPooling2D / BilinearResize2D w.r.t. their data."""
    mh, mw = _resize_matrices(attrs.kind, attrs.align_corners, data.shape[2:],
                              out_grad.shape[2:])
    return _apply_separable(xp, out_grad, mh.T, mw.T)
