"""The fused softmax cross-entropy ops behind SoftmaxCrossEntropyLoss's
imperative path: values and (second-order) gradients through the op harness."""
import numpy as np
import pytest

from .harness import Case, run_case

rng = np.random.default_rng(5)

P = rng.standard_normal((3, 4))
LABEL = np.array([1.5, 0.5, 3.5])  # away from the integer steps where the label's
G = rng.standard_normal(3)         # finite differences would jump


def _ce_ref(data, label):
    logp = data - data.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    return -logp[np.arange(len(label)), label.astype(int)]


def _ce_backward_ref(grad, data, label):
    p = np.exp(data - data.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    p[np.arange(len(label)), label.astype(int)] -= 1
    return grad[:, None] * p


@pytest.mark.parametrize("case", [
    Case("_internal._softmax_ce_per_example", [P, LABEL], {}, _ce_ref, grad=True),
    Case("_internal._backward_softmax_ce_per_example", [G, P, LABEL], {}, _ce_backward_ref,
         grad=True),
], ids=str)
def test_fused_ops_values_and_gradients(case):
    run_case(case)
