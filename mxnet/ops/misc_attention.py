"""The interleaved attention matmuls of GluonNLP's transformers.

Layouts (``H`` heads of size ``D``, sequence length ``L``, batch ``B``):
self-attention packs queries, keys and values per head as ``(L, B, H*3*D)``
read as ``(L, B, H, 3, D)``; encoder-decoder attention packs keys and values
as ``(L, B, H*2*D)`` read as ``(L, B, H, 2, D)`` and queries as
``(L, B, H*D)``. Scores come out as ``(B*H, Lq, Lk)`` with queries scaled by
``1/sqrt(D)``; attention outputs as ``(Lq, B, H*D)``. Each op has a fused
``_backward_*`` op its gradient rule calls.
"""
import math

from ..base import MXNetError
from .params import Param
from .registry import register

_HEADS = {"heads": Param("int", doc="Number of attention heads.")}
_FLOATS = ("float16", "float32", "float64")


def _head_dim(op, attrs, shape, packed, what):
    if len(shape) != 3:
        raise MXNetError(f"{op}: '{what}' must be 3-D (length, batch, features), got shape "
                         f"{tuple(shape)}")
    heads = attrs.heads
    if heads < 1 or shape[2] % (heads * packed):
        raise MXNetError(f"{op}: the last dimension of '{what}' ({shape[2]}) must be a "
                         f"multiple of heads*{packed} (heads={heads})")
    return shape[2] // (heads * packed)


def _check_float(op, *arrays):
    for a in arrays:
        if a.dtype.name not in _FLOATS:
            raise MXNetError(f"{op}: expects floating point inputs, got {a.dtype.name}")


def _float_types(op, n_out):
    def infer(attrs, types):
        known = next((t for t in types if t is not None), None)
        if known is None:
            return types, [None] * n_out
        if known not in _FLOATS:
            raise MXNetError(f"{op}: expects floating point inputs, got {known}")
        for t in types:
            if t is not None and t != known:
                raise MXNetError(f"{op}: inputs must share one dtype, got {types}")
        return [known] * len(types), [known] * n_out
    return infer


def _heads_first(x, batch, heads):
    """(L, B, H, D) -> (B*H, L, D)."""
    length, dim = x.shape[0], x.shape[-1]
    return x.transpose(1, 2, 0, 3).reshape(batch * heads, length, dim)


def _heads_last(x, batch, heads):
    """(B*H, L, D) -> (L, B, H*D)."""
    _, length, dim = x.shape
    return x.reshape(batch, heads, length, dim).transpose(2, 0, 1, 3).reshape(
        length, batch, heads * dim)


def _unpack(x, heads, packed):
    """(L, B, H*packed*D) -> (L, B, H, packed, D) view."""
    length, batch, features = x.shape
    return x.reshape(length, batch, heads, packed, features // (heads * packed))


def _swap(x):
    return x.swapaxes(-1, -2)


def _pack_grad(xp, like, heads, packed, parts):
    """Gradient of a packed input: ``parts`` maps slot -> (B*H, L, D) gradient."""
    grad = xp.zeros(like.shape, like.dtype)
    view = _unpack(grad, heads, packed)
    batch = like.shape[1]
    for slot, g in parts.items():
        view[:, :, :, slot] = g.reshape(batch, heads, g.shape[1], g.shape[2]).transpose(
            2, 0, 1, 3)
    return grad


# -- self-attention ----------------------------------------------------------------------
def _selfatt_qk_shape(attrs, shapes):
    (qkv,) = shapes
    if qkv is None:
        return shapes, [None]
    _head_dim("_contrib_interleaved_matmul_selfatt_qk", attrs, qkv, 3, "queries_keys_values")
    return shapes, [(qkv[1] * attrs.heads, qkv[0], qkv[0])]


def _selfatt_qk_grad(F, attrs, inputs, outputs, out_grads):
    return [F._internal._backward_interleaved_matmul_selfatt_qk(out_grads[0], inputs[0],
                                                                heads=attrs.heads)]


@register("_contrib_interleaved_matmul_selfatt_qk", inputs=("queries_keys_values",),
          params=_HEADS, infer_shape=_selfatt_qk_shape,
          infer_type=_float_types("_contrib_interleaved_matmul_selfatt_qk", 1),
          gradient=_selfatt_qk_grad)
def _selfatt_qk(xp, attrs, qkv):
    """Scaled scores of the queries against the keys of each head:
    ``(B*H, L, L)`` from interleaved ``(L, B, H*3*D)``."""
    op = "_contrib_interleaved_matmul_selfatt_qk"
    _check_float(op, qkv)
    dim = _head_dim(op, attrs, qkv.shape, 3, "queries_keys_values")
    x = _unpack(qkv, attrs.heads, 3)
    batch = qkv.shape[1]
    q = _heads_first(x[:, :, :, 0], batch, attrs.heads)
    k = _heads_first(x[:, :, :, 1], batch, attrs.heads)
    return xp.matmul(q, _swap(k)) / math.sqrt(dim)


@register("_backward_interleaved_matmul_selfatt_qk", inputs=("ograd", "queries_keys_values"),
          params=_HEADS, infer_shape=lambda attrs, s: (s, [s[1]]),
          infer_type=_float_types("_backward_interleaved_matmul_selfatt_qk", 1))
def _selfatt_qk_backward(xp, attrs, ograd, qkv):
    """Gradient of ``interleaved_matmul_selfatt_qk`` w.r.t. its packed input."""
    heads, batch = attrs.heads, qkv.shape[1]
    x = _unpack(qkv, heads, 3)
    scale = 1.0 / math.sqrt(x.shape[-1])
    q = _heads_first(x[:, :, :, 0], batch, heads)
    k = _heads_first(x[:, :, :, 1], batch, heads)
    return _pack_grad(xp, qkv, heads, 3, {0: xp.matmul(ograd, k) * scale,
                                          1: xp.matmul(_swap(ograd), q) * scale})


def _selfatt_valatt_shape(attrs, shapes):
    qkv, att = shapes
    if qkv is None:
        return shapes, [None]
    dim = _head_dim("_contrib_interleaved_matmul_selfatt_valatt", attrs, qkv, 3,
                    "queries_keys_values")
    want = (qkv[1] * attrs.heads, qkv[0], qkv[0])
    if att is not None and tuple(att) != want:
        raise MXNetError(f"_contrib_interleaved_matmul_selfatt_valatt: 'attention' must have "
                         f"shape {want}, got {tuple(att)}")
    return [tuple(qkv), want], [(qkv[0], qkv[1], attrs.heads * dim)]


def _selfatt_valatt_grad(F, attrs, inputs, outputs, out_grads):
    g = F._internal._backward_interleaved_matmul_selfatt_valatt(out_grads[0], *inputs,
                                                                heads=attrs.heads)
    return list(g)


@register("_contrib_interleaved_matmul_selfatt_valatt",
          inputs=("queries_keys_values", "attention"), params=_HEADS,
          infer_shape=_selfatt_valatt_shape,
          infer_type=_float_types("_contrib_interleaved_matmul_selfatt_valatt", 1),
          gradient=_selfatt_valatt_grad)
def _selfatt_valatt(xp, attrs, qkv, att):
    """Attention weights ``(B*H, L, L)`` applied to the values of each head:
    ``(L, B, H*D)``."""
    _check_float("_contrib_interleaved_matmul_selfatt_valatt", qkv, att)
    _selfatt_valatt_shape(attrs, [qkv.shape, att.shape])
    x = _unpack(qkv, attrs.heads, 3)
    v = _heads_first(x[:, :, :, 2], qkv.shape[1], attrs.heads)
    return _heads_last(xp.matmul(att, v), qkv.shape[1], attrs.heads)


@register("_backward_interleaved_matmul_selfatt_valatt",
          inputs=("ograd", "queries_keys_values", "attention"), params=_HEADS, num_outputs=2,
          infer_shape=lambda attrs, s: (s, [s[1], s[2]]),
          infer_type=_float_types("_backward_interleaved_matmul_selfatt_valatt", 2))
def _selfatt_valatt_backward(xp, attrs, ograd, qkv, att):
    """Gradients of ``interleaved_matmul_selfatt_valatt`` w.r.t. both inputs."""
    heads, batch = attrs.heads, qkv.shape[1]
    x = _unpack(qkv, heads, 3)
    v = _heads_first(x[:, :, :, 2], batch, heads)
    g = _heads_first(ograd.reshape(ograd.shape[0], batch, heads, -1), batch, heads)
    d_att = xp.matmul(g, _swap(v))
    return _pack_grad(xp, qkv, heads, 3, {2: xp.matmul(_swap(att), g)}), d_att


# -- encoder-decoder attention ---------------------------------------------------------------
def _encdec_qk_shape(attrs, shapes):
    q, kv = shapes
    if q is None or kv is None:
        return shapes, [None]
    op = "_contrib_interleaved_matmul_encdec_qk"
    dq = _head_dim(op, attrs, q, 1, "queries")
    dkv = _head_dim(op, attrs, kv, 2, "keys_values")
    if dq != dkv or q[1] != kv[1]:
        raise MXNetError(f"{op}: queries {tuple(q)} and keys_values {tuple(kv)} must share "
                         f"the batch size and head size")
    return shapes, [(q[1] * attrs.heads, q[0], kv[0])]


def _encdec_qk_grad(F, attrs, inputs, outputs, out_grads):
    return list(F._internal._backward_interleaved_matmul_encdec_qk(out_grads[0], *inputs,
                                                                   heads=attrs.heads))


@register("_contrib_interleaved_matmul_encdec_qk", inputs=("queries", "keys_values"),
          params=_HEADS, infer_shape=_encdec_qk_shape,
          infer_type=_float_types("_contrib_interleaved_matmul_encdec_qk", 1),
          gradient=_encdec_qk_grad)
def _encdec_qk(xp, attrs, queries, keys_values):
    """Scaled scores ``(B*H, Lq, Lk)`` of queries ``(Lq, B, H*D)`` against the
    keys packed in ``(Lk, B, H*2*D)``."""
    _check_float("_contrib_interleaved_matmul_encdec_qk", queries, keys_values)
    _encdec_qk_shape(attrs, [queries.shape, keys_values.shape])
    heads, batch = attrs.heads, queries.shape[1]
    q = _heads_first(_unpack(queries, heads, 1)[:, :, :, 0], batch, heads)
    k = _heads_first(_unpack(keys_values, heads, 2)[:, :, :, 0], batch, heads)
    return xp.matmul(q, _swap(k)) / math.sqrt(q.shape[-1])


@register("_backward_interleaved_matmul_encdec_qk", inputs=("ograd", "queries", "keys_values"),
          params=_HEADS, num_outputs=2, infer_shape=lambda attrs, s: (s, [s[1], s[2]]),
          infer_type=_float_types("_backward_interleaved_matmul_encdec_qk", 2))
def _encdec_qk_backward(xp, attrs, ograd, queries, keys_values):
    """Gradients of ``interleaved_matmul_encdec_qk`` w.r.t. both inputs."""
    heads, batch = attrs.heads, queries.shape[1]
    q = _heads_first(_unpack(queries, heads, 1)[:, :, :, 0], batch, heads)
    k = _heads_first(_unpack(keys_values, heads, 2)[:, :, :, 0], batch, heads)
    scale = 1.0 / math.sqrt(q.shape[-1])
    d_q = _heads_last(xp.matmul(ograd, k) * scale, batch, heads).astype(queries.dtype)
    return d_q, _pack_grad(xp, keys_values, heads, 2, {0: xp.matmul(_swap(ograd), q) * scale})


def _encdec_valatt_shape(attrs, shapes):
    kv, att = shapes
    if kv is None:
        return shapes, [None]
    dim = _head_dim("_contrib_interleaved_matmul_encdec_valatt", attrs, kv, 2, "keys_values")
    if att is None:
        return shapes, [None]
    if len(att) != 3 or att[0] != kv[1] * attrs.heads or att[2] != kv[0]:
        raise MXNetError(f"_contrib_interleaved_matmul_encdec_valatt: 'attention' must have "
                         f"shape ({kv[1] * attrs.heads}, query length, {kv[0]}), got "
                         f"{tuple(att)}")
    return shapes, [(att[1], kv[1], attrs.heads * dim)]


def _encdec_valatt_grad(F, attrs, inputs, outputs, out_grads):
    return list(F._internal._backward_interleaved_matmul_encdec_valatt(
        out_grads[0], *inputs, heads=attrs.heads))


@register("_contrib_interleaved_matmul_encdec_valatt", inputs=("keys_values", "attention"),
          params=_HEADS, infer_shape=_encdec_valatt_shape,
          infer_type=_float_types("_contrib_interleaved_matmul_encdec_valatt", 1),
          gradient=_encdec_valatt_grad)
def _encdec_valatt(xp, attrs, keys_values, att):
    """Attention weights ``(B*H, Lq, Lk)`` applied to the values packed in
    ``(Lk, B, H*2*D)``: ``(Lq, B, H*D)``."""
    _check_float("_contrib_interleaved_matmul_encdec_valatt", keys_values, att)
    _encdec_valatt_shape(attrs, [keys_values.shape, att.shape])
    heads, batch = attrs.heads, keys_values.shape[1]
    v = _heads_first(_unpack(keys_values, heads, 2)[:, :, :, 1], batch, heads)
    return _heads_last(xp.matmul(att, v), batch, heads)


@register("_backward_interleaved_matmul_encdec_valatt",
          inputs=("ograd", "keys_values", "attention"), params=_HEADS, num_outputs=2,
          infer_shape=lambda attrs, s: (s, [s[1], s[2]]),
          infer_type=_float_types("_backward_interleaved_matmul_encdec_valatt", 2))
def _encdec_valatt_backward(xp, attrs, ograd, keys_values, att):
    """Gradients of ``interleaved_matmul_encdec_valatt`` w.r.t. both inputs."""
    heads, batch = attrs.heads, keys_values.shape[1]
    v = _heads_first(_unpack(keys_values, heads, 2)[:, :, :, 1], batch, heads)
    g = _heads_first(ograd.reshape(ograd.shape[0], batch, heads, -1), batch, heads)
    return (_pack_grad(xp, keys_values, heads, 2, {1: xp.matmul(_swap(att), g)}),
            xp.matmul(g, _swap(v)))


# -- oneDNN subgraph self-attention (float path) -------------------------------------------
# MXNet's oneDNN graph pass fuses the interleaved self-attention matmuls into these ops,
# so graphs exported after quantisation/fusion name them. Their float path computes the
# same as the interleaved ops; the int8 path (quantized=True, with min/max inputs) is not
# implemented here.
_SG_PARAMS = dict(_HEADS,
                  quantized=Param("bool", False, doc="Whether the inputs are int8/uint8 "
                                                     "with min/max ranges (not supported)."),
                  enable_float_output=Param("bool", False, doc="Quantized path: float output."),
                  min_calib_range=Param("float", None, doc="Quantized path: calibrated "
                                                           "minimum of the output."),
                  max_calib_range=Param("float", None, doc="Quantized path: calibrated "
                                                           "maximum of the output."))


def _float_path(op, attrs):
    if attrs.quantized:
        raise MXNetError(f"{op}: quantized self-attention (quantized=True) is not supported; "
                         f"use float inputs with quantized=False")


def _sg_inputs(names):
    """Input names: the float inputs, plus a min and max per input when quantized."""
    def active(attrs):
        if not attrs.quantized:
            return names
        short = {"queries_keys_values": "qkv"}
        return names + tuple(f"{bound}_{short.get(n, n)}" for n in names
                             for bound in ("min", "max"))
    return active


def _sg_op(name, base):
    """Register ``name`` as the fused form of the interleaved op ``base`` (an OpDef)."""
    def infer_shape(attrs, shapes):
        _float_path(name, attrs)
        return base.infer_shape(attrs, shapes)

    def compute(xp, attrs, *inputs):
        _float_path(name, attrs)
        return base.compute(xp, attrs, *inputs)
    compute.__doc__ = f"Fused oneDNN form of {base.name}: the same result on float inputs."
    register(name, inputs=base.inputs, active_inputs=_sg_inputs(base.inputs),
             params=_SG_PARAMS, infer_shape=infer_shape, infer_type=_float_types(name, 1),
             gradient=base.gradient)(compute)


_sg_op("_sg_mkldnn_selfatt_qk", _selfatt_qk)
_sg_op("_sg_mkldnn_selfatt_valatt", _selfatt_valatt)
