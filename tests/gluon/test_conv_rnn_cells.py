"""gluon.contrib.rnn convolutional cells: parameter and state shapes, and one
step against the same computation written with nd.Convolution."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import nd
from mxnet.gluon.contrib import rnn


def _sigmoid(x):
    return 1 / (1 + nd.exp(-x))


def _set_params(cell, seed=1):
    rng = np.random.RandomState(seed)
    for param in cell.collect_params().values():
        param.set_data(nd.array(rng.uniform(-0.3, 0.3, param.shape)))


def test_shapes_names_and_repr():
    with mx.name.NameManager():  # fresh counters: the prefix is conv_lstm0_
        cell = rnn.Conv2DLSTMCell(input_shape=(3, 8, 8), hidden_channels=4, i2h_kernel=(3, 3),
                                  h2h_kernel=(3, 3), i2h_pad=(1, 1))
    cell.initialize()
    assert repr(cell) == "Conv2DLSTMCell(3 -> 16, tanh, NCHW)"  # MXNet 1.9.1
    assert [(name, p.shape) for name, p in cell.collect_params().items()] == [
        ("conv_lstm0_i2h_weight", (16, 3, 3, 3)), ("conv_lstm0_h2h_weight", (16, 4, 3, 3)),
        ("conv_lstm0_i2h_bias", (16,)), ("conv_lstm0_h2h_bias", (16,))]
    assert cell.state_info(2) == [{"shape": (2, 4, 8, 8), "__layout__": "NCHW"}] * 2
    gru = rnn.Conv1DGRUCell(input_shape=(3, 10), hidden_channels=5, i2h_kernel=3, h2h_kernel=3)
    assert gru.state_info(2) == [{"shape": (2, 5, 8), "__layout__": "NCW"}]
    cell3 = rnn.Conv3DRNNCell((2, 4, 4, 4), 3, (1, 3, 3), 3)
    assert cell3.state_info(1)[0]["shape"] == (1, 3, 4, 2, 2)
    with pytest.raises(mx.base.MXNetError, match="Only support odd number"):
        rnn.Conv2DLSTMCell((3, 6, 7), 4, (3, 3), (2, 2))
    with pytest.raises(mx.base.MXNetError, match="list/tuple of length 2"):
        rnn.Conv2DLSTMCell((3, 6, 7), 4, (3, 3, 3), 3)


def test_conv_lstm_step_matches_convolutions():
    cell = rnn.Conv1DLSTMCell((2, 6), 3, i2h_kernel=3, h2h_kernel=3, i2h_pad=1)
    cell.initialize()
    _set_params(cell)
    rng = np.random.RandomState(0)
    x = nd.array(rng.randn(2, 2, 6))
    h, c = nd.array(rng.randn(2, 3, 6)), nd.array(rng.randn(2, 3, 6))
    out, (h2, c2) = cell(x, [h, c])
    p = {k.split("_", 2)[-1]: v.data() for k, v in cell.collect_params().items()}
    gates = nd.Convolution(x, p["i2h_weight"], p["i2h_bias"], kernel=(3,), pad=(1,),
                           num_filter=12) \
        + nd.Convolution(h, p["h2h_weight"], p["h2h_bias"], kernel=(3,), pad=(1,),
                         num_filter=12)
    i, f, g, o = nd.split(gates, 4, axis=1)
    expected_c = _sigmoid(f) * c + _sigmoid(i) * nd.tanh(g)
    expected_h = _sigmoid(o) * nd.tanh(expected_c)
    np.testing.assert_allclose(c2.asnumpy(), expected_c.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out.asnumpy(), expected_h.asnumpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: rnn.Conv1DGRUCell((3, 10), 5, 3, 3, i2h_pad=1),
    lambda: rnn.Conv2DRNNCell((3, 5, 5), 2, (3, 3), (3, 3), activation="relu"),
    lambda: rnn.Conv3DLSTMCell((2, 4, 4, 4), 3, 3, 3, i2h_pad=(1, 1, 1)),
])
def test_unroll_hybridized_equals_eager(make):
    results = []
    for hybridize in (False, True):
        cell = make()
        cell.initialize()
        _set_params(cell)
        if hybridize:
            cell.hybridize()
        shape = (2, 3) + cell._input_shape
        x = nd.array(np.random.RandomState(2).randn(*shape))
        x.attach_grad()
        with mx.autograd.record():
            outputs, _ = cell.unroll(3, x, merge_outputs=True)
        outputs.backward()
        results.append((outputs.asnumpy(), x.grad.asnumpy()))
    for eager, hybrid in zip(*results):
        np.testing.assert_allclose(hybrid, eager, rtol=1e-5, atol=1e-6)
