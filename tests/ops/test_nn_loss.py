"""Loss layers (SoftmaxOutput, regression and SVM outputs, softmax_cross_entropy,
CTCLoss, IdentityAttachKLSparseReg) and MXNet 1.9.1 oracle cases.

``tests/fixtures/ops/nn_loss.npz`` comes from tools/make_fixtures_nn_loss.py
run under real MXNet: outputs and gradients of the loss layers and of the
activations whose numbers NumPy cannot produce directly (gelu, prelu, softmax
with lengths). Losses whose gradient is a true derivative (CTCLoss,
softmax_cross_entropy) are also checked against finite differences.
"""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, nd_func, run_case

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops", "nn_loss.npz")
with np.load(FIXTURE) as _f:
    ORACLE = {k: _f[k] for k in _f.files}
ORACLE_CASES = json.loads(str(ORACLE["cases"]))


@pytest.mark.parametrize("name", sorted(ORACLE_CASES))
def test_matches_mxnet(name):
    meta = ORACLE_CASES[name]
    arrays = [mx.nd.array(ORACLE[k], dtype=ORACLE[k].dtype) for k in meta["inputs"]]
    for i in meta["grad"]:
        arrays[i].attach_grad()
    head = ORACLE.get(f"{name}/head")
    with mx.autograd.record():
        out = nd_func(meta["op"])(*arrays, **meta["kwargs"])
    out.backward(None if head is None else mx.nd.array(head, dtype=head.dtype))
    expected = ORACLE[f"{name}/out"]
    assert out.dtype == expected.dtype and out.shape == expected.shape
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-4, atol=1e-5)
    for i in meta["grad"]:
        np.testing.assert_allclose(arrays[i].grad.asnumpy(), ORACLE[f"{name}/grad{i}"],
                                   rtol=1e-4, atol=1e-5, err_msg=f"gradient of input {i}")
    if f"{name}/moving_after" in ORACLE:
        np.testing.assert_allclose(arrays[1].asnumpy(), ORACLE[f"{name}/moving_after"],
                                   rtol=1e-6)


rng = np.random.default_rng(5)
X = rng.normal(size=(3, 4)).astype(np.float32)
LABEL = np.array([2, 0, 3], np.float32)
CTC_X = rng.normal(size=(5, 2, 4))
CTC_LABEL = np.array([[1, 2, 2], [3, 0, 0]], np.float32)


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _cross_entropy(x, label):
    logp = np.log(_softmax(x.astype(np.float64)))
    return -logp[np.arange(len(label)), label.astype(int)].sum(keepdims=True).astype(x.dtype)


CASES = [
    Case("SoftmaxOutput", [X, LABEL], ref=lambda x, label: _softmax(x)),
    Case("Softmax", [X, LABEL], {"preserve_shape": True},
         ref=lambda x, label, preserve_shape: _softmax(x), id="legacy-Softmax-alias"),
    Case("LinearRegressionOutput", [X, X], ref=lambda x, label: x),
    Case("MAERegressionOutput", [X, X], ref=lambda x, label: x),
    Case("LogisticRegressionOutput", [X, X], ref=lambda x, label: 1 / (1 + np.exp(-x))),
    Case("SVMOutput", [X, LABEL], ref=lambda x, label: x),
    Case("softmax_cross_entropy", [X, LABEL], ref=_cross_entropy),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_forward_and_inference(case):
    run_case(case)


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    def fn(x, **kwargs):
        return mx.nd.softmax_cross_entropy(x, mx.nd.array(LABEL, dtype="float64"))
    check_gradient(fn, [X], {})


@pytest.mark.parametrize("kwargs", [{}, {"blank_label": "last"}], ids=["blank-first",
                                                                       "blank-last"])
def test_ctc_gradient_matches_finite_differences(kwargs):
    label = CTC_LABEL if not kwargs else CTC_LABEL - 1  # 'last' pads with -1

    def fn(x, **kw):
        return mx.nd.CTCLoss(x, mx.nd.array(label, dtype="float64"), **kw)
    check_gradient(fn, [CTC_X], kwargs)


def test_ctc_gradient_with_lengths_is_zero_past_each_sequence():
    x = mx.nd.array(CTC_X)
    x.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(x, mx.nd.array(CTC_LABEL), mx.nd.array([3, 5]),
                             mx.nd.array([1, 1]), use_data_lengths=True, use_label_lengths=True)
    loss.backward()
    g = x.grad.asnumpy()
    assert (g[3:, 0] == 0).all() and np.abs(g[:3, 0]).sum() > 0
    # Only the first label of each row counts with label_lengths 1.
    short = mx.nd.CTCLoss(mx.nd.array(CTC_X[:3, :1]), mx.nd.array(CTC_LABEL[:1, :1]))
    np.testing.assert_allclose(loss.asnumpy()[0], short.asnumpy()[0], rtol=1e-6)


def test_ctc_label_lengths_alone_are_read_from_the_third_input():
    x = mx.nd.array(CTC_X)
    by_flag = mx.nd.CTCLoss(x, mx.nd.array(CTC_LABEL), mx.nd.array([2, 1]),
                            use_label_lengths=True)
    by_padding = mx.nd.CTCLoss(x, mx.nd.array([[1, 2, 0], [3, 0, 0]]))
    np.testing.assert_allclose(by_flag.asnumpy(), by_padding.asnumpy(), rtol=1e-6)


def test_ctc_sequence_too_short_for_its_label_has_zero_loss_and_gradient():
    x = mx.nd.array(CTC_X[:3])
    x.attach_grad()
    with mx.autograd.record():
        loss = mx.nd.CTCLoss(x, mx.nd.array([[1, 1, 1], [1, 0, 0]]))
    loss.backward()
    assert loss.asnumpy()[0] == 0 and (x.grad.asnumpy()[:, 0] == 0).all()
    assert loss.asnumpy()[1] > 0


def test_output_layers_ignore_the_incoming_gradient():
    x = mx.nd.array(X)
    x.attach_grad()
    grads = []
    for head in (1.0, 5.0):
        with mx.autograd.record():
            y = mx.nd.SoftmaxOutput(x, mx.nd.array(LABEL))
        y.backward(mx.nd.ones_like(y) * head)
        grads.append(x.grad.asnumpy().copy())
    np.testing.assert_array_equal(grads[0], grads[1])
    onehot = np.eye(4, dtype=np.float32)[LABEL.astype(int)]
    np.testing.assert_allclose(grads[0], _softmax(X) - onehot, rtol=1e-5, atol=1e-6)


def test_softmax_output_out_grad_multiplies_by_the_incoming_gradient():
    x = mx.nd.array(X)
    x.attach_grad()
    head = rng.normal(size=X.shape).astype(np.float32)
    with mx.autograd.record():
        y = mx.nd.SoftmaxOutput(x, mx.nd.array(LABEL), out_grad=True)
    y.backward(mx.nd.array(head))
    onehot = np.eye(4, dtype=np.float32)[LABEL.astype(int)]
    np.testing.assert_allclose(x.grad.asnumpy(), (_softmax(X) - onehot) * head, rtol=1e-5,
                               atol=1e-6)


def test_labels_get_zero_gradient():
    label = mx.nd.array(X)
    label.attach_grad()
    with mx.autograd.record():
        y = mx.nd.LinearRegressionOutput(mx.nd.array(X), label)
    y.backward()
    assert (label.grad.asnumpy() == 0).all()


# -- errors ----------------------------------------------------------------------------

F64 = np.float64
ERRORS = [
    ("SoftmaxOutput", [X, LABEL[:2]], {}, "label must have shape"),
    ("SoftmaxOutput", [X, LABEL.astype(F64)], {}, "dtype"),
    ("SoftmaxOutput", [X.astype(np.int32), LABEL.astype(np.int32)], {}, "floating point"),
    ("SoftmaxOutput", [X[0], LABEL[:1]], {}, "at least 2 dimensions"),
    ("SoftmaxOutput", [X, LABEL], {"normalization": "all"}, "normalization"),
    ("LinearRegressionOutput", [X, X[:, 0]], {}, "label must have the data shape"),
    ("LogisticRegressionOutput", [X, X.astype(F64)], {}, "dtype"),
    ("SVMOutput", [X, X], {}, "label must have shape"),
    ("SVMOutput", [X[0], LABEL[:1]], {}, "at least 2 dimensions"),
    ("softmax_cross_entropy", [X, LABEL[:2]], {}, "batch size"),
    ("softmax_cross_entropy", [X[None], LABEL], {}, "2-d"),
    ("softmax_cross_entropy", [X, np.array([0, 4, 1], np.float32)], {}, "class indices"),
    ("CTCLoss", [CTC_X[0], CTC_LABEL], {}, "3-d"),
    ("CTCLoss", [CTC_X, CTC_LABEL[0]], {}, "2-d"),
    ("CTCLoss", [CTC_X, np.array([[1, 4], [1, 0]], F64)], {}, r"labels must be in \[1, 3\]"),
    ("CTCLoss", [CTC_X, CTC_LABEL, np.array([6.0, 2.0])], {"use_data_lengths": True},
     r"data_lengths must hold 2 values in \[0, 5\]"),
    ("CTCLoss", [CTC_X, CTC_LABEL, np.array([6.0, 2.0])], {}, "expects 2 inputs"),
    ("CTCLoss", [CTC_X, np.ones((2, 6), F64)], {}, "cannot fit"),
    ("IdentityAttachKLSparseReg", [X[0], np.ones(1, np.float32)], {}, "at least 2 dimensions"),
]


@pytest.mark.parametrize("op,inputs,kwargs,match", ERRORS,
                         ids=[f"{e[0]}-{e[3]}" for e in ERRORS])
def test_bad_arguments_raise(op, inputs, kwargs, match):
    with pytest.raises(MXNetError, match=match):
        getattr(mx.nd, op)(*[mx.nd.array(a, dtype=a.dtype) for a in inputs],
                           **kwargs).asnumpy()
