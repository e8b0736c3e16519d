"""``mx.np`` diagonals and indexing functions: diag, diagflat, diagonal, trace,
take, take_along_axis, compress, extract, choose, delete, insert, resize,
unravel_index.

The data flows through operators (``_np_diag``..., ``_npi_take``,
``gather_nd``), so gradients reach it; index arguments (positions, masks,
choices) are not differentiable and are turned into positions on the host
first, as NumPy would. ``_shape`` re-exports these names.
"""
import numpy as onp

from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ._args import array_arg as _arr
from ._args import from_host as _host
from ._args import is_symbol
from ._op import call

__all__ = ["diag", "diagflat", "diagonal", "trace", "take", "take_along_axis", "compress",
           "extract", "choose", "delete", "insert", "resize", "trim_zeros", "ix_",
           "unravel_index", "shares_memory", "may_share_memory"]


def _beside(arr, values, fname, name):
    """Host ``values`` as an array on ``arr``'s device; a graph (Symbol ``arr``) needs
    them as a Symbol already."""
    if is_symbol(arr):
        raise MXNetError(f"{fname}: with a Symbol array, argument '{name}' must be a Symbol "
                         f"too, got {type(values).__name__}")
    return _host(values, arr.ctx)


def _host_ints(x, fname, name):
    """Integer positions from an array, list or int (floats truncate, as MXNet's take)."""
    data = x.asnumpy() if isinstance(x, NDArray) else onp.asarray(x)
    if data.dtype.kind not in "iubf":
        raise MXNetError(f"{fname}: argument '{name}' expects integers, got {data.dtype}")
    return data.astype(onp.int64)


# -- diagonals --------------------------------------------------------------------------------
def diag(array, k=0):
    """The ``k``-th diagonal of a 2-d array, or a square 2-d array with a 1-d input on
    its ``k``-th diagonal."""
    return call("_np_diag", [_arr(array, "diag", "array")], {"k": k})


def diagflat(array, k=0):
    """A square 2-d array with the flattened input on its ``k``-th diagonal."""
    return call("_np_diagflat", [_arr(array, "diagflat", "array")], {"k": k})


def diagonal(a, offset=0, axis1=0, axis2=1):
    """Diagonal ``offset`` of the 2-d planes (axis1, axis2) of ``a``; it becomes the
    last axis of the result."""
    return call("_np_diagonal", [_arr(a, "diagonal")],
                {"offset": offset, "axis1": axis1, "axis2": axis2})


def trace(a, offset=0, axis1=0, axis2=1, out=None):
    """Sum along diagonal ``offset`` of the planes (axis1, axis2) of ``a``."""
    return call("_np_trace", [_arr(a, "trace")],
                {"offset": offset, "axis1": axis1, "axis2": axis2}, out=out)


# -- take and friends -------------------------------------------------------------------------
def take(a, indices, axis=None, mode="raise", out=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened array when
    None). ``mode``: 'raise' (indices in [-n, n)), 'wrap' or 'clip'."""
    a = _arr(a, "take")
    if not isinstance(indices, NDArray) and not is_symbol(indices):
        indices = _beside(a, _host_ints(indices, "take", "indices"), "take", "indices")
    if axis is None:
        from ._shape import ravel
        a, axis = ravel(a), 0
    return call("_npi_take", [a, indices], {"axis": axis, "mode": mode}, out=out)


def _full_index(fname, shape, idx, axis):
    """(ndim, ...) positions selecting ``idx`` along ``axis`` of an array of ``shape``,
    every other axis broadcast as NumPy's take_along_axis does."""
    n = shape[axis]
    if idx.size and (n == 0 or idx.min() < -n or idx.max() >= n):
        raise MXNetError(f"{fname}: an index is out of bounds for axis {axis} of size {n}")
    lifted = shape[:axis] + (1,) + shape[axis + 1:]
    try:
        out = onp.broadcast_shapes(lifted, idx.shape)
    except ValueError:
        raise MXNetError(f"{fname}: indices of shape {idx.shape} do not broadcast against "
                         f"an array of shape {shape} off axis {axis}") from None
    grids = onp.indices(out, sparse=True)
    rows = [idx % max(n, 1) if d == axis else grids[d] if shape[d] != 1 else 0
            for d in range(len(shape))]
    return onp.stack([onp.broadcast_to(r, out) for r in rows]).astype(onp.int64)


def take_along_axis(arr, indices, axis):
    """``arr``'s elements at ``indices`` along ``axis`` (indices have arr's number of
    dimensions and broadcast against it off that axis)."""
    arr = _arr(arr, "take_along_axis", "arr")
    idx = _host_ints(indices, "take_along_axis", "indices")
    if axis is None:
        from ._shape import ravel
        arr, axis = ravel(arr), 0
    if idx.ndim != arr.ndim:
        raise MXNetError(f"take_along_axis: indices must have {arr.ndim} dimensions like "
                         f"arr, got {idx.ndim}")
    if not -arr.ndim <= axis < arr.ndim:
        raise MXNetError(f"take_along_axis: axis {axis} is out of range for {arr.ndim}-d arr")
    where = _full_index("take_along_axis", arr.shape, idx, axis % arr.ndim)
    return call("gather_nd", [arr, _host(where, arr.ctx)])


def compress(condition, a, axis=None, out=None):
    """The slices of ``a`` along ``axis`` (of the flattened array when None) where
    ``condition`` is true; ``condition`` may be shorter than the axis."""
    cond = (condition.asnumpy() if isinstance(condition, NDArray)
            else onp.asarray(condition)).astype(bool)
    if cond.ndim != 1:
        raise MXNetError(f"compress: condition must be 1-d, got shape {cond.shape}")
    a = _arr(a, "compress")
    size = a.size if axis is None else a.shape[axis]
    if cond.size > size:
        raise MXNetError(f"compress: condition of length {cond.size} is longer than the "
                         f"axis (size {size})")
    return take(a, onp.nonzero(cond)[0], axis=axis, out=out)


def extract(condition, arr):
    """The elements of ``arr`` where ``condition`` (same size) is true, as a 1-d array."""
    cond = condition.asnumpy() if isinstance(condition, NDArray) else onp.asarray(condition)
    return compress(cond.reshape(-1), arr)


def choose(a, choices, out=None, mode="raise"):
    """Elementwise pick: ``out[i] = choices[a[i]][i]`` with ``a`` and every choice
    broadcast together; ``mode`` handles out-of-range choice numbers like ``take``."""
    from ._shape import broadcast_arrays, broadcast_to, stack
    idx = _host_ints(a, "choose", "a")
    n = len(choices)
    if mode == "raise" and idx.size and (idx.min() < 0 or idx.max() >= n):
        raise MXNetError(f"choose: choice numbers must lie in [0, {n - 1}]")
    idx = onp.clip(idx, 0, n - 1) if mode == "clip" else idx % n
    arrays = broadcast_arrays(*choices)
    shape = onp.broadcast_shapes(idx.shape, arrays[0].shape)
    stacked = stack([a_ if a_.shape == shape else broadcast_to(a_, shape) for a_ in arrays])
    res = take_along_axis(stacked, onp.broadcast_to(idx, shape)[None], 0)
    from ._shape import reshape
    return reshape(res, shape, out=out)


# -- delete / insert / resize -----------------------------------------------------------------
def delete(arr, obj, axis=None):
    """``arr`` without the entries ``obj`` (an int, a slice, ints or a boolean mask)
    along ``axis`` (of the flattened array when None)."""
    arr = _arr(arr, "delete", "arr")
    attrs = {"axis": axis}
    if isinstance(obj, slice):
        attrs.update(start=obj.start, stop=obj.stop, step=1 if obj.step is None else obj.step)
        return call("_npi_delete", [arr], attrs)
    if isinstance(obj, (int, onp.integer)):
        return call("_npi_delete", [arr], {**attrs, "int_ind": int(obj)})
    if not isinstance(obj, NDArray) and not is_symbol(obj):
        obj = onp.asarray(obj)
        obj = _beside(arr, obj if obj.dtype == onp.bool_ else obj.astype(onp.int64),
                      "delete", "obj")
    return call("_npi_delete", [arr, obj], attrs)


def insert(arr, obj, values, axis=None):
    """``arr`` with ``values`` inserted before position(s) ``obj`` (an int, a slice or
    ints) along ``axis`` (of the flattened array when None), as NumPy does: one
    position takes all the values. ``values`` take arr's dtype; gradients reach arr
    and array values."""
    arr = _arr(arr, "insert", "arr")
    attrs = {"axis": axis}
    inputs = [arr]
    if isinstance(values, (int, float, onp.number)) and not isinstance(values, bool):
        attrs["val"] = float(values)
    else:
        if not isinstance(values, NDArray) and not is_symbol(values):
            values = _beside(arr, onp.asarray(values), "insert", "values")
        inputs.append(values)
    if isinstance(obj, (int, onp.integer)):
        return call("_npi_insert_scalar", inputs, {**attrs, "int_ind": int(obj)})
    if isinstance(obj, slice):
        return call("_npi_insert_slice", inputs, {
            **attrs, "start": obj.start, "stop": obj.stop,
            "step": 1 if obj.step is None else obj.step})
    if not isinstance(obj, NDArray) and not is_symbol(obj):
        obj = _beside(arr, _host_ints(obj, "insert", "obj"), "insert", "obj")
    return call("_npi_insert_tensor", inputs + [obj], attrs)


def resize(a, new_shape):
    """An array of ``new_shape`` filled with ``a``'s flattened elements, repeated
    cyclically as needed (zeros when ``a`` is empty)."""
    from ._creation import zeros
    from ._shape import ravel, reshape, tile
    a = _arr(a, "resize")
    shape = (new_shape,) if isinstance(new_shape, (int, onp.integer)) else tuple(new_shape)
    if any(d < 0 for d in shape):
        raise MXNetError(f"resize: new_shape {shape} must not hold negative sizes")
    size = int(onp.prod(shape))
    if a.size == 0 or size == 0:
        return zeros(shape, a.dtype, ctx=a.ctx)
    flat = tile(ravel(a), (-(-size // a.size),))
    if flat.size != size:
        flat = take(flat, onp.arange(size))
    return reshape(flat, shape)


def trim_zeros(filt, trim="fb"):
    """1-d ``filt`` without its leading ('f' in ``trim``) and/or trailing ('b') zeros."""
    filt = _arr(filt, "trim_zeros", "filt")
    if filt.ndim != 1:
        raise MXNetError(f"trim_zeros: filt must be 1-d, got shape {filt.shape}")
    nonzero = onp.flatnonzero(filt.asnumpy())
    trim = trim.lower()
    first = (nonzero[0] if nonzero.size else filt.size) if "f" in trim else 0
    last = (nonzero[-1] + 1 if nonzero.size else 0) if "b" in trim else filt.size
    return take(filt, onp.arange(first, max(first, last)))


def ix_(*args):
    """Open-mesh index arrays from 1-d sequences: the i-th result has its values along
    axis i and size 1 elsewhere, so together they broadcast to the full grid. A boolean
    sequence stands for the positions where it is true; arrays keep their dtype, lists
    give int64."""
    from ._shape import reshape
    out = []
    for i, seq in enumerate(args):
        if isinstance(seq, NDArray) and seq.dtype != onp.bool_:
            arr = seq
        else:
            host = seq.asnumpy() if isinstance(seq, NDArray) else onp.asarray(seq)
            if host.dtype == onp.bool_:
                host = onp.flatnonzero(host)
            arr = _host(host.astype(onp.int64), seq.ctx if isinstance(seq, NDArray) else
                        _default_ctx())
        if arr.ndim != 1:
            raise MXNetError(f"ix_: every argument must be 1-d, argument {i} has shape "
                             f"{arr.shape}")
        out.append(reshape(arr, (1,) * i + (arr.size,) + (1,) * (len(args) - i - 1)))
    return tuple(out)


def _default_ctx():
    from ..context import current_context
    return current_context()


def unravel_index(indices, shape, order="C"):
    """The coordinates, one int64 array per axis of ``shape``, of flat ``indices``."""
    idx = _host_ints(indices, "unravel_index", "indices")
    try:
        coords = onp.unravel_index(idx, shape, order=order)
    except ValueError as e:
        raise MXNetError(f"unravel_index: {e}") from None
    ctx = indices.ctx if isinstance(indices, NDArray) else _default_ctx()
    return tuple(_host(c, ctx, onp.int64) for c in coords)


def shares_memory(a, b, max_work=None):
    """Whether arrays ``a`` and ``b`` use some of the same memory (a view and
    its base do, where their elements meet); a Python bool."""
    return bool(call("_npi_share_memory", [_arr(a, "shares_memory"),
                                           _arr(b, "shares_memory", "b")]).item())


def may_share_memory(a, b, max_work=None):
    """``shares_memory``: the overlap is computed exactly, so "may" is "does"."""
    return bool(call("_npi_share_memory", [_arr(a, "may_share_memory"),
                                           _arr(b, "may_share_memory", "b")]).item())
