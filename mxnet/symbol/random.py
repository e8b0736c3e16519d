"""``mx.sym.random``: sampling functions.

As in MXNet, each sampler takes its distribution parameters either as
numbers (a ``_random_X`` node drawing ``shape`` samples) or as Symbols (a
``_sample_X`` node drawing ``shape`` samples per element of the
parameters); nodes are named after those operators (``_random_uniform0``).
The ``X_like`` functions and the other ``_random_*`` operators come from
the op registry, named after their short name (``uniform_like0``).
"""
from ..base import MXNetError as _MXNetError, _Null, numeric_types as _numeric_types
from . import _internal
from .register import populate as _populate
from .symbol import Symbol as _Symbol

__all__ = _populate(globals(), "random")
__all__ += ["uniform", "normal", "randn", "poisson", "exponential", "gamma", "multinomial",
            "negative_binomial", "generalized_negative_binomial", "shuffle", "randint"]


def _sample(name, params, shape, dtype, kwargs):
    """A ``_sample_<name>`` node over Symbol ``params``, or a ``_random_<name>``
    node with number ``params`` ((argument name, value) pairs, in order)."""
    values = [v for _, v in params]
    if shape is not _Null:
        kwargs["shape"] = shape
    if dtype is not _Null:
        kwargs["dtype"] = dtype
    if all(isinstance(v, _Symbol) for v in values):
        return getattr(_internal, "_sample_" + name)(*values, **kwargs)
    if not all(isinstance(v, _numeric_types) for v in values):
        raise _MXNetError(f"random.{name}: distribution parameters must be all numbers or all "
                          f"Symbols, got {', '.join(type(v).__name__ for v in values)}")
    kwargs.update(params)
    return getattr(_internal, "_random_" + name)(**kwargs)


def uniform(low=0, high=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from the uniform distribution on [low, high)."""
    return _sample("uniform", [("low", low), ("high", high)], shape, dtype, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from the normal distribution with mean ``loc`` and standard deviation ``scale``."""
    return _sample("normal", [("loc", loc), ("scale", scale)], shape, dtype, kwargs)


def randn(*shape, **kwargs):
    """Normal samples of shape ``shape`` (given as separate integers); ``loc``,
    ``scale`` and ``dtype`` are keyword arguments."""
    loc = kwargs.pop("loc", 0)
    scale = kwargs.pop("scale", 1)
    return normal(loc, scale, shape, kwargs.pop("dtype", _Null), **kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from the Poisson distribution with rate ``lam`` (floating-point values)."""
    return _sample("poisson", [("lam", lam)], shape, dtype, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from the exponential distribution with mean ``scale`` (rate 1/scale)."""
    return _sample("exponential", [("lam", 1.0 / scale)], shape, dtype, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from the gamma distribution with shape ``alpha`` and scale ``beta``."""
    return _sample("gamma", [("alpha", alpha), ("beta", beta)], shape, dtype, kwargs)


def negative_binomial(k=1, p=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples of the number of failures before the ``k``-th success in trials of
    success probability ``p``."""
    return _sample("negative_binomial", [("k", k), ("p", p)], shape, dtype, kwargs)


def generalized_negative_binomial(mu=1, alpha=1, shape=_Null, dtype=_Null, **kwargs):
    """Samples from the negative binomial distribution with mean ``mu`` and
    dispersion ``alpha`` (variance mu + alpha * mu**2)."""
    return _sample("generalized_negative_binomial", [("mu", mu), ("alpha", alpha)], shape,
                   dtype, kwargs)


def multinomial(data, shape=_Null, get_prob=True, dtype="int32", **kwargs):
    """Category indices drawn from the distributions in the last axis of
    ``data``; ``shape`` draws per distribution. With ``get_prob`` (the default
    here, unlike ``mx.nd``) a second output holds the draws' log-probabilities."""
    if shape is not _Null:
        kwargs["shape"] = shape
    return _internal._sample_multinomial(data, get_prob=get_prob, dtype=dtype, **kwargs)


def shuffle(data, **kwargs):
    """``data`` with its slices along the first axis in random order."""
    return _internal._shuffle(data, **kwargs)


def randint(low, high, shape=_Null, dtype=_Null, **kwargs):
    """Integers drawn uniformly from [low, high) (int32 unless ``dtype`` says int64)."""
    if shape is not _Null:
        kwargs["shape"] = shape
    if dtype is not _Null:
        kwargs["dtype"] = dtype
    return _internal._random_randint(low=low, high=high, **kwargs)
