"""Regressions found by running MXNet 1.9 style programs (GluonNLP, GluonCV,
Sockeye, GluonTS, Module tutorials) side by side with MXNet 1.9.1.

Expected values are what MXNet 1.9.1 gives (noted next to each literal) or are
computed here with NumPy or by the imperative path of the same model."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import gluon, nd
from mxnet.gluon import nn, rnn


def test_fully_connected_learns_batch_size_from_its_output():
    # An RNN begin state is zeros of shape (0, hidden): its batch size comes
    # back through the h2h layer from the sum with the i2h layer's output.
    h, x = mx.sym.var("h"), mx.sym.var("x")
    net = mx.sym.FullyConnected(h, num_hidden=4) + mx.sym.FullyConnected(x, num_hidden=4)
    args, outs, _ = net.infer_shape_partial(x=(2, 3), h=(0, 6))
    assert args[0] == (2, 6) and outs == [(2, 4)]
    # Only the first axis is learnt, as in MXNet 1.9.1.
    seq = mx.sym.FullyConnected(h, num_hidden=4, flatten=False) \
        + mx.sym.FullyConnected(x, num_hidden=4, flatten=False)
    args, outs, _ = seq.infer_shape_partial(x=(2, 5, 3), h=(0, 0, 6))
    assert args[0] == (2, 0, 6) and outs == [(2, 5, 4)]


class _FinalCellState(gluon.HybridBlock):
    """Only the last cell state of an unrolled LSTM, so the hidden begin state
    reaches the outputs through the h2h FullyConnected alone."""

    def __init__(self):
        super().__init__()
        self.cell = rnn.LSTMCell(6, input_size=3)

    def hybrid_forward(self, F, x, valid_length):
        _, states = self.cell.unroll(5, x, layout="NTC", merge_outputs=True,
                                     valid_length=valid_length)
        return states[1]


def test_hybridized_unroll_returning_only_the_cell_state():
    net = _FinalCellState()
    net.initialize(mx.init.Uniform(0.3))
    x = nd.array(np.random.RandomState(0).randn(2, 5, 3))
    valid_length = nd.array([5, 2])
    eager = net(x, valid_length).asnumpy()
    net.hybridize()
    hybrid = net(x, valid_length).asnumpy()
    assert hybrid.shape == (2, 6)
    np.testing.assert_allclose(hybrid, eager, rtol=1e-5, atol=1e-6)


def _saved_dense(tmp_path, **arrays):
    path = str(tmp_path / "dense.params")
    nd.save(path, arrays)
    return path


@pytest.mark.parametrize("arrays, expected", [
    ({"weight": nd.ones((3, 2))}, "is missing"),
    ({"weight": nd.ones((3, 2)), "bias": nd.ones(3), "x": nd.ones(1)}, "is not present"),
    ({"weight": nd.ones((4, 2)), "bias": nd.ones(3)}, "shape incompatible"),
    ({"weight": nd.ones((3, 2), dtype="float16"), "bias": nd.ones(3)}, "dtype incompatible"),
])
def test_parameter_file_mismatch_is_an_assertion_error_as_in_mxnet(tmp_path, arrays, expected):
    # MXNet 1.9.1 raises AssertionError here; scripts catch it to retry with
    # allow_missing/ignore_extra, so the MXNetError must also be one.
    path = _saved_dense(tmp_path, **arrays)
    for load in (lambda d: d.load_parameters(path),
                 lambda d: d.collect_params().load(path, restore_prefix="d_")):
        with pytest.raises(AssertionError, match=expected) as info:
            load(nn.Dense(3, in_units=2, prefix="d_"))
        assert isinstance(info.value, mx.base.MXNetError)


def test_structural_parameter_file_mismatch_errors(tmp_path):
    saved = nn.HybridSequential()
    saved.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
    saved.initialize()
    path = str(tmp_path / "seq.params")
    saved.save_parameters(path)
    smaller = nn.HybridSequential()
    smaller.add(nn.Dense(3, in_units=2))
    with pytest.raises(ValueError, match="'1.weight' loaded from file"):  # ValueError in MXNet
        smaller.load_parameters(path)
    bigger = nn.HybridSequential()
    bigger.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3), nn.Dense(1, in_units=2))
    with pytest.raises(AssertionError, match="'2.weight' is missing"):
        bigger.load_parameters(path)


def test_incompatible_set_data_and_restore_prefix_are_assertion_errors(tmp_path):
    dense = nn.Dense(3, in_units=2, prefix="d_")
    dense.initialize()
    with pytest.raises(AssertionError, match="incompatible"):
        dense.weight.set_data(nd.ones((5, 5)))
    path = str(tmp_path / "pd.params")
    dense.collect_params().save(path)
    with pytest.raises(AssertionError, match="restore_prefix is 'zz_'"):
        dense.collect_params().load(path, restore_prefix="zz_")
