"""Quantized (int8/uint8) neural-network operators.

Each takes integer data plus the float32 (1,)-shaped ranges of its quantized
inputs and returns (output, min_output, max_output). The layers reuse the
float kernels on data widened to float64 (exact for these integer sums), so
results are exact integers. Accepted dtypes, layouts and numerics follow
MXNet 1.9.1's CPU (oneDNN) build:

* conv (NCHW/NCDHW, one group) and fully_connected: int8 or uint8 data, int8
  weight and bias; the bias is rescaled to the accumulator's scale (truncated)
  and the int32 range reported is ``r_data/L * r_weight/127 * (2**31 - 1)``
  (L = 127 or 255 by data type). That is MXNet's fully_connected arithmetic.
  Its unfused oneDNN conv differs, and so breaks the graphs its own
  quantize_model makes (MXNet runs fused _sg_mkldnn_conv nodes instead): it
  refuses int8 data, adds the int8 bias unscaled and uses L = 127 for uint8.
* batch_norm: int8/uint8 data to int8 over the required calibrated range.
* pooling (max/avg, rounded half to even), act (relu), flatten and embedding
  keep the input's range; concat rescales every input to the widest range.
* elemwise_add sums the real values (levels 127.5/255.5) into int32 over the
  sum of the ranges, or into int8/uint8 over a calibrated range.
None of them has a gradient.
"""
import numpy as np

from ..base import MXNetError
from .nn_conv import Geometry, conv_forward, conv_params
from .nn_pool import PoolGeometry, _pool_params, pool_forward
from .params import Param
from .quantization import (INT8_LEVELS, INT32_RANGE, UINT8_LEVELS, calib_params, check_dtype,
                           has_calib, max_abs, range_outputs, saturate)
from .registry import register

_Q8 = ("int8", "uint8")
_INT32_MAX = np.float32(2147483647)


def _ranges_shape(first, names):
    """Shape check of the (1,)-shaped range inputs starting at position ``first``."""
    def check(op, shapes):
        out = list(shapes)
        for i, name in enumerate(names, start=first):
            if i < len(shapes):
                if shapes[i] is not None and tuple(shapes[i]) != (1,):
                    raise MXNetError(f"{op}: input '{name}' must have shape (1,), got "
                                     f"{tuple(shapes[i])}")
                out[i] = (1,)
        return out
    return check


def _check_range_types(op, types, first, names):
    for i, name in enumerate(names, start=first):
        if i < len(types):
            check_dtype(op, name, types[i], ("float32",))
    return list(types[:first]) + ["float32"] * (len(types) - first)


def _level(dtype_name, table):
    return np.float32(table[dtype_name])


def _real(q, r, levels):
    """Real values of integer ``q`` whose range ``r`` spans ``levels`` levels (float32)."""
    return q.astype(np.float32) * (r / levels).astype(np.float32)


def _passthrough(op, data_dtypes, doc):
    """Register an op whose data keeps its dtype and its range (min, max) as given."""
    def decorate(compute):
        def infer_shape(attrs, shapes):
            shapes = _ranges_shape(1, ("min_data", "max_data"))(op, shapes)
            out = compute.out_shape(attrs, shapes[0]) if shapes[0] is not None else None
            return shapes, [out, (1,), (1,)]

        def infer_type(attrs, types):
            if data_dtypes is not None:
                check_dtype(op, "data", types[0], data_dtypes)
            return _check_range_types(op, types, 1, ("min_data", "max_data")), \
                [types[0], "float32", "float32"]

        def kernel(xp, attrs, data, min_data, max_data):
            infer_type(attrs, [data.dtype.name, min_data.dtype.name, max_data.dtype.name])
            infer_shape(attrs, [data.shape, min_data.shape, max_data.shape])
            return (compute(xp, attrs, data),) + range_outputs(xp, min_data, max_data)
        kernel.__doc__ = doc
        return kernel, infer_shape, infer_type
    return decorate


def _register_passthrough(name, params, data_dtypes, out_shape, doc):
    def wrap(compute):
        compute.out_shape = out_shape
        kernel, infer_shape, infer_type = _passthrough(name, data_dtypes, doc)(compute)
        register(name, inputs=("data", "min_data", "max_data"), params=params,
                 num_outputs=3, output_names=("output", "min_output", "max_output"),
                 infer_shape=infer_shape, infer_type=infer_type)(kernel)
        return compute
    return wrap


# ----------------------------------------------------------------------------------------
# flatten, act, pooling
# ----------------------------------------------------------------------------------------

def _flat_shape(attrs, shape):
    rest = 1
    for d in shape[1:]:
        rest *= d
    return (shape[0], rest) if shape else (1, 1)


@_register_passthrough("_contrib_quantized_flatten", {}, None, _flat_shape,
    "Flatten quantized data to (batch, features); the range passes through.")
def _quantized_flatten(xp, attrs, data):
    return data.reshape(_flat_shape(attrs, data.shape)).copy()


@_register_passthrough("_contrib_quantized_act", {"act_type": Param(
    "str", choices=("relu", "sigmoid", "softrelu", "softsign", "tanh"),
    doc="Activation; MXNet's quantized build supports relu only.")}, ("int8",),
    lambda attrs, shape: tuple(shape),
    "ReLU of int8 data (values below 0 become 0); the range passes through. (MXNet "
    "reinterprets uint8 data as int8 here; uint8 data is refused instead.)")
def _quantized_act(xp, attrs, data):
    if attrs.act_type != "relu":
        raise MXNetError(f"_contrib_quantized_act: supports act_type='relu' only (as "
                         f"MXNet's quantized build), got '{attrs.act_type}'")
    return xp.maximum(data, 0).astype(data.dtype)


def _quantized_pool_geometry(attrs, shape):
    op = "_contrib_quantized_pooling"
    if len(shape) not in (4, 5):
        raise MXNetError(f"{op}: data must be 4-d or 5-d (batch, channel, spatial...), got "
                         f"shape {tuple(shape)}")
    if attrs.layout not in (None, "NCHW", "NCDHW"):
        raise MXNetError(f"{op}: supports layout NCHW or NCDHW only, got '{attrs.layout}'")
    if attrs.pool_type not in ("max", "avg"):
        raise MXNetError(f"{op}: supports pool_type 'max' or 'avg' only, got "
                         f"'{attrs.pool_type}'")
    return PoolGeometry(op, attrs, shape)


@_register_passthrough("_contrib_quantized_pooling", _pool_params(False), _Q8,
                       lambda attrs, shape: _quantized_pool_geometry(attrs, shape)
                       .output_shape(shape),
                       "Max or average pooling of int8/uint8 data (averages rounded half "
                       "to even); the range passes through.")
def _quantized_pooling(xp, attrs, data):
    pg = _quantized_pool_geometry(attrs, data.shape)
    out = pool_forward(xp, "_contrib_quantized_pooling", attrs, data.astype(np.float64), pg)
    return xp.rint(out).astype(data.dtype)


# ----------------------------------------------------------------------------------------
# convolution and fully connected (int32 accumulators)
# ----------------------------------------------------------------------------------------

_WEIGHT_RANGES = ("min_data", "max_data", "min_weight", "max_weight")
_BIAS_RANGES = ("min_bias", "max_bias")


def _layer_inputs(attrs):
    if attrs.no_bias:
        return ("data", "weight") + _WEIGHT_RANGES
    return ("data", "weight", "bias") + _WEIGHT_RANGES + _BIAS_RANGES


def _split(attrs, ins):
    """(data, weight, bias or None, ranges dict) of a layer call's inputs."""
    names = _layer_inputs(attrs)
    if len(ins) != len(names):
        raise MXNetError(f"quantized layer: expects {len(names)} inputs "
                         f"({', '.join(names)}) with no_bias={attrs.no_bias}, got {len(ins)}")
    named = dict(zip(names, ins))
    return named["data"], named["weight"], named.get("bias"), named


_DATA_LEVELS = {"int8": np.float32(127), "uint8": np.float32(255)}


def _scaled_bias(xp, bias, data_type, r_data, r_weight, ranges):
    """The int8 bias in the accumulator's units (truncated toward zero)."""
    r_bias = max_abs(xp, ranges["min_bias"], ranges["max_bias"])
    scale = ((r_bias / np.float32(127)) * (_level(data_type, {
        "int8": INT8_LEVELS["dequantize"], "uint8": UINT8_LEVELS["dequantize"]}) / r_data)
        * (np.float32(127) / r_weight)).astype(np.float32)
    return xp.trunc(bias.astype(np.float32) * scale)


def _int32_range(xp, r_data, data_levels, r_weight):
    r = ((r_data / data_levels) * (r_weight / np.float32(127)) * _INT32_MAX).astype(np.float32)
    return range_outputs(xp, -r, r)


def _layer_type(op, data_dtypes):
    def infer(attrs, types):
        names = _layer_inputs(attrs)
        check_dtype(op, "data", types[0], data_dtypes)
        check_dtype(op, "weight", types[1], ("int8",))
        out = [types[0], "int8"]
        if not attrs.no_bias:
            check_dtype(op, "bias", types[2], ("int8",))
            out.append("int8")
        for i in range(len(out), len(names)):
            check_dtype(op, names[i], types[i], ("float32",))
            out.append("float32")
        return out, ["int32", "float32", "float32"]
    return infer


def _layer_shape(op, core_shape):
    def infer(attrs, shapes):
        names = _layer_inputs(attrs)
        n_arrays = 2 if attrs.no_bias else 3
        shapes = _ranges_shape(n_arrays, names[n_arrays:])(op, shapes)
        if shapes[0] is None:
            return shapes, [None, (1,), (1,)]
        ins, out = core_shape(attrs, shapes[:n_arrays])
        return list(ins) + shapes[n_arrays:], [out, (1,), (1,)]
    return infer


def _conv_core_shape(attrs, shapes):
    op = "_contrib_quantized_conv"
    data = tuple(shapes[0])
    if len(data) not in (4, 5) or attrs.layout not in (None, "NCHW", "NCDHW"):
        raise MXNetError(f"{op}: supports 4-d (NCHW) or 5-d (NCDHW) data only, got shape "
                         f"{data} with layout {attrs.layout}")
    if attrs.num_group != 1:
        raise MXNetError(f"{op}: supports num_group=1 only, got {attrs.num_group}")
    g = Geometry(op, attrs, len(data))
    w_shape = g.weight_shape(attrs.num_filter, data[1])
    for name, given, expected in (("weight", shapes[1], w_shape),
                                  ("bias", shapes[2] if len(shapes) > 2 else None,
                                   (attrs.num_filter,))):
        if given is not None and tuple(given) != expected:
            raise MXNetError(f"{op}: input '{name}' expects shape {expected}, got "
                             f"{tuple(given)}")
    ins = [data, w_shape] + ([] if attrs.no_bias else [(attrs.num_filter,)])
    return ins, (data[0], attrs.num_filter) + g.conv_out(op, data[2:])


_conv_shape = _layer_shape("_contrib_quantized_conv", _conv_core_shape)
_conv_type = _layer_type("_contrib_quantized_conv", _Q8)


@register("_contrib_quantized_conv", inputs=("data", "weight", "bias") + _WEIGHT_RANGES
          + _BIAS_RANGES, active_inputs=_layer_inputs,
          params=conv_params(1024, False, (None, "NCDHW", "NCHW", "NCW", "NDHWC", "NHWC")),
          num_outputs=3, output_names=("output", "min_output", "max_output"),
          infer_shape=_conv_shape, infer_type=_conv_type)
def _quantized_conv(xp, attrs, *ins):
    """Convolution of int8/uint8 data with int8 weights into int32; the int8 bias is
    rescaled to the accumulator's scale (truncated) and the int32 range reported is
    that of the product of the data and weight levels, as fully_connected does."""
    data, weight, bias, r = _split(attrs, ins)
    _conv_type(attrs, [a.dtype.name for a in ins])
    _conv_shape(attrs, [a.shape for a in ins])
    g = Geometry("_contrib_quantized_conv", attrs, data.ndim)
    out = conv_forward(xp, data.astype(np.float64), weight.astype(np.float64), g, 1)
    r_data = max_abs(xp, r["min_data"], r["max_data"])
    r_weight = max_abs(xp, r["min_weight"], r["max_weight"])
    if bias is not None:
        bias = _scaled_bias(xp, bias, data.dtype.name, r_data, r_weight, r)
        out += bias.astype(np.float64).reshape((1, -1) + (1,) * (out.ndim - 2))
    return (out.astype(np.int32),) + _int32_range(
        xp, r_data, _DATA_LEVELS[data.dtype.name], r_weight)


def _fc_core_shape(attrs, shapes):
    op = "_contrib_quantized_fully_connected"
    data = tuple(shapes[0])
    features = int(np.prod(data[1:])) if attrs.flatten else data[-1]
    out = (data[0], attrs.num_hidden) if attrs.flatten else data[:-1] + (attrs.num_hidden,)
    expected = [(attrs.num_hidden, features)] + ([] if attrs.no_bias else [(attrs.num_hidden,)])
    for name, given, want in zip(("weight", "bias"), shapes[1:], expected):
        if given is not None and tuple(given) != want:
            raise MXNetError(f"{op}: input '{name}' expects shape {want}, got {tuple(given)}")
    return [data] + expected, out


_fc_shape = _layer_shape("_contrib_quantized_fully_connected", _fc_core_shape)
_fc_type = _layer_type("_contrib_quantized_fully_connected", _Q8)


@register("_contrib_quantized_fully_connected", inputs=("data", "weight", "bias")
          + _WEIGHT_RANGES + _BIAS_RANGES, active_inputs=_layer_inputs,
          params={"num_hidden": Param("int", doc="Number of output features."),
                  "no_bias": Param("bool", False, doc="Whether there is no bias input."),
                  "flatten": Param("bool", True, doc="Flatten all but the first axis of "
                                                     "the data (else use its last axis).")},
          num_outputs=3, output_names=("output", "min_output", "max_output"),
          infer_shape=_fc_shape, infer_type=_fc_type)
def _quantized_fully_connected(xp, attrs, *ins):
    """``data @ weight.T`` of int8/uint8 data and int8 weights into int32; the int8 bias
    is rescaled to the accumulator's scale (truncated toward zero)."""
    data, weight, bias, r = _split(attrs, ins)
    _fc_type(attrs, [a.dtype.name for a in ins])
    _, out_shape = _fc_core_shape(attrs, [a.shape for a in ins[:3 - attrs.no_bias]])
    flat = data.reshape(-1, weight.shape[1]).astype(np.float64)
    out = xp.matmul(flat, weight.astype(np.float64).T)
    r_data = max_abs(xp, r["min_data"], r["max_data"])
    r_weight = max_abs(xp, r["min_weight"], r["max_weight"])
    if bias is not None:
        out += _scaled_bias(xp, bias, data.dtype.name, r_data, r_weight, r).astype(np.float64)
    return (out.reshape(out_shape).astype(np.int32),) + _int32_range(
        xp, r_data, _DATA_LEVELS[data.dtype.name], r_weight)


# ----------------------------------------------------------------------------------------
# concat, elemwise add/mul, embedding
# ----------------------------------------------------------------------------------------

def _concat_parts(attrs, n):
    """(data count, names of the range inputs) of a concat over ``n`` inputs."""
    k = attrs.num_args
    if n != 3 * k:
        raise MXNetError(f"_contrib_quantized_concat: expects num_args={k} arrays and their "
                         f"{2 * k} ranges ({3 * k} inputs), got {n}")
    return k


def _concat_shape(attrs, shapes):
    op = "_contrib_quantized_concat"
    k = _concat_parts(attrs, len(shapes))
    shapes = _ranges_shape(k, [f"range{i}" for i in range(2 * k)])(op, shapes)
    known = [s for s in shapes[:k] if s is not None]
    if len(known) < k:
        return shapes, [None, (1,), (1,)]
    ndim = len(known[0])
    dim = attrs.dim + ndim if attrs.dim < 0 else attrs.dim
    if not 0 <= dim < ndim:
        raise MXNetError(f"{op}: argument 'dim' {attrs.dim} is out of range for {ndim}-d data")
    for s in known:
        if len(s) != ndim or any(a != b for i, (a, b) in enumerate(zip(s, known[0]))
                                 if i != dim):
            raise MXNetError(f"{op}: inputs must match except along dim {dim}, got "
                             f"{', '.join(str(tuple(x)) for x in known)}")
    out = list(known[0])
    out[dim] = sum(s[dim] for s in known)
    return shapes, [tuple(out), (1,), (1,)]


def _concat_type(attrs, types):
    op = "_contrib_quantized_concat"
    k = _concat_parts(attrs, len(types))
    for i, t in enumerate(types[:k]):
        check_dtype(op, f"data{i}", t, _Q8)
    out = "int8" if "int8" in types[:k] else "uint8"
    return list(types[:k]) + ["float32"] * (2 * k), [out, "float32", "float32"]


_Q_LEVELS = {"int8": 127.0, "uint8": 255.0}


@register("_contrib_quantized_concat", inputs=("data",), variadic="num_args",
          params={"dim": Param("int", 1, doc="Axis to join along.")}, num_outputs=3,
          output_names=("output", "min_output", "max_output"),
          infer_shape=_concat_shape, infer_type=_concat_type)
def _quantized_concat(xp, attrs, *ins):
    """Join int8/uint8 arrays (``num_args`` arrays, then each one's min and max) along
    ``dim``; every array is rescaled (rounded half to even) to the range spanning all
    of them. The result is int8 when any input is int8, else uint8."""
    k = _concat_parts(attrs, len(ins))
    _, (out_type, _, _) = _concat_type(attrs, [a.dtype.name for a in ins])
    shapes, _ = _concat_shape(attrs, [a.shape for a in ins])
    lows, highs = ins[k::2], ins[k + 1::2]
    lo = xp.min(xp.concatenate(lows)).reshape(1)
    hi = xp.max(xp.concatenate(highs)).reshape(1)
    r_out = max_abs(xp, lo, hi)
    parts = []
    for data, mn, mx in zip(ins[:k], lows, highs):
        real = _real(data, max_abs(xp, mn, mx), np.float32(_Q_LEVELS[data.dtype.name]))
        with np.errstate(divide="ignore", invalid="ignore"):
            parts.append(saturate(xp, real * (np.float32(_Q_LEVELS[out_type]) / r_out),
                                  out_type))
    dim = attrs.dim % ins[0].ndim
    return (xp.concatenate(parts, axis=dim),) + range_outputs(xp, lo, hi)


_BINARY_INPUTS = ("lhs", "rhs", "lhs_min", "lhs_max", "rhs_min", "rhs_max")


def _binary_shape(op):
    def infer(attrs, shapes):
        shapes = _ranges_shape(2, _BINARY_INPUTS[2:])(op, shapes)
        lhs, rhs = shapes[:2]
        if lhs is not None and rhs is not None and tuple(lhs) != tuple(rhs):
            raise MXNetError(f"{op}: lhs and rhs must have the same shape, got {tuple(lhs)} "
                             f"and {tuple(rhs)}")
        known = lhs if lhs is not None else rhs
        n_out = 1 if attrs.get("enable_float_output") else 3
        return [known, known] + shapes[2:], [known, (1,), (1,)][:n_out]
    return infer


def _binary_type(op, data_dtypes, out_type):
    def infer(attrs, types):
        check_dtype(op, "lhs", types[0], data_dtypes)
        check_dtype(op, "rhs", types[1], data_dtypes)
        ranges = _check_range_types(op, types, 2, _BINARY_INPUTS[2:])[2:]
        out = out_type(attrs)
        return list(types[:2]) + ranges, [out] if out == "float32" else [out, "float32",
                                                                        "float32"]
    return infer


def _calib_out_type(attrs):
    if not has_calib(attrs):
        return "int32"
    return "uint8" if attrs.min_calib_range >= 0 else "int8"


def _calib_range(xp, attrs):
    return (xp.asarray(attrs.min_calib_range, dtype=np.float32),
            xp.asarray(attrs.max_calib_range, dtype=np.float32))


_add_shape = _binary_shape("_contrib_quantized_elemwise_add")
_add_type = _binary_type("_contrib_quantized_elemwise_add", _Q8, _calib_out_type)


@register("_contrib_quantized_elemwise_add", inputs=_BINARY_INPUTS, params=calib_params(),
          num_outputs=3, output_names=("output", "min_output", "max_output"),
          infer_shape=_add_shape, infer_type=_add_type)
def _quantized_elemwise_add(xp, attrs, lhs, rhs, lhs_min, lhs_max, rhs_min, rhs_max):
    """Sum of two int8/uint8 arrays: int32 over the range ``+-(r_lhs + r_rhs)``, or
    int8/uint8 (uint8 for a non-negative calibrated minimum) over the calibrated
    range."""
    ins = (lhs, rhs, lhs_min, lhs_max, rhs_min, rhs_max)
    _add_type(attrs, [a.dtype.name for a in ins])
    _add_shape(attrs, [a.shape for a in ins])
    r_lhs, r_rhs = max_abs(xp, lhs_min, lhs_max), max_abs(xp, rhs_min, rhs_max)
    real = (_real(lhs, r_lhs, _level(lhs.dtype.name, {"int8": INT8_LEVELS["dequantize"],
                                                      "uint8": UINT8_LEVELS["dequantize"]}))
            + _real(rhs, r_rhs, _level(rhs.dtype.name, {"int8": INT8_LEVELS["dequantize"],
                                                        "uint8": UINT8_LEVELS["dequantize"]})))
    out_type = _calib_out_type(attrs)
    if out_type == "int32":
        r = (r_lhs + r_rhs).astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            q = xp.clip(xp.rint(real.astype(np.float64) * (float(INT32_RANGE) / r)),
                        -2147483648, 2147483647)
        return (xp.nan_to_num(q).astype(np.int32),) + range_outputs(xp, -r, r)
    lo, hi = _calib_range(xp, attrs)
    levels = (INT8_LEVELS if out_type == "int8" else UINT8_LEVELS)["quantize_v2"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = saturate(xp, real * (np.float32(levels) / max_abs(xp, lo, hi)), out_type)
    return (out,) + range_outputs(xp, lo, hi)


def _mul_out_type(attrs):
    if attrs.enable_float_output:
        return "float32"
    return "int8" if has_calib(attrs) else "int32"


_mul_shape = _binary_shape("_contrib_quantized_elemwise_mul")
_mul_type = _binary_type("_contrib_quantized_elemwise_mul", ("int8",), _mul_out_type)


@register("_contrib_quantized_elemwise_mul", inputs=_BINARY_INPUTS,
          params={**calib_params(), "enable_float_output": Param(
              "bool", False, doc="Return the float32 product only (one output).")},
          num_outputs=lambda attrs: 1 if attrs.enable_float_output else 3,
          output_names=lambda attrs: ["output"] if attrs.enable_float_output else
          ["output", "min_output", "max_output"],
          infer_shape=_mul_shape, infer_type=_mul_type)
def _quantized_elemwise_mul(xp, attrs, lhs, rhs, lhs_min, lhs_max, rhs_min, rhs_max):
    """Product of two int8 arrays: exact int32 over the range ``+-(r_lhs/127 *
    r_rhs/127 * (2**31 - 1))``, int8 over the calibrated range, or the float32 product
    (``enable_float_output``). (MXNet 1.9.1's imperative call of this op fails.)"""
    ins = (lhs, rhs, lhs_min, lhs_max, rhs_min, rhs_max)
    _mul_type(attrs, [a.dtype.name for a in ins])
    _mul_shape(attrs, [a.shape for a in ins])
    step = ((max_abs(xp, lhs_min, lhs_max) / np.float32(127))
            * (max_abs(xp, rhs_min, rhs_max) / np.float32(127))).astype(np.float32)
    product = lhs.astype(np.int32) * rhs.astype(np.int32)
    if attrs.enable_float_output:
        return product.astype(np.float32) * step
    if not has_calib(attrs):
        r = (step * _INT32_MAX).astype(np.float32)
        return (product,) + range_outputs(xp, -r, r)
    lo, hi = _calib_range(xp, attrs)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = saturate(xp, product.astype(np.float32) * step
                       * (np.float32(127) / max_abs(xp, lo, hi)), "int8")
    return (out,) + range_outputs(xp, lo, hi)


def _embedding_shape(attrs, shapes):
    op = "_contrib_quantized_embedding"
    shapes = _ranges_shape(2, ("min_weight", "max_weight"))(op, shapes)
    expected = (attrs.input_dim, attrs.output_dim)
    if shapes[1] is not None and tuple(shapes[1]) != expected:
        raise MXNetError(f"{op}: input 'weight' expects shape {expected} (input_dim, "
                         f"output_dim), got {tuple(shapes[1])}")
    out = None if shapes[0] is None else tuple(shapes[0]) + (attrs.output_dim,)
    return [shapes[0], expected] + shapes[2:], [out, (1,), (1,)]


def _embedding_type(attrs, types):
    op = "_contrib_quantized_embedding"
    check_dtype(op, "weight", types[1], ("int8",))
    ranges = _check_range_types(op, types, 2, ("min_weight", "max_weight"))[2:]
    return [types[0] or "float32", "int8"] + ranges, ["int8", "float32", "float32"]


@register("_contrib_quantized_embedding", inputs=("data", "weight", "min_weight",
                                                  "max_weight"),
          params={"input_dim": Param("int", doc="Number of rows of the weight."),
                  "output_dim": Param("int", doc="Length of each embedding vector."),
                  "dtype": Param("dtype", "float32", doc="Accepted for compatibility."),
                  "sparse_grad": Param("bool", False, doc="Accepted for compatibility.")},
          num_outputs=3, output_names=("output", "min_output", "max_output"),
          infer_shape=_embedding_shape, infer_type=_embedding_type)
def _quantized_embedding(xp, attrs, data, weight, min_weight, max_weight):
    """Rows of an int8 weight picked by (clipped) indices; the weight's range passes
    through."""
    ins = (data, weight, min_weight, max_weight)
    _embedding_type(attrs, [a.dtype.name for a in ins])
    _embedding_shape(attrs, [a.shape for a in ins])
    with np.errstate(invalid="ignore"):
        idx = data if data.dtype.kind in "iu" else data.astype(np.int64)
    idx = xp.clip(idx, 0, attrs.input_dim - 1)
    return (xp.take(weight, idx, axis=0),) + range_outputs(xp, min_weight, max_weight)


# ----------------------------------------------------------------------------------------
# batch norm (inference only, int8 out over the calibrated range)
# ----------------------------------------------------------------------------------------

_QBN = "_contrib_quantized_batch_norm"
_QBN_STATS = ("gamma", "beta", "moving_mean", "moving_var")


def _qbn_shape(attrs, shapes):
    shapes = _ranges_shape(5, ("min_data", "max_data"))(_QBN, shapes)
    data = shapes[0]
    if data is None:
        return shapes, [None, (1,), (1,)]
    axis = attrs.axis + len(data) if attrs.axis < 0 else attrs.axis
    if not 0 <= axis < len(data):
        raise MXNetError(f"{_QBN}: argument 'axis' {attrs.axis} is out of range for "
                         f"{len(data)}-d data")
    channels = (data[axis],)
    for name, given in zip(_QBN_STATS, shapes[1:5]):
        if given is not None and tuple(given) != channels:
            raise MXNetError(f"{_QBN}: input '{name}' must have shape {channels} (the size "
                             f"of axis {axis} of data), got {tuple(given)}")
    return [tuple(data)] + [channels] * 4 + shapes[5:], [tuple(data), (1,), (1,)]


def _qbn_type(attrs, types):
    check_dtype(_QBN, "data", types[0], _Q8)
    for name, t in zip(_QBN_STATS + ("min_data", "max_data"), types[1:]):
        check_dtype(_QBN, name, t, ("float32",))
    return [types[0]] + ["float32"] * 6, ["int8", "float32", "float32"]


def _qbn_params():
    from .nn_norm import _bn_params
    params = _bn_params()
    params.update(calib_params("Calibrated (required)"))
    return params


# MXNet's input order, with the moving statistics in the middle: they are its only aux
# states, and the data range that follows them is two arguments.
@register(_QBN, inputs=("data", "gamma", "beta", "moving_mean", "moving_var", "min_data",
                        "max_data"),
          aux=lambda attrs: ("moving_mean", "moving_var"),
          params=_qbn_params(), num_outputs=3,
          output_names=("output", "min_output", "max_output"),
          infer_shape=_qbn_shape, infer_type=_qbn_type)
def _quantized_batch_norm(xp, attrs, data, gamma, beta, mean, var, min_data, max_data):
    """Inference batch norm of int8/uint8 data with the moving statistics, into int8 over
    the calibrated range (which is reported as given). gamma is always used (fix_gamma
    is ignored, as in MXNet) and the calibrated range is required.

    The arithmetic follows oneDNN's int8 batch norm as MXNet drives it: per channel the
    float32 factor ``gamma / sqrt(var + eps)`` is folded into a scale (divided once more
    by ``sqrt(1 + eps)``, as oneDNN normalises the folded statistics again) and a shift;
    levels are 127.5 (int8) or 255.5 (uint8) on both sides."""
    ins = (data, gamma, beta, mean, var, min_data, max_data)
    _qbn_type(attrs, [a.dtype.name for a in ins])
    _qbn_shape(attrs, [a.shape for a in ins])
    if not has_calib(attrs):
        raise MXNetError(f"{_QBN}: needs min_calib_range and max_calib_range (MXNet's "
                         "quantized batch norm has no uncalibrated mode), got none")
    f32 = np.float32
    eps = f32(attrs.eps)
    in_levels = _level(data.dtype.name, {"int8": INT8_LEVELS["dequantize"],
                                         "uint8": UINT8_LEVELS["dequantize"]})
    out_levels = f32(INT8_LEVELS["quantize_v2"])
    lo, hi = _calib_range(xp, attrs)
    out_step = (out_levels / max_abs(xp, lo, hi)).astype(f32)
    in_step = (in_levels / max_abs(xp, min_data, max_data)).astype(f32)
    factor = (gamma / xp.sqrt(var + eps)).astype(f32)
    scale = ((factor * out_step / in_step) / np.sqrt(f32(1) + eps)).astype(f32)
    shift = ((beta - mean * factor) * out_step).astype(f32)
    axis = attrs.axis % data.ndim
    shape = [1] * data.ndim
    shape[axis] = -1
    with np.errstate(invalid="ignore", over="ignore"):
        real = data.astype(f32) * scale.reshape(shape) + shift.reshape(shape)
    return (saturate(xp, real, "int8"),) + range_outputs(xp, lo, hi)
