"""User-defined operators written in Python (MXNet's ``mx.operator``).

A user subclasses ``CustomOp`` (the computation: ``forward`` and
``backward`` writing into given NDArrays) and ``CustomOpProp`` (the
declaration: argument/output/aux names, shape and type inference, which
``CustomOp`` to create), and registers the prop class under a name with
``@mx.operator.register("name")``. ``mx.nd.Custom(*inputs, op_type="name",
**kwargs)`` and ``mx.sym.Custom(...)`` then run it imperatively, under
autograd, in symbol executors and in hybridized blocks. The extra keyword
arguments reach the prop's constructor as strings, as in MXNet.

Both directions are registry operators: ``Custom`` (forward) and
``_backward_Custom`` (its gradient rule calls it with the output gradients,
inputs and outputs), so graphs trace and compile them like any op. The
``CustomOp`` instance created for a forward call is found again by its
backward through the identity of the forward's first output array, so state
kept on ``self`` in ``forward`` is there in ``backward``, as in MXNet.
"""
import threading
import weakref

import numpy as np

from . import autograd as _ag
from .base import MXNetError
from .context import Context, cpu, current_context
from .ndarray.ndarray import NDArray, _new
from .ndarray.serialization import DTYPE_FLAGS
from .ops import registry
from .ops.params import Param

__all__ = ["CustomOp", "CustomOpProp", "register", "get_all_registered_operators",
           "PythonOp", "NumpyOp", "NDArrayOp"]


class CustomOp:
    """Base class of a Python operator's computation.

    ``forward(is_train, req, in_data, out_data, aux)`` and
    ``backward(req, out_grad, in_data, out_data, in_grad, aux)`` receive lists
    of NDArrays and write their results into ``out_data``/``in_grad`` (use
    ``assign`` so the write request ``req`` is honoured)."""

    def __init__(self):
        pass

    def forward(self, is_train, req, in_data, out_data, aux):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def assign(self, dst, req, src):
        """Write ``src`` into ``dst`` as ``req`` asks: 'write'/'inplace'
        overwrite, 'add' accumulates, 'null' leaves ``dst`` untouched."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] += src
        else:
            raise MXNetError(f"CustomOp.assign: req must be 'null', 'write', 'inplace' or "
                             f"'add', got {req!r}")


class CustomOpProp:
    """Base class of a Python operator's declaration.

    The defaults describe one input ``data`` and one output ``output`` of the
    same shape and dtype, without aux states. ``need_top_grad=False`` says
    the backward does not read the output gradient (loss layers)."""

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def infer_shape(self, in_shape):
        """(argument shapes, output shapes[, aux shapes]) from the input shapes."""
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        """(argument dtypes, output dtypes, aux dtypes): all like the first input."""
        return (in_type, [in_type[0]] * len(self.list_outputs()),
                [in_type[0]] * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        """Storage types of (arguments, outputs, aux): dense only."""
        for stype in in_stype:
            if stype != "default":
                raise MXNetError(f"{type(self).__name__}: the default infer_storage_type "
                                 f"handles dense storage only, got {stype!r}")
        return (in_stype, ["default"] * len(self.list_outputs()),
                ["default"] * len(self.list_auxiliary_states()))

    def infer_storage_type_backward(self, ograd_stype, in_stype, out_stype, igrad_stype,
                                    aux_stype):
        """Storage types of the backward's arrays: dense only."""
        return (["default"] * len(ograd_stype), in_stype, out_stype,
                ["default"] * len(igrad_stype), aux_stype)

    def list_arguments(self):
        return ["data"]

    def list_outputs(self):
        return ["output"]

    def list_auxiliary_states(self):
        return []

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """Which of these the backward reads (a memory-planning hint)."""
        deps = list(out_grad) if self.need_top_grad_ else []
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx, in_shapes, in_dtypes):
        """The ``CustomOp`` computing this operator for the given shapes and
        dtype flags on context ``ctx``."""
        raise NotImplementedError(f"{type(self).__name__} must implement create_operator")


_PROPS = {}  # registered name -> CustomOpProp subclass
_PROP_CACHE = {}  # (class, op_type, kwargs) -> instance, so inference and kernels share one
_PROP_CACHE_LIMIT = 1024
_lock = threading.Lock()


def register(reg_name):
    """Class decorator registering a ``CustomOpProp`` subclass as ``op_type=reg_name``."""
    def do_register(prop_cls):
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise MXNetError(f"operator.register({reg_name!r}): expected a CustomOpProp "
                             f"subclass, got {prop_cls!r}")
        _PROPS[reg_name] = prop_cls
        return prop_cls
    return do_register


def get_all_registered_operators():
    """Names of every registered operator (built-in ones and their aliases)."""
    return sorted(registry.all_ops())


# -- the registry operators ------------------------------------------------------
class _OpParams(dict):
    """Parameter schema of ``Custom``: ``op_type`` plus any other keyword,
    which is handed to the prop as a string."""
    _EXTRA = Param("any", default=None, doc="Passed to the operator's CustomOpProp.")

    def __contains__(self, key):
        return dict.__contains__(self, key) or not (key.startswith("__") and key.endswith("__"))

    def get(self, key, default=None):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        return self._EXTRA if key in self else default

    def __getitem__(self, key):
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value


def _prop_kwargs(attrs):
    return tuple(sorted((k, v if isinstance(v, str) else str(v)) for k, v in attrs.items()
                        if k not in ("op_type", "num_args") and v is not None))


def _prop(attrs):
    op_type = attrs["op_type"]
    cls = _PROPS.get(op_type)
    if cls is None:
        raise MXNetError(f"Custom: op_type {op_type!r} is not registered (register a "
                         f"CustomOpProp with @mx.operator.register); registered: "
                         f"{sorted(_PROPS)}")
    kwargs = _prop_kwargs(attrs)
    key = (cls, op_type, kwargs)
    prop = _PROP_CACHE.get(key)
    if prop is None:
        prop = cls(**dict(kwargs))
        with _lock:
            if len(_PROP_CACHE) >= _PROP_CACHE_LIMIT:
                _PROP_CACHE.clear()
            _PROP_CACHE[key] = prop
    return prop


def _counts(prop):
    return (len(prop.list_arguments()), len(prop.list_auxiliary_states()),
            len(prop.list_outputs()))


def _infer_shape(attrs, in_shapes):
    prop = _prop(attrs)
    n_args, n_aux, n_out = _counts(prop)
    if len(in_shapes) != n_args + n_aux:
        raise MXNetError(f"Custom ({attrs['op_type']}): expects {n_args + n_aux} inputs "
                         f"{prop.list_arguments() + prop.list_auxiliary_states()}, got "
                         f"{len(in_shapes)}")
    given = [list(s) if s is not None else [] for s in in_shapes]
    try:
        res = prop.infer_shape(given[:n_args])
    except Exception as e:
        if any(s is None for s in in_shapes):  # not enough known yet
            return in_shapes, [None] * n_out
        raise MXNetError(f"Custom ({attrs['op_type']}): infer_shape failed: "
                         f"{type(e).__name__}: {e}") from e
    args, outs = res[0], res[1]
    aux = res[2] if len(res) > 2 else ()
    if len(args) != n_args or len(outs) != n_out or len(aux) != n_aux:
        raise MXNetError(f"Custom ({attrs['op_type']}): infer_shape must return {n_args} "
                         f"argument, {n_out} output and {n_aux} aux shapes, got "
                         f"{len(args)}, {len(outs)} and {len(aux)}")
    known = [tuple(int(d) for d in s) if s is not None and len(s) else None
             for s in list(args) + list(aux)]
    return known, [tuple(int(d) for d in s) for s in outs]


def _type_name(t):
    return None if t is None else np.dtype(t).name


def _infer_type(attrs, in_types):
    prop = _prop(attrs)
    n_args, n_aux, n_out = _counts(prop)
    if all(t is None for t in in_types):
        return in_types, [None] * n_out
    given = [None if t is None else np.dtype(t).type for t in in_types]
    res = prop.infer_type(given[:n_args])
    args, outs = res[0], res[1]
    aux = res[2] if len(res) > 2 else ()
    return ([_type_name(t) for t in list(args) + list(aux)][:len(in_types)],
            [_type_name(t) for t in outs])


def _context_of(xp, array):
    if xp is np:
        ctx = current_context()
        return ctx if ctx.device_typeid == 1 else cpu(0)
    device = getattr(array, "device", None)
    return Context("gpu", getattr(device, "id", 0))


# The CustomOp instance of each forward call, keyed by the identity of its
# first output array (kept alive by autograd nodes and graph slots until the
# backward runs); entries vanish with the array.
_STATES = {}


def _remember(array, op):
    key = id(array)
    _STATES[key] = (weakref.ref(array, lambda _ref, key=key: _STATES.pop(key, None)), op)


def _recall(array):
    entry = _STATES.get(id(array))
    if entry is not None and entry[0]() is array:
        return entry[1]
    return None


def _create_operator(prop, ctx, arrays):
    shapes = [list(a.shape) for a in arrays]
    dtypes = [DTYPE_FLAGS[np.dtype(a.dtype)] for a in arrays]
    return prop.create_operator(ctx, shapes, dtypes)


def _results(arrays):
    return tuple(a._arr() for a in arrays)


def _custom_forward(xp, attrs, *inputs, is_train=False):
    """Run the registered ``CustomOp``'s forward on the inputs (arguments, then aux)."""
    prop = _prop(attrs)
    n_args, n_aux, n_out = _counts(prop)
    _, out_shapes = _infer_shape(attrs, [a.shape for a in inputs])
    _, out_types = _infer_type(attrs, [a.dtype.name for a in inputs])
    ctx = _context_of(xp, inputs[0] if inputs else None)
    op = _create_operator(prop, ctx, inputs[:n_args])
    in_data = [_new(a, ctx) for a in inputs]
    out_data = [_new(xp.zeros(s, t), ctx) for s, t in zip(out_shapes, out_types)]
    with _ag.pause(train_mode=bool(is_train)):
        op.forward(is_train=int(bool(is_train)), req=["write"] * n_out,
                   in_data=in_data[:n_args], out_data=out_data, aux=in_data[n_args:])
        results = _results(out_data)
        for a in in_data[n_args:]:
            a.wait_to_read()  # aux states are updated in place
    if results:
        _remember(results[0], op)
    return results


def _custom_gradient(F, attrs, inputs, outputs, out_grads):
    prop = _prop(attrs)
    n_args = len(prop.list_arguments())
    kwargs = {k: v for k, v in attrs.items() if k != "num_args" and v is not None}
    arrays = list(out_grads) + list(inputs) + list(outputs)
    if isinstance(inputs[0], NDArray):  # autograd: run in this thread (see _run_here)
        grads = _run_here(_BACKWARD, _BACKWARD.parse(dict(kwargs, num_args=len(arrays))), arrays)
    else:  # tracing a graph's backward pass
        grads = F._internal._backward_Custom(*arrays, **kwargs)
    if not isinstance(grads, (list, tuple)):
        grads = [grads]
    return list(grads) + [None] * (len(inputs) - n_args)


def _custom_output_names(attrs):
    return _prop(attrs).list_outputs()


def _custom_input_names(attrs):
    prop = _prop(attrs)
    return prop.list_arguments() + prop.list_auxiliary_states()


def _aux_positions(attrs, n_inputs):
    n_args = len(_prop(attrs).list_arguments())
    return range(n_args, n_inputs)


_CUSTOM = registry.register(
    "Custom", params={"op_type": Param("str", doc="Name of the registered CustomOpProp.")},
    inputs=("data",), num_outputs=lambda attrs: len(_prop(attrs).list_outputs()),
    output_names=_custom_output_names, active_inputs=_custom_input_names,
    infer_shape=_infer_shape, infer_type=_infer_type, gradient=_custom_gradient,
    mutate_inputs=_aux_positions, resources=("is_train",))(_custom_forward)
_CUSTOM.params = _OpParams(_CUSTOM.params)


def _split_backward(prop, arrays):
    n_args, n_aux, n_out = _counts(prop)
    if len(arrays) != 2 * n_out + n_args + n_aux:
        raise MXNetError(f"_backward_Custom: expects {2 * n_out + n_args + n_aux} inputs "
                         f"(output gradients, inputs, outputs), got {len(arrays)}")
    out_grad = arrays[:n_out]
    in_data = arrays[n_out:n_out + n_args]
    aux = arrays[n_out + n_args:n_out + n_args + n_aux]
    out_data = arrays[n_out + n_args + n_aux:]
    return out_grad, in_data, aux, out_data


def _backward_infer_shape(attrs, in_shapes):
    _, in_data, aux, _ = _split_backward(_prop(attrs), in_shapes)
    return in_shapes, list(in_data)


def _backward_infer_type(attrs, in_types):
    _, in_data, aux, _ = _split_backward(_prop(attrs), in_types)
    return in_types, list(in_data)


def _custom_backward(xp, attrs, *arrays):
    """Run the ``CustomOp``'s backward: the gradients of its arguments."""
    prop = _prop(attrs)
    out_grad, in_data, aux, out_data = _split_backward(prop, arrays)
    ctx = _context_of(xp, arrays[0])
    op = _recall(out_data[0]) if out_data else None
    if op is None:  # the forward ran elsewhere (e.g. copied outputs): a fresh instance
        op = _create_operator(prop, ctx, in_data)
    wrap = (lambda seq: [_new(a, ctx) for a in seq])
    in_grad = [_new(xp.zeros(a.shape, a.dtype), ctx) for a in in_data]
    aux_nd = wrap(aux)
    with _ag.pause(train_mode=_ag.is_training()):
        op.backward(req=["write"] * len(in_grad), out_grad=wrap(out_grad),
                    in_data=wrap(in_data), out_data=wrap(out_data), in_grad=in_grad,
                    aux=aux_nd)
        results = _results(in_grad)
        for a in aux_nd:
            a.wait_to_read()
    return results


_BACKWARD = registry.register(
    "_backward_Custom", params={"op_type": Param("str", doc="Name of the registered "
                                                               "CustomOpProp.")},
    variadic="num_args",
    num_outputs=lambda attrs: len(_prop(attrs).list_arguments()),
    infer_shape=_backward_infer_shape, infer_type=_backward_infer_type)(_custom_backward)
_BACKWARD.params = _OpParams(_BACKWARD.params)


# -- front ends ----------------------------------------------------------------------
def _run_here(op, attrs, inputs, out=None):
    """Run a Custom op's kernel in the calling thread, as invoke's inline path
    does. Never on an engine worker: the user's Python code issues and waits
    on NDArray operations of its own, which would queue behind the worker
    running it and never start."""
    from .ndarray.invoke import xp_of
    for x in inputs:
        x.wait_to_read()
    ctx = inputs[0].context if inputs else current_context()
    extra = {"is_train": _ag.is_training()} if op.resources else {}
    results = [_new(r, ctx) for r in op.compute(xp_of(ctx), attrs,
                                                *[x._data for x in inputs], **extra)]
    if _ag.is_recording():
        _ag._record(op, attrs, inputs, results)
    if out is not None:
        targets = out if isinstance(out, (list, tuple)) else [out]
        if len(targets) != len(results):
            raise MXNetError(f"{op.name}: out= needs {len(results)} arrays, got {len(targets)}")
        for t, r in zip(targets, results):
            r.copyto(t)
        return out
    return results[0] if len(results) == 1 else results


def _nd_custom(*data, out=None, name=None, **kwargs):
    """Apply the Python operator registered as ``op_type`` to NDArray inputs
    (its arguments, then its aux states); other keyword arguments go to its
    ``CustomOpProp`` as strings. Returns an NDArray or a list for several outputs."""
    if len(data) == 1 and isinstance(data[0], (list, tuple)):
        data = data[0]
    for x in data:
        if not isinstance(x, NDArray):
            raise MXNetError(f"Custom: inputs must be NDArrays, got {type(x).__name__}")
    for key in [k for k, v in kwargs.items() if isinstance(v, NDArray)]:
        raise MXNetError(f"Custom: inputs are positional, got NDArray keyword {key!r}")
    return _run_here(_CUSTOM, _CUSTOM.parse(kwargs), list(data), out)


def _sym_custom(*data, name=None, attr=None, **kwargs):
    """Symbol of the Python operator registered as ``op_type``: inputs by
    position or by argument name; arguments not given become variables named
    ``<name>_<argument>`` (``softmax_label``); other keywords go to its
    ``CustomOpProp`` as strings."""
    from .symbol.register import create
    return create("Custom", list(data), kwargs, name, attr)


def _install_front_ends():
    # The generated front-end functions map extra positional arguments to
    # parameters; Custom's inputs depend on op_type, so it has its own.
    from . import ndarray, symbol
    from .ndarray import op as nd_op
    from .symbol import op as sym_op
    for fn, namespaces in ((_nd_custom, (ndarray, nd_op)), (_sym_custom, (symbol, sym_op))):
        fn.__name__ = fn.__qualname__ = "Custom"
        fn.op = _CUSTOM
        for ns in namespaces:
            setattr(ns, "Custom", fn)


_install_front_ends()


# The legacy operator classes are part of mx.operator. Imported last: their
# module builds on this one's helpers (_run_here, _context_of, _results).
from .operator_legacy import NDArrayOp, NumpyOp, PythonOp  # noqa: E402
