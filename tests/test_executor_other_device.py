"""Executors and arrays of another device: where MXNet 1.9.1 copies.

MXNet's ``bind`` does not copy: arguments and gradients must live on the
executor's context (else an error at bind, unless ``group2ctx`` places ops
across devices), which ``test_device_plugin`` checks for another device kind.
It copies values that come in later: ``copy_params_from`` (into the bound
arrays, which stay where they are), the arrays given to ``forward(**kwargs)``
and head gradients given to ``backward``. Aux states it leaves where they
are and updates them there (checked with cpu(1) aux under a cpu(0) executor).
"""
import numpy as np

import mxnet as mx
from test_device_plugin import TESTDEV  # registers the test device

W = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)


def _fc():
    return mx.sym.FullyConnected(mx.sym.var("x"), weight=mx.sym.var("w"), num_hidden=2,
                                 no_bias=True)


def test_copy_params_from_another_device_copies_into_the_bound_arrays():
    ex = _fc().simple_bind(mx.cpu(), x=(1, 2))
    ex.copy_params_from({"w": mx.nd.array(W, ctx=TESTDEV)})
    assert ex.arg_dict["w"].context == mx.cpu()
    np.testing.assert_array_equal(ex.arg_dict["w"].asnumpy(), W)


def test_copy_params_from_casts_to_the_bound_dtype():
    ex = _fc().simple_bind(mx.cpu(), x=(1, 2))
    ex.copy_params_from({"w": mx.nd.array(W, dtype="float64", ctx=mx.cpu(1))})
    assert ex.arg_dict["w"].dtype == np.float32 and ex.arg_dict["w"].context == mx.cpu()
    np.testing.assert_array_equal(ex.arg_dict["w"].asnumpy(), W)


def test_forward_and_backward_take_arrays_of_another_device():
    ex = _fc().simple_bind(mx.cpu(), x=(1, 2))
    ex.copy_params_from({"w": mx.nd.array(W)})
    out = ex.forward(is_train=True, x=mx.nd.array([[1.0, 1.0]], ctx=TESTDEV))[0]
    assert ex.arg_dict["x"].context == mx.cpu()
    np.testing.assert_array_equal(out.asnumpy(), [[3.0, 7.0]])
    ex.backward(mx.nd.array([[1.0, 2.0]], ctx=TESTDEV))
    # d(x W^T)/dW with head gradient h: h^T x
    np.testing.assert_array_equal(ex.grad_dict["w"].asnumpy(), [[1.0, 1.0], [2.0, 2.0]])
    assert ex.grad_dict["w"].context == mx.cpu()


def test_aux_states_on_another_cpu_are_updated_where_they_are():
    net = mx.sym.BatchNorm(mx.sym.var("x"), name="bn", momentum=0.5)
    aux = {"bn_moving_mean": mx.nd.zeros(2, ctx=mx.cpu(1)),
           "bn_moving_var": mx.nd.ones(2, ctx=mx.cpu(1))}
    args = {"x": mx.nd.array([[1.0, 2.0], [3.0, 6.0]]), "bn_gamma": mx.nd.ones(2),
            "bn_beta": mx.nd.zeros(2)}
    grads = {k: mx.nd.zeros(v.shape) for k, v in args.items()}
    ex = net.bind(mx.cpu(0), args=args, args_grad=grads, aux_states=aux)
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 2)))  # MXNet moves the statistics in the backward pass
    assert ex.aux_dict["bn_moving_mean"] is aux["bn_moving_mean"]
    np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy(), [1.0, 2.0], rtol=1e-6)
