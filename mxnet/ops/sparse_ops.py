"""Sparse storage: the operators that exist only for it, and the kernels that
work on compressed storage directly (MXNet's FComputeEx).

Storage layouts (all index arrays int64, as MXNet stores them):

* row_sparse of logical shape ``(n, *rest)``: ``data`` of shape
  ``(k, *rest)`` holds the stored rows, ``indices`` (k,) their row numbers.
* csr of logical shape ``(rows, cols)``: ``data`` (nnz,), ``indptr``
  (rows + 1,) and ``indices`` (nnz,) column numbers, row by row.

Kernels here take and return these arrays (``(data, indices)`` or ``(data,
indptr, indices)``); which kernel runs for which operator and storage types
is decided in ``mxnet.ndarray.sparse`` (storage-type inference). Dense
inputs on the operators registered here run their ``compute`` like any op.

``_sparse_X`` names are MXNet's aliases of operator ``X`` for sparse
front ends; each becomes a copy of ``X``'s declaration under that name.
"""
import copy

import numpy as np

from ..base import MXNetError
from . import registry
from .infer import same_shape, same_type
from .params import Param

IDX = np.int64
STYPES = ("default", "row_sparse", "csr")

# Ops MXNet also registers as ``_sparse_<name>`` (mx.nd.sparse.<name>).
SPARSE_ALIASES = (
    "ElementWiseSum", "Embedding", "FullyConnected", "LinearRegressionOutput",
    "LogisticRegressionOutput", "MAERegressionOutput", "_contrib_round_ste", "_contrib_sign_ste",
    "abs", "adagrad_update", "adam_update", "add_n", "arccos", "arccosh", "arcsin", "arcsinh",
    "arctan", "arctanh", "broadcast_add", "broadcast_div", "broadcast_minus", "broadcast_mul",
    "broadcast_plus", "broadcast_sub", "cbrt", "ceil", "clip", "concat", "cos", "cosh",
    "degrees", "dot", "elemwise_add", "elemwise_div", "elemwise_mul", "elemwise_sub", "exp",
    "expm1", "fix", "floor", "ftrl_update", "gamma", "gammaln", "log", "log10", "log1p", "log2",
    "make_loss", "mean", "negative", "norm", "radians", "relu", "rint", "round", "rsqrt",
    "sgd_mom_update", "sgd_update", "sigmoid", "sign", "sin", "sinh", "slice", "sqrt", "square",
    "stop_gradient", "sum", "tan", "tanh", "trunc", "where", "zeros_like")

# ``_sparse_X`` -> the registered name of X, for the sparse dispatcher.
BASE_NAME = {}


def _cast_storage_grad(F, attrs, inputs, outputs, out_grads):
    return [F.cast_storage(out_grads[0], stype=inputs[0].stype)]


@registry.register("cast_storage", aliases=("_sparse_cast_storage",),
                   params={"stype": Param("str", doc="Output storage type.", choices=STYPES)},
                   infer_shape=same_shape("cast_storage"), infer_type=same_type("cast_storage"),
                   gradient=_cast_storage_grad)
def _cast_storage(xp, attrs, data):
    """Convert an array between storage types (default, row_sparse, csr); the
    values are unchanged. On dense storage this is a copy."""
    return data.copy()


def _retain_shape(attrs, shapes):
    data, idx = shapes
    if idx is not None and len(idx) != 1:
        raise MXNetError(f"_sparse_retain: indices must be 1-D, got shape {tuple(idx)}")
    return shapes, [data]


def _retain_type(attrs, types):
    return types, [types[0]]


def _retain_grad(F, attrs, inputs, outputs, out_grads):
    return [F._internal._backward_sparse_retain(out_grads[0], inputs[1]), None]


@registry.register("_sparse_retain", inputs=("data", "indices"), infer_shape=_retain_shape,
                   infer_type=_retain_type, gradient=_retain_grad)
def _retain_dense(xp, attrs, data, indices):
    """Keep the rows of a row_sparse array whose numbers are listed in
    ``indices``; the result stores exactly those rows (zeros where absent)."""
    raise MXNetError("_sparse_retain: 'data' must have row_sparse storage, got default")


def _check_rows(name, wanted, n):
    if len(wanted) and (wanted.min() < 0 or wanted.max() >= n):
        raise MXNetError(f"{name}: row numbers must be in [0, {n}), got {wanted.tolist()}")


@registry.register("_backward_sparse_retain", inputs=("ograd", "indices"),
                   infer_shape=_retain_shape, infer_type=_retain_type)
def _backward_retain_dense(xp, attrs, ograd, indices):
    """The gradient of ``_sparse_retain``: ``ograd`` on the retained rows, zero
    elsewhere. Imperatively the result is row_sparse (see ``_backward_retain``);
    inside a dense graph it is this dense array."""
    rows = indices.astype(IDX).reshape(-1)
    _check_rows("_backward_sparse_retain", rows, ograd.shape[0])
    out = xp.zeros_like(ograd)
    out[rows] = ograd[rows]
    return out


def register_aliases():
    """Add a ``_sparse_X`` copy of every registered ``X`` MXNet aliases so."""
    for name in SPARSE_ALIASES:
        alias = "_sparse_" + name
        base = registry.find(name)
        if base is None or registry.find(alias) is not None:
            continue
        op = copy.copy(base)  # same declaration under MXNet's sparse name
        op.name, op.aliases, op._cache = alias, (), {}
        registry.add(op)
        BASE_NAME[alias] = base.name


def _sparse_output_from_dense():
    """Mark the ops whose output can be sparse even for dense inputs, so invoke
    sends such calls to the sparse dispatcher (``OpDef.sparse_output``)."""
    rules = {"cast_storage": lambda attrs: attrs.stype != "default",
             "_backward_sparse_retain": lambda attrs: True,
             "dot": lambda attrs: attrs.forward_stype in ("row_sparse", "csr")}
    for name, predicate in rules.items():
        for alias in (name, "_sparse_" + name):
            op = registry.find(alias)
            if op is not None:
                op.sparse_output = predicate


# -- conversions between dense and compressed storage -----------------------------
def dense_to_rsp(dense):
    """(data, indices) of the rows of ``dense`` holding a nonzero."""
    flat = dense.reshape(dense.shape[0], -1) if dense.ndim else dense.reshape(1, 1)
    rows = np.flatnonzero(np.any(flat != 0, axis=1)).astype(IDX)
    return dense[rows].copy(), rows


def dense_to_csr(dense):
    """(data, indptr, indices) of the nonzeros of 2-D ``dense``."""
    if dense.ndim != 2:
        raise MXNetError(f"cast_storage: csr storage needs a 2-D array, got shape {dense.shape}")
    rows, cols = np.nonzero(dense)
    indptr = np.zeros(dense.shape[0] + 1, IDX)
    np.cumsum(np.bincount(rows, minlength=dense.shape[0]), out=indptr[1:])
    return dense[rows, cols].copy(), indptr, cols.astype(IDX)


def rsp_to_dense(data, indices, shape):
    out = np.zeros(shape, data.dtype)
    if len(indices):
        out[indices] = data
    return out


def csr_rows(indptr):
    """The row number of every stored csr element."""
    return np.repeat(np.arange(len(indptr) - 1, dtype=IDX), np.diff(indptr))


def csr_to_dense(data, indptr, indices, shape):
    out = np.zeros(shape, data.dtype)
    nnz = int(indptr[-1]) if len(indptr) else 0
    # Duplicate coordinates add up, as MXNet's own conversion does.
    np.add.at(out, (csr_rows(indptr)[:nnz], indices[:nnz]), data[:nnz])
    return out


def coords_to_csr(data, rows, cols, shape):
    """csr arrays from (row, col, value) triples, summing duplicates."""
    order = np.lexsort((cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    if len(rows):
        first = np.ones(len(rows), bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        starts = np.flatnonzero(first)
        data = np.add.reduceat(data, starts) if len(starts) else data[:0]
        rows, cols = rows[starts], cols[starts]
    indptr = np.zeros(shape[0] + 1, IDX)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return data, indptr, cols.astype(IDX)


# -- kernels on compressed storage ------------------------------------------------
def rsp_union(lhs, rhs, fn):
    """``fn`` of two row_sparse arrays on the union of their stored rows (kept
    even where the result is zero, like MXNet)."""
    (ld, li), (rd, ri) = lhs, rhs
    rows = np.union1d(li, ri).astype(IDX)
    full_l = np.zeros((len(rows),) + ld.shape[1:], ld.dtype)
    full_r = np.zeros((len(rows),) + rd.shape[1:], rd.dtype)
    full_l[np.searchsorted(rows, li)] = ld
    full_r[np.searchsorted(rows, ri)] = rd
    return fn(full_l, full_r), rows


def csr_union(lhs, rhs, shape, fn):
    """``fn`` of two csr arrays on the union of their stored elements, keeping
    only the nonzero results (MXNet's csr-csr elementwise kernels do)."""
    keys = []
    for data, indptr, indices in (lhs, rhs):
        nnz = int(indptr[-1])
        keys.append(csr_rows(indptr)[:nnz] * shape[1] + indices[:nnz])
    union = np.union1d(*keys)
    vals = []
    for (data, indptr, _), key in zip((lhs, rhs), keys):
        full = np.zeros(len(union), data.dtype)
        full[np.searchsorted(union, key)] = data[:len(key)]
        vals.append(full)
    out = fn(*vals)
    keep = out != 0
    union = union[keep]
    return coords_to_csr(out[keep], union // shape[1], union % shape[1], shape)


def retain(data, indices, shape, wanted):
    """row_sparse rows numbered ``wanted`` (in that order), zeros where not stored."""
    wanted = np.asarray(wanted).astype(IDX).reshape(-1)
    _check_rows("_sparse_retain", wanted, shape[0])
    out = np.zeros((len(wanted),) + tuple(shape[1:]), data.dtype)
    pos = np.searchsorted(indices, wanted) if len(indices) else np.zeros(len(wanted), IDX)
    pos = np.minimum(pos, max(len(indices) - 1, 0))
    hit = (indices[pos] == wanted) if len(indices) else np.zeros(len(wanted), bool)
    out[hit] = data[pos[hit]]
    return out, wanted


def csr_dot_dense(data, indptr, indices, shape, rhs, transpose):
    """csr x dense (dense output) or csr.T x dense (row_sparse output: the rows
    named by the csr's column indices)."""
    nnz = int(indptr[-1])
    rows, cols, vals = csr_rows(indptr)[:nnz], indices[:nnz], data[:nnz]
    rhs2 = rhs.reshape(rhs.shape[0], -1)
    if not transpose:
        out = np.zeros((shape[0], rhs2.shape[1]), np.result_type(data, rhs))
        np.add.at(out, rows, vals[:, None] * rhs2[cols])
        return out.reshape((shape[0],) + rhs.shape[1:])
    out_rows = np.unique(cols).astype(IDX)
    out = np.zeros((len(out_rows), rhs2.shape[1]), np.result_type(data, rhs))
    np.add.at(out, np.searchsorted(out_rows, cols), vals[:, None] * rhs2[rows])
    return out.reshape((len(out_rows),) + rhs.shape[1:]), out_rows


def csr_slice_rows(data, indptr, indices, begin, end):
    lo, hi = int(indptr[begin]), int(indptr[end])
    return data[lo:hi].copy(), indptr[begin:end + 1] - lo, indices[lo:hi].copy()


def csr_slice(data, indptr, indices, begin, end):
    """csr rows ``begin[0]:end[0]`` and, when given, columns ``begin[1]:end[1]``."""
    data, indptr, indices = csr_slice_rows(data, indptr, indices, begin[0], end[0])
    if len(begin) < 2:
        return data, indptr, indices
    keep = (indices >= begin[1]) & (indices < end[1])
    counts = np.add.reduceat(keep, indptr[:-1]) if len(keep) else np.zeros(len(indptr) - 1)
    counts = np.where(np.diff(indptr) > 0, counts, 0)
    new_ptr = np.zeros(len(indptr), IDX)
    np.cumsum(counts, out=new_ptr[1:])
    return data[keep], new_ptr, (indices[keep] - begin[1]).astype(IDX)


def csr_concat_rows(parts):
    """Stack csr arrays (data, indptr, indices) vertically."""
    datas, ptrs, idxs, offset = [], [np.zeros(1, IDX)], [], 0
    for data, indptr, indices in parts:
        nnz = int(indptr[-1])
        datas.append(data[:nnz])
        idxs.append(indices[:nnz])
        ptrs.append(indptr[1:] + offset)
        offset += nnz
    return np.concatenate(datas), np.concatenate(ptrs).astype(IDX), np.concatenate(idxs)


# -- storage-type inference (MXNet's FInferStorageType) ---------------------------
# A rule maps (attrs, input storage types, input items) to a plan
# ``(output stype, kernel or None, fallback)``. Items are what kernels take and
# return: a NumPy array for dense storage, ("row_sparse", data, indices, shape)
# or ("csr", data, indptr, indices, shape) otherwise. Without a kernel the op
# runs on densified inputs (``fallback`` says whether MXNet logs that as a
# storage fallback) and its output is converted to the output stype. Kernels
# marked ``in_place`` (the update ops, below) write into their inputs instead.
FALLBACK = ("default", None, True)
DENSE = ("default", None, False)  # a dense result MXNet computes without fallback

# Unary ops with f(0) == 0: on sparse storage they map the stored values only.
_KEEP_UNARY = {"abs", "sign", "relu", "sqrt", "square", "sin", "tan", "tanh", "negative",
               "ceil", "floor", "round", "rint", "fix", "trunc", "arcsin", "arctan",
               "arcsinh", "arctanh", "sinh", "expm1", "log1p", "cbrt", "degrees", "radians",
               "_copy", "BlockGrad", "make_loss", "_contrib_round_ste", "_contrib_sign_ste"}
_COMPARE_SCALAR = {"_equal_scalar", "_not_equal_scalar", "_greater_scalar",
                   "_greater_equal_scalar", "_lesser_scalar", "_lesser_equal_scalar"}


def not_implemented(name, stypes, attrs):
    params = {k: v for k, v in attrs.items() if v is not None}
    return MXNetError(f"{name}: no kernel for input storage types {list(stypes)} with "
                      f"parameters {params} (MXNet rejects this combination too)")


def _sparse_item(stype, data, aux, shape):
    return (stype, data) + tuple(aux) + (tuple(shape),)


def _map_values(op, attrs, items):
    (stype, data, *rest) = items[0]
    return [(stype, op.compute(np, attrs, data)) + tuple(a.copy() for a in rest[:-1])
            + (rest[-1],)]


def _zeros_like(op, attrs, items):
    stype, data, *rest = items[0]
    shape = rest[-1]
    if stype == "row_sparse":
        return [_sparse_item(stype, data[:0].copy(), [np.zeros(0, IDX)], shape)]
    return [_sparse_item(stype, data[:0].copy(), [np.zeros(shape[0] + 1, IDX),
                                                  np.zeros(0, IDX)], shape)]


def _unary_rule(name):
    def rule(attrs, stypes, items):
        return (stypes[0], _zeros_like if name == "zeros_like" else _map_values, False)
    return rule


def _scalar_rule(name):
    def rule(attrs, stypes, items):
        op = registry.get(name)
        keep = name in ("_mul_scalar", "_div_scalar") or (
            (name in _COMPARE_SCALAR or name in ("_plus_scalar", "_minus_scalar"))
            and op.compute(np, attrs, np.zeros(1, np.float32))[0] == 0)
        if keep:
            return (stypes[0], _map_values, False)
        return DENSE if name in ("_plus_scalar", "_minus_scalar") else FALLBACK
    return rule


def _clip_rule(attrs, stypes, items):
    if not attrs.a_min <= 0 <= attrs.a_max:
        raise MXNetError(f"clip: on {stypes[0]} storage the range must contain 0 (zeros are "
                         f"not stored), got a_min={attrs.a_min}, a_max={attrs.a_max}")
    return (stypes[0], _map_values, False)


def _binary_same(op, attrs, items):
    lhs, rhs = items
    if lhs[0] == "row_sparse":
        data, rows = rsp_union(lhs[1:3], rhs[1:3], lambda a, b: op.compute(np, attrs, a, b))
        return [_sparse_item("row_sparse", data, [rows], lhs[-1])]
    shape = lhs[-1]
    data, indptr, indices = csr_union(lhs[1:4], rhs[1:4], shape,
                                      lambda a, b: op.compute(np, attrs, a, b))
    return [_sparse_item("csr", data, [indptr, indices], shape)]


def _binary_with_dense(op, attrs, items):
    """A sparse operand against a dense one, computed where the sparse one stores
    values (its structure is kept; the dense one is broadcast to its shape)."""
    sparse_first = isinstance(items[0], tuple)
    sp, dense = (items[0], items[1]) if sparse_first else (items[1], items[0])
    stype, data, *aux, shape = sp
    dense = np.broadcast_to(dense, shape)
    if stype == "row_sparse":
        other = dense[aux[0]]
    else:
        nnz = int(aux[0][-1])
        other = dense[csr_rows(aux[0])[:nnz], aux[1][:nnz]]
        data = data[:nnz]
    pair = (data, other) if sparse_first else (other, data)
    return [_sparse_item(stype, op.compute(np, attrs, *pair), [a.copy() for a in aux], shape)]


def _elemwise_rule(name):
    def rule(attrs, stypes, items):
        lhs, rhs = stypes
        if lhs == rhs and name != "elemwise_div":
            return (lhs, _binary_same, False)
        if "default" in stypes:
            if name == "elemwise_mul":
                return ((rhs if lhs == "default" else lhs), _binary_with_dense, False)
            if name in ("elemwise_add", "elemwise_sub", "elemwise_div"):
                return DENSE
        if name == "elemwise_div" and lhs == rhs == "row_sparse":
            return DENSE
        return FALLBACK
    return rule


def _broadcast_rule(name):
    def rule(attrs, stypes, items):
        if sorted(stypes) != ["csr", "default"]:
            return FALLBACK
        if name in ("broadcast_add", "broadcast_sub"):
            return DENSE
        if stypes[0] != "csr":
            return FALLBACK
        if name == "broadcast_div" and tuple(items[1].shape) == items[0][-1]:
            raise MXNetError("broadcast_div: use elemwise_div to divide a csr array by a "
                             "dense one of the same shape")
        return ("csr", _binary_with_dense, False)
    return rule


def _add_n(op, attrs, items):
    total = items[0]
    add = registry.get("elemwise_add")
    for item in items[1:]:
        total = _binary_same(add, {}, [total, item])[0]
    return [total]


def _add_n_rule(attrs, stypes, items):
    if all(s == "row_sparse" for s in stypes):
        return ("row_sparse", _add_n, False)
    return FALLBACK


def _square_sum(op, attrs, items):
    _, data, indices, shape = items[0]
    values = (data.astype(data.dtype) ** 2).sum(axis=1, keepdims=True)
    return [_sparse_item("row_sparse", values, [indices.copy()], (shape[0], 1))]


def _square_sum_rule(attrs, stypes, items):
    axis = attrs.axis
    if stypes != ("row_sparse",) or not axis:
        raise not_implemented("_square_sum", stypes, attrs)
    if len(axis) != 1 or axis[0] not in (0, 1) or len(items[0][-1]) != 2:
        raise MXNetError(f"_square_sum: on a 2-D row_sparse array only axis=0 or axis=1 "
                         f"is supported, got axis={axis}")
    if axis[0] == 1 and attrs.keepdims:
        return ("row_sparse", _square_sum, False)
    return DENSE


def _reduce_rule(attrs, stypes, items):
    axis = attrs.axis
    if stypes == ("csr",) and axis and len(axis) == 1 and axis[0] in (0, 1) \
            and not attrs.keepdims and not attrs.exclude:
        return DENSE
    return FALLBACK


def _retain(op, attrs, items):
    _, data, indices, shape = items[0]
    out, rows = retain(data, indices, shape, items[1])
    return [_sparse_item("row_sparse", out, [rows], shape)]


def _backward_retain(op, attrs, items):
    """row_sparse gradient storing each retained row once, in ascending order
    (a row retained twice still has one gradient row)."""
    grad, indices = items
    rows = np.unique(indices.astype(IDX).reshape(-1))
    if isinstance(grad, tuple):
        out, rows = retain(*grad[1:], rows)
        return [_sparse_item("row_sparse", out, [rows], grad[-1])]
    _check_rows("_backward_sparse_retain", rows, grad.shape[0])
    return [_sparse_item("row_sparse", grad[rows], [rows], grad.shape)]


def _backward_retain_rule(attrs, stypes, items):
    if stypes[0] == "csr" or stypes[1] != "default":
        raise not_implemented("_backward_sparse_retain", stypes, attrs)
    return ("row_sparse", _backward_retain, False)


def _retain_rule(attrs, stypes, items):
    if stypes != ("row_sparse", "default"):
        raise not_implemented("_sparse_retain", stypes, attrs)
    return ("row_sparse", _retain, False)


# -- update ops (sgd, sgd_mom, adam, ftrl) on a row_sparse gradient ----------------
# MXNet's sparse update kernels work in place: the weight is the output (out=weight,
# "kWriteInplace"), only the rows they update are touched, and a row_sparse weight
# must store every row. Their kernels here are marked ``in_place``: the dispatcher
# checks out=weight and calls them with the weight and state buffers themselves;
# they write those rows in place and return the new storage of the row_sparse
# states that had to grow (see ``_state_buffers``).

def _full_rows(op, item, name):
    """The values of a weight or state with row ``r`` at position ``r``: the
    dense array, or the data of a row_sparse one storing every row."""
    if not isinstance(item, tuple):
        return item
    _, data, indices, shape = item
    if len(indices) != shape[0]:
        raise MXNetError(f"{op.name}: a row_sparse {name} must store every row to be updated "
                         f"in place (as in MXNet), but it stores {len(indices)} of "
                         f"{shape[0]} rows")
    return data


def _check_shapes(op, items):
    """Gradient and states must have the weight's shape (rows are indexed by
    the gradient's row numbers)."""
    shapes = [it[-1] if isinstance(it, tuple) else it.shape for it in items]
    for name, shape in zip(op.inputs[1:], shapes[1:]):
        if tuple(shape) != tuple(shapes[0]):
            raise MXNetError(f"{op.name}: input '{name}' must have the weight's shape "
                             f"{tuple(shapes[0])}, got {tuple(shape)}")


def _state_buffers(op, items):
    """Full-row buffers of the states ``items[2:]``, and the new storage of the
    row_sparse ones that stored fewer rows: MXNet fills a state holding nothing
    with zeros in every row before its first update, and a state storing some
    rows grows the same way, keeping its values."""
    buffers, grown = [], {}
    for i, item in enumerate(items[2:], start=2):
        if isinstance(item, tuple) and len(item[2]) != item[-1][0]:
            dense = rsp_to_dense(*item[1:])
            grown[i] = _sparse_item("row_sparse", dense, [np.arange(len(dense), dtype=IDX)],
                                    item[-1])
            buffers.append(dense)
        else:
            buffers.append(_full_rows(op, item, f"state '{op.inputs[i]}'"))
    return buffers, grown


def _update_in_place(lazy):
    """The in-place update kernel: on the gradient's rows only when ``lazy``
    (other weight and state rows keep their values: no weight decay, no
    momentum decay for them), on every row otherwise. Costs O(rows of the
    gradient) when lazy and the states already store every row."""
    def kernel(op, attrs, items):
        weight, (_, gvals, rows, shape) = items[0], items[1]
        _check_shapes(op, items)
        wdata = _full_rows(op, weight, "weight")
        states, grown = _state_buffers(op, items)
        if lazy:
            state_rows = [s[rows] for s in states]
            wdata[rows] = op.compute(np, attrs, wdata[rows], gvals, *state_rows)
            for s, new in zip(states, state_rows):
                s[rows] = new
        else:
            wdata[...] = op.compute(np, attrs, wdata, rsp_to_dense(gvals, rows, shape), *states)
        return grown
    kernel.in_place = True
    return kernel


_LAZY_UPDATE, _STD_UPDATE = _update_in_place(True), _update_in_place(False)


def _update_rule(name):
    """Storage rule of sgd/sgd_mom/adam: a row_sparse gradient with a weight and states all
    row_sparse or all dense is updated by the in-place kernel, lazily with
    ``lazy_update``; a row_sparse weight with dense states is updated on every
    row (MXNet 1.9.1 does so even with ``lazy_update``). Other storage types
    fall back to dense storage; states of mixed types are refused, as MXNet does."""
    def rule(attrs, stypes, items):
        weight, grad, *states = stypes
        if len(set(states)) > 1:
            raise MXNetError(f"{name}: the optimizer states must share one storage type, got "
                             f"{list(states)}")
        if grad != "row_sparse" or weight == "csr" or "csr" in states:
            return FALLBACK
        if not states or states[0] == weight:
            return (weight, _LAZY_UPDATE if attrs.lazy_update else _STD_UPDATE, False)
        if weight == "row_sparse":
            return (weight, _STD_UPDATE, False)
        return FALLBACK
    return rule


def _ftrl_rule(attrs, stypes, items):
    """FTRL has no lazy_update flag: lazy when every array is row_sparse."""
    if set(stypes) == {"row_sparse"}:
        return ("row_sparse", _LAZY_UPDATE, False)
    return FALLBACK


def _slice_bounds(attrs, shape):
    begin, end = [], []
    for axis, (b, e) in enumerate(zip(attrs.begin, attrs.end)):
        b, e, _ = slice(b, e).indices(shape[axis])
        begin.append(b)
        end.append(max(b, e))
    return begin, end


def _slice(op, attrs, items):
    _, data, indptr, indices, shape = items[0]
    begin, end = _slice_bounds(attrs, shape)
    data, indptr, indices = csr_slice(data, indptr, indices, begin, end)
    out_shape = (end[0] - begin[0], (end[1] - begin[1]) if len(begin) > 1 else shape[1])
    return [_sparse_item("csr", data, [indptr, indices], out_shape)]


def _slice_rule(attrs, stypes, items):
    if stypes == ("csr",) and all(s in (None, 1) for s in attrs.step):
        return ("csr", _slice, False)
    return FALLBACK


def _concat(op, attrs, items):
    data, indptr, indices = csr_concat_rows([it[1:4] for it in items])
    shape = (sum(it[-1][0] for it in items), items[0][-1][1])
    return [_sparse_item("csr", data, [indptr, indices], shape)]


def _concat_rule(attrs, stypes, items):
    if all(s == "csr" for s in stypes) and attrs.dim == 0:
        return ("csr", _concat, False)
    return FALLBACK


def _check_float(stypes, items):
    dtypes = {it[1].dtype if isinstance(it, tuple) else it.dtype for it in items}
    if len(dtypes) != 1:
        raise MXNetError(f"dot: operands must have one dtype, got {sorted(map(str, dtypes))}")
    if dtypes.pop() not in (np.float32, np.float64):
        raise MXNetError(f"dot: sparse kernels ({list(stypes)}) only support float32 and "
                         "float64")


def _dot_csr_dense(op, attrs, items):
    (_, data, indptr, indices, shape), rhs = items
    rhs = rhs if not isinstance(rhs, tuple) else rsp_to_dense(*rhs[1:])
    k = shape[0] if attrs.transpose_a else shape[1]
    if rhs.ndim == 0 or rhs.shape[0] != k:
        raise MXNetError(f"dot: shape mismatch, {'transposed ' if attrs.transpose_a else ''}"
                         f"csr {tuple(shape)} by {rhs.shape}")
    if not attrs.transpose_a:
        return [csr_dot_dense(data, indptr, indices, shape, rhs, False)]
    values, rows = csr_dot_dense(data, indptr, indices, shape, rhs, True)
    return [_sparse_item("row_sparse", values, [rows], (shape[1],) + rhs.shape[1:])]


def _dot_dense_csr(op, attrs, items):
    lhs, (_, data, indptr, indices, shape) = items
    if lhs.ndim != 2 or lhs.shape[1] != shape[0]:
        raise MXNetError(f"dot: shape mismatch, {lhs.shape} by csr {tuple(shape)}")
    dense = lhs @ csr_to_dense(data, indptr, indices, shape)
    # MXNet stores every column the csr operand has a value in, for every row.
    cols = np.unique(indices[:int(indptr[-1])]).astype(IDX)
    values = dense[:, cols].reshape(-1)
    indptr = np.arange(lhs.shape[0] + 1, dtype=IDX) * len(cols)
    return [_sparse_item("csr", values, [indptr, np.tile(cols, lhs.shape[0])],
                         (lhs.shape[0], shape[1]))]


def _dot_rule(attrs, stypes, items):
    ta, tb, fs = attrs.transpose_a, attrs.transpose_b, attrs.forward_stype
    lhs, rhs = stypes
    plan = None
    if lhs == "csr" and rhs in ("default", "row_sparse") and not tb:
        if not ta and fs in (None, "default"):
            plan = ("default", _dot_csr_dense, False)
        elif ta and fs in (None, "row_sparse"):
            plan = ("row_sparse", _dot_csr_dense, False)
        elif ta and fs == "default":
            plan = DENSE
    elif lhs == "default" and rhs == "csr" and not ta:
        if fs == "default":
            plan = DENSE
        elif not tb and fs in (None, "csr"):
            plan = ("csr", _dot_dense_csr, False)
        elif tb and fs is None:
            plan = ("csr", None, True)
    if plan is None:
        return (fs or "default", None, True)
    if plan[1] is not None:
        _check_float(stypes, items)
    return plan


def _cast_storage_items(op, attrs, items):
    item = items[0]
    stype = attrs.stype
    if isinstance(item, tuple):
        if item[0] == stype:
            return [(stype,) + tuple(a.copy() for a in item[1:-1]) + (item[-1],)]
        if stype != "default":
            raise MXNetError(f"cast_storage: conversion from {item[0]} to {stype} is not "
                             "supported")
        item = rsp_to_dense(*item[1:]) if item[0] == "row_sparse" else csr_to_dense(*item[1:])
        return [item]
    if stype == "default":
        return [item.copy()]
    if stype == "row_sparse":
        if item.ndim == 0:
            raise MXNetError("cast_storage: row_sparse storage needs at least 1 dimension")
        data, rows = dense_to_rsp(item)
        return [_sparse_item(stype, data, [rows], item.shape)]
    data, indptr, indices = dense_to_csr(item)
    return [_sparse_item(stype, data, [indptr, indices], item.shape)]


def _cast_storage_rule(attrs, stypes, items):
    return (attrs.stype, _cast_storage_items, False)


def _where_rule(attrs, stypes, items):
    return DENSE if stypes == ("csr", "default", "default") else FALLBACK


RULES = {"cast_storage": _cast_storage_rule, "_sparse_retain": _retain_rule,
         "_backward_sparse_retain": _backward_retain_rule,
         "dot": _dot_rule, "clip": _clip_rule, "add_n": _add_n_rule,
         "_square_sum": _square_sum_rule, "sum": _reduce_rule, "mean": _reduce_rule,
         "norm": lambda attrs, stypes, items: DENSE, "where": _where_rule,
         "slice": _slice_rule, "Concat": _concat_rule, "zeros_like": _unary_rule("zeros_like")}
RULES.update({name: _update_rule(name) for name in ("sgd_update", "sgd_mom_update",
                                                    "adam_update")})
RULES["ftrl_update"] = _ftrl_rule
RULES.update({name: _unary_rule(name) for name in _KEEP_UNARY})
RULES.update({name: _scalar_rule(name) for name in _COMPARE_SCALAR | {
    "_plus_scalar", "_minus_scalar", "_mul_scalar", "_div_scalar"}})
RULES.update({name: _elemwise_rule(name) for name in (
    "elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "_maximum", "_minimum",
    "_hypot")})
RULES.update({name: _broadcast_rule(name) for name in (
    "broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div")})


register_aliases()
_sparse_output_from_dense()
