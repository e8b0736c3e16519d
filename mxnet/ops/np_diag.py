"""``_np_*``/``_npi_*`` diagonal and triangle operators of ``mx.np``: diag, diagflat,
diagonal, trace, tril, diag_indices_from.

Every diagonal read (diag of a matrix, diagonal, trace) has the same gradient:
the output gradient written onto the diagonal of zeros shaped like the input,
which ``_backward_np_diagonal`` does (and whose own gradient reads the diagonal
again, so higher orders work).
"""
import math

from ..base import MXNetError
from .params import Param
from .registry import register
from .shape import first_type, norm_axis, unary_shape

_DIAGONAL_PARAMS = {"offset": Param("int", 0, "Diagonal: > 0 above the main one, < 0 below."),
                    "axis1": Param("int", 0, "First axis of the 2-d planes."),
                    "axis2": Param("int", 1, "Second axis of the 2-d planes.")}


def diagonal_plan(op, offset, axis1, axis2, shape):
    """(axis1, axis2, diagonal length, output shape) of reading diagonal ``offset``
    of the planes (axis1, axis2) of an array of ``shape``."""
    if len(shape) < 2:
        raise MXNetError(f"{op}: the input must have at least 2 dimensions, got shape {shape}")
    a1 = norm_axis(op, axis1, len(shape), "axis1")
    a2 = norm_axis(op, axis2, len(shape), "axis2")
    if a1 == a2:
        raise MXNetError(f"{op}: arguments 'axis1' and 'axis2' name the same axis ({a1})")
    n1, n2 = shape[a1], shape[a2]
    length = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    rest = tuple(d for i, d in enumerate(shape) if i not in (a1, a2))
    return a1, a2, length, rest + (length,)


def _read_diagonal(xp, data, offset, a1, a2):
    return xp.ascontiguousarray(xp.diagonal(data, offset, a1, a2)).copy()


def _diagonal_attrs(attrs):
    return attrs.offset, attrs.axis1, attrs.axis2


def _write_diagonal(xp, grad, like_shape, offset, a1, a2):
    """Zeros of ``like_shape`` with ``grad`` (laid out as ``diagonal`` returns it)
    on diagonal ``offset`` of the planes (a1, a2)."""
    out = xp.zeros(like_shape, dtype=grad.dtype)
    view = xp.moveaxis(out, (a1, a2), (-2, -1))
    n = grad.shape[-1]
    rows = xp.arange(n) + max(0, -offset)
    cols = xp.arange(n) + max(0, offset)
    view[..., rows, cols] = grad
    return out


def _grad_diagonal(F, attrs, ins, outs, g):
    offset, axis1, axis2 = _diagonal_attrs(attrs)
    return [F._internal._backward_np_diagonal(g[0], ins[0], offset=offset, axis1=axis1,
                                              axis2=axis2)]


@register("_np_diagonal", params=_DIAGONAL_PARAMS, infer_type=first_type,
          infer_shape=unary_shape(lambda attrs, s: diagonal_plan(
              "_np_diagonal", *_diagonal_attrs(attrs), s)[3]),
          gradient=_grad_diagonal)
def _np_diagonal(xp, attrs, data):
    """Diagonal `offset` of the planes (axis1, axis2), as the last axis of the result."""
    a1, a2, _, _ = diagonal_plan("_np_diagonal", *_diagonal_attrs(attrs), data.shape)
    return _read_diagonal(xp, data, attrs.offset, a1, a2)


@register("_backward_np_diagonal", inputs=("grad", "like"), params=_DIAGONAL_PARAMS,
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._np_diagonal(
              g[0], offset=attrs.offset, axis1=attrs.axis1, axis2=attrs.axis2), None])
def _backward_np_diagonal(xp, attrs, grad, like):
    """Zeros shaped like `like` with `grad` written on the diagonal that `_np_diagonal`
    reads with the same arguments (the gradient of every diagonal read)."""
    a1, a2, _, _ = diagonal_plan("_np_diagonal", *_diagonal_attrs(attrs), like.shape)
    return _write_diagonal(xp, grad, like.shape, attrs.offset, a1, a2)


def _trace_shape(attrs, shape):
    return diagonal_plan("_np_trace", *_diagonal_attrs(attrs), shape)[3][:-1]


def _grad_trace(F, attrs, ins, outs, g):
    shape = ins[0].shape
    diag_shape = diagonal_plan("_np_trace", *_diagonal_attrs(attrs), shape)[3]
    column = F._internal._np_reshape(g[0], newshape=diag_shape[:-1] + (1,))
    spread = F._internal._npi_broadcast_to(column, shape=diag_shape)
    return [F._internal._backward_np_diagonal(spread, ins[0], offset=attrs.offset,
                                              axis1=attrs.axis1, axis2=attrs.axis2)]


@register("_np_trace", params=_DIAGONAL_PARAMS, infer_type=first_type,
          infer_shape=unary_shape(_trace_shape), gradient=_grad_trace)
def _np_trace(xp, attrs, data):
    """Sum of diagonal `offset` of the planes (axis1, axis2)."""
    a1, a2, _, _ = diagonal_plan("_np_trace", *_diagonal_attrs(attrs), data.shape)
    return xp.asarray(_read_diagonal(xp, data, attrs.offset, a1, a2).sum(axis=-1),
                      dtype=data.dtype)


# -- diag / diagflat ---------------------------------------------------------------------------
def _diag_shape(attrs, shape):
    if len(shape) == 1:
        n = shape[0] + abs(attrs.k)
        return (n, n)
    if len(shape) == 2:
        return diagonal_plan("_np_diag", attrs.k, 0, 1, shape)[3]
    raise MXNetError(f"_np_diag: the input must be 1-d or 2-d, got shape {shape}")


def _grad_diag(F, attrs, ins, outs, g):
    if ins[0].ndim == 1:
        return [F._internal._np_diagonal(g[0], offset=attrs.k)]
    return [F._internal._backward_np_diagonal(g[0], ins[0], offset=attrs.k)]


_K = {"k": Param("int", 0, "Diagonal: > 0 above the main one, < 0 below.")}


@register("_np_diag", params=_K, infer_shape=unary_shape(_diag_shape), infer_type=first_type,
          gradient=_grad_diag)
def _np_diag(xp, attrs, data):
    """A 2-d input's diagonal `k`, or a square matrix with a 1-d input on diagonal `k`."""
    shape = _diag_shape(attrs, data.shape)
    if data.ndim == 2:
        return _read_diagonal(xp, data, attrs.k, 0, 1)
    return _write_diagonal(xp, data, shape, attrs.k, 0, 1)


def _diagflat_shape(attrs, shape):
    n = math.prod(shape) + abs(attrs.k)
    return (n, n)


@register("_np_diagflat", params=_K, infer_shape=unary_shape(_diagflat_shape),
          infer_type=first_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._np_reshape(
              F._internal._np_diagonal(g[0], offset=attrs.k), newshape=ins[0].shape)])
def _np_diagflat(xp, attrs, data):
    """A square matrix with the flattened input on diagonal `k`."""
    return _write_diagonal(xp, data.reshape(-1), _diagflat_shape(attrs, data.shape), attrs.k,
                           0, 1)


# -- tril / diag_indices_from ------------------------------------------------------------------
def _tril_shape(attrs, shape):
    if len(shape) == 0:
        raise MXNetError("_npi_tril: the input must have at least 1 dimension, got a 0-d array")
    return (shape[0], shape[0]) if len(shape) == 1 else tuple(shape)


def _grad_tril(F, attrs, ins, outs, g):
    masked = F._internal._npi_tril(g[0], k=attrs.k)
    return [F.sum(masked, axis=0) if ins[0].ndim == 1 else masked]


@register("_npi_tril", params={"k": Param("int", 0, "Last diagonal kept: > 0 above the "
                                                    "main one, < 0 below.")},
          infer_shape=unary_shape(_tril_shape), infer_type=first_type, gradient=_grad_tril)
def _npi_tril(xp, attrs, data):
    """The lower triangle of the last two axes (above diagonal `k` zeroed); a 1-d input
    is the row of a square matrix repeated."""
    shape = _tril_shape(attrs, data.shape)
    rows, cols = shape[-2:]
    keep = xp.arange(cols)[None, :] <= xp.arange(rows)[:, None] + attrs.k
    return xp.where(keep, xp.broadcast_to(data, shape), xp.zeros((), dtype=data.dtype))


def _diag_indices_shape(attrs, shape):
    if len(shape) < 2 or len(set(shape)) != 1:
        raise MXNetError(f"_npi_diag_indices_from: the input must have at least 2 dimensions, "
                         f"all of the same length, got shape {shape}")
    return (len(shape), shape[0])


@register("_npi_diag_indices_from", infer_shape=unary_shape(_diag_indices_shape),
          infer_type=lambda attrs, t: (t, ["int64"]))
def _npi_diag_indices_from(xp, attrs, data):
    """Row i holds the index along axis i of each element of the main diagonal."""
    ndim, n = _diag_indices_shape(attrs, data.shape)
    return xp.broadcast_to(xp.arange(n, dtype="int64"), (ndim, n)).copy()
