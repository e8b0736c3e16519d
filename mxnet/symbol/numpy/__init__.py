"""``mx.sym.np``: the ``mx.np`` functions for graphs (``F.np`` in a
``hybrid_forward`` traced under ``npx.set_np()``).

The ``mx.np`` functions build a graph node when an input is a Symbol, so
each ``mx.sym.np.X`` is ``mx.np.X`` with its Symbol results given the
NumPy-semantics class ``_Symbol``. While one runs, operators called without
any input (``mx.sym.np.zeros((2, 3))``) build graph nodes too; a function
that computes its result on the host instead raises ``MXNetError``.
"""
import functools

from ... import numpy as _mx_np
from ...numpy._op import graph as _graph
from ...base import MXNetError
from ..symbol import Symbol
from ._symbol import _Symbol, as_legacy_symbol, as_np_symbol  # noqa: F401

__all__ = ["_Symbol", "load", "load_json", "linalg", "random"]


def _symbolic(name, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        prev, _graph.on = getattr(_graph, "on", False), True
        try:
            res = fn(*args, **kwargs)
        finally:
            _graph.on = prev
        if isinstance(res, Symbol) or (isinstance(res, (list, tuple)) and res
                                       and all(isinstance(r, Symbol) for r in res)):
            return as_np_symbol(res)
        raise MXNetError(f"{name}: needs a Symbol input to build a graph node "
                         f"(got {', '.join(type(a).__name__ for a in args) or 'no inputs'})")
    wrapper.__module__ = fn.__module__
    return wrapper


def graph_functions(source, public_name, namespace):
    """A module ``__getattr__`` giving, for each function of the ``mx.np``
    module ``source``, its graph form (made on first use, then kept in the
    module's ``namespace``)."""
    def module_getattr(name):
        fn = getattr(source, name, None)
        if name.startswith("_") or not callable(fn) or isinstance(fn, type) \
                or name not in getattr(source, "__all__", dir(source)):
            raise AttributeError(f"module '{public_name}' has no attribute '{name}'")
        wrapper = namespace[name] = _symbolic(f"{public_name}.{name}", fn)
        return wrapper
    return module_getattr


__getattr__ = graph_functions(_mx_np, "mx.sym.np", globals())


def load(fname):
    """A graph saved as JSON (``Symbol.save``), as a ``_Symbol``."""
    from ..json_io import load as _load
    return as_np_symbol(_load(fname))


def load_json(json_str):
    """A graph from its JSON text, as a ``_Symbol``."""
    from ..json_io import load_json as _load_json
    return as_np_symbol(_load_json(json_str))


def _as_np_ndarray(self):
    """This symbol's outputs as a NumPy-semantics ``_Symbol`` (same graph)."""
    return as_np_symbol(self)


def _as_nd_ndarray(self):
    """This symbol (already a legacy Symbol)."""
    return self


# MXNet's Symbol.as_np_ndarray()/as_nd_ndarray() switch front ends; they are
# defined here, next to the class they produce.
Symbol.as_np_ndarray = _as_np_ndarray
Symbol.as_nd_ndarray = _as_nd_ndarray


from . import linalg, random  # noqa: E402  (mx.sym.np.linalg, mx.sym.np.random)
