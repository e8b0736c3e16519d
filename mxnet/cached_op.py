"""CachedOp: run a Symbol on NDArrays as one compiled operation.

``CachedOp(sym)(*arrays)`` takes arrays for ``sym.list_inputs()`` in order
and returns the outputs. For each combination of input shapes/dtypes (and
of which inputs need gradients) it compiles a ``Program`` once and reuses
it. Under ``autograd.record()`` the whole call is one node on the tape whose
backward runs the program's compiled backward plan. ``HybridBlock.hybridize``
runs through this.

Under a threaded engine a run is pushed to the engine as one operation, as
MXNet pushes a CachedOp, unless it is small, its inputs are idle and the op
is used on one device: it then runs in the caller, as small imperative
operators do (``CachedOp._runs_inline``).

An op hook (``_register_op_hook``, behind ``HybridBlock.register_op_hook``)
sees every operator's outputs (and, with ``monitor_all``, its inputs) as
the forward pass computes them: the run then takes the plain, unfused plan.
"""
from sys import getrefcount as _getrefcount
from types import SimpleNamespace

import numpy as np

from . import autograd as _ag
from . import engine as _engine
from . import random as _random
from .base import MXNetError
from .device import asynchronous
from .graph.program import Program
from .ndarray import invoke as _invoke
from .ndarray.invoke import _adopt_outputs
from .ndarray.ndarray import NDArray, _empty_on, _new
from .symbol.monitor_names import hook_output_labels, input_labels

__all__ = ["CachedOp"]


class CachedOp:
    """A symbol compiled per input signature and callable on NDArrays.

    ``flags`` are MXNet's CachedOp flags (``static_alloc``, ``static_shape``,
    ...); programs are always cached per input shape here, so they need no
    effect beyond being recorded."""

    def __init__(self, sym, flags=()):
        self._sym = sym
        self._input_names = sym.list_inputs()
        self._aux = set(sym.list_auxiliary_states())
        # Input names, None for aux states (which get no gradient).
        self._differentiable = [None if n in self._aux else n for n in self._input_names]
        self._position = {n: i for i, n in enumerate(self._input_names)}
        self.flags = dict(flags)
        self._programs = {}
        self._op_hook = None
        self._devices = set()  # devices this op has run on (see _runs_inline)
        self.single_device = False  # whether it will run on one device only (_runs_inline)

    @property
    def handle(self):
        return self

    @property
    def is_np_sym(self):
        return False

    def _register_op_hook(self, callback, monitor_all=False):
        """Call ``callback(name, op_name, array)`` for each operator output
        computed by later forward runs (names ``<node>_<output>``) and, with
        ``monitor_all``, first for each of its inputs (``<node>_<input>``).
        ``array`` is an NDArray copy. Under the threaded engines the callback
        runs on the engine's worker; an error it raises surfaces at the next
        wait on the outputs, like an operator's error."""
        self._op_hook = None if callback is None else (callback, bool(monitor_all))

    def __call__(self, *args, out=None, default_ctx=None):
        names = self._input_names
        if len(args) != len(names):
            raise MXNetError(f"CachedOp: expected {len(names)} inputs ({names}), got {len(args)}")
        for name, x in zip(names, args):
            if not isinstance(x, NDArray):
                raise MXNetError(f"CachedOp: input {name!r} must be an NDArray, "
                                 f"got {type(x).__name__}")
        ctx = args[0]._ctx if args else default_ctx
        if _ag._state.recording:
            sources = [_ag._source(x) for x in args]
            wrt = tuple([n for n, s in zip(self._differentiable, sources)
                         if s is not None and n is not None])
        else:
            sources, wrt = None, ()
        key = (tuple([(x._data.shape, x._data.dtype) for x in args]), wrt)
        program = self._programs.get(key)
        if program is None:
            program = Program(self._sym, {n: x.shape for n, x in zip(names, args)},
                              {n: x._data.dtype.name for n, x in zip(names, args)}, wrt)
            self._programs[key] = program

        def rng():
            return _random.generator(ctx)
        training = _ag.is_training()
        monitor = None if self._op_hook is None else _hook_monitor(*self._op_hook, ctx, training)
        eng = _engine.get()
        # Hooked runs stay asynchronous: a hook's error surfaces at the next wait.
        inline = not eng.threaded or (monitor is None and self._runs_inline(ctx, args))
        if inline:
            outs, saved = self._run_forward(program, args, ctx, rng, training, bool(wrt),
                                            monitor)
        else:
            outs, saved = self._push_forward(eng, program, args, ctx, rng, training, bool(wrt),
                                             monitor)
        if wrt:
            positions = [self._position[n] for n in wrt]

            def backward(inputs, outputs, out_grads):
                # Without retain_graph this is the only backward of the forward
                # values: the program may drop each one after its last use.
                consume = not _ag._retaining()
                targets = _grad_targets(program, sources, positions, args)
                if inline and _idle(outputs) and _idle(out_grads) and _idle(targets.values()):
                    results = _write_grads(targets, lambda: program.backward(
                        saved[0], [g._arr() for g in out_grads], ctx, rng, consume=consume))
                    grads = [targets[i] if i in targets else None if r is None else _new(r, ctx)
                             for i, r in enumerate(results)]
                else:
                    grads = self._push_backward(eng, program, saved, outputs, out_grads,
                                                [args[p] for p in positions], ctx, rng,
                                                consume, targets)
                result = [None] * len(names)
                for pos, g in zip(positions, grads):
                    result[pos] = g
                return result
            _ag._attach(_ag.Node("_CachedOp", None, None, backward, None, sources, None),
                        list(args), outs)
        if out is not None:
            targets = out if isinstance(out, (list, tuple)) else [out]
            for t, o in zip(targets, outs):
                o.copyto(t)
            return out
        return outs[0] if len(outs) == 1 else outs

    def _runs_inline(self, ctx, args):
        """Whether a run under a threaded engine goes inline in the caller, as
        small imperative operators do (``invoke.ASYNC_MIN_SIZE``): when every
        input is idle and together they hold fewer elements than that (any
        size on a GPU, whose kernels are launched asynchronously). The
        hand-off to a worker costs more than it overlaps for such programs
        (an MLP training step: ~15% more CPU time when pushed). Runs of an op
        used on several devices are always pushed, so that data-parallel
        devices overlap; so is the first run on each device, as a
        data-parallel loop runs once on every device before it sees one twice
        (and a program waiting for another device's, as SyncBatchNorm's do,
        must not block the caller), unless the op is known to serve one
        device (``single_device``: a Gluon block whose parameters live on
        one). Pushed there, the first run made the worker thread start a
        second OpenMP team next to the caller's; with more team threads than
        cores the OpenMP runtime stops letting idle threads spin, and every
        later oneDNN call woke its team (W2's hybridized MLP step 2.0 -> 1.5 ms
        without that push)."""
        devices = self._devices
        if ctx not in devices:
            devices.add(ctx)
            if not self.single_device:
                return False
        if len(devices) > 1:
            return False
        size = 0
        for x in args:
            if x._var.pending:
                return False
            size += x._data.size
        return size < _invoke.ASYNC_MIN_SIZE or asynchronous(ctx)

    def _run_forward(self, program, args, ctx, rng, training, keep, monitor):
        """Run ``program`` in the caller; returns the outputs and a list
        holding the state backward needs."""
        data = [x._arr() for x in args]
        results, state = program.forward(data, training, keep, ctx, rng, monitor,
                                         [x._var for x in args])
        outs = [_new(r.copy() if any(r is d for d in data) else r, ctx) for r in results]
        if training:  # aux states (moving statistics) were updated in place
            for n, x in zip(self._input_names, args):
                if n in self._aux:
                    x._var.version += 1
        return outs, [state]

    def _push_forward(self, eng, program, args, ctx, rng, training, keep, monitor):
        """Push one run of ``program`` to the engine, as MXNet pushes a CachedOp:
        the outputs are pending arrays of the inferred shapes, the call returns
        at once, and runs on different devices overlap. Returns the outputs and
        a list that will hold the state backward needs."""
        outs = [_new(_empty_on(ctx, shape, np.dtype(dtype)), ctx)
                for shape, dtype in zip(program.output_shapes, program.output_dtypes)]
        saved = [None]
        input_vars = [x._var for x in args]

        def run():
            data = [x._data for x in args]
            results, saved[0] = program.forward(data, training, keep, ctx, rng, monitor,
                                                input_vars)
            _store(outs, [r.copy() if any(r is d for d in data) else r for r in results])
        # Training updates aux states (moving statistics) in place: they are
        # written then, and only then (inference leaves them, and their
        # versions, unchanged).
        aux = [x._var for n, x in zip(self._input_names, args) if n in self._aux] \
            if training else []
        eng.push(run, ctx, [x._var for x in args], [o._var for o in outs] + aux, "_CachedOp")
        return outs, saved

    @staticmethod
    def _push_backward(eng, program, saved, outputs, out_grads, wrt_args, ctx, rng, consume,
                       targets):
        """Push the backward run of the forward pushed with ``saved``; returns
        one pending gradient array per ``wrt`` input (None where it gets none):
        the .grad array of ``targets`` (see ``_grad_targets``), else a new one.
        ``consume``: the run may release ``saved`` as it goes."""
        grads = [targets[i] if i in targets else None if s is None else
                 _new(_empty_on(ctx, x.shape, x._data.dtype), ctx)
                 for i, (s, x) in enumerate(zip(program.grad_slots, wrt_args))]
        fresh = [i for i, g in enumerate(grads) if g is not None and i not in targets]

        def run():
            results = _write_grads(targets, lambda: program.backward(
                saved[0], [g._data for g in out_grads], ctx, rng, consume=consume))
            _store([grads[i] for i in fresh], [results[i] for i in fresh])
        # Reading the outputs orders this after the forward run that fills ``saved``.
        eng.push(run, ctx, [o._var for o in outputs] + [g._var for g in out_grads],
                 [g._var for g in grads if g is not None], "_backward_CachedOp")
        return grads


def _grad_targets(program, sources, positions, args):
    """{index among the program's gradients: the .grad NDArray it is written
    into}. Inside ``autograd.backward`` a variable's gradient under grad_req
    'write' replaces its .grad, so the old buffer may go before the new one
    is computed instead of both being held (a whole model's gradients, for a
    hybridized network's step): for variables given to this call whose .grad
    is a host NDArray of the gradient's shape and dtype, not an input of this
    call, that no other node wrote in this pass."""
    written = _ag._state.grads_written
    if written is None:
        return {}
    targets = {}
    arg_ids = None
    grad_slots = program.grad_slots
    for i, pos in enumerate(positions):
        var = sources[pos]
        if not isinstance(var, NDArray) or var._stype != "default" \
                or var._grad_req != "write" or id(var) in written \
                or grad_slots[i] is None:
            continue
        grad = var._grad
        if not isinstance(grad, NDArray) or grad._stype != "default" \
                or grad._ctx.device_typeid != 1 \
                or grad._var.exc is not None:
            continue
        old, x = grad._data, args[pos]._data
        if type(old) is not np.ndarray or old.shape != x.shape or old.dtype != x.dtype:
            continue
        if arg_ids is None:
            arg_ids = {id(a) for a in args}
        if id(grad) in arg_ids:
            continue
        written.add(id(var))
        targets[i] = grad
    return targets


def _write_grads(targets, run):
    """The gradient arrays ``run()`` returns, those of ``targets`` (see
    ``_grad_targets``) written into their .grad arrays (and None in the list).
    A target's old buffer that nothing else sees (no view of it) goes before
    ``run`` starts, an empty placeholder standing in (zeros should ``run``
    fail), and the new gradient becomes its data; a seen one is written
    into, so that its views see the new values."""
    released = set()
    for i, grad in targets.items():
        old = grad._data
        # References to ``old``: grad._data, this frame, getrefcount's argument.
        if old.base is None and _getrefcount(old) <= 3:
            # (an all-zero view of one element: nothing allocated)
            grad._data = np.ndarray(old.shape, old.dtype, np.zeros((), old.dtype), 0,
                                    (0,) * old.ndim)
            released.add(i)
    old = None
    try:
        results = run()
    except BaseException:
        for i in released:
            grad = targets[i]
            grad._data = np.zeros(grad._data.shape, grad._data.dtype)
            grad._var.version += 1
        raise
    for i, grad in targets.items():
        r = results[i]
        results[i] = None
        if i in released:
            _adopt(grad, r)
        else:
            np.copyto(grad._data, r)
        grad._var.version += 1
    return results


def _adopt(grad, r):
    """Make ``r`` the data of ``grad`` (a copy of it unless ``r`` is a host
    array nothing else holds, owning a C-contiguous buffer of the right shape
    and dtype)."""
    shape, dtype = grad._data.shape, grad._data.dtype
    # References to ``r``: the caller's, this frame's, getrefcount's argument.
    if type(r) is np.ndarray and r.base is None and r.flags.c_contiguous \
            and r.shape == shape and r.dtype == dtype and _getrefcount(r) <= 3:
        grad._data = r
    else:
        data = np.empty(shape, dtype)
        np.copyto(data, r)
        grad._data = data


def _hook_monitor(callback, monitor_all, ctx, training):
    """A ``Program.forward`` monitor calling ``callback(name, op_name, NDArray)``
    in MXNet's order and names (``symbol/monitor_names.py``): per operator,
    with ``monitor_all`` its inputs (``<node>_<input label>``), then its
    outputs; inference shows only the outputs a call returns (BatchNorm's
    output, not its batch mean and variance), training all of them."""
    def monitor(step, slots):
        op, attrs = step.op, step.attrs
        if monitor_all:
            for label, s in zip(input_labels(op, attrs, len(step.ins)), step.ins):
                callback(f"{step.name}_{label}", op.name, _new(slots[s].copy(), ctx))
        shown = len(step.outs)
        if not training and op.visible_outputs is not None:
            shown = op.visible_outputs(attrs)
        for name, s in zip(hook_output_labels(op, step.out_names[:shown], step.name), step.outs):
            callback(name, op.name, _new(slots[s].copy(), ctx))
    return monitor


_CACHED_OP = SimpleNamespace(name="_CachedOp")  # names the op in storing errors


def _idle(arrays):
    """Whether no pushed work reads or writes any of ``arrays``."""
    return not any(x._var.pending for x in arrays)


def _store(outs, results):
    """Put each result into its pending output, as pushed operators do."""
    _adopt_outputs(_CACHED_OP, outs, tuple(results))
