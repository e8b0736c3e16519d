"""ONNX export rules of comparisons, logical ops, ``where``, ``broadcast_mod``
and the unary math beyond the basics (inverse and hyperbolic trigonometry,
sign and the roundings, log2/log10/log1p/expm1, rsqrt, cbrt, hard_sigmoid).

MXNet's comparisons and logical ops return 0/1 in the input's dtype, where
ONNX returns booleans, so each result is cast back to the MXNet dtype.
"""
import math

import numpy as np

from .export_rules import exports

_COMPARE = {
    "Equal": ("broadcast_equal", "_equal", "_equal_scalar"),
    "Greater": ("broadcast_greater", "_greater", "_greater_scalar"),
    "GreaterOrEqual": ("broadcast_greater_equal", "_greater_equal", "_greater_equal_scalar"),
    "Less": ("broadcast_lesser", "_lesser", "_lesser_scalar"),
    "LessOrEqual": ("broadcast_lesser_equal", "_lesser_equal", "_lesser_equal_scalar"),
}

_LOGICAL = {"And": ("broadcast_logical_and", "_logical_and"),
            "Or": ("broadcast_logical_or", "_logical_or"),
            "Xor": ("broadcast_logical_xor", "_logical_xor")}

_UNARY = {"Asin": "arcsin", "Acos": "arccos", "Atan": "arctan", "Tan": "tan",
          "Sinh": "sinh", "Cosh": "cosh", "Asinh": "arcsinh", "Acosh": "arccosh",
          "Atanh": "arctanh", "Sign": "sign"}


def onnx_type(ctx, dtype):
    """The ONNX element type code of a NumPy dtype."""
    return ctx.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))


def as_bool(ctx, name):
    """``name`` cast to ONNX booleans (nonzero is true, as in MXNet)."""
    return ctx.emit("Cast", [name], to=onnx_type(ctx, np.bool_))


def _operands(ctx, node):
    """The two operands; a ``_*_scalar`` op's scalar becomes a constant."""
    if "scalar" in node.attrs:
        return [node.inputs[0],
                ctx.const(f"{node.name}_scalar", np.array(node.attrs.scalar, node.in_dtypes[0]))]
    return list(node.inputs)


def _compare_rule(onnx_op):
    def rule(ctx, node):
        result = ctx.emit(onnx_op, _operands(ctx, node))
        ctx.emit("Cast", [result], node.output, to=onnx_type(ctx, node.out_dtypes[0]))
    return rule


def _not_equal(ctx, node):
    equal = ctx.emit("Equal", _operands(ctx, node))
    ctx.emit("Cast", [ctx.emit("Not", [equal])], node.output,
             to=onnx_type(ctx, node.out_dtypes[0]))


def _logical_rule(onnx_op):
    def rule(ctx, node):
        result = ctx.emit(onnx_op, [as_bool(ctx, x) for x in _operands(ctx, node)])
        ctx.emit("Cast", [result], node.output, to=onnx_type(ctx, node.out_dtypes[0]))
    return rule


def _register():
    for onnx_op, names in _COMPARE.items():
        exports(*names)(_compare_rule(onnx_op))
    exports("broadcast_not_equal", "_not_equal", "_not_equal_scalar")(_not_equal)
    for onnx_op, names in _LOGICAL.items():
        exports(*names)(_logical_rule(onnx_op))
    for onnx_op, name in _UNARY.items():
        exports(name)(_unary_rule(onnx_op))


def _unary_rule(onnx_op):
    def rule(ctx, node):
        ctx.emit(onnx_op, node.inputs, node.output)
    return rule


_register()


@exports("logical_not")
def logical_not(ctx, node):
    result = ctx.emit("Not", [as_bool(ctx, node.inputs[0])])
    ctx.emit("Cast", [result], node.output, to=onnx_type(ctx, node.out_dtypes[0]))


def _log_base(base):
    def rule(ctx, node):
        ln = ctx.const(f"{node.name}_ln{base}", np.array(math.log(base), node.in_dtypes[0]))
        ctx.emit("Div", [ctx.emit("Log", node.inputs), ln], node.output)
    return rule


exports("log2")(_log_base(2))
exports("log10")(_log_base(10))


def _one(ctx, node):
    return ctx.const(f"{node.name}_one", np.array(1, node.in_dtypes[0]))


@exports("log1p")
def log1p(ctx, node):
    ctx.emit("Log", [ctx.emit("Add", [node.inputs[0], _one(ctx, node)])], node.output)


@exports("expm1")
def expm1(ctx, node):
    ctx.emit("Sub", [ctx.emit("Exp", node.inputs), _one(ctx, node)], node.output)


@exports("rsqrt")
def rsqrt(ctx, node):
    ctx.emit("Reciprocal", [ctx.emit("Sqrt", node.inputs)], node.output)


def _signed(ctx, node, magnitude):
    """sign(x) * magnitude(|x|): an odd function from its positive half."""
    x = node.inputs[0]
    ctx.emit("Mul", [ctx.emit("Sign", [x]), magnitude(ctx.emit("Abs", [x]))], node.output)


@exports("cbrt")
def cbrt(ctx, node):
    third = ctx.const(f"{node.name}_third", np.array(1.0 / 3.0, node.in_dtypes[0]))
    _signed(ctx, node, lambda a: ctx.emit("Pow", [a, third]))


@exports("round")
def round_half_away(ctx, node):
    # ONNX Round sends halves to even; MXNet's round sends them away from zero.
    half = ctx.const(f"{node.name}_half", np.array(0.5, node.in_dtypes[0]))
    _signed(ctx, node, lambda a: ctx.emit("Floor", [ctx.emit("Add", [a, half])]))


@exports("trunc", "fix")
def trunc(ctx, node):
    _signed(ctx, node, lambda a: ctx.emit("Floor", [a]))


@exports("rint")
def rint(ctx, node):
    # MXNet's rint takes the floor when x is at most half above it.
    x = node.inputs[0]
    floor = ctx.emit("Floor", [x])
    half = ctx.const(f"{node.name}_half", np.array(0.5, node.in_dtypes[0]))
    low = ctx.emit("LessOrEqual", [ctx.emit("Sub", [x, floor]), half])
    ctx.emit("Where", [low, floor, ctx.emit("Ceil", [x])], node.output)


@exports("hard_sigmoid")
def hard_sigmoid(ctx, node):
    ctx.emit("HardSigmoid", node.inputs, node.output, alpha=float(node.attrs.alpha),
             beta=float(node.attrs.beta))


@exports("broadcast_mod")
def broadcast_mod(ctx, node):
    a, b = node.inputs
    if np.issubdtype(node.in_dtypes[0], np.integer):
        ctx.emit("Mod", [a, b], node.output)  # integer Mod takes the divisor's sign
        return
    # MXNet's remainder takes the divisor's sign (Python's %); fmod takes the
    # dividend's, so a nonzero fmod of the other sign is moved up by b.
    rem = ctx.emit("Mod", [a, b], fmod=1)
    zero = ctx.const(f"{node.name}_zero", np.array(0, node.in_dtypes[0]))
    other_sign = ctx.emit("Xor", [ctx.emit("Less", [rem, zero]), ctx.emit("Less", [b, zero])])
    nonzero = ctx.emit("Not", [ctx.emit("Equal", [rem, zero])])
    shift = ctx.emit("And", [other_sign, nonzero])
    ctx.emit("Where", [shift, ctx.emit("Add", [rem, b]), rem], node.output)


@exports("where")
def where(ctx, node):
    cond, x, y = node.inputs
    cond_shape, x_shape = node.in_shapes[0], node.in_shapes[1]
    if len(cond_shape) == 1 and len(x_shape) > 1:
        # A 1-D condition picks whole rows along the first axis.
        shape = ctx.ints(f"{node.name}_cond_shape", [-1] + [1] * (len(x_shape) - 1))
        cond = ctx.emit("Reshape", [cond, shape])
    ctx.emit("Where", [as_bool(ctx, cond), x, y], node.output)
