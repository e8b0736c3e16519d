"""Detection contrib operators: box_nms/box_iou/bipartite_matching/box_encode/
box_decode, MultiBoxPrior/Target/Detection and Proposal/MultiProposal.

Most expectations come from MXNet 1.9.1 fixtures on random boxes with score
ties, inverted boxes, padding labels and topk limits
(tools/make_fixtures_nn_detection.py); small hand-made cases show the rules.
"""
import json
import pathlib

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from . import harness
from .harness import Case, nd_func, run_case

FIXTURE = pathlib.Path(__file__).parent.parent / "fixtures" / "ops" / "nn_detection.npz"
_DATA = np.load(FIXTURE)
_META = json.loads(bytes(_DATA["__meta__"]).decode())


def check_inference(fn, inputs, kwargs, outs):
    """The harness's check restricted to the outputs a call shows (box_nms and
    Proposal infer hidden outputs too)."""
    op = fn.op
    attrs = op.parse(dict(kwargs))
    shapes, dtypes = harness.infer_outputs(op, attrs, inputs)
    assert [o.shape for o in outs] == [tuple(s) for s in shapes[:len(outs)]]
    assert [np.dtype(o.dtype).name for o in outs] == list(dtypes[:len(outs)])


def _call(name):
    meta = _META[name]
    fn = nd_func("contrib." + meta["op"])
    inputs = [mx.nd.array(_DATA[k], dtype=_DATA[k].dtype) for k in meta["inputs"]]
    return fn, inputs, meta


@pytest.mark.parametrize("name", sorted(_META))
def test_matches_mxnet_fixture(name):
    fn, inputs, meta = _call(name)
    outs = fn(*inputs, **meta["kwargs"])
    outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
    assert len(outs) == len(meta["outputs"])
    for got, key in zip(outs, meta["outputs"]):
        want = _DATA[key]
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)
    check_inference(fn, inputs, meta["kwargs"], outs)


@pytest.mark.parametrize("name", sorted(n for n, m in _META.items() if "grad" in m))
def test_box_nms_gradient_routes_rows_back_like_mxnet(name):
    fn, inputs, meta = _call(name)
    x = inputs[0]
    x.attach_grad()
    with mx.autograd.record():
        y = fn(x, **meta["kwargs"])
    y.backward(mx.nd.array(_DATA[meta["head_grad"]]))
    np.testing.assert_allclose(x.grad.asnumpy(), _DATA[meta["grad"]])


def test_fixture_cases_run_through_the_engine(monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    for name in ("nms_per_class", "bm_topk1", "target_mining", "det_force_topk", "multiproposal"):
        fn, inputs, meta = _call(name)
        outs = fn(*inputs, **meta["kwargs"])
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        for got, key in zip(outs, meta["outputs"]):
            np.testing.assert_allclose(got.asnumpy(), _DATA[key], rtol=1e-5, atol=1e-5)


# Rows [id, score, x1, y1, x2, y2]: the second box overlaps the first (IoU 0.5), the
# third is another class, the fourth scores below 0 (invalid with valid_thresh 0).
ROWS = np.array([[0, 0.9, 0, 0, 2, 1], [0, 0.8, 0, 0, 1, 1], [1, 0.7, 0, 0, 1, 1],
                 [0, -0.2, 5, 5, 6, 6]], np.float64)
FILL = [-1.0] * 6


def _rows(*rows):
    return lambda *a, **k: np.array(rows, np.float64)


CASES = [
    Case("contrib.box_nms", [ROWS], {"overlap_thresh": 0.4},
         ref=_rows(ROWS[0], FILL, FILL, FILL), grad=True,
         id="nms-drops-overlaps-and-fills-with-minus-one"),
    Case("contrib.box_nms", [ROWS], {"overlap_thresh": 0.5},
         ref=_rows(ROWS[0], ROWS[1], FILL, FILL), id="nms-overlap-equal-to-threshold-survives"),
    Case("contrib.box_nms", [ROWS], {"overlap_thresh": 0.4, "id_index": 0},
         ref=_rows(ROWS[0], ROWS[2], FILL, FILL), id="nms-per-class"),
    Case("contrib.box_nms", [ROWS], {"topk": 1}, ref=_rows(ROWS[0], FILL, FILL, FILL),
         id="nms-topk-cuts-before-suppression"),
    Case("contrib.box_nms", [ROWS], {"out_format": "center", "overlap_thresh": 0.4},
         ref=_rows([0, 0.9, 1, 0.5, 2, 1], FILL, FILL, FILL), id="nms-center-output"),
    Case("contrib.box_iou", [np.array([[0, 0, 2, 2], [1, 1, 0, 0]], np.float32),
                             np.array([[1, 1, 3, 3]], np.float32)],
         ref=lambda a, b: np.array([[1 / 7], [0]], np.float32), id="iou-inverted-box-is-zero"),
    Case("contrib.box_iou", [np.array([[1, 1, 2, 2]], np.float32)] * 2, {"format": "center"},
         ref=lambda a, b, format: np.ones((1, 1), np.float32), id="iou-center-format"),
    Case("contrib.bipartite_matching", [np.array([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]], np.float32)],
         {"threshold": 0.25},
         ref=lambda x, threshold: (np.array([1, -1, 0], np.float32), np.array([2, 0], np.float32)),
         id="bipartite-best-first"),
    Case("contrib.bipartite_matching", [np.array([[0.5, 0.6], [0.1, 0.2], [0.3, 0.4]], np.float32)],
         {"threshold": 0.25, "is_ascend": True},
         ref=lambda x, threshold, is_ascend: (np.array([-1, 0, -1], np.float32),
                                              np.array([1, -1], np.float32)),
         id="bipartite-ascending-below-threshold"),
    Case("contrib.box_decode", [np.zeros((1, 2, 4), np.float32),
                                np.array([[[0, 0, 2, 4], [1, 1, 2, 2]]], np.float32)],
         {"format": "corner"},
         ref=lambda d, a, format: a, id="decode-zero-deltas-gives-anchors"),
    Case("contrib.MultiBoxPrior", [np.zeros((1, 1, 1, 2), np.float32)], {"sizes": (0.5,)},
         ref=lambda d, sizes: np.array([[[0.125, 0.25, 0.375, 0.75],
                                         [0.625, 0.25, 0.875, 0.75]]], np.float32),
         id="prior-width-scaled-by-the-map-aspect"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case, monkeypatch):
    monkeypatch.setattr(harness, "check_inference", check_inference)
    run_case(case)


def test_box_encode_inverts_box_decode():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 1, (1, 5, 2))
    anchors = np.concatenate([xy, xy + rng.uniform(0.1, 0.5, (1, 5, 2))], -1).astype(np.float32)
    xy = rng.uniform(0, 1, (1, 3, 2))
    refs = np.concatenate([xy, xy + rng.uniform(0.1, 0.5, (1, 3, 2))], -1).astype(np.float32)
    matches = np.array([[0, 2, 1, 1, 0]], np.float32)
    stds = np.array([0.1, 0.1, 0.2, 0.2], np.float32)
    t, mask = mx.nd.contrib.box_encode(mx.nd.ones((1, 5)), mx.nd.array(matches),
                                       mx.nd.array(anchors), mx.nd.array(refs),
                                       mx.nd.zeros((4,)), mx.nd.array(stds))
    assert mask.asnumpy().all()
    back = mx.nd.contrib.box_decode(t, mx.nd.array(anchors), std0=0.1, std1=0.1, std2=0.2, std3=0.2,
                                    format="corner")
    np.testing.assert_allclose(back.asnumpy()[0], refs[0][matches[0].astype(int)],
                               rtol=1e-5, atol=1e-6)


def test_box_iou_and_matching_have_zero_gradients():
    x = mx.nd.array([[0, 0, 2, 2], [1, 1, 3, 3]])
    x.attach_grad()
    with mx.autograd.record():
        rows, _ = mx.nd.contrib.bipartite_matching(x, threshold=0.1)
        y = mx.nd.contrib.box_iou(x, x) + rows.sum()
    y.backward()
    assert not x.grad.asnumpy().any()


def test_box_nms_gradient_is_differentiable_again():
    x = mx.nd.array(ROWS)
    x.attach_grad()
    head = mx.nd.array(np.arange(24.0).reshape(4, 6))
    head.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.box_nms(x, overlap_thresh=0.4)
        (g,) = mx.autograd.grad(y, [x], head_grads=head, create_graph=True)
        z = (g * mx.nd.array(np.ones((4, 6)))).sum()
    z.backward()
    # Only the first output row comes from a kept input row (row 0).
    expected = np.zeros((4, 6))
    expected[0] = 1
    np.testing.assert_allclose(head.grad.asnumpy(), expected)


def test_box_nms_hides_its_index_output():
    out = mx.nd.contrib.box_nms(mx.nd.array(ROWS))
    assert isinstance(out, mx.nd.NDArray) and out.shape == (4, 6)
    assert mx.nd.contrib.box_non_maximum_suppression(mx.nd.array(ROWS)).shape == (4, 6)


def test_proposal_returns_scores_only_when_asked():
    name = "proposal"
    fn, inputs, meta = _call(name)
    kwargs = dict(meta["kwargs"], output_score=False)
    out = fn(*inputs, **kwargs)
    assert isinstance(out, mx.nd.NDArray)
    np.testing.assert_allclose(out.asnumpy(), _DATA[meta["outputs"][0]], rtol=1e-5, atol=1e-5)


C, ones = mx.nd.contrib, mx.nd.ones
BAD_CALLS = [
    ("box_nms", lambda: C.box_nms(ones((3, 5)), coord_start=2)),
    ("box_nms", lambda: C.box_nms(ones((3, 6)), score_index=6)),
    ("box_nms", lambda: C.box_nms(ones((6,)))),
    ("box_nms", lambda: C.box_nms(ones((3, 6)), in_format="xywh")),
    ("box_iou", lambda: C.box_iou(ones((2, 5)), ones((2, 4)))),
    ("bipartite_matching", lambda: C.bipartite_matching(ones((2, 2)))),
    ("bipartite_matching", lambda: C.bipartite_matching(ones((2,)), threshold=0)),
    ("box_decode", lambda: C.box_decode(ones((3, 4)), ones((1, 3, 4)))),
    ("box_encode", lambda: C.box_encode(*[ones(s) for s in [(1, 2), (1, 2), (1, 3, 4), (1, 2, 4),
                                                             (4,), (4,)]])),
    ("MultiBoxPrior", lambda: C.MultiBoxPrior(ones((1, 2, 3, 3), dtype="float64"))),
    ("MultiBoxPrior", lambda: C.MultiBoxPrior(ones((2, 3, 3)))),
    ("MultiBoxTarget", lambda: C.MultiBoxTarget(ones((1, 4, 4)), ones((1, 2, 5)), ones((1, 3, 5)))),
    ("MultiBoxDetection", lambda: C.MultiBoxDetection(ones((1, 3, 4)), ones((1, 16)),
                                                      ones((1, 4, 4)), variances=(1, 1))),
    ("Proposal", lambda: C.Proposal(ones((2, 24, 2, 2)), ones((2, 48, 2, 2)), ones((2, 3)))),
    ("Proposal", lambda: C.Proposal(ones((1, 10, 2, 2)), ones((1, 20, 2, 2)), ones((1, 3)))),
]


@pytest.mark.parametrize("op,call", BAD_CALLS,
                         ids=[f"{op}-{i}" for i, (op, _) in enumerate(BAD_CALLS)])
def test_bad_arguments_raise_mxnet_error_naming_the_op(op, call):
    with pytest.raises(MXNetError, match=op):
        call().wait_to_read()
