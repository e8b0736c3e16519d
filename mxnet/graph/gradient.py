"""The gradient pass: the backward graph of a symbol graph, from the same
gradient rules autograd uses.

Walking the forward nodes from outputs to inputs, each op's rule is called
with ``F`` = a ``TraceFrontEnd`` and traced values carrying the inferred
shapes, so the rule's operator calls become backward nodes. Gradients
reaching one entry from several consumers are summed.
"""
from ..base import MXNetError
from ..ops import registry
from ..ops.registry import call_gradient
from ..symbol.symbol import Node, topo_order
from . import softmax_ce
from .trace import TraceFrontEnd, TraceValue


def build_backward(outputs, shapes, dtypes, wrt, mirror=None, ce_chains=None):
    """Trace the backward graph of forward ``outputs``.

    ``shapes``/``dtypes`` map ``(id(node), index)`` to the inferred shape
    and dtype name of every forward entry; ``wrt`` lists the entries to
    differentiate with respect to. Returns ``(front, heads, grads)``: the
    front end holding the new nodes in order, one head-gradient variable
    value per output (fed at run time), and one gradient value (or None)
    per ``wrt`` entry.

    ``mirror(node) -> bool`` selects forward nodes whose outputs the backward
    pass recomputes from their inputs instead of reading them (memonger), so
    the forward pass can drop them early.

    ``ce_chains`` ({id(tail node): softmax_ce.Chain}) are differentiated as
    the one fused cross-entropy op they compute."""
    front = TraceFrontEnd()
    recomputed = {}

    def value(entry):
        node, index = entry
        if mirror is not None and node.op is not None and mirror(node):
            return recompute(node)[index]
        key = (id(node), index)
        return TraceValue(entry, shapes[key], dtypes[key], front)

    def recompute(node):
        if id(node) not in recomputed:
            clone = Node(node.op, f"{node.name}_mirror", node.attrs,
                         [value(e).entry for e in node.inputs])
            front.nodes.append(clone)
            outs = []
            for i in range(node.num_outputs()):
                key = (id(node), i)
                front.shapes[(id(clone), i)] = (shapes[key], dtypes[key])
                outs.append(TraceValue((clone, i), shapes[key], dtypes[key], front))
            recomputed[id(node)] = outs
        return recomputed[id(node)]

    heads = []
    grads = {}
    terms = {}  # entry key -> the gradients summed into it (for monitors)
    front.backward_log = []  # see backward_reports.py

    def add(key, g):
        _accumulate(grads, key, g)
        terms.setdefault(key, []).append(g)

    def log_sum(key, total):
        if len(terms.get(key, ())) > 1:
            front.backward_log.append(("sum", terms[key], total))

    for i, entry in enumerate(outputs):
        key = (id(entry[0]), entry[1])
        head_node = Node(None, f"_head_grad{i}")
        head = TraceValue((head_node, 0), shapes[key], dtypes[key], front)
        heads.append(head)
        add(key, head)
    needed = _depends_on(outputs, wrt)
    for node in reversed(topo_order(outputs)):
        if node.op is None or id(node) not in needed:
            continue
        n_out = node.num_outputs()
        out_grads = [grads.pop((id(node), i), None) for i in range(n_out)]
        if all(g is None for g in out_grads):
            continue
        for i, g in enumerate(out_grads):
            log_sum((id(node), i), g)
        outs = [value((node, i)) for i in range(n_out)]
        out_grads = [front.zeros_like(y) if g is None else g for g, y in zip(out_grads, outs)]
        chain = ce_chains.get(id(node)) if ce_chains else None
        if chain is not None:
            _fused_ce_gradient(chain, front, value, outs, out_grads, needed, add)
            continue
        if node.op.gradient is None:
            raise MXNetError(f"gradient: operator {node.op.name} (node {node.name}) has no "
                             "gradient rule")
        ins = [value(e) for e in node.inputs]
        in_grads = call_gradient(node.op, [id(e[0]) in needed for e in node.inputs], front,
                                 node.params(), ins, outs, out_grads)
        if len(in_grads) != len(ins):
            raise MXNetError(f"{node.op.name}: gradient rule returned {len(in_grads)} "
                             f"gradients for {len(ins)} inputs")
        front.node_grads.append((node, [g if id(e[0]) in needed else None
                                         for e, g in zip(node.inputs, in_grads)]))
        front.backward_log.append(("node", node, front.node_grads[-1][1], out_grads))
        for entry, g in zip(node.inputs, in_grads):
            if g is not None and id(entry[0]) in needed:
                add((id(entry[0]), entry[1]), g)
    for n, i in wrt:
        log_sum((id(n), i), grads.get((id(n), i)))
    return front, heads, [grads.get((id(n), i)) for n, i in wrt]


def _fused_ce_gradient(chain, front, value, outs, out_grads, needed, add):
    """Gradients of a softmax cross-entropy chain, through the fused op's rule,
    added to its scores and labels (its inner nodes get none)."""
    op = registry.get(softmax_ce.FUSED)
    entries = [chain.data, chain.label]
    in_grads = call_gradient(op, [id(e[0]) in needed for e in entries], front,
                             softmax_ce.fused_attrs(), [value(e) for e in entries], outs,
                             out_grads)
    for entry, g in zip(entries, in_grads):
        if g is not None and id(entry[0]) in needed:
            add((id(entry[0]), entry[1]), g)


def _accumulate(grads, key, g):
    prev = grads.get(key)
    grads[key] = g if prev is None else prev + g


def _depends_on(outputs, wrt):
    """Ids of the nodes on some path from a ``wrt`` entry to an output."""
    targets = {id(n) for n, _ in wrt}
    reaches = {}
    for node in topo_order(outputs):
        reaches[id(node)] = id(node) in targets or any(reaches[id(src)] for src, _ in node.inputs)
    return {k for k, v in reaches.items() if v}


# Ops cheap enough to recompute in the backward pass (elementwise and layout
# ops); heavy or stateful ones (convolution, dense, normalisation with moving
# statistics, random ops) keep their outputs.
_CHEAP_OPS = frozenset((
    "Activation", "LeakyReLU", "relu", "sigmoid", "tanh", "softsign", "exp", "log", "sqrt",
    "square", "abs", "negative", "reciprocal", "elemwise_add", "elemwise_sub", "elemwise_mul",
    "elemwise_div", "broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div",
    "_plus_scalar", "_minus_scalar", "_mul_scalar", "_div_scalar", "_rminus_scalar",
    "_rdiv_scalar", "Cast", "Reshape", "Flatten", "expand_dims", "transpose", "clip",
    "_copy", "BlockGrad"))


def mirror_policy(enabled):
    """The node predicate for ``build_backward``: nodes with the attribute
    ``__force_mirroring__`` set to True, and, when ``enabled``
    (``MXNET_BACKWARD_DO_MIRROR=1``), cheap ops unless ``__mirror_stage__``
    says False."""
    def mirror(node):
        forced = node.attrs.get("__force_mirroring__")
        if forced is not None:
            return forced.lower() in ("true", "1")
        if not enabled:
            return False
        stage = node.attrs.get("__mirror_stage__")
        if stage is not None and stage.lower() in ("false", "0"):
            return False
        return node.op.name in _CHEAP_OPS and not (node.op.name == "LeakyReLU" and
                                                    node.params().act_type == "rrelu")
    return mirror
