"""``mx.np.linalg``: NumPy's linear algebra on ``mx.np.ndarray``.

Matrices are the last two axes, leading axes a batch; inputs are float32
or float64. Most functions run one ``_npi_*`` operator and are
differentiable; ``qr``, ``lstsq``, ``matrix_rank`` and ``cond`` compute on
the host with NumPy and are not, as in MXNet 1.9.1.
"""
import numbers

import numpy as _onp

from ..base import MXNetError
from ..ndarray.ndarray import NDArray, array as _nd_array
from ._op import call

__all__ = ["norm", "svd", "cholesky", "qr", "inv", "pinv", "det", "slogdet", "solve",
           "tensorinv", "tensorsolve", "eig", "eigh", "eigvals", "eigvalsh", "lstsq",
           "matrix_rank", "matrix_power", "multi_dot", "cond"]

_NAMED_ORDERS = {None: -2, "fro": 1, "nuc": 2}  # _npi_norm's flag, as MXNet writes it


def _check(fn, a):
    if not isinstance(a, NDArray):
        from ..symbol.symbol import Symbol  # hybridized blocks pass symbols
        if not isinstance(a, Symbol):
            raise MXNetError(f"linalg.{fn}: expects an mx.np.ndarray, got {type(a).__name__}")
    return a


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 -- NumPy's argument name
    """Vector or matrix norm as ``numpy.linalg.norm``: with ``axis=None`` the
    2-norm of all elements (``ord=None``), a vector norm of 1-d input or a
    matrix norm of 2-d input; an int ``axis`` gives vector norms along it,
    a pair matrix norms. Orders: numbers, ``inf``, ``-inf``, ``'fro'``, ``'nuc'``."""
    _check("norm", x)
    if isinstance(axis, numbers.Integral):
        axis = (int(axis),)
    attrs = {"axis": None if axis is None else tuple(axis), "keepdims": keepdims}
    if isinstance(ord, str) or ord is None:
        if ord not in _NAMED_ORDERS:
            raise MXNetError(f"linalg.norm: invalid order {ord!r}")
        attrs["flag"] = _NAMED_ORDERS[ord]
    elif isinstance(ord, numbers.Real):
        attrs.update(flag=-1, ord=float(ord))
    else:
        raise MXNetError(f"linalg.norm: invalid order {ord!r}")
    return call("_npi_norm", [x], attrs)


def svd(a):
    """Thin SVD of matrices with no more rows than columns: ``(ut, s, v)`` with
    ``a = ut @ diag(s) @ v``, ``s`` descending."""
    return tuple(call("_npi_svd", [_check("svd", a)]))


def cholesky(a):
    """Lower-triangular L with ``a = L @ L.T`` for symmetric positive definite ``a``."""
    return call("_npi_cholesky", [_check("cholesky", a)])


def inv(a):
    """Inverse of each matrix."""
    return call("_npi_inv", [_check("inv", a)])


def det(a):
    """Determinant of each matrix (0-d for a single matrix)."""
    return call("_npi_det", [_check("det", a)])


def slogdet(a):
    """``(sign, log|det|)`` of each matrix."""
    return tuple(call("_npi_slogdet", [_check("slogdet", a)]))


def solve(a, b):
    """``x`` with ``a @ x = b``; ``b`` is a (batch of) vector(s) with one axis
    fewer than ``a``, or of matrices."""
    return call("_npi_solve", [_check("solve", a), _check("solve", b)])


def pinv(a, rcond=1e-15, hermitian=False):
    """Moore-Penrose pseudo-inverse; singular values below ``rcond`` (a number
    or an array broadcast over the batch) times the largest count as zero."""
    _check("pinv", a)
    if isinstance(rcond, NDArray):
        return call("_npi_pinv", [a, rcond], {"hermitian": hermitian})
    return call("_npi_pinv_scalar_rcond", [a], {"rcond": float(rcond), "hermitian": hermitian})


def eig(a):
    """Eigenvalues and right eigenvectors (columns) of square matrices whose
    eigenvalues are real (complex ones raise: MXNet has no complex arrays)."""
    return tuple(call("_npi_eig", [_check("eig", a)]))


def eigvals(a):
    """Eigenvalues of square matrices whose eigenvalues are real."""
    return call("_npi_eigvals", [_check("eigvals", a)])


def eigh(a, UPLO="L"):  # noqa: N803 -- NumPy's argument name
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices,
    reading the ``UPLO`` ('L' or 'U') triangle."""
    return tuple(call("_npi_eigh", [_check("eigh", a)], {"UPLO": UPLO}))


def eigvalsh(a, UPLO="L"):  # noqa: N803 -- NumPy's argument name
    """Eigenvalues (ascending) of symmetric matrices."""
    return call("_npi_eigvalsh", [_check("eigvalsh", a)], {"UPLO": UPLO})


def tensorinv(a, ind=2):
    """Inverse of ``a`` read as a square matrix whose rows are its first ``ind``
    axes: shape ``a.shape[ind:] + a.shape[:ind]``."""
    return call("_npi_tensorinv", [_check("tensorinv", a)], {"ind": ind})


def tensorsolve(a, b, axes=None):
    """``x`` with ``tensordot(a, x, x.ndim) == b``, moving ``axes`` of ``a``
    to the end first."""
    attrs = {"a_axes": None if axes is None else tuple(axes)}
    return call("_npi_tensorsolve", [_check("tensorsolve", a), _check("tensorsolve", b)], attrs)


def multi_dot(arrays, *, out=None):
    """``dot`` of a sequence of arrays (the first and last may be 1-d), multiplied
    in the order that needs the fewest multiply-adds, as NumPy chooses it."""
    arrays = [_check("multi_dot", x) for x in arrays]
    if len(arrays) < 2:
        raise MXNetError(f"linalg.multi_dot: expects at least two arrays, got {len(arrays)}")
    # Chain dimensions: matrix i is dims[i] x dims[i + 1] (1-d ends as a row / column).
    dims = [1 if arrays[0].ndim == 1 else arrays[0].shape[0]]
    dims += [x.shape[-1] if x.ndim else 1 for x in arrays]
    split = _chain_order(dims)

    def product(i, j, dest=None):
        if i == j:
            return arrays[i]
        k = split[i][j]
        return call("_np_dot", [product(i, k), product(k + 1, j)], out=dest)
    return product(0, len(arrays) - 1, out)


def _chain_order(dims):
    """The matrix-chain dynamic programme: ``split[i][j]`` is where the cheapest
    product of matrices i..j divides."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j], split[i][j] = min(
                (cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1], k)
                for k in range(i, j))
    return split


def matrix_power(a, n):
    """``a`` multiplied by itself ``n`` times (the identity for 0, powers of the
    inverse for negative ``n``), by repeated squaring."""
    _check("matrix_power", a)
    if not isinstance(n, numbers.Integral):
        raise MXNetError(f"linalg.matrix_power: n must be an integer, got {n!r}")
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise MXNetError(f"linalg.matrix_power: expects square matrices, got shape {a.shape}")
    if n < 0:
        a, n = inv(a), -n
    result = None
    while n:
        if n & 1:
            result = a if result is None else call("_npi_matmul", [result, a])
        n >>= 1
        if n:
            a = call("_npi_matmul", [a, a])
    if result is None:  # n == 0: the identity of each matrix
        ones = call("ones_like", [call("_linalg_extractdiag", [a])])
        result = call("_linalg_makediag", [ones])
    return result


# -- host functions (NumPy's, not differentiated; MXNet 1.9.1 runs them the same way) --------

def _host(fn, a):
    return _check(fn, a).asnumpy()


def _device(x, like):
    x = _onp.asarray(x)
    return _nd_array(x, ctx=like.context, dtype=x.dtype).as_np_ndarray()


def qr(a, mode="reduced"):
    """QR factorisation ``(q, r)`` of each matrix (``mode`` as NumPy's; 'r'
    returns r alone), computed on the host."""
    res = _onp.linalg.qr(_host("qr", a), mode=mode)
    if isinstance(res, tuple):
        return tuple(_device(x, a) for x in res)
    return _device(res, a)


def lstsq(a, b, rcond="warn"):
    """Least-squares solution of ``a @ x = b``: ``(x, residuals, rank, s)``
    as NumPy's, computed on the host; ``rank`` is an int."""
    if rcond == "warn":
        rcond = None
    x, res, rank, s = _onp.linalg.lstsq(_host("lstsq", a), _host("lstsq", b), rcond=rcond)
    return _device(x, a), _device(res, a), int(rank), _device(s, a)


def matrix_rank(A, tol=None, hermitian=False):  # noqa: N803 -- NumPy's argument name
    """Numerical rank of each matrix (singular values above ``tol``), on the host."""
    rank = _onp.linalg.matrix_rank(_host("matrix_rank", A), tol=tol, hermitian=hermitian)
    return _device(_onp.asarray(rank, dtype=_onp.int64), A)


def cond(x, p=None):
    """Condition number of each matrix in the norm ``p``, on the host."""
    return _device(_onp.linalg.cond(_host("cond", x), p=p), x)
