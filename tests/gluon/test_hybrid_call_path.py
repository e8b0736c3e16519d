"""A hybridized block called again on plain arrays goes straight to its
CachedOp; anything unusual still takes the checked path and its errors."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.gluon import nn


class _Add(nn.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x, y):
        return self.dense(x) + y


def _built():
    net = _Add()
    net.initialize(mx.init.One())
    net.hybridize()
    x, y = mx.nd.ones((2, 4)), mx.nd.ones((2, 3))
    net(x, y).wait_to_read()
    return net, x, y


def test_repeated_call_skips_the_checked_path(monkeypatch):
    net, x, y = _built()

    def checked(*args):
        raise AssertionError("took the checked path")
    monkeypatch.setattr(net, "_call_cached_op", checked)
    with mx.autograd.record():
        out = net(x, y)
    out.backward()
    assert out.asnumpy().tolist() == [[5.0] * 3] * 2      # 4 ones + zero bias + 1
    assert net.dense.weight.grad().asnumpy().tolist() == [[2.0] * 4] * 3


def test_inputs_on_two_devices_still_raise():
    net, x, _ = _built()
    with pytest.raises(ValueError, match="multiple contexts"):
        net(x, mx.nd.ones((2, 3), ctx=mx.cpu(1)))


def test_a_different_argument_structure_still_raises():
    net, x, y = _built()
    with pytest.raises(ValueError, match="argument structure"):
        net(x, [y])


def test_deferred_parameters_are_initialised_on_the_first_call():
    net = nn.Dense(3)
    net.initialize(mx.init.One())
    net.hybridize()
    x = mx.nd.ones((2, 5))
    assert net(x).asnumpy().tolist() == [[5.0] * 3] * 2
    assert net(x * 2).asnumpy().tolist() == [[10.0] * 3] * 2
    np.testing.assert_array_equal(net.weight.data().asnumpy(), np.ones((3, 5)))
