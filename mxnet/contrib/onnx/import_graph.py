"""Import an ONNX model as an MXNet symbol with its parameters.

The walk visits the ONNX nodes in their (topological) order and calls each
op's rule (``import_nn_ops``, ``import_tensor_ops``), which builds the
equivalent MXNet symbols. Initializers become variables with values in
``arg_params`` (BatchNorm statistics in ``aux_params``) the first time a rule
uses them as tensors; rules that need a value at conversion time (a reshape
target, pads, axes) read it as a constant instead.
"""
import numpy as np

from ...base import MXNetError
from ._deps import require_onnx
from .import_rules import ImportContext, rule_for
from .import_shapes import follow
# Importing the rule modules registers their translations.
from . import import_index_ops  # noqa: F401
from . import import_logic_ops  # noqa: F401
from . import import_nn_ops  # noqa: F401
from . import import_rnn  # noqa: F401
from . import import_tensor_ops  # noqa: F401

# Ops whose value is not a function of their inputs: never folded.
_RANDOM = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
           "Multinomial", "Bernoulli"}


def _load(model_file):
    onnx = require_onnx()
    if isinstance(model_file, onnx.ModelProto):
        return onnx, model_file
    from google.protobuf.message import DecodeError  # protobuf comes with onnx
    try:
        return onnx, onnx.load(model_file)
    except (OSError, ValueError, DecodeError) as err:
        raise MXNetError(f"import_model: cannot read ONNX model '{model_file}': {err}") from err


def import_model(model_file):
    """Read an ONNX model as ``(sym, arg_params, aux_params)``.

    ``sym`` is the model's graph as a Symbol (a Group when it has several
    outputs); ``arg_params`` and ``aux_params`` map parameter names to
    NDArrays, as ``mx.model.load_checkpoint`` returns them.
    """
    from ... import ndarray as nd
    from ... import symbol as _symbol
    onnx, model = _load(model_file)
    ctx = ImportContext(onnx, model)
    for node in model.graph.node:
        _convert(ctx, node)
    outputs = [ctx.tensor(out.name) for out in model.graph.output]
    sym = outputs[0] if len(outputs) == 1 else _symbol.Group(outputs)
    arg_params = {name: nd.array(ctx.params[name], dtype=ctx.params[name].dtype)
                  for name in sym.list_arguments() if name in ctx.params}
    aux_params = {name: nd.array(ctx.params[name], dtype=ctx.params[name].dtype)
                  for name in sym.list_auxiliary_states() if name in ctx.params}
    return sym, arg_params, aux_params


def _convert(ctx, node):
    if node.op_type == "If":
        _inline_if(ctx, node)
        return
    if follow(ctx, node) or _fold(ctx, node):
        return
    rule = rule_for(node.op_type, node.domain)
    attrs = {a.name: ctx.onnx.helper.get_attribute_value(a) for a in node.attribute}
    for key, value in attrs.items():
        if isinstance(value, bytes):
            attrs[key] = value.decode()
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            attrs[key] = [v.decode() for v in value]
    result = rule(ctx, node, attrs)
    if result is None:  # the rule stored constants itself (Constant, Shape)
        return
    results = result if isinstance(result, (list, tuple)) else [result]
    for name, value in zip(node.output, results):
        if name:
            ctx.tensors[name] = value


def _fold(ctx, node):
    """Evaluate a node whose inputs are all constants (the shape arithmetic of
    Shape -> Gather -> Concat -> Reshape chains, Range, ConstantOfShape...)
    with onnx's reference evaluator, storing its outputs as constants.
    False when the node reads a computed tensor or cannot be evaluated."""
    names = [name for name in node.input if name]
    if (not names or node.op_type in _RANDOM or node.domain not in ("", "ai.onnx")
            or any(name not in ctx.consts for name in names)):
        return False
    try:
        from onnx.reference import ReferenceEvaluator
        values = ReferenceEvaluator(node, opsets={"": ctx.opset}).run(
            None, {name: ctx.consts[name] for name in names})
    except Exception:  # noqa: BLE001 - an op the evaluator lacks goes to its rule
        return False
    for name, value in zip(node.output, values):
        if name:
            ctx.consts[name] = np.asarray(value)
    return True


def _inline_if(ctx, node):
    """An If whose condition is a constant: its taken branch, imported in place."""
    cond = ctx.constant(node, 0, "cond")
    branch_name = "then_branch" if bool(np.ravel(cond)[0]) else "else_branch"
    branch = next(a.g for a in node.attribute if a.name == branch_name)
    for init in branch.initializer:
        ctx.consts[init.name] = ctx.onnx.numpy_helper.to_array(init)
    for inner in branch.node:
        _convert(ctx, inner)
    for out, inner_out in zip(node.output, branch.output):
        if inner_out.name in ctx.tensors:
            ctx.tensors[out] = ctx.tensors[inner_out.name]
        else:
            ctx.consts[out] = ctx.consts[inner_out.name]


def get_model_metadata(model_file):
    """The names and shapes of an ONNX model's inputs and outputs.

    Returns ``{'input_tensor_data': [(name, shape, onnx_elem_type)],
    'output_tensor_data': [(name, shape)]}`` (MXNet's layout: inputs also
    carry their ONNX element type code, 1 for float32); initializers are not
    inputs, and a symbolic dimension appears as its name.
    """
    _, model = _load(model_file)
    graph = model.graph
    weights = {init.name for init in graph.initializer}
    return {
        "input_tensor_data": [(i.name, _declared_shape(i), i.type.tensor_type.elem_type)
                              for i in graph.input if i.name not in weights],
        "output_tensor_data": [(o.name, _declared_shape(o)) for o in graph.output],
    }


def _declared_shape(value_info):
    dims = value_info.type.tensor_type.shape.dim
    return tuple(d.dim_value if d.HasField("dim_value") else d.dim_param for d in dims)


def import_to_gluon(model_file, ctx):
    """Load an ONNX model as a ``gluon.nn.SymbolBlock`` with its parameters on ``ctx``."""
    from ... import symbol as _symbol
    from ...gluon import nn
    sym, arg_params, aux_params = import_model(model_file)
    params = set(arg_params) | set(aux_params)
    data = [_symbol.var(name) for name in sym.list_inputs() if name not in params]
    net = nn.SymbolBlock(outputs=sym, inputs=data)
    values = dict(arg_params)
    values.update(aux_params)
    net.collect_params().load_dict(values, ctx)
    return net

