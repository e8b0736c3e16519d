"""Object-detection contrib layers: MultiBoxPrior, MultiBoxTarget,
MultiBoxDetection (SSD), Proposal and MultiProposal (Faster-RCNN's RPN).
The box operators they build on live in ``nn_detection_boxes`` (importing
this family registers both).

These layers exist in float32 only, as in MXNet. Where MXNet's cpu kernel has
quirks that trained models and tests depend on, they are kept and noted.
"""
import numpy as np

from ..base import MXNetError
from .nn_detection_boxes import (greedy_suppress, pairwise_iou, stable_descending,
                                 to_center, zero_gradient)
from .params import Param
from .registry import register

_VARIANCES = (0.1, 0.1, 0.2, 0.2)


def _need(op, cond, message):
    if not cond:
        raise MXNetError(f"{op}: {message}")


def _float32_only(op):
    """MXNet runs these layers in float32 only."""
    def infer(attrs, types):
        for t in types:
            _need(op, t in (None, "float32"), f"inputs must be float32, got {t}")
        n = len(types)
        return ["float32"] * n, ["float32"] * _OUTPUTS[op]
    return infer


_OUTPUTS = {"MultiBoxPrior": 1, "MultiBoxTarget": 3, "MultiBoxDetection": 1,
            "Proposal": 2, "MultiProposal": 2}


def _check_float32(op, *arrays):
    for a in arrays:
        _need(op, a.dtype == np.float32, f"inputs must be float32, got {a.dtype}")


def _variances(op, v):
    _need(op, len(v) == 4, f"'variances' must have 4 values, got {v}")
    return v


def _decode(xp, anchors, deltas, variances):
    """Corner boxes from SSD regression deltas (scaled by ``variances``)."""
    a = to_center(xp, anchors)
    cx = deltas[..., 0] * variances[0] * a[..., 2] + a[..., 0]
    cy = deltas[..., 1] * variances[1] * a[..., 3] + a[..., 1]
    half_w = xp.exp(deltas[..., 2] * variances[2]) * a[..., 2] / 2
    half_h = xp.exp(deltas[..., 3] * variances[3]) * a[..., 3] / 2
    return xp.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=-1)


# --------------------------------------------------------------------------- MultiBoxPrior
def _prior_count(attrs):
    return len(attrs.sizes) + len(attrs.ratios) - 1


def _prior_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None]
    _need("MultiBoxPrior", len(s) == 4, f"'data' must be 4-D (batch, channel, height, width), "
                                        f"got shape {tuple(s)}")
    return shapes, [(1, s[2] * s[3] * _prior_count(attrs), 4)]


def _prior_check(attrs):
    op = "MultiBoxPrior"
    _need(op, len(attrs.sizes) > 0 and all(v > 0 for v in attrs.sizes),
          f"'sizes' must be positive numbers, got {attrs.sizes}")
    _need(op, len(attrs.ratios) > 0 and all(v > 0 for v in attrs.ratios),
          f"'ratios' must be positive numbers, got {attrs.ratios}")
    _need(op, len(attrs.steps) == 2, f"'steps' must have 2 values (y, x), got {attrs.steps}")
    _need(op, len(attrs.offsets) == 2, f"'offsets' must have 2 values (y, x), got {attrs.offsets}")


@register("_contrib_MultiBoxPrior",
          params={"sizes": Param("floats", (1.0,), "Anchor sizes relative to the image."),
                  "ratios": Param("floats", (1.0,), "Anchor aspect ratios (width/height)."),
                  "clip": Param("bool", False, "Clip anchors to [0, 1]."),
                  "steps": Param("floats", (-1.0, -1.0), "Distance between anchor centers "
                                                         "(y, x); -1: one feature-map cell."),
                  "offsets": Param("floats", (0.5, 0.5), "Center offset within a cell (y, x).")},
          infer_shape=_prior_shape, infer_type=_float32_only("MultiBoxPrior"),
          gradient=zero_gradient)
def multibox_prior(xp, attrs, data):
    """SSD anchor boxes (corner form, relative coordinates) for every cell of
    the feature map ``data``: one per size with ``ratios[0]``, then one per
    further ratio with ``sizes[0]``. Output (1, height*width*anchors, 4)."""
    _prior_check(attrs)
    _prior_shape(attrs, [data.shape])
    _check_float32("MultiBoxPrior", data)
    h, w = data.shape[2], data.shape[3]
    step_y = attrs.steps[0] if attrs.steps[0] > 0 else 1.0 / h
    step_x = attrs.steps[1] if attrs.steps[1] > 0 else 1.0 / w
    shapes = [(s, attrs.ratios[0]) for s in attrs.sizes]
    shapes += [(attrs.sizes[0], r) for r in attrs.ratios[1:]]
    size = np.array([s for s, _ in shapes])
    root = np.sqrt(np.array([r for _, r in shapes]))
    half_w = xp.asarray(size * h / w * root / 2)
    half_h = xp.asarray(size / root / 2)
    cy = (xp.arange(h) + attrs.offsets[0]) * step_y
    cx = (xp.arange(w) + attrs.offsets[1]) * step_x
    cy, cx = cy[:, None, None], cx[None, :, None]
    out = xp.stack(xp.broadcast_arrays(cx - half_w, cy - half_h, cx + half_w, cy + half_h), -1)
    if attrs.clip:
        out = xp.clip(out, 0, 1)
    return out.reshape(1, -1, 4).astype(xp.float32)


# --------------------------------------------------------------------------- MultiBoxTarget
def _target_shape(attrs, shapes):
    anchor, label, cls_pred = shapes
    op = "MultiBoxTarget"
    if anchor is None or label is None:
        return shapes, [None] * 3
    _need(op, len(anchor) == 3 and anchor[0] == 1 and anchor[2] == 4,
          f"'anchor' must have shape (1, anchors, 4), got {tuple(anchor)}")
    _need(op, len(label) == 3 and label[2] >= 5,
          f"'label' must have shape (batch, objects, 5 or more), got {tuple(label)}")
    if cls_pred is not None:
        _need(op, len(cls_pred) == 3 and cls_pred[0] == label[0] and cls_pred[2] == anchor[1],
              f"'cls_pred' must have shape ({label[0]}, classes, {anchor[1]}), "
              f"got {tuple(cls_pred)}")
    b, n = label[0], anchor[1]
    return shapes, [(b, n * 4), (b, n * 4), (b, n)]


def _first_free(xp, overlaps, floor):
    """(anchor, gt) of the largest overlap above ``floor`` per batch, first in
    anchor-major order; -1 where none."""
    nb, n, m = overlaps.shape
    flat = overlaps.reshape(nb, n * m)
    best = xp.argmax(flat, axis=1)
    found = flat[xp.arange(nb), best] > floor
    return xp.where(found, best // m, -1), xp.where(found, best % m, -1)


@register("_contrib_MultiBoxTarget", inputs=("anchor", "label", "cls_pred"),
          params={"overlap_threshold": Param("float", 0.5, "Overlap that makes an anchor "
                                                           "positive."),
                  "ignore_label": Param("float", -1.0, "Class target of ignored anchors."),
                  "negative_mining_ratio": Param("float", -1.0, "Negatives per positive "
                                                                "(<= 0: every other anchor)."),
                  "negative_mining_thresh": Param("float", 0.5, "Overlap below which an anchor "
                                                                "may be a negative."),
                  "minimum_negative_samples": Param("int", 0, "Accepted but unused: MXNet's cpu "
                                                                     "kernel ignores it too."),
                  "variances": Param("floats", _VARIANCES, "Scales of the box targets.")},
          num_outputs=3, output_names=("loc_target", "loc_mask", "cls_target"),
          infer_shape=_target_shape, infer_type=_float32_only("MultiBoxTarget"),
          gradient=zero_gradient)
def multibox_target(xp, attrs, anchor, label, cls_pred):
    """SSD training targets. Each ground truth (label rows [class, x1, y1, x2,
    y2], ended by class -1) first claims its best free anchor, best overlap
    first; other anchors whose best overlap exceeds ``overlap_threshold`` are
    positive too. Negatives are all the rest, or with hard negative mining the
    candidates with the least background probability, ``int(positives *
    negative_mining_ratio)`` of them. Returns box targets
    (flattened), their mask, and class targets (class + 1, 0 for negatives,
    ``ignore_label`` otherwise)."""
    op = "MultiBoxTarget"
    variances = _variances(op, attrs.variances)
    _target_shape(attrs, [anchor.shape, label.shape, cls_pred.shape])
    _check_float32(op, anchor, label, cls_pred)
    nb, m = label.shape[:2]
    n = anchor.shape[1]
    is_end = label[:, :, 0] == -1
    n_gt = xp.where(is_end.any(axis=1), xp.argmax(is_end, axis=1), m)
    gt_ok = xp.arange(m)[None, :] < n_gt[:, None]
    gt = label[:, :, 1:5]
    overlaps = xp.where(gt_ok[:, None, :], pairwise_iou(xp, anchor[0][None], gt), -1.0)

    batch = xp.arange(nb)
    match = xp.full((nb, n), -1, dtype=xp.int64)   # gt index of positive anchors
    free = overlaps.copy()
    for _ in range(m):
        a, g = _first_free(xp, free, 1e-6)
        ok = a >= 0
        if not ok.any():
            break
        b, a, g = batch[ok], a[ok], g[ok]
        match[b, a] = g
        free[b, a, :] = -1
        free[b, :, g] = -1
    positive = match >= 0
    best_iou = xp.full((nb, n), -1.0)
    if attrs.overlap_threshold > 0:
        best_gt = xp.argmax(overlaps, axis=2)
        best_iou = xp.take_along_axis(overlaps, best_gt[:, :, None], axis=2)[:, :, 0]
        extra = ~positive & (best_iou > attrs.overlap_threshold)
        match = xp.where(extra, best_gt, match)
        positive |= extra

    has_gt = n_gt > 0
    n_pos = positive.sum(axis=1)
    if attrs.negative_mining_ratio > 0:
        n_neg = (n_pos * attrs.negative_mining_ratio).astype(xp.int64)
        n_neg = xp.minimum(n_neg, n - n_pos)
        candidate = ~positive & (best_iou < attrs.negative_mining_thresh)
        logits = cls_pred - cls_pred.max(axis=1, keepdims=True)
        e = xp.exp(logits)
        background = e[:, 0, :] / e.sum(axis=1)
        order = xp.argsort(xp.where(candidate, background, xp.inf), axis=1, kind="stable")
        rank = xp.argsort(order, axis=1)
        negative = candidate & (rank < n_neg[:, None])
    else:
        negative = ~positive
    positive &= has_gt[:, None]
    negative &= has_gt[:, None]

    ref = xp.take_along_axis(gt, xp.maximum(match, 0)[:, :, None], axis=1)
    a, g = to_center(xp, anchor[0][None]), to_center(xp, ref)
    with np.errstate(all="ignore"):  # rows of non-positive anchors are discarded
        loc = xp.stack([(g[..., 0] - a[..., 0]) / a[..., 2] / variances[0],
                        (g[..., 1] - a[..., 1]) / a[..., 3] / variances[1],
                        xp.log(g[..., 2] / a[..., 2]) / variances[2],
                        xp.log(g[..., 3] / a[..., 3]) / variances[3]], axis=-1)
    pos4 = positive[:, :, None]
    loc_target = xp.where(pos4, loc, 0).reshape(nb, n * 4)
    loc_mask = xp.broadcast_to(pos4, (nb, n, 4)).reshape(nb, n * 4)
    gt_cls = xp.take_along_axis(label[:, :, 0], xp.maximum(match, 0), axis=1)
    cls_target = xp.where(positive, gt_cls + 1, xp.where(negative, 0, attrs.ignore_label))
    f32 = xp.float32
    return loc_target.astype(f32), loc_mask.astype(f32), cls_target.astype(f32)


# --------------------------------------------------------------------------- MultiBoxDetection
def _detection_shape(attrs, shapes):
    cls_prob, loc_pred, anchor = shapes
    op = "MultiBoxDetection"
    if cls_prob is None:
        return shapes, [None]
    _need(op, len(cls_prob) == 3, f"'cls_prob' must have shape (batch, classes, anchors), "
                                  f"got {tuple(cls_prob)}")
    b, _, n = cls_prob
    _need(op, loc_pred is None or tuple(loc_pred) == (b, n * 4),
          f"'loc_pred' must have shape {(b, n * 4)}, got {loc_pred}")
    _need(op, anchor is None or tuple(anchor) == (1, n, 4),
          f"'anchor' must have shape {(1, n, 4)}, got {anchor}")
    return shapes, [(b, n, 6)]


@register("_contrib_MultiBoxDetection", inputs=("cls_prob", "loc_pred", "anchor"),
          params={"clip": Param("bool", True, "Clip boxes to [0, 1]."),
                  "threshold": Param("float", 0.01, "Least score of a detection."),
                  "background_id": Param("int", 0, "Background class (class 0 is always "
                                                   "treated as background, as in MXNet)."),
                  "nms_threshold": Param("float", 0.5, "Overlap at which a box is suppressed "
                                                       "(outside (0, 1]: no suppression)."),
                  "force_suppress": Param("bool", False, "Suppress across classes too."),
                  "variances": Param("floats", _VARIANCES, "Scales of the box deltas."),
                  "nms_topk": Param("int", -1, "Sort only the nms_topk best detections "
                                               "(-1: all).")},
          infer_shape=_detection_shape, infer_type=_float32_only("MultiBoxDetection"),
          gradient=zero_gradient)
def multibox_detection(xp, attrs, cls_prob, loc_pred, anchor):
    """SSD detections: rows [class id, score, x1, y1, x2, y2] per anchor.

    Each anchor takes its best non-background class (ids count from class 1
    as 0); scores under ``threshold`` are dropped. Valid rows move to the front
    (anchor order), the best ``nms_topk`` of them are sorted by score, then
    suppression over all valid rows marks losers with id -1; unused rows are -1.
    """
    op = "MultiBoxDetection"
    variances = _variances(op, attrs.variances)
    _detection_shape(attrs, [cls_prob.shape, loc_pred.shape, anchor.shape])
    _check_float32(op, cls_prob, loc_pred, anchor)
    nb, n_cls, n = cls_prob.shape
    if n_cls > 1:
        fg = cls_prob[:, 1:, :]
        cls = xp.argmax(fg, axis=1)
        score = xp.take_along_axis(fg, cls[:, None, :], axis=1)[:, 0, :]
    else:
        cls = xp.zeros((nb, n), dtype=xp.int64)
        score = xp.full((nb, n), -1, dtype=cls_prob.dtype)
    cls = xp.where((n_cls > 1) & (score >= attrs.threshold), cls, -1)
    boxes = _decode(xp, anchor, loc_pred.reshape(nb, n, 4), variances)
    if attrs.clip:
        boxes = xp.clip(boxes, 0, 1)
    rows = xp.concatenate([cls[:, :, None].astype(boxes.dtype), score[:, :, None], boxes], -1)
    valid = cls >= 0
    front = xp.argsort(~valid, axis=1, kind="stable")
    rows = xp.take_along_axis(rows, front[:, :, None], axis=1)
    count = valid.sum(axis=1)
    slot = xp.arange(n)[None, :]
    if 0 < attrs.nms_threshold <= 1:
        order = stable_descending(xp, xp.where(slot < count[:, None], rows[:, :, 1], -xp.inf))
        ranked = xp.take_along_axis(rows, order[:, :, None], axis=1)
        n_sorted = count if attrs.nms_topk <= 0 else xp.minimum(count, attrs.nms_topk)
        # Only the best nms_topk rows are reordered and kept; the other valid rows stay
        # in anchor order with id -1, as MXNet leaves them.
        rows = xp.where((slot < n_sorted[:, None])[:, :, None], ranked, rows)
        classes = None if attrs.force_suppress else rows[:, :, 0]
        keep = greedy_suppress(xp, rows[:, :, 2:], n_sorted, attrs.nms_threshold, classes,
                               inclusive=True)
        rows[:, :, 0] = xp.where(keep, rows[:, :, 0], -1)
    rows = xp.where((slot < count[:, None])[:, :, None], rows, -1)
    return rows.astype(xp.float32)


# --------------------------------------------------------------------------- Proposal
def _rpn_anchors(attrs):
    """Base anchors (len(ratios) * len(scales), 4) of one feature-map cell, in
    pixels with inclusive corners: ratio-major, each ratio's area rounded first."""
    stride = attrs.feature_stride
    ctr = 0.5 * (stride - 1)
    out = []
    for ratio in attrs.ratios:
        base_w = np.floor(np.sqrt(np.floor(stride * stride / ratio)) + 0.5)
        base_h = np.floor(base_w * ratio + 0.5)
        for scale in attrs.scales:
            w, h = base_w * scale, base_h * scale
            out.append([ctr - 0.5 * (w - 1), ctr - 0.5 * (h - 1),
                        ctr + 0.5 * (w - 1), ctr + 0.5 * (h - 1)])
    return np.array(out, dtype=np.float32)


def _proposal_shape(op):
    def infer(attrs, shapes):
        cls_prob, bbox_pred, im_info = shapes
        if cls_prob is None:
            return shapes, [None, None]
        _need(op, len(cls_prob) == 4, f"'cls_prob' must be 4-D (batch, 2*anchors, height, "
                                      f"width), got {tuple(cls_prob)}")
        b, c, h, w = cls_prob
        n_anchor = len(attrs.scales) * len(attrs.ratios)
        _need(op, c == 2 * n_anchor, f"'cls_prob' must have 2 * len(scales) * len(ratios) = "
                                     f"{2 * n_anchor} channels, got {c}")
        _need(op, op == "MultiProposal" or b == 1,
              f"handles one image per call (use MultiProposal), got batch {b}")
        _need(op, bbox_pred is None or tuple(bbox_pred) == (b, 4 * n_anchor, h, w),
              f"'bbox_pred' must have shape {(b, 4 * n_anchor, h, w)}, got {bbox_pred}")
        _need(op, im_info is None or tuple(im_info) == (b, 3),
              f"'im_info' must have shape {(b, 3)} (height, width, scale), got {im_info}")
        n = b * attrs.rpn_post_nms_top_n
        return shapes, [(n, 5), (n, 1)]
    return infer


def _proposal(xp, attrs, cls_prob, bbox_pred, im_info):
    nb, c, h, w = cls_prob.shape
    n_anchor = c // 2
    stride = attrs.feature_stride
    base = xp.asarray(_rpn_anchors(attrs))
    sy, sx = xp.meshgrid(xp.arange(h, dtype=xp.float32) * stride,
                         xp.arange(w, dtype=xp.float32) * stride, indexing="ij")
    shift = xp.stack([sx, sy, sx, sy], axis=-1)[:, :, None, :]
    anchors = (base[None, None] + shift).reshape(-1, 4)           # (h*w*A, 4): h, w, a order
    scores = cls_prob[:, n_anchor:].transpose(0, 2, 3, 1).reshape(nb, -1)
    deltas = bbox_pred.reshape(nb, n_anchor, 4, h, w).transpose(0, 3, 4, 1, 2).reshape(nb, -1, 4)
    im_h, im_w, im_scale = (im_info[:, i][:, None] for i in range(3))
    if attrs.iou_loss:
        boxes = anchors[None] + deltas
    else:
        width = anchors[:, 2] - anchors[:, 0] + 1
        height = anchors[:, 3] - anchors[:, 1] + 1
        cx = deltas[..., 0] * width + (anchors[:, 0] + 0.5 * (width - 1))
        cy = deltas[..., 1] * height + (anchors[:, 1] + 0.5 * (height - 1))
        half_w = 0.5 * (xp.exp(deltas[..., 2]) * width - 1)
        half_h = 0.5 * (xp.exp(deltas[..., 3]) * height - 1)
        boxes = xp.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=-1)
    lim = xp.stack([im_w - 1, im_h - 1, im_w - 1, im_h - 1], axis=-1)
    boxes = xp.minimum(xp.maximum(boxes, 0), lim)
    # Cells beyond the image's own extent (padding in a batch) never propose.
    rows = xp.arange(h)[None, :, None] >= (im_h / stride).astype(xp.int64)[:, :, None]
    cols = xp.arange(w)[None, None, :] >= (im_w / stride).astype(xp.int64)[:, :, None]
    outside = xp.broadcast_to((rows | cols)[..., None], (nb, h, w, n_anchor)).reshape(nb, -1)
    # Boxes under the minimum size are pushed to the end (score -1) and widened.
    min_size = attrs.rpn_min_size * im_scale
    small = ((boxes[..., 2] - boxes[..., 0] + 1 < min_size)
             | (boxes[..., 3] - boxes[..., 1] + 1 < min_size))
    grow = xp.where(small, min_size / 2, 0)[..., None] * xp.array([-1, -1, 1, 1], boxes.dtype)
    boxes = boxes + grow
    scores = xp.where(small | outside, -1, scores)

    count = scores.shape[1]
    pre = min(attrs.rpn_pre_nms_top_n, count) if attrs.rpn_pre_nms_top_n > 0 else count
    post = attrs.rpn_post_nms_top_n
    order = stable_descending(xp, scores)[:, :pre]
    boxes = xp.take_along_axis(boxes, order[:, :, None], axis=1)
    scores = xp.take_along_axis(scores, order, axis=1)
    keep = greedy_suppress(xp, boxes, xp.full(nb, pre), attrs.threshold, plus_one=True,
                           max_keep=post)
    # The first `post` survivors, cycled when fewer survive.
    kept = xp.argsort(~keep, axis=1, kind="stable")
    n_kept = xp.clip(keep.sum(axis=1), 1, post)
    pick = xp.take_along_axis(kept, xp.arange(post)[None, :] % n_kept[:, None], axis=1)
    out_boxes = xp.take_along_axis(boxes, pick[:, :, None], axis=1)
    batch = xp.broadcast_to(xp.arange(nb, dtype=boxes.dtype)[:, None, None], (nb, post, 1))
    rois = xp.concatenate([batch, out_boxes], axis=-1).reshape(-1, 5)
    out_scores = xp.take_along_axis(scores, pick, axis=1).reshape(-1, 1)
    return rois.astype(xp.float32), out_scores.astype(xp.float32)


_PROPOSAL_PARAMS = {
    "rpn_pre_nms_top_n": Param("int", 6000, "Best-scored boxes kept before suppression."),
    "rpn_post_nms_top_n": Param("int", 300, "Boxes returned per image."),
    "threshold": Param("float", 0.7, "Suppression overlap threshold."),
    "rpn_min_size": Param("int", 16, "Least box side, in pixels of the original image."),
    "scales": Param("floats", (4.0, 8.0, 16.0, 32.0), "Anchor scales."),
    "ratios": Param("floats", (0.5, 1.0, 2.0), "Anchor aspect ratios (height/width)."),
    "feature_stride": Param("int", 16, "Pixels per feature-map cell."),
    "output_score": Param("bool", False, "Also return the scores."),
    "iou_loss": Param("bool", False, "Deltas are corner offsets instead of center/size."),
}


def _register_proposal(name):
    op = name

    def compute(xp, attrs, cls_prob, bbox_pred, im_info):
        _proposal_shape(op)(attrs, [cls_prob.shape, bbox_pred.shape, im_info.shape])
        _check_float32(op, cls_prob, bbox_pred, im_info)
        return _proposal(xp, attrs, cls_prob, bbox_pred, im_info)
    compute.__doc__ = (
        "Region proposals of Faster-RCNN's RPN: anchors of every feature-map cell are "
        "moved by ``bbox_pred``, clipped to the image, ranked by foreground score "
        "(``cls_prob``'s second half of channels), cut to rpn_pre_nms_top_n, suppressed "
        "and cut to rpn_post_nms_top_n (cycling survivors when fewer remain). Returns "
        "rois [batch index, x1, y1, x2, y2] and, with output_score, their scores."
        + (" Takes a batch of images." if name == "MultiProposal" else " One image only."))
    register(f"_contrib_{name}", inputs=("cls_prob", "bbox_pred", "im_info"),
             params=dict(_PROPOSAL_PARAMS), num_outputs=2,
             visible_outputs=lambda attrs: 2 if attrs.output_score else 1,
             output_names=("output", "score"), infer_shape=_proposal_shape(op),
             infer_type=_float32_only(op), gradient=zero_gradient)(compute)


_register_proposal("Proposal")
_register_proposal("MultiProposal")
