"""Inference folding: Convolution / FullyConnected followed by BatchNorm,
an activation and a residual sum become one fused node.

The patterns are MXNet's oneDNN subgraph patterns:

* a 2-D/3-D ``Convolution -> [BatchNorm] -> ([act] | [elemwise_add(other) -> [act]])``
  becomes ``_sg_mkldnn_conv`` (with_bn, with_act, with_sum, with_postsum_act;
  MXNet adds no sum after an activation and leaves 1-D convolutions alone);
  the sum may add the value to itself (``y + y``, ``self_sum``);
* ``FullyConnected -> [BatchNorm] -> [act]`` becomes
  ``_sg_mkldnn_fully_connected`` (with_bn, with_eltwise).

An act is what MXNet 1.9's partitioner folds there: an ``Activation`` of
type relu, sigmoid, tanh or softrelu; a ``clip`` from 0 (relu6); after a
convolution or a sum also ``LeakyReLU`` leaky or gelu; after an inner
product also ``LeakyReLU`` leaky, elu or gelu and ``square``, ``sqrt``,
``abs``, ``exp`` (the standalone ``relu``/``sigmoid`` operators nowhere). As
in MXNet, an inner product or a convolution with nothing to fuse becomes a
fused node too.

A node joins the chain only when its input is read by nothing else (and is
not a graph output); a BatchNorm only when its mean/var outputs are unused
and it normalises the product's channel axis. Batch norm always uses its
moving statistics in the fused op, so the rewritten graph is for inference
(``is_train=False``) only. The fused nodes take the original parameters as
inputs (``conv_weight``, ``bn_gamma``, ``bn_moving_mean``...), so the same
arrays bind to the folded graph and parameter updates show in its results.

``Dropout`` in its default ``mode='training'`` is removed too: at inference
it is the identity, yet each call copied its input and drew random state
(about 0.15 ms per call in AlexNet and VGG at batch 1). For a compiled
program's inference plan, when its mask is unused and it is not a graph
output; for ``optimize_for`` (``export``), where MXNet's partitioner does
it, when its input is an operator's output (not a variable), graph outputs
included.
"""
from ..ops import registry
from ..symbol.fused_json import post_op, post_op_attrs, subgraph_input_names
from ..symbol.symbol import FusedFrom, Node, input_versions, topo_order

_CHANNELS_LAST = ("NWC", "NHWC", "NDHWC")


class _Chain:
    """A matched pattern: the nodes it replaces and the fused node's parts."""

    def __init__(self, base):
        self.base = base
        self.nodes = [base]
        self.bn = None
        self.act = None
        self.add = None
        self.sum_entry = None
        self.postsum_act = None

    @property
    def last(self):
        return self.nodes[-1]


def consumers(nodes, outputs):
    """{(id(node), index): [consumer nodes]}, graph outputs counted as a None consumer."""
    users = {}
    for node in nodes:
        for src, i in node.inputs:
            users.setdefault((id(src), i), []).append(node)
    for node, i in outputs:
        users.setdefault((id(node), i), []).append(None)
    return users


def _only_user(users, node, taken):
    """The single consumer of ``node``'s first output (which may read it more
    than once, as ``y + y``), unless it is a graph output or already part of
    another chain (``taken``)."""
    found = users.get((id(node), 0), [])
    if not found or found[0] is None or id(found[0]) in taken or \
            any(user is not found[0] for user in found):
        return None
    return found[0]


def _bn_channel_ok(base, bn):
    """Whether BatchNorm ``bn`` normalises the channel axis of ``base``'s output."""
    if bn.op.name != "BatchNorm":
        return False
    axis = bn.params().axis
    attrs = base.params()
    if base.op.name == "FullyConnected":
        return axis == -1 or (attrs.flatten and axis == 1)
    if attrs.layout in _CHANNELS_LAST:
        return axis in (-1, len(attrs.layout) - 1)
    return axis == 1


def _match(node, users, taken):
    """The chain starting at ``node``, or None. Every inner product and 2-D/3-D
    convolution makes one, even with nothing to fuse, as in MXNet: the fused
    kernels keep their weights reordered for oneDNN between calls."""
    is_conv = node.op.name == "Convolution"
    if not (is_conv or node.op.name == "FullyConnected"):
        return None
    if is_conv and len(node.params().kernel) not in (2, 3):
        return None
    chain = _Chain(node)
    nxt = _only_user(users, node, taken)
    if nxt is not None and nxt.inputs[0] == (node, 0) and nxt.inputs.count((node, 0)) == 1 \
            and _bn_channel_ok(node, nxt) and not users.get((id(nxt), 1)) \
            and not users.get((id(nxt), 2)):
        chain.bn = nxt
        chain.nodes.append(nxt)
        nxt = _only_user(users, nxt, taken)
    if nxt is not None and post_op(nxt, is_conv) is not None:
        chain.act = nxt
        chain.nodes.append(nxt)
        nxt = _only_user(users, nxt, taken)
    if is_conv and chain.act is None and nxt is not None and nxt.op.name == "elemwise_add":
        mine = (chain.last, 0)
        others = [e for e in nxt.inputs if e != mine]
        if len(others) <= 1:  # none: the value added to itself
            chain.add, chain.sum_entry = nxt, (others[0] if others else None)
            chain.nodes.append(nxt)
            nxt = _only_user(users, nxt, taken)
            if nxt is not None and post_op(nxt, True) is not None:
                chain.postsum_act = nxt
                chain.nodes.append(nxt)
    return chain


def _fused_node(chain, name, input_names, versions):
    base = chain.base
    is_conv = base.op.name == "Convolution"
    op = registry.get("_sg_mkldnn_conv" if is_conv else "_sg_mkldnn_fully_connected")
    attrs = {k: v for k, v in base.attrs.items() if k in base.op.params}
    if chain.bn is not None:
        attrs["with_bn"] = "true"
        for key in ("eps", "fix_gamma"):
            if key in chain.bn.attrs:
                attrs[key] = chain.bn.attrs[key]
    if chain.act is not None:
        attrs["with_act" if is_conv else "with_eltwise"] = "true" if is_conv else "True"
        attrs.update(post_op_attrs("act", post_op(chain.act, is_conv)))
    if chain.add is not None:
        attrs["with_sum"] = "true"
        if chain.sum_entry is None:
            attrs["self_sum"] = "true"
    if chain.postsum_act is not None:
        attrs["with_postsum_act"] = "true"
        attrs.update(post_op_attrs("postsum_act", post_op(chain.postsum_act, True)))
    fused = Node(op, name, attrs, _chain_inputs(chain),
                 versions=_chain_inputs(chain, versions))
    fused.fused_from = FusedFrom(tuple((n.name, n.attrs) for n in chain.nodes), input_names)
    return fused


def _chain_inputs(chain, versions=None):
    """The fused node's inputs: the product's, the batch norm's parameters and
    statistics, the sum's other operand; or, given ``versions`` (of the
    original nodes' input entries), those entries' versions, which MXNet's
    partitioner keeps."""
    def of(node):
        return node.inputs if versions is None else versions[id(node)]
    inputs = list(of(chain.base))
    if chain.bn is not None:
        inputs += of(chain.bn)[1:5]
    if chain.sum_entry is not None:
        inputs.append(of(chain.add)[chain.add.inputs.index(chain.sum_entry)])
    return inputs


def _names(chains, skipped):
    """MXNet's names for ``chains`` (in the order of their first node, which
    is MXNet's order of partitioning): the fused node's, ``sg_mkldnn_<kind>
    _<parts>_<index among its kind>``, and its subgraph's variables', after
    each input's producer at that point (past the ``skipped`` Dropouts, which
    MXNet removes first): a fused node made before, else the original node."""
    counters, made, names = {}, {}, []
    for chain in chains:
        is_conv = chain.base.op.name == "Convolution"
        kind = "conv" if is_conv else "fully_connected"
        parts = [part for part, node in (("bn", chain.bn),
                                         ("act" if is_conv else "eltwise", chain.act),
                                         ("add", chain.add), ("act", chain.postsum_act))
                 if node is not None]
        index = counters.get(kind, 0)
        counters[kind] = index + 1
        name = "_".join(["sg_mkldnn", kind] + parts + [str(index)])
        sources = [_past(entry, skipped)[0] for entry in _chain_inputs(chain)]
        bases = [src.name if src.op is None else f"{made.get(id(src), src.name)}_output"
                 for src in sources]
        made[id(chain.last)] = name
        names.append((name, tuple(subgraph_input_names(bases))))
    return names


def _past(entry, skipped):
    """``entry``, or the entry a chain of ``skipped`` Dropouts passes on."""
    while id(entry[0]) in skipped:
        entry = skipped[id(entry[0])]
    return entry


def _inference_identity(node, users, export):
    """Whether ``node`` is a Dropout that does nothing at inference and whose
    output can be read straight from its input (its mask is unused; and, for
    an inference plan, its output is not a graph output; for ``export``, as
    MXNet, its input is an operator's output)."""
    if node.op.name != "Dropout" or node.params().mode != "training" or \
            users.get((id(node), 1)):
        return False
    if export:
        return node.inputs[0][0].op is not None
    return None not in users.get((id(node), 0), ())


def fold_graph(outputs, export=False):
    """A copy of the graph of ``outputs`` (entries) with the patterns above
    replaced by fused nodes and training-mode Dropout removed, for an
    inference plan or, with ``export``, as MXNet's ``optimize_for`` does;
    returns ``(new_outputs, number of rewrites)``. Variables are shared with
    the original graph; op nodes are new."""
    nodes = topo_order(outputs)
    versions = input_versions(nodes)
    users = consumers(nodes, outputs)
    matched, absorbed = [], set()
    for node in nodes:
        if node.op is None or id(node) in absorbed:
            continue
        chain = _match(node, users, absorbed)
        if chain is not None:
            matched.append(chain)
            absorbed.update(id(n) for n in chain.nodes)
    skipped = {id(n): n.inputs[0] for n in nodes if n.op is not None and id(n) not in absorbed
               and _inference_identity(n, users, export)}
    chains = {id(chain.last): (chain, names)
              for chain, names in zip(matched, _names(matched, skipped))}
    copies = {}

    def mapped(entry):
        src, i = _past(entry, skipped)
        return (src, i) if src.op is None else (copies[id(src)], i)
    for node in nodes:
        if node.op is None or id(node) in skipped:
            continue
        chain = chains.get(id(node))
        if chain is not None:
            fused = _fused_node(chain[0], *chain[1], versions)
            fused.inputs = [mapped(e) for e in fused.inputs]
            copies[id(node)] = fused
        elif id(node) not in absorbed:
            copy = Node(node.op, node.name, node.attrs, [mapped(e) for e in node.inputs],
                        versions[id(node)])
            copy.fused_from = node.fused_from  # (a graph folded before)
            copies[id(node)] = copy
    return [mapped(e) for e in outputs], len(chains) + len(skipped)
