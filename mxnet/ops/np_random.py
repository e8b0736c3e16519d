"""``_npi_*`` samplers of ``mx.np.random``.

Unlike the legacy ``_random_X``/``_sample_X`` pair, one operator takes each
distribution parameter either as a number (the ``loc=0.5`` parameter) or,
when that parameter is None, as an array input (``input1``, ``input2`` in
order), and the arrays broadcast with each other and with ``size``, as
NumPy's samplers do. Without ``size`` the output has the broadcast shape of
the array parameters (``()`` when all are numbers). Samples are drawn with
the device's generator (``mxnet.random``), so ``mx.random.seed`` makes them
reproducible. Location-scale samplers and the exponential, Pareto,
Weibull and Rayleigh ones are differentiable in their parameters by
reparameterisation, as in MXNet 1.9.1; the others give zero gradients.
"""
import numpy as np

from ..base import MXNetError
from .params import REQUIRED, Param
from .random import _host, draw_integers
from .registry import register

_FLOATS = ("float16", "float32", "float64")


def _work(dtype):
    return np.float64 if dtype == "float64" else np.float32


# -- gradients -----------------------------------------------------------------------------
# ``p`` is a parameter: a float (an attr) or an array input. The rules cast the
# output and its gradient to an array parameter's dtype, since MXNet's samples are
# float32 whatever the parameters' dtype.

def _as(F, x, p):
    return x if p.dtype == x.dtype else F.Cast(x, dtype=p.dtype)


def _sum_to(F, grad, p):
    grad = _as(F, grad, p)
    if tuple(grad.shape) == tuple(p.shape):
        return grad
    return F._internal._reduce_sum_like(grad, p)


def _sub(F, x, p):
    return F._internal._minus_scalar(x, scalar=p) if isinstance(p, float) else \
        F.broadcast_sub(x, _as(F, p, x))


def _div(F, x, p):
    return F._internal._div_scalar(x, scalar=p) if isinstance(p, float) else \
        F.broadcast_div(x, _as(F, p, x))


def _loc_scale_grads(F, p, y, g):
    """y = loc + scale * z: dy/dloc = 1, dy/dscale = z = (y - loc) / scale."""
    loc, scale = p
    return [g, F.broadcast_mul(g, _div(F, _sub(F, y, loc), scale))]


def _scale_grads(F, p, y, g):
    """y = scale * z: dy/dscale = y / scale."""
    return [F.broadcast_mul(g, _div(F, y, p[0]))]


def _pareto_grads(F, p, y, g):
    """y = exp(e / a) - 1 for exponential e: dy/da = -log1p(y) (y + 1) / a."""
    d = _div(F, F.broadcast_mul(F.log1p(y), F._internal._plus_scalar(y, scalar=1.0)), p[0])
    return [F.negative(F.broadcast_mul(g, d))]


def _weibull_grads(F, p, y, g):
    """y = e ** (1 / a) for exponential e: dy/da = -y log(y) / a."""
    return [F.negative(F.broadcast_mul(g, _div(F, F.broadcast_mul(y, F.log(y)), p[0])))]


def _zero_grads(F, p, y, g):
    return [F.zeros_like(g) for _ in p]


# -- distributions -------------------------------------------------------------------------
# name: (parameter names and defaults, whether it takes dtype (else float32) and ctx,
#        check({name: value}) -> message or None, draw(rng, size, work dtype, *values), gradient)

def _violates(value, bad):
    """Whether ``bad`` holds for the float ``value`` or for some element of an array."""
    return bad(value) if isinstance(value, float) else bool(bad(value).any())


def _nonneg(*names):
    def check(values):
        for n in names:
            if _violates(values[n], lambda v: v < 0):
                return f"'{n}' must be non-negative"
        return None
    return check


def _positive(*names):
    def check(values):
        for n in names:
            if _violates(values[n], lambda v: v <= 0):
                return f"'{n}' must be positive"
        return None
    return check


def _no_check(values):
    return None


_SAMPLERS = {
    "_npi_uniform": ((("low", REQUIRED), ("high", REQUIRED)), True, True, _no_check,
                     lambda rng, size, dt, lo, hi: lo + (hi - lo) * rng.random(size, dt),
                     _zero_grads),
    "_npi_normal": ((("loc", REQUIRED), ("scale", REQUIRED)), True, True, _nonneg("scale"),
                    lambda rng, size, dt, loc, s: loc + s * rng.standard_normal(size, dt),
                    _loc_scale_grads),
    "_npi_gamma": ((("shape", REQUIRED), ("scale", REQUIRED)), True, True,
                   _positive("shape", "scale"),
                   lambda rng, size, dt, k, s: rng.standard_gamma(
                       np.broadcast_to(k, size), size, dt) * s, _zero_grads),
    "_npi_gumbel": ((("loc", REQUIRED), ("scale", REQUIRED)), False, True, _nonneg("scale"),
                    lambda rng, size, dt, loc, s: rng.gumbel(loc, s, size), _loc_scale_grads),
    "_npi_logistic": ((("loc", REQUIRED), ("scale", REQUIRED)), False, True, _nonneg("scale"),
                      lambda rng, size, dt, loc, s: rng.logistic(loc, s, size),
                      _loc_scale_grads),
    "_npi_exponential": ((("scale", 1.0),), False, True, _nonneg("scale"),
                         lambda rng, size, dt, s: s * rng.standard_exponential(size, dt),
                         _scale_grads),
    "_npi_rayleigh": ((("scale", 1.0),), False, True, _nonneg("scale"),
                      lambda rng, size, dt, s: rng.rayleigh(s, size), _scale_grads),
    "_npi_pareto": ((("a", None),), False, True, _positive("a"),
                    lambda rng, size, dt, a: rng.pareto(a, size), _pareto_grads),
    "_npi_weibull": ((("a", None),), False, True, _nonneg("a"),
                     lambda rng, size, dt, a: rng.weibull(a, size), _weibull_grads),
    "_npi_powerd": ((("a", None),), False, False, _positive("a"),
                    lambda rng, size, dt, a: rng.power(a, size), _zero_grads),
}

_INPUTS = ("input1", "input2")


def sample_shape(op, size, param_shapes):
    """Output shape: ``size`` if given (the parameters must broadcast to it),
    else the parameters' broadcast shape."""
    if not param_shapes and (size is None or min(size, default=0) >= 0):
        return () if size is None else tuple(size)  # numbers only: the common case
    try:
        shape = np.broadcast_shapes(*param_shapes) if param_shapes else ()
        if size is None:
            return tuple(shape)
        if any(d < 0 for d in size) or np.broadcast_shapes(shape, size) != tuple(size):
            raise ValueError
    except ValueError:
        raise MXNetError(f"{op}: parameter shapes {', '.join(map(str, param_shapes))} do not "
                         f"broadcast to size {size}") from None
    return tuple(size)


def _register_sampler(name, spec):
    names, has_dtype, has_ctx, check, draw, grad = spec
    params = {n: Param("float", d, optional=True, doc=f"The {n} parameter, or None when it "
                       "is an array input.") for n, d in names}
    params["size"] = Param("shape", None, doc="Output shape (None: the parameters' shape).")
    if has_ctx:
        params["ctx"] = Param("str", "cpu", doc="Device of the output (set by the front end).")
    if has_dtype:
        params["dtype"] = Param("dtype", "float32", choices=_FLOATS, doc="Output dtype.")

    def active(attrs):
        return _INPUTS[:sum(attrs[n] is None for n, _ in names)]

    def values(attrs, arrays):
        """Each parameter as a float or as one of ``arrays``, in order."""
        it = iter(arrays)
        return [next(it) if attrs[n] is None else attrs[n] for n, _ in names]

    def infer_shape(attrs, shapes):
        if None in shapes:
            return shapes, [None]
        return shapes, [sample_shape(name, attrs.size, [tuple(s) for s in shapes])]

    def compute(xp, attrs, *arrays, rng):
        if len(arrays) != len(active(attrs)):
            raise MXNetError(f"{name}: expects {len(active(attrs))} parameter array(s) "
                             f"(one per parameter given as None), got {len(arrays)}")
        size = sample_shape(name, attrs.size, [a.shape for a in arrays])
        vals = [v if isinstance(v, float) else _host(xp, v).astype(np.float64)
                for v in values(attrs, arrays)]
        message = check({n: v for (n, _), v in zip(names, vals)})
        if message is not None:
            raise MXNetError(f"{name}: {message}, got "
                             + ", ".join(f"{n}={v if isinstance(v, float) else 'array'}"
                                         for (n, _), v in zip(names, vals)))
        dtype = attrs.dtype if has_dtype else "float32"
        out = np.asarray(draw(rng, size, _work(dtype), *vals))
        return xp.asarray(out.astype(dtype, copy=False))
    compute.__doc__ = f"Samples of {name[5:]} (NumPy's sampler), parameters as numbers or arrays."

    def gradient(F, attrs, ins, outs, g):
        grads = grad(F, values(attrs, ins), outs[0], g[0])
        it = iter(ins)
        return [_sum_to(F, d, next(it)) for (n, _), d in zip(names, grads) if attrs[n] is None]

    register(name, inputs=_INPUTS, active_inputs=active, params=params, resources=("rng",),
             infer_shape=infer_shape,
             infer_type=lambda attrs, t: (t, [attrs.dtype if has_dtype else "float32"]),
             gradient=gradient)(compute)


for _name, _spec in _SAMPLERS.items():
    _register_sampler(_name, _spec)


# -- integers, choices, multinomial, shuffle ------------------------------------------------

def _size_or_scalar(size):
    return () if size is None else tuple(size)


@register("_npi_random_randint", inputs=(), resources=("rng",),
          params={"low": Param("int"), "high": Param("int"), "shape": Param("shape", None),
                  "ctx": Param("str", "", doc="Device of the output (set by the front end)."),
                  "dtype": Param("dtype", None, choices=("int32", "int64"),
                                 doc="Output dtype; None means int64.")},
          infer_shape=lambda attrs, s: (s, [_size_or_scalar(attrs.shape)]),
          infer_type=lambda attrs, t: (t, [attrs.dtype or "int64"]))
def _npi_random_randint(xp, attrs, rng):
    """Integers drawn uniformly from [low, high), of shape `shape` (() when None)."""
    return draw_integers("_npi_random_randint", xp, rng, attrs.low, attrs.high,
                         _size_or_scalar(attrs.shape), attrs.dtype or "int64")


def _choice_inputs(attrs):
    return ("input1",) if attrs.weighted else ()


@register("_npi_choice", inputs=("input1", "input2"), active_inputs=_choice_inputs,
          resources=("rng",),
          params={"a": Param("int", doc="Draw from range(a)."),
                  "size": Param("shape", None, doc="Output shape (None: a single draw)."),
                  "ctx": Param("str", "cpu", doc="Device of the output (set by the front end)."),
                  "replace": Param("bool", True, doc="Draw with replacement."),
                  "weighted": Param("bool", False, doc="Input1 holds the probabilities.")},
          infer_shape=lambda attrs, s: (s, [_size_or_scalar(attrs.size)]),
          infer_type=lambda attrs, t: (t, ["int64"]))
def _npi_choice(xp, attrs, *weights, rng):
    """Indices drawn from range(a), uniformly or with the given probabilities,
    with or without replacement."""
    size = _size_or_scalar(attrs.size)
    n = int(np.prod(size))
    p = None
    if weights:
        p = _host(xp, weights[0]).astype(np.float64)
        if p.shape != (attrs.a,) or (p < 0).any() or abs(p.sum() - 1) > 1e-5:
            raise MXNetError(f"_npi_choice: probabilities must be {attrs.a} non-negative "
                             f"numbers summing to 1, got shape {p.shape} and sum {p.sum():.6g}")
    if attrs.a <= 0 and n:
        raise MXNetError(f"_npi_choice: 'a' must be positive, got {attrs.a}")
    if not attrs.replace and n > attrs.a:
        raise MXNetError(f"_npi_choice: cannot take {n} samples from {attrs.a} without "
                         "replacement")
    return xp.asarray(rng.choice(attrs.a, size, replace=attrs.replace, p=p).astype(np.int64))


def _multinomial_inputs(attrs):
    return ("a",) if attrs.pvals is None else ()


@register("_npi_multinomial", inputs=("a",), active_inputs=_multinomial_inputs,
          resources=("rng",),
          params={"n": Param("int", doc="Number of trials of each experiment."),
                  "pvals": Param("floats", None, doc="Category probabilities (None: the "
                                 "array input)."),
                  "size": Param("shape", None, doc="Number of experiments (shape).")},
          infer_shape=lambda attrs, s: (s, [None if attrs.pvals is None and s[0] is None else
                                            _size_or_scalar(attrs.size) + (
                                                len(attrs.pvals) if attrs.pvals is not None
                                                else s[0][-1],)]),
          infer_type=lambda attrs, t: (t, ["int64"]))
def _npi_multinomial(xp, attrs, *pvals, rng):
    """Counts per category of `n` trials for each of `size` experiments."""
    p = np.asarray(attrs.pvals, np.float64) if attrs.pvals is not None else \
        _host(xp, pvals[0]).astype(np.float64)
    if p.ndim != 1 or (p < 0).any() or p[:-1].sum() > 1 + 1e-12:
        raise MXNetError(f"_npi_multinomial: pvals must be a vector of non-negative "
                         f"probabilities summing to at most 1, got {p.tolist()}")
    if attrs.n < 0:
        raise MXNetError(f"_npi_multinomial: 'n' must be non-negative, got {attrs.n}")
    # As NumPy: the last category takes whatever probability the others leave.
    p = np.append(p[:-1], max(0.0, 1.0 - p[:-1].sum()))
    return xp.asarray(rng.multinomial(attrs.n, p, _size_or_scalar(attrs.size) or None)
                      .astype(np.int64))


@register("_npi_shuffle", resources=("rng",), inputs=("data",),
          infer_shape=lambda attrs, s: (s, [s[0]]), infer_type=lambda attrs, t: (t, [t[0]]))
def _npi_shuffle(xp, attrs, data, rng):
    """A copy of `data` with its first-axis slices in random order."""
    if data.ndim == 0:
        raise MXNetError("_npi_shuffle: input 'data' must have at least one axis, got a 0-d "
                         "array")
    return data[xp.asarray(rng.permutation(data.shape[0]))]
