"""The fused RNN operator: MXNet 1.9.1 fixtures for every mode, finite-difference
gradients (sequence lengths, clipping, projection, dropout), bad arguments."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ops import registry

from .harness import Case, check_gradient, numeric_gradient, run_case

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops", "nn_rnn.npz")
rng = np.random.default_rng(3)


def _load_fixtures():
    data = np.load(FIXTURES)
    meta = json.loads(str(data["meta"]))
    cases = {}
    for name, info in meta.items():
        flat, pos, groups = data[name], 0, {}
        for key in ("in", "out", "head", "grad"):
            groups[key] = []
            for shape in info.get(key, []):
                n = int(np.prod(shape))
                groups[key].append(flat[pos:pos + n].reshape(shape))
                pos += n
        cases[name] = (info["kwargs"], groups)
    return cases


ORACLE = _load_fixtures()


def _param_count(data_shape, kwargs):
    """Length of the flat parameter vector, from RNN's shape inference."""
    op = registry.get("RNN")
    attrs = op.parse(kwargs)
    shapes, _ = op.infer_shape(attrs, [data_shape] + [None] * (len(op.input_names(attrs)) - 1))
    return shapes[1][0]


def _inputs(mode, T=3, N=2, C=2, H=2, L=1, bidirectional=False, projection_size=None,
            dtype=np.float64):
    """Random RNN inputs and kwargs for a tiny configuration."""
    D = 2 if bidirectional else 1
    R = projection_size or H
    kwargs = {"mode": mode, "state_size": H, "num_layers": L, "bidirectional": bidirectional,
              "state_outputs": True}
    if projection_size:
        kwargs["projection_size"] = projection_size
    n = _param_count((T, N, C), kwargs)
    arrays = [rng.uniform(-1, 1, (T, N, C)), rng.uniform(-0.7, 0.7, n),
              rng.uniform(-1, 1, (L * D, N, R))]
    if mode == "lstm":
        arrays.append(rng.uniform(-1, 1, (L * D, N, H)))
    return [a.astype(dtype) for a in arrays], kwargs


@pytest.mark.parametrize("name", sorted(ORACLE))
def test_rnn_matches_mxnet_outputs_and_gradients(name):
    kwargs, groups = ORACLE[name]
    inputs = [mx.nd.array(a) for a in groups["in"]]
    for x in inputs:
        x.attach_grad()
    with mx.autograd.record():
        outs = mx.nd.RNN(*inputs, **kwargs)
    assert len(outs) == len(groups["out"])
    for got, want in zip(outs, groups["out"]):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-6)
    if groups["grad"]:
        mx.autograd.backward(outs, [mx.nd.array(h) for h in groups["head"]])
        for i, (x, want) in enumerate(zip(inputs, groups["grad"])):
            np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-4, atol=1e-5,
                                       err_msg=f"gradient of input {i}")


def _rnn_case(mode, case_id, **config):
    inputs, kwargs = _inputs(mode, **config)
    return Case("RNN", inputs, kwargs, grad=True, rtol=1e-6, grad_rtol=1e-4, grad_atol=1e-6,
                id=case_id)


GRADIENT_CASES = [
    _rnn_case("rnn_tanh", "rnn_tanh-bidirectional-2-layers", L=2, bidirectional=True),
    _rnn_case("rnn_relu", "rnn_relu-2-layers", L=2),
    _rnn_case("lstm", "lstm-bidirectional-2-layers", L=2, bidirectional=True),
    _rnn_case("lstm", "lstm-projection-bidirectional", H=3, projection_size=2,
              bidirectional=True, L=2),
    _rnn_case("gru", "gru-bidirectional-2-layers", L=2, bidirectional=True),
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=str)
def test_rnn_gradients_match_finite_differences(case):
    run_case(case)


@pytest.mark.parametrize("mode", ["rnn_tanh", "lstm", "gru"])
def test_sequence_length_stops_each_example_at_its_length(mode):
    inputs, kwargs = _inputs(mode, T=4, N=2, bidirectional=True)
    kwargs["use_sequence_length"] = True
    lengths = mx.nd.array([2, 4])
    outs = mx.nd.RNN(*[mx.nd.array(a) for a in inputs], lengths, **kwargs)
    out = outs[0].asnumpy()
    assert (out[2:, 0] == 0).all(), "steps past the length give zero outputs"
    # Example 0 alone, cut to its length, gives the same output and states.
    short = [inputs[0][:2, :1], inputs[1]] + [a[:, :1] for a in inputs[2:]]
    kwargs_short = dict(kwargs, use_sequence_length=False)
    ref = mx.nd.RNN(*[mx.nd.array(a) for a in short], **kwargs_short)
    np.testing.assert_allclose(out[:2, :1], ref[0].asnumpy(), rtol=1e-6, atol=1e-7)
    for got, want in zip(outs[1:], ref[1:]):
        np.testing.assert_allclose(got.asnumpy()[:, :1], want.asnumpy(), rtol=1e-6, atol=1e-7)

    def with_lengths(*arrays, **kw):
        return mx.nd.RNN(*arrays, mx.nd.array([2, 4], dtype=arrays[0].dtype), **kw)
    with_lengths.op = mx.nd.RNN.op
    check_gradient(with_lengths, inputs, kwargs, rtol=1e-4, atol=1e-6)


def test_lstm_state_clip_bounds_the_cell_state_and_its_gradient():
    inputs, kwargs = _inputs("lstm", T=4)
    inputs[1] = inputs[1] * 3
    kwargs.update(lstm_state_clip_min=-0.2, lstm_state_clip_max=0.25)
    cy = mx.nd.RNN(*[mx.nd.array(a) for a in inputs], **kwargs)[2].asnumpy()
    assert cy.min() >= -0.2 and cy.max() <= 0.25
    check_gradient(mx.nd.RNN, inputs, kwargs, rtol=1e-4, atol=1e-6)


def test_lstm_state_clip_nan_replaces_nan_cell_states():
    inputs, kwargs = _inputs("lstm", T=2, dtype=np.float32)
    inputs[0][0, 0, 0] = np.nan
    kwargs.update(lstm_state_clip_min=-1.0, lstm_state_clip_max=1.0)
    plain = mx.nd.RNN(*[mx.nd.array(a) for a in inputs], **kwargs)[2].asnumpy()
    assert np.isnan(plain[0, 0]).all()
    kwargs["lstm_state_clip_nan"] = True
    clipped = mx.nd.RNN(*[mx.nd.array(a) for a in inputs], **kwargs)[2].asnumpy()
    assert not np.isnan(clipped).any()


def test_state_outputs_false_returns_only_the_sequence():
    inputs, kwargs = _inputs("lstm")
    kwargs["state_outputs"] = False
    out = mx.nd.RNN(*[mx.nd.array(a, dtype=np.float32) for a in inputs], **kwargs)
    assert isinstance(out, mx.nd.NDArray) and out.shape == (3, 2, 2)
    assert out.dtype == np.float32


def test_dropout_applies_between_layers_only_in_training():
    inputs, kwargs = _inputs("gru", L=2, H=8, T=2)
    kwargs["p"] = 0.5
    xs = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
    predict = mx.nd.RNN(*xs, **dict(kwargs, p=0.0))[0].asnumpy()
    np.testing.assert_allclose(mx.nd.RNN(*xs, **kwargs)[0].asnumpy(), predict)
    with mx.autograd.train_mode():
        train = mx.nd.RNN(*xs, **kwargs)[0].asnumpy()
    assert not np.allclose(train, predict)

    def seeded_training_forward(*arrays):
        mx.random.seed(11)
        with mx.autograd.train_mode():
            return [o.asnumpy() for o in mx.nd.RNN(*[mx.nd.array(a, dtype=a.dtype) for a in arrays],
                                                    **kwargs)]
    weights, expected = numeric_gradient(seeded_training_forward, inputs)
    for x in xs:
        x.attach_grad()
    mx.random.seed(11)
    with mx.autograd.record():
        outs = mx.nd.RNN(*xs, **kwargs)
    mx.autograd.backward(outs, [mx.nd.array(w) for w in weights])
    for x, e in zip(xs, expected):
        np.testing.assert_allclose(x.grad.asnumpy(), e, rtol=1e-4, atol=1e-6)


def test_float16_runs_and_keeps_its_dtype():
    inputs, kwargs = _inputs("lstm", dtype=np.float16)
    outs = mx.nd.RNN(*[mx.nd.array(a, dtype=np.float16) for a in inputs], **kwargs)
    ref = mx.nd.RNN(*[mx.nd.array(a, dtype=np.float32) for a in inputs], **kwargs)
    assert all(o.dtype == np.float16 for o in outs)
    np.testing.assert_allclose(outs[0].asnumpy(), ref[0].asnumpy(), atol=2e-3)


def test_input_names_follow_the_mode():
    op = registry.get("RNN")
    assert op.input_names(op.parse({"mode": "gru", "state_size": 2, "num_layers": 1})) == \
        ["data", "parameters", "state"]
    assert op.input_names(op.parse({"mode": "lstm", "state_size": 2, "num_layers": 1,
                                    "use_sequence_length": True})) == \
        ["data", "parameters", "state", "state_cell", "sequence_length"]


def test_sequence_length_follows_state_for_modes_without_a_cell():
    inputs, kwargs = _inputs("gru", T=3)
    kwargs["use_sequence_length"] = True
    out = mx.nd.RNN(*[mx.nd.array(a) for a in inputs], mx.nd.array([3, 1]), **kwargs)
    assert out[0].shape == (3, 2, 2)


def test_rnn_param_concat_joins_and_splits_gradients():
    a = rng.uniform(-1, 1, (6,))
    b = rng.uniform(-1, 1, (4,))
    run_case(Case("_internal._rnn_param_concat", [a, b], {"dim": 0},
                  ref=lambda x, y, dim: np.concatenate([x, y]), grad=True))


BAD_CALLS = [
    ("parameters of the wrong size", "lstm", lambda x: x.__setitem__(1, x[1][:-1])),
    ("state of the wrong shape", "lstm", lambda x: x.__setitem__(2, np.zeros((2, 2, 2)))),
    ("data that is not 3-d", "gru", lambda x: x.__setitem__(0, x[0].reshape(3, 4))),
    ("a missing state_cell for lstm", "lstm", lambda x: x.pop()),
]


@pytest.mark.parametrize("what,mode,spoil", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_rnn_rejects(what, mode, spoil):
    inputs, kwargs = _inputs(mode)
    spoil(inputs)
    with pytest.raises(MXNetError, match="RNN"):
        mx.nd.RNN(*[mx.nd.array(a) for a in inputs], **kwargs).wait_to_read()


@pytest.mark.parametrize("kwargs", [
    {"mode": "gru", "projection_size": 1}, {"mode": "lstm", "num_layers": 0},
    {"mode": "lstm", "p": 1.0}, {"mode": "lstm", "lstm_state_clip_min": 0.0},
    {"mode": "lstm", "projection_size": 0}, {"mode": "elman"},
], ids=str)
def test_rnn_rejects_bad_arguments(kwargs):
    inputs, base = _inputs("lstm")
    with pytest.raises(MXNetError, match="RNN"):
        mx.nd.RNN(*[mx.nd.array(a) for a in inputs], **dict(base, **kwargs)).wait_to_read()
