"""``mx.sym.np``: the ``mx.np`` functions for graphs (``F.np`` in a
``hybrid_forward`` traced under ``npx.set_np()``).

The ``mx.np`` functions build a graph node when an input is a Symbol, so
each ``mx.sym.np.X`` is ``mx.np.X`` with its Symbol results given the
NumPy-semantics class ``_Symbol``. A function called without any Symbol
input (``mx.sym.np.zeros((2, 3))``) would compute an array instead of a
graph node, so it raises ``MXNetError``.
"""
import functools

from ...base import MXNetError
from ..symbol import Symbol
from ._symbol import _Symbol, as_legacy_symbol, as_np_symbol  # noqa: F401

__all__ = ["_Symbol", "load", "load_json"]


def _symbolic(name, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        res = fn(*args, **kwargs)
        if isinstance(res, Symbol) or (isinstance(res, (list, tuple)) and res
                                       and all(isinstance(r, Symbol) for r in res)):
            return as_np_symbol(res)
        raise MXNetError(f"mx.sym.np.{name}: needs a Symbol input to build a graph node "
                         f"(got {', '.join(type(a).__name__ for a in args) or 'no inputs'})")
    wrapper.__module__ = __name__
    return wrapper


def __getattr__(name):
    """``mx.sym.np.name``: the graph form of ``mx.np.name`` (made on first use)."""
    from ... import numpy as mx_np
    fn = getattr(mx_np, name, None)
    if name.startswith("_") or not callable(fn) or isinstance(fn, type) \
            or name not in getattr(mx_np, "__all__", dir(mx_np)):
        raise AttributeError(f"module 'mxnet.symbol.numpy' has no attribute '{name}'")
    wrapper = globals()[name] = _symbolic(name, fn)
    return wrapper


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
