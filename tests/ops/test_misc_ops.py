"""Miscellaneous operators: histogram, one-hot encoding, sampler aliases,
plumbing and named backward ops, sparse AdaGrad, interleaved attention."""
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ops import misc_attention, misc_ops  # noqa: F401  (register until ops/__init__ does)

from .harness import Case, run_case

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops",
                               "misc_ops.npz"))
V = np.array([0.1, 0.5, 2.3, 4.9, 5.0, -1, 3.3], np.float32)
rng = np.random.default_rng(3)
QKV = rng.standard_normal((3, 2, 12)).astype(np.float32)
ATT = rng.uniform(size=(4, 3, 3)).astype(np.float32)
Q = rng.standard_normal((4, 2, 4)).astype(np.float32)
KV = rng.standard_normal((3, 2, 8)).astype(np.float32)
ATT2 = rng.uniform(size=(4, 4, 3)).astype(np.float32)

CASES = [
    Case("_internal._histogram", [V], {"bin_cnt": 3, "range": (0, 5)},
         ref=lambda a, **k: (np.array([2, 2, 2], np.int64),
                             np.array([0, 5 / 3, 10 / 3, 5], np.float32)),
         id="histogram-equal-bins-last-bin-closed"),
    Case("_internal._histogram", [V, np.array([0, 1, 2, 5], np.float32)],
         ref=lambda a, b: (np.array([2, 0, 4], np.int64), b), id="histogram-given-edges"),
    Case("_internal._onehot_encode", [np.array([0, 7, -1, 2], np.float32),
                                      np.zeros((4, 3), np.float32)],
         ref=lambda i, o: np.array([[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1]], np.float32),
         id="onehot-out-of-range-rows-stay-zero"),
    Case("_internal._CrossDeviceCopy", [QKV], ref=lambda a: a, grad=True),
    Case("_internal._broadcast_backward", [ATT], {"axis": 1}, ref=lambda a, axis: a.sum(1)),
    Case("_internal._split_v2_backward", [ATT[:1], ATT[1:]], {"indices": (0, 1), "axis": 0},
         ref=lambda a, b, **k: np.concatenate([a, b])),
    Case("contrib.backward_gradientmultiplier", [V], {"scalar": 2.0}, ref=lambda a, scalar: a * 2),
    Case("contrib.backward_quadratic", [V, V + 1], {"a": 1.0, "b": 2.0, "c": 3.0},
         ref=lambda g, x, a, b, c: g * (2 * x + 2)),
    Case("contrib.backward_index_copy", [np.arange(6, dtype=np.float32).reshape(3, 2),
                                         np.array([0, 2], np.float32)],
         ref=lambda g, i: (np.array([[0, 0], [2, 3], [0, 0]], np.float32),
                           np.array([[0, 1], [4, 5]], np.float32))),
    Case("contrib.interleaved_matmul_selfatt_qk", [QKV], {"heads": 2}, grad=True),
    Case("contrib.interleaved_matmul_selfatt_valatt", [QKV, ATT], {"heads": 2}, grad=True),
    Case("contrib.interleaved_matmul_encdec_qk", [Q, KV], {"heads": 2}, grad=True),
    Case("contrib.interleaved_matmul_encdec_valatt", [KV, ATT2], {"heads": 2}, grad=True),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


@pytest.mark.parametrize("name", ["selfatt_qk", "selfatt_valatt", "encdec_qk", "encdec_valatt"])
def test_interleaved_matmul_matches_mxnet_with_gradients(name):
    n = 1 if name == "selfatt_qk" else 2
    xs = [mx.nd.array(FIXTURE[f"att_{name}_in{i}"]) for i in range(n)]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd.contrib, f"interleaved_matmul_{name}")(*xs, heads=2)
    y.backward(mx.nd.array(FIXTURE[f"att_{name}_head"]))
    np.testing.assert_allclose(y.asnumpy(), FIXTURE[f"att_{name}_out"], rtol=1e-5, atol=1e-6)
    for i, x in enumerate(xs):
        np.testing.assert_allclose(x.grad.asnumpy(), FIXTURE[f"att_{name}_grad{i}"], rtol=1e-5,
                                   atol=1e-6)


def test_interleaved_matmul_in_a_symbol_graph_gets_gradients():
    qkv = mx.sym.var("qkv")
    att = mx.sym.softmax(mx.sym.contrib.interleaved_matmul_selfatt_qk(qkv, heads=2), axis=-1)
    out = mx.sym.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=2)
    ex = out.simple_bind(mx.cpu(), qkv=QKV.shape)
    ex.forward(is_train=True, qkv=mx.nd.array(QKV))
    ex.backward(mx.nd.ones(ex.outputs[0].shape))
    x = mx.nd.array(QKV)
    x.attach_grad()
    with mx.autograd.record():
        a = mx.nd.softmax(mx.nd.contrib.interleaved_matmul_selfatt_qk(x, heads=2), axis=-1)
        y = mx.nd.contrib.interleaved_matmul_selfatt_valatt(x, a, heads=2)
    y.backward()
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), y.asnumpy(), rtol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["qkv"].asnumpy(), x.grad.asnumpy(), rtol=1e-5,
                               atol=1e-6)


def test_sparse_adagrad_update_matches_mxnet_and_rejects_weight_decay():
    w = mx.nd.ones((3, 2))
    h = mx.nd.ones((3, 2)) * 0.5
    g = mx.nd.array([[1, 2], [0, 0], [5, 6]])
    mx.nd.sparse.adagrad_update(w, g, h, lr=0.1, epsilon=1e-3, rescale_grad=0.5,
                                clip_gradient=1.2, out=w)
    # MXNet 1.9.1 on the same row_sparse arrays
    np.testing.assert_allclose(w.asnumpy(), [[0.9423034, 0.9183775], [1, 1],
                                             [0.91386724, 0.91386724]], rtol=1e-6)
    np.testing.assert_allclose(h.asnumpy(), [[0.75, 1.5], [0.5, 0.5], [1.94, 1.94]], rtol=1e-6)
    with pytest.raises(MXNetError, match="wd"):
        mx.nd.sparse.adagrad_update(w, g, h, lr=0.1, wd=0.1)


def test_public_sampler_names_and_no_gradient_placeholder():
    x = mx.nd.normal(loc=1, scale=2, shape=(2, 3))
    assert x.shape == (2, 3) and x.dtype == np.float32
    u = mx.nd.uniform(low=1, high=2, shape=(50,), dtype="float64")
    assert u.dtype == np.float64 and 1 <= u.asnumpy().min() and u.asnumpy().max() < 2
    with pytest.raises(MXNetError, match="_NoGradient"):
        mx.nd._internal._NoGradient()


@pytest.mark.parametrize("call", [
    lambda: mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.array(QKV), heads=5),
    lambda: mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.array(QKV[0]), heads=2),
    lambda: mx.nd.contrib.interleaved_matmul_selfatt_qk(mx.nd.array(QKV, dtype="int32"), heads=2),
    lambda: mx.nd.contrib.interleaved_matmul_selfatt_valatt(mx.nd.array(QKV), mx.nd.array(ATT2),
                                                           heads=2),
    lambda: mx.nd._internal._histogram(mx.nd.array(V), bin_cnt=3),
    lambda: mx.nd._internal._histogram(mx.nd.array(V), bin_cnt=3, range=(5, 0)),
    lambda: mx.nd._internal._onehot_encode(mx.nd.array([0, 1]), mx.nd.zeros((2, 3), dtype="int32")),
], ids=["heads-do-not-divide", "not-3d", "integer-dtype", "attention-shape", "histogram-no-range",
        "histogram-empty-range", "onehot-not-float32"])
def test_bad_arguments_raise(call):
    with pytest.raises(MXNetError):
        call().wait_to_read()


def test_histogram_front_ends_follow_mxnet():
    from mxnet.ndarray.misc_funcs import histogram, onehot_encode
    from mxnet.symbol.misc_funcs import histogram as sym_histogram
    a = mx.nd.array(V)
    with pytest.warns(UserWarning, match="range"):
        counts, edges = histogram(a, bins=10)  # NumPy's result, both float32 (MXNet 1.9.1)
    assert counts.dtype == np.float32 and edges.shape == (11,)
    np.testing.assert_array_equal(counts.asnumpy(), np.histogram(V, bins=10)[0])
    counts, _ = histogram(a, bins=3, range=(0, 5))
    assert counts.dtype == np.int64 and counts.asnumpy().tolist() == [2, 2, 2]
    counts, _ = histogram(a, bins=mx.nd.array([0, 1, 2, 5]))
    assert counts.asnumpy().tolist() == [2, 0, 4]
    out = mx.nd.zeros((2, 3))
    assert onehot_encode(mx.nd.array([2, 0]), out) is out
    assert out.asnumpy().tolist() == [[0, 0, 1], [1, 0, 0]]
    s = sym_histogram(mx.sym.var("a"), bins=3, range=(0, 5))
    assert s[0].eval(a=a)[0].asnumpy().tolist() == [2, 2, 2]
    with pytest.raises(MXNetError, match="range"):
        sym_histogram(mx.sym.var("a"), bins=3)
    with pytest.raises(MXNetError, match="bins"):
        histogram(a, bins=2.5)
