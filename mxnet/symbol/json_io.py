"""Symbol JSON in MXNet's format: ``tojson`` output byte-identical to MXNet 1.9's,
and loading of files written by MXNet 0.8 through 1.9.

The document holds ``nodes`` (op, name, attrs, inputs as [node, output,
version]), ``arg_nodes`` (indices of variables), ``node_row_ptr`` (running
count of outputs per node), ``heads`` (the outputs) and ``attrs``
(``mxnet_version``). Old files use ``param``/``attr`` instead of ``attrs``,
give inputs as [node, output] pairs, and may lack ``node_row_ptr``.
"""
import json

from .. import filesystem
from ..base import MXNetError
from ..ops import registry
from ..ops.control_flow import SUBGRAPH_PARAMS as SUBGRAPH_OPS
from ..ops.control_flow import attach_subgraphs, split_subgraphs
from ..util import is_np_shape
from . import fused_json, naming, mxnet_nodes
from .symbol import Node, Symbol, input_versions, topo_order

MXNET_VERSION = 10901
# Files without a version were written by MXNet 0.8.
_OLDEST_VERSION = 800
# Before 0.9 aux states (BatchNorm's moving statistics) were not graph nodes.
_AUX_AS_NODES_SINCE = 900

# Operators renamed since old MXNet versions.
_LEGACY_OPS = {"Softmax": "SoftmaxOutput"}


# MXNet's JSON writer escapes only these; other characters go out unchanged.
_ESCAPES = str.maketrans({"\r": "\\r", "\n": "\\n", "\\": "\\\\", "\t": "\\t", '"': '\\"'})


def _string(s):
    return '"' + s.translate(_ESCAPES) + '"'


def _array(items, indent):
    """A JSON array as MXNet's writer lays it out: one item per line only when
    there are more than ten."""
    if len(items) <= 10:
        return "[" + ", ".join(items) + "]"
    pad = " " * (indent + 2)
    return "[\n" + ", \n".join(pad + i for i in items) + "\n" + " " * indent + "]"


def _attrs_block(attrs, indent):
    """A string map, sorted by key, on one line only when it has a single entry."""
    items = [f"{_string(k)}: {_string(v)}" for k, v in sorted(attrs.items())]
    if len(items) == 1:
        return "{" + items[0] + "}"
    pad = " " * (indent + 2)
    return "{\n" + ", \n".join(pad + i for i in items) + "\n" + " " * indent + "}"


def to_json(sym, remove_amp_cast=True):
    """The graph of ``sym`` as MXNet's JSON text (less its AMP casts when
    ``remove_amp_cast``)."""
    if remove_amp_cast:
        sym = _without_amp_casts(sym)
    return _graph_json(fused_json.representable(sym), 0) + "\n}"


_AMP_CASTS = ("amp_cast", "amp_multicast")


def _is_cast(node):
    return node.op is not None and node.op.name in _AMP_CASTS


def _without_amp_casts(sym):
    """``sym``, or a copy in which every input entry that is an output of an
    AMP cast node is the matching input of the cast (with its version). Casts
    that are outputs of the graph stay, as in MXNet."""
    nodes = topo_order(sym._outputs)
    if not any(_is_cast(n) for n in nodes):
        return sym
    versions = input_versions(nodes)
    copies = {}  # id(op node) -> its copy

    def bypassed(src, i, version):
        """The entry, and its version, that stands for input (src, i)."""
        if src.op is None:
            return (src, i), version
        copy = copies[id(src)]
        if _is_cast(src):
            return copy.inputs[i], copy.versions[i]
        return (copy, i), version

    for node in nodes:
        if node.op is None:
            continue
        pairs = [bypassed(src, i, v) for (src, i), v in zip(node.inputs, versions[id(node)])]
        copy = Node(node.op, node.name, node.attrs, [e for e, _ in pairs],
                    versions=[v for _, v in pairs])
        copy.fused_from = node.fused_from
        copies[id(node)] = copy
    return Symbol([(n if n.op is None else copies[id(n)], i) for n, i in sym._outputs])


def _graph_json(sym, base, count_writes=True):
    """The JSON object of a graph, its lines indented by ``base``, without the
    closing brace: the top level adds ``attrs`` before it; a node's subgraph
    (in its ``subgraphs`` list, at ``base`` + 8) does not. MXNet counts aux
    writes (below) in a fused node's subgraph as none (``count_writes``)."""
    nodes = topo_order(sym._outputs)
    index = {id(n): i for i, n in enumerate(nodes)}
    # An input entry's third field counts the writes to a variable so far: an
    # aux state updated by its first BatchNorm is version 1, by a second one 2.
    versions = input_versions(nodes, count_writes)
    lines = []
    pad = " " * base
    for node in nodes:
        attrs, subgraphs = written_attrs(node)
        op_name = "null" if node.op is None else mxnet_nodes.mxnet_op_name(node.op)
        fields = [f'"op": {_string(op_name)}',
                  f'"name": {_string(node.name)}']
        if attrs:
            fields.append(f'"attrs": {_attrs_block(attrs, base + 6)}')
        inputs = [f"[{index[id(src)]}, {i}, {v}]"
                  for (src, i), v in zip(node.inputs, versions[id(node)])]
        fields.append(f'"inputs": {_array(inputs, base + 6)}')
        if subgraphs:
            inner = " " * (base + 8)
            fields.append('"subgraphs": [\n' + ", \n".join(
                inner + _graph_json(s, base + 8, node.op.name not in fused_json.FUSED_OPS)
                + "\n" + inner + "}" for s in subgraphs)
                + "\n" + pad + "      ]")
        lines.append(pad + "    {\n" + pad + "      " + (", \n" + pad + "      ").join(fields)
                     + "\n" + pad + "    }")
    arg_nodes = [str(i) for i, n in enumerate(nodes) if n.op is None]
    row_ptr = [0]
    for node in nodes:
        row_ptr.append(row_ptr[-1] + mxnet_nodes.mxnet_outputs(node))
    heads = [f"[{index[id(n)]}, {i}, 0]" for n, i in sym._outputs]
    text = ("{\n" + pad + "  \"nodes\": [\n" + ", \n".join(lines) + "\n" + pad + "  ], \n"
            f"{pad}  \"arg_nodes\": {_array(arg_nodes, base + 2)}, \n"
            f"{pad}  \"node_row_ptr\": {_array([str(r) for r in row_ptr], base + 2)}, \n"
            f"{pad}  \"heads\": {_array(heads, base + 2)}")
    if base == 0 and is_np_shape():
        # MXNet marks graphs written under NumPy shape semantics, one attr a line.
        text += (f", \n  \"attrs\": {{\n    \"is_np_shape\": [\"int\", 1], \n    "
                 f"\"mxnet_version\": [\"int\", {MXNET_VERSION}]\n  }}")
    elif base == 0:
        text += f", \n  \"attrs\": {{\"mxnet_version\": [\"int\", {MXNET_VERSION}]}}"
    return text


def written_attrs(node):
    """(the attributes MXNet writes for ``node``, its subgraph Symbols): a
    fused or control-flow node's subgraphs are not attributes there."""
    if node.op is None:
        return node.attrs, []
    if node.op.name in fused_json.FUSED_OPS:
        return fused_json.split(node)
    return split_subgraphs(node.op.name, node.attrs)


def load_json(json_str):
    """A Symbol from MXNet's JSON text (any version MXNet 1.9 reads)."""
    try:
        doc = json.loads(json_str, strict=False)  # MXNet writes control characters raw
    except (ValueError, TypeError) as e:
        raise MXNetError(f"load_json: not valid JSON: {e}") from None
    return _graph_from(doc, _version(doc))


def _graph_from(doc, version):
    """The Symbol of a graph object (the document, or a node's subgraph)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list) \
            or "heads" not in doc:
        raise MXNetError("load_json: expected an object with 'nodes' and 'heads'")
    nodes = []
    for i, spec in enumerate(doc["nodes"]):
        nodes.append(_node_from(spec, i, nodes, version))
    try:
        heads = [(nodes[h[0]], h[1]) for h in doc["heads"]]
    except (IndexError, TypeError, KeyError):
        raise MXNetError("load_json: 'heads' refers to a node that does not exist") from None
    return Symbol(heads)


def _version(doc):
    try:
        return int(doc["attrs"]["mxnet_version"][1])
    except (TypeError, KeyError, IndexError, ValueError):
        return _OLDEST_VERSION


def _node_from(spec, i, built, version):
    if not isinstance(spec, dict) or "op" not in spec or "name" not in spec:
        raise MXNetError(f"load_json: node {i} needs 'op' and 'name'")
    attrs = {}
    for key in ("param", "attr", "attrs"):  # old files split params and attributes
        attrs.update({str(k): str(v) for k, v in (spec.get(key) or {}).items()})
    if version < MXNET_VERSION:
        # Older versions wrote some attributes plainly that 1.9 keeps hidden.
        attrs = {(f"__{k}__" if k in naming.HIDDEN_KEYS else k): v for k, v in attrs.items()}
    op_name = spec["op"]
    if op_name == "null":
        op = None
    else:
        op = registry.find(op_name) or registry.find(_LEGACY_OPS.get(op_name, ""))
        if op is None:
            raise MXNetError(f"load_json: node {spec['name']!r} uses operator {op_name!r}, "
                             "which is not available here")
        if spec.get("subgraphs") and op.name in fused_json.FUSED_OPS:
            subgraphs = [_graph_from(sub, version) for sub in spec["subgraphs"]]
            return fused_json.join(op, spec["name"], attrs, subgraphs,
                                   _inputs_of(spec, built), _versions_of(spec))
        if spec.get("subgraphs") or op.name in SUBGRAPH_OPS:
            attrs = attach_subgraphs(op.name, attrs, [_graph_from(sub, version)
                                                      for sub in spec.get("subgraphs") or ()])
    inputs = _inputs_of(spec, built)
    node = Node(op, spec["name"], attrs, inputs, versions=_versions_of(spec))
    if op is not None:
        known = {k: v for k, v in attrs.items() if k in op.params}
        parsed = op.parse(known)  # invalid parameters fail now, naming op and field
        if version < _AUX_AS_NODES_SINCE and op.aux:
            _add_aux_variables(op, node, attrs, parsed)
    return node


def _inputs_of(spec, built):
    inputs = []
    for entry in spec.get("inputs", []):
        try:
            src, idx = entry[0], entry[1]
            inputs.append((built[src], idx))
        except (IndexError, TypeError):
            raise MXNetError(f"load_json: node {spec['name']!r} has an invalid input "
                             f"{entry!r}") from None
    return inputs


def _versions_of(spec):
    """The version fields of a node's input entries (0 where a file gives
    only [node, output])."""
    try:
        return [int(entry[2]) if len(entry) > 2 else 0 for entry in spec.get("inputs", [])]
    except (TypeError, ValueError):
        raise MXNetError(f"load_json: node {spec['name']!r} has an input entry with an "
                         f"invalid version: {spec.get('inputs')!r}") from None


def _add_aux_variables(op, node, attrs, parsed):
    """Give ``node`` the aux-state variables a pre-0.9 file leaves implicit,
    named and attributed as MXNet's upgrade does (``bn_moving_mean``); their
    entries' version is 0, as the upgrade writes them."""
    names = op.input_names(parsed)
    for input_name in names[len(node.inputs):]:
        var_attrs = naming.input_variable_attrs(op.name, input_name, attrs)
        node.inputs.append((Node(None, f"{node.name}_{input_name}", var_attrs), 0))
        node.versions.append(0)


def load(fname):
    """Load a Symbol from a JSON file (``-symbol.json``), a local path or a URI."""
    try:
        with filesystem.open(fname, "r", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise MXNetError(f"load: cannot open {fname!r}: {e}") from None
    return load_json(text)


fromjson = load_json
