"""Activation, LeakyReLU, softmax/log_softmax/softmin, SoftmaxActivation and Dropout.

Forward values against NumPy formulas, gradients against finite differences
(the harness), MXNet-specific behaviour (rrelu slopes, dropout scaling and
modes) and the errors bad arguments must raise. Oracle fixtures for these ops
are checked in test_nn_loss.py with the loss layers.
"""
import math

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, run_case

rng = np.random.default_rng(3)
X = rng.normal(size=(3, 5)).astype(np.float32)
X3 = rng.normal(size=(2, 3, 4)).astype(np.float32)
X4 = rng.normal(size=(2, 3, 2, 2)).astype(np.float32)
# Kinks at 0 break finite differences: keep samples away from it.
XK = np.where(np.abs(X) < 0.1, 0.5, X).astype(np.float32)
X3K = np.where(np.abs(X3) < 0.1, 0.5, X3).astype(np.float32)
LENGTH = np.array([[1, 4, 0], [2, 3, 4]], np.int32)
SELU_ALPHA, SELU_LAMBDA = 1.6732632423543772, 1.0507009873554805
_erf = np.vectorize(math.erf)


def softmax(x, axis=-1, temperature=1.0):
    e = np.exp((x - x.max(axis=axis, keepdims=True)) / temperature)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1, temperature=1.0):
    z = x / temperature
    z = z - z.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def relu(x, act_type):
    return np.maximum(x, 0)


def leaky(x, act_type, slope=0.25):
    if act_type == "leaky":
        return np.where(x > 0, x, slope * x).astype(x.dtype)
    if act_type == "elu":
        return np.where(x > 0, x, slope * np.expm1(x)).astype(x.dtype)
    if act_type == "selu":
        return (SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))).astype(x.dtype)
    return (0.5 * x * (1 + _erf(x / np.sqrt(2)))).astype(x.dtype)  # gelu


def prelu(x, gamma, act_type):
    g = gamma.reshape((1, -1) + (1,) * (x.ndim - 2)) if gamma.size > 1 else gamma
    return np.where(x > 0, x, g * x).astype(x.dtype)


def softmax_length(x, length, use_length, axis=-1):
    n = x.shape[axis]
    mask = np.arange(n) < np.expand_dims(length, -1)
    mask = np.moveaxis(mask, -1, axis)
    e = np.where(mask, np.exp(x - np.where(mask, x, -np.inf).max(axis=axis, keepdims=True)), 0)
    total = e.sum(axis=axis, keepdims=True)
    return np.where(mask, e / np.where(total > 0, total, 1), 0).astype(x.dtype)


def act(fn):
    return lambda x, act_type: fn(x).astype(x.dtype)


CASES = [
    Case("Activation", [XK], {"act_type": "relu"}, ref=relu, grad=True),
    Case("Activation", [X], {"act_type": "sigmoid"}, ref=act(lambda x: 1 / (1 + np.exp(-x))),
         grad=True),
    Case("Activation", [X * 10], {"act_type": "softrelu"}, ref=act(lambda x: np.logaddexp(0, x)),
         grad=True, id="softrelu-large-inputs"),
    Case("Activation", [X], {"act_type": "softsign"}, ref=act(lambda x: x / (1 + np.abs(x))),
         grad=True),
    Case("Activation", [X.astype(np.float64)], {"act_type": "tanh"}, ref=act(np.tanh), grad=True),
    Case("Activation", [X.astype(np.float16)], {"act_type": "sigmoid"},
         ref=act(lambda x: 1 / (1 + np.exp(-x.astype(np.float32)))), rtol=2e-3, atol=1e-3,
         id="sigmoid-float16"),
    Case("LeakyReLU", [XK], ref=lambda x: leaky(x, "leaky"), grad=True,
         id="leaky-default-slope"),
    Case("LeakyReLU", [XK], {"act_type": "leaky", "slope": 0.1}, ref=leaky, grad=True),
    Case("LeakyReLU", [XK], {"act_type": "elu", "slope": 0.7}, ref=leaky, grad=True),
    Case("LeakyReLU", [XK], {"act_type": "selu"}, ref=leaky),
    Case("LeakyReLU", [X * 2], {"act_type": "gelu"}, ref=leaky, grad=True),
    Case("LeakyReLU", [X3K, np.array([0.1, -0.2, 0.3], np.float32)], {"act_type": "prelu"},
         ref=prelu, grad=True, id="prelu-per-channel"),
    Case("LeakyReLU", [XK, np.array([0.3], np.float32)], {"act_type": "prelu"}, ref=prelu,
         grad=True, id="prelu-one-slope"),
    Case("softmax", [X3], ref=softmax, grad=True),
    Case("softmax", [X3], {"axis": 1, "temperature": 2.5}, ref=softmax, grad=True),
    Case("softmax", [X3, LENGTH], {"use_length": True}, ref=softmax_length,
         id="softmax-length-zero-row-is-zero"),
    Case("softmax", [X3.astype(np.float16)], {"dtype": "float32"},
         ref=lambda x, dtype: softmax(x.astype(np.float32)), rtol=1e-3,
         id="softmax-float16-in-float32-out"),
    Case("softmax", [X3.astype(np.float64)], {"dtype": "float16"},
         ref=lambda x, dtype: softmax(x).astype(np.float16), rtol=1e-3, atol=1e-3,
         id="softmax-float64-in-float16-out"),
    Case("log_softmax", [X3], {"axis": 0}, ref=log_softmax, grad=True),
    Case("log_softmax", [X3], {"temperature": 0.5}, ref=log_softmax, grad=True),
    Case("softmin", [X3], {"axis": -2}, ref=lambda x, axis: softmax(-x, axis), grad=True),
    Case("softmin", [X3], {"temperature": 2.0},
         ref=lambda x, temperature: softmax(-x, -1, temperature), grad=True),
    Case("SoftmaxActivation", [X], ref=softmax, grad=True),
    Case("SoftmaxActivation", [X3], ref=softmax, grad=True, id="instance-mode-last-axis"),
    Case("SoftmaxActivation", [X4], {"mode": "channel"},
         ref=lambda x, mode: softmax(x, axis=1), grad=True),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


@pytest.mark.parametrize("case", CASES[:6] + CASES[13:16], ids=str)
def test_op_case_pushed_through_the_engine(case, monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    run_case(case)


def test_softmax_with_length_gradient_matches_finite_differences():
    # The integer length input cannot go through the float64 harness, so bind it.
    def fn(x, **kwargs):
        return mx.nd.softmax(x, mx.nd.array(LENGTH, dtype="int32"), **kwargs)
    check_gradient(fn, [X3], {"use_length": True, "temperature": 1.5})


def test_fluent_softmax_methods():
    x = mx.nd.array(X3)
    np.testing.assert_allclose(x.softmax(axis=1).asnumpy(), softmax(X3, 1), rtol=1e-5)
    np.testing.assert_allclose(x.log_softmax().asnumpy(), log_softmax(X3), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.softmin().asnumpy(), softmax(-X3), rtol=1e-5)


def test_softmax_second_derivative():
    x = mx.nd.array(X, dtype=np.float64)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.softmax(x)
        g = mx.autograd.grad(mx.nd.sum(y * y), x, create_graph=True)[0]
        z = mx.nd.sum(g)
    z.backward()
    # The sum of the first derivative is identically 0 along each row (softmax sums
    # to 1), so its derivative must vanish.
    np.testing.assert_allclose(x.grad.asnumpy(), 0, atol=1e-10)


# -- rrelu -------------------------------------------------------------------------

def test_selu_gradient_is_mxnets_lambda_times_output_plus_alpha():
    # MXNet 1.9.1 (the oracle gave these values) differentiates x <= 0 as
    # lambda * (y + alpha), not the true y + lambda * alpha; x > 0 gives lambda.
    x = mx.nd.array([-2.0, -0.5, 0.0, 0.5, 2.0], dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.LeakyReLU(x, act_type="selu")
    y.backward(mx.nd.array([1, 2, 3, 4, 5], dtype="float64"))
    expect = [0.16085888, 2 * 1.03126831, 3 * 1.75809935, 4 * 1.05070102, 5 * 1.05070102]
    np.testing.assert_allclose(x.grad.asnumpy(), expect, rtol=1e-6)
    yn = y.asnumpy()
    formula = np.where(x.asnumpy() > 0, SELU_LAMBDA, SELU_LAMBDA * (yn + SELU_ALPHA))
    np.testing.assert_allclose(x.grad.asnumpy(), formula * [1, 2, 3, 4, 5], rtol=1e-12)


def test_rrelu_inference_uses_the_mean_slope_and_returns_it_as_mask():
    x = mx.nd.array(X)
    out, mask = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)
    np.testing.assert_allclose(out.asnumpy(), np.where(X > 0, X, 0.2 * X), rtol=1e-6)
    np.testing.assert_allclose(mask.asnumpy(), np.full(X.shape, 0.2, np.float32))


def test_rrelu_training_draws_slopes_in_bounds_and_differentiates_through_them():
    x = mx.nd.array(np.full((50, 40), -1.0, np.float32))
    x.attach_grad()
    with mx.autograd.record():
        out, mask = mx.nd.LeakyReLU(x, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)
    out.backward()
    m = mask.asnumpy()
    assert 0.1 <= m.min() and m.max() <= 0.3 and m.std() > 0.03
    np.testing.assert_allclose(out.asnumpy(), -m)
    np.testing.assert_allclose(x.grad.asnumpy(), m)


# -- Dropout -------------------------------------------------------------------------

def test_dropout_is_the_identity_in_inference():
    x = mx.nd.array(X3)
    x.attach_grad()
    with mx.autograd.record(train_mode=False):
        y = mx.nd.Dropout(x)
    y.backward(mx.nd.ones_like(y) * 3)
    np.testing.assert_array_equal(y.asnumpy(), X3)
    assert not np.shares_memory(y.asnumpy(), x.asnumpy())
    np.testing.assert_array_equal(x.grad.asnumpy(), np.full(X3.shape, 3, np.float32))


def test_dropout_training_zeroes_a_fraction_p_and_scales_the_rest():
    x = mx.nd.ones((200, 100))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Dropout(x, p=0.3)
    y.backward(mx.nd.ones((200, 100)) * 2)
    out = y.asnumpy()
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((out == 0).mean() - 0.3) < 0.02
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * out)


def test_dropout_axes_share_one_decision_along_them():
    with mx.autograd.train_mode():
        y = mx.nd.Dropout(mx.nd.ones((4, 30, 5)), p=0.5, axes=(0, 2)).asnumpy()
    assert (y == y[:1, :, :1]).all()
    assert 0 < (y[0, :, 0] == 0).sum() < 30


def test_dropout_always_mode_drops_in_inference():
    y = mx.nd.Dropout(mx.nd.ones((100, 100)), p=0.5, mode="always").asnumpy()
    assert abs((y == 0).mean() - 0.5) < 0.03


def test_dropout_is_reproducible_under_a_seed():
    def draw():
        mx.random.seed(11)
        with mx.autograd.train_mode():
            return mx.nd.Dropout(mx.nd.ones((20, 20))).asnumpy()
    np.testing.assert_array_equal(draw(), draw())


def test_dropout_p_one_gives_nan_like_mxnet():
    with mx.autograd.train_mode():
        assert np.isnan(mx.nd.Dropout(mx.nd.ones((2, 2)), p=1.0).asnumpy()).all()


def test_dropout_keeps_float_dtypes():
    for dtype in ("float16", "float64"):
        y = mx.nd.Dropout(mx.nd.ones((2, 3), dtype=dtype), mode="always")
        assert np.dtype(y.dtype) == np.dtype(dtype)


# -- errors ----------------------------------------------------------------------------

ERRORS = [
    ("Activation", [X.astype(np.int32)], {"act_type": "relu"}, "floating point"),
    ("Activation", [X], {}, "act_type"),
    ("Activation", [X], {"act_type": "swish"}, "act_type"),
    ("LeakyReLU", [X.astype(np.int32)], {}, "floating point"),
    ("LeakyReLU", [X], {"act_type": "prelu"}, "gamma"),
    ("LeakyReLU", [X, np.ones(3, np.float32)], {"act_type": "prelu"}, "gamma"),
    ("LeakyReLU", [X, np.ones(5, np.float64)], {"act_type": "prelu"}, "dtype"),
    ("LeakyReLU", [X, np.ones(5, np.float32)], {"act_type": "leaky"}, "takes 1 input"),
    ("softmax", [X], {"axis": 2}, "axis"),
    ("softmax", [X.astype(np.int32)], {}, "floating point"),
    ("softmax", [X], {"dtype": "int32"}, "dtype"),
    ("softmax", [X], {"use_length": True}, "length"),
    ("softmax", [X, np.ones(3, np.float32)], {"use_length": True}, "integer"),
    ("softmax", [X, np.ones(5, np.int32)], {"use_length": True}, "shape"),
    ("softmax", [X, np.ones(3, np.int32)], {}, "use_length"),
    ("log_softmax", [X], {"use_length": True}, "length"),
    ("SoftmaxActivation", [X], {"mode": "channel"}, "3 dimensions"),
    ("Dropout", [X], {"p": 1.5, "mode": "always"}, "'p'"),
    ("Dropout", [X.astype(np.int32)], {}, "floating point"),
    ("Dropout", [X], {"axes": (2,), "mode": "always"}, "axes"),
]


@pytest.mark.parametrize("op,inputs,kwargs,match", ERRORS,
                         ids=[f"{e[0]}-{e[3]}" for e in ERRORS])
def test_bad_arguments_raise(op, inputs, kwargs, match):
    with pytest.raises(MXNetError, match=match):
        getattr(mx.nd, op)(*[mx.nd.array(a, dtype=a.dtype) for a in inputs],
                           **kwargs).asnumpy()
