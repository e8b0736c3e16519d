"""mx.io iterators: batches against MXNet 1.9.1's on the fixture files, and the behaviour of
NDArrayIter, ResizeIter and PrefetchingIter."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet import io as mio
from mxnet.base import MXNetError
from mxnet.io import decode

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures", "recordio")
CASES = json.load(open(os.path.join(FIX, "cases.json")))["cases"]
EXPECTED = np.load(os.path.join(FIX, "expected.npz"))
PATH_ARG = {"ImageRecordIter": "path_imgrec", "ImageRecordUInt8Iter": "path_imgrec",
            "ImageDetRecordIter": "path_imgrec", "CSVIter": "data_csv", "LibSVMIter": "data_libsvm",
            "MNISTIter": "image"}
IMAGE_ITERS = {"ImageRecordIter", "ImageRecordUInt8Iter", "ImageDetRecordIter"}
HAVE_IMAGES = decode.cv2 is not None or decode._PILImage is not None
# Grayscale conversion and JPEG decoding differ by one level between libraries.
TOLERANCE = {"gray": 1, "jpeg": 2}


def _make(case, **extra):
    spec = CASES[case]
    kwargs = {k: os.path.join(FIX, v) if k in ("label_csv", "label", "path_imgidx") else v
              for k, v in spec["kwargs"].items()}
    kwargs.update(extra)
    if spec["iter"] in IMAGE_ITERS:
        kwargs.setdefault("verbose", False)
    return getattr(mio, spec["iter"])(**{PATH_ARG[spec["iter"]]: os.path.join(FIX, spec["path"])}, **kwargs)


def _dense(x):
    return (x.tostype("default") if x.stype != "default" else x).asnumpy()


@pytest.mark.parametrize("case", sorted(CASES))
def test_batches_match_mxnet(case):
    if CASES[case]["iter"] in IMAGE_ITERS and not HAVE_IMAGES:
        pytest.skip("needs Pillow or OpenCV")
    it = _make(case)
    for epoch in range(CASES[case]["epochs"]):
        batches = list(it)
        expected = sorted({k.split("/")[2] for k in EXPECTED.files if k.startswith(f"{case}/{epoch}/")})
        assert len(batches) == len(expected), f"epoch {epoch}"
        for b, batch in enumerate(batches):
            key = f"{case}/{epoch}/{b}/"
            want = EXPECTED[key + "data"]
            got = _dense(batch.data[0])
            assert got.shape == want.shape
            if case == "normalise" and b == len(batches) - 1:  # round_batch off: unfilled slots
                got, want = got[:got.shape[0] - batch.pad], want[:want.shape[0] - batch.pad]
            np.testing.assert_allclose(got, want, atol=TOLERANCE.get(case, 0), rtol=1e-6)
            np.testing.assert_array_equal(batch.label[0].asnumpy(), EXPECTED[key + "label"])
            if case != "normalise":  # MXNet reports pad 0 for a short batch without round_batch
                assert batch.pad == int(EXPECTED[key + "pad"])
        it.reset()


def test_provide_data_and_label_describe_batches():
    it = _make("multilabel")
    assert it.provide_data == [("data", (4, 3, 8, 8))]
    assert it.provide_label == [("softmax_label", (4, 3))]
    assert _make("uint8").provide_data[0].dtype == np.uint8
    assert _make("det").provide_label[0].shape == (2, 21)
    csv = _make("csv_int")
    assert csv.provide_data[0].dtype == np.int32 and isinstance(csv, mio.MXDataIter)


@pytest.mark.skipif(not HAVE_IMAGES, reason="needs Pillow or OpenCV")
def test_image_iter_shuffle_and_augmentation_keep_every_example():
    base = _make("center", round_batch=False, batch_size=5)
    plain = np.concatenate([b.data[0].asnumpy() for b in base])
    it = _make("center", round_batch=False, batch_size=5, shuffle=True, rand_mirror=True,
               preprocess_threads=3, seed=7)
    for _ in range(2):
        batches = list(it)
        labels = np.concatenate([b.label[0].asnumpy() for b in batches])
        assert sorted(labels) == list(range(10))
        for batch in batches:
            for img, label in zip(batch.data[0].asnumpy(), batch.label[0].asnumpy()):
                ref = plain[int(label)]
                assert np.array_equal(img, ref) or np.array_equal(img, ref[:, :, ::-1])
        it.reset()
    crops = _make("center", rand_crop=True, data_shape=(3, 10, 10), batch_size=10).next()
    assert crops.data[0].shape == (10, 3, 10, 10)


@pytest.mark.skipif(not HAVE_IMAGES, reason="needs Pillow or OpenCV")
def test_image_iter_reset_mid_epoch_restarts_from_the_first_record():
    it = _make("center")
    first = it.next().label[0].asnumpy()
    it.next()
    it.reset()
    np.testing.assert_array_equal(it.next().label[0].asnumpy(), first)


def test_image_iter_bad_parameters_raise():
    with pytest.raises(MXNetError, match="data_shape"):
        mio.ImageRecordIter(path_imgrec=os.path.join(FIX, "png.rec"), batch_size=2)
    with pytest.raises(MXNetError, match="unknown parameter"):
        _make("center", bogus=1)
    with pytest.raises(MXNetError, match="inter_method"):
        _make("center", inter_method=7)
    with pytest.raises(MXNetError, match="part_index"):
        _make("center", num_parts=2, part_index=2)


@pytest.mark.skipif(not HAVE_IMAGES, reason="needs Pillow or OpenCV")
def test_image_iter_label_width_mismatch_names_the_record():
    it = _make("multilabel", label_width=2)
    with pytest.raises(MXNetError, match="record at byte 0 of .*multi.rec.*label_width is 2"):
        it.next()


def test_text_iter_errors_name_file_and_row():
    with pytest.raises(MXNetError, match=r"row 1 of .*d\.csv.*needs 5"):
        mio.CSVIter(data_csv=os.path.join(FIX, "d.csv"), data_shape=(5,), batch_size=2)
    with pytest.raises(MXNetError, match="No such file"):
        mio.CSVIter(data_csv=os.path.join(FIX, "none.csv"), data_shape=(6,), batch_size=2)
    with pytest.raises(MXNetError, match="not an MNIST image file"):
        mio.MNISTIter(image=os.path.join(FIX, "t10k-labels-idx1-ubyte"),
                      label=os.path.join(FIX, "t10k-labels-idx1-ubyte"), silent=True)


def test_libsvm_iter_gives_csr_batches():
    batch = _make("libsvm").next()
    assert batch.data[0].stype == "csr" and batch.data[0].shape == (2, 5)


def test_mnist_shuffle_is_a_fixed_permutation_per_seed():
    def labels(seed):
        it = _make("mnist", shuffle=True, seed=seed)
        return [b.label[0].asnumpy().tolist() for b in it]
    shuffled = sum(labels(1), [])
    assert shuffled == sum(labels(1), [])
    assert len(set(shuffled)) == 6 and set(shuffled) <= set(range(7))
    assert shuffled != [0, 1, 2, 3, 4, 5]


# -- NDArrayIter -------------------------------------------------------------------------

DATA = np.arange(20, dtype=np.float32).reshape(10, 2)
LABEL = np.arange(10)


def _firsts(it):
    return [(b.data[0].asnumpy()[:, 0].tolist(), b.pad) for b in it]


def test_ndarray_iter_pad_wraps_to_the_start_and_counts_pad():
    it = mio.NDArrayIter(DATA, LABEL, batch_size=4)
    assert _firsts(it) == [([0, 2, 4, 6], 0), ([8, 10, 12, 14], 0), ([16, 18, 0, 2], 2)]
    it.reset()
    assert len(list(it)) == 3


def test_ndarray_iter_discard_drops_the_short_batch():
    it = mio.NDArrayIter(DATA, LABEL, batch_size=4, last_batch_handle="discard")
    assert _firsts(it) == [([0, 2, 4, 6], 0), ([8, 10, 12, 14], 0)]


def test_ndarray_iter_roll_over_carries_leftovers_into_the_next_epoch():
    it = mio.NDArrayIter(DATA, batch_size=4, last_batch_handle="roll_over")
    assert _firsts(it) == [([0, 2, 4, 6], 0), ([8, 10, 12, 14], 0)]
    it.reset()
    # MXNet reports the examples taken from the new epoch as ``pad``.
    assert _firsts(it) == [([16, 18, 0, 2], 2), ([4, 6, 8, 10], 0), ([12, 14, 16, 18], 0)]
    it.hard_reset()
    assert _firsts(it) == [([0, 2, 4, 6], 0), ([8, 10, 12, 14], 0)]


def test_ndarray_iter_batch_larger_than_data_repeats_it():
    it = mio.NDArrayIter(DATA, batch_size=25)
    (batch,) = list(it)
    assert batch.pad == 15 and batch.data[0].shape == (25, 2)


def test_ndarray_iter_names_dtypes_and_layouts():
    it = mio.NDArrayIter({"b": DATA, "a": DATA[:, :1]}, {"y": LABEL}, batch_size=3)
    assert [d.name for d in it.provide_data] == ["a", "b"]
    assert it.provide_label == [mio.DataDesc("y", (3,))]
    it = mio.NDArrayIter([DATA, DATA], [LABEL, LABEL], batch_size=3)
    assert [d.name for d in it.provide_data] == ["_0_data", "_1_data"]
    assert [d.name for d in it.provide_label] == ["_0_softmax_label", "_1_softmax_label"]
    it = mio.NDArrayIter(mx.nd.array(DATA, dtype="int32"), mx.nd.array(LABEL, dtype="int64"),
                         batch_size=4)
    batch = it.next()
    assert batch.data[0].dtype == np.int32 and batch.label[0].dtype == np.int64
    assert mio.NDArrayIter(DATA.astype(np.float64), batch_size=4).next().data[0].dtype == np.float32
    seq = mio.NDArrayIter(np.arange(30).reshape(3, 10), batch_size=4, layout="TN")
    assert seq.provide_data[0].shape == (3, 4) and seq.next().data[0].shape == (3, 4)
    assert mio.NDArrayIter(DATA, batch_size=2).provide_label == []


def test_ndarray_iter_shuffle_reshuffles_each_epoch():
    np.random.seed(0)
    it = mio.NDArrayIter(DATA, LABEL, batch_size=10, shuffle=True)
    first = it.next().label[0].asnumpy()
    it.reset()
    second = it.next().label[0].asnumpy()
    assert sorted(first) == list(range(10)) and sorted(second) == list(range(10))
    assert not np.array_equal(first, second)
    data = it.getdata()[0].asnumpy()
    np.testing.assert_array_equal(data[:, 0], second * 2)


def test_ndarray_iter_csr_data():
    csr = mx.nd.array(DATA).tostype("csr")
    it = mio.NDArrayIter(csr, LABEL, batch_size=4, last_batch_handle="discard")
    batches = list(it)
    assert len(batches) == 2 and batches[1].data[0].stype == "csr"
    np.testing.assert_array_equal(batches[1].data[0].asnumpy(), DATA[4:8])
    with pytest.raises(NotImplementedError):
        mio.NDArrayIter(csr, LABEL, batch_size=4)


def test_ndarray_iter_bad_arguments():
    with pytest.raises(MXNetError, match="10 examples"):
        mio.NDArrayIter(DATA, LABEL[:5], batch_size=4)
    with pytest.raises(MXNetError, match="last_batch_handle"):
        mio.NDArrayIter(DATA, batch_size=4, last_batch_handle="keep")


def test_resize_iter_yields_a_fixed_number_of_batches():
    it = mio.ResizeIter(mio.NDArrayIter(DATA, batch_size=4), 5)
    assert [b.data[0].asnumpy()[0, 0] for b in it] == [0, 8, 16, 0, 8]
    assert it.provide_data == [("data", (4, 2))] and it.batch_size == 4
    it = mio.ResizeIter(mio.NDArrayIter(DATA, batch_size=4), 2, reset_internal=False)
    list(it)
    it.reset()
    assert [b.data[0].asnumpy()[0, 0] for b in it] == [16, 0]


def test_prefetching_iter_combines_and_renames():
    it = mio.PrefetchingIter([mio.NDArrayIter(DATA, LABEL, batch_size=4),
                              mio.NDArrayIter(DATA * 2, LABEL, batch_size=4, data_name="d2",
                                              label_name="l2")])
    assert [d.name for d in it.provide_data] == ["data", "d2"]
    for _ in range(2):
        batches = list(it)
        assert len(batches) == 3 and batches[-1].pad == 2
        np.testing.assert_array_equal(batches[1].data[1].asnumpy(), DATA[4:8] * 2)
        it.reset()
    renamed = mio.PrefetchingIter(mio.NDArrayIter(DATA, LABEL, batch_size=4),
                                  rename_data=[{"data": "x"}], rename_label=[{"softmax_label": "y"}])
    assert renamed.provide_data == [("x", (4, 2))] and renamed.provide_label == [("y", (4,))]


def test_data_desc_and_batch():
    desc = mio.DataDesc("x", (1, 2))
    assert desc == ("x", (1, 2)) and desc.layout == "NCHW" and desc.dtype is np.float32
    assert repr(desc) == "DataDesc[x,(1, 2),<class 'numpy.float32'>,NCHW]"
    assert mio.DataDesc.get_batch_axis("TNC") == 1 and mio.DataDesc.get_batch_axis(None) == 0
    assert mio.DataDesc.get_list([("a", (1, 2))], [("a", np.int32)])[0].dtype is np.int32
    batch = mio.DataBatch([mx.nd.zeros((2, 3))])
    assert str(batch) == "DataBatch: data shapes: [(2, 3)] label shapes: None"
    with pytest.raises(MXNetError):
        mio.DataBatch(mx.nd.zeros((2, 3)))


@pytest.mark.skipif(not HAVE_IMAGES, reason="needs Pillow or OpenCV")
def test_many_epochs_and_abandoned_iterators_leak_no_threads_or_files():
    import gc
    import threading
    import time

    def open_files():
        return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0

    threads, files = threading.active_count(), open_files()
    it = _make("center", preprocess_threads=2)
    for _ in range(300):
        it.next()
        it.reset()
    for _ in range(20):
        list(it)
        it.reset()
    del it
    for _ in range(10):
        mio.PrefetchingIter(mio.NDArrayIter(DATA, batch_size=4)).next()
        _make("center").next()
    for _ in range(3):  # a producer thread may hold its iterator until its batch is done
        gc.collect()
        time.sleep(0.2)
    assert threading.active_count() <= threads + 1, [t.name for t in threading.enumerate()]
    assert open_files() <= files
