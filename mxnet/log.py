"""MXNet's logging helpers: ``get_logger`` gives a named logger printing to
stderr in a glog-like format (``I1126 05:43:23 31431 file.py:func:11] msg``,
the level letter coloured), or to a file with plain messages."""
import logging
import warnings

CRITICAL = logging.CRITICAL
ERROR = logging.ERROR
WARNING = logging.WARNING
INFO = logging.INFO
DEBUG = logging.DEBUG
NOTSET = logging.NOTSET

# ANSI colours of the level letter: red for problems, green for info, blue for debug.
_COLOURS = {CRITICAL: "\x1b[31m", ERROR: "\x1b[31m", WARNING: "\x1b[31m", INFO: "\x1b[32m",
            DEBUG: "\x1b[34m"}
_LETTERS = {CRITICAL: "C", ERROR: "E", WARNING: "W", INFO: "I", DEBUG: "D"}


class _Formatter(logging.Formatter):
    """``<letter><month><day> <time> <pid> <path>:<function>:<line>] <message>``."""

    def __init__(self, colored=True):
        super().__init__(datefmt="%m%d %H:%M:%S")
        self.colored = colored

    def format(self, record):
        head = _LETTERS.get(record.levelno, "U") \
            + "%(asctime)s %(process)d %(pathname)s:%(funcName)s:%(lineno)d]"
        if self.colored:
            head = _COLOURS.get(record.levelno, "") + head + "\x1b[0m"
        self._style._fmt = head + " %(message)s"
        return super().format(record)


def get_logger(name=None, filename=None, filemode=None, level=WARNING):
    """The logger ``name`` at ``level``; the first call for a name gives it a
    handler: to ``filename`` (opened with ``filemode``, 'a' by default) when
    given, else to stderr in MXNet's format. The root logger (no name) is
    returned untouched."""
    logger = logging.getLogger(name)
    if name is not None and not getattr(logger, "_init_done", None):
        logger._init_done = True
        if filename:
            handler = logging.FileHandler(filename, filemode or "a")
        else:
            handler = logging.StreamHandler()
            handler.setFormatter(_Formatter())
        logger.addHandler(handler)
        logger.setLevel(level)
    return logger


def getLogger(name=None, filename=None, filemode=None, level=WARNING):
    """Deprecated name of ``get_logger``."""
    warnings.warn("getLogger is deprecated, Use get_logger instead.", DeprecationWarning,
                  stacklevel=2)
    return get_logger(name, filename, filemode, level)
