"""Experimental and add-on APIs of MXNet (``mx.contrib``).

``mx.contrib.nd``/``ndarray`` and ``sym``/``symbol`` are the contrib operator
namespaces of ``mx.nd`` and ``mx.sym``, as in MXNet; ``quant`` is
``quantization``; ``io`` wraps Gluon DataLoaders as Module iterators;
``autograd`` is the pre-1.0 autograd API. ``onnx``
(ONNX export and import) is imported on first use.
"""
import importlib

from ..ndarray import contrib as ndarray
from ..symbol import contrib as symbol
from . import autograd, io, quantization
from . import quantization as quant

nd = ndarray
sym = symbol

__all__ = ["autograd", "io", "quantization", "quant", "ndarray", "nd", "symbol", "sym", "onnx"]


def __getattr__(name):
    # mx.contrib.onnx loads on first access, keeping `import mxnet` lean.
    if name == "onnx":
        return importlib.import_module(".onnx", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
