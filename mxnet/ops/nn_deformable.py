"""Deformable convolutions: v1 (``_contrib_DeformableConvolution``) and the
modulated v2 (``_contrib_ModulatedDeformableConvolution``).

Each kernel tap ``(i, j)`` of output position ``(ho, wo)`` reads its input
at ``(ho*stride_h - pad_h + i*dilate_h + dh, wo*stride_w - pad_w +
j*dilate_w + dw)``, where ``(dh, dw)`` comes from the ``offset`` input
(channels ordered deformable group, tap, then h before w), bilinearly
interpolated. Channels are split into ``num_deformable_group`` groups that
share offsets. v2 also scales each sample by ``mask`` (channels ordered
deformable group, tap). The two versions sample differently at the border,
as MXNet does:

* v1 reads zero unless ``0 <= h < H`` and ``0 <= w < W``; a position in the
  last row or column band (``h >= H-1``) is clamped onto that row/column.
* v2 reads zero unless ``-1 < h < H`` and ``-1 < w < W``; corners outside the
  image count as zeros (the interpolation fades out over one pixel).

The kernels gather the four corners of every sample for all channels at once
(a deformable im2col), then do one batched GEMM per convolution group. The
fused ``_backward_*`` ops return every input gradient in one pass; scattering
into the data gradient is a ``bincount`` over flat indices.
"""
import numpy as np

from ..base import MXNetError
from .nn_conv import Geometry, check_float
from .params import Param
from .registry import register

_V1 = "_contrib_DeformableConvolution"
_V2 = "_contrib_ModulatedDeformableConvolution"


def _params(modulated):
    params = {
        "kernel": Param("shape", doc="Kernel size (h, w)."),
        "stride": Param("shape", (), doc="Stride (h, w) (default 1)."),
        "dilate": Param("shape", (), doc="Dilation (h, w) (default 1)."),
        "pad": Param("shape", (), doc="Zero padding (h, w) on both sides (default 0)."),
        "num_filter": Param("int", doc="Number of output channels."),
        "num_group": Param("int", 1, doc="Number of convolution groups."),
        "num_deformable_group": Param("int", 1,
                                      doc="Number of channel groups sharing one offset map."),
        "workspace": Param("int", 1024, doc="Accepted for compatibility; unused."),
        "no_bias": Param("bool", False, doc="Whether there is no bias input."),
        "layout": Param("str", None, choices=("NCDHW", "NCHW", "NCW"),
                        doc="Data layout; only NCHW is supported (as in MXNet)."),
    }
    if modulated:
        params["im2col_step"] = Param(
            "int", 64, doc="Samples per im2col batch in MXNet; the batch size must be a "
                           "multiple of min(im2col_step, batch).")
    return params


# ----------------------------------------------------------------------------------------
# shapes and checks
# ----------------------------------------------------------------------------------------

class _Layout:
    """Geometry and derived sizes of one call, from the data shape."""
    __slots__ = ("g", "n", "c", "h", "w", "ho", "wo", "taps", "dg", "groups", "f")

    def __init__(self, op, attrs, data_shape):
        if len(attrs.kernel) != 2 or attrs.layout not in (None, "NCHW"):
            raise MXNetError(f"{op}: only 2-d NCHW data is supported, got kernel "
                             f"{tuple(attrs.kernel)} and layout {attrs.layout!r}")
        if len(data_shape) != 4:
            raise MXNetError(f"{op}: 'data' must be 4-d (batch, channel, height, width), got "
                             f"shape {tuple(data_shape)}")
        self.g = Geometry(op, attrs, 4, min_dims=2)
        self.n, self.c, self.h, self.w = data_shape
        self.ho, self.wo = self.g.conv_out(op, (self.h, self.w))
        self.taps = attrs.kernel[0] * attrs.kernel[1]
        self.dg, self.groups, self.f = attrs.num_deformable_group, attrs.num_group, \
            attrs.num_filter
        if self.dg <= 0 or self.c % self.dg:
            raise MXNetError(f"{op}: num_deformable_group {self.dg} must divide the input "
                             f"channels ({self.c})")
        if self.groups <= 0 or self.c % self.groups or self.f % self.groups:
            raise MXNetError(f"{op}: num_group {self.groups} must divide both the input "
                             f"channels ({self.c}) and num_filter ({self.f})")
        if _modulated(op) and self.f % self.dg:
            raise MXNetError(f"{op}: num_filter ({self.f}) must be a multiple of "
                             f"num_deformable_group ({self.dg})")
        if _modulated(op) and attrs.im2col_step > 0 and \
                self.n % min(attrs.im2col_step, self.n):
            raise MXNetError(f"{op}: the batch size ({self.n}) must be a multiple of "
                             f"min(im2col_step, batch) = {min(attrs.im2col_step, self.n)}")

    def input_shapes(self, with_mask):
        """Expected shapes of data, offset, (mask,) weight and bias, in input order."""
        maps = (self.n, self.dg * self.taps, self.ho, self.wo)
        shapes = [(self.n, self.c, self.h, self.w),
                  (self.n, 2 * self.dg * self.taps, self.ho, self.wo)]
        if with_mask:
            shapes.append(maps)
        shapes.append((self.f, self.c // self.groups) + tuple(self.g.kernel))
        return shapes + [(self.f,)]


def _modulated(op):
    return op == _V2


def _input_names(op, no_bias):
    names = ["data", "offset"] + (["mask"] if _modulated(op) else []) + ["weight"]
    return names if no_bias else names + ["bias"]


def _check_shapes(op, attrs, shapes):
    """The layout of a call, after checking every known input shape against it."""
    names = _input_names(op, attrs.no_bias)
    if len(shapes) != len(names):
        raise MXNetError(f"{op}: expects inputs {', '.join(names)} (no_bias={attrs.no_bias}), "
                         f"got {len(shapes)} inputs")
    lay = _Layout(op, attrs, tuple(shapes[0]))
    for name, given, want in zip(names, shapes, lay.input_shapes(_modulated(op))):
        if given is not None and tuple(given) != want:
            raise MXNetError(f"{op}: input '{name}' expects shape {want}, got {tuple(given)}")
    return lay


def _infer_shape(op):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        lay = _check_shapes(op, attrs, shapes)
        ins = lay.input_shapes(_modulated(op))[:len(shapes)]
        return ins, [(lay.n, lay.f, lay.ho, lay.wo)]
    return infer


def _check_types(op, types):
    known = next((t for t in types if t is not None), None)
    if known is not None:
        check_float(op, np.dtype(known))
    for t in types:
        if t is not None and t != known:
            raise MXNetError(f"{op}: all inputs must share one dtype, got {list(types)}")
    return known


def _infer_type(op):
    def infer(attrs, types):
        known = _check_types(op, types)
        return [known] * len(types), [known]
    return infer


# ----------------------------------------------------------------------------------------
# bilinear sampling
# ----------------------------------------------------------------------------------------

def _maps_last(a, lay, per_tap):
    """(N, dg*taps*per_tap, Ho, Wo) maps -> (N, dg, Ho*Wo*taps, per_tap): samples ordered
    by output position then tap, the order of the gathered columns."""
    a = a.reshape(lay.n, lay.dg, lay.taps, per_tap, lay.ho * lay.wo)
    return a.transpose(0, 1, 4, 2, 3).reshape(lay.n, lay.dg, -1, per_tap)


def _maps_first(a, lay, per_tap):
    """Inverse of ``_maps_last``: (N, dg, Ho*Wo*taps, per_tap) -> (N, dg*taps*per_tap, Ho, Wo)."""
    a = a.reshape(lay.n, lay.dg, lay.ho * lay.wo, lay.taps, per_tap)
    return a.transpose(0, 1, 3, 4, 2).reshape(lay.n, -1, lay.ho, lay.wo)


def _positions(xp, lay, offset, ct):
    """Sampling rows and columns, each (N, dg, Ho*Wo*taps) in compute type ``ct``."""
    g = lay.g
    kh, kw = g.kernel
    off = _maps_last(offset.astype(ct, copy=False), lay, 2)
    tap_h = xp.repeat(xp.arange(kh) * g.dilate[0], kw)
    tap_w = xp.tile(xp.arange(kw) * g.dilate[1], kh)
    base_h = (xp.arange(lay.ho) * g.stride[0] - g.pad[0])[:, None, None] + tap_h
    base_w = (xp.arange(lay.wo) * g.stride[1] - g.pad[1])[None, :, None] + tap_w
    base_h = xp.broadcast_to(base_h, (lay.ho, lay.wo, lay.taps)).reshape(-1).astype(ct)
    base_w = xp.broadcast_to(base_w, (lay.ho, lay.wo, lay.taps)).reshape(-1).astype(ct)
    return off[..., 0] + base_h, off[..., 1] + base_w


def _axis_terms(xp, pos, size, clamped):
    """Per axis: (low index, high index, low weight, high weight, validity of the low and
    of the high corner for derivatives); the weights already hold the validity."""
    if clamped:
        # v1: inside [0, size); the band [size-1, size) sits on the last row, where the
        # position no longer moves the sample (derivative 0).
        inside = (pos >= 0) & (pos < size)
        p = xp.clip(pos, 0, size - 1)
        low = xp.floor(p)
        frac = p - low
        moving = (pos < size - 1) & inside
        low_i = low.astype(np.intp)
        high_i = xp.minimum(low_i + 1, size - 1)
        return low_i, high_i, (1 - frac) * inside, frac * inside, moving, moving
    inside = (pos > -1) & (pos < size)
    low = xp.floor(pos)
    frac = pos - low
    low_i = low.astype(np.intp)
    low_ok = inside & (low_i >= 0)
    high_ok = inside & (low_i + 1 <= size - 1)
    return (xp.clip(low_i, 0, size - 1), xp.clip(low_i + 1, 0, size - 1),
            (1 - frac) * low_ok, frac * high_ok, low_ok, high_ok)


def _corners(xp, lay, ph, pw, clamped):
    """The four interpolation corners of every sample: a list of (row of the flattened
    (N*dg*H*W, C/dg) channels-last data, weight, d weight / d h, d weight / d w), each
    (N, dg, Ho*Wo*taps)."""
    hl, hh, wt_hl, wt_hh, ok_hl, ok_hh = _axis_terms(xp, ph, lay.h, clamped)
    wl, wh, wt_wl, wt_wh, ok_wl, ok_wh = _axis_terms(xp, pw, lay.w, clamped)
    ct = ph.dtype
    image = (xp.arange(lay.n * lay.dg) * (lay.h * lay.w)).reshape(lay.n, lay.dg, 1)
    out = []
    # The derivative of a corner weight along one axis is +-1 (where that axis' corner is
    # valid) times the weight along the other axis.
    for ih, wt_h, sgn_h, ok_h in ((hl, wt_hl, -1, ok_hl), (hh, wt_hh, 1, ok_hh)):
        for iw, wt_w, sgn_w, ok_w in ((wl, wt_wl, -1, ok_wl), (wh, wt_wh, 1, ok_wh)):
            out.append((image + ih * lay.w + iw, wt_h * wt_w,
                        sgn_h * ok_h.astype(ct) * wt_w, sgn_w * ok_w.astype(ct) * wt_h))
    return out


def _compute_type(xp, dtype):
    # float16 GEMMs and sums are slow and inexact in NumPy: work in float32.
    return xp.float32 if dtype == xp.float16 else dtype


class _Call:
    """Everything a forward or backward kernel derives from its inputs.

    Samples are gathered as rows of channels-last data (one contiguous read per corner),
    giving columns (N, dg, Ho*Wo*taps, C/dg); ``to_groups`` rearranges them into
    (N, groups, Ho*Wo, taps*C/groups) for the GEMM with the weight, laid out to match
    as (groups, num_filter/groups, taps*C/groups)."""

    def __init__(self, xp, op, attrs, data, offset, mask, weight, bias):
        arrays = [data, offset] + ([mask] if mask is not None else []) + [weight] + \
            ([bias] if bias is not None else [])
        _check_types(op, [a.dtype.name for a in arrays])
        self.lay = lay = _check_shapes(op, attrs, [a.shape for a in arrays])
        self.ct = ct = _compute_type(xp, data.dtype)
        cg = lay.c // lay.dg
        self.rows = data.astype(ct, copy=False).reshape(lay.n * lay.dg, cg, -1).transpose(
            0, 2, 1).reshape(-1, cg)
        ph, pw = _positions(xp, lay, offset, ct)
        self.corners = _corners(xp, lay, ph, pw, clamped=mask is None)
        self.mask = None if mask is None else _maps_last(mask.astype(ct, copy=False), lay, 1)
        cgrp = lay.c // lay.groups
        self.w_mat = weight.astype(ct, copy=False).reshape(
            lay.groups, lay.f // lay.groups, cgrp, lay.taps).transpose(0, 1, 3, 2).reshape(
            lay.groups, lay.f // lay.groups, -1)

    def gather(self, idx):
        return self.rows[idx]

    def columns(self, xp):
        """Deformable im2col: (N, dg, Ho*Wo*taps, C/dg)."""
        cols = None
        for idx, wt, _, _ in self.corners:
            term = self.gather(idx)
            term *= wt[..., None]
            cols = term if cols is None else cols + term
        if self.mask is not None:
            cols *= self.mask
        return cols

    def to_groups(self, xp, cols):
        """(N, dg, Ho*Wo*taps, C/dg) -> (N, groups, Ho*Wo, taps*C/groups)."""
        lay = self.lay
        shape = (lay.n, lay.groups, lay.ho * lay.wo, -1)
        if lay.dg == lay.groups:
            return cols.reshape(shape)
        cols = cols.reshape(lay.n, lay.dg, lay.ho * lay.wo, lay.taps, -1).transpose(
            0, 2, 3, 1, 4).reshape(lay.n, lay.ho * lay.wo, lay.taps, lay.groups, -1)
        return cols.transpose(0, 3, 1, 2, 4).reshape(shape)

    def from_groups(self, xp, cols):
        """Inverse of ``to_groups``."""
        lay = self.lay
        shape = (lay.n, lay.dg, lay.ho * lay.wo * lay.taps, -1)
        if lay.dg == lay.groups:
            return cols.reshape(shape)
        cols = cols.reshape(lay.n, lay.groups, lay.ho * lay.wo, lay.taps, -1).transpose(
            0, 2, 3, 1, 4).reshape(lay.n, lay.ho * lay.wo, lay.taps, lay.dg, -1)
        return cols.transpose(0, 3, 1, 2, 4).reshape(shape)


def _forward(op):
    def compute(xp, attrs, data, offset, *rest):
        mask, weight, bias = _split_rest(op, rest)
        call = _Call(xp, op, attrs, data, offset, mask, weight, bias)
        lay = call.lay
        cols = call.to_groups(xp, call.columns(xp))
        out = xp.matmul(call.w_mat, cols.swapaxes(-1, -2)).reshape(lay.n, lay.f, lay.ho,
                                                                    lay.wo)
        if bias is not None:
            out += bias.astype(out.dtype, copy=False).reshape(1, -1, 1, 1)
        return out.astype(data.dtype, copy=False)
    compute.__doc__ = _DOC_V2 if _modulated(op) else _DOC_V1
    return compute


def _split_rest(op, rest):
    """(mask, weight, bias) from the inputs after data and offset."""
    if _modulated(op):
        rest = tuple(rest) + (None,) * (3 - len(rest))
        return rest[0], rest[1], rest[2]
    rest = tuple(rest) + (None,) * (2 - len(rest))
    return None, rest[0], rest[1]


def _scatter_rows(xp, call, d_eff):
    """Adjoint of the gather: the data gradient (N, C, H, W) in float64."""
    lay = call.lay
    cg = lay.c // lay.dg
    size = lay.n * lay.c * lay.h * lay.w
    lanes = xp.arange(cg)
    d_rows = xp.zeros(size, dtype=np.float64)
    for idx, wt, _, _ in call.corners:
        d_rows += xp.bincount((idx[..., None] * cg + lanes).ravel(),
                              weights=(d_eff * wt[..., None]).ravel(), minlength=size)
    return d_rows.reshape(lay.n * lay.dg, -1, cg).transpose(0, 2, 1).reshape(
        lay.n, lay.c, lay.h, lay.w)


def _backward(op):
    def compute(xp, attrs, out_grad, data, offset, *rest):
        mask, weight, bias = _split_rest(op, rest)
        call = _Call(xp, op, attrs, data, offset, mask, weight, bias)
        lay, ct = call.lay, call.ct
        dy = out_grad.astype(ct, copy=False).reshape(lay.n, lay.groups, -1, lay.ho * lay.wo)
        cols = call.to_groups(xp, call.columns(xp))
        d_weight = xp.matmul(dy, cols).sum(axis=0)
        d_cols = call.from_groups(xp, xp.matmul(dy.swapaxes(-1, -2), call.w_mat))
        # With a mask, data and positions see the gradient scaled by the mask; the mask
        # itself sees the unmasked samples.
        d_eff = d_cols if call.mask is None else d_cols * call.mask
        d_h = d_w = d_mask = 0
        for idx, wt, dwt_h, dwt_w in call.corners:
            per_sample = xp.einsum("ngsc,ngsc->ngs", d_cols, call.gather(idx))
            d_h = d_h + dwt_h * per_sample
            d_w = d_w + dwt_w * per_sample
            if call.mask is not None:
                d_mask = d_mask + wt * per_sample
        if call.mask is not None:
            d_h, d_w = d_h * call.mask[..., 0], d_w * call.mask[..., 0]
        dt = data.dtype
        grads = [_scatter_rows(xp, call, d_eff).astype(dt),
                 _maps_first(xp.stack([d_h, d_w], axis=-1), lay, 2).astype(dt)]
        if mask is not None:
            grads.append(_maps_first(d_mask, lay, 1).astype(dt))
        cgrp = lay.c // lay.groups
        grads.append(d_weight.reshape(lay.groups, -1, lay.taps, cgrp).transpose(
            0, 1, 3, 2).reshape(weight.shape).astype(dt))
        if bias is not None:
            grads.append(dy.sum(axis=(0, 3)).reshape(bias.shape).astype(dt))
        return tuple(grads)
    compute.__doc__ = f"Gradients of {op} w.r.t. every input, in input order."
    return compute


_DOC_V1 = """Deformable convolution (v1) of `data` (N, C, H, W) with `weight`
(num_filter, C/num_group, kh, kw) and optional `bias`, each kernel tap sampled
bilinearly at its position moved by `offset` (N, 2*num_deformable_group*kh*kw,
Ho, Wo). Output (N, num_filter, Ho, Wo) with Ho, Wo as for Convolution."""

_DOC_V2 = """Modulated deformable convolution (v2): as DeformableConvolution, with
every sample also scaled by `mask` (N, num_deformable_group*kh*kw, Ho, Wo)."""


def _gradient(backward_name):
    def gradient(F, attrs, ins, outs, out_grads):
        return list(getattr(F._internal, backward_name)(out_grads[0], *ins, **attrs))
    return gradient


for _op, _inputs in ((_V1, ("data", "offset", "weight", "bias")),
                     (_V2, ("data", "offset", "mask", "weight", "bias"))):
    _bwd = "_backward_" + _op[len("_contrib_"):]
    register(_op, inputs=_inputs, params=_params(_modulated(_op)),
             infer_shape=_infer_shape(_op), infer_type=_infer_type(_op),
             gradient=_gradient(_bwd))(_forward(_op))
    register(_bwd, inputs=("out_grad",) + _inputs, params=_params(_modulated(_op)),
             num_outputs=lambda attrs, n=len(_inputs): n - 1 if attrs.no_bias else n,
             infer_shape=lambda attrs, s: (s, list(s[1:])),
             infer_type=lambda attrs, t: (t, list(t[1:])))(_backward(_op))
