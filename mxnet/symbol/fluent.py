"""Fluent methods of Symbol (``x.reshape((2, 3))`` is ``mx.sym.reshape(x, (2, 3))``),
the same names as NDArray's; plus the NDArray-only methods MXNet keeps on
Symbol so that they raise ``NotImplementedForSymbol``."""
import numpy as np

from ..base import NotImplementedForSymbol
from ..ndarray.fluent import FLUENT_METHODS
from . import _internal
from . import op as _op
from .symbol import Symbol

_NDARRAY_ONLY = ("asnumpy", "asscalar", "as_in_context", "wait_to_read", "detach", "backward",
                 "as_np_ndarray", "as_nd_ndarray")


def _method(name):
    def method(self, *args, **kwargs):
        return getattr(_op, name)(self, *args, **kwargs)
    method.__name__ = name
    method.__doc__ = f"Fluent form of ``mx.sym.{name}(self, ...)``."
    return method


def _not_for_symbol(name):
    def method(self, *args, **kwargs):
        raise NotImplementedForSymbol(method, None, *args)
    method.__name__ = name
    return method


def _reshape(self, *shape, **kwargs):
    """Reshape (MXNet's special codes apply); ``reshape((2, 3))`` or ``reshape(2, 3)``."""
    if shape and "shape" not in kwargs:
        kwargs["shape"] = shape[0] if len(shape) == 1 else shape
    return _op.Reshape(self, **kwargs)


def _astype(self, dtype, copy=True):
    """Cast to ``dtype``."""
    return _op.Cast(self, dtype=np.dtype(dtype).name)


def _broadcast_to(self, shape):
    return _op.broadcast_to(self, shape=shape)


def _split_v2(self, indices_or_sections, axis=0, squeeze_axis=False):
    """Split like ``numpy.split``: an int gives equal parts, a tuple the split points.

    Anything else (a list, a NumPy integer) raises ValueError, as in MXNet,
    whose node attributes (indices as a list, sections 0 when unused) these are."""
    if isinstance(indices_or_sections, int):
        indices, sections = [], indices_or_sections
    elif isinstance(indices_or_sections, tuple):
        indices, sections = [0] + list(indices_or_sections), 0
    else:
        raise ValueError(f"split_v2: indices_or_sections must be an int or a tuple of ints, "
                         f"got {type(indices_or_sections).__name__} {indices_or_sections!r}")
    return _internal._split_v2(self, indices=indices, axis=axis, squeeze_axis=squeeze_axis,
                               sections=sections)


def attach():
    for name in FLUENT_METHODS:
        if hasattr(_op, name) and not hasattr(Symbol, name):
            setattr(Symbol, name, _method(name))
    Symbol.reshape = _reshape
    Symbol.astype = _astype
    Symbol.broadcast_to = _broadcast_to
    Symbol.split_v2 = _split_v2
    # (NDArray's fluent list lacks it; MXNet's Symbol has it)
    Symbol.broadcast_like = _method("broadcast_like")
    for name in _NDARRAY_ONLY:
        setattr(Symbol, name, _not_for_symbol(name))
