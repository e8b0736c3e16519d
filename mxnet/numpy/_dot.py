"""``mx.np`` products (dot, matmul, tensordot, einsum, inner, outer, vdot).

Each runs one operator (``_np_dot``, ``_npi_matmul``, ``_npi_tensordot``,
``_npi_einsum``), so autograd differentiates it. As in MXNet 1.9.1 the
operands must be arrays of one floating-point dtype (einsum also accepts
integers); NumPy's shape rules apply.
"""
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ._op import call

__all__ = ["dot", "matmul", "tensordot", "einsum", "inner", "outer", "vdot"]


def _is_array(x):
    if isinstance(x, NDArray):  # the common case first: no import
        return True
    from ..symbol.symbol import Symbol  # hybridized blocks pass symbols
    return isinstance(x, Symbol)


def _arrays(fn, a, b):
    for name, x in (("a", a), ("b", b)):
        if not _is_array(x):
            raise MXNetError(f"{fn}: argument '{name}' must be an mx.np.ndarray, got "
                             f"{type(x).__name__}")


def dot(a, b, out=None):
    """Dot product of two arrays, as ``numpy.dot``: a 0-d operand multiplies,
    two vectors give their inner product, otherwise the last axis of ``a`` is
    summed with the only (1-d) or second-to-last axis of ``b``."""
    _arrays("dot", a, b)
    return call("_np_dot", (a, b), out=out)


def matmul(a, b, out=None, **kwargs):
    """Matrix product over the last two axes with the leading axes broadcast,
    as ``numpy.matmul`` (``a @ b``); a 1-d operand acts as a vector. 0-d
    operands are refused."""
    _arrays("matmul", a, b)
    if kwargs:
        raise MXNetError(f"matmul: unsupported arguments {sorted(kwargs)}")
    return call("_npi_matmul", (a, b), out=out)


def tensordot(a, b, axes=2):
    """Sum of products over chosen axes: an int ``axes`` pairs the last
    ``axes`` axes of ``a`` with the first of ``b``; a pair of sequences names
    the axes of each. The result has ``a``'s remaining axes, then ``b``'s."""
    _arrays("tensordot", a, b)
    if isinstance(axes, int):
        return call("_npi_tensordot_int_axes", (a, b), {"axes": axes})
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise MXNetError(f"tensordot: axes must be an int or a pair of axis sequences, got "
                         f"{axes!r}") from None
    a_axes = (a_axes,) if isinstance(a_axes, int) else tuple(a_axes)
    b_axes = (b_axes,) if isinstance(b_axes, int) else tuple(b_axes)
    return call("_npi_tensordot", (a, b), {"a_axes_summed": a_axes, "b_axes_summed": b_axes})


def inner(a, b):
    """Inner product over the last axes of ``a`` and ``b`` (a 0-d operand
    multiplies the other)."""
    _arrays("inner", a, b)
    if getattr(a, "ndim", None) == 0 or getattr(b, "ndim", None) == 0:
        return call("_np_dot", (a, b))
    return call("_npi_tensordot", (a, b), {"a_axes_summed": (-1,), "b_axes_summed": (-1,)})


def _flat(x):
    return call("_np_reshape", (x,), {"newshape": (-1,)})


def outer(a, b):
    """Outer product of the flattened operands: shape ``(a.size, b.size)``."""
    _arrays("outer", a, b)
    return call("_npi_tensordot_int_axes", (_flat(a), _flat(b)), {"axes": 0})


def vdot(a, b):
    """Dot product of the flattened operands (equal sizes), a 0-d array."""
    _arrays("vdot", a, b)
    return call("_npi_tensordot_int_axes", (_flat(a), _flat(b)), {"axes": 1})


def einsum(*operands, **kwargs):
    """Einstein summation as ``numpy.einsum(subscripts, *operands)``:
    explicit (``'ij,jk->ik'``) or implicit (``'ij,jk'``) output, ``...`` for
    broadcast axes, repeated letters for diagonals. ``optimize=True`` lets the
    kernel choose a contraction order; ``out=`` receives the result."""
    out = kwargs.pop("out", None)
    optimize = kwargs.pop("optimize", False)
    if kwargs:
        raise MXNetError(f"einsum: unsupported arguments {sorted(kwargs)}")
    if not operands or not isinstance(operands[0], str):
        raise MXNetError("einsum: the first argument must be the subscripts string")
    subscripts, arrays = operands[0], operands[1:]
    for i, x in enumerate(arrays):
        if not _is_array(x):
            raise MXNetError(f"einsum: operand {i} must be an mx.np.ndarray, got "
                             f"{type(x).__name__}")
    attrs = {"subscripts": subscripts, "num_args": len(arrays),
             "optimize": int(bool(optimize))}
    return call("_npi_einsum", arrays, attrs, out=out)
