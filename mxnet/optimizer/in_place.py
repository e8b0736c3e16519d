"""Multi-tensor updates whose new weights are written where the weights lie.

Optimizers call the multi-tensor SGD ops with ``out=`` the weights, as
MXNet's do, so the weights are updated in place. Run through ``invoke``, an
op computes each new weight in a fresh array that is then copied into its
weight; ``multi_update`` runs the op's in-place kernel
(``ops.optimizer_multi.IN_PLACE``) instead, which does the same arithmetic
straight into the weights: per W2 training step that saves a copy and a
fresh array of every weight (1 MiB).

It takes that path only where it is the op's own call in every other
respect: dense host arrays on one device, no backend kernel for the op,
nothing profiled or recorded; otherwise it calls the op through ``invoke``.
Like ``invoke``, it runs the kernel in the caller when the arrays are idle
and small, and pushes it to the engine (reading every input, writing the
weights and the op's states) otherwise. When it runs, if another input sees
a weight's buffer (the same array twice, a view of it), the op's own kernel
computes fresh weights that are copied in, as ``invoke`` would.
"""
import numpy as np

from .. import autograd as _ag
from .. import engine as _engine
from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray import invoke as _invoke
from ..ndarray.ndarray import NDArray
from ..ops import registry
from ..ops.optimizer_multi import IN_PLACE

__all__ = ["multi_update"]


def multi_update(name, inputs, weights, kwargs):
    """``nd.<name>(*inputs, out=weights, **kwargs)``, the ``weights`` being the
    weight inputs: the new weights are computed into them (see the module
    docstring for when)."""
    kernel = IN_PLACE.get(name)
    op = registry.get(name)
    if kernel is None or op.overrides or not _direct(inputs):
        return getattr(nd, name)(*inputs, out=weights, **kwargs)
    attrs = op.parse(kwargs)
    writes = list(weights) + [inputs[i] for i in op.mutate_inputs(attrs, len(inputs))]
    eng = _engine.get()
    idle, size = True, 0
    for x in inputs:
        idle = idle and not x._var.pending
        size += x._data.size
    if idle and (size < _invoke.ASYNC_MIN_SIZE or not eng.threaded):
        _run(kernel, op, attrs, inputs, weights)
        for x in writes:
            x._var.version += 1
    else:
        eng.push(lambda: _run(kernel, op, attrs, inputs, weights), inputs[0]._ctx,
                 [x._var for x in inputs], [x._var for x in writes], op.name)
    return weights


def _direct(inputs):
    """Whether ``inputs`` may take the in-place kernel: dense host NDArrays on
    one device, with nothing profiling operators or recording them."""
    if _invoke._profiler_hook is not None or _ag._state.recording or not inputs:
        return False
    ctx = inputs[0]._ctx
    if ctx.device_typeid != 1:
        return False
    for x in inputs:
        if not isinstance(x, NDArray) or x._stype != "default" \
                or (x._ctx is not ctx and x._ctx != ctx):  # (mx.np arrays are dense too)
            return False
    return True


def _run(kernel, op, attrs, inputs, weights):
    """Update ``weights`` from the inputs' current buffers: in place when no
    other input sees a weight's buffer, else through the op's own kernel and
    a copy. A kernel's error is reported as ``invoke`` reports it."""
    data = [x._data for x in inputs]
    try:
        if _apart(data, [w._data for w in weights]):
            kernel(np, attrs, *data)
        else:
            _invoke._write_outputs(op, weights, op.compute(np, attrs, *data))
    except MXNetError:
        raise
    except Exception as e:
        raise _invoke.kernel_error(op, attrs, inputs, e) from e


def _apart(data, weights):
    """Whether writing each array of ``weights`` (some of ``data``) changes no
    other array of ``data``: each weight owns its buffer, and nothing else in
    ``data`` is that buffer or a view of it (NumPy gives a view of a view the
    owner as its ``base``)."""
    owners = set()
    for w in weights:
        if type(w) is not np.ndarray or w.base is not None:
            return False
        owners.add(id(w))
    seen = 0
    for a in data:
        if type(a) is not np.ndarray:
            return False
        if id(a) in owners or (a.base is not None and id(a.base) in owners):
            seen += 1
    return seen == len(weights) == len(owners)
