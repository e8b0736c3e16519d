"""The device plugin interface, proven with a test device.

``testdev`` stores arrays in ``DevArray``, a wrapper that is not a
``numpy.ndarray`` (so nothing can treat it as host memory by accident), and
brings its own NumPy kernels for exactly three ops: FullyConnected,
Convolution (2-D, ungrouped, undilated only: other cases are declined by
``supports`` and fall back) and Activation. Every other op must run on the
host with copies in and out, logged once per op. ``faultydev`` has the same
arrays and deliberately wrong kernels, for the qualification harness to catch.
"""
import logging
import pickle
import re
import runpy
import threading
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

import mxnet as mx
from mxnet import autograd, backends, device_testing
from mxnet.base import MXNetError
from mxnet.device import register_device
from mxnet.ops import registry


class DevArray:
    """Device memory of the test devices: a NumPy array behind a wall."""
    __slots__ = ("host",)

    def __init__(self, host):
        self.host = host

    shape = property(lambda self: self.host.shape)
    dtype = property(lambda self: self.host.dtype)
    size = property(lambda self: self.host.size)
    ndim = property(lambda self: self.host.ndim)

    def reshape(self, *shape):
        return DevArray(self.host.reshape(*shape))

    def __getitem__(self, key):
        return DevArray(self.host[key])

    def __setitem__(self, key, value):
        if isinstance(value, DevArray):
            value = value.host
        elif not isinstance(value, (int, float, bool, np.generic)):
            raise TypeError(f"DevArray: cannot assign a {type(value).__name__} "
                            f"(host memory) to device memory")
        self.host[key] = value

    def __repr__(self):
        return f"DevArray({self.dtype}{self.shape})"


def to_host(array):
    if not isinstance(array, DevArray):
        raise TypeError(f"to_host: expected a DevArray, got {type(array).__name__}")
    return array.host.copy()


def from_host(array, ctx):
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_host: expected a numpy.ndarray, got {type(array).__name__}")
    return DevArray(np.array(array, copy=True))


def fully_connected(xp, attrs, data, weight, bias=None):
    x = data.host.reshape(data.shape[0], -1) if attrs.flatten else data.host
    out = x @ weight.host.T
    if bias is not None:
        out += bias.host
    return DevArray(out.astype(x.dtype, copy=False))


def plain_conv2d(attrs, args):
    return (len(attrs.kernel) == 2 and attrs.num_group == 1
            and all(d == 1 for d in attrs.dilate))


def convolution(xp, attrs, data, weight, bias=None):
    (sh, sw), (ph, pw) = attrs.stride or (1, 1), attrs.pad or (0, 0)
    x = np.pad(data.host, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    windows = sliding_window_view(x, weight.shape[2:], axis=(2, 3))[:, :, ::sh, ::sw]
    out = np.tensordot(windows, weight.host, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if bias is not None:
        out += bias.host[:, None, None]
    return DevArray(np.ascontiguousarray(out, dtype=data.dtype))


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softrelu": lambda x: np.logaddexp(0, x),
    "softsign": lambda x: x / (1 + np.abs(x)),
}


def activation(xp, attrs, data):
    return DevArray(ACTIVATIONS[attrs.act_type](data.host).astype(data.dtype, copy=False))


def fully_connected_without_bias(xp, attrs, data, weight, bias=None):
    return fully_connected(xp, attrs, data, weight)


def activation_without_softsign(xp, attrs, data):
    if attrs.act_type == "softsign":
        raise NotImplementedError("softsign is not implemented on faultydev")
    return activation(xp, attrs, data)


def _register_test_devices():
    # Registration is process-wide and final; a re-import must not repeat it.
    if "testdev" in mx.Context.devstr2type:
        return
    register_device("testdev", 101, None, to_host, from_host, runs_default_kernels=False)
    backends.register_kernel("FullyConnected", "testdev", fully_connected, backend="testdev")
    backends.register_kernel("Convolution", "testdev", convolution, supports=plain_conv2d,
                             backend="testdev")
    backends.register_kernel("Activation", "testdev", activation, backend="testdev")
    register_device("faultydev", 102, None, to_host, from_host, runs_default_kernels=False)
    backends.register_kernel("FullyConnected", "faultydev", fully_connected_without_bias,
                             backend="faultydev")
    backends.register_kernel("Activation", "faultydev", activation_without_softsign,
                             backend="faultydev")


_register_test_devices()
TESTDEV = mx.Context("testdev", 0)
DEVICE_OPS = ("FullyConnected", "Convolution", "Activation")


def lenet_params(seed=0):
    rng = np.random.default_rng(seed)
    return {"w1": rng.normal(0, 0.2, (6, 1, 5, 5)), "b1": rng.normal(0, 0.1, 6),
            "w2": rng.normal(0, 0.1, (16, 6, 5, 5)), "b2": rng.normal(0, 0.1, 16),
            "w3": rng.normal(0, 0.1, (32, 256)), "b3": rng.normal(0, 0.1, 32),
            "w4": rng.normal(0, 0.1, (10, 32)), "b4": rng.normal(0, 0.1, 10),
            "x": rng.random((4, 1, 28, 28))}


def lenet(p):
    y = mx.nd.Convolution(p["x"], p["w1"], p["b1"], kernel=(5, 5), num_filter=6)
    y = mx.nd.Activation(y, act_type="tanh")
    y = mx.nd.Pooling(y, kernel=(2, 2), stride=(2, 2), pool_type="max")
    y = mx.nd.Convolution(y, p["w2"], p["b2"], kernel=(5, 5), num_filter=16)
    y = mx.nd.Activation(y, act_type="relu")
    y = mx.nd.Pooling(y, kernel=(2, 2), stride=(2, 2), pool_type="avg")
    y = mx.nd.Flatten(y)
    y = mx.nd.FullyConnected(y, p["w3"], p["b3"], num_hidden=32)
    y = mx.nd.Activation(y, act_type="sigmoid")
    y = mx.nd.FullyConnected(y, p["w4"], p["b4"], num_hidden=10)
    return mx.nd.softmax(y)


def on(ctx, host_params):
    return {k: mx.nd.array(v, ctx=ctx, dtype="float32") for k, v in host_params.items()}


def test_lenet_forward_on_the_test_device_gives_the_cpu_result():
    host = lenet_params()
    expected = lenet(on(mx.cpu(), host)).asnumpy()
    out = lenet(on(TESTDEV, host))
    assert out.context == TESTDEV
    assert isinstance(out._data, DevArray)
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-7)


def test_device_kernels_run_their_ops_and_everything_else_falls_back():
    params = on(TESTDEV, lenet_params())
    with backends.count_kernels() as counts:
        lenet(params).wait_to_read()
    assert counts[("Convolution", "testdev")] == 2
    assert counts[("Activation", "testdev")] == 3
    assert counts[("FullyConnected", "testdev")] == 2
    for op in DEVICE_OPS:
        assert counts[(op, "default")] == 0
    for op in ("Pooling", "Flatten", "softmax"):
        assert counts[(op, "default")] > 0


def test_a_declined_case_falls_back_to_the_host():
    x = mx.nd.array(np.random.rand(1, 4, 6, 6), ctx=TESTDEV)
    w = mx.nd.array(np.random.rand(4, 2, 3, 3), ctx=TESTDEV)
    with backends.count_kernels() as counts:
        out = mx.nd.Convolution(x, w, kernel=(3, 3), num_filter=4, num_group=2, no_bias=True)
        out.wait_to_read()
    assert counts == {("Convolution", "default"): 1}
    expected = mx.nd.Convolution(x.as_in_context(mx.cpu()), w.as_in_context(mx.cpu()),
                                 kernel=(3, 3), num_filter=4, num_group=2, no_bias=True)
    np.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-6)


def test_the_fallback_warning_is_logged_once_per_op(caplog, monkeypatch):
    monkeypatch.setattr(backends, "_fallback_logged", set())
    params = on(TESTDEV, lenet_params())
    with caplog.at_level(logging.WARNING, logger="mxnet.backends"):
        lenet(params).wait_to_read()
        lenet(params).wait_to_read()
    messages = [r.getMessage() for r in caplog.records if r.name == "mxnet.backends"]
    logged = [m.split()[0] for m in messages]
    assert sorted(logged) == sorted(set(logged)), "an op was logged twice"
    assert {"Pooling", "Flatten", "softmax"} <= set(logged)
    assert not set(DEVICE_OPS) & set(logged)
    assert all("testdev" in m and "cpu" in m for m in messages)


def test_autograd_backward_on_the_device_matches_the_cpu():
    host = lenet_params()
    grads = {}
    for ctx in (mx.cpu(), TESTDEV):
        params = on(ctx, host)
        for name in ("w1", "b1", "w3", "x"):
            params[name].attach_grad()
        with autograd.record():
            loss = (lenet(params) * mx.nd.array(np.arange(10), ctx=ctx)).sum()
        loss.backward()
        grads[ctx] = {n: params[n].grad for n in ("w1", "b1", "w3", "x")}
    for name, g in grads[TESTDEV].items():
        assert g.context == TESTDEV and isinstance(g._data, DevArray)
        np.testing.assert_allclose(g.asnumpy(), grads[mx.cpu()][name].asnumpy(),
                                   rtol=1e-4, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "uint8"])
def test_arrays_cross_between_cpu_and_the_device(dtype):
    host = (np.arange(24) % 7).reshape(2, 3, 4).astype(dtype)
    dev = mx.nd.array(host, ctx=TESTDEV, dtype=dtype)
    assert isinstance(dev._data, DevArray) and dev.context == TESTDEV
    assert (dev.shape, dev.dtype, dev.size, dev.ndim) == ((2, 3, 4), np.dtype(dtype), 24, 3)
    back = dev.asnumpy()
    assert type(back) is np.ndarray and back.dtype == dtype
    np.testing.assert_array_equal(back, host)
    on_cpu = dev.copyto(mx.cpu())
    assert on_cpu.context == mx.cpu() and type(on_cpu._data) is np.ndarray
    np.testing.assert_array_equal(on_cpu.asnumpy(), host)
    again = on_cpu.as_in_context(TESTDEV)
    assert again.context == TESTDEV and isinstance(again._data, DevArray)
    assert again.as_in_context(TESTDEV) is again
    target = mx.nd.array(np.zeros_like(host), ctx=TESTDEV, dtype=dtype)
    assert on_cpu.copyto(target) is target
    np.testing.assert_array_equal(target.asnumpy(), host)


def test_views_of_device_arrays_stay_on_the_device():
    dev = mx.nd.array(np.arange(12).reshape(3, 4), ctx=TESTDEV)
    for view in (dev[1], dev[1:3], dev.reshape((4, 3))):
        assert view.context == TESTDEV and isinstance(view._data, DevArray)
    np.testing.assert_array_equal(dev[1:3].asnumpy(), np.arange(4, 12).reshape(2, 4))
    dev[0] = 5.0
    np.testing.assert_array_equal(dev.asnumpy()[0], [5, 5, 5, 5])


def test_a_symbol_executor_runs_on_the_device():
    data = mx.sym.Variable("data")
    y = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="conv")
    y = mx.sym.Activation(y, act_type="relu")
    y = mx.sym.Pooling(y, kernel=(2, 2), stride=(2, 2), pool_type="max")
    y = mx.sym.FullyConnected(mx.sym.Flatten(y), num_hidden=5, name="fc")
    y = mx.sym.SoftmaxOutput(y, name="softmax")
    rng = np.random.default_rng(1)
    values, results = {}, {}
    for ctx in (mx.cpu(), TESTDEV):
        ex = y.simple_bind(ctx=ctx, data=(2, 3, 8, 8))
        for name, arr in ex.arg_dict.items():
            values.setdefault(name, rng.random(arr.shape).astype("float32"))
            mx.nd.array(values[name], ctx=ctx).copyto(arr)
        with backends.count_kernels() as counts:
            ex.forward(is_train=True)
            ex.backward()
        assert ex.outputs[0].context == ctx
        results[ctx] = ex.outputs[0].asnumpy(), {k: g.asnumpy() for k, g in ex.grad_dict.items()}
    assert all(counts[(op, "testdev")] >= 1 for op in DEVICE_OPS)
    np.testing.assert_allclose(results[TESTDEV][0], results[mx.cpu()][0], rtol=1e-5)
    for name, g in results[TESTDEV][1].items():
        np.testing.assert_allclose(g, results[mx.cpu()][1][name], rtol=1e-4, atol=1e-6,
                                   err_msg=name)


def test_mixing_devices_in_one_op_is_a_clear_error():
    with pytest.raises(MXNetError, match=r"one device.*testdev\(0\).*cpu\(0\)"):
        mx.nd.elemwise_add(mx.nd.array([1, 2], ctx=TESTDEV), mx.nd.array([1, 2]))


def test_an_unknown_device_name_is_a_clear_error():
    with pytest.raises(MXNetError, match=r"device_type must be one of .*testdev.*'nosuchdev'"):
        mx.Context("nosuchdev", 0)
    with pytest.raises(MXNetError, match="already exists"):
        register_device("testdev", 999, None, to_host, from_host)


def test_host_fallback_keeps_in_place_updates_of_inputs():
    weight, grad, mom = (mx.nd.array(v, ctx=TESTDEV) for v in ([1.0, 2.0], [1.0, 1.0], [0, 0]))
    mx.nd.sgd_mom_update(weight, grad, mom, lr=0.1, momentum=0.9, out=weight)
    np.testing.assert_allclose(mom.asnumpy(), [-0.1, -0.1], rtol=1e-6)
    np.testing.assert_allclose(weight.asnumpy(), [0.9, 1.9], rtol=1e-6)


def test_unpickling_inside_a_device_scope_restores_onto_the_device():
    pickled = pickle.dumps(mx.nd.array([1.0, 2.0], ctx=TESTDEV))
    with TESTDEV:
        restored = pickle.loads(pickled)
    assert restored.context == TESTDEV and isinstance(restored._data, DevArray)
    np.testing.assert_array_equal(restored.asnumpy(), [1.0, 2.0])


def test_assigning_host_values_to_device_arrays():
    dev = mx.nd.zeros((2, 2), ctx=TESTDEV)
    dev[:] = np.array([[1, 2], [3, 4]])
    np.testing.assert_array_equal(dev.asnumpy(), [[1, 2], [3, 4]])


def test_random_samples_written_to_out_are_drawn_on_its_device():
    host = mx.nd.zeros((2, 2))
    with TESTDEV:  # gluon blocks run their deferred initialisation like this
        mx.nd.random.uniform(-1, 1, host.shape, out=host)
    assert type(host._data) is np.ndarray and (np.abs(host.asnumpy()) <= 1).all()


def test_an_executor_accumulates_gradients_on_the_device():
    y = mx.sym.FullyConnected(mx.sym.Variable("x"), num_hidden=2, name="fc")
    ex = y.simple_bind(ctx=TESTDEV, grad_req="add", x=(2, 3))
    mx.nd.array(np.ones((2, 3)), ctx=TESTDEV).copyto(ex.arg_dict["x"])
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward(mx.nd.array(np.ones((2, 2)), ctx=TESTDEV))
    np.testing.assert_allclose(ex.grad_dict["fc_weight"].asnumpy(), np.full((2, 3), 4.0))


# -- the qualification harness ----------------------------------------------------------
def test_the_test_device_qualifies_for_its_three_ops():
    report = device_testing.qualify(TESTDEV, list(DEVICE_OPS), trials=8, seed=0)
    report.check()
    assert [r.op for r in report.ops] == list(DEVICE_OPS)
    assert all(r.trials == 8 and r.kernels["testdev"] > 0 for r in report.ops)
    # Grouped, dilated or non-2-D samples are declined and run through the fallback.
    assert report["Convolution"].kernels["default"] > 0


def test_qualify_defaults_to_the_ops_the_device_implements():
    report = device_testing.qualify(TESTDEV, trials=1, backward=False)
    assert sorted(r.op for r in report.ops) == sorted(DEVICE_OPS)


def test_qualification_reports_wrong_results_and_device_errors():
    report = device_testing.qualify(mx.Context("faultydev", 0), ["FullyConnected", "Activation"],
                                    trials=12, seed=0, dtypes=["float32"])
    assert not report.ok
    dropped_bias = [m for m in report["FullyConnected"].mismatches if m.phase == "forward"]
    assert dropped_bias and all("bias" in m.shapes and not m.kwargs["no_bias"]
                                for m in dropped_bias)
    assert all(m.dtype == "float32" and m.max_abs_err > 1e-3 for m in dropped_bias)
    raised = [m for m in report["Activation"].mismatches if m.phase == "forward"]
    assert raised and all(m.kwargs["act_type"] == "softsign" and "NotImplementedError"
                          in m.message for m in raised)
    with pytest.raises(device_testing.QualificationError,
                       match=r"(?s)faultydev.*FullyConnected \[forward\] float32"):
        report.check()
    assert "FullyConnected" in str(report) and "max abs err" in str(report)


def test_every_sample_generator_is_valid_on_the_host():
    # cpu(1) is a separate logical device with the same kernels: any mismatch
    # here is a bug in the sample table, not in a device.
    report = device_testing.qualify(mx.cpu(1), device_testing.sampled_ops(), trials=3, seed=7)
    assert report.ok, str(report)


def test_qualify_rejects_ops_without_samples():
    with pytest.raises(MXNetError, match="no sample generator for op 'Dropout'.*register_samples"):
        device_testing.qualify(mx.cpu(), ["Dropout"])


# -- the guide ---------------------------------------------------------------------------
GUIDE = Path(__file__).resolve().parents[1] / "docs" / "adding_an_accelerator.md"


def test_the_guide_example_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", GUIDE.read_text(), re.S)
    script = tmp_path / "guide_example.py"
    script.write_text(blocks[0])
    runpy.run_path(str(script), run_name="__main__")


def test_device_empty_allocates_through_the_hook_or_the_host_copy():
    from mxnet import device
    made = []

    def empty(shape, dtype, ctx):
        made.append((shape, np.dtype(dtype).name, str(ctx)))
        return DevArray(np.zeros(shape, dtype))
    register_device("emptydev", 103, None, to_host, from_host, runs_default_kernels=False,
                    empty=empty)
    arr = device.empty((2, 3), np.float32, mx.Context("emptydev", 0))
    assert isinstance(arr, DevArray) and made == [((2, 3), "float32", "emptydev(0)")]
    plain = device.empty((4,), np.int32, mx.Context("testdev", 0))
    assert isinstance(plain, DevArray) and plain.shape == (4,) and plain.dtype == np.int32


_SYNCED = []


def _asyncdev():
    """A device whose kernels 'return before computing': it has a synchronize hook."""
    if "asyncdev" not in mx.Context.devstr2type:
        register_device("asyncdev", 104, None, to_host, from_host, runs_default_kernels=False,
                        synchronize=lambda ctx: _SYNCED.append(str(ctx)))
    return mx.Context("asyncdev", 1)


def test_wait_to_read_and_waitall_synchronize_an_asynchronous_device():
    x = mx.nd.array([1.0, 2.0], ctx=_asyncdev())
    _SYNCED.clear()
    x.wait_to_read()
    assert _SYNCED == ["asyncdev(1)"]
    mx.nd.waitall()
    assert _SYNCED == ["asyncdev(1)", "asyncdev(1)"]
    mx.nd.ones((2,)).wait_to_read()  # the cpu has nothing to synchronize
    assert len(_SYNCED) == 2


def test_ops_on_an_asynchronous_device_run_inline_whatever_their_size(monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)  # every host op would be pushed
    ran_in = []

    def relu(xp, attrs, x):
        ran_in.append(threading.current_thread())
        return DevArray(np.maximum(x.host, 0))
    op = registry.get("relu")
    override = backends.register_kernel("relu", "asyncdev", relu, backend="asynctest")
    try:
        x = mx.nd.array([-1.0, 2.0], ctx=_asyncdev())
        mx.nd.relu(x).wait_to_read()
    finally:
        op.overrides["asyncdev"].remove(override)
    assert ran_in == [threading.main_thread()]
    assert mx.device.asynchronous(x.context) and not mx.device.asynchronous(mx.cpu())


def test_binding_an_executor_to_arrays_of_another_device_kind_is_a_clear_error():
    x = mx.sym.var("x")
    with pytest.raises(MXNetError, match=r"bind: args 'x' is on testdev\(0\), but the executor"):
        (x * 2).bind(mx.cpu(), {"x": mx.nd.ones((2,), ctx=TESTDEV)})
    # Host arrays on another cpu are fine: the same array module.
    out = (x * 2).bind(mx.cpu(), {"x": mx.nd.ones((2,), ctx=mx.cpu(1))}).forward()[0]
    assert out.asnumpy().tolist() == [2.0, 2.0]
