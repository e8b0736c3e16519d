"""FullyConnected steps followed by their activation run as one fused step.

A Dense layer with an activation compiles to a FullyConnected step whose
output only the Activation step reads. Folding (``fold``) fuses such pairs for
inference at the graph level; training plans cannot use that graph, as its
fused nodes have no gradient, but their forward steps can still be fused: the
backward steps are compiled from the unfused graph and read the activation's
output (every activation's gradient is computed from its output), never the
product itself. The pair becomes one ``_FusedDenseActivation`` step, which
runs the kernels of the inference op ``_sg_mkldnn_fully_connected`` (product
and activation, no batch norm): oneDNN applies the activation as a post-op
while the output is in cache, instead of as another kernel call and pass
over it (about 20 us per 128x256 layer on one core). It has its own name as
it is no folded inference node: profiles and plans show a training fusion.

Only ReLU is merged: its post-op gives exactly the Activation kernel's
values, while oneDNN's tanh and sigmoid differ from it in the last bits
(up to ~1e-6 absolute in gradients), which would make a compiled training
run drift from the imperative one.
"""
import numpy as np

from .. import backends
from ..ops import registry
from ..ops.registry import OpDef

_ACTIVATIONS = ("relu",)
_PRODUCT_OP = registry.get("_sg_mkldnn_fully_connected")


def _dense_activation(xp, attrs, *args):
    """Kernel of the fused step: ``attrs`` are ``_sg_mkldnn_fully_connected``'s."""
    if xp is np:  # through its overrides (oneDNN) when they take the call
        return backends.compute_host(_PRODUCT_OP, attrs, list(args))
    return _PRODUCT_OP.compute(xp, attrs, *args)


FUSED_OP = OpDef("_FusedDenseActivation", _dense_activation, inputs=(),
                 doc="FullyConnected and the activation reading it, in one kernel call.")


def fuse_dense_activation(steps, keep, make_step):
    """``steps`` with each FullyConnected step whose output is read only by
    one Activation step (and is not in ``keep``: pinned, or read by a later
    phase) merged with that step. ``make_step(op, attrs, ins, outs, name,
    out_names)`` builds the merged step."""
    readers = {}
    for i, step in enumerate(steps):
        for s in step.ins:
            readers.setdefault(s, []).append(i)
    merged = {}  # index of the FullyConnected step -> index of its Activation step
    for i, step in enumerate(steps):
        if step.op.name != "FullyConnected" or len(step.outs) != 1 or step.outs[0] in keep:
            continue
        found = readers.get(step.outs[0], ())
        if len(found) == 1 and _is_fusable_activation(steps[found[0]]):
            merged[i] = found[0]
    if not merged:
        return steps
    absorbed = set(merged.values())
    out = []
    for i, step in enumerate(steps):
        if i in absorbed:
            continue
        if i in merged:
            act = steps[merged[i]]
            attrs = {k: v for k, v in step.attrs.items() if k in step.op.params}
            attrs.update(with_eltwise=True, act_type=act.attrs.act_type)
            step = make_step(FUSED_OP, _PRODUCT_OP.parse(attrs), step.ins, act.outs, step.name,
                             act.out_names)
        out.append(step)
    return out


def _is_fusable_activation(step):
    return step.op.name == "Activation" and len(step.ins) == 1 \
        and step.attrs.act_type in _ACTIVATIONS
