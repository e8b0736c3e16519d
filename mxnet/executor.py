"""Executor: a symbol bound to arrays, run as compiled plans of kernel calls.

Binding infers every shape and dtype, traces the backward graph (when some
argument wants a gradient) from the ops' gradient rules, and compiles two
plans: inference (only what the outputs need, intermediates dropped as soon
as they are dead) and training (forward keeping what backward reads, then
backward). Kernels run directly on the backing arrays, without NDArray
wrappers, autograd or per-op dispatch.
"""
import numpy as np

from . import random as _random
from .base import MXNetError
from .context import Context
from .graph import infer, plan
from .graph.gradient import build_backward
from .ndarray.invoke import xp_of
from .ndarray.ndarray import NDArray, _new
from .symbol.symbol import topo_order

__all__ = ["Executor", "simple_bind"]


def _as_list(values, names, what, allow_missing=False):
    if values is None:
        return [None] * len(names)
    if isinstance(values, dict):
        unknown = set(values) - set(names)
        if unknown:
            raise MXNetError(f"bind: {what} has unknown names {sorted(unknown)}; "
                             f"expected names from {names}")
        out = [values.get(n) for n in names]
    else:
        out = list(values)
        if len(out) != len(names):
            raise MXNetError(f"bind: {what} needs {len(names)} arrays ({names}), got {len(out)}")
    if not allow_missing:
        missing = [n for n, v in zip(names, out) if v is None]
        if missing:
            raise MXNetError(f"bind: {what} is missing arrays for {missing}")
    return out


class Executor:
    """Runs a bound symbol: ``forward``, ``backward``, ``outputs``, ``arg_dict``..."""

    def __init__(self, symbol, ctx, args, args_grad=None, grad_req="write",
                 aux_states=None, group2ctx=None):
        if not isinstance(ctx, Context):
            raise MXNetError(f"bind: ctx must be a Context, got {ctx!r}")
        self._symbol = symbol
        self._ctx = ctx
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self.arg_arrays = _as_list(args, self._arg_names, "args")
        self.grad_arrays = _as_list(args_grad, self._arg_names, "args_grad", allow_missing=True)
        self.aux_arrays = _as_list(aux_states, self._aux_names, "aux_states")
        if isinstance(grad_req, str):
            reqs = [grad_req] * len(self._arg_names)
        elif isinstance(grad_req, dict):
            reqs = [grad_req.get(n, "null") for n in self._arg_names]
        else:
            reqs = list(grad_req)
        for r in reqs:
            if r not in ("write", "add", "null"):
                raise MXNetError(f"bind: grad_req must be write, add or null, got {r!r}")
        self._grad_req = [r if g is not None else "null" for r, g in zip(reqs, self.grad_arrays)]
        self._monitor = None
        self._compile()

    # -- compilation ---------------------------------------------------------------
    def _compile(self):
        sym = self._symbol
        outputs = sym._outputs
        nodes = topo_order(outputs)
        variables = {n.name: n for n in nodes if n.op is None}
        arrays = dict(zip(self._arg_names, self.arg_arrays))
        arrays.update(zip(self._aux_names, self.aux_arrays))
        known_shapes = {n: a.shape for n, a in arrays.items()}
        known_types = {n: np.dtype(a.dtype).name for n, a in arrays.items()}
        shapes = infer.run(sym, known_shapes, "infer_shape", "__shape__",
                           lambda a, b: tuple(a) == tuple(b), "infer_shape")
        dtypes = infer.run(sym, known_types, "infer_type", "__dtype__", lambda a, b: a == b,
                           "infer_type")
        for node, i in outputs:
            if shapes.get((id(node), i)) is None:
                raise MXNetError(f"bind: cannot infer the shape of output "
                                 f"{node.output_names()[i]}")
        self._slot_of = slot_of = {}
        self._var_slots = []
        for name in self._arg_names + self._aux_names:
            key = (id(variables[name]), 0)
            slot_of[key] = len(slot_of)
            self._var_slots.append((slot_of[key], arrays[name]))
        out_keys = [(id(n), i) for n, i in outputs]
        # Inference plan: only what the outputs need.
        self._infer_steps = plan.compile_steps(nodes, slot_of, outputs)
        var_slot_ids = [s for s, _ in self._var_slots]
        out_slots = [slot_of[k] for k in out_keys]
        plan.assign_frees(self._infer_steps, var_slot_ids + out_slots)
        self._out_slots = out_slots
        # Training plan: backward graph for the arguments that want gradients.
        wrt_names = [n for n, r in zip(self._arg_names, self._grad_req) if r != "null"]
        self._wrt = [(self._arg_names.index(n), variables[n]) for n in wrt_names]
        self._train_steps = self._backward_steps = None
        if self._wrt:
            front, heads, grads = build_backward(
                outputs, {k: tuple(v) for k, v in shapes.items() if v is not None},
                {k: v for k, v in dtypes.items() if v is not None},
                [(n, 0) for _, n in self._wrt])
            self._head_slots = [slot_of.setdefault((id(h.entry[0]), 0), len(slot_of))
                                for h in heads]
            self._grad_entries = grads
            wanted = [g.entry for g in grads if g is not None]
            bwd_nodes = plan.needed_nodes(front.nodes, wanted)
            fwd_needed = list(outputs) + [e for n in bwd_nodes for e in n.inputs
                                          if (id(e[0]), e[1]) in shapes]
            self._train_steps = plan.compile_steps(nodes, slot_of, fwd_needed)
            self._backward_steps = plan.compile_steps(bwd_nodes, slot_of, wanted)
            self._grad_slots = [None if g is None else slot_of[(id(g.entry[0]), g.entry[1])]
                                for g in grads]
            pinned = var_slot_ids + out_slots + self._head_slots + \
                [s for s in self._grad_slots if s is not None]
            bwd_reads = {s for st in self._backward_steps for s in st.ins}
            plan.assign_frees(self._train_steps, pinned, keep_after=bwd_reads)
            plan.assign_frees(self._backward_steps, pinned)
        self._num_slots = len(slot_of)
        self._slots = None
        self.outputs = [_new(np.zeros(shapes[k], dtypes[k]), self._ctx) for k in out_keys]
        self._xp = xp_of(self._ctx)

    # -- running -------------------------------------------------------------------
    def forward(self, is_train=False, **kwargs):
        """Compute the outputs; keyword arrays are copied into the named arguments first."""
        for name, value in kwargs.items():
            if name not in self._arg_names:
                raise MXNetError(f"forward: unknown argument {name!r}")
            target = self.arg_arrays[self._arg_names.index(name)]
            if isinstance(value, NDArray):
                value.copyto(target)
            else:
                target[:] = value
        slots = [None] * self._num_slots
        for slot, arr in self._var_slots:
            slots[slot] = arr._arr()
        steps = self._train_steps if is_train and self._train_steps is not None \
            else self._infer_steps
        ctx = self._ctx
        plan.run_steps(steps, slots, self._xp, is_train, lambda: _random.generator(ctx))
        for out, s in zip(self.outputs, self._out_slots):
            out._data[...] = slots[s]
        self._slots = slots if is_train else None
        if self._monitor is not None:
            self._monitor(self)
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs (weighted by ``out_grads``, ones by default)
        into ``grad_arrays`` per ``grad_req``."""
        if self._backward_steps is None:
            raise MXNetError("backward: no argument of this executor requires a gradient")
        slots = self._slots
        if slots is None:
            raise MXNetError("backward: call forward(is_train=True) first")
        if out_grads is None:
            out_grads = [None] * len(self._head_slots)
        elif isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        if len(out_grads) != len(self._head_slots):
            raise MXNetError(f"backward: {len(self._head_slots)} outputs but "
                             f"{len(out_grads)} out_grads")
        for s, g, out in zip(self._head_slots, out_grads, self.outputs):
            slots[s] = np.ones(out.shape, out._data.dtype) if g is None else g._arr()
        ctx = self._ctx
        plan.run_steps(self._backward_steps, slots, self._xp, is_train,
                       lambda: _random.generator(ctx))
        for (index, _), s in zip(self._wrt, self._grad_slots):
            grad = self.grad_arrays[index]
            value = 0 if s is None else slots[s]
            if self._grad_req[index] == "add":
                grad._data += value
            else:
                grad._data[...] = value
        self._slots = None

    # -- views -----------------------------------------------------------------------
    @property
    def arg_dict(self):
        return dict(zip(self._arg_names, self.arg_arrays))

    @property
    def grad_dict(self):
        return {n: g for n, g in zip(self._arg_names, self.grad_arrays) if g is not None}

    @property
    def aux_dict(self):
        return dict(zip(self._aux_names, self.aux_arrays))

    @property
    def output_dict(self):
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, array)`` for every output after each forward."""
        def monitor(ex):
            for name, arr in ex.output_dict.items():
                callback(name, arr)
        self._monitor = monitor

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy arrays from dicts into the bound arguments and aux states."""
        for source, target in ((arg_params, self.arg_dict), (aux_params or {}, self.aux_dict)):
            for name, value in source.items():
                if name in target:
                    value.copyto(target[name])
                elif not allow_extra_params:
                    raise MXNetError(f"copy_params_from: {name!r} is not a parameter of "
                                     "this executor")

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new input shapes, sharing arrays whose shapes are unchanged."""
        shapes = {n: a.shape for n, a in self.arg_dict.items()}
        shapes.update(kwargs)
        arg_shapes, _, aux_shapes = self._symbol.infer_shape(**shapes)
        if arg_shapes is None:
            raise MXNetError("reshape: cannot infer all shapes from the new input shapes")
        args, grads = [], []
        for name, arr, grad, shape in zip(self._arg_names, self.arg_arrays, self.grad_arrays,
                                          arg_shapes):
            same = tuple(arr.shape) == tuple(shape)
            if not same and name not in kwargs and not partial_shaping:
                raise MXNetError(f"reshape: shape of {name!r} changes; pass "
                                 "partial_shaping=True to allow it")
            args.append(arr if same else _zeros(shape, arr))
            grads.append(None if grad is None else (grad if same else _zeros(shape, grad)))
        aux = [a if tuple(a.shape) == tuple(s) else _zeros(s, a)
               for a, s in zip(self.aux_arrays, aux_shapes)]
        return Executor(self._symbol, self._ctx, args, grads,
                        dict(zip(self._arg_names, self._grad_req)), aux)

    def debug_str(self):
        return self._symbol.debug_str()


def _zeros(shape, like):
    return _new(np.zeros(shape, like._data.dtype), like.context)


def simple_bind(symbol, ctx, grad_req, type_dict, group2ctx, shared_exec, shapes):
    """Bind with zero-filled arrays allocated from argument shapes (and dtypes)."""
    arg_shapes, _, aux_shapes = symbol.infer_shape(**shapes)
    if arg_shapes is None:
        partial, _, _ = symbol.infer_shape_partial(**shapes)
        missing = [n for n, s in zip(symbol.list_arguments(), partial) if not s]
        raise MXNetError(f"simple_bind: cannot infer the shapes of {missing} from {shapes}")
    arg_types, _, aux_types = symbol.infer_type(**(type_dict or {}))
    if arg_types is None:
        arg_types = [np.float32] * len(arg_shapes)
        aux_types = [np.float32] * len(aux_shapes)
    args = [_new(np.zeros(s, t), ctx) for s, t in zip(arg_shapes, arg_types)]
    names = symbol.list_arguments()
    if isinstance(grad_req, str):
        reqs = {n: grad_req for n in names}
    elif isinstance(grad_req, dict):
        reqs = {n: grad_req.get(n, "null") for n in names}
    else:
        reqs = dict(zip(names, grad_req))
    grads = [None if reqs[n] == "null" else _new(np.zeros(s, t), ctx)
             for n, s, t in zip(names, arg_shapes, arg_types)]
    aux = [_new(np.zeros(s, t), ctx) for s, t in zip(aux_shapes, aux_types)]
    return Executor(symbol, ctx, args, grads, reqs, aux, group2ctx)
