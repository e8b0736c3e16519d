"""``dot`` and ``batch_dot`` on oneDNN's matmul.

Transposed operands are bound as strided views of the caller's memory, so
``transpose_a``/``transpose_b`` cost no copy. These overrides exist so that
every large GEMM runs on oneDNN's thread team: with oneDNN active the BLAS
library behind NumPy is kept to one thread (see ``threads.py``), and two
thread pools never compete for the same cores. The gradients of
FullyConnected are ``dot`` calls and come here too. Products of a few rows
(matrix-vector products) run as inner products instead (``_few_rows``), or
stay on NumPy for a single row against a row-major matrix.
"""
import numpy as np

from . import library as L
from .dense import SPLIT_MAX_ROWS, run_inner_product
from .overrides import all_float32, fallback, override
from .primitive import Primitive, cache, create_pd, layout, strided_md

# Below this many multiply-adds NumPy's single-threaded GEMM is as fast as the
# oneDNN call with its fixed cost (measured on 2 vCPUs).
MIN_FLOPS = 1 << 21


def _matrix(a, transpose):
    """``a`` (a 2-D or 3-D array) with its last two axes swapped when ``transpose``."""
    return np.swapaxes(a, -1, -2) if transpose else a


def _bindable(a):
    return min(a.strides, default=1) > 0


def _few_rows(a, b):
    """``a @ b`` for a matrix ``a`` of a few rows as an inner product (the
    GEMV of oneDNN's GEMM driver, split over threads like FullyConnected's):
    oneDNN's matmul runs such products 2-3x slower (1 x 9216 @ (4096 x
    9216).T, 1 thread: 14.1 ms, as an inner product 5.5 ms, NumPy 6.6 ms;
    3 x 2048 @ 2048 x 2048: 0.79 ms, NumPy 2.3 ms). None when the inner
    product has no implementation for these layouts."""
    out = np.empty((a.shape[0], b.shape[1]), np.float32)
    return out if run_inner_product(np.ascontiguousarray(a), b.T, None, out) else None


def _run(op_name, xp, attrs, lhs, rhs):
    a, b = _matrix(lhs, attrs.transpose_a), _matrix(rhs, attrs.transpose_b)
    if a.ndim == 2 and a.shape[0] <= SPLIT_MAX_ROWS and _bindable(b):
        out = _few_rows(a, b)
        if out is not None:
            return out
    if not (_bindable(a) and _bindable(b)):
        a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    out = np.empty(a.shape[:-1] + b.shape[-1:], np.float32)
    key = ("matmul", layout(a), layout(b))

    def build():
        user = {L.ARG_SRC: strided_md(*layout(a)), L.ARG_WEIGHTS: strided_md(*layout(b)),
                L.ARG_DST: strided_md(*layout(out))}
        pd = create_pd("matmul", user[L.ARG_SRC], user[L.ARG_WEIGHTS], None, user[L.ARG_DST],
                       None)
        return Primitive(pd, user, outputs=(L.ARG_DST,))

    prim = cache.get(key, build)
    if prim is None:
        return fallback(op_name, xp, attrs, (lhs, rhs), {}, "has no matmul for this call")
    prim({L.ARG_SRC: a, L.ARG_WEIGHTS: b, L.ARG_DST: out})
    return out


def _worth_it(lhs, rhs, attrs):
    m = lhs.shape[-1] if attrs.transpose_a else lhs.shape[-2]
    k = lhs.shape[-2] if attrs.transpose_a else lhs.shape[-1]
    n = rhs.shape[-2] if attrs.transpose_b else rhs.shape[-1]
    batch = lhs.shape[0] if lhs.ndim == 3 else 1
    return batch * m * k * n >= MIN_FLOPS


def _numpy_gemv(lhs, attrs):
    """A single row times a row-major matrix, where NumPy's BLAS GEMV beats
    both oneDNN paths (1 x 9216 @ 9216 x 4096, 1 thread: 5.5 ms; 6.9 ms as
    an inner product, whose weights are then the matrix's transpose, and
    17 ms as a matmul)."""
    return (lhs.shape[1] if attrs.transpose_a else lhs.shape[0]) == 1 and not attrs.transpose_b


def _dot_supports(attrs, args):
    lhs, rhs = args
    return (lhs.ndim == 2 and rhs.ndim == 2 and all_float32(args)
            and not _numpy_gemv(lhs, attrs)
            and (rhs.shape[1] if attrs.transpose_b else rhs.shape[0])
            == (lhs.shape[0] if attrs.transpose_a else lhs.shape[1])
            and _worth_it(lhs, rhs, attrs))


def _batch_dot_supports(attrs, args):
    """Not for single rows: oneDNN's matmul runs a batch of matrix-vector
    products 2.5-3x slower than NumPy ((16, 1, 1024) @ (16, 1024, 1024), 1
    thread: 6.9 vs 2.8 ms; from 2 rows on it is the faster, 6.9 vs 8.5 ms)."""
    lhs, rhs = args
    return (lhs.ndim == 3 and rhs.ndim == 3 and all_float32(args)
            and (lhs.shape[2] if attrs.transpose_a else lhs.shape[1]) > 1
            and lhs.shape[0] == rhs.shape[0]
            and (rhs.shape[2] if attrs.transpose_b else rhs.shape[1])
            == (lhs.shape[1] if attrs.transpose_a else lhs.shape[2])
            and _worth_it(lhs, rhs, attrs))


@override("dot", _dot_supports)
def _dot(xp, attrs, lhs, rhs):
    """Matrix product of two float32 matrices on oneDNN."""
    return _run("dot", xp, attrs, lhs, rhs)


@override("batch_dot", _batch_dot_supports)
def _batch_dot(xp, attrs, lhs, rhs):
    """Batched matrix product of two float32 3-D arrays on oneDNN."""
    return _run("batch_dot", xp, attrs, lhs, rhs)
