"""Detection augmenters and ImageDetIter against MXNet 1.9.1 on the same Python seeds."""
import os
import random

import numpy as np
import pytest

import mxnet as mx
import mxnet.image as image

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image")
FIX = np.load(os.path.join(HERE, "image_iter.npz"))
LABEL = np.array([[0, 0.1, 0.2, 0.5, 0.6], [1, 0.4, 0.3, 0.9, 0.95]], dtype=np.float32)


def det_image():
    return mx.nd.array(np.random.RandomState(6).randint(0, 256, (20, 24, 3)), dtype="uint8")


@pytest.mark.parametrize("i,name,aug", [
    (0, "crop", image.DetRandomCropAug(min_object_covered=0.3, area_range=(0.3, 1.0))),
    (1, "pad", image.DetRandomPadAug(area_range=(1.5, 3.0), pad_val=(1, 2, 3))),
    (2, "flip", image.DetHorizontalFlipAug(1.0)),
])
def test_detection_augmenters_move_boxes_with_pixels_like_mxnet(i, name, aug):
    random.seed(20 + i)
    out, label = aug(det_image(), LABEL.copy())
    np.testing.assert_array_equal(out.asnumpy(), FIX[f"det_{name}_img"])
    np.testing.assert_allclose(label, FIX[f"det_{name}_label"], rtol=1e-6)


def test_invalid_ranges_disable_the_augmenter_with_a_warning():
    with pytest.warns(UserWarning, match="area_range"):
        crop = image.DetRandomCropAug(area_range=(0.9, 0.1))
    src = det_image()
    out, label = crop(src, LABEL.copy())
    assert out is src and np.array_equal(label, LABEL)


def test_create_det_augmenter_pipeline():
    augs = image.CreateDetAugmenter((3, 12, 12), rand_crop=0.5, rand_pad=0.5, rand_mirror=True,
                                    mean=True, std=True, brightness=0.1)
    names = [a.dumps()[0] if isinstance(a.dumps(), list) else a.dumps()[2:15] for a in augs]
    assert names[0] == "detrandomselectaug" and len(augs) == 7
    random.seed(1)
    data, label = det_image(), LABEL.copy()
    for aug in augs:
        data, label = aug(data, label)
    assert data.shape == (12, 12, 3) and data.dtype == np.float32
    assert label.shape[1] == 5 and (label[:, 1:] >= 0).all() and (label[:, 1:] <= 1).all()
    multi = image.CreateMultiRandCropAugmenter(min_object_covered=[0.1, 0.5], skip_prob=0.2)
    assert len(multi.aug_list) == 2 and multi.skip_prob == 0.2


def test_image_det_iter_pads_labels_with_minus_one():
    it = image.ImageDetIter(2, (3, 10, 10), path_imgrec=os.path.join(HERE, "det.rec"),
                            path_imgidx=os.path.join(HERE, "det.idx"))
    assert it.provide_label[0][1] == tuple(FIX["detiter_label_shape"])
    for n, batch in enumerate(it):
        np.testing.assert_allclose(batch.label[0].asnumpy(), FIX[f"detiter_label_{n}"],
                                   rtol=1e-6)
        np.testing.assert_allclose(batch.data[0].asnumpy(), FIX[f"detiter_data_{n}"], atol=1)
    other = image.ImageDetIter(1, (3, 10, 10), path_imgrec=os.path.join(HERE, "det.rec"))
    other.reshape(label_shape=(4, 5))
    it.sync_label_shape(other)
    assert it.label_shape == (4, 5) and it.provide_label[0][1] == (2, 4, 5)
    with pytest.raises(ValueError, match="reduce label count"):
        it.reshape(label_shape=(1, 5))


def test_image_det_iter_rejects_malformed_labels():
    it = image.ImageDetIter(1, (3, 10, 10), path_imgrec=os.path.join(HERE, "det.rec"))
    with pytest.raises(RuntimeError, match="invalid"):
        it._parse_label(np.array([2, 5, 0, 0.1]))
    with pytest.raises(RuntimeError, match="inconsistent"):
        it._parse_label(np.array([2, 5, 0, 0.1, 0.1, 0.5, 0.5, 1.0]))
