"""Variables and the error handling shared by every engine."""
from ..base import MXNetError


class Var:
    """A dependency-tracking tag for one piece of data (an array and its views).

    ``pending`` counts pushed, unfinished operations that use the var; when it
    is zero nothing is in flight and the caller may touch the data directly.
    ``last_write`` and ``reads`` are the engine's bookkeeping for ordering
    (``reads`` starts as an empty tuple: nearly every array is made by an op
    that ran inline and is never pushed, so it needs no list of its own);
    ``exc`` holds the error of the last write, surfaced at the next wait.
    ``version`` counts finished writes: every path that writes the data adds
    one after the write, so data derived from it (folded, reordered weights)
    can be cached under (var, version) and is stale once the version moves.
    """
    __slots__ = ("pending", "last_write", "reads", "exc", "version", "__weakref__")

    def __init__(self):
        self.pending = 0
        self.last_write = None
        self.reads = ()
        self.exc = None
        self.version = 0


def as_mxnet_error(exc):
    """The exception to raise at a wait for an error raised inside an operation."""
    if isinstance(exc, MXNetError):
        return exc
    err = MXNetError(f"{type(exc).__name__}: {exc}")
    err.__cause__ = exc
    return err


def unique_vars(read_vars, write_vars):
    """Split into (reads, writes) with no var twice; a var both read and written is a write."""
    # Vars hash and compare by identity, so dicts dedupe them in C, in order.
    writes = list(dict.fromkeys(write_vars))
    if not read_vars:
        return [], writes
    reads = dict.fromkeys(read_vars)
    for v in writes:
        reads.pop(v, None)
    return list(reads), writes


class Engine:
    """Interface of an engine: push work with its data dependencies, and wait."""

    def push(self, fn, ctx, read_vars=(), write_vars=(), name=None):
        """Run ``fn()`` on ``ctx``'s worker once earlier conflicting work is done."""
        raise NotImplementedError

    def wait_to_read(self, var):
        """Block until every pushed write of ``var`` is done; raise its error."""
        raise NotImplementedError

    def wait_to_write(self, var):
        """Block until every pushed read and write of ``var`` is done."""
        raise NotImplementedError

    def wait_all(self):
        """Block until all pushed work is done; raise the first unseen error."""
        raise NotImplementedError

    @staticmethod
    def _raise(var):
        exc = var.exc
        if exc is not None:
            raise as_mxnet_error(exc)
