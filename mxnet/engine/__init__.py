"""The dependency engine: selection by ``MXNET_ENGINE_TYPE``, bulking, and waits.

``get()`` returns the process's engine. ``NaiveEngine`` runs each op inline;
``ThreadedEnginePerDevice`` (the default) and ``ThreadedEngine`` schedule by
data dependencies on worker threads. Small operations whose data has no
pending work run inline in the caller under every engine (see
``ndarray.invoke``), so eager code does not pay for the engine.
"""
import atexit
import contextlib
import os

from ..backends import threads
from ..base import MXNetError
from . import host_memory
from .core import Var
from .naive import NaiveEngine
from .threaded import ThreadedEngine

__all__ = ["Var", "get", "set_engine", "bulk", "set_bulk_size", "waitall"]

_ENGINES = {
    "NaiveEngine": NaiveEngine,
    "ThreadedEngine": lambda: ThreadedEngine(per_device=False),
    "ThreadedEnginePooled": lambda: ThreadedEngine(per_device=False),
    "ThreadedEnginePerDevice": lambda: ThreadedEngine(per_device=True),
}
DEFAULT_ENGINE = "ThreadedEnginePerDevice"


def _create(name):
    if name not in _ENGINES:
        raise MXNetError(f"MXNET_ENGINE_TYPE: expected one of {sorted(_ENGINES)}, got {name!r}")
    return _ENGINES[name]()


host_memory.configure()
threads.set_default_blas_threads()
_engine_name = os.environ.get("MXNET_ENGINE_TYPE", DEFAULT_ENGINE)
_engine = _create(_engine_name)
_bulk_size = int(os.environ.get("MXNET_EXEC_BULK_EXEC_MAX_NODE_TRAIN", 15))


def get():
    """The engine every push and wait of this process goes to."""
    return _engine


def set_engine(name):
    """Switch engine (after finishing all work on the current one); returns the old name."""
    global _engine, _engine_name
    new = _create(name)
    _engine.wait_all()
    old = _engine_name
    _engine, _engine_name = new, name
    return old


def waitall():
    """Wait for all pushed work; raise the first error no wait has reported yet."""
    _engine.wait_all()


def set_bulk_size(size):
    """Set how many consecutive small ops may be grouped; returns the previous size.

    Grouping exists to cut per-op engine overhead. Here small ops whose data
    is idle already run inline without touching the scheduler, so the size
    is recorded for ``bulk`` and for code that reads it back."""
    global _bulk_size
    prev, _bulk_size = _bulk_size, int(size)
    return prev


@contextlib.contextmanager
def bulk(size):
    """Run the block with bulk size ``size``, restoring the previous one after."""
    prev = set_bulk_size(size)
    try:
        yield
    finally:
        set_bulk_size(prev)


def _reset_after_fork():
    # Worker threads do not survive fork; a child (e.g. a DataLoader worker)
    # starts with a fresh engine of the same kind and no pending work.
    global _engine
    _engine = _create(_engine_name)


def _finish_at_exit():
    # Worker threads are daemons; let pushed work finish before the interpreter
    # tears them down. Errors nobody waited for are dropped, as in MXNet.
    try:
        _engine.wait_all()
    except Exception:  # an unseen op error: nothing is left to report it to
        pass


atexit.register(_finish_at_exit)

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
