"""mx.image: decoding, geometry helpers and augmenters against MXNet 1.9.1 fixtures.

Random augmenters draw from Python's ``random`` in MXNet's order, so with the same
seed they reproduce MXNet's crops and jitter factors exactly.
"""
import json
import os
import random

import numpy as np
import pytest

import mxnet as mx
import mxnet.image as image
from mxnet.base import MXNetError

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image")
OPS = np.load(os.path.join(HERE, "image_ops.npz"))
AUG = np.load(os.path.join(HERE, "augmenters.npz"))
with open(os.path.join(HERE, "misc.json")) as _f:
    MISC = json.load(_f)
PNG = os.path.join(HERE, "sample.png")
IMG = np.random.RandomState(0).randint(0, 256, (13, 17, 3)).astype(np.uint8)


def u8():
    return mx.nd.array(IMG, dtype="uint8")


def test_imread_and_imdecode_png_like_mxnet():
    with open(PNG, "rb") as f:
        raw = f.read()
    np.testing.assert_array_equal(image.imdecode(raw).asnumpy(), OPS["decode_rgb"])
    np.testing.assert_array_equal(image.imdecode(raw, to_rgb=False).asnumpy(), OPS["decode_bgr"])
    gray = image.imdecode(np.frombuffer(raw, np.uint8), flag=0)
    assert gray.shape == (13, 17, 1) and gray.dtype == np.uint8
    np.testing.assert_allclose(gray.asnumpy(), OPS["decode_gray"], atol=1)
    np.testing.assert_array_equal(image.imread(PNG).asnumpy(), IMG)


def test_decoding_errors_are_mxnet_errors_naming_the_problem():
    with pytest.raises(MXNetError, match="not a valid image"):
        image.imdecode(b"garbage")
    with pytest.raises(MXNetError, match="nonexistent.png"):
        image.imread("/nonexistent.png")


def test_jpeg_round_trip_when_an_encoder_is_installed():
    cv2 = pytest.importorskip("cv2")
    ok, buf = cv2.imencode(".jpg", np.full((8, 8, 3), 100, np.uint8),
                           [cv2.IMWRITE_JPEG_QUALITY, 95])
    out = image.imdecode(buf.tobytes())
    assert out.shape == (8, 8, 3)
    np.testing.assert_allclose(out.asnumpy(), 100, atol=2)


def test_geometry_helpers_match_mxnet():
    np.testing.assert_allclose(image.resize_short(u8(), 8).asnumpy(), AUG["resize_short"], atol=1)
    np.testing.assert_allclose(image.center_crop(u8(), (6, 9))[0].asnumpy(), AUG["center_crop"],
                               atol=1)
    np.testing.assert_allclose(image.fixed_crop(u8(), 1, 2, 6, 5, size=(10, 8)).asnumpy(),
                               AUG["fixed_crop"], atol=1)
    assert image.scale_down((640, 480), (720, 120)) == (640, 106)
    np.testing.assert_array_equal(image.copyMakeBorder(u8(), 1, 2, 3, 0, values=(7, 8, 9))
                                  .asnumpy(), OPS["border_const"])


def test_random_crops_reproduce_mxnet_boxes_for_the_same_seed():
    random.seed(7)
    out, box = image.random_crop(u8(), (6, 5))
    assert list(box) == MISC["boxes"]["random_crop"]
    np.testing.assert_array_equal(out.asnumpy(), AUG["random_crop"])
    random.seed(11)
    out, box = image.random_size_crop(u8(), (8, 8), 0.3, (0.75, 1.33))
    assert list(box) == MISC["boxes"]["random_size_crop"]
    np.testing.assert_allclose(out.asnumpy(), AUG["random_size_crop"], atol=1)


@pytest.mark.parametrize("i,name,aug", [(i,) + pair for i, pair in enumerate([
    ("brightness", image.BrightnessJitterAug(0.3)),
    ("contrast", image.ContrastJitterAug(0.3)),
    ("saturation", image.SaturationJitterAug(0.3)),
    ("hue", image.HueJitterAug(0.3)),
    ("gray", image.RandomGrayAug(1.0)),
    ("flip", image.HorizontalFlipAug(1.0)),
    ("color_normalize", image.ColorNormalizeAug(mx.nd.array([100, 110, 120]),
                                                mx.nd.array([50, 60, 70]))),
])])
def test_augmenters_match_mxnet_for_the_same_seed(i, name, aug):
    random.seed(100 + i)
    out = aug(u8().astype("float32"))
    np.testing.assert_allclose(out.asnumpy(), AUG["aug_" + name], rtol=1e-5, atol=1e-3)


def test_lighting_aug_uses_numpys_random_stream():
    np.random.seed(5)
    out = image.LightingAug(0.1, np.array([55.46, 4.794, 1.148]),
                            np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                                      [-0.5836, -0.6948, 0.4203]]))(u8().astype("float32"))
    np.testing.assert_allclose(out.asnumpy(), AUG["aug_lighting"], rtol=1e-5)


def test_create_augmenter_pipeline_matches_mxnet():
    augs = image.CreateAugmenter((3, 8, 8), resize=10, rand_crop=True, rand_mirror=True,
                                 mean=True, std=True, brightness=0.2, contrast=0.2,
                                 saturation=0.2)
    random.seed(42)
    y = u8()
    for aug in augs:
        y = aug(y)
    assert y.shape == (8, 8, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y.asnumpy(), AUG["create_augmenter"], rtol=1e-4, atol=2e-2)
    dumped = [a.dumps() for a in augs]
    assert dumped[:4] == MISC["dumps"][:4]
    assert dumped[-1] == MISC["dumps"][-1]
    assert dumped[4][0] == "colorjitteraug"


def test_create_augmenter_checks_arguments():
    with pytest.raises(ValueError, match="rand_crop"):
        image.CreateAugmenter((3, 8, 8), rand_resize=True)
    with pytest.raises(ValueError, match="mean"):
        image.CreateAugmenter((3, 8, 8), mean=np.ones(2))


def test_imrotate_matches_mxnet_with_and_without_zoom():
    x = mx.nd.array(np.arange(30, dtype=np.float32).reshape(1, 5, 6))
    for suffix, kw in (("", {}), ("_zoom_in", dict(zoom_in=True)),
                       ("_zoom_out", dict(zoom_out=True))):
        np.testing.assert_allclose(image.imrotate(x, 30, **kw).asnumpy(),
                                   OPS["rotate_30" + suffix], rtol=1e-5, atol=1e-4)
    x = mx.nd.array(np.arange(9, dtype=np.float32).reshape(1, 3, 3))
    out = image.imrotate(x, 90).asnumpy()[0]
    np.testing.assert_allclose(out, np.rot90(np.arange(9).reshape(3, 3)), atol=1e-5)
    with pytest.raises(ValueError):
        image.imrotate(x, 10, zoom_in=True, zoom_out=True)
    assert image.random_rotate(mx.nd.ones((2, 1, 4, 4)), (-10, 10)).shape == (2, 1, 4, 4)


def test_without_opencv_pillow_decodes_and_numpy_resizes(monkeypatch):
    pytest.importorskip("PIL")
    from mxnet.ops import image_cv
    monkeypatch.setattr(image_cv, "cv2", None)
    with open(PNG, "rb") as f:
        raw = f.read()
    np.testing.assert_array_equal(image.imdecode(raw).asnumpy(), OPS["decode_rgb"])
    np.testing.assert_array_equal(image.imdecode(raw, to_rgb=False).asnumpy(), OPS["decode_bgr"])
    np.testing.assert_allclose(image.imdecode(raw, flag=0).asnumpy(), OPS["decode_gray"], atol=1)
    for interp in (0, 1):
        np.testing.assert_allclose(image.imresize(u8(), 7, 5, interp=interp).asnumpy(),
                                   OPS[f"cvimresize_{interp}"], atol=1)
        up = image.imresize(u8().astype("float32"), 21, 15, interp=interp).asnumpy()
        np.testing.assert_allclose(up, OPS[f"cvimresize_up_{interp}"], rtol=1e-4, atol=1e-3)
    assert image.imresize(u8(), 7, 5, interp=2).shape == (5, 7, 3)
    with pytest.raises(MXNetError, match="not a valid image"):
        image.imdecode(b"garbage")


def test_without_any_image_library_the_error_says_what_to_install(monkeypatch):
    from mxnet.ops import image_cv
    monkeypatch.setattr(image_cv, "cv2", None)
    monkeypatch.setattr(image_cv, "_PILImage", None)
    with pytest.raises(MXNetError, match="opencv-python-headless.*pillow"):
        image.imdecode(b"anything")
