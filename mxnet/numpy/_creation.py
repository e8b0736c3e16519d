"""``mx.np`` array creation (array, zeros, arange, eye, linspace, *_like...).

Every function makes its result with an ``_npi_*`` creation operator (see
``ops/np_init.py``), except ``array``, which copies host data in, and the
``*_indices_from`` helpers, which depend only on a shape. Dtypes default to
float32 as in MXNet (``np.array([1, 2])`` and ``np.arange(3)`` are float32);
``ctx`` is a Context, a string like ``'cpu(0)'`` or None for the current one.
"""
import numpy as onp

from ..base import MXNetError
from ..context import Context, current_context
from ..ndarray.ndarray import NDArray
from ._args import array_arg as _array_arg
from ._args import from_host as _from_array
from ._op import call
from .multiarray import as_np, ndarray

__all__ = ["array", "empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like",
           "full_like", "arange", "eye", "identity", "linspace", "logspace", "indices",
           "meshgrid", "tril", "tril_indices_from", "triu_indices_from", "diag_indices_from",
           "hanning", "hamming", "blackman", "genfromtxt"]

# The dtypes an mx.np array can hold.
_SUPPORTED = frozenset(("bool", "float16", "float32", "float64", "int8", "int32", "int64",
                        "uint8"))


def _context(ctx):
    if ctx is None:
        return current_context()
    if isinstance(ctx, Context):
        return ctx
    if isinstance(ctx, str) and ctx.endswith(")") and "(" in ctx:
        kind, _, num = ctx[:-1].partition("(")
        return Context(kind.strip(), int(num))
    if isinstance(ctx, str) and ctx.strip():
        return Context(ctx.strip())
    raise MXNetError(f"ctx: expected a Context or a string like 'cpu(0)', got {ctx!r}")


def _dtype_name(dtype, default="float32"):
    """Canonical name of a supported dtype (``default`` for None)."""
    if dtype is None:
        return default
    try:
        name = onp.dtype(dtype).name
    except TypeError:
        raise MXNetError(f"dtype: {dtype!r} is not a data type") from None
    if name not in _SUPPORTED:
        raise MXNetError(f"dtype: {name} is not supported by mx.np arrays (expected one of "
                         f"{', '.join(sorted(_SUPPORTED))})")
    return name


def _shape(shape):
    if isinstance(shape, (int, onp.integer)) and not isinstance(shape, bool):
        return (int(shape),)
    if isinstance(shape, (tuple, list)) and all(
            isinstance(d, (int, onp.integer)) and not isinstance(d, bool) for d in shape):
        return tuple(int(d) for d in shape)
    raise MXNetError(f"shape: expected an int or a tuple of ints, got {shape!r}")


def _check_order(order):
    if order != "C":
        raise NotImplementedError(f"order={order!r}: only C order ('C') is supported")


def _create(op_name, ctx, out=None, **attrs):
    return call(op_name, (), attrs, out=out, ctx=_context(ctx))


# -- from data --------------------------------------------------------------------------------
def array(object, dtype=None, ctx=None):  # noqa: A002 -- NumPy's parameter name
    """A new ``mx.np.ndarray`` holding a copy of ``object``.

    ``object`` is a nested sequence, a scalar, a NumPy array or scalar, or an
    ``mx.np.ndarray``. Without ``dtype``, NumPy arrays and scalars and
    ``mx.np`` arrays keep their dtype; Python lists and numbers become float32
    (bools too). Copying an ``mx.np`` array is recorded by autograd. A legacy
    ``mx.nd.NDArray`` is refused (use its zero-copy ``as_np_ndarray``).
    """
    ctx = _context(ctx)
    if isinstance(object, NDArray):
        if not isinstance(object, ndarray):
            raise ValueError("array: got a legacy mx.nd.NDArray; convert it without a copy "
                             "with its as_np_ndarray() method")
        out = as_np(object.copyto(ctx))
        name = _dtype_name(dtype, object.dtype.name)
        return out if name == out.dtype.name else call("Cast", [out], {"dtype": name})
    if dtype is None:
        keeps_dtype = isinstance(object, (onp.ndarray, onp.generic))
        name = _dtype_name(object.dtype if keeps_dtype else None)
    else:
        name = _dtype_name(dtype)
    return _from_array(object, ctx, name)


def genfromtxt(*args, **kwargs):
    """An array of the data in a text file (NumPy's ``genfromtxt`` reads it on the
    host, with all its arguments; the result keeps NumPy's dtype)."""
    return array(onp.genfromtxt(*args, **kwargs))


# -- filled arrays ----------------------------------------------------------------------------
def zeros(shape, dtype=None, order="C", ctx=None):
    """An array of zeros of ``shape`` (``()`` makes a 0-d array); float32 by default."""
    _check_order(order)
    return _create("_npi_zeros", ctx, shape=_shape(shape), dtype=_dtype_name(dtype))


def ones(shape, dtype=onp.float32, order="C", ctx=None):
    """An array of ones of ``shape``; float32 by default."""
    _check_order(order)
    return _create("_npi_ones", ctx, shape=_shape(shape), dtype=_dtype_name(dtype))


def empty(shape, dtype=onp.float32, order="C", ctx=None):
    """An array of ``shape`` whose values are not to be relied on (zeros here)."""
    return zeros(shape, dtype, order, ctx)


def full(shape, fill_value, dtype=None, order="C", ctx=None, out=None):
    """An array of ``shape`` filled with ``fill_value``.

    A scalar fill gives float32 (bool for a bool fill) unless ``dtype`` says
    otherwise; an ``mx.np`` array fill is broadcast to ``shape`` and keeps
    its dtype.
    """
    _check_order(order)
    if isinstance(fill_value, NDArray):
        from ._shape import broadcast_to
        res = broadcast_to(fill_value, _shape(shape))
        if dtype is not None and _dtype_name(dtype) != res.dtype.name:
            res = call("Cast", [res], {"dtype": _dtype_name(dtype)})
        if out is not None:
            return call("_copyto", [res], out=out)
        return res
    default = "bool" if isinstance(fill_value, (bool, onp.bool_)) else "float32"
    return _create("_npi_full", ctx, out, shape=_shape(shape),
                   value=_number(fill_value, "fill_value"), dtype=_dtype_name(dtype, default))


def full_like(a, fill_value, dtype=None, order="C", ctx=None, out=None):
    """An array shaped like ``a`` filled with ``fill_value`` (a's dtype unless ``dtype``)."""
    _check_order(order)
    dtype = None if dtype is None else _dtype_name(dtype)
    res = call("_npi_full_like", [_array_arg(a, "full_like")],
               {"fill_value": _number(fill_value, "fill_value"), "dtype": dtype}, out=out)
    return res if ctx is None or res.ctx == _context(ctx) else as_np(res.copyto(_context(ctx)))


def zeros_like(a, dtype=None, order="C", ctx=None, out=None):
    """An array of zeros with the shape (and, unless ``dtype``, the dtype) of ``a``."""
    return full_like(a, 0, dtype, order, ctx, out)


def ones_like(a, dtype=None, order="C", ctx=None, out=None):
    """An array of ones with the shape (and, unless ``dtype``, the dtype) of ``a``."""
    return full_like(a, 1, dtype, order, ctx, out)


def empty_like(prototype, dtype=None, order="C", subok=False, shape=None):
    """An array like ``prototype`` (its dtype unless ``dtype``; its shape unless
    ``shape``) whose values are not to be relied on (zeros here)."""
    if subok:
        raise NotImplementedError("empty_like: subok=True is not supported")
    proto = _array_arg(prototype, "empty_like", "prototype")
    if shape is not None:
        return zeros(shape, dtype or proto.dtype, order, proto.ctx)
    return full_like(proto, 0, dtype, order)


# -- ranges and grids -------------------------------------------------------------------------
def arange(start, stop=None, step=1, dtype=None, ctx=None):
    """Values from ``start`` (0 when only one bound is given) up to, not including,
    ``stop`` in increments of ``step``; float32 unless ``dtype``."""
    start, stop = (_number(start, "start"), None if stop is None else _number(stop, "stop"))
    return _create("_npi_arange", ctx, start=start, stop=stop, step=_number(step, "step"),
                   dtype=_dtype_name(dtype))


def _number(value, name):
    """A Python float from a number or a one-element array (given as a bound)."""
    if isinstance(value, NDArray):
        value = value.asnumpy()
    try:
        return float(value)
    except (TypeError, ValueError):
        raise MXNetError(f"argument '{name}' expects a number, got {value!r}") from None


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, ctx=None):
    """``num`` evenly spaced samples from ``start`` to ``stop`` (the last one
    included when ``endpoint``); with ``retstep``, also the spacing."""
    if axis != 0:
        raise NotImplementedError("linspace: only axis=0 is supported (scalar bounds)")
    start, stop = _number(start, "start"), _number(stop, "stop")
    res = _create("_npi_linspace", ctx, start=start, stop=stop, num=int(num),
                  endpoint=endpoint, dtype=_dtype_name(dtype))
    if not retstep:
        return res
    div = (num - 1) if endpoint else num
    return res, (stop - start) / div if div > 0 else float("nan")


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0, ctx=None):
    """``num`` samples ``base ** e`` with exponents ``e`` evenly spaced from
    ``start`` to ``stop``."""
    if axis != 0:
        raise NotImplementedError("logspace: only axis=0 is supported (scalar bounds)")
    return _create("_npi_logspace", ctx, start=_number(start, "start"),
                   stop=_number(stop, "stop"), num=int(num), endpoint=endpoint,
                   base=_number(base, "base"), dtype=_dtype_name(dtype))


def eye(N, M=None, k=0, dtype=onp.float32, **kwargs):
    """A 2-d array of N rows and M (default N) columns with ones on diagonal ``k``;
    ``ctx`` may be given as a keyword."""
    ctx = kwargs.pop("ctx", None)
    if kwargs:
        raise TypeError(f"eye: unexpected arguments {sorted(kwargs)}")
    return _create("_npi_eye", ctx, N=N, M=M, k=k, dtype=_dtype_name(dtype))


def identity(n, dtype=None, ctx=None):
    """The n x n identity matrix."""
    return _create("_npi_identity", ctx, shape=(n, n), dtype=_dtype_name(dtype))


def indices(dimensions, dtype=onp.int32, ctx=None):
    """The index grid of shape ``(len(dimensions),) + dimensions``: entry ``i`` holds
    each element's index along axis ``i``; int32 by default."""
    return _create("_npi_indices", ctx, dimensions=_shape(dimensions),
                   dtype=_dtype_name(dtype, "int32"))


def meshgrid(*xi, **kwargs):
    """Coordinate arrays from 1-d coordinate vectors: with ``indexing='xy'``
    (default) the first two output axes are swapped, as for plotting; ``'ij'``
    keeps matrix order. ``sparse=True`` returns arrays that broadcast instead of
    full grids. Each output keeps its input's dtype; gradients flow back."""
    from ._shape import broadcast_to, reshape
    indexing = kwargs.pop("indexing", "xy")
    sparse = kwargs.pop("sparse", False)
    kwargs.pop("copy", None)  # the outputs are new arrays either way
    if kwargs:
        raise TypeError(f"meshgrid: unexpected arguments {sorted(kwargs)}")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    ndim = len(xi)
    sizes = [x.size for x in xi]
    if indexing == "xy" and ndim > 1:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(xi):
        axis = (1 - i if i < 2 else i) if indexing == "xy" and ndim > 1 else i
        shape = [1] * ndim
        shape[axis] = x.size
        grid = reshape(x, tuple(shape))
        out.append(grid if sparse else broadcast_to(grid, tuple(sizes)))
    return out


# -- triangles and diagonals ------------------------------------------------------------------
def tril(m, k=0):
    """A copy of ``m`` with the elements above diagonal ``k`` zeroed (over the last
    two axes; a 1-d input is taken as the rows of a square matrix)."""
    return call("_npi_tril", [_array_arg(m, "tril", "m")], {"k": k})


def _index_arrays(rows, ctx):
    return tuple(_from_array(onp.ascontiguousarray(r), ctx, onp.int64) for r in rows)


def _square_2d(arr, fname):
    if _array_arg(arr, fname, "arr").ndim != 2:
        raise ValueError(f"{fname}: input array must be 2-d, got {arr.ndim}-d")
    return arr.shape


def tril_indices_from(arr, k=0):
    """(row, column) int64 indices of the lower triangle of 2-d ``arr`` (diagonal ``k``)."""
    n, m = _square_2d(arr, "tril_indices_from")
    return _index_arrays(onp.tril_indices(n, k, m), arr.ctx)


def triu_indices_from(arr, k=0):
    """(row, column) int64 indices of the upper triangle of 2-d ``arr`` (diagonal ``k``)."""
    n, m = _square_2d(arr, "triu_indices_from")
    return _index_arrays(onp.triu_indices(n, k, m), arr.ctx)


def diag_indices_from(arr):
    """Indices of the main diagonal of ``arr`` (every axis the same length): one
    int64 array per axis."""
    res = call("_npi_diag_indices_from", [_array_arg(arr, "diag_indices_from", "arr")])
    return tuple(call("_npi_split", [res], {"indices": (0,) + tuple(range(1, res.shape[0])),
                                            "axis": 0, "squeeze_axis": True}))


# -- window functions -------------------------------------------------------------------------
def hanning(M, dtype=onp.float32, ctx=None):
    """The Hann window of ``M`` points (empty when ``M`` <= 0)."""
    return _create("_npi_hanning", ctx, M=int(M), dtype=_dtype_name(dtype))


def hamming(M, dtype=onp.float32, ctx=None):
    """The Hamming window of ``M`` points (empty when ``M`` <= 0)."""
    return _create("_npi_hamming", ctx, M=int(M), dtype=_dtype_name(dtype))


def blackman(M, dtype=onp.float32, ctx=None):
    """The Blackman window of ``M`` points (empty when ``M`` <= 0)."""
    return _create("_npi_blackman", ctx, M=int(M), dtype=_dtype_name(dtype))
