"""Running registry operators for the ``mx.np`` front end.

``call`` is what every ``mx.np``/``mx.npx`` function ends in: it runs a
registered op (usually an ``_npi_*``/``_np_*`` one) on ``mx.np.ndarray``
inputs through the same imperative invoke as ``mx.nd`` (engine, autograd,
backends) and returns ``mx.np.ndarray`` outputs. When an input is a Symbol
it builds a graph node instead, so one front-end function serves both
``mx.np`` and ``mx.sym.np`` (hybridized blocks under ``npx.set_np()``).
"""
import threading

from ..ndarray.invoke import invoke
from ..ndarray.ndarray import NDArray
from ..ops import registry as _registry
from .multiarray import ndarray

_get = _registry.get
# graph.on: an mx.sym.np function is running, so calls without any input
# (creation: zeros, arange...) build graph nodes too; set by mxnet.symbol.numpy.
graph = threading.local()
graph.on = False


def call(op_name, inputs=(), attrs=None, out=None, ctx=None):
    """Run op ``op_name`` on ``inputs`` with parameters ``attrs`` (a dict of
    Python values or MXNet strings); returns an ``ndarray`` or, for ops with
    several outputs, a list of them. ``out`` (an ``ndarray`` or list) receives
    the results in place. Creation ops (no inputs) take ``ctx``."""
    inputs = list(inputs)
    if not inputs and getattr(graph, "on", False):
        return _call_symbol(op_name, inputs, attrs)
    for x in inputs:
        if not isinstance(x, NDArray):
            from ..symbol.symbol import Symbol
            if isinstance(x, Symbol):
                return _call_symbol(op_name, inputs, attrs)
    res = invoke(_get(op_name), inputs, dict(attrs) if attrs else {}, out, ctx)
    if out is not None:
        return out
    if isinstance(res, NDArray):
        res.__class__ = ndarray
        return res
    for r in res:
        r.__class__ = ndarray
    return res


def _call_symbol(op_name, inputs, attrs):
    from ..symbol.register import create
    # Nodes are named after the function, as MXNet names them: dot0, add0.
    hint = op_name
    for prefix in ("_npi_", "_npx_", "_np_"):
        if op_name.startswith(prefix):
            hint = op_name[len(prefix):]
            break
    return create(op_name, inputs, dict(attrs) if attrs else {}, hint=hint)
