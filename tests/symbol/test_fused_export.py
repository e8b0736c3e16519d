"""Fused oneDNN nodes in symbol JSON, as MXNet 1.9.1 writes them: only the
``with_*`` flags as attributes and the original operators in ``subgraphs``.
Files MXNet exports after ``optimize_for('MKLDNN')`` load and run here, and
what we export has the same structure (MXNet loads it:
``tools/make_fixtures_fused_export.py --check``)."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.gluon import nn

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "fused_export")
MXNET_PREFIX = os.path.join(FIXTURES, "mxnet")
IO = np.load(os.path.join(FIXTURES, "io.npz"))


class _Residual(nn.HybridBlock):
    """The block of tools/make_fixtures_fused_export.py."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv0 = nn.Conv2D(4, 3, padding=1, use_bias=False)
            self.bn0 = nn.BatchNorm()
            self.conv1 = nn.Conv2D(4, 3, padding=1)
            self.dense0 = nn.Dense(5, activation="relu")
            self.dense1 = nn.Dense(3, activation="sigmoid")
            self.dense2 = nn.Dense(3)

    def hybrid_forward(self, F, x):
        y = self.bn0(self.conv0(x))
        y = F.Activation(self.conv1(y) + x, act_type="relu")
        return self.dense2(self.dense1(self.dense0(y)))


def _nodes(path):
    with open(path) as f:
        return json.load(f)["nodes"]


def _fused(nodes):
    return {n["name"]: n for n in nodes if n["op"].startswith("_sg_")}


def _optimized_block_with_mxnet_weights():
    net = _Residual(prefix="res_")
    net.initialize()
    x = mx.nd.array(IO["x"])
    net(x)
    saved = mx.nd.load(MXNET_PREFIX + "-0000.params")
    for name, param in net.collect_params().items():
        key = ("aux:" if name.endswith(("mean", "var")) else "arg:") + name
        param.set_data(saved[key])
    net.optimize_for(x, backend="MKLDNN")
    return net, x


def export_for_mxnet(prefix):
    """Export the block here to ``prefix`` with its output (``prefix-y.npy``),
    for the oracle check in tools/make_fixtures_fused_export.py."""
    net, x = _optimized_block_with_mxnet_weights()
    y = net(x).asnumpy()
    net.export(prefix)
    np.save(prefix + "-y.npy", y)
    return y


def test_a_file_mxnet_exported_after_optimize_for_loads_and_runs():
    net = nn.SymbolBlock.imports(MXNET_PREFIX + "-symbol.json", ["data"],
                                 MXNET_PREFIX + "-0000.params")
    np.testing.assert_allclose(net(mx.nd.array(IO["x"])).asnumpy(), IO["y"],
                               rtol=1e-5, atol=1e-6)


def test_loaded_subgraphs_become_our_fused_nodes_with_their_parameters():
    sym = mx.sym.load(MXNET_PREFIX + "-symbol.json")
    nodes = {n.name: n for n in sym._nodes()}
    conv = nodes["sg_mkldnn_conv_bn_0"]
    assert conv.op.name == "_sg_mkldnn_conv"
    params = conv.params()
    assert params.with_bn and not params.with_act and params.kernel == (3, 3)
    assert params.no_bias and params.eps == pytest.approx(1e-5) and not params.fix_gamma
    add = nodes["sg_mkldnn_conv_add_act_1"].params()
    assert add.with_sum and add.with_postsum_act and add.postsum_act_type == "relu"
    fc = nodes["sg_mkldnn_fully_connected_eltwise_1"].params()
    assert fc.with_eltwise and fc.act_type == "sigmoid" and fc.num_hidden == 3
    assert sym.list_auxiliary_states() == ["res_batchnorm0_running_mean",
                                           "res_batchnorm0_running_var"]


def test_export_after_optimize_for_writes_mxnets_structure(tmp_path):
    prefix = str(tmp_path / "ours")
    y = export_for_mxnet(prefix)
    np.testing.assert_allclose(y, IO["y"], rtol=1e-5, atol=1e-6)
    with open(prefix + "-symbol.json") as f, open(MXNET_PREFIX + "-symbol.json") as g:
        assert f.read() == g.read()  # the whole file, byte for byte
    ours, theirs = _fused(_nodes(prefix + "-symbol.json")), \
        _fused(_nodes(MXNET_PREFIX + "-symbol.json"))
    # Every chain (and lone dense layer) MXNet folds, we fold alike.
    assert set(ours) == set(theirs)
    for name, node in ours.items():
        expected = theirs[name]
        assert node["op"] == expected["op"]
        assert node.get("attrs") == expected.get("attrs")
        assert node["inputs"] == expected["inputs"]
        # the subgraph holds the original nodes, names and attributes as traced
        assert node["subgraphs"] == expected["subgraphs"]


def test_fused_subgraph_keeps_the_names_and_attributes_of_the_symbols_nodes():
    d = mx.sym.var("data")
    y = mx.sym.Convolution(d, kernel=(3, 3), num_filter=4, pad=(1, 1), name="conv")
    y = mx.sym.BatchNorm(y, fix_gamma=False, momentum=0.8, name="bn")
    y = mx.sym.Activation(y, act_type="relu", name="relu")
    y = mx.sym.FullyConnected(mx.sym.elemwise_add(y, d, name="sum"), num_hidden=3, name="fc")
    y = mx.sym.Activation(y, act_type="tanh", name="tanh")
    nodes = json.loads(y.optimize_for("MKLDNN").tojson())["nodes"]
    fused = [n for n in nodes if n["op"].startswith("_sg_")]
    assert [n["name"] for n in fused] == ["sg_mkldnn_conv_bn_act_0",
                                          "sg_mkldnn_fully_connected_eltwise_0"]
    inner = [[(n["op"], n["name"], n.get("attrs")) for n in f["subgraphs"][0]["nodes"]
              if n["op"] != "null"] for f in fused]
    original = {n["name"]: n.get("attrs") for n in json.loads(y.tojson())["nodes"]}
    assert inner == [[("Convolution", "conv", original["conv"]),
                      ("BatchNorm", "bn", original["bn"]),
                      ("Activation", "relu", original["relu"])],
                     [("FullyConnected", "fc", original["fc"]),
                      ("Activation", "tanh", original["tanh"])]]


def test_a_file_mxnet_exported_after_optimize_for_saves_back_unchanged():
    text = open(MXNET_PREFIX + "-symbol.json").read()
    assert mx.sym.load_json(text).tojson() == text


def test_exported_fused_graph_reads_back_as_the_same_graph(tmp_path):
    net, x = _optimized_block_with_mxnet_weights()
    net(x)
    net.export(str(tmp_path / "net"))
    text = open(tmp_path / "net-symbol.json").read()
    assert mx.sym.load_json(text).tojson() == text
    loaded = nn.SymbolBlock.imports(str(tmp_path / "net-symbol.json"), ["data"],
                                    str(tmp_path / "net-0000.params"))
    np.testing.assert_allclose(loaded(x).asnumpy(), IO["y"], rtol=1e-5, atol=1e-6)


def test_dense_with_folded_batch_norm_is_written_as_plain_operators():
    # MXNet has no fused form for it: the file holds FullyConnected -> BatchNorm -> relu.
    d = mx.sym.var("data")
    y = mx.sym.FullyConnected(d, num_hidden=3, name="fc")
    y = mx.sym.Activation(mx.sym.BatchNorm(y, axis=-1, name="bn"), act_type="relu")
    opt = y.optimize_for("MKLDNN")
    [fused] = [n for n in opt._nodes() if n.op is not None]
    assert fused.op.name == "_sg_mkldnn_fully_connected" and fused.params().with_bn
    nodes = json.loads(opt.tojson())["nodes"]
    assert [n["op"] for n in nodes if n["op"] != "null"] == ["FullyConnected", "BatchNorm",
                                                             "Activation"]
    loaded = mx.sym.load_json(opt.tojson())
    assert loaded.list_outputs() == opt.list_outputs()
    assert loaded.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    shapes = {"data": (2, 5)}
    arg_shapes, _, aux_shapes = y.infer_shape(**shapes)
    rng = np.random.default_rng(0)
    args = {n: mx.nd.array(rng.uniform(0.5, 1.5, s)) for n, s in
            zip(y.list_arguments(), arg_shapes)}
    aux = {n: mx.nd.array(rng.uniform(0.5, 1.5, s)) for n, s in
           zip(y.list_auxiliary_states(), aux_shapes)}
    expected = y.bind(mx.cpu(), args, aux_states=aux).forward()[0].asnumpy()
    got = loaded.bind(mx.cpu(), args, aux_states=aux).forward()[0].asnumpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_a_subgraph_of_another_shape_loads_as_its_plain_operators():
    # An elementwise op no fused kernel applies after the product: the node is
    # expanded into the subgraph's ops.
    doc = json.loads(open(MXNET_PREFIX + "-symbol.json").read())
    [node] = [n for n in doc["nodes"] if n["name"] == "sg_mkldnn_fully_connected_eltwise_0"]
    sub = node["subgraphs"][0]["nodes"]
    sub[-1] = {"op": "negative", "name": "res_dense0_negative", "inputs": sub[-1]["inputs"]}
    sym = mx.sym.load_json(json.dumps(doc))
    ops = [n.op.name for n in sym._nodes() if n.op is not None]
    assert "negative" in ops and "FullyConnected" in ops
    assert "res_dense0_negative_output" in sym.get_internals().list_outputs()


def test_a_subgraph_ending_in_a_folded_unary_op_loads_as_a_fused_node():
    doc = json.loads(open(MXNET_PREFIX + "-symbol.json").read())
    [node] = [n for n in doc["nodes"] if n["name"] == "sg_mkldnn_fully_connected_eltwise_0"]
    sub = node["subgraphs"][0]["nodes"]
    sub[-1] = {"op": "square", "name": "res_dense0_square", "inputs": sub[-1]["inputs"]}
    sym = mx.sym.load_json(json.dumps(doc))
    [fused] = [n for n in sym._nodes() if n.name == "sg_mkldnn_fully_connected_eltwise_0"]
    assert fused.op.name == "_sg_mkldnn_fully_connected"
    assert fused.params().act_type == "square"
    assert json.loads(sym.tojson()) == doc  # written back as read


def test_a_fused_node_without_its_subgraph_or_with_bad_parameters_fails():
    doc = json.loads(open(MXNET_PREFIX + "-symbol.json").read())
    [node] = [n for n in doc["nodes"] if n["name"] == "sg_mkldnn_conv_bn_0"]
    node["subgraphs"] = node["subgraphs"] * 2
    with pytest.raises(MXNetError, match="sg_mkldnn_conv_bn_0.*needs 1 subgraph, got 2"):
        mx.sym.load_json(json.dumps(doc))
    node["subgraphs"] = node["subgraphs"][:1]
    node["subgraphs"][0]["nodes"][2]["attrs"]["kernel"] = "(3, x)"
    with pytest.raises(MXNetError, match="kernel"):
        mx.sym.load_json(json.dumps(doc))


def test_quantized_fused_nodes_are_refused_by_name():
    doc = json.loads(open(MXNET_PREFIX + "-symbol.json").read())
    [node] = [n for n in doc["nodes"] if n["name"] == "sg_mkldnn_conv_bn_0"]
    node["attrs"]["quantized"] = "true"
    with pytest.raises(MXNetError, match="sg_mkldnn_conv_bn_0.*quantized _sg_mkldnn_conv"):
        mx.sym.load_json(json.dumps(doc))


def test_a_fused_node_with_flags_we_do_not_know_is_expanded():
    doc = json.loads(open(MXNET_PREFIX + "-symbol.json").read())
    [node] = [n for n in doc["nodes"] if n["name"] == "sg_mkldnn_fully_connected_eltwise_1"]
    node["attrs"]["enable_float_output"] = "true"
    sym = mx.sym.load_json(json.dumps(doc))
    ops = [n.op.name for n in sym._nodes() if n.op is not None]
    assert ops.count("_sg_mkldnn_fully_connected") == 2 and "FullyConnected" in ops
    net = nn.SymbolBlock(sym, mx.sym.var("data"))
    net.load_parameters(MXNET_PREFIX + "-0000.params", allow_missing=False)
    np.testing.assert_allclose(net(mx.nd.array(IO["x"])).asnumpy(), IO["y"],
                               rtol=1e-5, atol=1e-6)
