"""Executor: a symbol bound to arrays (``bind``/``simple_bind``), run as a
compiled ``Program``: inference and training plans of direct kernel calls
with the backward graph traced from the ops' gradient rules.
"""
import numpy as np

from . import random as _random
from .base import MXNetError
from .context import Context
from .device import to_numpy
from .graph.program import Program, fusion_enabled
from .ndarray.ndarray import NDArray, _from_host
from .symbol.monitor_names import input_labels

__all__ = ["Executor", "simple_bind"]


def _as_list(values, names, what, allow_missing=False):
    if values is None:
        out = [None] * len(names)
    elif isinstance(values, dict):
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


def _check_devices(ctx, groups):
    """Arrays bound to an executor must live on its kind of device: its
    program runs on ``ctx``'s array module (host arrays on another cpu are
    fine, a GPU array under a cpu executor is not)."""
    for what, names, arrays in groups:
        for name, a in zip(names, arrays):
            if a is not None and a.context.device_typeid != ctx.device_typeid:
                raise MXNetError(f"bind: {what} '{name}' is on {a.context}, but the executor "
                                 f"is bound to {ctx}; copy it with .as_in_context({ctx}) or "
                                 f"bind on {a.context}")


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
        _check_devices(ctx, [("args", self._arg_names, self.arg_arrays),
                             ("args_grad", self._arg_names, self.grad_arrays),
                             ("aux_states", self._aux_names, self.aux_arrays)])
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
        self._backward_monitor = None
        self._monitor_all = False
        self._compile()

    # -- compilation ---------------------------------------------------------------
    def _compile(self):
        arrays = dict(zip(self._arg_names, self.arg_arrays))
        arrays.update(zip(self._aux_names, self.aux_arrays))
        self._wrt = [n for n, r in zip(self._arg_names, self._grad_req) if r != "null"]
        self._program = Program(self._symbol, {n: a.shape for n, a in arrays.items()},
                                {n: np.dtype(a.dtype).name for n, a in arrays.items()},
                                self._wrt)
        self._inputs = [arrays[n] for n in self._program.input_names]
        self._state = None
        self._after_inference = False
        self.outputs = [_zeros_on(self._ctx, s, t) for s, t in
                        zip(self._program.output_shapes, self._program.output_dtypes)]

    def _rng(self):
        return _random.generator(self._ctx)

    # -- running -------------------------------------------------------------------
    def forward(self, is_train=False, **kwargs):
        """Compute the outputs; keyword arrays are copied into the named arguments first."""
        for name, value in kwargs.items():
            if name not in self._arg_names:  # a TypeError, as in MXNet
                raise TypeError(f"forward: unknown argument {name!r}; the arguments are "
                                f"{self._arg_names}")
            target = self.arg_arrays[self._arg_names.index(name)]
            if isinstance(value, NDArray):
                value.copyto(target)
            else:
                target[:] = value
        self._after_inference = not is_train
        results, self._state = self._program.forward(
            [a._arr() for a in self._inputs], is_train, is_train and bool(self._wrt),
            self._ctx, self._rng, self._monitor, input_vars=[a._var for a in self._inputs])
        # Writes made here, not through the engine, count as writes (Var.version):
        # the outputs, and in training the aux states updated in place.
        for out, r in zip(self.outputs, results):
            out._wait_to_write()  # pushed readers of the previous outputs go first
            out._data[...] = r
            out._var.version += 1
        if is_train:
            for a in self.aux_arrays:
                a._var.version += 1
        return self.outputs

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the outputs (weighted by ``out_grads``, ones by default)
        into ``grad_arrays`` per ``grad_req``."""
        if not self._wrt:
            raise MXNetError("backward: no argument of this executor requires a gradient")
        if out_grads is None:
            out_grads = [None] * len(self.outputs)
        elif isinstance(out_grads, NDArray):
            out_grads = [out_grads]
        if len(out_grads) != len(self.outputs):
            raise MXNetError(f"backward: {len(self.outputs)} outputs but "
                             f"{len(out_grads)} out_grads")
        if self._state is None and self._after_inference:
            # MXNet keeps the values of every forward, so backward may follow an
            # inference forward: recompute them (in inference mode) only then.
            _, self._state = self._program.forward(
                [a._arr() for a in self._inputs], False, True, self._ctx, self._rng,
                input_vars=[a._var for a in self._inputs])
        # Head gradients on another device are copied over, as MXNet copies them
        # into its own head-gradient arrays.
        heads = [None if g is None else
                 (g if g.context == self._ctx else g.as_in_context(self._ctx))._arr()
                 for g in out_grads]
        grads = self._program.backward(self._state, heads, self._ctx, self._rng, is_train,
                                       monitor=self._backward_monitor,
                                       monitor_all=self._monitor_all)
        for name, g in zip(self._wrt, grads):
            index = self._arg_names.index(name)
            target = self.grad_arrays[index]
            if g is None:
                continue
            if self._grad_req[index] == "add":
                # Through an operator: device arrays need not support +=.
                target += _from_host_like(g, target)
            else:
                # After any pending write (the zero fill of a fresh gradient array).
                target._wait_to_write()
                target._data[...] = g
                target._var.version += 1

    # -- views -----------------------------------------------------------------------
    @property
    def arg_dict(self):
        return dict(zip(self._arg_names, self.arg_arrays))

    @property
    def grad_dict(self):
        """{argument name: gradient array}, None where ``grad_req`` is null."""
        return dict(zip(self._arg_names, self.grad_arrays))

    @property
    def aux_dict(self):
        return dict(zip(self._aux_names, self.aux_arrays))

    @property
    def output_dict(self):
        return dict(zip(self._symbol.list_outputs(), self.outputs))

    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name, array)`` with a copy of every output of every
        node computed in forward, named as the symbol names it (``fc1_output``,
        ``bn_mean``). With ``monitor_all``, first each of the node's inputs:
        a graph variable under its own name, then every input as
        ``<node>_<input name>`` (``fc1_weight``), or ``<node>_input<i>`` for
        operators MXNet names inputs of by position. ``backward`` then reports
        what MXNet's backward nodes show (``graph/backward_reports.py``): for
        each forward node it differentiates, the gradients it gives the
        node's inputs as ``<node>_backward_output<i>`` (``<node>_backward_output``
        for one input), gradient sums as ``sum_grad_output``, and with
        ``monitor_all`` first the backward node's inputs (for the operators
        whose backward inputs are known there) and the sum's terms. Gradients
        nothing needs (grad_req null, labels) are not computed and show as
        zeros."""
        ctx = self._ctx
        program = self._program
        variables = dict(zip(program.input_slots, program.input_names))

        def report(name, array):
            callback(name, _from_host(_to_host(array, ctx), ctx))

        def monitor(step, slots):
            if monitor_all:
                labels = input_labels(step.op, step.attrs, len(step.ins))
                for label, s in zip(labels, step.ins):
                    if s in variables:
                        report(variables[s], slots[s])
                    report(f"{step.name}_{label}", slots[s])
            for name, s in zip(step.out_names, step.outs):
                report(name, slots[s])
        self._monitor = monitor
        self._backward_monitor = report
        self._monitor_all = bool(monitor_all)

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
        """A new executor for the input shapes in ``kwargs``; every other
        shape is inferred from those alone. An array whose shape stays is
        shared; one that shrinks becomes a view of the start of the old
        memory (so the executors share it, as in MXNet); one that grows is
        newly allocated. Arguments not given whose shape changes need
        ``partial_shaping=True``, growing arrays ``allow_up_sizing=True``."""
        arg_shapes, _, aux_shapes = self._symbol.infer_shape_partial(**kwargs)
        check = _ReshapeCheck(kwargs, partial_shaping, allow_up_sizing)
        args, grads = [], []
        for name, arr, grad, shape in zip(self._arg_names, self.arg_arrays, self.grad_arrays,
                                          arg_shapes):
            shape = check.shape("argument", name, arr, shape)
            args.append(_resized(arr, shape))
            grads.append(None if grad is None else _resized(grad, shape))
        aux = [_resized(a, check.shape("aux state", n, a, s))
               for n, a, s in zip(self._aux_names, self.aux_arrays, aux_shapes)]
        return Executor(self._symbol, self._ctx, args, grads,
                        dict(zip(self._arg_names, self._grad_req)), aux)

    def get_optimized_symbol(self):
        """The graph this executor runs: for an executor computing no
        gradients, the graph with inference folding applied (when fusion is
        on, as MXNet applies its oneDNN subgraph backend), else the bound one."""
        if not self._wrt and fusion_enabled():
            return self._symbol.optimize_for("MKLDNN")
        return self._symbol.copy()

    def debug_str(self):
        """The bound symbol's ``debug_str`` (MXNet adds its backward nodes
        and memory totals, which are planned differently here)."""
        return self._symbol.debug_str()


def _from_host_like(array, like):
    """An NDArray on ``like``'s device wrapping backing array ``array``."""
    from .ndarray.ndarray import _new
    return _new(array, like.context)


def _to_host(array, ctx):
    return array.copy() if ctx.device_typeid == 1 else to_numpy(array, ctx)


class _ReshapeCheck:
    """Executor.reshape's rules for one array's new shape."""

    def __init__(self, given, partial_shaping, allow_up_sizing):
        self.given = given
        self.partial_shaping = partial_shaping
        self.allow_up_sizing = allow_up_sizing

    def shape(self, kind, name, arr, inferred):
        """The new shape of ``arr`` (its old one where inference left it
        unknown), or MXNetError when the flags do not allow the change."""
        old = tuple(arr.shape)
        new = tuple(inferred) if inferred and 0 not in inferred else old
        if new == old:
            return old
        if name not in self.given and not self.partial_shaping:
            raise MXNetError(f"reshape: the shape of {kind} {name!r}, which was not given, "
                             f"changes from {old} to {new}; the new executor would not "
                             "share it. Pass partial_shaping=True if this is intended")
        if _size(new) > _size(old) and not self.allow_up_sizing:
            raise MXNetError(f"reshape: the new shape {new} of {kind} {name!r} is larger "
                             f"than its original {old}; pass allow_up_sizing=True to "
                             "allocate new arrays (reshaping a big executor to smaller "
                             "shapes is cheaper)")
        return new


def _size(shape):
    return int(np.prod(shape, dtype=np.int64))


def _resized(arr, shape):
    """``arr`` itself for its own shape, a view of its first elements when
    ``shape`` is no larger, else a new zero array like it."""
    if tuple(arr.shape) == tuple(shape):
        return arr
    if _size(shape) <= arr.size:
        return arr.reshape((-1,))[:_size(shape)].reshape(shape)
    return _zeros(shape, arr)


def _zeros_on(ctx, shape, dtype):
    return _from_host(np.zeros(shape, dtype), ctx)


def _zeros(shape, like):
    return _zeros_on(like.context, shape, like._data.dtype)


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
    args = [_zeros_on(ctx, s, t) for s, t in zip(arg_shapes, arg_types)]
    names = symbol.list_arguments()
    if isinstance(grad_req, str):
        reqs = {n: grad_req for n in names}
    elif isinstance(grad_req, dict):
        reqs = {n: grad_req.get(n, "null") for n in names}
    else:
        reqs = dict(zip(names, grad_req))
    grads = [None if reqs[n] == "null" else _zeros_on(ctx, s, t)
             for n, s, t in zip(names, arg_shapes, arg_types)]
    aux = [_zeros_on(ctx, s, t) for s, t in zip(aux_shapes, aux_types)]
    return Executor(symbol, ctx, args, grads, reqs, aux, group2ctx)
