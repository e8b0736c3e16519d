"""Array creation functions of ``mx.nd``: zeros, ones, full, empty, arange, eye, linspace..."""
import numpy as np

from ..base import MXNetError, mx_real_t
from ..context import current_context
from ..ops import registry
from .invoke import invoke
from .register import _as_context as as_context
from .ndarray import NDArray, _from_host, array

__all__ = ["array", "zeros", "ones", "full", "empty", "arange", "eye", "linspace",
           "concatenate", "moveaxis", "from_numpy", "from_dlpack", "waitall"]


def _dtype_name(dtype, default="float32"):
    if dtype is None:
        return default
    return np.dtype(dtype).name


def _shape(shape):
    return (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)


def _create(op_name, shape, ctx, dtype, **params):
    return invoke(registry.get(op_name), [], dict(shape=_shape(shape), dtype=_dtype_name(dtype),
                                                  **params), ctx=_ctx(ctx))


def _ctx(ctx):
    """A Context from a Context, MXNet's string form ('cpu(0)') or None (current)."""
    return as_context(ctx) or current_context()


def zeros(shape, ctx=None, dtype=None, stype=None, **kwargs):
    """An array of zeros (float32 unless ``dtype`` is given); ``stype`` picks sparse storage."""
    out = _create("_zeros", shape, ctx, dtype)
    if stype not in (None, "default"):
        return out.tostype(stype)
    return out


def ones(shape, ctx=None, dtype=None, **kwargs):
    """An array of ones (float32 unless ``dtype`` is given)."""
    return _create("_ones", shape, ctx, dtype)


def full(shape, val, ctx=None, dtype=mx_real_t, out=None):
    """An array filled with ``val``; with ``out``, fills that array."""
    if out is not None:
        out[:] = val
        return out
    return _create("_full", shape, ctx, dtype, value=float(val))


def empty(shape, ctx=None, dtype=None, stype=None):
    """An uninitialised array (zero-filled here: reading it is still a bug)."""
    return zeros(shape, ctx, dtype, stype)


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=mx_real_t):
    """Evenly spaced values in ``[start, stop)``, each repeated ``repeat`` times."""
    return invoke(registry.get("_arange"), [],
                  dict(start=start, stop=stop, step=step, repeat=repeat,
                       dtype=_dtype_name(dtype)), ctx=_ctx(ctx))


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs):
    """A 2-D array with ones on diagonal ``k`` and zeros elsewhere."""
    return invoke(registry.get("_eye"), [], dict(N=N, M=M, k=k, dtype=_dtype_name(dtype)),
                  ctx=_ctx(ctx))


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=mx_real_t):
    """``num`` evenly spaced values from ``start`` to ``stop``."""
    return invoke(registry.get("_linspace"), [],
                  dict(start=start, stop=stop, num=num, endpoint=endpoint,
                       dtype=_dtype_name(dtype)), ctx=_ctx(ctx))


def concatenate(arrays, axis=0, always_copy=True):
    """Join a list of NDArrays along an existing ``axis``."""
    if not arrays:
        raise MXNetError("concatenate: needs at least one array")
    if len(arrays) == 1 and not always_copy:
        return arrays[0]
    return invoke(registry.get("Concat"), list(arrays), {"dim": axis, "num_args": len(arrays)})


def moveaxis(tensor, source, destination):
    """Move axis ``source`` of ``tensor`` to position ``destination``."""
    axes = list(range(tensor.ndim))
    try:
        src = axes.pop(source)
        axes.insert(destination % (tensor.ndim) if destination < 0 else destination, src)
    except IndexError:
        raise MXNetError(f"moveaxis: source {source} is out of range for {tensor.ndim} axes") from None
    return invoke(registry.get("transpose"), [tensor], {"axes": tuple(axes)})


def from_numpy(ndarray, zero_copy=True, array_cls=NDArray):
    """An NDArray backed by NumPy array ``ndarray`` (shared memory when ``zero_copy``
    and the array is C-contiguous)."""
    if not isinstance(ndarray, np.ndarray):
        raise MXNetError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    if zero_copy and ndarray.flags.c_contiguous:
        return _from_host(ndarray, current_context())
    return _from_host(np.array(ndarray), current_context())


def from_dlpack(dlpack):
    """An NDArray sharing memory with a DLPack-capable object (e.g. a torch tensor)."""
    return _from_host(np.from_dlpack(dlpack), current_context())


def waitall():
    """Wait for all pending work (on GPUs too); raises the first unseen error
    as MXNetError."""
    from .. import engine
    from ..device import synchronize_all
    engine.waitall()
    synchronize_all()

