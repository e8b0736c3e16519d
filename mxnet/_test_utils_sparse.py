"""Random sparse arrays for tests (``mx.test_utils.rand_sparse_ndarray`` and
friends), drawn with NumPy's global generator as in MXNet."""
import numpy as np

from .base import MXNetError
from .context import current_context
from .ndarray import sparse as _sparse


def _assign_each(values, function):
    return np.vectorize(function)(values).astype(values.dtype) if values.size else values


def _dense_csr(num_rows, num_cols, density, dtype, data_init):
    """A dense host array with about ``density`` of its entries nonzero."""
    mask = np.random.rand(num_rows, num_cols) < density
    values = np.random.rand(num_rows, num_cols) if data_init is None \
        else np.full((num_rows, num_cols), data_init)
    return np.where(mask, values, 0).astype(dtype)


def _powerlaw_dense(num_rows, num_cols, density, dtype):
    """Rows with exponentially more nonzeros (1, 2, 4... at their start, one in
    every row first) until ``density`` of the entries are used."""
    total = int(density * num_rows * num_cols)
    if total < 2 * num_rows:
        raise MXNetError(f"rand_sparse_ndarray: a power-law csr array of shape "
                         f"({num_rows}, {num_cols}) needs a density of at least "
                         f"{2 / num_cols:g}, got {density}")
    counts = np.ones(num_rows, dtype=np.int64)
    left = total - num_rows
    for row in range(num_rows):
        extra = min(left, min(num_cols, 2 ** (row + 1)) - 1)
        counts[row] += extra
        left -= extra
    dense = np.zeros((num_rows, num_cols), dtype=dtype)
    for row, count in enumerate(counts):
        dense[row, :count] = np.random.rand(count) + 1e-3  # keep every entry nonzero
    return dense


def shuffle_csr_column_indices(csr):
    """The same CSR matrix with the column indices of each row (and their values)
    in random order: valid, but not in the canonical sorted order."""
    indptr, indices, data = csr.indptr.asnumpy(), csr.indices.asnumpy(), csr.data.asnumpy()
    for row in range(len(indptr) - 1):
        start, end = indptr[row], indptr[row + 1]
        order = np.random.permutation(end - start) + start
        indices[start:end], data[start:end] = indices[order], data[order]
    return _sparse.csr_matrix((data, indices, indptr), shape=csr.shape, dtype=csr.dtype,
                              ctx=csr.context)


def _random_row_sparse(shape, density, dtype, data_init, rsp_indices, modifier_func, ctx):
    if rsp_indices is not None:
        indices = np.asarray(rsp_indices, dtype=np.int64)
    else:
        indices = np.argwhere(np.random.rand(shape[0]) < density).flatten()
    if indices.shape[0] == 0:
        empty = _sparse.zeros("row_sparse", shape, ctx=ctx, dtype=dtype)
        return empty, (np.array([], dtype=dtype), np.array([], dtype=np.int64))
    values = np.random.rand(indices.shape[0], *shape[1:]).astype(dtype)
    if data_init is not None:
        values.fill(data_init)
    if modifier_func is not None:
        values = _assign_each(values, modifier_func)
    arr = _sparse.row_sparse_array((values, indices), shape=shape, dtype=dtype, ctx=ctx)
    return arr, (values, indices)


def _random_csr(shape, density, dtype, distribution, data_init, modifier_func,
                shuffle_csr_indices, ctx):
    if len(shape) != 2:
        raise MXNetError(f"rand_sparse_ndarray: a csr array is 2-D, got shape {shape}")
    if distribution == "uniform":
        dense = _dense_csr(shape[0], shape[1], density, dtype, data_init)
    elif distribution == "powerlaw":
        dense = _powerlaw_dense(shape[0], shape[1], density, dtype)
    else:
        raise MXNetError(f"rand_sparse_ndarray: distribution must be 'uniform' or "
                         f"'powerlaw', got {distribution!r}")
    if modifier_func is not None:
        dense = np.where(dense != 0, _assign_each(dense, modifier_func), 0).astype(dtype)
    csr = _sparse.csr_matrix(dense, dtype=dtype, ctx=ctx)
    if shuffle_csr_indices:
        csr = shuffle_csr_column_indices(csr)
    return csr, (csr.indptr, csr.indices, csr.data)


def rand_sparse_ndarray(shape, stype, density=None, dtype=None, distribution=None,
                        data_init=None, rsp_indices=None, modifier_func=None,
                        shuffle_csr_indices=False, ctx=None):
    """A random sparse array and its parts: ``(arr, (values, row indices))`` for
    'row_sparse' (rows kept with probability ``density``, or ``rsp_indices``),
    ``(arr, (indptr, indices, data))`` for 'csr' ('uniform' or 'powerlaw'
    ``distribution``). Values are uniform in [0, 1) unless ``data_init``;
    ``modifier_func`` maps each value. ``density`` is random when None."""
    density = np.random.rand() if density is None else density
    dtype = np.float32 if dtype is None else dtype
    ctx = ctx or current_context()
    if stype == "row_sparse":
        return _random_row_sparse(shape, density, dtype, data_init, rsp_indices,
                                  modifier_func, ctx)
    if stype == "csr":
        return _random_csr(shape, density, dtype, distribution or "uniform", data_init,
                           modifier_func, shuffle_csr_indices, ctx)
    raise MXNetError(f"rand_sparse_ndarray: stype must be 'row_sparse' or 'csr', got {stype!r}")


def create_sparse_array(shape, stype, data_init=None, rsp_indices=None, dtype=None,
                        modifier_func=None, density=.5, shuffle_csr_indices=False):
    """Just the array of ``rand_sparse_ndarray``."""
    return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype, data_init=data_init,
                               rsp_indices=rsp_indices, modifier_func=modifier_func,
                               shuffle_csr_indices=shuffle_csr_indices)[0]


def create_sparse_array_zd(shape, stype, density, data_init=None, rsp_indices=None,
                           dtype=None, modifier_func=None, shuffle_csr_indices=False):
    """``create_sparse_array``, row_sparse arrays holding exactly the ``rsp_indices``
    rows (none without them)."""
    if stype == "row_sparse":
        density = 0.0
        if rsp_indices is not None and len(rsp_indices) > shape[0]:
            raise MXNetError(f"create_sparse_array_zd: {len(rsp_indices)} row indices for "
                             f"{shape[0]} rows")
    return create_sparse_array(shape, stype, data_init=data_init, rsp_indices=rsp_indices,
                               dtype=dtype, modifier_func=modifier_func, density=density,
                               shuffle_csr_indices=shuffle_csr_indices)
