"""Operators that stand for Python code: legacy Python operators, recorded
``autograd.Function`` calls and C API CachedOp calls.

``_Native`` runs a legacy ``mx.operator.NumpyOp`` (forward and backward on
NumPy arrays); ``_NDArray``, its NDArray twin for ``NDArrayOp``, is declared
in ``mxnet.operator_legacy`` because its kernel works on NDArrays. A node of
either names its Python object by the ``info`` attribute: MXNet stores a C
pointer there, written in hex; here it is a handle into ``PYTHON_OPS``, a
table local to this process. A handle from another process (a JSON file
written elsewhere) is not in the table, so using it raises MXNetError: a
graph file never makes this process run code it did not register itself.

``_CustomFunction`` is the operator of an ``autograd.Function`` call in a
recorded graph, and ``_CachedOp``/``_CachedOpThreadSafe`` that of a C++
CachedOp invoked on symbols through MXNet's C API. Neither has a kernel that
can run from a graph (the Python forward or the C++ object is not part of
it): running one raises MXNetError saying so.
"""
import secrets

import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register

# Handle (hex string) -> legacy Python operator object. Entries are kept for
# the process, as MXNet keeps every PythonOp that made a symbol alive.
PYTHON_OPS = {}


def add_python_op(obj):
    """Remember ``obj`` and return the handle naming it in a node's ``info``.

    Handles are random 47-bit numbers in hex, shaped like the pointers MXNet
    writes, so a handle read from another process's file almost surely names
    nothing here (a counter would name this process's first operator)."""
    while True:
        handle = format(secrets.randbits(47) | (1 << 44), "x")
        if handle not in PYTHON_OPS:
            PYTHON_OPS[handle] = obj
            return handle


def python_op(op_name, info):
    """The Python operator object registered under handle ``info``."""
    key = info.lower()[2:] if info.lower().startswith("0x") else info.lower()
    obj = PYTHON_OPS.get(key)
    if obj is None:
        raise MXNetError(
            f"{op_name}: info={info!r} names no Python operator of this process; "
            "a graph holding a NumpyOp/NDArrayOp node runs only in the process whose "
            "get_symbol() made it (a JSON file from elsewhere cannot bring the Python code)")
    return obj


def counts(op_name, obj):
    """(number of arguments, number of outputs) of a legacy Python operator."""
    try:
        return len(obj.list_arguments()), len(obj.list_outputs())
    except Exception as e:
        raise MXNetError(f"{op_name}: list_arguments()/list_outputs() of "
                         f"{type(obj).__name__} failed: {type(e).__name__}: {e}") from e


def _obj(op_name):
    return lambda attrs: python_op(op_name, attrs.info)


def legacy_infer_shape(op_name):
    """Shape rule asking the Python operator's ``infer_shape(in_shapes)`` for
    (argument shapes, output shapes). Unknown inputs are passed as ``[]``;
    while the operator cannot answer without them the outputs stay unknown."""
    def rule(attrs, in_shapes):
        obj = python_op(op_name, attrs.info)
        n_in, n_out = counts(op_name, obj)
        if len(in_shapes) != n_in:
            raise MXNetError(f"{op_name}: {type(obj).__name__} takes {n_in} inputs "
                             f"{obj.list_arguments()}, got {len(in_shapes)}")
        try:
            ishape, oshape = obj.infer_shape([list(s) if s is not None else []
                                              for s in in_shapes])
        except Exception as e:
            if any(s is None for s in in_shapes):
                return in_shapes, [None] * n_out
            raise MXNetError(f"{op_name}: {type(obj).__name__}.infer_shape failed: "
                             f"{type(e).__name__}: {e}") from e
        if len(ishape) != n_in or len(oshape) != n_out:
            raise MXNetError(f"{op_name}: {type(obj).__name__}.infer_shape must return "
                             f"{n_in} input and {n_out} output shapes, got {len(ishape)} "
                             f"and {len(oshape)}")
        return ([tuple(int(d) for d in s) if len(s) else None for s in ishape],
                [tuple(int(d) for d in s) for s in oshape])
    return rule


def legacy_infer_type(op_name, n_outputs):
    """Type rule of the legacy Python operators: float32 only, as in MXNet.
    ``n_outputs(attrs, n_inputs)`` counts the outputs."""
    def rule(attrs, in_types):
        for t in in_types:
            if t is not None and t != "float32":
                raise MXNetError(f"{op_name}: legacy Python operators take float32 inputs "
                                 f"only, got {t}")
        return ["float32"] * len(in_types), ["float32"] * n_outputs(attrs, len(in_types))
    return rule


def check_float32(op_name, arrays):
    for a in arrays:
        if a.dtype != np.float32:
            raise MXNetError(f"{op_name}: legacy Python operators take float32 inputs only, "
                             f"got {a.dtype}")


def split_backward(op_name, obj, arrays):
    """(output gradients, inputs, outputs) of a ``_backward_*`` call's inputs."""
    n_in, n_out = counts(op_name, obj)
    if len(arrays) != 2 * n_out + n_in:
        raise MXNetError(f"{op_name}: expects {2 * n_out + n_in} inputs (output gradients, "
                         f"inputs, outputs), got {len(arrays)}")
    return arrays[:n_out], arrays[n_out:n_out + n_in], arrays[n_out + n_in:]


def backward_infer(op_name, kind):
    """Rule of a ``_backward_*`` op: each input gradient is like its input."""
    def rule(attrs, items):
        _, ins, _ = split_backward(op_name, python_op(op_name, attrs.info), items)
        if kind == "type":
            return items, ["float32"] * len(ins)
        return items, list(ins)
    return rule


def _host(xp, a):
    return a if xp is np else xp.asnumpy(a)


# -- _Native: NumpyOp -----------------------------------------------------------------------
_NATIVE_PARAMS = {
    "info": Param("str", doc="Handle of the NumpyOp (made by its get_symbol)."),
    "need_top_grad": Param("bool", default=True, doc="Whether the backward reads the "
                                                     "output gradients (False for losses)."),
}


def _native_gradient(F, attrs, inputs, outputs, out_grads):
    grads = F._internal._backward_Native(*out_grads, *inputs, *outputs, info=attrs.info,
                                         need_top_grad=attrs.need_top_grad)
    return list(grads) if isinstance(grads, (list, tuple)) else [grads]


def _native_outputs(attrs):
    return python_op("_Native", attrs.info).list_outputs()


def _native_inputs(attrs):
    return python_op("_Native", attrs.info).list_arguments()


@register("_Native", params=_NATIVE_PARAMS, inputs=("data",),
          num_outputs=lambda attrs: len(_native_outputs(attrs)),
          output_names=_native_outputs, active_inputs=_native_inputs,
          infer_shape=legacy_infer_shape("_Native"),
          infer_type=legacy_infer_type("_Native", lambda attrs, n: len(_native_outputs(attrs))),
          gradient=_native_gradient)
def _native(xp, attrs, *inputs):
    """Run a legacy ``NumpyOp``: its ``forward(in_data, out_data)`` fills
    float32 NumPy output arrays of the shapes its ``infer_shape`` gives."""
    obj = python_op("_Native", attrs.info)
    check_float32("_Native", inputs)
    _, out_shapes = legacy_infer_shape("_Native")(attrs, [a.shape for a in inputs])
    in_data = [_host(xp, a) for a in inputs]
    out_data = [np.zeros(s, np.float32) for s in out_shapes]
    obj.forward(in_data=in_data, out_data=out_data)
    return tuple(xp.asarray(o) for o in out_data)


@register("_backward_Native", params=_NATIVE_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: len(_native_inputs(attrs)),
          infer_shape=backward_infer("_backward_Native", "shape"),
          infer_type=backward_infer("_backward_Native", "type"))
def _backward_native(xp, attrs, *arrays):
    """Run a ``NumpyOp``'s ``backward(out_grad, in_data, out_data, in_grad)``:
    the gradients of its inputs (``out_grad`` is empty unless
    ``need_top_grad``)."""
    obj = python_op("_backward_Native", attrs.info)
    out_grad, in_data, out_data = (
        [_host(xp, a) for a in part]
        for part in split_backward("_backward_Native", obj, arrays))
    in_grad = [np.zeros(a.shape, np.float32) for a in in_data]
    obj.backward(out_grad=out_grad if attrs.need_top_grad else [], in_data=in_data,
                 out_data=out_data, in_grad=in_grad)
    return tuple(xp.asarray(g) for g in in_grad)


# -- _CustomFunction and _CachedOp: placeholders of Python/C++ objects in graphs -------------
def _unknown_outputs(attrs, items):
    return items, [None] * attrs.num_outputs


@register("_CustomFunction", params={
    "num_outputs": Param("int", default=1, doc="Number of outputs of the Function call.")},
    num_outputs=lambda attrs: attrs.num_outputs,
    infer_shape=_unknown_outputs, infer_type=_unknown_outputs)
def _custom_function(xp, attrs, *inputs):
    """A call of an ``autograd.Function`` as recorded in a graph. Its forward
    is the Function's Python code, which the graph does not hold, so the node
    documents the computation (``autograd.get_symbol``) but cannot run."""
    raise MXNetError("_CustomFunction: the node of an autograd.Function call cannot run "
                     "on its own; call the Function on NDArrays (only autograd, which "
                     "recorded the call, can differentiate it)")


def _cached_op_error(name):
    return MXNetError(
        f"{name}: nodes of this operator are made by MXNet's C API (a C++ CachedOp "
        f"invoked on symbols) and hold that object, which cannot be given from Python; "
        f"compose the CachedOp's symbol into the graph instead, or call the CachedOp "
        f"(mxnet.cached_op.CachedOp, a hybridized block) on NDArrays")


def _cached_op(name):
    def fail(*args, **kwargs):
        raise _cached_op_error(name)

    def compute(xp, attrs, *inputs):
        raise _cached_op_error(name)
    compute.__doc__ = (f"A call of a C++ CachedOp inside a graph ({name}). Only MXNet's C "
                       "API creates these nodes; here they raise MXNetError.")
    register(name, inputs=("data",), infer_shape=fail, infer_type=fail)(compute)


_cached_op("_CachedOp")
_cached_op("_CachedOpThreadSafe")
