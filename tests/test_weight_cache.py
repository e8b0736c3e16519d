"""Inference keeps folded (and oneDNN-reordered) weights between calls.

Every write of an array moves its engine var's ``version`` on; the fused
inference kernels keep what they derive from the parameters under the
parameter arrays and those versions. Unchanged parameters are not folded
or reordered again; any write (Trainer step, set_data, w[:] = ..., w += 1,
kvstore pull, in-place optimizer update) is seen by the next call.
"""
import gc
from unittest import mock

import numpy as np
import pytest

import mxnet as mx
from mxnet import engine
from mxnet.backends import dnnl
from mxnet.gluon import nn
from mxnet.ops import nn_fused

RNG = np.random.default_rng(5)
ENGINES = ["NaiveEngine", "ThreadedEnginePerDevice"]


@pytest.fixture(params=ENGINES)
def engine_type(request):
    old = engine.set_engine(request.param)
    yield request.param
    engine.set_engine(old)


def _version_after(write, arr=None):
    arr = mx.nd.ones((2, 3)) if arr is None else arr
    before = arr._var.version
    write(arr)
    arr.wait_to_read()
    mx.nd.waitall()
    return arr._var.version - before


# -- versions ----------------------------------------------------------------------------

@pytest.mark.parametrize("write", [
    lambda w: w.__setitem__(slice(None), 5.0),
    lambda w: w.__setitem__((0, 1), 2.0),
    lambda w: w.__iadd__(1),
    lambda w: mx.nd.ones((2, 3)).copyto(w),
    lambda w: mx.nd.elemwise_add(w, w, out=w),
    lambda w: mx.nd.sgd_update(w, mx.nd.ones((2, 3)), lr=0.1, out=w),
    lambda w: mx.nd.random.uniform(shape=(2, 3), out=w),
    lambda w: w.reshape((3, 2)).__setitem__(slice(None), 1.0),
], ids=["setitem", "setitem-element", "iadd", "copyto", "out", "sgd-out", "random-out",
        "through-a-view"])
def test_every_write_moves_the_version_on(engine_type, write):
    assert _version_after(write) >= 1


def test_reads_leave_the_version_alone(engine_type):
    w = mx.nd.ones((2, 3))
    assert _version_after(lambda a: (a + 1, a.sum(), a.asnumpy(), a.copy()), w) == 0


@pytest.mark.parametrize("asynchronous", [False, True])
def test_inputs_an_optimizer_updates_in_place_get_a_new_version(monkeypatch, asynchronous):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0 if asynchronous else 1 << 16)
    w, g, mom = mx.nd.ones((2, 3)), mx.nd.ones((2, 3)), mx.nd.zeros((2, 3))
    before = mom._var.version
    mx.nd.sgd_mom_update(w, g, mom, lr=0.1, momentum=0.9).wait_to_read()
    mx.nd.waitall()
    assert mom._var.version > before and mom.asnumpy()[0, 0] != 0


def test_a_kvstore_pull_moves_the_version_on(engine_type):
    kv = mx.kv.create("local")
    kv.init("w", mx.nd.full((2, 3), 7.0))
    assert _version_after(lambda w: kv.pull("w", out=w)) >= 1


def test_a_sparse_assignment_moves_the_version_on():
    rsp = mx.nd.zeros((4, 2)).tostype("row_sparse")
    assert _version_after(lambda a: a.__setitem__(slice(None), 3.0), rsp) >= 1
    dense = mx.nd.zeros((4, 2))
    assert _version_after(lambda a: a.__setitem__(slice(None), rsp), dense) >= 1


# -- the fold cache ----------------------------------------------------------------------

class _Net(nn.HybridBlock):
    """conv-bn-relu, conv-bn + shortcut, relu, dense: every fused pattern."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.c1, self.b1 = nn.Conv2D(channels, 3, padding=1, use_bias=False), nn.BatchNorm()
        self.c2, self.b2 = nn.Conv2D(channels, 3, padding=1), nn.BatchNorm()
        self.out = nn.Dense(3, activation="relu")

    def hybrid_forward(self, F, x):
        h = F.Activation(self.b1(self.c1(x)), act_type="relu")
        return self.out(F.Activation(self.b2(self.c2(h)) + x, act_type="relu"))


def _net(channels=4, size=5):
    net = _Net(channels)
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(RNG.standard_normal((2, channels, size, size)))
    net(x)
    for p in net.collect_params().values():   # statistics and scales far from 0/1
        if p.name.rsplit("_", 1)[-1] in ("gamma", "beta", "mean", "var"):
            p.set_data(mx.nd.array(RNG.uniform(0.5, 1.5, p.shape)))
    net.out.bias.set_data(mx.nd.full((3,), 5.0))  # outputs past the relu: changes show
    net.hybridize()
    return net, x


def _imperative(net, x):
    net.hybridize(False)
    try:
        return net(x).asnumpy()
    finally:
        net.hybridize()


@pytest.fixture
def folds(monkeypatch):
    """Counts batch-norm folds (one per fused node with a batch norm that folds)."""
    counter = mock.Mock(wraps=nn_fused._bn_scale_shift)
    monkeypatch.setattr(nn_fused, "_bn_scale_shift", counter)
    return counter


def test_unchanged_parameters_are_folded_once(engine_type, folds):
    net, x = _net()
    first = net(x).asnumpy()
    assert folds.call_count == 2
    for _ in range(3):
        np.testing.assert_array_equal(net(x).asnumpy(), first)
    assert folds.call_count == 2
    np.testing.assert_allclose(first, _imperative(net, x), rtol=1e-5, atol=1e-6)


def _params(net, suffix):
    return [p for n, p in net.collect_params().items() if n.endswith(suffix)]


def _trainer_step(net, x):
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward()
    trainer.step(1)


WRITES = {
    "trainer-step": _trainer_step,
    "set-data": lambda net, x: _params(net, "gamma")[0].set_data(
        mx.nd.full(_params(net, "gamma")[0].shape, 2.0)),
    "setitem-weight": lambda net, x: _params(net, "weight")[0].data().__setitem__(
        slice(None), 0.25),
    "iadd-weight": lambda net, x: _params(net, "weight")[1].data().__iadd__(1),
    "iadd-moving-var": lambda net, x: _params(net, "running_var")[1].data().__iadd__(1),
    "kvstore-pull": lambda net, x: _kv_pull(_params(net, "bias")[0].data()),
    "sgd-update-in-place": lambda net, x: mx.nd.sgd_update(
        _params(net, "weight")[0].data(), mx.nd.ones(_params(net, "weight")[0].shape),
        lr=0.1, out=_params(net, "weight")[0].data()),
}


def _kv_pull(arr):
    kv = mx.kv.create("local")
    kv.init(0, mx.nd.full(arr.shape, 3.0))
    kv.pull(0, out=arr)


@pytest.mark.parametrize("write", sorted(WRITES))
def test_any_parameter_write_is_seen_by_the_next_call(engine_type, folds, write):
    net, x = _net()
    before = net(x).asnumpy()
    net(x).wait_to_read()
    folded = folds.call_count
    WRITES[write](net, x)
    after = net(x).asnumpy()
    assert folds.call_count > folded
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, _imperative(net, x), rtol=1e-5, atol=1e-6)


def test_a_write_pushed_after_a_pending_call_is_not_seen_by_that_call():
    old = engine.set_engine("ThreadedEnginePerDevice")
    try:
        net, x = _net()
        first = net(x).asnumpy()
        w = _params(net, "weight")[0].data()
        out = net(x)      # pending (or done): it must use the weights before the write
        w[:] = 0.5
        np.testing.assert_array_equal(out.asnumpy(), first)
        np.testing.assert_allclose(net(x).asnumpy(), _imperative(net, x), rtol=1e-5,
                                   atol=1e-6)
    finally:
        engine.set_engine(old)


def test_imperative_fused_calls_keep_nothing(folds):
    x, w = mx.nd.ones((1, 2, 4, 4)), mx.nd.ones((3, 2, 3, 3))
    bn = [mx.nd.ones(3) for _ in range(4)]
    for _ in range(2):
        mx.nd._internal._sg_mkldnn_conv(x, w, *bn, kernel=(3, 3), num_filter=3, no_bias=True,
                                        with_bn=True).wait_to_read()
    assert folds.call_count == 2


def test_kept_weights_leave_with_their_parameters():
    net, x = _net()
    net(x).wait_to_read()
    weights = [id(p.data()._data) for p in _params(net, "weight")]
    assert any(k in nn_fused._derived for k in weights)
    del net
    gc.collect()
    assert not any(k in nn_fused._derived for k in weights)


needs_onednn = pytest.mark.skipif(not dnnl.available, reason="oneDNN library not found")


@needs_onednn
def test_onednn_reorders_each_weight_once(engine_type, folds, monkeypatch):
    from mxnet.backends.dnnl import primitive
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    packed = []
    pack = primitive.Primitive.pack
    monkeypatch.setattr(primitive.Primitive, "pack",
                        lambda self, arg, a: packed.append(pack(self, arg, a)) or packed[-1])
    net, x = _net(channels=16, size=24)
    with mx.backends.count_kernels() as counts:
        first = net(x).asnumpy()
    assert counts[("_sg_mkldnn_conv", "onednn")] == 2
    assert len(packed) == 2 and all(p is not None for p in packed) and folds.call_count == 2
    for _ in range(2):
        np.testing.assert_array_equal(net(x).asnumpy(), first)
    assert len(packed) == 2 and folds.call_count == 2
    _params(net, "weight")[0].data()[:] = 0.1
    changed = net(x).asnumpy()
    assert len(packed) == 3 and folds.call_count == 3
    np.testing.assert_allclose(changed, _imperative(net, x), rtol=1e-4, atol=1e-5)


def test_executor_inference_keeps_folds_until_an_argument_is_written(folds):
    data = mx.sym.var("data")
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, pad=(1, 1), name="c")
    sym = mx.sym.Activation(mx.sym.BatchNorm(conv, name="bn"), act_type="relu")
    ex = sym.simple_bind(mx.cpu(), data=(2, 3, 5, 5))
    for name, arr in ex.arg_dict.items():
        arr[:] = mx.nd.array(RNG.uniform(0.5, 1.5, arr.shape))
    for arr in ex.aux_dict.values():
        arr[:] = mx.nd.array(RNG.uniform(0.5, 1.5, arr.shape))
    first = ex.forward(is_train=False)[0].asnumpy()
    ex.forward(is_train=False)
    assert folds.call_count == 1
    ex.arg_dict["c_weight"][:] = ex.arg_dict["c_weight"] * 2 - 1
    changed = ex.forward(is_train=False)[0].asnumpy()
    assert folds.call_count == 2 and not np.allclose(changed, first)
    fresh = sym.bind(mx.cpu(), {k: v.copy() for k, v in ex.arg_dict.items()},
                     aux_states={k: v.copy() for k, v in ex.aux_dict.items()})
    np.testing.assert_allclose(changed, fresh.forward(is_train=False)[0].asnumpy(),
                               rtol=1e-5, atol=1e-5)
