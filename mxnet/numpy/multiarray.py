"""``mx.np.ndarray``: the NDArray with NumPy semantics.

It is the same object layout as ``NDArray`` (no extra slots), so an array
changes front end by changing its class, without a copy: ``as_np_ndarray``
and ``as_nd_ndarray`` share data and engine var with the original, as in
MXNet. Operators reach it through ``_op.call``, which runs the registry op
and hands back ``ndarray`` outputs.
"""
from ..ndarray.ndarray import NDArray

__all__ = ["ndarray"]


class ndarray(NDArray):  # noqa: N801 -- MXNet's (and NumPy's) class name
    """An n-dimensional array on a device, with NumPy's semantics.

    Create one with ``mx.np.array``, ``mx.np.zeros`` and the other creation
    functions, or from a legacy array with ``NDArray.as_np_ndarray()``.
    """
    __slots__ = ()

    def as_nd_ndarray(self):
        """This array as a legacy ``mx.nd.NDArray`` (shares data, no copy)."""
        return as_legacy(self)

    def as_np_ndarray(self):
        """This array (already an ``mx.np.ndarray``)."""
        return self


def as_np(arr):
    """``arr``'s data as an ``mx.np.ndarray`` sharing storage, var and
    autograd entry."""
    if type(arr) is ndarray:
        return arr
    out = _view(arr, ndarray)
    return out


def as_legacy(arr):
    """``arr``'s data as a legacy ``NDArray`` sharing storage, var and
    autograd entry."""
    if type(arr) is NDArray:
        return arr
    return _view(arr, NDArray)


def _view(arr, cls):
    out = object.__new__(cls)
    out._data = arr._data
    out._ctx = arr._ctx
    out._var = arr._var
    out._ag_node = arr._ag_node
    out._ag_index = arr._ag_index
    out._grad = arr._grad
    out._grad_req = arr._grad_req
    out._fresh_grad = arr._fresh_grad
    return out
