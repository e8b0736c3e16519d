"""``_npi_*`` unary elementwise operators of the ``mx.np`` front end: math
functions, predicates (isnan...), rounding, clip and nan_to_num.

The math functions are the computations of the legacy ops in unary.py
(integer inputs are evaluated in float32 and cast back, so ``exp`` of int32
is int32, as in MXNet), declared under MXNet's ``_npi_`` names with the input
called ``x``; bool input is refused there, as MXNet does. Predicates answer
bool arrays and pass no gradient.
"""
import numpy as np

from ..base import MXNetError
from .binary import scalar_as
from .infer import same_shape
from .params import Param
from .registry import get, register


def _keep_type(attrs, types):
    return types, [types[0]]


def _zero_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(x) for x in ins]


# -- math functions -------------------------------------------------------------

_FROM_LEGACY = {
    "abs": "abs", "absolute": "abs", "negative": "negative", "sign": "sign",
    "square": "square", "sqrt": "sqrt", "cbrt": "cbrt", "reciprocal": "reciprocal",
    "exp": "exp", "expm1": "expm1", "log": "log", "log10": "log10", "log2": "log2",
    "log1p": "log1p", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "arcsin",
    "arccos": "arccos", "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsinh": "arcsinh", "arccosh": "arccosh", "arctanh": "arctanh", "degrees": "degrees",
    "radians": "radians", "floor": "floor", "ceil": "ceil", "trunc": "trunc", "fix": "fix",
    "rint": "rint",
}


def _register_from_legacy(name, legacy_name):
    legacy = get(legacy_name)
    kernel = legacy.compute
    op_name = f"_npi_{name}"

    def compute(xp, attrs, x):
        if x.dtype.kind == "b":
            raise MXNetError(f"{op_name}: boolean input is not supported; cast it to a "
                             "number type first")
        return kernel(xp, attrs, x)
    compute.__doc__ = legacy.doc
    register(op_name, inputs=("x",), infer_shape=same_shape(op_name), infer_type=_keep_type,
             gradient=legacy.gradient, inplace=((0, 0),))(compute)


for _name, _legacy in _FROM_LEGACY.items():
    _register_from_legacy(_name, _legacy)


# -- predicates ---------------------------------------------------------------------

def _register_predicate(name, fn, doc):
    """A unary op answering a bool array."""
    def compute(xp, attrs, x):
        return fn(xp, x)
    compute.__doc__ = doc
    register(name, inputs=("x",), infer_shape=same_shape(name),
             infer_type=lambda attrs, t: (t, ["bool"]), gradient=_zero_grad)(compute)


def _float_test(ufunc, fill):
    """The float predicate ``xp.<ufunc>``; integers and bools are answered with ``fill``."""
    def fn(xp, x):
        if x.dtype.kind == "f":
            return getattr(xp, ufunc)(x)
        return xp.full(x.shape, fill)
    return fn


_register_predicate("_npi_logical_not", lambda xp, x: xp.logical_not(x),
                    "True where x is zero (logical not), elementwise.")
_register_predicate("_npi_isnan", _float_test("isnan", False),
                    "True where x is NaN, elementwise.")
_register_predicate("_npi_isinf", _float_test("isinf", False),
                    "True where x is positive or negative infinity, elementwise.")
_register_predicate("_npi_isposinf", _float_test("isposinf", False),
                    "True where x is positive infinity, elementwise.")
_register_predicate("_npi_isneginf", _float_test("isneginf", False),
                    "True where x is negative infinity, elementwise.")
_register_predicate("_npi_isfinite", _float_test("isfinite", True),
                    "True where x is neither infinite nor NaN, elementwise.")


@register("_npi_bitwise_not", inputs=("x",), infer_shape=same_shape("_npi_bitwise_not"),
          infer_type=_keep_type, gradient=_zero_grad)
def _bitwise_not(xp, attrs, x):
    """Bitwise NOT of integers (logical not of bools), elementwise."""
    if x.dtype.kind not in "iub":
        raise MXNetError(f"_npi_bitwise_not: integer or bool input expected, got {x.dtype}")
    return xp.invert(x)


# -- rounding ------------------------------------------------------------------------

@register("_npi_around", inputs=("x",),
          params={"decimals": Param("int", 0, "Number of decimal places to round to "
                                    "(negative: tens, hundreds...).")},
          infer_shape=same_shape("_npi_around"), infer_type=_keep_type, gradient=_zero_grad)
def _around(xp, attrs, x):
    """Round to ``decimals`` decimal places; exact halves go to the even
    neighbour. Integers with negative ``decimals`` are truncated toward zero
    to a multiple of 10**-decimals, as MXNet does (15 -> 10 at -1)."""
    d = attrs.decimals
    if x.dtype.kind == "b":
        raise MXNetError("_npi_around: boolean input is not supported")
    if x.dtype.kind in "iu":
        if d >= 0:
            return x.copy()
        step = x.dtype.type(10 ** -d) if 10 ** -d <= np.iinfo(x.dtype).max else None
        if step is None:
            return xp.zeros_like(x)
        return (xp.abs(x) // step * step * xp.sign(x)).astype(x.dtype)
    return xp.around(x, d)


# -- clip ------------------------------------------------------------------------------

def _clip_grad(F, attrs, ins, outs, g):
    # The gradient passes where a_min <= x <= a_max.
    i = F._internal
    x = ins[0]
    grad = g[0]
    if attrs.a_min is not None:
        grad = i._npi_multiply(grad, i._npi_greater_equal_scalar(x, scalar=attrs.a_min))
    if attrs.a_max is not None:
        grad = i._npi_multiply(grad, i._npi_less_equal_scalar(x, scalar=attrs.a_max))
    return [grad]


@register("_npi_clip", inputs=("data",),
          params={"a_min": Param("float", None, "Lower bound (None: no lower bound)."),
                  "a_max": Param("float", None, "Upper bound (None: no upper bound).")},
          infer_shape=same_shape("_npi_clip"), infer_type=_keep_type, gradient=_clip_grad)
def _clip(xp, attrs, data):
    """Limit the values to [a_min, a_max] (a_max wins when a_min > a_max). The
    bounds are compared as numbers and cast to the dtype when chosen (an
    int32 array clipped to [0.5, 2.5] gives values in [0, 2]); NaN stays."""
    out = data
    if attrs.a_min is not None:
        out = xp.where(out < attrs.a_min, scalar_as(data.dtype, attrs.a_min), out)
    if attrs.a_max is not None:
        out = xp.where(data > attrs.a_max, scalar_as(data.dtype, attrs.a_max), out)
    return out.astype(data.dtype, copy=out is data)


# -- nan_to_num ------------------------------------------------------------------------

def _nan_to_num_grad(F, attrs, ins, outs, g):
    # Finite inputs pass through; the replaced ones are constants.
    i = F._internal
    return [i._npi_multiply(g[0], i._npi_isfinite(ins[0]))]


@register("_npi_nan_to_num", inputs=("data",),
          params={"copy": Param("bool", True, "Whether to return a copy (False: the front "
                                "end writes the result into the input)."),
                  "nan": Param("float", 0.0, "Value replacing NaN."),
                  "posinf": Param("float", None, "Value replacing +inf (None: the dtype's "
                                  "largest finite value)."),
                  "neginf": Param("float", None, "Value replacing -inf (None: the dtype's "
                                  "most negative finite value).")},
          infer_shape=same_shape("_npi_nan_to_num"), infer_type=_keep_type,
          gradient=_nan_to_num_grad)
def _nan_to_num(xp, attrs, data):
    """NaN replaced by ``nan``, infinities by ``posinf``/``neginf``; integer and
    bool arrays are returned unchanged."""
    if data.dtype.kind != "f":
        return data.copy()
    info = np.finfo(data.dtype)
    posinf = info.max if attrs.posinf is None else attrs.posinf
    neginf = info.min if attrs.neginf is None else attrs.neginf
    with np.errstate(over="ignore"):
        return xp.nan_to_num(data, copy=True, nan=attrs.nan, posinf=posinf, neginf=neginf)
