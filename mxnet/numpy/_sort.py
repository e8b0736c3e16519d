"""``mx.np`` sorting, searching and set functions (sort, argsort, unique, nonzero...).

``sort``, ``argsort``, ``msort``, ``unique``, ``nonzero``, ``flatnonzero``
and ``argwhere`` run operators (``sort`` is differentiable). The others
(partition, searchsorted, the set functions, digitize...) are computed by
NumPy on the host and return new arrays on the input's device, as MXNet
1.9.1 does; they are not differentiated.
"""
import numbers

import numpy as _onp

from ..base import MXNetError
from ..ndarray.ndarray import NDArray, array as _nd_array
from ._op import call

__all__ = ["sort", "argsort", "msort", "lexsort", "partition", "argpartition", "searchsorted",
           "unique", "nonzero", "flatnonzero", "argwhere", "count_nonzero", "in1d", "isin",
           "intersect1d", "union1d", "setdiff1d", "setxor1d", "digitize"]


def _array(fn, a, name="a"):
    if isinstance(a, NDArray):
        return a
    from ..symbol.symbol import Symbol  # hybridized blocks pass symbols
    if isinstance(a, Symbol):
        return a
    raise MXNetError(f"{fn}: argument '{name}' must be an mx.np.ndarray, got "
                     f"{type(a).__name__}")


def _no_order(fn, kind, order):
    if order is not None:
        raise MXNetError(f"{fn}: 'order' is not supported (MXNet arrays have no fields)")
    if kind not in (None, "quicksort", "mergesort", "heapsort", "stable"):
        raise MXNetError(f"{fn}: unknown kind {kind!r}")


def sort(a, axis=-1, kind=None, order=None):
    """A sorted copy of ``a`` along ``axis`` (the flattened array when None).
    Sorting is stable whatever ``kind`` says."""
    _no_order("sort", kind, order)
    return call("_npi_sort", [_array("sort", a)], {"axis": axis})


def argsort(a, axis=-1, kind=None, order=None):
    """Indices (int64) that sort ``a`` along ``axis`` (stable)."""
    _no_order("argsort", kind, order)
    return call("_npi_argsort", [_array("argsort", a)], {"axis": axis, "dtype": "int64"})


def msort(a):
    """A copy of ``a`` sorted along its first axis."""
    return sort(a, axis=0)


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """Sorted unique elements of ``ar`` (of the flattened array, or unique
    slices along ``axis``); with the flags, also the first index of each,
    the (1-d) indices rebuilding ``ar`` and the counts, all int64."""
    res = call("_npi_unique", [_array("unique", ar, "ar")],
               {"return_index": return_index, "return_inverse": return_inverse,
                "return_counts": return_counts, "axis": axis})
    return tuple(res) if isinstance(res, list) else res


def nonzero(a):
    """A tuple with, for each axis of ``a``, the int64 indices of its nonzero
    elements (a 0-d array counts as 1-d)."""
    coords = call("_npi_nonzero", [_array("nonzero", a)])
    ndim = max(a.ndim, 1)
    return tuple(call("_np_reshape", [call("slice_axis", [coords], {"axis": 1, "begin": i,
                                                               "end": i + 1})],
                      {"newshape": (-1,)}) for i in range(ndim))


def argwhere(a):
    """Coordinates (int64) of the nonzero elements of ``a``, one row each."""
    return call("_npi_nonzero", [_array("argwhere", a)])


def flatnonzero(a):
    """Indices (int64) of the nonzero elements of the flattened ``a``."""
    flat = call("_np_reshape", [_array("flatnonzero", a)], {"newshape": (-1,)})
    return call("_np_reshape", [call("_npi_nonzero", [flat])], {"newshape": (-1,)})


# -- host functions (NumPy's, as MXNet 1.9.1 computes them) ---------------------------------

def _host(x):
    return x.asnumpy() if isinstance(x, NDArray) else x


def _device(x, like):
    x = _onp.asarray(x)
    return _nd_array(x, ctx=like.context, dtype=x.dtype).as_np_ndarray()


def _on_host(fn, np_fn, arrays, *args, **kwargs):
    """``np_fn`` on the host copies of ``arrays``; NumPy results back as mx.np arrays."""
    like = next((x for x in arrays if isinstance(x, NDArray)), None)
    if like is None:
        raise MXNetError(f"{fn}: expects an mx.np.ndarray argument")
    try:
        res = np_fn(*[_host(x) for x in arrays], *args, **kwargs)
    except (ValueError, TypeError, IndexError) as e:
        raise MXNetError(f"{fn}: {e}") from None
    if isinstance(res, tuple):
        return tuple(_device(r, like) for r in res)
    return _device(res, like)


def lexsort(keys, axis=-1):
    """Indices sorting by several keys, the last key primary (int64)."""
    keys = [keys] if isinstance(keys, NDArray) else list(keys)
    like = keys[0] if keys else None
    if not isinstance(like, NDArray):
        raise MXNetError("lexsort: keys must be mx.np.ndarrays")
    return _device(_onp.lexsort([_host(k) for k in keys], axis=axis), like)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """A copy of ``a`` with the ``kth`` element in its sorted place, smaller ones before."""
    return _on_host("partition", _onp.partition, [_array("partition", a)], kth, axis, kind,
                    order)


def argpartition(a, kth, axis=-1, kind="introselect", order=None):
    """Indices (int64) that partition ``a`` around its ``kth`` element."""
    return _on_host("argpartition", _onp.argpartition, [_array("argpartition", a)], kth, axis,
                    kind, order)


def searchsorted(a, v, side="left", sorter=None):
    """Indices (int64) where the values ``v`` would be inserted into sorted ``a``."""
    return _on_host("searchsorted", _onp.searchsorted, [_array("searchsorted", a), v], side,
                    _host(sorter))


def count_nonzero(a, axis=None, *, keepdims=False):
    """Number (int64) of nonzero elements, in all of ``a`` or along ``axis``."""
    res = _onp.count_nonzero(_host(_array("count_nonzero", a)), axis=axis, keepdims=keepdims)
    return _device(_onp.asarray(res, dtype=_onp.int64), a)


def in1d(ar1, ar2, assume_unique=False, invert=False):
    """Whether each element of the flattened ``ar1`` is in ``ar2`` (bool)."""
    return _on_host("in1d", _isin_flat, [_array("in1d", ar1, "ar1"), ar2], assume_unique,
                    invert)


def _isin_flat(a, b, assume_unique, invert):
    return _onp.isin(_onp.ravel(a), b, assume_unique=assume_unique, invert=invert)


def isin(element, test_elements, assume_unique=False, invert=False):
    """Whether each element of ``element`` is in ``test_elements`` (bool, ``element``'s
    shape)."""
    return _on_host("isin", _onp.isin, [_array("isin", element, "element"), test_elements],
                    assume_unique, invert)


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False):
    """Sorted unique values in both arrays (and their first indices in each)."""
    return _on_host("intersect1d", _onp.intersect1d, [ar1, ar2], assume_unique,
                    return_indices)


def union1d(ar1, ar2):
    """Sorted unique values in either array."""
    return _on_host("union1d", _onp.union1d, [ar1, ar2])


def setdiff1d(ar1, ar2, assume_unique=False):
    """Sorted unique values of ``ar1`` not in ``ar2``."""
    return _on_host("setdiff1d", _onp.setdiff1d, [ar1, ar2], assume_unique)


def setxor1d(ar1, ar2, assume_unique=False):
    """Sorted unique values in exactly one of the arrays."""
    return _on_host("setxor1d", _onp.setxor1d, [ar1, ar2], assume_unique)


def digitize(x, bins, right=False):
    """Index (int64) of the bin of ``bins`` each value of ``x`` falls in."""
    if not isinstance(right, (bool, numbers.Integral)):
        raise MXNetError(f"digitize: 'right' must be a bool, got {right!r}")
    return _on_host("digitize", lambda a, b: _onp.digitize(a, b, right).astype(_onp.int64),
                    [_array("digitize", x, "x"), bins])
