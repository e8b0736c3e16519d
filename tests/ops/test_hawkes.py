"""hawkesll: forward against MXNet 1.9.1 fixtures, exact gradients by finite differences."""
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, run_case

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops",
                                "misc2.npz"))
ORDER = ("lda", "alpha", "beta", "state", "lags", "marks", "valid_length", "max_time")


def fixture_inputs(dtype):
    return [FIXTURES[f"hawkes_{dtype}_{k}"] for k in ORDER]


def fixture_ref(dtype):
    return lambda *args: (FIXTURES[f"hawkes_{dtype}_loglik"],
                          FIXTURES[f"hawkes_{dtype}_out_state"])


CASES = [
    Case("contrib.hawkesll", fixture_inputs("float32"), ref=fixture_ref("float32"),
         rtol=1e-5, atol=1e-5, id="hawkesll-float32-matches-mxnet"),
    Case("contrib.hawkesll", fixture_inputs("float64"), ref=fixture_ref("float64"),
         rtol=1e-7, atol=1e-9, id="hawkesll-float64-matches-mxnet"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


def test_gradients_of_both_outputs_match_finite_differences():
    args = fixture_inputs("float64")
    params, data = args[:4], args[4:]

    def fn(lda, alpha, beta, state):
        return mx.nd.contrib.hawkesll(lda, alpha, beta, state,
                                      *[mx.nd.array(a, dtype=a.dtype) for a in data])
    check_gradient(fn, params, {}, rtol=1e-5, atol=1e-7)


def test_state_carries_between_windows():
    # Two windows of one sequence, the second starting from the first's state,
    # give the likelihood of the whole sequence.
    lda, alpha, beta = np.array([[1.2, 0.7]]), np.array([0.4, 0.3]), np.array([1.5, 2.0])
    lags = np.array([[0.3, 0.4, 0.2, 0.5]])
    marks = np.array([[0, 1, 0, 0]], np.int32)

    def run(state, lags, marks, max_time):
        return mx.nd.contrib.hawkesll(
            *[mx.nd.array(a, dtype=a.dtype) for a in (
                lda, alpha, beta, state, lags, marks,
                np.array([lags.shape[1]], np.float64), np.array([max_time]))])
    whole, _ = run(np.zeros((1, 2)), lags, marks, 2.0)
    # Points at 0.3, 0.7, 0.9 | 1.4: the second window starts 0.4 before its point.
    first, state = run(np.zeros((1, 2)), lags[:, :3], marks[:, :3], 1.0)
    second, _ = run(state.asnumpy(), np.array([[0.4]]), marks[:, 3:], 1.0)
    np.testing.assert_allclose((first + second).asnumpy(), whole.asnumpy(), rtol=1e-12)


def _args(**change):
    n, k, t = 2, 2, 3
    args = dict(lda=np.ones((n, k)), alpha=np.full(k, 0.5), beta=np.ones(k),
                state=np.zeros((n, k)), lags=np.ones((n, t)),
                marks=np.zeros((n, t), np.int32), valid_length=np.array([1.0, 3.0]),
                max_time=np.array([5.0, 5.0]))
    args.update(change)
    return [mx.nd.array(args[a], dtype=args[a].dtype) for a in ORDER]


@pytest.mark.parametrize("change, message", [
    ({"marks": np.full((2, 3), 2, np.int32)}, "process ids"),
    ({"valid_length": np.array([1.0, 4.0])}, "valid_length"),
    ({"alpha": np.ones(3)}, "'alpha' expects shape"),
    ({"marks": np.zeros((2, 3), np.float64)}, "'marks' expects dtype int32"),
    ({"lags": np.ones((2, 3), np.float32)}, "'lags' expects dtype float64"),
])
def test_bad_arguments_raise(change, message):
    with pytest.raises(MXNetError, match=message):
        mx.nd.contrib.hawkesll(*_args(**change))[0].wait_to_read()
