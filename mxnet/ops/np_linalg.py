"""``_npi_*`` linear algebra operators of ``mx.np.linalg``.

They work on the last two axes as matrices, leading axes being a batch,
and accept float32 and float64 as MXNet 1.9.1 does. Unlike the legacy
``_linalg_*`` family, a single matrix gives 0-d determinants. Gradients
are rules over other operators where a closed form is short (inv, det,
slogdet, solve, cholesky, eigh, pinv, tensorinv); svd, norm and
tensorsolve use backward kernels. MXNet 1.9.1 gives zero gradients for
pinv, eigh and eigvalsh; here they are the true derivatives.
"""
import numpy as np

from ..base import MXNetError
from .linalg import _LA_TYPES, _check_types, _mT, _potrf_grad, _raising
from .np_norm import norm_grad, norm_kernel, NORM_PARAMS, norm_shape
from .params import Param
from .registry import register


def _float_types(op, n_in=1, n_out=1):
    def infer(attrs, types):
        t = _check_types(op, types, _LA_TYPES)
        return [t] * n_in, [t] * n_out
    return infer


def _square(op, shape):
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise MXNetError(f"{op}: input must be a (batch of) square matrices, got shape "
                         f"{tuple(shape)}")


def _linalg(op, xp, fn, *args, **kwargs):
    """Run a NumPy/CuPy linalg function, a failure as MXNetError naming ``op``."""
    try:
        with _raising(xp):
            return fn(*args, **kwargs)
    except np.linalg.LinAlgError as e:
        raise MXNetError(f"{op}: {e}") from None


def _mm(F, a, b):
    return F._internal._npi_matmul(a, b)


def _square_op(name, out_shapes, gradient=None, num_outputs=1):
    """Declare op ``name`` on one batch of square matrices ``A``; ``out_shapes(shape)``
    gives the output shapes."""
    def infer_shape(attrs, s):
        if s[0] is None:
            return s, [None] * num_outputs
        _square(name, s[0])
        return s, out_shapes(tuple(s[0]))

    def wrap(compute):
        def checked(xp, attrs, A):
            _check_types(name, [A.dtype.name], _LA_TYPES)
            _square(name, A.shape)
            return compute(xp, attrs, A)
        checked.__doc__ = compute.__doc__
        return register(name, inputs=("A",), num_outputs=num_outputs,
                        infer_shape=infer_shape,
                        infer_type=_float_types(name, 1, num_outputs),
                        gradient=gradient)(checked)
    return wrap


def _batch(shape):
    return tuple(shape[:-2])


def _per_matrix(F, g, A):
    """A batch-shaped g with two unit axes, to scale each matrix of A."""
    return F.reshape(g, shape=_batch(A.shape) + (1, 1))


def _inv_grad(F, X, g):
    """d inv(A) for head g, with X = inv(A): -X^T g X^T."""
    Xt = _mT(F, X)
    return F.negative(_mm(F, _mm(F, Xt, g), Xt))


@_square_op("_npi_inv", lambda s: [s],
            gradient=lambda F, attrs, ins, outs, g: [_inv_grad(F, outs[0], g[0])])
def _npi_inv(xp, attrs, A):
    """Inverse of each matrix."""
    return _linalg("_npi_inv", xp, xp.linalg.inv, A)


def _det_grad(F, attrs, ins, outs, g):
    A = ins[0]
    scale = _per_matrix(F, F.broadcast_mul(g[0], outs[0]), A)
    return [F.broadcast_mul(scale, _mT(F, F._internal._npi_inv(A)))]


@_square_op("_npi_det", lambda s: [_batch(s)], gradient=_det_grad)
def _npi_det(xp, attrs, A):
    """Determinant of each matrix (0-d for one matrix)."""
    return xp.asarray(xp.linalg.det(A)).astype(A.dtype)


def _slogdet_grad(F, attrs, ins, outs, g):
    # The sign is piecewise constant: only log|det| carries a gradient.
    A = ins[0]
    return [F.broadcast_mul(_per_matrix(F, g[1], A), _mT(F, F._internal._npi_inv(A)))]


@_square_op("_npi_slogdet", lambda s: [_batch(s)] * 2, gradient=_slogdet_grad,
            num_outputs=2)
def _npi_slogdet(xp, attrs, A):
    """Sign and natural log of the absolute determinant of each matrix."""
    sign, logdet = xp.linalg.slogdet(A)
    return xp.asarray(sign).astype(A.dtype), xp.asarray(logdet).astype(A.dtype)


@_square_op("_npi_cholesky", lambda s: [s], gradient=_potrf_grad)
def _npi_cholesky(xp, attrs, A):
    """Lower Cholesky factor L (A = L L^T) of each symmetric positive definite matrix."""
    return _linalg("_npi_cholesky", xp, xp.linalg.cholesky, A)


# -- eigen-decompositions ------------------------------------------------------------------

_UPLO = {"UPLO": Param("str", "L", choices=("L", "U"), doc="Triangle of A that is read.")}


def _eigh_grad(F, w, V, gw, gV):
    """For A = V diag(w) V^T: dA = V (diag(gw) + sym((V^T gV) / (w_j - w_i))) V^T."""
    n = V.shape[-1]
    inner = F.linalg.makediag(gw) if gw is not None else F.zeros_like(V)
    if gV is not None:
        col = F.reshape(w, shape=tuple(w.shape) + (1,))
        row = F.reshape(w, shape=tuple(w.shape[:-1]) + (1, n))
        eye = F.linalg.makediag(F.ones_like(w))
        inv_gap = F.broadcast_div(1 - eye, F.broadcast_add(F.broadcast_sub(row, col), eye))
        inner = inner + _mm(F, _mT(F, V), gV) * inv_gap
    grad = _mm(F, _mm(F, V, inner), _mT(F, V))
    return (grad + _mT(F, grad)) * 0.5


def _largest_positive(xp, vectors, axis):
    """Signs (+-1) that make each vector's largest-magnitude entry positive, the
    vectors lying along ``axis`` (-2: columns, -1: rows), with that axis kept."""
    pick = xp.expand_dims(xp.argmax(xp.abs(vectors), axis=axis), axis)
    return xp.where(xp.take_along_axis(vectors, pick, axis=axis) < 0, -1, 1).astype(
        vectors.dtype)


def _eigh_kernel(op, xp, attrs, A):
    _check_types(op, [A.dtype.name], _LA_TYPES)
    _square(op, A.shape)
    w, v = _linalg(op, xp, xp.linalg.eigh, A, UPLO=attrs.UPLO)
    # Eigenvectors signed as MXNet 1.9.1 gives them: largest entry positive.
    return w.astype(A.dtype), (v * _largest_positive(xp, v, -2)).astype(A.dtype)


def _eig_shapes(s):
    return [tuple(s[:-1]), s]


register("_npi_eigh", inputs=("A",), params=_UPLO, num_outputs=2,
         infer_shape=lambda attrs, s: (s, [None, None] if s[0] is None else _eig_shapes(s[0])),
         infer_type=_float_types("_npi_eigh", 1, 2),
         gradient=lambda F, attrs, ins, outs, g: [_eigh_grad(F, outs[0], outs[1], g[0], g[1])],
         doc="Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices.")(
    lambda xp, attrs, A: _eigh_kernel("_npi_eigh", xp, attrs, A))


def _eigvalsh_grad(F, attrs, ins, outs, g):
    w, V = F._internal._npi_eigh(ins[0], UPLO=attrs.UPLO)
    return [_eigh_grad(F, w, V, g[0], None)]


register("_npi_eigvalsh", inputs=("A",), params=_UPLO,
         infer_shape=lambda attrs, s: (s, [None if s[0] is None else tuple(s[0][:-1])]),
         infer_type=_float_types("_npi_eigvalsh"), gradient=_eigvalsh_grad,
         doc="Eigenvalues (ascending) of symmetric matrices.")(
    lambda xp, attrs, A: _eigh_kernel("_npi_eigvalsh", xp, attrs, A)[0])


def _real_eig(op, xp, A, vectors):
    fn = xp.linalg.eig if vectors else xp.linalg.eigvals
    res = _linalg(op, xp, fn, A)
    w = res[0] if vectors else res
    if xp.iscomplexobj(w) and bool((w.imag != 0).any()):
        raise MXNetError(f"{op}: the matrix has complex eigenvalues, which are not supported")
    if vectors:
        return w.real.astype(A.dtype), res[1].real.astype(A.dtype)
    return w.real.astype(A.dtype)


def _no_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(ins[0])]


@_square_op("_npi_eig", _eig_shapes, num_outputs=2, gradient=_no_grad)
def _npi_eig(xp, attrs, A):
    """Eigenvalues and right eigenvectors (columns) of general real matrices whose
    eigenvalues are real (MXNet has no complex arrays); not differentiated, as in MXNet."""
    return _real_eig("_npi_eig", xp, A, True)


@_square_op("_npi_eigvals", lambda s: [tuple(s[:-1])], gradient=_no_grad)
def _npi_eigvals(xp, attrs, A):
    """Eigenvalues of general real matrices whose eigenvalues are real; not
    differentiated, as in MXNet."""
    return _real_eig("_npi_eigvals", xp, A, False)


# -- solve -----------------------------------------------------------------------------------

def _solve_shape(op, a, b):
    _square(op, a)
    vector = len(b) == len(a) - 1
    if not (vector or len(b) == len(a)) or tuple(b[:len(a) - 2]) != _batch(a) \
            or b[len(a) - 2] != a[-1]:
        raise MXNetError(f"{op}: b {tuple(b)} does not match a {tuple(a)} (expects a batch of "
                         f"vectors {_batch(a) + (a[-1],)} or of matrices "
                         f"{_batch(a) + (a[-1], 'k')})")
    return vector


def _solve_grad(F, attrs, ins, outs, g):
    A, B = ins
    X = outs[0]
    vector = B.ndim == A.ndim - 1
    gb = F._internal._npi_solve(_mT(F, A), g[0])
    if vector:
        ga = F.negative(F.broadcast_mul(F.expand_dims(gb, axis=gb.ndim),
                                        F.expand_dims(X, axis=X.ndim - 1)))
    else:
        ga = F.negative(_mm(F, gb, _mT(F, X)))
    return [ga, gb]


def _solve_infer(attrs, s):
    if None in s:
        return s, [None]
    _solve_shape("_npi_solve", *s)
    return s, [tuple(s[1])]


@register("_npi_solve", inputs=("A", "B"), infer_shape=_solve_infer,
          infer_type=_float_types("_npi_solve", 2), gradient=_solve_grad)
def _npi_solve(xp, attrs, A, B):
    """X solving A X = B for each matrix of A; B is a batch of vectors (one axis
    fewer than A) or of matrices."""
    _check_types("_npi_solve", [A.dtype.name, B.dtype.name], _LA_TYPES)
    if _solve_shape("_npi_solve", A.shape, B.shape):
        return _linalg("_npi_solve", xp, xp.linalg.solve, A, B[..., None])[..., 0]
    return _linalg("_npi_solve", xp, xp.linalg.solve, A, B)


# -- pinv ------------------------------------------------------------------------------------

def _pinv_grad(F, X, A, g):
    """Of X = pinv(A): -X^T g X^T + (I - A X) g^T X X^T + X^T X g^T (I - X A),
    multiplied out so no identity is needed."""
    Xt, gt = _mT(F, X), _mT(F, g)
    first = F.negative(_mm(F, _mm(F, Xt, g), Xt))
    gtxxt = _mm(F, _mm(F, gt, X), Xt)
    second = gtxxt - _mm(F, A, _mm(F, X, gtxxt))
    xtxgt = _mm(F, _mm(F, Xt, X), gt)
    third = xtxgt - _mm(F, _mm(F, xtxgt, X), A)
    return first + second + third


def _pinv_shape(attrs, s):
    if s[0] is None:
        return s, [None]
    if len(s[0]) < 2:
        raise MXNetError(f"pinv: input must be a (batch of) matrices, got shape {tuple(s[0])}")
    return s, [_batch(s[0]) + (s[0][-1], s[0][-2])]


def _pinv(op, xp, A, rcond, hermitian):
    _check_types(op, [A.dtype.name], _LA_TYPES)
    _pinv_shape(None, [A.shape])
    if hermitian:
        raise MXNetError(f"{op}: hermitian=True is not supported (as in MXNet 1.9.1)")
    return _linalg(op, xp, xp.linalg.pinv, A, rcond).astype(A.dtype)


_HERMITIAN = Param("bool", False, doc="A is Hermitian (not supported).")

register("_npi_pinv", inputs=("A", "rcond"), params={"hermitian": _HERMITIAN},
         infer_shape=lambda attrs, s: (s, _pinv_shape(attrs, s[:1])[1]),
         infer_type=lambda attrs, t: (t, [_check_types("_npi_pinv", t[:1], _LA_TYPES)]),
         gradient=lambda F, attrs, ins, outs, g: [_pinv_grad(F, outs[0], ins[0], g[0]), None],
         doc="Pseudo-inverse of each matrix; singular values below rcond (an array, "
             "broadcast over the batch) times the largest are dropped.")(
    lambda xp, attrs, A, rcond: _pinv("_npi_pinv", xp, A, rcond.astype(np.float64),
                                      attrs.hermitian))

register("_npi_pinv_scalar_rcond", inputs=("A",),
         params={"rcond": Param("float", 1e-15, doc="Relative cut-off of singular values."),
                 "hermitian": _HERMITIAN},
         infer_shape=_pinv_shape, infer_type=_float_types("_npi_pinv_scalar_rcond"),
         gradient=lambda F, attrs, ins, outs, g: [_pinv_grad(F, outs[0], ins[0], g[0])],
         doc="Pseudo-inverse of each matrix with a scalar rcond.")(
    lambda xp, attrs, A: _pinv("_npi_pinv_scalar_rcond", xp, A, attrs.rcond, attrs.hermitian))


# -- svd -------------------------------------------------------------------------------------

def _svd_shape(attrs, s):
    a = s[0]
    if a is None:
        return s, [None] * 3
    if len(a) < 2 or a[-2] > a[-1]:
        raise MXNetError(f"_npi_svd: input must be a (batch of) M x N matrices with M <= N, got "
                         f"shape {tuple(a)}")
    m = a[-2]
    return s, [_batch(a) + (m, m), _batch(a) + (m,), tuple(a)]


@register("_npi_svd", inputs=("A",), num_outputs=3, infer_shape=_svd_shape,
          infer_type=_float_types("_npi_svd", 1, 3),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_npi_svd(
              *[F.zeros_like(o) if x is None else x for x, o in zip(g, outs)], *outs)])
def _npi_svd(xp, attrs, A):
    """Thin SVD A = UT diag(L) V of matrices with M <= N rows: UT (M x M), L (M,)
    descending, V (M x N) with orthonormal rows, each with its largest entry positive."""
    _check_types("_npi_svd", [A.dtype.name], _LA_TYPES)
    _svd_shape(attrs, [A.shape])
    u, s, vt = _linalg("_npi_svd", xp, xp.linalg.svd, A, full_matrices=False)
    # Singular vector pairs signed as MXNet 1.9.1 gives them: each row of V has its
    # largest entry positive (the matching column of UT flips with it).
    sign = _largest_positive(xp, vt, -1)
    return (u * xp.swapaxes(sign, -1, -2)).astype(A.dtype), s.astype(A.dtype), \
        (vt * sign).astype(A.dtype)


@register("_backward_npi_svd", inputs=("dUT", "dL", "dV", "UT", "L", "V"),
          infer_shape=lambda attrs, s: (s, [None if s[5] is None else tuple(s[5])]),
          infer_type=lambda attrs, t: (t, [t[5]]))
def _backward_npi_svd(xp, attrs, du, ds, dv, u, s, v):
    """Gradient of A = U diag(s) V (V with orthonormal rows, M <= N) given the
    gradients of U, s and V; repeated singular values make it undefined."""
    ut, vt = xp.swapaxes(u, -1, -2), xp.swapaxes(v, -1, -2)
    m = s.shape[-1]
    s2 = s[..., None, :] ** 2 - s[..., :, None] ** 2  # s_j^2 - s_i^2
    eye = xp.eye(m, dtype=s.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = xp.where(eye > 0, 0, 1 / xp.where(eye > 0, 1, s2))
    j = f * (ut @ du - xp.swapaxes(du, -1, -2) @ u)
    k = f * (v @ xp.swapaxes(dv, -1, -2) - dv @ vt)
    # The U and V parts of the thin-SVD derivative, then the term of dV outside V's rows.
    inner = j * s[..., None, :] + ds[..., :, None] * eye + s[..., :, None] * k
    grad = u @ inner @ v
    with np.errstate(divide="ignore", invalid="ignore"):
        sinv = xp.where(s > 0, 1 / xp.where(s > 0, s, 1), 0)
    proj = dv - (dv @ vt) @ v  # dV restricted to the complement of V's rows
    grad = grad + (u * sinv[..., None, :]) @ proj
    return grad.astype(u.dtype)


# -- tensorinv, tensorsolve -------------------------------------------------------------------

def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _tensorinv_split(op, shape, ind):
    if ind <= 0 or ind > len(shape):
        raise MXNetError(f"{op}: 'ind' must be between 1 and a.ndim ({len(shape)}), got {ind}")
    rows, cols = tuple(shape[:ind]), tuple(shape[ind:])
    if _prod(rows) != _prod(cols):
        raise MXNetError(f"{op}: a {tuple(shape)} with ind={ind} is not square "
                         f"({_prod(rows)} x {_prod(cols)})")
    return rows, cols


def _tensorinv_grad(F, attrs, ins, outs, g):
    rows, cols = _tensorinv_split("_npi_tensorinv", ins[0].shape, attrs.ind)
    n = _prod(rows)
    X = F.reshape(outs[0], shape=(n, n))
    G = F.reshape(g[0], shape=(n, n))
    return [F.reshape(_inv_grad(F, X, G), shape=tuple(ins[0].shape))]


@register("_npi_tensorinv", inputs=("a",),
          params={"ind": Param("int", 2, doc="Number of leading axes that index rows.")},
          infer_shape=lambda attrs, s: (s, [None if s[0] is None else (lambda r, c: c + r)(
              *_tensorinv_split("_npi_tensorinv", s[0], attrs.ind))]),
          infer_type=_float_types("_npi_tensorinv"), gradient=_tensorinv_grad)
def _npi_tensorinv(xp, attrs, a):
    """The inverse of a as a square matrix of its first `ind` axes by the others,
    shaped a.shape[ind:] + a.shape[:ind]."""
    _check_types("_npi_tensorinv", [a.dtype.name], _LA_TYPES)
    rows, cols = _tensorinv_split("_npi_tensorinv", a.shape, attrs.ind)
    n = _prod(rows)
    return _linalg("_npi_tensorinv", xp, xp.linalg.inv, a.reshape(n, n)).reshape(cols + rows)


def _tensorsolve_plan(op, ashape, bshape, a_axes):
    """(permutation of a, x's shape) for solving tensordot(a, x, x.ndim) = b."""
    a_axes = a_axes or ()
    nd = len(ashape)
    axes = [ax % nd if -nd <= ax < nd else None for ax in a_axes]
    if None in axes or len(set(axes)) != len(axes):
        raise MXNetError(f"{op}: a_axes {tuple(a_axes)} are not distinct axes of a "
                         f"{tuple(ashape)}")
    perm = [i for i in range(nd) if i not in axes] + axes
    shape = [ashape[i] for i in perm]
    xshape = tuple(shape[len(bshape):])
    if tuple(shape[:len(bshape)]) != tuple(bshape) or _prod(xshape) != _prod(bshape):
        raise MXNetError(f"{op}: a {tuple(ashape)} (a_axes {tuple(a_axes)}) and b "
                         f"{tuple(bshape)} do not make a square system")
    return perm, xshape


@register("_npi_tensorsolve", inputs=("a", "b"),
          params={"a_axes": Param("shape", None, doc="Axes of a moved to the end first "
                                  "(None: none).")},
          infer_shape=lambda attrs, s: (s, [None if None in s else _tensorsolve_plan(
              "_npi_tensorsolve", s[0], s[1], attrs.a_axes)[1]]),
          infer_type=_float_types("_npi_tensorsolve", 2),
          gradient=lambda F, attrs, ins, outs, g: list(F._internal._backward_npi_tensorsolve(
              g[0], ins[0], ins[1], outs[0], a_axes=attrs.a_axes)))
def _npi_tensorsolve(xp, attrs, a, b):
    """x with tensordot(a, x, x.ndim) = b, after moving `a_axes` of a to the end."""
    _check_types("_npi_tensorsolve", [a.dtype.name, b.dtype.name], _LA_TYPES)
    perm, xshape = _tensorsolve_plan("_npi_tensorsolve", a.shape, b.shape, attrs.a_axes)
    n = b.size
    mat = xp.transpose(a, perm).reshape(n, n)
    return _linalg("_npi_tensorsolve", xp, xp.linalg.solve, mat, b.reshape(n)).reshape(xshape)


@register("_backward_npi_tensorsolve", inputs=("ograd", "a", "b", "x"),
          params={"a_axes": Param("shape", None)}, num_outputs=2,
          infer_shape=lambda attrs, s: (s, [s[1], s[2]]),
          infer_type=lambda attrs, t: (t, [t[1], t[2]]))
def _backward_npi_tensorsolve(xp, attrs, g, a, b, x):
    """Gradients of tensorsolve's a and b: gb = M^-T g, gM = -gb x^T, M being a as
    the square matrix the forward solved with."""
    perm, _ = _tensorsolve_plan("_backward_npi_tensorsolve", a.shape, b.shape, attrs.a_axes)
    n = b.size
    mat = xp.transpose(a, perm).reshape(n, n)
    gb = xp.linalg.solve(mat.T, g.reshape(n))
    gm = -xp.outer(gb, x.reshape(n)).reshape([a.shape[i] for i in perm])
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return xp.transpose(gm, inv).astype(a.dtype), gb.reshape(b.shape).astype(b.dtype)


# -- norm --------------------------------------------------------------------------------------

register("_npi_norm", inputs=("data",), params=NORM_PARAMS,
         infer_shape=lambda attrs, s: (s, [None if s[0] is None else norm_shape(attrs, s[0])]),
         infer_type=lambda attrs, t: (t, [t[0]]),
         gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_npi_norm(
             g[0], ins[0], outs[0], **{k: attrs[k] for k in NORM_PARAMS})],
         doc="Vector or matrix norm, as numpy.linalg.norm.")(norm_kernel)

register("_backward_npi_norm", inputs=("ograd", "data", "norm"), params=NORM_PARAMS,
         infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[1]]),
         doc="Gradient of _npi_norm.")(norm_grad)
