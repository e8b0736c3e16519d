"""Deformable convolutions (v1 and modulated v2) against MXNet 1.9.1 fixtures,
hand-computed border behaviour, finite differences and bad arguments."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, nd_func, run_case

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops")
V1 = "contrib.DeformableConvolution"
V2 = "contrib.ModulatedDeformableConvolution"


def _fixture_cases():
    with open(os.path.join(FIXTURES, "deformable.json")) as f:
        meta = json.load(f)
    with np.load(os.path.join(FIXTURES, "deformable.npz")) as z:
        arrays = {k: z[k] for k in z.files}
    return [pytest.param(m, {k.split("/", 1)[1]: v for k, v in arrays.items()
                             if k.startswith(m["id"] + "/")}, id=m["id"]) for m in meta]


@pytest.mark.parametrize("meta,arrays", _fixture_cases())
def test_matches_mxnet(meta, arrays):
    """Forward outputs (and, for v1, every input gradient) equal MXNet's."""
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["kwargs"].items()}
    ins = [arrays[f"in{i}"] for i in range(meta["num_inputs"])]
    run_case(Case(meta["op"], ins, kwargs, ref=lambda *a, **k: arrays["out"], rtol=1e-4,
                  atol=1e-5))
    if not meta["grads"]:
        return
    xs = [mx.nd.array(a, dtype=a.dtype) for a in ins]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        out = nd_func(meta["op"])(*xs, **kwargs)
    out.backward(mx.nd.array(arrays["head"], dtype=arrays["head"].dtype))
    for i, x in enumerate(xs):
        np.testing.assert_allclose(x.grad.asnumpy(), arrays[f"grad{i}"], rtol=1e-4,
                                   atol=1e-5, err_msg=f"gradient of input {i}")


# -- border rules on a 1x1 kernel: output = the input sampled at (row + dh, col + dw) ---------

IMAGE = np.arange(1.0, 13.0).reshape(1, 1, 3, 4) ** 1.5


def _shifted(func, dh, dw):
    offset = np.zeros((1, 2, 3, 4))
    offset[:, 0], offset[:, 1] = dh, dw
    args = [IMAGE, offset] + ([np.ones((1, 1, 3, 4))] if func == V2 else []) + \
        [np.ones((1, 1, 1, 1))]
    out = nd_func(func)(*[mx.nd.array(a, dtype="float64") for a in args], kernel=(1, 1),
                        num_filter=1, no_bias=True)
    return out.asnumpy()[0, 0]


def _rows_between(img, top_weight):
    """Each row mixed with the next one: top_weight * row + (1 - top_weight) * next row."""
    nxt = np.concatenate([img[1:], np.zeros_like(img[:1])])
    return top_weight * img + (1 - top_weight) * nxt


def test_half_pixel_shift_interpolates_between_rows():
    img = IMAGE[0, 0]
    expected = _rows_between(img, 0.5)
    v2 = _shifted(V2, 0.5, 0)
    np.testing.assert_allclose(v2, expected)  # v2: the row below the image reads as zeros
    v1 = _shifted(V1, 0.5, 0)
    np.testing.assert_allclose(v1[:-1], expected[:-1])
    np.testing.assert_allclose(v1[-1], img[-1])  # v1: clamped onto the last row


def test_negative_shift_reads_zero_above_the_image_in_v1_and_fades_in_v2():
    img = IMAGE[0, 0]
    v1, v2 = _shifted(V1, -0.25, 0), _shifted(V2, -0.25, 0)
    np.testing.assert_allclose(v1[0], 0)
    np.testing.assert_allclose(v2[0], 0.75 * img[0])
    np.testing.assert_allclose(v1[1:], 0.25 * img[:-1] + 0.75 * img[1:])
    np.testing.assert_allclose(v2[1:], v1[1:])


def test_shift_past_the_image_reads_zero():
    for func in (V1, V2):
        np.testing.assert_array_equal(_shifted(func, 0, 4.0), 0)
        np.testing.assert_array_equal(_shifted(func, -1.0, 0)[0], 0)


@pytest.mark.parametrize("func", [V1, V2])
def test_zero_offsets_and_unit_mask_equal_convolution(func):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 4, 6, 5)), rng.normal(size=(6, 2, 3, 3)), rng.normal(size=6)
    kw = dict(kernel=(3, 3), stride=(2, 1), pad=(1, 1), dilate=(1, 2), num_filter=6,
              num_group=2)
    ref = mx.nd.Convolution(*[mx.nd.array(a) for a in (x, w, b)], **kw).asnumpy()
    extra = [np.ones((2, 18, 3, 3))] if func == V2 else []
    args = [x, np.zeros((2, 36, 3, 3))] + extra + [w, b]
    out = nd_func(func)(*[mx.nd.array(a) for a in args], num_deformable_group=2, **kw)
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-5)


def test_float16_runs_in_float32_and_returns_float16():
    rng = np.random.default_rng(1)
    args = [rng.uniform(-1, 1, s).astype(np.float16)
            for s in ((1, 2, 4, 4), (1, 8, 3, 3), (1, 4, 3, 3), (3, 2, 2, 2))]
    out = mx.nd.contrib.ModulatedDeformableConvolution(
        *[mx.nd.array(a, dtype="float16") for a in args], kernel=(2, 2), num_filter=3,
        no_bias=True)
    ref = mx.nd.contrib.ModulatedDeformableConvolution(
        *[mx.nd.array(a, dtype="float32") for a in args], kernel=(2, 2), num_filter=3,
        no_bias=True)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.asnumpy(), ref.asnumpy(), rtol=1e-2, atol=1e-2)


# -- gradients against finite differences ------------------------------------------------

def _grad_inputs(func, seed, no_bias=False):
    """Small inputs with offsets kept off pixel boundaries (v1 jumps there)."""
    rng = np.random.default_rng(seed)
    offset = rng.integers(-2, 3, (1, 16, 3, 2)) + rng.uniform(0.1, 0.9, (1, 16, 3, 2))
    ins = [rng.uniform(-1, 1, (1, 4, 4, 3)), offset]
    if func == V2:
        ins.append(rng.uniform(0.2, 1.5, (1, 8, 3, 2)))
    ins.append(rng.uniform(-1, 1, (2, 2, 2, 2)))
    return ins if no_bias else ins + [rng.uniform(-1, 1, (2,))]


@pytest.mark.parametrize("func", [V1, V2])
@pytest.mark.parametrize("no_bias", [False, True])
def test_gradients_match_finite_differences(func, no_bias):
    kw = dict(kernel=(2, 2), num_filter=2, num_group=2, num_deformable_group=2,
              pad=(1, 0), stride=(2, 1), no_bias=no_bias)
    check_gradient(nd_func(func), _grad_inputs(func, 5, no_bias), kw, rtol=1e-4, atol=1e-6)


# -- bad arguments -----------------------------------------------------------------------

def _call(func, data=(1, 4, 5, 5), offset=(1, 18, 3, 3), mask=(1, 9, 3, 3),
          weight=(4, 4, 3, 3), dtype="float32", **kw):
    shapes = [data, offset] + ([mask] if func == V2 else []) + [weight]
    kw = {"kernel": (3, 3), "num_filter": 4, "no_bias": True, **kw}
    return nd_func(func)(*[mx.nd.ones(s, dtype=dtype) for s in shapes], **kw).asnumpy()


@pytest.mark.parametrize("func", [V1, V2])
@pytest.mark.parametrize("bad,match", [
    (dict(offset=(1, 36, 3, 3)), "offset"),
    (dict(offset=(1, 18, 4, 3)), "offset"),
    (dict(offset=(2, 18, 3, 3)), "offset"),
    (dict(num_deformable_group=3), "num_deformable_group"),
    (dict(num_group=3), "num_group"),
    (dict(weight=(4, 4, 2, 2)), "weight"),
    (dict(dtype="int32"), "floating point"),
    (dict(kernel=(7, 7), weight=(4, 4, 7, 7)), "kernel"),
    (dict(layout="NCW"), "NCHW"),
    (dict(data=(1, 4, 5), kernel=(3,), offset=(1, 6, 3), mask=(1, 3, 3),
          weight=(4, 4, 3)), "2-d"),
])
def test_bad_arguments_raise(func, bad, match):
    with pytest.raises(MXNetError, match=match):
        _call(func, **bad)


def test_modulated_bad_mask_and_batch_steps_raise():
    with pytest.raises(MXNetError, match="mask"):
        _call(V2, mask=(1, 18, 3, 3))
    with pytest.raises(MXNetError, match="im2col_step"):
        _call(V2, data=(3, 4, 5, 5), offset=(3, 18, 3, 3), mask=(3, 9, 3, 3), im2col_step=2)
    with pytest.raises(MXNetError, match="num_deformable_group"):
        _call(V2, offset=(1, 36, 3, 3), mask=(1, 18, 3, 3), num_deformable_group=2,
              num_filter=3, weight=(3, 4, 3, 3))


def test_mixed_dtypes_raise():
    args = [mx.nd.ones((1, 2, 3, 3)), mx.nd.zeros((1, 2, 3, 3), dtype="float64"),
            mx.nd.ones((1, 2, 1, 1))]
    with pytest.raises(MXNetError, match="dtype"):
        mx.nd.contrib.DeformableConvolution(*args, kernel=(1, 1), num_filter=1,
                                            no_bias=True).asnumpy()


def test_bias_must_be_absent_exactly_when_no_bias():
    args = [mx.nd.ones((1, 2, 3, 3)), mx.nd.zeros((1, 2, 3, 3)), mx.nd.ones((1, 2, 1, 1))]
    with pytest.raises(MXNetError, match="bias"):
        mx.nd.contrib.DeformableConvolution(*args, mx.nd.ones((3,)), kernel=(1, 1),
                                            num_filter=1).asnumpy()
