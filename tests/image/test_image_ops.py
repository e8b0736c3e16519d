"""mx.nd.image operators against MXNet 1.9.1 outputs (tests/fixtures/image) and NumPy."""
import os

import numpy as np
import pytest

import mxnet as mx
import mxnet.ops.image_ops  # noqa: F401  (registers the _image_* operators)
from mxnet.base import MXNetError

FIX = np.load(os.path.join(os.path.dirname(__file__), "..", "fixtures", "image", "image_ops.npz"))
IMG = np.random.RandomState(0).randint(0, 256, (13, 17, 3)).astype(np.uint8)


def nd(a):
    return mx.nd.array(a, dtype=a.dtype)


def test_to_tensor_makes_chw_float32_in_unit_range():
    out = mx.nd.image.to_tensor(nd(IMG))
    assert out.dtype == np.float32 and out.shape == (3, 13, 17)
    np.testing.assert_allclose(out.asnumpy(), FIX["to_tensor"], rtol=1e-6)
    batch = mx.nd.image.to_tensor(nd(np.stack([IMG, IMG])))
    assert batch.shape == (2, 3, 13, 17)


def test_normalize_per_channel_and_gradient_divides_by_std():
    t = mx.nd.image.to_tensor(nd(IMG))
    out = mx.nd.image.normalize(t, mean=(0.1, 0.2, 0.3), std=(0.5, 1.0, 2.0))
    np.testing.assert_allclose(out.asnumpy(), FIX["normalize"], rtol=1e-5, atol=1e-6)
    t.attach_grad()
    with mx.autograd.record():
        y = mx.nd.image.normalize(t, mean=0.5, std=(0.5, 1.0, 2.0))
    y.backward()
    np.testing.assert_allclose(t.grad.asnumpy()[:, 0, 0], [2.0, 1.0, 0.5])


def test_normalize_rejects_wrong_channel_count_like_mxnet():
    t = mx.nd.ones((3, 2, 2))
    with pytest.raises(MXNetError, match="mean"):
        mx.nd.image.normalize(t, mean=(0.1, 0.2), std=1.0)
    with pytest.raises(MXNetError, match="std"):
        mx.nd.image.normalize(t, mean=0.0)  # default std has 4 entries, as in MXNet
    with pytest.raises(MXNetError, match="1 or 3"):
        mx.nd.image.normalize(mx.nd.ones((4, 2, 2)), mean=0.0, std=1.0)


@pytest.mark.parametrize("key,kwargs,src", [
    ("resize_keep", dict(size=7, keep_ratio=True), "u8"),
    ("resize_wh", dict(size=(9, 5)), "f32"),
])
def test_resize_matches_mxnet(key, kwargs, src):
    x = nd(IMG) if src == "u8" else nd(IMG.astype(np.float32))
    out = mx.nd.image.resize(x, **kwargs)
    assert out.dtype == x.dtype and out.shape == FIX[key].shape
    np.testing.assert_allclose(out.asnumpy(), FIX[key], atol=1.0 if src == "u8" else 1e-3)


def test_resize_batch_and_shapes():
    out = mx.nd.image.resize(nd(np.stack([IMG, IMG[::-1]])), size=(6, 4))
    np.testing.assert_allclose(out.asnumpy(), FIX["resize_batch"], atol=1)
    assert mx.nd.image.resize(mx.nd.ones((7, 10, 3)), size=4, keep_ratio=True).shape == (4, 5, 3)
    assert mx.nd.image.resize(mx.nd.ones((7, 10, 3)), size=4).shape == (4, 4, 3)
    with pytest.raises(MXNetError, match="size"):
        mx.nd.image.resize(mx.nd.ones((7, 10, 3)))


def test_crop_and_its_gradient():
    out = mx.nd.image.crop(nd(IMG), x=2, y=3, width=5, height=4)
    np.testing.assert_array_equal(out.asnumpy(), FIX["crop"])
    x = mx.nd.ones((4, 5, 3))
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.image.crop(x, x=1, y=2, width=3, height=2)
    y.backward()
    expected = np.zeros((4, 5, 3), np.float32)
    expected[2:4, 1:4] = 1
    np.testing.assert_array_equal(x.grad.asnumpy(), expected)
    with pytest.raises(MXNetError, match="exceeds"):
        mx.nd.image.crop(x, x=3, y=0, width=3, height=1)


def test_flips():
    # MXNet 1.9.1 gets both wrong (garbage columns; the middle row of an odd height
    # zeroed: see FIX["flip_top_bottom"][6]); these are the documented results.
    np.testing.assert_array_equal(mx.nd.image.flip_top_bottom(nd(IMG)).asnumpy(), IMG[::-1])
    np.testing.assert_array_equal(FIX["flip_top_bottom"][:6], IMG[::-1][:6])
    np.testing.assert_array_equal(mx.nd.image.flip_left_right(nd(IMG)).asnumpy(), IMG[:, ::-1])
    flipped = mx.nd.image.random_flip_left_right(nd(IMG)).asnumpy()
    assert np.array_equal(flipped, IMG) or np.array_equal(flipped, IMG[:, ::-1])
    with pytest.raises(MXNetError, match="height, width, channels"):
        mx.nd.image.flip_top_bottom(mx.nd.ones((2, 4, 4, 3)))


def test_lighting_and_fixed_factor_colour_ops_match_mxnet():
    xf = nd(IMG.astype(np.float32))
    np.testing.assert_allclose(mx.nd.image.adjust_lighting(xf, alpha=(0.1, -0.2, 0.3)).asnumpy(),
                               FIX["adjust_lighting"], rtol=1e-5)
    np.testing.assert_array_equal(mx.nd.image.adjust_lighting(nd(IMG), alpha=(0.1, -0.2, 0.3))
                                  .asnumpy(), FIX["adjust_lighting_u8"])
    for name in ("brightness", "contrast", "hue"):
        out = getattr(mx.nd.image, "random_" + name)(xf, min_factor=0.3, max_factor=0.3)
        np.testing.assert_allclose(out.asnumpy(), FIX["random_" + name], rtol=1e-4, atol=1e-3)


def test_saturation_blends_with_luma():
    x = np.array([[[200.0, 100.0, 50.0]]], np.float32)
    out = mx.nd.image.random_saturation(nd(x), min_factor=0.0, max_factor=0.0).asnumpy()
    luma = 0.299 * 200 + 0.587 * 100 + 0.114 * 50
    np.testing.assert_allclose(out, np.full((1, 1, 3), luma), rtol=1e-5)


def test_random_ops_keep_shape_dtype_and_reject_negative_factors():
    for op, kw in [("random_brightness", dict(min_factor=0.5, max_factor=1.5)),
                   ("random_contrast", dict(min_factor=0.5, max_factor=1.5)),
                   ("random_saturation", dict(min_factor=0.5, max_factor=1.5)),
                   ("random_hue", dict(min_factor=0.5, max_factor=1.5)),
                   ("random_color_jitter", dict(brightness=0.1, contrast=0.1, saturation=0.1,
                                                hue=0.1)),
                   ("random_lighting", dict(alpha_std=0.1))]:
        out = getattr(mx.nd.image, op)(nd(IMG), **kw)
        assert out.shape == IMG.shape and out.dtype == np.uint8, op
    with pytest.raises(MXNetError, match="min_factor"):
        mx.nd.image.random_brightness(nd(IMG), min_factor=-1, max_factor=1)


def test_cv_ops_resize_and_border_match_mxnet():
    x = nd(IMG)
    for interp in range(5):
        out = mx.nd._internal._cvimresize(x, w=7, h=5, interp=interp).asnumpy()
        np.testing.assert_allclose(out, FIX[f"cvimresize_{interp}"], atol=1, err_msg=str(interp))
        up = mx.nd._internal._cvimresize(nd(IMG.astype(np.float32)), w=21, h=15, interp=interp)
        np.testing.assert_allclose(up.asnumpy(), FIX[f"cvimresize_up_{interp}"], atol=1e-2,
                                   rtol=1e-4, err_msg=str(interp))
    border = mx.nd._internal._cvcopyMakeBorder(x, top=1, bot=2, left=3, right=0,
                                               values=(7, 8, 9))
    np.testing.assert_array_equal(border.asnumpy(), FIX["border_const"])
    for key, kw in [("border_replicate", dict(top=2, bot=1, left=0, right=3, type=1)),
                    ("border_reflect101", dict(top=2, bot=1, left=1, right=2, type=4))]:
        out = mx.nd._internal._cvcopyMakeBorder(x, **kw)
        np.testing.assert_array_equal(out.asnumpy(), FIX[key])
