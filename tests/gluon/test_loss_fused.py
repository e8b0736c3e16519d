"""SoftmaxCrossEntropyLoss's one-op imperative path (``_softmax_ce_per_example``).

The fused op must give exactly what the four-op chain (log_softmax, pick,
negative, mean) gives, values and gradients, and the loss must take it only
where it applies.
"""
import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet.base import MXNetError
from mxnet.gluon import loss as gloss

rng = np.random.default_rng(3)


def _chain(pred, label, weight=None):
    """The loss as the unfused ops compute it."""
    loss = -mx.nd.pick(mx.nd.log_softmax(pred, axis=-1), label, axis=-1, keepdims=True)
    if weight is not None:
        loss = loss * weight
    return mx.nd.mean(loss, axis=0, exclude=True)


def _value_and_grad(fn, pred, label):
    x = mx.nd.array(pred, dtype=pred.dtype)
    x.attach_grad()
    with autograd.record():
        loss = fn(x, label)
    loss.backward()
    return loss, x.grad.asnumpy()


LABELS = {
    "float": lambda n, k: mx.nd.array(rng.integers(0, k, n)),
    "int32-column": lambda n, k: mx.nd.array(rng.integers(0, k, (n, 1)), dtype="int32"),
    "out-of-range": lambda n, k: mx.nd.array(np.arange(n) * 3 - 4),  # clipped, as pick does
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("label_kind", sorted(LABELS))
@pytest.mark.parametrize("weight", [None, 0.5])
def test_fused_loss_equals_the_op_chain_exactly(dtype, label_kind, weight):
    pred = rng.standard_normal((9, 6)).astype(dtype) * 3
    label = LABELS[label_kind](9, 6)
    fused, fused_grad = _value_and_grad(gloss.SoftmaxCrossEntropyLoss(weight=weight), pred, label)
    chain, chain_grad = _value_and_grad(lambda x, y: _chain(x, y, weight), pred, label)
    assert fused.shape == chain.shape == (9,)
    assert fused.dtype == chain.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(fused.asnumpy(), chain.asnumpy())
    np.testing.assert_array_equal(fused_grad, chain_grad)


def _recorded_op(loss_fn, *args):
    with autograd.record():
        out = loss_fn(*args)
    node = out._ag_node
    while node.op is not None and node.op.name in ("_mul_scalar",):
        node = node.sources[0][0]
    return node.op.name


def test_the_loss_records_one_op_when_it_applies():
    pred = mx.nd.array(rng.standard_normal((4, 3)))
    pred.attach_grad()
    label = mx.nd.array([0, 1, 2, 1])
    assert _recorded_op(gloss.SoftmaxCrossEntropyLoss(), pred, label) == "_softmax_ce_per_example"
    assert _recorded_op(gloss.SoftmaxCrossEntropyLoss(weight=2.0), pred, label) \
        == "_softmax_ce_per_example"


@pytest.mark.parametrize("make, args", [
    (lambda: gloss.SoftmaxCrossEntropyLoss(), lambda p, y: (p, y, mx.nd.ones((4, 1)))),
    (lambda: gloss.SoftmaxCrossEntropyLoss(from_logits=True), lambda p, y: (p, y)),
    (lambda: gloss.SoftmaxCrossEntropyLoss(axis=0), lambda p, y: (p, mx.nd.array([0, 1, 2]))),
    (lambda: gloss.SoftmaxCrossEntropyLoss(sparse_label=False),
     lambda p, y: (p, mx.nd.one_hot(y, 3))),
], ids=["sample_weight", "from_logits", "axis0", "dense_label"])
def test_the_loss_keeps_the_op_chain_elsewhere(make, args):
    pred = mx.nd.array(rng.standard_normal((4, 3)))
    pred.attach_grad()
    label = mx.nd.array([0, 1, 2, 1])
    assert _recorded_op(make(), *args(pred, label)) == "mean"


def test_three_d_scores_keep_the_op_chain():
    pred = mx.nd.array(rng.standard_normal((2, 4, 3)))
    pred.attach_grad()
    assert _recorded_op(gloss.SoftmaxCrossEntropyLoss(), pred, mx.nd.zeros((2, 4))) == "mean"


def test_hybridized_loss_matches_the_fused_imperative_loss():
    pred = mx.nd.array(rng.standard_normal((5, 4)))
    label = mx.nd.array([3, 0, 1, 2, 2])
    eager = gloss.SoftmaxCrossEntropyLoss()(pred, label)
    hybrid = gloss.SoftmaxCrossEntropyLoss()
    hybrid.hybridize()
    np.testing.assert_allclose(hybrid(pred, label).asnumpy(), eager.asnumpy(), rtol=1e-6)


def test_second_order_gradient_matches_the_op_chain():
    pred = rng.standard_normal((4, 5))
    label = mx.nd.array([4, 0, 2, 2])
    results = []
    for fn in (lambda x: mx.nd._internal._softmax_ce_per_example(x, label),
               lambda x: _chain(x, label)):
        x = mx.nd.array(pred, dtype="float64")
        x.attach_grad()
        with autograd.record():
            (gx,) = autograd.grad(fn(x) * mx.nd.array([1., 2., 3., 4.], dtype="float64"), [x],
                                  create_graph=True)
            total = (gx * gx).sum()
        total.backward()
        results.append(x.grad.asnumpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


def test_bad_inputs_name_the_op():
    with pytest.raises(MXNetError, match="_softmax_ce_per_example.*2-d"):
        mx.nd._internal._softmax_ce_per_example(mx.nd.zeros((2, 3, 4)), mx.nd.zeros((2,)))
    with pytest.raises(MXNetError, match="_softmax_ce_per_example.*one class index"):
        mx.nd._internal._softmax_ce_per_example(mx.nd.zeros((2, 3)), mx.nd.zeros((3,)))
    with pytest.raises(MXNetError, match="_softmax_ce_per_example.*floating point"):
        mx.nd._internal._softmax_ce_per_example(mx.nd.zeros((2, 3), dtype="int32"),
                                                mx.nd.zeros((2,)))
