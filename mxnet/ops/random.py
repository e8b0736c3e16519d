"""Random sampling operators.

Three forms per distribution, as in MXNet:
``_random_X`` draws ``shape`` samples from scalar parameters,
``_random_X_like`` draws samples shaped like its input, and ``_sample_X``
takes its parameters as arrays and draws ``shape`` samples per element
(output shape ``param.shape + shape``). Kernels get ``rng``, a
``numpy.random.Generator`` for the device (see ``mxnet.random``); samples are
drawn on the host and moved to the device's array module. Discrete
distributions give integral values in a floating-point dtype, like MXNet.
Densities (``_random_pdf_X``) come last, with fused backward kernels.
"""
import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register

_FLOATS = ("float16", "float32", "float64")
_CTX = Param("str", "", "Device context, e.g. 'cpu(0)' (set by the front end).")


def _host(xp, a):
    """A NumPy view of a device array (the generators are NumPy's)."""
    return a if xp is np else a.get()


def _work_dtype(dtype):
    # Draw float16 samples in float32: NumPy's generators have no float16 path.
    return np.float64 if dtype == "float64" else np.float32


def _check_shape(op, shape):
    if shape is None:
        return (1,)
    if not shape or any(d is None or d < 0 for d in shape):
        raise MXNetError(f"{op}: argument 'shape' expects a non-empty tuple of non-negative "
                         f"sizes, got {shape}")
    return tuple(shape)


def _require(op, ok, message, values):
    """Raise unless ``ok`` (a bool, or a bool array for parameter arrays) holds everywhere."""
    if ok is True or (ok is not False and ok.all()):
        return
    if np.ndim(ok) == 0:
        shown = ", ".join(f"{k}={v!r}" for k, v in values.items())
    else:
        shown = f"{int((~ok).sum())} offending element(s) in {', '.join(values)}"
    raise MXNetError(f"{op}: {message}, got {shown}")


# --- distributions: validation and drawing, shared by the three forms -------------------
# ``check(op, names, *params)`` gets floats (``_random_X``) or float64 arrays (``_sample_X``)
# and the names the caller used for them. ``draw(rng, size, work_dtype, *params)`` returns
# samples of ``size``; params are floats or arrays broadcastable to ``size``.

def _check_uniform(op, n, low, high):
    _require(op, low <= high, f"'{n[0]}' must not exceed '{n[1]}'", {n[0]: low, n[1]: high})


def _check_normal(op, n, loc, scale):
    # MXNet rejects scale 0 for scalars; arrays may hold 0 (a point mass).
    ok = scale > 0 if np.ndim(scale) == 0 else scale >= 0
    _require(op, ok, f"'{n[1]}' must be positive", {n[1]: scale})


def _check_gamma(op, n, alpha, beta):
    _require(op, (alpha > 0) & (beta > 0), f"'{n[0]}' and '{n[1]}' must be positive",
             {n[0]: alpha, n[1]: beta})


def _check_exponential(op, n, lam):
    _require(op, lam > 0, f"'{n[0]}' must be positive", {n[0]: lam})


def _check_poisson(op, n, lam):
    _require(op, lam >= 0, f"'{n[0]}' must be non-negative", {n[0]: lam})


def _check_negative_binomial(op, n, k, p):
    _require(op, (k >= 0) & (p > 0) & (p <= 1),
             f"'{n[0]}' must be non-negative and '{n[1]}' in (0, 1]", {n[0]: k, n[1]: p})


def _check_gnb(op, n, mu, alpha):
    _require(op, (mu >= 0) & (alpha >= 0), f"'{n[0]}' and '{n[1]}' must be non-negative",
             {n[0]: mu, n[1]: alpha})


def _draw_gnb(rng, size, dt, mu, alpha):
    # A Poisson whose rate is Gamma(1/alpha, alpha*mu) distributed; alpha = 0 is plain Poisson.
    mu, alpha = np.asarray(mu, np.float64), np.asarray(alpha, np.float64)
    safe = np.where(alpha > 0, alpha, 1.0)
    rate = np.where(alpha > 0, rng.standard_gamma(1.0 / safe, size) * safe * mu, mu)
    return rng.poisson(np.broadcast_to(rate, size))


_DISTS = {
    # name: (scalar params with defaults, array input names, check, draw)
    "uniform": ((("low", "float", 0.0), ("high", "float", 1.0)), ("low", "high"),
                _check_uniform,
                lambda rng, size, dt, lo, hi: lo + (hi - lo) * rng.random(size, dt)),
    "normal": ((("loc", "float", 0.0), ("scale", "float", 1.0)), ("mu", "sigma"),
               _check_normal,
               lambda rng, size, dt, loc, scale: loc + scale * rng.standard_normal(size, dt)),
    "gamma": ((("alpha", "float", 1.0), ("beta", "float", 1.0)), ("alpha", "beta"),
              _check_gamma,
              lambda rng, size, dt, a, b: rng.standard_gamma(np.broadcast_to(a, size), size, dt)
              * b),
    "exponential": ((("lam", "float", 1.0),), ("lam",), _check_exponential,
                    lambda rng, size, dt, lam: rng.standard_exponential(size, dt) / lam),
    "poisson": ((("lam", "float", 1.0),), ("lam",), _check_poisson,
                lambda rng, size, dt, lam: rng.poisson(np.broadcast_to(lam, size))),
    "negative_binomial": (
        (("k", "int", 1), ("p", "float", 1.0)), ("k", "p"), _check_negative_binomial,
        # Gamma-Poisson mixture: unlike NumPy's sampler it accepts k = 0 (all zeros).
        lambda rng, size, dt, k, p: rng.poisson(
            rng.standard_gamma(np.broadcast_to(np.asarray(k, np.float64), size), size)
            * ((1.0 - np.asarray(p)) / np.asarray(p)))),
    "generalized_negative_binomial": ((("mu", "float", 1.0), ("alpha", "float", 1.0)),
                                      ("mu", "alpha"), _check_gnb, _draw_gnb),
}


def _samples(xp, draw, rng, size, dtype, params):
    out = np.asarray(draw(rng, size, _work_dtype(dtype), *params))
    return xp.asarray(out.astype(dtype, copy=False))


def _out_dtype(attrs):
    return attrs.dtype or "float32"


def _register_random(name, spec):
    scalar, _, check, draw = spec
    op = f"_random_{name}"
    keys = [k for k, _, _ in scalar]
    params = {k: Param(t, d) for k, t, d in scalar}
    params.update({"shape": Param("shape", None), "ctx": _CTX,
                   "dtype": Param("dtype", None, choices=_FLOATS,
                                  doc="Output dtype; None means float32.")})

    def compute(xp, attrs, rng):
        values = [attrs[k] for k in keys]
        check(op, keys, *values)
        return _samples(xp, draw, rng, _check_shape(op, attrs.shape), _out_dtype(attrs), values)
    compute.__doc__ = f"Samples of the {name.replace('_', ' ')} distribution, of shape `shape`."
    register(op, aliases=(f"random_{name}",), params=params, inputs=(), resources=("rng",),
             infer_shape=lambda attrs, s: (s, [_check_shape(op, attrs.shape)]),
             infer_type=lambda attrs, t: (t, [_out_dtype(attrs)]))(compute)


def _register_like(name, spec):
    scalar, _, check, draw = spec
    op = f"_random_{name}_like"
    keys = [k for k, _, _ in scalar]

    def compute(xp, attrs, data, rng):
        if data.dtype.name not in _FLOATS:
            raise MXNetError(f"{op}: input 'data' must have a floating-point dtype, "
                             f"got {data.dtype.name}")
        values = [attrs[k] for k in keys]
        check(op, keys, *values)
        return _samples(xp, draw, rng, data.shape, data.dtype.name, values)
    compute.__doc__ = (f"Samples of the {name.replace('_', ' ')} distribution with the shape "
                       "and dtype of the input.")
    register(op, params={k: Param(t, d) for k, t, d in scalar}, resources=("rng",),
             infer_shape=lambda attrs, s: (s, [s[0]]), infer_type=lambda attrs, t: (t, [t[0]]),
             gradient=_zero_grads)(compute)


def _zero_grads(F, attrs, ins, outs, g):
    return [F.zeros_like(x) for x in ins]


def _sample_shape(op):
    def infer(attrs, shapes):
        known = [tuple(s) for s in shapes if s is not None]
        if any(s != known[0] for s in known):
            raise MXNetError(f"{op}: parameter arrays must have the same shape, got "
                             + ", ".join(str(s) for s in known))
        if not known:
            return shapes, [None]
        return [known[0]] * len(shapes), [known[0] + tuple(attrs.shape)]
    return infer


def _register_sample(name, spec):
    _, inputs, check, draw = spec
    op = f"_sample_{name}"
    infer_shape = _sample_shape(op)

    def compute(xp, attrs, *arrays, rng):
        shape = tuple(attrs.shape)
        if any(d < 0 for d in shape):
            raise MXNetError(f"{op}: argument 'shape' must have non-negative sizes, got {shape}")
        _, (out_shape,) = infer_shape(attrs, [a.shape for a in arrays])
        # Each parameter element gets its own block of `shape` samples: trailing axes.
        params = [_host(xp, a).astype(np.float64).reshape(a.shape + (1,) * len(shape))
                  for a in arrays]
        check(op, inputs, *params)
        return _samples(xp, draw, rng, out_shape, _out_dtype(attrs), params)
    compute.__doc__ = (f"Samples of the {name.replace('_', ' ')} distribution, `shape` of "
                       "them for each element of the parameter arrays.")
    register(op, aliases=(f"sample_{name}",), inputs=inputs, resources=("rng",),
             params={"shape": Param("shape", ()),
                     "dtype": Param("dtype", None, choices=_FLOATS,
                                    doc="Output dtype; None means float32.")},
             infer_shape=infer_shape, infer_type=lambda attrs, t: (t, [_out_dtype(attrs)]),
             gradient=_zero_grads)(compute)


for _name, _spec in _DISTS.items():
    _register_random(_name, _spec)
    _register_like(_name, _spec)
    _register_sample(_name, _spec)


# --- randint ---------------------------------------------------------------------------

@register("_random_randint", aliases=("random_randint",), inputs=(), resources=("rng",),
          params={"low": Param("int"), "high": Param("int"), "shape": Param("shape", None),
                  "ctx": _CTX,
                  "dtype": Param("dtype", None, choices=("int32", "int64"),
                                 doc="Output dtype; None means int32.")},
          infer_shape=lambda attrs, s: (s, [_check_shape("_random_randint", attrs.shape)]),
          infer_type=lambda attrs, t: (t, [attrs.dtype or "int32"]))
def _randint(xp, attrs, rng):
    """Integers drawn uniformly from [low, high)."""
    shape = _check_shape("_random_randint", attrs.shape)
    return draw_integers("_random_randint", xp, rng, attrs.low, attrs.high, shape,
                         attrs.dtype or "int32")


def draw_integers(op, xp, rng, low, high, shape, dtype):
    """Integers from [low, high) of ``shape`` and ``dtype``; MXNetError naming
    ``op`` for an empty range or one the dtype cannot hold."""
    if high <= low:
        raise MXNetError(f"{op}: 'high' must be greater than 'low', got low={low}, high={high}")
    info = np.iinfo(dtype)
    if low < info.min or high - 1 > info.max:
        raise MXNetError(f"{op}: range [{low}, {high}) does not fit dtype {dtype}")
    return xp.asarray(rng.integers(low, high, shape, dtype=dtype))


# --- multinomial -----------------------------------------------------------------------

def _multinomial_shape(attrs, shapes):
    data = shapes[0]
    if data is None:
        return shapes, [None] * (2 if attrs.get_prob else 1)
    if len(data) == 0:
        raise MXNetError("_sample_multinomial: input 'data' must have at least one axis "
                         "(the categories), got a 0-d array")
    out = (tuple(data[:-1]) + tuple(attrs.shape)) or (1,)
    return shapes, [out] * (2 if attrs.get_prob else 1)


def _multinomial_type(attrs, types):
    return types, [attrs.dtype] + ([types[0]] if attrs.get_prob else [])


def _multinomial_grad(F, attrs, ins, outs, g):
    if not attrs.get_prob:
        return [F.zeros_like(ins[0])]
    return [F._internal._backward_sample_multinomial(g[1], ins[0], outs[0])]


@register("_sample_multinomial", aliases=("sample_multinomial",), resources=("rng",),
          params={"shape": Param("shape", ()), "get_prob": Param("bool", False),
                  "dtype": Param("dtype", "int32",
                                 choices=("float16", "float32", "float64", "int32", "uint8"))},
          num_outputs=lambda attrs: 2 if attrs.get_prob else 1,
          infer_shape=_multinomial_shape, infer_type=_multinomial_type,
          gradient=_multinomial_grad)
def _multinomial(xp, attrs, data, rng):
    """Category indices drawn from the distributions in the last axis of `data`
    (`shape` draws per distribution); with `get_prob`, also their log-probabilities."""
    _, (out_shape, *_) = _multinomial_shape(attrs, [data.shape])
    probs = _host(xp, data).astype(np.float64)
    k = probs.shape[-1]
    rows = probs.reshape(-1, k)
    sums = rows.sum(axis=1)
    if (rows < 0).any() or not np.all(np.abs(sums - 1) <= 1e-2):
        raise MXNetError("_sample_multinomial: each distribution in the last axis of 'data' "
                         "must be non-negative and sum to 1, got sums "
                         f"{np.round(sums[:4], 4).tolist()}{'...' if len(sums) > 4 else ''}")
    batch = rows.shape[0]
    n = int(np.prod(attrs.shape)) if attrs.shape else 1
    # One sorted search over all rows: row r's cdf is shifted into [r, r + 1].
    offset = np.arange(batch, dtype=np.float64)[:, None]
    cdf = (np.cumsum(rows / sums[:, None], axis=1) + offset).ravel()
    u = rng.random((batch, n)) + offset
    idx = np.searchsorted(cdf, u.ravel(), side="right").reshape(batch, n) - k * offset
    # The clip guards against a row's last cdf entry rounding below 1.
    idx = np.clip(idx.astype(np.int64), 0, k - 1)
    samples = xp.asarray(idx.reshape(out_shape).astype(attrs.dtype))
    if not attrs.get_prob:
        return samples
    logp = np.log(np.take_along_axis(rows, idx, axis=1))
    return samples, xp.asarray(logp.reshape(out_shape).astype(data.dtype))


def _backward_multinomial_shape(attrs, shapes):
    return shapes, [shapes[1]]


@register("_backward_sample_multinomial", inputs=("ograd", "data", "samples"),
          infer_shape=_backward_multinomial_shape, infer_type=lambda attrs, t: (t, [t[1]]))
def _backward_multinomial(xp, attrs, ograd, data, samples):
    """Gradient of the log-probabilities of `_sample_multinomial` with respect to its
    probabilities: each draw of category c adds ograd / p[c] at c."""
    k = data.shape[-1]
    rows = data.reshape(-1, k)
    idx = samples.reshape(rows.shape[0], -1).astype(np.int64)
    g = ograd.reshape(idx.shape).astype(np.float64) / xp.take_along_axis(rows, idx, axis=1)
    out = xp.zeros(rows.shape, np.float64)
    for j in range(idx.shape[1]):  # columns, so repeated draws of one category accumulate
        out[xp.arange(rows.shape[0]), idx[:, j]] += g[:, j]
    return out.reshape(data.shape).astype(data.dtype)


# --- shuffle, unique zipfian -----------------------------------------------------------

@register("_shuffle", aliases=("shuffle",), resources=("rng",),
          infer_shape=lambda attrs, s: (s, [s[0]]), infer_type=lambda attrs, t: (t, [t[0]]))
def _shuffle(xp, attrs, data, rng):
    """A copy of `data` with its first-axis slices in random order."""
    if data.ndim == 0:
        raise MXNetError("_shuffle: input 'data' must have at least one axis, got a 0-d array")
    return data[xp.asarray(rng.permutation(data.shape[0]))]


def _zipfian_shape(attrs, shapes):
    shape = attrs.shape
    if shape is None or len(shape) != 2 or any(d < 0 for d in shape):
        raise MXNetError("_sample_unique_zipfian: argument 'shape' expects (batch, num_sampled), "
                         f"got {shape}")
    if shape[1] > attrs.range_max:
        raise MXNetError(f"_sample_unique_zipfian: cannot draw {shape[1]} distinct classes out "
                         f"of range_max={attrs.range_max}")
    return shapes, [tuple(shape), (shape[0],)]


@register("_sample_unique_zipfian", inputs=(), resources=("rng",), num_outputs=2,
          params={"range_max": Param("int"), "shape": Param("shape", None)},
          infer_shape=_zipfian_shape, infer_type=lambda attrs, t: (t, ["int64", "int64"]))
def _unique_zipfian(xp, attrs, rng):
    """Per row, `shape[1]` distinct classes in [0, range_max) drawn from the log-uniform
    (Zipfian) distribution P(c) = log((c + 2) / (c + 1)) / log(range_max + 1), and the
    number of draws it took."""
    _zipfian_shape(attrs, [])
    batch, n = attrs.shape
    log_range = np.log(attrs.range_max + 1.0)
    samples = np.empty((batch, n), np.int64)
    tries = np.zeros(batch, np.int64)
    for b in range(batch):
        seen = {}
        while len(seen) < n:
            draws = np.exp(rng.random(2 * (n - len(seen)) + 8) * log_range).astype(np.int64) - 1
            for c in np.minimum(draws, attrs.range_max - 1).tolist():
                tries[b] += 1
                seen.setdefault(c, len(seen))
                if len(seen) == n:
                    break
        samples[b] = list(seen)
    return xp.asarray(samples), xp.asarray(tries)

# --- densities -------------------------------------------------------------------------
# ``_random_pdf_X(sample, *params)``: the parameter arrays have shape P and the sample
# P + extra; sample[i, ...] is scored under the parameters at i. Like MXNet, the formulas
# are evaluated without support checks (a uniform density is 1/(high-low) everywhere) and
# gamma's ``beta`` is a rate here while the gamma sampler's ``beta`` is a scale.

_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


def _lgamma(xp, x):
    """log|Gamma(x)| for x > -6: shift to x + 6 >= 6, then Stirling's series."""
    prod = x * (x + 1) * (x + 2) * (x + 3) * (x + 4) * (x + 5)
    z = x + 6
    zi = 1 / z
    zi2 = zi * zi
    series = zi * (1 / 12 - zi2 * (1 / 360 - zi2 * (1 / 1260 - zi2 / 1680)))
    return (z - 0.5) * xp.log(z) - z + _HALF_LOG_2PI + series - xp.log(xp.abs(prod))


def _digamma(xp, x):
    """The digamma function for x > 0: recurrence up to x + 6, then its asymptotic series."""
    acc = 0
    for _ in range(6):
        acc = acc - 1 / x
        x = x + 1
    xi2 = 1 / (x * x)
    return acc + xp.log(x) - 0.5 / x - xi2 * (1 / 12 - xi2 * (1 / 120 - xi2 / 252))


def _nb_logpdf(xp, x, k, p):
    return (_lgamma(xp, x + k) - _lgamma(xp, x + 1) - _lgamma(xp, k) + k * xp.log(p)
            + x * xp.log(1 - p))


def _gnb_kp(mu, alpha):
    return 1 / alpha, 1 / (1 + alpha * mu)


def _gnb_dlog(xp, x, mu, alpha):
    k, p = _gnb_kp(mu, alpha)
    dk = _digamma(xp, x + k) - _digamma(xp, k) + xp.log(p)
    return [0 * x, p * (x / mu - 1), -dk / alpha ** 2 - mu * p / alpha + x * p / alpha]


# name: (parameter names, log-density, [d log-density / d input...], density or None)
_PDFS = {
    "normal": (("mu", "sigma"),
               lambda xp, x, m, s: -(x - m) ** 2 / (2 * s * s) - xp.log(s) - _HALF_LOG_2PI,
               lambda xp, x, m, s: [-(x - m) / (s * s), (x - m) / (s * s),
                                    (x - m) ** 2 / s ** 3 - 1 / s],
               lambda xp, x, m, s: xp.exp(-(x - m) ** 2 / (2 * s * s))
               / (s * np.sqrt(2 * np.pi))),
    "uniform": (("low", "high"),
                lambda xp, x, lo, hi: 0 * x - xp.log(hi - lo),
                lambda xp, x, lo, hi: [0 * x, 1 / (hi - lo) + 0 * x, -1 / (hi - lo) + 0 * x],
                lambda xp, x, lo, hi: 0 * x + 1 / (hi - lo)),
    "gamma": (("alpha", "beta"),
              lambda xp, x, a, b: a * xp.log(b) + (a - 1) * xp.log(x) - b * x - _lgamma(xp, a),
              lambda xp, x, a, b: [(a - 1) / x - b, xp.log(b) + xp.log(x) - _digamma(xp, a),
                                   a / b - x],
              None),
    "exponential": (("lam",),
                    lambda xp, x, lam: xp.log(lam) - lam * x,
                    lambda xp, x, lam: [0 * x - lam, 1 / lam - x],
                    None),
    "poisson": (("lam",),
                lambda xp, x, lam: x * xp.log(lam) - lam - _lgamma(xp, x + 1),
                lambda xp, x, lam: [0 * x, x / lam - 1],
                None),
    "negative_binomial": (("k", "p"), _nb_logpdf,
                          lambda xp, x, k, p: [0 * x, _digamma(xp, x + k) - _digamma(xp, k)
                                               + xp.log(p), k / p - x / (1 - p)],
                          None),
    "generalized_negative_binomial": (("mu", "alpha"),
                                      lambda xp, x, mu, a: _nb_logpdf(xp, x, *_gnb_kp(mu, a)),
                                      _gnb_dlog, None),
}


def _pdf_type(op):
    def infer(attrs, types):
        known = [t for t in types if t is not None]
        if any(t != known[0] for t in known):
            raise MXNetError(f"{op}: inputs must have the same dtype, got "
                             + ", ".join(str(t) for t in types))
        if not known:
            return types, [None]
        if known[0] not in _FLOATS:  # MXNet refuses integer samples and parameters
            raise MXNetError(f"{op}: inputs must have a floating-point dtype, got {known[0]}")
        return [known[0]] * len(types), [known[0]]
    return infer


def _pdf_shape(op, dirichlet=False):
    def infer(attrs, shapes):
        sample, params = shapes[0], [s for s in shapes[1:] if s is not None]
        if sample is None or not params:
            return shapes, [None]
        p = tuple(params[0])
        lead = p[:-1] if dirichlet else p
        ok = all(tuple(q) == p for q in params) and tuple(sample[:len(lead)]) == lead
        if dirichlet:
            ok = ok and len(p) >= 1 and len(sample) > len(lead) and sample[-1] == p[-1]
        if not ok:
            raise MXNetError(f"{op}: the parameters must share one shape P and 'sample' must "
                             f"have shape P + extra axes{' + (k,)' if dirichlet else ''}, got "
                             "sample " + ", ".join(str(tuple(s)) for s in shapes))
        out = tuple(sample[:-1]) or (1,) if dirichlet else tuple(sample)
        return [tuple(sample)] + [p] * len(params), [out]
    return infer


def _expand(a, ndim, before=None):
    """Parameter array ``a`` with singleton axes for the sample's extra axes."""
    shape = a.shape if before is None else a.shape[:before]
    rest = () if before is None else a.shape[before:]
    return a.reshape(shape + (1,) * (ndim - a.ndim) + rest)


def _register_pdf(name, pnames, logpdf, dlogpdf, pdf):
    op = f"_random_pdf_{name}"
    backward = f"_backward_pdf_{name}"

    def density(xp, x, params, is_log):
        if is_log:
            return logpdf(xp, x, *params)
        return pdf(xp, x, *params) if pdf is not None else xp.exp(logpdf(xp, x, *params))

    def compute(xp, attrs, sample, *params):
        _pdf_shape(op)(attrs, [sample.shape] + [p.shape for p in params])
        _pdf_type(op)(attrs, [sample.dtype.name] + [p.dtype.name for p in params])
        x = sample.astype(np.float64)
        ps = [_expand(p.astype(np.float64), x.ndim) for p in params]
        with np.errstate(all="ignore"):
            return density(xp, x, ps, attrs.is_log).astype(sample.dtype)
    compute.__doc__ = (f"The {name.replace('_', ' ')} density (or its log with `is_log`) of "
                       "each sample under the parameters at its leading index.")

    def compute_backward(xp, attrs, ograd, sample, *params):
        x = sample.astype(np.float64)
        ps = [_expand(p.astype(np.float64), x.ndim) for p in params]
        with np.errstate(all="ignore"):
            scale = ograd.astype(np.float64)
            if not attrs.is_log:
                scale = scale * density(xp, x, ps, False)
            grads = [d * scale for d in dlogpdf(xp, x, *ps)]
        out = [grads[0].astype(sample.dtype)]
        for g, p in zip(grads[1:], params):
            out.append(g.sum(axis=tuple(range(p.ndim, x.ndim))).astype(p.dtype))
        return tuple(out)

    inputs = ("sample",) + pnames
    register(op, aliases=(f"random_pdf_{name}",), inputs=inputs,
             params={"is_log": Param("bool", False, "Return the log-density.")},
             infer_shape=_pdf_shape(op), infer_type=_pdf_type(op),
             gradient=lambda F, attrs, ins, outs, g: list(getattr(F._internal, backward)(
                 g[0], *ins, is_log=attrs.is_log)))(compute)
    compute_backward.__doc__ = f"Gradients of `{op}` with respect to all its inputs."
    register(backward, inputs=("ograd",) + inputs, num_outputs=len(inputs),
             params={"is_log": Param("bool", False)},
             infer_shape=lambda attrs, s: (s, list(s[1:])),
             infer_type=lambda attrs, t: (t, list(t[1:])))(compute_backward)


for _name, _spec in _PDFS.items():
    _register_pdf(_name, *_spec)


def _dirichlet_parts(x, alpha):
    """``alpha`` aligned with the sample's axes, and its sum over the k components."""
    a = _expand(alpha, x.ndim, before=alpha.ndim - 1)
    return a, a.sum(axis=-1, keepdims=True)


@register("_random_pdf_dirichlet", aliases=("random_pdf_dirichlet",), inputs=("sample", "alpha"),
          params={"is_log": Param("bool", False, "Return the log-density.")},
          infer_shape=_pdf_shape("_random_pdf_dirichlet", dirichlet=True),
          infer_type=_pdf_type("_random_pdf_dirichlet"),
          gradient=lambda F, attrs, ins, outs, g: list(F._internal._backward_pdf_dirichlet(
              g[0], *ins, is_log=attrs.is_log)))
def _pdf_dirichlet(xp, attrs, sample, alpha):
    """The Dirichlet density (or its log with `is_log`) of each sample (last axis: the k
    components) under the concentrations `alpha` at its leading index."""
    _, (shape,) = _pdf_shape("_random_pdf_dirichlet", True)(attrs, [sample.shape, alpha.shape])
    _pdf_type("_random_pdf_dirichlet")(attrs, [sample.dtype.name, alpha.dtype.name])
    with np.errstate(all="ignore"):
        out = _dirichlet_log(xp, sample.astype(np.float64), alpha.astype(np.float64))
        if not attrs.is_log:
            out = xp.exp(out)
    return out.reshape(shape).astype(sample.dtype)


def _dirichlet_log(xp, x, alpha):
    a, total = _dirichlet_parts(x, alpha)
    return (_lgamma(xp, total[..., 0]) - _lgamma(xp, a).sum(axis=-1)
            + ((a - 1) * xp.log(x)).sum(axis=-1))


@register("_backward_pdf_dirichlet", inputs=("ograd", "sample", "alpha"), num_outputs=2,
          params={"is_log": Param("bool", False)},
          infer_shape=lambda attrs, s: (s, list(s[1:])),
          infer_type=lambda attrs, t: (t, list(t[1:])))
def _backward_pdf_dirichlet(xp, attrs, ograd, sample, alpha):
    """Gradients of `_random_pdf_dirichlet` with respect to the sample and `alpha`."""
    x = sample.astype(np.float64)
    with np.errstate(all="ignore"):
        a, total = _dirichlet_parts(x, alpha.astype(np.float64))
        scale = ograd.astype(np.float64).reshape(x.shape[:-1])
        if not attrs.is_log:
            scale = scale * xp.exp(_dirichlet_log(xp, x, alpha.astype(np.float64)))
        scale = scale[..., None]
        gx = scale * (a - 1) / x
        ga = scale * (_digamma(xp, total) - _digamma(xp, a) + xp.log(x))
    ga = ga.sum(axis=tuple(range(alpha.ndim - 1, x.ndim - 1)))
    return gx.astype(sample.dtype), ga.reshape(alpha.shape).astype(alpha.dtype)
