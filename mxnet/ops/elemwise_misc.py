"""Elementwise operators that are not plain unary or binary math.

Clipping and selection (``clip``, ``where``), the n-ary sum (``add_n``),
gradient plumbing (``BlockGrad``, ``make_loss``, ``MakeLoss``,
``_identity_with_attr_like_rhs``), mixed-precision helpers (``amp_cast``,
``amp_multicast``, ``all_finite``, ``multi_all_finite``), the
parametrised activations ``hard_sigmoid`` and ``smooth_l1``, and the
elementwise contrib ops (``round_ste``, ``sign_ste``, ``gradientmultiplier``,
``quadratic``, ``div_sqrt_dim``).

Kernels check their inputs themselves (shapes, dtypes, counts) because
small calls run inline without the inference rules.
"""
import math

import numpy as np

from ..base import MXNetError
from . import unary  # noqa: F401  (registers round and sign, reused by the estimators below)
from .binary import int_divide, scalar_as
from .infer import same_shape, same_type
from .params import Param
from .registry import get, register


def _fmt(shapes):
    return ", ".join(str(tuple(s)) for s in shapes)


def _require_float(name, dtype):
    if np.dtype(dtype).kind != "f":
        raise MXNetError(f"{name}: expects a floating point input, got {np.dtype(dtype).name}")


def _float_type(name):
    """Type rule of a float-only op whose output has the input's dtype."""
    def infer(attrs, types):
        if types[0] is not None:
            _require_float(name, types[0])
        return same_type(name)(attrs, types)
    return infer


def _check_same(name, arrays):
    first = arrays[0]
    for a in arrays[1:]:
        if a.shape != first.shape:
            raise MXNetError(f"{name}: inputs must have the same shape, got "
                             f"{_fmt(x.shape for x in arrays)}")
        if a.dtype != first.dtype:
            raise MXNetError(f"{name}: inputs must have the same dtype, got "
                             + ", ".join(str(x.dtype) for x in arrays))


# -- clip ----------------------------------------------------------------------

def _clip_grad(F, attrs, ins, outs, g):
    x = ins[0]
    return [g[0] * (x >= attrs.a_min) * (x <= attrs.a_max)]


@register("clip", params={"a_min": Param("float", doc="Lower bound."),
                          "a_max": Param("float", doc="Upper bound.")},
          infer_shape=same_shape("clip"), infer_type=same_type("clip"), gradient=_clip_grad)
def _clip(xp, attrs, data):
    """Limit the values to [a_min, a_max]: larger values become a_max, smaller
    ones a_min (a_max wins when a_min > a_max). The gradient passes where
    a_min <= x <= a_max."""
    # Compared as numbers, then the chosen bound is cast to the dtype (so
    # uint8 data clipped at -1.5 keeps its zeros, as in MXNet).
    lo = scalar_as(data.dtype, attrs.a_min)
    hi = scalar_as(data.dtype, attrs.a_max)
    return xp.where(data > attrs.a_max, hi,
                    xp.where(data < attrs.a_min, lo, data)).astype(data.dtype, copy=False)


# -- where ---------------------------------------------------------------------

def _where_shapes(cond, x, y):
    if x != y:
        raise MXNetError(f"where: x and y must have the same shape, got {x} and {y}")
    if cond != x and not (len(cond) == 1 and len(x) >= 1 and cond[0] == x[0]):
        raise MXNetError(f"where: condition must have the shape of x {x} or be 1-D with "
                         f"length {x[0] if x else 1}, got {cond}")


def _where_shape(attrs, shapes):
    cond, x, y = shapes
    x = x if x is not None else y
    if cond is None or x is None:
        return [cond, x, x], [x]
    _where_shapes(tuple(cond), tuple(x), tuple(y if y is not None else x))
    return [cond, x, x], [tuple(x)]


def _where_type(attrs, types):
    cond, x, y = types
    if x is not None and y is not None and x != y:
        raise MXNetError(f"where: x and y must have the same dtype, got {x} and {y}")
    t = x if x is not None else y
    return [cond, t, t], [t]


def _where_grad(F, attrs, ins, outs, g):
    cond = ins[0]
    zeros = F.zeros_like(g[0])
    return [F.zeros_like(cond), F.where(cond, g[0], zeros), F.where(cond, zeros, g[0])]


@register("where", inputs=("condition", "x", "y"), infer_shape=_where_shape,
          infer_type=_where_type, gradient=_where_grad)
def _where(xp, attrs, condition, x, y):
    """Take x where the condition is nonzero and y elsewhere. The condition has
    the shape of x, or is 1-D and selects whole rows (first-axis slices)."""
    _where_shapes(condition.shape, x.shape, y.shape)
    if x.dtype != y.dtype:
        raise MXNetError(f"where: x and y must have the same dtype, got {x.dtype} and {y.dtype}")
    mask = condition != 0
    if condition.shape != x.shape:
        mask = mask.reshape(mask.shape + (1,) * (x.ndim - 1))
    return xp.where(mask, x, y)


# -- n-ary sum -----------------------------------------------------------------

@register("add_n", aliases=("ElementWiseSum",), inputs=("args",), variadic="num_args",
          params={"num_args": Param("int", doc="Number of inputs to add.")},
          infer_shape=same_shape("add_n"), infer_type=same_type("add_n"),
          gradient=lambda F, attrs, ins, outs, g: [g[0]] * len(ins))
def _add_n(xp, attrs, *args):
    """Sum of all inputs, elementwise; they must share one shape and dtype."""
    if attrs.num_args < 1 or attrs.num_args != len(args):
        raise MXNetError(f"add_n: num_args must be the number of inputs (at least 1), "
                         f"got num_args={attrs.num_args} with {len(args)} inputs")
    _check_same("add_n", args)
    if len(args) == 1:
        return args[0].copy()
    out = xp.add(args[0], args[1])
    for a in args[2:]:
        xp.add(out, a, out=out)
    return out


# -- gradient plumbing ---------------------------------------------------------

@register("BlockGrad", aliases=("stop_gradient",), infer_shape=same_shape("BlockGrad"),
          infer_type=same_type("BlockGrad"),
          gradient=lambda F, attrs, ins, outs, g: [F.zeros_like(ins[0])])
def _block_grad(xp, attrs, data):
    """A copy of the input through which no gradient flows back."""
    return data.copy()


# MXNet names make_loss's output "loss" (make_loss0_loss); MakeLoss keeps "output".
@register("make_loss", output_names=("loss",), infer_shape=same_shape("make_loss"),
          infer_type=same_type("make_loss"),
          gradient=lambda F, attrs, ins, outs, g: [F.ones_like(ins[0])])
def _make_loss(xp, attrs, data):
    """Mark the input as a loss: forward is a copy, and backward sends a
    gradient of ones whatever gradient arrives from above."""
    return data.copy()


def _make_loss_grad(F, attrs, ins, outs, g):
    y = outs[0]
    scale = F.ones_like(y) * attrs.grad_scale
    if attrs.normalization == "batch":
        return [scale / y.shape[0]]
    if attrs.normalization == "valid":
        valid = F.sum(y > attrs.valid_thresh)
        return [F.broadcast_div(scale, F.maximum(valid, 1))]
    return [scale]


@register("MakeLoss",
          params={"grad_scale": Param("float", 1.0, "Gradient scale."),
                  "valid_thresh": Param("float", 0.0, "Outputs above it count as valid."),
                  "normalization": Param("str", "null", "How the gradient is divided: 'null' "
                                         "(not), 'batch' (by the first dimension) or 'valid' "
                                         "(by the number of valid outputs).",
                                         choices=("null", "batch", "valid"))},
          infer_shape=same_shape("MakeLoss"), infer_type=_float_type("MakeLoss"),
          gradient=_make_loss_grad)
def _make_loss_legacy(xp, attrs, data):
    """Mark the input as a loss: forward is a copy, and backward sends
    ``grad_scale`` (optionally normalised) ignoring the incoming gradient."""
    _require_float("MakeLoss", data.dtype)
    return data.copy()


def _like_rhs_shape(attrs, shapes):
    lhs, rhs = shapes
    known = lhs if lhs is not None else rhs
    if lhs is not None and rhs is not None and tuple(lhs) != tuple(rhs):
        raise MXNetError(f"_identity_with_attr_like_rhs: lhs and rhs must have the same "
                         f"shape, got {_fmt([lhs, rhs])}")
    return [known, known], [known]


@register("_identity_with_attr_like_rhs", inputs=("lhs", "rhs"), infer_shape=_like_rhs_shape,
          infer_type=same_type("_identity_with_attr_like_rhs"),
          gradient=lambda F, attrs, ins, outs, g: [g[0], F.zeros_like(ins[1])])
def _identity_like_rhs(xp, attrs, lhs, rhs):
    """A copy of lhs, which must match rhs in shape and dtype (graph plumbing)."""
    _check_same("_identity_with_attr_like_rhs", (lhs, rhs))
    return lhs.copy()


# -- mixed precision -----------------------------------------------------------

_AMP_DTYPES = ("bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8")
# Only these input dtypes are touched by the AMP casts; float64 and integer
# inputs pass through unchanged.
_AMP_CASTABLE = ("float16", "float32", "bfloat16")


def _amp_target(name, dtype):
    if dtype == "bfloat16":
        raise MXNetError(f"{name}: bfloat16 arrays are not supported by the NumPy backend")
    return dtype


def _amp_cast_type(attrs, types):
    t = types[0]
    if t is None:
        return types, [None]
    return types, [_amp_target("amp_cast", attrs.dtype) if t in _AMP_CASTABLE else t]


def _cast_back(F, attrs, ins, outs, g):
    return [F.Cast(gi, dtype=x.dtype) for gi, x in zip(g, ins)]


@register("amp_cast", params={"dtype": Param("dtype", choices=_AMP_DTYPES, doc="Target dtype.")},
          infer_shape=same_shape("amp_cast"), infer_type=_amp_cast_type, gradient=_cast_back)
def _amp_cast(xp, attrs, data):
    """Cast a float16/float32 input to ``dtype`` (float to integer truncates);
    inputs of other dtypes are copied unchanged."""
    if data.dtype.name in _AMP_CASTABLE:
        return data.astype(_amp_target("amp_cast", attrs.dtype))
    return data.copy()


def _multicast_target(attrs, names):
    """The common dtype of the castable inputs: the widest, or the narrowest
    with ``cast_narrow``; None when no input is castable."""
    castable = [n for n in names if n in _AMP_CASTABLE]
    if not castable:
        return None
    if "bfloat16" in castable:
        _amp_target("amp_multicast", "bfloat16")
    pick = min if attrs.cast_narrow else max
    return pick(castable, key=lambda n: np.dtype(n).itemsize)


def _multicast_type(attrs, types):
    if any(t is None for t in types):
        return types, [None] * len(types)
    target = _multicast_target(attrs, types)
    return types, [target if t in _AMP_CASTABLE else t for t in types]


def _multicast_shape(attrs, shapes):
    return shapes, list(shapes)


@register("amp_multicast", inputs=("data",), variadic="num_outputs",
          params={"num_outputs": Param("int", doc="Number of inputs (and outputs)."),
                  "cast_narrow": Param("bool", False, "Cast to the narrowest float type "
                                       "instead of the widest.")},
          num_outputs=lambda attrs: attrs.num_outputs, infer_shape=_multicast_shape,
          infer_type=_multicast_type, gradient=_cast_back)
def _amp_multicast(xp, attrs, *data):
    """Cast the float16/float32 inputs to one common float type (the widest
    present, or the narrowest with ``cast_narrow``); others pass unchanged."""
    if attrs.num_outputs != len(data):
        raise MXNetError(f"amp_multicast: num_outputs must equal the number of inputs, got "
                         f"num_outputs={attrs.num_outputs} with {len(data)} inputs")
    target = _multicast_target(attrs, [d.dtype.name for d in data])
    return tuple(d.astype(target) if d.dtype.name in _AMP_CASTABLE else d.copy() for d in data)


def _finite_shape(attrs, shapes):
    return shapes, [(1,)]


def _finite_type(name):
    def infer(attrs, types):
        for t in types:
            if t is not None:
                _require_float(name, t)
        return types, ["float32"]
    return infer


def _all_finite_flag(xp, name, arrays):
    ok = True
    for a in arrays:
        _require_float(name, a.dtype)
        ok = ok & xp.isfinite(a).all()
    return xp.asarray(ok, dtype="float32").reshape(1)


# init_output=False asks MXNet to leave an existing output untouched when all
# values are finite (so flags can be combined across calls); kernels here
# always produce a fresh result, so the flag is written either way.
_INIT_OUTPUT = Param("bool", True, "Initialise the output (see the note in the docs).")


@register("all_finite", params={"init_output": _INIT_OUTPUT},
          infer_shape=_finite_shape, infer_type=_finite_type("all_finite"))
def _all_finite(xp, attrs, data):
    """1.0 (float32, shape (1,)) when every element is finite, else 0.0."""
    return _all_finite_flag(xp, "all_finite", (data,))


@register("multi_all_finite", inputs=("data",), variadic="num_arrays",
          params={"num_arrays": Param("int", 1, "Number of input arrays."),
                  "init_output": _INIT_OUTPUT},
          infer_shape=_finite_shape, infer_type=_finite_type("multi_all_finite"))
def _multi_all_finite(xp, attrs, *data):
    """1.0 (float32, shape (1,)) when every element of every input is finite, else 0.0."""
    if attrs.num_arrays != len(data):
        raise MXNetError(f"multi_all_finite: num_arrays must equal the number of inputs, got "
                         f"num_arrays={attrs.num_arrays} with {len(data)} inputs")
    return _all_finite_flag(xp, "multi_all_finite", data)


# -- parametrised activations --------------------------------------------------

def _hard_sigmoid_grad(F, attrs, ins, outs, g):
    t = ins[0] * attrs.alpha + attrs.beta
    return [g[0] * (t > 0) * (t < 1) * attrs.alpha]


@register("hard_sigmoid", params={"alpha": Param("float", 0.2, "Slope."),
                                  "beta": Param("float", 0.5, "Offset.")},
          infer_shape=same_shape("hard_sigmoid"), infer_type=_float_type("hard_sigmoid"),
          gradient=_hard_sigmoid_grad)
def _hard_sigmoid(xp, attrs, data):
    """Piecewise-linear sigmoid: clip(alpha * x + beta, 0, 1), elementwise."""
    _require_float("hard_sigmoid", data.dtype)
    x = data.astype("float32") if data.dtype.itemsize < 4 else data
    t = x * x.dtype.type(attrs.alpha) + x.dtype.type(attrs.beta)
    return xp.clip(t, 0, 1).astype(data.dtype, copy=False)


def _smooth_l1_bound(sigma):
    """(sigma**2, 1/sigma**2); sigma = 0 makes the whole line quadratic (and zero)."""
    s2 = sigma * sigma
    return s2, (1 / s2 if s2 else float("inf"))


def _smooth_l1_grad(F, attrs, ins, outs, g):
    x = ins[0]
    s2, bound = _smooth_l1_bound(attrs.scalar)
    above = x > bound
    below = x < -bound
    return [g[0] * (above - below + x * s2 * (1 - above - below))]


@register("smooth_l1", params={"scalar": Param("float", 1.0, "sigma: the quadratic part "
                                               "spans |x| <= 1/sigma**2.")},
          infer_shape=same_shape("smooth_l1"), infer_type=same_type("smooth_l1"),
          gradient=_smooth_l1_grad)
def _smooth_l1(xp, attrs, data):
    """Smooth L1 (Huber-like) loss with sigma = ``scalar``, elementwise:
    0.5 * (sigma * x)**2 where |x| <= 1/sigma**2, else |x| - 0.5/sigma**2."""
    # sigma takes the data's dtype first: for integer data 0.5 becomes 0.
    s2, bound = _smooth_l1_bound(float(scalar_as(data.dtype, attrs.scalar)))
    x = data if data.dtype.kind == "f" else data.astype("float32")
    ax = xp.abs(x)
    with np.errstate(over="ignore"):
        out = xp.where(ax > bound, ax - 0.5 * bound, 0.5 * x * x * s2)
    return out.astype(data.dtype, copy=False)


# -- elementwise contrib ops -----------------------------------------------------

def _straight_through(name, source, doc):
    """``source``'s forward with the identity as gradient (a straight-through estimator)."""
    kernel = get(source).compute

    def compute(xp, attrs, data):
        return kernel(xp, attrs, data)
    compute.__doc__ = doc
    register(name, infer_shape=same_shape(name), infer_type=same_type(name),
             gradient=lambda F, attrs, ins, outs, g: [g[0]])(compute)


_straight_through("_contrib_round_ste", "round",
                  "round() forward, with the incoming gradient passed straight through.")
_straight_through("_contrib_sign_ste", "sign",
                  "sign() forward, with the incoming gradient passed straight through.")


@register("_contrib_gradientmultiplier",
          params={"scalar": Param("float", 1.0, "Gradient multiplier."),
                  "is_int": Param("bool", True, "Whether the scalar is an integer.")},
          infer_shape=same_shape("_contrib_gradientmultiplier"),
          infer_type=same_type("_contrib_gradientmultiplier"),
          gradient=lambda F, attrs, ins, outs, g: [g[0] * attrs.scalar])
def _gradient_multiplier(xp, attrs, data):
    """A copy of the input whose gradient is multiplied by ``scalar`` (-1 gives
    a gradient reversal layer)."""
    return data.copy()


@register("_contrib_quadratic",
          params={"a": Param("float", 0.0, "Coefficient of x**2."),
                  "b": Param("float", 0.0, "Coefficient of x."),
                  "c": Param("float", 0.0, "Constant term.")},
          infer_shape=same_shape("_contrib_quadratic"), infer_type=same_type("_contrib_quadratic"),
          gradient=lambda F, attrs, ins, outs, g: [g[0] * (ins[0] * (2 * attrs.a) + attrs.b)])
def _quadratic(xp, attrs, data):
    """a * x**2 + b * x + c, elementwise (integers are computed in float32)."""
    x = data if data.dtype.kind == "f" else data.astype("float32")
    return (x * x * attrs.a + x * attrs.b + attrs.c).astype(data.dtype, copy=False)


def _sqrt_last_dim(dtype, shape):
    # Like MXNet, the divisor takes the data's dtype (1 for int data of width 3).
    return scalar_as(np.dtype(dtype), math.sqrt(shape[-1]))


@register("_contrib_div_sqrt_dim", infer_shape=same_shape("_contrib_div_sqrt_dim"),
          infer_type=same_type("_contrib_div_sqrt_dim"),
          gradient=lambda F, attrs, ins, outs, g: [
              g[0] / float(_sqrt_last_dim(ins[0].dtype, ins[0].shape))])
def _div_sqrt_dim(xp, attrs, data):
    """The input divided by the square root of its last dimension (attention scaling)."""
    if data.ndim == 0:
        raise MXNetError("div_sqrt_dim: expects an input with at least one dimension")
    divisor = _sqrt_last_dim(data.dtype, data.shape)
    if data.dtype.kind in "iub":
        return int_divide(xp, data, xp.asarray(divisor))
    with np.errstate(divide="ignore", invalid="ignore"):
        return data / divisor
