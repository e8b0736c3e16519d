"""LayerNorm on oneDNN (over the last axis) gives the NumPy kernel's
results: the output, the mean and std outputs, and the data, gamma and beta
gradients; other axes, dtypes and small calls run the default kernel.

Each case runs with ``MXNET_ONEDNN_ENABLED`` on and off and compares
everything. Without the oneDNN library the module is skipped (the NumPy
kernel has its own tests).
"""
import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.backends import dnnl
from mxnet.base import MXNetError

pytestmark = pytest.mark.skipif(
    not dnnl.available, reason="oneDNN library not installed (pip install onednn-cpu-gomp)")

_rng = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def small_calls_use_onednn(monkeypatch):
    """The cases are small; let them through oneDNN's size threshold."""
    from mxnet.backends.dnnl import overrides
    monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)


def _inputs(shape, axis=-1, dtype=np.float32):
    n = shape[axis]
    data = (_rng.standard_normal(shape) * 3 + 1).astype(dtype)
    gamma = _rng.uniform(0.5, 1.5, n).astype(dtype)
    beta = _rng.uniform(-1, 1, n).astype(dtype)
    head = _rng.standard_normal(shape).astype(dtype)
    return [data, gamma, beta], head


def _run(arrays, head, kwargs):
    """Outputs and data/gamma/beta gradients of one recorded LayerNorm, plus
    the operators oneDNN ran."""
    nd = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
    for a in nd:
        a.attach_grad()
    with backends.count_kernels() as counts:
        with mx.autograd.record():
            outs = mx.nd.LayerNorm(*nd, output_mean_var=True, **kwargs)
        outs[0].backward(mx.nd.array(head, dtype=head.dtype))
        got = [o.asnumpy() for o in outs] + [a.grad.asnumpy() for a in nd]
        ran = {name for (name, backend) in counts if backend == "onednn"}
    return got, ran


def _compare(monkeypatch, shape, kwargs, dtype=np.float32):
    arrays, head = _inputs(shape, kwargs.get("axis", -1), dtype)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    fast, ran = _run(arrays, head, kwargs)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    slow, ran_slow = _run(arrays, head, kwargs)
    assert not ran_slow
    for got, want in zip(fast, slow):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-5)
    return ran


@pytest.mark.parametrize("shape,kwargs", [
    ((6, 20), {}),
    ((3, 5, 24), dict(eps=1e-3)),
    ((2, 3, 4, 7), dict(axis=3)),
    ((40,), {}),
], ids=["2d", "3d-eps", "4d-axis-3", "1d"])
def test_last_axis_matches_numpy_and_runs_on_onednn(monkeypatch, shape, kwargs):
    ran = _compare(monkeypatch, shape, kwargs)
    assert ran == {"LayerNorm", "_backward_LayerNorm"}


@pytest.mark.parametrize("shape,kwargs,dtype", [
    ((4, 6, 5), dict(axis=1), np.float32),
    ((6, 20), {}, np.float64),
], ids=["middle-axis", "float64"])
def test_uncovered_calls_run_the_default_kernel(monkeypatch, shape, kwargs, dtype):
    ran = _compare(monkeypatch, shape, kwargs, dtype)
    assert not ran


def test_big_enough_threshold_keeps_small_calls_on_numpy(monkeypatch):
    from mxnet.backends.dnnl import overrides
    monkeypatch.setattr(overrides, "MIN_ELEMENTS", 1 << 16)
    arrays, _ = _inputs((8, 32))
    with backends.count_kernels() as counts:
        mx.nd.LayerNorm(*(mx.nd.array(a) for a in arrays)).wait_to_read()
    assert counts[("LayerNorm", "default")] == 1


def test_mismatched_gamma_still_raises_an_mxnet_error():
    arrays, _ = _inputs((6, 20))
    arrays[1] = arrays[1][:7]
    with pytest.raises(MXNetError, match="gamma"):
        mx.nd.LayerNorm(*(mx.nd.array(a) for a in arrays)).wait_to_read()


def test_gluon_layer_norm_trains_the_same_hybridized(monkeypatch):
    def train(onednn):
        monkeypatch.setenv("MXNET_ONEDNN_ENABLED", onednn)
        net = mx.gluon.nn.HybridSequential()
        net.add(mx.gluon.nn.Dense(16, flatten=False), mx.gluon.nn.LayerNorm())
        net.initialize(mx.init.Constant(0.05))
        net.hybridize()
        trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
        x = mx.nd.array(np.linspace(-2, 2, 4 * 5 * 8).reshape(4, 5, 8))
        with backends.count_kernels() as counts:
            for _ in range(2):
                with mx.autograd.record():
                    loss = (net(x) * mx.nd.arange(16)).sum()
                loss.backward()
                trainer.step(4)
            mx.nd.waitall()  # count the kernels of every pushed step
            ran = {op for (op, backend) in counts if backend == "onednn"}
        return [p.data().asnumpy() for p in net.collect_params().values()], ran

    fast, ran = train("1")
    slow, _ = train("0")
    assert {"LayerNorm", "_backward_LayerNorm"} <= ran
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
