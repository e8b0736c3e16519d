"""``NDArray.__getitem__`` / ``__setitem__`` with MXNet 1.x semantics.

Indexing follows NumPy, except that a result with no dimensions has shape
``(1,)`` (MXNet 1.x has no 0-d results from indexing). ``x[i]`` and
``x[a:b]`` (step 1) on the first axis are views sharing memory and the
engine var with ``x``; any other key gives a copy. Index arrays may be
NDArrays, NumPy arrays or lists (advanced indexing, as NumPy).
"""
import numpy as np

from .. import autograd as _ag
from ..base import MXNetError, numeric_types
from ..ops import registry
from ..device import from_numpy
from ..util import is_np_shape as _is_np_shape
from .invoke import invoke
from .ndarray import NDArray, _new, run_or_push


def _normalize(key):
    """Key with NDArrays and lists replaced by NumPy index arrays."""
    if isinstance(key, tuple):
        return tuple(_normalize_one(k) for k in key)
    return _normalize_one(key)


def _normalize_one(k):
    if isinstance(k, NDArray):
        return k.asnumpy().astype(np.int64)
    if isinstance(k, list):
        return np.asarray(k, dtype=np.int64) if all(
            isinstance(i, (int, np.integer)) for i in k) else np.asarray(k)
    if isinstance(k, np.ndarray) and k.dtype.kind == "f":
        return k.astype(np.int64)
    return k


def _is_view_key(key):
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return True
    return isinstance(key, slice) and key.step in (None, 1)


_INDEX = registry.get("_index")


def getitem(self, key):
    """``x[key]``: a view for first-axis int/slice keys, otherwise a copy."""
    key = _normalize(key)
    if _is_view_key(key) and not _ag._state.recording:
        data = self._arr()
        n = data.shape[0] if data.ndim else 0
        if isinstance(key, slice):
            return _new(data[key], self._ctx, self._var)
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of bounds for axis 0 with size {n}")
        key = int(key) % n
        view = data[key] if data.ndim > 1 else data[key:key + 1]
        if view.ndim == data.ndim and _is_np_shape():  # an element of a 1-d array is 0-d
            view = view.reshape(())
        return _new(view, self._ctx, self._var)
    self.wait_to_read()
    try:
        scalar = getattr(self._data[key], "ndim", 0) == 0
    except IndexError:
        raise
    except (TypeError, ValueError) as e:
        raise MXNetError(f"__getitem__: invalid index {key!r} for shape {self.shape}: {e}") from None
    out = invoke(_INDEX, [self], {"key": key})
    # MXNet 1.x gives a single element shape (1,), or () under NumPy shape semantics.
    return out.reshape(()) if scalar and _is_np_shape() else out


def setitem(self, key, value):
    """``x[key] = value`` in place; value is a number, NDArray, NumPy array or list."""
    key = _normalize(key)
    reads = []
    if isinstance(value, NDArray):
        if value._ctx != self._ctx:
            value = value.as_in_context(self._ctx)
        reads.append(value._var)
        source = value
    elif isinstance(value, numeric_types):
        source = value
    else:
        source = np.asarray(value, dtype=self.dtype)

    ctx = self._ctx

    def write():
        data = self._data
        v = source._data if isinstance(source, NDArray) else source
        if ctx.device_typeid != 1 and isinstance(v, np.ndarray):
            v = from_numpy(v, ctx)
        try:
            target = data[key]
            if getattr(v, "ndim", 0) > getattr(target, "ndim", 0):
                v = v.reshape(target.shape)  # e.g. x[0] = y with y of shape (1, n)
            data[key] = v
        except IndexError:
            raise
        except (TypeError, ValueError) as e:
            raise MXNetError(f"__setitem__: cannot assign value of shape {np.shape(v)} to "
                             f"index {key!r} of an array of shape {data.shape}: {e}") from None

    run_or_push(write, self._ctx, reads, [self._var], "_set_value")


NDArray.__getitem__ = getitem
NDArray.__setitem__ = setitem
