"""Export MXNet models to ONNX and import ONNX models (``mx.contrib.onnx``).

``export_model`` writes a symbol and its parameters as an ONNX model;
``import_model`` reads an ONNX model back as ``(sym, arg_params,
aux_params)``, ``import_to_gluon`` as a ready SymbolBlock, and
``get_model_metadata`` lists its inputs and outputs. The ``onnx`` package is
optional: it is imported when one of these functions runs, and its absence
raises OnnxNotInstalledError (an MXNetError and an ImportError).
"""
from ._deps import OnnxNotInstalledError
from .export_graph import export_model
from .import_graph import import_model, import_to_gluon, get_model_metadata

__all__ = ["export_model", "import_model", "import_to_gluon", "get_model_metadata",
           "OnnxNotInstalledError"]
