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

from ..ndarray.invoke import invoke as _invoke
from ..ndarray.ndarray import NDArray as _NDArray
from ..ops import registry as _registry
from ._op import call as _call
from .multiarray import ndarray

__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "mod", "remainder",
           "power", "maximum", "minimum", "equal", "not_equal", "less", "less_equal",
           "greater", "greater_equal"]

_SCALAR_TYPES = (int, float, _onp.integer, _onp.floating, _onp.bool_)


def _symbol_type():
    from ..symbol.symbol import Symbol
    return Symbol


def _run(op, inputs, attrs, out):
    """``op`` on ``inputs`` through the imperative invoke, as ``mx.np`` arrays."""
    res = _invoke(op, inputs, attrs, out)
    if out is not None:
        return out
    res.__class__ = ndarray
    return res


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
        if isinstance(x1, _NDArray):
            if isinstance(x2, _NDArray):
                return _run(self.op, [x1, x2], {}, out)
            if isinstance(x2, _SCALAR_TYPES):
                return _run(self.scalar_op, [x1], _scalar_attrs(x2), out)
        elif isinstance(x2, _NDArray):
            if isinstance(x1, _SCALAR_TYPES):
                return _run(self.rscalar_op, [x2], _scalar_attrs(x1), out)
        elif isinstance(x1, _SCALAR_TYPES) and isinstance(x2, _SCALAR_TYPES):
            return self.ufunc(x1, x2)
        return self._symbolic(x1, x2, out)

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


def _scalar_attrs(value):
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
