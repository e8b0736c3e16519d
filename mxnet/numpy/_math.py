"""``mx.np`` elementwise functions (add, exp, maximum, where...).

Each function runs an ``_npi_*`` operator, so it is asynchronous, recorded by
autograd and works on Symbols too (``mx.sym.np`` graphs). Binary functions
take arrays or Python/NumPy scalars on either side: two arrays broadcast
against each other (``_npi_add``); an array and a scalar run the scalar form
(``_npi_add_scalar``, or ``_npi_rsubtract_scalar`` when the scalar is on the
left of a non-commutative op); two scalars are answered by NumPy itself, as
MXNet does. Anything else (a NumPy array, a list, None) is a TypeError, as
in MXNet. The dtype rules are those of ``mxnet/ops/np_elemwise.py``.
"""
import numpy as _onp

from ..base import MXNetError
from ..ndarray.invoke import invoke as _invoke
from ..ndarray.ndarray import NDArray as _NDArray
from ..ops import registry as _registry
from . import _host
from ._host import *  # noqa: F401,F403
from ._op import call as _call
from .multiarray import ndarray

__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "mod", "remainder",
           "power", "maximum", "minimum", "equal", "not_equal", "less", "less_equal",
           "greater", "greater_equal", "arctan2", "hypot", "copysign", "ldexp", "lcm",
           "bitwise_and", "bitwise_or", "bitwise_xor",
           "negative", "abs", "absolute", "fabs", "sign", "square", "sqrt", "cbrt",
           "reciprocal", "exp", "expm1", "log", "log10", "log2", "log1p", "sin", "cos", "tan",
           "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
           "arctanh", "degrees", "radians", "deg2rad", "rad2deg", "floor", "ceil", "trunc",
           "fix", "rint", "logical_not", "isnan", "isinf", "isposinf", "isneginf", "isfinite",
           "bitwise_not", "invert", "around", "round", "round_", "clip", "nan_to_num", "where"]

# The functions MXNet serves from NumPy on the host are exported from here too.
__all__ += _host.__all__

_SCALAR_TYPES = (int, float, _onp.integer, _onp.floating, _onp.bool_)
_NO_ARGS = {}


def _symbol_type():
    from ..symbol.symbol import Symbol
    return Symbol


_OUT_CHECKED = set()  # (op, kwargs, input shapes/dtypes, out shape/dtype) found consistent
_OUT_CHECKED_LIMIT = 4096


def check_out(fname, op, inputs, kwargs, out):
    """MXNetError unless ``out`` has the shape and dtype of ``op``'s result on
    ``inputs`` (MXNet refuses to cast or broadcast into ``out``). Consistent
    calls are remembered: in-place operators (``a += b``) repeat them, and
    inference with dtype names costs more than the arithmetic."""
    if not isinstance(out, _NDArray):
        raise TypeError(f"mx.np.{fname}: 'out' must be an mx.np.ndarray, got {type(out)}")
    try:
        key = (op, tuple(kwargs.items()), tuple([(x._data.shape, x._data.dtype) for x in inputs]),
               out._data.shape, out._data.dtype)
        if key in _OUT_CHECKED:
            return
    except TypeError:  # an unhashable argument: check without remembering
        key = None
    attrs = op.parse(kwargs) if kwargs else op.default_attrs()
    _, dtypes = op.infer_type(attrs, [_onp.dtype(x.dtype).name for x in inputs])
    _, shapes = op.infer_shape(attrs, [tuple(x.shape) for x in inputs])
    dtype, shape = _onp.dtype(out.dtype).name, tuple(out.shape)
    if dtypes[0] is not None and dtypes[0] != dtype:
        raise MXNetError(f"mx.np.{fname}: 'out' has dtype {dtype} but the result is {dtypes[0]}")
    if shapes[0] is not None and tuple(shapes[0]) != shape:
        raise MXNetError(f"mx.np.{fname}: 'out' has shape {shape} but the result has "
                         f"{tuple(shapes[0])}")
    if key is not None:
        if len(_OUT_CHECKED) >= _OUT_CHECKED_LIMIT:
            _OUT_CHECKED.clear()
        _OUT_CHECKED.add(key)


class _Binary:
    """How one binary function runs: its array-array op, its scalar ops (array
    on the left / scalar on the left) and the NumPy ufunc for two scalars."""
    __slots__ = ("name", "op", "scalar_op", "rscalar_op", "ufunc")

    def __init__(self, name, op, scalar_op, rscalar_op, ufunc):
        self.name = name
        self.op = _registry.get(op)
        self.scalar_op = _registry.get(scalar_op)
        self.rscalar_op = _registry.get(rscalar_op)
        self.ufunc = ufunc

    def __call__(self, x1, x2, out):
        # The hot path of mx.np arithmetic: invoke is called here directly.
        if isinstance(x1, _NDArray):
            if isinstance(x2, _NDArray):
                op, inputs, kwargs = self.op, [x1, x2], _NO_ARGS
            elif isinstance(x2, _SCALAR_TYPES):
                op, inputs, kwargs = self.scalar_op, [x1], _scalar_kwargs(x2)
            else:
                return self._symbolic(x1, x2, out)
        elif isinstance(x2, _NDArray) and isinstance(x1, _SCALAR_TYPES):
            op, inputs, kwargs = self.rscalar_op, [x2], _scalar_kwargs(x1)
        elif isinstance(x1, _SCALAR_TYPES) and isinstance(x2, _SCALAR_TYPES):
            return self.ufunc(x1, x2)
        else:
            return self._symbolic(x1, x2, out)
        if out is not None:
            check_out(self.name, op, inputs, kwargs, out)
            _invoke(op, inputs, kwargs, out)
            return out
        res = _invoke(op, inputs, kwargs, None)
        res.__class__ = ndarray
        return res

    def _symbolic(self, x1, x2, out):
        Symbol = _symbol_type()
        if isinstance(x1, Symbol):
            if isinstance(x2, Symbol):
                return _call(self.op.name, (x1, x2))
            if isinstance(x2, _SCALAR_TYPES):
                return _call(self.scalar_op.name, (x1,), _scalar_attrs(x2))
        elif isinstance(x2, Symbol) and isinstance(x1, _SCALAR_TYPES):
            return _call(self.rscalar_op.name, (x2,), _scalar_attrs(x1))
        bad = x2 if isinstance(x1, (_NDArray, Symbol, *_SCALAR_TYPES)) else x1
        raise TypeError(f"mx.np.{self.name}: operands must be mx.np.ndarray or scalars; "
                        f"type {type(bad)} not supported")


def _scalar_kwargs(value):
    """The scalar op's arguments for an imperative call: just the scalar (the
    kernels read no ``is_int``, and a one-item key keeps the parse cache fast)."""
    kind = type(value)
    if kind is float or kind is int:
        return {"scalar": value}
    return {"scalar": float(value)}


def _scalar_attrs(value):
    """The scalar op's arguments as MXNet writes them into a graph node."""
    return {"scalar": float(value), "is_int": isinstance(value, (int, _onp.integer, _onp.bool_))}


def _binary(name, op, ufunc, commutative=False, reverse=None):
    """``_Binary`` for ``_npi_<op>``; the scalar-on-the-left form is the same
    op (commutative), ``reverse`` (comparisons flip) or ``_npi_r<op>_scalar``."""
    if reverse is None:
        reverse = f"_npi_{op}_scalar" if commutative else f"_npi_r{op}_scalar"
    return _Binary(name, f"_npi_{op}", f"_npi_{op}_scalar", reverse, ufunc)


_ADD = _binary("add", "add", _onp.add, commutative=True)
_SUBTRACT = _binary("subtract", "subtract", _onp.subtract)
_MULTIPLY = _binary("multiply", "multiply", _onp.multiply, commutative=True)
_TRUE_DIVIDE = _binary("true_divide", "true_divide", _onp.true_divide)
_MOD = _binary("mod", "mod", _onp.mod)
_POWER = _binary("power", "power", _onp.power)
_MAXIMUM = _binary("maximum", "maximum", _onp.maximum, commutative=True)
_MINIMUM = _binary("minimum", "minimum", _onp.minimum, commutative=True)
_EQUAL = _binary("equal", "equal", _onp.equal, commutative=True)
_NOT_EQUAL = _binary("not_equal", "not_equal", _onp.not_equal, commutative=True)
_LESS = _binary("less", "less", _onp.less, reverse="_npi_greater_scalar")
_LESS_EQUAL = _binary("less_equal", "less_equal", _onp.less_equal,
                      reverse="_npi_greater_equal_scalar")
_GREATER = _binary("greater", "greater", _onp.greater, reverse="_npi_less_scalar")
_GREATER_EQUAL = _binary("greater_equal", "greater_equal", _onp.greater_equal,
                         reverse="_npi_less_equal_scalar")


def add(x1, x2, out=None, **kwargs):
    """``x1 + x2`` elementwise, broadcasting; either may be a scalar."""
    return _ADD(x1, x2, out)


def subtract(x1, x2, out=None, **kwargs):
    """``x1 - x2`` elementwise, broadcasting; either may be a scalar."""
    return _SUBTRACT(x1, x2, out)


def multiply(x1, x2, out=None, **kwargs):
    """``x1 * x2`` elementwise, broadcasting; either may be a scalar."""
    return _MULTIPLY(x1, x2, out)


def true_divide(x1, x2, out=None):
    """``x1 / x2`` elementwise in floating point (float32 for integer
    operands), broadcasting; either may be a scalar."""
    return _TRUE_DIVIDE(x1, x2, out)


def divide(x1, x2, out=None, **kwargs):
    """``x1 / x2`` elementwise in floating point; the same as ``true_divide``."""
    return _TRUE_DIVIDE(x1, x2, out)


def mod(x1, x2, out=None, **kwargs):
    """Remainder of ``x1 / x2`` with the sign of ``x2`` (Python's ``%``), 0
    where ``x2`` is 0; broadcasting, either may be a scalar."""
    return _MOD(x1, x2, out)


def remainder(x1, x2, out=None, **kwargs):
    """The same as ``mod``."""
    return _MOD(x1, x2, out)


def power(x1, x2, out=None, **kwargs):
    """``x1 ** x2`` elementwise, broadcasting; either may be a scalar.
    Integer powers with negative exponents truncate toward zero."""
    return _POWER(x1, x2, out)


def maximum(x1, x2, out=None, **kwargs):
    """Elementwise maximum (NaN propagates), broadcasting; either may be a scalar."""
    return _MAXIMUM(x1, x2, out)


def minimum(x1, x2, out=None, **kwargs):
    """Elementwise minimum (NaN propagates), broadcasting; either may be a scalar."""
    return _MINIMUM(x1, x2, out)


def equal(x1, x2, out=None):
    """``x1 == x2`` elementwise as a bool array, broadcasting."""
    return _EQUAL(x1, x2, out)


def not_equal(x1, x2, out=None):
    """``x1 != x2`` elementwise as a bool array, broadcasting."""
    return _NOT_EQUAL(x1, x2, out)


def less(x1, x2, out=None):
    """``x1 < x2`` elementwise as a bool array, broadcasting."""
    return _LESS(x1, x2, out)


def less_equal(x1, x2, out=None):
    """``x1 <= x2`` elementwise as a bool array, broadcasting."""
    return _LESS_EQUAL(x1, x2, out)


def greater(x1, x2, out=None):
    """``x1 > x2`` elementwise as a bool array, broadcasting."""
    return _GREATER(x1, x2, out)


def greater_equal(x1, x2, out=None):
    """``x1 >= x2`` elementwise as a bool array, broadcasting."""
    return _GREATER_EQUAL(x1, x2, out)


_ARCTAN2 = _Binary("arctan2", "_npi_arctan2", "_npi_arctan2_scalar", "_npi_rarctan2_scalar",
                   _onp.arctan2)
_HYPOT = _binary("hypot", "hypot", _onp.hypot, commutative=True)
_COPYSIGN = _binary("copysign", "copysign", _onp.copysign)
_LDEXP = _binary("ldexp", "ldexp", _onp.ldexp)
_LCM = _binary("lcm", "lcm", _onp.lcm, commutative=True)
_BITWISE_AND = _binary("bitwise_and", "bitwise_and", _onp.bitwise_and, commutative=True)
_BITWISE_OR = _binary("bitwise_or", "bitwise_or", _onp.bitwise_or, commutative=True)
_BITWISE_XOR = _binary("bitwise_xor", "bitwise_xor", _onp.bitwise_xor, commutative=True)


def arctan2(x1, x2, out=None, **kwargs):
    """Elementwise arc tangent of ``x1 / x2`` in the quadrant of the point
    ``(x2, x1)``, in radians; floating point operands only."""
    return _ARCTAN2(x1, x2, out)


def hypot(x1, x2, out=None, **kwargs):
    """Elementwise ``sqrt(x1**2 + x2**2)``; floating point operands only."""
    return _HYPOT(x1, x2, out)


def copysign(x1, x2, out=None, **kwargs):
    """``x1`` with the sign of ``x2``, elementwise (integer arrays stay integer)."""
    return _COPYSIGN(x1, x2, out)


def ldexp(x1, x2, out=None, **kwargs):
    """``x1 * 2**x2`` elementwise (integer results truncated toward zero)."""
    return _LDEXP(x1, x2, out)


def lcm(x1, x2, out=None, **kwargs):
    """Least common multiple of integer operands, elementwise."""
    return _LCM(x1, x2, out)


def bitwise_and(x1, x2, out=None, **kwargs):
    """Bitwise AND of integer or bool operands, elementwise."""
    return _BITWISE_AND(x1, x2, out)


def bitwise_or(x1, x2, out=None, **kwargs):
    """Bitwise OR of integer or bool operands, elementwise."""
    return _BITWISE_OR(x1, x2, out)


def bitwise_xor(x1, x2, out=None, **kwargs):
    """Bitwise XOR of integer or bool operands, elementwise."""
    return _BITWISE_XOR(x1, x2, out)


# -- unary functions ---------------------------------------------------------------------

class _Unary:
    """How one unary function runs: its op on arrays, NumPy's ufunc on scalars."""
    __slots__ = ("name", "op", "ufunc")

    def __init__(self, name, op, ufunc):
        self.name = name
        self.op = _registry.get(op)
        self.ufunc = ufunc

    def __call__(self, x, out, kwargs=_NO_ARGS):
        if isinstance(x, _NDArray):
            if out is not None:
                check_out(self.name, self.op, [x], kwargs, out)
                _invoke(self.op, [x], kwargs, out)
                return out
            res = _invoke(self.op, [x], kwargs, None)
            res.__class__ = ndarray
            return res
        if isinstance(x, _SCALAR_TYPES):
            return self.ufunc(x, **kwargs) if kwargs else self.ufunc(x)
        if isinstance(x, _symbol_type()):
            return _call(self.op.name, (x,), kwargs)
        raise TypeError(f"mx.np.{self.name}: the operand must be an mx.np.ndarray or a "
                        f"scalar; type {type(x)} not supported")


def _unary(name, ufunc=None):
    return _Unary(name, f"_npi_{name}", ufunc or getattr(_onp, name))


_NEGATIVE = _unary("negative")
_ABS = _unary("abs", _onp.abs)
_SIGN = _unary("sign")
_SQUARE = _unary("square")
_SQRT = _unary("sqrt")
_CBRT = _unary("cbrt")
_RECIPROCAL = _unary("reciprocal")
_EXP = _unary("exp")
_EXPM1 = _unary("expm1")
_LOG = _unary("log")
_LOG10 = _unary("log10")
_LOG2 = _unary("log2")
_LOG1P = _unary("log1p")
_SIN = _unary("sin")
_COS = _unary("cos")
_TAN = _unary("tan")
_ARCSIN = _unary("arcsin")
_ARCCOS = _unary("arccos")
_ARCTAN = _unary("arctan")
_SINH = _unary("sinh")
_COSH = _unary("cosh")
_TANH = _unary("tanh")
_ARCSINH = _unary("arcsinh")
_ARCCOSH = _unary("arccosh")
_ARCTANH = _unary("arctanh")
_DEGREES = _unary("degrees")
_RADIANS = _unary("radians")
_FLOOR = _unary("floor")
_CEIL = _unary("ceil")
_TRUNC = _unary("trunc")
_FIX = _unary("fix", _onp.trunc)  # numpy.fix is deprecated in NumPy 2.5
_RINT = _unary("rint")
_LOGICAL_NOT = _unary("logical_not")
_ISNAN = _unary("isnan")
_ISINF = _unary("isinf")
_ISPOSINF = _unary("isposinf")
_ISNEGINF = _unary("isneginf")
_ISFINITE = _unary("isfinite")
_BITWISE_NOT = _unary("bitwise_not", _onp.invert)
_AROUND = _unary("around")


def negative(x, out=None, **kwargs):
    """``-x`` elementwise (integers wrap around; not for bool)."""
    return _NEGATIVE(x, out)


def abs(x, out=None, **kwargs):  # noqa: A001 -- NumPy's name
    """Absolute value, elementwise (integer arrays stay integer)."""
    return _ABS(x, out)


def absolute(x, out=None, **kwargs):
    """Absolute value, elementwise; the same as ``abs``."""
    return _ABS(x, out)


def fabs(x, out=None, **kwargs):
    """Absolute value, elementwise; as ``abs`` (MXNet keeps integer dtypes)."""
    return _ABS(x, out)


def sign(x, out=None, **kwargs):
    """-1, 0 or 1 by the sign of each element (0 for NaN, as in MXNet)."""
    return _SIGN(x, out)


def square(x, out=None, **kwargs):
    """``x * x`` elementwise."""
    return _SQUARE(x, out)


def sqrt(x, out=None, **kwargs):
    """Non-negative square root, elementwise (NaN for negative numbers)."""
    return _SQRT(x, out)


def cbrt(x, out=None, **kwargs):
    """Cube root, elementwise."""
    return _CBRT(x, out)


def reciprocal(x, out=None, **kwargs):
    """``1 / x`` elementwise (integer results truncate: 1/2 is 0)."""
    return _RECIPROCAL(x, out)


def exp(x, out=None, **kwargs):
    """``e ** x`` elementwise. Integer arrays are computed in float32 and
    truncated back to their dtype, as in MXNet (so are the other math functions)."""
    return _EXP(x, out)


def expm1(x, out=None, **kwargs):
    """``exp(x) - 1`` elementwise, accurate for small ``x``."""
    return _EXPM1(x, out)


def log(x, out=None, **kwargs):
    """Natural logarithm, elementwise."""
    return _LOG(x, out)


def log10(x, out=None, **kwargs):
    """Base-10 logarithm, elementwise."""
    return _LOG10(x, out)


def log2(x, out=None, **kwargs):
    """Base-2 logarithm, elementwise."""
    return _LOG2(x, out)


def log1p(x, out=None, **kwargs):
    """``log(1 + x)`` elementwise, accurate for small ``x``."""
    return _LOG1P(x, out)


def sin(x, out=None, **kwargs):
    """Sine (radians), elementwise."""
    return _SIN(x, out)


def cos(x, out=None, **kwargs):
    """Cosine (radians), elementwise."""
    return _COS(x, out)


def tan(x, out=None, **kwargs):
    """Tangent (radians), elementwise."""
    return _TAN(x, out)


def arcsin(x, out=None, **kwargs):
    """Inverse sine, in radians in [-pi/2, pi/2], elementwise."""
    return _ARCSIN(x, out)


def arccos(x, out=None, **kwargs):
    """Inverse cosine, in radians in [0, pi], elementwise."""
    return _ARCCOS(x, out)


def arctan(x, out=None, **kwargs):
    """Inverse tangent, in radians in (-pi/2, pi/2), elementwise."""
    return _ARCTAN(x, out)


def sinh(x, out=None, **kwargs):
    """Hyperbolic sine, elementwise."""
    return _SINH(x, out)


def cosh(x, out=None, **kwargs):
    """Hyperbolic cosine, elementwise."""
    return _COSH(x, out)


def tanh(x, out=None, **kwargs):
    """Hyperbolic tangent, elementwise."""
    return _TANH(x, out)


def arcsinh(x, out=None, **kwargs):
    """Inverse hyperbolic sine, elementwise."""
    return _ARCSINH(x, out)


def arccosh(x, out=None, **kwargs):
    """Inverse hyperbolic cosine, elementwise."""
    return _ARCCOSH(x, out)


def arctanh(x, out=None, **kwargs):
    """Inverse hyperbolic tangent, elementwise."""
    return _ARCTANH(x, out)


def degrees(x, out=None, **kwargs):
    """Radians converted to degrees, elementwise."""
    return _DEGREES(x, out)


def rad2deg(x, out=None, **kwargs):
    """Radians converted to degrees, elementwise; the same as ``degrees``."""
    return _DEGREES(x, out)


def radians(x, out=None, **kwargs):
    """Degrees converted to radians, elementwise."""
    return _RADIANS(x, out)


def deg2rad(x, out=None, **kwargs):
    """Degrees converted to radians, elementwise; the same as ``radians``."""
    return _RADIANS(x, out)


def floor(x, out=None, **kwargs):
    """Largest integer not above each element."""
    return _FLOOR(x, out)


def ceil(x, out=None, **kwargs):
    """Smallest integer not below each element."""
    return _CEIL(x, out)


def trunc(x, out=None, **kwargs):
    """Each element rounded toward zero."""
    return _TRUNC(x, out)


def fix(x, out=None, **kwargs):
    """Each element rounded toward zero; the same as ``trunc``."""
    return _FIX(x, out)


def rint(x, out=None, **kwargs):
    """Each element rounded to the nearest integer; exact halves go to the
    lower neighbour, as in MXNet (2.5 -> 2, -2.5 -> -3)."""
    return _RINT(x, out)


def logical_not(x, out=None, **kwargs):
    """True where ``x`` is zero, as a bool array."""
    return _LOGICAL_NOT(x, out)


def isnan(x, out=None, **kwargs):
    """True where ``x`` is NaN, as a bool array."""
    return _ISNAN(x, out)


def isinf(x, out=None, **kwargs):
    """True where ``x`` is +inf or -inf, as a bool array."""
    return _ISINF(x, out)


def isposinf(x, out=None, **kwargs):
    """True where ``x`` is +inf, as a bool array."""
    return _ISPOSINF(x, out)


def isneginf(x, out=None, **kwargs):
    """True where ``x`` is -inf, as a bool array."""
    return _ISNEGINF(x, out)


def isfinite(x, out=None, **kwargs):
    """True where ``x`` is neither infinite nor NaN, as a bool array."""
    return _ISFINITE(x, out)


def bitwise_not(x, out=None, **kwargs):
    """Bitwise NOT of an integer array (logical NOT of a bool array)."""
    return _BITWISE_NOT(x, out)


def invert(x, out=None, **kwargs):
    """The same as ``bitwise_not``."""
    return _BITWISE_NOT(x, out)


def around(x, decimals=0, out=None, **kwargs):
    """Each element rounded to ``decimals`` decimal places, exact halves to
    the even neighbour (negative ``decimals`` round to tens, hundreds...;
    integer arrays are then truncated toward zero, as in MXNet)."""
    return _AROUND(x, out, {"decimals": decimals} if decimals else _NO_ARGS)


def round(x, decimals=0, out=None, **kwargs):  # noqa: A001 -- NumPy's name
    """The same as ``around``."""
    return around(x, decimals, out)


def round_(x, decimals=0, out=None, **kwargs):
    """The same as ``around``."""
    return around(x, decimals, out)


def _array_operand(fname, a, name):
    if isinstance(a, _NDArray) or isinstance(a, _symbol_type()):
        return a
    raise TypeError(f"mx.np.{fname}: argument '{name}' must be an mx.np.ndarray, "
                    f"got {type(a)}")


def clip(a, a_min, a_max, out=None):
    """Values limited to [``a_min``, ``a_max``] (scalars; either may be None but
    not both). An integer array keeps its dtype, the bounds cast to it."""
    a = _array_operand("clip", a, "a")
    if a_min is None and a_max is None:
        raise ValueError("mx.np.clip: a_min and a_max cannot both be None")
    for name, bound in (("a_min", a_min), ("a_max", a_max)):
        if bound is not None and not isinstance(bound, _SCALAR_TYPES):
            raise TypeError(f"mx.np.clip: '{name}' must be a scalar or None, got {type(bound)}")
    attrs = {"a_min": None if a_min is None else float(a_min),
             "a_max": None if a_max is None else float(a_max)}
    if out is not None and isinstance(a, _NDArray):
        check_out("clip", _registry.get("_npi_clip"), [a], attrs, out)
    return _call("_npi_clip", (a,), attrs, out)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None, **kwargs):
    """NaN replaced by ``nan`` and infinities by ``posinf``/``neginf`` (the
    dtype's extreme finite values by default); integer arrays unchanged. With
    ``copy=False`` the input array is overwritten and returned."""
    x = _array_operand("nan_to_num", x, "x")
    attrs = {"copy": copy, "nan": nan, "posinf": posinf, "neginf": neginf}
    if copy or not isinstance(x, _NDArray):
        return _call("_npi_nan_to_num", (x,), attrs)
    return _call("_npi_nan_to_num", (x,), attrs, out=x)


def where(condition, x=None, y=None):
    """Elements of ``x`` where ``condition`` is nonzero and of ``y`` elsewhere,
    the three broadcast together; ``x``/``y`` may be scalars (two scalars give
    float32). With only ``condition``, the indices of its nonzero elements
    (as ``nonzero``)."""
    if x is None and y is None:
        from .. import numpy as _mxnp
        return _mxnp.nonzero(condition)
    if x is None or y is None:
        raise ValueError("mx.np.where: either both or neither of x and y should be given")
    condition = _array_operand("where", condition, "condition")
    x_scalar = isinstance(x, _SCALAR_TYPES)
    y_scalar = isinstance(y, _SCALAR_TYPES)
    if x_scalar and y_scalar:
        return _call("_npi_where_scalar2", (condition,), {"x": float(x), "y": float(y)})
    if y_scalar:
        return _call("_npi_where_lscalar", (condition, _array_operand("where", x, "x")),
                     {"scalar": float(y)})
    if x_scalar:
        return _call("_npi_where_rscalar", (condition, _array_operand("where", y, "y")),
                     {"scalar": float(x)})
    return _call("_npi_where", (condition, _array_operand("where", x, "x"),
                                _array_operand("where", y, "y")))
