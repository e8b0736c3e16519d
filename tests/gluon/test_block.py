"""Block, HybridBlock, SymbolBlock and the containers, against MXNet 1.9.1 fixtures."""
import json
import os
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, gluon
from mxnet.base import MXNetError
from mxnet.gluon import nn
from mxnet.gluon.nn.basic_layers import Concurrent, HybridConcurrent, Identity

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "gluon")


def fixture(name):
    return os.path.join(FIXTURES, name)


class Net(gluon.HybridBlock):
    """Same structure as the fixture script's Net."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.scale = self.params.get("scale", shape=(1,), init="ones")
            self.body = nn.HybridSequential()
            self.body.add(nn.Dense(4, activation="relu"), nn.Dense(3, use_bias=False))
            self.head = nn.Dense(2, flatten=False)

    def hybrid_forward(self, F, x, scale):
        return self.head(F.broadcast_mul(self.body(x), scale))


def mlp():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    return net


def expected_names():
    with open(fixture("names.json")) as f:
        return json.load(f)


def test_parameter_names_structure_and_repr_match_mxnet():
    want = expected_names()
    with mx.name.NameManager():
        net = Net()
        net.initialize()
        net(mx.nd.ones((2, 6)))
        assert net.prefix == want["net"]["prefix"]
        assert list(net.collect_params().keys()) == want["net"]["params"]
        assert sorted(net._collect_params_with_prefix()) == want["net"]["structural"]
        assert repr(net) == want["net"]["repr"]
        assert {k: list(p.shape) for k, p in net.collect_params().items()} == \
            want["net"]["shapes"]
        seq = nn.Sequential()
        with seq.name_scope():
            seq.add(nn.Dense(3), nn.Dense(3))
            inner = nn.HybridSequential()
            inner.add(nn.Dense(2))
            seq.add(inner)
        second = nn.Dense(5)
        assert list(seq.collect_params().keys()) == want["seq"]["params"]
        assert repr(seq) == want["seq"]["repr"]
        assert second.name == want["seq"]["second"]
        assert list(seq.collect_params(".*bias").keys()) == want["seq"]["select"]


def test_block_prefix_and_shared_params():
    with mx.name.NameManager():
        a = nn.Dense(2, in_units=3, prefix="fc_")
        b = nn.Dense(2, in_units=3, params=a.collect_params())
    assert a.name == "fc" and list(a.params.keys()) == ["fc_weight", "fc_bias"]
    assert b.weight is a.weight and b.prefix == "dense0_"
    root = gluon.Block(prefix="")
    assert root.prefix == "" and root.name == ""


def test_deferred_init_completes_at_first_forward_imperatively_and_hybridized():
    for hybridize in (False, True):
        net = Net()
        net.initialize()
        with pytest.raises(gluon.DeferredInitializationError):
            net.body[0].weight.data()
        if hybridize:
            net.hybridize()
        out = net(mx.nd.ones((2, 6)))
        assert out.shape == (2, 2)
        assert net.body[0].weight.shape == (4, 6) and net.head.weight.shape == (2, 3)


def test_first_forward_with_a_wrong_shape_says_what_is_wrong():
    net = nn.Dense(3, in_units=4)
    net.initialize()
    with pytest.raises(MXNetError):
        net(mx.nd.ones((2, 5)))


def load_fixture_weights(net):
    net.load_parameters(fixture("mlp.params"))


@pytest.mark.parametrize("hybridize", [False, True])
def test_forward_and_backward_match_across_hybridization(hybridize):
    data = np.load(fixture("inputs.npz"))
    expected = np.load(fixture("training.npz"))["forward"]
    net = mlp()
    load_fixture_weights(net)
    if hybridize:
        net.hybridize()
    x = mx.nd.array(data["x"])
    with autograd.record():
        out = net(x)
        loss = (out * out).sum()
    loss.backward()
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-6)
    ref = mlp()
    load_fixture_weights(ref)
    with autograd.record():
        ref_loss = (ref(x) ** 2).sum()
    ref_loss.backward()
    for (_, p), (_, q) in zip(net.collect_params().items(), ref.collect_params().items()):
        np.testing.assert_allclose(p.grad().asnumpy(), q.grad().asnumpy(), rtol=1e-5, atol=1e-6)


def test_save_parameters_is_byte_identical_to_mxnet(tmp_path):
    net = mlp()
    net.load_parameters(fixture("mlp.params"))
    out = str(tmp_path / "mine.params")
    net.save_parameters(out)
    with open(out, "rb") as f, open(fixture("mlp.params"), "rb") as g:
        assert f.read() == g.read()
    assert sorted(mx.nd.load(out)) == ["0.bias", "0.weight", "1.bias", "1.weight"]


def test_legacy_files_load_through_the_prefix_path(tmp_path):
    net = mlp()
    with pytest.warns(UserWarning, match="deprecated"):
        net.load_params(fixture("mlp_legacy.params"))
    ref = mlp()
    ref.load_parameters(fixture("mlp.params"))
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(),
                                  ref[0].weight.data().asnumpy())
    out = str(tmp_path / "legacy.params")
    with pytest.warns(UserWarning, match="deprecated"):
        ref.save_params(out)
    assert sorted(mx.nd.load(out)) == sorted(mx.nd.load(fixture("mlp_legacy.params")))


def test_load_parameters_missing_extra_and_cast(tmp_path):
    net = mlp()
    net.add(nn.Dense(2, in_units=3))
    with pytest.raises(MXNetError, match="'2.weight' is missing"):
        net.load_parameters(fixture("mlp.params"))
    net.load_parameters(fixture("mlp.params"), allow_missing=True)
    small = nn.HybridSequential()
    small.add(nn.Dense(8, in_units=5))
    with pytest.raises(MXNetError, match="'1.weight' loaded from file .* is not present"):
        small.load_parameters(fixture("mlp.params"))
    small.load_parameters(fixture("mlp.params"), ignore_extra=True)
    half = mlp()
    half.cast("float16")
    with pytest.raises(MXNetError, match="dtype incompatible"):
        half.load_parameters(fixture("mlp.params"))
    half.load_parameters(fixture("mlp.params"), cast_dtype=True)
    assert half[0].weight.data().dtype == np.float16


def test_shared_parameters_are_saved_once_with_deduplicate(tmp_path):
    net = nn.HybridSequential()
    first = nn.Dense(3, in_units=3)
    net.add(first, nn.Dense(3, in_units=3, params=first.params))
    net.initialize()
    out = str(tmp_path / "d.params")
    net.save_parameters(out, deduplicate=True)
    assert sorted(mx.nd.load(out)) == ["0.bias", "0.weight"]
    net.load_parameters(out)


def test_export_then_symbolblock_imports_matches(tmp_path):
    data = np.load(fixture("inputs.npz"))
    expected = np.load(fixture("training.npz"))["forward"]
    with mx.name.NameManager():
        net = mlp()
    load_fixture_weights(net)
    with pytest.raises(MXNetError, match="hybridize"):
        net.export(str(tmp_path / "m"))
    net.hybridize()
    net(mx.nd.array(data["x"]))
    net.export(str(tmp_path / "m"), epoch=3)
    saved = mx.nd.load(str(tmp_path / "m-0003.params"))
    assert saved.keys() == mx.nd.load(fixture("mlp-0000.params")).keys()
    mine = json.load(open(str(tmp_path / "m-symbol.json")))
    theirs = json.load(open(fixture("mlp-symbol.json")))
    assert [(n["op"], n["name"], n["inputs"]) for n in mine["nodes"]] == \
        [(n["op"], n["name"], n["inputs"]) for n in theirs["nodes"]]
    assert mine["arg_nodes"] == theirs["arg_nodes"] and mine["heads"] == theirs["heads"]
    for prefix in (str(tmp_path / "m"), fixture("mlp")):
        epoch = 3 if prefix.startswith(str(tmp_path)) else 0
        block = gluon.SymbolBlock.imports(f"{prefix}-symbol.json", ["data"],
                                          f"{prefix}-{epoch:04d}.params")
        out = block(mx.nd.array(data["x"]))
        np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-6)


def test_symbolblock_from_symbols_trains_and_composes():
    x = mx.sym.var("data")
    y = mx.sym.FullyConnected(x, num_hidden=4, name="fc")
    block = gluon.SymbolBlock(y, x)
    block.initialize()
    inp = mx.nd.ones((2, 3))
    with autograd.record():
        out = block(inp).sum()
    out.backward()
    assert sorted(block.collect_params().keys()) == ["fc_bias", "fc_weight"]
    assert block.params["fc_weight"].shape == (4, 3)
    np.testing.assert_array_equal(block.params["fc_bias"].grad().asnumpy(), [2, 2, 2, 2])
    composed = block(mx.sym.var("other"))
    assert composed.list_arguments() == ["other", "fc_weight", "fc_bias"]


def test_symbolic_call_returns_a_symbol_with_prefixed_names():
    with mx.name.NameManager():
        net = mlp()
    out = net(mx.sym.var("data"))
    assert isinstance(out, mx.sym.Symbol)
    assert out.list_arguments() == ["data", "hybridsequential0_dense0_weight",
                                    "hybridsequential0_dense0_bias",
                                    "hybridsequential0_dense1_weight",
                                    "hybridsequential0_dense1_bias"]
    assert out.name == "hybridsequential0_dense1_fwd"


def test_infer_shape_and_type_on_blocks():
    net = nn.Dense(3)
    net.infer_shape(mx.nd.ones((2, 7)))
    assert net.weight.shape == (3, 7)
    with pytest.raises(MXNetError, match="float64"):
        net.infer_type(mx.nd.ones((2, 7), dtype="float64"))  # the weight says float32
    wide = nn.Dense(3, dtype="float64")
    wide.infer_type(mx.nd.ones((2, 7), dtype="float64"))
    assert wide.weight.dtype == np.float64


def test_forward_hooks_and_handles():
    net = nn.Dense(2, in_units=2)
    net.initialize()
    calls = []
    pre = net.register_forward_pre_hook(lambda blk, inputs: calls.append(("pre", len(inputs))))
    post = net.register_forward_hook(lambda blk, inputs, out: calls.append(("post", out.shape)))
    net(mx.nd.ones((1, 2)))
    assert calls == [("pre", 1), ("post", (1, 2))]
    pre.detach()
    with post:
        net(mx.nd.ones((3, 2)))
    net(mx.nd.ones((3, 2)))
    assert calls[2:] == [("post", (3, 2))]


def test_summary_prints_mxnet_table(capsys):
    net = mlp()
    net.initialize()
    net.summary(mx.nd.ones((2, 5)))
    text = capsys.readouterr().out
    lines = text.splitlines()
    assert lines[1] == "        Layer (type)                                Output Shape         Param #"
    assert "               Input                                      (2, 5)               0" in lines
    assert "             Dense-2                                      (2, 8)              48" in lines
    assert "   Total params: 75" in lines and "Unique parameters in model: 75" in lines
    net.hybridize()
    with pytest.raises(MXNetError, match="must not be hybridized"):
        net.summary(mx.nd.ones((2, 5)))


def test_apply_cast_and_register_child():
    net = mlp()
    seen = []
    assert net.apply(lambda b: seen.append(type(b).__name__)) is net
    assert seen == ["Activation", "Dense", "Dense", "HybridSequential"]
    net.initialize()
    net.cast("float64")
    assert net(mx.nd.ones((1, 5), dtype="float64")).dtype == np.float64
    with pytest.raises(ValueError, match="Children of HybridBlock must also be HybridBlock"):
        net.register_child(nn.Sequential())
    with pytest.raises(TypeError, match="Changing attribute type"):
        net.extra = nn.Dense(1)
        net.extra = 3


def test_unregistered_block_containers_warn():
    class Holder(gluon.Block):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Dense(2)]

        def forward(self, x):
            return x
    with pytest.warns(UserWarning, match="unregistered container"):
        Holder().collect_params()


def test_sequential_slicing_len_and_multiple_outputs():
    seq = nn.Sequential()
    seq.add(nn.Dense(2, in_units=2), nn.Dense(2, in_units=2), nn.Dense(2, in_units=2))
    assert len(seq) == 3 and isinstance(seq[1], nn.Dense)
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail[0] is seq[1]
    seq.initialize()
    assert seq(mx.nd.ones((1, 2))).shape == (1, 2)
    hs = nn.HybridSequential()
    hs.add(nn.HybridLambda(lambda F, x: (x, x * 2)), nn.HybridLambda(lambda F, x, y: x + y))
    for _ in range(2):
        np.testing.assert_array_equal(hs(mx.nd.ones((2,))).asnumpy(), [3, 3])
        hs.hybridize()
    with pytest.warns(UserWarning, match="Consider using HybridSequential"):
        seq.hybridize()


def test_lambda_blocks():
    assert repr(nn.Lambda("tanh")) == "Lambda(tanh)"
    np.testing.assert_allclose(nn.Lambda("tanh")(mx.nd.ones((1,))).asnumpy(), [np.tanh(1)],
                               rtol=1e-6)
    np.testing.assert_array_equal(nn.Lambda(lambda x: x + 1)(mx.nd.ones((1,))).asnumpy(), [2])
    hl = nn.HybridLambda("relu")
    assert repr(hl) == "HybridLambda(relu)"
    hl.hybridize()
    np.testing.assert_array_equal(hl(mx.nd.array([-1, 2])).asnumpy(), [0, 2])
    with pytest.raises(MXNetError, match="not found"):
        nn.Lambda("no_such_function")


@pytest.mark.parametrize("hybridize", [False, True])
def test_concurrent_blocks_concatenate(hybridize):
    hc = HybridConcurrent(axis=1)
    hc.add(nn.Dense(2, in_units=3, weight_initializer="ones"), Identity())
    hc.initialize()
    if hybridize:
        hc.hybridize()
    out = hc(mx.nd.ones((2, 3)))
    np.testing.assert_array_equal(out.asnumpy(), [[3, 3, 1, 1, 1]] * 2)
    c = Concurrent(axis=0)
    c.add(Identity(), Identity())
    assert c(mx.nd.ones((1, 2))).shape == (2, 2)


def test_hybridized_block_retraces_for_new_shapes_and_multiple_inputs():
    class Two(gluon.HybridBlock):
        def hybrid_forward(self, F, a, b):
            return a * 2 + b, F.sum(a)
    blk = Two()
    blk.hybridize()
    for shape in ((2,), (3, 4)):
        out, total = blk(mx.nd.ones(shape), mx.nd.ones(shape))
        np.testing.assert_array_equal(out.asnumpy(), np.full(shape, 3))
        assert total.asscalar() == np.prod(shape)
    inputs, sym = blk._cached_graph
    assert [v.name for v in inputs] == ["data0", "data1"]


def test_mixed_inputs_are_rejected():
    net = nn.Dense(2, in_units=2)
    with pytest.raises(ValueError, match="mixed NDArrays and Symbols"):
        net(mx.nd.ones((1, 2)), mx.sym.var("x"))


def test_unused_parameter_warns_when_hybridizing():
    class Unused(gluon.HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.w = self.params.get("w", shape=(1,))

        def hybrid_forward(self, F, x, w):
            return x + 1
    blk = Unused()
    blk.initialize()
    blk.hybridize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        blk(mx.nd.ones((1,)))
    assert any("is not used by any computation" in str(w.message) for w in caught)
