"""ImageIter over a .rec/.idx and a .lst written by MXNet 1.9.1 (tests/fixtures/image)."""
import os
import random

import numpy as np
import pytest

import mxnet as mx
import mxnet.image as image
from mxnet.gluon import data as gdata

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "image")
FIX = np.load(os.path.join(HERE, "image_iter.npz"))
REC, IDX, LST = (os.path.join(HERE, "tiny" + ext) for ext in (".rec", ".idx", ".lst"))


def test_sequential_record_file_batches_pad_from_the_start():
    it = image.ImageIter(2, (3, 8, 8), path_imgrec=REC)
    assert it.provide_data == [("data", (2, 3, 8, 8))]
    assert it.provide_label == [("softmax_label", (2,))]
    batches = list(it)
    assert len(batches) == 3
    for n, batch in enumerate(batches):
        assert batch.pad == int(FIX[f"rec_pad_{n}"])
        np.testing.assert_array_equal(batch.label[0].asnumpy(), FIX[f"rec_label_{n}"])
        np.testing.assert_allclose(batch.data[0].asnumpy(), FIX[f"rec_data_{n}"], atol=1)
    it.reset()
    assert len(list(it)) == 3


def test_image_list_roll_over_carries_the_short_batch_into_the_next_epoch():
    it = image.ImageIter(2, (3, 8, 8), path_imglist=LST, path_root=HERE,
                         last_batch_handle="roll_over")
    first = [b.label[0].asnumpy().tolist() for b in it]
    it.reset()
    second = [b.label[0].asnumpy().tolist() for b in it]
    np.testing.assert_array_equal(first + second, FIX["lst_rollover_labels"])


def test_shuffle_with_python_seed_matches_mxnet_order():
    random.seed(9)
    it = image.ImageIter(3, (3, 8, 8), path_imgrec=REC, path_imgidx=IDX, shuffle=True,
                         last_batch_handle="discard")
    np.testing.assert_array_equal([b.label[0].asnumpy() for b in it], FIX["shuffled_labels"])


def test_in_memory_list_partitions_and_augmenter_kwargs():
    entries = [[float(i), f"tiny{i}.png"] for i in range(4)]
    it = image.ImageIter(2, (3, 6, 6), imglist=entries, path_root=HERE, num_parts=2,
                         part_index=1, rand_mirror=True, dtype="float64")
    (batch,) = list(it)
    assert batch.data[0].dtype == np.float64 and batch.data[0].shape == (2, 3, 6, 6)
    assert batch.label[0].asnumpy().tolist() == [2.0, 3.0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="3 channels"):
        image.ImageIter(2, (1, 8, 8), path_imgrec=REC)
    with pytest.raises(ValueError, match="path_imgrec"):
        image.ImageIter(2, (3, 8, 8))
    with pytest.raises(ValueError, match="path_imgidx"):
        image.ImageIter(2, (3, 8, 8), path_imgrec=REC, shuffle=True)


def test_broken_image_is_reported_with_its_file(tmp_path):
    (tmp_path / "bad.png").write_bytes(b"not an image")
    it = image.ImageIter(1, (3, 8, 8), imglist=[[0.0, "bad.png"]], path_root=str(tmp_path))
    with pytest.raises(RuntimeError, match="bad.png"):
        it.next()


def test_gluon_record_datasets_read_the_same_file():
    ds = gdata.vision.ImageRecordDataset(REC)
    img, label = ds[3]
    assert len(ds) == 5 and label == 3.0 and img.shape == (13, 12, 3)
    np.testing.assert_array_equal(img.asnumpy(), image.imread(os.path.join(HERE, "tiny3.png"))
                                  .asnumpy())
    raw = gdata.RecordFileDataset(REC)
    assert mx.recordio.unpack(raw[1])[0].label == 1.0
    loader = gdata.DataLoader(ds.transform_first(lambda x: mx.nd.image.resize(
        x, size=(4, 4))), batch_size=2, num_workers=2)
    labels = [lab.asnumpy().tolist() for _, lab in loader]
    assert labels == [[0.0, 1.0], [2.0, 3.0], [4.0]]
    loader.clean()
