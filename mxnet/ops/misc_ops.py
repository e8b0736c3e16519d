"""Operators that belong to no larger family: histograms, the legacy one-hot
encoder, MXNet's public ``normal``/``uniform`` sampler names, graph
plumbing (``_CrossDeviceCopy``, ``_NoGradient``), backward ops MXNet
exposes by name and sparse AdaGrad (the interleaved attention matmuls are in
``misc_attention``).
"""
import copy

from ..base import MXNetError
from . import registry
from .infer import same_shape, same_type
from .optimizer_ops import CLIP, LR, P, RESCALE, rescaled, store, up, update_op
from .params import Param
from .registry import register


# -- histogram -------------------------------------------------------------------
def _hist_inputs(attrs):
    return ("data",) if attrs.bin_cnt is not None else ("data", "bins")


def _hist_shape(attrs, shapes):
    if attrs.bin_cnt is not None:
        if attrs.bin_cnt < 1:
            raise MXNetError(f"_histogram: argument 'bin_cnt' must be positive, got "
                             f"{attrs.bin_cnt}")
        return shapes, [(attrs.bin_cnt,), (attrs.bin_cnt + 1,)]
    bins = shapes[1] if len(shapes) > 1 else None
    if bins is None:
        return shapes, [None, None]
    if len(bins) != 1 or bins[0] < 2:
        raise MXNetError(f"_histogram: 'bins' must be a 1-D array of at least 2 edges, got "
                         f"shape {tuple(bins)}")
    return shapes, [(bins[0] - 1,), tuple(bins)]


def _hist_type(attrs, types):
    edges = types[0] if attrs.bin_cnt is not None else (types[1] if len(types) > 1 else None)
    return types, ["int64", edges]


@register("_histogram", inputs=("data", "bins"), active_inputs=_hist_inputs,
          params={"bin_cnt": Param("int", None, "Number of equal bins over `range`; when "
                                                "None, the `bins` input gives the edges."),
                  "range": Param("floats", None, "(low, high) of the equal bins.")},
          num_outputs=2,
          infer_shape=_hist_shape, infer_type=_hist_type)
def _histogram(xp, attrs, data, bins=None):
    """Counts of ``data`` per bin (int64) and the bin edges. Bins are
    half-open ``[e_i, e_i+1)`` except the last, which includes its upper
    edge; values outside all bins are not counted."""
    values = data.reshape(-1).astype(xp.float64)
    if attrs.bin_cnt is not None:
        if attrs.range is None or len(attrs.range) != 2:
            raise MXNetError(f"_histogram: argument 'range' must be (low, high) when bin_cnt "
                             f"is given, got {attrs.range}")
        low, high = attrs.range
        if not low < high:
            raise MXNetError(f"_histogram: 'range' must have low < high, got {attrs.range}")
        n = attrs.bin_cnt
        edges = (low + (high - low) * xp.arange(n + 1, dtype=xp.float64) / n).astype(data.dtype)
        inside = (values >= low) & (values <= high)
        idx = xp.floor((values[inside] - low) * n / (high - low)).astype(xp.int64)
        idx = xp.minimum(idx, n - 1)
    else:
        edges = bins.copy()
        cuts = bins.astype(xp.float64)
        n = cuts.shape[0] - 1
        inside = (values >= cuts[0]) & (values <= cuts[-1])
        idx = xp.minimum(xp.searchsorted(cuts, values[inside], side="right") - 1, n - 1)
    counts = xp.bincount(idx, minlength=n).astype(xp.int64)
    return counts, edges


# -- legacy one-hot ------------------------------------------------------------------
def _onehot_shape(attrs, shapes):
    lhs, rhs = shapes
    if rhs is not None and len(rhs) != 2:
        raise MXNetError(f"_onehot_encode: 'rhs' must be 2-D (batch, depth), got {tuple(rhs)}")
    if lhs is not None and rhs is not None and (len(lhs) != 1 or lhs[0] != rhs[0]):
        raise MXNetError(f"_onehot_encode: 'lhs' must be 1-D with {rhs[0]} indices, got "
                         f"shape {tuple(lhs)}")
    return shapes, [None if rhs is None else tuple(rhs)]


def _onehot_type(attrs, types):
    for name, t in zip(("lhs", "rhs"), types):
        if t is not None and t != "float32":
            raise MXNetError(f"_onehot_encode: '{name}' must be float32, got {t}")
    return ["float32", "float32"], ["float32"]


@register("_onehot_encode", inputs=("lhs", "rhs"), infer_shape=_onehot_shape,
          infer_type=_onehot_type)
def _onehot_encode(xp, attrs, lhs, rhs):
    """Rows of zeros shaped like ``rhs`` with a one at column ``lhs[i]`` of row
    ``i`` (rows whose index is outside ``[0, depth)`` stay zero)."""
    _onehot_type(attrs, [lhs.dtype.name, rhs.dtype.name])
    out = xp.zeros(rhs.shape, rhs.dtype)
    idx = lhs.astype(xp.int64)
    rows = xp.nonzero((idx >= 0) & (idx < rhs.shape[1]))[0]
    out[rows, idx[rows]] = 1
    return out


# -- MXNet's public sampler names ------------------------------------------------------
def _public_copy(base_name, name):
    op = copy.copy(registry.get(base_name))  # same declaration under MXNet's other name
    op.name, op.aliases, op._cache, op.overrides = name, (), {}, {}
    registry.add(op)


_public_copy("_random_normal", "normal")
_public_copy("_random_uniform", "uniform")


# -- graph plumbing ----------------------------------------------------------------------
@register("_NoGradient", inputs=(), infer_shape=lambda attrs, shapes: (shapes, [None]),
          infer_type=lambda attrs, types: (types, [None]))
def _no_gradient(xp, attrs):
    """Placeholder MXNet graphs use for an input without gradient; it has no value."""
    raise MXNetError("_NoGradient: a placeholder for 'no gradient' in graphs; it has no value "
                     "to compute")


@register("_CrossDeviceCopy", infer_shape=same_shape("_CrossDeviceCopy"),
          infer_type=same_type("_CrossDeviceCopy"),
          gradient=lambda F, attrs, ins, outs, ograds: [F._internal._CrossDeviceCopy(ograds[0])])
def _cross_device_copy(xp, attrs, data):
    """A copy of ``data`` (MXNet inserts it between device groups of a graph)."""
    return data.copy()


_SUM = registry.get("sum")


@register("_broadcast_backward", params=dict(_SUM.params), infer_shape=_SUM.infer_shape,
          infer_type=_SUM.infer_type)
def _broadcast_backward(xp, attrs, data):
    """Sum over ``axis``: the gradient of a broadcast, reduced back to its input."""
    return _SUM.compute(xp, attrs, data)


# -- backward ops MXNet registers by name ---------------------------------------------------------
_SPLIT = registry.get("_split_v2")


def _split_back_shape(attrs, shapes):
    if any(s is None for s in shapes):
        return shapes, [None]
    axis = attrs.axis % (len(shapes[0]) + bool(attrs.squeeze_axis))
    parts = [s[:axis] + (1,) + s[axis:] if attrs.squeeze_axis else tuple(s) for s in shapes]
    total = sum(p[axis] for p in parts)
    return shapes, [parts[0][:axis] + (total,) + parts[0][axis + 1:]]


@register("_split_v2_backward", params=dict(_SPLIT.params), variadic="num_args",
          infer_shape=_split_back_shape, infer_type=lambda attrs, t: (t, [t[0]]))
def _split_v2_backward(xp, attrs, *out_grads):
    """The gradient of ``_split_v2``: the part gradients joined along ``axis``."""
    ndim = out_grads[0].ndim + bool(attrs.squeeze_axis)
    axis = attrs.axis % ndim
    parts = [xp.expand_dims(g, axis) if attrs.squeeze_axis else g for g in out_grads]
    return xp.concatenate(parts, axis=axis)


@register("_contrib_backward_gradientmultiplier",
          params={"scalar": Param("float", 1.0, "Factor applied to the gradient."),
                  "is_int": Param("bool", True, "Whether the scalar is an integer.")},
          infer_shape=same_shape("_contrib_backward_gradientmultiplier"),
          infer_type=same_type("_contrib_backward_gradientmultiplier"))
def _backward_gradientmultiplier(xp, attrs, data):
    """The gradient of ``gradientmultiplier``: the incoming gradient times ``scalar``."""
    return (data * attrs.scalar).astype(data.dtype)


@register("_contrib_backward_quadratic", inputs=("ograd", "data"),
          params={"a": Param("float", 0.0, "Coefficient of x**2."),
                  "b": Param("float", 0.0, "Coefficient of x."),
                  "c": Param("float", 0.0, "Constant term.")},
          infer_shape=same_shape("_contrib_backward_quadratic"),
          infer_type=same_type("_contrib_backward_quadratic"))
def _backward_quadratic(xp, attrs, ograd, data):
    """The gradient of ``quadratic`` (a*x**2 + b*x + c): ograd * (2*a*x + b)."""
    return (ograd * (2 * attrs.a * data + attrs.b)).astype(data.dtype)


def _index_copy_back_shape(attrs, shapes):
    ograd, index = shapes
    if ograd is None or index is None:
        return shapes, [ograd, None]
    return shapes, [tuple(ograd), (index[0],) + tuple(ograd[1:])]


@register("_contrib_backward_index_copy", inputs=("ograd", "index_vector"), num_outputs=2,
          infer_shape=_index_copy_back_shape,
          infer_type=lambda attrs, t: (t, [t[0], t[0]]))
def _backward_index_copy(xp, attrs, ograd, index):
    """The gradients of ``index_copy``: the old tensor's (rows that were
    overwritten get none) and the new tensor's (the copied rows)."""
    rows = index.astype(xp.int64)
    old = ograd.copy()
    old[rows] = 0
    return old, ograd[rows]


# -- AdaGrad (MXNet registers it only under its sparse name) ---------------------------------
@update_op("_sparse_adagrad_update", ("weight", "grad", "history"), "www",
           {**LR, "epsilon": P("float", 1e-7, "Added to the history under the square root."),
            "wd": P("float", 0.0, "Weight decay: must be 0 (MXNet's AdaGrad rejects it)."),
            **RESCALE, **CLIP}, (2,),
           doc="AdaGrad: g = clip(rescale_grad*grad); history += g**2 (in place); "
               "weight -= lr * g / sqrt(history + epsilon). Rows whose gradient is zero keep "
               "their weight and history.")
def _sparse_adagrad_update(xp, attrs, weight, grad, history):
    if attrs.wd != 0:
        raise MXNetError(f"_sparse_adagrad_update: weight decay is not supported; argument "
                         f"'wd' must be 0, got {attrs.wd}")
    g = rescaled(xp, attrs, grad)
    h = up(xp, history) + g * g
    store(history, h)
    return (up(xp, weight) - attrs.lr * g / xp.sqrt(h + attrs.epsilon)).astype(weight.dtype)

