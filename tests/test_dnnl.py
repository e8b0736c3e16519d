"""The oneDNN backend: every covered call gives the NumPy kernels' results,
calls outside its coverage fall back, and the switches turn it off.

Each case runs twice, with ``MXNET_ONEDNN_ENABLED`` on and off, comparing
outputs and (for ``grad`` cases) the gradients of every input, and asserts
which kernels ran. Without the oneDNN library (CI installs only ``.[test]``)
the comparisons skip; the import-safety test runs everywhere.
"""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.backends import dnnl

needs_onednn = pytest.mark.skipif(
    not dnnl.available,
    reason="oneDNN library not installed (pip install onednn-cpu-gomp); the NumPy "
           "kernels are tested without it")

_rng = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def small_calls_use_onednn(monkeypatch):
    """The cases are tiny; let them through oneDNN's size thresholds."""
    if dnnl.available:
        from mxnet.backends.dnnl import matmul, overrides
        monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)
        monkeypatch.setattr(overrides, "MIN_WORK", 0)
        monkeypatch.setattr(matmul, "MIN_FLOPS", 0)


def _a(*shape, low=-1.0, high=1.0):
    return _rng.uniform(low, high, shape).astype(np.float32)


def _run(func, inputs, kwargs, grad, train=False):
    """Outputs (and input gradients) of ``mx.nd.<func>`` plus the kernels counted."""
    arrays = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
    for a in arrays:
        a.attach_grad()
    with backends.count_kernels() as counts:
        with mx.autograd.record(train_mode=train):
            out = getattr(mx.nd, func)(*arrays, **kwargs)
            outs = out if isinstance(out, (list, tuple)) else [out]
            heads = [mx.nd.array(np.linspace(-1, 1, o.size).reshape(o.shape), dtype=o.dtype)
                     for o in outs]
            loss = sum((o * h).sum() for o, h in zip(outs, heads))
        if grad:
            loss.backward()
        results = [o.asnumpy() for o in outs]
        if grad:
            results += [a.grad.asnumpy() for a in arrays]
        ran = dict(counts)
    return results, ran


def _compare(monkeypatch, func, inputs, kwargs, grad=False, train=False, rtol=1e-4,
             atol=1e-5):
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    fast, ran_fast = _run(func, inputs, kwargs, grad, train)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    slow, ran_slow = _run(func, inputs, kwargs, grad, train)
    assert not any(backend == "onednn" for _, backend in ran_slow), ran_slow
    for got, want in zip(fast, slow):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    return ran_fast


X4 = _a(2, 6, 9, 10)
W4 = _a(4, 3, 3, 3)
B4 = _a(4)
XL = _a(2, 9, 10, 6)   # NHWC
XP = _a(2, 3, 7, 8)

# (id, func, inputs, kwargs, operators that must run on oneDNN, with gradients)
CASES = [
    ("conv2d-groups-stride-dilate-pad", "Convolution", [X4, W4, B4],
     dict(kernel=(3, 3), num_filter=4, num_group=2, stride=(2, 1), pad=(1, 2), dilate=(2, 1)),
     {"Convolution", "_backward_Convolution"}),
    ("conv2d-no-bias", "Convolution", [X4, _a(4, 6, 3, 3)],
     dict(kernel=(3, 3), num_filter=4, no_bias=True), {"Convolution", "_backward_Convolution"}),
    ("conv1d", "Convolution", [_a(2, 3, 11), _a(5, 3, 4), _a(5)],
     dict(kernel=(4,), num_filter=5, stride=(2,), pad=(1,)),
     {"Convolution", "_backward_Convolution"}),
    ("conv3d", "Convolution", [_a(2, 3, 5, 6, 7), _a(4, 3, 2, 3, 2), _a(4)],
     dict(kernel=(2, 3, 2), num_filter=4, pad=(1, 0, 1)),
     {"Convolution", "_backward_Convolution"}),
    ("conv2d-nhwc", "Convolution", [XL, _a(4, 3, 3, 3), B4],
     dict(kernel=(3, 3), num_filter=4, num_group=2, layout="NHWC", pad=(1, 1)),
     {"Convolution", "_backward_Convolution"}),
    ("deconv-groups-adj-bias", "Deconvolution", [_a(2, 4, 5, 6), _a(4, 3, 3, 3), _a(6)],
     dict(kernel=(3, 3), num_filter=6, num_group=2, stride=(2, 2), pad=(1, 1), adj=(1, 0),
          no_bias=False), {"Deconvolution"}),
    ("deconv-target-shape", "Deconvolution", [_a(2, 4, 5, 6), _a(4, 3, 3, 3)],
     dict(kernel=(3, 3), num_filter=3, stride=(2, 2), target_shape=(10, 12)),
     {"Deconvolution"}),
    ("fc-flatten", "FullyConnected", [_a(5, 3, 4), _a(7, 12), _a(7)], dict(num_hidden=7),
     {"FullyConnected", "dot"}),
    ("dot", "dot", [_a(5, 6), _a(6, 7)], {}, {"dot"}),
    ("dot-transposed", "dot", [_a(6, 5), _a(7, 6)], dict(transpose_a=True, transpose_b=True),
     {"dot"}),
    ("batch-dot-transpose-b", "batch_dot", [_a(3, 5, 6), _a(3, 7, 6)], dict(transpose_b=True),
     {"batch_dot"}),
    ("batch-dot-transpose-a", "batch_dot", [_a(3, 6, 5), _a(3, 6, 7)], dict(transpose_a=True),
     {"batch_dot"}),
    ("fc-last-axis", "FullyConnected", [_a(5, 3, 4), _a(7, 4)],
     dict(num_hidden=7, no_bias=True, flatten=False), {"FullyConnected"}),
    ("max-pool", "Pooling", [XP], dict(kernel=(3, 3), pool_type="max"),
     {"Pooling", "_backward_Pooling"}),
    ("max-pool-full-pad", "Pooling", [XP],
     dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max",
          pooling_convention="full"), {"Pooling", "_backward_Pooling"}),
    ("avg-pool-pad", "Pooling", [XP],
     dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg"),
     {"Pooling", "_backward_Pooling"}),
    ("avg-pool-full-exclude-pad", "Pooling", [XP],
     dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
          pooling_convention="full", count_include_pad=False),
     {"Pooling", "_backward_Pooling"}),
    ("global-avg-pool", "Pooling", [XP], dict(global_pool=True, pool_type="avg", kernel=(1, 1)),
     {"Pooling", "_backward_Pooling"}),
    ("max-pool-ties-first-maximum", "Pooling",
     [_rng.integers(0, 3, (2, 3, 6, 6)).astype(np.float32)],
     dict(kernel=(2, 2), stride=(1, 1), pool_type="max"), {"Pooling", "_backward_Pooling"}),
    ("max-pool-1d-same", "Pooling", [_a(2, 3, 10)],
     dict(kernel=(3,), stride=(2,), pool_type="max", pooling_convention="same"),
     {"Pooling", "_backward_Pooling"}),
    ("avg-pool-nhwc", "Pooling", [_a(2, 8, 8, 3)],
     dict(kernel=(2, 2), stride=(2, 2), pool_type="avg", layout="NHWC"),
     {"Pooling", "_backward_Pooling"}),
    ("relu", "Activation", [_a(3, 4, 5)], dict(act_type="relu"), {"Activation"}),
    ("sigmoid", "Activation", [_a(3, 4, 5, low=-8, high=8)], dict(act_type="sigmoid"),
     {"Activation"}),
    ("tanh", "Activation", [_a(3, 4, 5, low=-4, high=4)], dict(act_type="tanh"),
     {"Activation"}),
    ("leaky", "LeakyReLU", [_a(3, 4, 5)], dict(act_type="leaky", slope=0.3), {"LeakyReLU"}),
    ("elu", "LeakyReLU", [_a(3, 4, 5)], dict(act_type="elu", slope=0.7), {"LeakyReLU"}),
    ("gelu", "LeakyReLU", [_a(3, 4, 5, low=-4, high=4)], dict(act_type="gelu"), {"LeakyReLU"}),
    ("softmax-last-axis", "softmax", [_a(3, 4, 5, low=-5, high=5)], {}, {"softmax"}),
    ("log-softmax-last-axis", "log_softmax", [_a(3, 4, 5, low=-5, high=5)], {},
     {"log_softmax"}),
    ("lrn", "LRN", [_a(2, 6, 4, 5)], dict(nsize=3, alpha=0.01, beta=0.75, knorm=2.0),
     {"LRN"}),
]


@needs_onednn
@pytest.mark.parametrize("func, inputs, kwargs, fast_ops",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_onednn_matches_numpy_kernels(monkeypatch, func, inputs, kwargs, fast_ops):
    ran = _compare(monkeypatch, func, inputs, kwargs, grad=True)
    for op in fast_ops:
        assert ran.get((op, "onednn")), f"{op} did not run on oneDNN: {ran}"


# Calls oneDNN does not cover: they must run the NumPy kernel.
FALLBACKS = [
    ("float64-conv", "Convolution", [X4.astype(np.float64), W4.astype(np.float64)],
     dict(kernel=(3, 3), num_filter=4, num_group=2, no_bias=True)),
    ("float16-fc", "FullyConnected", [_a(2, 3).astype(np.float16), _a(4, 3).astype(np.float16)],
     dict(num_hidden=4, no_bias=True)),
    ("lp-pool", "Pooling", [XP], dict(kernel=(2, 2), pool_type="lp", p_value=2)),
    ("sum-pool", "Pooling", [XP], dict(kernel=(2, 2), pool_type="sum")),
    ("softsign", "Activation", [_a(3, 4)], dict(act_type="softsign")),
    ("softrelu", "Activation", [_a(3, 4)], dict(act_type="softrelu")),
    ("selu", "LeakyReLU", [_a(3, 4)], dict(act_type="selu")),
    ("softmax-temperature", "softmax", [_a(3, 4)], dict(temperature=2.0)),
    ("lrn-even-nsize", "LRN", [_a(2, 6, 4, 5)], dict(nsize=4)),
    ("float64-dot", "dot", [_a(5, 6).astype(np.float64), _a(6, 7).astype(np.float64)], {}),
    ("dot-of-vectors", "dot", [_a(6), _a(6)], {}),
    ("batch-dot-4d", "batch_dot", [_a(2, 3, 5, 6), _a(2, 3, 6, 7)], {}),
]


@needs_onednn
@pytest.mark.parametrize("func, inputs, kwargs", [c[1:] for c in FALLBACKS],
                         ids=[c[0] for c in FALLBACKS])
def test_uncovered_calls_run_the_default_kernel(monkeypatch, func, inputs, kwargs):
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    _, ran = _run(func, inputs, kwargs, grad=False)
    assert ran.get((func, "default")) and not ran.get((func, "onednn")), ran


@needs_onednn
def test_calls_oneDNN_rejects_still_give_numpy_results(monkeypatch):
    # avg pooling counting padding where a 'full' window overhangs: MXNet does not
    # count the overhang, oneDNN would, so the kernel hands the call back.
    _compare(monkeypatch, "Pooling", [XP], dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                                pool_type="avg", pooling_convention="full"),
             grad=True)
    # softmax over a non-last axis has only oneDNN's slow reference code
    _compare(monkeypatch, "softmax", [_a(3, 4, 5)], dict(axis=0))


@needs_onednn
def test_tiny_calls_stay_on_numpy_by_default(monkeypatch):
    from mxnet.backends.dnnl import overrides
    monkeypatch.undo()
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    assert overrides.MIN_ELEMENTS > 0 and overrides.MIN_WORK > 0
    _, ran = _run("Activation", [_a(3, 4)], dict(act_type="relu"), grad=False)
    assert ran[("Activation", "default")] == 1
    _, ran = _run("Convolution", [X4, W4], dict(kernel=(3, 3), num_filter=4, num_group=2,
                                                no_bias=True), grad=False)
    assert ran[("Convolution", "default")] == 1
    _, ran = _run("Activation", [_a(4, 64, 32, 32)], dict(act_type="relu"), grad=False)
    assert ran[("Activation", "onednn")] == 1


@needs_onednn
@pytest.mark.parametrize("switch", ["MXNET_ONEDNN_ENABLED", "MXNET_MKLDNN_ENABLED"])
def test_switch_turns_the_backend_off(monkeypatch, switch):
    monkeypatch.delenv("MXNET_ONEDNN_ENABLED", raising=False)
    monkeypatch.setenv(switch, "0")
    _, ran = _run("Activation", [_a(3, 4)], dict(act_type="relu"), grad=False)
    assert ran[("Activation", "default")] == 1 and ("Activation", "onednn") not in ran


@needs_onednn
def test_bad_arguments_still_raise_mxnet_errors(monkeypatch):
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    x, w = mx.nd.array(X4), mx.nd.array(_a(4, 5, 3, 3))
    with pytest.raises(mx.base.MXNetError, match="weight"):
        mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=4, no_bias=True).asnumpy()
    with pytest.raises(mx.base.MXNetError, match="FullyConnected"):
        mx.nd.FullyConnected(mx.nd.array(_a(2, 3)), mx.nd.array(_a(4, 5)), num_hidden=4,
                             no_bias=True).asnumpy()


@needs_onednn
def test_primitives_are_built_once_per_signature(monkeypatch):
    from mxnet.backends.dnnl.primitive import cache
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    x, w = mx.nd.array(_a(1, 2, 13, 11)), mx.nd.array(_a(3, 2, 3, 3))
    mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=3, no_bias=True).asnumpy()
    size = len(cache)
    for _ in range(3):
        mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=3, no_bias=True).asnumpy()
    assert len(cache) == size


@needs_onednn
def test_threads_run_primitives_concurrently_with_correct_results(monkeypatch):
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    inputs = [(_a(2, 4, 12, 12), _a(8, 4, 3, 3)) for _ in range(4)]

    def conv(x, w):
        return mx.nd.Convolution(mx.nd.array(x), mx.nd.array(w), kernel=(3, 3), num_filter=8,
                                 pad=(1, 1), no_bias=True).asnumpy()
    expected = [conv(x, w) for x, w in inputs]
    results = [None] * len(inputs)

    def work(i):
        for _ in range(5):
            results[i] = conv(*inputs[i])
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, want in zip(results, expected):
        np.testing.assert_array_equal(got, want)


def test_import_without_the_library_registers_nothing(tmp_path):
    code = ("import mxnet.backends.dnnl as d; "
            "assert not d.available and d.registered_ops() == (), d.registered_ops(); "
            "import mxnet as mx; "
            "print(mx.nd.Convolution(mx.nd.ones((1, 1, 3, 3)), mx.nd.ones((1, 1, 3, 3)), "
            "kernel=(3, 3), num_filter=1, no_bias=True).asnumpy().item())")
    env = dict(os.environ, MXNET_ONEDNN_LIBRARY=str(tmp_path / "libdnnl-missing.so"))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=root, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "9.0"


_BN = [_a(4, low=0.5, high=1.5), _a(4), _a(4), _a(4, low=0.5, high=1.5)]
FUSED = [
    ("conv-bn-relu", "_sg_mkldnn_conv", [X4, _a(4, 6, 3, 3), B4] + _BN,
     dict(kernel=(3, 3), pad=(1, 1), num_filter=4, with_bn=True, fix_gamma=False,
          with_act=True, act_type="relu")),
    ("conv-sum-postsum-relu-no-bias", "_sg_mkldnn_conv", [X4, _a(4, 6, 3, 3), _a(2, 4, 9, 10)],
     dict(kernel=(3, 3), pad=(1, 1), num_filter=4, no_bias=True, with_sum=True,
          with_postsum_act=True, postsum_act_type="relu")),
    ("conv-stride-tanh-sum", "_sg_mkldnn_conv", [X4, _a(4, 6, 3, 3), B4, _a(2, 4, 4, 8)],
     dict(kernel=(3, 3), stride=(2, 1), num_filter=4, with_act=True, act_type="tanh",
          with_sum=True)),
    ("conv-nhwc-softrelu", "_sg_mkldnn_conv", [XL, _a(4, 3, 3, 6), B4],
     dict(kernel=(3, 3), num_filter=4, layout="NHWC", with_act=True, act_type="softrelu")),
    ("fc-bn-sigmoid", "_sg_mkldnn_fully_connected", [_a(5, 3, 4), _a(4, 12), B4] + _BN,
     dict(num_hidden=4, with_bn=True, with_eltwise=True, act_type="sigmoid")),
]


@needs_onednn
@pytest.mark.parametrize("func, inputs, kwargs", [c[1:] for c in FUSED],
                         ids=[c[0] for c in FUSED])
def test_fused_inference_ops_run_as_one_primitive_with_post_ops(monkeypatch, func, inputs,
                                                               kwargs):
    results = {}
    for switch in ("1", "0"):
        monkeypatch.setenv("MXNET_ONEDNN_ENABLED", switch)
        with backends.count_kernels() as counts:
            out = getattr(mx.nd._internal, func)(*[mx.nd.array(a) for a in inputs], **kwargs)
            results[switch] = (out.asnumpy(), dict(counts))
    np.testing.assert_allclose(results["1"][0], results["0"][0], rtol=1e-4, atol=1e-5)
    assert results["1"][1] == {(func, "onednn"): 1}, results["1"][1]


@needs_onednn
def test_fused_op_with_an_activation_onednn_lacks_runs_the_numpy_kernel(monkeypatch):
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    with backends.count_kernels() as counts:
        mx.nd._internal._sg_mkldnn_conv(mx.nd.array(X4), mx.nd.array(_a(4, 6, 3, 3)),
                                        kernel=(3, 3), num_filter=4, no_bias=True,
                                        with_act=True, act_type="softsign").wait_to_read()
        ran = dict(counts)
    assert ran.get(("_sg_mkldnn_conv", "default")) == 1, ran


_TWO_DEVICE_TRAINING = """
import mxnet as mx, numpy as np
from mxnet import autograd, gluon
net = gluon.nn.HybridSequential()
net.add(gluon.nn.Conv2D(20, 5, activation="tanh"), gluon.nn.MaxPool2D(2, 2),
        gluon.nn.Conv2D(50, 5, activation="tanh"), gluon.nn.MaxPool2D(2, 2), gluon.nn.Dense(10))
ctxs = [mx.cpu(0), mx.cpu(1)]
net.initialize(mx.init.Xavier(), ctx=ctxs)
net.hybridize()
trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
x = mx.nd.array(np.random.rand(128, 1, 28, 28)); y = mx.nd.array(np.arange(128) % 10)
for _ in range(8):
    xs, ys = gluon.utils.split_and_load(x, ctxs), gluon.utils.split_and_load(y, ctxs)
    with autograd.record():
        losses = [gluon.loss.SoftmaxCrossEntropyLoss()(net(a), b) for a, b in zip(xs, ys)]
    for l in losses:
        l.backward()
    trainer.step(128)
mx.nd.waitall()
print("done")
"""


@needs_onednn
def test_same_layer_on_two_devices_with_openmp_teams_does_not_hang():
    env = dict(os.environ, OMP_NUM_THREADS="2")
    done = subprocess.run([sys.executable, "-c", _TWO_DEVICE_TRAINING], env=env,
                          capture_output=True, text=True, timeout=90)
    assert done.stdout.strip() == "done", done.stderr


@needs_onednn
def test_cpu_engine_workers_share_the_cores_among_their_openmp_teams():
    code = """
import ctypes, mxnet as mx
from mxnet.backends import threads
gomp = ctypes.CDLL(threads._loaded_libraries("gomp")[0])
seen = []
for i in range(2):
    mx.engine.get().push(lambda: seen.append(gomp.omp_get_max_threads()), mx.cpu(i), [],
                         [mx.engine.Var()])
    mx.nd.waitall()
print(seen)
"""
    env = dict(os.environ, OMP_NUM_THREADS="4", MXNET_ENGINE_TYPE="ThreadedEnginePerDevice")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    # cpu(0)'s worker alone has all 4 threads; with cpu(1)'s worker started, 2 each.
    assert done.stdout.strip() == "[4, 2]", done.stdout + done.stderr
