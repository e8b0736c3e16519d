"""Where the NumPy front end meets the legacy one: autograd.grad and legacy
creation under NumPy shape semantics."""
import pytest

import mxnet as mx
from mxnet import autograd, np


def test_autograd_grad_of_np_variables_gives_np_arrays():
    x = np.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    (g,) = autograd.grad(y, [x])
    assert type(g) is np.ndarray
    assert g.asnumpy().tolist() == [2.0, 4.0]


def test_autograd_grad_of_legacy_variables_stays_legacy():
    a = mx.nd.array([1.0, 2.0])
    a.attach_grad()
    with autograd.record():
        b = (a * a).sum()
    (g,) = autograd.grad(b, [a])
    assert type(g) is mx.nd.NDArray


def test_legacy_creation_of_a_scalar_shape_needs_np_shape():
    with mx.util.np_shape(True):
        assert mx.nd.ones(()).shape == ()
        assert mx.nd.zeros(()).asnumpy() == 0
    with pytest.raises(mx.base.MXNetError, match="shape"):
        mx.nd.ones(())
