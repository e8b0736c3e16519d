"""Built-in Gluon layers under ``npx.set_np()``: legacy operators inside,
``mx.np`` arrays (or NumPy-semantics Symbols) outside.

MXNet 1.9's layers call ``F.npx.fully_connected`` and friends when NumPy
semantics are on; those operators are aliases of the legacy ones
(``_npx_fully_connected`` is ``FullyConnected``), so running the legacy
body on the same data computes the same values and traces the same graph.
``legacy_body`` wraps such a body: given NumPy-front-end inputs it runs the
body and gives its results back as ``mx.np`` arrays or ``_Symbol``s.
Inside, Symbols are legacy ones (so legacy method semantics, such as
``reshape``'s 0 code, hold while tracing); arrays stay the caller's objects,
which legacy operators accept as they are: a legacy view of a parameter
would be a second autograd leaf whose gradient and freshness flag do not
reach the parameter. The bodies use only shapes and plain arithmetic on
array inputs, which both front ends compute alike.
"""
import functools

from ..ndarray.ndarray import NDArray
from ..numpy.multiarray import as_np, ndarray as np_ndarray
from ..symbol import Symbol
from ..symbol.numpy import _Symbol, as_legacy_symbol, as_np_symbol

__all__ = ["legacy_body", "legacy_symbols", "to_np"]


def legacy_symbols(value):
    """``value`` (an array, Symbol, None or a list of them) with its
    NumPy-semantics Symbols made legacy ones; arrays are left as they are."""
    if isinstance(value, _Symbol):
        return as_legacy_symbol(value)
    if isinstance(value, (list, tuple)):
        return type(value)(legacy_symbols(v) for v in value)
    return value


def to_np(value):
    """``value`` (an array, Symbol or a list of them) in the NumPy front end.
    A legacy array changes class in place: the bodies' results are arrays
    they made themselves (their array inputs are already ``mx.np`` ones)."""
    if type(value) is NDArray:
        value.__class__ = np_ndarray
        return value
    if isinstance(value, NDArray):
        return as_np(value)
    if isinstance(value, Symbol):
        return as_np_symbol(value)
    if isinstance(value, (list, tuple)):
        return type(value)(to_np(v) for v in value)
    return value


def legacy_body(method):
    """Decorate ``method(self, F, x, *args, **params)``, written with legacy
    operators, so that an ``mx.np`` (or ``_Symbol``) first input makes it
    return NumPy-front-end results (see the module docstring)."""
    @functools.wraps(method)
    def wrapper(self, F, x, *args, **kwargs):
        if type(x) is NDArray:  # the legacy front end: nothing to do
            return method(self, F, x, *args, **kwargs)
        if isinstance(x, np_ndarray):
            return to_np(method(self, F, x, *args, **kwargs))
        if isinstance(x, _Symbol):
            args = [legacy_symbols(a) for a in args]
            kwargs = {k: legacy_symbols(v) for k, v in kwargs.items()}
            return to_np(method(self, F, as_legacy_symbol(x), *args, **kwargs))
        return method(self, F, x, *args, **kwargs)
    return wrapper
