"""Compile a graph into a flat list of kernel calls over numbered buffers.

``compile_steps`` keeps only the nodes the wanted entries need (dead-node
elimination), numbers every entry (a slot), and computes liveness: each step
lists the slots whose last reader it is, so the runner drops intermediate
arrays as soon as nothing needs them. That bounds peak memory by what is
live at once instead of everything computed.

``assign_layouts`` lets activations stay in a backend's own layout (oneDNN's
blocked formats) from one layout-aware kernel to the next, so a chain of
convolutions and poolings is reordered only where it enters and leaves; in
training plans the same holds across forward and backward steps, for the
gradients too.
"""
import numpy as np

from .. import backends
from ..backends import layout_kernel
from ..ops import nn_fused

# Ops whose kernels keep work derived from their parameter inputs (folded,
# reordered weights) when given those inputs' engine vars (``const_vars``):
# op name -> positions(attrs, n_inputs) of the parameter inputs.
_CONSTANT_INPUTS = {"_sg_mkldnn_conv": nn_fused.constant_positions,
                    "_sg_mkldnn_fully_connected": nn_fused.constant_positions}

# Set by mxnet.profiler while it records graph steps (else None).
_profiler_hook = None


class Step:
    """One kernel call: op, parsed attrs, input slots, output slots, slots to
    free after; ``consts``: the input slots whose vars the kernel gets as
    ``const_vars`` (None: it gets none); ``layout``: the layout-aware kernel
    that runs it on cpu (None: the normal dispatch), leaving its output in
    the backend's layout when ``keep_out``; ``donated``: input positions
    whose storage that kernel may write its output into."""
    __slots__ = ("op", "attrs", "ins", "outs", "free", "name", "out_names", "rng", "is_train",
                 "consts", "layout", "keep_out", "donated")

    def __init__(self, node, ins, outs, attrs=None):
        self.op = node.op
        self.attrs = node.params() if attrs is None else attrs
        self.ins = ins
        self.outs = outs
        self.free = ()
        self.name = node.name
        self.out_names = node.output_names()
        self.rng = "rng" in node.op.resources
        self.is_train = "is_train" in node.op.resources
        self.consts = None
        self.layout, self.keep_out, self.donated = None, False, ()

    @classmethod
    def make(cls, op, attrs, ins, outs, name, out_names):
        """A step that no graph node describes (a fused group of nodes)."""
        step = cls.__new__(cls)
        step.op, step.attrs, step.ins, step.outs = op, attrs, list(ins), list(outs)
        step.free, step.name, step.out_names = (), name, out_names
        step.rng = "rng" in op.resources
        step.is_train = "is_train" in op.resources
        step.consts = None
        step.layout, step.keep_out, step.donated = None, False, ()
        return step

    def copy(self):
        """The same call with its own liveness (``free``)."""
        step = Step.__new__(Step)
        for key in Step.__slots__:
            setattr(step, key, getattr(self, key))
        return step


def needed_nodes(nodes, wanted):
    """The nodes (from topologically ordered ``nodes``) that ``wanted`` entries need."""
    need = {id(n) for n, _ in wanted}
    for node in reversed(nodes):
        if id(node) in need:
            for src, _ in node.inputs:
                need.add(id(src))
    return [n for n in nodes if id(n) in need]


def compile_steps(nodes, slot_of, wanted, attrs_of=None, input_slots=()):
    """Steps for the op nodes of ``nodes`` (topologically ordered) needed by
    ``wanted``; ``slot_of`` maps entry keys to slot numbers (extended here);
    ``attrs_of`` gives specialised attributes for some nodes (by id).
    Kernels that keep work derived from parameters get ``consts`` when all
    their parameter inputs are among ``input_slots`` (the graph's inputs,
    whose arrays carry engine vars)."""
    steps = []
    input_slots = set(input_slots)
    for node in needed_nodes(nodes, wanted):
        if node.op is None:
            continue
        ins = [slot_of[(id(src), i)] for src, i in node.inputs]
        outs = [slot_of.setdefault((id(node), i), len(slot_of))
                for i in range(node.num_outputs())]
        step = Step(node, ins, outs, (attrs_of or {}).get(id(node)))
        positions = _CONSTANT_INPUTS.get(node.op.name)
        if positions is not None:
            consts = tuple(ins[p] for p in positions(step.attrs, len(ins)))
            if all(s in input_slots for s in consts):
                step.consts = consts
        steps.append(step)
    return steps


def assign_frees(steps, pinned, keep_after=()):
    """Set each step's ``free`` list from liveness; slots in ``keep_after``
    (read by a later phase) survive this list of steps."""
    last = {}
    for i, step in enumerate(steps):
        for s in step.ins:
            last[s] = i
        for s in step.outs:
            last.setdefault(s, i)  # written but never read: free right away
    keep = set(pinned) | set(keep_after)
    frees = [[] for _ in steps]
    for slot, i in last.items():
        if slot not in keep:
            frees[i].append(slot)
    for step, f in zip(steps, frees):
        step.free = tuple(f)


def assign_layouts(steps, pinned):
    """Give the steps whose ops have a layout-aware kernel that kernel, and
    let one keep its (first) output in the backend's layout when that output
    is no program input or output (``pinned``) and every step reading it
    takes that layout at that input position. Everything else reads plain
    arrays. A kept tensor read for the last time (``free``, after
    ``assign_frees``) at an input its reader can reuse is donated to that
    reader. A training program passes its forward and backward steps as one
    list, so a value saved for backward stays in the backend's layout only
    if its backward readers take it too."""
    readers = {}
    for step in steps:
        step.layout, step.keep_out, step.donated = layout_kernel(step.op.name), False, ()
        for pos, s in enumerate(step.ins):
            readers.setdefault(s, []).append((step, pos))
    pinned = set(pinned)
    for step in steps:
        if step.layout is None or not step.outs or step.outs[0] in pinned:
            continue
        found = readers.get(step.outs[0], ())
        step.keep_out = bool(found) and all(
            r.layout is not None and pos in r.layout.accepts(r.attrs, len(r.ins))
            for r, pos in found)
    kept = {step.outs[0] for step in steps if step.keep_out}
    for step in steps:
        if step.layout is not None and step.layout.reusable is not None:
            step.donated = tuple(
                pos for pos in step.layout.reusable(step.attrs, len(step.ins))
                if step.ins[pos] in kept and step.ins[pos] in step.free
                and step.ins.count(step.ins[pos]) == 1)


def as_plain(value):
    """``value`` as the array default kernels read: a backend's layout-held
    tensor (which answers ``plain()``) converted, anything else as it is."""
    convert = getattr(value, "plain", None)
    return value if convert is None else convert()


def run_steps(steps, slots, ctx, is_train, rng, monitor=None, slot_vars=None):
    """Execute ``steps`` for device ``ctx`` over the list ``slots`` in place;
    ``monitor(step, slots)`` sees each step's outputs before anything is freed.
    ``slot_vars`` ({input slot: engine var}) lets steps with ``consts`` keep
    work derived from their parameters across runs."""
    host = ctx.device_typeid == 1
    if _profiler_hook is not None:
        monitor = _profiler_hook(ctx, monitor)
    for step in steps:
        args = [slots[i] for i in step.ins]
        extra = {}
        if step.rng:
            extra["rng"] = rng()
        if step.is_train:
            extra["is_train"] = is_train
        if step.consts is not None and slot_vars is not None:
            extra["const_vars"] = tuple(slot_vars[s] for s in step.consts)
        if host and step.layout is not None:
            res = step.layout(step.attrs, args, ctx, extra, step.keep_out, step.donated)
        elif host and not step.op.overrides:
            res = step.op.compute(np, step.attrs, *args, **extra)
        else:
            res = backends.compute(step.op, step.attrs, args, ctx, extra)
        if type(res) is not tuple:
            res = (res,)
        for s, r in zip(step.outs, res):
            # (a kept first output may be a backend's layout-held tensor: left as it is)
            slots[s] = r if not host or step.keep_out or isinstance(r, np.ndarray) \
                else np.asarray(r)
        if monitor is not None:
            monitor(step, slots)
        for s in step.free:
            slots[s] = None


def peak_bytes(steps, slot_bytes, initial):
    """Largest total size of live slots while running ``steps`` (``initial``
    slots are live from the start)."""
    live = set(initial)
    peak = current = sum(slot_bytes.get(s, 0) for s in live)
    for step in steps:
        for s in step.outs:
            if s not in live:
                live.add(s)
                current += slot_bytes.get(s, 0)
        peak = max(peak, current)
        for s in step.free:
            if s in live:
                live.discard(s)
                current -= slot_bytes.get(s, 0)
    return peak
