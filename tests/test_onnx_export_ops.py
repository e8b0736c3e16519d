"""Export of the operators beyond the vision layers (indexing, sorting,
comparisons, sequences, shapes, attention, RNN): each symbol of
``tests/fixtures/onnx_export/cases.json`` (written by MXNet 1.9.1, see
``tools/make_fixtures_onnx_export.py``) exports, passes the ONNX checker,
gives MXNext's own outputs in onnxruntime, and uses the ONNX operators MXNet
1.9.1's exporter uses for it."""
import json
import os

import numpy as np
import pytest

import mxnet as mx

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from mxnet.contrib import onnx as onnx_mx  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "onnx_export", "cases.json")
with open(FIXTURE) as _f:
    CASES = json.load(_f)

# ONNX ops MXNet 1.9.1's exporter uses only to compute shapes, types and
# index arithmetic at run time; MXNext knows the shapes at export and writes
# them as constants, so it need not use these.
PLUMBING = {"Shape", "Cast", "Constant", "Reshape", "Concat", "Slice", "Pad", "Sub", "Add",
            "Mul", "Div", "Squeeze", "Unsqueeze", "Size", "ConstantOfShape", "ReduceProd",
            "Range", "Equal", "Less", "Greater", "Where", "Max", "ScatterND", "GatherND",
            "Transpose", "Sqrt", "Gather", "And", "Not", "Xor", "Mod", "Identity"}

# MXNet 1.9.1's ops that MXNext deliberately does without, and why.
SKIPPED = {
    # MXNet flattens to 2-D for Gemm and reshapes back; MatMul with the
    # transposed weight takes the N-d input as it is.
    "fc_no_flatten": {"Flatten", "Gemm"},
    # MXNet squares with Pow and subtracts with Neg + Add; Mul and Sub do the same.
    "layer_norm": {"Neg", "Pow"},
    # MXNet's Tile belongs to its run-time fix-up of the result shape.
    "norm": {"Tile"},
}

# ONNX ops MXNext uses that MXNet 1.9.1 does not for the case, and why.
ADDED = {
    "fc_no_flatten": {"MatMul"},
    # MXNet clamps indices with Where, Less and Greater; Clip is the same clamp.
    "take": {"Clip"},
}


def _inputs(case, seed=0):
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape, dtype, low, high, integral in case["inputs"]:
        if integral:
            value = rng.integers(int(low), int(high), shape)
        else:
            value = rng.uniform(low, high, shape)
        out[name] = value.astype(dtype)
    return out


def _params(sym, inputs):
    shapes = {k: v.shape for k, v in inputs.items()}
    arg_shapes, _, aux_shapes = sym.infer_shape_partial(**shapes)
    rng = np.random.default_rng(1)
    return {name: rng.uniform(-1, 1, shape).astype(np.float32)
            for name, shape in zip(sym.list_arguments(), arg_shapes) if name not in shapes}


def _mx_forward(sym, inputs, params):
    args = {k: mx.nd.array(v, dtype=v.dtype) for k, v in inputs.items()}
    args.update({k: mx.nd.array(v) for k, v in params.items()})
    ex = sym.bind(mx.cpu(), args=args, grad_req="null")
    ex.forward(is_train=False)
    return [o.asnumpy() for o in ex.outputs]


def export_and_compare(sym, inputs, tmp_path, params=None, rtol=1e-5, atol=1e-5):
    """Export; onnxruntime must give MXNext's outputs. Returns the ONNX op types."""
    params = _params(sym, inputs) if params is None else params
    expected = _mx_forward(sym, inputs, params)
    path = onnx_mx.export_model(sym, params, [v.shape for v in inputs.values()],
                                [v.dtype for v in inputs.values()], str(tmp_path / "m.onnx"))
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    # Inputs only the shapes depend on are not inputs of the ONNX graph.
    used = {i.name for i in sess.get_inputs()}
    got = sess.run(None, {k: v for k, v in inputs.items() if k in used})
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        assert g.dtype == e.dtype
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)
    return {node.op_type for node in model.graph.node}


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_exported_op_matches_mxnext_and_mxnet_exporter(case_id, tmp_path):
    case = CASES[case_id]
    sym = mx.sym.load_json(case["symbol"])
    ours = export_and_compare(sym, _inputs(case), tmp_path)
    theirs = case["mxnet_node_types"]
    if theirs is None:  # MXNet 1.9.1's exporter rejects this case
        return
    core = set(theirs) - PLUMBING - SKIPPED.get(case_id, set())
    assert core <= ours, (sorted(core), sorted(ours))
    assert ours <= set(theirs) | PLUMBING | ADDED.get(case_id, set()), \
        (sorted(theirs), sorted(ours))


S = mx.sym
D = S.var("data")


def _rand(*shape, seed=0, low=-1.0, high=1.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def test_comparisons_with_scalars_and_mod_signs(tmp_path):
    a, b = S.var("a"), S.var("b")
    sym = S.Group([a >= 0.5, a <= -0.5, a != 1.0, S.broadcast_mod(a, b)])
    inputs = {"a": np.array([[-3.5, -1, 0, 1, 2.5, 7]], np.float32),
              "b": np.array([[2, -2, 3, -3, 2, -4]], np.float32)}
    assert {"GreaterOrEqual", "LessOrEqual", "Mod"} <= export_and_compare(sym, inputs, tmp_path)


def test_where_with_a_row_condition(tmp_path):
    c, a, b = S.var("c"), S.var("a"), S.var("b")
    inputs = {"c": np.array([1, 0, 1], np.float32), "a": _rand(3, 2), "b": _rand(3, 2, seed=1)}
    export_and_compare(S.where(c, a, b), inputs, tmp_path)


def test_one_hot_negative_index_is_all_off(tmp_path):
    inputs = {"data": np.array([0, -1, 3, 2], np.float32)}
    export_and_compare(S.one_hot(D, depth=3), inputs, tmp_path)


def test_argmax_without_axis_and_arange_repeat(tmp_path):
    inputs = {"data": _rand(2, 3)}
    sym = S.Group([S.argmax(D), S.contrib.arange_like(D, start=2.0, step=0.5, repeat=3),
                   S.arange(0, 6, repeat=2, dtype="int32")])
    export_and_compare(sym, inputs, tmp_path)


def test_encoder_decoder_attention(tmp_path):
    q, kv = S.var("q"), S.var("kv")
    scores = S.contrib.interleaved_matmul_encdec_qk(q, kv, heads=2)
    out = S.contrib.interleaved_matmul_encdec_valatt(kv, S.softmax(scores), heads=2)
    # The arguments come in the symbol's order: kv (read first by valatt), then q.
    export_and_compare(out, {"kv": _rand(5, 2, 16, seed=1), "q": _rand(3, 2, 8)}, tmp_path)


def test_pooling_same_pads_asymmetrically(tmp_path):
    for size in (6, 7, 8):
        sym = S.Pooling(D, kernel=(4,), stride=(3,), pool_type="max", pooling_convention="same")
        export_and_compare(sym, {"data": _rand(1, 2, size)}, tmp_path)


def test_channels_last_convolution_and_pooling_chain(tmp_path):
    conv = S.Convolution(D, kernel=(3, 3), pad=(1, 1), stride=(2, 2), num_filter=4, num_group=2,
                         layout="NHWC")
    net = S.Pooling(S.relu(conv), kernel=(2, 2), stride=(1, 1), pool_type="max", layout="NHWC")
    types = export_and_compare(net, {"data": _rand(2, 7, 7, 4)}, tmp_path)
    assert {"Conv", "MaxPool", "Transpose"} <= types


class _TinyEncoder(mx.gluon.HybridBlock):
    """Embedding + positions, masked self-attention through the interleaved
    ops, LayerNorm and a gelu feed-forward: the ops of a BERT layer."""

    def __init__(self, vocab=11, units=8, heads=2, **kwargs):
        super().__init__(**kwargs)
        self.heads = heads
        with self.name_scope():
            self.embed = mx.gluon.nn.Embedding(vocab, units)
            self.pos = mx.gluon.nn.Embedding(16, units)
            self.qkv = mx.gluon.nn.Dense(3 * units, flatten=False)
            self.proj = mx.gluon.nn.Dense(units, flatten=False)
            self.norm = mx.gluon.nn.LayerNorm()
            self.ffn = mx.gluon.nn.Dense(units, flatten=False, activation=None)

    def hybrid_forward(self, F, tokens, valid_length):
        x = self.embed(tokens)                                     # (N, T, C)
        steps = F.contrib.arange_like(tokens, axis=1)              # (T,)
        x = F.broadcast_add(x, F.expand_dims(self.pos(steps), axis=0))
        x = F.transpose(x, axes=(1, 0, 2))                        # (T, N, C)
        qkv = self.qkv(x)
        scores = F.contrib.interleaved_matmul_selfatt_qk(qkv, heads=self.heads)
        # (N*heads, T, T) masked where the key position is past valid_length.
        keep = F.broadcast_lesser(F.reshape(steps, (1, 1, -1)),
                                  F.reshape(F.repeat(valid_length, self.heads), (-1, 1, 1)))
        scores = F.where(F.broadcast_like(keep, scores), scores, F.ones_like(scores) * -1e4)
        att = F.softmax(scores, axis=-1)
        ctx = F.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=self.heads)
        x = self.norm(x + self.proj(ctx))
        x = x + F.LeakyReLU(self.ffn(x), act_type="gelu")
        return F.transpose(x, axes=(1, 0, 2))


def _gluon_export(net, inputs, tmp_path, rtol=1e-4, atol=1e-5):
    net.initialize(mx.init.Xavier())
    nd_inputs = [mx.nd.array(v, dtype=v.dtype) for v in inputs.values()]
    net.hybridize()
    expected = net(*nd_inputs)
    expected = [e.asnumpy() for e in (expected if isinstance(expected, (list, tuple))
                                      else [expected])]
    prefix = str(tmp_path / "net")
    net.export(prefix)
    path = onnx_mx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                [v.shape for v in inputs.values()],
                                [v.dtype for v in inputs.values()], str(tmp_path / "net.onnx"))
    onnx.checker.check_model(onnx.load(path), full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    got = sess.run(None, dict(zip(names, inputs.values())))
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


def test_bert_like_encoder_layer_exports(tmp_path):
    tokens = np.random.default_rng(0).integers(0, 11, (2, 5)).astype(np.float32)
    _gluon_export(_TinyEncoder(), {"data0": tokens,
                                   "data1": np.array([5, 3], np.float32)}, tmp_path)


class _WithStates(mx.gluon.HybridBlock):
    """A gluon recurrent layer taking its begin states as inputs and
    returning its output and final states."""

    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.rnn = layer

    def hybrid_forward(self, F, x, *begin):
        out, last = self.rnn(x, list(begin))
        return [out] + list(last)


@pytest.mark.parametrize("layer", ["lstm", "gru", "rnn"])
def test_gluon_recurrent_layers_with_states(layer, tmp_path):
    make = {"lstm": mx.gluon.rnn.LSTM, "gru": mx.gluon.rnn.GRU, "rnn": mx.gluon.rnn.RNN}[layer]
    net = make(5, num_layers=2, bidirectional=True, input_size=3)
    states = 2 if layer == "lstm" else 1
    inputs = {"data": _rand(4, 2, 3)}
    for i in range(states):
        inputs[f"state{i}"] = _rand(4, 2, 5, seed=i + 1)
    _gluon_export(_WithStates(net), inputs, tmp_path)


def test_unsupported_settings_name_the_problem(tmp_path):
    path = str(tmp_path / "e.onnx")
    cases = [
        (S.contrib.AdaptiveAvgPooling2D(D, output_size=(2, 2)), (1, 1, 5, 5),
         "does not divide"),
        (S.topk(D, k=1, ret_typ="mask"), (2, 3), "ret_typ 'mask'"),
        (S.RNN(D, S.var("p"), S.var("s"), state_size=2, num_layers=1, mode="gru",
               use_sequence_length=True, sequence_length=S.var("l")), None,
         "use_sequence_length"),
    ]
    for sym, shape, message in cases:
        shapes = [shape] if shape else [(3, 1, 2)]
        params = {}
        if shape is None:
            arg_shapes, _, _ = sym.infer_shape_partial(data=(3, 1, 2), s=(1, 1, 2), l=(1,))
            params = {n: np.zeros(s, np.float32) for n, s in zip(sym.list_arguments(), arg_shapes)
                      if n in ("p",)}
            shapes = [(3, 1, 2), (1, 1, 2), (1,)]
        with pytest.raises(mx.base.MXNetError, match=message):
            onnx_mx.export_model(sym, params, shapes, onnx_file_path=path)


@pytest.mark.parametrize("axis", [-1, 1])
def test_softmax_with_lengths(axis, tmp_path):
    length = S.var("length")
    sym = S.softmax(D, length, axis=axis, use_length=True)
    lengths = np.array([[1, 4, 2], [3, 0, 4]], np.int32) if axis == -1 else \
        np.array([[1, 3, 2, 3], [3, 2, 1, 3]], np.int32)
    data = _rand(2, 3, 4)
    export_and_compare(sym, {"data": data, "length": lengths}, tmp_path)


def test_box_decode_both_anchor_formats(tmp_path):
    data, anchors = S.var("data"), S.var("anchors")
    corner = np.sort(_rand(1, 6, 4, seed=1, low=0, high=1).reshape(1, 6, 2, 2), axis=2)
    inputs = {"data": _rand(2, 6, 4, low=-0.5, high=0.5),
              "anchors": corner.reshape(1, 6, 4)}
    for kwargs in ({"format": "corner", "std0": 0.1, "std1": 0.1, "std2": 0.2, "std3": 0.2,
                    "clip": 0.3}, {"format": "center"}):
        sym = S.contrib.box_decode(data, anchors, **kwargs)
        assert "Exp" in export_and_compare(sym, inputs, tmp_path)


def test_roi_align_and_roi_pooling(tmp_path):
    data, rois = S.var("data"), S.var("rois")
    inputs = {"data": _rand(2, 3, 8, 8),
              "rois": np.array([[0, 0.5, 1.0, 6.0, 5.5], [1, 2.0, 2.0, 7.5, 7.0],
                                [1, 3.0, 1.0, 3.5, 1.2]], np.float32)}
    sym = S.Group([S.contrib.ROIAlign(data, rois, pooled_size=(2, 3), spatial_scale=1.0,
                                      sample_ratio=2),
                   S.contrib.ROIAlign(data, rois, pooled_size=(3, 3), spatial_scale=0.5),
                   S.ROIPooling(data, rois, pooled_size=(2, 2), spatial_scale=1.0)])
    types = export_and_compare(sym, inputs, tmp_path, atol=1e-5)
    assert {"RoiAlign", "MaxRoiPool"} <= types


def test_random_generators_export_their_distributions(tmp_path):
    sym = S.Group([S.random.normal(loc=1.0, scale=0.1, shape=(200, 10)) + D,
                   S.random.uniform(low=2.0, high=3.0, shape=(200, 10)),
                   S.random.uniform_like(D, low=-1.0, high=0.0),
                   S.sample_multinomial(S.var("p"), shape=(3,)),
                   S.random.normal_like(D)])
    path = onnx_mx.export_model(sym, {}, [(200, 10), (4, 5)], [np.float32, np.float32],
                                str(tmp_path / "r.onnx"))
    onnx.checker.check_model(onnx.load(path), full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    p = np.array([[0.0, 1.0, 0.0, 0, 0]] * 4, np.float32)
    normal, uniform, like, draws, normal_like = sess.run(
        None, {"data": np.zeros((200, 10), np.float32), "p": p})
    assert normal.shape == (200, 10) and abs(normal.mean() - 1.0) < 0.05
    assert uniform.min() >= 2.0 and uniform.max() <= 3.0
    assert like.shape == (200, 10) and like.min() >= -1.0 and like.max() <= 0.0
    assert draws.shape == (4, 3) and draws.dtype == np.int32 and (draws == 1).all()
    assert normal_like.shape == (200, 10) and abs(normal_like.std() - 1.0) < 0.1


def _dynamic_check(net, export_inputs, run_inputs, dynamic_shapes, tmp_path, atol=1e-5):
    """Export at one set of shapes with dims left symbolic; run at others."""
    net.initialize(mx.init.Xavier())
    net.hybridize()
    net(*[mx.nd.array(v, dtype=v.dtype) for v in export_inputs.values()])
    prefix = str(tmp_path / "dyn")
    net.export(prefix)
    path = onnx_mx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                [v.shape for v in export_inputs.values()],
                                [v.dtype for v in export_inputs.values()],
                                str(tmp_path / "dyn.onnx"), dynamic=True,
                                dynamic_input_shapes=dynamic_shapes)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [i.name for i in sess.get_inputs()]
    got = sess.run(None, dict(zip(names, run_inputs.values())))
    expected = net(*[mx.nd.array(v, dtype=v.dtype) for v in run_inputs.values()])
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e.asnumpy(), rtol=1e-4, atol=atol)


def test_bert_like_encoder_with_symbolic_batch_and_length(tmp_path):
    rng = np.random.default_rng(0)
    small = {"data0": rng.integers(0, 11, (2, 5)).astype(np.float32),
             "data1": np.array([5, 3], np.float32)}
    large = {"data0": rng.integers(0, 11, (3, 7)).astype(np.float32),
             "data1": np.array([7, 2, 4], np.float32)}
    _dynamic_check(_TinyEncoder(), small, large, [(None, None), (None,)], tmp_path)


def test_lstm_with_symbolic_batch_and_length(tmp_path):
    net = _WithStates(mx.gluon.rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3))
    small = {"data": _rand(5, 2, 3), "h": _rand(4, 2, 4, seed=1), "c": _rand(4, 2, 4, seed=2)}
    large = {"data": _rand(7, 3, 3), "h": _rand(4, 3, 4, seed=3), "c": _rand(4, 3, 4, seed=4)}
    _dynamic_check(net, small, large, [(None, None, 3), (4, None, 4), (4, None, 4)], tmp_path)


def _detections(batch, n, classes, seed):
    """Rows of (class id, score, x1, y1, x2, y2) with overlapping boxes."""
    rng = np.random.default_rng(seed)
    corner = rng.uniform(0, 1, (batch, n, 2)).astype(np.float32)
    size = rng.uniform(0.1, 0.5, (batch, n, 2)).astype(np.float32)
    ids = rng.integers(0, classes, (batch, n, 1)).astype(np.float32)
    score = rng.uniform(0, 1, (batch, n, 1)).astype(np.float32)
    return np.concatenate([ids, score, corner, corner + size], axis=-1)


NMS_CASES = [
    dict(overlap_thresh=0.3),
    dict(overlap_thresh=0.5, valid_thresh=0.3, topk=6, id_index=0),
    dict(overlap_thresh=0.4, id_index=0, force_suppress=True, background_id=1),
    dict(overlap_thresh=0.2, id_index=0, background_id=0, topk=20),
]


@pytest.mark.parametrize("kwargs", NMS_CASES, ids=[str(i) for i in range(len(NMS_CASES))])
def test_box_nms(kwargs, tmp_path):
    sym = S.contrib.box_nms(D, coord_start=2, score_index=1, **kwargs)
    types = export_and_compare(sym, {"data": _detections(2, 12, 3, seed=1)}, tmp_path)
    assert "NonMaxSuppression" in types
    export_and_compare(sym, {"data": _detections(1, 12, 3, seed=2)[0]}, tmp_path)


def test_box_nms_center_format(tmp_path):
    rows = _detections(2, 10, 2, seed=3)
    centre = np.concatenate([rows[..., :2], (rows[..., 2:4] + rows[..., 4:]) / 2,
                             rows[..., 4:] - rows[..., 2:4]], axis=-1)
    sym = S.contrib.box_nms(D, overlap_thresh=0.3, in_format="center", out_format="center")
    export_and_compare(sym, {"data": centre}, tmp_path)


class _TinySSD(mx.gluon.HybridBlock):
    """An SSD-style head: class and box predictions per anchor, box_decode,
    best class per box and class-aware box_nms."""

    def __init__(self, classes=3, anchors_per_cell=2, size=4, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes
        count = size * size * anchors_per_cell
        rng = np.random.default_rng(7)
        anchors = np.concatenate([rng.uniform(0.2, 0.8, (1, count, 2)),
                                  rng.uniform(0.2, 0.5, (1, count, 2))], axis=-1)
        with self.name_scope():
            self.body = mx.gluon.nn.Conv2D(8, 3, padding=1, activation="relu")
            self.cls = mx.gluon.nn.Conv2D(anchors_per_cell * (classes + 1), 3, padding=1)
            self.box = mx.gluon.nn.Conv2D(anchors_per_cell * 4, 3, padding=1)
            self.anchors = self.params.get_constant("anchors", anchors.astype(np.float32))

    def hybrid_forward(self, F, x, anchors):
        y = self.body(x)
        cls = F.reshape(F.transpose(self.cls(y), axes=(0, 2, 3, 1)), (0, -1, self.classes + 1))
        box = F.reshape(F.transpose(self.box(y), axes=(0, 2, 3, 1)), (0, -1, 4))
        probs = F.slice_axis(F.softmax(cls, axis=-1), axis=-1, begin=1, end=None)
        boxes = F.contrib.box_decode(box, anchors, std0=0.1, std1=0.1, std2=0.2, std3=0.2,
                                     format="center")
        det = F.concat(F.argmax(probs, axis=-1, keepdims=True),
                       F.max(probs, axis=-1, keepdims=True), boxes, dim=-1)
        kept = F.contrib.box_nms(det, overlap_thresh=0.3, valid_thresh=0.2, topk=20,
                                 id_index=0, score_index=1, coord_start=2)
        return kept


def test_ssd_like_detection_head_exports(tmp_path):
    _gluon_export(_TinySSD(), {"data": _rand(2, 3, 4, 4)}, tmp_path)


UNSUPPORTED = [
    ("sequence_reverse_axis", lambda: S.SequenceReverse(D, axis=1), [(2, 3, 4)],
     "axis=1"),
    ("argsort_flat", lambda: S.argsort(D, axis=None), [(2, 3)], "axis=None"),
    ("topk_flat", lambda: S.topk(D, axis=None, k=2), [(2, 3)], "axis=None"),
    ("gemm2_axis", lambda: S.linalg.gemm2(S.var("a"), S.var("b"), axis=-3),
     [(2, 3, 2), (2, 3, 2)], "axis=-3"),
    ("roi_align_aligned", lambda: S.contrib.ROIAlign(D, S.var("r"), pooled_size=(2, 2),
                                                     spatial_scale=1.0, aligned=True),
     [(1, 2, 4, 4), (1, 5)], "aligned"),
    ("nms_formats", lambda: S.contrib.box_nms(D, in_format="center", out_format="corner"),
     [(4, 6)], "in_format"),
    ("multinomial_prob", lambda: S.sample_multinomial(D, get_prob=True)[0], [(2, 3)],
     "get_prob"),
    ("lstmp", lambda: S.RNN(D, S.var("p"), S.var("s"), S.var("c"), state_size=2,
                            num_layers=1, mode="lstm", projection_size=1),
     [(3, 1, 2), (1, 1, 1), (1, 1, 2)], "projection_size"),
    ("lstm_clip", lambda: S.RNN(D, S.var("p"), S.var("s"), S.var("c"), state_size=2,
                                num_layers=1, mode="lstm", lstm_state_clip_min=-1.0,
                                lstm_state_clip_max=1.0),
     [(3, 1, 2), (1, 1, 2), (1, 1, 2)], "lstm_state_clip"),
]


@pytest.mark.parametrize("build,shapes,message", [c[1:] for c in UNSUPPORTED],
                         ids=[c[0] for c in UNSUPPORTED])
def test_settings_without_translation_raise(build, shapes, message, tmp_path):
    sym = build()
    data = [n for n in sym.list_arguments() if n != "p"]
    arg_shapes, _, _ = sym.infer_shape_partial(**dict(zip(data, shapes)))
    params = {n: np.zeros(s, np.float32) for n, s in zip(sym.list_arguments(), arg_shapes)
              if n == "p"}
    with pytest.raises(mx.base.MXNetError, match=message):
        onnx_mx.export_model(sym, params, shapes, onnx_file_path=str(tmp_path / "m.onnx"))


def _int_input(shape, low, high, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).integers(low, high, shape).astype(dtype)


_I = S.var("i")

VARIANTS = [
    ("sequence_mask_4d", S.SequenceMask(D, S.var("n"), use_sequence_length=True, value=2.0),
     {"data": _rand(4, 2, 3, 2), "n": np.array([2, 4], np.float32)}),
    ("sequence_mask_off", S.SequenceMask(D), {"data": _rand(3, 2)}),
    ("sequence_reverse_all", S.SequenceReverse(D), {"data": _rand(4, 2, 3)}),
    ("take_last_axis_3d_index", S.take(D, S.var("i"), axis=-1),
     {"data": _rand(2, 5), "i": _int_input((2, 2, 3), -2, 7)}),
    ("take_raise_mode", S.take(D, S.var("i"), mode="raise"),
     {"data": _rand(4, 2), "i": _int_input((3,), 0, 4)}),
    ("one_hot_int", S.one_hot(D, depth=4, dtype="int32"), {"data": _int_input((3,), -1, 5)}),
    ("topk_all", S.topk(D, k=0, axis=0, ret_typ="value"), {"data": _rand(3, 2)}),
    ("repeat_last", S.repeat(D, repeats=3, axis=-1), {"data": _rand(2, 3)}),
    ("tile_short_reps", S.tile(D, reps=(2,)), {"data": _rand(2, 3)}),
    ("arange_like_repeat_axis", S.contrib.arange_like(D, start=-1.0, step=2.0, repeat=2,
                                                      axis=0), {"data": _rand(4, 3)}),
    ("broadcast_like_axes", S.broadcast_like(D, S.var("b"), lhs_axes=(0,), rhs_axes=(1,)),
     {"data": _rand(1, 3), "b": _rand(2, 4)}),
    ("reverse_two_axes", S.reverse(D, axis=(0, 2)), {"data": _rand(2, 3, 4)}),
    ("split_v2_sections", S.Group(list(S.split_v2(D, indices_or_sections=2, axis=0))),
     {"data": _rand(4, 3)}),
    ("norm_l1_all", S.norm(D, ord=1), {"data": _rand(2, 3)}),
    ("argmin_keep", S.argmin(D, axis=1, keepdims=True), {"data": _rand(2, 3, 4)}),
    ("where_same_shape_int", S.where(S.var("c"), D, D * 2),
     {"c": _int_input((2, 3), 0, 2, dtype=np.int32), "data": _rand(2, 3)}),
    ("compare_scalar_int", S.Group([_I >= 2, _I != 1]),
     {"i": _int_input((2, 3), 0, 4, dtype=np.int32)}),
    ("mod_int", S.broadcast_mod(S.var("i"), S.var("j")),
     {"i": _int_input((2, 3), -7, 8, dtype=np.int32),
      "j": _int_input((1, 3), 1, 4, dtype=np.int32) * np.array([1, -1, 1], np.int32)}),
    ("crop_center", S.Crop(D, h_w=(2, 3), center_crop=True), {"data": _rand(1, 2, 5, 6)}),
    ("gather_nd_1d", S.gather_nd(D, S.var("i")), {"data": _rand(4, 3),
                                                   "i": _int_input((1, 2), 0, 4)}),
    ("swapaxes_negative", S.SwapAxis(D, dim1=-1, dim2=1), {"data": _rand(2, 3, 4)}),
    ("selfatt_three_heads", S.contrib.interleaved_matmul_selfatt_qk(D, heads=3),
     {"data": _rand(4, 2, 18)}),
]


@pytest.mark.parametrize("sym,inputs", [v[1:] for v in VARIANTS], ids=[v[0] for v in VARIANTS])
def test_export_variants_match_mxnext(sym, inputs, tmp_path):
    export_and_compare(sym, inputs, tmp_path)


def test_more_unary_math(tmp_path):
    x = np.array([[-2.5, -1.5, -0.7, -0.5, 0.0, 0.3, 0.5, 1.5, 2.5, 3.2]], np.float32)
    sym = S.Group([S.sign(D), S.round(D), S.rint(D), S.trunc(D), S.fix(D), S.cbrt(D),
                   S.sinh(D), S.cosh(D), S.arcsinh(D), S.arctan(D), S.expm1(D),
                   S.softmin(D, axis=-1)])
    export_and_compare(sym, {"data": x}, tmp_path)
    positive = {"data": np.abs(x) + 1.5}
    logs = S.Group([S.log10(D), S.log1p(D), S.rsqrt(D), S.arccosh(D)])
    export_and_compare(logs, positive, tmp_path)
    export_and_compare(S.arctanh(D), {"data": x / 4}, tmp_path)


def test_group_norm_and_sync_batch_norm(tmp_path):
    gn = S.GroupNorm(D, num_groups=2, eps=1e-3)
    export_and_compare(gn, {"data": _rand(2, 4, 3, 3)}, tmp_path, atol=1e-4)
    bn = S.contrib.SyncBatchNorm(D, key="bn", fix_gamma=False, eps=1e-3, name="sbn")
    params = {"sbn_gamma": _rand(3, seed=1), "sbn_beta": _rand(3, seed=2),
              "sbn_moving_mean": _rand(3, seed=3),
              "sbn_moving_var": _rand(3, seed=4, low=0.5, high=1.5)}
    inputs = {"data": _rand(2, 3, 2, 2)}
    expected = bn.bind(mx.cpu(), args={"data": mx.nd.array(inputs["data"]),
                                       **{k: mx.nd.array(v) for k, v in params.items()
                                          if "moving" not in k}},
                       aux_states={k: mx.nd.array(v) for k, v in params.items()
                                   if "moving" in k}, grad_req="null")
    expected.forward(is_train=False)
    path = onnx_mx.export_model(bn, params, [(2, 3, 2, 2)], onnx_file_path=str(tmp_path / "b.onnx"))
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, inputs)[0], expected.outputs[0].asnumpy(),
                               rtol=1e-5, atol=1e-5)
