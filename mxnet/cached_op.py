"""CachedOp: run a Symbol on NDArrays as one compiled operation.

``CachedOp(sym)(*arrays)`` takes arrays for ``sym.list_inputs()`` in order
and returns the outputs. For each combination of input shapes/dtypes (and
of which inputs need gradients) it compiles a ``Program`` once and reuses
it. Under ``autograd.record()`` the whole call is one node on the tape whose
backward runs the program's compiled backward plan. ``HybridBlock.hybridize``
runs through this.
"""
from . import autograd as _ag
from . import random as _random
from .base import MXNetError
from .graph.program import Program
from .ndarray.ndarray import NDArray, _new

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
        self.flags = dict(flags)
        self._programs = {}

    @property
    def handle(self):
        return self

    @property
    def is_np_sym(self):
        return False

    def __call__(self, *args, out=None, default_ctx=None):
        names = self._input_names
        if len(args) != len(names):
            raise MXNetError(f"CachedOp: expected {len(names)} inputs ({names}), got {len(args)}")
        for name, x in zip(names, args):
            if not isinstance(x, NDArray):
                raise MXNetError(f"CachedOp: input {name!r} must be an NDArray, "
                                 f"got {type(x).__name__}")
        ctx = args[0].context if args else default_ctx
        recording = _ag.is_recording()
        sources = [_ag._source(x) for x in args] if recording else None
        wrt = tuple(n for n, s in zip(names, sources) if s is not None and n not in self._aux) \
            if recording else ()
        key = (tuple((x.shape, x._data.dtype) for x in args), wrt)
        program = self._programs.get(key)
        if program is None:
            program = Program(self._sym, {n: x.shape for n, x in zip(names, args)},
                              {n: x._data.dtype.name for n, x in zip(names, args)}, wrt)
            self._programs[key] = program

        def rng():
            return _random.generator(ctx)
        data = [x._arr() for x in args]
        results, state = program.forward(data, _ag.is_training(), bool(wrt), ctx, rng)
        outs = [_new(r.copy() if any(r is d for d in data) else r, ctx) for r in results]
        if wrt:
            positions = [names.index(n) for n in wrt]

            def backward(inputs, outputs, out_grads):
                grads = program.backward(state, [g._arr() for g in out_grads], ctx, rng)
                result = [None] * len(names)
                for pos, g in zip(positions, grads):
                    if g is not None:
                        result[pos] = _new(g, ctx)
                return result
            _ag._attach(_ag.Node("_CachedOp", None, None, backward, None, sources, None),
                        list(args), outs)
        if out is not None:
            targets = out if isinstance(out, (list, tuple)) else [out]
            for t, o in zip(targets, outs):
                o.copyto(t)
            return out
        return outs[0] if len(outs) == 1 else outs
