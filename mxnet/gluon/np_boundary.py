"""Built-in Gluon layers under ``npx.set_np()``: legacy operators inside,
``mx.np`` arrays (or NumPy-semantics Symbols) outside.

MXNet 1.9's layers call ``F.npx.fully_connected`` and friends when NumPy
semantics are on; those operators are aliases of the legacy ones
(``_npx_fully_connected`` is ``FullyConnected``), so running the legacy
body on the same data computes the same values and traces the same graph.
``legacy_body`` wraps such a body: given NumPy-front-end inputs (``mx.np``
arrays or ``_Symbol``s) it runs the body on them as they are, since legacy
operators accept both, and gives its results back in the NumPy front end.
The inputs are not made legacy: a legacy view of a parameter would be a
second autograd leaf whose gradient and freshness flag never reach the
parameter, and children a body calls must see NumPy-front-end inputs.
So, imperative and traced alike, methods of the inputs have NumPy
semantics and methods of the legacy operators' results legacy ones.
"""
import functools

from ..ndarray.ndarray import NDArray
from ..numpy.multiarray import as_np, ndarray as np_ndarray
from ..symbol import Symbol
from ..symbol.numpy import _Symbol, as_np_symbol

__all__ = ["legacy_body", "to_np"]


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
        out = method(self, F, x, *args, **kwargs)
        if type(x) is NDArray or not isinstance(x, (np_ndarray, _Symbol)):
            return out  # the legacy front end: nothing to do
        return to_np(out)
    return wrapper
