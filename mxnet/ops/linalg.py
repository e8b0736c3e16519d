"""Linear algebra: dot, batch_dot, khatri_rao and the ``_linalg_*`` family.

``dot`` follows MXNet, not ``numpy.dot``: it contracts the last axis of lhs
(the first with ``transpose_a``) with the first axis of rhs (the last with
``transpose_b``), so an (a, b, k) by (k, c, d) product is (a, b, c, d).

The ``_linalg_*`` operators work on the last two axes as matrices (``gemm``
and ``gemm2`` take the row axis as ``axis``); leading axes are a batch. They
accept float32 and float64 only, as MXNet does. Triangular inputs (potri,
trmm, trsm) use only their lower (or upper) triangle, and gradients with
respect to them are masked the same way. Packed triangles (extracttrian,
maketrian) list a lower triangle row by row and an upper one column by column.
"""
import contextlib

import numpy as np

from ..base import MXNetError
from .params import Param
from . import registry
from .registry import register


def _raising(xp):
    """Make the array module raise LinAlgError for a failed factorisation, as
    NumPy always does (CuPy only checks when asked to, since checking waits
    for the GPU)."""
    if xp is np:
        return contextlib.nullcontext()
    try:
        import cupyx
    except ImportError:
        return contextlib.nullcontext()
    return cupyx.errstate(linalg="raise")


def _check_types(op, types, allowed):
    known = [t for t in types if t is not None]
    for t in known:
        if t != known[0]:
            raise MXNetError(f"{op}: inputs must have one dtype, got {', '.join(known)}")
        if t not in allowed:
            raise MXNetError(f"{op}: dtype {t} is not supported (expected one of "
                             f"{', '.join(allowed)})")
    return known[0] if known else None


def _float_type(op, allowed=("float32", "float64"), outputs=1):
    def infer(attrs, types):
        t = _check_types(op, types, allowed)
        return [t] * len(types), [t] * outputs
    return infer


def _swap(xp, a):
    return xp.swapaxes(a, -1, -2)


def _mT(F, x):
    """Transpose of the last two axes, built from F ops."""
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return F.transpose(x, axes=tuple(axes))


def _matmul_grads(mm, a, b, g, ta, tb):
    """Gradients of C = op(a) op(b) given dC = g; ``mm(x, y, ta, tb)`` multiplies.
    A gradient nobody uses (``registry.input_grad_needed``) is None, not computed."""
    da = db = None
    if registry.input_grad_needed(0):
        da = mm(b, g, tb, True) if ta else mm(g, b, False, not tb)
    if registry.input_grad_needed(1):
        db = mm(g, a, True, ta) if tb else mm(a, g, not ta, False)
    return da, db


# -- dot -------------------------------------------------------------------------

def _dot_split(op, lshape, rshape, ta, tb):
    """(rows, k, cols) of the MXNet dot of shapes ``lshape`` and ``rshape``."""
    if len(lshape) == 1 and len(rshape) == 1 and (ta or tb):
        raise MXNetError(f"{op}: cannot transpose 1-d operands (lhs {tuple(lshape)}, "
                         f"rhs {tuple(rshape)})")
    if ta:
        k, rows = lshape[0], tuple(lshape[1:])
    else:
        k, rows = lshape[-1], tuple(lshape[:-1])
    if tb:
        k2, cols = rshape[-1], tuple(rshape[:-1])
    else:
        k2, cols = rshape[0], tuple(rshape[1:])
    if k != k2:
        raise MXNetError(f"{op}: contracted dimensions differ: lhs {tuple(lshape)} "
                         f"(transpose_a={ta}) gives {k}, rhs {tuple(rshape)} "
                         f"(transpose_b={tb}) gives {k2}")
    return rows, k, cols


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _dot_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    rows, _, cols = _dot_split("dot", shapes[0], shapes[1], attrs.transpose_a,
                               attrs.transpose_b)
    return shapes, [rows + cols or (1,)]


def _as_matrices(x, y, ta, tb, k):
    a = x.reshape(k, -1) if ta else x.reshape(-1, k)
    b = y.reshape(-1, k) if tb else y.reshape(k, -1)
    return a, b


def _dot_grad(F, attrs, ins, outs, g):
    lhs, rhs = ins
    ta, tb = attrs.transpose_a, attrs.transpose_b

    def mm(x, y, tx, ty):
        return F.dot(x, y, transpose_a=tx, transpose_b=ty)
    if lhs.ndim == 2 and rhs.ndim == 2:  # the common case needs no reshapes
        return list(_matmul_grads(mm, lhs, rhs, g[0], ta, tb))
    rows, k, cols = _dot_split("dot", lhs.shape, rhs.shape, ta, tb)
    m, n = _size(rows), _size(cols)
    a = F.reshape(lhs, shape=(k, m) if ta else (m, k))
    b = F.reshape(rhs, shape=(n, k) if tb else (k, n))
    da, db = _matmul_grads(mm, a, b, F.reshape(g[0], shape=(m, n)), ta, tb)
    return [None if da is None else F.reshape_like(da, lhs),
            None if db is None else F.reshape_like(db, rhs)]


_TRANSPOSE_PARAMS = {
    "transpose_a": Param("bool", False, "Use the transpose of the first operand."),
    "transpose_b": Param("bool", False, "Use the transpose of the second operand."),
    "forward_stype": Param("str", None, "Storage type of the output (dense here).",
                           choices=("csr", "default", "row_sparse")),
}
_DOT_TYPES = ("float16", "float32", "float64")


@register("dot", inputs=("lhs", "rhs"), params=_TRANSPOSE_PARAMS, infer_shape=_dot_shape,
          infer_type=_float_type("dot", _DOT_TYPES), gradient=_dot_grad)
def _dot(xp, attrs, lhs, rhs):
    """MXNet's dot product: the last axis of lhs against the first axis of rhs
    (first of lhs with transpose_a, last of rhs with transpose_b)."""
    ta, tb = attrs.transpose_a, attrs.transpose_b
    if lhs.ndim == 2 and rhs.ndim == 2 and lhs.dtype == rhs.dtype and lhs.dtype.kind == "f":
        a, b = (lhs.T if ta else lhs), (rhs.T if tb else rhs)
        if a.shape[1] == b.shape[0]:
            return xp.matmul(a, b)
    _check_types("dot", [lhs.dtype.name, rhs.dtype.name], _DOT_TYPES)
    rows, k, cols = _dot_split("dot", lhs.shape, rhs.shape, ta, tb)
    a, b = _as_matrices(lhs, rhs, ta, tb, k)
    out = xp.matmul(a.T if ta else a, b.T if tb else b)
    return out.reshape(rows + cols or (1,))


def _batch_dot_split(op, ls, rs, ta, tb):
    if len(ls) < 3 or len(ls) != len(rs):
        raise MXNetError(f"{op}: operands must have the same number (>= 3) of dimensions, "
                         f"got {tuple(ls)} and {tuple(rs)}")
    if tuple(ls[:-2]) != tuple(rs[:-2]):
        raise MXNetError(f"{op}: leading batch dimensions must be equal, got {tuple(ls)} "
                         f"and {tuple(rs)}")
    m, k = (ls[-1], ls[-2]) if ta else (ls[-2], ls[-1])
    k2, n = (rs[-1], rs[-2]) if tb else (rs[-2], rs[-1])
    if k != k2:
        raise MXNetError(f"{op}: matrix dimensions do not match for multiplication: "
                         f"{tuple(ls)} (transpose_a={ta}) by {tuple(rs)} (transpose_b={tb})")
    return tuple(ls[:-2]) + (m, n)


@register("batch_dot", inputs=("lhs", "rhs"), params=_TRANSPOSE_PARAMS,
          infer_shape=lambda attrs, s: (s, [None if None in s else _batch_dot_split(
              "batch_dot", s[0], s[1], attrs.transpose_a, attrs.transpose_b)]),
          infer_type=_float_type("batch_dot", _DOT_TYPES),
          gradient=lambda F, attrs, ins, outs, g: list(_matmul_grads(
              lambda x, y, tx, ty: F.batch_dot(x, y, transpose_a=tx, transpose_b=ty),
              ins[0], ins[1], g[0], attrs.transpose_a, attrs.transpose_b)))
def _batch_dot(xp, attrs, lhs, rhs):
    """Matrix products of matching batches of matrices (the last two axes)."""
    _check_types("batch_dot", [lhs.dtype.name, rhs.dtype.name], _DOT_TYPES)
    _batch_dot_split("batch_dot", lhs.shape, rhs.shape, attrs.transpose_a, attrs.transpose_b)
    a = _swap(xp, lhs) if attrs.transpose_a else lhs
    b = _swap(xp, rhs) if attrs.transpose_b else rhs
    return xp.matmul(a, b)


def _khatri_rao_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    for s in shapes:
        if len(s) != 2 or s[1] != shapes[0][1]:
            raise MXNetError("khatri_rao: inputs must be matrices with the same number of "
                             "columns, got " + ", ".join(str(tuple(x)) for x in shapes))
    return shapes, [(_size(s[0] for s in shapes), shapes[0][1])]


@register("khatri_rao", inputs=("args",), variadic="num_args", infer_shape=_khatri_rao_shape,
          infer_type=_float_type("khatri_rao", _DOT_TYPES))
def _khatri_rao(xp, attrs, *mats):
    """Column-wise Kronecker product; the first matrix's row index varies slowest."""
    _khatri_rao_shape(attrs, [m.shape for m in mats])
    _check_types("khatri_rao", [m.dtype.name for m in mats], _DOT_TYPES)
    out = mats[0]
    for m in mats[1:]:
        out = (out[:, None, :] * m[None, :, :]).reshape(-1, m.shape[1])
    return out.copy()


# -- general matrix products -----------------------------------------------------

_LA_TYPES = ("float32", "float64")


def _rows_axis(op, axis, ndim):
    if ndim < 2:
        raise MXNetError(f"{op}: inputs must have at least 2 dimensions, got {ndim}")
    if not -ndim <= axis < ndim or axis % ndim == ndim - 1:
        raise MXNetError(f"{op}: argument 'axis' must name a row axis before the last "
                         f"one, got {axis} for {ndim}-d inputs")
    return axis % ndim


def _gemm_shape(op, attrs, a, b):
    ax = _rows_axis(op, attrs.axis, len(a))
    if len(a) != len(b) or any(x != y for i, (x, y) in enumerate(zip(a, b))
                               if i not in (ax, len(a) - 1)):
        raise MXNetError(f"{op}: inputs must have equal shapes except on the row and column "
                         f"axes, got {tuple(a)} and {tuple(b)}")
    ta, tb = attrs.transpose_a, attrs.transpose_b
    m, k = (a[-1], a[ax]) if ta else (a[ax], a[-1])
    k2, n = (b[-1], b[ax]) if tb else (b[ax], b[-1])
    if k != k2:
        raise MXNetError(f"{op}: incompatible matrix dimensions for multiplication: "
                         f"{tuple(a)} (transpose_a={ta}) by {tuple(b)} (transpose_b={tb})")
    out = list(a)
    out[ax], out[-1] = m, n
    return tuple(out)


def _gemm_compute(xp, attrs, a, b):
    ax = attrs.axis % a.ndim
    a, b = xp.moveaxis(a, ax, -2), xp.moveaxis(b, ax, -2)
    prod = xp.matmul(_swap(xp, a) if attrs.transpose_a else a,
                     _swap(xp, b) if attrs.transpose_b else b)
    return prod, ax


def _gemm2_grads(F, attrs, a, b, g):
    def mm(x, y, tx, ty):
        return F.linalg.gemm2(x, y, transpose_a=tx, transpose_b=ty, alpha=attrs.alpha,
                              axis=attrs.axis)
    return list(_matmul_grads(mm, a, b, g, attrs.transpose_a, attrs.transpose_b))


_GEMM_PARAMS = {
    "transpose_a": Param("bool", False, "Use the transpose of A."),
    "transpose_b": Param("bool", False, "Use the transpose of B."),
    "alpha": Param("float", 1.0, "Scale of the product."),
}


def _gemm_out_shape(attrs, s):
    if s[0] is None or s[1] is None:
        return s, [None]
    out = _gemm_shape("_linalg_gemm", attrs, s[0], s[1])
    if s[2] is not None and tuple(s[2]) != out:
        raise MXNetError(f"_linalg_gemm: C has shape {tuple(s[2])}, expected {out}")
    return s, [out]


@register("_linalg_gemm", aliases=("linalg_gemm",), inputs=("A", "B", "C"),
          params=dict(_GEMM_PARAMS, beta=Param("float", 1.0, "Scale of C."),
                      axis=Param("int", -2, "Axis of the matrix rows (columns are last).")),
          infer_shape=_gemm_out_shape, infer_type=_float_type("_linalg_gemm", _LA_TYPES),
          gradient=lambda F, attrs, ins, outs, g: _gemm2_grads(F, attrs, ins[0], ins[1], g[0])
          + [g[0] * attrs.beta])
def _gemm(xp, attrs, A, B, C):
    """alpha * op(A) op(B) + beta * C for each matrix of the batch."""
    _check_types("_linalg_gemm", [A.dtype.name, B.dtype.name, C.dtype.name], _LA_TYPES)
    out_shape = _gemm_out_shape(attrs, [A.shape, B.shape, C.shape])[1][0]
    prod, ax = _gemm_compute(xp, attrs, A, B)
    out = xp.moveaxis(prod, -2, ax) * attrs.alpha + C * attrs.beta
    return out.astype(A.dtype).reshape(out_shape)


@register("_linalg_gemm2", aliases=("linalg_gemm2",), inputs=("A", "B"),
          params=dict(_GEMM_PARAMS,
                      axis=Param("int", -2, "Axis of the matrix rows (columns are last).")),
          infer_shape=lambda attrs, s: (s, [None if None in s else _gemm_shape(
              "_linalg_gemm2", attrs, s[0], s[1])]),
          infer_type=_float_type("_linalg_gemm2", _LA_TYPES),
          gradient=lambda F, attrs, ins, outs, g: _gemm2_grads(F, attrs, ins[0], ins[1], g[0]))
def _gemm2(xp, attrs, A, B):
    """alpha * op(A) op(B) for each matrix of the batch."""
    _check_types("_linalg_gemm2", [A.dtype.name, B.dtype.name], _LA_TYPES)
    _gemm_shape("_linalg_gemm2", attrs, A.shape, B.shape)
    prod, ax = _gemm_compute(xp, attrs, A, B)
    return (xp.moveaxis(prod, -2, ax) * attrs.alpha).astype(A.dtype)


# -- helpers for square and triangular matrices ----------------------------------------

def _square(op, shape, what="input"):
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise MXNetError(f"{op}: {what} must be a (batch of) square matrices, got shape "
                         f"{tuple(shape)}")


def _batch_scalar_shape(shape):
    """Shape of one scalar per matrix; (1,) for a single matrix."""
    return tuple(shape[:-2]) or (1,)


def _tri(xp, a, lower):
    return xp.tril(a) if lower else xp.triu(a)


def _tri_mask(F, x, lower):
    """Keep the lower (upper) triangle of x, with F ops."""
    return F.linalg.maketrian(F.linalg.extracttrian(x, lower=lower), lower=lower)


def _linalg_error(op, err):
    return MXNetError(f"{op}: {err}")


def _square_op(name, infer_shape, outputs=1, gradient=None, params=None, aliases=True):
    """Register ``name`` (and ``name[1:]`` as alias) on one batch of square matrices A."""
    def infer(attrs, s):
        if s[0] is None:
            return s, [None] * outputs
        _square(name, s[0])
        return s, infer_shape(attrs, tuple(s[0]))

    def wrap(compute):
        def checked(xp, attrs, A):
            _check_types(name, [A.dtype.name], _LA_TYPES)
            _square(name, A.shape)
            return compute(xp, attrs, A)
        checked.__doc__ = compute.__doc__
        return register(name, aliases=(name[1:],) if aliases else (), inputs=("A",),
                        params=params or {}, num_outputs=outputs,
                        infer_shape=infer, infer_type=_float_type(name, _LA_TYPES, outputs),
                        gradient=gradient)(checked)
    return wrap


def _potrf_grad(F, attrs, ins, outs, g):
    # dA = sym(L^-T Phi(L^T dL) L^-1) / 2, Phi keeping the lower triangle with half diagonal.
    L = outs[0]
    x = F.linalg.gemm2(L, g[0], transpose_a=True)
    phi = _tri_mask(F, x, True) - F.linalg.makediag(F.linalg.extractdiag(x)) * 0.5
    s = F.linalg.trsm(L, F.linalg.trsm(L, phi, transpose=True), rightside=True)
    return [(s + _mT(F, s)) * 0.5]


@_square_op("_linalg_potrf", lambda attrs, s: [s], gradient=_potrf_grad)
def _potrf(xp, attrs, A):
    """Cholesky factor L (lower triangular, A = L L^T) of each symmetric positive
    definite matrix; only the lower triangle of A is read."""
    try:
        with _raising(xp):
            return xp.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        raise _linalg_error("_linalg_potrf", "input is not symmetric positive definite") \
            from None


def _potri_grad(F, attrs, ins, outs, g):
    inv = outs[0]
    L = _tri_mask(F, ins[0], True)
    inner = F.linalg.gemm2(F.linalg.gemm2(inv, g[0] + _mT(F, g[0])), inv)
    return [_tri_mask(F, F.linalg.gemm2(inner, L, alpha=-1.0), True)]


@_square_op("_linalg_potri", lambda attrs, s: [s], gradient=_potri_grad)
def _potri(xp, attrs, A):
    """Inverse of L L^T from the Cholesky factor L (the lower triangle of A)."""
    try:
        with _raising(xp):
            inv = xp.linalg.inv(xp.tril(A))
    except np.linalg.LinAlgError:
        raise _linalg_error("_linalg_potri", "the triangular factor is singular") from None
    return xp.matmul(_swap(xp, inv), inv)


_TRIANGULAR_PARAMS = {
    "transpose": Param("bool", False, "Use the transpose of the triangular matrix A."),
    "rightside": Param("bool", False, "Multiply (solve) from the right: B op(A)."),
    "lower": Param("bool", True, "A is lower (else upper) triangular."),
    "alpha": Param("float", 1.0, "Scale of the result."),
}


def _triangular_shape(op):
    def infer(attrs, s):
        if None in s:
            return s, [None]
        a, b = s
        _square(op, a, "A")
        side = b[-1] if attrs.rightside else b[-2] if len(b) >= 2 else None
        if len(a) != len(b) or tuple(a[:-2]) != tuple(b[:-2]) or side != a[-1]:
            raise MXNetError(f"{op}: incompatible shapes for A {tuple(a)} and B {tuple(b)} "
                             f"(rightside={attrs.rightside})")
        return s, [tuple(b)]
    return infer


def _tri_op(xp, attrs, A):
    t = _tri(xp, A, attrs.lower)
    return _swap(xp, t) if attrs.transpose else t


def _trmm_grad(F, attrs, ins, outs, g):
    A, B = ins
    G = g[0]
    db = F.linalg.trmm(A, G, transpose=not attrs.transpose, rightside=attrs.rightside,
                       lower=attrs.lower, alpha=attrs.alpha)
    # d op(A): alpha G B^T on the left, alpha B^T G on the right; transposed back if op is ^T.
    if attrs.rightside:
        dop = F.linalg.gemm2(B, G, transpose_a=True, alpha=attrs.alpha) \
            if not attrs.transpose else F.linalg.gemm2(G, B, transpose_a=True, alpha=attrs.alpha)
    else:
        dop = F.linalg.gemm2(G, B, transpose_b=True, alpha=attrs.alpha) \
            if not attrs.transpose else F.linalg.gemm2(B, G, transpose_b=True, alpha=attrs.alpha)
    return [_tri_mask(F, dop, attrs.lower), db]


@register("_linalg_trmm", aliases=("linalg_trmm",), inputs=("A", "B"),
          params=_TRIANGULAR_PARAMS, infer_shape=_triangular_shape("_linalg_trmm"),
          infer_type=_float_type("_linalg_trmm", _LA_TYPES), gradient=_trmm_grad)
def _trmm(xp, attrs, A, B):
    """alpha * op(A) B (or alpha * B op(A) with rightside) for triangular A."""
    _check_types("_linalg_trmm", [A.dtype.name, B.dtype.name], _LA_TYPES)
    _triangular_shape("_linalg_trmm")(attrs, [A.shape, B.shape])
    t = _tri_op(xp, attrs, A)
    out = xp.matmul(B, t) if attrs.rightside else xp.matmul(t, B)
    return (out * attrs.alpha).astype(B.dtype)


def _trsm_grad(F, attrs, ins, outs, g):
    A = ins[0]
    X = outs[0]
    h = F.linalg.trsm(A, g[0], transpose=not attrs.transpose, rightside=attrs.rightside,
                      lower=attrs.lower)
    # With H = op(A)^-T G (left) or G op(A)^-T (right): dB = alpha H and
    # d op(A) = -H X^T (left) or -X^T H (right), transposed back if op is ^T.
    if attrs.rightside:
        dop = F.linalg.gemm2(X, h, transpose_a=True, alpha=-1.0) if not attrs.transpose \
            else F.linalg.gemm2(h, X, transpose_a=True, alpha=-1.0)
    else:
        dop = F.linalg.gemm2(h, X, transpose_b=True, alpha=-1.0) if not attrs.transpose \
            else F.linalg.gemm2(X, h, transpose_b=True, alpha=-1.0)
    return [_tri_mask(F, dop, attrs.lower), h * attrs.alpha]


@register("_linalg_trsm", aliases=("linalg_trsm",), inputs=("A", "B"),
          params=_TRIANGULAR_PARAMS, infer_shape=_triangular_shape("_linalg_trsm"),
          infer_type=_float_type("_linalg_trsm", _LA_TYPES), gradient=_trsm_grad)
def _trsm(xp, attrs, A, B):
    """X solving op(A) X = alpha B (or X op(A) = alpha B with rightside), A triangular."""
    _check_types("_linalg_trsm", [A.dtype.name, B.dtype.name], _LA_TYPES)
    _triangular_shape("_linalg_trsm")(attrs, [A.shape, B.shape])
    t = _tri_op(xp, attrs, A)
    try:
        with _raising(xp):
            if attrs.rightside:  # X t = B  <=>  t^T X^T = B^T
                out = _swap(xp, xp.linalg.solve(_swap(xp, t), _swap(xp, B)))
            else:
                out = xp.linalg.solve(t, B)
    except np.linalg.LinAlgError:
        raise _linalg_error("_linalg_trsm", "the triangular matrix A is singular") from None
    return (out * attrs.alpha).astype(B.dtype)


# -- scalars per matrix ------------------------------------------------------------

def _sumlogdiag_grad(F, attrs, ins, outs, g):
    A = ins[0]
    gcol = F.reshape(g[0], shape=tuple(A.shape[:-2]) + (1,))
    return [F.linalg.makediag(F.broadcast_div(gcol, F.linalg.extractdiag(A)))]


@_square_op("_linalg_sumlogdiag", lambda attrs, s: [_batch_scalar_shape(s)],
            gradient=_sumlogdiag_grad)
def _sumlogdiag(xp, attrs, A):
    """Sum of the logarithms of the diagonal of each matrix."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = xp.log(xp.diagonal(A, axis1=-2, axis2=-1)).sum(axis=-1)
    return out.astype(A.dtype).reshape(_batch_scalar_shape(A.shape))


def _inverse_t(F, A):
    return _mT(F, F.linalg.inverse(A))


def _scale_matrices(F, g, A, m):
    """Each matrix of m times the matching scalar of g."""
    return F.broadcast_mul(F.reshape(g, shape=tuple(A.shape[:-2]) + (1, 1)), m)


@_square_op("_linalg_det", lambda attrs, s: [_batch_scalar_shape(s)],
            gradient=lambda F, attrs, ins, outs, g: [
                _scale_matrices(F, g[0] * outs[0], ins[0], _inverse_t(F, ins[0]))])
def _det(xp, attrs, A):
    """Determinant of each matrix."""
    return xp.linalg.det(A).astype(A.dtype).reshape(_batch_scalar_shape(A.shape))


def _slogdet_grad(F, attrs, ins, outs, g):
    # The sign is piecewise constant: only the log-determinant carries a gradient.
    return [_scale_matrices(F, g[1], ins[0], _inverse_t(F, ins[0]))]


@_square_op("_linalg_slogdet", lambda attrs, s: [_batch_scalar_shape(s)] * 2, outputs=2,
            gradient=_slogdet_grad)
def _slogdet(xp, attrs, A):
    """Sign and log of the absolute value of the determinant of each matrix."""
    sign, logdet = xp.linalg.slogdet(A)
    shape = _batch_scalar_shape(A.shape)
    return sign.astype(A.dtype).reshape(shape), logdet.astype(A.dtype).reshape(shape)


@_square_op("_linalg_inverse", lambda attrs, s: [s],
            gradient=lambda F, attrs, ins, outs, g: [F.linalg.gemm2(
                F.linalg.gemm2(outs[0], g[0], transpose_a=True), outs[0], transpose_b=True,
                alpha=-1.0)])
def _inverse(xp, attrs, A):
    """Inverse of each matrix."""
    try:
        with _raising(xp):
            return xp.linalg.inv(A)
    except np.linalg.LinAlgError:
        raise _linalg_error("_linalg_inverse", "the matrix is singular") from None


def _syrk_shape(attrs, s):
    if s[0] is None:
        return s, [None]
    if len(s[0]) < 2:
        raise MXNetError(f"_linalg_syrk: A must have at least 2 dimensions, got {tuple(s[0])}")
    n = s[0][-1] if attrs.transpose else s[0][-2]
    return s, [tuple(s[0][:-2]) + (n, n)]


def _syrk_grad(F, attrs, ins, outs, g):
    sym = g[0] + _mT(F, g[0])
    if attrs.transpose:
        return [F.linalg.gemm2(ins[0], sym, alpha=attrs.alpha)]
    return [F.linalg.gemm2(sym, ins[0], alpha=attrs.alpha)]


@register("_linalg_syrk", aliases=("linalg_syrk",), inputs=("A",),
          params={"transpose": Param("bool", False, "Compute alpha A^T A instead."),
                  "alpha": Param("float", 1.0, "Scale of the result.")},
          infer_shape=_syrk_shape, infer_type=_float_type("_linalg_syrk", _LA_TYPES),
          gradient=_syrk_grad)
def _syrk(xp, attrs, A):
    """alpha * A A^T (or alpha * A^T A with transpose) for each matrix."""
    _check_types("_linalg_syrk", [A.dtype.name], _LA_TYPES)
    _syrk_shape(attrs, [A.shape])
    out = xp.matmul(_swap(xp, A), A) if attrs.transpose else xp.matmul(A, _swap(xp, A))
    return (out * attrs.alpha).astype(A.dtype)


# -- factorizations --------------------------------------------------------------------

def _gelqf_shape(attrs, s):
    a = s[0]
    if a is None:
        return s, [None, None]
    if len(a) < 2 or a[-2] > a[-1]:
        raise MXNetError(f"_linalg_gelqf: A must have at least as many columns as rows, "
                         f"got shape {tuple(a)}")
    return s, [tuple(a), tuple(a[:-1]) + (a[-2],)]


def _copyltu(F, m):
    """Symmetric matrix from the lower triangle of m."""
    low = _tri_mask(F, m, True)
    return low + _mT(F, low) - F.linalg.makediag(F.linalg.extractdiag(m))


def _gelqf_grad(F, attrs, ins, outs, g):
    # For A = L Q: M = L^T dL - dQ Q^T, dA = L^-T (dQ + copyltu(M) Q).
    Q, L = outs
    dQ, dL = g
    m = F.linalg.gemm2(L, dL, transpose_a=True) - F.linalg.gemm2(dQ, Q, transpose_b=True)
    inner = dQ + F.linalg.gemm2(_copyltu(F, m), Q)
    return [F.linalg.trsm(L, inner, transpose=True)]


@register("_linalg_gelqf", aliases=("linalg_gelqf",), inputs=("A",), num_outputs=2,
          infer_shape=_gelqf_shape,
          infer_type=_float_type("_linalg_gelqf", _LA_TYPES, 2), gradient=_gelqf_grad)
def _gelqf(xp, attrs, A):
    """LQ factorization A = L Q of each matrix with rows <= columns: Q has orthonormal
    rows and L is lower triangular (signs as LAPACK's Householder reflections give)."""
    _check_types("_linalg_gelqf", [A.dtype.name], _LA_TYPES)
    _gelqf_shape(attrs, [A.shape])
    q, r = xp.linalg.qr(_swap(xp, A))
    return _swap(xp, q).astype(A.dtype), _swap(xp, r).astype(A.dtype)


def _syevd_grad(F, attrs, ins, outs, g):
    # For A = U^T diag(lam) U (rows of U are eigenvectors):
    # dA = U^T (diag(dlam) + sym-part of (dU U^T) / (lam_j - lam_i)) U, off-diagonal only.
    U, lam = outs
    dU, dlam = g
    n = U.shape[-1]
    col = F.reshape(lam, shape=tuple(lam.shape) + (1,))
    row = F.reshape(lam, shape=tuple(lam.shape[:-1]) + (1, n))
    diff = F.broadcast_sub(row, col)  # lam_j - lam_i
    eye = F.linalg.makediag(F.ones_like(lam))
    inv_gap = (1 - eye) / (diff + eye)
    w = F.linalg.gemm2(dU, U, transpose_b=True) * inv_gap * -1.0
    sym = (w + _mT(F, w)) * 0.5 + F.linalg.makediag(dlam)
    return [F.linalg.gemm2(F.linalg.gemm2(U, sym, transpose_a=True), U)]


@_square_op("_linalg_syevd", lambda attrs, s: [s, s[:-1]], outputs=2, gradient=_syevd_grad,
            aliases=False)
def _syevd(xp, attrs, A):
    """Eigen-decomposition A = U^T diag(L) U of each symmetric matrix (lower triangle
    read): eigenvalues ascending, eigenvectors as the rows of U, each signed so that
    its largest-magnitude entry is positive."""
    lam, vec = xp.linalg.eigh(A, UPLO="L")
    U = _swap(xp, vec)
    pick = xp.argmax(xp.abs(U), axis=-1)[..., None]
    sign = xp.where(xp.take_along_axis(U, pick, axis=-1) < 0, -1, 1).astype(U.dtype)
    return (U * sign).astype(A.dtype), lam.astype(A.dtype)


# -- diagonals and triangles -----------------------------------------------------------

_OFFSET = Param("int", 0, "Diagonal offset: > 0 above the main diagonal, < 0 below.")
_LOWER = Param("bool", True, "Lower (else upper) triangle; used when offset is 0.")


def _band(op, n, offset):
    if n - abs(offset) <= 0:
        raise MXNetError(f"{op}: offset {offset} leaves nothing of a {n}x{n} matrix")
    return n - abs(offset)


def _extractdiag_shape(attrs, s):
    _square("_linalg_extractdiag", s)
    return [tuple(s[:-2]) + (_band("_linalg_extractdiag", s[-1], attrs.offset),)]


@_square_op("_linalg_extractdiag", _extractdiag_shape, params={"offset": _OFFSET},
            gradient=lambda F, attrs, ins, outs, g: [F.linalg.makediag(g[0],
                                                                       offset=attrs.offset)])
def _extractdiag(xp, attrs, A):
    """The diagonal (``offset`` above or below the main one) of each square matrix."""
    _extractdiag_shape(attrs, A.shape)
    return xp.diagonal(A, offset=attrs.offset, axis1=-2, axis2=-1).copy()


def _makediag_shape(attrs, s):
    if s[0] is None:
        return s, [None]
    if not s[0]:
        raise MXNetError("_linalg_makediag: input must have at least 1 dimension")
    n = s[0][-1] + abs(attrs.offset)
    return s, [tuple(s[0][:-1]) + (n, n)]


@register("_linalg_makediag", aliases=("linalg_makediag",), inputs=("A",),
          params={"offset": _OFFSET}, infer_shape=_makediag_shape,
          infer_type=_float_type("_linalg_makediag", _LA_TYPES),
          gradient=lambda F, attrs, ins, outs, g: [F.linalg.extractdiag(g[0],
                                                                        offset=attrs.offset)])
def _makediag(xp, attrs, A):
    """Square matrices with the last axis of A on diagonal ``offset``, zeros elsewhere."""
    _check_types("_linalg_makediag", [A.dtype.name], _LA_TYPES)
    shape = _makediag_shape(attrs, [A.shape])[1][0]
    out = xp.zeros(shape, dtype=A.dtype)
    k = A.shape[-1]
    i = xp.arange(k)
    rows, cols = (i, i + attrs.offset) if attrs.offset >= 0 else (i - attrs.offset, i)
    out[..., rows, cols] = A
    return out


def _trian_indices(n, offset, lower):
    """(rows, cols) of the packed triangle, in MXNet's packing order."""
    if offset < 0 or (offset == 0 and lower):
        return np.tril_indices(n, offset)
    cols, rows = np.tril_indices(n, -offset)  # upper: lower of the transpose, row by row
    return rows, cols


def _extracttrian_shape(attrs, s):
    _square("_linalg_extracttrian", s)
    m = _band("_linalg_extracttrian", s[-1], attrs.offset)
    return [tuple(s[:-2]) + (m * (m + 1) // 2,)]


@_square_op("_linalg_extracttrian", _extracttrian_shape, params={"offset": _OFFSET,
                                                                 "lower": _LOWER},
            gradient=lambda F, attrs, ins, outs, g: [F.linalg.maketrian(
                g[0], offset=attrs.offset, lower=attrs.lower)])
def _extracttrian(xp, attrs, A):
    """The triangle of each square matrix as a vector (lower: row by row; upper:
    column by column)."""
    _extracttrian_shape(attrs, A.shape)
    rows, cols = _trian_indices(A.shape[-1], attrs.offset, attrs.lower)
    return A[..., rows, cols]


def _maketrian_shape(attrs, s):
    if s[0] is None:
        return s, [None]
    if not s[0]:
        raise MXNetError("_linalg_maketrian: input must have at least 1 dimension")
    length = s[0][-1]
    m = int((np.sqrt(8 * length + 1) - 1) / 2)
    if m * (m + 1) // 2 != length:
        raise MXNetError(f"_linalg_maketrian: the last axis must hold a triangle "
                         f"(m*(m+1)/2 values), got {length}")
    n = m + abs(attrs.offset)
    return s, [tuple(s[0][:-1]) + (n, n)]


@register("_linalg_maketrian", aliases=("linalg_maketrian",), inputs=("A",),
          params={"offset": _OFFSET, "lower": _LOWER}, infer_shape=_maketrian_shape,
          infer_type=_float_type("_linalg_maketrian", _LA_TYPES),
          gradient=lambda F, attrs, ins, outs, g: [F.linalg.extracttrian(
              g[0], offset=attrs.offset, lower=attrs.lower)])
def _maketrian(xp, attrs, A):
    """Square matrices with the packed triangle of A (as extracttrian packs it)."""
    _check_types("_linalg_maketrian", [A.dtype.name], _LA_TYPES)
    shape = _maketrian_shape(attrs, [A.shape])[1][0]
    out = xp.zeros(shape, dtype=A.dtype)
    rows, cols = _trian_indices(shape[-1], attrs.offset, attrs.lower)
    out[..., rows, cols] = A
    return out
