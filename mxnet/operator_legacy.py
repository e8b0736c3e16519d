"""MXNet's first Python operator API: ``PythonOp``, ``NumpyOp`` and ``NDArrayOp``
(deprecated in MXNet in favour of ``CustomOp``, kept for old code).

An instance is the operator: it lists its arguments and outputs, infers
shapes, and computes ``forward(in_data, out_data)`` and
``backward(out_grad, in_data, out_data, in_grad)`` by writing into the given
arrays: NumPy arrays for ``NumpyOp``, NDArrays for ``NDArrayOp``. Its
``get_symbol(*inputs, name=...)`` makes a graph node (``_Native`` or
``_NDArray``) naming the instance by a handle in its ``info`` attribute,
which executors, Module and ``mx.nd._internal._Native(x, info=...)`` run.
Only float32 data is accepted, as in MXNet.

``_NDArray`` is declared here, not in ``mxnet.ops``, because its kernel hands
NDArrays to the user's code; it runs in the caller's thread like ``Custom``
(see ``operator._run_here``).
"""
import warnings

from . import autograd as _ag
from .base import MXNetError
from .ndarray.ndarray import NDArray, _new
from .operator import _context_of, _results, _run_here
from .ops import registry
from .ops.params import Param
from .ops.python_ops import (add_python_op, backward_infer, check_float32, counts,
                             legacy_infer_shape, legacy_infer_type, python_op, split_backward)

__all__ = ["PythonOp", "NumpyOp", "NDArrayOp"]


class PythonOp:
    """Base class of the legacy Python operators.

    ``need_top_grad`` is what ``need_top_grad()`` answers: whether the
    backward reads the output gradients (False for loss layers)."""

    def __init__(self, need_top_grad=True):
        self.info_ = None
        self.need_top_grad_ = need_top_grad
        warnings.warn("PythonOp is deprecated; write a CustomOp instead")

    def __call__(self, *args, **kwargs):
        return self.get_symbol(*args, **kwargs)

    def get_symbol(self, *args, **kwargs):
        """The Symbol of this operator applied to Symbol inputs (subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_symbol")

    def forward(self, in_data, out_data):
        """Fill ``out_data`` from ``in_data``; by default the identity."""
        out_data[0][:] = in_data[0]

    def backward(self, out_grad, in_data, out_data, in_grad):
        """Fill ``in_grad``; by default with ones (the output gradient is ignored)."""
        in_grad[0][:] = 1.0

    def infer_shape(self, in_shape):
        """(argument shapes, output shapes) from the argument shapes; by default
        one output shaped like the first argument."""
        return in_shape, [in_shape[0]]

    def list_outputs(self):
        return ["output"]

    def list_arguments(self):
        return ["data"]

    def need_top_grad(self):
        return self.need_top_grad_


class NumpyOp(PythonOp):
    """A legacy operator computing on NumPy arrays (``_Native`` nodes)."""

    def __init__(self, need_top_grad=True):
        super().__init__(need_top_grad)
        warnings.warn("NumpyOp is deprecated; write a CustomOp instead")

    def get_symbol(self, *args, **kwargs):
        """A ``_Native`` node of this operator on Symbol inputs (by position or
        argument name; missing ones become variables ``<name>_<argument>``)."""
        self.info_ = add_python_op(self)
        return _sym_legacy("_Native", args, dict(kwargs, info=self.info_,
                                                 need_top_grad=self.need_top_grad()))


class NDArrayOp(PythonOp):
    """A legacy operator computing on NDArrays (``_NDArray`` nodes)."""

    def __init__(self, need_top_grad=True):
        super().__init__(need_top_grad)
        warnings.warn("NDArrayOp is deprecated; write a CustomOp instead")

    def get_symbol(self, *args, **kwargs):
        """An ``_NDArray`` node of this operator on Symbol inputs."""
        self.info_ = add_python_op(self)
        return _sym_legacy("_NDArray", args, dict(kwargs, info=self.info_))

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        """The ids (from the given lists) of the arrays ``backward`` reads; the
        others reach it as empty lists. By default all of them, without the
        output gradients unless ``need_top_grad``."""
        deps = list(out_grad) if self.need_top_grad() else []
        return deps + list(in_data) + list(out_data)


# -- _NDArray ---------------------------------------------------------------------------
def _ndarray_outputs(attrs):
    return python_op("_NDArray", attrs.info).list_outputs()


def _ndarray_inputs(attrs):
    return python_op("_NDArray", attrs.info).list_arguments()


def _ndarray_forward(xp, attrs, *inputs):
    """Run an ``NDArrayOp``'s ``forward(in_data, out_data)`` on NDArrays."""
    obj = python_op("_NDArray", attrs.info)
    check_float32("_NDArray", inputs)
    _, out_shapes = legacy_infer_shape("_NDArray")(attrs, [a.shape for a in inputs])
    ctx = _context_of(xp, inputs[0] if inputs else None)
    in_data = [_new(a, ctx) for a in inputs]
    out_data = [_new(xp.zeros(s, "float32"), ctx) for s in out_shapes]
    with _ag.pause(train_mode=_ag.is_training()):
        obj.forward(in_data=in_data, out_data=out_data)
        return _results(out_data)


def _ndarray_gradient(F, attrs, inputs, outputs, out_grads):
    arrays = list(out_grads) + list(inputs) + list(outputs)
    if arrays and isinstance(arrays[0], NDArray):  # autograd: the user's code runs here
        grads = _run_here(_BACKWARD, _BACKWARD.parse({"info": attrs.info,
                                                      "num_args": len(arrays)}), arrays)
    else:  # tracing a graph's backward pass
        grads = F._internal._backward_NDArray(*arrays, info=attrs.info)
    return list(grads) if isinstance(grads, (list, tuple)) else [grads]


_NDARRAY = registry.register(
    "_NDArray", params={"info": Param("str", doc="Handle of the NDArrayOp (made by its "
                                                "get_symbol).")},
    inputs=("data",), num_outputs=lambda attrs: len(_ndarray_outputs(attrs)),
    output_names=_ndarray_outputs, active_inputs=_ndarray_inputs,
    infer_shape=legacy_infer_shape("_NDArray"),
    infer_type=legacy_infer_type("_NDArray", lambda attrs, n: len(_ndarray_outputs(attrs))),
    gradient=_ndarray_gradient)(_ndarray_forward)


def _declared(obj, n_in, n_out):
    """Per list (out_grad, in_data, out_data), the positions ``backward`` reads."""
    ids = (list(range(n_out)), list(range(n_out, n_out + n_in)),
           list(range(n_out + n_in, 2 * n_out + n_in)))
    deps = set(obj.declare_backward_dependency(*ids))
    return [[i for i, k in enumerate(group) if k in deps] for group in ids]


def _ndarray_backward(xp, attrs, *arrays):
    """Run an ``NDArrayOp``'s ``backward``: the gradients of its inputs. Each
    list holds only the arrays ``declare_backward_dependency`` names."""
    obj = python_op("_backward_NDArray", attrs.info)
    parts = split_backward("_backward_NDArray", obj, arrays)
    n_in, n_out = counts("_backward_NDArray", obj)
    ctx = _context_of(xp, arrays[0])
    out_grad, in_data, out_data = ([_new(part[i], ctx) for i in keep]
                                   for part, keep in zip(parts, _declared(obj, n_in, n_out)))
    in_grad = [_new(xp.zeros(a.shape, "float32"), ctx) for a in parts[1]]
    with _ag.pause(train_mode=_ag.is_training()):
        obj.backward(out_grad=out_grad, in_data=in_data, out_data=out_data, in_grad=in_grad)
        return _results(in_grad)


_BACKWARD = registry.register(
    "_backward_NDArray", params={"info": Param("str", doc="Handle of the NDArrayOp.")},
    variadic="num_args", num_outputs=lambda attrs: len(_ndarray_inputs(attrs)),
    infer_shape=backward_infer("_backward_NDArray", "shape"),
    infer_type=backward_infer("_backward_NDArray", "type"))(_ndarray_backward)


# -- front ends ------------------------------------------------------------------------------
def _sym_legacy(op_name, data, kwargs):
    from .symbol.register import create
    name, attr = kwargs.pop("name", None), kwargs.pop("attr", None)
    return create(op_name, list(data), kwargs, name, attr)


def _inputs(op_name, data, kwargs):
    if len(data) == 1 and isinstance(data[0], (list, tuple)):
        data = data[0]
    for x in data:
        if not isinstance(x, NDArray):
            raise MXNetError(f"{op_name}: inputs must be NDArrays, got {type(x).__name__}")
    for key, value in kwargs.items():
        if isinstance(value, NDArray):
            raise MXNetError(f"{op_name}: inputs are positional, got NDArray keyword {key!r}")
    return list(data)


def _nd_native(*data, out=None, name=None, **kwargs):
    """Run the ``NumpyOp`` whose handle is ``info`` on NDArray inputs."""
    from .ndarray.invoke import invoke
    op = registry.get("_Native")
    return invoke(op, _inputs("_Native", data, kwargs), kwargs, out)


def _nd_ndarray(*data, out=None, name=None, **kwargs):
    """Run the ``NDArrayOp`` whose handle is ``info`` on NDArray inputs."""
    return _run_here(_NDARRAY, _NDARRAY.parse(kwargs), _inputs("_NDArray", data, kwargs), out)


def _install_front_ends():
    # The generated functions read positional arguments past the declared
    # inputs as parameters; these ops' inputs are the Python operator's.
    import inspect

    from .ndarray import _internal as nd_internal
    from .symbol import _internal as sym_internal
    signature = inspect.Signature([inspect.Parameter("data", inspect.Parameter.VAR_POSITIONAL),
                                   inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
    for op_name, nd_fn in (("_Native", _nd_native), ("_NDArray", _nd_ndarray)):
        def sym_fn(*data, name=None, attr=None, _op_name=op_name, **kwargs):
            return _sym_legacy(_op_name, data, dict(kwargs, name=name, attr=attr))
        for fn, namespace in ((nd_fn, nd_internal), (sym_fn, sym_internal)):
            fn.__name__ = fn.__qualname__ = op_name
            fn.__signature__ = signature
            fn.op = registry.get(op_name)
            setattr(namespace, op_name, fn)
        sym_fn.__doc__ = f"Symbol of a legacy Python operator node ({op_name})."


_install_front_ends()
