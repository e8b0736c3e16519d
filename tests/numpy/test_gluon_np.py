"""Gluon under npx.set_np(): mx.np parameters and outputs, the same numbers as legacy mode,
hybridized graphs of NumPy-semantics Symbols, losses, Trainer, files, mx.sym.np/npx, and a
d2l.ai-style training program."""
import json

import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, gluon, init, npx
from mxnet.base import MXNetError
from mxnet.gluon import nn
from mxnet.numpy import ndarray as np_ndarray
from mxnet.symbol.numpy import _Symbol


@pytest.fixture
def np_mode():
    npx.set_np()
    try:
        yield
    finally:
        npx.reset_np()


def _np(a, dtype="float32"):
    return mx.nd.array(onp.asarray(a), dtype=dtype).as_np_ndarray()


def _rand(*shape, seed=0):
    return onp.random.RandomState(seed).uniform(-1, 1, shape).astype("float32")


def test_parameters_are_np_arrays_and_unknown_dims_are_minus_one(np_mode):
    layer = nn.Dense(4)
    assert layer.weight.shape == (4, -1)          # MXNet prints (4, -1) under np shape
    layer.initialize()
    layer(_np(_rand(2, 3)))
    assert layer.weight.shape == (4, 3)
    for arr in (layer.weight.data(), layer.weight.grad(), layer.bias.list_data()[0]):
        assert type(arr) is np_ndarray
    npx.reset_np()
    assert nn.Dense(4).weight.shape == (4, 0)     # legacy mode keeps 0


# (layer factory, input shape): each must give mx.np outputs equal to legacy mode's.
LAYERS = [
    (lambda: nn.Dense(5, activation="relu"), (2, 3, 4)),
    (lambda: nn.Dense(5, flatten=False, use_bias=False), (2, 3, 4)),
    (lambda: nn.Conv2D(4, 3, padding=1, activation="tanh"), (2, 3, 6, 6)),
    (lambda: nn.Conv2DTranspose(2, 2, strides=2), (2, 3, 4, 4)),
    (lambda: nn.MaxPool2D(), (2, 3, 6, 6)),
    (lambda: nn.AvgPool1D(3), (2, 3, 9)),
    (lambda: nn.GlobalAvgPool2D(), (2, 3, 4, 4)),
    (lambda: nn.BatchNorm(), (4, 3, 2, 2)),
    (lambda: nn.LayerNorm(), (2, 6)),
    (lambda: nn.InstanceNorm(), (2, 3, 5)),
    (lambda: nn.GroupNorm(num_groups=2), (2, 4, 3)),
    (lambda: nn.Dropout(0.5), (3, 4)),
    (lambda: nn.Flatten(), (2, 3, 4)),
    (lambda: nn.Activation("sigmoid"), (3, 4)),
    (lambda: nn.LeakyReLU(0.1), (3, 4)),
    (lambda: nn.PReLU(), (3, 4)),
    (lambda: nn.ELU(), (3, 4)),
    (lambda: nn.SELU(), (3, 4)),
    (lambda: nn.GELU(), (3, 4)),
    (lambda: nn.Swish(), (3, 4)),
    (lambda: nn.ReflectionPad2D(1), (1, 2, 3, 3)),
]


def _concurrent():
    net = gluon.contrib.nn.HybridConcurrent(axis=1)
    net.add(nn.Dense(2), nn.Dense(3))
    return net


LAYERS.append((_concurrent, (2, 4)))


@pytest.mark.parametrize("make, shape", LAYERS, ids=[f"layer{i}" for i in range(len(LAYERS))])
def test_layers_give_np_outputs_equal_to_legacy_mode(np_mode, make, shape):
    net = make()
    net.initialize(init.Uniform(0.5))
    x = _np(_rand(*shape) + 0.5)
    out = net(x)
    assert type(out) is np_ndarray
    npx.reset_np()
    expected = net(x.as_nd_ndarray())
    assert type(expected) is mx.nd.NDArray
    npx.set_np()
    onp.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-6, atol=1e-6)
    net.hybridize()
    hybrid = net(x)
    assert type(hybrid) is np_ndarray
    onp.testing.assert_allclose(hybrid.asnumpy(), expected.asnumpy(), rtol=1e-5, atol=1e-6)


def test_embedding_takes_np_indices(np_mode):
    net = nn.Embedding(5, 3)
    net.initialize()
    out = net(_np([[0, 4], [2, 2]]))
    assert type(out) is np_ndarray and out.shape == (2, 2, 3)
    onp.testing.assert_array_equal(out.asnumpy()[1, 0], net.weight.data().asnumpy()[2])


@pytest.mark.parametrize("hybridize", [False, True])
def test_gradients_reach_np_parameters(np_mode, hybridize):
    net = nn.HybridSequential()
    net.add(nn.Dense(4, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    net.initialize(init.Uniform(0.5))
    if hybridize:
        net.hybridize()
    x = _np(_rand(5, 3))
    with autograd.record():
        y = net(x)
    y.backward()
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    assert all(type(p.grad()) is np_ndarray for p in params)
    grads = [p.grad().asnumpy().copy() for p in params]
    npx.reset_np()
    legacy = nn.HybridSequential()
    legacy.add(nn.Dense(4, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    legacy.initialize()
    legacy(x.as_nd_ndarray())
    for mine, theirs in zip(net.collect_params().values(), legacy.collect_params().values()):
        theirs.set_data(mine.data().as_nd_ndarray())
    with autograd.record():
        y2 = legacy(x.as_nd_ndarray())
    y2.backward()
    theirs = [p for p in legacy.collect_params().values() if p.grad_req != "null"]
    for mine, other in zip(grads, theirs):
        onp.testing.assert_allclose(mine, other.grad().asnumpy(), rtol=1e-5, atol=1e-6)


def test_block_output_must_be_np_under_set_np(np_mode):
    class Legacy(gluon.Block):
        def forward(self, x):
            return x.as_nd_ndarray()

    with pytest.raises(TypeError, match="mxnet.numpy.ndarray"):
        Legacy()(_np([1.0]))
    npx.reset_np()
    assert type(Legacy()(_np([1.0]))) is mx.nd.NDArray  # no check outside np mode


class _NpBlock(gluon.HybridBlock):
    """A block written the np way: F.np / F.npx and ndarray operators."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get("w", shape=(3, 4), init=init.Uniform(0.5))

    def hybrid_forward(self, F, x, w):
        return F.npx.relu(F.np.dot(x, w)) * 2 + 1


def test_np_style_hybrid_forward_imperative_and_hybridized(np_mode):
    net = _NpBlock()
    net.initialize()
    x = _np(_rand(2, 3))
    expected = onp.maximum(_rand(2, 3) @ net.w.data().asnumpy(), 0) * 2 + 1
    out = net(x)
    assert type(out) is np_ndarray
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)
    net.hybridize()
    with autograd.record():
        hybrid = net(x)
    hybrid.backward()
    assert type(hybrid) is np_ndarray and type(net.w.grad()) is np_ndarray
    onp.testing.assert_allclose(hybrid.asnumpy(), expected, rtol=1e-6)
    mask = (_rand(2, 3) @ net.w.data().asnumpy()) > 0
    onp.testing.assert_allclose(net.w.grad().asnumpy(), _rand(2, 3).T @ (2.0 * mask),
                                rtol=1e-5, atol=1e-6)
    inputs, graph = net._cached_graph
    assert isinstance(graph, _Symbol) and all(isinstance(v, _Symbol) for v in inputs)


# (loss, inputs): under np each loss gives the numbers it gives in legacy mode.
_PRED, _LABEL = _rand(4, 3), onp.array([0, 2, 1, 1], "float32")
LOSSES = [
    (gluon.loss.L2Loss(), [_PRED, _rand(4, 3, seed=1)]),
    (gluon.loss.L1Loss(), [_PRED, _rand(4, 3, seed=1)]),
    (gluon.loss.SoftmaxCrossEntropyLoss(), [_PRED, _LABEL]),
    (gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False), [_PRED, abs(_rand(4, 3, seed=2))]),
    (gluon.loss.SigmoidBinaryCrossEntropyLoss(), [_PRED, (_rand(4, 3, seed=1) > 0) * 1.0]),
    (gluon.loss.KLDivLoss(), [_PRED, abs(_rand(4, 3, seed=1))]),
    (gluon.loss.HuberLoss(), [_PRED, _rand(4, 3, seed=1)]),
    (gluon.loss.HingeLoss(), [_PRED, onp.sign(_rand(4, 3, seed=1))]),
    (gluon.loss.LogisticLoss(), [_PRED, onp.sign(_rand(4, 3, seed=1))]),
    (gluon.loss.TripletLoss(), [_PRED, _rand(4, 3, seed=1), _rand(4, 3, seed=2)]),
    (gluon.loss.CosineEmbeddingLoss(), [_PRED, _rand(4, 3, seed=1), onp.array([1, -1, 1, 1])]),
    (gluon.loss.PoissonNLLLoss(), [_PRED, abs(_rand(4, 3, seed=1))]),
    (gluon.loss.SquaredHingeLoss(), [_PRED, onp.sign(_rand(4, 3, seed=1))]),
    (gluon.loss.CTCLoss(), [abs(_rand(2, 5, 4)), onp.array([[1, 2], [1, 0]], "float32")]),
    (gluon.loss.SDMLLoss(), [_PRED, _rand(4, 3, seed=1)]),
]


@pytest.mark.parametrize("loss, inputs", LOSSES, ids=[type(l).__name__ for l, _ in LOSSES])
def test_losses_on_np_arrays(np_mode, loss, inputs):
    arrays = [_np(a) for a in inputs]
    out = loss(*arrays)
    assert type(out) is np_ndarray
    npx.reset_np()
    expected = loss(*[a.as_nd_ndarray() for a in arrays])
    onp.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-6, atol=1e-7)


def test_save_load_parameters_export_and_imports(np_mode, tmp_path):
    net = nn.HybridSequential()
    net.add(nn.Dense(4, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    net.initialize(init.Uniform(0.5))
    net.hybridize()
    x = _np(_rand(3, 5))
    expected = net(x).asnumpy()
    net.save_parameters(str(tmp_path / "net.params"))
    # NumPy-shape records (magic 0xF993FACA), as MXNet's npx.save writes them
    assert (tmp_path / "net.params").read_bytes().count(b"\xca\xfa\x93\xf9") == 8
    again = nn.HybridSequential()
    again.add(nn.Dense(4, activation="relu"), nn.BatchNorm(), nn.Dense(2))
    again.load_parameters(str(tmp_path / "net.params"), ctx=mx.current_context())
    assert type(again[0].weight.data()) is np_ndarray
    onp.testing.assert_allclose(again(x).asnumpy(), expected, rtol=1e-6)
    net.export(str(tmp_path / "net"))
    nodes = json.loads((tmp_path / "net-symbol.json").read_text())["nodes"]
    assert [n["op"] for n in nodes if n["op"] != "null"] == \
        ["FullyConnected", "Activation", "BatchNorm", "FullyConnected"]   # as MXNet 1.9.1
    block = gluon.SymbolBlock.imports(str(tmp_path / "net-symbol.json"), ["data"],
                                      str(tmp_path / "net-0000.params"), mx.current_context())
    out = block(x)
    assert type(out) is np_ndarray
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)


def test_split_and_load_and_dataloader_give_np_arrays(np_mode):
    parts = gluon.utils.split_and_load(_rand(4, 2), [mx.cpu(0), mx.cpu(1)])
    assert [type(p) for p in parts] == [np_ndarray, np_ndarray]
    for axis in (0, 1):
        parts = gluon.utils.split_data(_np(_rand(4, 4)), 2, batch_axis=axis)
        assert [type(p) for p in parts] == [np_ndarray, np_ndarray]
        onp.testing.assert_array_equal(parts[1].asnumpy(), onp.split(_rand(4, 4), 2, axis)[1])
    # host samples: worker processes cannot share a GPU's arrays
    dataset = gluon.data.ArrayDataset(_rand(6, 2), onp.arange(6))
    for workers in (0, 1):
        data, label = next(iter(gluon.data.DataLoader(dataset, batch_size=3,
                                                      num_workers=workers)))
        assert type(data) is np_ndarray and type(label) is np_ndarray
        assert data.shape == (3, 2) and label.shape == (3,)


def test_sym_np_and_npx_namespaces():
    assert mx.nd.np is mx.np and mx.nd.npx is mx.npx
    x = mx.sym.var("x").as_np_ndarray()
    w = mx.sym.var("w").as_np_ndarray()
    assert type(x) is _Symbol and type(x.as_nd_ndarray()) is mx.sym.Symbol
    y = mx.sym.npx.relu(mx.sym.np.dot(x, w) + 1)
    assert type(y) is _Symbol and y.list_outputs() == ["relu0_output"]
    assert y.infer_shape(x=(2, 3), w=(3, 4))[1] == [(2, 4)]
    fc = mx.sym.npx.fully_connected(x, w, num_hidden=3, no_bias=True, name="fc")
    assert type(fc) is _Symbol and '"op": "FullyConnected"' in fc.tojson()
    assert mx.sym.npx.reshape(x, (-5,)).infer_shape(x=(2, 3))[1] == [(6,)]
    assert x.T.infer_shape(x=(2, 3))[1] == [(3, 2)]
    assert type(2 - x) is _Symbol and type(x * x) is _Symbol
    eye = mx.sym.np.eye(2)  # no input: still a graph node
    assert type(eye) is _Symbol and eye.infer_shape()[1] == [(2, 2)]
    with pytest.raises(MXNetError, match="Symbol input"):
        mx.sym.np.allclose(1.0, 1.0)  # computed on the host, not a graph node


def test_d2l_style_training(np_mode, tmp_path):
    from mxnet import np
    rs = onp.random.RandomState(0)
    centers = rs.normal(0, 3, (3, 8))
    labels = rs.randint(0, 3, 300)
    features = (centers[labels] + rs.normal(0, 1, (300, 8))).astype("float32")
    X, y = np.array(features), np.array(labels.astype("float32"))
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(X, y), batch_size=50, shuffle=True)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    for hybridize in (False, True):
        net = nn.HybridSequential()
        net.add(nn.Dense(16, activation="relu"), nn.Dense(3))
        net.initialize(init.Normal(0.01))
        if hybridize:
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.3})
        for _ in range(4):
            for xb, yb in loader:
                with autograd.record():
                    l = loss(net(xb), yb)
                l.backward()
                trainer.step(xb.shape[0])
        predicted = net(X)
        assert type(predicted) is np_ndarray
        accuracy = (predicted.asnumpy().argmax(axis=1) == labels).mean()
        assert accuracy > 0.95, (hybridize, accuracy)
        path = str(tmp_path / f"net{int(hybridize)}.params")
        net.save_parameters(path)
        copy = nn.HybridSequential()
        copy.add(nn.Dense(16, activation="relu"), nn.Dense(3))
        copy.load_parameters(path, ctx=mx.current_context())
        onp.testing.assert_allclose(copy(X).asnumpy(), predicted.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("key", [0, -1, slice(1, None), (slice(None), 0), (1, 2),
                                 (slice(None, None, -1), slice(1, 3)), (-2,)])
def test_np_symbol_basic_indexing_infers_shapes(key):
    x = mx.sym.var("x").as_np_ndarray()
    data = onp.arange(12.0, dtype="float32").reshape(3, 4)
    out = x[key]
    assert type(out) is _Symbol
    assert out.infer_shape(x=(3, 4))[1] == [data[key].shape]
    result = out.bind(mx.current_context(), {"x": mx.nd.array(data)}).forward()[0].asnumpy()
    onp.testing.assert_array_equal(result, data[key])


class _Centered(nn.HybridBlock):
    def hybrid_forward(self, F, x):
        return x - x.mean()


class _Softmaxish(nn.HybridBlock):
    """NumPy-style code: methods, indexing, reshape, T, astype, ** and F.np/F.npx."""

    def hybrid_forward(self, F, x):
        e = F.np.exp(x - x.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        y = F.np.concatenate([p, x.reshape(-1, 4)[:, :2] * 0.5], axis=1)
        z = F.npx.softmax(y, axis=-1) + y.T.T
        return F.np.tanh(z).astype("float32") ** 2 + F.npx.sigmoid(z[0])


@pytest.mark.parametrize("make", [_Centered, _NpBlock, _Softmaxish])
def test_np_style_blocks_same_values_and_gradients_hybridized(np_mode, make):
    net = nn.HybridSequential()
    net.add(make())
    net.initialize(init.Uniform(0.5))
    x = _np(_rand(3, 3) if make is _NpBlock else _rand(2, 4))
    x.attach_grad()
    results = []
    for hybridize in (False, True):
        net.hybridize(hybridize)
        with autograd.record():
            out = net(x)
        out.backward()
        assert type(out) is np_ndarray
        results.append((out.asnumpy(), x.grad.asnumpy().copy()))
    for imperative, hybrid in zip(*results):
        onp.testing.assert_allclose(hybrid, imperative, rtol=1e-5, atol=1e-6)


FIXTURES = __import__("pathlib").Path(__file__).parent.parent / "fixtures" / "gluon_np"


class _FixtureModel(gluon.HybridBlock):
    """tools/make_fixtures_gluon_np.py's model: layers and NumPy-style code."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(4, in_units=3)
            self.norm = nn.BatchNorm(in_channels=4)
            self.w = self.params.get("w", shape=(4, 2), init=init.Uniform(0.5))

    def hybrid_forward(self, F, x, w):
        h = self.norm(self.dense(x))
        return F.npx.relu(F.np.dot(h, w)) * 2 + h.sum(axis=1, keepdims=True)


def test_mxnet_np_model_files_load_and_save_byte_identical(np_mode, tmp_path):
    io = onp.load(FIXTURES / "io.npz")
    x = _np(io["x"])
    net = _FixtureModel(prefix="model_")
    net.load_parameters(str(FIXTURES / "model.params"), ctx=mx.current_context())
    net.hybridize()
    out = net(x)
    assert type(out) is np_ndarray
    onp.testing.assert_allclose(out.asnumpy(), io["y"], rtol=1e-5, atol=1e-6)
    net.save_parameters(str(tmp_path / "model.params"))
    assert (tmp_path / "model.params").read_bytes() == (FIXTURES / "model.params").read_bytes()
    net.export(str(tmp_path / "model"))
    assert (tmp_path / "model-0000.params").read_bytes() == \
        (FIXTURES / "model-0000.params").read_bytes()
    block = gluon.SymbolBlock.imports(str(FIXTURES / "model-symbol.json"), ["data"],
                                      str(FIXTURES / "model-0000.params"), mx.current_context())
    onp.testing.assert_allclose(block(x).asnumpy(), io["y"], rtol=1e-5, atol=1e-6)


def test_np_symbol_methods_are_mx_np_functions():
    x = mx.sym.var("x").as_np_ndarray()
    data = _rand(2, 3)
    cases = [(x.sum(axis=0), data.sum(axis=0)), (x.mean(), data.mean()),
             (x.max(axis=1), data.max(axis=1)), (abs(x), abs(data)), (-x, -data),
             (x.astype("float64"), data.astype("float64")), (1 - x, 1 - data),
             (x.reshape(3, 2).transpose(), data.reshape(3, 2).T), (x ** 2, data ** 2)]
    for sym, expected in cases:
        assert type(sym) is _Symbol
        out = sym.bind(mx.current_context(), {"x": mx.nd.array(data)}).forward()[0]
        assert out.dtype == expected.dtype
        onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-6)
    assert type((x > 0)) is _Symbol
    assert type(list(mx.sym.np.split(x, 3, axis=1))[0]) is _Symbol


def test_shared_parameters_with_unknown_sizes(np_mode):
    shared = nn.Dense(8, activation="relu")
    net = nn.Sequential()
    net.add(nn.Dense(8, activation="relu"), shared,
            nn.Dense(8, activation="relu", params=shared.params), nn.Dense(10))
    net.initialize()
    assert shared.weight.shape == (8, -1)
    assert net(_np(_rand(2, 20))).shape == (2, 10)
    assert net[1].weight is net[2].weight and net[1].weight.shape == (8, 8)
    assert nn.Dense(3, in_units=4).params.get("weight", shape=(3, -1)).shape == (3, 4)


def test_sym_np_linalg_and_random_build_np_symbols():
    x = mx.sym.var("x").as_np_ndarray()
    norm = mx.sym.np.linalg.norm(x)
    assert type(norm) is _Symbol and norm.infer_shape(x=(2, 3))[1] == [()]
    data = _rand(2, 3)
    value = norm.bind(mx.current_context(), {"x": mx.nd.array(data)}).forward()[0]
    onp.testing.assert_allclose(value.asnumpy(), onp.linalg.norm(data), rtol=1e-6)
    draws = mx.sym.np.random.uniform(x, 2.0)
    assert type(draws) is _Symbol and draws.infer_shape(x=(2, 3))[1] == [(2, 3)]
    sampled = mx.sym.np.random.uniform(size=(2,))
    assert type(sampled) is _Symbol and sampled.infer_shape()[1] == [(2,)]
    with pytest.raises(AttributeError):
        mx.sym.np.no_such_function
