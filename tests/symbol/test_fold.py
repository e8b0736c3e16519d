"""Inference folding: conv/dense + batch norm + activation (+ residual sum)
become MXNet's fused subgraph ops, for optimize_for('MKLDNN') and for
inference runs of compiled programs, with unchanged results."""
import json

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.gluon import nn

RNG = np.random.default_rng(11)


def _conv(x, name, no_bias=False):
    return mx.sym.Convolution(x, kernel=(3, 3), pad=(1, 1), num_filter=4, no_bias=no_bias,
                              name=name)


def _fused_nodes(sym):
    return [n for n in json.loads(sym.tojson())["nodes"] if n["op"].startswith("_sg_")]


def _arrays(sym, data_shapes):
    arg_shapes, _, aux_shapes = sym.infer_shape(**data_shapes)
    make = (lambda s: mx.nd.array(RNG.uniform(0.5, 1.5, s).astype("float32")))
    return ({n: make(s) for n, s in zip(sym.list_arguments(), arg_shapes)},
            {n: make(s) for n, s in zip(sym.list_auxiliary_states(), aux_shapes)})


def _inference(sym, args, aux):
    names = set(sym.list_inputs())
    inputs = {**args, **aux}
    ex = sym.bind(mx.cpu(), {n: a for n, a in inputs.items() if n in sym.list_arguments()},
                  aux_states={n: a for n, a in inputs.items()
                              if n in sym.list_auxiliary_states() and n in names})
    return ex.forward(is_train=False)[0].asnumpy()


def test_conv_bn_relu_becomes_sg_mkldnn_conv_with_mxnet_names():
    d = mx.sym.var("data")
    sym = mx.sym.Activation(mx.sym.BatchNorm(_conv(d, "conv"), name="bn"), act_type="relu")
    opt = sym.optimize_for("MKLDNN")
    [node] = _fused_nodes(opt)
    assert node["op"] == "_sg_mkldnn_conv" and node["name"] == "sg_mkldnn_conv_bn_act_0"
    assert node["attrs"]["with_bn"] == "true" and node["attrs"]["with_act"] == "true"
    assert opt.list_inputs() == sym.list_inputs()
    assert mx.sym.load_json(opt.tojson()).list_outputs() == ["sg_mkldnn_conv_bn_act_0_output"]


def test_folded_batch_norm_statistics_stay_aux_states():
    d = mx.sym.var("data")
    y = mx.sym.Activation(mx.sym.BatchNorm(_conv(d, "conv"), name="bn"), act_type="relu")
    y = mx.sym.FullyConnected(y, num_hidden=3, name="fc")
    opt = y.optimize_for("MKLDNN")
    assert opt.list_arguments() == y.list_arguments()
    assert opt.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    # As in MXNet's JSON, an aux input's third field counts its writers.
    [conv] = [n for n in _fused_nodes(opt) if n["op"] == "_sg_mkldnn_conv"]
    assert [e[2] for e in conv["inputs"]] == [0, 0, 0, 0, 0, 1, 1]
    args, aux = _arrays(y, {"data": (2, 3, 5, 5)})
    ex = opt.bind(mx.cpu(), args, aux_states=aux)
    np.testing.assert_allclose(ex.forward(is_train=False)[0].asnumpy(),
                               _inference(y, args, aux), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pattern", ["bn", "bn_add_act", "nobias_bn_add", "act", "add_act"])
def test_optimized_conv_graph_computes_the_same_outputs(pattern):
    d, other = mx.sym.var("data"), mx.sym.var("other")
    y = _conv(d, "conv", no_bias=pattern.startswith("nobias"))
    if "bn" in pattern:
        y = mx.sym.BatchNorm(y, fix_gamma=False, eps=1e-5, name="bn")
    if pattern == "act":
        y = mx.sym.Activation(y, act_type="sigmoid")
    if "add" in pattern:
        y = other + y
    if pattern.endswith("add_act"):
        y = mx.sym.Activation(y, act_type="relu")
    opt = y.optimize_for("ONEDNN")
    assert len(_fused_nodes(opt)) == 1
    args, aux = _arrays(y, {"data": (2, 3, 5, 5), "other": (2, 4, 5, 5)}
                        if "add" in pattern else {"data": (2, 3, 5, 5)})
    np.testing.assert_allclose(_inference(opt, args, aux), _inference(y, args, aux),
                               rtol=1e-5, atol=1e-6)


def test_dense_bn_tanh_becomes_sg_mkldnn_fully_connected():
    d = mx.sym.var("data")
    y = mx.sym.Activation(mx.sym.BatchNorm(mx.sym.FullyConnected(d, num_hidden=6, name="fc"),
                                           name="bn"), act_type="tanh")
    opt = y.optimize_for("MKLDNN")
    # (not through JSON: MXNet has no fused form for dense + batch norm, so
    # the file holds the plain operators, see test_fused_export.py)
    [node] = [n for n in opt._nodes() if n.op is not None]
    assert node.op.name == "_sg_mkldnn_fully_connected" and node.attrs["with_eltwise"] == "True"
    args, aux = _arrays(y, {"data": (3, 2, 4)})
    np.testing.assert_allclose(_inference(opt, args, aux), _inference(y, args, aux),
                               rtol=1e-5, atol=1e-6)


def _only_lone_products(sym):
    """Whether the optimized ``sym`` fused nothing into its products (each
    convolution still becomes a fused node on its own, as in MXNet)."""
    opt = sym.optimize_for("MKLDNN")
    return all(not n.get("attrs") for n in _fused_nodes(opt))


def test_values_read_elsewhere_are_not_folded():
    d = mx.sym.var("data")
    c = _conv(d, "conv")
    bn = mx.sym.BatchNorm(c, name="bn")
    assert _only_lone_products(mx.sym.Group([bn, c]))
    conv_bn = mx.sym.BatchNorm(_conv(d, "c2"), name="b2", output_mean_var=True)
    assert _only_lone_products(mx.sym.Group([conv_bn[0], conv_bn[1]]))
    other_axis = mx.sym.BatchNorm(_conv(d, "c3"), axis=2)
    assert _only_lone_products(other_axis)
    standalone_relu_op = mx.sym.relu(_conv(d, "c4"))    # MXNet folds only Activation
    assert _only_lone_products(standalone_relu_op)


def test_lone_products_become_fused_nodes_as_in_mxnet():
    d = mx.sym.var("data")
    conv1d = mx.sym.Convolution(d, kernel=(3,), num_filter=4, name="c1")
    assert not _fused_nodes(conv1d.optimize_for("MKLDNN"))
    conv2d = _conv(mx.sym.var("data"), "c2")
    dense = mx.sym.FullyConnected(conv2d, num_hidden=3, name="fc")
    opt = dense.optimize_for("MKLDNN")
    assert [(n["op"], n["name"]) for n in _fused_nodes(opt)] == [
        ("_sg_mkldnn_conv", "sg_mkldnn_conv_0"),
        ("_sg_mkldnn_fully_connected", "sg_mkldnn_fully_connected_0")]
    args, aux = _arrays(dense, {"data": (2, 3, 5, 5)})
    np.testing.assert_allclose(_inference(opt, args, aux), _inference(dense, args, aux),
                               rtol=1e-5, atol=1e-6)


def _optimized_ops(sym):
    nodes = json.loads(sym.optimize_for("MKLDNN").tojson())["nodes"]
    return [n["name"] if n["op"].startswith("_sg_") else n["op"] for n in nodes
            if n["op"] != "null"]


def test_chains_mxnet_does_not_fold_stay_apart():
    d = mx.sym.var("data")
    act_then_sum = mx.sym.Activation(_conv(d, "c1"), act_type="relu") + d
    assert _optimized_ops(act_then_sum) == ["sg_mkldnn_conv_act_0", "elemwise_add"]
    softsign = mx.sym.Activation(_conv(d, "c2"), act_type="softsign")
    assert _optimized_ops(softsign) == ["sg_mkldnn_conv_0", "Activation"]
    conv1d = mx.sym.Convolution(d, kernel=(3,), num_filter=4, name="c3")
    assert _optimized_ops(mx.sym.Activation(conv1d, act_type="relu")) == \
        ["Convolution", "Activation"]


def test_unknown_backend_is_an_error():
    with pytest.raises(MXNetError, match="unknown backend 'TensorRT'"):
        mx.sym.relu(mx.sym.var("x")).optimize_for("TensorRT")


def test_fused_conv_rejects_inputs_that_do_not_match_its_flags():
    x = mx.nd.ones((1, 3, 4, 4))
    w = mx.nd.ones((4, 3, 3, 3))
    with pytest.raises(MXNetError):
        mx.nd._internal._sg_mkldnn_conv(x, w, kernel=(3, 3), num_filter=4, with_bn=True,
                                        no_bias=True)


class _ResidualBlock(nn.HybridBlock):
    """ResNet v1 basic block: conv-bn-relu, conv-bn, + shortcut, relu."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.c1, self.b1 = nn.Conv2D(4, 3, padding=1, use_bias=False), nn.BatchNorm()
        self.c2, self.b2 = nn.Conv2D(4, 3, padding=1), nn.BatchNorm()
        self.out = nn.Dense(3, activation="relu")

    def hybrid_forward(self, F, x):
        h = F.Activation(self.b1(self.c1(x)), act_type="relu")
        return self.out(F.Activation(self.b2(self.c2(h)) + x, act_type="relu"))


def _block():
    net = _ResidualBlock()
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(RNG.standard_normal((2, 4, 5, 5)))
    net(x)
    for p in net.collect_params().values():   # statistics and scales far from 0/1
        if p.name.rsplit("_", 1)[-1] in ("gamma", "beta", "mean", "var"):
            p.set_data(mx.nd.array(RNG.uniform(0.5, 1.5, p.shape)))
    return net, x


def _program(net):
    [program] = net._cached_op._programs.values()
    return program


def test_hybridized_residual_block_inference_is_folded_and_matches_imperative():
    net, x = _block()
    expected = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    ops = [s.op.name for s in _program(net)._inference_plan().steps]
    assert ops == ["_sg_mkldnn_conv", "_sg_mkldnn_conv", "_sg_mkldnn_fully_connected"]


def test_inference_plan_drops_inner_training_mode_dropout_and_optimize_for_all_after_ops():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu"), nn.Dropout(0.5), nn.Dense(4),
            nn.Dropout(0.5))  # the last one is the output: kept
    net.initialize()
    x = mx.nd.array(RNG.uniform(-1, 1, (3, 5)).astype("float32"))
    expected = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_array_equal(net(x).asnumpy(), expected)
    ops = [s.op.name for s in _program(net)._inference_plan().steps]
    assert ops.count("Dropout") == 1 and ops[-1] == "Dropout"
    with mx.autograd.record():  # training still drops out
        y = net(x)
    assert (y.asnumpy() == 0).any()
    # MXNet's optimize_for drops each (the output too: the graph then ends
    # at the dense layer) unless it reads a variable
    ops = [n["op"] for n in json.loads(
        net(mx.sym.var("data")).optimize_for("MKLDNN").tojson())["nodes"]]
    assert "Dropout" not in ops and ops[-1] == "_sg_mkldnn_fully_connected"
    on_input = mx.sym.Dropout(mx.sym.var("data"), p=0.5)
    assert _optimized_ops(mx.sym.relu(on_input)) == ["Dropout", "relu"]


def test_training_runs_are_not_folded():
    net, x = _block()
    with mx.autograd.record():
        expected = net(x)
    expected.backward()
    grads = [p.grad().asnumpy().copy() for p in net.collect_params().values()
             if p.grad_req != "null"]
    net.hybridize()
    with mx.autograd.record():
        got = net(x)
    got.backward()
    np.testing.assert_allclose(got.asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)
    for g, p in zip(grads, [p for p in net.collect_params().values() if p.grad_req != "null"]):
        np.testing.assert_allclose(p.grad().asnumpy(), g, rtol=1e-4, atol=1e-5)
    assert all(not s.op.name.startswith("_sg_") for s in _program(net).train_steps)


def test_folded_inference_sees_parameter_updates_from_a_trainer():
    net, x = _block()
    net.hybridize()
    before = net(x).asnumpy()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward()
    trainer.step(1)
    after = net(x).asnumpy()
    net.hybridize(False)
    expected = net(x).asnumpy()
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, expected, rtol=1e-5, atol=1e-6)


def test_fusion_switched_off_runs_the_plain_graph(monkeypatch):
    monkeypatch.setenv("MXNET_USE_FUSION", "0")
    net, x = _block()
    net.hybridize()
    net(x)
    program = _program(net)
    assert not program._fuse
    assert "BatchNorm" in [s.op.name for s in program.infer_steps]


def test_block_optimize_for_mkldnn_builds_the_fused_graph_without_running(tmp_path):
    net, x = _block()
    expected = net(x).asnumpy()
    calls = []
    net.register_op_hook(lambda name, op, arr: calls.append(name))
    assert net.optimize_for(x, backend="MKLDNN") is None
    assert calls == []                            # built, not run
    np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)
    assert len(calls) == 3 and all(c.startswith("sg_mkldnn_") for c in calls)
    net.export(str(tmp_path / "net"))
    saved = mx.sym.load(str(tmp_path / "net-symbol.json"))
    assert [n["op"] for n in _fused_nodes(saved)] == ["_sg_mkldnn_conv", "_sg_mkldnn_conv",
                                                      "_sg_mkldnn_fully_connected"]
    assert len(saved.list_auxiliary_states()) == 4
    loaded = nn.SymbolBlock.imports(str(tmp_path / "net-symbol.json"), ["data"],
                                    str(tmp_path / "net-0000.params"))
    np.testing.assert_allclose(loaded(x).asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_block_optimize_for_initialises_deferred_parameters():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Activation("relu"))
    net.initialize()
    net.optimize_for(mx.nd.ones((1, 3, 6, 6)), backend="ONEDNN")
    assert net[0].weight.data().shape == (4, 3, 3, 3)


def test_block_optimize_for_needs_a_known_backend():
    net, x = _block()
    with pytest.raises(ValueError, match="Must specify \"backend\""):
        net.optimize_for(x)
    with pytest.raises(MXNetError, match="unknown graph backend 'TensorRT'"):
        net.optimize_for(x, backend="TensorRT")
