"""``_npi_norm``'s kernel, shape rule and gradient kernel (declared in np_linalg).

``ord`` is numeric (``inf`` included); the other orders travel in ``flag``
as MXNet 1.9.1 writes them: -2 the default (``ord=None``), 1 'fro', 2 'nuc',
-1 the numeric ``ord``. The codes of MXNet's parameter doc (0 None, 3 inf,
4 -inf) are read too. Vector norms reduce one axis, matrix norms two, as
``numpy.linalg.norm``.
"""
import math

import numpy as np

from ..base import MXNetError
from .params import Param
from .quiet import quiet
from .reduce import rescaled_norm

NORM_PARAMS = {
    "ord": Param("float", 2.0, doc="Numeric order of the norm (when flag is -1)."),
    "axis": Param("shape", None, doc="Axis (vector norm) or two axes (matrix norm)."),
    "keepdims": Param("bool", False, doc="Keep the reduced axes with size 1."),
    "flag": Param("int", -1, choices=(-2, -1, 0, 1, 2, 3, 4),
                  doc="Named order: -2 (or 0) default, 1 'fro', 2 'nuc', 3 inf, 4 -inf, "
                      "-1 the numeric ord."),
}

_NAMED = {-2: None, 0: None, 1: "fro", 2: "nuc", 3: math.inf, 4: -math.inf}


def norm_order(attrs):
    """The order as numpy.linalg.norm takes it."""
    return _NAMED.get(attrs.flag, attrs.ord)


def _axes(attrs, ndim):
    """Reduced axes, normalised; None for the whole array flattened."""
    if attrs.axis is None:
        return None
    axes = []
    for ax in attrs.axis:
        if not -ndim <= ax < ndim:
            raise MXNetError(f"_npi_norm: axis {ax} is out of range for {ndim} dimensions")
        axes.append(ax % ndim)
    if len(axes) not in (1, 2) or len(set(axes)) != len(axes):
        raise MXNetError(f"_npi_norm: axis must name one or two distinct axes, got "
                         f"{attrs.axis}")
    return tuple(axes)


def norm_shape(attrs, shape):
    axes = _axes(attrs, len(shape))
    reduced = range(len(shape)) if axes is None else axes
    if attrs.keepdims:
        return tuple(1 if i in reduced else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in reduced)


@quiet  # a norm overflowing to inf is inf, silently as in MXNet
def norm_kernel(xp, attrs, data):
    """Vector or matrix norm, as numpy.linalg.norm(data, ord, axis, keepdims)."""
    axes = _axes(attrs, data.ndim)
    try:
        out = rescaled_norm(xp, lambda v: xp.linalg.norm(v, norm_order(attrs), axes,
                                                          attrs.keepdims), data, axes)
    except ValueError as e:
        raise MXNetError(f"_npi_norm: {e} (ord={norm_order(attrs)!r}, axis={attrs.axis}, "
                         f"input shape {data.shape})") from None
    return xp.asarray(out).astype(data.dtype)


def _kind(attrs, ndim):
    """('all' | 'vector' | 'matrix', axes) of a norm call."""
    axes = _axes(attrs, ndim)
    order = norm_order(attrs)
    if axes is None:
        if order is None or order == "fro":
            return "all", tuple(range(ndim))
        axes = (0,) if ndim == 1 else (0, 1)
    return ("vector" if len(axes) == 1 else "matrix"), axes


def _select(xp, scores, axis, largest):
    """A 0/1 mask of the first position along ``axis`` of the largest (smallest) score."""
    pick = xp.argmax(scores, axis=axis) if largest else xp.argmin(scores, axis=axis)
    idx = xp.expand_dims(pick, axis)
    positions = xp.arange(scores.shape[axis]).reshape(
        [-1 if i == axis else 1 for i in range(scores.ndim)])
    return (positions == idx).astype(scores.dtype)


def _vector_grad(xp, x, n, p, axis):
    sign = xp.sign(x)
    if p == 1:
        return sign
    if p == 0:
        return xp.zeros_like(x)
    if math.isinf(p):
        return sign * _select(xp, xp.abs(x), axis, p > 0)
    d = sign * xp.abs(x) ** (p - 1) / n ** (p - 1)
    return xp.where(xp.isfinite(d), d, 0)  # zeros under an order below 1


def _matrix_grad(xp, x, n, order, axes):
    r, c = axes
    m = xp.moveaxis(x, (r, c), (-2, -1))
    if order in (1, -1, math.inf, -math.inf):
        # 1: largest absolute column sum (columns: the c axis); inf: rows.
        along = r if order in (1, -1) else c
        sums = xp.abs(x).sum(axis=along, keepdims=True)
        other = c if along == r else r
        return xp.sign(x) * _select(xp, sums, other, order > 0)
    u, s, vt = xp.linalg.svd(m, full_matrices=False)
    if order == "nuc":
        g = u @ vt
    else:  # +-2: the largest (smallest) singular pair
        k = 0 if order > 0 else s.shape[-1] - 1
        g = u[..., :, k:k + 1] @ vt[..., k:k + 1, :]
    return xp.moveaxis(g, (-2, -1), (r, c))


def norm_grad(xp, attrs, g, x, n):
    """Gradient of the norm of x (with output n) for output gradient g."""
    kind, axes = _kind(attrs, x.ndim)
    keep = [1 if i in axes else d for i, d in enumerate(x.shape)]
    # float32/float64 work in their own precision, float16 and integers in float32.
    work = x if x.dtype.kind == "f" and x.dtype.itemsize >= 4 else x.astype(np.float32)
    g = g.reshape(keep).astype(work.dtype, copy=False)
    n = n.reshape(keep).astype(work.dtype, copy=False)
    if bool((n == 0).any()):  # all-zero vectors: x is 0 there, and so is the (sub)gradient
        n = xp.where(n == 0, 1, n).astype(work.dtype)
    order = norm_order(attrs)
    if kind == "all" or order == "fro" or (kind == "vector" and order in (None, 2)):
        return (work * (g / n)).astype(x.dtype, copy=False)  # one pass over x
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "vector":
            d = _vector_grad(xp, work, n, order, axes[0])
        else:
            d = _matrix_grad(xp, work, n, order, axes)
    return (g * d).astype(x.dtype, copy=False)
