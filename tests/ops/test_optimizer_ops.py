"""Optimizer update operators: multi-step replays of MXNet 1.9.1, in-place state
updates, multi-precision, and the errors for bad arguments.

The fixtures (tools/make_fixtures_optimizer.py) record MXNet running each
update a few steps the way its optimizers do: the new weight is written back
with ``out=weight`` and the states are updated in place by the operator.
"""
import json
import os

import numpy as np
import pytest

import mxnet as mx
import mxnet.ops.optimizer_multi  # noqa: F401  (registers the ops until mxnet.ops imports them)
import mxnet.ops.optimizer_ops  # noqa: F401
from mxnet.base import MXNetError
from mxnet.ndarray.register import make_function
from mxnet.ops import registry

from .harness import check_inference

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops")
with open(os.path.join(FIXTURES, "optimizer_cases.json")) as f:
    CASES = json.load(f)


def op_fn(name):
    return make_function(registry.get(name), name)


def nd(a):
    return mx.nd.array(a, dtype=a.dtype)


class Reader:
    """Reads the fixture buffers back in the order the tool wrote them."""

    def __init__(self):
        data = np.load(os.path.join(FIXTURES, "optimizer_steps.npz"))
        self.buffers = {k: data[k] for k in data.files}
        self.pos = dict.fromkeys(self.buffers, 0)

    def take(self, dtype, shape):
        n = int(np.prod(shape))
        start = self.pos[dtype]
        self.pos[dtype] = start + n
        return self.buffers[dtype][start:start + n].reshape(shape)


def _replay_all():
    """Each case's recorded arrays, keyed by id (the buffers are read in one pass)."""
    reader = Reader()
    recorded = {}
    for case in CASES:
        init = [reader.take(dt, sh) for dt, sh in case["arrays"]]
        steps = []
        for _ in range(case["steps"]):
            fresh = {i: reader.take(*case["arrays"][i]) for i in case["fresh"]}
            outs = [reader.take(dt, sh) for dt, sh in case["outputs"]] if case["out"] == "none" else []
            after = {i: reader.take(*case["arrays"][i])
                     for i in range(len(init)) if i not in case["fresh"]}
            steps.append((fresh, outs, after))
        recorded[case["id"]] = (init, steps)
    return recorded


RECORDED = _replay_all()


def step_kwargs(case, step):
    kw = dict(case["kwargs"])
    if case["step_param"] == "t":
        kw["t"] = step + 1
    elif case["step_param"] == "step_count":
        kw["step_count"] = tuple(step + 1 for _ in range(kw["num_tensors"]))
    return kw


def tolerance(dtype):
    return dict(rtol=2e-3, atol=2e-3) if dtype == np.float16 else dict(rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_update_matches_mxnet_over_several_steps(case):
    fn = op_fn(case["op"])
    init, steps = RECORDED[case["id"]]
    arrays = [nd(a) for a in init]
    for s, (fresh, outs, after) in enumerate(steps):
        for i, a in fresh.items():
            arrays[i] = nd(a)
        kw = step_kwargs(case, s)
        if case["out"] == "weight":
            fn(*arrays, out=arrays[0], **kw)
        elif case["out"] == "none":
            got = fn(*arrays, **kw)
            got = got if isinstance(got, list) else [got]
            for g, e in zip(got, outs):
                assert g.dtype == e.dtype and g.shape == e.shape
                np.testing.assert_allclose(g.asnumpy(), e, err_msg=f"step {s} output",
                                           **tolerance(e.dtype))
        else:
            fn(*arrays, out=[arrays[i] for i in case["out"]], **kw)
        for i, e in after.items():
            np.testing.assert_allclose(arrays[i].asnumpy(), e, err_msg=f"step {s} array {i}",
                                       **tolerance(e.dtype))


SINGLE = [c for c in CASES if registry.get(c["op"]).variadic is None]


@pytest.mark.parametrize("case", SINGLE, ids=[c["id"] for c in SINGLE])
def test_update_pushed_through_the_engine_orders_state_writes(case, monkeypatch):
    """On the async path the engine treats the mutated states as written, so
    reading them right after the call waits for the update."""
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    test_update_matches_mxnet_over_several_steps(case)


# ------------------------------------------------------------ in-place semantics

W = np.array([[1.0, 2.0, -3.0], [0.5, 0.2, 0.1]], np.float32)
G = np.array([[0.5, -4.0, 2.0], [1.0, 2.0, 3.0]], np.float32)
M = np.array([[0.1, 0.2, 0.3], [-0.1, 0.0, 0.4]], np.float32)


def test_without_out_the_weight_is_kept_and_the_state_is_updated():
    w, g, mom = nd(W), nd(G), nd(M)
    new = op_fn("sgd_mom_update")(w, g, mom, lr=0.1, momentum=0.9, wd=0.1, rescale_grad=2.0,
                                  clip_gradient=1.5)
    expected_mom = 0.9 * M - 0.1 * 0.1 * W - 0.1 * np.clip(2 * G, -1.5, 1.5)
    np.testing.assert_allclose(mom.asnumpy(), expected_mom, rtol=1e-6)
    np.testing.assert_allclose(new.asnumpy(), W + expected_mom, rtol=1e-6)
    np.testing.assert_array_equal(w.asnumpy(), W)
    assert not np.shares_memory(new._data, w._data)


def test_out_weight_updates_the_weight_in_place():
    w = nd(W)
    ret = op_fn("sgd_update")(w, nd(G), lr=0.1, wd=0.1, out=w)
    assert ret is w
    np.testing.assert_allclose(w.asnumpy(), 0.99 * W - 0.1 * G, rtol=1e-6)


def test_clip_gradient_zero_clips_to_zero_and_negative_disables():
    sgd = op_fn("sgd_update")
    np.testing.assert_array_equal(sgd(nd(W), nd(G), lr=0.1, clip_gradient=0.0).asnumpy(), W)
    np.testing.assert_allclose(sgd(nd(W), nd(G), lr=0.1, clip_gradient=-3.0).asnumpy(), W - 0.1 * G)


def test_mixed_precision_updates_the_float32_master_and_returns_float16():
    w16, w32 = nd(W.astype(np.float16)), nd(W.copy())
    new = op_fn("mp_sgd_update")(w16, nd(G.astype(np.float16)), w32, lr=0.1)
    assert new.dtype == np.float16
    np.testing.assert_allclose(w32.asnumpy(), W - 0.1 * G, rtol=1e-6)
    np.testing.assert_allclose(new.asnumpy(), (W - 0.1 * G).astype(np.float16))


def test_nesterov_momentum_uses_the_new_weight_in_its_weight_decay_term():
    w, mom = nd(W), nd(M)
    new = op_fn("nag_mom_update")(w, nd(G), mom, lr=0.1, momentum=0.9, wd=0.1, rescale_grad=0.5,
                                  clip_gradient=1.0)
    g = np.clip(0.5 * G, -1.0, 1.0)
    expected_w = W + 0.9 * (0.9 * M - 0.1 * (g + 0.1 * W)) - 0.1 * (g + 0.1 * W)
    np.testing.assert_allclose(new.asnumpy(), expected_w, rtol=1e-6)
    np.testing.assert_allclose(mom.asnumpy(), 0.9 * M - 0.1 * (g + 0.1 * expected_w), rtol=1e-5)


def test_adamw_skips_the_update_when_the_scale_is_not_finite():
    w, mean, var = nd(W), nd(M), nd(np.abs(M))
    new = op_fn("_adamw_update")(w, nd(G), mean, var, nd(np.array([np.nan], np.float32)),
                                 lr=0.1, eta=1.0)
    np.testing.assert_array_equal(new.asnumpy(), W)
    np.testing.assert_array_equal(mean.asnumpy(), M)


def test_group_adagrad_keeps_one_accumulator_per_row():
    w, h = nd(W), nd(np.full((2, 1), 0.5, np.float32))
    new = op_fn("_contrib_group_adagrad_update")(w, nd(G), h, lr=0.1, rescale_grad=0.5,
                                                 clip_gradient=1.5)
    g = np.clip(0.5 * G, -1.5, 1.5)
    hist = 0.5 + (g * g).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(h.asnumpy(), hist, rtol=1e-6)
    np.testing.assert_allclose(new.asnumpy(), W - 0.1 * g / np.sqrt(hist + 1e-5), rtol=1e-6)


def test_multi_update_returns_one_weight_per_group_without_out():
    w1, w2 = nd(W), nd(W[0])
    outs = op_fn("multi_sgd_update")(w1, nd(G), w2, nd(G[0]), lrs=(0.1, 0.2), wds=(0.0, 0.0),
                                     num_weights=2)
    assert len(outs) == 2
    np.testing.assert_allclose(outs[0].asnumpy(), W - 0.1 * G, rtol=1e-6)
    np.testing.assert_allclose(outs[1].asnumpy(), W[0] - 0.2 * G[0], rtol=1e-6)


def test_reset_arrays_zeroes_its_inputs_and_returns_nothing():
    a, b = nd(W), nd(G[0])
    assert op_fn("reset_arrays")(a, b, num_arrays=2) == []
    assert not a.asnumpy().any() and not b.asnumpy().any()


@pytest.mark.parametrize("name", sorted({c["op"] for c in CASES} | {"_contrib_group_adagrad_update",
                                                                     "reset_arrays"}))
def test_update_ops_have_no_gradient(name):
    assert registry.get(name).gradient is None


# ------------------------------------------------------------ bad arguments

F16 = W.astype(np.float16)
BAD = [
    ("sgd_update", [W, G], {}, "lr"),
    ("sgd_update", [W, G], {"lr": 0.1, "momentum": 0.9}, "momentum"),
    ("sgd_update", [W, G[0]], {"lr": 0.1}, "shape"),
    ("sgd_update", [W, G.astype(np.float64)], {"lr": 0.1}, "dtype"),
    ("sgd_update", [W.astype(np.int32), G.astype(np.int32)], {"lr": 1}, "floating point"),
    ("sgd_mom_update", [F16, F16, M], {"lr": 0.1}, "dtype"),
    ("mp_sgd_update", [F16, F16, F16], {"lr": 0.1}, "float32"),
    ("mp_sgd_update", [F16, G, W], {"lr": 0.1}, "dtype"),
    ("_adamw_update", [W, G, M, M, np.ones(1, np.float64)], {"lr": 0.1, "eta": 1.0}, "float32"),
    ("_adamw_update", [W, G, M, M, np.ones(1, np.float32)], {"lr": 0.1}, "eta"),
    ("lamb_update_phase2", [W, G, np.ones(2, np.float32), np.ones(1, np.float32)], {"lr": 0.1}, "(1,)"),
    ("ftml_update", [W, G, M, M, M], {"lr": 0.1}, "'t'"),
    ("_contrib_group_adagrad_update", [W, G, np.ones(2, np.float32)], {"lr": 0.1}, "(2, 1)"),
    ("multi_sgd_update", [W, G, W, G], {"lrs": (0.1,), "wds": (0.0,), "num_weights": 1}, "needs 2 input"),
    ("multi_sgd_update", [W, G, W, G], {"lrs": (0.1,), "wds": (0.0, 0.0), "num_weights": 2}, "lrs"),
    ("multi_sgd_update", [W, G, W[0], G], {"lrs": (0.1, 0.1), "wds": (0.0, 0.0), "num_weights": 2},
     "shape"),
    ("multi_sgd_update", [W, G, W.astype(np.float64), G.astype(np.float64)],
     {"lrs": (0.1, 0.1), "wds": (0.0, 0.0), "num_weights": 2}, "dtype"),
    ("preloaded_multi_sgd_update", [W, G, np.ones(2, np.float32), np.ones(1, np.float32)],
     {"num_weights": 1}, "(1,)"),
    ("_multi_lamb_update", [W, G, M, M], {"learning_rates": (0.1,), "wds": (0.0,), "step_count": (),
                                          "num_tensors": 1}, "step_count"),
    ("multi_lars", [np.ones(2, np.float16)] * 4, {"eta": 1.0, "eps": 0.0}, "float32"),
    ("multi_lars", [np.ones(3, np.float32)] + [np.ones(2, np.float32)] * 3, {"eta": 1.0, "eps": 0.0},
     "shape"),
    ("reset_arrays", [W], {"num_arrays": 2}, "num_arrays"),
]


@pytest.mark.parametrize("name,inputs,kwargs,match", BAD,
                         ids=[f"{b[0]}-{b[3]}" for b in BAD])
def test_bad_arguments_raise_mxnet_error_naming_the_op(name, inputs, kwargs, match):
    with pytest.raises(MXNetError, match=name) as info:
        op_fn(name)(*[nd(a) for a in inputs], **kwargs)
    assert match in str(info.value)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_inferred_shapes_and_dtypes_match_the_outputs(case):
    fn = op_fn(case["op"])
    init, _ = RECORDED[case["id"]]
    arrays = [nd(a) for a in init]
    kw = step_kwargs(case, 0)
    outs = fn(*arrays, **kw)
    check_inference(fn, arrays, kw, outs if isinstance(outs, list) else [outs])
