"""fft, ifft and count_sketch (GPU-only in MXNet 1.9.1; its GPU semantics here)."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(3)
X = rng.normal(size=(3, 4)).astype(np.float32)
X4 = rng.normal(size=(1, 2, 2, 3)).astype(np.float64)
PAIRS = rng.normal(size=(2, 6)).astype(np.float32)
H = np.array([[0, 2, 0, 1]], np.float32)
S = np.array([[1, -1, 1, -1]], np.float32)


def interleave(c):
    return np.stack([c.real, c.imag], -1).reshape(c.shape[:-1] + (2 * c.shape[-1],))


def fft_ref(x, **kw):
    return interleave(np.fft.fft(x.astype(np.float64), axis=-1)).astype(x.dtype)


def ifft_ref(x, **kw):
    c = x[..., 0::2] + 1j * x[..., 1::2]
    # Unnormalised, like cuFFT: numpy's ifft divides by the length.
    return (np.fft.ifft(c, axis=-1).real * c.shape[-1]).astype(x.dtype)


def sketch_ref(x, h, s, out_dim, **kw):
    out = np.zeros(x.shape[:-1] + (out_dim,), np.float64)
    for i, (b, sign) in enumerate(zip(h[0].astype(int), s[0])):
        out[..., b] += sign * x[..., i]
    return out.astype(x.dtype)


CASES = [
    Case("contrib.fft", [X], ref=fft_ref, grad=True, rtol=1e-5, atol=1e-5, id="fft-2d"),
    Case("contrib.fft", [X4], ref=fft_ref, grad=True, id="fft-4d-float64"),
    Case("contrib.ifft", [PAIRS], ref=ifft_ref, grad=True, atol=1e-5, id="ifft-unnormalised"),
    Case("contrib.count_sketch", [X, H, S], {"out_dim": 3}, ref=sketch_ref, atol=1e-6,
         id="count-sketch-2d"),
    Case("contrib.count_sketch", [X4, H[:, :3], S[:, :3]], {"out_dim": 5}, ref=sketch_ref,
         id="count-sketch-4d"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


def test_ifft_of_fft_is_length_times_input():
    x = mx.nd.array(X)
    back = mx.nd.contrib.ifft(mx.nd.contrib.fft(x))
    np.testing.assert_allclose(back.asnumpy(), X * X.shape[-1], rtol=1e-5, atol=1e-5)


def test_count_sketch_gradient_reads_each_feature_from_its_bucket():
    x = mx.nd.array(X)
    x.attach_grad()
    g = rng.normal(size=(3, 3)).astype(np.float32)
    with mx.autograd.record():
        y = mx.nd.contrib.count_sketch(x, mx.nd.array(H), mx.nd.array(S), out_dim=3)
    y.backward(mx.nd.array(g))
    np.testing.assert_allclose(x.grad.asnumpy(), g[:, H[0].astype(int)] * S, rtol=1e-6)


def test_fft_gradient_of_gradient_is_available():
    x = mx.nd.array(X.astype(np.float64), dtype=np.float64)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.contrib.fft(x)
        (gx,) = mx.autograd.grad(y, [x], head_grads=[mx.nd.ones_like(y)], create_graph=True)
        z = (gx * gx).sum()
    z.backward()
    assert np.all(np.isfinite(x.grad.asnumpy()))


@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd.contrib.fft(mx.nd.ones((2, 3, 4))), "2-D"),
    (lambda: mx.nd.contrib.fft(mx.nd.ones((2, 3), dtype="int32")), "floating"),
    (lambda: mx.nd.contrib.ifft(mx.nd.ones((2, 3))), "even"),
    (lambda: mx.nd.contrib.count_sketch(mx.nd.ones((2, 3)), mx.nd.zeros((1, 4)),
                                        mx.nd.ones((1, 4)), out_dim=2), "'h'"),
    (lambda: mx.nd.contrib.count_sketch(mx.nd.ones((2, 3)), mx.nd.array([[0, 5, 1]]),
                                        mx.nd.ones((1, 3)), out_dim=2), "bucket"),
    (lambda: mx.nd.contrib.count_sketch(mx.nd.ones((2, 3)), mx.nd.zeros((1, 3)),
                                        mx.nd.ones((1, 3)), out_dim=0), "out_dim"),
])
def test_bad_arguments_raise(call, message):
    with pytest.raises(MXNetError, match=message):
        call().wait_to_read()
