"""_set_value, _linspace's rejected arange arguments, _arange with infer_range, and the
legacy _imdecode."""
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ops import init, registry


def test_set_value_fills_out_truncating_for_integers():
    x = mx.nd.zeros((2, 3))
    mx.nd._internal._set_value(src=2.5, out=x)
    assert x.asnumpy().tolist() == [[2.5] * 3] * 2
    xi = mx.nd.zeros((2, 3), dtype="int32")
    mx.nd._internal._set_value(src=-2.7, out=xi)
    assert xi.asnumpy().tolist() == [[-2] * 3] * 2


def test_set_value_needs_src():
    with pytest.raises(MXNetError, match="src"):
        mx.nd._internal._set_value(out=mx.nd.zeros(2))


@pytest.mark.parametrize("extra", [{"step": 3}, {"repeat": 2}, {"infer_range": True}])
def test_linspace_rejects_arange_arguments_like_mxnet(extra):
    with pytest.raises(MXNetError, match=f"'{next(iter(extra))}' is not accepted"):
        mx.nd._internal._linspace(start=0, stop=1, num=5, **extra)


def test_linspace_still_samples_by_num_and_endpoint():
    out = mx.nd._internal._linspace(start=0, stop=1, num=4, endpoint=False)
    np.testing.assert_allclose(out.asnumpy(), [0, 0.25, 0.5, 0.75])


def test_arange_with_infer_range_and_stop_is_a_plain_range():
    out = mx.nd._internal._arange(start=0, stop=5, infer_range=True)
    assert out.asnumpy().tolist() == [0, 1, 2, 3, 4]


def test_arange_with_infer_range_and_no_stop_cannot_run_imperatively():
    with pytest.raises(MXNetError, match="infer_range"):
        mx.nd._internal._arange(start=5, infer_range=True).wait_to_read()


def test_arange_with_infer_range_takes_its_shape_from_the_graph():
    y = mx.sym.var("y")
    z = mx.sym.elemwise_add(mx.sym.arange(start=2, step=0.5, repeat=2, infer_range=True), y)
    _, out_shapes, _ = z.infer_shape(y=(7,))
    assert out_shapes == [(7,)]


@pytest.mark.parametrize("kwargs, length, expected", [
    ({"start": 2, "step": 0.5, "repeat": 2}, 7, [2, 2, 2.5, 2.5, 3, 3, 3.5]),
    ({"start": 2, "step": 2}, 4, [2, 4, 6, 8]),
    ({"start": 2, "step": 0.5, "dtype": "int32"}, 3, [2, 2, 2]),
])
def test_arange_with_a_graph_length_cuts_the_repeated_range(kwargs, length, expected):
    op = registry.get("_arange")
    attrs = init.arange_with_length(op.parse(dict(kwargs, infer_range=True)), (length,))
    assert op.infer_shape(attrs, [])[1] == [(length,)]
    out = op.compute(np, attrs)
    assert out.dtype == np.dtype(kwargs.get("dtype", "float32"))
    assert out.tolist() == expected


SAMPLE_PNG = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image", "sample.png")


def _imdecode(buf, mean=None, rect=(0, 0, 0, 0), c=3):
    args = [] if mean is None else [mean]
    return mx.nd._internal._imdecode(*args, index=0, x0=rect[0], y0=rect[1], x1=rect[2],
                                     y1=rect[3], c=c, size=len(buf), str_img=buf)


def test_imdecode_clips_to_channels_first_bgr_float32():
    buf = open(SAMPLE_PNG, "rb").read()
    bgr = mx.image.imdecode(buf, to_rgb=False).asnumpy()
    out = _imdecode(buf, rect=(1, 2, 4, 5))
    assert out.dtype == np.float32 and out.shape == (3, 3, 3)
    np.testing.assert_array_equal(out.asnumpy(), bgr[2:5, 1:4].transpose(2, 0, 1))


def test_imdecode_subtracts_mean_in_its_dtype():
    buf = open(SAMPLE_PNG, "rb").read()
    gray = mx.image.imdecode(buf, flag=0).asnumpy()
    mean = np.full((1,) + gray.shape[:2], 10.0)
    out = _imdecode(buf, mx.nd.array(mean, dtype=np.float64), c=1)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.asnumpy(), gray.transpose(2, 0, 1) - 10.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"rect": (0, 0, 10 ** 6, 2)}, "clip rectangle"),
    ({"c": 4}, "channels"),
    ({"mean": mx.nd.ones((3, 1, 1))}, "'mean' expects shape"),
])
def test_imdecode_bad_arguments_raise(kwargs, message):
    buf = open(SAMPLE_PNG, "rb").read()
    with pytest.raises(MXNetError, match=message):
        _imdecode(buf, **kwargs).wait_to_read()


def test_imdecode_rejects_bytes_that_are_not_an_image():
    with pytest.raises(MXNetError, match="decoding failed"):
        _imdecode(b"not an image").wait_to_read()


def test_set_value_without_out_is_refused_as_in_mxnet():
    with pytest.raises(MXNetError, match="Set value target must not be empty"):
        mx.nd._internal._set_value(src=3.0)


def test_arange_with_infer_range_runs_in_a_bound_graph():
    y = mx.sym.var("y")
    z = mx.sym.elemwise_add(mx.sym.arange(start=2, step=0.5, repeat=2, infer_range=True), y)
    ex = z.bind(mx.cpu(), {"y": mx.nd.zeros(7)})
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), [2, 2, 2.5, 2.5, 3, 3, 3.5])
