"""Elementwise unary math: one table row per operator.

A row is (name, aliases, kernel, gradient, doc). Kernels map an array to an
array of the same shape and dtype. Like MXNet, functions with real-valued
results are evaluated in float32 for float16 and integer inputs and cast
back to the input dtype (so ``sqrt`` of int32 4 is 2, and ``square`` of a
large int64 loses the low bits as it does in MXNet); float32 and float64
are evaluated natively. Gradients receive the input ``x``, the output ``y``
and the output gradient ``g`` and use ``F`` operators only, so they can be
differentiated again.

The special functions (erf, erfinv, gamma, gammaln) use ``scipy.special``
when it is installed and a NumPy/``math`` fallback otherwise; digamma and
trigamma, needed by the gamma gradients, are written here against ``xp``.
"""
import functools
import importlib
import math

import numpy as np

from ..base import MXNetError
from .infer import same_shape, same_type
from .quiet import quiet
from .registry import register


def _float_compute(fn):
    """A kernel evaluating ``fn`` in float32 for float16/integer inputs and
    casting the result back to the input dtype."""
    @quiet
    def kernel(xp, x):
        if x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            return fn(xp, x).astype(x.dtype, copy=False)
        return fn(xp, x.astype("float32")).astype(x.dtype)
    return kernel


def _rounding(fn):
    """A rounding kernel: integers are already whole, so they are copied."""
    float_kernel = _float_compute(fn)

    def kernel(xp, x):
        if x.dtype.kind in "iub":
            return x.copy()
        return float_kernel(xp, x)
    return kernel


def _ufunc(name):
    """``_float_compute`` of the float ufunc ``name``, flattened: a float32 or
    float64 input needs no cast either way (the ufunc keeps its dtype)."""
    @quiet
    def kernel(xp, x):
        dtype = x.dtype
        if dtype.kind == "f" and dtype.itemsize >= 4:
            return getattr(xp, name)(x)
        return getattr(xp, name)(x.astype("float32")).astype(dtype)
    return kernel


def _sigmoid(xp, x):
    return 1 / (1 + xp.exp(-x))


def _rsqrt(xp, x):
    return 1 / xp.sqrt(x)


def _rcbrt(xp, x):
    return 1 / xp.cbrt(x)


def _relu(xp, x):
    return xp.maximum(x, 0).astype(x.dtype, copy=False)


def _softsign(xp, x):
    return x / (1 + xp.abs(x))


def _round_half_away(xp, x):
    # C's round(): halves go away from zero. Adding 0.5 then flooring would
    # round 0.49999997 up in float32, so compare the dropped fraction instead.
    t = xp.trunc(x)
    return xp.where(xp.abs(x - t) >= 0.5, t + xp.sign(x), t)


def _rint(xp, x):
    # MXNet's rint picks the lower neighbour on exact halves (2.5 -> 2,
    # -2.5 -> -3), unlike IEEE round-half-even.
    lo = xp.floor(x)
    hi = xp.ceil(x)
    return xp.where(x - lo <= hi - x, lo, hi)


def _reciprocal(xp, x):
    return 1 / x


def _negative(xp, x):
    return xp.negative(x)


def _abs(xp, x):
    return xp.abs(x)


def _sign(xp, x):
    return xp.sign(x)


def _square(xp, x):
    return xp.square(x)


def _identity(xp, x):
    return x.copy()


def _logical_not(xp, x):
    return (x == 0).astype(x.dtype)


# MXNet converts between degrees and radians with float32 constants, even
# for float64 data.
_DEGREES_PER_RADIAN = float(np.float32(180) / np.float32(np.pi))
_RADIANS_PER_DEGREE = float(np.float32(np.pi) / np.float32(180))


def _degrees(xp, x):
    return x * x.dtype.type(_DEGREES_PER_RADIAN)


def _radians(xp, x):
    return x * x.dtype.type(_RADIANS_PER_DEGREE)


# -- special functions ---------------------------------------------------------

@functools.lru_cache(maxsize=None)
def _scipy_function(module, name):
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError:
        return None


def _gamma_scalar(v):
    try:
        return math.gamma(v)
    except OverflowError:
        return math.inf
    except ValueError:  # a pole: +-inf at a signed zero, nan at negative integers and -inf
        return math.copysign(math.inf, v) if v == 0 else math.nan


def _lgamma_scalar(v):
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):  # poles
        return math.inf


def _elementwise(fn):
    """Apply the float -> float scalar function ``fn`` to a float64 array."""
    ufunc = np.frompyfunc(fn, 1, 1)
    return lambda x: ufunc(x).astype("float64")


_erf_fallback = _elementwise(math.erf)


def _erfinv_fallback(x):
    """Inverse error function: Giles' single-precision approximation
    ("Approximating the erfinv function", 2010), refined by two Newton steps."""
    with np.errstate(all="ignore"):
        w = -np.log((1 - x) * (1 + x))
        c = w - 2.5
        central = functools.reduce(lambda p, k: p * c + k, (
            2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
            -0.00125372503, -0.00417768164, 0.246640727, 1.50140941))
        t = np.sqrt(w) - 3
        tail = functools.reduce(lambda p, k: p * t + k, (
            -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
            -0.0076224613, 0.00943887047, 1.00167406, 2.83297682))
        y = np.where(w < 5, central, tail) * x
        for _ in range(2):
            step = (_erf_fallback(y) - x) / (2 / math.sqrt(math.pi) * np.exp(-y * y))
            y = np.where(np.isfinite(step), y - step, y)
        return np.where(np.abs(x) == 1, np.copysign(np.inf, x), y)


_FALLBACKS = {
    "erf": _erf_fallback,
    "erfinv": _erfinv_fallback,
    "gamma": _elementwise(_gamma_scalar),
    "gammaln": _elementwise(_lgamma_scalar),
}


def special_function(xp, name):
    """The vectorised special function ``name`` for the array module ``xp``:
    scipy.special's (cupyx.scipy.special's for CuPy) when installed, else the
    NumPy fallback (for CuPy through a copy to the host). Raises MXNetError
    when neither exists."""
    if xp is np:
        fn = _scipy_function("scipy.special", name)
        if fn is None:
            fallback = _FALLBACKS[name]
            return lambda x: fallback(x.astype("float64")).astype(x.dtype)
        return fn
    fn = _scipy_function("cupyx.scipy.special", name)
    if fn is not None:
        return fn
    to_host = getattr(xp, "asnumpy", None)
    if to_host is None:
        raise MXNetError(f"{name}: on this device the operator needs cupyx.scipy.special, "
                         "which is not installed")
    on_host = special_function(np, name)
    return lambda x: xp.asarray(on_host(to_host(x)))


def _special(name):
    return _float_compute(lambda xp, x: special_function(xp, name)(x))


def _gammaln(xp, x):
    # log|gamma(-inf)| is +inf as in C's lgamma (scipy answers -inf).
    return xp.where(x == -xp.inf, xp.inf, special_function(xp, "gammaln")(x))


def _digamma(xp, x):
    """psi(x) = d/dx log(gamma(x)), for the gradients of gamma and gammaln."""
    x = x.astype("float64")
    reflect = x < 0.5
    z = xp.where(reflect, 1 - x, x)
    shift = xp.zeros_like(z)
    for _ in range(6):  # psi(z) = psi(z + 1) - 1/z until z >= 6, where the series is exact enough
        small = z < 6
        shift -= xp.where(small, 1 / z, 0)
        z = xp.where(small, z + 1, z)
    r = 1 / (z * z)
    series = r * (1 / 12 - r * (1 / 120 - r * (1 / 252 - r * (1 / 240 - r / 132))))
    out = xp.log(z) - 0.5 / z - series
    out += shift
    # Reflection: psi(x) = psi(1 - x) - pi / tan(pi x).
    return xp.where(reflect, out - math.pi / xp.tan(math.pi * x), out)


def _trigamma(xp, x):
    """psi'(x), the derivative of digamma, for second derivatives of gamma."""
    x = x.astype("float64")
    reflect = x < 0.5
    z = xp.where(reflect, 1 - x, x)
    shift = xp.zeros_like(z)
    for _ in range(6):  # psi'(z) = psi'(z + 1) + 1/z**2
        small = z < 6
        shift += xp.where(small, 1 / (z * z), 0)
        z = xp.where(small, z + 1, z)
    r = 1 / (z * z)
    out = 1 / z + r / 2 + r / z * (1 / 6 - r * (1 / 30 - r * (1 / 42 - r * (1 / 30 - r * 5 / 66))))
    out += shift
    # Reflection: psi'(x) = pi**2 / sin(pi x)**2 - psi'(1 - x).
    return xp.where(reflect, (math.pi / xp.sin(math.pi * x)) ** 2 - out, out)


def _zero_rule(F, x, y, g):
    return F.zeros_like(x)


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

_ROWS = [
    # name, aliases, kernel, gradient(F, x, y, g) or None, doc
    ("negative", (), _negative, lambda F, x, y, g: F.negative(g),
     "Numerical negative, elementwise."),
    ("abs", (), _abs, lambda F, x, y, g: g * F.sign(x), "Absolute value, elementwise."),
    ("sign", (), _float_compute(_sign), _zero_rule, "Sign (-1, 0 or 1), elementwise."),
    ("square", (), _float_compute(_square), lambda F, x, y, g: g * x * 2, "Square, elementwise."),
    ("sqrt", (), _ufunc("sqrt"), lambda F, x, y, g: g / (y * 2), "Square root, elementwise."),
    ("rsqrt", (), _float_compute(_rsqrt), lambda F, x, y, g: g * y * y * y * -0.5,
     "Reciprocal square root, elementwise."),
    ("cbrt", (), _ufunc("cbrt"), lambda F, x, y, g: g / (y * y * 3), "Cube root, elementwise."),
    ("rcbrt", (), _float_compute(_rcbrt), lambda F, x, y, g: g * y / x * (-1.0 / 3),
     "Reciprocal cube root, elementwise."),
    ("exp", (), _ufunc("exp"), lambda F, x, y, g: g * y, "Exponential, elementwise."),
    ("expm1", (), _ufunc("expm1"), lambda F, x, y, g: g * (y + 1), "exp(x) - 1, elementwise."),
    ("log", (), _ufunc("log"), lambda F, x, y, g: g / x, "Natural logarithm, elementwise."),
    ("log10", (), _ufunc("log10"), lambda F, x, y, g: g / (x * math.log(10)),
     "Base-10 logarithm, elementwise."),
    ("log2", (), _ufunc("log2"), lambda F, x, y, g: g / (x * math.log(2)),
     "Base-2 logarithm, elementwise."),
    ("log1p", (), _ufunc("log1p"), lambda F, x, y, g: g / (x + 1), "log(1 + x), elementwise."),
    ("reciprocal", (), _float_compute(_reciprocal), lambda F, x, y, g: F.negative(g * y * y),
     "Reciprocal 1/x, elementwise."),
    ("sin", (), _ufunc("sin"), lambda F, x, y, g: g * F.cos(x), "Sine, elementwise."),
    ("cos", (), _ufunc("cos"), lambda F, x, y, g: F.negative(g * F.sin(x)), "Cosine, elementwise."),
    ("tan", (), _ufunc("tan"), lambda F, x, y, g: g * (y * y + 1), "Tangent, elementwise."),
    ("arcsin", (), _ufunc("arcsin"), lambda F, x, y, g: g * F.rsqrt(1 - x * x),
     "Inverse sine, elementwise."),
    ("arccos", (), _ufunc("arccos"), lambda F, x, y, g: F.negative(g * F.rsqrt(1 - x * x)),
     "Inverse cosine, elementwise."),
    ("arctan", (), _ufunc("arctan"), lambda F, x, y, g: g / (x * x + 1),
     "Inverse tangent, elementwise."),
    ("sinh", (), _ufunc("sinh"), lambda F, x, y, g: g * F.cosh(x), "Hyperbolic sine, elementwise."),
    ("cosh", (), _ufunc("cosh"), lambda F, x, y, g: g * F.sinh(x),
     "Hyperbolic cosine, elementwise."),
    ("tanh", (), _ufunc("tanh"), lambda F, x, y, g: g * (1 - y * y),
     "Hyperbolic tangent, elementwise."),
    ("arcsinh", (), _ufunc("arcsinh"), lambda F, x, y, g: g * F.rsqrt(x * x + 1),
     "Inverse hyperbolic sine, elementwise."),
    ("arccosh", (), _ufunc("arccosh"), lambda F, x, y, g: g * F.rsqrt(x * x - 1),
     "Inverse hyperbolic cosine, elementwise."),
    ("arctanh", (), _ufunc("arctanh"), lambda F, x, y, g: g / (1 - x * x),
     "Inverse hyperbolic tangent, elementwise."),
    ("degrees", (), _float_compute(_degrees), lambda F, x, y, g: g * _DEGREES_PER_RADIAN,
     "Radians to degrees, elementwise."),
    ("radians", (), _float_compute(_radians), lambda F, x, y, g: g * _RADIANS_PER_DEGREE,
     "Degrees to radians, elementwise."),
    ("sigmoid", (), _float_compute(_sigmoid), lambda F, x, y, g: g * y * (1 - y),
     "Logistic sigmoid 1/(1+exp(-x)), elementwise."),
    ("softsign", (), _float_compute(_softsign),
     lambda F, x, y, g: g / F.square(F.abs(x) + 1), "x/(1+|x|), elementwise."),
    ("relu", (), _relu, lambda F, x, y, g: F._internal._backward_relu(g, y),
     "Rectified linear unit max(x, 0)."),
    ("floor", (), _rounding(lambda xp, x: xp.floor(x)), _zero_rule, "Floor, elementwise."),
    ("ceil", (), _rounding(lambda xp, x: xp.ceil(x)), _zero_rule, "Ceiling, elementwise."),
    ("trunc", (), _rounding(lambda xp, x: xp.trunc(x)), _zero_rule,
     "Truncate toward zero, elementwise."),
    ("fix", (), _rounding(lambda xp, x: xp.trunc(x)), _zero_rule,
     "Round toward zero, elementwise."),
    ("rint", (), _rounding(_rint), _zero_rule,
     "Round to the nearest integer; exact halves go to the lower integer (2.5 -> 2, -2.5 -> -3)."),
    ("round", (), _rounding(_round_half_away), _zero_rule,
     "Round to the nearest integer; exact halves go away from zero (2.5 -> 3, -2.5 -> -3)."),
    ("logical_not", (), _logical_not, _zero_rule, "Logical not (1 where x == 0), elementwise."),
    ("_copy", ("identity",), _identity, lambda F, x, y, g: g, "A copy of the input."),
    ("erf", (), _special("erf"),
     lambda F, x, y, g: g * F.exp(F.negative(F.square(x))) * _TWO_OVER_SQRT_PI,
     "Gauss error function, elementwise."),
    ("erfinv", (), _special("erfinv"),
     lambda F, x, y, g: g * F.exp(F.square(y)) / _TWO_OVER_SQRT_PI,
     "Inverse of the error function, elementwise (+-inf at +-1, nan outside [-1, 1])."),
    ("gamma", (), _special("gamma"), lambda F, x, y, g: g * y * F._internal._digamma(x),
     "Gamma function, elementwise (inf at 0, nan at negative integers)."),
    ("gammaln", (), _float_compute(_gammaln), lambda F, x, y, g: g * F._internal._digamma(x),
     "Logarithm of the absolute value of the gamma function, elementwise."),
    ("_digamma", (), _float_compute(_digamma), lambda F, x, y, g: g * F._internal._trigamma(x),
     "Digamma function psi(x), the derivative of gammaln (used by gradients)."),
    ("_trigamma", (), _float_compute(_trigamma), None,
     "Trigamma function, the derivative of digamma (used by second derivatives)."),
]


def _declare(name, aliases, kernel, rule, doc):
    def compute(xp, attrs, data):
        return kernel(xp, data)
    compute.__doc__ = doc
    gradient = None
    if rule is not None:
        def gradient(F, attrs, ins, outs, g):
            return [rule(F, ins[0], outs[0], g[0])]
    register(name, aliases=aliases, infer_shape=same_shape(name), infer_type=same_type(name),
             gradient=gradient, inplace=((0, 0),))(compute)


for _row in _ROWS:
    _declare(*_row)


def _relu_backward_grad(F, attrs, ins, outs, h):
    """Second order: linear in ``lhs``; the mask from ``rhs`` is flat almost everywhere."""
    return [F._internal._backward_relu(h[0], ins[1]), None]


@register("_backward_relu", inputs=("lhs", "rhs"), infer_shape=same_shape("_backward_relu"),
          infer_type=same_type("_backward_relu"), gradient=_relu_backward_grad)
@quiet  # inf * 0 is nan, as g * (x > 0) gives
def _relu_backward(xp, attrs, lhs, rhs):
    """Gradient of relu in one op: ``lhs`` (the output gradient) where ``rhs``
    (relu's output) is positive, else 0."""
    if lhs.shape != rhs.shape or lhs.dtype != rhs.dtype:
        raise MXNetError(f"_backward_relu: 'lhs' must match 'rhs' ({rhs.shape}, {rhs.dtype}), "
                         f"got {lhs.shape}, {lhs.dtype}")
    return lhs * (rhs > 0)
