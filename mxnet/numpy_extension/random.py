"""``mx.npx.random``: MXNet's extra samplers for ``mx.np`` code.

``bernoulli`` draws 0/1 samples from a probability or a logit (a number or
an array); ``uniform_n``/``normal_n`` put a batch shape before the
parameters' broadcast shape (``normal_n(loc, scale, batch_shape=(5,))`` of
(3,) parameters has shape (5, 3)) and are differentiable in array
parameters like ``mx.np.random``'s samplers; ``seed`` seeds the generators.
"""
import numbers

from .. import random as _mx_random
from ..base import MXNetError
from ..context import Context
from ..ndarray.ndarray import NDArray
from ..numpy._op import call

__all__ = ["seed", "bernoulli", "uniform_n", "normal_n"]


def seed(seed, ctx="all"):  # noqa: A002 -- MXNet's parameter name
    """Seed the random generators of ``ctx`` (every device by default)."""
    _mx_random.seed(seed, ctx)


def _shape(fn, size):
    if size is None:
        return None
    if isinstance(size, numbers.Integral):
        return (int(size),)
    try:
        return tuple(int(d) for d in size)
    except TypeError:
        raise MXNetError(f"npx.random.{fn}: expected a shape, got {size!r}") from None


def _sample(op, fn, params, size, dtype, ctx, out=None, **attrs):
    """Run sampler ``op``: each (name, value) parameter is a number (an
    attribute) or an array (an input, its attribute None)."""
    attrs["size"] = size
    attrs["dtype"] = dtype or "float32"
    inputs = []
    for name, value in params:
        if isinstance(value, NDArray):
            attrs[name] = None
            inputs.append(value)
        elif isinstance(value, numbers.Real):
            attrs[name] = float(value)
        else:
            raise MXNetError(f"npx.random.{fn}: '{name}' must be a number or an "
                             f"mx.np.ndarray, got {type(value).__name__}")
    if ctx is not None and not isinstance(ctx, Context):
        raise MXNetError(f"npx.random.{fn}: ctx must be a Context, got {ctx!r}")
    return call(op, inputs, attrs, out=out, ctx=None if inputs else ctx)


def bernoulli(prob=None, logit=None, size=None, dtype=None, ctx=None, out=None):
    """Samples that are 1 with probability ``prob`` (or ``sigmoid(logit)``),
    else 0; exactly one of the two is given, as a number in [0, 1] (any real
    for ``logit``) or an ``mx.np.ndarray``. ``dtype`` defaults to float32."""
    if (prob is None) == (logit is None):
        raise ValueError("Either `prob` or `logit` must be specified, but not both. "
                         f"Received prob={prob}, logit={logit}")
    if logit is not None:
        params = [("logit", logit), ("prob", None)]
    else:
        params = [("prob", prob), ("logit", None)]
    return _sample("_npi_bernoulli", "bernoulli", params[:1], _shape("bernoulli", size), dtype,
                   ctx, out, is_logit=logit is not None, **{params[1][0]: None})


def uniform_n(low=0.0, high=1.0, batch_shape=None, dtype=None, ctx=None):
    """Uniform samples on [low, high) of shape ``batch_shape`` followed by
    the broadcast shape of ``low`` and ``high``."""
    return _sample("_npi_uniform_n", "uniform_n", [("low", low), ("high", high)],
                   _shape("uniform_n", batch_shape), dtype, ctx)


def normal_n(loc=0.0, scale=1.0, batch_shape=None, dtype=None, ctx=None):
    """Normal samples of shape ``batch_shape`` followed by the broadcast shape
    of ``loc`` and ``scale``."""
    return _sample("_npi_normal_n", "normal_n", [("loc", loc), ("scale", scale)],
                   _shape("normal_n", batch_shape), dtype, ctx)
