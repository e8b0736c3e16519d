"""DataLoader: batch contents and order, worker processes through shared memory,
threads, pinning, and failures (crash, exception, timeout) raised instead of hangs."""
import glob
import multiprocessing
import os
import time

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.gluon import data as gdata
from mxnet.gluon.data.dataloader import DataLoaderTimeoutError, default_batchify_fn

X = np.arange(40, dtype=np.float32).reshape(10, 4)
Y = np.arange(10)


def leftover_shm(loader):
    """Shared-memory files of this loader's workers still on disk."""
    return glob.glob(loader._pool.prefix + "-*")


class PidDataset(gdata.Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, idx):
        time.sleep(0.02)
        return np.array([os.getpid(), idx])


class FailingDataset(gdata.Dataset):
    """Sample 5 misbehaves: 'crash' kills the process, 'raise' raises, 'hang' sleeps."""

    def __init__(self, how):
        self.how = how

    def __len__(self):
        return 10

    def __getitem__(self, idx):
        if idx == 5:
            if self.how == "crash":
                os._exit(3)
            if self.how == "raise":
                raise ValueError("bad sample 5")
            time.sleep(5)
        return np.float32(idx)


def test_default_batchify_stacks_like_mxnet():
    assert default_batchify_fn([1, 2, 3]).dtype == np.int64
    assert default_batchify_fn([1.0, 2.0]).dtype == np.float64
    assert default_batchify_fn([np.int32(1), np.int32(2)]).dtype == np.int32
    assert default_batchify_fn([mx.nd.ones(2)] * 3).shape == (3, 2)
    pair = default_batchify_fn([(1, np.ones(2)), (2, np.ones(2))])
    assert isinstance(pair, list) and pair[1].shape == (2, 2)
    with pytest.raises(MXNetError, match="samples must be"):
        default_batchify_fn(["a", "b"])


@pytest.mark.parametrize("workers,threads", [(0, False), (2, False), (2, True)])
def test_batches_in_order_with_rollover(workers, threads):
    loader = gdata.DataLoader(gdata.ArrayDataset(X, Y), batch_size=3, last_batch="rollover",
                              num_workers=workers, thread_pool=threads)
    assert len(loader) == 3
    first = [(d.asnumpy(), l.asnumpy().tolist()) for d, l in loader]
    second = [l.asnumpy().tolist() for _, l in loader]
    assert [l for _, l in first] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert second == [[9, 0, 1], [2, 3, 4], [5, 6, 7]]
    np.testing.assert_array_equal(first[1][0], X[3:6])
    assert all(isinstance(d, mx.nd.NDArray) and d.dtype == np.float32 for d, _ in loader)
    loader.clean()


def test_workers_are_separate_processes_and_leave_no_shared_memory():
    loader = gdata.DataLoader(PidDataset(), batch_size=2, num_workers=2)
    batches = [b.asnumpy() for b in loader]
    pids = {int(p) for b in batches for p in b[:, 0]}
    assert os.getpid() not in pids
    assert [int(i) for b in batches for i in b[:, 1]] == list(range(8))
    # An epoch abandoned half-way still cleans up and the next epoch works.
    for i, _ in enumerate(loader):
        if i == 1:
            break
    assert len(list(loader)) == 4
    del _  # a batch's file lives as long as its arrays (it is recycled within an epoch)
    assert leftover_shm(loader) == []
    loader.clean()


class SlowDataset(gdata.Dataset):
    def __len__(self):
        return 16

    def __getitem__(self, idx):
        time.sleep(0.05)
        return np.float32(idx)


def test_two_workers_load_batches_concurrently():
    loader = gdata.DataLoader(SlowDataset(), batch_size=2, num_workers=2)
    list(loader)  # start the workers outside the timed epoch
    start = time.monotonic()
    assert [b.asnumpy().tolist() for b in loader][-1] == [14.0, 15.0]
    elapsed = time.monotonic() - start
    assert elapsed < 0.8 * 0.8, f"16 samples x 50 ms took {elapsed:.2f}s with 2 workers"
    loader.clean()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_many_epochs_leak_neither_files_nor_shared_memory():
    loader = gdata.DataLoader(gdata.ArrayDataset(X, Y), batch_size=3, num_workers=2)
    list(loader)
    fds = len(os.listdir("/proc/self/fd"))
    for _ in range(200):
        for data, _label in loader:
            pass
    del data, _label
    assert len(os.listdir("/proc/self/fd")) <= fds
    assert leftover_shm(loader) == []
    loader.clean()


def test_custom_batchify_and_numpy_results_cross_processes():
    loader = gdata.DataLoader(gdata.SimpleDataset(list(range(6))), batch_size=3, num_workers=1,
                              batchify_fn=lambda s: (np.array(s) * 2, "tag"))
    out = list(loader)
    assert isinstance(out[0][0], np.ndarray) and out[0][1] == "tag"
    np.testing.assert_array_equal(out[1][0], [6, 8, 10])
    loader.clean()


def test_pin_memory_puts_batches_in_pinned_cpu_memory():
    loader = gdata.DataLoader(gdata.ArrayDataset(X), batch_size=5, pin_memory=True)
    assert all(b.context == mx.Context("cpu_pinned", 0) for b in loader)


def test_worker_crash_raises_instead_of_hanging():
    loader = gdata.DataLoader(FailingDataset("crash"), batch_size=2, num_workers=2, timeout=20)
    with pytest.raises(MXNetError, match="exited with code 3"):
        list(loader)
    pool = loader._pool
    loader.clean()
    assert glob.glob(pool.prefix + "-*") == []


def test_worker_exception_is_reraised_in_the_parent():
    loader = gdata.DataLoader(FailingDataset("raise"), batch_size=2, num_workers=2)
    with pytest.raises(ValueError, match="bad sample 5"):
        list(loader)
    loader.clean()


def test_timeout_raises_a_clear_error():
    loader = gdata.DataLoader(FailingDataset("hang"), batch_size=2, num_workers=1, timeout=0.5)
    with pytest.raises(DataLoaderTimeoutError, match="0.5 seconds") as info:
        list(loader)
    assert isinstance(info.value, multiprocessing.TimeoutError)
    loader.clean()


def test_argument_errors_match_mxnet():
    ds = gdata.ArrayDataset(X)
    with pytest.raises(ValueError, match="batch_size must be specified"):
        gdata.DataLoader(ds)
    with pytest.raises(ValueError, match="shuffle must not be specified"):
        gdata.DataLoader(ds, batch_size=2, shuffle=True, sampler=gdata.SequentialSampler(10))
    with pytest.raises(ValueError, match="must not be specified if batch_sampler"):
        gdata.DataLoader(ds, batch_size=2,
                         batch_sampler=gdata.BatchSampler(gdata.SequentialSampler(10), 2))
