"""Reading and writing MXNet's NDArray list files (``.params``, ``mx.nd.save``).

All integers are little-endian.  A file is::

    uint64  0x112                 list magic
    uint64  0                     reserved (ignored when reading)
    uint64  N                     number of arrays, then N array records
    uint64  K                     number of names: 0 (a list) or N (a dict)
    K x (uint64 byte length, UTF-8 bytes)

An array record (V2, magic 0xF993FAC9; V3, magic 0xF993FACA, is the same
layout and is what MXNet writes while NumPy shape semantics are on) is::

    uint32  magic
    int32   storage type          0 dense, 1 row_sparse, 2 csr
    shape   storage shape         sparse only: the shape of the values array
    shape   logical shape         shape = int32 ndim, then ndim x int64
    int32   device type, int32 device id    (the saving array's context)
    int32   dtype flag            see DTYPE_FLAGS
    sparse only, per aux array:   int32 dtype flag, shape
    raw values, then raw aux arrays (row_sparse: indices; csr: indptr, indices)

Older records have no storage type: magic 0xF993FAC8 (V1) is followed by a
V2-style shape, and anything else is a pre-V1 record whose first uint32 is
ndim, followed by ndim x uint32 dims; both then hold context, dtype flag and
values.  MXNet 1.9 writes a 0-d dense array as ndim 0 followed by its one
value, but in V2 records its own reader takes ndim 0 to mean "no array" and
misreads the rest of the file; here ndim 0 always means a 0-d array.
"""
import math
import struct

import numpy as np

from ..base import MXNetError
from ..util import is_np_shape

__all__ = ["dumps", "loads", "BFLOAT16", "DTYPE_FLAGS"]

LIST_MAGIC = 0x112
V1_MAGIC, V2_MAGIC, V3_MAGIC = 0xF993FAC8, 0xF993FAC9, 0xF993FACA

# MXNet's Python API represents bfloat16 as this two-byte structured dtype.
BFLOAT16 = np.dtype([("bfloat16", "<u2")])

DTYPE_FLAGS = {np.dtype(np.float32): 0, np.dtype(np.float64): 1, np.dtype(np.float16): 2,
               np.dtype(np.uint8): 3, np.dtype(np.int32): 4, np.dtype(np.int8): 5,
               np.dtype(np.int64): 6, np.dtype(np.bool_): 7, BFLOAT16: 12}
_FLAG_DTYPES = {flag: dtype for dtype, flag in DTYPE_FLAGS.items()}

_STYPES = {"default": 0, "row_sparse": 1, "csr": 2}
_NUM_AUX = {"default": 0, "row_sparse": 1, "csr": 2}  # row_sparse: indices; csr: indptr, indices
_STYPE_NAMES = {code: name for name, code in _STYPES.items()}
_MAX_NDIM = 32
_CPU = (1, 0)


def _flag_of(dtype, what):
    dtype = np.dtype(dtype)
    if dtype.name == "bfloat16":  # e.g. ml_dtypes.bfloat16: same two bytes
        return 12
    flag = DTYPE_FLAGS.get(dtype.newbyteorder("=") if dtype.fields is None else dtype)
    if flag is None:
        raise MXNetError(f"{what} has dtype {dtype}, which MXNet files cannot hold; "
                         f"expected one of {sorted(str(d) for d in DTYPE_FLAGS)}")
    return flag


def _pack_shape(shape):
    return struct.pack(f"<i{len(shape)}q", len(shape), *shape)


def _raw(a):
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    return a.tobytes()


def _sparse_mismatch(stype, shape, data, aux):
    """Say how the values and aux arrays fail to fit a sparse layout, or return None."""
    if stype == "row_sparse":
        (indices,) = aux
        ok = (len(shape) >= 1 and data.ndim == len(shape) and indices.ndim == 1
              and data.shape[0] == indices.shape[0] and data.shape[1:] == tuple(shape[1:]))
        layout = "values (k, *shape[1:]) and indices (k,)"
    else:
        indptr, indices = aux
        ok = (len(shape) == 2 and data.ndim == 1 and indices.shape == data.shape
              and indptr.shape == (shape[0] + 1,))
        layout = "a 2-d shape, values (nnz,), indptr (rows + 1,) and indices (nnz,)"
    if ok:
        return None
    return (f"inconsistent {stype} array: expected {layout}, got shape {tuple(shape)}, "
            f"values {data.shape}, aux {[a.shape for a in aux]}")


def _pack_record(item, ctx, np_shape, where):
    if isinstance(item, tuple) and item and isinstance(item[0], str):
        stype, *parts, shape = item
        if stype not in ("row_sparse", "csr"):
            raise MXNetError(f"{where}: unknown storage type {stype!r}, "
                             f"expected 'row_sparse' or 'csr'")
        if np_shape:
            raise MXNetError(f"{where}: MXNet only saves dense arrays in NumPy shape mode, "
                             f"got {stype}")
        data, *aux = (np.asarray(p) for p in parts)
        if len(aux) != _NUM_AUX[stype]:
            raise MXNetError(f"{where}: expected ('row_sparse', data, indices, shape) or "
                             f"('csr', data, indptr, indices, shape), got {len(item)} items")
        shape = tuple(int(d) for d in shape)
        mismatch = _sparse_mismatch(stype, shape, data, aux)
        if mismatch:
            raise MXNetError(f"{where}: {mismatch}")
    elif isinstance(item, (np.ndarray, np.generic)):
        stype, data, aux, shape = "default", np.asarray(item), [], np.shape(item)
    else:
        raise MXNetError(f"{where}: expected a numpy.ndarray or a sparse tuple, "
                         f"got {type(item).__name__}")
    out = [struct.pack("<Ii", V3_MAGIC if np_shape else V2_MAGIC, _STYPES[stype])]
    if aux:
        out.append(_pack_shape(data.shape))
    out += [_pack_shape(shape), struct.pack("<iii", *ctx, _flag_of(data.dtype, where))]
    for k, a in enumerate(aux):
        out += [struct.pack("<i", _flag_of(a.dtype, f"{where} aux {k}")), _pack_shape(a.shape)]
    out += [_raw(a) for a in [data, *aux]]
    return b"".join(out)


def dumps(arrays, names=None, *, np_shape=None, contexts=None):
    """Serialize arrays exactly as MXNet 1.9's ``mx.nd.save`` would.

    ``arrays`` holds numpy arrays or sparse tuples ``("row_sparse", data,
    indices, shape)`` / ``("csr", data, indptr, indices, shape)``.  With
    ``names`` (one str per array) the file is a dict save, else a list save.
    ``np_shape=True`` writes V3 records, as MXNet does under NumPy shape
    semantics (``npx.save``); None, the default, follows the thread's
    np-shape switch (``mx.nd.save`` under ``np_shape()`` writes V3 too).  ``contexts`` gives each array's
    ``(device_typeid, device_id)`` as recorded in the file; default cpu(0).
    """
    arrays = list(arrays)
    if np_shape is None:
        np_shape = is_np_shape()
    if names is not None and len(names) != len(arrays):
        raise MXNetError(f"save: got {len(arrays)} arrays but {len(names)} names")
    if contexts is not None and len(contexts) != len(arrays):
        raise MXNetError(f"save: got {len(arrays)} arrays but {len(contexts)} contexts")
    out = [struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays))]
    for i, item in enumerate(arrays):
        ctx = tuple(contexts[i]) if contexts is not None else _CPU
        out.append(_pack_record(item, ctx, np_shape, f"save: array {i}"))
    names = [] if names is None else list(names)
    out.append(struct.pack("<Q", len(names)))
    for name in names:
        if not isinstance(name, str):
            raise MXNetError(f"save: names must be str, got {type(name).__name__}")
        encoded = name.encode("utf-8")
        out += [struct.pack("<Q", len(encoded)), encoded]
    return b"".join(out)


class _Reader:
    """A cursor over the buffer that turns every overrun into an MXNetError."""

    def __init__(self, buf):
        self.buf, self.pos = memoryview(buf).cast("B"), 0

    def fail(self, message, at=None):
        raise MXNetError(f"load: invalid NDArray file at offset {self.pos if at is None else at}: "
                         f"{message}")

    def need(self, nbytes, what):
        left = len(self.buf) - self.pos
        if nbytes > left:
            self.fail(f"truncated: {what} needs {nbytes} bytes, only {left} left")

    def unpack(self, fmt, what):
        fmt = "<" + fmt
        self.need(struct.calcsize(fmt), what)
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def shape(self, what, ndim=None, dim_code="q"):
        at = self.pos
        if ndim is None:
            (ndim,) = self.unpack("i", f"{what} ndim")
        if not -1 <= ndim <= _MAX_NDIM:
            self.fail(f"{what} ndim must be in [0, {_MAX_NDIM}], got {ndim}", at)
        if ndim == -1:
            self.fail(f"{what} is unknown (ndim -1); such an array holds no data", at)
        dims = self.unpack(f"{ndim}{dim_code}", f"{what} dims")
        if any(d < 0 for d in dims):
            self.fail(f"{what} has a negative dimension: {dims}", at)
        return dims

    def dtype(self, what):
        (flag,) = self.unpack("i", f"{what} dtype flag")
        if flag not in _FLAG_DTYPES:
            self.fail(f"unknown {what} dtype flag {flag}, expected one of "
                      f"{sorted(_FLAG_DTYPES)}", self.pos - 4)
        return _FLAG_DTYPES[flag]

    def values(self, dtype, shape, what):
        count = math.prod(shape)
        self.need(count * dtype.itemsize, f"{what} of shape {tuple(shape)} {dtype}")
        wire = dtype if dtype.fields else dtype.newbyteorder("<")
        a = np.frombuffer(self.buf, wire, count, self.pos).astype(dtype).reshape(shape)
        self.pos += count * dtype.itemsize
        return a


def _read_record(r, i):
    what = f"array {i}"
    at = r.pos
    (magic,) = r.unpack("I", f"{what} magic")
    if magic not in (V2_MAGIC, V3_MAGIC):  # a legacy record: no storage type
        if magic == V1_MAGIC:
            shape = r.shape(f"{what} shape")
        elif magic <= _MAX_NDIM:  # pre-V1: the magic slot holds ndim
            shape = r.shape(f"{what} shape", ndim=magic, dim_code="I")
        else:
            r.fail(f"{what}: expected magic 0x{V2_MAGIC:X} (or 0x{V3_MAGIC:X}, 0x{V1_MAGIC:X}, "
                   f"or a legacy ndim <= {_MAX_NDIM}), got 0x{magic:X}", at)
        if not shape:
            r.fail(f"{what}: legacy record with empty shape holds no array", at)
        r.unpack("ii", f"{what} context")
        return r.values(r.dtype(what), shape, f"{what} values")
    (stype_code,) = r.unpack("i", f"{what} storage type")
    stype = _STYPE_NAMES.get(stype_code)
    if stype is None:
        r.fail(f"{what}: unknown storage type {stype_code}, expected 0, 1 or 2", r.pos - 4)
    naux = _NUM_AUX[stype]
    storage_shape = r.shape(f"{what} storage shape") if naux else None
    shape = r.shape(f"{what} shape")
    r.unpack("ii", f"{what} context")  # MXNet ignores it and loads onto cpu
    dtype = r.dtype(what)
    if not naux:
        return r.values(dtype, shape, f"{what} values")
    aux_specs = [(r.dtype(f"{what} aux {k}"), r.shape(f"{what} aux {k} shape"))
                 for k in range(naux)]
    data = r.values(dtype, storage_shape, f"{what} values")
    aux = [r.values(d, s, f"{what} aux {k}") for k, (d, s) in enumerate(aux_specs)]
    mismatch = _sparse_mismatch(stype, shape, data, aux)
    if mismatch:
        r.fail(f"{what}: {mismatch}", at)
    return (stype, data, *aux, tuple(shape))


def loads(buf):
    """Parse the bytes of an MXNet NDArray file into ``(arrays, names)``.

    ``arrays`` holds numpy arrays (bfloat16 ones as ``BFLOAT16``) and, for
    sparse entries, the tuples ``dumps`` accepts; ``names`` is ``[]`` for a
    list file.  Bytes after the names are ignored, as MXNet does.  Anything
    malformed raises MXNetError naming the offset, what was expected and what
    was found.
    """
    r = _Reader(buf)
    magic, _reserved, count = r.unpack("QQQ", "file header")
    if magic != LIST_MAGIC:
        r.fail(f"expected list magic 0x{LIST_MAGIC:X}, got 0x{magic:X}", 0)
    arrays = []
    while len(arrays) < count:  # each record consumes bytes, so a huge count just truncates
        try:
            arrays.append(_read_record(r, len(arrays)))
        except (ValueError, OverflowError, MemoryError) as err:
            r.fail(f"array {len(arrays)} cannot be built: {err}")
    at = r.pos
    (nnames,) = r.unpack("Q", "name count")
    if nnames not in (0, count):
        r.fail(f"expected 0 or {count} names (one per array), got {nnames}", at)
    names = []
    for k in range(nnames):
        (length,) = r.unpack("Q", f"name {k} length")
        r.need(length, f"name {k}")
        try:
            names.append(bytes(r.buf[r.pos:r.pos + length]).decode("utf-8"))
        except UnicodeDecodeError as err:
            r.fail(f"name {k} is not UTF-8: {err}")
        r.pos += length
    return arrays, names


def dumps_array(item, ctx=_CPU):
    """One array record alone (MXNet's raw bytes of an NDArray, used by pickling)."""
    return _pack_record(item, ctx, False, "dumps_array")


def loads_array(buf):
    """The array of a single record written by ``dumps_array`` (or MXNet)."""
    r = _Reader(buf)
    return _read_record(r, 0)
