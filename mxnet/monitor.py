"""``mx.monitor.Monitor``: statistics of the arrays an executor computes,
for debugging training (exploding activations, dead gradients...)."""
import logging
import re
from math import sqrt

from . import ndarray
from .ndarray import NDArray

__all__ = ["Monitor"]


def _rms(x):
    """Default statistic: the root mean square ``norm(x) / sqrt(size)``."""
    return ndarray.norm(x) / sqrt(x.size)


class Monitor:
    """Collect ``stat_func(array)`` for every node output (and, with
    ``monitor_all``, node input) whose name matches ``pattern``, plus the
    matching arguments and aux states, on every ``interval``-th batch.

    Use: ``install(executor)`` (``Module.install_monitor`` does it), then
    ``tic()`` before forward and ``toc()``/``toc_print()`` after update.
    ``toc`` returns ``[(step, name, text)]``, sorted by name with ``sort``.
    """

    def __init__(self, interval, stat_func=None, pattern=".*", sort=False, monitor_all=False):
        self.stat_func = _rms if stat_func is None else stat_func
        self.interval = interval
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

    def stat_helper(self, name, array):
        """The executor callback: queue the statistic of a matching array."""
        if not self.activated or not self.re_prog.match(name):
            return
        self.queue.append((self.step, name, self.stat_func(array)))

    def install(self, exe):
        """Watch executor ``exe`` (several executors may be installed)."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self):
        """Start a batch; collection is on for every ``interval``-th batch."""
        if self.step % self.interval == 0:
            self._wait()
            self.queue = []
            self.activated = True
        self.step += 1

    def _wait(self):
        for exe in self.exes:
            for array in list(exe.arg_arrays) + list(exe.aux_arrays):
                array.wait_to_read()

    def toc(self):
        """End the batch: add the matching arguments and aux states, and return
        ``[(step, name, text)]`` where text is the statistic's value(s), each
        followed by a tab. Empty when this batch was not collected."""
        if not self.activated:
            return []
        self._wait()
        for exe in self.exes:
            symbol = exe._symbol
            for names, arrays in ((symbol.list_arguments(), exe.arg_arrays),
                                  (symbol.list_auxiliary_states(), exe.aux_arrays)):
                for name, array in zip(names, arrays):
                    if self.re_prog.match(name):
                        self.queue.append((self.step, name, self.stat_func(array)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda item: item[1])
        res = []
        for step, name, values in self.queue:
            if isinstance(values, NDArray):
                values = [values]
            text = ""
            for v in values:
                text += (str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + "\t"
            res.append((step, name, text))
        self.queue = []
        return res

    def toc_print(self):
        """``toc`` and log each entry as ``Batch: <step> <name> <values>``."""
        for step, name, text in self.toc():
            logging.info("Batch: {:7d} {:30s} {:s}".format(step, name, text))
