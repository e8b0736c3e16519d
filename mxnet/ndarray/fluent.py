"""Fluent methods: ``x.sum(axis=1)`` is ``mx.nd.sum(x, axis=1)``.

The method names are MXNet's; each forwards to the ``mx.nd`` operator
function of the same name with the array as first input.
"""
from . import op as _op
from . import shape_funcs
from .ndarray import NDArray

FLUENT_METHODS = (
    "abs", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "argmax",
    "argmax_channel", "argmin", "argsort", "broadcast_axes", "cbrt", "ceil", "clip", "cos",
    "cosh", "degrees", "depth_to_space", "diag", "exp", "expand_dims", "expm1", "fix",
    "flatten", "flip", "floor", "log", "log10", "log1p", "log2", "log_softmax", "max", "mean",
    "min", "nanprod", "nansum", "norm", "one_hot", "ones_like", "pad", "pick", "prod",
    "radians", "rcbrt", "reciprocal", "relu", "repeat", "reshape_like", "rint", "round",
    "rsqrt", "shape_array", "sigmoid", "sign", "sin", "sinh", "size_array", "slice",
    "slice_assign", "slice_assign_scalar", "slice_axis", "slice_like", "softmax", "softmin",
    "sort", "space_to_depth", "split", "split_v2", "sqrt", "square", "squeeze", "sum",
    "swapaxes", "take", "tan", "tanh", "tile", "topk", "transpose", "trunc", "zeros_like",
)


def _method(name):
    """The operator function itself: as a method, the array is its first
    input (no forwarding wrapper: ``x.sum()`` is on the hot path of a loss)."""
    return getattr(_op, name)


def _broadcast_to(self, shape):
    """Broadcast to ``shape``."""
    return _op.broadcast_to(self, shape=shape)


def _broadcast_like(self, other):
    """Broadcast to the shape of ``other``."""
    return _op.broadcast_like(self, other)


def attach():
    """Add a method for every fluent name whose operator is registered."""
    for name in FLUENT_METHODS:
        if hasattr(_op, name) and name not in NDArray.__dict__:
            setattr(NDArray, name, _method(name))
    NDArray.broadcast_to = _broadcast_to
    NDArray.broadcast_like = _broadcast_like
    NDArray.split_v2 = shape_funcs.split_v2
    NDArray.slice_assign = shape_funcs.slice_assign
    NDArray.slice_assign_scalar = shape_funcs.slice_assign_scalar
