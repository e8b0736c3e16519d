"""ImageRecordIter's augmentation parameters: deterministic settings against MXNet 1.9.1's
batches (tests/fixtures/io_augment, tools/make_fixtures_io_augment.py), random ones by the
structure of their effect, and bad settings raising MXNetError."""
import json
import os

import numpy as np
import pytest

from mxnet import io as mio
from mxnet.base import MXNetError
from mxnet.io import augment, decode

HERE = os.path.dirname(__file__)
REC = os.path.join(HERE, "..", "fixtures", "recordio", "png.rec")
FIX = os.path.join(HERE, "..", "fixtures", "io_augment")
CASES = json.load(open(os.path.join(FIX, "cases.json")))
EXPECTED = np.load(os.path.join(FIX, "expected.npz"))
pytestmark = pytest.mark.skipif(decode.cv2 is None and decode._PILImage is None,
                                reason="needs Pillow or OpenCV")


def _batch(n=3, cls="ImageRecordIter", **kwargs):
    kwargs.setdefault("data_shape", (3, 16, 16))
    it = getattr(mio, cls)(path_imgrec=REC, batch_size=n, verbose=False, **kwargs)
    return it.next().data[0].asnumpy()


def _tolerance(spec):
    # Bicubic weights differ by a level between OpenCV versions; Pillow's grey by one.
    tol = 2 if spec.get("inter_method") == 2 else 1
    return tol


@pytest.fixture(params=["opencv", "numpy"])
def backend(request, monkeypatch):
    """Run with OpenCV when it is installed, and with the NumPy fallbacks."""
    if request.param == "opencv" and decode.cv2 is None:
        pytest.skip("OpenCV is not installed")
    if request.param == "numpy":
        monkeypatch.setattr(decode, "cv2", None)
        monkeypatch.setattr(augment, "cv2", None)
    return request.param


@pytest.mark.parametrize("case", sorted(CASES))
def test_deterministic_augmentations_match_mxnet(case, backend):
    spec = dict(CASES[case])
    got = _batch(cls=spec.pop("iter"), **spec)
    np.testing.assert_allclose(got, EXPECTED[case], atol=_tolerance(spec))


def test_rotate_90_turns_a_square_image_counterclockwise_with_a_one_pixel_fill_edge():
    # Image 2 of the file is 24x24; MXNet rotates about (w/2, h/2) in pixel-corner
    # coordinates, so the result is np.rot90 shifted down by one row of fill_value.
    plain = _batch(data_shape=(3, 24, 24))[2]
    turned = _batch(data_shape=(3, 24, 24), rotate=90, fill_value=3)[2]
    np.testing.assert_array_equal(turned[:, 1:], np.rot90(plain, 1, axes=(1, 2))[:, :-1])
    assert (turned[:, 0] == 3).all()


def test_pad_surrounds_the_image_with_fill_value():
    plain = _batch(data_shape=(3, 24, 24))[2]
    padded = _batch(data_shape=(3, 30, 30), pad=3, fill_value=7)[2]
    np.testing.assert_array_equal(padded[:, 3:27, 3:27], plain)
    border = np.ones((30, 30), bool)
    border[3:27, 3:27] = False
    assert (padded[:, border] == 7).all()


def _fit(base, out):
    """Least-squares ``out ~ a * base + c`` over unsaturated pixels."""
    ok = (out > 0) & (out < 255)
    a, c = np.polyfit(base[ok], out[ok], 1)
    return a, c


def test_brightness_scales_each_image_by_a_factor_within_the_range():
    base = _batch(8, data_shape=(3, 16, 16))
    out = _batch(8, data_shape=(3, 16, 16), brightness=0.4, seed_aug=3)
    factors = [_fit(b.ravel(), o.ravel()) for b, o in zip(base, out)]
    for a, c in factors:
        assert 0.6 - 0.01 <= a <= 1.4 + 0.01 and abs(c) < 1
    assert np.std([a for a, _ in factors]) > 0.05  # a fresh factor per image


def test_contrast_pulls_pixels_towards_the_grey_mean_mxnet_computes():
    base = _batch(6)
    out = _batch(6, contrast=0.5, seed_aug=1)
    for b, o in zip(base, out):
        a, c = _fit(b.ravel(), o.ravel())
        # MXNet weighs its BGR pixels as if they were RGB: blue gets red's 0.299.
        mean = (0.299 * b[2] + 0.587 * b[1] + 0.114 * b[0]).mean()
        assert 0.5 - 0.01 <= a <= 1.5 + 0.01
        if abs(1 - a) > 0.05:
            assert abs(c / (1 - a) - mean) < 2


def test_saturation_blends_each_pixel_with_its_grey_level():
    base = _batch(6)
    out = _batch(6, saturation=0.5, seed_aug=2)
    for b, o in zip(base, out):
        px = b.astype(np.int64)  # MXNet's 14-bit grey, red weight on blue
        gray = (px[2] * 4899 + px[1] * 9617 + px[0] * 1868 + 8192) >> 14
        ok = ((o > 0) & (o < 255)).ravel()
        d, e = (o - gray).ravel()[ok], (b - gray).ravel()[ok]
        alpha = (d @ e) / (e @ e)
        assert 0.5 - 0.02 <= alpha <= 1.5 + 0.02
        assert np.abs(np.clip(alpha * b + (1 - alpha) * gray, 0, 255) - o).max() <= 1


def test_pca_noise_adds_one_whole_offset_per_channel():
    base = _batch(6)
    out = _batch(6, pca_noise=0.3, seed_aug=4)
    offsets = []
    for b, o in zip(base, out):
        ok = (o > 0) & (o < 255)
        for c in range(3):
            diff = (o[c] - b[c])[ok[c]]
            assert np.ptp(diff) == 0 and diff[0] == np.rint(diff[0])
            offsets.append(diff[0])
    assert np.any(np.array(offsets) != 0)


def test_random_hsl_shifts_lightness_of_the_hls_image():
    base = _batch(6).transpose(0, 2, 3, 1)[..., ::-1].astype(np.uint8)  # NHWC BGR
    out = _batch(6, random_l=30, seed_aug=5).transpose(0, 2, 3, 1)[..., ::-1].astype(np.uint8)
    shifts = []
    for b, o in zip(base, out):
        lb = augment._bgr_to_hls(np.ascontiguousarray(b))[..., 1].astype(int)
        lo = augment._bgr_to_hls(np.ascontiguousarray(o))[..., 1].astype(int)
        ok = (lb > 40) & (lb < 215)
        shift = np.median(lo[ok] - lb[ok])
        assert -31 <= shift <= 31 and np.abs(lo[ok] - lb[ok] - shift).max() <= 2
        shifts.append(shift)
    assert np.std(shifts) > 2


def test_hls_conversions_of_the_numpy_fallback_match_opencv():
    if decode.cv2 is None:
        pytest.skip("OpenCV is not installed")
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 40, 3)).astype(np.uint8)
    hls = decode.cv2.cvtColor(img, decode.cv2.COLOR_BGR2HLS)
    cv2 = augment.cv2
    try:
        augment.cv2 = None
        assert np.abs(augment._bgr_to_hls(img).astype(int) - hls).max() <= 1
        back = augment._hls_to_bgr(hls).astype(int)
    finally:
        augment.cv2 = cv2
    assert np.abs(back - decode.cv2.cvtColor(hls, decode.cv2.COLOR_HLS2BGR)).max() <= 1


def test_random_contrast_and_illumination_act_before_std_and_scale():
    kw = dict(mean_r=10, mean_g=20, mean_b=30, std_r=2, std_g=4, std_b=5, scale=3)
    plain = _batch(6, **kw)
    out = _batch(6, max_random_contrast=0.3, max_random_illumination=20, seed_aug=6, **kw)
    raw = _batch(6)
    mean = np.array([10, 20, 30], np.float32)[:, None, None]
    gain = np.array([3 / 2, 3 / 4, 3 / 5], np.float32)[:, None, None]
    np.testing.assert_allclose(plain, (raw - mean) * gain, rtol=1e-5, atol=1e-4)
    for r, o in zip(raw, out):
        # o = ((r - mean) * contrast + illumination) * scale / std, one draw per image
        contrast = ((o[0] - o[0].mean()) / ((r[0] - r[0].mean()) * gain[0])).mean()
        illumination = (o / gain - (r - mean) * contrast).mean()
        assert 0.7 - 1e-3 <= contrast <= 1.3 + 1e-3 and -20 <= illumination <= 20
        np.testing.assert_allclose(o, ((r - mean) * contrast + illumination) * gain,
                                   rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("kwargs", [
    dict(max_rotate_angle=30), dict(max_shear_ratio=0.3), dict(max_aspect_ratio=0.3),
    dict(min_random_scale=0.8, max_random_scale=1.3), dict(min_crop_size=8, max_crop_size=16),
    dict(random_resized_crop=True, min_random_area=0.3, max_random_area=0.9,
         max_aspect_ratio=0.3), dict(inter_method=10, rotate=10),
    dict(min_crop_size=8, max_crop_size=16, rand_crop=True)])
def test_random_geometry_is_seeded_and_varies_per_image(kwargs):
    a = _batch(6, seed_aug=1, **kwargs)
    b = _batch(6, seed_aug=1, **kwargs)
    c = _batch(6, seed_aug=2, **kwargs)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.shape == (6, 3, 16, 16) and a.min() >= 0 and a.max() <= 255


@pytest.mark.parametrize("kwargs, words", [
    (dict(inter_method=5), "inter_method"),
    (dict(inter_method=0, rotate=30), "inter_method=0"),
    (dict(random_resized_crop=True, rand_crop=True), "random_resized_crop"),
    (dict(random_resized_crop=True, min_random_area=0.5, max_random_area=0.3), "min_random_area"),
    (dict(random_resized_crop=True, min_aspect_ratio=2.0, max_aspect_ratio=1.0), "aspect_ratio"),
    (dict(max_crop_size=10), "min_crop_size"),
    (dict(rotate="ninety"), "rotate"),
])
def test_bad_augmentation_settings_raise(kwargs, words):
    with pytest.raises(MXNetError, match=words):
        _batch(**kwargs)


def test_crop_larger_than_the_image_names_the_sizes():
    with pytest.raises(MXNetError, match="smaller than max_crop_size=30"):
        _batch(min_crop_size=10, max_crop_size=30)
