"""``mx.np.random``: NumPy-style samplers producing ``mx.np.ndarray``.

Parameters are numbers or arrays that broadcast together (and with
``size``); without ``size`` the result has their broadcast shape, ``()``
for numbers. Samples are float32 unless ``dtype`` says otherwise; integer
samplers give int64. ``mx.random.seed`` makes the draws reproducible.
Samplers whose parameters are arrays record a gradient for them where
MXNet 1.9.1 has one (location/scale families, exponential, Pareto, Weibull,
Rayleigh, lognormal).
"""
import numbers

from ..base import MXNetError
from ..context import Context
from ..ndarray.ndarray import NDArray
from ..ops.np_random import sample_shape
from ._op import call

__all__ = ["uniform", "normal", "randn", "rand", "randint", "choice", "shuffle", "exponential",
           "gamma", "gumbel", "logistic", "lognormal", "multinomial", "multivariate_normal",
           "pareto", "power", "rayleigh", "weibull", "beta", "chisquare"]


def _size(size):
    if size is None:
        return None
    if isinstance(size, numbers.Integral):
        return (int(size),)
    return tuple(size)


def _ctx(ctx):
    if ctx is None or isinstance(ctx, Context):
        return ctx
    raise MXNetError(f"mx.np.random: ctx must be a Context, got {ctx!r}")


def _is_array(x):
    if isinstance(x, NDArray):
        return True
    from ..symbol.symbol import Symbol  # hybridized blocks pass symbols
    return isinstance(x, Symbol)


def _sample(op, fn, params, size, ctx, out, dtype=None):
    """Call sampler ``op`` with ``params`` (name, value) pairs: numbers become
    attributes, arrays (or symbols) inputs (their attribute set to None)."""
    attrs, inputs = {"size": _size(size)}, []
    for name, value in params:
        if _is_array(value):
            attrs[name] = None
            inputs.append(value)
        elif isinstance(value, numbers.Real):
            attrs[name] = float(value)
        else:
            raise MXNetError(f"random.{fn}: '{name}' must be a number or an mx.np.ndarray, "
                             f"got {type(value).__name__}")
    if dtype is not None:
        attrs["dtype"] = dtype
    if out is not None:
        _check_out(fn, out, sample_shape(op, attrs["size"], [x.shape for x in inputs]))
    return call(op, inputs, attrs, out=out, ctx=None if inputs else _ctx(ctx))


def _check_out(fn, out, shape):
    """MXNet refuses an ``out`` of another shape than the samples (rather than
    filling it with one draw)."""
    if tuple(out.shape) != tuple(shape):
        raise MXNetError(f"random.{fn}: out has shape {tuple(out.shape)}, the samples have "
                         f"shape {tuple(shape)}")


def uniform(low=0.0, high=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples uniform on [low, high)."""
    return _sample("_npi_uniform", "uniform", [("low", low), ("high", high)], size, ctx, out,
                   dtype or "float32")


def normal(loc=0.0, scale=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples of the normal distribution with mean ``loc`` and standard deviation ``scale``."""
    return _sample("_npi_normal", "normal", [("loc", loc), ("scale", scale)], size, ctx, out,
                   dtype or "float32")


def randn(*size, **kwargs):
    """Standard normal samples of shape ``size`` (separate integers); ``()`` when none given.
    Keywords: loc, scale, dtype, ctx, out."""
    return normal(kwargs.pop("loc", 0.0), kwargs.pop("scale", 1.0), size, **kwargs)


def rand(*size, **kwargs):
    """Uniform samples on [0, 1) of shape ``size`` (separate integers). Keywords: dtype,
    ctx, out."""
    return uniform(0.0, 1.0, size, **kwargs)


def gamma(shape, scale=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples of the gamma distribution with shape ``shape`` and scale ``scale``."""
    return _sample("_npi_gamma", "gamma", [("shape", shape), ("scale", scale)], size, ctx, out,
                   dtype or "float32")


def gumbel(loc=0.0, scale=1.0, size=None, ctx=None, out=None):
    """Samples of the Gumbel (extreme value) distribution."""
    return _sample("_npi_gumbel", "gumbel", [("loc", loc), ("scale", scale)], size, ctx, out)


def logistic(loc=0.0, scale=1.0, size=None, ctx=None, out=None):
    """Samples of the logistic distribution."""
    return _sample("_npi_logistic", "logistic", [("loc", loc), ("scale", scale)], size, ctx,
                   out)


def exponential(scale=1.0, size=None, ctx=None, out=None):
    """Samples of the exponential distribution with mean ``scale``."""
    return _sample("_npi_exponential", "exponential", [("scale", scale)], size, ctx, out)


def rayleigh(scale=1.0, size=None, ctx=None, out=None):
    """Samples of the Rayleigh distribution with mode ``scale``."""
    return _sample("_npi_rayleigh", "rayleigh", [("scale", scale)], size, ctx, out)


def pareto(a, size=None, ctx=None, out=None):
    """Samples of the Lomax (Pareto II) distribution with shape ``a``, as NumPy's pareto."""
    return _sample("_npi_pareto", "pareto", [("a", a)], size, ctx, out)


def weibull(a, size=None, ctx=None, out=None):
    """Samples of the Weibull distribution with shape ``a`` (scale 1)."""
    return _sample("_npi_weibull", "weibull", [("a", a)], size, ctx, out)


def power(a, size=None):
    """Samples on [0, 1] of the power distribution with exponent ``a - 1``."""
    return _sample("_npi_powerd", "power", [("a", a)], size, None, None)


def lognormal(mean=0.0, sigma=1.0, size=None, dtype=None, ctx=None, out=None):
    """Samples whose logarithm is normal with mean ``mean`` and deviation ``sigma``."""
    samples = normal(mean, sigma, size, dtype, ctx)
    if out is not None:
        _check_out("lognormal", out, samples.shape)
    return call("exp", [samples], out=out)


def beta(a, b, size=None, dtype=None, ctx=None):
    """Samples of the beta distribution, as x / (x + y) of gamma samples with
    shapes ``a`` and ``b``."""
    x = gamma(a, 1.0, size, dtype, ctx)
    y = gamma(b, 1.0, size, dtype, ctx)
    return call("elemwise_div", [x, call("elemwise_add", [x, y])])


def chisquare(df, size=None, dtype=None, ctx=None):
    """Samples of the chi-square distribution with ``df`` degrees of freedom
    (gamma with shape df / 2 and scale 2)."""
    if _is_array(df):
        half = call("_div_scalar", [df], {"scalar": 2.0})
    elif isinstance(df, numbers.Real):
        half = df / 2.0
    else:
        raise MXNetError(f"random.chisquare: 'df' must be a number or an mx.np.ndarray, got "
                         f"{type(df).__name__}")
    return gamma(half, 2.0, size, dtype, ctx)


def randint(low, high=None, size=None, dtype=None, ctx=None, out=None):
    """Integers drawn uniformly from [low, high) ([0, low) without ``high``),
    int64 unless ``dtype`` is int32."""
    if high is None:
        low, high = 0, low
    attrs = {"low": low, "high": high, "shape": _size(size)}
    if dtype is not None:
        attrs["dtype"] = dtype
    if out is not None:
        _check_out("randint", out, attrs["shape"] or ())
    return call("_npi_random_randint", [], attrs, out=out, ctx=_ctx(ctx))


def choice(a, size=None, replace=True, p=None, ctx=None, out=None):
    """Random draws from ``range(a)`` (an int) or from the elements of the
    1-d array ``a``, uniformly or with probabilities ``p``, with or without
    replacement. Indices are int64; elements keep ``a``'s dtype."""
    if isinstance(a, NDArray):
        if a.ndim != 1:
            raise MXNetError(f"random.choice: an array 'a' must be 1-d, got shape {a.shape}")
        idx = choice(a.shape[0], size, replace, p, a.context)
        if out is not None:
            _check_out("choice", out, idx.shape)
        return call("take", [a, idx], out=out)
    if not isinstance(a, numbers.Integral):
        raise MXNetError(f"random.choice: 'a' must be an int or a 1-d mx.np.ndarray, got "
                         f"{type(a).__name__}")
    attrs = {"a": int(a), "size": _size(size), "replace": replace, "weighted": p is not None}
    if out is not None:
        _check_out("choice", out, attrs["size"] or ())
    if p is None:
        return call("_npi_choice", [], attrs, out=out, ctx=_ctx(ctx))
    if not _is_array(p):
        raise MXNetError(f"random.choice: 'p' must be an mx.np.ndarray, got {type(p).__name__}")
    return call("_npi_choice", [p], attrs, out=out)


def multinomial(n, pvals, size=None, **kwargs):
    """Counts per category of ``n`` trials with probabilities ``pvals`` (a
    list or a 1-d array), for each of ``size`` experiments: shape
    ``size + (len(pvals),)``, int64."""
    if kwargs:
        raise MXNetError(f"random.multinomial: unsupported arguments {sorted(kwargs)}")
    attrs = {"n": n, "size": _size(size)}
    if _is_array(pvals):
        return call("_npi_multinomial", [pvals], dict(attrs, pvals=None))
    return call("_npi_multinomial", [], dict(attrs, pvals=tuple(float(v) for v in pvals)))


def multivariate_normal(mean, cov, size=None, check_valid=None, tol=None):
    """Samples of the multivariate normal distribution with mean vector ``mean``
    (k,) and covariance ``cov`` (k, k), shape ``size + (k,)``, in ``mean``'s
    dtype: ``mean + L @ z`` with ``L`` the Cholesky factor of ``cov`` and
    standard normal ``z``, so ``cov`` must be positive definite and the
    samples are differentiable in ``mean`` and ``cov``. ``check_valid`` and
    ``tol`` are accepted for NumPy's signature; the factorisation checks."""
    if not (_is_array(mean) and _is_array(cov)):
        raise MXNetError("random.multivariate_normal: mean and cov must be mx.np.ndarrays")
    if mean.ndim != 1 or tuple(cov.shape) != (mean.shape[0],) * 2:
        raise MXNetError(f"random.multivariate_normal: expects mean (k,) and cov (k, k), got "
                         f"{mean.shape} and {cov.shape}")
    size = _size(size) or ()
    z = normal(0.0, 1.0, size + mean.shape, dtype=mean.dtype.name, ctx=mean.context)
    factor = call("_npi_cholesky", [cov])
    spread = call("_npi_einsum", [factor, z], {"subscripts": "ij,...j->...i", "num_args": 2})
    return call("broadcast_add", [spread, mean])


def shuffle(x):
    """Shuffle the array ``x`` in place along its first axis; returns None."""
    if not isinstance(x, NDArray):
        raise MXNetError(f"random.shuffle: 'x' must be an mx.np.ndarray, got "
                         f"{type(x).__name__}")
    call("_npi_shuffle", [x], out=x)
