"""Bounding-box contrib operators: box_iou, box_nms, bipartite_matching,
box_encode and box_decode, plus the box helpers the MultiBox and Proposal
layers (``nn_detection``) share.

Boxes are the last axis of length 4, either ``corner`` (x1, y1, x2, y2) or
``center`` (cx, cy, w, h). Overlap is intersection over union; a pair whose
intersection is empty (including any inverted box) has overlap 0, never NaN.
Greedy suppression and matching run one Python step per kept box or match,
each step vectorised over the whole batch.
"""
import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register

_FORMATS = ("center", "corner")


# --------------------------------------------------------------------------- helpers
def to_corner(xp, b, fmt):
    """``b[..., 4]`` in corner form (a fresh array when converted)."""
    if fmt == "corner":
        return b
    half_w, half_h = b[..., 2] / 2, b[..., 3] / 2
    return xp.stack([b[..., 0] - half_w, b[..., 1] - half_h,
                     b[..., 0] + half_w, b[..., 1] + half_h], axis=-1)


def to_center(xp, b):
    """Corner boxes ``b[..., 4]`` as (cx, cy, w, h)."""
    w, h = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    return xp.stack([b[..., 0] + w / 2, b[..., 1] + h / 2, w, h], axis=-1)


def pairwise_iou(xp, a, b, plus_one=False):
    """Overlap of every corner box of ``a[..., n, 4]`` with every one of
    ``b[..., m, 4]`` -> ``[..., n, m]``. ``plus_one`` counts pixels inclusively
    (width = x2 - x1 + 1), the Faster-RCNN convention."""
    one = 1 if plus_one else 0
    ax1, ay1, ax2, ay2 = (a[..., :, None, k] for k in range(4))
    bx1, by1, bx2, by2 = (b[..., None, :, k] for k in range(4))
    # The n x m work is done in place; per-box areas are only n + m values.
    inter = xp.minimum(ax2, bx2)
    inter -= xp.maximum(ax1, bx1)
    ih = xp.minimum(ay2, by2)
    ih -= xp.maximum(ay1, by1)
    if one:
        inter += one
        ih += one
    xp.maximum(inter, 0, out=inter)
    xp.maximum(ih, 0, out=ih)
    inter *= ih
    union = ih
    xp.add((ax2 - ax1 + one) * (ay2 - ay1 + one), (bx2 - bx1 + one) * (by2 - by1 + one), out=union)
    union -= inter
    # Where the boxes meet, union >= intersection > 0; elsewhere the intersection is
    # 0 and the floor only keeps 0 / 0 (two empty boxes) from turning into NaN.
    xp.maximum(union, np.finfo(union.dtype).tiny, out=union)
    inter /= union
    return inter


def greedy_suppress(xp, boxes, count, thresh, classes=None, inclusive=False, plus_one=False,
                    max_keep=None):
    """Greedy non-maximum suppression over rows already in priority order.

    ``boxes``: (B, N, 4) corners; only the first ``count[b]`` rows of batch b
    take part. A surviving row removes every later surviving row (of the same
    class when ``classes`` (B, N) is given) whose overlap exceeds ``thresh``
    (or reaches it when ``inclusive``). With ``max_keep``, rows after the
    max_keep-th survivor are left undecided (callers discard them). Returns
    the (B, N) mask of survivors.
    """
    nb, n = boxes.shape[:2]
    active = xp.arange(n)[None, :] < count[:, None]
    removed = xp.zeros((nb, n), dtype=bool)
    kept = xp.zeros(nb, dtype=xp.int64)
    m = int(count.max()) if nb else 0
    # Overlaps are computed a block of rows at a time (against the rows from the block
    # on) to bound memory at ~4M entries and to skip blocks never reached.
    block = max(1, min(m, (1 << 22) // max(1, nb * m)))
    for start in range(0, m, block):
        if max_keep is not None and bool((kept >= max_keep).all()):
            break
        stop = min(start + block, m)
        iou = pairwise_iou(xp, boxes[:, start:stop], boxes[:, start:m], plus_one)
        over = iou >= thresh if inclusive else iou > thresh
        if classes is not None:
            over &= classes[:, start:stop, None] == classes[:, None, start:m]
        for i in range(start, stop):
            alive = active[:, i] & ~removed[:, i]
            if alive.any():
                removed[:, i + 1:m] |= over[:, i - start, i + 1 - start:] & alive[:, None]
                kept += alive
    return active & ~removed


def stable_descending(xp, key, axis=-1):
    """Indices sorting ``key`` largest first, equal keys by increasing position."""
    rev = xp.argsort(xp.flip(key, axis=axis), axis=axis, kind="stable")
    return key.shape[axis] - 1 - xp.flip(rev, axis=axis)


def zero_gradient(F, attrs, ins, outs, out_grads):
    return [F.zeros_like(x) for x in ins]


def same_as_first(attrs, types, n_out=1):
    return types, [types[0]] * n_out


def _need(op, cond, message):
    if not cond:
        raise MXNetError(f"{op}: {message}")


# --------------------------------------------------------------------------- box_iou
def _iou_shape(attrs, shapes):
    lhs, rhs = shapes
    if lhs is None or rhs is None:
        return shapes, [None]
    for name, s in (("lhs", lhs), ("rhs", rhs)):
        _need("box_iou", len(s) >= 1 and s[-1] == 4,
              f"the last axis of '{name}' must have length 4 (a box), got shape {tuple(s)}")
    return shapes, [tuple(lhs[:-1]) + tuple(rhs[:-1])]


@register("_contrib_box_iou", inputs=("lhs", "rhs"),
          params={"format": Param("str", "corner", "Box encoding of both inputs.",
                                  choices=_FORMATS)},
          infer_shape=_iou_shape, infer_type=same_as_first, gradient=zero_gradient)
def box_iou(xp, attrs, lhs, rhs):
    """Intersection over union of every box of ``lhs`` with every box of ``rhs``:
    the output shape is ``lhs.shape[:-1] + rhs.shape[:-1]``."""
    _iou_shape(attrs, [lhs.shape, rhs.shape])
    a = to_corner(xp, lhs.reshape(-1, 4), attrs.format)
    b = to_corner(xp, rhs.reshape(-1, 4), attrs.format)
    return pairwise_iou(xp, a, b).reshape(lhs.shape[:-1] + rhs.shape[:-1])


# --------------------------------------------------------------------------- box_nms
def _nms_check(attrs, shape):
    op = "box_nms"
    _need(op, len(shape) >= 2, f"'data' must have at least 2 dimensions (boxes x fields), "
                               f"got shape {tuple(shape)}")
    width = shape[-1]
    _need(op, 0 <= attrs.coord_start and attrs.coord_start + 4 <= width,
          f"'coord_start' {attrs.coord_start} needs 4 coordinates within the last axis "
          f"of length {width}")
    _need(op, 0 <= attrs.score_index < width,
          f"'score_index' {attrs.score_index} is out of range for the last axis of length {width}")
    _need(op, attrs.id_index < width,
          f"'id_index' {attrs.id_index} is out of range for the last axis of length {width}")


def _nms_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None, None]
    _nms_check(attrs, s)
    return shapes, [tuple(s), tuple(s[:-1])]


def _nms_grad(F, attrs, ins, outs, out_grads):
    return [F._internal._box_nms_scatter(out_grads[0], outs[1])]


@register("_contrib_box_nms", aliases=("_contrib_box_non_maximum_suppression",),
          params={
              "overlap_thresh": Param("float", 0.5, "Overlap above which the lower-scored box "
                                                    "is removed."),
              "valid_thresh": Param("float", 0.0, "Boxes need a score above this to be kept."),
              "topk": Param("int", -1, "Keep only the topk best-scored valid boxes before "
                                       "suppression (-1: all)."),
              "coord_start": Param("int", 2, "Position of the 4 coordinates in a row."),
              "score_index": Param("int", 1, "Position of the score in a row."),
              "id_index": Param("int", -1, "Position of the class id (-1: no class)."),
              "background_id": Param("int", -1, "Class id of rows to drop (needs id_index)."),
              "force_suppress": Param("bool", False, "Suppress across classes too."),
              "in_format": Param("str", "corner", "Box encoding of the input.", choices=_FORMATS),
              "out_format": Param("str", "corner", "Box encoding of the output.",
                                  choices=_FORMATS),
          },
          num_outputs=2, visible_outputs=lambda attrs: 1,
          infer_shape=_nms_shape, infer_type=lambda attrs, t: (t, [t[0], "int64"]),
          gradient=_nms_grad)
def box_nms(xp, attrs, data):
    """Non-maximum suppression of the boxes along the second-to-last axis.

    Valid rows (score above ``valid_thresh``, class not ``background_id``) are
    ordered by score (ties by position), cut to ``topk``, then greedily
    suppressed; the survivors fill the front of the output in score order and
    every other row is -1. The hidden second output records which input row
    each output row came from (-1 for filler), which routes the gradient back.
    """
    _nms_check(attrs, data.shape)
    shape = data.shape
    n, width = shape[-2], shape[-1]
    x = data.reshape(-1, n, width)
    score = x[:, :, attrs.score_index]
    valid = score > attrs.valid_thresh
    if attrs.id_index >= 0:
        valid &= x[:, :, attrs.id_index] != attrs.background_id
    order = xp.argsort(xp.where(valid, -score, xp.inf), axis=1, kind="stable")
    count = valid.sum(axis=1)
    if attrs.topk > 0:
        count = xp.minimum(count, attrs.topk)
    rows = xp.take_along_axis(x, order[:, :, None], axis=1)
    cs = attrs.coord_start
    corners = to_corner(xp, rows[:, :, cs:cs + 4], attrs.in_format)
    classes = None
    if attrs.id_index >= 0 and not attrs.force_suppress:
        classes = rows[:, :, attrs.id_index]
    keep = greedy_suppress(xp, corners, count, attrs.overlap_thresh, classes)
    front = xp.argsort(~keep, axis=1, kind="stable")  # survivors first, order kept
    kept = xp.take_along_axis(keep, front, axis=1)
    out = xp.take_along_axis(rows, front[:, :, None], axis=1)
    if attrs.in_format != attrs.out_format:
        coords = out[:, :, cs:cs + 4]
        out[:, :, cs:cs + 4] = (to_center(xp, coords) if attrs.out_format == "center"
                                else to_corner(xp, coords, "center"))
    out = xp.where(kept[:, :, None], out, -1).astype(data.dtype, copy=False)
    index = xp.where(kept, xp.take_along_axis(order, front, axis=1), -1).astype(xp.int64)
    return out.reshape(shape), index.reshape(shape[:-1])


def _route_shape(attrs, shapes):
    return shapes, [shapes[0]]


def _route_grad(F, attrs, ins, outs, out_grads):
    back = F._internal._box_nms_scatter(out_grads[0], ins[1], gather=not attrs.gather)
    return [back, None]


@register("_box_nms_scatter", inputs=("data", "index"),
          params={"gather": Param("bool", False, "Gather rows instead of scattering them.")},
          infer_shape=_route_shape, infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_route_grad)
def box_nms_scatter(xp, attrs, data, index):
    """Move the rows of ``data`` along the second-to-last axis: row i goes to
    row ``index[..., i]`` (scatter), or row i takes row ``index[..., i]``
    (gather); index -1 means no row (zeros). box_nms's gradient is the scatter."""
    n, width = data.shape[-2], data.shape[-1]
    x = data.reshape(-1, n, width)
    idx = index.reshape(-1, n).astype(xp.int64)
    batch, pos = xp.nonzero(idx >= 0)
    out = xp.zeros_like(x)
    if attrs.gather:
        out[batch, pos] = x[batch, idx[batch, pos]]
    else:
        out[batch, idx[batch, pos]] = x[batch, pos]
    return out.reshape(data.shape)


# --------------------------------------------------------------------------- bipartite_matching
def _bm_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None, None]
    _need("bipartite_matching", len(s) >= 2,
          f"'data' must have at least 2 dimensions (rows x columns), got shape {tuple(s)}")
    return shapes, [tuple(s[:-1]), tuple(s[:-2]) + (s[-1],)]


@register("_contrib_bipartite_matching",
          params={"is_ascend": Param("bool", False, "Match the smallest scores first."),
                  "threshold": Param("float", doc="Scores must beat this to be matched "
                                                  "(above it, or below it with is_ascend)."),
                  "topk": Param("int", -1, "Stop once more than topk pairs are matched "
                                           "(-1: no limit).")},
          num_outputs=2, infer_shape=_bm_shape,
          infer_type=lambda attrs, t: same_as_first(attrs, t, 2), gradient=zero_gradient)
def bipartite_matching(xp, attrs, data):
    """Greedy one-to-one matching of the rows and columns of a score matrix
    (last two axes): pairs are taken best score first (ties by flattened
    position) while both are free and the score passes ``threshold``. Returns
    the column matched to each row and the row matched to each column (-1: none)."""
    _bm_shape(attrs, [data.shape])
    n, m = data.shape[-2], data.shape[-1]
    flat = data.reshape(-1, n * m).astype(xp.float64)
    limit = attrs.threshold
    if attrs.is_ascend:  # smallest first == largest of the negated scores
        flat, limit = -flat, -limit
    nb = flat.shape[0]
    scores = xp.where(xp.isnan(flat), -xp.inf, flat).reshape(nb, n, m)
    rows = xp.full((nb, n), -1, dtype=xp.int64)
    cols = xp.full((nb, m), -1, dtype=xp.int64)
    active = xp.ones(nb, dtype=bool)
    matched = xp.zeros(nb, dtype=xp.int64)
    batch = xp.arange(nb)
    for _ in range(min(n, m)):
        best = xp.argmax(scores.reshape(nb, n * m), axis=1)
        r, c = best // m, best % m
        ok = active & (scores[batch, r, c] > limit)
        if not ok.any():
            break
        b, r, c = batch[ok], r[ok], c[ok]
        rows[b, r] = c
        cols[b, c] = r
        scores[b, r, :] = -xp.inf
        scores[b, :, c] = -xp.inf
        matched += ok
        active &= ok
        if attrs.topk > 0:
            active &= matched <= attrs.topk
    dt = data.dtype
    return rows.astype(dt).reshape(data.shape[:-1]), cols.astype(dt).reshape(
        data.shape[:-2] + (m,))


# --------------------------------------------------------------------------- box_encode / decode
def _encode_shape(attrs, shapes):
    samples, matches, anchors, refs, means, stds = shapes
    if anchors is None:
        return shapes, [None, None]
    _need("box_encode", len(anchors) == 3 and anchors[-1] == 4,
          f"'anchors' must have shape (batch, boxes, 4), got {tuple(anchors)}")
    for name, s in (("samples", samples), ("matches", matches)):
        _need("box_encode", s is None or tuple(s) == tuple(anchors[:2]),
              f"'{name}' must have shape {tuple(anchors[:2])} (batch, boxes), got {s}")
    _need("box_encode", refs is None or (len(refs) == 3 and refs[-1] == 4),
          f"'refs' must have shape (batch, references, 4), got {refs}")
    for name, s in (("means", means), ("stds", stds)):
        _need("box_encode", s is None or tuple(s) == (4,),
              f"'{name}' must have shape (4,), got {s}")
    return shapes, [tuple(anchors), tuple(anchors)]


@register("_contrib_box_encode",
          inputs=("samples", "matches", "anchors", "refs", "means", "stds"),
          num_outputs=2, infer_shape=_encode_shape,
          infer_type=lambda attrs, t: (t, [t[2], t[2]]), gradient=zero_gradient)
def box_encode(xp, attrs, samples, matches, anchors, refs, means, stds):
    """Regression targets of positive samples (``samples > 0.5``) against the
    reference box each one matches: center offsets over anchor size and log
    size ratios, normalised by ``means``/``stds``. Returns (targets, masks);
    rows of other samples are 0 in both."""
    _encode_shape(attrs, [samples.shape, matches.shape, anchors.shape, refs.shape,
                          means.shape, stds.shape])
    idx = xp.clip(matches.astype(xp.int64), 0, refs.shape[1] - 1)
    ref = xp.take_along_axis(refs, idx[:, :, None], axis=1)
    a, g = to_center(xp, anchors), to_center(xp, ref)
    with np.errstate(all="ignore"):  # rows of negative samples may divide by zero
        t = xp.stack([(g[..., 0] - a[..., 0]) / a[..., 2], (g[..., 1] - a[..., 1]) / a[..., 3],
                      xp.log(g[..., 2] / a[..., 2]), xp.log(g[..., 3] / a[..., 3])], axis=-1)
        t = (t - means) / stds
    pos = (samples > 0.5)[:, :, None]
    dt = anchors.dtype
    return (xp.where(pos, t, 0).astype(dt, copy=False),
            xp.broadcast_to(pos, anchors.shape).astype(dt))


def _decode_shape(attrs, shapes):
    data, anchors = shapes
    if data is None:
        return shapes, [None]
    _need("box_decode", len(data) == 3 and data[-1] == 4,
          f"'data' must have shape (batch, boxes, 4), got {tuple(data)}")
    _need("box_decode", anchors is None or (len(anchors) == 3 and anchors[0] in (1, data[0])
                                           and anchors[1:] == tuple(data[1:])),
          f"'anchors' must have shape (1, {data[1]}, 4), got {anchors}")
    return shapes, [tuple(data)]


@register("_contrib_box_decode", inputs=("data", "anchors"),
          params={**{f"std{i}": Param("float", 1.0, f"Scale of delta {i}.") for i in range(4)},
                  "clip": Param("float", -1.0, "Upper bound of the scaled log-size deltas "
                                               "(ignored when negative)."),
                  "format": Param("str", "center", "Box encoding of the anchors.",
                                  choices=_FORMATS)},
          infer_shape=_decode_shape, infer_type=same_as_first, gradient=zero_gradient)
def box_decode(xp, attrs, data, anchors):
    """Boxes (corner form) from regression deltas relative to ``anchors``: the
    inverse of box_encode with zero means and stds ``std0..std3``."""
    _decode_shape(attrs, [data.shape, anchors.shape])
    a = anchors if attrs.format == "center" else to_center(xp, anchors)
    dw, dh = data[..., 2] * attrs.std2, data[..., 3] * attrs.std3
    if attrs.clip > 0:
        dw, dh = xp.minimum(dw, attrs.clip), xp.minimum(dh, attrs.clip)
    cx = data[..., 0] * attrs.std0 * a[..., 2] + a[..., 0]
    cy = data[..., 1] * attrs.std1 * a[..., 3] + a[..., 1]
    half_w, half_h = xp.exp(dw) * a[..., 2] / 2, xp.exp(dh) * a[..., 3] / 2
    out = xp.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=-1)
    return out.astype(data.dtype, copy=False)
