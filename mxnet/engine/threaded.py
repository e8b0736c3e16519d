"""Threaded engines: MXNet's dynamic dependency scheduler on Python threads.

An operation becomes ready once every earlier write to a var it reads, and
every earlier read or write of a var it writes, has finished. Ready
operations go to a worker queue: one worker per device for
``ThreadedEnginePerDevice`` (so ``cpu(0)`` and ``cpu(1)`` run in parallel), a
shared pool for ``ThreadedEngine``. NumPy releases the GIL inside its
kernels, so work on different workers overlaps for real.
"""
import os
import queue
import threading

from ..backends import threads
from .core import Engine, as_mxnet_error, unique_vars

_PRUNE_READS = 32  # drop finished readers from a var's list past this length


class _Op:
    __slots__ = ("fn", "ctx", "reads", "writes", "deps_left", "children", "done", "name")

    def __init__(self, fn, ctx, reads, writes, name):
        self.fn = fn
        self.ctx = ctx
        self.reads = reads
        self.writes = writes
        self.deps_left = 0
        self.children = []
        self.done = False
        self.name = name


class ThreadedEngine(Engine):
    """Dependency scheduling with a worker per device (``per_device=True``)
    or a pool of ``num_workers`` threads shared by all devices."""
    threaded = True

    def __init__(self, per_device=True, num_workers=None):
        self._per_device = per_device
        self._num_workers = num_workers or int(os.environ.get("MXNET_CPU_WORKER_NTHREADS", 2))
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._queues = {}
        self._outstanding = 0
        self._waiting = 0  # threads blocked in a wait: only they need notifying
        self._unseen = []
        self._cpu_workers = 0

    def _queue_for(self, ctx):
        key = ctx if self._per_device else None
        q = self._queues.get(key)
        if q is None:
            q = self._queues[key] = queue.SimpleQueue()
            n = 1 if self._per_device else self._num_workers
            on_cpu = key is None or key.device_typeid == 1
            if on_cpu:
                self._cpu_workers += n
            for i in range(n):
                t = threading.Thread(target=self._work, args=(q, on_cpu), daemon=True,
                                     name=f"mxnet-engine-{key or 'pool'}-{i}")
                t.start()
        return q

    def push(self, fn, ctx, read_vars=(), write_vars=(), name=None):
        reads, writes = unique_vars(read_vars, write_vars)
        op = _Op(fn, ctx, reads, writes, name)
        deps = 0
        with self._lock:
            for v in reads:
                last = v.last_write  # None once that write has finished (see _run)
                if last is not None:
                    last.children.append(op)
                    deps += 1
                readers = v.reads
                if not readers:
                    v.reads = [op]
                else:
                    # Readers mostly finish in push order: while the oldest is
                    # still running, pruning would drop little, so wait for it.
                    if len(readers) >= _PRUNE_READS and readers[0].done:
                        readers = v.reads = [r for r in readers if not r.done]
                    readers.append(op)
                v.pending += 1
            for v in writes:
                last = v.last_write
                if last is not None:
                    last.children.append(op)
                    deps += 1
                for r in v.reads:
                    if not r.done:
                        r.children.append(op)
                        deps += 1
                v.reads = ()
                v.last_write = op
                v.pending += 1
            op.deps_left = deps
            self._outstanding += 1
        if deps == 0:  # registered above: a later push already orders after it
            self._queue_for(ctx).put(op)

    def _work(self, q, on_cpu):
        shared_by = 0
        while True:
            op = q.get()
            if on_cpu and shared_by != self._cpu_workers:
                # The cores are shared among the cpu workers: each gives its
                # operators' thread teams (oneDNN's OpenMP) its share of them.
                shared_by = self._cpu_workers
                threads.share_cores_among_workers(shared_by)
            self._run(op)

    def _run(self, op):
        exc = None
        for v in op.reads:
            if v.exc is not None:
                exc = v.exc
                break
        if exc is None:
            try:
                op.fn()
            except Exception as e:  # kept for the next wait, as MXNet does
                exc = e
        ready = []
        with self._lock:
            if exc is not None and not any(exc is e for e in self._unseen):
                self._unseen.append(exc)
            op.done = True
            op.fn = None
            for v in op.reads:
                v.pending -= 1
            for v in op.writes:
                v.pending -= 1
                v.exc = exc
                v.version += 1  # after the write, before any later reader runs
                if v.last_write is op:  # lets pushes skip the finished write
                    v.last_write = None
            for child in op.children:
                child.deps_left -= 1
                if child.deps_left == 0:
                    ready.append(child)
            op.children = None
            self._outstanding -= 1
            if self._waiting:
                self._cond.notify_all()
        for child in ready:
            self._queue_for(child.ctx).put(child)

    def _wait(self, blocked):
        """Wait (holding the lock) while ``blocked()``."""
        self._waiting += 1
        try:
            while blocked():
                self._cond.wait()
        finally:
            self._waiting -= 1

    def wait_to_read(self, var):
        with self._cond:
            self._wait(lambda: var.last_write is not None)
            self._seen(var)
        self._raise(var)

    def wait_to_write(self, var):
        with self._cond:
            self._wait(lambda: var.pending)
            self._seen(var)
        self._raise(var)

    def wait_all(self):
        with self._cond:
            self._wait(lambda: self._outstanding)
            unseen, self._unseen = self._unseen, []
        if unseen:
            raise as_mxnet_error(unseen[0])

    def _seen(self, var):
        if var.exc is not None:
            self._unseen = [e for e in self._unseen if e is not var.exc]
