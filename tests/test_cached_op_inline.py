"""Under a threaded engine a CachedOp run goes inline in the caller when it is
small, its inputs are idle and the op is used on one device; otherwise it is
pushed to the engine. Either way the results are the same."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.ndarray import invoke


@pytest.fixture
def pushes(monkeypatch):
    """Names of the CachedOp runs pushed to a fresh ThreadedEnginePerDevice
    (with the default inline size, whatever MXNET_ENGINE_ASYNC_MIN_SIZE says)."""
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 1 << 20)
    old = mx.engine.set_engine("ThreadedEnginePerDevice")
    eng = mx.engine.get()
    names = []
    real_push = eng.push

    def push(fn, ctx, read_vars=(), write_vars=(), name=None):
        if name in ("_CachedOp", "_backward_CachedOp"):
            names.append(name)
        return real_push(fn, ctx, read_vars, write_vars, name)
    monkeypatch.setattr(eng, "push", push)
    yield names
    mx.engine.set_engine(old)


def _net():
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(6, activation="relu"), mx.gluon.nn.BatchNorm(),
            mx.gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True, static_shape=True)
    return net


def _step(net, x):
    """One recorded forward and backward; the output and the gradients."""
    with mx.autograd.record():
        y = net(x)
        loss = (y * y).sum()
    loss.backward()
    return [y.asnumpy()] + [p.grad().asnumpy() for p in net.collect_params().values()
                            if p.grad_req != "null"]


def test_a_block_on_one_device_runs_inline_from_the_first_run(pushes):
    net, x = _net(), mx.nd.ones((4, 5))
    _step(net, x)
    assert pushes == []
    with mx.autograd.record():
        y = net(x)
        assert not y._var.pending      # computed before the call returned
    y.backward()
    assert pushes == []


def test_inline_and_pushed_runs_give_equal_results(pushes, monkeypatch):
    x = mx.nd.array(np.random.RandomState(0).uniform(-1, 1, (4, 5)))
    mx.random.seed(1)
    net = _net()
    _step(net, x)
    inline = _step(net, x)
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)   # everything is pushed
    mx.random.seed(1)
    net = _net()
    _step(net, x)
    del pushes[:]
    pushed = _step(net, x)
    assert pushes == ["_CachedOp", "_backward_CachedOp"]
    for a, b in zip(inline, pushed):
        np.testing.assert_array_equal(a, b)


def test_runs_with_large_inputs_are_pushed(pushes, monkeypatch):
    net, x = _net(), mx.nd.ones((4, 5))
    _step(net, x)
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 20)  # the input alone has 20 elements
    del pushes[:]
    _step(net, x)
    assert pushes == ["_CachedOp", "_backward_CachedOp"]


def test_an_op_used_on_two_devices_is_always_pushed(pushes):
    net = _net()
    net.collect_params().reset_ctx([mx.cpu(0), mx.cpu(1)])
    xs = [mx.nd.ones((4, 5), ctx=mx.cpu(i)) for i in range(2)]
    for x in xs:  # first runs too: parameters on two devices mean data parallelism
        net(x).wait_to_read()
    assert pushes == ["_CachedOp", "_CachedOp"]
    del pushes[:]
    for x in xs:
        net(x).wait_to_read()
    assert pushes == ["_CachedOp", "_CachedOp"]


def test_inline_training_run_marks_the_moving_statistics_written(pushes):
    net, x = _net(), mx.nd.ones((4, 5))
    _step(net, x)
    moving_mean = net[1].running_mean.data()
    before = moving_mean._var.version
    del pushes[:]
    _step(net, x)
    assert pushes == [] and moving_mean._var.version == before + 1


def test_a_bare_cached_op_pushes_its_first_run(pushes):
    data = mx.sym.var("data")
    op = mx.nd.CachedOp(mx.sym.FullyConnected(data, num_hidden=3, no_bias=True, name="fc"))
    x, w = mx.nd.ones((4, 5)), mx.nd.ones((3, 5))
    op(x, w).wait_to_read()
    assert pushes == ["_CachedOp"]
    del pushes[:]
    op(x, w).wait_to_read()
    assert pushes == []
