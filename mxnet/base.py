"""Basic types and helpers shared by every layer (MXNet's ``mxnet.base``)."""
import numbers

import numpy as np

__all__ = ["MXNetError", "string_types", "numeric_types", "integer_types",
           "py_str", "mx_real_t", "mx_uint", "_Null", "_as_list"]


class MXNetError(RuntimeError):
    """The error MXNet raises for invalid input and failed operations."""


class NotImplementedForSymbol(MXNetError):
    """Raised when a method exists on NDArray but has no Symbol meaning."""

    def __init__(self, function, alias, *args):
        super().__init__()
        self.function = function.__name__ if callable(function) else str(function)
        self.alias = alias
        self.args = tuple(str(type(a)) for a in args)

    def __str__(self):
        msg = f"Function {self.function}"
        if self.alias:
            msg += f" (namely operator \"{self.alias}\")"
        if self.args:
            msg += " with arguments (" + ", ".join(self.args) + ")"
        return msg + " is not implemented for Symbol and only available in NDArray."


class _NullType:
    """Placeholder for an argument the caller did not give (MXNet's ``_Null``)."""
    __slots__ = ()

    def __repr__(self):
        return "_Null"

    def __bool__(self):
        return False


_Null = _NullType()

string_types = (str,)
numeric_types = (float, int, np.generic, numbers.Number)
integer_types = (int, np.integer)
mx_uint = np.uint32
mx_int = np.int32
mx_int64 = np.int64
mx_float = np.float32
mx_real_t = np.float32


def py_str(x):
    """Decode bytes from the library into ``str``."""
    return x.decode("utf-8") if isinstance(x, bytes) else x


def c_str(string):
    """Encode ``str`` for a C API (kept for code that imports it)."""
    return string.encode("utf-8")


def _as_list(obj):
    """Wrap ``obj`` in a list unless it already is a list or tuple."""
    if isinstance(obj, (list, tuple)):
        return obj
    return [obj]


def check_call(ret):
    """MXNet's C-API return check; with no C API every call succeeds."""
    if ret != 0:
        raise MXNetError(f"call failed with code {ret}")


def data_dir_default():
    """Where MXNet keeps downloaded data: ``$MXNET_HOME`` or ``~/.mxnet``."""
    import os
    return os.path.join(os.path.expanduser("~"), ".mxnet")


def data_dir():
    import os
    return os.getenv("MXNET_HOME", data_dir_default())
