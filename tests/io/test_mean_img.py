"""ImageRecordIter's mean_img: made from one pass over the data when the file is
missing, loaded when it exists, subtracted instead of the per-channel means."""
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

REC = os.path.join(os.path.dirname(__file__), "..", "fixtures", "recordio", "png.rec")
SHAPE = (3, 8, 8)


def _iter(**kwargs):
    return mx.io.ImageRecordIter(path_imgrec=REC, data_shape=SHAPE, batch_size=2, **kwargs)


def _all(it):
    return np.concatenate([b.data[0].asnumpy()[:2 - b.pad] for b in it])


def test_a_missing_mean_image_is_made_from_the_data_as_delivered(tmp_path):
    path = str(tmp_path / "mean.nd")
    norm = dict(mean_r=10.0, std_r=2.0, scale=0.5)
    _iter(mean_img=path, **norm)
    saved = mx.nd.load(path)
    assert list(saved) == ["mean_img"]
    # MXNet averages the data normalised by the per-channel settings given.
    np.testing.assert_allclose(saved["mean_img"].asnumpy(), _all(_iter(**norm)).mean(axis=0),
                               rtol=1e-5, atol=1e-4)


def test_the_mean_image_replaces_the_channel_means(tmp_path):
    path = str(tmp_path / "mean.nd")
    _iter(mean_img=path, mean_r=10.0, std_r=2.0, scale=0.5)
    first = _iter(mean_img=path, scale=0.5, mean_r=99.0).next().data[0].asnumpy()[0]
    # The first row's first pixels as MXNet 1.9.1 gives them for the same file and settings.
    np.testing.assert_allclose(first[:, 0, :3], [[36.15, 38.225, 41.35], [12.575, 12.45, 18.05],
                                                 [29.15, 22.05, 26.2]], rtol=1e-5)


def test_a_mean_image_of_another_shape_is_refused(tmp_path):
    path = str(tmp_path / "mean.nd")
    mx.nd.save(path, {"mean_img": mx.nd.zeros((3, 4, 4))})
    with pytest.raises(MXNetError, match="mean_img"):
        _iter(mean_img=path)


def test_detection_iterator_subtracts_the_mean_image_from_the_whole_slot(tmp_path):
    det = os.path.join(os.path.dirname(REC), "det.rec")
    path = str(tmp_path / "det_mean.nd")

    def make(**kwargs):
        return mx.io.ImageDetRecordIter(path_imgrec=det, data_shape=SHAPE, batch_size=2,
                                        **kwargs)
    first = make(mean_img=path).next()           # makes the file, then starts afresh
    plain = make().next()
    mean = mx.nd.load(path)["mean_img"].asnumpy()
    # As MXNet 1.9.1 (checked with its own mean file): the padded slot minus the mean.
    np.testing.assert_allclose(first.data[0].asnumpy(), plain.data[0].asnumpy() - mean,
                               rtol=1e-6, atol=1e-4)
    np.testing.assert_array_equal(first.label[0].asnumpy(), plain.label[0].asnumpy())
