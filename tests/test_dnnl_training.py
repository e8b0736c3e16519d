"""oneDNN training paths: the convolution gradients in each memory format the
backend picks per layer, the out-gradient reordered once for both backward
primitives, and max pooling's workspace kept from forward to backward. Every
case compares against the NumPy kernels (``MXNET_ONEDNN_ENABLED=0``)."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.backends import dnnl

pytestmark = pytest.mark.skipif(not dnnl.available, reason="oneDNN library not installed")

_rng = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def small_calls_use_onednn(monkeypatch):
    from mxnet.backends.dnnl import overrides
    monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(overrides, "MIN_WORK", 0)


def _a(*shape):
    return _rng.uniform(-1, 1, shape).astype(np.float32)


def _conv_grads(x, w, b, kwargs, data_grad=True):
    """Output and gradients of a Convolution, plus the kernels counted."""
    arrays = [mx.nd.array(a) for a in (x, w, b)]
    for a in arrays[0 if data_grad else 1:]:
        a.attach_grad()
    with backends.count_kernels() as counts:
        with mx.autograd.record():
            y = mx.nd.Convolution(*arrays, **kwargs)
        head = mx.nd.array(np.linspace(-1, 1, y.size, dtype=np.float32).reshape(y.shape))
        y.backward(head)
        results = [y.asnumpy()] + [a.grad.asnumpy() for a in arrays[0 if data_grad else 1:]]
    return results, dict(counts)


def _compare_conv(monkeypatch, x, w, b, data_grad=True, **kwargs):
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    fast, ran = _conv_grads(x, w, b, kwargs, data_grad)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    slow, _ = _conv_grads(x, w, b, kwargs, data_grad)
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    backward = "_backward_Convolution" if data_grad else "_backward_Convolution_weight"
    assert ran.get((backward, "onednn")), ran


# (id, data shape, filters, kernel, pad, formats picked for (data, weights) gradients)
LAYERS = [
    ("one-input-channel", (4, 1, 12, 12), 20, 5, 0, ("plain", "any")),
    ("three-input-channels-padded", (2, 3, 9, 9), 16, 3, 1, ("plain", "any")),
    ("channels-off-the-block", (3, 20, 10, 10), 50, 5, 0, ("nhwc", "nhwc")),
    ("channels-in-whole-blocks", (2, 32, 8, 8), 16, 3, 1, ("any", "any")),
]


@pytest.mark.parametrize("shape, filters, k, pad, formats", [c[1:] for c in LAYERS],
                         ids=[c[0] for c in LAYERS])
def test_conv_gradients_match_numpy_in_the_format_picked(monkeypatch, shape, filters, k, pad,
                                                         formats):
    from mxnet.backends.dnnl import conv
    x, w, b = _a(*shape), _a(filters, shape[1], k, k) * 0.2, _a(filters)
    out = (shape[0], filters, shape[2] + 2 * pad - k + 1, shape[3] + 2 * pad - k + 1)
    picked = conv._backward_formats(x, w, np.empty(out, np.float32), x, 1)
    assert picked == formats
    _compare_conv(monkeypatch, x, w, b, kernel=(k, k), pad=(pad, pad), num_filter=filters)
    _compare_conv(monkeypatch, x, w, b, data_grad=False, kernel=(k, k), pad=(pad, pad),
                  num_filter=filters)


def test_plain_data_gradient_runs_without_reorders():
    from mxnet.backends.dnnl import conv
    from mxnet.backends.dnnl.conv import Geometry, _backward_primitives
    x, w = _a(2, 1, 10, 10), _a(8, 1, 3, 3)
    dy, dw = np.empty((2, 8, 8, 8), np.float32), np.empty_like(w)
    attrs = mx.ops.registry.get("Convolution").parse(dict(kernel=(3, 3), num_filter=8,
                                                          no_bias=True))
    bwd_data, _ = _backward_primitives(x, w, dy, np.empty_like(x), dw, None,
                                       Geometry("Convolution", attrs, 4), 1)
    assert not bwd_data.reorders, conv._backward_formats(x, w, dy, x, 1)
    assert "gemm" in bwd_data.impl_name()


def test_out_grad_is_reordered_once_for_both_backward_primitives(monkeypatch):
    from mxnet.backends.dnnl import conv
    calls = []
    real = conv.blocked_from

    def counting(a, target):
        calls.append(a.shape)
        return real(a, target)
    monkeypatch.setattr(conv, "blocked_from", counting)
    x, w, b = _a(2, 16, 8, 8), _a(16, 16, 3, 3) * 0.2, _a(16)
    _compare_conv(monkeypatch, x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=16)
    assert calls == [(2, 16, 8, 8)]


def _max_pool_grads(x, kwargs, train=True):
    data = mx.nd.array(x)
    data.attach_grad()
    with mx.autograd.record(train_mode=train):
        y = mx.nd.Pooling(data, pool_type="max", **kwargs)
    head = mx.nd.array(np.linspace(-1, 1, y.size, dtype=np.float32).reshape(y.shape))
    y.backward(head)
    return y.asnumpy(), data.grad.asnumpy()


@pytest.mark.parametrize("kwargs", [dict(kernel=(2, 2), stride=(2, 2)),
                                    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1)),
                                    dict(kernel=(2, 2), stride=(2, 2), layout="NHWC")],
                         ids=["2x2", "3x3-padded", "nhwc"])
def test_max_pool_backward_uses_the_training_forwards_workspace(
        monkeypatch, kwargs):
    from mxnet.backends.dnnl import pool
    x = _rng.integers(0, 4, (2, 5, 8, 8)).astype(np.float32)  # ties: first maximum wins
    reruns = []
    real_take = pool._workspaces.take

    def take(output, forward):
        found = real_take(output, forward)
        reruns.append(found is None)
        return found
    monkeypatch.setattr(pool._workspaces, "take", take)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    fast = _max_pool_grads(x, kwargs)
    assert reruns == [False]
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    slow = _max_pool_grads(x, kwargs)
    for got, want in zip(fast, slow):  # overlapping windows sum in another order
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_max_pool_backward_reruns_the_forward_without_a_kept_workspace(
        monkeypatch):
    from mxnet.backends.dnnl import pool
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    x = _a(2, 3, 6, 6)
    before = len(pool._workspaces)
    y, grad = _max_pool_grads(x, dict(kernel=(2, 2), stride=(2, 2)), train=False)
    assert len(pool._workspaces) == before  # predict mode: an inference forward
    windows = x.reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(y, windows)
    assert np.count_nonzero(grad) == y.size


def test_workspaces_live_as_long_as_their_outputs(monkeypatch):
    from mxnet.backends.dnnl import pool
    attrs = mx.ops.registry.get("Pooling").parse(dict(kernel=(2, 2), stride=(2, 2),
                                                      pool_type="max"))
    x = _a(2, 3, 6, 6)
    before = len(pool._workspaces)
    out = pool._pooling(np, attrs, x, is_train=True)
    assert len(pool._workspaces) == before + 1
    grad = pool._backward_pooling(np, attrs, np.ones_like(out), x, out)
    assert pool._backward_pooling(np, attrs, np.ones_like(out), x, out.copy()).tolist() \
        == grad.tolist()  # a copy finds no workspace: the forward runs again
    del out
    assert len(pool._workspaces) == before


@pytest.mark.parametrize("channels, filters, blocked", [(16, 32, True), (20, 50, False),
                                                        (1, 16, False)])
def test_conv_forward_takes_blocked_kernels_for_channels_in_whole_blocks(
        monkeypatch, channels, filters, blocked):
    from mxnet.backends.dnnl import conv
    picked = []
    real = conv.forward_primitive

    def recording(*args, **kwargs):
        picked.append(kwargs.get("blocked", False))
        return real(*args, **kwargs)
    monkeypatch.setattr(conv, "forward_primitive", recording)
    x, w, b = _a(2, channels, 7, 7), _a(filters, channels, 3, 3) * 0.2, _a(filters)
    _compare_conv(monkeypatch, x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=filters)
    assert picked == [blocked]
