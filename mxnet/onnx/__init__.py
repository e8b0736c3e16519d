"""``mx.onnx``: MXNet 1.9's top-level name for exporting models to ONNX.

``export_model`` is ``mx.contrib.onnx.export_model``; ``get_operator_support``
lists the MXNet operators it translates. The ``onnx`` package itself is
imported only when a model is exported.
"""
from ..base import MXNetError
from ..contrib.onnx import export_model
from ..contrib.onnx.export_graph import EXPORT_OPSET
from ..contrib.onnx.export_rules import _RULES
from ..ops import registry

__all__ = ["export_model", "get_operator_support"]


def get_operator_support(opset_version=None):
    """The names of the MXNet operators ``export_model`` translates to ONNX,
    aliases included (``identity`` as well as ``_copy``), sorted. Export writes
    opset 13, so ``opset_version`` may be None or 13."""
    if opset_version not in (None, EXPORT_OPSET):
        raise MXNetError(f"get_operator_support: export_model writes ONNX opset "
                         f"{EXPORT_OPSET}, got opset_version={opset_version}")
    return sorted({alias for name in _RULES for alias in (name,) + registry.get(name).aliases})
