"""MXNet's JSON form of the fused oneDNN nodes (``_sg_mkldnn_conv``,
``_sg_mkldnn_fully_connected``) that inference folding and
``optimize_for('MKLDNN')`` create.

Here a fused node carries everything it computes as attributes (the
convolution's kernel, the folded batch norm's eps, the activation type...).
MXNet 1.9 instead writes only the ``with_*`` flags and keeps the original
operators in the node's ``subgraphs``; its loader rebuilds the fused op from
that subgraph and rejects attributes it does not know. So, to write files
MXNet loads and to load MXNet's files:

* ``split`` gives a fused node's MXNet attributes and its subgraph;
* ``join`` turns a loaded fused node with a subgraph back into ours (or,
  for subgraphs of another shape, into the plain operators they hold);
* ``representable`` expands the fused nodes MXNet has no form for (dense
  with a folded batch norm, a convolution added to itself) into their
  plain operators before writing.
"""
from ..base import MXNetError
from ..ops import registry
from .symbol import FusedFrom, Node, Symbol, topo_order

FUSED_OPS = ("_sg_mkldnn_conv", "_sg_mkldnn_fully_connected")

# MXNet's spelling of the flags it writes, in the order it checks them.
_CONV_FLAGS = ("with_bn", "with_act", "with_sum", "with_postsum_act")
_FC_FLAGS = ("with_eltwise",)
_FLAG_TEXT = {"_sg_mkldnn_conv": "true", "_sg_mkldnn_fully_connected": "True"}
_BN_KEYS = ("eps", "fix_gamma")
_CHANNELS_LAST = ("NWC", "NHWC", "NDHWC")
# Activation types MXNet's partitioner folds (the fused kernels also know
# softsign, which MXNet leaves as a node of its own).
_FOLDED_ACTIVATIONS = ("relu", "sigmoid", "tanh", "softrelu")
# LeakyReLU modes folded after a convolution (or sum) and after an inner product.
_CONV_LEAKY = ("leaky", "gelu")
_FC_LEAKY = ("leaky", "elu", "gelu")
_FC_UNARY = ("square", "sqrt", "abs", "exp")


def post_op(node, is_conv):
    """``(kind, alpha, beta)`` of the post-op (``nn_fused.POST_OPS``) that
    ``node`` stands for when MXNet 1.9's partitioner folds it after a
    convolution or a sum (``is_conv``) or after an inner product, else None."""
    name = node.op.name
    params = node.params()
    if name == "Activation":
        return (params.act_type, 0.0, 0.0) if params.act_type in _FOLDED_ACTIVATIONS else None
    if name == "clip" and params.a_min == 0:  # a bounded relu (relu6), after either
        return ("clip", params.a_min, params.a_max)
    if name == "LeakyReLU" and params.act_type in (_CONV_LEAKY if is_conv else _FC_LEAKY):
        return (params.act_type, params.slope, 0.0)
    if name in _FC_UNARY and not is_conv:
        return (name, 0.0, 0.0)
    return None


def _post_op_node(attrs, prefix):
    """(operator, attributes) of the node the fused post-op ``prefix`` stands for."""
    kind, alpha, beta = attrs[prefix + "_type"], attrs[prefix + "_alpha"], attrs[prefix + "_beta"]
    if kind == "clip":
        return "clip", {"a_min": repr(alpha), "a_max": repr(beta)}
    if kind in ("leaky", "elu"):
        return "LeakyReLU", {"act_type": kind, "slope": repr(alpha)}
    if kind == "gelu":
        return "LeakyReLU", {"act_type": kind}
    if kind in _FC_UNARY:
        return kind, {}
    return "Activation", {"act_type": kind}


def _base_op(op_name):
    return "Convolution" if op_name == "_sg_mkldnn_conv" else "FullyConnected"


def _flag(node, key):
    return node.op.params.get(key) is not None and bool(node.params()[key])


def _plain_nodes(node, inputs):
    """The plain operators a fused ``node`` stands for, applied to ``inputs``
    (entries in the fused op's input order); returns the last entry. They
    take the names and attributes of the nodes the fused node replaced
    (``Node.fused_from``), as in MXNet's files, else names after ``node``."""
    attrs = node.params()
    origins = iter(node.fused_from.nodes if node.fused_from else ())

    def plain(op_name, role, default_attrs, node_inputs):
        name, op_attrs = next(origins, (f"{node.name}_{role}", default_attrs))
        return Node(registry.get(op_name), name, op_attrs, node_inputs), 0

    base_name = _base_op(node.op.name)
    n_base = 2 + (not attrs.no_bias)
    base_params = registry.get(base_name).params
    entry = plain(base_name, base_name.lower(),
                  {k: v for k, v in node.attrs.items() if k in base_params}, inputs[:n_base])
    rest = list(inputs[n_base:])
    if attrs.with_bn:
        bn_attrs = {k: node.attrs[k] for k in _BN_KEYS if k in node.attrs}
        if base_name == "FullyConnected" or attrs.get("layout") in _CHANNELS_LAST:
            bn_attrs["axis"] = "-1"  # the channel axis is the last one
        entry = plain("BatchNorm", "batchnorm", bn_attrs, [entry] + rest[:4])
        rest = rest[4:]
    if _flag(node, "with_act") or _flag(node, "with_eltwise"):
        op_name, op_attrs = _post_op_node(attrs, "act")
        entry = plain(op_name, "act", op_attrs, [entry])
    if _flag(node, "with_sum"):
        entry = plain("elemwise_add", "add", {}, [entry, entry if attrs.self_sum else rest[0]])
        if attrs.with_postsum_act:
            op_name, op_attrs = _post_op_node(attrs, "postsum_act")
            entry = plain(op_name, "postsum_act", op_attrs, [entry])
    return entry


def _mxnet_can_load(node):
    """MXNet 1.9 folds no batch norm into a dense layer; and it runs no
    convolution whose sum adds the result to itself: its own partitioner
    makes one of ``y + y``, but writes its inputs out of order, and neither
    that file nor one in order binds (a shape error, a crash)."""
    if node.op.name == "_sg_mkldnn_fully_connected":
        return not node.params().with_bn
    return not node.params().self_sum


def split(node):
    """``(attrs, [subgraph Symbol])`` to write for fused ``node`` as MXNet does:
    only the flags that are set, and the original operators over variables
    named after the node's inputs."""
    flags = _CONV_FLAGS if node.op.name == "_sg_mkldnn_conv" else _FC_FLAGS
    attrs = {k: _FLAG_TEXT[node.op.name] for k in flags if _flag(node, k)}
    attrs.update((k, v) for k, v in node.attrs.items() if k.startswith("__"))
    names = node.fused_from.inputs if node.fused_from else subgraph_input_names(
        [src.name if src.op is None else f"{src.name}_output" for src, _ in node.inputs])
    variables = [(Node(None, name), 0) for name in names]
    return attrs, [Symbol([_plain_nodes(node, variables)])]


def subgraph_input_names(bases):
    """MXNet's names for the variables of a subgraph whose inputs are values
    named ``bases`` (a variable's name, or ``<node>_output``): each base
    followed by how many times it came before (``data0``, ``conv_output0``)."""
    seen = {}
    names = []
    for base in bases:
        count = seen.get(base, 0)
        seen[base] = count + 1
        names.append(f"{base}{count}")
    return names


def representable(sym):
    """``sym`` itself, or a copy whose fused nodes MXNet cannot load are
    expanded into their plain operators."""
    nodes = topo_order(sym._outputs)
    if all(n.op is None or n.op.name not in FUSED_OPS or _mxnet_can_load(n) for n in nodes):
        return sym
    copies = {}

    def mapped(entry):
        src, i = entry
        return copies.get(id(src), (src, None))[0], i

    for node in nodes:
        if node.op is None:
            continue
        inputs = [mapped(e) for e in node.inputs]
        if node.op.name in FUSED_OPS and not _mxnet_can_load(node):
            head, _ = _plain_nodes(node, inputs)
            head.name = node.name  # the graph's output names stay
        else:
            head = Node(node.op, node.name, node.attrs, inputs, versions=node.versions)
            head.fused_from = node.fused_from
        copies[id(node)] = (head, None)
    return Symbol([mapped(e) for e in sym._outputs])


def join(op, name, attrs, subgraphs, inputs, versions):
    """The node for a fused op read from MXNet's JSON: ours (its input entries'
    ``versions`` kept) when its subgraph is a pattern our kernel computes,
    else the subgraph's plain operators applied to ``inputs`` (the entry they
    produce is returned as a node whose output 0 it is)."""
    if len(subgraphs) != 1:
        raise MXNetError(f"load_json: node {name!r} ({op.name}) needs 1 subgraph, "
                         f"got {len(subgraphs)}")
    if attrs.get("quantized", "false").lower() in ("true", "1"):
        raise MXNetError(f"load_json: node {name!r} is a quantized {op.name}, which is not "
                         "supported here (load the float model and quantize it here)")
    [sub] = subgraphs
    ops = [n for n in topo_order(sub._outputs) if n.op is not None]
    unknown = [k for k in attrs if not k.startswith("__") and k not in _CONV_FLAGS + _FC_FLAGS]
    ours = None if unknown else _fused_attrs(op.name, ops, attrs)
    if ours is not None:
        op.parse({k: v for k, v in ours.items() if k in op.params})  # fails naming the field
        variables = [n.name for n in topo_order(sub._outputs) if n.op is None]
        if ours.get("self_sum"):
            inputs, versions = _in_subgraph_order(variables, inputs, versions)
        node = Node(op, name, ours, inputs, versions=versions)
        node.fused_from = FusedFrom(tuple((n.name, n.attrs) for n in ops),
                                    tuple(variables))  # written back alike
        return node
    return _inline(name, sub, inputs)


def _in_subgraph_order(variables, inputs, versions):
    """``(inputs, versions)`` in the order of the subgraph's ``variables``.
    MXNet 1.9.1 writes a fused ``y + y`` with its inputs out of that order
    (weight, bias, data); the variables' names (``subgraph_input_names``)
    tell each input's place. Inputs the names do not match stay as given."""
    names = subgraph_input_names([src.name if src.op is None else f"{src.name}_output"
                                  for src, _ in inputs])
    if sorted(names) != sorted(variables):
        return inputs, versions
    place = {name: i for i, name in enumerate(names)}
    order = [place[v] for v in variables]
    return [inputs[i] for i in order], None if versions is None else [versions[i] for i in order]


def _fused_attrs(op_name, ops, attrs):
    """Our attributes for a subgraph of ``ops`` (topological order), or None
    when it is not base op -> [BatchNorm] -> [act] -> [add -> [act]]."""
    expected = _base_op(op_name)
    if not ops or ops[0].op.name != expected:
        return None
    out = {k: v for k, v in attrs.items() if k.startswith("__")}
    out.update(ops[0].attrs)
    is_conv = expected == "Convolution"
    rest = ops[1:]
    if is_conv and rest and rest[0].op.name == "BatchNorm":
        out["with_bn"] = "true"
        out.update((k, rest[0].attrs[k]) for k in _BN_KEYS if k in rest[0].attrs)
        rest = rest[1:]
    if rest and _loaded_post_op(rest[0], is_conv):
        out["with_act" if is_conv else "with_eltwise"] = _FLAG_TEXT[op_name]
        out.update(_loaded_post_op(rest[0], is_conv))
        rest = rest[1:]
    if is_conv and rest and rest[0].op.name == "elemwise_add":
        out["with_sum"] = "true"
        if rest[0].inputs[0] == rest[0].inputs[1]:
            out["self_sum"] = "true"
        rest = rest[1:]
        if rest and _loaded_post_op(rest[0], True, "postsum_act"):
            out["with_postsum_act"] = "true"
            out.update(_loaded_post_op(rest[0], True, "postsum_act"))
            rest = rest[1:]
    return None if rest else out


def _loaded_post_op(node, is_conv, prefix="act"):
    """Our attributes for the post-op ``node`` of a loaded subgraph (any
    Activation type counts), or an empty dict when it is none."""
    if node.op.name == "Activation":
        found = (node.attrs.get("act_type", "relu"), 0.0, 0.0)
    else:
        found = post_op(node, is_conv)
    if found is None:
        return {}
    return post_op_attrs(prefix, found)


def post_op_attrs(prefix, entry):
    """A fused node's attributes for post-op ``prefix`` ('act' or
    'postsum_act') given ``(kind, alpha, beta)``."""
    kind, alpha, beta = entry
    return {prefix + "_type": kind, prefix + "_alpha": repr(alpha), prefix + "_beta": repr(beta)}


def _inline(name, sub, inputs):
    variables = [n for n in topo_order(sub._outputs) if n.op is None]
    if len(variables) != len(inputs):
        raise MXNetError(f"load_json: node {name!r} has {len(inputs)} inputs but its "
                         f"subgraph takes {len(variables)}")
    copies = {id(v): e for v, e in zip(variables, inputs)}
    for node in topo_order(sub._outputs):
        if node.op is not None:
            copies[id(node)] = (Node(node.op, node.name, node.attrs,
                                     [_copied(copies, e) for e in node.inputs]), 0)
    head, index = sub._outputs[0]
    if index != 0:
        raise MXNetError(f"load_json: node {name!r}: a subgraph whose output is not its "
                         "last operator's first output cannot be expanded")
    return copies[id(head)][0]


def _copied(copies, entry):
    src, i = entry
    node, j = copies[id(src)]
    return node, (j if src.op is None else i)
