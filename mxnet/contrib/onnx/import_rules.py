"""What an import rule reads (``ImportContext``) and the rule registry.

A rule is ``rule(ctx, node, attrs) -> Symbol | [Symbol]``: ``node`` is the
ONNX NodeProto, ``attrs`` its attributes as Python values. ``ctx.tensor``
gives an input as a Symbol, ``ctx.constant`` its value when the conversion
needs one, ``ctx.shape`` its static shape from ONNX shape inference.
"""
import numpy as np

from ...base import MXNetError

_RULES = {}


def imports(*op_types):
    """Register the decorated function as the import rule of ONNX ``op_types``."""
    def register(rule):
        for op_type in op_types:
            _RULES[op_type] = rule
        return rule
    return register


def rule_for(op_type, domain=""):
    if domain not in ("", "ai.onnx"):
        raise MXNetError(f"import_model: operator '{op_type}' of domain '{domain}' is not "
                         f"supported (only the default ONNX domain)")
    rule = _RULES.get(op_type)
    if rule is None:
        raise MXNetError(f"import_model: ONNX operator '{op_type}' has no MXNet translation "
                         f"(supported: {', '.join(sorted(_RULES))})")
    return rule


class ImportContext:
    """The model being imported: its tensors so far, constants and shapes."""

    def __init__(self, onnx, model):
        from ... import symbol
        self.onnx = onnx
        self.sym = symbol
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                          1)
        self.tensors = {}
        self.consts = {init.name: onnx.numpy_helper.to_array(init)
                       for init in model.graph.initializer}
        self.params = {}
        # Shape vectors holding symbolic dims (names like 'batch'), which are
        # not constants: see import_shapes.
        self.dims = {}
        # {symbolic dim name: (tensor, axis)}: a tensor that has the dim.
        self.dim_sources = {}
        for value in model.graph.input:
            if value.name not in self.consts:
                self.tensors[value.name] = symbol.var(value.name)
        self._shapes = _inferred_shapes(onnx, model)

    def tensor(self, name):
        """Input ``name`` as a Symbol; a constant becomes a parameter variable."""
        sym = self.tensors.get(name)
        if sym is None:
            if name in self.dims:
                raise MXNetError(f"import_model: tensor '{name}' is computed from the symbolic "
                                 f"shape {list(self.dims[name])}; only a Reshape target may be")
            if name not in self.consts:
                raise MXNetError(f"import_model: tensor '{name}' is used before it is produced")
            value = np.asarray(self.consts[name])
            if value.ndim == 0:
                value = value.reshape(1)  # MXNet's legacy arrays have no 0-d shape
            self.params[name] = value
            sym = self.tensors[name] = self.sym.var(name, shape=value.shape,
                                                    dtype=value.dtype.name)
        return sym

    def param(self, name, value):
        """A new parameter variable holding ``value`` (a rule's reshaped weight)."""
        name = self._fresh(name)
        self.consts[name] = value
        return self.tensor(name)

    def _fresh(self, hint):
        name, k = hint, 0
        while name in self.consts or name in self.tensors:
            k += 1
            name = f"{hint}_{k}"
        return name

    def constant(self, node, index, what):
        """The value of input ``index`` of ``node``, which must be a constant."""
        if index >= len(node.input) or not node.input[index]:
            return None
        value = self.consts.get(node.input[index])
        if value is None:
            raise MXNetError(f"import_model: {node.op_type} '{node.name}': input '{what}' must be "
                             f"a constant (an initializer or Constant), given the computed "
                             f"tensor '{node.input[index]}'")
        return np.asarray(value)

    def shape(self, name, node):
        """The static shape of tensor ``name``, or MXNetError naming ``node``."""
        if name in self.consts:
            return tuple(np.shape(self.consts[name]))
        shape = self.symbolic_shape(name)
        if shape is None or not _static(shape):
            raise MXNetError(f"import_model: {node.op_type} '{node.name}' needs the static shape "
                             f"of '{name}', which ONNX shape inference did not determine "
                             f"(given {shape})")
        return shape

    def symbolic_shape(self, name):
        """The shape of ``name`` as far as it is known: ints, the names of
        symbolic dims, None for unknown ones; None when even the rank is."""
        if name in self.consts:
            return tuple(np.shape(self.consts[name]))
        shape = self._shapes.get(name)
        if (shape is None or not _static(shape)) and name in self.tensors:
            shape = self._mxnet_shape(name) or shape
        return shape

    def rank(self, name, node):
        """The rank of tensor ``name`` (its dims may be symbolic)."""
        shape = self.symbolic_shape(name)
        if shape is None:
            raise MXNetError(f"import_model: {node.op_type} '{node.name}' needs the rank of "
                             f"'{name}', which ONNX shape inference did not determine")
        return len(shape)

    def _mxnet_shape(self, name):
        """The shape MXNet infers for the imported tensor ``name`` from the
        static input and parameter shapes (a reshape to a computed target
        leaves ONNX's inference without one), or None."""
        sym = self.tensors[name]
        known = {n: s for n, s in self._shapes.items() if s is not None and _static(s)}
        known.update({n: np.shape(v) for n, v in self.params.items()})
        wanted = set(sym.list_arguments()) | set(sym.list_auxiliary_states())
        try:
            _, out_shapes, _ = sym.infer_shape_partial(
                **{n: s for n, s in known.items() if n in wanted})
        except MXNetError:
            return None
        shape = tuple(out_shapes[0]) if out_shapes and out_shapes[0] else None
        return shape if shape and all(shape) else None

    def inputs(self, node):
        """Every non-empty input of ``node`` as a Symbol."""
        return [self.tensor(name) for name in node.input if name]


def _static(shape):
    return all(isinstance(d, int) for d in shape)


def _inferred_shapes(onnx, model):
    """``{tensor name: shape}`` from ONNX shape inference: ints, the names of
    symbolic dims, None for unknown dims."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    except Exception:  # noqa: BLE001 - inference is best effort; rules report what they miss
        inferred = model
    graph = inferred.graph
    shapes = {}
    for value in list(graph.input) + list(graph.value_info) + list(graph.output):
        tensor_type = value.type.tensor_type
        if tensor_type.HasField("shape"):
            shapes[value.name] = tuple(
                d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
                for d in tensor_type.shape.dim)
    return shapes
