"""Pooling, UpSampling, AdaptiveAvgPooling2D and BilinearResize2D against MXNet 1.9.1
fixtures, finite differences and bad-argument cases."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, nd_func, run_case
from .test_nn_conv import load_fixture_cases, run_fixture_case


@pytest.mark.parametrize("meta,arrays", load_fixture_cases(
    {"Pooling", "Pooling_v1", "UpSampling", "contrib.AdaptiveAvgPooling2D",
     "contrib.BilinearResize2D"}))
def test_matches_mxnet(meta, arrays):
    run_fixture_case(meta, arrays)


rng = np.random.default_rng(5)


def _u(*shape):
    return rng.uniform(-1, 1, shape)


def _pos(*shape):
    return rng.uniform(0.5, 1.5, shape)


GRADIENT_CASES = [
    Case("Pooling", [_u(1, 2, 5, 4)], dict(kernel=(2, 2), stride=(2, 1), pad=(0, 1),
                                           pooling_convention="full"), id="max-full"),
    Case("Pooling", [_u(1, 2, 5, 4)], dict(kernel=(3, 2), pad=(1, 1), pool_type="avg",
                                           count_include_pad=False), id="avg-exclude-pad"),
    Case("Pooling", [_u(1, 2, 5)], dict(kernel=(2,), stride=(2,), pool_type="sum",
                                        pooling_convention="full"), id="sum-1d-full"),
    Case("Pooling", [_pos(1, 2, 4, 4)], dict(kernel=(2, 2), pool_type="lp", p_value=2),
         id="lp2"),
    Case("Pooling", [_pos(1, 2, 4, 4)], dict(kernel=(2, 2), stride=(2, 2), pool_type="lp",
                                             p_value=3), id="lp3"),
    Case("Pooling", [_u(1, 2, 3, 4)], dict(global_pool=True, pool_type="max"), id="global-max"),
    Case("Pooling", [_u(1, 3, 4, 2)], dict(kernel=(2, 2), pool_type="avg", layout="NHWC"),
         id="avg-nhwc"),
    Case("Pooling", [_u(1, 1, 3, 4, 3)], dict(kernel=(2, 2, 2), pool_type="max"), id="max-3d"),
    Case("Pooling", [_u(1, 1, 7)], dict(kernel=(3,), stride=(2,),
                                        pooling_convention="same"), id="max-same-1d"),
    Case("Pooling_v1", [_u(1, 2, 4, 4)], dict(kernel=(2, 2), pad=(1, 1)), id="v1-max"),
    Case("UpSampling", [_u(1, 2, 2, 2), _u(1, 1, 1, 1)], dict(scale=2, sample_type="nearest"),
         id="nearest-concat"),
    Case("UpSampling", [_u(1, 2, 2, 3), _u(2, 1, 4, 4)],
         dict(scale=2, sample_type="bilinear", num_filter=2), id="bilinear"),
    Case("contrib.AdaptiveAvgPooling2D", [_u(1, 2, 5, 4)], dict(output_size=(2, 3)),
         id="adaptive"),
    Case("contrib.BilinearResize2D", [_u(1, 2, 3, 4)], dict(height=5, width=2,
                                                            align_corners=False),
         id="resize"),
]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=str)
def test_gradient_matches_finite_differences(case):
    run_case(case)
    check_gradient(nd_func(case.func), case.inputs, case.kwargs)


def test_max_pooling_gradient_goes_to_the_first_maximum():
    x = mx.nd.array([[[1.0, 3.0, 3.0, 2.0]]])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.Pooling(x, kernel=(3,), pool_type="max")
    y.backward()
    assert x.grad.asnumpy().tolist() == [[[0.0, 2.0, 0.0, 0.0]]]


def test_same_convention_pads_to_ceil_of_input_over_stride():
    x = mx.nd.arange(1, 8).reshape((1, 1, 7))
    out = mx.nd.Pooling(x, kernel=(3,), stride=(2,), pooling_convention="same")
    assert out.asnumpy().tolist() == [[[2.0, 4.0, 6.0, 7.0]]]


def test_windows_beyond_the_input_give_lowest_max_and_zero_average():
    x = mx.nd.array([[[1.0, 2.0, 3.0, 4.0, 5.0]]])
    kw = dict(kernel=(3,), stride=(3,), pad=(1,), pooling_convention="full")
    assert mx.nd.Pooling(x, **kw).asnumpy()[0, 0, 2] == np.finfo(np.float32).min
    assert mx.nd.Pooling(x, pool_type="avg", **kw).asnumpy().tolist() == [[[1.0, 4.0, 0.0]]]


def test_second_order_gradient_of_average_pooling():
    x = mx.nd.array(_u(1, 1, 4, 4))
    x.attach_grad()
    kw = dict(kernel=(2, 2), pool_type="avg")
    with mx.autograd.record():
        y = mx.nd.Pooling(x * x, **kw)
        gx = mx.autograd.grad(y, x, create_graph=True)[0]
        z = gx.sum()
    z.backward()
    # gx = 2x * (windows covering the cell) / 4, so dz/dx = covering-window count / 2
    counts = np.array([[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]) / 2
    np.testing.assert_allclose(x.grad.asnumpy()[0, 0], counts, rtol=1e-6)


def test_float16_pooling_keeps_dtype():
    x = mx.nd.array(_u(1, 2, 4, 4), dtype="float16")
    out = mx.nd.Pooling(x, kernel=(2, 2), pool_type="avg")
    assert out.dtype == np.float16 and out.shape == (1, 2, 3, 3)


X = mx.nd.ones((2, 3, 7, 7))

ERROR_CASES = [
    ("kernel-larger-than-padded-input", lambda: mx.nd.Pooling(X, kernel=(8, 8)), "exceeds"),
    ("kernel-ndim", lambda: mx.nd.Pooling(X, kernel=(3,)), "kernel"),
    ("no-kernel", lambda: mx.nd.Pooling(X), "kernel"),
    ("2d-data", lambda: mx.nd.Pooling(mx.nd.ones((2, 3)), kernel=(3,)), "3-d to 5-d"),
    ("bad-layout-for-ndim", lambda: mx.nd.Pooling(X, kernel=(3, 3), layout="NCW"), "layout"),
    ("unknown-layout", lambda: mx.nd.Pooling(X, kernel=(3, 3), layout="CHWN"), "layout"),
    ("lp-without-p", lambda: mx.nd.Pooling(X, kernel=(3, 3), pool_type="lp"), "p_value"),
    ("lp-p4", lambda: mx.nd.Pooling(X, kernel=(3, 3), pool_type="lp", p_value=4), "p_value"),
    ("same-is-1d-max-only", lambda: mx.nd.Pooling(X, kernel=(3, 3),
                                                  pooling_convention="same"), "same"),
    ("zero-stride", lambda: mx.nd.Pooling(X, kernel=(3, 3), stride=(0, 0)), "stride"),
    ("integer-data", lambda: mx.nd.Pooling(X.astype("int32"), kernel=(3, 3)), "floating"),
    ("v1-is-2d-only", lambda: mx.nd.Pooling_v1(mx.nd.ones((1, 2, 4, 4, 4)),
                                               kernel=(2, 2, 2)), "4-d"),
    ("upsampling-scale-0", lambda: mx.nd.UpSampling(X, scale=0, sample_type="nearest"),
     "scale"),
    ("upsampling-3d", lambda: mx.nd.UpSampling(mx.nd.ones((1, 2, 3)), scale=2,
                                               sample_type="nearest"), "4-d"),
    ("upsampling-sum-channels", lambda: mx.nd.UpSampling(
        mx.nd.ones((1, 2, 4, 4)), mx.nd.ones((1, 3, 2, 2)), scale=2, sample_type="nearest",
        multi_input_mode="sum"), "channels"),
    ("upsampling-bilinear-weight", lambda: mx.nd.UpSampling(
        X, mx.nd.ones((3, 1, 3, 3)), scale=2, sample_type="bilinear", num_filter=3),
     "weight"),
    ("upsampling-bilinear-num-filter", lambda: mx.nd.UpSampling(
        X, mx.nd.ones((3, 1, 4, 4)), scale=2, sample_type="bilinear", num_filter=1),
     "num_filter"),
    ("adaptive-integer", lambda: mx.nd.contrib.AdaptiveAvgPooling2D(X.astype("int32")),
     "floating"),
    ("adaptive-3-sizes", lambda: mx.nd.contrib.AdaptiveAvgPooling2D(X, output_size=(1, 2, 3)),
     "output_size"),
    ("resize-one-scale", lambda: mx.nd.contrib.BilinearResize2D(X, scale_height=2.0),
     "scale_width"),
    ("resize-like-missing", lambda: mx.nd.contrib.BilinearResize2D(X, mode="like"), "like"),
    ("resize-odd-scale-needs-scales", lambda: mx.nd.contrib.BilinearResize2D(
        X, mode="odd_scale"), "scale"),
    ("resize-zero-height", lambda: mx.nd.contrib.BilinearResize2D(X, height=0), "height"),
]


@pytest.mark.parametrize("make,needle", [pytest.param(m, n, id=i) for i, m, n in ERROR_CASES])
def test_bad_arguments_raise(make, needle):
    with pytest.raises(MXNetError, match=needle):
        make().wait_to_read()
