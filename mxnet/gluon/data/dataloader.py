"""DataLoader: batches from a Dataset, built in worker processes or threads.

With ``num_workers > 0`` worker processes (forked where the platform allows) load
and batchify samples. A worker writes each array of a batch into a file in shared
memory (``/dev/shm``) and sends only its name, shape and dtype; the parent maps the
file and wraps it as an NDArray without copying, then unlinks it so the memory is
freed with the array. The parent watches its workers: a worker that dies raises an
MXNetError naming it, and no batch arriving within ``timeout`` seconds raises
``DataLoaderTimeoutError`` (also a ``multiprocessing.TimeoutError``, which MXNet
raises), instead of hanging the training loop.
"""
import glob
import itertools
import mmap
import multiprocessing
import os
import queue
import random
import tempfile
import time
import traceback
import uuid
import weakref
import zlib
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ... import ndarray as nd
from ...base import MXNetError
from ...context import Context, cpu
from ...ndarray.ndarray import _from_host
from ...numpy.multiarray import as_np
from ...util import is_np_array
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_batchify_fn", "default_mp_batchify_fn",
           "DataLoaderTimeoutError"]

_SHM_DIR = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
_POLL_S = 0.05


class DataLoaderTimeoutError(MXNetError, multiprocessing.TimeoutError):
    """No batch arrived from the workers within the DataLoader's ``timeout``."""


class _RemoteTraceback(Exception):
    def __str__(self):
        return self.args[0]


def _front_end(batch):
    """A batch array as ``mx.np.ndarray`` under ``npx.set_np()``, as MXNet gives it."""
    return as_np(batch) if is_np_array() else batch


def default_batchify_fn(data):
    """Stack a list of samples into a batch: NDArrays with ``nd.stack``, tuples element by
    element (giving a list), NumPy arrays and numbers into an NDArray of their dtype
    (``mx.np.ndarray``s under ``npx.set_np()``)."""
    if isinstance(data[0], nd.NDArray):
        return _front_end(nd.stack(*data))
    if isinstance(data[0], tuple):
        return [default_batchify_fn(list(items)) for items in zip(*data)]
    arr = np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise MXNetError(f"default_batchify_fn: samples must be NDArrays, NumPy arrays, numbers "
                         f"or tuples of them, got {type(data[0]).__name__} (dtype {arr.dtype})")
    return _front_end(nd.array(arr, dtype=arr.dtype))


# --- shared memory ------------------------------------------------------------------------

class _ShmRef:
    """A picklable handle on an array a worker left in a shared-memory file."""
    __slots__ = ("path", "shape", "dtype", "as_ndarray")

    def __init__(self, path, shape, dtype, as_ndarray):
        self.path, self.shape, self.dtype, self.as_ndarray = path, shape, dtype, as_ndarray


class _WorkerState:
    """Per-process state of a worker: where its files go, those made for this batch, and
    files the parent has finished with (size -> paths), to be written again."""
    prefix = None
    counter = itertools.count()
    created = {}
    free = {}  # size -> paths the parent lent for the current batch


# Pre-faulting a mapping in one call is several times cheaper than a page fault per 4 KiB.
_MMAP_FLAGS = ({"flags": mmap.MAP_SHARED | mmap.MAP_POPULATE}
               if hasattr(mmap, "MAP_POPULATE") else {})
# Freed files lent with one task (a batch needs one per array).
_LEND = 4


def _shm_empty(shape, dtype):
    """A NumPy array in a new shared-memory file (worker side)."""
    dtype = np.dtype(dtype)
    nbytes = max(int(np.prod(shape, dtype=np.int64)) * dtype.itemsize, 1)
    # A recycled file has its memory already: writing it costs no page allocation.
    reusable = _WorkerState.free.get(nbytes)
    if reusable:
        path = reusable.pop()
        fd = os.open(path, os.O_RDWR)
    else:
        path = f"{_WorkerState.prefix}-{os.getpid()}-{next(_WorkerState.counter)}"
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
        os.ftruncate(fd, nbytes)
    try:
        buf = mmap.mmap(fd, nbytes, **_MMAP_FLAGS)
    finally:
        os.close(fd)
    arr = np.ndarray(shape, dtype, buffer=buf)
    _WorkerState.created[id(arr)] = (arr, path)
    return arr


def _shm_open(ref, freed):
    """Map a worker's file as an array (parent side). When the mapping dies with the last
    array using it, the file's path and size go to ``freed`` for the workers to reuse."""
    nbytes = max(int(np.prod(ref.shape, dtype=np.int64)) * np.dtype(ref.dtype).itemsize, 1)
    fd = os.open(ref.path, os.O_RDWR)
    try:
        buf = mmap.mmap(fd, nbytes, **_MMAP_FLAGS)
    finally:
        os.close(fd)
    weakref.finalize(buf, freed.release, ref.path, nbytes)
    return np.ndarray(ref.shape, ref.dtype, buffer=buf)


def _host_array(x):
    """The NumPy array behind a cpu NDArray, read in place (``asnumpy`` would copy it)."""
    data = x._arr()
    return data if type(data) is np.ndarray else x.asnumpy()


def default_mp_batchify_fn(data):
    """``default_batchify_fn`` for worker processes: the batch is stacked straight into
    shared memory, so handing it to the parent costs no copy."""
    if _WorkerState.prefix is None:
        return default_batchify_fn(data)
    if isinstance(data[0], tuple):
        return [default_mp_batchify_fn(list(items)) for items in zip(*data)]
    if isinstance(data[0], nd.NDArray):
        items = [_host_array(x) for x in data]
    else:
        items = [np.asarray(x) for x in data]
        if items[0].dtype.kind not in "biuf":
            raise MXNetError(f"default_batchify_fn: samples must be NDArrays, NumPy arrays, "
                             f"numbers or tuples of them, got {type(data[0]).__name__}")
    out = _shm_empty((len(items),) + items[0].shape, np.result_type(*items))
    np.stack(items, out=out)
    return _from_host(out, cpu())


def _encode(obj):
    """Replace the arrays of a batch by shared-memory handles (worker side)."""
    if isinstance(obj, (list, tuple)):
        return type(obj)(_encode(x) for x in obj)
    if isinstance(obj, nd.NDArray):
        raw, is_nd = obj.asnumpy() if obj.context.device_type != "cpu" else obj._data, True
    elif isinstance(obj, np.ndarray):
        raw, is_nd = obj, False
    else:
        return obj
    made = _WorkerState.created.get(id(raw))
    if made is None or made[0] is not raw:
        copy = _shm_empty(raw.shape, raw.dtype)
        copy[...] = raw
        made = _WorkerState.created[id(copy)]
    return _ShmRef(made[1], raw.shape, raw.dtype.str, is_nd)


def _decode(obj, freed):
    if isinstance(obj, _ShmRef):
        arr = _shm_open(obj, freed)
        return _front_end(_from_host(arr, cpu())) if obj.as_ndarray else arr
    if isinstance(obj, (list, tuple)):
        return type(obj)(_decode(x, freed) for x in obj)
    return obj


class _Recycler:
    """The parent's freed shared-memory files. During an epoch they wait to be lent to
    workers; at its end and outside epochs they are deleted, so no file outlives both
    its arrays and the epoch that made it."""

    def __init__(self):
        self.freed = []
        self.active = False

    def release(self, path, nbytes):
        if self.active:
            self.freed.append((path, nbytes))
        else:
            _unlink(path)

    def lend(self):
        lent, self.freed[:] = self.freed[:_LEND], self.freed[_LEND:]
        return lent

    def end_epoch(self):
        self.active = False
        for path, _ in self.freed:
            _unlink(path)
        self.freed.clear()


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:  # already gone, or (Windows) still mapped: removed at shutdown
        pass


def _discard(obj):
    """Unlink the files of a batch nobody will read."""
    if isinstance(obj, _ShmRef):
        _unlink(obj.path)
    elif isinstance(obj, (list, tuple)):
        for x in obj:
            _discard(x)


def _unused():
    """Lent files this batch did not need, handed back to the parent."""
    return [(p, n) for n, paths in _WorkerState.free.items() for p in paths]


def _drop(payload):
    """Unlink every file of a worker's answer nobody will read, lent files included."""
    _discard(payload[:-1])
    for path, _ in payload[-1]:
        _unlink(path)


def _worker_loop(dataset, batchify_fn, prefix, seed, tasks, results):
    _WorkerState.prefix = prefix
    from ... import engine, random as mx_random
    if os.environ.get("MXNET_ENGINE_TYPE") is None:
        # One worker per core already keeps the cores busy: the engine's own threads
        # would only add a hand-off per operator.
        engine.set_engine("NaiveEngine")
    # Distinct, reproducible random streams per worker (forked children share the parent's).
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    mx_random.seed(seed % (2 ** 31))
    while True:
        task = tasks.get()
        if task is None:
            return
        key, indices, lent = task
        _WorkerState.free = {}
        for path, nbytes in lent:
            _WorkerState.free.setdefault(nbytes, []).append(path)
        _WorkerState.created = {}
        try:
            batch = _encode(batchify_fn([dataset[i] for i in indices]))
            results.put((key, True, (batch, _unused())))
        except Exception as e:  # sent to the parent, which re-raises it
            for arr, path in _WorkerState.created.values():
                os.unlink(path)
            tb = traceback.format_exc()
            try:
                results.put((key, False, (e, tb, _unused())))
            except Exception:  # the exception itself does not pickle
                results.put((key, False, (MXNetError(f"{type(e).__name__}: {e}"), tb, _unused())))
        _WorkerState.created = {}


class _ProcessPool:
    """Worker processes fed through a task queue, answering on a result queue."""

    def __init__(self, dataset, batchify_fn, num_workers):
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.prefix = os.path.join(_SHM_DIR, f"mxnext-dl-{uuid.uuid4().hex[:12]}")
        self.tasks = ctx.Queue()
        self.results = ctx.Queue()
        base = (zlib.crc32(np.random.get_state()[1].tobytes())
                ^ (hash(random.getstate()) & 0xFFFFFFFF))
        self.workers = [ctx.Process(target=_worker_loop, daemon=True,
                                    args=(dataset, batchify_fn, self.prefix, base + i,
                                          self.tasks, self.results))
                        for i in range(num_workers)]
        for w in self.workers:
            w.start()
        self.recycler = _Recycler()
        self.pending = {}  # key -> result that arrived before it was asked for
        self.abandoned = set()  # keys of an abandoned epoch still owed by workers
        self._finalizer = weakref.finalize(self, _ProcessPool._shutdown, self.workers,
                                           self.tasks, self.results, self.prefix)

    def submit(self, key, indices):
        """Queue a batch, lending the worker that takes it freed files to write it into."""
        self.recycler.active = True
        self.tasks.put((key, indices, self.recycler.lend()))

    def fetch(self, key, timeout):
        """The result for ``key``, raising if a worker dies or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while key not in self.pending:
            try:
                got_key, ok, payload = self.results.get(timeout=_POLL_S)
            except queue.Empty:
                pass
            else:
                if got_key in self.abandoned:
                    self.abandoned.discard(got_key)
                    _drop(payload)
                else:
                    self.pending[got_key] = (ok, payload)
                continue
            for w in self.workers:
                if w.exitcode is not None:
                    how = (f"was killed by signal {-w.exitcode}" if w.exitcode < 0
                           else f"exited with code {w.exitcode}")
                    raise MXNetError(f"DataLoader worker process (pid {w.pid}) {how} "
                                     "unexpectedly; its batch is lost. A crash in native "
                                     "code of the dataset or transform, or running out of "
                                     "memory, are common causes.")
            if time.monotonic() > deadline:
                raise DataLoaderTimeoutError(
                    f"DataLoader: no batch from the worker processes for {timeout} seconds; "
                    "a slow or hanging dataset/transform is likely (raise timeout= if it is "
                    "just slow).")
        ok, payload = self.pending.pop(key)
        for path, nbytes in payload[-1]:
            self.recycler.release(path, nbytes)
        if not ok:
            exc, tb, _ = payload
            raise exc from _RemoteTraceback(f"\n\nin the DataLoader worker:\n{tb}")
        return _decode(payload[0], self.recycler)

    def settle(self, timeout):
        """Wait (up to ``timeout``) for results still owed to an abandoned epoch and free
        them, so no shared memory outlives the epoch that follows."""
        deadline = time.monotonic() + timeout
        while self.abandoned and time.monotonic() < deadline:
            if any(w.exitcode is not None for w in self.workers):
                return  # the next fetch reports the dead worker
            try:
                key, ok, payload = self.results.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if key in self.abandoned:
                self.abandoned.discard(key)
                _drop(payload)
            else:
                self.pending[key] = (ok, payload)

    def forget(self, keys):
        """Drop results of an abandoned epoch as they arrive."""
        for key in keys:
            if key in self.pending:
                _drop(self.pending.pop(key)[1])
            else:
                self.abandoned.add(key)

    def shutdown(self):
        self._finalizer()

    @staticmethod
    def _shutdown(workers, tasks, results, prefix):
        for _ in workers:
            try:
                tasks.put(None)
            except (OSError, ValueError):
                break
        for w in workers:
            w.join(timeout=1.0)
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
        for q in (tasks, results):
            q.close()
            q.cancel_join_thread()
        for path in glob.glob(prefix + "-*"):
            _unlink(path)


class _ThreadPool:
    """Threads sharing the parent's memory: batches need no transfer."""

    def __init__(self, dataset, batchify_fn, num_workers):
        self.dataset, self.batchify_fn = dataset, batchify_fn
        self.executor = ThreadPoolExecutor(num_workers, thread_name_prefix="DataLoader")
        self.futures = {}

    def _load(self, indices):
        return self.batchify_fn([self.dataset[i] for i in indices])

    def submit(self, key, indices):
        self.futures[key] = self.executor.submit(self._load, indices)

    def fetch(self, key, timeout):
        from concurrent.futures import TimeoutError as FutureTimeout
        try:
            return self.futures.pop(key).result(timeout=timeout)
        except FutureTimeout:
            raise DataLoaderTimeoutError(f"DataLoader: no batch from the worker threads for "
                                         f"{timeout} seconds") from None

    def forget(self, keys):
        for key in keys:
            fut = self.futures.pop(key, None)
            if fut is not None:
                fut.cancel()

    def shutdown(self):
        self.executor.shutdown(wait=False, cancel_futures=True)


def _pin(batch, ctx):
    if isinstance(batch, nd.NDArray):
        return batch.as_in_context(ctx)
    if isinstance(batch, (list, tuple)):
        return type(batch)(_pin(x, ctx) for x in batch)
    return batch


class DataLoader:
    """Iterate over ``dataset`` in mini-batches.

    ``batch_size``/``shuffle``/``sampler``/``last_batch`` ('keep', 'discard',
    'rollover') build the batch sampler unless ``batch_sampler`` is given.
    ``batchify_fn`` turns a list of samples into a batch (default: stack).
    ``num_workers`` > 0 loads batches in that many processes (threads with
    ``thread_pool=True``), keeping ``prefetch`` (default ``2 * num_workers``) batches
    in flight. ``pin_memory`` puts batches in ``cpu_pinned`` memory. ``timeout`` is
    how many seconds to wait for one batch before raising.
    """

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None, last_batch=None,
                 batch_sampler=None, batchify_fn=None, num_workers=0, pin_memory=False,
                 pin_device_id=0, prefetch=None, thread_pool=False, timeout=120,
                 auto_reload=False):
        self._pool = None
        self._dataset = dataset
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is specified")
            if sampler is None:
                sampler = RandomSampler(len(dataset)) if shuffle \
                    else SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = BatchSampler(sampler, batch_size, last_batch or "keep")
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must not be specified "
                             "if batch_sampler is specified.")
        if num_workers < 0:
            raise ValueError(f"num_workers must be non-negative, got {num_workers}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout}")
        self._batch_sampler = batch_sampler
        self._num_workers = int(num_workers)
        self._thread_pool = thread_pool
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._timeout = timeout if timeout is not None else float("inf")
        self._prefetch = max(0, int(prefetch) if prefetch is not None else 2 * self._num_workers)
        self._auto_reload = auto_reload
        if batchify_fn is None:
            batchify_fn = default_mp_batchify_fn if num_workers > 0 and not thread_pool \
                else default_batchify_fn
        self._batchify_fn = batchify_fn
        self._epoch = itertools.count()

    def _get_pool(self):
        if self._pool is None:
            cls = _ThreadPool if self._thread_pool else _ProcessPool
            self._pool = cls(self._dataset, self._batchify_fn, self._num_workers)
        return self._pool

    def __iter__(self):
        if self._num_workers == 0:
            return self._serial_iter()
        return self._parallel_iter()

    def _finish(self, batch):
        if self._pin_memory:
            batch = _pin(batch, Context("cpu_pinned", self._pin_device_id))
        return batch

    def _serial_iter(self):
        for indices in self._batch_sampler:
            yield self._finish(self._batchify_fn([self._dataset[i] for i in indices]))

    def _parallel_iter(self):
        pool = self._get_pool()
        epoch = next(self._epoch)
        batches = iter(self._batch_sampler)
        sent = received = 0
        in_flight = max(1, self._prefetch)
        try:
            for indices in itertools.islice(batches, in_flight):
                pool.submit((epoch, sent), indices)
                sent += 1
            while received < sent:
                batch = pool.fetch((epoch, received), self._timeout)
                received += 1
                for indices in itertools.islice(batches, 1):
                    pool.submit((epoch, sent), indices)
                    sent += 1
                yield self._finish(batch)
            if isinstance(pool, _ProcessPool):
                pool.settle(self._timeout)
        finally:
            pool.forget([(epoch, k) for k in range(received, sent)])
            if isinstance(pool, _ProcessPool):
                pool.recycler.end_epoch()

    def __len__(self):
        return len(self._batch_sampler)

    def clean(self):
        """Stop the worker pool (a new one starts with the next epoch)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def refresh(self):
        """Restart the workers, e.g. after the dataset changed."""
        self.clean()

    def __del__(self):
        if getattr(self, "_pool", None) is not None:
            self.clean()
