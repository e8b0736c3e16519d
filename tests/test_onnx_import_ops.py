"""ONNX import of comparisons, logic, Where, Expand, Tile, TopK, ArgMax,
OneHot, GatherND, LayerNormalization, broadcasting MatMul, constant folding
of shape arithmetic and constant If: each imported graph gives onnxruntime's
results. Every symbol of the export fixture also survives export -> import."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from mxnet.contrib import onnx as onnx_mx  # noqa: E402

from test_onnx_export_ops import (CASES, _TinyEncoder, _WithStates,  # noqa: E402
                                  _inputs, _mx_forward, _params)
from test_onnx_import import _run_imported, check_import  # noqa: E402

F32, I64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def _rand(*shape, seed=0, low=-2.0, high=2.0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


def _model(nodes, feeds, outputs, initializers=(), opset=13):
    """A model of ``nodes`` reading ``feeds`` (name -> example array) and
    writing ``outputs`` (names; their types left to shape inference)."""
    inputs = [helper.make_tensor_value_info(
        name, helper.np_dtype_to_tensor_dtype(value.dtype), value.shape)
        for name, value in feeds.items()]
    graph = helper.make_graph(
        nodes, "test", inputs, [helper.make_value_info(name, onnx.TypeProto())
                                for name in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), n) for n, v in initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return onnx.shape_inference.infer_shapes(model)


def _node(op, inputs, outputs=("y",), **attrs):
    return helper.make_node(op, list(inputs), list(outputs), **attrs)


AB = {"a": np.array([[1, -2, 3], [0, 5, -1]], np.float32),
      "b": np.array([[1, 2, -3]], np.float32)}


def test_comparisons_and_logic_give_booleans():
    nodes = [_node(op, ["a", "b"], [op]) for op in
             ("Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual")]
    nodes += [_node("And", ["Greater", "Less"], ["and"]), _node("Or", ["Equal", "Less"], ["or"]),
              _node("Xor", ["Greater", "LessOrEqual"], ["xor"]), _node("Not", ["Equal"], ["not"])]
    outs = [n.output[0] for n in nodes]
    check_import(_model(nodes, AB, outs), AB)


def test_where_broadcasts_and_mod_both_signs():
    feeds = dict(AB, i=np.array([[7, -7, 7, -7]], np.int64), j=np.array([[3, 3, -3, -3]]))
    nodes = [_node("Greater", ["a", "b"], ["c"]), _node("Where", ["c", "a", "zero"], ["w"]),
             _node("Mod", ["i", "j"], ["m"]), _node("Mod", ["a", "b"], ["f"], fmod=1)]
    model = _model(nodes, feeds, ["w", "m", "f"], [("zero", np.array(0.0, np.float32))])
    check_import(model, feeds)


@pytest.mark.parametrize("op", ["Asin", "Acos", "Atan", "Tan", "Sinh", "Cosh", "Asinh",
                                "Atanh", "Sign", "Round", "HardSwish"])
def test_unary_math(op):
    feeds = {"x": np.array([[-0.9, -0.5, -0.2, 0.0, 0.3, 0.5, 0.7]], np.float32)}
    feeds["x"][0, 1] = 1.5  # a tie Round sends to the even neighbour
    check_import(_model([_node(op, ["x"])], feeds, ["y"], opset=14), feeds)


def test_expand_tile_and_shape_arithmetic_fold():
    # A PyTorch-style chain: the target shape is computed from Shape/Gather/Concat.
    nodes = [_node("Shape", ["x"], ["s"]),
             _node("Gather", ["s", "zero"], ["n"], axis=0),
             _node("Unsqueeze", ["n", "axes0"], ["n1"]),
             _node("Concat", ["n1", "three_four"], ["target"], axis=0),
             _node("Expand", ["x", "target"], ["e"]),
             _node("Tile", ["x", "reps"], ["t"]),
             _node("Range", ["r0", "r1", "r2"], ["r"]),
             _node("ConstantOfShape", ["three_four"], ["ones"],
                   value=numpy_helper.from_array(np.array([1.0], np.float32))),
             _node("Add", ["e", "ones"], ["y"])]
    feeds = {"x": _rand(2, 1, 4)}
    inits = [("zero", np.array(0, np.int64)), ("axes0", np.array([0])),
             ("three_four", np.array([3, 4])), ("reps", np.array([1, 2, 1])),
             ("r0", np.array(1.0, np.float32)), ("r1", np.array(4.0, np.float32)),
             ("r2", np.array(0.5, np.float32))]
    check_import(_model(nodes, feeds, ["y", "t", "r"], inits), feeds)


def test_topk_argmax_argmin():
    feeds = {"x": _rand(3, 5)}
    nodes = [_node("TopK", ["x", "k"], ["v", "i"], axis=1),
             _node("TopK", ["x", "k"], ["v2", "i2"], axis=0, largest=0),
             _node("ArgMax", ["x"], ["am"], axis=1, keepdims=0),
             _node("ArgMin", ["x"], ["an"], axis=0)]
    check_import(_model(nodes, feeds, ["v", "i", "v2", "i2", "am", "an"],
                        [("k", np.array([2]))]), feeds)


def test_one_hot_gather_nd_depth_to_space():
    feeds = {"idx": np.array([[0, 2], [-1, 1]], np.int64), "d": _rand(3, 4, 2),
             "p": np.array([[0, 1], [2, 3], [1, 0]], np.int64), "s": _rand(1, 8, 2, 3)}
    nodes = [_node("OneHot", ["idx", "depth", "values"], ["oh"]),
             _node("OneHot", ["idx", "depth", "values"], ["oh0"], axis=0),
             _node("GatherND", ["d", "p"], ["g"]),
             _node("DepthToSpace", ["s"], ["ds"], blocksize=2),
             _node("SpaceToDepth", ["ds"], ["sd"], blocksize=2)]
    inits = [("depth", np.array(3, np.int64)), ("values", np.array([-1.0, 5.0], np.float32))]
    check_import(_model(nodes, feeds, ["oh", "oh0", "g", "ds", "sd"], inits), feeds)


def test_layer_normalization_opset17():
    feeds = {"x": _rand(2, 3, 4)}
    nodes = [_node("LayerNormalization", ["x", "g", "b"], ["last"], epsilon=1e-3),
             _node("LayerNormalization", ["x", "g2"], ["two"], axis=1)]
    inits = [("g", _rand(4, seed=1)), ("b", _rand(4, seed=2)), ("g2", _rand(3, 4, seed=3))]
    check_import(_model(nodes, feeds, ["last", "two"], inits, opset=17), feeds, atol=1e-4)


def test_matmul_broadcasts_batch_dims():
    feeds = {"a": _rand(2, 3, 4, 5), "b": _rand(3, 5, 2, seed=1), "c": _rand(4, 5, seed=2)}
    nodes = [_node("MatMul", ["a", "b"], ["ab"]), _node("MatMul", ["c", "b"], ["cb"])]
    check_import(_model(nodes, feeds, ["ab", "cb"]), feeds, atol=1e-4)


def test_reduce_norms_and_reverse_sequence():
    feeds = {"x": _rand(4, 2, 3), "n": np.array([2, 4], np.int64)}
    nodes = [_node("ReduceL2", ["x"], ["l2"], axes=[2], keepdims=0),
             _node("ReduceL1", ["x"], ["l1"], axes=[0, 2]),
             _node("ReverseSequence", ["x", "n"], ["rs"], batch_axis=1, time_axis=0)]
    check_import(_model(nodes, feeds, ["l2", "l1", "rs"]), feeds)


def _if_model(cond):
    then_graph = helper.make_graph([_node("Relu", ["x"], ["t"])], "then", [],
                                   [helper.make_tensor_value_info("t", F32, [2, 3])])
    else_graph = helper.make_graph([_node("Neg", ["x"], ["e"])], "else", [],
                                   [helper.make_tensor_value_info("e", F32, [2, 3])])
    nodes = [_node("If", ["cond"], ["y"], then_branch=then_graph, else_branch=else_graph)]
    return _model(nodes, {"x": _rand(2, 3)}, ["y"], [("cond", np.array(cond))])


@pytest.mark.parametrize("cond", [True, False])
def test_if_with_a_constant_condition_inlines_its_branch(cond):
    check_import(_if_model(cond), {"x": _rand(2, 3)})


def test_computed_if_condition_and_bad_settings_raise():
    then_graph = helper.make_graph([_node("Relu", ["x"], ["t"])], "then", [],
                                   [helper.make_tensor_value_info("t", F32, [2, 3])])
    nodes = [_node("ReduceMax", ["x"], ["m"], keepdims=0), _node("Cast", ["m"], ["c"], to=BOOL),
             _node("If", ["c"], ["y"], then_branch=then_graph, else_branch=then_graph)]
    with pytest.raises(MXNetError, match="If.*'cond' must be a constant"):
        onnx_mx.import_model(_model(nodes, {"x": _rand(2, 3)}, ["y"]))
    crd = _model([_node("DepthToSpace", ["x"], blocksize=2, mode="CRD")],
                 {"x": _rand(1, 4, 2, 2)}, ["y"])
    with pytest.raises(MXNetError, match="DepthToSpace.*CRD"):
        onnx_mx.import_model(crd)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_export_then_import_round_trip(case_id, tmp_path):
    case = CASES[case_id]
    sym = mx.sym.load_json(case["symbol"])
    inputs = _inputs(case)
    params = _params(sym, inputs)
    expected = _mx_forward(sym, inputs, params)
    path = onnx_mx.export_model(sym, params, [v.shape for v in inputs.values()],
                                [v.dtype for v in inputs.values()], str(tmp_path / "m.onnx"))
    got = _run_imported(onnx.load(path), inputs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        np.testing.assert_allclose(g.astype(e.dtype), e, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("op,gates,extra", [
    ("LSTM", 4, {}), ("GRU", 3, {"linear_before_reset": 1}), ("RNN", 1, {}),
    ("RNN", 1, {"activations": ["Relu", "Relu"]})])
def test_recurrent_nodes_with_initial_states(op, gates, extra):
    hidden, dirs = 3, 2
    feeds = {"x": _rand(4, 2, 5), "h0": _rand(dirs, 2, hidden, seed=1)}
    inputs = ["x", "w", "r", "b", "", "h0"]
    if op == "LSTM":
        feeds["c0"] = _rand(dirs, 2, hidden, seed=2)
        inputs.append("c0")
    outs = ["y", "yh", "yc"] if op == "LSTM" else ["y", "yh"]
    inits = [("w", _rand(dirs, gates * hidden, 5, seed=3, low=-1, high=1)),
             ("r", _rand(dirs, gates * hidden, hidden, seed=4, low=-1, high=1)),
             ("b", _rand(dirs, 2 * gates * hidden, seed=5, low=-1, high=1))]
    node = _node(op, inputs, outs, hidden_size=hidden, direction="bidirectional", **extra)
    check_import(_model([node], feeds, outs, inits), feeds, atol=1e-5)


def test_recurrent_settings_mxnet_lacks_raise():
    feeds = {"x": _rand(4, 2, 5)}
    inits = [("w", _rand(1, 9, 5)), ("r", _rand(1, 9, 3))]
    gru = _node("GRU", ["x", "w", "r"], ["y"], hidden_size=3)
    with pytest.raises(MXNetError, match="linear_before_reset=0"):
        onnx_mx.import_model(_model([gru], feeds, ["y"], inits))
    reverse = _node("GRU", ["x", "w", "r"], ["y"], hidden_size=3, linear_before_reset=1,
                    direction="reverse")
    with pytest.raises(MXNetError, match="direction 'reverse'"):
        onnx_mx.import_model(_model([reverse], feeds, ["y"], inits))


def _gluon_round_trip(net, inputs, tmp_path, atol=1e-5):
    """Export a gluon block, import it back with import_to_gluon: same outputs."""
    net.initialize(mx.init.Xavier())
    net.hybridize()
    arrays = [mx.nd.array(v, dtype=v.dtype) for v in inputs.values()]
    expected = net(*arrays)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    prefix = str(tmp_path / "net")
    net.export(prefix)
    path = onnx_mx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                [v.shape for v in inputs.values()],
                                [v.dtype for v in inputs.values()], str(tmp_path / "net.onnx"))
    block = onnx_mx.import_to_gluon(path, mx.cpu())
    got = block(*arrays)
    got = got if isinstance(got, (list, tuple)) else [got]
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g.asnumpy(), e.asnumpy(), rtol=1e-4, atol=atol)


def test_bert_like_layer_round_trip(tmp_path):
    tokens = np.random.default_rng(0).integers(0, 11, (2, 5)).astype(np.float32)
    _gluon_round_trip(_TinyEncoder(), {"data0": tokens, "data1": np.array([5, 3], np.float32)},
                      tmp_path)


def test_stacked_bidirectional_lstm_round_trip(tmp_path):
    net = _WithStates(mx.gluon.rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3))
    _gluon_round_trip(net, {"data": _rand(5, 2, 3), "h": _rand(4, 2, 4, seed=1),
                            "c": _rand(4, 2, 4, seed=2)}, tmp_path)


def _rejects(nodes, feeds, message, inits=(), opset=13):
    model = _model(nodes, feeds, [nodes[-1].output[0]], inits, opset)
    with pytest.raises(MXNetError, match=message):
        onnx_mx.import_model(model)


def test_settings_without_translation_raise():
    x = {"x": _rand(2, 3)}
    k = [("k", np.array([2]))]
    _rejects([_node("TopK", ["x", "k"], ["v", "i"], sorted=0)], x, "TopK.*sorted=0", k)
    _rejects([_node("ArgMax", ["x"], select_last_index=1)], x, "select_last_index", opset=13)
    _rejects([_node("GatherND", ["x", "i"], batch_dims=1)], x, "batch_dims",
             [("i", np.array([[0], [1]]))])
    _rejects([_node("ReverseSequence", ["x", "n"], batch_axis=0, time_axis=1)],
             {"x": _rand(4, 2, 3), "n": np.array([1, 2, 3, 4], np.int64)}, "batch_axis")
    _rejects([_node("LayerNormalization", ["x", "g"], ["y", "mean"])], x, "Mean/InvStdDev",
             [("g", _rand(3))], opset=17)
    rnn_feeds = {"x": _rand(4, 2, 5)}
    w = [("w", _rand(1, 12, 5)), ("r", _rand(1, 12, 3))]
    lstm = dict(hidden_size=3)
    _rejects([_node("LSTM", ["x", "w", "r"], clip=1.0, **lstm)], rnn_feeds, "clip", w)
    _rejects([_node("LSTM", ["x", "w", "r"], layout=1, **lstm)], rnn_feeds, "layout", w)
    _rejects([_node("LSTM", ["x", "w", "r"], activations=["Relu", "Tanh", "Tanh"], **lstm)],
             rnn_feeds, "activations", w)
    _rejects([_node("LSTM", ["x", "w", "r", "", "lens"], **lstm)],
             dict(rnn_feeds, lens=np.array([4, 3], np.int32)), "sequence_lens", w)
    _rejects([_node("RNN", ["x", "w3", "r3"], hidden_size=3, activations=["Sigmoid"])],
             rnn_feeds, "activations", [("w3", _rand(1, 3, 5)), ("r3", _rand(1, 3, 3))])


IMPORT_VARIANTS = [
    ("expand_lower_rank_target", [_node("Expand", ["x", "s"])], {"x": _rand(2, 1, 3)},
     [("s", np.array([4, 1]))]),
    ("expand_higher_rank_target", [_node("Expand", ["x", "s"])], {"x": _rand(1, 3)},
     [("s", np.array([2, 2, 1]))]),
    ("tile_int", [_node("Tile", ["x", "r"])], {"x": np.arange(6).reshape(2, 3)},
     [("r", np.array([2, 2]))]),
    ("equal_int", [_node("Equal", ["x", "c"])], {"x": np.arange(6).reshape(2, 3)},
     [("c", np.array([0, 4, 2]))]),
    ("where_int", [_node("Less", ["x", "c"], ["m"]), _node("Where", ["m", "x", "c"])],
     {"x": np.arange(6, dtype=np.int32).reshape(2, 3)}, [("c", np.array([3], np.int32))]),
    ("topk_last_axis_default", [_node("TopK", ["x", "k"], ["y", "i"])], {"x": _rand(2, 5)},
     [("k", np.array([3]))]),
    ("one_hot_int_values", [_node("OneHot", ["x", "d", "v"])],
     {"x": np.array([1, 0, 2], np.int64)},
     [("d", np.array([3], np.int64)), ("v", np.array([0, 7], np.int64))]),
    ("argmax_default_axis", [_node("ArgMax", ["x"])], {"x": _rand(3, 4)}, []),
    ("reduce_l2_opset18_axes_input", [_node("ReduceL2", ["x", "a"], keepdims=0)],
     {"x": _rand(2, 3, 4)}, [("a", np.array([-1]))]),
    ("layer_norm_no_bias", [_node("LayerNormalization", ["x", "g"], axis=-1)],
     {"x": _rand(2, 5)}, [("g", _rand(5, seed=4))]),
]


@pytest.mark.parametrize("nodes,feeds,inits", [v[1:] for v in IMPORT_VARIANTS],
                         ids=[v[0] for v in IMPORT_VARIANTS])
def test_import_variants_match_onnxruntime(nodes, feeds, inits):
    opset = 18 if any(n.op_type in ("ReduceL2", "LayerNormalization") for n in nodes) else 13
    check_import(_model(nodes, feeds, [nodes[-1].output[0]], inits, opset), feeds, atol=1e-4)


def test_group_normalization_opset18():
    feeds = {"x": _rand(2, 6, 3, 2)}
    node = _node("GroupNormalization", ["x", "s", "b"], num_groups=3, epsilon=1e-3)
    model = _model([node], feeds, ["y"], [("s", _rand(3, seed=1)), ("b", _rand(3, seed=2))],
                   opset=18)
    check_import(model, feeds, atol=1e-4)


def _symbolic_model(nodes, inputs, outputs, initializers=(), opset=17):
    """A model whose inputs have symbolic dims: ``inputs`` is [(name, dims)]."""
    graph = helper.make_graph(
        nodes, "dynamic", [helper.make_tensor_value_info(n, F32, dims) for n, dims in inputs],
        [helper.make_value_info(name, onnx.TypeProto()) for name in outputs],
        initializer=[numpy_helper.from_array(np.asarray(v), n) for n, v in initializers])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def test_symbolic_batch_and_length_through_shape_arithmetic():
    # Multi-head self-attention as exporters write it with dynamic axes: the
    # reshape targets are computed from Shape of the (N, L, 8) input.
    nodes = [
        _node("Shape", ["x"], ["s"]),
        _node("Gather", ["s", "i0"], ["n"], axis=0), _node("Gather", ["s", "i1"], ["l"], axis=0),
        _node("Unsqueeze", ["n", "ax0"], ["n1"]), _node("Unsqueeze", ["l", "ax0"], ["l1"]),
        _node("Concat", ["n1", "l1", "heads"], ["split_shape"], axis=0),
        _node("Reshape", ["x", "split_shape"], ["r"]),
        _node("Transpose", ["r"], ["q"], perm=[0, 2, 1, 3]),
        _node("Transpose", ["q"], ["kt"], perm=[0, 1, 3, 2]),
        _node("MatMul", ["q", "kt"], ["scores"]),
        _node("Softmax", ["scores"], ["att"], axis=-1),
        _node("MatMul", ["att", "q"], ["ctx"]),
        _node("Transpose", ["ctx"], ["back"], perm=[0, 2, 1, 3]),
        _node("Slice", ["s", "ax0", "i2"], ["nl"]),
        _node("Concat", ["nl", "minus1"], ["merge_shape"], axis=0),
        _node("Reshape", ["back", "merge_shape"], ["merged"]),
        _node("Greater", ["merged", "zero"], ["positive"]),
        _node("Where", ["positive", "merged", "zero"], ["relu"]),
        _node("Add", ["relu", "x"], ["res"]),
        _node("LayerNormalization", ["res", "g", "b"], ["y"]),
    ]
    inits = [("i0", np.array(0)), ("i1", np.array(1)), ("i2", np.array([2])),
             ("ax0", np.array([0])), ("heads", np.array([2, 4])), ("minus1", np.array([-1])),
             ("zero", np.array(0.0, np.float32)), ("g", _rand(8, seed=1)),
             ("b", _rand(8, seed=2))]
    model = _symbolic_model(nodes, [("x", ["N", "L", 8])], ["y"], inits)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    sym, arg_params, aux_params = onnx_mx.import_model(model)
    for shape in ((2, 5, 8), (3, 1, 8)):
        x = _rand(*shape, seed=shape[0])
        ex = sym.bind(mx.cpu(), args=dict(arg_params, x=mx.nd.array(x)), aux_states=aux_params,
                      grad_req="null")
        ex.forward(is_train=False)
        np.testing.assert_allclose(ex.outputs[0].asnumpy(), sess.run(None, {"x": x})[0],
                                   rtol=1e-4, atol=1e-5)


def test_symbolic_shape_used_as_a_tensor_raises():
    nodes = [_node("Shape", ["x"], ["s"]), _node("Cast", ["s"], ["f"], to=F32),
             _node("Add", ["f", "f"], ["y"])]
    with pytest.raises(MXNetError, match="computed from the symbolic shape"):
        onnx_mx.import_model(_symbolic_model(nodes, [("x", ["N", 3])], ["y"]))


def test_lstm_exported_with_symbolic_dims_imports_and_runs_at_other_sizes(tmp_path):
    net = _WithStates(mx.gluon.rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3))
    net.initialize(mx.init.Xavier())
    net.hybridize()
    small = [_rand(5, 2, 3), _rand(4, 2, 4, seed=1), _rand(4, 2, 4, seed=2)]
    net(*[mx.nd.array(v) for v in small])
    prefix = str(tmp_path / "lstm")
    net.export(prefix)
    path = onnx_mx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                [v.shape for v in small], [np.float32] * 3,
                                str(tmp_path / "lstm.onnx"), dynamic=True,
                                dynamic_input_shapes=[(None, None, 3), (4, None, 4),
                                                      (4, None, 4)])
    block = onnx_mx.import_to_gluon(path, mx.cpu())
    large = [mx.nd.array(v) for v in (_rand(7, 3, 3), _rand(4, 3, 4, seed=3),
                                      _rand(4, 3, 4, seed=4))]
    for got, expected in zip(block(*large), net(*large)):
        np.testing.assert_allclose(got.asnumpy(), expected.asnumpy(), rtol=1e-4, atol=1e-5)


def test_symbolic_dims_as_range_expand_and_constant_of_shape():
    # Position ids and a filled mask built from the run-time (N, L) of x.
    nodes = [
        _node("Shape", ["x"], ["s"]),
        _node("Gather", ["s", "i1"], ["l"], axis=0),
        _node("Range", ["zero", "l", "one"], ["pos"]),
        _node("Unsqueeze", ["pos", "ax0"], ["pos1"]),
        _node("Slice", ["s", "ax0", "i2"], ["nl"]),
        _node("Expand", ["pos1", "nl"], ["pos_nl"]),
        _node("Cast", ["pos_nl"], ["posf"], to=F32),
        _node("Unsqueeze", ["posf", "ax2"], ["pos3"]),
        _node("ConstantOfShape", ["nl"], ["twos"],
              value=numpy_helper.from_array(np.array([2.0], np.float32))),
        _node("Unsqueeze", ["twos", "ax2"], ["twos3"]),
        _node("Add", ["x", "pos3"], ["shifted"]),
        _node("Mul", ["shifted", "twos3"], ["y"]),
    ]
    inits = [("i1", np.array(1)), ("i2", np.array([2])), ("ax0", np.array([0])),
             ("ax2", np.array([2])), ("zero", np.array(0)), ("one", np.array(1))]
    model = _symbolic_model(nodes, [("x", ["N", "L", 4])], ["y", "pos_nl"], inits)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    sym, arg_params, aux_params = onnx_mx.import_model(model)
    for shape in ((2, 5, 4), (3, 2, 4)):
        x = _rand(*shape, seed=shape[1])
        ex = sym.bind(mx.cpu(), args=dict(arg_params, x=mx.nd.array(x)), aux_states=aux_params,
                      grad_req="null")
        ex.forward(is_train=False)
        for got, expected in zip(ex.outputs, sess.run(None, {"x": x})):
            assert got.dtype == expected.dtype
            np.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-5, atol=1e-5)


def test_symbolic_range_with_other_bounds_raises():
    nodes = [_node("Shape", ["x"], ["s"]), _node("Gather", ["s", "i0"], ["n"], axis=0),
             _node("Range", ["one", "n", "one"], ["y"])]
    model = _symbolic_model(nodes, [("x", ["N", 3])], ["y"],
                            [("i0", np.array(0)), ("one", np.array(1))])
    with pytest.raises(MXNetError, match="Range.*start 0 and delta 1"):
        onnx_mx.import_model(model)


def test_bert_like_layer_with_symbolic_dims_round_trip(tmp_path):
    net = _TinyEncoder()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    rng = np.random.default_rng(0)
    small = [rng.integers(0, 11, (2, 5)).astype(np.float32), np.array([5, 3], np.float32)]
    net(*[mx.nd.array(v) for v in small])
    prefix = str(tmp_path / "enc")
    net.export(prefix)
    path = onnx_mx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                [v.shape for v in small], [np.float32] * 2,
                                str(tmp_path / "enc.onnx"), dynamic=True,
                                dynamic_input_shapes=[(None, None), (None,)])
    block = onnx_mx.import_to_gluon(path, mx.cpu())
    large = [mx.nd.array(rng.integers(0, 11, (3, 7)).astype(np.float32)),
             mx.nd.array(np.array([7, 2, 4], np.float32))]
    np.testing.assert_allclose(block(*large).asnumpy(), net(*large).asnumpy(),
                               rtol=1e-4, atol=1e-5)


def test_symbolic_reshapes_merging_or_splitting_the_front():
    # (N, 2, L, 4) -> [-1] + its dims 2: = (N*2, L, 4) (MXNet code -3); then
    # [-1, 2] + the dims 1: of that = (N, 2, L, 4) again (code -4).
    nodes = [
        _node("Reshape", ["x", "four_d"], ["r0"]),
        _node("Transpose", ["r0"], ["r"], perm=[0, 2, 1, 3]),
        _node("Shape", ["r"], ["rs"]),
        _node("Slice", ["rs", "two", "big"], ["tail"]),
        _node("Concat", ["minus1", "tail"], ["merge"], axis=0),
        _node("Reshape", ["r", "merge"], ["merged"]),
        _node("Shape", ["merged"], ["ms"]),
        _node("Slice", ["ms", "one", "big"], ["rest"]),
        _node("Concat", ["minus1", "two_heads", "rest"], ["split"], axis=0),
        _node("Reshape", ["merged", "split"], ["y"]),
    ]
    inits = [("four_d", np.array([0, 0, 2, 4])), ("two", np.array([2])),
             ("one", np.array([1])), ("big", np.array([2 ** 62])),
             ("minus1", np.array([-1])), ("two_heads", np.array([2]))]
    model = _symbolic_model(nodes, [("x", ["N", "L", 8])], ["y", "merged"], inits)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    sym, arg_params, aux_params = onnx_mx.import_model(model)
    for shape in ((2, 3, 8), (4, 1, 8)):
        x = _rand(*shape)
        ex = sym.bind(mx.cpu(), args=dict(arg_params, x=mx.nd.array(x)), grad_req="null")
        ex.forward(is_train=False)
        for got, expected in zip(ex.outputs, sess.run(None, {"x": x})):
            assert got.shape == expected.shape
            np.testing.assert_allclose(got.asnumpy(), expected)
