"""NumPy's own functions and ufuncs on mx.np arrays run mx.np's (NEP 13/18,
as in MXNet 1.9.1): device results, recorded by autograd; functions mx.np
lacks are computed by NumPy on the host and come back as mx.np arrays."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, np

DATA = onp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype="float32")


@pytest.mark.parametrize("call", [
    lambda a: onp.exp(a), lambda a: onp.add(a, 1), lambda a: onp.multiply(2, a),
    lambda a: onp.sum(a, axis=0), lambda a: onp.mean(a), lambda a: onp.concatenate([a, a]),
    lambda a: onp.transpose(a), lambda a: onp.linalg.norm(a), lambda a: onp.maximum(a, 3),
    lambda a: onp.dot(a, a.T), lambda a: onp.reshape(a, (3, 2))])
def test_numpy_calls_on_np_arrays_run_mx_np(call):
    out = call(np.array(DATA))
    assert type(out) is np.ndarray
    onp.testing.assert_allclose(out.asnumpy(), call(DATA), rtol=1e-6)


def test_gradients_flow_through_numpy_calls():
    a = np.array(DATA)
    a.attach_grad()
    with autograd.record():
        loss = onp.sum(onp.exp(a))
    loss.backward()
    onp.testing.assert_allclose(a.grad.asnumpy(), onp.exp(DATA), rtol=1e-6)


def test_functions_mx_np_lacks_run_on_the_host():
    out = onp.cumprod(np.array(DATA), axis=1)
    assert type(out) is np.ndarray
    onp.testing.assert_allclose(out.asnumpy(), onp.cumprod(DATA, axis=1))


def test_ufunc_out_arguments():
    a = np.array(DATA)
    target = np.zeros((2, 3))
    assert onp.add(a, 1, out=target) is target
    assert target.asnumpy().tolist() == (DATA + 1).tolist()
    with pytest.raises(TypeError):
        onp.add(a, 1, out=onp.zeros((2, 3), dtype="float32"))


def test_legacy_arrays_keep_numpy_semantics():
    legacy = mx.nd.array(DATA)
    assert type(onp.exp(legacy)) is onp.ndarray
