"""FullyConnected and Embedding: NumPy references, finite-difference gradients,
MXNet's index conversion rules and the errors for mismatched shapes and dtypes."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(11)


def _f(*shape, dtype=np.float32):
    return rng.normal(size=shape).astype(dtype)


def _fc_ref(x, w, b=None, num_hidden=None, no_bias=False, flatten=True):
    rows = x.reshape(x.shape[0], -1) if flatten else x.reshape(-1, x.shape[-1])
    out = rows.astype(np.float64) @ w.T.astype(np.float64)
    if b is not None:
        out = out + b
    shape = (x.shape[0], num_hidden) if flatten else x.shape[:-1] + (num_hidden,)
    return out.reshape(shape).astype(x.dtype)


def _embed_ref(data, weight, input_dim, output_dim, **_):
    with np.errstate(invalid="ignore"):
        idx = data.astype(np.int64)
    return weight[np.clip(idx, 0, input_dim - 1)]


TABLE = np.arange(15, dtype=np.float32).reshape(5, 3)

CASES = [
    Case("FullyConnected", [_f(2, 3, 2), _f(4, 6), _f(4)], {"num_hidden": 4}, ref=_fc_ref,
         grad=True, id="fc-flattens-trailing-axes"),
    Case("FullyConnected", [_f(3, 5), _f(2, 5)], {"num_hidden": 2, "no_bias": True},
         ref=_fc_ref, grad=True, id="fc-no-bias"),
    Case("FullyConnected", [_f(2, 3, 4), _f(5, 4), _f(5)], {"num_hidden": 5, "flatten": False},
         ref=_fc_ref, grad=True, id="fc-last-axis-keeps-leading-axes"),
    Case("FullyConnected", [_f(4), _f(3, 4), _f(3)], {"num_hidden": 3, "flatten": False},
         ref=lambda x, w, b, **k: (w @ x + b).astype(np.float32), grad=True,
         id="fc-1d-data-without-flatten"),
    Case("FullyConnected", [_f(3, 4, dtype=np.float64), _f(2, 4, dtype=np.float64),
                            _f(2, dtype=np.float64)], {"num_hidden": 2}, ref=_fc_ref,
         id="fc-float64"),
    Case("FullyConnected", [_f(3, 4, dtype=np.float16), _f(2, 4, dtype=np.float16),
                            _f(2, dtype=np.float16)], {"num_hidden": 2}, ref=_fc_ref,
         rtol=1e-2, atol=1e-2, id="fc-float16"),
    Case("Embedding", [np.array([[0.5, 4.5], [2.5, 0.5]], np.float32), TABLE],
         {"input_dim": 5, "output_dim": 3}, ref=_embed_ref, grad=True,
         id="embedding-gradient-sums-rows"),
    Case("Embedding", [np.array([1.9, -0.7, -2.0, 7.0, 3e9, -3e9, 1e30], np.float32), TABLE],
         {"input_dim": 5, "output_dim": 3},
         ref=lambda d, w, **k: w[[1, 0, 0, 4, 4, 0, 0]],
         id="embedding-truncates-then-clips-beyond-int64-is-row-0"),
    Case("Embedding", [np.array([np.nan, np.inf], np.float32), TABLE],
         {"input_dim": 5, "output_dim": 3}, ref=lambda d, w, **k: w[[0, 0]],
         id="embedding-nan-and-inf-pick-row-0"),
    Case("Embedding", [np.array([3, 9], np.int32), TABLE.astype(np.float64)],
         {"input_dim": 5, "output_dim": 3}, ref=_embed_ref,
         id="embedding-output-has-weight-dtype"),
    Case("Embedding", [np.array([200, 1], np.uint8), TABLE.astype(np.int32)],
         {"input_dim": 5, "output_dim": 3, "dtype": "int32"}, ref=_embed_ref,
         id="embedding-integer-table"),
    Case("contrib.SparseEmbedding", [np.array([[1.5], [3.5]], np.float32), TABLE],
         {"input_dim": 5, "output_dim": 3, "sparse_grad": True}, ref=_embed_ref, grad=True,
         id="sparse-embedding-dense-gradient"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    # Embedding indices sit between integers, so finite differences see a flat index.
    run_case(case)


def test_fc_gradient_is_differentiable_again():
    x, w = mx.nd.array(_f(2, 3)), mx.nd.array(_f(4, 3))
    x.attach_grad()
    w.attach_grad()
    with mx.autograd.record():
        y = mx.nd.FullyConnected(x, w, num_hidden=4, no_bias=True)
        dx = mx.autograd.grad(y.sum(), [x], create_graph=True)[0]
        total = dx.sum()
    total.backward()
    # dx = ones(2, 4) @ w, so d(sum dx)/dw = 2 everywhere
    np.testing.assert_allclose(w.grad.asnumpy(), np.full((4, 3), 2.0), rtol=1e-6)


def test_embedding_gives_indices_no_gradient():
    data, weight = mx.nd.array([1.0, 2.0]), mx.nd.array(TABLE)
    data.attach_grad()
    weight.attach_grad()
    with mx.autograd.record():
        out = mx.nd.Embedding(data, weight, input_dim=5, output_dim=3)
    out.backward()
    np.testing.assert_array_equal(data.grad.asnumpy(), [0.0, 0.0])
    np.testing.assert_array_equal(weight.grad.asnumpy().sum(1), [0, 3, 3, 0, 0])


def _nd(*shape, dtype="float32"):
    return mx.nd.ones(shape, dtype=dtype)


BAD_CALLS = [
    ("fc-num-hidden-differs-from-weight",
     lambda: mx.nd.FullyConnected(_nd(2, 3), _nd(5, 3), _nd(6), num_hidden=6), "weight"),
    ("fc-weight-features",
     lambda: mx.nd.FullyConnected(_nd(2, 3, 4), _nd(5, 11), _nd(5), num_hidden=5), r"\(5, 12\)"),
    ("fc-bias-shape",
     lambda: mx.nd.FullyConnected(_nd(2, 3), _nd(5, 3), _nd(1, 5), num_hidden=5), "bias"),
    ("fc-bias-missing", lambda: mx.nd.FullyConnected(_nd(2, 3), _nd(5, 3), num_hidden=5),
     "expects 3 inputs"),
    ("fc-bias-with-no-bias",
     lambda: mx.nd.FullyConnected(_nd(2, 3), _nd(5, 3), _nd(5), num_hidden=5, no_bias=True),
     "expects 2 inputs"),
    ("fc-mixed-dtypes",
     lambda: mx.nd.FullyConnected(_nd(2, 3, dtype="float64"), _nd(5, 3), _nd(5), num_hidden=5),
     "dtype"),
    ("fc-integer-data",
     lambda: mx.nd.FullyConnected(*[_nd(2, 3, dtype="int32"), _nd(5, 3, dtype="int32"),
                                    _nd(5, dtype="int32")], num_hidden=5), "floating"),
    ("fc-missing-num-hidden", lambda: mx.nd.FullyConnected(_nd(2, 3), _nd(5, 3), _nd(5)),
     "num_hidden"),
    ("embedding-weight-shape",
     lambda: mx.nd.Embedding(_nd(2), _nd(4, 3), input_dim=5, output_dim=3), "weight"),
    ("embedding-input-dim", lambda: mx.nd.Embedding(_nd(2), _nd(4, 3), input_dim=0,
                                                    output_dim=3), "input_dim"),
    ("embedding-dtype", lambda: mx.nd.Embedding(_nd(2), _nd(4, 3), input_dim=4, output_dim=3,
                                                dtype="complex64"), "dtype"),
]


@pytest.mark.parametrize("call,needle", [(c, n) for _, c, n in BAD_CALLS],
                         ids=[i for i, _, _ in BAD_CALLS])
def test_bad_arguments_raise(call, needle):
    with pytest.raises(MXNetError, match=needle):
        call().wait_to_read()


@pytest.mark.parametrize("flatten,shape", [(True, (4, 3, 5)), (False, (2, 3, 5))])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_fused_fc_backward_gives_the_matrix_gradients(flatten, shape, dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(dtype)
    feat = 15 if flatten else 5
    w = rng.standard_normal((6, feat)).astype(dtype)
    dy = rng.standard_normal((shape[0], 6) if flatten else shape[:-1] + (6,)).astype(dtype)
    dx, dw, db = mx.nd._internal._backward_FullyConnected(
        *[mx.nd.array(a, dtype=dtype) for a in (dy, x, w, np.zeros(6, dtype))],
        num_hidden=6, flatten=flatten)
    rows, flat = dy.reshape(-1, 6).astype("f8"), x.reshape(-1, feat).astype("f8")
    tol = dict(rtol=1e-2, atol=1e-2) if dtype == "float16" else dict(rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx.asnumpy(), (rows @ w.astype("f8")).reshape(shape), **tol)
    np.testing.assert_allclose(dw.asnumpy(), rows.T @ flat, **tol)
    np.testing.assert_allclose(db.asnumpy(), rows.sum(0), **tol)
    assert dx.dtype == dw.dtype == db.dtype == np.dtype(dtype)
    only_w = mx.nd._internal._backward_FullyConnected_weight(
        *[mx.nd.array(a, dtype=dtype) for a in (dy, x, w)], num_hidden=6, flatten=flatten,
        no_bias=True)
    np.testing.assert_allclose(only_w.asnumpy(), dw.asnumpy())


def test_second_order_gradients_through_the_fused_fc_backward():
    rng = np.random.default_rng(6)
    x0, w0, b0 = rng.standard_normal((4, 3, 5)), rng.standard_normal((6, 15)), \
        rng.standard_normal(6)

    def z_and_grads(x_val, w_val):
        x, w, b = (mx.nd.array(a, dtype="float64") for a in (x_val, w_val, b0))
        for a in (x, w, b):
            a.attach_grad()
        with mx.autograd.record():
            y = mx.nd.FullyConnected(x, w, b, num_hidden=6)
            gx, gw, gb = mx.autograd.grad((y * y * y).sum(), [x, w, b], create_graph=True)
            z = (gx * gx).sum() + (gw * gw).sum() + (gb * gb).sum()
        z.backward()
        return float(z.asscalar()), x.grad.asnumpy(), w.grad.asnumpy()

    _, gx, gw = z_and_grads(x0, w0)
    eps = 1e-6
    for grad, idx, bump in ((gx, (1, 2, 3), "x"), (gw, (4, 7), "w")):
        plus, minus = [a.copy() for a in (x0, w0)], [a.copy() for a in (x0, w0)]
        k = 0 if bump == "x" else 1
        plus[k][idx] += eps
        minus[k][idx] -= eps
        numeric = (z_and_grads(*plus)[0] - z_and_grads(*minus)[0]) / (2 * eps)
        np.testing.assert_allclose(grad[idx], numeric, rtol=1e-5)
