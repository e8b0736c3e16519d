"""Per-step shortcuts of a classifier's training step: the cross-entropy backward
reusing its forward's log-probabilities, run_host_op's dispatch, and
FullyConnected's dtype check. Each keeps the values of the plain computation."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.base import MXNetError
from mxnet.ops import nn_loss, registry

_FWD = registry.get("_softmax_ce_per_example")
_BWD = registry.get("_backward_softmax_ce_per_example")


def _inputs(dtype="float32", rows=16, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    data = (rng.standard_normal((rows, classes)) * 4).astype(dtype)
    label = rng.integers(-1, classes + 1, rows).astype("float32")  # some clipped
    grad = rng.standard_normal(rows).astype(dtype)
    return data, label, grad


def _backward_recomputed(grad, data, label):
    """The backward with no remembered forward: log_softmax runs again."""
    nn_loss._memo = None
    return _BWD.compute(np, _BWD.parse({}), grad, data, label)


def _log_softmax_runs(fn):
    with backends.count_kernels() as counts:
        result = fn()
        runs = sum(n for (op, _), n in counts.items() if op == "log_softmax")
    return result, runs


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_backward_reuses_the_forward_log_probs(dtype):
    data, label, grad = _inputs(dtype)
    expected = _backward_recomputed(grad, data, label)
    _FWD.compute(np, _FWD.parse({}), data, label)
    got, runs = _log_softmax_runs(lambda: _BWD.compute(np, _BWD.parse({}), grad, data, label))
    assert runs == 0
    assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


@pytest.mark.parametrize("change", ["data", "label"])
def test_backward_recomputes_for_other_inputs(change):
    data, label, grad = _inputs()
    _FWD.compute(np, _FWD.parse({}), data, label)
    if change == "data":
        data = data.copy()
        data[3, 2] += 1  # one element differs: the remembered values do not apply
    else:
        label = label.copy()
        label[0] = (label[0] + 1) % 10
    expected = _backward_recomputed(grad, data, label)
    _FWD.compute(np, _FWD.parse({}), *_inputs()[:2])
    got, runs = _log_softmax_runs(lambda: _BWD.compute(np, _BWD.parse({}), grad, data, label))
    assert runs == 1
    assert got.tobytes() == expected.tobytes()


def test_backward_after_an_in_place_change_of_the_scores():
    data, label, grad = _inputs()
    _FWD.compute(np, _FWD.parse({}), data, label)
    data *= 2  # the forward's buffer is reused for new scores before the backward
    got = _BWD.compute(np, _BWD.parse({}), grad, data, label)
    assert got.tobytes() == _backward_recomputed(grad, data, label).tobytes()


def test_large_inputs_are_not_remembered():
    data, label, _ = _inputs(rows=2, classes=nn_loss._MEMO_LIMIT)
    nn_loss._memo = None
    _FWD.compute(np, _FWD.parse({}), data, label)
    assert nn_loss._memo is None


def test_forward_picks_clipped_labels():
    data, label, _ = _inputs()
    got = _FWD.compute(np, _FWD.parse({}), data, label)
    log_probs = data - data.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    cols = np.clip(label.astype(np.int64), 0, data.shape[1] - 1)
    assert got.shape == (16,)
    np.testing.assert_allclose(got, -log_probs[np.arange(16), cols], rtol=1e-5)


def test_autograd_step_matches_the_four_op_chain():
    data, label, _ = _inputs()
    x, y = mx.nd.array(data), mx.nd.array(label)
    grads = []
    for fused in (True, False):
        x.attach_grad()
        with mx.autograd.record():
            if fused:
                loss = mx.nd._internal._softmax_ce_per_example(x, y)
            else:
                loss = -mx.nd.pick(mx.nd.log_softmax(x), y, axis=-1, mode="clip")
        loss.backward()
        grads.append(x.grad.asnumpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6, atol=1e-7)


def test_run_host_op_goes_through_the_backends():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    with backends.count_kernels() as counts:
        out = registry.run_host_op("log_softmax", np, {"axis": -1}, x)
    assert sum(n for (op, _), n in counts.items() if op == "log_softmax") == 1
    np.testing.assert_allclose(np.exp(out).sum(1), 1, rtol=1e-6)
    assert registry.run_host_op("dot", np, {}, x, x.T).shape == (4, 4)


def test_fully_connected_type_check():
    fc = registry.get("FullyConnected")
    attrs = fc.parse({"num_hidden": 2})
    x, w, b = np.ones((3, 4), ">f4"), np.ones((2, 4), np.float32), np.ones(2, np.float32)
    np.testing.assert_array_equal(fc.compute(np, attrs, x, w, b), np.full((3, 2), 5))
    with pytest.raises(MXNetError, match="FullyConnected.*float64 for 'bias'"):
        fc.compute(np, attrs, x, w, b.astype(np.float64))
    with pytest.raises(MXNetError, match="FullyConnected.*floating-point.*int32"):
        fc.compute(np, attrs, *(a.astype(np.int32) for a in (x, w, b)))
