"""gluon.nn layers against MXNet 1.9.1 fixtures (tools/make_fixtures_gluon_nn.py).

Every layer case of the fixture runs imperatively and hybridized from the
same parameters as MXNet's run and must give MXNet's outputs, input and
parameter gradients, BatchNorm moving statistics after a training step and
inference outputs; names, shapes, reprs and traced graphs must be MXNet's.
"""
import json
import os
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, gluon
from mxnet.base import MXNetError
from mxnet.gluon import nn
from mxnet.gluon.contrib import nn as contrib_nn

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "gluon_nn")


def fixture(name):
    return os.path.join(FIXTURES, name)


with open(fixture("layers.json")) as _f:
    CASES = json.load(_f)
ARRAYS = np.load(fixture("layers.npz"))
NUMERIC = sorted(name for name, case in CASES.items() if case["numeric"])


def tuples(value):
    if isinstance(value, list):
        return tuple(tuples(v) for v in value)
    return value


def build(case):
    module, name = case["cls"].split(".")
    layer = getattr(nn if module == "nn" else contrib_nn, name)
    kwargs = {k: tuples(v) for k, v in case["kwargs"].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return layer(*tuples(case["args"]), **kwargs)


def case_arrays(name):
    prefix = name + "/"
    return {k[len(prefix):]: ARRAYS[k] for k in ARRAYS.files if k.startswith(prefix)}


def assert_close(actual, expected, what):
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=what)


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_names_shapes_and_reprs_match_mxnet(name):
    case = CASES[name]
    with mx.name.NameManager():
        net = build(case)
        assert net.prefix == case["prefix"]
        assert [[k, list(p.shape), p.grad_req] for k, p in net.collect_params().items()] == \
            case["params"]
        assert repr(net) == case["repr"]
        net.initialize()
        x = mx.nd.zeros(tuple(case["shape"]))
        net(x)
        assert repr(net) == case["repr_after"]
        assert {k: list(p.shape) for k, p in net.collect_params().items()} == \
            case["shapes_after"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_traced_graph_matches_mxnet(name):
    """Operators, node names and attributes of ``layer(mx.sym.var('data'))``
    (what ``export`` writes)."""
    with mx.name.NameManager():
        net = build(CASES[name])
        sym = net(mx.sym.var("data"))
    nodes = [[n["op"], n["name"], n.get("attrs", {})] for n in json.loads(sym.tojson())["nodes"]
             if n["op"] != "null"]
    assert nodes == CASES[name]["graph"]


def load_case_params(net, name):
    """Set the parameters MXNet's run started from (``layers.params``)."""
    saved = mx.nd.load(fixture("layers.params"))
    for key, p in net._collect_params_with_prefix().items():
        p.set_data(saved[f"{name}.{key}"])


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("name", NUMERIC)
def test_layer_training_step_matches_mxnet(name, hybridize):
    want = case_arrays(name)
    net = build(CASES[name])
    net.initialize()
    x = mx.nd.array(want["x"])
    net(x)
    load_case_params(net, name)
    if hybridize:
        net.hybridize()
    if "dx" in want:
        x.attach_grad()
    with autograd.record():
        y = net(x)
    y.backward(mx.nd.array(want["dy"]))
    assert_close(y.asnumpy(), want["y"], "output")
    if "dx" in want:
        assert_close(x.grad.asnumpy(), want["dx"], "input gradient")
    for key, p in net._collect_params_with_prefix().items():
        if f"grad.{key}" in want:
            assert_close(p.grad().asnumpy(), want[f"grad.{key}"], f"gradient of {key}")
        assert_close(p.data().asnumpy(), want[f"after.{key}"], f"{key} after the step")
    assert_close(net(x).asnumpy(), want["y_eval"], "inference output")


# -- channels-last layouts (MXNet 1.9.1 cannot run them on CPU) -----------------------------
@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("last_cls, first_cls, kwargs, x_shape", [
    (nn.Conv2D, nn.Conv2D, {"channels": 4, "kernel_size": 3, "padding": (1, 0), "groups": 2,
                            "strides": (2, 1)}, (2, 4, 6, 5)),
    (nn.Conv3D, nn.Conv3D, {"channels": 3, "kernel_size": 2, "dilation": (1, 2, 1)},
     (1, 2, 4, 5, 3)),
    (nn.Conv2DTranspose, nn.Conv2DTranspose,
     {"channels": 4, "kernel_size": 3, "strides": 2, "output_padding": 1, "groups": 2,
      "in_channels": 2}, (2, 2, 3, 4)),
    (nn.Conv3DTranspose, nn.Conv3DTranspose, {"channels": 2, "kernel_size": (2, 1, 2)},
     (1, 3, 2, 3, 2)),
])
def test_channels_last_convolution_equals_channels_first(last_cls, first_cls, kwargs,
                                                         x_shape, hybridize):
    """NHWC/NDHWC layers (weights with the channel axis last) compute the
    NCHW/NCDHW result, transposed."""
    ndim = len(x_shape)
    first = first_cls(layout="NCHW" if ndim == 4 else "NCDHW", **kwargs)
    last = last_cls(layout="NHWC" if ndim == 4 else "NDHWC", **kwargs)
    to_last = (0,) + tuple(range(2, ndim)) + (1,)
    to_first = (0, ndim - 1) + tuple(range(1, ndim - 1))
    x = mx.nd.random.uniform(-1, 1, x_shape)
    first.initialize()
    first(x)
    last.initialize()
    last(x.transpose(to_last))
    last.weight.set_data(first.weight.data().transpose(to_last))
    last.bias.set_data(first.bias.data())
    if hybridize:
        last.hybridize()
    xl = x.transpose(to_last)
    xl.attach_grad()
    with autograd.record():
        y = last(xl)
    y.backward()
    x.attach_grad()
    with autograd.record():
        expected = first(x)
    expected.backward()
    assert_close(y.transpose(to_first).asnumpy(), expected.asnumpy(), "output")
    assert_close(xl.grad.transpose(to_first).asnumpy(), x.grad.asnumpy(), "input gradient")
    assert_close(last.weight.grad().transpose(to_first).asnumpy(),
                 first.weight.grad().asnumpy(), "weight gradient")


# -- Dropout -------------------------------------------------------------------------------
def test_dropout_zeroes_a_fraction_and_rescales_in_training_only():
    layer = nn.Dropout(0.25)
    x = mx.nd.ones((200, 100))
    with autograd.record():
        y = layer(x).asnumpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert (layer(x).asnumpy() == 1).all()


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_dropout_axes_share_one_draw_along_them(hybridize):
    layer = nn.Dropout(0.5, axes=(1,))
    if hybridize:
        layer.hybridize()
    with autograd.record():
        y = layer(mx.nd.ones((50, 8))).asnumpy()
    assert (y == y[:, :1]).all() and 0 < (y[:, 0] == 0).sum() < 50


def test_dropout_rate_zero_is_identity_in_training():
    with autograd.record():
        y = nn.Dropout(0)(mx.nd.arange(6))
    assert (y.asnumpy() == np.arange(6)).all()


# -- whole networks --------------------------------------------------------------------------
class LeNet(gluon.HybridBlock):
    """Same structure as the fixture script's LeNet."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential()
            self.features.add(nn.Conv2D(6, 3, padding=1, activation="relu"),
                              nn.MaxPool2D(),
                              nn.Conv2D(8, 3),
                              nn.BatchNorm(),
                              nn.Activation("relu"),
                              nn.AvgPool2D(2, 1))
            self.flat = nn.Flatten()
            self.fc1 = nn.Dense(16, activation="tanh")
            self.fc2 = nn.Dense(4)

    def hybrid_forward(self, F, x):
        return self.fc2(self.fc1(self.flat(self.features(x))))


class ResBlock(gluon.HybridBlock):
    """Same structure as the fixture script's ResBlock."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(channels, 3, strides=2, padding=1, use_bias=False),
                          nn.BatchNorm(), nn.Activation("relu"),
                          nn.Conv2D(channels, 3, padding=1, use_bias=False), nn.BatchNorm())
            self.down = nn.HybridSequential()
            self.down.add(nn.Conv2D(channels, 1, strides=2, use_bias=False), nn.BatchNorm())
            self.pool = nn.GlobalAvgPool2D()
            self.out = nn.Dense(3)

    def hybrid_forward(self, F, x):
        y = F.Activation(self.body(x) + self.down(x), act_type="relu")
        return self.out(self.pool(y))


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("key, make", [("lenet", LeNet), ("resblock", lambda: ResBlock(4))])
def test_network_training_matches_mxnet_step_by_step(key, make, hybridize):
    """Three SGD-momentum steps from MXNet's saved initial weights: same
    losses, weights and BatchNorm statistics, same inference output."""
    want = np.load(fixture("nets.npz"))
    net = make()
    net.load_parameters(fixture(f"{key}.params"))
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1,
                                                          "momentum": 0.9})
    x, label = mx.nd.array(want[f"{key}/x"]), mx.nd.array(want[f"{key}/label"])
    losses = []
    for _ in range(3):
        with autograd.record():
            loss = -mx.nd.pick(mx.nd.log_softmax(net(x)), label)
        loss.backward()
        trainer.step(x.shape[0])
        losses.append(float(loss.sum().asscalar()))
    np.testing.assert_allclose(losses, want[f"{key}/losses"], rtol=1e-4)
    for name, p in net._collect_params_with_prefix().items():
        assert_close(p.data().asnumpy(), want[f"{key}/after.{name}"], name)
    assert_close(net(x).asnumpy(), want[f"{key}/y_eval"], "inference output")


# -- construction details and errors --------------------------------------------------------
def test_layers_defined_in_mxnet_basic_layers_are_importable_from_there():
    from mxnet.gluon.nn import basic_layers
    for name in ("Dropout", "BatchNorm", "BatchNormReLU", "InstanceNorm", "LayerNorm",
                 "GroupNorm", "Embedding", "Flatten", "Activation"):
        assert getattr(basic_layers, name) is getattr(nn, name)


def test_batchnorm_stays_float32_when_cast_to_float16():
    net = nn.HybridSequential()
    net.add(nn.Dense(3, in_units=2), nn.BatchNorm(in_channels=3))
    net.initialize()
    net.cast("float16")
    assert np.dtype(net[0].weight.dtype) == np.float16
    assert all(np.dtype(p.dtype) == np.float32 for p in net[1].params.values())
    assert all(p.data().dtype == np.float32 for p in net[1].params.values())
    assert net(mx.nd.ones((2, 2), dtype="float16")).dtype == np.float16


def test_embedding_sparse_grad_makes_a_row_sparse_gradient():
    layer = nn.Embedding(10, 3, sparse_grad=True)
    layer.initialize()
    x = mx.nd.array([1, 4, 1])
    with autograd.record():
        y = layer(x)
    y.backward()
    grad = layer.weight.grad()
    assert grad.stype == "row_sparse"
    expected = np.zeros((10, 3), np.float32)
    expected[1], expected[4] = 2, 1
    assert (grad.asnumpy() == expected).all()


def test_prelu_and_conv_initializers_are_used():
    prelu = nn.PReLU(alpha_initializer=mx.init.Constant(0.1), in_channels=2)
    conv = nn.Conv2D(2, 1, in_channels=1, weight_initializer="ones", bias_initializer="ones")
    prelu.initialize()
    conv.initialize()
    assert (prelu.alpha.data().asnumpy() == np.float32(0.1)).all()
    assert (conv.weight.data().asnumpy() == 1).all() and (conv.bias.data().asnumpy() == 1).all()


def test_conv_activation_child_is_named_after_the_activation():
    with mx.name.NameManager():
        conv = nn.Conv2D(2, 3, activation="relu")
    assert conv.act.prefix == "conv0_relu_"


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Conv1D(2, 3, layout="NWC"), "layout"),
    (lambda: nn.Conv2D(2, 3, layout="NCWH"), "layout"),
    (lambda: nn.Conv1DTranspose(2, 3, layout="NWC"), "layout"),
    (lambda: nn.MaxPool1D(layout="NCHW"), "layout"),
    (lambda: nn.GlobalAvgPool2D(layout="NCW"), "layout"),
    (lambda: nn.Conv2D(2, (3, 3, 3)), "kernel_size"),
    (lambda: nn.Conv3DTranspose(2, 3, output_padding=(1, 1)), "output_padding"),
    (lambda: nn.AvgPool2D(pool_size=(2, 2, 2)), "pool_size"),
    (lambda: nn.Conv2DTranspose(4, 3, groups=2), "in_channels"),
    (lambda: nn.LeakyReLU(-0.1), "alpha"),
    (lambda: nn.ReflectionPad2D((1, 2)), "padding"),
])
def test_bad_layer_arguments_raise_mxnet_error(make, message):
    with pytest.raises(MXNetError, match=message):
        make()


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_input_with_wrong_channel_count_raises_mxnet_error(hybridize):
    conv = nn.Conv2D(2, 3, in_channels=3)
    conv.initialize()
    if hybridize:
        conv.hybridize()
    with pytest.raises(MXNetError):
        conv(mx.nd.ones((1, 4, 5, 5))).wait_to_read()


def test_exported_network_reloads_with_its_batchnorm_statistics(tmp_path):
    """``export`` writes the moving statistics as aux states; SymbolBlock.imports
    gives the same inference output."""
    want = np.load(fixture("nets.npz"))
    net = ResBlock(4)
    net.load_parameters(fixture("resblock.params"))
    net.hybridize()
    x = mx.nd.array(want["resblock/x"])
    expected = net(x).asnumpy()
    net.export(str(tmp_path / "res"))
    saved = mx.nd.load(str(tmp_path / "res-0000.params"))
    assert sum(k.startswith("aux:") and k.endswith(("running_mean", "running_var"))
               for k in saved) == 6
    loaded = gluon.SymbolBlock.imports(str(tmp_path / "res-symbol.json"), ["data"],
                                       str(tmp_path / "res-0000.params"))
    assert_close(loaded(x).asnumpy(), expected, "reloaded output")
