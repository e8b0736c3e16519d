"""``mx.nd.sparse``: row_sparse and csr NDArrays, and how operators treat them.

A sparse NDArray keeps its stored values in ``_data`` (like a dense one) plus
index arrays in ``_aux`` and its logical shape in ``_shape``; see
``mxnet.ops.sparse_ops`` for the layouts. Operators reach sparse arrays
through ``dispatch`` (called by invoke whenever an input is not a dense
NDArray), which applies MXNet's storage-type inference: the output storage
type for the given input storage types and parameters, and whether a sparse
kernel computes it or the call "falls back" to dense storage (inputs are
densified, the dense kernel runs, the output is converted back, and a
warning is logged once per distinct call, as MXNet does). The rules live in
``mxnet.ops.sparse_ops``.
"""
import logging
import os
from builtins import slice as py_slice  # ``slice`` here is the operator

import numpy as np

from .. import autograd as _ag
from ..base import MXNetError, numeric_types
from ..context import Context, current_context
from ..ops import registry, sparse_ops as _k
from . import ndarray as _nd
from .ndarray import NDArray, _from_host

__all__ = ["BaseSparseNDArray", "RowSparseNDArray", "CSRNDArray", "csr_matrix",
           "row_sparse_array", "zeros", "empty", "array", "add", "subtract", "multiply",
           "divide", "NotSupportedForSparseNDArray"]

_log = logging.getLogger(__name__)
_IDX = np.int64


class NotSupportedForSparseNDArray(MXNetError):
    """Raised by NDArray methods that sparse arrays do not provide."""

    def __init__(self, function, alias, *args):
        super().__init__(f"Function {function.__name__}"
                         + (f" (namely operator \"{alias}\")" if alias else "")
                         + (f" with arguments ({', '.join(str(type(a)) for a in args)})"
                            if args else "")
                         + " is not supported for SparseNDArray and only available in NDArray.")


class BaseSparseNDArray(NDArray):
    """Common base of RowSparseNDArray and CSRNDArray (not created directly)."""
    __slots__ = ("_aux", "_shape")

    # -- storage -----------------------------------------------------------------
    @property
    def shape(self):
        return self._shape

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def size(self):
        raise NotImplementedError("size is not available for sparse NDArrays")

    def _storage(self):
        """(values, *index arrays), after pending writes finish."""
        return (self._arr(),) + self._aux

    def _set_storage(self, data, aux):
        self._wait_to_write()
        self._data = data
        self._aux = tuple(np.asarray(a, _IDX) for a in aux)
        self._var.version += 1

    def _index_nd(self, k):
        return _from_host(self._aux[k].copy(), self._ctx)

    @property
    def data(self):
        """The stored values, as a new dense NDArray."""
        return _from_host(self._arr().copy(), self._ctx)

    def asnumpy(self):
        """The dense values as a NumPy array."""
        return _dense(self)

    def asscalar(self):
        raise NotImplementedError("asscalar is not available for sparse NDArrays")

    def __bool__(self):
        raise NotImplementedError("the truth value of a sparse NDArray is not defined")

    def __repr__(self):
        shape_info = "x".join(str(d) for d in self._shape)
        return f"\n<{type(self).__name__} {shape_info} @{self._ctx}>"

    def reshape(self, *shape, **kwargs):
        raise NotSupportedForSparseNDArray(self.reshape, None, *shape)

    def __reduce__(self):
        return (_from_item, (_to_item(self), self._ctx))

    def detach(self):
        out = _make(type(self), self._data, self._aux, self._shape, self._ctx)
        out._var = self._var
        return out

    # -- conversion --------------------------------------------------------------
    def astype(self, dtype, copy=True):
        """Same storage with values cast to ``dtype``."""
        if not copy and np.dtype(dtype) == self._data.dtype:
            return self
        return _make(type(self), self._arr().astype(dtype), _copy_aux(self), self._shape,
                     self._ctx)

    def tostype(self, stype):
        """Convert storage type; row_sparse <-> csr is not supported (as in MXNet)."""
        if stype not in ("default", self._stype):
            raise ValueError(f"cast_storage from {self._stype} to {stype} is not supported")
        return cast_storage(self, stype=stype)

    def copyto(self, other):
        """Copy to Context ``other`` (same storage) or into NDArray ``other``,
        which must be dense or of this storage type."""
        if isinstance(other, Context):
            return _make(type(self), self._arr().copy(), _copy_aux(self), self._shape, other)
        if not isinstance(other, NDArray):
            raise TypeError(f"copyto does not support type {type(other).__name__}")
        if other is self:
            return other
        if other.stype not in ("default", self._stype):
            raise TypeError(f"copyto does not support destination NDArray stype {other.stype}")
        if other.shape != self.shape:
            raise MXNetError(f"copyto: shape mismatch, source {self.shape} vs "
                             f"target {other.shape}")
        return assign(other, self)

    def check_format(self, full_check=True):
        """Raise MXNetError unless the storage is well formed; ``full_check``
        also checks index bounds and ordering."""
        message = self._format_error(full_check)
        if message:
            raise MXNetError(f"check_format: {message}")

    # -- arithmetic (MXNet's sparse operator overloads; the reflected forms are
    # NDArray's, so ``dense * sparse`` and ``2 * sparse`` behave as in MXNet) ---
    def __add__(self, other):
        return add(self, other)

    def __sub__(self, other):
        return subtract(self, other)

    def __mul__(self, other):
        return multiply(self, other)

    def __truediv__(self, other):
        if isinstance(other, NDArray) and not (self._stype == "csr" and other.stype == "default"):
            return divide(self, other)
        from .arithmetic import divide as dense_divide
        return dense_divide(self, other)

    __div__ = __truediv__

    def __iadd__(self, other):
        return add(self, other, out=self)

    def __isub__(self, other):
        return subtract(self, other, out=self)

    def __imul__(self, other):
        return multiply(self, other, out=self)

    def __itruediv__(self, other):
        return divide(self, other, out=self)


class RowSparseNDArray(BaseSparseNDArray):
    """An array storing only some rows (slices along axis 0): ``data`` holds
    them and ``indices`` their row numbers. Typical for embedding gradients."""
    __slots__ = ()
    _stype = "row_sparse"

    @property
    def indices(self):
        """Row numbers of the stored rows (int64 NDArray)."""
        return self._index_nd(0)

    def retain(self, indices):
        """Only the rows numbered in ``indices`` (see ``retain``)."""
        return retain(self, indices)

    def __getitem__(self, key):
        if isinstance(key, py_slice) and key == py_slice(None):
            return self
        if isinstance(key, int):
            raise ValueError("__getitem__ with int key is not implemented for "
                             "RowSparseNDArray yet")
        raise ValueError("RowSparseNDArray only supports [:] for __getitem__")

    def __setitem__(self, key, value):
        if not (isinstance(key, py_slice) and key == py_slice(None)):
            raise ValueError("Assignment with slice for RowSparseNDArray is not "
                             "implemented yet")
        if isinstance(value, numeric_types):
            # A number fills every row and all of them are stored, zero or not
            # (as MXNet does: an initializer's zeros make a weight updatable).
            self._set_storage(np.full(self._shape, value, self._data.dtype),
                              (np.arange(self._shape[0], dtype=_IDX),))
            return
        assign(self, value)

    def _format_error(self, full_check):
        data, idx = self._storage()
        if data.ndim != len(self._shape) or data.shape[1:] != self._shape[1:] \
                or idx.shape != (data.shape[0],):
            return (f"row_sparse values {data.shape} and indices {idx.shape} do not fit "
                    f"shape {self._shape}")
        if full_check and len(idx) and (idx[0] < 0 or idx[-1] >= self._shape[0]
                                        or np.any(np.diff(idx) <= 0)):
            return ("indices of a row_sparse NDArray must be non-negative, less than the "
                    f"size of the first dimension ({self._shape[0]}) and ascending; got "
                    f"{idx.tolist()}")
        return None


class CSRNDArray(BaseSparseNDArray):
    """A 2-D array in compressed sparse row format: ``data`` holds the
    nonzeros row by row, ``indices`` their columns and ``indptr`` where each
    row starts. Typical for sparse input features."""
    __slots__ = ()
    _stype = "csr"

    @property
    def indptr(self):
        """Start of every row in ``data`` and ``indices``, plus the end (int64)."""
        return self._index_nd(0)

    @property
    def indices(self):
        """Column numbers of the stored values (int64 NDArray)."""
        return self._index_nd(1)

    def asscipy(self):
        """A ``scipy.sparse.csr_matrix`` copy (needs SciPy)."""
        try:
            import scipy.sparse as spsp
        except ImportError:
            raise ImportError("scipy could not be imported. Please make sure that the scipy "
                              "is installed.") from None
        data, indptr, indices = self._storage()
        return spsp.csr_matrix((data.copy(), indices.copy(), indptr.copy()), shape=self._shape)

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            rows = self._shape[0]
            if not -rows <= key < rows:
                raise IndexError(f"index {key} is out of bounds for axis 0 with size {rows}")
            key = int(key) % rows
            return _csr_rows(self, key, key + 1)
        if isinstance(key, py_slice):
            if key.step not in (None, 1):
                raise ValueError("CSRNDArray only supports continuous slicing on axis 0")
            begin, end, _ = key.indices(self._shape[0])
            return _csr_rows(self, begin, max(begin, end))
        raise ValueError("Multi-dimension indexing is not supported")

    def __setitem__(self, key, value):
        if not (isinstance(key, py_slice) and key == py_slice(None)):
            raise ValueError("Assignment with slice for CSRNDArray is not implemented yet")
        if isinstance(value, numeric_types):
            raise ValueError("Assigning numeric types to CSRNDArray is not implemented yet.")
        assign(self, value)

    def _format_error(self, full_check):
        data, indptr, idx = self._storage()
        rows, cols = self._shape
        if indptr.shape != (rows + 1,) or idx.shape != data.shape or data.ndim != 1:
            return (f"csr values {data.shape}, indptr {indptr.shape} and indices {idx.shape} "
                    f"do not fit shape {self._shape}")
        if not full_check:
            return None
        if indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != len(idx):
            return f"indptr must rise from 0 to nnz={len(idx)}, got {indptr.tolist()}"
        in_row = np.ones(len(idx), bool)
        in_row[indptr[1:-1][indptr[1:-1] < len(idx)]] = False
        if len(idx) and (idx.min() < 0 or idx.max() >= cols
                         or np.any((np.diff(idx) <= 0) & in_row[1:])):
            return ("indices of a csr NDArray must be non-negative, ascending within each row "
                    f"and less than the number of columns ({cols}); got {idx.tolist()}")
        return None


_CLASSES = {"row_sparse": RowSparseNDArray, "csr": CSRNDArray}


_HOST_TYPES = (1, 3, 5)  # cpu, cpu_pinned, cpu_shared


def _on_host_only(what, ctx):
    if ctx.device_typeid not in _HOST_TYPES:
        # Sparse storage keeps its parts in host NumPy arrays.
        raise MXNetError(f"{what}: sparse storage on {ctx} is not supported; keep "
                         f"row_sparse and csr arrays on the cpu (e.g. .as_in_context(mx.cpu()))")


def _make(cls, data, aux, shape, ctx):
    _on_host_only(cls.__name__, ctx)
    arr = cls.__new__(cls)
    arr._data = data
    arr._aux = tuple(aux)
    arr._shape = tuple(int(d) for d in shape)
    arr._ctx = ctx
    arr._var = _nd.Var()
    arr._ag_node = None
    arr._ag_index = 0
    arr._grad = None
    arr._grad_req = "null"
    return arr


def _copy_aux(x):
    return tuple(a.copy() for a in x._aux)


def _csr_rows(x, begin, end):
    data, indptr, idx = _k.csr_slice_rows(*x._storage(), begin, end)
    return _make(CSRNDArray, data, (indptr, idx), (end - begin, x._shape[1]), x._ctx)


def _dense(x):
    """The dense NumPy values of any NDArray (a fresh array)."""
    if x._stype == "default":
        return x.asnumpy()
    if x._stype == "row_sparse":
        return _k.rsp_to_dense(*x._storage(), x._shape)
    return _k.csr_to_dense(*x._storage(), x._shape)


def _from_dense(dense, stype, ctx):
    """An NDArray of storage ``stype`` holding NumPy array ``dense``."""
    if stype == "default":
        return _from_host(dense, ctx)
    if stype == "row_sparse":
        if dense.ndim == 0:
            raise MXNetError("cast_storage: row_sparse storage needs at least 1 dimension")
        data, rows = _k.dense_to_rsp(dense)
        return _make(RowSparseNDArray, data, (rows,), dense.shape, ctx)
    if dense.ndim != 2:
        raise MXNetError(f"cast_storage: csr storage needs a 2-D array, got shape {dense.shape}")
    data, indptr, idx = _k.dense_to_csr(dense)
    return _make(CSRNDArray, data, (indptr, idx), dense.shape, ctx)


def _convert(x, stype):
    """``x`` in storage ``stype`` (``x`` itself when it already is)."""
    if x._stype == stype:
        return x
    if "default" not in (x._stype, stype):
        raise MXNetError(f"cast_storage: conversion from {x._stype} to {stype} is not "
                         "supported")
    return _from_dense(_dense(x), stype, x._ctx)


def assign(target, value):
    """Write ``value`` (NDArray of any storage, NumPy array) into ``target``,
    converting to the target's storage; returns ``target``."""
    if isinstance(value, NDArray):
        ctx = target._ctx
        if value.shape != target.shape:
            raise MXNetError(f"cannot assign an array of shape {value.shape} to one of shape "
                             f"{target.shape}")
        src = _convert(value, target._stype) if value._stype != "default" or \
            target._stype != "default" else None
    else:
        value = np.asarray(value, dtype=target.dtype)
        if value.shape != target.shape:
            value = np.broadcast_to(value, target.shape)
        ctx = target._ctx
        src = _from_dense(np.array(value), target._stype, ctx)
    if target._stype == "default":
        dense = src.asnumpy() if src is not None else value.asnumpy()
        target._wait_to_write()
        target._data[...] = dense
        target._var.version += 1
        return target
    if src is value:
        src = _make(type(src), src._arr().copy(), _copy_aux(src), src._shape, ctx)
    target._set_storage(src._arr().astype(target._data.dtype, copy=False), src._aux)
    return target


# -- creation ----------------------------------------------------------------------
def _values(source, dtype):
    """NumPy values of a creation argument; dtype: given, else the source's
    (NumPy or NDArray), else float32."""
    if isinstance(source, NDArray):
        arr = source.asnumpy()
    else:
        arr = np.asarray(source)
        if not isinstance(source, np.ndarray):
            arr = arr.astype(np.float32 if dtype is None else dtype)
    return arr if dtype is None else arr.astype(dtype)


def _indices(source):
    arr = source.asnumpy() if isinstance(source, NDArray) else np.asarray(source)
    return arr.astype(_IDX).reshape(-1)


def _is_shape(arg):
    return isinstance(arg, tuple) and all(isinstance(d, (int, np.integer)) for d in arg)


def _is_scipy(arg):
    return hasattr(arg, "tocsr") and hasattr(arg, "nnz")


def csr_matrix(arg1, shape=None, ctx=None, dtype=None):
    """A CSRNDArray from: ``(data, indices, indptr)``; ``(data, (row, col))``
    coordinates (duplicates add up); a shape ``(M, N)`` (all zeros); a dense
    NDArray, NumPy array or nested list; a CSRNDArray or SciPy sparse matrix.
    ``dtype`` defaults to the source's (float32 for lists and shapes)."""
    ctx = ctx or current_context()
    if isinstance(arg1, tuple) and not (_is_shape(arg1) and len(arg1) == 2):
        if len(arg1) == 3:
            data = _values(arg1[0], dtype)
            indices, indptr = _indices(arg1[1]), _indices(arg1[2])
            if shape is None:
                shape = (len(indptr) - 1, int(indices.max()) + 1 if len(indices) else 0)
        elif len(arg1) == 2 and isinstance(arg1[1], tuple) and len(arg1[1]) == 2:
            data = _values(arg1[0], dtype).reshape(-1)
            rows, cols = _indices(arg1[1][0]), _indices(arg1[1][1])
            if shape is None:
                shape = (int(rows.max()) + 1, int(cols.max()) + 1) if len(rows) else (0, 0)
            data, indptr, indices = _k.coords_to_csr(data, rows, cols, shape)
        else:
            raise ValueError(f"Unexpected length of input tuple: {len(arg1)}")
        if len(shape) != 2 or len(indptr) != shape[0] + 1 or data.shape != indices.shape:
            raise MXNetError(f"csr_matrix: data {data.shape}, indices {indices.shape} and "
                             f"indptr {indptr.shape} do not describe a csr array of shape "
                             f"{tuple(shape)}")
        return _make(CSRNDArray, data, (indptr, indices), shape, ctx)
    if _is_shape(arg1):
        return zeros("csr", arg1, ctx, dtype)
    if isinstance(arg1, CSRNDArray):
        out = arg1.copyto(ctx)
        return out if dtype is None else out.astype(dtype)
    if _is_scipy(arg1):
        m = arg1.tocsr()
        m.sort_indices()
        return csr_matrix((m.data, m.indices, m.indptr), shape=m.shape, ctx=ctx,
                          dtype=dtype or m.dtype)
    if isinstance(arg1, BaseSparseNDArray):
        raise ValueError(f"csr_matrix: cannot create from a {arg1.stype} array")
    dense = _values(arg1, dtype)
    if shape is not None and tuple(shape) != dense.shape:
        raise ValueError(f"Shape mismatch detected. {dense.shape} v.s. {tuple(shape)}")
    return _from_dense(dense, "csr", ctx)


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None):
    """A RowSparseNDArray from: ``(data, indices)`` (stored rows and their row
    numbers); a shape (all zeros); a dense NDArray or NumPy array; or a
    RowSparseNDArray. ``dtype`` defaults to the source's (else float32)."""
    ctx = ctx or current_context()
    if isinstance(arg1, tuple) and not _is_shape(arg1):
        if len(arg1) != 2:
            raise ValueError(f"Unexpected length of input tuple: {len(arg1)}")
        data, indices = _values(arg1[0], dtype), _indices(arg1[1])
        if shape is None:
            shape = (int(indices.max()) + 1 if len(indices) else 0,) + data.shape[1:]
        shape = tuple(shape)
        if data.ndim == 0 or data.shape[0] != len(indices) or data.shape[1:] != shape[1:]:
            raise MXNetError(f"row_sparse_array: data {data.shape} and indices "
                             f"{indices.shape} do not describe stored rows of shape {shape}")
        return _make(RowSparseNDArray, data, (indices,), shape, ctx)
    if _is_shape(arg1):
        return zeros("row_sparse", arg1, ctx, dtype)
    if isinstance(arg1, RowSparseNDArray):
        out = arg1.copyto(ctx)
        return out if dtype is None else out.astype(dtype)
    if isinstance(arg1, BaseSparseNDArray):
        raise ValueError(f"row_sparse_array: cannot create from a {arg1.stype} array")
    dense = _values(arg1, dtype)
    if shape is not None and tuple(shape) != dense.shape:
        raise ValueError(f"Shape mismatch detected. {dense.shape} v.s. {tuple(shape)}")
    return _from_dense(dense, "row_sparse", ctx)


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """An all-zero array of storage ``stype`` (nothing stored when sparse)."""
    ctx = ctx or current_context()
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    dtype = np.dtype(np.float32 if dtype is None else dtype)
    if stype == "default":
        return _from_host(np.zeros(shape, dtype), ctx)
    if stype == "row_sparse":
        return _make(RowSparseNDArray, np.zeros((0,) + shape[1:], dtype),
                     (np.zeros(0, _IDX),), shape, ctx)
    if stype == "csr":
        if len(shape) != 2:
            raise ValueError(f"csr storage needs a 2-D shape, got {shape}")
        return _make(CSRNDArray, np.zeros(0, dtype), (np.zeros(shape[0] + 1, _IDX),
                                                      np.zeros(0, _IDX)), shape, ctx)
    raise ValueError(f"unknown storage type {stype!r}")


def empty(stype, shape, ctx=None, dtype=None):
    """Like ``zeros`` (sparse arrays start with nothing stored)."""
    return zeros(stype, shape, ctx, dtype)


def array(source_array, ctx=None, dtype=None):
    """A sparse copy of a sparse NDArray or SciPy sparse matrix (dense sources
    belong to ``mx.nd.array``)."""
    if isinstance(source_array, RowSparseNDArray):
        return row_sparse_array(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, CSRNDArray) or _is_scipy(source_array):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, (NDArray, np.ndarray)):
        raise ValueError(f"Please use mx.nd.array to create an NDArray with source_array of "
                         f"type {type(source_array)}")
    raise ValueError(f"Unexpected source_array type: {type(source_array)}")


# -- file records (mx.nd.save / load) ----------------------------------------------
def _to_item(arr):
    """The serialization tuple of a sparse NDArray."""
    return (arr.stype,) + arr._storage() + (arr.shape,)


def _from_item(item, ctx):
    """A sparse NDArray from a serialization tuple."""
    stype, data, *aux, shape = item
    return _make(_CLASSES[stype], np.array(data), [np.asarray(a, _IDX) for a in aux],
                 shape, ctx)


# -- dispatch ----------------------------------------------------------------------
_logged = set()


def _warn_fallback(op, attrs, in_stypes, out_stypes, ctx):
    if os.environ.get("MXNET_STORAGE_FALLBACK_LOG_VERBOSE", "1") == "0":
        return
    params = ", ".join(f'"{k}" : {v}' for k, v in attrs.items() if v is not None)
    message = ("Storage type fallback detected:\n"
               f"operator = {op.name}\n"
               f"input storage types = [{', '.join(in_stypes)}, ]\n"
               f"output storage types = [{', '.join(out_stypes)}, ]\n"
               f"params = {{{params}}}\n"
               f"context.dev_mask = {ctx.device_type}\n"
               "The operator with default storage type will be dispatched for execution. "
               "Temporary dense arrays are created to run it; results are unaffected. Set "
               "MXNET_STORAGE_FALLBACK_LOG_VERBOSE=0 to silence this warning.")
    if message not in _logged:
        _logged.add(message)
        _log.warning(message)


def _item(x):
    return x._arr() if x._stype == "default" else _to_item(x)


def _wrap(item, ctx):
    return _from_item(item, ctx) if isinstance(item, tuple) else _from_host(item, ctx)


def dispatch(op, attrs, inputs, out=None):
    """Run ``op`` on inputs of any storage types (see the module docstring).

    Inputs the op updates in place (``op.mutate_inputs``, optimizer states)
    keep their storage type: a dense fallback writes their new values back,
    converted, and an in-place sparse kernel may give them new storage."""
    from .invoke import _run_inline
    name = _k.BASE_NAME.get(op.name, op.name)
    stypes = tuple(x._stype for x in inputs)
    ctx = inputs[0]._ctx if inputs else current_context()
    _on_host_only(op.name, ctx)
    mutated = op.mutate_inputs(attrs, len(inputs))
    outs = [] if out is None else list(out) if isinstance(out, (list, tuple)) else [out]
    # Arrays written here must first be free of pending reads (engine order).
    for x in [inputs[i] for i in mutated] + outs:
        if isinstance(x, NDArray):
            x._wait_to_write()
    rule = _k.RULES.get(name)
    items = [_item(x) for x in inputs]
    out_stype, kernel, fallback = rule(attrs, stypes, items) if rule else _k.FALLBACK
    if getattr(kernel, "in_place", False):
        results = _run_in_place(op, attrs, kernel, inputs, items, outs)
    elif kernel is not None:
        results = [_wrap(it, ctx) for it in kernel(op, attrs, items)]
    else:
        if fallback:
            _warn_fallback(op, attrs, stypes, [out_stype] * op.num_outputs(attrs), ctx)
        dense = [x if x._stype == "default" else _from_host(_dense(x), x._ctx) for x in inputs]
        results = [_convert(r, out_stype) for r in _run_inline(op, attrs, dense, ctx, None)]
        for i in mutated:
            if dense[i] is not inputs[i]:
                assign(inputs[i], dense[i])
    if _ag._state.recording:
        _ag._record(op, attrs, inputs, results)
    if out is None:
        return results[0] if len(results) == 1 else results
    if len(outs) != len(results):
        raise MXNetError(f"{op.name}: out= needs {len(results)} arrays, got {len(outs)}")
    for o, r in zip(outs, results):
        if o is not r:
            assign(o, r)
    return out


def _run_in_place(op, attrs, kernel, inputs, items, outs):
    """Run an in-place update kernel (sparse_ops): the weight, ``inputs[0]``,
    must also be the output, as MXNet requires of its sparse update kernels."""
    if len(outs) != 1 or not isinstance(outs[0], NDArray) or outs[0]._data is not inputs[0]._data:
        given = "no out" if not outs else "another array"
        raise MXNetError(f"{op.name}: with a row_sparse gradient the update is in place: pass "
                         f"out=weight (MXNet: kWriteInplace is expected), got {given}")
    grown = kernel(op, attrs, items)
    for i, item in grown.items():
        inputs[i]._set_storage(item[1], item[2:-1])
    for i in op.mutate_inputs(attrs, len(inputs)):
        inputs[i]._var.version += 1  # the weight and states were written in place
    outs[0]._var.version += 1
    return outs


def cast_storage(data, stype, out=None):
    """``data`` converted to storage ``stype`` ('default', 'row_sparse', 'csr')."""
    return dispatch(registry.get("cast_storage"), registry.get("cast_storage").parse(
        {"stype": stype}), [data], out)


def retain(data, indices, out=None):
    """The rows of row_sparse ``data`` numbered in ``indices`` (zeros where
    not stored), as a RowSparseNDArray storing exactly those rows."""
    op = registry.get("_sparse_retain")
    return dispatch(op, op.default_attrs(), [data, indices], out)


# -- arithmetic helpers: elementwise ops for equal shapes, broadcast ones otherwise --
def _arith(elemwise, broadcast, scalar, rscalar):
    def apply(lhs, rhs, out=None):
        from .invoke import invoke
        if isinstance(lhs, NDArray) and isinstance(rhs, NDArray):
            name = elemwise if lhs.shape == rhs.shape else broadcast
            return invoke(registry.get(name), [lhs, rhs], {}, out)
        if isinstance(lhs, NDArray) and isinstance(rhs, numeric_types):
            return invoke(registry.get(scalar), [lhs], {"scalar": rhs}, out)
        if isinstance(rhs, NDArray) and isinstance(lhs, numeric_types):
            return invoke(registry.get(rscalar), [rhs], {"scalar": lhs}, out)
        raise TypeError(f"{elemwise}: unsupported operand types {type(lhs).__name__} and "
                        f"{type(rhs).__name__}")
    apply.__doc__ = (f"``{elemwise}`` of two same-shape arrays (keeping sparse storage where "
                     f"MXNet does), ``{broadcast}`` otherwise; with a number, ``{scalar}``.")
    return apply


add = _arith("elemwise_add", "broadcast_add", "_plus_scalar", "_plus_scalar")
subtract = _arith("elemwise_sub", "broadcast_sub", "_minus_scalar", "_rminus_scalar")
multiply = _arith("elemwise_mul", "broadcast_mul", "_mul_scalar", "_mul_scalar")
divide = _arith("elemwise_div", "broadcast_div", "_div_scalar", "_rdiv_scalar")
add.__name__, subtract.__name__, multiply.__name__, divide.__name__ = (
    "add", "subtract", "multiply", "divide")


def _populate():
    from .register import populate
    populate(globals(), "sparse")


_populate()
