"""clip, where, add_n, gradient plumbing (BlockGrad, make_loss, MakeLoss),
AMP helpers, all_finite, hard_sigmoid and smooth_l1, with the behaviour
MXNet 1.9.1 shows (recorded from the oracle in the rows' ids and refs)."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(11)
X = np.array([[-3.1, -1.3, -0.4, 0.2], [0.7, 1.6, 2.2, 4.9]], np.float32)
Y = rng.uniform(-2, 2, (2, 4)).astype(np.float32)
COND = np.array([[1, 0, 2, 0], [0, -1, 0, 0.5]], np.float32)
SL1 = np.array([-2, -0.6, -0.2, 0.1, 0.35, 0.9, 1.7], np.float32)


def np_smooth_l1(a, sigma):
    s2 = sigma * sigma
    return np.where(np.abs(a) > 1 / s2, np.abs(a) - 0.5 / s2, 0.5 * a * a * s2).astype(a.dtype)


CASES = [
    Case("clip", [X], {"a_min": -1.0, "a_max": 2.0}, ref=lambda a, a_min, a_max: np.clip(a, -1, 2),
         grad=True),
    Case("clip", [X], {"a_min": 2.0, "a_max": -1.0},
         ref=lambda a, a_min, a_max: np.where(a > -1, -1, 2).astype(a.dtype),
         id="clip-with-crossed-bounds-prefers-a_max"),
    Case("clip", [np.array([-3, -1, 0, 1, 2, 5], np.int32)], {"a_min": -1.5, "a_max": 2.7},
         ref=lambda a, a_min, a_max: np.array([-1, -1, 0, 1, 2, 2], np.int32),
         id="clip-int-truncates-the-chosen-bound"),
    Case("clip", [np.array([0, 1, 5, 253], np.uint8)], {"a_min": -1.5, "a_max": 2.7},
         ref=lambda a, a_min, a_max: np.array([0, 1, 2, 2], np.uint8),
         id="clip-uint8-compares-before-casting"),
    Case("where", [COND, X, Y], ref=lambda c, x, y: np.where(c != 0, x, y), grad=True),
    Case("where", [np.array([1, 0], np.int32), X, Y],
         ref=lambda c, x, y: np.where(c[:, None] != 0, x, y), grad=True,
         id="where-1d-condition-selects-rows"),
    Case("where", [np.array([np.nan, 0], np.float32), np.ones(2, np.float16),
                   np.zeros(2, np.float16)],
         ref=lambda c, x, y: np.array([1, 0], np.float16), id="where-nan-counts-as-true"),
    Case("add_n", [X, Y, X], ref=lambda a, b, c: a + b + c, grad=True),
    Case("ElementWiseSum", [X], ref=lambda a: a.copy(), grad=True, id="ElementWiseSum-of-one"),
    Case("add_n", [np.full(2, 100, np.int8), np.full(2, 100, np.int8)],
         ref=lambda a, b: np.full(2, -56, np.int8), id="add_n-int8-wraps"),
    Case("BlockGrad", [X], ref=lambda a: a.copy()),
    Case("stop_gradient", [np.array([1, 2], np.int32)], ref=lambda a: a.copy()),
    Case("make_loss", [X], ref=lambda a: a.copy()),
    Case("MakeLoss", [X], {"normalization": "valid"}, ref=lambda a, normalization: a.copy()),
    Case("_internal._identity_with_attr_like_rhs", [X, Y], ref=lambda a, b: a.copy(), grad=True),
    Case("amp_cast", [X], {"dtype": "float16"}, ref=lambda a, dtype: a.astype(np.float16),
         rtol=1e-3),
    Case("amp_cast", [X], {"dtype": "int32"}, ref=lambda a, dtype: a.astype(np.int32),
         id="amp_cast-float-to-int-truncates"),
    Case("amp_cast", [X.astype(np.float64)], {"dtype": "float16"},
         ref=lambda a, dtype: a.copy(), id="amp_cast-leaves-float64-alone"),
    Case("amp_cast", [np.array([1, 2], np.int32)], {"dtype": "float32"},
         ref=lambda a, dtype: a.copy(), id="amp_cast-leaves-integers-alone"),
    Case("amp_cast", [X.astype(np.float16)], {"dtype": "float32"},
         ref=lambda a, dtype: a.astype(np.float32), grad=True),
    Case("amp_multicast", [X, X.astype(np.float16), np.ones(3, np.int32)],
         ref=lambda a, b, c: [a, b.astype(np.float32), c], id="amp_multicast-to-widest"),
    Case("amp_multicast", [X, X.astype(np.float16), X.astype(np.float64)], {"cast_narrow": True},
         ref=lambda a, b, c, cast_narrow: [a.astype(np.float16), b, c],
         id="amp_multicast-cast_narrow", rtol=1e-3),
    Case("amp_multicast", [X, X.astype(np.float64)], ref=lambda a, b: [a, b], grad=True),
    Case("all_finite", [X], ref=lambda a: np.ones(1, np.float32)),
    Case("all_finite", [np.array([1, np.inf], np.float16)], ref=lambda a: np.zeros(1, np.float32)),
    Case("multi_all_finite", [X, np.array([np.nan], np.float64)], {"num_arrays": 2},
         ref=lambda a, b, num_arrays: np.zeros(1, np.float32)),
    Case("multi_all_finite", [X, Y], {"num_arrays": 2, "init_output": False},
         ref=lambda a, b, num_arrays, init_output: np.ones(1, np.float32)),
    Case("hard_sigmoid", [X], ref=lambda a: np.clip(0.2 * a + 0.5, 0, 1), grad=True),
    Case("hard_sigmoid", [X.astype(np.float64)], {"alpha": 0.3, "beta": 0.4},
         ref=lambda a, alpha, beta: np.clip(0.3 * a + 0.4, 0, 1), grad=True),
    Case("smooth_l1", [SL1], ref=lambda a: np_smooth_l1(a, 1.0), grad=True),
    Case("smooth_l1", [SL1], {"scalar": 2.0}, ref=lambda a, scalar: np_smooth_l1(a, 2.0),
         grad=True),
    Case("smooth_l1", [SL1], {"scalar": 0.0}, ref=lambda a, scalar: np.zeros_like(a), grad=True,
         id="smooth_l1-sigma-0-is-zero"),
    Case("smooth_l1", [np.array([-3, -1, 0, 1, 2], np.int32)], {"scalar": 1.0},
         ref=lambda a, scalar: np.array([2, 0, 0, 0, 1], np.int32), id="smooth_l1-int"),
    Case("smooth_l1", [np.array([-3, 5, 100], np.int32)], {"scalar": 0.5},
         ref=lambda a, scalar: np.zeros(3, np.int32), id="smooth_l1-int-sigma-truncated-to-0"),
    Case("contrib.round_ste", [np.array([-2.5, -1.6, 0.4, 0.5], np.float32)],
         ref=lambda a: np.array([-3, -2, 0, 1], np.float32)),
    Case("contrib.sign_ste", [X], ref=np.sign),
    Case("contrib.gradientmultiplier", [X], {"scalar": -2.0}, ref=lambda a, scalar: a.copy()),
    Case("contrib.quadratic", [X], {"a": 1.5, "b": -2.0, "c": 0.5},
         ref=lambda x, a, b, c: a * x * x + b * x + c, grad=True),
    Case("contrib.quadratic", [np.array([1, 2, -3], np.int32)], {"a": 0.5},
         ref=lambda x, a: np.array([0, 2, 4], np.int32), id="quadratic-int-computed-in-float"),
    Case("contrib.div_sqrt_dim", [X], ref=lambda a: a / 2, grad=True),
    Case("contrib.div_sqrt_dim", [np.array([[-3, 2, 3, 9]], np.int32)],
         ref=lambda a: np.array([[-1, 1, 1, 4]], np.int32), id="div_sqrt_dim-int-truncates"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_misc_case(case):
    run_case(case)


@pytest.mark.parametrize("case", CASES[::3], ids=str)
def test_misc_case_pushed_through_the_engine(case, monkeypatch):
    from mxnet.ndarray import invoke
    monkeypatch.setattr(invoke, "ASYNC_MIN_SIZE", 0)
    run_case(case)


# -- gradients MXNet defines specially ------------------------------------------

def grad_of(fn, x, head=None):
    v = mx.nd.array(x)
    v.attach_grad()
    with mx.autograd.record():
        y = fn(v)
    y.backward(head)
    return v.grad.asnumpy()


def test_clip_passes_the_gradient_at_its_bounds():
    g = grad_of(lambda v: mx.nd.clip(v, -1, 2), np.array([-3, -1, 0, 2, 5], np.float32))
    np.testing.assert_array_equal(g, [0, 1, 1, 1, 0])


def test_block_grad_stops_the_gradient():
    g = grad_of(lambda v: mx.nd.BlockGrad(v * 3) + v, np.ones(2, np.float32))
    np.testing.assert_array_equal(g, [1, 1])


def test_make_loss_sends_ones_whatever_comes_from_above():
    g = grad_of(lambda v: mx.nd.make_loss(v * 3), np.ones(2, np.float32), mx.nd.array([5, 7]))
    np.testing.assert_array_equal(g, [3, 3])


@pytest.mark.parametrize("kwargs,expected", [
    ({}, 1.0),
    ({"grad_scale": 0.5}, 0.5),
    ({"normalization": "batch"}, 1 / 3),
    ({"normalization": "valid", "valid_thresh": 2.5}, 1 / 4),   # outputs 3..6 are > 2.5
    ({"normalization": "valid", "valid_thresh": 100.0}, 1.0),   # no valid output: divide by 1
])
def test_make_loss_gradient_scaling(kwargs, expected):
    x = np.arange(1, 7, dtype=np.float32).reshape(3, 2)
    g = grad_of(lambda v: mx.nd.MakeLoss(v, **kwargs), x, mx.nd.full((3, 2), 9.0))
    np.testing.assert_allclose(g, np.full((3, 2), expected), rtol=1e-6)


def test_straight_through_estimators_pass_the_gradient_unchanged():
    head = mx.nd.array([1, 2, 3])
    x = np.array([-1.6, 0.2, 2.5], np.float32)
    np.testing.assert_array_equal(grad_of(mx.nd.contrib.round_ste, x, head), [1, 2, 3])
    np.testing.assert_array_equal(grad_of(mx.nd.contrib.sign_ste, x, head), [1, 2, 3])


def test_gradientmultiplier_scales_the_gradient():
    g = grad_of(lambda v: mx.nd.contrib.gradientmultiplier(v, scalar=-2), np.ones(2, np.float32),
                mx.nd.array([1, 3]))
    np.testing.assert_array_equal(g, [-2, -6])


def test_hard_sigmoid_gradient_is_zero_where_it_saturates():
    g = grad_of(mx.nd.hard_sigmoid, np.array([-5, -2.5, 0, 1, 2.5, 5], np.float32))
    np.testing.assert_allclose(g, [0, 0, 0.2, 0.2, 0, 0])


def test_amp_cast_gradient_comes_back_in_the_input_dtype():
    x = mx.nd.array([1, 2], dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.amp_cast(x.astype("float32"), dtype="float16")
    y.backward()
    assert x.grad.dtype == np.float64


def test_second_derivative_through_where_and_clip():
    x = mx.nd.array([-0.5, 0.5, 1.5], dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.where(x > 0, x * x * x, mx.nd.clip(x, -1, 1) * x)
        (dx,) = mx.autograd.grad(y, [x], create_graph=True)
    dx.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2, 3, 9])


# -- bad input -------------------------------------------------------------------

@pytest.mark.parametrize("call,message", [
    (lambda: mx.nd.hard_sigmoid(mx.nd.ones(2, dtype="int32")),
     "hard_sigmoid: expects a floating point input, got int32"),
    (lambda: mx.nd.MakeLoss(mx.nd.ones(2, dtype="int32")), "MakeLoss: expects a floating point"),
    (lambda: mx.nd.all_finite(mx.nd.ones(2, dtype="int32")), "all_finite: expects a floating"),
    (lambda: mx.nd.add_n(mx.nd.ones(2), mx.nd.ones(3)), r"add_n: .*same shape.*\(2,\), \(3,\)"),
    (lambda: mx.nd.add_n(mx.nd.ones(2), mx.nd.ones(2, dtype="int32")), "add_n: .*same dtype"),
    (lambda: mx.nd.add_n(mx.nd.ones(2), mx.nd.ones(2), num_args=3), "add_n: num_args"),
    (lambda: mx.nd.where(mx.nd.ones(2), mx.nd.ones((3, 2)), mx.nd.ones((3, 2))),
     r"where: condition must have the shape of x \(3, 2\) or be 1-D with length 3"),
    (lambda: mx.nd.where(mx.nd.ones(2), mx.nd.ones(2), mx.nd.ones(3)),
     "where: x and y must have the same shape"),
    (lambda: mx.nd.where(mx.nd.ones(2), mx.nd.ones(2), mx.nd.ones(2, dtype="int32")),
     "where: x and y must have the same dtype"),
    (lambda: mx.nd.clip(mx.nd.ones(2), 0), "clip: required argument 'a_max'"),
    (lambda: mx.nd.MakeLoss(mx.nd.ones(2), normalization="mean"),
     "MakeLoss: argument 'normalization' expects one of"),
    (lambda: mx.nd.multi_all_finite(mx.nd.ones(2), mx.nd.ones(2), num_arrays=1),
     "multi_all_finite: num_arrays must equal the number of inputs"),
    (lambda: mx.nd.amp_multicast(mx.nd.ones(2), num_outputs=2), "amp_multicast: num_outputs"),
    (lambda: mx.nd._internal._identity_with_attr_like_rhs(mx.nd.ones(2), mx.nd.ones(3)),
     "_identity_with_attr_like_rhs: .*same shape"),
])
def test_bad_input_is_rejected(call, message):
    with pytest.raises(MXNetError, match=message):
        call().asnumpy()
