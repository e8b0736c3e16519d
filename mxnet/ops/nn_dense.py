"""Dense layers: ``FullyConnected`` and the embedding lookups ``Embedding`` and
``_contrib_SparseEmbedding``.

FullyConnected computes ``data @ weight.T + bias`` with ``weight`` of shape
(num_hidden, features). With ``flatten`` (the default) every axis after the
first is folded into the features; without it the product runs over the last
axis only and the leading axes are kept. Its gradients are matrix products
written with ``F.dot``, so they can be differentiated again.

Embedding looks up rows of ``weight`` (input_dim, output_dim). Indices of any
dtype are truncated toward zero as 64-bit integers (so NaN, infinities and
values beyond int64 become the smallest integer) and then clipped into
[0, input_dim - 1], as MXNet does. The weight gradient is always dense here;
``sparse_grad`` is accepted for compatibility. Indices get no gradient.
"""
import numpy as np

from ..base import MXNetError
from .params import Param
from .quiet import quiet
from .registry import input_grad_needed, register, run_host_op

_FLOATS = ("float16", "float32", "float64")


# -- FullyConnected ---------------------------------------------------------------

_FC_PARAMS = {
    "num_hidden": Param("int", doc="Number of output features."),
    "no_bias": Param("bool", False, doc="Leave out the bias input."),
    "flatten": Param("bool", True, doc="Fold every axis after the first into the features; "
                                       "otherwise apply the layer to the last axis only."),
}


def _fc_layout(attrs, data_shape):
    """(output shape, number of input features) of FullyConnected on ``data_shape``."""
    if attrs.flatten:
        features = 1
        for d in data_shape[1:]:
            features *= d
        return (data_shape[0], attrs.num_hidden), features
    return tuple(data_shape[:-1]) + (attrs.num_hidden,), data_shape[-1]


def _fc_check_arity(attrs, n_inputs):
    expected = 2 if attrs.no_bias else 3
    if n_inputs != expected:
        raise MXNetError(f"FullyConnected: expects {expected} inputs (data, weight"
                         f"{'' if attrs.no_bias else ', bias'}) with no_bias={attrs.no_bias}, "
                         f"got {n_inputs}")


def _fc_check_shape(name, given, expected):
    if given is not None and tuple(given) != tuple(expected):
        why = {"weight": " (num_hidden, input features)", "bias": " (num_hidden,)"}
        raise MXNetError(f"FullyConnected: input '{name}' has shape {tuple(given)}, "
                         f"expected {tuple(expected)}{why.get(name, '')}")


def _fc_shape(attrs, shapes, out_shapes=None):
    _fc_check_arity(attrs, len(shapes))
    if attrs.num_hidden <= 0:
        raise MXNetError(f"FullyConnected: argument 'num_hidden' must be positive, "
                         f"got {attrs.num_hidden}")
    data = shapes[0]
    if data is None:
        return shapes, [None]
    # Like MXNet, a known output gives an unknown batch size (0) back to the data, so
    # an RNN's begin state (zeros of shape (0, hidden)) learns it through the h2h layer.
    out_known = out_shapes[0] if out_shapes else None
    if len(data) and data[0] == 0 and out_known:
        data = (out_known[0],) + tuple(data[1:])
    if len(data) == 0:
        raise MXNetError("FullyConnected: input 'data' must have at least one axis, got a "
                         "0-d array")
    out, features = _fc_layout(attrs, data)
    filled = [tuple(data), (attrs.num_hidden, features), (attrs.num_hidden,)]
    for name, given, expected in zip(("data", "weight", "bias"), [data] + shapes[1:], filled):
        _fc_check_shape(name, given, expected)
    return filled[:len(shapes)], [out]


_fc_shape.uses_outputs = True


def _uniform_float_type(op):
    """Every input and the outputs share one floating dtype."""
    def infer(attrs, types):
        known = next((t for t in types if t is not None), None)
        if known is None:
            return types, [None]
        for name, t in zip(("data", "weight", "bias"), types):
            if t is not None and t != known:
                raise MXNetError(f"{op}: every input must have dtype {known} like 'data', "
                                 f"got {t} for '{name}'")
        if known not in _FLOATS:
            raise MXNetError(f"{op}: expects floating-point inputs ({', '.join(_FLOATS)}), "
                             f"got {known}")
        return [known] * len(types), [known]
    return infer


_FLOAT_DTYPES = frozenset(np.dtype(t) for t in _FLOATS)
_fc_type = _uniform_float_type("FullyConnected")


def _fc_check_types(attrs, dtypes):
    """FullyConnected's type rule on the kernel's input dtypes. The common case
    (one float dtype) is decided on the dtypes themselves: numpy's ``dtype.name``
    costs microseconds, so names are only made for the rule's error."""
    if dtypes[0] not in _FLOAT_DTYPES or any(t != dtypes[0] for t in dtypes):
        _fc_type(attrs, [t.name for t in dtypes])


def _fc_grad(F, attrs, ins, outs, g):
    if input_grad_needed(0):
        return list(F._internal._backward_FullyConnected(g[0], *ins, **attrs))
    # The data gradient of a first layer is never used: skip its product.
    weight_grads = F._internal._backward_FullyConnected_weight(g[0], *ins, **attrs)
    return [None] + (list(weight_grads) if len(ins) == 3 else [weight_grads])


def _fc_flat(F, attrs, x):
    """``x`` (shaped like the data) as the (rows, features) matrix the layer multiplies."""
    if attrs.flatten:
        return F.flatten(x)
    return F.reshape(x, shape=(-1, 0), reverse=True)  # leading axes folded


def _grad_of_backward_fc(F, attrs, ins, outs, out_grads, with_data):
    """Second-order rule of the FullyConnected backward ops: dx = rows @ W,
    dw = rows^T @ flat and db = sum(rows) are linear in each argument."""
    out_grad, data, weight = ins[:3]
    rows, flat = F.reshape(out_grad, shape=(-1, attrs.num_hidden)), _fc_flat(F, attrs, data)
    cot = list(out_grads)
    a = _fc_flat(F, attrs, cot.pop(0)) if with_data else None
    b = cot.pop(0)
    g_rows = F.dot(flat, b, transpose_b=True)
    if a is not None:
        g_rows = g_rows + F.dot(a, weight, transpose_b=True)
    if len(ins) == 4:
        g_rows = F.broadcast_add(g_rows, F.reshape(cot.pop(0), shape=(1, -1)))
    g_data = F.reshape_like(F.dot(rows, b), data)
    g_weight = None if a is None else F.dot(rows, a, transpose_a=True)
    return [F.reshape_like(g_rows, out_grad), g_data, g_weight] + [None] * (len(ins) - 3)


def _backward_fc_compute(with_data):
    def compute(xp, attrs, out_grad, data, weight, bias=None):
        out_shape, features = _fc_layout(attrs, data.shape)
        dtype = data.dtype
        rows = out_grad.reshape(-1, attrs.num_hidden)
        flat = data.reshape(-1, features)
        if dtype == "float16":  # as the forward: accumulate in float32
            rows, flat, weight = rows.astype("float32"), flat.astype("float32"), \
                weight.astype("float32")
        grads = []
        if with_data:
            grads.append(run_host_op("dot", xp, {}, rows, weight).reshape(data.shape))
        grads.append(run_host_op("dot", xp, {"transpose_a": True}, rows, flat))
        if bias is not None:
            grads.append(rows.sum(axis=0))
        grads = [gr.astype(dtype, copy=False) for gr in grads]
        return grads[0] if len(grads) == 1 else tuple(grads)
    return compute


def _backward_fc_shape(with_data):
    first = 1 if with_data else 2
    return lambda attrs, shapes: (shapes, list(shapes[first:]))


def _backward_fc_type(with_data):
    first = 1 if with_data else 2
    return lambda attrs, types: (types, list(types[first:]))


for _with_data, _name in ((True, "_backward_FullyConnected"),
                          (False, "_backward_FullyConnected_weight")):
    register(_name, inputs=("out_grad", "data", "weight", "bias"), params=_FC_PARAMS,
             num_outputs=(lambda attrs, n=2 + _with_data: n - 1 if attrs.no_bias else n),
             infer_shape=_backward_fc_shape(_with_data), infer_type=_backward_fc_type(_with_data),
             gradient=(lambda F, attrs, ins, outs, g, w=_with_data:
                       _grad_of_backward_fc(F, attrs, ins, outs, g, w)),
             doc="Gradients of FullyConnected (w.r.t. data, weight and bias, or weight "
                 "and bias only) in one operator.")(quiet(_backward_fc_compute(_with_data)))


@register("FullyConnected", inputs=("data", "weight", "bias"), params=_FC_PARAMS,
          infer_shape=_fc_shape, infer_type=_fc_type,
          gradient=_fc_grad)
@quiet
def _fully_connected(xp, attrs, data, weight, bias=None):
    """Affine layer: ``data @ weight.T + bias``, on the flattened data (``flatten``)
    or on its last axis."""
    _fc_shape(attrs, [data.shape, weight.shape] + ([] if bias is None else [bias.shape]))
    _fc_check_types(attrs, [data.dtype, weight.dtype] + ([] if bias is None else [bias.dtype]))
    out_shape, features = _fc_layout(attrs, data.shape)
    dtype = data.dtype
    if dtype == "float16":  # accumulate half precision in float32, like a GPU would
        data, weight = data.astype("float32"), weight.astype("float32")
        bias = None if bias is None else bias.astype("float32")
    out = xp.matmul(data.reshape(-1, features), weight.T)
    if bias is not None:
        out += bias
    return out.reshape(out_shape).astype(dtype, copy=False)


# -- Embedding --------------------------------------------------------------------

_EMBED_DTYPES = ("bfloat16", "float16", "float32", "float64", "int32", "int64", "int8", "uint8")


def _embed_params():
    return {
        "input_dim": Param("int", doc="Number of rows of the weight (vocabulary size)."),
        "output_dim": Param("int", doc="Length of each embedding vector."),
        "dtype": Param("dtype", "float32", doc="Dtype of the weight when it is not given.",
                       choices=_EMBED_DTYPES),
        "sparse_grad": Param("bool", False, doc="Ask for a row-sparse weight gradient "
                                                "(the gradient is dense here)."),
    }


def _embedding_ops(name, doc):
    def infer_shape(attrs, shapes):
        for key in ("input_dim", "output_dim"):
            if attrs[key] <= 0:
                raise MXNetError(f"{name}: argument '{key}' must be positive, got {attrs[key]}")
        data, weight = shapes
        expected = (attrs.input_dim, attrs.output_dim)
        if weight is not None and tuple(weight) != expected:
            raise MXNetError(f"{name}: input 'weight' has shape {tuple(weight)}, expected "
                             f"{expected} (input_dim, output_dim)")
        if data is None:
            return [None, expected], [None]
        return [tuple(data), expected], [tuple(data) + (attrs.output_dim,)]

    def infer_type(attrs, types):
        weight = types[1] or attrs.dtype
        return [types[0] or "float32", weight], [weight]

    def compute(xp, attrs, data, weight):
        infer_shape(attrs, [data.shape, weight.shape])
        if data.dtype.kind == "i":
            idx = data
        else:
            # NaN, infinities and values beyond int64 become row 0 (int64 min on the
            # cpu, clipped); said outright, as devices convert them differently.
            with np.errstate(invalid="ignore"):
                idx = xp.where(xp.abs(data) < 2.0 ** 63, data, 0).astype("int64")
        return xp.take(weight, xp.clip(idx, 0, attrs.input_dim - 1), axis=0)

    def gradient(F, attrs, ins, outs, g):
        return [None, F._internal._backward_take(g[0], ins[0], ins[1], axis=0, mode="clip")]

    compute.__doc__ = doc
    register(name, inputs=("data", "weight"), params=_embed_params(), infer_shape=infer_shape,
             infer_type=infer_type, gradient=gradient)(compute)


_embedding_ops("Embedding", "Map integer indices to rows of `weight`: the output has the "
               "index array's shape plus a last axis of length output_dim.")
_embedding_ops("_contrib_SparseEmbedding", "Embedding meant for a row-sparse weight "
               "gradient; computes exactly like Embedding (its gradient is dense here).")
