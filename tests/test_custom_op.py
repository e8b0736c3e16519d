"""mx.operator: Python operators (CustomOp/CustomOpProp) imperatively, under
autograd, in symbol executors and hybridized blocks, against MXNet 1.9.1."""
import os

import numpy as np
import pytest

import mxnet as mx
import mxnet.operator  # noqa: F401  (registers Custom until mxnet/__init__ imports it)
from mxnet.base import MXNetError

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "ops", "misc_ops.npz"))
CALLS = []


class Softmax(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        CALLS.append(("forward", is_train, list(req)))
        x = in_data[0].asnumpy()
        y = np.exp(x - x.max(axis=1, keepdims=True))
        self.assign(out_data[0], req[0], mx.nd.array(y / y.sum(axis=1, keepdims=True)))
        self.saved = y.shape  # state kept on self reaches backward

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        CALLS.append(("backward", self.saved, list(req)))
        label = in_data[1].asnumpy().astype(np.int64)
        y = out_data[0].asnumpy()
        y[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], mx.nd.array(y))


@mx.operator.register("test_softmax")
class SoftmaxProp(mx.operator.CustomOpProp):
    def __init__(self, **kwargs):
        CALLS.append(("prop", kwargs))
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        CALLS.append(("create", ctx, shapes, dtypes))
        return Softmax()


class Scale(mx.operator.CustomOp):
    """Two outputs: data * factor and data + factor."""

    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * self.factor)
        self.assign(out_data[1], req[1], in_data[0] + self.factor)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * self.factor + out_grad[1])


@mx.operator.register("test_scale")
class ScaleProp(mx.operator.CustomOpProp):
    def __init__(self, factor="1"):
        super().__init__()
        self.factor = float(factor)

    def list_outputs(self):
        return ["scaled", "shifted"]

    def create_operator(self, ctx, shapes, dtypes):
        return Scale(self.factor)


def test_softmax_custom_op_trains_imperatively_like_mxnet():
    params = {k: mx.nd.array(FIXTURE[f"custom_init_{k}"]) for k in ("w1", "b1", "w2", "b2")}
    for v in params.values():
        v.attach_grad()
    x, label = mx.nd.array(FIXTURE["custom_x"]), mx.nd.array(FIXTURE["custom_label"])
    for _ in range(3):
        with mx.autograd.record():
            h = mx.nd.relu(mx.nd.FullyConnected(x, params["w1"], params["b1"], num_hidden=4))
            y = mx.nd.FullyConnected(h, params["w2"], params["b2"], num_hidden=3)
            p = mx.nd.Custom(y, label, op_type="test_softmax")
        p.backward()
        for v in params.values():
            v[:] = v - 0.1 * v.grad
    np.testing.assert_allclose(p.asnumpy(), FIXTURE["custom_imperative_prob"], rtol=1e-5, atol=1e-6)
    for k, v in params.items():
        np.testing.assert_allclose(v.asnumpy(), FIXTURE[f"custom_imperative_{k}"], rtol=1e-5,
                                   atol=1e-6)


def test_softmax_custom_op_trains_through_simple_bind_like_mxnet():
    data = mx.sym.var("data")
    net = mx.sym.relu(mx.sym.FullyConnected(data, name="fc1", num_hidden=4))
    net = mx.sym.FullyConnected(net, name="fc2", num_hidden=3)
    net = mx.sym.Custom(net, name="softmax", op_type="test_softmax")
    assert net.list_arguments() == ["data", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias",
                                    "softmax_label"]
    assert net.list_outputs() == ["softmax_output"]
    ex = net.simple_bind(mx.cpu(), data=(8, 5))
    names = {"w1": "fc1_weight", "b1": "fc1_bias", "w2": "fc2_weight", "b2": "fc2_bias"}
    for k, n in names.items():
        ex.arg_dict[n][:] = FIXTURE[f"custom_init_{k}"]
    ex.arg_dict["data"][:] = FIXTURE["custom_x"]
    ex.arg_dict["softmax_label"][:] = FIXTURE["custom_label"]
    for _ in range(3):
        ex.forward(is_train=True)
        ex.backward()
        for n in names.values():
            ex.arg_dict[n][:] = ex.arg_dict[n] - 0.1 * ex.grad_dict[n]
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), FIXTURE["custom_symbolic_prob"],
                               rtol=1e-5, atol=1e-6)
    for k, n in names.items():
        np.testing.assert_allclose(ex.arg_dict[n].asnumpy(), FIXTURE[f"custom_symbolic_{k}"],
                                   rtol=1e-5, atol=1e-6)


def test_prop_gets_keyword_arguments_as_strings_and_forward_state_reaches_backward():
    CALLS.clear()
    x = mx.nd.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x, mx.nd.array([0, 2]), op_type="test_softmax", alpha=3, shape=(1, 2))
    y.backward()
    assert ("prop", {"alpha": "3", "shape": "(1, 2)"}) in CALLS
    create = next(c for c in CALLS if c[0] == "create")
    assert create[2:] == ([[2, 3], [2]], [0, 0])  # shapes as lists, dtypes as MXNet flags
    assert ("forward", 1, ["write"]) in CALLS  # is_train is an int, as in MXNet
    assert ("backward", (2, 3), ["write", "write"]) in CALLS


def test_multiple_outputs_gradient_and_hybridized_block():
    x = mx.nd.array([[1.0, -2.0]])
    x.attach_grad()
    with mx.autograd.record():
        a, b = mx.nd.Custom(x, op_type="test_scale", factor=3)
        (a * 2 + b).backward()
    np.testing.assert_allclose(a.asnumpy(), [[3, -6]])
    np.testing.assert_allclose(b.asnumpy(), [[4, 1]])
    np.testing.assert_allclose(x.grad.asnumpy(), [[7, 7]])

    class Net(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, data):
            scaled, shifted = F.Custom(data, op_type="test_scale", factor=2)
            return scaled * shifted

    net = Net()
    net.hybridize()
    x.attach_grad()
    with mx.autograd.record():
        out = net(x)
    out.backward()
    np.testing.assert_allclose(out.asnumpy(), [[6, 0]])  # 2x * (x + 2)
    np.testing.assert_allclose(x.grad.asnumpy(), [[8, -4]])  # d/dx (2x^2 + 4x)


def test_symbol_names_outputs_from_the_prop_and_infers_shapes():
    s = mx.sym.Custom(mx.sym.var("x"), op_type="test_scale", name="sc")
    assert s.list_outputs() == ["sc_scaled", "sc_shifted"]
    _, outs, _ = s.infer_shape(x=(2, 3))
    assert outs == [(2, 3), (2, 3)]
    assert s.tojson().count('"op_type": "test_scale"') == 1


def test_unknown_or_missing_op_type_raises():
    with pytest.raises(MXNetError, match="not registered"):
        mx.nd.Custom(mx.nd.ones((2,)), op_type="no_such_op")
    with pytest.raises(MXNetError, match="op_type"):
        mx.nd.Custom(mx.nd.ones((2,)))
    with pytest.raises(MXNetError, match="CustomOpProp"):
        mx.operator.register("bad")(object)


def test_assign_honours_req():
    op = mx.operator.CustomOp()
    dst = mx.nd.ones((2,))
    op.assign(dst, "add", mx.nd.ones((2,)))
    op.assign(dst, "null", mx.nd.zeros((2,)))
    np.testing.assert_allclose(dst.asnumpy(), [2, 2])
    op.assign(dst, "write", mx.nd.zeros((2,)))
    np.testing.assert_allclose(dst.asnumpy(), [0, 0])


class Exp(mx.operator.CustomOp):
    """Calls and waits on NDArray operations of its own inside forward/backward."""

    def forward(self, is_train, req, in_data, out_data, aux):
        y = mx.nd.exp(in_data[0])
        y.wait_to_read()
        self.assign(out_data[0], req[0], y)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        g = out_grad[0] * out_data[0]
        g.wait_to_read()
        self.assign(in_grad[0], req[0], g)


@mx.operator.register("test_exp")
class ExpProp(mx.operator.CustomOpProp):
    def create_operator(self, ctx, shapes, dtypes):
        return Exp()


def test_large_inputs_with_pending_work_run_without_engine_deadlock():
    # Big enough for the engine path: the op must still run in the caller's thread.
    x = mx.nd.ones((400, 400)) * 0.5
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Custom(x * 1, op_type="test_exp")
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.exp(0.5) * np.ones((400, 400)), rtol=1e-6)
