"""Symbol creation helpers of ``mx.sym`` (zeros, ones, full, arange...) and
binary helpers accepting numbers (``pow``, ``maximum``...)."""
import numpy as np

from ..base import numeric_types
from .register import create
from .symbol import Symbol

__all__ = ["zeros", "ones", "full", "arange", "linspace", "eye", "pow", "power", "maximum",
           "minimum", "hypot", "split_v2"]


def _dtype(dtype, default="float32"):
    return default if dtype is None else np.dtype(dtype).name


def _filled(op_name, shape, dtype, kwargs, **params):
    # name= and attributes (e.g. __layout__) go on the node, as in MXNet; a 0 in
    # the shape is an unknown dimension, filled by shape inference.
    name = kwargs.pop("name", None)
    attr = {k: str(v) for k, v in kwargs.items() if k.startswith("__")}
    params.update({k: v for k, v in kwargs.items() if not k.startswith("__")})
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (int(shape),)
    return create(op_name, [], dict(shape=shape, dtype=_dtype(dtype), **params), name=name,
                  attr=attr or None)


def zeros(shape, dtype=None, **kwargs):
    """A symbol of zeros with ``shape``."""
    return _filled("_zeros", shape, dtype, kwargs)


def ones(shape, dtype=None, **kwargs):
    """A symbol of ones with ``shape``."""
    return _filled("_ones", shape, dtype, kwargs)


def full(shape, val, dtype=None, **kwargs):
    """A symbol filled with ``val``."""
    return _filled("_full", shape, dtype, kwargs, value=float(val))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    """Evenly spaced values in [start, stop)."""
    return create("_arange", [], dict(start=start, stop=stop, step=step, repeat=repeat,
                                      infer_range=infer_range, dtype=_dtype(dtype)), name=name)


def linspace(start, stop, num, endpoint=True, name=None, dtype=None):
    """``num`` evenly spaced values from start to stop."""
    return create("_linspace", [], dict(start=start, stop=stop, num=num, endpoint=endpoint,
                                        dtype=_dtype(dtype)), name=name)


def eye(N, M=0, k=0, dtype=None, **kwargs):
    """Ones on diagonal ``k`` of an N x M matrix."""
    return create("_eye", [], dict(N=N, M=M, k=k, dtype=_dtype(dtype), **kwargs))


def _binary(tensor_op, scalar_op, rscalar_op, on_numbers):
    """A binary front end taking Symbols or numbers: Symbol with Symbol is
    ``tensor_op``, with a number one of the scalar ops, and two numbers give
    ``on_numbers(left, right)``, a number, as in MXNet."""
    def apply(left, right):
        if isinstance(left, Symbol) and isinstance(right, Symbol):
            return create(tensor_op, [left, right], {})
        if isinstance(left, Symbol) and isinstance(right, numeric_types):
            return create(scalar_op, [left], {"scalar": right})
        if isinstance(right, Symbol) and isinstance(left, numeric_types):
            return create(rscalar_op, [right], {"scalar": left})
        if isinstance(left, numeric_types) and isinstance(right, numeric_types):
            return on_numbers(left, right)
        raise TypeError(f"{tensor_op}: expected Symbols or numbers, got "
                        f"{type(left).__name__} and {type(right).__name__}")
    return apply


_pow = _binary("_Power", "_PowerScalar", "_RPowerScalar", lambda a, b: a ** b)


def pow(base, exp):
    """``base ** exp`` elementwise; either may be a number."""
    return _pow(base, exp)


maximum = _binary("_Maximum", "_MaximumScalar", "_MaximumScalar", max)
minimum = _binary("_Minimum", "_MinimumScalar", "_MinimumScalar", min)
hypot = _binary("_Hypot", "_HypotScalar", "_HypotScalar", lambda a, b: float(np.hypot(a, b)))
power = pow


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False):
    """Split like ``numpy.split``: an int gives equal parts, a tuple the split points."""
    return ary.split_v2(indices_or_sections, axis, squeeze_axis)
