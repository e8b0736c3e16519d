"""mx.operator.PythonOp/NumpyOp/NDArrayOp (MXNet's deprecated first Python
operator API) in executors, Module and imperatively, as MXNet 1.9.1 runs them."""
import inspect
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

pytestmark = pytest.mark.filterwarnings("ignore:.*deprecated")


class Square(mx.operator.NumpyOp):
    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0] ** 2

    def backward(self, out_grad, in_data, out_data, in_grad):
        in_grad[0][:] = 2 * in_data[0] * out_grad[0]


class ShiftLoss(mx.operator.NumpyOp):
    """A loss layer: its backward ignores the (absent) output gradient."""

    def __init__(self):
        super().__init__(need_top_grad=False)
        self.seen_out_grad = None

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], [in_shape[0][0]]], [in_shape[0]]

    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0] - in_data[1].reshape(-1, 1)

    def backward(self, out_grad, in_data, out_data, in_grad):
        self.seen_out_grad = out_grad
        in_grad[0][:] = out_data[0]
        in_grad[1][:] = 7


class NDSquare(mx.operator.NDArrayOp):
    def forward(self, in_data, out_data):
        assert all(isinstance(x, mx.nd.NDArray) for x in in_data + out_data)
        out_data[0][:] = in_data[0] ** 2

    def backward(self, out_grad, in_data, out_data, in_grad):
        in_grad[0][:] = 2 * in_data[0] * out_grad[0]


class NDSplit(mx.operator.NDArrayOp):
    """Two outputs; the backward declares it reads only the output gradients."""

    def list_outputs(self):
        return ["low", "high"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]]

    def forward(self, in_data, out_data):
        out_data[0][:] = in_data[0] * 2
        out_data[1][:] = in_data[0] * 3

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        return out_grad

    def backward(self, out_grad, in_data, out_data, in_grad):
        assert in_data == [] and out_data == [] and len(out_grad) == 2
        in_grad[0][:] = 2 * out_grad[0] + 3 * out_grad[1]


X = np.arange(6, dtype=np.float32).reshape(2, 3)


@pytest.mark.parametrize("cls", [Square, NDSquare])
def test_get_symbol_binds_runs_forward_and_backward(cls):
    sym = cls().get_symbol(mx.sym.var("x"), name="sq")
    assert sym.list_arguments() == ["x"] and sym.list_outputs() == ["sq_output"]
    assert sym.infer_shape(x=(2, 3))[1] == [(2, 3)]
    ex = sym.bind(mx.cpu(), {"x": mx.nd.array(X)}, args_grad={"x": mx.nd.zeros((2, 3))})
    np.testing.assert_allclose(ex.forward(is_train=True)[0].asnumpy(), X ** 2)
    ex.backward(mx.nd.full((2, 3), 0.5))
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), X)


def test_unnamed_nodes_and_json_attributes_follow_mxnet():
    native, ndarray = Square().get_symbol(mx.sym.var("x")), NDSquare()(mx.sym.var("x"))
    assert native.name.startswith("_native") and ndarray.name.startswith("_ndarray")
    assert set(native.list_attr()) == {"info", "need_top_grad"}
    assert set(ndarray.list_attr()) == {"info"}
    assert mx.sym.load_json(native.tojson()).list_outputs() == native.list_outputs()


def test_missing_arguments_become_variables_and_loss_gets_no_out_grad():
    op = ShiftLoss()
    sym = op.get_symbol(mx.sym.var("x"), name="loss")
    assert sym.list_arguments() == ["x", "loss_label"]
    assert sym.attr("need_top_grad") == "False"
    ex = sym.simple_bind(mx.cpu(), x=(2, 3), loss_label=(2,))
    ex.arg_dict["x"][:] = X
    ex.arg_dict["loss_label"][:] = [1, 2]
    out = ex.forward(is_train=True)[0].asnumpy()
    np.testing.assert_allclose(out, X - [[1], [2]])
    ex.backward()
    assert op.seen_out_grad == []
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), out)
    assert ex.grad_dict["loss_label"].asnumpy().tolist() == [7, 7]


def test_numpy_loss_trains_a_module():
    data = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=1, name="fc")
    net = ShiftLoss().get_symbol(data, name="loss")
    mod = mx.mod.Module(net, data_names=["data"], label_names=["loss_label"])
    mod.bind(data_shapes=[("data", (4, 2))], label_shapes=[("loss_label", (4,))])
    mod.init_params(mx.init.Constant(0.5))
    mod.init_optimizer(optimizer_params={"learning_rate": 0.1})
    batch = mx.io.DataBatch([mx.nd.ones((4, 2))], [mx.nd.zeros(4)])
    mod.forward(batch, is_train=True)
    mod.backward()
    mod.update()
    # Biases start at 0, so each row's output and gradient is 0.5 + 0.5 = 1; the
    # optimizer rescales the batch's summed gradient 4 by 1/4.
    np.testing.assert_allclose(mod.get_params()[0]["fc_weight"].asnumpy(), [[0.5 - 0.1] * 2])


def test_imperative_calls_with_autograd():
    x = mx.nd.array(X)
    x.attach_grad()
    native = Square().get_symbol(mx.sym.var("x"))
    with mx.autograd.record():
        y = mx.nd._internal._Native(x, info=native.attr("info"))
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * X)
    split = NDSplit()
    split.get_symbol(mx.sym.var("x"))
    with mx.autograd.record():
        low, high = mx.nd._internal._NDArray(x, info=split.info_)
        (low + high).backward()
    np.testing.assert_allclose(high.asnumpy(), 3 * X)
    np.testing.assert_allclose(x.grad.asnumpy(), np.full((2, 3), 5.0))


def test_default_methods_are_identity_forward_and_ones_backward():
    sym = mx.operator.NumpyOp().get_symbol(mx.sym.var("x"))
    ex = sym.bind(mx.cpu(), {"x": mx.nd.array([1, 2, 3])}, args_grad={"x": mx.nd.zeros(3)})
    assert ex.forward(is_train=True)[0].asnumpy().tolist() == [1, 2, 3]
    ex.backward(mx.nd.full(3, 5.0))
    assert ex.grad_dict["x"].asnumpy().tolist() == [1, 1, 1]
    assert mx.operator.NDArrayOp(False).declare_backward_dependency([0], [1], [2]) == [1, 2]
    with pytest.raises(NotImplementedError):
        mx.operator.PythonOp()(mx.sym.var("x"))


def test_classes_warn_that_they_are_deprecated():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mx.operator.NumpyOp()
    assert len(caught) == 2 and all("CustomOp" in str(w.message) for w in caught)


def test_front_end_signatures_take_data_as_a_list():
    for fn in (mx.nd._internal._Native, mx.nd._internal._NDArray, mx.sym._internal._Native):
        assert str(inspect.signature(fn)) == "(*data, **kwargs)"


def test_json_from_another_process_raises_instead_of_running():
    sym = Square().get_symbol(mx.sym.var("x"))
    foreign = mx.sym.load_json(sym.tojson().replace(sym.attr("info"), "7f0012345678"))
    with pytest.raises(MXNetError, match="names no Python operator of this process"):
        foreign.infer_shape(x=(2,))
    with pytest.raises(MXNetError, match="info"):
        mx.nd._internal._Native(mx.nd.ones(2))


def test_only_float32_is_accepted():
    sym = Square().get_symbol(mx.sym.var("x"))
    with pytest.raises(MXNetError, match="float32"):
        sym.infer_type(x="float64")
    with pytest.raises(MXNetError, match="float32"):
        mx.nd._internal._Native(mx.nd.ones(2, dtype="float64"), info=sym.attr("info"))


def test_errors_in_user_code_surface_as_mxnet_errors():
    class Broken(mx.operator.NumpyOp):
        def forward(self, in_data, out_data):
            raise ValueError("boom")

    sym = Broken().get_symbol(mx.sym.var("x"))
    with pytest.raises(MXNetError, match="boom"):
        mx.nd._internal._Native(mx.nd.ones(2), info=sym.attr("info")).wait_to_read()

    class TwoOutputsOneShape(mx.operator.NumpyOp):
        def list_outputs(self):
            return ["a", "b"]

    with pytest.raises(MXNetError, match="infer_shape must return 1 input and 2 output"):
        TwoOutputsOneShape().get_symbol(mx.sym.var("x")).infer_shape(x=(2,))
