"""``_npi_*`` elementwise operators of the ``mx.np`` front end: binary
arithmetic and comparisons (array-array with broadcasting, array-scalar and
scalar-array forms) and the gradient helper they share.

Type rules, as MXNet 1.9.1's ``mx.np`` has them:

* two arrays: equal dtypes keep it; bool gives way to the other operand; an
  integer meets a float -> the float (``int32 + float16`` is float16, not
  NumPy's float64); two floats -> the wider; two integers -> NumPy's
  result, widened to int32 where NumPy would pick int16 (int8 + uint8);
  ``true_divide`` of two integer/bool arrays is float32; comparisons give bool;
* array and Python scalar: the array's dtype, the scalar converted to it as a
  C cast would (``int32 + 1.5`` adds 1, ``uint8 - 1`` wraps, comparisons too),
  except that arithmetic on a bool array is done in int64 (``b + 1.5`` adds
  1) and ``true_divide`` of an integer or bool array is float32.

MXNet itself rejects mixed dtypes in comparisons and maximum/minimum; here
they are promoted like arithmetic (NumPy's behaviour), a strict superset.
Subtracting or taking the modulo of two bool arrays is an error, as in MXNet.
"""
import math

import numpy as np

from ..base import MXNetError
from .binary import _mod, _scalar_cache, scalar_as
from .infer import broadcast_shape, same_shape
from .params import Param
from .quiet import quiet
from .registry import input_grad_needed, register

_BOOL = np.dtype("bool")
_FLOAT32 = np.dtype("float32")
_INT32 = np.dtype("int32")
_INT64 = np.dtype("int64")

_SCALAR_PARAMS = {"scalar": Param("float", 1.0, "The scalar operand."),
                  "is_int": Param("bool", True, "Whether the scalar is an integer.")}


# -- type promotion --------------------------------------------------------------

def _promote_uncached(a, b):
    if a == b:
        return a
    if a.kind == "b":
        return b
    if b.kind == "b":
        return a
    a_float, b_float = a.kind == "f", b.kind == "f"
    if a_float and b_float:
        return a if a.itemsize >= b.itemsize else b
    if a_float:
        return a
    if b_float:
        return b
    out = np.result_type(a, b)
    if out.kind in "iu" and out.itemsize < 4 and out not in (a, b):
        return _INT32  # MXNet has no int16: int8 + uint8 is int32
    return out


_PROMOTED = {}


def promote(a, b):
    """The dtype ``mx.np`` arithmetic on arrays of dtypes ``a`` and ``b`` gives."""
    if a is b:
        return a
    key = (a, b)
    out = _PROMOTED.get(key)
    if out is None:
        out = _PROMOTED[key] = _promote_uncached(np.dtype(a), np.dtype(b))
    return out


def true_divide_dtype(dtype):
    """Division results are floating point: float32 unless already float."""
    return dtype if dtype.kind == "f" else _FLOAT32


# -- the gradient helper ---------------------------------------------------------

def _sum_to_shape(xp, data, shape):
    """``data`` summed over the axes along which ``shape`` was broadcast to it."""
    extra = data.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, d in enumerate(shape) if d == 1 and data.shape[i + extra] != 1)
    if axes:
        data = data.sum(axis=axes, keepdims=True)
    return data.reshape(data.shape[extra:]) if extra else data


def _sum_to_like_shape(attrs, shapes):
    return shapes, [shapes[1]]


@register("_npi_sum_to_like", inputs=("data", "like"), infer_shape=_sum_to_like_shape,
          infer_type=lambda attrs, types: (types, [types[1]]),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._npi_sum_to_like(g[0], ins[0]),
                                                    None])
def _sum_to_like(xp, attrs, data, like):
    """``data`` brought to the shape and dtype of ``like``: summed over the axes
    where ``like`` has size 1 (or none), broadcast where ``data`` has size 1.
    The gradient of a broadcasting binary op with respect to an input is its
    output gradient brought to that input this way (and the gradient of this
    op is the same op the other way round). Non-float ``like`` gets zeros."""
    if like.dtype.kind != "f":  # integer and bool inputs get no gradient, as in MXNet
        return xp.zeros(like.shape, like.dtype)
    shape = like.shape
    if data.shape == shape:
        return data.astype(like.dtype)  # a copy: outputs never alias inputs
    if data.ndim < len(shape):
        data = data.reshape((1,) * (len(shape) - data.ndim) + data.shape)
    summed = _sum_to_shape(xp, data, shape)
    if summed.shape == shape:  # the usual case: a fresh array already
        return summed.astype(like.dtype, copy=False)
    return xp.broadcast_to(summed, shape).astype(like.dtype)


def to_input(F, g, x):
    """The gradient ``g`` of a broadcast output brought to input ``x``.
    Imperatively the shapes and dtypes are known and usually equal: then
    there is nothing to do (Symbols have no data and always get the op)."""
    data = getattr(x, "_data", None)
    if data is not None and data.shape == g._data.shape and data.dtype is g._data.dtype \
            and data.dtype.kind == "f":
        return g
    return F._internal._npi_sum_to_like(g, x)


# -- array-array forms -------------------------------------------------------------

def _no_bool(name):
    def check(dtype):
        if dtype.kind == "b":
            raise MXNetError(f"{name}: boolean operands are not supported (got two bool "
                             "arrays); cast one to a number type first")
    return check


def _binary_type(result):
    """infer_type of a binary op whose output dtype is ``result(promoted dtype)``."""
    def infer(attrs, types):
        a, b = types
        if a is None or b is None:
            return types, [None]
        return types, [result(promote(np.dtype(a), np.dtype(b))).name]
    return infer


def _same(dtype):
    return dtype


def _to_bool(dtype):
    return _BOOL


def _register_binary(name, fn, result=_same, gradient=None, check=None, inputs=("lhs", "rhs")):
    """Declare ``fn(xp, a, b)`` (operands of one dtype, already in the type the
    result is computed in) as the broadcasting op ``name``."""
    compute_in = true_divide_dtype if result is true_divide_dtype else _same

    def kernel(xp, attrs, lhs, rhs):
        dtype = lhs.dtype
        if dtype is not rhs.dtype:
            dtype = compute_in(promote(dtype, rhs.dtype))
            lhs = lhs.astype(dtype, copy=False)
            rhs = rhs.astype(dtype, copy=False)
        elif compute_in is not _same and dtype.kind != "f":
            dtype = compute_in(dtype)
            lhs = lhs.astype(dtype)
            rhs = rhs.astype(dtype)
        if check is not None:
            check(dtype)
        return fn(xp, lhs, rhs)
    kernel.__doc__ = fn.__doc__
    register(name, inputs=inputs, infer_shape=broadcast_shape(name),
             infer_type=_binary_type(result), gradient=gradient)(kernel)


# Gradient rules: operands reach ``to_input`` so broadcast gradients are summed
# back, and the ops used are the _npi_ ones, so mixed dtypes promote. A side
# whose gradient nobody uses (data, as opposed to weights) is not computed.

def _sides(lhs, rhs):
    """``[lhs(), rhs()]``, each called only when that input's gradient is needed."""
    return [lhs() if input_grad_needed(0) else None, rhs() if input_grad_needed(1) else None]


def _grad_add(F, attrs, ins, outs, g):
    return _sides(lambda: to_input(F, g[0], ins[0]), lambda: to_input(F, g[0], ins[1]))


def _grad_subtract(F, attrs, ins, outs, g):
    return _sides(lambda: to_input(F, g[0], ins[0]),
                  lambda: to_input(F, F._internal._npi_negative(g[0]), ins[1]))


def _grad_multiply(F, attrs, ins, outs, g):
    mul = F._internal._npi_multiply
    return _sides(lambda: to_input(F, mul(g[0], ins[1]), ins[0]),
                  lambda: to_input(F, mul(g[0], ins[0]), ins[1]))


def _grad_true_divide(F, attrs, ins, outs, g):
    # d(a/b)/da = 1/b, d(a/b)/db = -(a/b)/b.
    i = F._internal
    d_lhs = i._npi_true_divide(g[0], ins[1])
    return _sides(lambda: to_input(F, d_lhs, ins[0]),
                  lambda: to_input(F, i._npi_negative(i._npi_multiply(d_lhs, outs[0])), ins[1]))


def _grad_mod(F, attrs, ins, outs, g):
    # a mod b = a - floor(a/b) * b.
    i = F._internal

    def d_rhs():
        quotient = i._npi_floor(i._npi_true_divide(ins[0], ins[1]))
        return to_input(F, i._npi_negative(i._npi_multiply(g[0], quotient)), ins[1])
    return _sides(lambda: to_input(F, g[0], ins[0]), d_rhs)


def _grad_power(F, attrs, ins, outs, g):
    # d(a**b)/da = b * a**(b-1), d(a**b)/db = a**b * log(a).
    i = F._internal
    lhs, rhs = ins

    def d_lhs():
        return to_input(F, i._npi_multiply(g[0], i._npi_multiply(
            rhs, i._npi_power(lhs, i._npi_subtract_scalar(rhs, scalar=1.0)))), lhs)

    def d_rhs():
        return to_input(F, i._npi_multiply(g[0], i._npi_multiply(outs[0], i._npi_log(lhs))), rhs)
    return _sides(d_lhs, d_rhs)


def _grad_select(lhs_wins):
    """maximum/minimum: the gradient goes to the operand that was picked (the
    left one on ties)."""
    def rule(F, attrs, ins, outs, g):
        i = F._internal
        mask = lhs_wins(i, ins[0], ins[1])
        return _sides(lambda: to_input(F, i._npi_multiply(g[0], mask), ins[0]),
                      lambda: to_input(F, i._npi_multiply(g[0], i._npi_logical_not(mask)),
                                       ins[1]))
    return rule


def _grad_zero(F, attrs, ins, outs, g):
    return [F.zeros_like(x) for x in ins]


@quiet  # 0 * inf is nan, as in MXNet
def _multiply(xp, a, b):
    """Multiply arguments elementwise (with broadcasting)."""
    return xp.multiply(a, b)


@quiet
def _true_divide(xp, a, b):
    """Divide arguments elementwise in floating point (with broadcasting)."""
    return xp.true_divide(a, b)


def _add(xp, a, b):
    """Add arguments elementwise (with broadcasting)."""
    return xp.add(a, b)


def _subtract(xp, a, b):
    """Subtract arguments elementwise (with broadcasting)."""
    return xp.subtract(a, b)


@quiet
def _power(xp, a, b):
    """``a ** b`` elementwise (operands of one dtype; arrays or NumPy scalars).
    Integers: exact integer powers where the result fits the dtype (a float
    power can round 3 ** 1 to 2.9999 on a GPU); elsewhere, as MXNet, the float
    power truncated toward zero (so 2 ** -1 is 0) and cast. Bools: a or not b."""
    dtype = a.dtype
    if dtype.kind == "f":
        return xp.power(a, b)
    if dtype.kind == "b":
        return xp.logical_or(a, xp.logical_not(b))
    inexact = xp.power(xp.asarray(a, dtype="float64"), xp.asarray(b, dtype="float64"))
    info = np.iinfo(dtype)
    exact = xp.power(a, xp.maximum(b, 0)).astype(dtype, copy=False)
    fits = (b >= 0) & (inexact >= info.min) & (inexact <= info.max)
    return xp.where(fits, exact, xp.trunc(inexact).astype(dtype))


def _select(ufunc):
    def fn(xp, a, b):
        if a.dtype.kind == "b":  # max/min of booleans: or/and
            return (xp.logical_or if ufunc == "maximum" else xp.logical_and)(a, b)
        return getattr(xp, ufunc)(a, b)
    fn.__doc__ = f"Elementwise {ufunc} (with broadcasting); NaN propagates."
    return fn


def _compare(ufunc):
    def fn(xp, a, b):
        return getattr(xp, ufunc)(a, b)
    fn.__doc__ = f"Elementwise {ufunc} (with broadcasting), as a bool array."
    return fn


_register_binary("_npi_add", _add, gradient=_grad_add)
_register_binary("_npi_subtract", _subtract, gradient=_grad_subtract,
                 check=_no_bool("_npi_subtract"))
_register_binary("_npi_multiply", _multiply, gradient=_grad_multiply)
_register_binary("_npi_true_divide", _true_divide, result=true_divide_dtype,
                 gradient=_grad_true_divide)
_register_binary("_npi_mod", _mod, gradient=_grad_mod, check=_no_bool("_npi_mod"))
_register_binary("_npi_power", _power, gradient=_grad_power)
_register_binary("_npi_maximum", _select("maximum"),
                 gradient=_grad_select(lambda i, a, b: i._npi_greater_equal(a, b)))
_register_binary("_npi_minimum", _select("minimum"),
                 gradient=_grad_select(lambda i, a, b: i._npi_less_equal(a, b)))
for _name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
    _register_binary(f"_npi_{_name}", _compare(_name), result=_to_bool, gradient=_grad_zero)


# -- array-scalar forms ----------------------------------------------------------

def _arith_dtype(dtype):
    """Arithmetic between a bool array and a scalar is done in int64."""
    return _INT64 if dtype.kind == "b" else dtype


_SCALAR_RESULT = {"arith": _arith_dtype, "divide": true_divide_dtype, "compare": _to_bool,
                  "keep": _same}


def _register_scalar(name, fn, kind, gradient, reverse=False, check=None):
    """Declare ``fn(xp, a, b)`` as ``name(data, scalar)``; ``reverse`` puts the
    scalar on the left. ``kind`` (arith, divide, compare, keep) gives the dtype
    rule; ``check(dtype)`` may refuse the array's dtype."""
    converted = _scalar_cache()
    compute_in = _SCALAR_RESULT[kind] if kind != "compare" else _same
    result = _SCALAR_RESULT[kind]

    def kernel(xp, attrs, data):
        if check is not None:
            check(data.dtype)
        dtype = compute_in(data.dtype)
        if dtype is not data.dtype:
            data = data.astype(dtype)
        scalar = converted(dtype, attrs.scalar)
        return fn(xp, scalar, data) if reverse else fn(xp, data, scalar)
    kernel.__doc__ = (fn.__doc__ or "").replace("arguments", "an array and a scalar")
    register(name, params=_SCALAR_PARAMS, inputs=("data",), infer_shape=same_shape(name),
             infer_type=lambda attrs, t: (t, [None if t[0] is None else
                                              result(np.dtype(t[0])).name]),
             gradient=gradient)(kernel)


def _scalar_grad(fn):
    """A scalar-op gradient rule from ``fn(F._internal, x, y, scalar, g) -> grad``
    (brought to x's dtype: integer inputs get zeros, as in the binary forms)."""
    return lambda F, attrs, ins, outs, g: [
        to_input(F, fn(F._internal, ins[0], outs[0], attrs.scalar, g[0]), ins[0])]


def _rpower_grad(i, x, y, s, g):
    # d(s**x)/dx = s**x * log(s); nan for s <= 0, as the real log is.
    return i._npi_multiply(g, i._npi_multiply_scalar(y, scalar=math.log(s) if s > 0 else math.nan))


_register_scalar("_npi_add_scalar", _add, "arith", _scalar_grad(lambda i, x, y, s, g: g))
_register_scalar("_npi_subtract_scalar", _subtract, "arith",
                 _scalar_grad(lambda i, x, y, s, g: g))
_register_scalar("_npi_rsubtract_scalar", _subtract, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_negative(g)), reverse=True)
_register_scalar("_npi_multiply_scalar", _multiply, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply_scalar(g, scalar=s)))
_register_scalar("_npi_true_divide_scalar", _true_divide, "divide",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_true_divide_scalar(g, scalar=s)))
_register_scalar("_npi_rtrue_divide_scalar", _true_divide, "divide",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_negative(
                     i._npi_multiply(g, i._npi_true_divide(y, x)))), reverse=True)
_register_scalar("_npi_mod_scalar", _mod, "arith", _scalar_grad(lambda i, x, y, s, g: g))
_register_scalar("_npi_rmod_scalar", _mod, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_negative(i._npi_multiply(
                     g, i._npi_floor(i._npi_rtrue_divide_scalar(x, scalar=s))))), reverse=True)
_register_scalar("_npi_power_scalar", _power, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply(g, i._npi_multiply_scalar(
                     i._npi_power_scalar(x, scalar=s - 1), scalar=s))))
_register_scalar("_npi_rpower_scalar", _power, "arith", _scalar_grad(_rpower_grad), reverse=True)
_register_scalar("_npi_maximum_scalar", _select("maximum"), "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply(
                     g, i._npi_greater_equal_scalar(x, scalar=s))))
_register_scalar("_npi_minimum_scalar", _select("minimum"), "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply(
                     g, i._npi_less_equal_scalar(x, scalar=s))))
for _name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
    _register_scalar(f"_npi_{_name}_scalar", _compare(_name), "compare", _grad_zero)


# -- more binary functions ------------------------------------------------------------

def _only(name, kinds, what):
    def check(dtype):
        if dtype.kind not in kinds:
            raise MXNetError(f"{name}: {what} operands expected, got {dtype}")
    return check


@quiet
def _arctan2(xp, a, b):
    """Elementwise arctan(x1 / x2) in the quadrant of the point (x2, x1)
    (integer operands, which only the scalar forms take, give truncated results)."""
    return _in_float(xp, xp.arctan2, a, b)


@quiet
def _hypot(xp, a, b):
    """Elementwise sqrt(x1**2 + x2**2) (integer results truncated)."""
    return _in_float(xp, xp.hypot, a, b)


def _in_float(xp, ufunc, a, b):
    """``ufunc(a, b)`` on operands of one dtype (arrays or NumPy scalars),
    computed in float64 and cast back when that dtype is an integer."""
    dtype = a.dtype
    if dtype.kind == "f":
        return ufunc(a, b)
    return ufunc(xp.asarray(a, dtype="float64"), xp.asarray(b, dtype="float64")).astype(dtype)


def _copysign(xp, a, b):
    """x1 with the sign of x2, elementwise (integers stay integers)."""
    if a.dtype.kind == "f":
        return xp.copysign(a, b)
    return xp.copysign(a, b, dtype="float64").astype(a.dtype)


@quiet
def _ldexp(xp, a, b):
    """x1 * 2**x2 elementwise (integer results truncated toward zero)."""
    dtype = a.dtype
    if dtype.kind == "f":
        return a * xp.exp2(b)
    return (a.astype("float64") * xp.exp2(xp.asarray(b, dtype="float64"))).astype(dtype)


def _lcm(xp, a, b):
    """Least common multiple of integers, elementwise."""
    return xp.lcm(a, b)


def _bitwise(ufunc):
    def fn(xp, a, b):
        return getattr(xp, ufunc)(a, b)
    fn.__doc__ = f"Elementwise {ufunc} of integers (logical for bools)."
    return fn


def _grad_arctan2(F, attrs, ins, outs, g):
    # d/dx1 = x2 / (x1**2 + x2**2), d/dx2 = -x1 / (x1**2 + x2**2).
    i = F._internal
    a, b = ins
    scale = i._npi_true_divide(g[0], i._npi_add(i._npi_multiply(a, a), i._npi_multiply(b, b)))
    return [to_input(F, i._npi_multiply(scale, b), a),
            to_input(F, i._npi_negative(i._npi_multiply(scale, a)), b)]


def _grad_hypot(F, attrs, ins, outs, g):
    i = F._internal
    scale = i._npi_true_divide(g[0], outs[0])
    return [to_input(F, i._npi_multiply(scale, ins[0]), ins[0]),
            to_input(F, i._npi_multiply(scale, ins[1]), ins[1])]


def _sign_of(i, x):
    """+1 or -1 with the sign bit of x (so -0.0 gives -1)."""
    return i._npi_rcopysign_scalar(x, scalar=1.0)


def _grad_copysign(F, attrs, ins, outs, g):
    # d/dx1 is +1 where x1 and x2 have one sign, -1 elsewhere; x2 gets none.
    i = F._internal
    flip = i._npi_multiply(_sign_of(i, ins[0]), _sign_of(i, ins[1]))
    return [to_input(F, i._npi_multiply(g[0], flip), ins[0]), F.zeros_like(ins[1])]


def _grad_ldexp(F, attrs, ins, outs, g):
    # d/dx1 = 2**x2, d/dx2 = x1 * 2**x2 * log(2).
    i = F._internal
    return [to_input(F, i._npi_multiply(g[0], i._npi_rpower_scalar(ins[1], scalar=2.0)), ins[0]),
            to_input(F, i._npi_multiply(g[0], i._npi_multiply_scalar(
                outs[0], scalar=math.log(2))), ins[1])]


_FLOATS = "f"
_INTEGERS = "iub"
_register_binary("_npi_arctan2", _arctan2, gradient=_grad_arctan2, inputs=("x1", "x2"),
                 check=_only("_npi_arctan2", _FLOATS, "floating point"))
_register_binary("_npi_hypot", _hypot, gradient=_grad_hypot, inputs=("x1", "x2"),
                 check=_only("_npi_hypot", _FLOATS, "floating point"))
_register_binary("_npi_copysign", _copysign, gradient=_grad_copysign,
                 check=_no_bool("_npi_copysign"))
_register_binary("_npi_ldexp", _ldexp, gradient=_grad_ldexp, check=_no_bool("_npi_ldexp"))
_register_binary("_npi_lcm", _lcm, gradient=_grad_zero,
                 check=_only("_npi_lcm", _INTEGERS, "integer"))
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    _register_binary(f"_npi_{_name}", _bitwise(_name), gradient=_grad_zero,
                     check=_only(f"_npi_{_name}", _INTEGERS, "integer or bool"))


def _arctan2_scalar_grad(sign):
    # d/dx arctan2(x, s) = s / (x**2 + s**2); arctan2(s, x) gives -s / (...).
    def fn(i, x, y, s, g):
        denom = i._npi_add_scalar(i._npi_multiply(x, x), scalar=s * s)
        return i._npi_multiply_scalar(i._npi_true_divide(g, denom), scalar=sign * s)
    return fn


# Unlike the array-array forms, MXNet's scalar forms take integer arrays too.
_register_scalar("_npi_arctan2_scalar", _arctan2, "arith", _scalar_grad(_arctan2_scalar_grad(1)))
_register_scalar("_npi_rarctan2_scalar", _arctan2, "arith",
                 _scalar_grad(_arctan2_scalar_grad(-1)), reverse=True)
_register_scalar("_npi_hypot_scalar", _hypot, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply(g, i._npi_true_divide(x, y))))
_register_scalar("_npi_copysign_scalar", _copysign, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply(g, i._npi_multiply_scalar(
                     _sign_of(i, x), scalar=math.copysign(1.0, s)))))
_register_scalar("_npi_rcopysign_scalar", _copysign, "arith", _grad_zero, reverse=True)
_register_scalar("_npi_ldexp_scalar", _ldexp, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply_scalar(g, scalar=2.0 ** s)))
_register_scalar("_npi_rldexp_scalar", _ldexp, "arith",
                 _scalar_grad(lambda i, x, y, s, g: i._npi_multiply(g, i._npi_multiply_scalar(
                     y, scalar=math.log(2)))), reverse=True)
_register_scalar("_npi_lcm_scalar", _lcm, "keep", _grad_zero,
                 check=_only("_npi_lcm_scalar", _INTEGERS, "integer"))
for _name in ("bitwise_and", "bitwise_or", "bitwise_xor"):
    _register_scalar(f"_npi_{_name}_scalar", _bitwise(_name), "keep", _grad_zero,
                     check=_only(f"_npi_{_name}_scalar", _INTEGERS, "integer or bool"))


# -- where ------------------------------------------------------------------------------

def _where_type(attrs, types):
    values = [t for t in types[1:] if t is not None]
    if len(values) < len(types) - 1:
        return types, [None]
    if not values:  # both branches are scalars
        return types, ["float32"]
    return types, [promote(np.dtype(values[0]), np.dtype(values[-1])).name]


def _where_grad(F, attrs, ins, outs, g):
    # The gradient goes to x where the condition holds and to y elsewhere.
    i = F._internal
    cond = ins[0]
    grads = [F.zeros_like(cond)]
    if len(ins) > 1:
        grads.append(to_input(F, i._npi_where_lscalar(cond, g[0], scalar=0.0), ins[1]))
    if len(ins) > 2:
        grads.append(to_input(F, i._npi_where_rscalar(cond, g[0], scalar=0.0), ins[2]))
    return grads


def _pick(xp, cond, x, y):
    return xp.where(cond if cond.dtype.kind == "b" else cond != 0, x, y)


@register("_npi_where", inputs=("condition", "x", "y"), infer_shape=broadcast_shape("_npi_where"),
          infer_type=_where_type, gradient=_where_grad)
def _where(xp, attrs, condition, x, y):
    """x where the condition is nonzero, else y (all three broadcast)."""
    dtype = promote(x.dtype, y.dtype)
    return _pick(xp, condition, x.astype(dtype, copy=False), y.astype(dtype, copy=False))


_where_scalar_params = {"scalar": Param("float", 0.0, "The scalar branch.")}


@register("_npi_where_lscalar", inputs=("condition", "x"), params=_where_scalar_params,
          infer_shape=broadcast_shape("_npi_where_lscalar"), infer_type=_where_type,
          gradient=_where_grad)
def _where_lscalar(xp, attrs, condition, x):
    """x where the condition is nonzero, else the scalar (cast to x's dtype)."""
    return _pick(xp, condition, x, scalar_as(x.dtype, attrs.scalar)).astype(x.dtype, copy=False)


@register("_npi_where_rscalar", inputs=("condition", "y"), params=_where_scalar_params,
          infer_shape=broadcast_shape("_npi_where_rscalar"), infer_type=_where_type,
          gradient=_where_grad)
def _where_rscalar(xp, attrs, condition, y):
    """The scalar (cast to y's dtype) where the condition is nonzero, else y."""
    return _pick(xp, condition, scalar_as(y.dtype, attrs.scalar), y).astype(y.dtype, copy=False)


@register("_npi_where_scalar2", inputs=("condition",),
          params={"x": Param("float", 0.0, "Value where the condition holds."),
                  "y": Param("float", 0.0, "Value elsewhere.")},
          infer_shape=same_shape("_npi_where_scalar2"),
          infer_type=lambda attrs, t: (t, ["float32"]), gradient=_grad_zero)
def _where_scalar2(xp, attrs, condition):
    """x where the condition is nonzero, else y, as float32."""
    return _pick(xp, condition, _FLOAT32.type(attrs.x), _FLOAT32.type(attrs.y)).astype(_FLOAT32)

# The unary operators live in their own file; importing it here registers them
# with this family.
from . import np_unary  # noqa: E402,F401
