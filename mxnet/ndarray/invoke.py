"""Imperative invoke: the hot path from a front-end call to a kernel run.

``invoke(op, inputs, kwargs, out)`` parses parameters (cached), picks the
device and kernel, then either runs the kernel inline (the data of every
input and output is idle and the work is small, or the engine is naive) or
infers output shapes and dtypes, allocates pending outputs and pushes the
kernel to the engine. Finally it records the call on the autograd tape when
recording. Keep it flat: every line here is paid on every op.
"""
import os
import sys

import numpy as np

from .. import autograd as _ag
from .. import backends as _backends
from .. import engine as _engine
from ..base import MXNetError
from ..context import current_context
from ..device import array_module, asynchronous
from . import ndarray as _nd

# Ops whose inputs together hold fewer elements than this run inline in the
# caller when their data is idle; larger ones go to the engine so independent
# work overlaps. Set to 0 to push every op (useful to test the async path).
# At 1 << 16 an MLP's layers (784 x 256 weights) went to the worker and every
# op after them followed as pending: the hand-offs cost more than the overlap
# gained (W2 imperative training 35-40k -> 47-51k samples/s at 1 << 20, LeNet
# and two-device training level or faster, on an idle 2-core machine). On a
# GPU every idle op runs inline: its kernels are launched asynchronously anyway.
ASYNC_MIN_SIZE = int(os.environ.get("MXNET_ENGINE_ASYNC_MIN_SIZE", 1 << 20))

_NDArray = _nd.NDArray
# mx.np.ndarray (dense, the same layout as NDArray): set by mxnet.numpy.multiarray.
_np_ndarray = _NDArray
_empty_on = _nd._empty_on
_new = _nd._new
_Var = _engine.Var
_object_new = object.__new__
_ag_state = _ag._state  # autograd's thread-local flags (one object for the process)
_ndarray = np.ndarray
_asarray = np.asarray
_getrefcount = sys.getrefcount
# Set by mxnet.profiler while it records imperative operators (else None).
_profiler_hook = None


def xp_of(ctx):
    """The array module of a device."""
    return np if ctx.device_typeid == 1 else array_module(ctx)


def _resources(op, ctx):
    """Keyword resources an op declared: ``rng`` (the device's random
    generator) and ``is_train`` (training mode, for Dropout and BatchNorm)."""
    res = {}
    for r in op.resources:
        if r == "rng":
            from .. import random as _random
            res["rng"] = _random.generator(ctx)
        elif r == "is_train":
            res["is_train"] = _ag._state.training
        else:
            raise MXNetError(f"{op.name}: unknown resource {r!r}")
    return res


def invoke(op, inputs, kwargs, out=None, ctx=None):
    """Run ``op`` on NDArray ``inputs`` with call arguments ``kwargs``.

    Returns the output NDArray (or a list for several outputs); with ``out``
    the results are written into the given array(s), which are returned.
    """
    attrs = op.parse(kwargs) if kwargs else op._defaults
    if attrs is None:
        attrs = op.default_attrs()
    if op.sparse_output is not None and op.sparse_output(attrs):
        return _invoke_other_storage(op, attrs, inputs, out)
    idle = True
    size = 0
    args = []  # the backing arrays, gathered here rather than in a second pass
    if inputs:
        first = type(inputs[0])
        ctx = inputs[0]._ctx if first is _NDArray or first is _np_ndarray else \
            _check_inputs(op, inputs, attrs)
        for x in inputs:
            if type(x) is not _NDArray and type(x) is not _np_ndarray \
                    and getattr(x, "_stype", None) != "default":
                return _invoke_other_storage(op, attrs, inputs, out)
            if x._var.pending:
                idle = False
            data = x._data
            xc = x._ctx
            size += data.size
            args.append(data)
            if xc is not ctx and xc != ctx:
                raise MXNetError(f"{op.name}: all inputs must be on one device, got "
                                 f"{ctx} and {xc}")
    elif ctx is None:
        ctx = current_context()
    if out is None:
        outs = None
    else:
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        for o in outs:
            if type(o) is not _NDArray and getattr(o, "_stype", None) != "default":
                return _invoke_other_storage(op, attrs, inputs, out)
            if o._var.pending:
                idle = False
    eng = _engine._engine
    if _profiler_hook is not None:
        results = _profiler_hook(op, attrs, inputs, ctx, outs, eng, idle, size)
    elif idle and (size < ASYNC_MIN_SIZE or not eng.threaded
                   or (ctx.device_typeid != 1 and asynchronous(ctx))):
        if outs is None and ctx.device_typeid == 1 and not op.resources \
                and not op._mutate_inputs:
            # The most common call of all: host arrays in, one array out.
            try:
                res = _backends.compute_host(op, attrs, args) \
                    if op.overrides or _backends._counting else op.compute(np, attrs, *args)
            except MXNetError:
                raise
            except Exception as e:
                raise kernel_error(op, attrs, inputs, e) from e
            if type(res) is _ndarray:
                # _new, inlined: this line runs for nearly every imperative op.
                arr = _object_new(_NDArray)
                arr._data = res
                arr._ctx = ctx
                arr._var = _Var()
                arr._ag_node = None
                arr._ag_index = 0
                arr._grad = None
                arr._grad_req = "null"
                arr._fresh_grad = False
                if _ag_state.recording:
                    _ag._record(op, attrs, inputs, [arr])
                return arr
            results = _host_results(res, ctx)
        else:
            results = _run_inline(op, attrs, inputs, ctx, outs)
    else:
        results = _push(op, attrs, inputs, ctx, outs, eng)
    if _ag_state.recording:
        _ag._record(op, attrs, inputs, results)
    if out is not None:
        return out
    if op.visible_outputs is not None:
        results = results[:op.visible_outputs(attrs)]
    return results[0] if len(results) == 1 else results


def _invoke_other_storage(op, attrs, inputs, out):
    """Calls with sparse (row_sparse/csr) inputs go to the sparse dispatcher,
    which runs a sparse kernel or falls back to dense storage."""
    _check_inputs(op, inputs, attrs)
    from . import sparse
    return sparse.dispatch(op, attrs, inputs, out)


def kernel_error(op, attrs, inputs, exc):
    """The MXNetError for an exception a kernel raised: inputs missing, or
    shapes the op's inference rejects, are said in the op's own terms (the
    kernels skip those checks on the fast path); anything else is named."""
    names = op.input_names(attrs) if not op.variadic else ()
    if isinstance(exc, TypeError) and len(inputs) < len(names):
        return MXNetError(f"{op.name}: missing input '{names[len(inputs)]}' (expects "
                          f"{', '.join(names)}; got {len(inputs)})")
    if op.infer_shape is not None:
        try:
            op.infer_shape(attrs, [x._data.shape for x in inputs])
        except MXNetError as e:
            return e
        except Exception:  # the rule itself cannot read these inputs: report the kernel's error
            pass
    return MXNetError(f"{op.name}: {type(exc).__name__}: {exc}")


def _check_inputs(op, inputs, attrs=None):
    for i, x in enumerate(inputs):
        if not isinstance(x, _NDArray):
            names = op.input_names(attrs) if attrs is not None and not op.variadic else ()
            name = names[i] if i < len(names) else f"input {i}"
            raise MXNetError(f"{op.name}: argument '{name}' must be an NDArray, "
                             f"got {type(x).__name__}")
    return inputs[0]._ctx


def _run_inline(op, attrs, inputs, ctx, outs):
    try:
        if ctx.device_typeid != 1 or op.overrides:
            res = _backends.compute(op, attrs, [x._data for x in inputs], ctx,
                                    _resources(op, ctx) if op.resources else {})
        elif op.resources:
            res = op.compute(np, attrs, *[x._data for x in inputs], **_resources(op, ctx))
        else:
            res = op.compute(np, attrs, *[x._data for x in inputs])
    except MXNetError:
        raise
    except Exception as e:
        raise kernel_error(op, attrs, inputs, e) from e
    if op._mutate_inputs:  # written in place (optimizer states): a new version
        for i in op.mutate_inputs(attrs, len(inputs)):
            inputs[i]._var.version += 1
    if outs is None:
        return _host_results(res, ctx) if ctx.device_typeid == 1 else \
            [_new(r, ctx) for r in (res if type(res) is tuple else (res,))]
    if type(res) is not tuple:
        res = (res,)
    if ctx.device_typeid == 1:  # NumPy may hand back scalars for 0-d results
        res = tuple(r if type(r) is _ndarray else _asarray(r) for r in res)
    _write_outputs(op, outs, res)
    for o in outs:
        o._var.version += 1
    return outs


def _host_results(res, ctx):
    """NDArrays for a host kernel's result (an array, a scalar, or a tuple of them)."""
    if type(res) is not tuple:
        res = (res,)
    return [_new(r if type(r) is _ndarray else _asarray(r), ctx) for r in res]


def _write_outputs(op, outs, res):
    if len(outs) != len(res):
        raise MXNetError(f"{op.name}: out= needs {len(res)} arrays, got {len(outs)}")
    for o, r in zip(outs, res):
        # A 0-d result is a value for every element (_set_value fills out=).
        if o._data.shape != r.shape and r.ndim:
            raise MXNetError(f"{op.name}: output array has shape {o._data.shape}, "
                             f"the result has {r.shape}")
        o._data[...] = r


def _adopt_outputs(op, outs, res):
    """Store results in the placeholder outputs ``_push`` made for them: a host
    result of the promised shape and dtype replaces the placeholder, saving a
    copy, unless a view of the placeholder was taken while the op was pending
    (the view must then see the data, so it is copied in)."""
    if len(outs) != len(res):
        raise MXNetError(f"{op.name}: out= needs {len(res)} arrays, got {len(outs)}")
    for o, r in zip(outs, res):
        held = o._data
        # References: the NDArray's slot, ``held`` and getrefcount's argument.
        if type(r) is _ndarray and r.shape == held.shape and r.dtype == held.dtype \
                and _getrefcount(held) <= 3:
            o._data = r
        else:
            _write_outputs(op, (o,), (r,))


_DTYPE_NAMES = {}


def _dtype_name(dtype):
    # numpy's dtype.name is slow (several issubdtype calls); names never change.
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = dtype.name
    return name


# (op, id(attrs), input shapes, input dtypes) -> (attrs, (shapes, dtypes)): what
# infer_outputs found. The entry holds ``attrs`` so its id is not reused while cached
# (parsed attrs are shared and never modified). Pushed ops infer on every call, and
# rules like FullyConnected's cost ~20 us.
_INFERRED = {}
_INFERRED_LIMIT = 4096


def infer_outputs(op, attrs, inputs):
    """Output (shapes, dtypes) of ``op`` on ``inputs`` from its inference rules."""
    if op.infer_shape is None or op.infer_type is None:
        return None
    key = (op, id(attrs), tuple([x._data.shape for x in inputs]),
           tuple([x._data.dtype for x in inputs]))
    hit = _INFERRED.get(key)
    if hit is not None and hit[0] is attrs:
        return hit[1]
    _, shapes = op.infer_shape(attrs, [x._data.shape for x in inputs])
    _, dtypes = op.infer_type(attrs, [_dtype_name(x._data.dtype) for x in inputs])
    if any(s is None for s in shapes) or any(t is None for t in dtypes):
        return None
    if len(_INFERRED) >= _INFERRED_LIMIT:
        _INFERRED.clear()
    result = _INFERRED[key] = (attrs, (shapes, dtypes))
    return result[1]


def _push(op, attrs, inputs, ctx, outs, eng):
    if outs is None:
        inferred = infer_outputs(op, attrs, inputs)
        if inferred is None:
            # No inference rule: wait for the inputs and run in the caller.
            for x in inputs:
                x.wait_to_read()
            return _run_inline(op, attrs, inputs, ctx, None)
        outs = [_new(_empty_on(ctx, s, np.dtype(t)), ctx) for s, t in zip(*inferred)]
        store = _adopt_outputs
    else:
        store = _write_outputs
    resources = _resources(op, ctx) if op.resources else {}

    def run():
        try:
            res = _backends.compute(op, attrs, [x._data for x in inputs], ctx, resources)
        except MXNetError:
            raise
        except Exception as e:  # surfaces at the next wait, named like inline errors
            raise kernel_error(op, attrs, inputs, e) from e
        store(op, outs, res if type(res) is tuple else (res,))

    writes = [o._var for o in outs] + [inputs[i]._var
                                       for i in op.mutate_inputs(attrs, len(inputs))]
    eng.push(run, ctx, [x._var for x in inputs], writes, op.name)
    return outs
