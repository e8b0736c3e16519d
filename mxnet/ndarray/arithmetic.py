"""Arithmetic on NDArrays: the Python operators and ``mx.nd.add``-style functions.

Two NDArrays combine with the broadcasting operator (``broadcast_add``); an
NDArray and a Python/NumPy number use the scalar operator (``_plus_scalar``,
or ``_rminus_scalar`` when the number is on the left). In-place forms
(``+=``) write into the left array. Comparisons return 0/1 in the dtype of
the array.
"""
import numpy as np

from ..base import MXNetError, numeric_types
from ..ops import registry
from .invoke import invoke
from .ndarray import NDArray

_EMPTY = {}


def _binary(broadcast, scalar, rscalar=None):
    """A function f(lhs, rhs, out=None) over NDArrays and numbers."""
    tensor_op = registry.get(broadcast)
    scalar_op = registry.get(scalar)
    rscalar_op = registry.get(rscalar or scalar)

    def apply(lhs, rhs, out=None):
        if isinstance(lhs, NDArray):
            if isinstance(rhs, NDArray):
                return invoke(tensor_op, [lhs, rhs], _EMPTY, out)
            if isinstance(rhs, numeric_types):
                return invoke(scalar_op, [lhs], {"scalar": rhs}, out)
        elif isinstance(rhs, NDArray) and isinstance(lhs, numeric_types):
            return invoke(rscalar_op, [rhs], {"scalar": lhs}, out)
        elif isinstance(lhs, numeric_types) and isinstance(rhs, numeric_types):
            return _python_scalar(broadcast, lhs, rhs)
        raise TypeError(f"{broadcast}: unsupported operand types "
                        f"{type(lhs).__name__} and {type(rhs).__name__}")
    apply.__name__ = broadcast.replace("broadcast_", "")
    return apply


def _python_scalar(name, lhs, rhs):
    import operator
    fn = {"broadcast_add": operator.add, "broadcast_sub": operator.sub,
          "broadcast_mul": operator.mul, "broadcast_div": operator.truediv,
          "broadcast_mod": operator.mod, "broadcast_power": operator.pow,
          "broadcast_maximum": max, "broadcast_minimum": min,
          "broadcast_equal": operator.eq, "broadcast_not_equal": operator.ne,
          "broadcast_greater": operator.gt, "broadcast_greater_equal": operator.ge,
          "broadcast_lesser": operator.lt, "broadcast_lesser_equal": operator.le}.get(name)
    if fn is None:
        raise MXNetError(f"{name}: needs at least one NDArray operand")
    return fn(lhs, rhs)


add = _binary("broadcast_add", "_plus_scalar")
subtract = _binary("broadcast_sub", "_minus_scalar", "_rminus_scalar")
multiply = _binary("broadcast_mul", "_mul_scalar")
divide = _binary("broadcast_div", "_div_scalar", "_rdiv_scalar")
modulo = _binary("broadcast_mod", "_mod_scalar", "_rmod_scalar")
_power = _binary("broadcast_power", "_power_scalar", "_rpower_scalar")


def power(base, exp, out=None):
    """``base ** exp`` elementwise: arrays broadcast, a number may be either side
    (MXNet names the arguments ``base`` and ``exp``)."""
    return _power(base, exp, out)


maximum = _binary("broadcast_maximum", "_maximum_scalar")
minimum = _binary("broadcast_minimum", "_minimum_scalar")
hypot = _binary("broadcast_hypot", "_hypot_scalar")
equal = _binary("broadcast_equal", "_equal_scalar")
not_equal = _binary("broadcast_not_equal", "_not_equal_scalar")
greater = _binary("broadcast_greater", "_greater_scalar", "_lesser_scalar")
greater_equal = _binary("broadcast_greater_equal", "_greater_equal_scalar",
                        "_lesser_equal_scalar")
lesser = _binary("broadcast_lesser", "_lesser_scalar", "_greater_scalar")
lesser_equal = _binary("broadcast_lesser_equal", "_lesser_equal_scalar",
                       "_greater_equal_scalar")
logical_and = _binary("broadcast_logical_and", "_logical_and_scalar")
logical_or = _binary("broadcast_logical_or", "_logical_or_scalar")
logical_xor = _binary("broadcast_logical_xor", "_logical_xor_scalar")
true_divide = divide

_negative = registry.get("negative")


def _swap(fn):
    return lambda self, other: fn(other, self)


def _inplace(fn):
    def apply(self, other):
        if not self.writable:
            raise MXNetError("trying to modify a read-only NDArray")
        return fn(self, other, out=self)
    return apply


def _compare(fn):
    def apply(self, other):
        if isinstance(other, np.ndarray):
            other = _wrap(other, self)
        elif not isinstance(other, (NDArray,) + numeric_types):
            return NotImplemented
        return fn(self, other)
    return apply


def _wrap(value, like):
    from .ndarray import array
    return array(value, ctx=like.context, dtype=like.dtype)


def _attach():
    ops = {"add": add, "sub": subtract, "mul": multiply, "truediv": divide, "div": divide,
           "mod": modulo, "pow": power}
    for name, fn in ops.items():
        setattr(NDArray, f"__{name}__", fn)
        setattr(NDArray, f"__r{name}__", _swap(fn))
        setattr(NDArray, f"__i{name}__", _inplace(fn))
    for name, fn in {"eq": equal, "ne": not_equal, "gt": greater, "ge": greater_equal,
                     "lt": lesser, "le": lesser_equal}.items():
        setattr(NDArray, f"__{name}__", _compare(fn))
    NDArray.__neg__ = lambda self: invoke(_negative, [self], _EMPTY)
    NDArray.__pos__ = lambda self: self
    NDArray.__hash__ = lambda self: id(self)


_attach()
