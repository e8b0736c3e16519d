"""Autograd and per-op fast paths: fewer ops and cheaper wrappers, same results.

The tiny training step of benchmark W1 (dot -> relu -> sum, then backward)
runs through each of these; every test pins a behaviour a speed-up must keep.
"""
import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, backends
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(11)


# -- relu's gradient is one fused op -------------------------------------------------

G = rng.normal(size=(3, 4))
# Away from the mask's step at 0, where finite differences break.
Y = rng.normal(size=(3, 4))
Y = np.where(np.abs(Y) < 0.1, 0.5, Y)


def test_backward_relu_values_and_second_order_gradient():
    run_case(Case("_internal._backward_relu", [G, Y], {}, lambda g, y: g * (y > 0),
                  grad=True))


def test_relu_gradient_runs_one_op():
    x = mx.nd.array([[-1.0, 0.0, 2.0, 3.0]])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.relu(x)
    with backends.count_kernels() as counts:
        y.backward(mx.nd.array([[5.0, 6.0, 7.0, 8.0]]))
    names = {name for name, _ in counts}
    assert names == {"_backward_relu"}
    np.testing.assert_array_equal(x.grad.asnumpy(), [[0, 0, 7, 8]])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32"])
def test_relu_gradient_equals_the_masked_product_in_every_dtype(dtype):
    x = mx.nd.array([-2, -0.0, 0, 1, 3], dtype=dtype)
    head = np.array([1, 2, 3, 4, 5], dtype=dtype)
    x.attach_grad()
    with autograd.record():
        y = mx.nd.relu(x)
    y.backward(mx.nd.array(head, dtype=dtype))
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(x.grad.asnumpy(), head * (x.asnumpy() > 0))


def test_backward_relu_keeps_inf_times_zero_as_nan():
    # g * (x > 0) gives nan for an infinite gradient where x <= 0; so does the fused op.
    g = mx.nd.array([np.inf, np.inf, -np.inf])
    y = mx.nd.array([0.0, 1.0, 0.0])
    out = mx.nd._internal._backward_relu(g, y).asnumpy()
    assert np.isnan(out[0]) and out[1] == np.inf and np.isnan(out[2])


@pytest.mark.parametrize("lhs, rhs, given", [((2, 3), (2, 3), "float64"),
                                             ((2, 3), (3, 2), "float32")])
def test_backward_relu_rejects_mismatched_operands(lhs, rhs, given):
    g = mx.nd.ones(lhs, dtype=given)
    y = mx.nd.ones(rhs)
    with pytest.raises(MXNetError, match="_backward_relu: 'lhs' must match 'rhs'"):
        mx.nd._internal._backward_relu(g, y).wait_to_read()


def test_relu_second_order_gradient_through_create_graph():
    x = mx.nd.array([-1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = mx.nd.relu(x) * x  # x^2 where x > 0: first derivative 2x, second 2
        (dx,) = autograd.grad(y, [x], head_grads=mx.nd.ones((3,)), create_graph=True)
    dx.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [0, 2, 2])


# -- sum and its gradient -------------------------------------------------------------

@pytest.mark.parametrize("axis, keepdims, exclude", [(None, False, False), ((1,), True, False),
                                                     ((0,), False, True), ((), False, False)])
def test_sum_gradient_broadcasts_the_head_gradient_back(axis, keepdims, exclude):
    data = rng.normal(size=(2, 3, 4)).astype(np.float32)
    x = mx.nd.array(data)
    x.attach_grad()
    with autograd.record():
        y = mx.nd.sum(x, axis=axis, keepdims=keepdims, exclude=exclude)
    head = rng.normal(size=y.shape).astype(np.float32)
    with backends.count_kernels() as counts:
        y.backward(mx.nd.array(head))
    assert {name for name, _ in counts} == {"_backward_reduce_broadcast"}
    axes = tuple(range(3)) if not axis else axis
    if exclude:
        axes = tuple(i for i in range(3) if i not in axes)
    expect = np.broadcast_to(head.reshape([1 if i in axes else d
                                           for i, d in enumerate(data.shape)]), data.shape)
    np.testing.assert_array_equal(x.grad.asnumpy(), expect)


def test_mean_gradient_divides_by_the_count():
    x = mx.nd.array(rng.normal(size=(4, 5)).astype(np.float32))
    x.attach_grad()
    with autograd.record():
        y = mx.nd.mean(x, axis=1)
    y.backward(mx.nd.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_allclose(x.grad.asnumpy(), np.repeat([[0.2], [0.4], [0.6], [0.8]], 5, 1),
                               rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "bool"])
def test_sum_accumulates_as_before(dtype):
    # float16 sums in float32 then casts back; integers wrap; bool sums are "any".
    data = (rng.normal(size=(50, 40)) * 100).astype(dtype)
    got = mx.nd.array(data, dtype=dtype).sum(axis=1).asnumpy()
    acc = "float32" if dtype == "float16" else dtype
    np.testing.assert_array_equal(got, data.sum(axis=1, dtype=acc).astype(dtype))


def test_float_sum_overflow_gives_inf_without_warnings():
    x = mx.nd.array(np.full(4, 3e38, np.float32))
    with np.errstate(all="raise"):
        assert mx.nd.sum(x).asnumpy()[0] == np.inf


# -- recording scopes ---------------------------------------------------------------

def test_scopes_set_and_restore_both_flags():
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            with autograd.train_mode():
                assert autograd.is_training() and not autograd.is_recording()
        assert autograd.is_recording() and autograd.is_training()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()


def test_scope_restores_flags_when_the_block_raises():
    with pytest.raises(KeyError):
        with autograd.record():
            raise KeyError("x")
    assert not autograd.is_recording() and not autograd.is_training()


# -- floating-point errors stay silent, and the caller's error state stays put ------

@pytest.mark.parametrize("call", [
    lambda: mx.nd.exp(mx.nd.array([1000.0])),                       # overflow
    lambda: mx.nd.log(mx.nd.array([0.0, -1.0])),                    # divide, invalid
    lambda: mx.nd.array([np.inf]) * mx.nd.array([0.0]),             # invalid
    lambda: mx.nd.array([1.0], dtype="float16") * 1e10,             # overflowing scalar cast
    lambda: mx.nd.array([1.0], dtype="float16") + 70000.0,
    lambda: mx.nd.sum(mx.nd.array([np.inf, -np.inf])),              # invalid in a reduction
    lambda: mx.nd._internal._backward_relu(mx.nd.array([np.inf]), mx.nd.array([0.0])),
])
def test_kernels_ignore_floating_point_errors_and_restore_the_error_state(call):
    with np.errstate(all="raise"):
        call().wait_to_read()
        with pytest.raises(FloatingPointError):
            np.exp(np.array([1000.0]))


def test_scalar_cast_matches_numpy_at_the_float_limits():
    from mxnet.ops.binary import scalar_as
    for dtype in ("float16", "float32", "float64"):
        dt = np.dtype(dtype)
        for value in (0.0, -0.0, 1.5, 65504.0, 65519.0, 65520.0, 3.4028234663852886e38,
                      1e39, -1e39, np.inf, -np.inf):
            with np.errstate(over="ignore"):
                expect = dt.type(value)
            got = scalar_as(dt, value)
            assert type(got) is dt.type
            assert got == expect and np.signbit(got) == np.signbit(expect), (dtype, value)
        assert np.isnan(scalar_as(dt, np.nan))


def test_quiet_kernels_keep_the_error_state_per_thread():
    import threading
    from mxnet.ops.quiet import quiet
    seen = []
    gate = threading.Barrier(2)

    @quiet
    def kernel():
        gate.wait()  # both threads inside a quiet kernel at once
        seen.append(np.geterr()["over"])
        gate.wait()

    def worker():
        kernel()
        seen.append(("after", np.geterr()["over"]))

    with np.errstate(over="warn"):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert np.geterr()["over"] == "warn"
    assert seen.count("ignore") == 2
    assert seen.count(("after", np.geterr()["over"])) == 2


# -- scalar operators reuse their converted scalar --------------------------------------

def test_scalar_cache_keeps_the_sign_of_zero_and_nan():
    from mxnet.ops.binary import _scalar_cache
    converted = _scalar_cache()
    f32 = np.dtype("float32")
    for _ in range(2):  # the second round would read cached conversions
        assert not np.signbit(converted(f32, 0.0))
        assert np.signbit(converted(f32, -0.0))
        assert np.isnan(converted(f32, np.nan))
        assert converted(f32, 0.1) == np.float32(0.1) and type(converted(f32, 0.1)) is np.float32
        assert converted(np.dtype("int8"), 300.0) == 44  # wraps like a C cast


@pytest.mark.parametrize("dtype, scalar, expect", [("int32", 1.7, [2, 3]), ("uint8", -1.0, [0, 1]),
                                                   ("float16", 1e10, [np.inf, np.inf]),
                                                   ("float32", 0.1, [1.1, 2.1])])
def test_scalar_conversion_is_per_dtype_when_repeated(dtype, scalar, expect):
    # One scalar, arrays of several dtypes in turn: each converts it its own way
    # (integers truncate and wrap as a C cast does).
    for _ in range(2):
        for other in ("float64", dtype):
            got = mx.nd.array([1, 2], dtype=other) + scalar
            want = np.array([1, 2], dtype=other) + (
                np.float64(scalar) if other == "float64" else np.array(expect, dtype) - [1, 2])
            np.testing.assert_array_equal(got.asnumpy(), want.astype(other))


def test_fluent_methods_are_the_operator_functions():
    x = mx.nd.array([[1.0, 2.0], [3.0, 4.0]])
    assert mx.nd.NDArray.sum is mx.nd.op.sum
    np.testing.assert_array_equal(x.sum(axis=1).asnumpy(), [3, 7])
    np.testing.assert_array_equal(x.sum(1, True).asnumpy(), [[3], [7]])  # positional params
    out = mx.nd.zeros((2,))
    assert x.sum(axis=0, out=out) is out
    np.testing.assert_array_equal(out.asnumpy(), [4, 6])


def test_reduce_broadcast_rejects_a_gradient_of_the_wrong_size():
    with pytest.raises(MXNetError, match="'grad' of shape \\(3,\\) does not match"):
        mx.nd._internal._backward_reduce_broadcast(mx.nd.ones((3,)), shape=(2, 2)).wait_to_read()
