"""Batch norm's training forward on oneDNN gives the NumPy kernels' results:
the output, batch mean and inverse std (or variance), and through them the
moving statistics and gradients the (NumPy) backward computes, including
``fix_gamma``; moving-statistics normalization (inference,
``use_global_stats``), the backward and uncovered calls run the default
kernel.

Each case runs with ``MXNET_ONEDNN_ENABLED`` on and off and compares
everything. Without the oneDNN library the module is skipped (the NumPy
kernels have their own tests).
"""
import logging

import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.backends import dnnl
from mxnet.base import MXNetError

pytestmark = pytest.mark.skipif(
    not dnnl.available, reason="oneDNN library not installed (pip install onednn-cpu-gomp)")

_rng = np.random.default_rng(11)


@pytest.fixture(autouse=True)
def small_calls_use_onednn(monkeypatch):
    """The cases are small; let them through oneDNN's size threshold."""
    from mxnet.backends.dnnl import overrides
    monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)


def _inputs(shape, axis=1):
    c = shape[axis]
    data = _rng.standard_normal(shape).astype(np.float32) * 2 + 0.5
    gamma = _rng.uniform(0.5, 1.5, c).astype(np.float32)
    beta = _rng.uniform(-1, 1, c).astype(np.float32)
    moving_mean = _rng.uniform(-1, 1, c).astype(np.float32)
    moving_var = _rng.uniform(0.5, 2, c).astype(np.float32)
    head = _rng.standard_normal(shape).astype(np.float32)
    return [data, gamma, beta, moving_mean, moving_var], head


def _nd_function(path):
    """``mx.nd.<path>`` for a dotted path such as ``contrib.SyncBatchNorm``."""
    fn = mx.nd
    for part in path.split("."):
        fn = getattr(fn, part)
    return fn


def _run(op, arrays, head, kwargs, train, backward=True):
    """Outputs, data/gamma/beta gradients, moving statistics and gamma after
    one recorded step of ``mx.nd.<op>``, plus the kernels that ran."""
    data, gamma, beta, mm, mv = (mx.nd.array(a) for a in arrays)
    for a in (data, gamma, beta):
        a.attach_grad()
    with backends.count_kernels() as counts:
        with mx.autograd.record(train_mode=train):
            outs = _nd_function(op)(data, gamma, beta, mm, mv, output_mean_var=True,
                                    **kwargs)
        if backward:
            outs[0].backward(mx.nd.array(head), train_mode=train)
        got = [o.asnumpy() for o in outs]
        if backward:
            got += [data.grad.asnumpy(), gamma.grad.asnumpy(), beta.grad.asnumpy()]
        got += [mm.asnumpy(), mv.asnumpy(), gamma.asnumpy()]
        ran = {name for (name, backend) in counts if backend == "onednn"}
    return got, ran


def _compare(monkeypatch, op, shape, kwargs, train=True, backward=True, axis=1):
    arrays, head = _inputs(shape, axis)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    fast, ran = _run(op, arrays, head, kwargs, train, backward)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    slow, ran_slow = _run(op, arrays, head, kwargs, train, backward)
    assert not ran_slow
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-5)
    return fast, ran


TRAINING_CASES = [
    ("4d", "BatchNorm", (4, 6, 5, 7), dict(fix_gamma=False)),
    ("4d-fix-gamma", "BatchNorm", (4, 6, 5, 7), dict(fix_gamma=True)),
    ("4d-32ch-eps-momentum", "BatchNorm", (3, 32, 4, 4),
     dict(fix_gamma=False, eps=1e-5, momentum=0.7)),
    ("2d", "BatchNorm", (16, 20), dict(fix_gamma=False)),
    ("3d", "BatchNorm", (4, 5, 9), dict(fix_gamma=False)),
    ("5d", "BatchNorm", (2, 3, 4, 5, 6), dict(fix_gamma=False)),
    ("negative-axis", "BatchNorm", (4, 6, 5, 7), dict(fix_gamma=False, axis=-3)),
    ("v1-saves-variance", "BatchNorm_v1", (4, 6, 5, 7), dict(fix_gamma=False)),
    ("sync-saves-variance", "contrib.SyncBatchNorm", (4, 6, 5, 7),
     dict(fix_gamma=False, key="bn0")),
    ("with-relu", "contrib.BatchNormWithReLU", (4, 6, 5, 7), dict(fix_gamma=False)),
    ("with-relu-2d", "contrib.BatchNormWithReLU", (16, 20), dict(fix_gamma=True)),
]


_OP_NAMES = {"contrib.SyncBatchNorm": "_contrib_SyncBatchNorm",
             "contrib.BatchNormWithReLU": "_contrib_BatchNormWithReLU"}


@pytest.mark.parametrize("op,shape,kwargs", [c[1:] for c in TRAINING_CASES],
                         ids=[c[0] for c in TRAINING_CASES])
def test_training_step_matches_numpy_and_runs_on_onednn(monkeypatch, op, shape, kwargs):
    fast, ran = _compare(monkeypatch, op, shape, kwargs)
    assert ran == {_OP_NAMES.get(op, op)}
    if kwargs["fix_gamma"]:
        np.testing.assert_array_equal(fast[4], 0)   # gamma's gradient
        np.testing.assert_array_equal(fast[-1], 1)  # gamma itself


def test_moving_statistics_follow_mxnets_momentum_rule(monkeypatch):
    arrays, head = _inputs((8, 4, 3, 3))
    data, _, _, mm, mv = arrays
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    got, ran = _run("BatchNorm", arrays, head, dict(momentum=0.8), train=True)
    assert ran == {"BatchNorm"}
    axes = (0, 2, 3)  # the biased batch variance, weighted 1 - momentum
    np.testing.assert_allclose(got[-3], mm * 0.8 + data.mean(axis=axes) * 0.2, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(got[-2], mv * 0.8 + data.var(axis=axes) * 0.2, rtol=1e-5,
                               atol=1e-6)


def test_forward_alone_leaves_moving_statistics_untouched(monkeypatch):
    fast, ran = _compare(monkeypatch, "BatchNorm", (4, 6, 5, 7), dict(fix_gamma=False),
                         backward=False)
    assert ran == {"BatchNorm"}


@pytest.mark.parametrize("kwargs,train", [(dict(fix_gamma=False), False),
                                          (dict(fix_gamma=False, use_global_stats=True), True)],
                         ids=["inference", "use-global-stats"])
def test_moving_statistics_normalization_runs_the_numpy_kernel(monkeypatch, caplog, kwargs,
                                                               train):
    with caplog.at_level(logging.DEBUG, logger="mxnet.backends.dnnl"):
        _compare(monkeypatch, "BatchNorm", (4, 6, 5, 7), kwargs, train=train)
    if not train:  # the oneDNN kernel took the call and handed it on
        assert "BatchNorm: oneDNN is slower than NumPy" in caplog.text


@pytest.mark.parametrize("shape,kwargs,dtype", [
    ((4, 6, 5, 7), dict(axis=3), np.float32),
    ((2, 3, 4, 5, 6, 2), {}, np.float32),
    ((4, 6, 5, 7), {}, np.float64),
], ids=["channel-axis-3", "6d", "float64"])
def test_uncovered_calls_run_the_default_kernel(shape, kwargs, dtype):
    arrays, _ = _inputs(shape, kwargs.get("axis", 1))
    nd = [mx.nd.array(a, dtype=dtype) for a in arrays]
    with backends.count_kernels() as counts:
        with mx.autograd.record():
            mx.nd.BatchNorm(*nd, **kwargs).wait_to_read()
    assert counts[("BatchNorm", "default")] == 1


def test_big_enough_threshold_keeps_small_calls_on_numpy(monkeypatch):
    from mxnet.backends.dnnl import overrides
    monkeypatch.setattr(overrides, "MIN_ELEMENTS", 1 << 16)
    arrays, _ = _inputs((2, 4, 8, 8))
    with backends.count_kernels() as counts:
        with mx.autograd.record():
            mx.nd.BatchNorm(*(mx.nd.array(a) for a in arrays)).wait_to_read()
    assert counts[("BatchNorm", "default")] == 1


def test_mismatched_gamma_still_raises_an_mxnet_error():
    arrays, _ = _inputs((4, 6, 5, 7))
    arrays[1] = arrays[1][:5]
    with pytest.raises(MXNetError, match="gamma"):
        with mx.autograd.record():
            mx.nd.BatchNorm(*(mx.nd.array(a) for a in arrays)).wait_to_read()


def _hybrid_step(onednn, monkeypatch):
    """Parameters and moving statistics after two hybridized training steps
    of conv + BatchNorm, with oneDNN on or off."""
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", onednn)
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Conv2D(8, 3, padding=1), mx.gluon.nn.BatchNorm(),
            mx.gluon.nn.Activation("relu"))
    net.initialize(mx.init.Constant(0.1))
    net.hybridize(static_alloc=True)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    x = mx.nd.array(np.linspace(-1, 1, 2 * 3 * 6 * 6).reshape(2, 3, 6, 6))
    with backends.count_kernels() as counts:
        for _ in range(2):
            with mx.autograd.record():
                loss = (net(x) * x[:, :1]).sum()
            loss.backward()
            trainer.step(2)
        mx.nd.waitall()  # count the kernels of every pushed step
        params = {k.split("_", 1)[-1]: v.data().asnumpy()
                  for k, v in net.collect_params().items()}
        ran = {op for (op, backend) in counts if backend == "onednn"}
    return params, ran


def test_hybridized_training_matches_numpy(monkeypatch):
    fast, ran = _hybrid_step("1", monkeypatch)
    slow, _ = _hybrid_step("0", monkeypatch)
    assert "BatchNorm" in ran
    for name in slow:
        np.testing.assert_allclose(fast[name], slow[name], rtol=1e-4, atol=1e-5,
                                   err_msg=name)
