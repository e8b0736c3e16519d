"""Binary arithmetic, comparison and logic: elementwise, broadcast and scalar forms.

Each arithmetic function is declared in four shapes, as MXNet has them:
``elemwise_add(lhs, rhs)`` (same shapes), ``broadcast_add(lhs, rhs)``
(NumPy broadcasting), ``_plus_scalar(data, scalar)`` and, for
non-commutative ones, ``_rminus_scalar(data, scalar)`` (scalar on the left).
Both operands of the two-array forms must have one dtype. The scalar is
converted to the array's dtype first, as a C cast would: integer arrays
stay integer (``int32 + 1.5`` adds 1, ``uint8 + -1`` adds 255), and
comparisons return 0/1 in the input dtype. Integer division and modulo by
zero give 0 (MXNet itself crashes the process there).
"""
import math

import numpy as np

from ..base import MXNetError
from .infer import broadcast_shape, same_shape, same_type
from .params import Param
from .quiet import quiet
from .registry import register

_SCALAR_PARAMS = {"scalar": Param("float", 1.0, "The scalar operand."),
                  "is_int": Param("bool", True, "Whether the scalar is an integer.")}


# Largest magnitude each float dtype takes from a Python float without
# overflowing (NumPy warns on an overflowing cast; this skips the errstate).
_CAST_SAFE = {np.dtype("float16"): float(np.finfo(np.float16).max),
              np.dtype("float32"): float(np.finfo(np.float32).max),
              np.dtype("float64"): math.inf}


def scalar_as(dtype, scalar):
    """``scalar`` converted to ``dtype`` the way MXNet's C++ cast does it:
    truncated toward zero and wrapped around for integer dtypes."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not math.isfinite(scalar):
            return dtype.type(info.min)
        span = int(info.max) - int(info.min) + 1
        return dtype.type((int(scalar) - int(info.min)) % span + int(info.min))
    limit = _CAST_SAFE.get(dtype)
    if limit is not None and -limit <= scalar <= limit:  # False for nan: the slow path
        return dtype.type(scalar)
    with np.errstate(over="ignore"):
        return dtype.type(scalar)


def int_divide(xp, a, b):
    """C-style integer division (truncates toward zero), 0 where b == 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        q = xp.floor_divide(a, xp.where(b == 0, 1, b))
        q = q + ((q < 0) & (q * b != a)).astype(q.dtype)
    return xp.where(b == 0, 0, q).astype(xp.result_type(a, b))


def _divide(xp, a, b):
    """Divide arguments elementwise (integer division truncates toward zero)."""
    if a.dtype.kind in "iub":
        return int_divide(xp, a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.true_divide(a, b)


def _mod(xp, a, b):
    """Elementwise modulo with the sign of the divisor (Python's %); 0 where rhs is 0."""
    zero = b == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        r = xp.mod(a, xp.where(zero, 1, b).astype(b.dtype))
    return xp.where(zero, 0, r).astype(r.dtype) if zero.any() else r


def _power(xp, a, b):
    """Raise lhs to the power rhs elementwise."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if a.dtype.kind in "iub":
            # NumPy refuses negative integer exponents; MXNet computes and truncates.
            return xp.power(xp.asarray(a, dtype="float64"), b).astype(a.dtype)
        return xp.power(a, b)


def _cmp(ufunc):
    def fn(xp, a, b):
        return ufunc(a, b).astype(a.dtype)
    return fn


def _logic(ufunc):
    def fn(xp, a, b):
        return ufunc(a != 0, b != 0).astype(a.dtype)
    return fn


# -- gradient rules ----------------------------------------------------------
# ``g`` is the output gradient; ``reduce`` sums a broadcast gradient back to
# an input's shape (identity for the same-shape forms).

def _same(F, g, x):
    return g


def _to_shape(F, g, x):
    # Imperatively the shapes are known and usually equal: skip the reduction.
    # (Symbols have no ``shape``; they always get the reduce op.)
    shape = getattr(x, "shape", None)
    if shape is not None and shape == getattr(g, "shape", None):
        return g
    return F._internal._reduce_sum_like(g, x)


def _grad_add(reduce):
    return lambda F, attrs, ins, outs, g: [reduce(F, g[0], ins[0]), reduce(F, g[0], ins[1])]


def _grad_sub(reduce):
    return lambda F, attrs, ins, outs, g: [reduce(F, g[0], ins[0]),
                                           reduce(F, F.negative(g[0]), ins[1])]


def _grad_mul(reduce):
    return lambda F, attrs, ins, outs, g: [reduce(F, g[0] * ins[1], ins[0]),
                                           reduce(F, g[0] * ins[0], ins[1])]


def _grad_div(reduce):
    def rule(F, attrs, ins, outs, g):
        lhs, rhs = ins
        return [reduce(F, g[0] / rhs, lhs), reduce(F, F.negative(g[0] * lhs / (rhs * rhs)), rhs)]
    return rule


def _grad_power(reduce):
    def rule(F, attrs, ins, outs, g):
        lhs, rhs = ins
        return [reduce(F, g[0] * rhs * lhs ** (rhs - 1), lhs),
                reduce(F, g[0] * outs[0] * F.log(lhs), rhs)]
    return rule


def _grad_mod(reduce):
    def rule(F, attrs, ins, outs, g):
        lhs, rhs = ins
        return [reduce(F, g[0], lhs), reduce(F, F.negative(g[0] * F.floor(lhs / rhs)), rhs)]
    return rule


def _grad_select(pick_lhs):
    def factory(reduce):
        def rule(F, attrs, ins, outs, g):
            lhs, rhs = ins
            mask = pick_lhs(F, lhs, rhs)
            return [reduce(F, g[0] * mask, lhs), reduce(F, g[0] * (1 - mask), rhs)]
        return rule
    return factory


def _grad_hypot(reduce):
    def rule(F, attrs, ins, outs, g):
        lhs, rhs = ins
        return [reduce(F, g[0] * lhs / outs[0], lhs), reduce(F, g[0] * rhs / outs[0], rhs)]
    return rule


def _grad_zero(reduce):
    return lambda F, attrs, ins, outs, g: [F.zeros_like(ins[0]), F.zeros_like(ins[1])]


def _register_binary(fn, grad, elemwise, broadcast, extra_elemwise=(), extra_broadcast=()):
    """Declare ``fn(xp, a, b)`` as the same-shape op ``elemwise`` and the
    broadcasting op ``broadcast`` (either may be None)."""
    if elemwise:
        def elemwise_kernel(xp, attrs, lhs, rhs):
            if lhs.shape != rhs.shape or lhs.dtype != rhs.dtype:
                _mismatch(elemwise, lhs, rhs)
            return fn(xp, lhs, rhs)
        register(elemwise, aliases=extra_elemwise, inputs=("lhs", "rhs"),
                 infer_shape=same_shape(elemwise), infer_type=same_type(elemwise),
                 gradient=grad(_same), doc=fn.__doc__ or "")(elemwise_kernel)
    if broadcast:
        ufunc = getattr(fn, "ufunc", None)
        # ``a + b`` lands here: the dtype test tries identity first (NumPy's
        # builtin dtypes are singletons), and a plain ufunc is called directly.
        if ufunc is None:
            def broadcast_kernel(xp, attrs, lhs, rhs):
                if lhs.dtype is not rhs.dtype and lhs.dtype != rhs.dtype:
                    _mismatch(broadcast, lhs, rhs)
                return fn(xp, lhs, rhs)
        else:
            def broadcast_kernel(xp, attrs, lhs, rhs):
                if lhs.dtype is not rhs.dtype and lhs.dtype != rhs.dtype:
                    _mismatch(broadcast, lhs, rhs)
                return getattr(xp, ufunc)(lhs, rhs)
        register(broadcast, aliases=extra_broadcast, inputs=("lhs", "rhs"),
                 infer_shape=broadcast_shape(broadcast), infer_type=same_type(broadcast),
                 gradient=grad(_to_shape), doc=fn.__doc__ or "")(broadcast_kernel)


def _mismatch(name, lhs, rhs):
    if lhs.dtype != rhs.dtype:
        raise MXNetError(f"{name}: lhs and rhs must have the same dtype, got {lhs.dtype} "
                         f"and {rhs.dtype}")
    raise MXNetError(f"{name}: lhs and rhs must have the same shape, got {lhs.shape} "
                     f"and {rhs.shape}")


def _scalar_cache():
    """``scalar_as`` behind a cache: a program repeats its scalars, and making
    a NumPy scalar costs more than the arithmetic on a small array. Zeros
    (+0.0 and -0.0 are equal keys) and nan (never equal) are not cached."""
    cache = {}

    def converted(dtype, scalar):
        value = cache.get((dtype, scalar))
        if value is None:
            value = scalar_as(dtype, scalar)
            if scalar and scalar == scalar:
                if len(cache) >= 1024:
                    cache.clear()
                cache[(dtype, scalar)] = value
        return value
    return converted


def _register_scalar(fn, name, aliases, grad, reverse=False):
    """Declare ``fn(xp, array, scalar)`` as ``name``; ``reverse`` puts the scalar on the left."""
    converted = _scalar_cache()
    if reverse:
        def kernel(xp, attrs, data):
            return fn(xp, converted(data.dtype, attrs.scalar), data)
    else:
        def kernel(xp, attrs, data):
            return fn(xp, data, converted(data.dtype, attrs.scalar))
    register(name, aliases=aliases, params=_SCALAR_PARAMS, inputs=("data",),
             infer_shape=same_shape(name), infer_type=same_type(name),
             gradient=grad)(kernel)


def _plain_ufunc(name, doc):
    """``fn(xp, a, b)`` that is the ufunc ``name`` and nothing else; marked so
    that kernels may call the ufunc directly."""
    def fn(xp, a, b):
        return getattr(xp, name)(a, b)
    fn.__doc__ = doc
    fn.ufunc = name
    return fn


_add = _plain_ufunc("add", "Add arguments elementwise.")
_sub = _plain_ufunc("subtract", "Subtract arguments elementwise.")


@quiet  # 0 * inf is nan, as in MXNet
def _mul(xp, a, b):
    """Multiply arguments elementwise."""
    return xp.multiply(a, b)


_maximum = _plain_ufunc("maximum", "Elementwise maximum.")
_minimum = _plain_ufunc("minimum", "Elementwise minimum.")


def _hypot(xp, a, b):
    """Elementwise sqrt(lhs**2 + rhs**2)."""
    if a.dtype.kind in "iub":
        with np.errstate(invalid="ignore"):
            return xp.hypot(a.astype("float32"), b.astype("float32")).astype(a.dtype)
    return xp.hypot(a, b)


def _rdivide(xp, scalar, x):
    """Divide the scalar by the array elementwise."""
    if x.dtype.kind in "iub":
        # MXNet divides integers by the scalar in floating point (a zero divisor
        # gives inf, cast to the integer type) and truncates.
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.true_divide(scalar, x.astype("float64")).astype(x.dtype)
    return _divide(xp, scalar, x)


_register_binary(_add, _grad_add, "elemwise_add", "broadcast_add",
                 ("_add", "_plus", "_Plus", "_grad_add"), ("broadcast_plus",))
_register_binary(_sub, _grad_sub, "elemwise_sub", "broadcast_sub",
                 ("_sub", "_minus", "_Minus"), ("broadcast_minus",))
_register_binary(_mul, _grad_mul, "elemwise_mul", "broadcast_mul", ("_mul", "_Mul"))
_register_binary(_divide, _grad_div, "elemwise_div", "broadcast_div",
                 ("_div", "_Div", "_scatter_elemwise_div"))
_register_binary(_mod, _grad_mod, "_mod", "broadcast_mod", ("_Mod",))
_register_binary(_power, _grad_power, "_power", "broadcast_power", ("_Power",))
_register_binary(_maximum, _grad_select(lambda F, a, b: a >= b), "_maximum",
                 "broadcast_maximum", ("_Maximum",))
_register_binary(_minimum, _grad_select(lambda F, a, b: a <= b), "_minimum",
                 "broadcast_minimum", ("_Minimum",))
_register_binary(_hypot, _grad_hypot, "_hypot", "broadcast_hypot", ("_Hypot",))

for _name, _ufunc, _alias in (("equal", np.equal, "_Equal"),
                              ("not_equal", np.not_equal, "_Not_Equal"),
                              ("greater", np.greater, "_Greater"),
                              ("greater_equal", np.greater_equal, "_Greater_Equal"),
                              ("lesser", np.less, "_Lesser"),
                              ("lesser_equal", np.less_equal, "_Lesser_Equal")):
    _register_binary(_cmp(_ufunc), _grad_zero, f"_{_name}", f"broadcast_{_name}", (_alias,))
for _name, _ufunc, _alias in (("logical_and", np.logical_and, "_Logical_And"),
                              ("logical_or", np.logical_or, "_Logical_Or"),
                              ("logical_xor", np.logical_xor, "_Logical_Xor")):
    _register_binary(_logic(_ufunc), _grad_zero, f"_{_name}", f"broadcast_{_name}", (_alias,))


# -- scalar forms ------------------------------------------------------------

def _g(fn):
    """A scalar-op gradient rule from ``fn(F, x, y, scalar, g) -> input grad``."""
    return lambda F, attrs, ins, outs, g: [fn(F, ins[0], outs[0], attrs.scalar, g[0])]


_register_scalar(_add, "_plus_scalar", ("_PlusScalar", "_scatter_plus_scalar"),
                 _g(lambda F, x, y, s, g: g))
_register_scalar(_sub, "_minus_scalar", ("_MinusScalar", "_scatter_minus_scalar"),
                 _g(lambda F, x, y, s, g: g))
_register_scalar(_sub, "_rminus_scalar", ("_RMinusScalar",),
                 _g(lambda F, x, y, s, g: F.negative(g)), reverse=True)
_register_scalar(_mul, "_mul_scalar", ("_MulScalar",), _g(lambda F, x, y, s, g: g * s))
_register_scalar(_divide, "_div_scalar", ("_DivScalar",), _g(lambda F, x, y, s, g: g / s))
_register_scalar(_rdivide, "_rdiv_scalar", ("_RDivScalar",),
                 _g(lambda F, x, y, s, g: F.negative(g * y / x)), reverse=True)
_register_scalar(_mod, "_mod_scalar", ("_ModScalar",), _g(lambda F, x, y, s, g: g))
_register_scalar(_mod, "_rmod_scalar", ("_RModScalar",),
                 _g(lambda F, x, y, s, g: F.negative(g * F.floor(s / x))), reverse=True)
_register_scalar(_power, "_power_scalar", ("_PowerScalar",),
                 _g(lambda F, x, y, s, g: g * s * x ** (s - 1)))
_register_scalar(_power, "_rpower_scalar", ("_RPowerScalar",),
                 _g(lambda F, x, y, s, g: g * y * (math.log(s) if s > 0 else math.nan)),
                 reverse=True)
_register_scalar(_maximum, "_maximum_scalar", ("_MaximumScalar",),
                 _g(lambda F, x, y, s, g: g * (x >= s)))
_register_scalar(_minimum, "_minimum_scalar", ("_MinimumScalar",),
                 _g(lambda F, x, y, s, g: g * (x <= s)))
_register_scalar(_hypot, "_hypot_scalar", ("_HypotScalar",),
                 _g(lambda F, x, y, s, g: g * x / y))

_zero_grad = _g(lambda F, x, y, s, g: F.zeros_like(x))
for _name, _ufunc, _alias in (("equal", np.equal, "_EqualScalar"),
                              ("not_equal", np.not_equal, "_NotEqualScalar"),
                              ("greater", np.greater, "_GreaterScalar"),
                              ("greater_equal", np.greater_equal, "_GreaterEqualScalar"),
                              ("lesser", np.less, "_LesserScalar"),
                              ("lesser_equal", np.less_equal, "_LesserEqualScalar")):
    _register_scalar(_cmp(_ufunc), f"_{_name}_scalar", (_alias,), _zero_grad)
for _name, _ufunc, _alias in (("logical_and", np.logical_and, "_LogicalAndScalar"),
                              ("logical_or", np.logical_or, "_LogicalOrScalar"),
                              ("logical_xor", np.logical_xor, "_LogicalXorScalar")):
    _register_scalar(_logic(_ufunc), f"_{_name}_scalar", (_alias,), _zero_grad)
