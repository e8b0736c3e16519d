"""``mx.np.ndarray`` indexing: ``a[key]`` and ``a[key] = value`` with NumPy's semantics.

Keys are NumPy's: integers (an all-integer key gives a 0-d array), slices
with any step, ``None``, ``Ellipsis``, integer index arrays (advanced
indexing) and boolean masks, as ``mx`` arrays, NumPy arrays or lists.
Reading with a basic key (no arrays) whose result is one contiguous block
gives a view sharing memory and engine var with the array, as MXNet does;
other reads are copies made by registry operators (``_npi_boolean_mask``
for a lone mask, ``_np_getitem`` otherwise), so autograd records them.
Assignment writes in place through the engine, casting and broadcasting the
value as NumPy does; under ``autograd.record()`` it follows MXNet's in-place
rule (``_inplace``).
"""
import operator

import numpy as onp

from .. import autograd as _ag
from ..base import MXNetError
from ..ndarray.invoke import xp_of
from ..ndarray.ndarray import NDArray, _new, run_or_push
from ..ops.np_index import device_key
from ._inplace import check_inplace_recording
from ._op import call


class IndexKeyError(MXNetError, ValueError):
    """An index of a kind arrays cannot be indexed with (MXNet raises ValueError)."""


def _index_array(k):
    """A host index array: booleans stay a mask, anything else becomes int64
    (MXNet accepts float index arrays, whose default dtype is float32)."""
    k = onp.asarray(k)
    if k.dtype == onp.bool_ or k.dtype.kind in "iu":
        return k if k.dtype == onp.bool_ else k.astype(onp.int64, copy=False)
    if k.dtype.kind == "f":
        return k.astype(onp.int64)
    raise IndexKeyError(f"__getitem__: index arrays must be integer or boolean, "
                        f"got dtype {k.dtype}")


def _slice_bound(v):
    return None if v is None else operator.index(v)


def _one(k):
    if isinstance(k, NDArray):
        return _index_array(k.asnumpy())
    if isinstance(k, (bool, onp.bool_)):
        return bool(k)
    if isinstance(k, (int, onp.integer)):
        return int(k)
    if k is None or k is Ellipsis:
        return k
    if isinstance(k, slice):
        try:
            return slice(_slice_bound(k.start), _slice_bound(k.stop), _slice_bound(k.step))
        except TypeError:
            raise IndexKeyError(f"__getitem__: slice bounds must be integers, got {k}") from None
    if isinstance(k, (list, onp.ndarray)):
        return _index_array(k)
    raise IndexKeyError(f"__getitem__: an ndarray cannot be indexed with {k!r} "
                        f"of type {type(k).__name__}; expected int, slice, None, Ellipsis, "
                        f"or an integer or boolean index array")


def normalize(key):
    """``key`` as a NumPy index over host values (a tuple for several components)."""
    if isinstance(key, tuple):
        return tuple(_one(k) for k in key)
    return _one(key)


def _is_plain(key):
    """Whether ``key`` is a Python int or a slice with int/None bounds (the keys
    that need no conversion)."""
    kind = type(key)
    if kind is int:
        return True
    if kind is not slice:
        return False
    for bound in (key.start, key.stop, key.step):
        if bound is not None and type(bound) is not int:
            return False
    return True


def _is_basic(key):
    parts = key if isinstance(key, tuple) else (key,)
    for k in parts:
        if not (k is None or k is Ellipsis or isinstance(k, (int, slice))) \
                or isinstance(k, bool):
            return False
    return True


def result_shape(shape, key, where):
    """The shape ``key`` selects from an array of ``shape``, with NumPy's
    IndexErrors for out-of-range indices and mismatched masks (checked on a
    zero-stride stand-in, so nothing of the array's size is allocated)."""
    stand_in = onp.broadcast_to(onp.empty((), dtype=onp.bool_), shape)
    try:
        return onp.shape(stand_in[key])
    except IndexError:
        raise
    except (TypeError, ValueError) as e:
        raise IndexKeyError(f"{where}: invalid index {key!r} for an array of shape "
                            f"{shape}: {e}") from None


def _mask_key(key):
    """The mask array of a key that is one boolean ``mx`` array of >= 1 dims, else None."""
    if isinstance(key, NDArray) and key.ndim and key._data.dtype == onp.bool_:
        return key
    return None


def getitem(arr, key):
    """``arr[key]``: a view for contiguous basic selections, else a recorded copy."""
    if _is_plain(key) and not _ag._state.recording:
        # The commonest keys skip normalising.
        view = arr._data[key, ...]
        if view.flags.c_contiguous:
            return _wrap_view(arr, view)
        return call("_np_getitem", [arr], {"key": key})
    mask = _mask_key(key)
    if mask is not None:
        return _boolean_mask(arr, mask)
    key = normalize(key)
    if _is_basic(key):
        if not _ag._state.recording:
            view = _basic_view(arr, key)
            if view is not None:
                return view
        else:
            result_shape(arr.shape, key, "__getitem__")
    else:
        result_shape(arr.shape, key, "__getitem__")
    return call("_np_getitem", [arr], {"key": key})


def _basic_view(arr, key):
    """``arr[key]`` as a view when the selection is one contiguous block; None otherwise."""
    parts = key if isinstance(key, tuple) else (key,)
    if Ellipsis not in parts:
        parts += (Ellipsis,)  # so an all-integer key gives a 0-d array, not a scalar
    view = arr._data[parts]
    if not view.flags.c_contiguous:
        return None
    return _wrap_view(arr, view)


def _wrap_view(arr, view):
    """An array of ``arr``'s class over ``view`` of its data, sharing its engine var."""
    out = _new(view, arr._ctx, arr._var)
    out.__class__ = type(arr)
    return out


def _boolean_mask(arr, mask):
    k = mask.ndim
    if arr.shape[:k] != mask.shape:
        raise IndexError(f"boolean index did not match indexed array: the array has shape "
                         f"{arr.shape}, the mask {mask.shape}")
    if mask._ctx != arr._ctx:
        mask = mask.as_in_context(arr._ctx)
    return call("_npi_boolean_mask", [arr, mask], {"axis": 0})


def setitem(arr, key, value):
    """``arr[key] = value`` in place, with NumPy's casting and broadcasting."""
    if _ag._state.recording:
        check_inplace_recording(arr, value)
    if _is_plain(key) and _is_float_value(value, arr) and arr._ctx.device_typeid == 1:
        _set_scalar(arr, key, value)
        return
    key = normalize(key)
    target = result_shape(arr.shape, key, "__setitem__")
    reads = []
    if isinstance(value, NDArray):
        if value._ctx != arr._ctx:
            value = value.as_in_context(arr._ctx)
        reads.append(value._var)
        shape = value.shape
    else:
        try:
            value = onp.asarray(value, dtype=arr._data.dtype)
        except (TypeError, ValueError, OverflowError) as e:
            raise MXNetError(f"__setitem__: cannot convert the value {value!r} to "
                             f"{arr._data.dtype}: {e}") from None
        shape = value.shape
    shape = _assignable(shape, target, key)
    ctx = arr._ctx

    def write():
        data = arr._data
        if isinstance(value, NDArray):
            v = value._data
        elif ctx.device_typeid != 1:
            from ..device import from_numpy
            v = from_numpy(value, ctx)
        else:
            v = value
        data[device_key(xp_of(ctx), key)] = v.reshape(shape)

    run_or_push(write, ctx, reads, [arr._var], "_npi_setitem")


def _is_float_value(value, arr):
    """Whether ``value`` is a Python number NumPy stores into ``arr`` without
    any possible error (a float, or an int into a float array)."""
    kind = type(value)
    return kind is float or (kind is int and arr._data.dtype.kind == "f")


def _set_scalar(arr, key, value):
    """``arr[key] = value`` for a plain key and a float: the common case, with
    no key or value conversion."""
    arr._data[key]  # checks the key now rather than when the write runs

    def write():
        arr._data[key] = value

    run_or_push(write, arr._ctx, [], [arr._var], "_npi_setitem")


def _assignable(shape, target, key):
    """``shape`` without leading length-1 axes beyond the target's rank, after
    checking it broadcasts to ``target`` (NumPy's assignment rule)."""
    shape = tuple(shape)
    while len(shape) > len(target) and shape[0] == 1:
        shape = shape[1:]
    try:
        full = onp.broadcast_shapes(shape, target)
    except ValueError:
        full = None
    if full != tuple(target):
        raise MXNetError(f"__setitem__: cannot assign a value of shape {shape} to index "
                         f"{key!r}, which selects shape {target}: expected a shape that "
                         f"broadcasts to it")
    return shape
