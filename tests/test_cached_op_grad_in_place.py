"""A hybridized block's backward under ``autograd.backward`` replaces its
parameters' gradients (grad_req 'write') without holding the old and the new
ones at once: the old buffers go before the new gradients are computed
(``cached_op._grad_targets``). Values are those ``autograd.grad`` computes;
'add', shared parameters, views of .grad and ``autograd.grad`` keep their
meaning."""
import gc
import tracemalloc

import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, gluon
from mxnet.graph.program import Program

nd = mx.nd


def mlp(hybridize=True, width=64, grad_req="write"):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(width, activation="relu", in_units=32), gluon.nn.Dense(10, in_units=width))
    net.initialize(mx.init.Xavier())
    if grad_req != "write":
        for p in net.collect_params().values():
            p.grad_req = grad_req
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    return net


def batch(seed=0):
    rng = np.random.default_rng(seed)
    return nd.array(rng.standard_normal((16, 32))), nd.array(rng.integers(0, 10, 16))


LOSS = gluon.loss.SoftmaxCrossEntropyLoss()


def grads_by_autograd_grad(net, x, y):
    params = list(net.collect_params().values())
    with autograd.record():
        loss = LOSS(net(x), y)
    return [g.asnumpy() for g in autograd.grad(loss, [p.data() for p in params])]


def test_backward_writes_the_gradients_autograd_grad_computes():
    net = mlp()
    x, y = batch()
    for step in range(3):
        want = grads_by_autograd_grad(net, x, y)
        with autograd.record():
            loss = LOSS(net(x), y)
        loss.backward()
        for p, w in zip(net.collect_params().values(), want):
            assert p.grad().asnumpy().tobytes() == w.tobytes()
        x, y = batch(step + 1)


def test_autograd_grad_leaves_grad_alone():
    net = mlp()
    x, y = batch()
    with autograd.record():
        loss = LOSS(net(x), y)
    loss.backward()
    before = [(p.grad()._data, p.grad().asnumpy()) for p in net.collect_params().values()]
    grads_by_autograd_grad(net, *batch(1))
    for p, (buf, values) in zip(net.collect_params().values(), before):
        assert p.grad()._data is buf
        assert p.grad().asnumpy().tobytes() == values.tobytes()


def test_grad_req_add_accumulates():
    net = mlp(grad_req="add")
    x, y = batch()
    want = grads_by_autograd_grad(net, x, y)
    for _ in range(2):
        with autograd.record():
            loss = LOSS(net(x), y)
        loss.backward()
    for p, w in zip(net.collect_params().values(), want):
        np.testing.assert_allclose(p.grad().asnumpy(), 2 * w, rtol=1e-6, atol=1e-7)


def test_a_parameter_shared_by_two_calls_gets_the_sum():
    net = gluon.nn.Dense(8, in_units=8)
    net.initialize()
    net.hybridize()
    x = nd.array(np.random.default_rng(2).standard_normal((4, 8)))
    w = net.weight.data()
    with autograd.record():
        out = (net(net(x)) * net(x)).sum() + (w * w).sum()  # two CachedOp calls + imperative use
    want = autograd.grad(out, [w], retain_graph=True)[0].asnumpy()
    out.backward()
    np.testing.assert_allclose(net.weight.grad().asnumpy(), want, rtol=1e-6, atol=1e-6)


def test_a_view_of_grad_sees_the_new_gradient():
    net = mlp()
    x, y = batch()
    weight = net[1].weight
    with autograd.record():
        loss = LOSS(net(x), y)
    loss.backward()
    view = weight.grad()[1:3]
    want = grads_by_autograd_grad(net, *batch(1))[2]
    with autograd.record():
        loss = LOSS(net(batch(1)[0]), batch(1)[1])
    loss.backward()
    assert view.asnumpy().tobytes() == want[1:3].tobytes()


def test_retained_graph_backward_twice_gives_the_same_gradients():
    net = mlp()
    x, y = batch()
    with autograd.record():
        loss = LOSS(net(x), y)
    loss.backward(retain_graph=True)
    first = [p.grad().asnumpy() for p in net.collect_params().values()]
    loss.backward()
    for p, f in zip(net.collect_params().values(), first):
        assert p.grad().asnumpy().tobytes() == f.tobytes()


def test_backward_does_not_hold_old_and_new_gradients():
    """The old 1 MiB weight gradient is gone before the new one is made."""
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(512, in_units=512))
    net.initialize()
    net.hybridize(static_alloc=True, static_shape=True)
    x = nd.ones((2, 512))

    def step():
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
    tracemalloc.start()  # before the steps whose gradients the next one frees
    try:
        step()
        step()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert peak < 512 * 512 * 4 // 2


@pytest.fixture
def naive_engine():
    """Runs inline (under a threaded engine a failed run's arrays carry its error)."""
    old = mx.engine.set_engine("NaiveEngine")
    yield
    mx.engine.set_engine(old)


def test_a_failed_backward_leaves_zero_gradients(monkeypatch, naive_engine):
    net = mlp()
    x, y = batch()
    with autograd.record():
        loss = LOSS(net(x), y)
    loss.backward()

    def fail(*args, **kwargs):
        raise mx.base.MXNetError("backward failed")
    with autograd.record():
        loss = LOSS(net(x), y)
    monkeypatch.setattr(Program, "backward", fail)
    with pytest.raises(mx.base.MXNetError, match="backward failed"):
        loss.backward()
    for p in net.collect_params().values():
        g = p.grad()
        assert g.shape == p.shape and g.dtype == np.dtype(p.dtype)
        assert not g.asnumpy().any()
        g[:] = 1  # writable again
