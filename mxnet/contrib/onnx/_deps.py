"""The optional ``onnx`` package, imported only when an ONNX function runs."""
import importlib

from ...base import MXNetError


class OnnxNotInstalledError(MXNetError, ImportError):
    """Raised when ``mx.contrib.onnx`` is used without the ``onnx`` package.

    It is both an MXNetError (MXNext's error for every failed call) and an
    ImportError (what code written for MXNet catches when onnx is missing).
    """


def require_onnx():
    """The ``onnx`` module, or OnnxNotInstalledError saying how to install it."""
    try:
        return importlib.import_module("onnx")
    except ImportError as err:
        raise OnnxNotInstalledError(
            "mx.contrib.onnx needs the 'onnx' package, which is not installed: "
            "pip install onnx  (or pip install \"mxnext[onnx]\")") from err
