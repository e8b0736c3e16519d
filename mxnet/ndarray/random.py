"""``mx.nd.random``: sampling functions.

Each sampler takes its distribution parameters either as numbers (draws
``shape`` samples with ``_random_X``) or as NDArrays of one shape (draws
``shape`` samples per element with ``_sample_X``, giving ``param.shape +
shape``). The ``X_like`` functions and the other ``_random_*`` operators come
from the op registry.
"""
import numpy as _np

from ..base import MXNetError as _MXNetError, _Null, numeric_types
from ..context import current_context
from ..ops import registry as _registry
from .invoke import invoke as _invoke
from .ndarray import NDArray
from .register import _as_context, populate as _populate

__all__ = _populate(globals(), "random")
__all__ += ["uniform", "normal", "randn", "exponential", "gamma", "poisson", "negative_binomial",
            "generalized_negative_binomial", "multinomial", "shuffle", "randint"]


def _sample(name, params, shape, dtype, ctx, out, kwargs):
    """Dispatch to ``_random_<name>`` (numbers) or ``_sample_<name>`` (NDArrays).

    ``params`` is a list of (scalar-op argument name, value) in the order of the
    ``_sample_<name>`` inputs."""
    values = [v for _, v in params]
    if shape is not _Null:
        kwargs["shape"] = shape
    if dtype is not _Null:
        kwargs["dtype"] = dtype
    if all(isinstance(v, NDArray) for v in values):
        return _invoke(_registry.get("_sample_" + name), values, kwargs, out)
    if not all(isinstance(v, numeric_types) for v in values):
        raise _MXNetError(f"random.{name}: distribution parameters must be all numbers or all "
                         f"NDArrays, got {', '.join(type(v).__name__ for v in values)}")
    kwargs.update(params)
    if out is not None:
        # Without an explicit shape/dtype the samples take those of `out`, as in MXNet.
        kwargs.setdefault("shape", out.shape)
        dtype = _np.dtype(out.dtype).name
        if dtype in ("float16", "float32", "float64"):
            kwargs.setdefault("dtype", dtype)
    ctx = _as_context(ctx) or (out.context if out is not None else current_context())
    return _invoke(_registry.get("_random_" + name), [], kwargs, out, ctx)


def uniform(low=0, high=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the uniform distribution on [low, high)."""
    return _sample("uniform", [("low", low), ("high", high)], shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the normal distribution with mean ``loc`` and standard deviation ``scale``."""
    return _sample("normal", [("loc", loc), ("scale", scale)], shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Normal samples of shape ``shape`` (given as separate integers); ``loc``, ``scale``,
    ``dtype``, ``ctx`` and ``out`` are keyword arguments."""
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    return normal(loc, scale, shape, kwargs.pop("dtype", _Null), kwargs.pop("ctx", None),
                  kwargs.pop("out", None), **kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the exponential distribution with mean ``scale`` (rate 1/scale)."""
    if isinstance(scale, NDArray):
        lam = 1.0 / scale
    elif isinstance(scale, numeric_types) and scale > 0:
        lam = 1.0 / scale
    else:
        raise _MXNetError(f"random.exponential: 'scale' must be a positive number or an "
                         f"NDArray, got {scale!r}")
    return _sample("exponential", [("lam", lam)], shape, dtype, ctx, out, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``."""
    return _sample("gamma", [("alpha", alpha), ("beta", beta)], shape, dtype, ctx, out, kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the Poisson distribution with rate ``lam`` (floating-point values)."""
    return _sample("poisson", [("lam", lam)], shape, dtype, ctx, out, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples of the number of failures before the ``k``-th success in trials of success
    probability ``p``."""
    return _sample("negative_binomial", [("k", k), ("p", p)], shape, dtype, ctx, out, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=_Null, dtype=_Null, ctx=None, out=None,
                                  **kwargs):
    """Samples from the negative binomial distribution with mean ``mu`` and dispersion
    ``alpha`` (variance mu + alpha * mu**2)."""
    return _sample("generalized_negative_binomial", [("mu", mu), ("alpha", alpha)], shape,
                   dtype, ctx, out, kwargs)


def multinomial(data, shape=_Null, get_prob=False, out=None, dtype="int32", **kwargs):
    """Category indices drawn from the distributions in the last axis of ``data``;
    ``shape`` draws per distribution. With ``get_prob`` also returns the
    log-probabilities of the draws (differentiable, for REINFORCE-style training)."""
    kwargs.update(get_prob=get_prob, dtype=dtype)
    if shape is not _Null:
        kwargs["shape"] = shape
    return _invoke(_registry.get("_sample_multinomial"), [data], kwargs, out)


def shuffle(data, **kwargs):
    """A copy of ``data`` with its slices along the first axis in random order."""
    out = kwargs.pop("out", None)
    return _invoke(_registry.get("_shuffle"), [data], kwargs, out)


def randint(low, high, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Integers drawn uniformly from [low, high) (int32 unless ``dtype`` says int64)."""
    kwargs.update(low=low, high=high)
    if shape is not _Null:
        kwargs["shape"] = shape
    elif out is not None:
        kwargs["shape"] = out.shape
    if dtype is not _Null:
        kwargs["dtype"] = dtype
    return _invoke(_registry.get("_random_randint"), [], kwargs, out,
                  _as_context(ctx) or current_context())
