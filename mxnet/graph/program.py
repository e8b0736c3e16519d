"""A symbol compiled for fixed input shapes: inference, training-forward and
backward plans over numbered buffers. Executors and CachedOp run Programs.

Building one infers every shape and dtype, traces the backward graph for the
inputs in ``wrt`` from the ops' gradient rules, removes nodes nothing needs,
and computes buffer lifetimes (see ``plan``). Running one calls kernels
directly on backing arrays: no NDArray wrappers, autograd or dispatch.

Unless ``MXNET_USE_FUSION=0``, runs of elementwise steps are fused (see
``fuse``) in every plan, and inference runs (``is_train=False``, nothing
kept for backward) use a plan of the graph with convolution/dense + batch
norm + activation (+ sum) chains folded into fused ops (see ``fold``),
compiled at the first such run; between its layout-aware (oneDNN) kernels
activations stay in the backend's blocked layouts (``plan.assign_layouts``),
and so do the activations and gradients of training runs between the
layout-aware kernels of their forward and backward steps.
A run with a monitor executes the plain steps so that every node's output
can be seen. Given the inputs' engine
vars, fused kernels keep their folded, reordered weights between runs.
"""
import os

import numpy as np

from ..backends import dnnl
from ..base import MXNetError
from ..device import from_numpy
from ..symbol.symbol import topo_order
from . import blocked_elemwise, infer, plan, softmax_ce  # noqa: F401 (blocked_elemwise registers a kernel)
from .dense_act import fuse_dense_activation
from .fold import fold_graph
from .fuse import fuse_steps
from .backward_reports import backward_reports, report_slots, report_value
from .gradient import build_backward, mirror_policy


def _inferred_creation_shapes(nodes, shapes):
    """{id(node): attrs} for creation ops (no inputs) whose output shape
    inference completed: a ``shape`` with 0 dims (``mx.sym.zeros((0, 10))`` as
    a begin state) or the op's own ``specialize`` rule (``_arange`` with
    ``infer_range``). Their kernels must build the inferred shape."""
    out = {}
    for node in nodes:
        if node.op is None or node.inputs:
            continue
        inferred = shapes.get((id(node), 0))
        if inferred is None or 0 in inferred:
            continue
        attrs = node.params()
        if node.op.specialize is not None:
            fixed = node.op.specialize(attrs, tuple(inferred))
        elif "shape" in node.op.params and attrs.shape and 0 in attrs.shape:
            fixed = type(attrs)(attrs)
            fixed["shape"] = tuple(inferred)
        else:
            fixed = None
        if fixed is not None:
            out[id(node)] = fixed
    return out


def fusion_enabled():
    """Whether graphs fuse and fold (``MXNET_USE_FUSION``, on by default)."""
    return os.environ.get("MXNET_USE_FUSION", "1").strip().lower() not in ("0", "false", "off")


def training_layouts_enabled():
    """Whether training plans pass activations and their gradients between
    oneDNN kernels in oneDNN's blocked layouts (``MXNET_ONEDNN_TRAIN_LAYOUTS``,
    on by default; read when a program is built)."""
    value = os.environ.get("MXNET_ONEDNN_TRAIN_LAYOUTS", "1").strip().lower()
    return value not in ("0", "false", "off")


def _with_layouts(train_steps, backward_steps, pinned):
    """Copies of the training plan's forward and backward steps with
    layout-aware kernels assigned over both (``plan.assign_layouts``). The
    steps are copied because the plain plans, which monitored runs take,
    may share them."""
    train = [step.copy() for step in train_steps]
    backward = [step.copy() for step in backward_steps]
    plan.assign_layouts(train + backward, pinned)
    return train, backward


class _Plan:
    """A list of steps with the slots it reads inputs from and leaves outputs in."""
    __slots__ = ("steps", "out_slots", "num_slots")

    def __init__(self, steps, out_slots, num_slots):
        self.steps = steps
        self.out_slots = out_slots
        self.num_slots = num_slots


def _slot_info(slot_of, shapes, dtypes, extra=None):
    """{slot: (shape, numpy dtype)} for the slots whose shape and dtype are known."""
    info = {}
    for key, slot in slot_of.items():
        shape, dtype = shapes.get(key), dtypes.get(key)
        if (shape is None or dtype is None) and extra is not None:
            shape, dtype = extra.get(key, (None, None))
        if shape is not None and dtype is not None:
            info[slot] = (tuple(shape), np.dtype(dtype))
    return info


def _ones(ctx, shape, dtype):
    ones = np.ones(shape, dtype)
    return ones if ctx.device_typeid == 1 else from_numpy(ones, ctx)


def _zeros(ctx, shape, dtype):
    zeros = np.zeros(shape, dtype)
    return zeros if ctx.device_typeid == 1 else from_numpy(zeros, ctx)


def _reporter(reports, slots, report, ctx, monitor_all):
    """A ``run_steps`` monitor calling ``report(name, array)`` for ``reports``
    (see ``backward_reports``; those for ``monitor_all`` only when it is set)
    as their steps complete; those due before the first step are reported
    at once."""
    def send(due, values):
        for name, s, all_only in reports.get(due, ()):
            if monitor_all or not all_only:
                report(name, report_value(name, s, values, ctx, _zeros))
    send(-1, slots)
    done = [0]

    def monitor(step, values):
        send(done[0], values)
        done[0] += 1
    return monitor


class Program:
    """``sym`` compiled for the given input shapes/dtypes (dicts by input name),
    with gradients for the inputs named in ``wrt``."""

    def __init__(self, sym, shapes, dtypes, wrt=(), mirror=None, fuse=None):
        outputs = sym._outputs
        nodes = topo_order(outputs)
        variables = {n.name: n for n in nodes if n.op is None}
        self.input_names = [n.name for n in nodes if n.op is None]
        if len(variables) != len(self.input_names):
            twice = sorted({n for n in self.input_names if self.input_names.count(n) > 1})
            raise MXNetError(f"the graph has different variables with the same name "
                             f"({', '.join(twice)}): inputs are given by name, so each "
                             f"name must be one variable")
        self._fuse = fusion_enabled() if fuse is None else fuse
        self._sym, self._shapes, self._dtypes = sym, dict(shapes), dict(dtypes)
        self._folded = None
        inferred_shapes = infer.shapes(sym, shapes)
        inferred_types = infer.types(sym, dtypes)
        for node, i in outputs:
            key = (id(node), i)
            if inferred_shapes.get(key) is None or inferred_types.get(key) is None:
                raise MXNetError(f"cannot infer the shape and dtype of output "
                                 f"{node.output_names()[i]} from inputs {shapes}")
        slot_of = {}
        self.input_slots = []
        for name in self.input_names:
            slot_of[(id(variables[name]), 0)] = len(slot_of)
            self.input_slots.append(slot_of[(id(variables[name]), 0)])
        out_keys = [(id(n), i) for n, i in outputs]
        self.output_shapes = [tuple(inferred_shapes[k]) for k in out_keys]
        self.output_dtypes = [np.dtype(inferred_types[k]) for k in out_keys]
        self._specialize = _inferred_creation_shapes(nodes, inferred_shapes)
        self._ce_chains = softmax_ce.find_chains(nodes, outputs, inferred_shapes,
                                                 inferred_types) if self._fuse else {}
        plain_infer = plan.compile_steps(nodes, slot_of, outputs, self._specialize,
                                         self.input_slots)
        self.out_slots = [slot_of[k] for k in out_keys]
        pinned = self.input_slots + self.out_slots
        self.wrt = list(wrt)
        plain_train = plain_backward = front = None
        bwd_reads = set()
        if self.wrt:
            unknown = [n for n in self.wrt if n not in variables]
            if unknown:
                raise MXNetError(f"gradient requested for unknown inputs {unknown}")
            if mirror is None:
                mirror = os.environ.get("MXNET_BACKWARD_DO_MIRROR", "0") == "1"
            front, heads, grads = build_backward(
                outputs, {k: tuple(v) for k, v in inferred_shapes.items() if v is not None},
                {k: v for k, v in inferred_types.items() if v is not None},
                [(variables[n], 0) for n in self.wrt], mirror_policy(mirror), self._ce_chains)
            self.head_slots = [slot_of.setdefault((id(h.entry[0]), 0), len(slot_of))
                               for h in heads]
            wanted = [g.entry for g in grads if g is not None]
            bwd_nodes = plan.needed_nodes(front.nodes, wanted)
            fwd_needed = list(outputs) + [e for n in bwd_nodes for e in n.inputs
                                          if (id(e[0]), e[1]) in inferred_shapes]
            plain_train = plan.compile_steps(nodes, slot_of, fwd_needed, self._specialize)
            plain_backward = plan.compile_steps(bwd_nodes, slot_of, wanted)
            # Monitored backward runs free nothing, so every reported value lives.
            self._plain_backward = [st.copy() for st in plain_backward]
            self._backward_reports = backward_reports(
                front.backward_log, self._plain_backward, slot_of,
                {**inferred_shapes, **{k: v[0] for k, v in front.shapes.items()}},
                {**inferred_types, **{k: v[1] for k, v in front.shapes.items()}})
            # Monitored runs (plain steps) keep the forward values reports show.
            shown = report_slots(self._backward_reports)
            self.grad_slots = [None if g is None else slot_of[(id(g.entry[0]), g.entry[1])]
                               for g in grads]
            pinned = pinned + self.head_slots + [s for s in self.grad_slots if s is not None]
            bwd_reads = {s for st in plain_backward for s in st.ins}
        self.num_slots = len(slot_of)
        info = _slot_info(slot_of, inferred_shapes, inferred_types,
                          front.shapes if front is not None else None)
        self.slot_bytes = {slot: int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
                           for slot, (shape, dtype) in info.items()}
        # The plain plans serve monitored runs; the others may be fused.
        self._plain_infer, self._plain_train = plain_infer, plain_train
        plan.assign_frees(plain_infer, pinned)
        self.infer_steps = self._fused(plain_infer, info, pinned, slot_of)
        plan.assign_frees(self.infer_steps, pinned)
        self.train_steps = self.backward_steps = None
        if self.wrt:
            plan.assign_frees(plain_train, pinned, keep_after=bwd_reads | shown)
            self.train_steps = self._fused(plain_train, info, set(pinned) | bwd_reads, slot_of)
            self.backward_steps = self._fused(plain_backward, info, pinned, slot_of)
            plan.assign_frees(self.train_steps, pinned, keep_after=bwd_reads)
            plan.assign_frees(self.backward_steps, pinned)
            if dnnl.available and training_layouts_enabled():
                self.train_steps, self.backward_steps = _with_layouts(
                    self.train_steps, self.backward_steps, pinned)

    def _fused(self, steps, info, keep, slot_of):
        """``steps`` (numbered by ``slot_of``) with cross-entropy chains,
        dense + activation pairs and elementwise groups fused, unless fusion
        is off."""
        if not self._fuse:
            return steps
        keep = set(keep)
        steps = softmax_ce.fuse_chains(steps, self._ce_chains, slot_of, keep, plan.Step.make)
        if dnnl.available:  # (the fused op's NumPy kernel is no faster than two steps)
            steps = fuse_dense_activation(steps, keep, plan.Step.make)
        return fuse_steps(steps, info, keep, plan.Step.make)

    def _inference_plan(self):
        """The folded inference plan (compiled at first use), or None when
        folding changes nothing."""
        if self._folded is None:
            self._folded = False
            outputs, count = fold_graph(self._sym._outputs)
            if count:
                self._folded = self._compile_folded(outputs)
        return self._folded or None

    def _compile_folded(self, outputs):
        from ..symbol.symbol import Symbol
        folded = Symbol(outputs)
        shapes = infer.shapes(folded, self._shapes)
        dtypes = infer.types(folded, self._dtypes)
        nodes = topo_order(outputs)
        variables = {n.name: n for n in nodes if n.op is None}
        # Inputs keep their slot numbers (the variables are shared).
        slot_of = {(id(variables[name]), 0): slot
                   for name, slot in zip(self.input_names, self.input_slots)
                   if name in variables}
        steps = plan.compile_steps(nodes, slot_of, outputs,
                                   _inferred_creation_shapes(nodes, shapes), self.input_slots)
        out_slots = [slot_of[(id(n), i)] for n, i in outputs]
        pinned = self.input_slots + out_slots
        steps = self._fused(steps, _slot_info(slot_of, shapes, dtypes), pinned, slot_of)
        plan.assign_frees(steps, pinned)
        plan.assign_layouts(steps, pinned)
        return _Plan(steps, out_slots, len(slot_of))

    def memory_report(self):
        """Bytes of arrays a run holds at its peak, as planned (intermediates
        dropped when dead; training keeps what backward reads), next to the
        bytes of every array it computes (nothing freed)."""
        inputs = self.input_slots
        report = {"inference_peak": plan.peak_bytes(self.infer_steps, self.slot_bytes, inputs),
                  "inference_total": sum(self.slot_bytes.get(s, 0) for st in self.infer_steps
                                         for s in st.outs) + sum(self.slot_bytes.get(s, 0)
                                                                for s in inputs)}
        if self.train_steps is not None:
            steps = self.train_steps + self.backward_steps
            report["training_peak"] = plan.peak_bytes(steps, self.slot_bytes,
                                                      inputs + self.head_slots)
            report["training_total"] = sum(self.slot_bytes.values())
        return report

    def forward(self, inputs, is_train, keep_for_backward, ctx, rng, monitor=None,
                input_vars=None):
        """Run on ``inputs`` (backing arrays in ``input_names`` order). Returns
        ``(outputs, state)``; pass ``state`` to ``backward`` (None unless
        ``keep_for_backward``). ``input_vars``, the inputs' engine vars, let
        fused kernels keep what they derive from parameters (folded and
        reordered weights) until a parameter is written."""
        train = keep_for_backward and self.train_steps is not None
        folded = None
        if train:
            steps = self._plain_train if monitor else self.train_steps
        elif not is_train and monitor is None and self._fuse:
            folded = self._inference_plan()
        if folded is not None:
            steps, out_slots, num_slots = folded.steps, folded.out_slots, folded.num_slots
        else:
            if not train:
                steps = self._plain_infer if monitor else self.infer_steps
            out_slots, num_slots = self.out_slots, self.num_slots
        slots = [None] * num_slots
        for s, value in zip(self.input_slots, inputs):
            slots[s] = value
        slot_vars = None if input_vars is None else dict(zip(self.input_slots, input_vars))
        plan.run_steps(steps, slots, ctx, is_train, rng, monitor, slot_vars)
        outputs = [slots[s] for s in out_slots]
        return outputs, (slots if train else None)

    def backward(self, state, head_grads, ctx, rng, is_train=True, consume=False,
                 monitor=None, monitor_all=False):
        """Gradients for the ``wrt`` inputs (None where an input gets none),
        given one head gradient array (or None for ones) per output. With
        ``consume`` (no further backward on this ``state``, as without
        ``retain_graph``) each saved forward value is dropped after its last
        reader, so backward's peak does not hold the whole forward pass.
        ``monitor(name, array)`` sees what MXNet's backward nodes show (see
        ``backward_reports``; with ``monitor_all`` their inputs too; the run
        then takes the plain steps)."""
        if state is None:
            raise MXNetError("backward: the forward pass did not keep its values; run "
                             "forward with is_train=True (or under autograd.record)")
        if not state:
            raise MXNetError("backward: the forward values were consumed by an earlier "
                             "backward; pass retain_graph=True to backward twice")
        # Otherwise backward may run again on the same forward values: work on a copy.
        slots = state if consume else list(state)
        if monitor is not None:  # the plain steps read plain arrays only
            slots[:] = [plan.as_plain(v) for v in slots]
        for s, g, shape, dtype in zip(self.head_slots, head_grads, self.output_shapes,
                                      self.output_dtypes):
            slots[s] = _ones(ctx, shape, dtype) if g is None else g
        if monitor is None:
            plan.run_steps(self.backward_steps, slots, ctx, is_train, rng)
        else:
            plan.run_steps(self._plain_backward, slots, ctx, is_train, rng,
                           _reporter(self._backward_reports, slots, monitor, ctx, monitor_all))
        grads = [None if s is None else slots[s] for s in self.grad_slots]
        if consume:
            state.clear()
        return grads
