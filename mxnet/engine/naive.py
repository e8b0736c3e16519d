"""NaiveEngine: runs each operation in the caller at push time (for debugging)."""
from .core import Engine, as_mxnet_error, unique_vars


class NaiveEngine(Engine):
    """Every push runs immediately; errors are still kept for the next wait,
    so code behaves the same as under the threaded engines."""
    threaded = False

    def __init__(self):
        self._unseen = []

    def push(self, fn, ctx, read_vars=(), write_vars=(), name=None):
        reads, writes = unique_vars(read_vars, write_vars)
        exc = next((v.exc for v in reads if v.exc is not None), None)
        if exc is None:
            try:
                fn()
            except Exception as e:  # surfaced at the next wait, as MXNet does
                exc = e
                self._unseen.append(e)
        for v in writes:
            v.exc = exc
            v.version += 1

    def wait_to_read(self, var):
        self._seen(var)
        self._raise(var)

    def wait_to_write(self, var):
        self.wait_to_read(var)

    def wait_all(self):
        if self._unseen:
            exc, self._unseen = self._unseen[0], []
            raise as_mxnet_error(exc)

    def _seen(self, var):
        if var.exc is not None:
            self._unseen = [e for e in self._unseen if e is not var.exc]
