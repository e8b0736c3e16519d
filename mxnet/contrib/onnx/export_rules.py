"""What an export rule sees (``ExportNode``) and writes to (``ExportContext``).

A rule is ``rule(ctx, node)``: it reads the MXNet node (parsed attributes,
input names, shapes and dtypes) and emits ONNX nodes whose final outputs
are ``node.outputs``. Rules are registered by MXNet operator name with
``exports``; aliases resolve through the op registry, so one rule covers
``elemwise_add``, ``_plus`` and ``_Plus``.
"""
from dataclasses import dataclass

import numpy as np

from ...base import MXNetError
from ...ops import registry

_RULES = {}


def exports(*op_names):
    """Register the decorated function as the ONNX rule of ``op_names``."""
    def register(rule):
        for name in op_names:
            _RULES[registry.get(name).name] = rule
        return rule
    return register


def rule_for(op_name):
    """``(rule, opdef)`` for an MXNet op, or MXNetError when it cannot be exported."""
    opdef = registry.find(op_name)
    rule = _RULES.get(opdef.name) if opdef is not None else None
    if rule is None:
        raise MXNetError(f"export_model: operator '{op_name}' has no ONNX translation "
                         f"(mx.onnx.get_operator_support() lists the {len(_RULES)} that have)")
    return rule, opdef


@dataclass
class ExportNode:
    """One MXNet operator node, as its export rule sees it."""
    name: str
    op: str
    attrs: dict
    inputs: list
    in_shapes: list
    in_dtypes: list
    out_shapes: list
    out_dtypes: list
    outputs: list

    @property
    def output(self):
        return self.outputs[0]

    def unsupported(self, what):
        """MXNetError: the node uses a setting the ONNX export does not cover."""
        return MXNetError(f"export_model: {self.op} '{self.name}': {what} has no ONNX "
                          f"translation")


class ExportContext:
    """The ONNX graph under construction: nodes, initializers, unique names."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.nodes = []
        self.initializers = []
        self._taken = set()

    def reserve(self, hint):
        """A tensor name not used yet, ``hint`` itself when free."""
        name, k = hint, 0
        while name in self._taken:
            k += 1
            name = f"{hint}_{k}"
        self._taken.add(name)
        return name

    def emit(self, op_type, inputs, out=None, **attrs):
        """Add one single-output ONNX node; return its output name."""
        out = out or self.reserve(f"{inputs[0] if inputs else op_type}_{op_type.lower()}")
        self.emit_multi(op_type, inputs, [out], **attrs)
        return out

    def emit_multi(self, op_type, inputs, outputs, **attrs):
        """Add one ONNX node with several outputs."""
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(
            op_type, list(inputs), list(outputs), name=outputs[0], **attrs))
        return outputs

    def const(self, hint, value, dtype=None):
        """An initializer holding ``value``; return its name."""
        name = self.reserve(hint)
        self.add_initializer(name, np.asarray(value, dtype=dtype))
        return name

    def ints(self, hint, values):
        """A 1-D int64 initializer (the shape/axes/pads inputs of ONNX ops)."""
        return self.const(hint, np.asarray(list(values), dtype=np.int64))

    def add_initializer(self, name, array):
        self._taken.add(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))

    def used_names(self):
        """Every tensor name some emitted node reads."""
        return {name for node in self.nodes for name in node.input if name}

    def value_info(self, name, dtype, shape):
        """A typed graph input/output; None in ``shape`` marks a symbolic dim."""
        elem = self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        if shape is not None:
            shape = [d if d is not None else f"{name}_dim{i}" for i, d in enumerate(shape)]
        return self.onnx.helper.make_tensor_value_info(name, elem, shape)

    def make_model(self, inputs, outputs, opset, ir_version):
        helper = self.onnx.helper
        graph = helper.make_graph(self.nodes, "mxnet_converted_model", inputs, outputs,
                                  initializer=self.initializers)
        model = helper.make_model(graph, producer_name="mxnext",
                                  opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = ir_version
        return model
