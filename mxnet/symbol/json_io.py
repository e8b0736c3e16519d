"""Symbol JSON in MXNet's format: ``tojson`` output byte-identical to MXNet 1.9's,
and loading of files written by MXNet 0.8 through 1.9.

The document holds ``nodes`` (op, name, attrs, inputs as [node, output,
version]), ``arg_nodes`` (indices of variables), ``node_row_ptr`` (running
count of outputs per node), ``heads`` (the outputs) and ``attrs``
(``mxnet_version``). Old files use ``param``/``attr`` instead of ``attrs``,
give inputs as [node, output] pairs, and may lack ``node_row_ptr``.
"""
import json

from ..base import MXNetError
from ..ops import registry
from .symbol import Node, Symbol, topo_order

MXNET_VERSION = 10901

# Operators renamed since old MXNet versions.
_LEGACY_OPS = {"Softmax": "SoftmaxOutput"}


def _string(s):
    return json.dumps(s, ensure_ascii=False)


def _inline_list(items):
    return "[" + ", ".join(items) + "]"


def _attrs_block(attrs, indent):
    items = [f"{_string(k)}: {_string(v)}" for k, v in sorted(attrs.items())]
    if len(items) == 1:
        return "{" + items[0] + "}"
    pad = " " * (indent + 2)
    return "{\n" + ", \n".join(pad + i for i in items) + "\n" + " " * indent + "}"


def to_json(sym):
    """The graph of ``sym`` as MXNet's JSON text."""
    nodes = topo_order(sym._outputs)
    index = {id(n): i for i, n in enumerate(nodes)}
    lines = []
    for node in nodes:
        fields = [f'"op": {_string("null" if node.op is None else node.op.name)}',
                  f'"name": {_string(node.name)}']
        if node.attrs:
            fields.append(f'"attrs": {_attrs_block(node.attrs, 6)}')
        aux_pos = set(node.aux_positions())
        inputs = [f"[{index[id(src)]}, {i}, {1 if pos in aux_pos else 0}]"
                  for pos, (src, i) in enumerate(node.inputs)]
        fields.append(f'"inputs": {_inline_list(inputs)}')
        lines.append("    {\n      " + ", \n      ".join(fields) + "\n    }")
    arg_nodes = [str(i) for i, n in enumerate(nodes) if n.op is None]
    row_ptr = [0]
    for node in nodes:
        row_ptr.append(row_ptr[-1] + node.num_outputs())
    heads = [f"[{index[id(n)]}, {i}, 0]" for n, i in sym._outputs]
    return ("{\n  \"nodes\": [\n" + ", \n".join(lines) + "\n  ], \n"
            f"  \"arg_nodes\": {_inline_list(arg_nodes)}, \n"
            "  \"node_row_ptr\": [\n" + ", \n".join("    " + str(r) for r in row_ptr)
            + "\n  ], \n"
            f"  \"heads\": {_inline_list(heads)}, \n"
            f"  \"attrs\": {{\"mxnet_version\": [\"int\", {MXNET_VERSION}]}}\n}}")


def load_json(json_str):
    """A Symbol from MXNet's JSON text (any version MXNet 1.9 reads)."""
    try:
        doc = json.loads(json_str)
    except (ValueError, TypeError) as e:
        raise MXNetError(f"load_json: not valid JSON: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list) \
            or "heads" not in doc:
        raise MXNetError("load_json: expected an object with 'nodes' and 'heads'")
    nodes = []
    for i, spec in enumerate(doc["nodes"]):
        nodes.append(_node_from(spec, i, nodes))
    try:
        heads = [(nodes[h[0]], h[1]) for h in doc["heads"]]
    except (IndexError, TypeError, KeyError):
        raise MXNetError("load_json: 'heads' refers to a node that does not exist") from None
    return Symbol(heads)


def _node_from(spec, i, built):
    if not isinstance(spec, dict) or "op" not in spec or "name" not in spec:
        raise MXNetError(f"load_json: node {i} needs 'op' and 'name'")
    attrs = {}
    for key in ("param", "attr", "attrs"):  # old files split params and attributes
        attrs.update({str(k): str(v) for k, v in (spec.get(key) or {}).items()})
    op_name = spec["op"]
    if op_name == "null":
        op = None
    else:
        op = registry.find(op_name) or registry.find(_LEGACY_OPS.get(op_name, ""))
        if op is None:
            raise MXNetError(f"load_json: node {spec['name']!r} uses operator {op_name!r}, "
                             "which is not available here")
    inputs = []
    for entry in spec.get("inputs", []):
        try:
            src, idx = entry[0], entry[1]
            inputs.append((built[src], idx))
        except (IndexError, TypeError):
            raise MXNetError(f"load_json: node {spec['name']!r} has an invalid input "
                             f"{entry!r}") from None
    if op is not None:
        known = {k: v for k, v in attrs.items() if k in op.params}
        op.parse(known)  # invalid parameters fail now, naming op and field
    return Node(op, spec["name"], attrs, inputs)


def load(fname):
    """Load a Symbol from a JSON file (``-symbol.json``)."""
    try:
        with open(fname) as f:
            text = f.read()
    except OSError as e:
        raise MXNetError(f"load: cannot open {fname!r}: {e}") from None
    return load_json(text)


fromjson = load_json
