"""Recurrent layers and cells under npx.set_np(): mx.np results (outputs,
states, unrolled sequences), the same values as in legacy mode, gradients."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, gluon, npx

DATA = onp.random.RandomState(0).uniform(-1, 1, size=(5, 3, 4)).astype("float32")


def _run(make, np_mode, params_file, hybridize):
    if np_mode:
        npx.set_np()
    try:
        block = make()
        if params_file.exists():
            block.load_parameters(str(params_file))
        else:
            block.initialize(mx.init.Xavier())
        if hybridize:
            block.hybridize()
        x = (mx.np if np_mode else mx.nd).array(DATA)
        out, states = block(x, block.begin_state(3))
        if not params_file.exists():
            block.save_parameters(str(params_file))
        return out, states
    finally:
        npx.reset_np()


LAYERS = {"lstm": lambda: gluon.rnn.LSTM(6, 2, input_size=4),
          "gru": lambda: gluon.rnn.GRU(6, bidirectional=True, input_size=4),
          "rnn": lambda: gluon.rnn.RNN(6, activation="tanh", input_size=4)}


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_rnn_layers_under_np_give_np_results_equal_to_legacy(name, hybridize, tmp_path):
    params = tmp_path / "p.params"
    legacy, legacy_states = _run(LAYERS[name], False, params, False)
    out, states = _run(LAYERS[name], True, params, hybridize)
    assert type(out) is mx.np.ndarray and all(type(s) is mx.np.ndarray for s in states)
    onp.testing.assert_allclose(out.asnumpy(), legacy.asnumpy(), rtol=1e-5, atol=1e-6)
    for s, ls in zip(states, legacy_states):
        onp.testing.assert_allclose(s.asnumpy(), ls.asnumpy(), rtol=1e-5, atol=1e-6)


CELLS = {"lstm": lambda: gluon.rnn.LSTMCell(6, input_size=4),
         "gru": lambda: gluon.rnn.GRUCell(6, input_size=4),
         "stack": lambda: _stack()}


def _stack():
    cell = gluon.rnn.SequentialRNNCell()
    cell.add(gluon.rnn.LSTMCell(4, input_size=4))
    cell.add(gluon.rnn.ResidualCell(gluon.rnn.GRUCell(4, input_size=4)))
    return cell


def _unroll(make, np_mode, params_file):
    if np_mode:
        npx.set_np()
    try:
        cell = make()
        if params_file.exists():
            cell.load_parameters(str(params_file))
        else:
            cell.initialize(mx.init.Xavier())
        x = (mx.np if np_mode else mx.nd).array(DATA)
        outputs, states = cell.unroll(5, x, layout="TNC", merge_outputs=True)
        if not params_file.exists():
            cell.save_parameters(str(params_file))
        return outputs, states
    finally:
        npx.reset_np()


@pytest.mark.parametrize("name", sorted(CELLS))
def test_cells_unrolled_under_np_give_np_results_equal_to_legacy(name, tmp_path):
    params = tmp_path / "c.params"
    legacy, _ = _unroll(CELLS[name], False, params)
    outputs, states = _unroll(CELLS[name], True, params)
    assert type(outputs) is mx.np.ndarray and all(type(s) is mx.np.ndarray for s in states)
    onp.testing.assert_allclose(outputs.asnumpy(), legacy.asnumpy(), rtol=1e-5, atol=1e-6)


def test_gradients_flow_through_an_rnn_layer_under_np():
    npx.set_np()
    try:
        layer = gluon.rnn.LSTM(6, input_size=4)
        layer.initialize()
        x = mx.np.array(DATA)
        x.attach_grad()
        with autograd.record():
            loss = layer(x).sum()
        loss.backward()
        weight = layer.l0_i2h_weight
        assert type(x.grad) is mx.np.ndarray and float(abs(x.grad).sum()) > 0
        assert float(abs(weight.grad()).sum()) > 0
    finally:
        npx.reset_np()
