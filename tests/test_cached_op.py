"""CachedOp: a symbol run as one recorded operation, compiled per input signature."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError


def _mlp():
    data = mx.sym.var("data")
    h = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=8, name="fc1"), act_type="tanh")
    return mx.sym.FullyConnected(h, num_hidden=3, name="fc2")


def _arrays(rs, batch=4):
    shapes = [(batch, 5), (8, 5), (8,), (3, 8), (3,)]
    return [mx.nd.array(rs.uniform(-1, 1, s)) for s in shapes]


def _imperative(arrs):
    h = mx.nd.tanh(mx.nd.FullyConnected(arrs[0], arrs[1], arrs[2], num_hidden=8))
    return mx.nd.FullyConnected(h, arrs[3], arrs[4], num_hidden=3)


def test_outputs_and_gradients_equal_imperative_autograd():
    op = mx.nd.CachedOp(_mlp())
    results = []
    for run in (op, _imperative):
        arrs = _arrays(np.random.RandomState(0))
        for a in arrs:
            a.attach_grad()
        with mx.autograd.record():
            y = run(*arrs) if run is op else run(arrs)
            loss = (y * y).sum()
        loss.backward()
        results.append([y.asnumpy()] + [a.grad.asnumpy() for a in arrs])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_program_is_compiled_once_per_input_signature():
    op = mx.nd.CachedOp(_mlp())
    rs = np.random.RandomState(1)
    op(*_arrays(rs))
    op(*_arrays(rs))
    assert len(op._programs) == 1
    op(*_arrays(rs, batch=7))
    assert len(op._programs) == 2


def test_inputs_follow_list_inputs_order_and_count_is_checked():
    sym = _mlp()
    assert sym.list_inputs() == ["data", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"]
    with pytest.raises(MXNetError, match="expected 5 inputs"):
        mx.nd.CachedOp(sym)(mx.nd.ones((4, 5)))


def test_only_recorded_variables_get_gradients():
    arrs = _arrays(np.random.RandomState(2))
    arrs[1].attach_grad()
    with mx.autograd.record():
        y = mx.nd.CachedOp(_mlp())(*arrs)
    y.backward()
    assert arrs[1].grad.shape == (8, 5) and arrs[0].grad is None


def test_output_that_is_an_input_is_copied():
    x = mx.sym.var("x")
    op = mx.nd.CachedOp(mx.sym.Group([x, x * 2]))
    a = mx.nd.ones((2,))
    same, double = op(a)
    same[:] = 5
    assert a.asnumpy().tolist() == [1, 1] and double.asnumpy().tolist() == [2, 2]


def _gate(x):
    """Push a writer of ``x`` waiting for the returned event: readers of ``x`` stay pending."""
    import threading
    gate = threading.Event()
    mx.engine.get().push(lambda: gate.wait(5), x.context, [], [x._var])
    return gate


@pytest.mark.skipif(not mx.engine.get().threaded, reason="needs a threaded engine")
def test_hybridized_call_is_pushed_to_the_engine_and_returns_at_once():
    net = mx.gluon.nn.Dense(3, in_units=4)
    net.initialize(mx.init.One())
    net.hybridize()
    x = mx.nd.ones((2, 4))
    net(x).wait_to_read()                 # compile outside the timed part
    gate = _gate(x)
    with mx.autograd.record():
        y = net(x)                         # would deadlock here if it ran in the caller
        assert y._var.pending and y.shape == (2, 3)
    y.backward()
    gate.set()
    assert y.asnumpy().tolist() == [[4.0] * 3] * 2   # ones @ ones + zero bias
    assert net.weight.grad().asnumpy().tolist() == [[2.0] * 4] * 3


_BARRIER = None


class _MeetOp(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        _BARRIER.wait()                    # both devices' programs must be running now
        self.assign(out_data[0], req[0], in_data[0])

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0])


@mx.operator.register("cached_op_test_meet")
class _MeetProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        return in_shape, in_shape, []

    def create_operator(self, ctx, shapes, dtypes):
        return _MeetOp()


@pytest.mark.skipif(mx.engine.get().__class__.__name__ != "ThreadedEngine"
                    or not mx.engine.get()._per_device, reason="needs ThreadedEnginePerDevice")
def test_hybridized_blocks_on_two_devices_run_at_the_same_time():
    import threading
    global _BARRIER
    _BARRIER = threading.Barrier(2, timeout=10)
    class Meet(mx.gluon.HybridBlock):  # data parallel: parameters on both devices
        def __init__(self):
            super().__init__()
            self.scale = self.params.get("scale", shape=(1,), init=mx.init.Constant(2.0))

        def hybrid_forward(self, F, x, scale):
            return F.Custom(F.broadcast_mul(x, scale), op_type="cached_op_test_meet")
    net = Meet()
    net.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    net.hybridize()
    xs = [mx.nd.ones((2, 2), ctx=mx.cpu(i)) for i in range(2)]
    outs = [net(x) for x in xs]           # each program waits until the other has started
    assert [o.asnumpy().tolist() for o in outs] == [[[2.0, 2.0]] * 2] * 2


def _mlp_step(retain_graph):
    """A hybridized two-layer MLP recorded and differentiated once; returns
    the loss (keeping the recorded graph alive) and the first layer's grad."""
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(512, activation="tanh"), mx.gluon.nn.Dense(512))
    net.initialize(mx.init.Xavier(), force_reinit=True)
    net.hybridize()
    x = mx.nd.array(np.random.default_rng(0).standard_normal((256, 64), np.float32))
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward(retain_graph=retain_graph)
    mx.nd.waitall()
    return net, loss


def test_retain_graph_keeps_the_program_state_for_a_second_backward():
    net, loss = _mlp_step(retain_graph=True)
    first = net[0].weight.grad().asnumpy().copy()
    loss.backward()
    np.testing.assert_array_equal(net[0].weight.grad().asnumpy(), first)
    with pytest.raises(MXNetError, match="retain_graph"):
        loss.backward()


def test_backward_without_retain_graph_releases_the_saved_activations():
    import gc
    import tracemalloc
    held = {}
    for retain in (True, False):
        _mlp_step(retain)  # compiles and warms up outside the measurement
        gc.collect()
        tracemalloc.start()
        try:
            before, _ = tracemalloc.get_traced_memory()
            net, loss = _mlp_step(retain)
            gc.collect()
            held[retain] = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        del net, loss
    # The forward pass saves the 256 x 512 float32 tanh output (512 KiB) for
    # backward; with the graph still alive only retain_graph keeps it.
    assert held[True] - held[False] >= 256 * 512 * 4 * 0.9
