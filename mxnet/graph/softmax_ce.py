"""Cross-entropy fusion: the softmax cross-entropy chain of a compiled
program runs as the one operator that imperative Gluon calls.

A hybridized ``SoftmaxCrossEntropyLoss`` (logits, sparse labels, 2-d scores)
traces ``log_softmax -> pick -> negative -> mean``: four steps forward and
four gradient steps backward. ``_softmax_ce_per_example`` evaluates the same
kernels in the same order, and its gradient op the same gradient, so the
chain becomes one step each way with values equal bit for bit.

``find_chains`` matches the chain on the graph; the gradient pass then
differentiates a matched chain through the fused op's rule (so backward
reads the scores, not the log-probabilities), and ``fuse_chains`` replaces
the chain's forward steps. Plans that run with a monitor keep the four plain
steps, so every node still shows; their values feed the same backward.
"""
import numpy as np

from ..ops import registry
from .fold import consumers

FUSED = "_softmax_ce_per_example"
_FLOATS = ("float32", "float64")


class Chain:
    """A matched chain: its ``data`` and ``label`` entries, its inner nodes
    (log_softmax, pick, negation) and the ``tail`` (mean) node it ends in."""
    __slots__ = ("data", "label", "inner", "tail")

    def __init__(self, data, label, inner, tail):
        self.data, self.label, self.inner, self.tail = data, label, inner, tail


def fused_attrs():
    """The (parameterless) attrs of the fused op."""
    return registry.get(FUSED).parse({})


def _is_last_axis(axis, ndim=2):
    return axis in (-1, ndim - 1)


def _negates(node):
    if node.op.name == "negative":
        return True
    return node.op.name == "_mul_scalar" and float(node.params().scalar) == -1.0


def _reduces_classes(node):
    """Whether a mean node turns (N, 1) into (N,): over every axis but the
    batch, or over axis 1, without keepdims."""
    attrs = node.params()
    if attrs.keepdims or attrs.axis is None:
        return False
    axis = tuple(attrs.axis) if isinstance(attrs.axis, (tuple, list)) else (attrs.axis,)
    return axis == (0,) if attrs.exclude else axis in ((1,), (-1,))


def _single_user(users, node):
    return len(users.get((id(node), 0), ())) == 1


def find_chains(nodes, outputs, shapes, dtypes):
    """{id(tail node): Chain} for every fusable chain among ``nodes``;
    ``shapes``/``dtypes`` map entries to inferred shapes and dtype names."""
    users = consumers(nodes, outputs)
    chains = {}
    for tail in nodes:
        chain = _match(tail, users, shapes, dtypes)
        if chain is not None:
            chains[id(tail)] = chain
    return chains


def _match(tail, users, shapes, dtypes):
    if tail.op is None or tail.op.name != "mean" or not _reduces_classes(tail):
        return None
    neg = tail.inputs[0][0]
    if neg.op is None or not _negates(neg) or not _single_user(users, neg):
        return None
    pick = neg.inputs[0][0]
    if pick.op is None or pick.op.name != "pick" or not _single_user(users, pick):
        return None
    pattrs = pick.params()
    if not (_is_last_axis(pattrs.axis) and pattrs.keepdims and pattrs.mode == "clip"):
        return None
    soft = pick.inputs[0][0]
    if soft.op is None or soft.op.name != "log_softmax" or not _single_user(users, soft) \
            or pick.inputs[0][1] != 0:
        return None
    sattrs = soft.params()
    if not _is_last_axis(sattrs.axis) or sattrs.temperature is not None or \
            sattrs.dtype is not None or sattrs.use_length:
        return None
    data, label = soft.inputs[0], pick.inputs[1]
    data_shape = shapes.get((id(data[0]), data[1]))
    label_shape = shapes.get((id(label[0]), label[1]))
    if data_shape is None or label_shape is None or len(data_shape) != 2 or \
            int(np.prod(label_shape)) != data_shape[0] or \
            dtypes.get((id(data[0]), data[1])) not in _FLOATS:
        return None
    return Chain(data, label, (soft, pick, neg), tail)


def fuse_chains(steps, chains, slot_of, keep, make_step):
    """``steps`` with each matched chain's four steps replaced by one fused
    step at the tail's place. A chain stays when a value inside it is read
    elsewhere (``keep``) or a step between its first and last updates the
    scores or labels in place."""
    if not chains:
        return steps
    at = {step.outs[0]: i for i, step in enumerate(steps) if step.outs}
    drop, replace = set(), {}
    for chain in chains.values():
        inner = [slot_of.get((id(n), 0)) for n in chain.inner]
        tail = slot_of.get((id(chain.tail), 0))
        if tail not in at or any(s not in at or s in keep for s in inner):
            continue
        first, last = at[inner[0]], at[tail]
        ins = [slot_of[(id(chain.data[0]), chain.data[1])],
               slot_of[(id(chain.label[0]), chain.label[1])]]
        if any(set(ins).intersection(_mutated(steps[k])) for k in range(first, last)):
            continue
        drop.update(at[s] for s in inner)
        replace[last] = make_step(registry.get(FUSED), fused_attrs(), ins, [tail],
                                  chain.tail.name, chain.tail.output_names())
    return [replace.get(i, step) for i, step in enumerate(steps) if i not in drop]


def _mutated(step):
    return [step.ins[p] for p in step.op.mutate_inputs(step.attrs, len(step.ins))]
