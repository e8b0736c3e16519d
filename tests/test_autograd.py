"""mx.autograd: recording, backward, grad, higher order, Function, modes."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet.base import MXNetError


def test_backward_writes_gradients_into_attached_buffers():
    x = mx.nd.array([[1, 2], [3, 4]])
    x.attach_grad()
    with autograd.record():
        y = (x * x + x).sum()
    y.backward()
    assert x.grad.asnumpy().tolist() == [[3, 5], [7, 9]]


def test_grad_req_write_overwrites_and_add_accumulates():
    for req, expected in [("write", [2.0, 4.0]), ("add", [4.0, 8.0])]:
        x = mx.nd.array([1.0, 2.0])
        x.attach_grad(grad_req=req)
        for _ in range(2):
            with autograd.record():
                y = x * x
            y.backward()
        assert x.grad.asnumpy().tolist() == expected


def test_variable_used_twice_gets_summed_gradient():
    x = mx.nd.array([3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x + x
    y.backward()
    assert x.grad.asscalar() == pytest.approx(28.0)


def test_head_gradients_scale_the_result():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * 3
    y.backward(mx.nd.array([10.0, 100.0]))
    assert x.grad.asnumpy().tolist() == [30, 300]


def test_backward_twice_needs_retain_graph():
    x = mx.nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        y = x * 2
    y.backward(retain_graph=True)
    y.backward()
    with pytest.raises(MXNetError, match="retain_graph"):
        y.backward()


def test_backward_of_unrecorded_array_is_a_clear_error():
    with pytest.raises(MXNetError, match="record"):
        mx.nd.ones((2,)).backward()


def test_grad_returns_gradients_without_touching_dot_grad():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    (g,) = autograd.grad(y, [x])
    assert g.asnumpy().tolist() == [2, 4]
    assert x.grad.asnumpy().tolist() == [0, 0]


def test_second_derivative_through_create_graph():
    x = mx.nd.array([0.5, 1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x * x
        (dy,) = autograd.grad(y, [x], create_graph=True)
    dy.backward()
    np.testing.assert_allclose(dy.asnumpy(), 3 * x.asnumpy() ** 2)
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * x.asnumpy())


def test_second_derivative_of_elementwise_math():
    x = mx.nd.array([0.3, 0.7])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.sin(x) * mx.nd.exp(x)
        (dy,) = autograd.grad(y, [x], create_graph=True)
    dy.backward()
    v = x.asnumpy()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * np.cos(v) * np.exp(v), rtol=1e-5)


def test_pause_stops_recording():
    x = mx.nd.array([1.0])
    x.attach_grad()
    with autograd.record():
        assert autograd.is_recording()
        with autograd.pause():
            assert not autograd.is_recording()
            z = x * 5
        y = x * 2 + z
    y.backward()
    assert x.grad.asscalar() == 2


def test_training_flags():
    assert not autograd.is_training()
    with autograd.record():
        assert autograd.is_training()
        with autograd.predict_mode():
            assert not autograd.is_training()
    with autograd.record(train_mode=False):
        assert not autograd.is_training()
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
    assert autograd.set_training(True) is False
    assert autograd.set_training(False) is True
    assert autograd.set_recording(False) is False


def test_detach_cuts_the_graph():
    x = mx.nd.array([2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x.detach()
    y.backward()
    assert x.grad.asscalar() == 2


def test_mark_variables_with_explicit_buffers():
    x = mx.nd.array([1.0, 2.0])
    g = mx.nd.zeros((2,))
    autograd.mark_variables([x], [g])
    with autograd.record():
        y = x * 4
    y.backward()
    assert g.asnumpy().tolist() == [4, 4]


def test_gradients_through_views_and_indexing():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = x[1] * 2 + x[:, 0].sum() + x.reshape((4,))[3]
    y.backward()
    assert x.grad.asnumpy().tolist() == [[2, 0], [4, 4]]  # y has 2 elements: broadcast terms count twice


def test_gradient_across_devices():
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x.as_in_context(mx.cpu(1)) * 3).sum()
    y.backward()
    assert x.grad.asnumpy().tolist() == [3, 3]


def test_custom_function():
    class Sigmoid(autograd.Function):
        def forward(self, x):
            y = 1 / (1 + mx.nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            (y,) = self.saved_tensors
            return dy * y * (1 - y)

    x = mx.nd.array([0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = Sigmoid()(x)
    y.backward()
    s = 1 / (1 + np.exp(-x.asnumpy()))
    np.testing.assert_allclose(x.grad.asnumpy(), s * (1 - s), rtol=1e-6)


def test_function_instance_is_single_use():
    class Double(autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy * 2
    f = Double()
    f(mx.nd.ones((1,)))
    with pytest.raises(MXNetError, match="once"):
        f(mx.nd.ones((1,)))


def test_invalid_grad_req_is_rejected():
    with pytest.raises(MXNetError, match="grad_req"):
        mx.nd.ones((1,)).attach_grad(grad_req="sometimes")


def test_get_symbol_rebuilds_the_recorded_computation():
    x = mx.nd.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
    w = mx.nd.array([2.0, 3.0, 4.0])
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = mx.nd.relu(x * w + 1).sum(axis=1)
    sym = autograd.get_symbol(y)
    assert sym.list_arguments() == ["var0", "var1"]
    assert sym.list_outputs() == ["node_3_output"]
    np.testing.assert_allclose(sym.eval(var0=x, var1=w)[0].asnumpy(), y.asnumpy())


def test_get_symbol_of_unrecorded_array_is_a_clear_error():
    with pytest.raises(MXNetError, match="not part of a recorded"):
        autograd.get_symbol(mx.nd.ones((2,)))


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_first_layer_gradients_skip_the_unused_data_gradient(hybridize, monkeypatch):
    from mxnet import backends, gluon
    from mxnet.ops import registry
    ran = set()
    for name in ("_backward_Convolution", "_backward_Convolution_weight"):
        op = registry.get(name)

        def counted(*args, _name=name, _compute=op.compute, **kwargs):
            ran.add(_name)
            return _compute(*args, **kwargs)
        monkeypatch.setattr(op, "compute", counted)
    rng = np.random.default_rng(3)
    x = mx.nd.array(rng.standard_normal((2, 3, 6, 6)))
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(4, 3), gluon.nn.Dense(5))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    with backends.count_kernels() as counts:  # the kernels a backend (oneDNN) ran instead
        with autograd.record():
            loss = net(x).sum()
        loss.backward()
        mx.nd.waitall()
        ran |= {op for op, _ in counts}
    assert "_backward_Convolution_weight" in ran and "_backward_Convolution" not in ran
    conv, dense = net[0], net[1]
    # The same gradients as when the data needs one too (the full backward op).
    x.attach_grad()
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    full = {k: p.grad().asnumpy() for k, p in net.collect_params().items()}
    x2 = x.copy()
    with autograd.record():
        loss = net(x2).sum()
    loss.backward()
    for k, p in net.collect_params().items():
        np.testing.assert_allclose(p.grad().asnumpy(), full[k], rtol=1e-5, atol=1e-6)
    assert conv.weight.grad().shape == (4, 3, 3, 3) and dense.weight.grad().shape == (5, 64)


def test_second_order_gradient_through_the_weight_only_convolution_backward():
    rng = np.random.default_rng(4)
    x = mx.nd.array(rng.standard_normal((1, 2, 5, 5)))
    w = mx.nd.array(rng.standard_normal((3, 2, 3, 3)))
    w.attach_grad()
    with autograd.record():
        y = mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=3, no_bias=True)
        (dw,) = autograd.grad((y * y).sum(), [w], create_graph=True)
        z = dw.sum()
    z.backward()
    # dw = 2 * conv_weight_grad(x, y) and y is linear in w, so d(sum dw)/dw is linear too:
    # compare with a finite difference of the first-order gradient's sum.
    def first_order_sum(wv):
        wv = mx.nd.array(wv)
        wv.attach_grad()
        with autograd.record():
            yy = mx.nd.Convolution(x, wv, kernel=(3, 3), num_filter=3, no_bias=True)
            (yy * yy).sum().backward()
        return float(wv.grad.sum().asscalar())
    base = w.asnumpy().astype(np.float64)
    eps = 1e-2
    idx = (1, 0, 2, 1)
    bumped = base.copy()
    bumped[idx] += eps
    numeric = (first_order_sum(bumped) - first_order_sum(base)) / eps
    np.testing.assert_allclose(w.grad.asnumpy()[idx], numeric, rtol=1e-2, atol=1e-2)


# -- backward hands fresh gradient buffers to .grad instead of copying ------------------

def _square_sum_backward(x, scale=1.0):
    with autograd.record():
        y = (x * x * scale).sum()
    y.backward()


def test_backward_takes_the_fresh_gradient_buffer_and_keeps_the_grad_array():
    x = mx.nd.array(np.arange(6.).reshape(2, 3))
    x.attach_grad()
    grad = x.grad
    old_buffer, old_version = id(grad._data), grad._var.version
    _square_sum_backward(x)
    assert x.grad is grad  # same NDArray (Trainer and kvstore hold it)
    assert id(grad._data) != old_buffer  # the gradient's own buffer, not a copy
    assert grad._var.version > old_version
    np.testing.assert_array_equal(grad.asnumpy(), 2 * np.arange(6.).reshape(2, 3))
    _square_sum_backward(x, 3.0)
    np.testing.assert_array_equal(grad.asnumpy(), 6 * np.arange(6.).reshape(2, 3))


def test_backward_copies_when_the_old_grad_buffer_is_viewed():
    x = mx.nd.array(np.arange(6.).reshape(2, 3))
    x.attach_grad()
    row = x.grad[1]  # a view: must see the new gradient
    _square_sum_backward(x)
    np.testing.assert_array_equal(row.asnumpy(), [6., 8., 10.])


def test_backward_copies_a_gradient_the_caller_still_holds():
    x = mx.nd.array(np.ones((2, 2)))
    x.attach_grad()
    head = mx.nd.full((2, 2), 5.0)
    with autograd.record():
        y = x * 1  # its gradient rule may hand the head gradient through unchanged
    y.backward(head)
    head[:] = 7.0
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full((2, 2), 5.0))
    assert not np.shares_memory(x.grad._data, head._data)


def test_two_variables_never_share_one_gradient_buffer():
    a, b = mx.nd.ones((3,)), mx.nd.ones((3,))
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = a + b  # both gradients may be the same array
    y.backward()
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad[:] = 9.0
    np.testing.assert_array_equal(b.grad.asnumpy(), np.ones(3))
