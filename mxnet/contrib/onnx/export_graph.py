"""Export an MXNet symbol and its parameters to an ONNX model.

The walk reads the symbol's JSON graph (MXNet's own format, so any symbol
MXNext can load exports the same way), infers every entry's shape and dtype
from the given input shapes, and hands each operator node to its translation
rule (``export_nn_ops``, ``export_tensor_ops``). Parameters become ONNX
initializers; the remaining variables become the graph's inputs.
"""
import json
import logging

import numpy as np

from ...base import MXNetError
from ...ops import registry
from ._deps import require_onnx
from .export_rules import ExportContext, ExportNode, rule_for
# Importing the rule modules registers their translations.
from . import export_attention_ops  # noqa: F401
from . import export_detection_ops  # noqa: F401
from . import export_index_ops  # noqa: F401
from . import export_logic_ops  # noqa: F401
from . import export_nn_ops  # noqa: F401
from . import export_random_ops  # noqa: F401
from . import export_rnn  # noqa: F401
from . import export_shape_ops  # noqa: F401
from . import export_tensor_ops  # noqa: F401

# The ONNX operator set the exporter writes; every rule targets its semantics.
EXPORT_OPSET = 13
# IR version 7 goes with opset 13 and is read by every onnxruntime since 1.6.
EXPORT_IR_VERSION = 7


def export_model(sym, params, in_shapes=None, in_types=np.float32,
                 onnx_file_path='model.onnx', verbose=False, dynamic=False,
                 dynamic_input_shapes=None, run_shape_inference=False,
                 input_type=None, input_shape=None):
    """Convert a symbol and its parameters into an ONNX model file.

    ``sym`` is a Symbol or the path of a ``-symbol.json`` file; ``params`` a
    dict of name -> NDArray (``arg:``/``aux:`` prefixes allowed) or the path
    of a ``.params`` file. ``in_shapes`` lists the shape of each data input
    (the symbol's arguments that are not parameters, labels excepted), and
    ``in_types`` their dtype (one for all, or a list). With ``dynamic=True``
    the inputs are declared with the dims of ``dynamic_input_shapes``, where
    None marks a dimension left symbolic. The model (ONNX opset 13) is
    written to ``onnx_file_path``, whose path is returned.
    ``input_shape``/``input_type`` are the older names of ``in_shapes``/
    ``in_types``.
    """
    onnx = require_onnx()
    if in_shapes is None:
        in_shapes = input_shape
    if input_type is not None:
        in_types = input_type
    if in_shapes is None:
        raise MXNetError("export_model: argument 'in_shapes' is required "
                         "(expected a list of input shapes, given None)")
    sym = _load_symbol(sym)
    params = _load_params(params)
    model = build_model(sym, params, in_shapes, in_types, dynamic, dynamic_input_shapes)
    if run_shape_inference:
        model = onnx.shape_inference.infer_shapes(model)
    if verbose:
        logging.info("ONNX graph:\n%s", onnx.helper.printable_graph(model.graph))
    onnx.save(model, onnx_file_path)
    return onnx_file_path


def _load_symbol(sym):
    from ... import symbol as _symbol
    if isinstance(sym, str):
        return _symbol.load(sym)
    if isinstance(sym, _symbol.Symbol):
        return sym
    raise MXNetError(f"export_model: argument 'sym' expected a Symbol or the path of a "
                     f"-symbol.json file, given {type(sym).__name__}")


def _load_params(params):
    """``{name: numpy array}`` from a dict or a ``.params`` file, prefixes removed."""
    from ... import ndarray as nd
    if isinstance(params, str):
        params = nd.load(params)
    if not isinstance(params, dict):
        raise MXNetError(f"export_model: argument 'params' expected a dict of NDArrays or the "
                         f"path of a .params file, given {type(params).__name__}")
    out = {}
    for key, value in params.items():
        name = key.split(":", 1)[1] if key.startswith(("arg:", "aux:")) else key
        out[name] = value.asnumpy() if hasattr(value, "asnumpy") else np.asarray(value)
    return out


def _data_inputs(sym, params, in_shapes):
    """Names of the data inputs that ``in_shapes`` describe, in argument order."""
    args = [a for a in sym.list_arguments() if a not in params]
    if len(in_shapes) == len(args):
        return args
    # Loss heads (SoftmaxOutput...) take a label that inference does not need.
    unlabelled = [a for a in args if not a.endswith("label")]
    if len(in_shapes) == len(unlabelled):
        return unlabelled
    raise MXNetError(f"export_model: argument 'in_shapes' expected one shape per data input "
                     f"{args}, given {len(in_shapes)} shape(s)")


def _as_dtype_list(in_types, count):
    if isinstance(in_types, (list, tuple)):
        if len(in_types) != count:
            raise MXNetError(f"export_model: argument 'in_types' expected {count} dtype(s), "
                             f"given {len(in_types)}")
        return [np.dtype(t) for t in in_types]
    return [np.dtype(in_types)] * count


def build_model(sym, params, in_shapes, in_types, dynamic=False, dynamic_input_shapes=None):
    """The ONNX ModelProto of ``sym`` with ``params`` (``{name: numpy array}``)."""
    onnx = require_onnx()
    in_shapes = [tuple(int(d) for d in s) for s in in_shapes]
    names = _data_inputs(sym, params, in_shapes)
    dtypes = _as_dtype_list(in_types, len(names))
    shapes = dict(zip(names, in_shapes))
    graph = json.loads(sym.tojson())
    entry_shapes, entry_dtypes = _infer_entries(sym, graph, params, shapes,
                                                dict(zip(names, dtypes)))

    ctx = ExportContext(onnx)
    entry_names = {}
    for nid, node in enumerate(graph["nodes"]):
        if node["op"] == "null":
            entry_names[(nid, 0)] = ctx.reserve(node["name"])
            continue
        _translate(ctx, graph, nid, node, entry_names, entry_shapes, entry_dtypes)

    used = ctx.used_names()
    for node in graph["nodes"]:
        name = node["name"]
        if node["op"] == "null" and name in used and name in params:
            ctx.add_initializer(name, params[name])
    if dynamic:
        declared = _dynamic_shapes(names, in_shapes, dynamic_input_shapes)
    else:
        declared = in_shapes
    inputs = [ctx.value_info(name, dtype, shape)
              for name, dtype, shape in zip(names, dtypes, declared) if name in used]
    outputs = []
    for nid, idx, _ in graph["heads"]:
        key = (nid, idx)
        if key not in entry_names:
            raise MXNetError(f"export_model: output {idx} of node "
                             f"'{graph['nodes'][nid]['name']}' ({graph['nodes'][nid]['op']}) has "
                             f"no ONNX translation; export the symbol's first output instead")
        shape = entry_shapes[key]
        if dynamic:  # the rank is known, any dim may vary with the inputs
            shape = (None,) * len(shape)
        outputs.append(ctx.value_info(entry_names[key], entry_dtypes[key], shape))
    return ctx.make_model(inputs, outputs, EXPORT_OPSET, EXPORT_IR_VERSION)


def _dynamic_shapes(names, in_shapes, dynamic_input_shapes):
    if dynamic_input_shapes is None:
        # Only the batch dimension varies unless told otherwise.
        return [(None,) + tuple(s[1:]) for s in in_shapes]
    if len(dynamic_input_shapes) != len(names):
        raise MXNetError(f"export_model: argument 'dynamic_input_shapes' expected "
                         f"{len(names)} shape(s), given {len(dynamic_input_shapes)}")
    return [tuple(dynamic_input_shapes[i]) for i in range(len(names))]


def _infer_entries(sym, graph, params, shapes, dtypes):
    """``{(node_id, output_index): shape}`` and ``{...: dtype}`` of every visible entry."""
    internals = sym.get_internals()
    known = {name: value.shape for name, value in params.items()}
    known.update(shapes)
    args = set(internals.list_arguments()) | set(internals.list_auxiliary_states())
    _, out_shapes, _ = internals.infer_shape_partial(
        **{k: v for k, v in known.items() if k in args})
    type_hints = {name: value.dtype for name, value in params.items() if name in args}
    type_hints.update(dtypes)
    _, out_types, _ = internals.infer_type(**type_hints)
    names = internals.list_outputs()
    entry_shapes, entry_dtypes = {}, {}
    pos = 0
    for nid, node in enumerate(graph["nodes"]):
        for idx in range(_visible_outputs(node)):
            # get_internals names a node's outputs after it (topk0_output0,
            # bn_mean...); a mismatch means the node's outputs are not listed.
            if pos >= len(names) or not (names[pos] == node["name"]
                                         or names[pos].startswith(node["name"] + "_")):
                break
            entry_shapes[(nid, idx)] = tuple(out_shapes[pos])
            entry_dtypes[(nid, idx)] = np.dtype(out_types[pos]) if out_types[pos] else None
            pos += 1
    return entry_shapes, entry_dtypes


def _visible_outputs(node):
    """How many of the node's outputs ``get_internals`` lists (hidden ones follow)."""
    if node["op"] == "null":
        return 1
    opdef = registry.find(node["op"])
    if opdef is None:
        return 0
    return len(opdef.output_names(_parse_attrs(opdef, node)))


def _parse_attrs(opdef, node):
    raw = {k: v for k, v in node.get("attrs", node.get("param", {})).items()
           if not (k.startswith("__") and k.endswith("__"))}
    return opdef.parse(raw)


def _translate(ctx, graph, nid, node, entry_names, entry_shapes, entry_dtypes):
    op_name = node["op"]
    rule, opdef = rule_for(op_name)
    attrs = _parse_attrs(opdef, node)
    keys = [(src, idx) for src, idx, *_ in node["inputs"]]
    for key in keys:
        if key not in entry_names:
            raise MXNetError(f"export_model: node '{node['name']}' ({op_name}) reads output "
                             f"{key[1]} of node '{graph['nodes'][key[0]]['name']}', which "
                             f"ONNX export does not support")
    outputs = []
    idx = 0
    while (nid, idx) in entry_shapes:
        outputs.append(ctx.reserve(node["name"] if idx == 0 and (nid, 1) not in entry_shapes
                                   else f"{node['name']}_output{idx}"))
        idx += 1
    for i, out in enumerate(outputs):
        entry_names[(nid, i)] = out
    enode = ExportNode(
        name=node["name"], op=opdef.name, attrs=attrs,
        inputs=[entry_names[k] for k in keys],
        in_shapes=[entry_shapes.get(k) for k in keys],
        in_dtypes=[entry_dtypes.get(k) for k in keys],
        out_shapes=[entry_shapes[(nid, i)] for i in range(len(outputs))],
        out_dtypes=[entry_dtypes[(nid, i)] for i in range(len(outputs))],
        outputs=outputs)
    first = len(ctx.nodes)
    rule(ctx, enode)
    # Outputs a rule leaves out (a mask, a mean) stay unnamed: a node that
    # reads one then fails with a clear message instead of a dangling name.
    made = {name for onnx_node in ctx.nodes[first:] for name in onnx_node.output}
    for i, out in enumerate(outputs):
        if out not in made:
            del entry_names[(nid, i)]
