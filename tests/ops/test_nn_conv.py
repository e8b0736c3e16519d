"""Convolution, Deconvolution, im2col and col2im against MXNet 1.9.1 fixtures,
finite differences and bad-argument cases."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, nd_func, run_case

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops")


def load_fixture_cases(ops):
    """Fixture cases (written by tools/make_fixtures_nn_conv.py) of the given ops."""
    with open(os.path.join(FIXTURES, "nn_conv.json")) as f:
        meta = [m for m in json.load(f) if m["op"] in ops]
    with np.load(os.path.join(FIXTURES, "nn_conv.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    return [pytest.param(m, {k.split("/", 1)[1]: v for k, v in arrays.items()
                             if k.startswith(m["id"] + "/")}, id=m["id"]) for m in meta]


def run_fixture_case(meta, arrays):
    """Forward output (and inference, no aliasing) and the gradients MXNet computed."""
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["kwargs"].items()}
    ins = [arrays[f"in{i}"] for i in range(meta["num_inputs"])]
    tol = dict(rtol=1e-4, atol=1e-5) if ins[0].dtype != np.float16 else dict(rtol=1e-2,
                                                                               atol=1e-2)
    run_case(Case(meta["op"], ins, kwargs, ref=lambda *a, **k: arrays["out"], **tol))
    if not meta["num_grads"]:
        return
    xs = [mx.nd.array(a, dtype=a.dtype) for a in ins]
    for x in xs[:meta["num_grads"]]:
        x.attach_grad()
    with mx.autograd.record():
        out = nd_func(meta["op"])(*xs, **kwargs)
    out.backward(mx.nd.array(arrays["head"], dtype=arrays["head"].dtype))
    for i, x in enumerate(xs[:meta["num_grads"]]):
        np.testing.assert_allclose(x.grad.asnumpy(), arrays[f"grad{i}"], err_msg=f"grad{i}",
                                   **tol)


@pytest.mark.parametrize("meta,arrays", load_fixture_cases(
    {"Convolution", "Convolution_v1", "Deconvolution", "im2col", "col2im"}))
def test_matches_mxnet(meta, arrays):
    run_fixture_case(meta, arrays)


rng = np.random.default_rng(3)


def _u(*shape):
    return rng.uniform(-1, 1, shape)


GRADIENT_CASES = [
    Case("Convolution", [_u(1, 2, 4, 4), _u(2, 2, 2, 2), _u(2)],
         dict(kernel=(2, 2), num_filter=2, stride=(2, 1), pad=(1, 0)), id="conv2d"),
    Case("Convolution", [_u(1, 4, 5), _u(2, 2, 3)],
         dict(kernel=(3,), num_filter=2, num_group=2, dilate=(2,), no_bias=True),
         id="conv1d-groups-dilate"),
    Case("Convolution", [_u(1, 3, 3, 3), _u(2, 2, 2, 3), _u(2)],
         dict(kernel=(2, 2), num_filter=2, pad=(1, 1), layout="NHWC"), id="conv2d-nhwc"),
    Case("Deconvolution", [_u(1, 2, 3, 3), _u(2, 2, 2, 2), _u(2)],
         dict(kernel=(2, 2), num_filter=2, stride=(2, 2), pad=(1, 0), adj=(1, 1),
              no_bias=False), id="deconv2d"),
    Case("Deconvolution", [_u(1, 2, 3, 2), _u(2, 1, 2, 2)],
         dict(kernel=(2, 2), num_filter=2, num_group=2, target_shape=(5, 3), stride=(2, 2)),
         id="deconv2d-target-groups"),
    Case("im2col", [_u(1, 2, 4, 3)], dict(kernel=(2, 2), pad=(1, 0), stride=(2, 1)),
         id="im2col"),
    Case("col2im", [_u(1, 8, 6)], dict(output_size=(4, 3), kernel=(2, 2), pad=(1, 0),
                                        stride=(2, 1)), id="col2im"),
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=str)
def test_gradient_matches_finite_differences(case):
    check_gradient(nd_func(case.func), case.inputs, case.kwargs)


def test_second_order_gradient_of_convolution():
    # d/dw of sum(d(sum(conv * h))/dx * v) = correlation of v with h: check vs. finite differences
    x, w, h, v = _u(1, 2, 4, 4), _u(3, 2, 2, 2), _u(1, 3, 3, 3), _u(1, 2, 4, 4)
    kw = dict(kernel=(2, 2), num_filter=3, no_bias=True)

    def first(wv):
        xs, ws = mx.nd.array(x, dtype="float64"), mx.nd.array(wv, dtype="float64")
        xs.attach_grad()
        with mx.autograd.record():
            y = mx.nd.Convolution(xs, ws, **kw)
        y.backward(mx.nd.array(h, dtype="float64"))
        return float((xs.grad.asnumpy() * v).sum())
    ws = mx.nd.array(w, dtype="float64")
    xs = mx.nd.array(x, dtype="float64")
    ws.attach_grad()
    xs.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Convolution(xs, ws, **kw)
        gx = mx.autograd.grad(y, xs, mx.nd.array(h, dtype="float64"), create_graph=True)[0]
        z = (gx * mx.nd.array(v, dtype="float64")).sum()
    z.backward()
    eps = 1e-6
    numeric = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        wp, wm = w.copy(), w.copy()
        wp[idx] += eps
        wm[idx] -= eps
        numeric[idx] = (first(wp) - first(wm)) / (2 * eps)
    np.testing.assert_allclose(ws.grad.asnumpy(), numeric, rtol=1e-5, atol=1e-7)


def test_float16_convolution_matches_float32():
    x, w = _u(1, 3, 5, 5).astype(np.float16), _u(4, 3, 3, 3).astype(np.float16)
    kw = dict(kernel=(3, 3), num_filter=4, no_bias=True, pad=(1, 1))
    half = mx.nd.Convolution(mx.nd.array(x, dtype="float16"), mx.nd.array(w, dtype="float16"),
                             **kw)
    full = mx.nd.Convolution(mx.nd.array(x), mx.nd.array(w), **kw)
    assert half.dtype == np.float16
    np.testing.assert_allclose(half.asnumpy(), full.asnumpy(), rtol=1e-2, atol=1e-2)


def test_cudnn_and_workspace_arguments_are_accepted():
    x, w = mx.nd.ones((1, 1, 3, 3)), mx.nd.ones((1, 1, 2, 2))
    out = mx.nd.Convolution(x, w, kernel=(2, 2), num_filter=1, no_bias=True, workspace=64,
                            cudnn_tune="fastest", cudnn_off=True)
    assert out.asnumpy().tolist() == [[[[4.0, 4.0], [4.0, 4.0]]]]


def test_im2col_then_col2im_counts_patch_overlaps():
    x = mx.nd.ones((1, 1, 3, 3))
    kw = dict(kernel=(2, 2))
    back = mx.nd.col2im(mx.nd.im2col(x, **kw), output_size=(3, 3), **kw)
    assert back.asnumpy()[0, 0].tolist() == [[1, 2, 1], [2, 4, 2], [1, 2, 1]]


X = mx.nd.ones((2, 3, 5, 5))
W = mx.nd.ones((4, 3, 3, 3))
B = mx.nd.ones((4,))
CONV = dict(kernel=(3, 3), num_filter=4)

ERROR_CASES = [
    ("weight-shape", lambda: mx.nd.Convolution(X, mx.nd.ones((4, 3, 2, 2)), B, **CONV),
     "weight"),
    ("bias-shape", lambda: mx.nd.Convolution(X, W, mx.nd.ones((5,)), **CONV), "bias"),
    ("bias-missing", lambda: mx.nd.Convolution(X, W, **CONV), "bias"),
    ("kernel-larger-than-padded-input", lambda: mx.nd.Convolution(
        X, mx.nd.ones((4, 3, 7, 7)), B, kernel=(7, 7), num_filter=4), "exceeds"),
    ("bad-layout-for-ndim", lambda: mx.nd.Convolution(X, W, B, layout="NCDHW", **CONV),
     "layout"),
    ("unknown-layout", lambda: mx.nd.Convolution(X, W, B, layout="NCHWc", **CONV), "layout"),
    ("stride-length", lambda: mx.nd.Convolution(X, W, B, stride=(2,), **CONV), "stride"),
    ("zero-stride", lambda: mx.nd.Convolution(X, W, B, stride=(0, 1), **CONV), "stride"),
    ("kernel-ndim-vs-data", lambda: mx.nd.Convolution(X, W, B, kernel=(3,), num_filter=4),
     "kernel"),
    ("groups-not-dividing", lambda: mx.nd.Convolution(
        X, mx.nd.ones((4, 1, 3, 3)), B, num_group=2, **CONV), "num_group"),
    ("mixed-dtypes", lambda: mx.nd.Convolution(X, W.astype("float64"), B, **CONV), "dtype"),
    ("integer-data", lambda: mx.nd.Convolution(X.astype("int32"), W.astype("int32"),
                                               B.astype("int32"), **CONV), "floating"),
    ("v1-has-no-1d", lambda: mx.nd.Convolution_v1(
        mx.nd.ones((1, 3, 5)), mx.nd.ones((4, 3, 3)), B, kernel=(3,), num_filter=4),
     "kernel"),
    ("deconv-adj-not-below-stride", lambda: mx.nd.Deconvolution(
        X, mx.nd.ones((3, 2, 3, 3)), kernel=(3, 3), num_filter=2, adj=(1, 1)), "adj"),
    ("deconv-target-too-big", lambda: mx.nd.Deconvolution(
        X, mx.nd.ones((3, 2, 3, 3)), kernel=(3, 3), num_filter=2, target_shape=(9, 9)),
     "target_shape"),
    ("deconv-bias-with-no-bias-default", lambda: mx.nd.Deconvolution(
        X, mx.nd.ones((3, 2, 3, 3)), mx.nd.ones((2,)), kernel=(3, 3), num_filter=2), "bias"),
    ("deconv-empty-output", lambda: mx.nd.Deconvolution(
        X, mx.nd.ones((3, 2, 3, 3)), kernel=(3, 3), num_filter=2, pad=(5, 5)), "pad"),
    ("col2im-bad-columns", lambda: mx.nd.col2im(
        mx.nd.ones((1, 5, 4)), output_size=(3, 3), kernel=(2, 2)), "col2im"),
]


@pytest.mark.parametrize("make,needle", [pytest.param(m, n, id=i) for i, m, n in ERROR_CASES])
def test_bad_arguments_raise(make, needle):
    with pytest.raises(MXNetError, match=needle):
        make().wait_to_read()
