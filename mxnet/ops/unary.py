"""Elementwise unary math: one table row per operator.

A row is (name, aliases, kernel, gradient, doc). Kernels map an array to an
array of the same shape and dtype (integer inputs of float-valued functions
are computed in float and cast back, as MXNet does). Gradients receive the
input ``x``, the output ``y`` and the output gradient ``g`` and use ``F``
operators only, so they can be differentiated again.
"""
import numpy as np

from .infer import same_shape, same_type
from .registry import register


def _keep_dtype(fn):
    """Apply a float function and cast the result back to the input dtype."""
    def kernel(xp, x):
        with np.errstate(all="ignore"):
            if x.dtype.kind in "iub":
                return fn(xp, x.astype("float32")).astype(x.dtype)
            return fn(xp, x).astype(x.dtype, copy=False)
    return kernel


def _ufunc(name):
    return _keep_dtype(lambda xp, x: getattr(xp, name)(x))


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
    # MXNet's round() rounds halves away from zero (C's round), unlike NumPy's.
    return xp.sign(x) * xp.floor(xp.abs(x) + 0.5)


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


def _degrees(xp, x):
    return xp.degrees(x)


def _radians(xp, x):
    return xp.radians(x)


def _fix(xp, x):
    return xp.trunc(x)


def _zero_rule(F, x, y, g):
    return F.zeros_like(x)


_ROWS = [
    # name, aliases, kernel, gradient(F, x, y, g), doc
    ("negative", (), _negative, lambda F, x, y, g: F.negative(g), "Numerical negative, elementwise."),
    ("abs", (), _abs, lambda F, x, y, g: g * F.sign(x), "Absolute value, elementwise."),
    ("sign", (), _keep_dtype(_sign), _zero_rule, "Sign (-1, 0 or 1), elementwise."),
    ("square", (), _square, lambda F, x, y, g: g * x * 2, "Square, elementwise."),
    ("sqrt", (), _ufunc("sqrt"), lambda F, x, y, g: g / (y * 2), "Square root, elementwise."),
    ("rsqrt", (), _keep_dtype(_rsqrt), lambda F, x, y, g: g * y * y * y * -0.5,
     "Reciprocal square root, elementwise."),
    ("cbrt", (), _ufunc("cbrt"), lambda F, x, y, g: g / (y * y * 3), "Cube root, elementwise."),
    ("rcbrt", (), _keep_dtype(_rcbrt), lambda F, x, y, g: g * y / x * (-1.0 / 3),
     "Reciprocal cube root, elementwise."),
    ("exp", (), _ufunc("exp"), lambda F, x, y, g: g * y, "Exponential, elementwise."),
    ("expm1", (), _ufunc("expm1"), lambda F, x, y, g: g * (y + 1), "exp(x) - 1, elementwise."),
    ("log", (), _ufunc("log"), lambda F, x, y, g: g / x, "Natural logarithm, elementwise."),
    ("log10", (), _ufunc("log10"), lambda F, x, y, g: g / (x * float(np.log(10))),
     "Base-10 logarithm, elementwise."),
    ("log2", (), _ufunc("log2"), lambda F, x, y, g: g / (x * float(np.log(2))),
     "Base-2 logarithm, elementwise."),
    ("log1p", (), _ufunc("log1p"), lambda F, x, y, g: g / (x + 1), "log(1 + x), elementwise."),
    ("reciprocal", (), _keep_dtype(_reciprocal), lambda F, x, y, g: F.negative(g * y * y),
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
    ("degrees", (), _keep_dtype(_degrees), lambda F, x, y, g: g * float(180 / np.pi),
     "Radians to degrees, elementwise."),
    ("radians", (), _keep_dtype(_radians), lambda F, x, y, g: g * float(np.pi / 180),
     "Degrees to radians, elementwise."),
    ("sigmoid", (), _keep_dtype(_sigmoid), lambda F, x, y, g: g * y * (1 - y),
     "Logistic sigmoid 1/(1+exp(-x)), elementwise."),
    ("softsign", (), _keep_dtype(_softsign),
     lambda F, x, y, g: g / F.square(F.abs(x) + 1), "x/(1+|x|), elementwise."),
    ("relu", (), _relu, lambda F, x, y, g: g * (x > 0), "Rectified linear unit max(x, 0)."),
    ("floor", (), _ufunc("floor"), _zero_rule, "Floor, elementwise."),
    ("ceil", (), _ufunc("ceil"), _zero_rule, "Ceiling, elementwise."),
    ("trunc", (), _ufunc("trunc"), _zero_rule, "Truncate toward zero, elementwise."),
    ("fix", (), _keep_dtype(_fix), _zero_rule, "Round toward zero, elementwise."),
    ("rint", (), _ufunc("rint"), _zero_rule, "Round to nearest integer (halves to even)."),
    ("round", (), _keep_dtype(_round_half_away), _zero_rule,
     "Round to nearest integer (halves away from zero)."),
    ("logical_not", (), _logical_not, _zero_rule, "Logical not (1 where x == 0), elementwise."),
    ("_copy", ("identity",), _identity, lambda F, x, y, g: g, "A copy of the input."),
]


def _declare(name, aliases, kernel, rule, doc):
    def compute(xp, attrs, data):
        return kernel(xp, data)
    compute.__doc__ = doc
    register(name, aliases=aliases, infer_shape=same_shape(name), infer_type=same_type(name),
             gradient=lambda F, attrs, ins, outs, g: [rule(F, ins[0], outs[0], g[0])],
             inplace=((0, 0),))(compute)


for _row in _ROWS:
    _declare(*_row)
