"""Data pipeline reliability: dead or hanging workers raise within the timeout, corrupt
record files and undecodable images name the file and the record, every iterator
restarts cleanly when reset mid-epoch, and thousands of epochs leak nothing."""
import gc
import glob
import os
import signal
import threading
import time

import numpy as np
import pytest

import mxnet as mx
from mxnet import recordio
from mxnet.base import MXNetError
from mxnet.gluon import data as gdata
from mxnet.gluon.data.dataloader import DataLoaderTimeoutError
from mxnet.io import decode

HAVE_IMAGES = decode.cv2 is not None or decode._PILImage is not None
needs_images = pytest.mark.skipif(not HAVE_IMAGES, reason="needs Pillow or OpenCV")
needs_proc = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
BAD = 2  # the record holding undecodable bytes


def _image(i):
    return np.full((8, 8, 3), 30 * i, np.uint8)


def _records(folder, count=4, bad=None):
    """An indexed image .rec (PNG records, labels 0..count-1); record ``bad`` is not an image."""
    rec, idx = str(folder / "data.rec"), str(folder / "data.idx")
    writer = recordio.MXIndexedRecordIO(idx, rec, "w")
    for i in range(count):
        header = (0, float(i), i, 0)
        writer.write_idx(i, recordio.pack(header, b"no image here") if i == bad
                         else recordio.pack_img(header, _image(i), img_fmt=".png", quality=1))
    writer.close()
    return rec, idx


def _open_files():
    return len(os.listdir("/proc/self/fd"))


# -- workers that die or hang ---------------------------------------------------------------
class _Misbehaving(gdata.Dataset):
    def __init__(self, how):
        self.how = how

    def __len__(self):
        return 8

    def __getitem__(self, idx):
        if idx == 5:
            if self.how == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(2)
        return np.float32(idx)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_worker_killed_by_a_signal_is_reported_long_before_the_timeout():
    loader = gdata.DataLoader(_Misbehaving("kill"), batch_size=2, num_workers=2, timeout=60)
    start = time.monotonic()
    with pytest.raises(MXNetError, match="killed by signal 9"):
        list(loader)
    assert time.monotonic() - start < 10
    loader.clean()


def test_hanging_sample_in_a_thread_pool_raises_the_timeout_error():
    loader = gdata.DataLoader(_Misbehaving("hang"), batch_size=2, num_workers=1,
                              thread_pool=True, timeout=0.3)
    with pytest.raises(DataLoaderTimeoutError, match="0.3 seconds"):
        list(loader)
    loader.clean()


# -- corrupt files and undecodable images ---------------------------------------------------
@needs_images
def test_undecodable_image_names_the_file_and_record_in_every_reader(tmp_path):
    rec, idx = _records(tmp_path, bad=BAD)
    with pytest.raises(MXNetError, match=r"record at byte \d+ of .*data\.rec"):
        list(mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 8, 8), batch_size=2,
                                   verbose=False))
    dataset = gdata.vision.ImageRecordDataset(rec)
    assert dataset[1][1] == 1.0
    with pytest.raises(MXNetError, match=r"record 2 \(id 2\) in .*data\.rec"):
        dataset[BAD]
    # A worker's error reaches the parent with the same message.
    with pytest.raises(MXNetError, match=r"record 2 \(id 2\) in .*data\.rec"):
        list(gdata.DataLoader(dataset, batch_size=2, num_workers=1))
    it = mx.image.ImageIter(batch_size=2, data_shape=(3, 8, 8), path_imgrec=rec, path_imgidx=idx)
    it.next()
    with pytest.raises(RuntimeError, match=r"Broken image index: 2 of .*data\.rec"):
        it.next()


@needs_images
def test_truncated_record_file_names_the_file_and_offset_in_every_reader(tmp_path):
    rec, idx = _records(tmp_path)
    data = open(rec, "rb").read()
    open(rec, "wb").write(data[:-10])
    last = recordio.MXIndexedRecordIO(idx, rec, "r").idx[3]
    message = rf"data\.rec.*byte {last} is truncated"
    with pytest.raises(MXNetError, match=message):
        recordio.MXIndexedRecordIO(idx, rec, "r").read_idx(3)
    with pytest.raises(MXNetError, match=message):
        gdata.RecordFileDataset(rec)[3]
    for extra in ({}, {"path_imgidx": idx}):
        it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 8, 8), batch_size=2,
                                   verbose=False, **extra)
        assert it.next().label[0].asnumpy().tolist() == [0, 1]
        with pytest.raises(MXNetError, match=message):
            it.next()


def test_garbage_instead_of_a_record_file(tmp_path):
    path = tmp_path / "junk.rec"
    path.write_bytes(b"this is not a record file at all")
    with pytest.raises(MXNetError, match=r"junk\.rec.*no record magic at byte 0"):
        mx.io.ImageRecordIter(path_imgrec=str(path), data_shape=(3, 8, 8), batch_size=2,
                              verbose=False)


# -- reset in the middle of an epoch --------------------------------------------------------
def _iterators(folder):
    """Factories of fresh iterators over 8 examples whose labels are 0..7 in order."""
    labels = np.arange(8, dtype=np.float32)
    data = np.arange(24, dtype=np.float32).reshape(8, 3)
    csv, lab = folder / "d.csv", folder / "l.csv"
    csv.write_text("\n".join(",".join(str(v) for v in row) for row in data) + "\n")
    lab.write_text("\n".join(str(v) for v in labels) + "\n")
    svm = folder / "d.svm"
    svm.write_text("".join(f"{i} 0:{i + 1}\n" for i in range(8)))
    images = folder / "img-idx3"
    images.write_bytes(np.array([2051, 8, 28, 28], ">u4").tobytes() + bytes(8 * 784))
    mnist_labels = folder / "lab-idx1"
    mnist_labels.write_bytes(np.array([2049, 8], ">u4").tobytes() + bytes(range(8)))
    made = {
        "NDArrayIter": lambda: mx.io.NDArrayIter(data, labels, batch_size=2),
        "PrefetchingIter": lambda: mx.io.PrefetchingIter(mx.io.NDArrayIter(data, labels, 2)),
        "CSVIter": lambda: mx.io.CSVIter(data_csv=str(csv), data_shape=(3,),
                                         label_csv=str(lab), batch_size=2),
        "LibSVMIter": lambda: mx.io.LibSVMIter(data_libsvm=str(svm), data_shape=(1,),
                                               batch_size=2),
        "MNISTIter": lambda: mx.io.MNISTIter(image=str(images), label=str(mnist_labels),
                                             batch_size=2, shuffle=False, silent=True),
    }
    if HAVE_IMAGES:
        rec, idx = _records(folder, count=8)
        made["ImageRecordIter"] = lambda: mx.io.ImageRecordIter(
            path_imgrec=rec, data_shape=(3, 8, 8), batch_size=2, verbose=False,
            prefetch_buffer=1)
        made["ImageIter"] = lambda: mx.image.ImageIter(batch_size=2, data_shape=(3, 8, 8),
                                                       path_imgrec=rec)
        made["ImageIter indexed"] = lambda: mx.image.ImageIter(
            batch_size=2, data_shape=(3, 8, 8), path_imgrec=rec, path_imgidx=idx)
    return made


def test_every_iterator_restarts_from_the_beginning_when_reset_mid_epoch(tmp_path):
    for name, make in _iterators(tmp_path).items():
        it = make()
        for taken in (1, 3):
            for _ in range(taken):
                it.next()
            it.reset()
            labels = [b.label[0].asnumpy().tolist() for b in it]
            assert labels == [[0, 1], [2, 3], [4, 5], [6, 7]], (name, taken)
            it.reset()


def test_data_loader_abandoned_mid_epoch_starts_the_next_epoch_from_the_start():
    loader = gdata.DataLoader(gdata.ArrayDataset(np.arange(10, dtype=np.float32)), batch_size=2,
                              num_workers=2, prefetch=4)
    for _ in range(3):
        first = next(iter(loader))
        assert first.asnumpy().tolist() == [0, 1]
    assert [b.asnumpy().tolist()[0] for b in loader] == [0, 2, 4, 6, 8]
    loader.clean()


def test_record_dataset_shared_by_a_thread_pool_reads_whole_records(tmp_path):
    rec, idx = str(tmp_path / "big.rec"), str(tmp_path / "big.idx")
    writer = recordio.MXIndexedRecordIO(idx, rec, "w")
    for i in range(64):
        writer.write_idx(i, bytes([i]) * 30000)
    writer.close()
    loader = gdata.DataLoader(gdata.RecordFileDataset(rec), batch_size=4, num_workers=4,
                              thread_pool=True, batchify_fn=list)
    for _ in range(3):
        got = [r for batch in loader for r in batch]
        assert [(len(r), r[0], r[-1]) for r in got] == [(30000, i, i) for i in range(64)]


# -- thousands of epochs --------------------------------------------------------------------
@needs_proc
def test_thousands_of_tiny_epochs_leak_no_files_threads_or_shared_memory(tmp_path):
    rec, idx = _records(tmp_path, count=2) if HAVE_IMAGES else (None, None)
    gc.collect()
    files, threads = _open_files(), threading.active_count()
    loader = gdata.DataLoader(gdata.ArrayDataset(np.arange(4, dtype=np.float32)), batch_size=2,
                              num_workers=2)
    for epoch in range(2000):
        for batch in loader:
            if epoch % 3 == 0:
                break  # an abandoned epoch must free what its workers still send
    del batch
    # Checked before clean(), which would remove leftovers: each epoch must free its own.
    assert glob.glob(loader._pool.prefix + "*") == []
    loader.clean()
    writer = recordio.MXIndexedRecordIO(str(tmp_path / "k.idx"), str(tmp_path / "k.rec"), "w")
    writer.write_idx(0, b"x")
    writer.close()
    for i in range(2000):
        reader = recordio.MXIndexedRecordIO(str(tmp_path / "k.idx"), str(tmp_path / "k.rec"),
                                            "r")
        assert reader.read_idx(0) == b"x"
        if i % 2:
            reader.close()  # the others are closed when collected
    if HAVE_IMAGES:
        it = mx.io.ImageRecordIter(path_imgrec=rec, data_shape=(3, 8, 8), batch_size=2,
                                   verbose=False, preprocess_threads=1)
        for _ in range(200):
            it.reset()
            it.next()
        del it
        dataset = gdata.vision.ImageRecordDataset(rec)
        for _ in range(1000):
            dataset[1]
        del dataset
    for _ in range(20):  # worker threads and processes take a moment to go
        gc.collect()
        if _open_files() <= files and threading.active_count() <= threads:
            break
        time.sleep(0.1)
    assert _open_files() <= files
    assert threading.active_count() <= threads, [t.name for t in threading.enumerate()]
