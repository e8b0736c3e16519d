"""ONNX import rules of comparisons, logical ops, Where, Mod and the unary
math beyond the basics (inverse trigonometry, Sign, Round, HardSwish).

ONNX comparisons and logical ops give booleans; MXNet's give 0/1 in the
operand dtype, so their results are cast to bool, which MXNext's arrays hold.
"""
import numpy as np

from .import_rules import imports

_COMPARE = {"Equal": "broadcast_equal", "Greater": "broadcast_greater",
            "GreaterOrEqual": "broadcast_greater_equal", "Less": "broadcast_lesser",
            "LessOrEqual": "broadcast_lesser_equal"}

_LOGICAL = {"And": "broadcast_logical_and", "Or": "broadcast_logical_or",
            "Xor": "broadcast_logical_xor"}

_UNARY = {"Asin": "arcsin", "Acos": "arccos", "Atan": "arctan", "Tan": "tan",
          "Sinh": "sinh", "Cosh": "cosh", "Asinh": "arcsinh", "Acosh": "arccosh",
          "Atanh": "arctanh", "Sign": "sign"}


def _to_bool(ctx, sym):
    return ctx.sym.cast(sym, dtype="bool")


def _boolean_rule(mx_name):
    def rule(ctx, node, attrs):
        return _to_bool(ctx, getattr(ctx.sym, mx_name)(*ctx.inputs(node)))
    return rule


def _unary_rule(mx_name):
    def rule(ctx, node, attrs):
        return getattr(ctx.sym, mx_name)(ctx.tensor(node.input[0]))
    return rule


for _op, _name in list(_COMPARE.items()) + list(_LOGICAL.items()):
    imports(_op)(_boolean_rule(_name))
for _op, _name in _UNARY.items():
    imports(_op)(_unary_rule(_name))


@imports("Not")
def logical_not(ctx, node, attrs):
    return _to_bool(ctx, ctx.sym.logical_not(ctx.tensor(node.input[0])))


def broadcast_all(ctx, node, names):
    """The inputs ``names`` as Symbols broadcast to their common shape."""
    symbolic = [_as_imported(ctx.symbolic_shape(name)) for name in names]
    widest = _widest(symbolic)
    if widest is not None:
        # One input has the result's shape (symbolic dims and all): the
        # others broadcast like it, after gaining leading unit axes.
        like = ctx.tensor(names[widest])
        return [like if i == widest else
                ctx.sym.broadcast_like(_leading_units(ctx, ctx.tensor(name), shape,
                                                      len(symbolic[widest])), like)
                for i, (name, shape) in enumerate(zip(names, symbolic))]
    if all(s is not None and len(s) == len(symbolic[0]) for s in symbolic) and \
            not all(isinstance(d, int) for s in symbolic for d in s):
        # Run-time dims of equal rank, taken to be equal: the MXNet op checks
        # them when it runs (broadcasting them is not covered).
        return [ctx.tensor(name) for name in names]
    shapes = [ctx.shape(name, node) for name in names]
    common = tuple(np.broadcast_shapes(*shapes))
    return [ctx.tensor(name) if tuple(shape) == common else
            ctx.sym.broadcast_to(_with_rank(ctx, ctx.tensor(name), shape, len(common)),
                                 shape=common)
            for name, shape in zip(names, shapes)]


def _as_imported(shape):
    # A 0-d constant imports as shape (1,): MXNet's legacy arrays have no 0-d.
    return (1,) if shape == () else shape


def _widest(shapes):
    """Index of the shape every other broadcasts to (dims equal or 1), or None."""
    if any(s is None for s in shapes):
        return None
    for i, big in enumerate(shapes):
        if all(len(s) <= len(big) and all(d == 1 or d == b for d, b in
                                          zip(s[::-1], big[::-1])) for s in shapes):
            return i
    return None


def _leading_units(ctx, sym, shape, rank):
    for _ in range(rank - len(shape)):
        sym = ctx.sym.expand_dims(sym, axis=0)
    return sym


def _with_rank(ctx, sym, shape, rank):
    """``sym`` with leading unit axes up to ``rank`` (ONNX broadcasts from the right)."""
    if len(shape) == rank:
        return sym
    return ctx.sym.reshape(sym, shape=(1,) * (rank - len(shape)) + tuple(shape))


@imports("Where")
def where(ctx, node, attrs):
    # MXNet's where wants operands of one shape; ONNX broadcasts them.
    cond, x, y = broadcast_all(ctx, node, list(node.input))
    return ctx.sym.where(cond, x, y)


@imports("Mod")
def mod(ctx, node, attrs):
    a, b = ctx.inputs(node)
    if not attrs.get("fmod", 0):
        return ctx.sym.broadcast_mod(a, b)  # both take the divisor's sign
    # fmod takes the dividend's sign: a - trunc(a / b) * b.
    return ctx.sym.broadcast_sub(a, ctx.sym.broadcast_mul(
        ctx.sym.trunc(ctx.sym.broadcast_div(a, b)), b))


@imports("Round")
def round_half_even(ctx, node, attrs):
    # ONNX rounds halves to even; MXNet's round rounds them away from zero,
    # which is right except on ties, where 2 * round(x / 2) is even.
    x = ctx.tensor(node.input[0])
    tie = (x - ctx.sym.floor(x)) == 0.5
    return ctx.sym.where(tie, 2 * ctx.sym.round(x / 2), ctx.sym.round(x))


@imports("HardSwish")
def hard_swish(ctx, node, attrs):
    x = ctx.tensor(node.input[0])
    return x * ctx.sym.hard_sigmoid(x, alpha=1.0 / 6, beta=0.5)
