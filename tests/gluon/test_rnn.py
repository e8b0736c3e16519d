"""gluon.rnn against MXNet 1.9.1: fused layers and unrolled cells loaded from
MXNet-written parameter files give MXNet's outputs, final states and
gradients (inputs, states, parameters), imperatively and hybridized; names,
reprs, state layouts and parameter files as MXNet.
Fixtures: tools/make_fixtures_gluon_rnn_loss.py."""
import importlib.util
import os
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import gluon
from mxnet.base import MXNetError
from mxnet.gluon import rnn
from mxnet.ops import registry

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "make_fixtures_gluon_rnn_loss",
    os.path.join(HERE, "..", "..", "tools", "make_fixtures_gluon_rnn_loss.py"))
maker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(maker)

LAYERS = maker.load_packed(os.path.join(maker.OUT, "layer.npz"))
CELLS = maker.load_packed(os.path.join(maker.OUT, "cell.npz"))


def _arrays(fixture, case):
    prefix = case + "/"
    return {k[len(prefix):]: fixture[k] for k in fixture if k.startswith(prefix)}


def _close(actual, expected, what):
    scale = max(1.0, float(np.abs(expected).max())) if np.size(expected) else 1.0
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * scale, err_msg=what)


def _check(result, arrays, case):
    outs, states, grads = result
    expected_outs = sorted(k for k in arrays if k.startswith("out"))
    assert len(outs) == len(expected_outs), case
    for i, o in enumerate(outs):
        _close(o, arrays[f"out{i}"], f"{case}: output {i}")
    assert len(states) == sum(k.startswith("final_state") for k in arrays), case
    for i, s in enumerate(states):
        _close(s, arrays[f"final_state{i}"], f"{case}: state {i}")
    assert sorted(grads) == sorted(k[5:] for k in arrays if k.startswith("grad_")), case
    for name, g in grads.items():
        _close(g, arrays["grad_" + name], f"{case}: gradient of {name}")


MODES = pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])


@MODES
@pytest.mark.parametrize("case", sorted(maker.LAYER_CASES))
def test_layer_matches_mxnet(case, hybridize):
    arrays = _arrays(LAYERS, case)
    layer = maker.make_layer(case)
    layer.load_parameters(os.path.join(maker.OUT, f"layer_{case}.params"))
    if hybridize:
        layer.hybridize()
    with_states = maker.LAYER_CASES[case][3]
    out, states, grads = maker.run_layer(layer, arrays, with_states,
                                         case not in maker.LAYER_FORWARD_ONLY)
    _check(([out], states, grads), arrays, case)


@MODES
@pytest.mark.parametrize("case", sorted(maker.CELL_CASES))
def test_unrolled_cell_matches_mxnet(case, hybridize):
    arrays = _arrays(CELLS, case)
    block = maker.make_unroller(case)
    block.load_parameters(os.path.join(maker.OUT, f"cell_{case}.params"))
    if hybridize:
        block.hybridize()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Sequential of hybrid children
        result = maker.run_cell(block, arrays)
    _check(result, arrays, case)


def test_layer_parameter_names_and_file_keys_follow_mxnet(tmp_path):
    layer = rnn.LSTM(4, num_layers=2, bidirectional=True, input_size=3, prefix="lstm0_")
    assert list(layer.collect_params().keys())[:5] == [
        "lstm0_l0_i2h_weight", "lstm0_l0_h2h_weight", "lstm0_l0_i2h_bias", "lstm0_l0_h2h_bias",
        "lstm0_r0_i2h_weight"]
    assert layer.l1_i2h_weight.shape == (16, 8)
    layer.initialize()
    layer.save_parameters(str(tmp_path / "lstm.params"))
    keys = sorted(mx.nd.load(str(tmp_path / "lstm.params")))
    assert keys[0] == "_unfused.0.l_cell.h2h_bias" and len(keys) == 16
    plain = rnn.GRU(3, input_size=2, prefix="gru0_")
    plain.initialize()
    plain.save_parameters(str(tmp_path / "gru.params"))
    assert sorted(mx.nd.load(str(tmp_path / "gru.params"))) == [
        "_unfused.0.h2h_bias", "_unfused.0.h2h_weight", "_unfused.0.i2h_bias",
        "_unfused.0.i2h_weight"]
    again = rnn.GRU(3, prefix="gru1_")
    again.load_parameters(str(tmp_path / "gru.params"))
    _close(again.l0_i2h_weight.data().asnumpy(), plain.l0_i2h_weight.data().asnumpy(), "load")


def test_layer_projection_names_and_shapes():
    layer = rnn.LSTM(6, num_layers=2, projection_size=3, bidirectional=True, prefix="p_")
    assert "p_l0_h2r_weight" in layer.collect_params().keys()
    assert layer.l0_h2h_weight.shape == (24, 3)
    assert layer.l1_i2h_weight.shape == (24, 6)
    assert layer.l0_h2r_weight.shape == (3, 6)
    assert [i["shape"] for i in layer.state_info(5)] == [(4, 5, 3), (4, 5, 6)]


def test_layer_reprs():
    assert repr(rnn.LSTM(10)) == "LSTM(None -> 10, TNC)"
    assert repr(rnn.GRU(5, num_layers=2, dropout=0.5, bidirectional=True, input_size=3,
                        layout="NTC")) == \
        "GRU(3 -> 5, NTC, num_layers=2, dropout=0.5, bidirectional)"
    assert repr(rnn.RNN(4, activation="tanh")) == "RNN(None -> 4, TNC)"


def test_layer_without_states_returns_output_only_and_infers_input_size():
    layer = rnn.GRU(5, num_layers=2, layout="NTC")
    layer.initialize()
    out = layer(mx.nd.ones((2, 7, 3)))
    assert isinstance(out, mx.nd.NDArray) and out.shape == (2, 7, 5)
    assert layer.l0_i2h_weight.shape == (15, 3)
    out, states = layer(mx.nd.ones((2, 7, 3)), layer.begin_state(2))
    assert [s.shape for s in states] == [(2, 2, 5)]


def test_layer_begin_state_layout_and_dtype():
    layer = rnn.LSTM(4, num_layers=3, bidirectional=True)
    info = layer.state_info(2)
    assert info[0] == {"shape": (6, 2, 4), "__layout__": "LNC", "dtype": "float32"}
    states = layer.begin_state(2, func=mx.nd.ones, dtype="float64")
    assert [s.shape for s in states] == [(6, 2, 4)] * 2
    assert states[0].dtype == np.float64


def test_layer_state_of_wrong_shape_raises():
    layer = rnn.LSTM(4)
    layer.initialize()
    with pytest.raises(ValueError, match="Invalid recurrent state shape"):
        layer(mx.nd.ones((3, 2, 5)), [mx.nd.zeros((1, 3, 4)), mx.nd.zeros((1, 3, 4))])


def test_layer_rejects_bad_layout_and_rank():
    with pytest.raises(AssertionError, match="Invalid layout"):
        rnn.GRU(3, layout="CTN")
    layer = rnn.RNN(3)
    layer.initialize()
    with pytest.raises(Exception, match="3-d"):
        layer(mx.nd.ones((2, 3)))


def test_layer_dropout_only_in_training():
    layer = rnn.LSTM(8, num_layers=2, dropout=0.5)
    layer.initialize()
    x = mx.nd.ones((4, 2, 3))
    _close(layer(x).asnumpy(), layer(x).asnumpy(), "inference is deterministic")
    with mx.autograd.train_mode():
        assert not np.allclose(layer(x).asnumpy(), layer(x).asnumpy())


def test_cell_names_reprs_and_state_info():
    cell = rnn.LSTMCell(4, input_size=3, prefix="lstm0_")
    assert sorted(cell.collect_params().keys()) == [
        "lstm0_h2h_bias", "lstm0_h2h_weight", "lstm0_i2h_bias", "lstm0_i2h_weight"]
    assert repr(cell) == "LSTMCell(3 -> 16)"
    assert repr(rnn.RNNCell(5, activation="relu")) == "RNNCell(None -> 5, relu)"
    assert repr(rnn.GRUCell(2, input_size=4)) == "GRUCell(4 -> 6)"
    assert cell.state_info(7) == [{"shape": (7, 4), "__layout__": "NC"}] * 2
    assert rnn.GRUCell(3)._alias() == "gru"
    assert repr(rnn.DropoutCell(0.3)) == "DropoutCell(rate=0.3, axes=())"
    seq = rnn.SequentialRNNCell()
    with seq.name_scope():
        seq.add(rnn.RNNCell(2, input_size=2))
        seq.add(rnn.DropoutCell(0.1))
    assert repr(seq) == ("SequentialRNNCell(\n(0): RNNCell(2 -> 2, tanh)\n"
                         "(1): DropoutCell(rate=0.1, axes=())\n)")
    assert len(seq) == 2 and isinstance(seq[1], rnn.DropoutCell)
    assert list(seq.collect_params().keys())[0].endswith("_rnn0_i2h_weight")


def test_modifier_cells_share_parameters_and_guard_the_base_cell():
    base = rnn.GRUCell(3, prefix="gru0_")
    zone = rnn.ZoneoutCell(base, zoneout_outputs=0.2)
    assert zone.prefix == "gru0_zoneout"
    assert zone.params is base.params
    assert repr(zone) == "ZoneoutCell(p_out=0.2, p_state=0.0, GRUCell(None -> 9))"
    with pytest.raises(AssertionError, match="modifier"):
        base.begin_state(2)
    assert [s.shape for s in zone.begin_state(batch_size=2, func=mx.nd.zeros)] == [(2, 3)]
    with pytest.raises(AssertionError, match="already modified"):
        rnn.ResidualCell(base)
    bi = rnn.BidirectionalCell(rnn.RNNCell(2), rnn.RNNCell(2))
    with pytest.raises(NotImplementedError, match="unroll"):
        bi(mx.nd.ones((1, 2)), [])
    with pytest.raises(AssertionError, match="Bidirectional"):
        rnn.ZoneoutCell(bi)


def test_begin_state_names_count_per_cell():
    cell = rnn.LSTMCell(2, prefix="c_")
    names = []

    def record(name, **kwargs):
        names.append(name)
        return mx.nd.zeros(**kwargs)
    cell.begin_state(batch_size=1, func=record)
    cell.begin_state(batch_size=1, func=record)
    assert names == ["c_begin_state_0", "c_begin_state_1", "c_begin_state_2",
                     "c_begin_state_3"]


def test_step_by_step_equals_unroll():
    cell = rnn.GRUCell(3, input_size=2)
    cell.initialize(mx.init.Uniform(0.5))
    x = mx.nd.random.uniform(shape=(4, 5, 2))
    outs, states = cell.unroll(5, x, layout="NTC", merge_outputs=False)
    state = cell.begin_state(batch_size=4)
    for t in range(5):
        out, state = cell(x[:, t, :], state)
        _close(out.asnumpy(), outs[t].asnumpy(), f"step {t}")
    _close(state[0].asnumpy(), states[0].asnumpy(), "final state")


def test_unroll_takes_a_list_of_steps_and_merges_on_request():
    cell = rnn.RNNCell(3, input_size=2)
    cell.initialize()
    steps = [mx.nd.ones((4, 2)) * t for t in range(3)]
    outs, _ = cell.unroll(3, steps, layout="TNC", merge_outputs=True)
    assert outs.shape == (3, 4, 3)
    outs, _ = cell.unroll(3, steps, layout="NTC")
    assert isinstance(outs, list) and len(outs) == 3
    with pytest.raises(ValueError):
        cell.unroll(4, steps)


def test_fused_layer_equals_unrolled_cells():
    layer = rnn.LSTM(3, num_layers=2, bidirectional=True, input_size=2, prefix="fused_")
    layer.initialize(mx.init.Uniform(0.5))
    stack = rnn.SequentialRNNCell()
    with stack.name_scope():
        for i, ni in enumerate((2, 6)):
            stack.add(rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=ni, prefix=f"l{i}_"),
                                            rnn.LSTMCell(3, input_size=ni, prefix=f"r{i}_")))
    stack.initialize()
    for name, p in layer.collect_params().items():
        stack.collect_params()[stack.prefix + name[len("fused_"):]].set_data(p.data())
    x = mx.nd.random.uniform(shape=(5, 2, 2))
    outs, _ = stack.unroll(5, x, layout="TNC", merge_outputs=True)
    _close(layer(x).asnumpy(), outs.asnumpy(), "fused vs unrolled")


class _Encoder(gluon.HybridBlock):
    """A GRU and a Dense layer; the GRU's initial state is an input."""

    def __init__(self, input_size, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.gru = rnn.GRU(4, input_size=input_size, layout="NTC")
            self.out = gluon.nn.Dense(2, flatten=False)

    def hybrid_forward(self, F, x, state):
        seq, states = self.gru(x, [state])
        return self.out(seq), states[0]


def test_rnn_inside_hybridized_parent():
    net = _Encoder(3)
    net.initialize()
    x, state = mx.nd.ones((2, 5, 3)), mx.nd.ones((1, 2, 4)) * 0.5
    expected = [a.asnumpy() for a in net(x, state)]
    net.hybridize()
    for got, want in zip(net(x, state), expected):
        _close(got.asnumpy(), want, "hybridized parent")


def test_reshape_and_param_concat_rules_fill_an_unknown_size_from_the_output():
    # The rules a graph pass calls with the known output shapes (0 = unknown
    # dimension): the shape RNN demands for its flat parameters flows back.
    reshape, concat = registry.get("Reshape"), registry.get("_rnn_param_concat")
    flat = reshape.parse({"shape": (-1,)})
    assert reshape.infer_shape(flat, [(12, 0)], [(36,)]) == ([(12, 3)], [(36,)])
    assert reshape.infer_shape(flat, [(12, 0)], [None]) == ([(12, 0)], [None])
    attrs = concat.parse({"dim": 0, "num_args": 3})
    ins, outs = concat.infer_shape(attrs, [(0,), (48,), (24,)], [(108,)])
    assert ins == [(36,), (48,), (24,)] and outs == [(108,)]
    assert concat.infer_shape(attrs, [(0,), None, (24,)], [(108,)])[1] == [None]
    with pytest.raises(MXNetError, match="cannot hold"):
        reshape.infer_shape(flat, [(5, 0)], [(36,)])
    with pytest.raises(MXNetError, match="larger than the output"):
        concat.infer_shape(attrs, [(0,), (48,), (84,)], [(108,)])


def test_rnn_input_size_inferred_inside_hybridized_parent():
    net = _Encoder(0)
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((2, 5, 3)), mx.nd.ones((1, 2, 4)))
    assert net.gru.l0_i2h_weight.shape == (12, 3)


def test_rnn_default_states_inside_hybridized_parent():
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(rnn.GRU(4, input_size=3, layout="NTC"))
    net.initialize()
    net.hybridize()
    assert net(mx.nd.ones((2, 5, 3))).shape == (2, 5, 4)


def _copy_params(src, dst, mapping):
    for name, p in src.collect_params().items():
        dst.collect_params()[mapping(name)].set_data(p.data())


@MODES
def test_sequence_length_masks_like_unrolled_cell(hybridize):
    layer = rnn.LSTM(3, input_size=2, use_sequence_length=True, prefix="seq_")
    layer.initialize(mx.init.Uniform(0.5))
    cell = rnn.LSTMCell(3, input_size=2, prefix="cell_")
    cell.initialize()
    _copy_params(layer, cell, lambda n: "cell_" + n[len("seq_l0_"):])
    if hybridize:
        layer.hybridize()
    x = mx.nd.random.uniform(shape=(4, 3, 2))
    lengths = mx.nd.array([4, 1, 2])
    out, states = layer(x, layer.begin_state(3), lengths)
    ref, ref_states = cell.unroll(4, x, layout="TNC", merge_outputs=True, valid_length=lengths)
    _close(out.asnumpy(), ref.asnumpy(), "outputs")
    for s, r in zip(states, ref_states):
        _close(s.asnumpy()[0], r.asnumpy(), "final states")


def test_state_clip_bounds_the_cell_state():
    layer = rnn.LSTM(4, state_clip_min=-0.05, state_clip_max=0.05, input_size=3)
    layer.initialize(mx.init.Uniform(1.0))
    _, (h, c) = layer(mx.nd.ones((5, 2, 3)) * 3, layer.begin_state(2))
    assert np.abs(c.asnumpy()).max() <= 0.05 + 1e-7


def test_contrib_cells():
    from mxnet.gluon.contrib import rnn as contrib_rnn
    cell = contrib_rnn.LSTMPCell(6, 2, input_size=3, prefix="lstmp0_")
    assert repr(cell) == "LSTMPCell(3 -> 24 -> 2)"
    assert sorted(cell.collect_params().keys()) == [
        "lstmp0_h2h_bias", "lstmp0_h2h_weight", "lstmp0_h2r_weight", "lstmp0_i2h_bias",
        "lstmp0_i2h_weight"]
    assert [i["shape"] for i in cell.state_info(4)] == [(4, 2), (4, 6)]
    drop = contrib_rnn.VariationalDropoutCell(rnn.GRUCell(3), drop_states=0.5)
    assert repr(drop) == "VariationalDropoutCell(p_out = 0.0, p_state = 0.5)"
    with pytest.raises(AssertionError, match="Bidirectional"):
        contrib_rnn.VariationalDropoutCell(
            rnn.BidirectionalCell(rnn.GRUCell(2), rnn.GRUCell(2)), drop_states=0.5)


def test_variational_dropout_reuses_one_mask_per_sequence():
    from mxnet.gluon.contrib import rnn as contrib_rnn
    cell = contrib_rnn.VariationalDropoutCell(rnn.DropoutCell(0.0), drop_outputs=0.5)
    x = mx.nd.ones((2, 6, 8))
    with mx.autograd.train_mode():
        out, _ = cell.unroll(6, x, layout="NTC", merge_outputs=True)
    out = out.asnumpy()
    assert set(np.unique(out)) <= {0.0, 2.0}
    assert (out == out[:, :1, :]).all()  # the same mask at every step
