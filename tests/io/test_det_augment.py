"""ImageDetRecordIter's detection augmentation: deterministic settings against MXNet 1.9.1's
batches, random crop/pad settings against its statistics (tests/fixtures/det_augment,
tools/make_fixtures_det_augment.py), exact geometry at probability 1, and bad settings."""
import json
import os

import numpy as np
import pytest

from mxnet import io as mio
from mxnet.base import MXNetError
from mxnet.io import augment, decode, det_augment

HERE = os.path.dirname(__file__)
DET_REC = os.path.join(HERE, "..", "fixtures", "recordio", "det.rec")
FIX = os.path.join(HERE, "..", "fixtures", "det_augment")
CASES = json.load(open(os.path.join(FIX, "cases.json")))
EXPECTED = np.load(os.path.join(FIX, "expected.npz"))
STATS = json.load(open(os.path.join(FIX, "stats.json")))
# (height, width) of the five images of det.rec and their raw labels.
SIZES = [(20, 28), (32, 24), (24, 24), (18, 40), (30, 30)]
pytestmark = pytest.mark.skipif(decode.cv2 is None and decode._PILImage is None,
                                reason="needs Pillow or OpenCV")


def _iter(rec=DET_REC, batch_size=5, **kwargs):
    kwargs.setdefault("data_shape", (3, 16, 16))
    return mio.ImageDetRecordIter(path_imgrec=rec, batch_size=batch_size, verbose=False, **kwargs)


def _batch(**kwargs):
    b = _iter(**kwargs).next()
    return b.data[0].asnumpy(), b.label[0].asnumpy()


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
def test_deterministic_settings_match_mxnet(case, backend):
    spec = dict(CASES[case])
    name = spec.pop("rec")
    rec = DET_REC if name == "det.rec" else os.path.join(FIX, name)
    data, label = _batch(rec=rec, **spec)
    np.testing.assert_allclose(label, EXPECTED[case + "_label"], rtol=1e-6, atol=1e-7)
    # Interpolation levels differ by one between resize implementations (two for bicubic,
    # and for Pillow's grey resized).
    tol = 2 if spec.get("inter_method") == 9 or spec["data_shape"][0] == 1 else 1
    np.testing.assert_allclose(data, EXPECTED[case + "_data"], atol=tol)


def _summary(kwargs, epochs=12):
    # round_batch repeats the five records ten times per batch: 600 samples.
    it = _iter(batch_size=50, data_shape=(3, 100, 100), resize_mode="shrink", label_pad_width=40,
               **kwargs)
    rows = []
    for _ in range(epochs):
        it.reset()
        rows.append(it.next().label[0].asnumpy().reshape(10, 5, -1))
    rows = np.concatenate(rows)
    return _summarise(rows[..., 1:3], rows, STATS["plain_sizes"])


def _summarise(sizes, labels, plain_sizes):
    """tools/make_fixtures_det_augment.py's summarise, averaged over the images: [changed
    size, area ratio, aspect ratio ratio, objects kept, mean box of the first object]."""
    plain = np.asarray(plain_sizes, np.float64)[None]
    sizes = np.asarray(sizes, np.float64)
    changed = (sizes != plain).any(-1).mean(0)
    area = (sizes.prod(-1) / plain.prod(-1)).mean(0)
    aspect = ((sizes[..., 1] / sizes[..., 0]) / (plain[..., 1] / plain[..., 0])).mean(0)
    head, width = labels[..., 4].astype(int), labels[..., 5].astype(int)
    objects = ((labels[..., 3] - head) / width).mean(0)
    first = np.take_along_axis(labels, (4 + head + 1)[..., None] + np.arange(4), -1).mean(0)
    return np.column_stack([changed, area, aspect, objects, first]).mean(0)


@pytest.mark.parametrize("case", sorted(STATS["cases"]))
def test_random_crop_and_pad_statistics_match_mxnet(case):
    # About four standard errors of 600 samples (area relative: padding's area varies a lot).
    got = _summary(STATS["cases"][case]["kwargs"])
    want = np.mean(STATS["cases"][case]["summary"], 0)
    tol = np.array([0.06, 0.08 * want[1], 0.06, 0.1, 0.04, 0.04, 0.04, 0.04])
    assert (np.abs(got - want) <= tol).all(), (got.round(3), want.round(3))


def test_mirror_at_probability_one_flips_pixels_and_boxes():
    plain, plain_label = _batch(data_shape=(3, 40, 40), resize_mode="shrink")
    data, label = _batch(data_shape=(3, 40, 40), resize_mode="shrink", rand_mirror_prob=1)
    h, w = SIZES[2]
    np.testing.assert_array_equal(data[2, :, :h, :w], plain[2, :, :h, :w][:, :, ::-1])
    boxes, flipped = plain_label[2, 6:21].reshape(3, 5), label[2, 6:21].reshape(3, 5)
    np.testing.assert_allclose(flipped[:, [1, 3]], 1 - boxes[:, [3, 1]], rtol=1e-6)
    np.testing.assert_array_equal(flipped[:, [0, 2, 4]], boxes[:, [0, 2, 4]])


def test_pad_places_the_image_in_a_fill_value_canvas_and_moves_the_boxes_with_it():
    plain, plain_label = _batch(data_shape=(3, 100, 100), resize_mode="shrink")
    data, label = _batch(data_shape=(3, 100, 100), resize_mode="shrink", rand_pad_prob=1,
                         max_pad_scale=3, fill_value=50)
    for k, (h, w) in enumerate(SIZES):
        big_h, big_w = int(label[k, 1]), int(label[k, 2])
        canvas = data[k, :, :big_h, :big_w]
        inside = np.argwhere((canvas != 50).any(0))
        top, left = inside.min(0)
        np.testing.assert_array_equal(canvas[:, top:top + h, left:left + w], plain[k, :, :h, :w])
        assert big_h >= h and big_w >= w and (big_h, big_w) != (h, w)
        # A box corner x maps to (x * w + left) / big_w, up to the truncated pixel offsets.
        old, new = plain_label[k, 7:11], label[k, 7:11]
        np.testing.assert_allclose(new[[0, 2]], (old[[0, 2]] * w + left) / big_w, atol=1.5 / big_w)
        np.testing.assert_allclose(new[[1, 3]], (old[[1, 3]] * h + top) / big_h, atol=1.5 / big_h)


def test_crop_keeps_objects_by_their_centre_and_clips_their_boxes():
    # Fixed scale 0.5, square crops of a square image: a quarter of its area.
    data, label = _batch(data_shape=(3, 100, 100), resize_mode="shrink", rand_crop_prob=1,
                         min_crop_scales=0.5, max_crop_scales=0.5001)
    assert tuple(label[2, 1:3]) == (12, 12)
    objects = label[2, 6:6 + int(label[2, 3]) - 2].reshape(-1, 5)
    assert len(objects) >= 1
    assert (objects[:, 1:] >= 0).all() and (objects[:, 1:] <= 1).all()


def test_crop_object_coverage_keeps_whole_objects():
    _, label = _batch(data_shape=(3, 100, 100), resize_mode="shrink", rand_crop_prob=1,
                      min_crop_scales=0.6, max_crop_scales=0.99, min_crop_object_coverages=1.0,
                      max_crop_trials=50)
    for row in label:
        boxes = row[6:6 + int(row[3]) - 2].reshape(-1, 5)[:, 1:]
        assert (boxes[:, 2:] - boxes[:, :2] > 0).all()


def test_colour_shift_is_one_hls_offset_per_image():
    plain, _ = _batch(data_shape=(3, 40, 40), resize_mode="shrink")
    data, _ = _batch(data_shape=(3, 40, 40), resize_mode="shrink", random_illumination_prob=1,
                     max_random_illumination=40)
    h, w = SIZES[0]
    bgr = np.ascontiguousarray(plain[0, ::-1, :h, :w].transpose(1, 2, 0).astype(np.uint8))
    hls = augment._bgr_to_hls(bgr).astype(np.int32)
    got = data[0, ::-1, :h, :w].transpose(1, 2, 0)
    errors = [np.abs(augment._hls_to_bgr(np.clip(hls + [0, s, 0], 0, 255).astype(np.uint8))
                     - got).max() for s in range(-40, 41)]
    assert min(errors) <= 1 and np.argmin(errors) != 40


def test_contrast_scales_each_image_by_one_gain():
    plain, _ = _batch(data_shape=(3, 40, 40), resize_mode="shrink")
    data, _ = _batch(data_shape=(3, 40, 40), resize_mode="shrink", random_contrast_prob=1,
                     max_random_contrast=0.5)
    for k, (h, w) in enumerate(SIZES):
        x, y = plain[k, :, :h, :w], data[k, :, :h, :w]
        gain = (y[(x > 50) & (y < 255)] / x[(x > 50) & (y < 255)]).mean()
        assert 0.5 <= gain <= 1.5
        np.testing.assert_allclose(y, np.clip(np.rint(x * gain), 0, 255), atol=2)


def test_empty_boxes_are_dropped_and_longer_headers_and_objects_kept():
    _, label = _batch(rec=os.path.join(FIX, "extra.rec"), batch_size=3)
    assert label.shape == (3, 4 + 16)
    np.testing.assert_allclose(label[0, 3:], [16, 4, 6, 7.5, -1, 0, .1, .2, .5, .9, 11,
                                              1, .3, .1, .9, .6, 12], rtol=1e-6)
    np.testing.assert_allclose(label[1, 3:12], [8, 2, 6, 1, .2, .3, .7, .8, 14], rtol=1e-6)
    assert (label[1, 12:] == -1).all()


def test_label_pad_width_below_the_longest_label_is_refused():
    with pytest.raises(MXNetError, match="label_pad_width 5 is smaller than the longest label"):
        _iter(label_pad_width=5)
    assert _iter(label_pad_width=30).provide_label[0].shape == (5, 34)


@pytest.mark.parametrize("kwargs, message", [
    (dict(min_crop_scales=(0.1, 0.2)), "min_crop_scales has 2 values"),
    (dict(num_crop_sampler=2, max_crop_trials=(1, 2, 3)), "max_crop_trials has 3 values"),
    (dict(min_crop_scales=0.5, max_crop_scales=0.5), "min_crop_scales < max_crop_scales"),
    (dict(max_crop_scales=1.5), "max_crop_scales <= 1"),
    (dict(min_crop_aspect_ratios=2, max_crop_aspect_ratios=1), "min_crop_aspect_ratios <="),
    (dict(min_crop_overlaps=0.8, max_crop_overlaps=0.5), "min_crop_overlaps <= max_crop_overlaps"),
    (dict(emit_overlap_thresh=-1), "emit_overlap_thresh"),
    (dict(crop_emit_mode="corner"), "crop_emit_mode"),
    (dict(resize_mode="stretch"), "resize_mode"),
    (dict(inter_method=5), "inter_method"),
    (dict(resize=0), "resize"),
    (dict(data_shape=(4, 16, 16)), "1 or 3 channels"),
    (dict(label_width=7), "label_width is 7"),
    (dict(rand_crop_prob="often"), "rand_crop_prob"),
])
def test_bad_settings_raise(kwargs, message):
    with pytest.raises(MXNetError, match=message):
        _iter(**kwargs)


def test_image_record_iter_settings_are_accepted_and_ignored_as_in_mxnet():
    plain = _batch()
    ignored = _batch(rand_crop=True, rand_mirror=True, pad=4, max_rotate_angle=10)
    np.testing.assert_array_equal(plain[0], ignored[0])


def test_bad_detection_labels_raise_naming_the_record(tmp_path):
    with pytest.raises(MXNetError, match="at least 7"):
        det_augment.parse_det_label([2, 5, 1, 0.1], "record 0", "ImageDetRecordIter")
    with pytest.raises(MXNetError, match="object_width 4"):
        det_augment.parse_det_label([2, 4, 1, 0.1, 0.1, 0.5, 0.5], "record 0", "ImageDetRecordIter")
    with pytest.raises(MXNetError, match="not a multiple of object_width 5"):
        det_augment.parse_det_label([2, 5, 1, 0.1, 0.1, 0.5, 0.5, 1], "r", "ImageDetRecordIter")
