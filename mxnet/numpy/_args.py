"""Argument helpers shared by the ``mx.np`` function modules."""
import numpy as onp

from ..base import MXNetError
from ..ndarray.ndarray import NDArray, _from_host
from .multiarray import ndarray


def is_symbol(a):
    """Whether ``a`` is a Symbol (a function traced into a graph gets those)."""
    from ..symbol.symbol import Symbol
    return isinstance(a, Symbol)


def array_arg(a, fname, name="a"):
    """``a`` if it is an array or a Symbol, else an MXNetError naming the argument."""
    if isinstance(a, NDArray) or is_symbol(a):
        return a
    raise MXNetError(f"{fname}: argument '{name}' expects an mx.np.ndarray, got "
                     f"{type(a).__name__}")


def from_host(values, ctx, dtype=None):
    """A new ``mx.np.ndarray`` on ``ctx`` holding a copy of host data ``values``."""
    with onp.errstate(over="ignore", invalid="ignore"):  # 1e20 as float16 is inf, silently
        host = onp.array(values, dtype=dtype)
    res = _from_host(host, ctx)
    res.__class__ = ndarray
    return res
