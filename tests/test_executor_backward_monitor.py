"""An executor's monitor callback sees the backward nodes' outputs after
``backward``, named and ordered as MXNet 1.9.1 reports them."""
import numpy as np

import mxnet as mx

# What MXNet 1.9.1 reports in backward for _mlp() bound with every gradient
# written (monitor_all=False), in its order.
MXNET_BACKWARD_NAMES = [
    "softmax_backward_output0", "softmax_backward_output1",
    "fc2_backward_output0", "fc2_backward_output1", "fc2_backward_output2",
    "relu1_backward_output",
    "fc1_backward_output0", "fc1_backward_output1", "fc1_backward_output2"]


def _mlp():
    h = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc1")
    h = mx.sym.Activation(h, act_type="relu", name="relu1")
    y = mx.sym.FullyConnected(h, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(y, name="softmax")


def _monitored(grad_req="write"):
    ex = _mlp().simple_bind(mx.cpu(), data=(2, 5), grad_req=grad_req)
    rs = np.random.RandomState(0)
    for name, arr in ex.arg_dict.items():
        arr[:] = rs.uniform(-1, 1, arr.shape)
    ex.arg_dict["softmax_label"][:] = [0, 2]
    calls = []
    ex.set_monitor_callback(lambda name, arr: calls.append((name, arr.asnumpy())))
    ex.forward(is_train=True)
    del calls[:]
    ex.backward()
    return ex, calls


def test_backward_reports_the_backward_nodes_outputs_as_mxnet():
    ex, calls = _monitored()
    assert [name for name, _ in calls] == MXNET_BACKWARD_NAMES
    got = dict(calls)
    for report, param in (("fc1_backward_output0", "data"), ("fc1_backward_output1", "fc1_weight"),
                          ("fc1_backward_output2", "fc1_bias"),
                          ("fc2_backward_output1", "fc2_weight"),
                          ("fc2_backward_output2", "fc2_bias")):
        np.testing.assert_array_equal(got[report], ex.grad_dict[param].asnumpy())
    np.testing.assert_array_equal(got["softmax_backward_output1"], np.zeros(2))


def test_relu_gradient_is_the_masked_incoming_gradient():
    ex, calls = _monitored()
    got = dict(calls)
    hidden = ex.arg_dict["data"].asnumpy() @ ex.arg_dict["fc1_weight"].asnumpy().T \
        + ex.arg_dict["fc1_bias"].asnumpy()
    np.testing.assert_allclose(got["relu1_backward_output"],
                               got["fc2_backward_output0"] * (hidden > 0), rtol=1e-6)


def test_gradients_nothing_needs_are_reported_as_zeros():
    # MXNet reports the same names, its unwritten output buffers as values.
    reqs = {n: "null" if n in ("data", "softmax_label") else "write"
            for n in _mlp().list_arguments()}
    _, calls = _monitored(reqs)
    assert [name for name, _ in calls] == MXNET_BACKWARD_NAMES
    np.testing.assert_array_equal(dict(calls)["fc1_backward_output0"], np.zeros((2, 5)))


def test_backward_without_a_monitor_reports_nothing_and_gives_the_same_gradients():
    ex, _ = _monitored()
    monitored = {k: v.asnumpy().copy() for k, v in ex.grad_dict.items()}
    plain = _mlp().simple_bind(mx.cpu(), data=(2, 5))
    for name, arr in ex.arg_dict.items():
        arr.copyto(plain.arg_dict[name])
    plain.forward(is_train=True)
    plain.backward()
    for name, grad in plain.grad_dict.items():
        np.testing.assert_array_equal(grad.asnumpy(), monitored[name])
