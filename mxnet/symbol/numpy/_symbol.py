"""``_Symbol``: the Symbol of ``mx.sym.np`` graphs (MXNet's ``mxnet.symbol.numpy._Symbol``).

It is a ``Symbol`` (same slots, so a Symbol changes front end by changing
its class) whose operators and methods have NumPy semantics: ``x + 1`` is
``_npi_add_scalar``, ``x.reshape(-1)`` NumPy's reshape, ``x.T`` a
transpose. Each one runs the ``mx.np`` function of the same name, which
builds a graph node when given Symbols; traced under ``npx.set_np()``,
HybridBlocks hand such Symbols to ``hybrid_forward``.
"""
import numpy as onp

from ... import numpy as mx_np
from ...numpy._op import call
from ..symbol import Symbol

__all__ = ["_Symbol", "as_np_symbol", "as_legacy_symbol"]


class _Symbol(Symbol):  # noqa: N801 -- MXNet's class name
    """A Symbol with NumPy semantics (see the module docstring)."""
    __slots__ = ()

    def as_np_ndarray(self):
        """This symbol (already a NumPy-semantics symbol)."""
        return self

    def as_nd_ndarray(self):
        """The same outputs as a legacy ``mx.sym.Symbol``."""
        return as_legacy_symbol(self)

    def __getitem__(self, index):
        # A group's items are its outputs (as for any Symbol); one output is
        # indexed the NumPy way.
        if len(self._outputs) > 1 or isinstance(index, str):
            return as_np_symbol(Symbol.__getitem__(self, index))
        return _index(self, index)

    def __iter__(self):
        return (as_np_symbol(s) for s in Symbol.__iter__(self))

    @property
    def T(self):  # noqa: N802 -- NumPy's name
        """The transpose (axes reversed)."""
        return self.transpose()

    def reshape(self, *shape, order="C"):
        """NumPy's reshape: ``x.reshape(2, -1)`` or ``x.reshape((2, -1))``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return as_np_symbol(mx_np.reshape(self, tuple(shape), order=order))

    def transpose(self, *axes):
        """The axes permuted (reversed when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = axes[0]
        return as_np_symbol(mx_np.transpose(self, tuple(axes) or None))

    def astype(self, dtype, copy=True):
        """The symbol cast to ``dtype`` (a ``Cast`` node, as MXNet; ``copy``
        is accepted for NumPy's signature: a graph node is always new)."""
        return as_np_symbol(call("Cast", [self], {"dtype": onp.dtype(dtype).name}))


def _index(sym, key):
    """``sym[key]``: integers and slices become MXNet's ``slice`` (and a
    squeeze of the integer axes), whose shapes graphs can infer; any other
    NumPy index is an ``_np_getitem`` node."""
    parts = key if isinstance(key, tuple) else (key,)
    if not all(isinstance(k, slice) or (isinstance(k, int) and not isinstance(k, bool))
               for k in parts):
        return as_np_symbol(call("_np_getitem", [sym], {"key": key}))
    begin, end, step, dropped = [], [], [], []
    for axis, k in enumerate(parts):
        if isinstance(k, slice):
            begin.append(k.start)
            end.append(k.stop)
            step.append(k.step)
        else:
            begin.append(k)
            end.append(None if k == -1 else k + 1)
            step.append(None)
            dropped.append(axis)
    out = call("slice", [sym], {"begin": tuple(begin), "end": tuple(end), "step": tuple(step)})
    if dropped:
        out = call("_np_squeeze", [out], {"axis": tuple(dropped)})
    return as_np_symbol(out)


def _method(name, fname=None, reflected=False):
    fname = fname or name

    def method(self, *args, **kwargs):
        fn = getattr(mx_np, fname)  # looked up per call: mx.np may gain functions later
        if reflected:
            return as_np_symbol(fn(args[0], self, **kwargs))
        return as_np_symbol(fn(self, *args, **kwargs))
    method.__name__ = name
    method.__doc__ = f"``mx.np.{fname}`` of this symbol."
    return method


# Operators and methods that are the mx.np function of that name.
_OPERATORS = {"__add__": "add", "__sub__": "subtract", "__mul__": "multiply",
              "__truediv__": "true_divide", "__mod__": "mod", "__pow__": "power",
              "__eq__": "equal", "__ne__": "not_equal", "__lt__": "less",
              "__le__": "less_equal", "__gt__": "greater", "__ge__": "greater_equal",
              "__neg__": "negative", "__abs__": "absolute", "__matmul__": "matmul"}
_REFLECTED = {"__radd__": "add", "__rsub__": "subtract", "__rmul__": "multiply",
              "__rtruediv__": "true_divide", "__rmod__": "mod", "__rpow__": "power",
              "__rmatmul__": "matmul"}
_METHODS = ("sum", "mean", "max", "min", "prod", "argmax", "argmin", "std", "var", "dot",
            "squeeze", "clip", "exp", "log", "sqrt", "square", "abs", "sign",
            "round", "cumsum", "repeat", "tile", "swapaxes", "split", "take", "sort",
            "argsort", "copy", "all", "any", "nonzero")

for _name, _fname in _OPERATORS.items():
    setattr(_Symbol, _name, _method(_name, _fname))
for _name, _fname in _REFLECTED.items():
    setattr(_Symbol, _name, _method(_name, _fname, reflected=True))
for _name in _METHODS:
    setattr(_Symbol, _name, _method(_name))


def as_np_symbol(sym):
    """``sym`` as a ``_Symbol`` (a legacy Symbol gets a new handle on the
    same outputs; other values are returned unchanged)."""
    if type(sym) is Symbol:
        return _Symbol(sym._outputs)
    if isinstance(sym, (list, tuple)):
        return type(sym)(as_np_symbol(s) for s in sym)
    return sym


def as_legacy_symbol(sym):
    """``sym`` as a legacy ``mx.sym.Symbol`` on the same outputs."""
    if isinstance(sym, _Symbol):
        return Symbol(sym._outputs)
    if isinstance(sym, (list, tuple)):
        return type(sym)(as_legacy_symbol(s) for s in sym)
    return sym
