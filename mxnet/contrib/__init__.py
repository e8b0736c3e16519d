"""Experimental and add-on APIs of MXNet (``mx.contrib``).

``mx.contrib.nd``/``ndarray`` and ``sym``/``symbol`` are the contrib operator
namespaces of ``mx.nd`` and ``mx.sym``, as in MXNet; ``quant`` is
``quantization``.
"""
from ..ndarray import contrib as ndarray
from ..symbol import contrib as symbol
from . import quantization
from . import quantization as quant

nd = ndarray
sym = symbol

__all__ = ["quantization", "quant", "ndarray", "nd", "symbol", "sym"]
