"""Region-of-interest layers: ROIPooling, _contrib_ROIAlign, _contrib_RROIAlign,
_contrib_PSROIPooling and _contrib_DeformablePSROIPooling.

Every layer pools a fixed-size map out of each region of a (N, C, H, W)
feature map. Regions are rows of ``rois``: (batch index, x1, y1, x2, y2) in
input-image coordinates, scaled to the feature map by ``spatial_scale``
(RROIAlign: batch index, centre x, centre y, width, height, angle in
degrees). A region with a negative batch index gives zeros. The kernels loop
over regions and vectorise within one; the averaging layers are linear, so
they build per-region sampling matrices and reuse them, transposed, for the
gradient.
"""
import math

from ..base import MXNetError
from .params import Param
from .registry import register

_FLOATS = ("float16", "float32", "float64")


def _roi_types(op):
    def infer(attrs, types):
        known = types[0]
        for name, t in zip(("data", "rois", "trans"), types):
            if t is not None and (t not in _FLOATS or (known is not None and t != known)):
                raise MXNetError(f"{op}: input '{name}' must have the float dtype of 'data' "
                                 f"({known}), got {t}")
        return [known] * len(types), [known]
    return infer


def _check_rois(op, data, rois, width=5):
    if len(data) != 4:
        raise MXNetError(f"{op}: input 'data' must be 4-d (batch, channel, height, width), "
                         f"got shape {tuple(data)}")
    if len(rois) != 2 or rois[1] != width:
        raise MXNetError(f"{op}: input 'rois' must have shape (num_rois, {width}), got "
                         f"{tuple(rois)}")


def _pooled(op, size):
    size = tuple(size)
    if len(size) == 1:
        size = size * 2
    if len(size) != 2 or min(size) < 1:
        raise MXNetError(f"{op}: argument 'pooled_size' must be (height, width) of positive "
                         f"integers, got {size}")
    return size


def _round(xp, x):
    """C's round(): halves away from zero."""
    return xp.sign(x) * xp.floor(xp.abs(x) + 0.5)


def _batch(roi, n):
    b = int(roi[0])
    return b if 0 <= b < n else -1


def _roi_grad_rule(backward_name):
    def rule(F, attrs, ins, outs, g):
        grad = getattr(F._internal, backward_name)(g[0], *ins, **attrs)
        return [grad] + [None] * (len(ins) - 1)
    return rule


def _backward_shape(attrs, shapes):
    return shapes, [shapes[1]]


def _backward_type(attrs, types):
    return types, [types[1]]


# ---------------------------------------------------------------------------
# ROIPooling (max)

def _roi_pool_bins(xp, roi, scale, pooled, h, w):
    """Per-axis integer bin bounds [start, end) of one region, clipped."""
    x1, y1, x2, y2 = (_round(xp, roi[1:5] * scale)).tolist()
    bounds = []
    for lo, hi, n_bins, size in ((y1, y2, pooled[0], h), (x1, x2, pooled[1], w)):
        extent = max(hi - lo + 1, 1)
        k = xp.arange(n_bins)
        start = xp.clip(xp.floor(k * extent / n_bins) + lo, 0, size).astype("int64")
        end = xp.clip(xp.ceil((k + 1) * extent / n_bins) + lo, 0, size).astype("int64")
        bounds.append((start, end))
    return bounds


def _masked_max(xp, region, hb, wb):
    """Max of every bin of region (C, H, W), its (row, column) and the
    empty-bin mask. Ties go to the first position in row-major order, as in
    MXNet: the first maximal column per row, then the first maximal row."""
    (hs, he), (ws, we) = hb, wb
    c, h, _ = region.shape
    ph, pw = len(hs), len(ws)
    row_max = xp.full((c, h, pw), -xp.inf, dtype=region.dtype)
    row_arg = xp.zeros((c, h, pw), dtype="int64")
    for j in range(pw):
        if we[j] > ws[j]:
            seg = region[:, :, int(ws[j]):int(we[j])]
            arg = seg.argmax(axis=2)
            row_arg[:, :, j] = arg + int(ws[j])
            row_max[:, :, j] = xp.take_along_axis(seg, arg[..., None], axis=2)[..., 0]
    best = xp.zeros((c, ph, pw), dtype=region.dtype)
    ys = xp.zeros((c, ph, pw), dtype="int64")
    xs = xp.zeros((c, ph, pw), dtype="int64")
    for i in range(ph):
        if he[i] > hs[i]:
            seg = row_max[:, int(hs[i]):int(he[i])]
            arg = seg.argmax(axis=1)[:, None]
            best[:, i] = xp.take_along_axis(seg, arg, axis=1)[:, 0]
            ys[:, i] = arg[:, 0] + int(hs[i])
            xs[:, i] = xp.take_along_axis(row_arg[:, int(hs[i]):int(he[i])], arg, axis=1)[:, 0]
    empty = (he <= hs)[:, None] | (we <= ws)[None, :]
    return xp.where(empty[None], 0, best), ys, xs, empty


def _max_in_bins(xp, image, roi, scale, pooled):
    """Bin maxima of one region of image (C, H, W), their (row, column) in the
    image and the empty-bin mask; works on the region's bounding box only."""
    _, h, w = image.shape
    (hs, he), (ws, we) = _roi_pool_bins(xp, roi, scale, pooled, h, w)
    top, left = int(hs.min()), int(ws.min())
    bottom, right = max(int(he.max()), top + 1), max(int(we.max()), left + 1)
    best, ys, xs, empty = _masked_max(xp, image[:, top:bottom, left:right],
                                      (hs - top, he - top), (ws - left, we - left))
    return best, ys + top, xs + left, empty


def _roi_pool_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    _check_rois("ROIPooling", *shapes)
    ph, pw = _pooled("ROIPooling", attrs.pooled_size)
    return shapes, [(shapes[1][0], shapes[0][1], ph, pw)]


_ROI_POOL_PARAMS = {"pooled_size": Param("shape", doc="(height, width) of the output."),
                    "spatial_scale": Param("float", doc="Image to feature-map scale.")}


@register("ROIPooling", inputs=("data", "rois"), params=_ROI_POOL_PARAMS,
          infer_shape=_roi_pool_shape, infer_type=_roi_types("ROIPooling"),
          gradient=_roi_grad_rule("_backward_ROIPooling"))
def _roi_pooling(xp, attrs, data, rois):
    """Max-pool each region into a `pooled_size` grid of bins (bin bounds from
    the rounded, scaled region corners; empty bins give 0)."""
    _roi_pool_shape(attrs, [data.shape, rois.shape])
    pooled = _pooled("ROIPooling", attrs.pooled_size)
    n, c, h, w = data.shape
    out = xp.zeros((rois.shape[0], c) + pooled, dtype=data.dtype)
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        if b >= 0:
            out[r] = _max_in_bins(xp, data[b], roi, attrs.spatial_scale, pooled)[0]
    return out


@register("_backward_ROIPooling", inputs=("out_grad", "data", "rois"), params=_ROI_POOL_PARAMS,
          infer_shape=_backward_shape, infer_type=_backward_type)
def _roi_pooling_backward(xp, attrs, grad, data, rois):
    """Gradient of ROIPooling: each bin's gradient goes to its maximum."""
    pooled = _pooled("ROIPooling", attrs.pooled_size)
    n, c, h, w = data.shape
    ddata = xp.zeros_like(data)
    chan = xp.arange(c)[:, None, None]
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        if b < 0:
            continue
        _, ys, xs, empty = _max_in_bins(xp, data[b], roi, attrs.spatial_scale, pooled)
        xp.add.at(ddata[b], (xp.broadcast_to(chan, ys.shape), ys, xs),
                  xp.where(empty[None], 0, grad[r]))
    return ddata


# ---------------------------------------------------------------------------
# Bilinear sampling at ROIAlign's rules

def _axis_weights(xp, coords, size):
    """Per-axis bilinear taps of sample coordinates, with ROIAlign's border
    rule: samples beyond one pixel outside read zero, others clamp to the
    image. Returns (low index, high index, low weight, high weight)."""
    valid = (coords >= -1.0) & (coords <= size)
    c = xp.maximum(coords, 0)
    low = xp.floor(c).astype("int64")
    edge = low >= size - 1
    low = xp.where(edge, size - 1, low)
    high = xp.where(edge, size - 1, low + 1)
    frac = xp.where(edge, 0, c - low)
    return low, high, (1 - frac) * valid, frac * valid


def _sampling_matrix(xp, coords, size, dtype):
    """(len(coords), size) matrix whose rows interpolate along one axis."""
    low, high, wl, wh = _axis_weights(xp, coords, size)
    m = xp.zeros((coords.size, size), dtype=dtype)
    rows = xp.arange(coords.size)
    xp.add.at(m, (rows, low), wl.astype(dtype))
    xp.add.at(m, (rows, high), wh.astype(dtype))
    return m


def _bin_samples(xp, start, bin_size, n_bins, grid):
    """Sample coordinates of n_bins bins with grid evenly spaced samples each."""
    k = xp.arange(n_bins)[:, None]
    i = xp.arange(grid)[None, :]
    return (start + k * bin_size + (i + 0.5) * bin_size / grid).ravel()


# ---------------------------------------------------------------------------
# _contrib_ROIAlign

_ALIGN_PARAMS = {
    "pooled_size": Param("shape", doc="(height, width) of the output."),
    "spatial_scale": Param("float", doc="Image to feature-map scale."),
    "sample_ratio": Param("int", -1, doc="Samples per bin side (adaptive when <= 0)."),
    "position_sensitive": Param("bool", False,
                                doc="Each bin reads its own group of channels (R-FCN)."),
    "aligned": Param("bool", False, doc="Shift region corners by half a pixel."),
}


def _align_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    op = "_contrib_ROIAlign"
    _check_rois(op, *shapes)
    ph, pw = _pooled(op, attrs.pooled_size)
    c = shapes[0][1]
    if attrs.position_sensitive:
        if c % (ph * pw):
            raise MXNetError(f"{op}: with position_sensitive=True the {c} input channels must "
                             f"be a multiple of pooled height x width ({ph * pw})")
        c //= ph * pw
    return shapes, [(shapes[1][0], c, ph, pw)]


def _align_matrices(xp, attrs, roi, h, w, dtype):
    """Sampling matrices (PH*gh, H), (PW*gw, W) and the sample count per bin."""
    ph, pw = _pooled("_contrib_ROIAlign", attrs.pooled_size)
    offset = 0.5 if attrs.aligned else 0.0
    x1, y1, x2, y2 = [float(v) * attrs.spatial_scale - offset for v in roi[1:5]]
    rw, rh = x2 - x1, y2 - y1
    if not attrs.aligned:
        rw, rh = max(rw, 1.0), max(rh, 1.0)
    elif rw <= 0 or rh <= 0:
        raise MXNetError(f"_contrib_ROIAlign: with aligned=True every region needs a positive "
                         f"width and height, got region {[float(v) for v in roi]}")
    gh = attrs.sample_ratio if attrs.sample_ratio > 0 else math.ceil(rh / ph)
    gw = attrs.sample_ratio if attrs.sample_ratio > 0 else math.ceil(rw / pw)
    mh = _sampling_matrix(xp, _bin_samples(xp, y1, rh / ph, ph, gh), h, dtype)
    mw = _sampling_matrix(xp, _bin_samples(xp, x1, rw / pw, pw, gw), w, dtype)
    return mh, mw, gh, gw


def _sensitive_index(xp, ph, pw):
    """Index arrays picking, for bin (i, j), channel group i*pw + j."""
    i = xp.arange(ph)[:, None]
    j = xp.arange(pw)[None, :]
    return i * pw + j, i, j


@register("_contrib_ROIAlign", inputs=("data", "rois"), params=_ALIGN_PARAMS,
          infer_shape=_align_shape, infer_type=_roi_types("_contrib_ROIAlign"),
          gradient=_roi_grad_rule("_backward_ROIAlign"))
def _roi_align(xp, attrs, data, rois):
    """Average, per bin, bilinear samples of each region (Mask R-CNN's
    RoIAlign): no rounding of region corners; `sample_ratio` samples per bin
    side or ceil(bin size) when not positive."""
    _, (shape,) = _align_shape(attrs, [data.shape, rois.shape])
    n, c, h, w = data.shape
    ph, pw = shape[2:]
    out = xp.zeros(shape, dtype=data.dtype)
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        mats = None if b < 0 else _align_matrices(xp, attrs, roi, h, w, data.dtype)
        if mats is None:
            continue
        mh, mw, gh, gw = mats
        full = (mh @ data[b] @ mw.T).reshape(c, ph, gh, pw, gw).mean(axis=(2, 4))
        if attrs.position_sensitive:
            group, i, j = _sensitive_index(xp, ph, pw)
            full = full.reshape(shape[1], ph * pw, ph, pw)[:, group, i, j]
        out[r] = full
    return out


@register("_backward_ROIAlign", inputs=("out_grad", "data", "rois"), params=_ALIGN_PARAMS,
          infer_shape=_backward_shape, infer_type=_backward_type)
def _roi_align_backward(xp, attrs, grad, data, rois):
    """Gradient of ROIAlign w.r.t. data: the transposed sampling."""
    n, c, h, w = data.shape
    ddata = xp.zeros_like(data)
    ph, pw = grad.shape[2:]
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        mats = None if b < 0 else _align_matrices(xp, attrs, roi, h, w, data.dtype)
        if mats is None:
            continue
        mh, mw, gh, gw = mats
        g = grad[r]
        if attrs.position_sensitive:
            group, i, j = _sensitive_index(xp, ph, pw)
            spread = xp.zeros((g.shape[0], ph * pw, ph, pw), dtype=g.dtype)
            spread[:, group, i, j] = g
            g = spread.reshape(c, ph, pw)
        g = xp.broadcast_to((g / (gh * gw))[:, :, None, :, None], (c, ph, gh, pw, gw))
        ddata[b] += mh.T @ g.reshape(c, ph * gh, pw * gw) @ mw
    return ddata


# ---------------------------------------------------------------------------
# _contrib_RROIAlign (rotated regions; forward only, as in MXNet)

def _rroi_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    _check_rois("_contrib_RROIAlign", *shapes, width=6)
    ph, pw = _pooled("_contrib_RROIAlign", attrs.pooled_size)
    return shapes, [(shapes[1][0], shapes[0][1], ph, pw)]


@register("_contrib_RROIAlign", inputs=("data", "rois"),
          params={"pooled_size": Param("shape", doc="(height, width) of the output."),
                  "spatial_scale": Param("float", doc="Image to feature-map scale."),
                  "sampling_ratio": Param("int", -1,
                                          doc="Samples per bin side (adaptive when <= 0).")},
          infer_shape=_rroi_shape, infer_type=_roi_types("_contrib_RROIAlign"))
def _rroi_align(xp, attrs, data, rois):
    """RoIAlign over rotated regions (batch, centre x, centre y, width,
    height, angle in degrees counter-clockwise): bins are laid out in the
    region's frame and their samples rotated into the image."""
    _, (shape,) = _rroi_shape(attrs, [data.shape, rois.shape])
    n, c, h, w = data.shape
    ph, pw = shape[2:]
    out = xp.zeros(shape, dtype=data.dtype)
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        if b < 0:
            continue
        cx, cy, rw, rh = [float(v) * attrs.spatial_scale for v in roi[1:5]]
        theta = float(roi[5]) * math.pi / 180.0
        rw, rh = max(rw, 1.0), max(rh, 1.0)
        gh = attrs.sampling_ratio if attrs.sampling_ratio > 0 else math.ceil(rh / ph)
        gw = attrs.sampling_ratio if attrs.sampling_ratio > 0 else math.ceil(rw / pw)
        yy = _bin_samples(xp, -rh / 2, rh / ph, ph, gh)[:, None]
        xx = _bin_samples(xp, -rw / 2, rw / pw, pw, gw)[None, :]
        cos, sin = math.cos(theta), math.sin(theta)
        x = xx * cos + yy * sin + cx
        y = yy * cos - xx * sin + cy
        values = _sample_points(xp, data[b], y, x)
        out[r] = values.reshape(c, ph, gh, pw, gw).mean(axis=(2, 4))
    return out


def _sample_points(xp, image, y, x):
    """image (C, H, W) sampled at arbitrary points y, x (same shape) with
    ROIAlign's border rule; returns (C,) + y.shape."""
    _, h, w = image.shape
    ylo, yhi, wyl, wyh = _axis_weights(xp, y, h)
    xlo, xhi, wxl, wxh = _axis_weights(xp, x, w)
    return (image[:, ylo, xlo] * (wyl * wxl) + image[:, ylo, xhi] * (wyl * wxh)
            + image[:, yhi, xlo] * (wyh * wxl) + image[:, yhi, xhi] * (wyh * wxh)
            ).astype(image.dtype)


# ---------------------------------------------------------------------------
# _contrib_PSROIPooling (position-sensitive average pooling, R-FCN)

_PS_PARAMS = {
    "spatial_scale": Param("float", doc="Image to feature-map scale."),
    "output_dim": Param("int", doc="Channels of the output."),
    "pooled_size": Param("int", doc="Side of the output grid."),
    "group_size": Param("int", 0, doc="Side of the channel-group grid (0: pooled_size)."),
}


def _group(attrs):
    return attrs.group_size if attrs.group_size > 0 else attrs.pooled_size


def _ps_shape(op, attrs, shapes):
    if None in shapes:
        return shapes, [None]
    _check_rois(op, shapes[0], shapes[1])
    p, g = attrs.pooled_size, _group(attrs)
    if p < 1 or attrs.output_dim < 1:
        raise MXNetError(f"{op}: pooled_size and output_dim must be positive, got "
                         f"{p} and {attrs.output_dim}")
    if shapes[0][1] < attrs.output_dim * g * g:
        raise MXNetError(f"{op}: input 'data' needs output_dim x group_size^2 = "
                         f"{attrs.output_dim * g * g} channels, got {shapes[0][1]}")
    return shapes, [(shapes[1][0], attrs.output_dim, p, p)]


def _group_channels(xp, out_dim, pooled, group):
    """Channel read by output (c, i, j): group cell (i, j) of block c."""
    cell = xp.clip(xp.floor(xp.arange(pooled) * group / pooled), 0, group - 1).astype("int64")
    c = xp.arange(out_dim)[:, None, None]
    return (c * group + cell[None, :, None]) * group + cell[None, None, :]


def _ps_bins(xp, attrs, roi, h, w, dtype):
    """0/1 bin membership matrices (P, H), (P, W) and bin areas (P, P)."""
    p = attrs.pooled_size
    x1, y1, x2, y2 = _round(xp, roi[1:5].astype("float64")).tolist()
    mats = []
    for lo, hi, size in ((y1, y2, h), (x1, x2, w)):
        start, end = lo * attrs.spatial_scale, (hi + 1) * attrs.spatial_scale
        bin_size = max(end - start, 0.1) / p
        k = xp.arange(p)
        b0 = xp.clip(xp.floor(k * bin_size + start), 0, size)
        b1 = xp.clip(xp.ceil((k + 1) * bin_size + start), 0, size)
        pos = xp.arange(size)
        mats.append(((pos[None] >= b0[:, None]) & (pos[None] < b1[:, None])).astype(dtype))
    area = mats[0].sum(axis=1)[:, None] * mats[1].sum(axis=1)[None, :]
    return mats[0], mats[1], area


@register("_contrib_PSROIPooling", inputs=("data", "rois"), params=_PS_PARAMS,
          infer_shape=lambda attrs, s: _ps_shape("_contrib_PSROIPooling", attrs, s),
          infer_type=_roi_types("_contrib_PSROIPooling"),
          gradient=_roi_grad_rule("_backward_PSROIPooling"))
def _psroi_pooling(xp, attrs, data, rois):
    """Average-pool each region into pooled_size^2 bins, bin (i, j) of output
    channel c reading input channel (c * group + gi) * group + gj, where
    (gi, gj) is the bin's cell in a group_size grid (R-FCN)."""
    _, (shape,) = _ps_shape("_contrib_PSROIPooling", attrs, [data.shape, rois.shape])
    n, _, h, w = data.shape
    chan = _group_channels(xp, attrs.output_dim, attrs.pooled_size, _group(attrs))
    i = xp.arange(attrs.pooled_size)
    out = xp.zeros(shape, dtype=data.dtype)
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        if b < 0:
            continue
        mh, mw, area = _ps_bins(xp, attrs, roi, h, w, data.dtype)
        sums = mh @ data[b] @ mw.T                                  # (C, P, P)
        picked = sums[chan, i[:, None], i[None, :]]
        out[r] = xp.where(area > 0, picked / xp.maximum(area, 1), 0)
    return out


@register("_backward_PSROIPooling", inputs=("out_grad", "data", "rois"), params=_PS_PARAMS,
          infer_shape=_backward_shape, infer_type=_backward_type)
def _psroi_pooling_backward(xp, attrs, grad, data, rois):
    """Gradient of PSROIPooling w.r.t. data: each bin's gradient spread evenly."""
    n, c, h, w = data.shape
    chan = _group_channels(xp, attrs.output_dim, attrs.pooled_size, _group(attrs))
    i = xp.arange(attrs.pooled_size)
    ddata = xp.zeros_like(data)
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        if b < 0:
            continue
        mh, mw, area = _ps_bins(xp, attrs, roi, h, w, data.dtype)
        g = xp.zeros((c,) + area.shape, dtype=data.dtype)
        xp.add.at(g, (chan, i[:, None], i[None, :]),
                  xp.where(area > 0, grad[r] / xp.maximum(area, 1), 0))
        ddata[b] += mh.T @ g @ mw
    return ddata


# ---------------------------------------------------------------------------
# _contrib_DeformablePSROIPooling (Deformable ConvNets)

_DEFORM_PARAMS = {
    "spatial_scale": Param("float", doc="Image to feature-map scale."),
    "output_dim": Param("int", doc="Channels of the output."),
    "group_size": Param("int", doc="Side of the channel-group grid."),
    "pooled_size": Param("int", doc="Side of the output grid."),
    "part_size": Param("int", 0, doc="Side of the offset grid (0: pooled_size)."),
    "sample_per_part": Param("int", 1, doc="Samples per bin side."),
    "trans_std": Param("float", 0.0, doc="Scale of the offsets."),
    "no_trans": Param("bool", False, doc="Ignore offsets (plain PSROIPooling sampling)."),
}


def _deform_shape(attrs, shapes):
    op = "_contrib_DeformablePSROIPooling"
    if shapes[0] is None or shapes[1] is None:
        return shapes, [None]
    _, out = _ps_shape(op, attrs, shapes[:2])
    if not attrs.no_trans:
        trans = shapes[2] if len(shapes) > 2 else None
        part = attrs.part_size or attrs.pooled_size
        if trans is None or len(trans) != 4 or trans[0] != shapes[1][0] or trans[1] % 2 \
                or tuple(trans[2:]) != (part, part) or attrs.output_dim % (trans[1] // 2):
            raise MXNetError(f"{op}: input 'trans' must have shape ({shapes[1][0]}, 2 x classes, "
                             f"{part}, {part}) with output_dim divisible by the classes, got "
                             f"{None if trans is None else tuple(trans)}")
    return shapes, out


def _deform_samples(xp, attrs, roi, trans, h, w, dtype):
    """Sample positions of one region: (y, x) clamped to the image, the
    in-image mask, the class of each output channel, the offset cell of each
    bin and the region size; positions have shape (Cout, P, P, S, S)."""
    p, s = attrs.pooled_size, attrs.sample_per_part
    part = attrs.part_size or p
    x1, y1, x2, y2 = _round(xp, roi[1:5].astype("float64")).tolist()
    scale = attrs.spatial_scale
    sw, sh = x1 * scale - 0.5, y1 * scale - 0.5
    rw = max((x2 + 1) * scale - 0.5 - sw, 0.1)
    rh = max((y2 + 1) * scale - 0.5 - sh, 0.1)
    k = xp.arange(p)
    cell = xp.floor(k / p * part).astype("int64")
    if trans is None:
        classes = xp.zeros(attrs.output_dim, dtype="int64")
        tx = ty = xp.zeros((1, p, p))
    else:
        n_cls = trans.shape[0] // 2
        classes = xp.arange(attrs.output_dim) // (attrs.output_dim // n_cls)
        tx = trans[0::2][:, cell[:, None], cell[None, :]] * attrs.trans_std
        ty = trans[1::2][:, cell[:, None], cell[None, :]] * attrs.trans_std
    i = xp.arange(s)
    x = (k[None, None, :] * (rw / p) + sw + tx * rw)[classes][..., None, None] \
        + (i * (rw / p / s))[None, None, None, None, :]
    y = (k[None, :, None] * (rh / p) + sh + ty * rh)[classes][..., None, None] \
        + (i * (rh / p / s))[None, None, None, :, None]
    x, y = xp.broadcast_arrays(x, y)
    valid = (x >= -0.5) & (x <= w - 0.5) & (y >= -0.5) & (y <= h - 0.5)
    return xp.clip(y, 0, h - 1), xp.clip(x, 0, w - 1), valid, classes, cell, (rh, rw)


def _deform_corners(xp, y, x):
    """(y index, x index, weight, d weight/dx, d weight/dy) of the four corners."""
    y0, x0 = xp.floor(y), xp.floor(x)
    y1, x1 = xp.ceil(y), xp.ceil(x)
    fy, fx = y - y0, x - x0
    y0, y1, x0, x1 = (v.astype("int64") for v in (y0, y1, x0, x1))
    return [(y0, x0, (1 - fy) * (1 - fx), -(1 - fy), -(1 - fx)),
            (y1, x0, fy * (1 - fx), -fy, 1 - fx),
            (y0, x1, (1 - fy) * fx, 1 - fy, -fx),
            (y1, x1, fy * fx, fy, fx)]


def _deform_regions(xp, attrs, data, rois, trans):
    """Per region: batch index, sampled channels, positions and counts."""
    n, _, h, w = data.shape
    chan = _group_channels(xp, attrs.output_dim, attrs.pooled_size, attrs.group_size)
    chan = chan[..., None, None]
    for r, roi in enumerate(rois):
        b = _batch(roi, n)
        if b < 0:
            continue
        y, x, valid, classes, cell, size = _deform_samples(
            xp, attrs, roi, None if trans is None else trans[r], h, w, data.dtype)
        count = valid.sum(axis=(3, 4))
        yield r, b, xp.broadcast_to(chan, y.shape), y, x, valid, count, classes, cell, size


@register("_contrib_DeformablePSROIPooling", inputs=("data", "rois", "trans"),
          # as in MXNet, the offsets are an input (and a symbol argument) only when used
          active_inputs=lambda attrs: ("data", "rois") if attrs.no_trans else (
              "data", "rois", "trans"),
          params=_DEFORM_PARAMS, infer_shape=_deform_shape,
          infer_type=_roi_types("_contrib_DeformablePSROIPooling"),
          gradient=lambda F, attrs, ins, outs, g: _deform_gradient(F, attrs, ins, g))
def _deformable_psroi_pooling(xp, attrs, data, rois, trans=None):
    """PSROIPooling whose bins move by learned offsets: `trans` (R, 2 x
    classes, part, part) shifts each bin by trans_std x offset x region size;
    each bin averages sample_per_part^2 bilinear samples inside the image."""
    trans = None if attrs.no_trans else trans
    shapes = [data.shape, rois.shape] + ([] if trans is None else [trans.shape])
    _, (shape,) = _deform_shape(attrs, shapes)
    out = xp.zeros(shape, dtype=data.dtype)
    for r, b, chan, y, x, valid, count, *_ in _deform_regions(xp, attrs, data, rois, trans):
        total = 0
        for yi, xi, weight, _, _ in _deform_corners(xp, y, x):
            total = total + data[b][chan, yi, xi] * (weight * valid)
        out[r] = xp.where(count > 0, total.sum(axis=(3, 4)) / xp.maximum(count, 1), 0)
    return out


def _deform_gradient(F, attrs, ins, g):
    ddata, dtrans = F._internal._backward_DeformablePSROIPooling(g[0], *ins, **attrs)
    return [ddata, None] + ([dtrans] if len(ins) > 2 else [])


@register("_backward_DeformablePSROIPooling", inputs=("out_grad", "data", "rois", "trans"),
          params=_DEFORM_PARAMS, num_outputs=lambda attrs: 2,
          infer_shape=lambda attrs, s: (s, [s[1], s[3] if len(s) > 3 else s[2]]),
          infer_type=lambda attrs, t: (t, [t[1], t[1]]))
def _deformable_psroi_pooling_backward(xp, attrs, grad, data, rois, trans=None):
    """Gradients of DeformablePSROIPooling w.r.t. data and the offsets (the
    offsets' gradient uses the unclamped bilinear slopes, as MXNet does).
    Without `trans` the second output is a zero gradient for the rois."""
    used = None if attrs.no_trans else trans
    ddata = xp.zeros_like(data)
    dtrans = xp.zeros_like(trans if trans is not None else rois)
    for r, b, chan, y, x, valid, count, classes, cell, (rh, rw) in _deform_regions(
            xp, attrs, data, rois, used):
        share = xp.where(count > 0, grad[r] / xp.maximum(count, 1), 0)[..., None, None] * valid
        dx = dy = 0
        for yi, xi, weight, dwx, dwy in _deform_corners(xp, y, x):
            xp.add.at(ddata[b], (chan, yi, xi), share * weight)
            if used is not None:
                v = data[b][chan, yi, xi]
                dx, dy = dx + v * dwx, dy + v * dwy
        if used is not None:
            p = attrs.pooled_size
            cls = xp.broadcast_to(classes[:, None, None], (len(classes), p, p))
            ci = xp.broadcast_to(cell[None, :, None], cls.shape)
            cj = xp.broadcast_to(cell[None, None, :], cls.shape)
            step = attrs.trans_std * share
            xp.add.at(dtrans[r], (2 * cls, ci, cj), (dx * step).sum(axis=(3, 4)) * rw)
            xp.add.at(dtrans[r], (2 * cls + 1, ci, cj), (dy * step).sum(axis=(3, 4)) * rh)
    return ddata, dtrans
