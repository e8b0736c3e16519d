"""Matrix-vector inner products split over the cores.

An inner product of one to a few rows (a fully connected layer at batch 1)
is a GEMV: it reads the whole weight matrix once and is bound by memory
bandwidth, which a second core adds to. Whether oneDNN's GEMM driver hands
such a product to its OpenMP team depends on the build; the split below is
for builds that keep it on one thread. The gomp build of oneDNN 3.2 does
use the team (AlexNet's 9216 -> 4096 layer, 151 MB of weights, on 2
threads: 3.2 ms of CPU on each thread, read from /proc per thread), and
there a split only adds work, so it is opt-in (``dense.py``). oneDNN's
blocked (brgemm) kernels use the team too, but spend 1.5x the CPU time on a
single row.

So ``run_parts`` runs independent oneDNN calls (the products of blocks of
output channels) on the calling thread and on helper threads, as many as
the caller's OpenMP team has threads. The caller takes parts too, and
takes every part no helper has started: on busy cores, where a helper may
not get a core for a while, the call costs little more than running the
parts one after another (AlexNet at batch 1 with 2 threads on a machine
whose cores were all taken: 21.7 -> 22.2 ms of CPU time, wall time alike).
"""
import ctypes
import itertools
import logging
import os
import queue
import threading

_log = logging.getLogger("mxnet.backends.dnnl")

_omp = {}
_helpers = []
_helpers_lock = threading.Lock()
_jobs = queue.SimpleQueue()


def bind_openmp(cdll):
    """Find OpenMP's thread-count functions through the oneDNN library
    ``cdll`` (its OpenMP builds link the runtime); TBB and sequential builds
    have none, and then nothing is split."""
    for name, restype, argtypes in (("omp_get_max_threads", ctypes.c_int, []),
                                    ("omp_set_num_threads", None, [ctypes.c_int])):
        fn = getattr(cdll, name, None)
        if fn is None:
            _omp.clear()
            return
        fn.restype, fn.argtypes = restype, argtypes
        _omp[name] = fn


def threads():
    """Threads the calling thread's OpenMP team would have (1 without OpenMP)."""
    fn = _omp.get("omp_get_max_threads")
    return 1 if fn is None else max(1, fn())


class _Job:
    """Parts to run (callables without arguments) shared by the caller and
    the helpers: each takes the next part not taken yet until none is left."""
    __slots__ = ("parts", "_next", "_left", "_lock", "done", "error")

    def __init__(self, parts):
        self.parts = parts
        self._next = itertools.count()  # next() is atomic under the GIL
        self._left = len(parts)
        self._lock = threading.Lock()
        self.done = threading.Event()
        self.error = None

    def work(self):
        """Run parts until none is left to take."""
        while True:
            i = next(self._next)
            if i >= len(self.parts):
                return
            try:
                self.parts[i]()
            except BaseException as exc:  # re-raised in the caller
                self.error = exc
            with self._lock:
                self._left -= 1
                if self._left == 0:
                    self.done.set()


def _helper():
    # One OpenMP thread per helper: the parts are single-threaded GEMVs, and
    # the cores are already shared out among the parts.
    fn = _omp.get("omp_set_num_threads")
    if fn is not None:
        fn(1)
    while True:
        _jobs.get().work()


def _ensure_helpers(count):
    if len(_helpers) >= count:
        return
    with _helpers_lock:
        while len(_helpers) < count:
            t = threading.Thread(target=_helper, name=f"onednn-split-{len(_helpers)}",
                                 daemon=True)
            t.start()
            _helpers.append(t)


def _forget_helpers():
    # A forked child has none of the parent's threads (and a lock one of them
    # held would stay locked): it starts its own.
    global _jobs, _helpers_lock
    _helpers.clear()
    _jobs, _helpers_lock = queue.SimpleQueue(), threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helpers)


def run_parts(parts, workers):
    """Run the callables ``parts`` (independent of each other) on this thread
    and up to ``workers - 1`` helper threads; returns when all are done and
    re-raises the error of one that failed."""
    job = _Job(parts)
    helpers = min(workers, len(parts)) - 1
    if helpers > 0:
        _ensure_helpers(helpers)
        for _ in range(helpers):
            _jobs.put(job)
        _log.debug("oneDNN: %d parts on %d threads", len(parts), helpers + 1)
    job.work()
    job.done.wait()
    if job.error is not None:
        raise job.error
