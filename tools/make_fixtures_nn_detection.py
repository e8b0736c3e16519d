"""Write tests/fixtures/ops/nn_detection.npz with MXNet 1.9.1's outputs for the
object-detection contrib operators (box_nms, box_iou, bipartite_matching,
box_encode/decode, MultiBox*, Proposal/MultiProposal). Run it with the
oracle's interpreter from a directory outside this repository:

    cd /tmp && /path/to/.venv-ref/bin/python /path/to/tools/make_fixtures_nn_detection.py OUT.npz

Boxes are random with deliberate score ties, invalid (inverted) boxes and
padding rows, so ordering and filling rules are pinned down. ``__meta__`` is
UTF-8 JSON: per case the op, kwargs and the keys of its input and output
arrays (inputs shared by cases are stored once), and for ops with a gradient
the keys of the head gradient fed to backward and of the input gradient.
"""
import json
import sys

import mxnet as mx
import numpy as np

rng = np.random.default_rng(7)
f32 = np.float32


def boxes(shape, ids=3, invalid=0.15, score_step=0.1):
    """Rows [id, score, x1, y1, x2, y2] with tied scores and a few inverted boxes."""
    n = shape[-2]
    out = np.zeros(shape[:-1] + (6,), f32)
    out[..., 0] = rng.integers(-1, ids, size=shape[:-1])
    out[..., 1] = np.round(rng.uniform(-0.1, 1.0, size=shape[:-1]) / score_step) * score_step
    xy = rng.uniform(0, 1, size=shape[:-1] + (2,))
    wh = rng.uniform(0.1, 0.6, size=shape[:-1] + (2,))
    flip = rng.uniform(size=shape[:-1] + (1,)) < invalid
    wh = np.where(flip, -wh, wh)
    out[..., 2:4] = xy
    out[..., 4:6] = xy + wh
    assert n == out.shape[-2]
    return out


def corner(shape):
    xy = rng.uniform(0, 1, size=shape[:-1] + (2,))
    wh = rng.uniform(0.05, 0.5, size=shape[:-1] + (2,))
    return np.concatenate([xy, xy + wh], -1).astype(f32)


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return (e / e.sum(axis=axis, keepdims=True)).astype(f32)


def labels(batch, m, valid):
    lab = -np.ones((batch, m, 5), f32)
    for b, k in enumerate(valid):
        lab[b, :k, 0] = rng.integers(0, 3, size=k)
        lab[b, :k, 1:] = corner((k, 4))
    return lab


NMS_DATA = boxes((2, 16, 6))
NMS_CASES = [
    ("nms_default", {}),
    ("nms_per_class", {"id_index": 0}),
    ("nms_force", {"id_index": 0, "force_suppress": True, "overlap_thresh": 0.3}),
    ("nms_topk", {"topk": 5, "overlap_thresh": 0.2}),
    ("nms_valid_thresh", {"valid_thresh": 0.35, "id_index": 0, "background_id": 0}),
    ("nms_center_out", {"out_format": "center", "overlap_thresh": 0.1}),
    ("nms_center_in", {"in_format": "center", "overlap_thresh": 0.4, "id_index": 0}),
    ("nms_none_valid", {"valid_thresh": 2.0}),
]

DECODE_ANCHORS = corner((1, 6, 4))
PRIOR_ANCHORS = None  # filled from the oracle's MultiBoxPrior


def cases():
    out = []
    for name, kw in NMS_CASES:
        out.append((name, "box_nms", kw, [NMS_DATA], True))
    swapped = NMS_DATA[..., [2, 3, 4, 5, 1, 0]]  # coords first, score then id last
    out.append(("nms_layout", "box_nms",
                {"coord_start": 0, "score_index": 4, "id_index": 5, "overlap_thresh": 0.2},
                [swapped], True))
    out.append(("nms_4d", "box_nms", {"topk": 4}, [boxes((2, 2, 8, 6))], True))
    out.append(("nms_float64", "box_nms", {"id_index": 0},
                [boxes((12, 6)).astype(np.float64)], False))
    lhs, rhs = boxes((2, 3, 6))[..., 2:], boxes((5, 6))[..., 2:]
    out.append(("iou_corner", "box_iou", {}, [lhs, rhs], False))
    out.append(("iou_center", "box_iou", {"format": "center"}, [lhs, np.abs(rhs)], False))
    scores = np.round(rng.uniform(0, 1, (2, 6, 5)) * 8) / 8
    scores = scores.astype(f32)
    for name, kw in [("bm_default", {"threshold": 0.3}),
                     ("bm_ascend", {"threshold": 0.6, "is_ascend": True}),
                     ("bm_topk1", {"threshold": 0.0, "topk": 1}),
                     ("bm_topk3", {"threshold": 0.1, "topk": 3})]:
        out.append((name, "bipartite_matching", kw, [scores], False))
    out.append(("bm_wide", "bipartite_matching", {"threshold": 0.2}, [scores[0].T.copy()], False))
    samples = np.round(rng.uniform(-1, 1, (2, 6)), 1).astype(f32)
    samples[0, 0] = 0.5
    matches = rng.integers(0, 3, (2, 6)).astype(f32)
    out.append(("encode", "box_encode", {},
                [samples, matches, corner((2, 6, 4)), corner((2, 3, 4)),
                 np.array([0.1, -0.1, 0.0, 0.2], f32), np.array([0.1, 0.1, 0.2, 0.2], f32)], False))
    deltas = rng.normal(size=(2, 6, 4)).astype(f32)
    out.append(("decode_center", "box_decode", {}, [deltas, DECODE_ANCHORS], False))
    out.append(("decode_corner_clip", "box_decode",
                {"format": "corner", "std0": 0.1, "std1": 0.2, "std2": 0.3, "std3": 0.4,
                 "clip": 0.2},
                [deltas, DECODE_ANCHORS], False))
    out.append(("decode_center_anchors", "box_decode", {"clip": 0.5},
                [deltas[:1], np.abs(DECODE_ANCHORS)], False))
    feat = np.zeros((1, 2, 3, 4), f32)
    out.append(("prior_default", "MultiBoxPrior", {}, [feat], False))
    out.append(("prior_sizes_ratios", "MultiBoxPrior",
                {"sizes": (0.6, 0.3, 0.1), "ratios": (1, 2, 0.5)}, [feat], False))
    out.append(("prior_clip_steps", "MultiBoxPrior",
                {"sizes": (0.8,), "ratios": (1, 3), "clip": True, "steps": (0.2, 0.3),
                 "offsets": (0.2, 0.7)}, [feat], False))
    anchors = mx.nd.contrib.MultiBoxPrior(mx.nd.array(feat), sizes=(0.5, 0.25),
                                          ratios=(1, 2)).asnumpy()
    n_anchor = anchors.shape[1]
    lab = labels(3, 4, [2, 4, 0])
    cls_pred = rng.normal(size=(3, 4, n_anchor)).astype(f32)
    for name, kw in [("target_default", {}),
                     ("target_mining", {"negative_mining_ratio": 2.0, "overlap_threshold": 0.3}),
                     # MXNet's cpu kernel ignores minimum_negative_samples
                     ("target_mining_min", {"negative_mining_ratio": 1.0,
                                            "minimum_negative_samples": 6,
                                            "negative_mining_thresh": 0.3, "ignore_label": -2,
                                            "variances": (0.2, 0.1, 0.3, 0.4)}),
                     ("target_no_threshold", {"overlap_threshold": 0.0,
                                              "negative_mining_ratio": 3.0})]:
        out.append((name, "MultiBoxTarget", kw, [anchors, lab, cls_pred], False))
    cls_prob = softmax(rng.normal(size=(2, 4, n_anchor)) * 2, 1)
    cls_prob[0, :, 3] = cls_prob[0, :, 5]  # a tie in score
    loc = (rng.normal(size=(2, n_anchor * 4)) * 0.5).astype(f32)
    for name, kw in [("det_default", {}),
                     ("det_threshold", {"threshold": 0.3, "nms_threshold": 0.3, "clip": False}),
                     ("det_force_topk", {"force_suppress": True, "nms_topk": 10, "threshold": 0.1}),
                     ("det_background", {"background_id": 2, "variances": (0.2, 0.2, 0.1, 0.1)}),
                     ("det_no_nms", {"nms_threshold": 0.0, "threshold": 0.5})]:
        out.append((name, "MultiBoxDetection", kw, [cls_prob, loc, anchors], False))
    h, w, n_a = 4, 5, 4
    prob = softmax(rng.normal(size=(1, 2, n_a, h, w)), 1).reshape(1, 2 * n_a, h, w)
    pred = (rng.normal(size=(1, 4 * n_a, h, w)) * 0.2).astype(f32)
    info = np.array([[54, 75, 1.0]], f32)  # the last row and column of cells lie outside
    prop_kw = {"scales": (2, 4), "ratios": (0.5, 2), "feature_stride": 16,
               "rpn_pre_nms_top_n": 30, "rpn_post_nms_top_n": 10, "rpn_min_size": 8}
    out.append(("proposal", "Proposal", dict(prop_kw, output_score=True), [prob, pred, info],
                False))
    out.append(("proposal_few", "Proposal", dict(prop_kw, threshold=0.1, rpn_post_nms_top_n=40,
                                                   rpn_pre_nms_top_n=60),
                [prob, pred, info], False))
    out.append(("proposal_iou_loss", "Proposal", dict(prop_kw, iou_loss=True, rpn_min_size=4),
                [prob, pred * 20, info], False))
    prob2 = softmax(rng.normal(size=(2, 2, n_a, h, w)), 1).reshape(2, 2 * n_a, h, w)
    pred2 = (rng.normal(size=(2, 4 * n_a, h, w)) * 0.2).astype(f32)
    info2 = np.array([[54, 75, 1.0], [60, 50, 0.5]], f32)
    out.append(("multiproposal", "MultiProposal", dict(prop_kw, output_score=True),
                [prob2, pred2, info2], False))
    return out


def main(path):
    meta, arrays, stored = {}, {}, {}

    def store(a):
        """Key of ``a`` in the file; inputs shared by several cases are stored once."""
        key = stored.get(id(a))
        if key is None:
            key = stored[id(a)] = f"a{len(arrays)}"
            arrays[key] = a
        return key

    for name, op, kw, inputs, grad in cases():
        fn = getattr(mx.nd.contrib, op)
        xs = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
        if grad:
            for x in xs:
                x.attach_grad()
            with mx.autograd.record():
                res = fn(*xs, **kw)
        else:
            res = fn(*xs, **kw)
        res = res if isinstance(res, (list, tuple)) else [res]
        entry = {"op": op, "kwargs": kw, "inputs": [store(a) for a in inputs],
                 "outputs": [store(r.asnumpy()) for r in res]}
        if grad:
            head = rng.normal(size=res[0].shape).astype(inputs[0].dtype)
            res[0].backward(mx.nd.array(head, dtype=head.dtype))
            entry["head_grad"] = store(head)
            entry["grad"] = store(xs[0].grad.asnumpy())
        meta[name] = entry
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "nn_detection.npz")
