"""Quantization operators: quantize, quantize_v2, quantize_asym, dequantize,
requantize and calibrate_entropy.

A quantized tensor travels as three arrays: the integer data and two float32
arrays of shape (1,) holding the real range (min, max) it represents. The
numerics follow MXNet 1.9.1's CPU (oneDNN) build, which differs between the
operators:

* ``quantize`` maps the symmetric range ``r = max(|min|, |max|)`` onto 127
  (int8) or 255 (uint8) levels; ``quantize_v2`` and ``dequantize`` use 127.5
  and 255.5 levels; ``requantize`` 127 and 255.
* Values are rounded half to even and saturated; NaN becomes 127 for int8 and
  0 for uint8 (what oneDNN's saturating conversion gives), so an all-zero
  tensor quantized over a zero range reads 127 in int8.
* int8 results report the range ``(-r, r)``; uint8 results keep the given
  minimum (``quantize``, ``quantize_v2``) or report ``(0, r)`` (``requantize``).

None of these operators has a gradient (as in MXNet).
"""
import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register

INT8_LEVELS = {"quantize": 127.0, "quantize_v2": 127.5, "dequantize": 127.5,
               "requantize": 127.0}
UINT8_LEVELS = {"quantize": 255.0, "quantize_v2": 255.5, "dequantize": 255.5,
                "requantize": 255.0}
_LIMITS = {"int8": (-128, 127), "uint8": (0, 255)}
INT32_RANGE = np.float32(2.0 ** 31)  # |int32 min| as float: the level count of int32 data
_MAX_NDIM = 6  # oneDNN (and so MXNet's CPU build) handles at most 6 dimensions


# ----------------------------------------------------------------------------------------
# helpers shared with quantized_nn
# ----------------------------------------------------------------------------------------

def calib_params(doc="Calibrated"):
    return {
        "min_calib_range": Param("float", None, doc=f"{doc} minimum of the output range; "
                                 "computed from the data when absent."),
        "max_calib_range": Param("float", None, doc=f"{doc} maximum of the output range; "
                                 "computed from the data when absent."),
    }


def has_calib(attrs):
    return attrs.min_calib_range is not None and attrs.max_calib_range is not None


def check_dtype(op, name, given, allowed):
    if given is not None and given not in allowed:
        raise MXNetError(f"{op}: input '{name}' must have dtype {' or '.join(allowed)}, "
                         f"got {given}")


def check_range_shapes(op, names, shapes):
    """Range inputs (min/max) are float32 arrays of shape (1,)."""
    out = list(shapes)
    for i, name in names:
        s = shapes[i]
        if s is not None and tuple(s) != (1,):
            raise MXNetError(f"{op}: input '{name}' must have shape (1,), got {tuple(s)}")
        out[i] = (1,)
    return out


def check_ndim(op, shape):
    if len(shape) > _MAX_NDIM:
        raise MXNetError(f"{op}: supports data of at most {_MAX_NDIM} dimensions (as MXNet's "
                         f"oneDNN CPU build), got {len(shape)}-d data")


def max_abs(xp, lo, hi):
    """Elementwise ``max(|lo|, |hi|)`` as float32 (the symmetric range)."""
    return xp.maximum(xp.abs(lo), xp.abs(hi)).astype(np.float32)


def saturate(xp, values, out_type):
    """Round float32 ``values`` half to even and saturate them into ``out_type``."""
    lo, hi = _LIMITS[out_type]
    with np.errstate(invalid="ignore"):
        q = xp.clip(xp.rint(values), lo, hi)
    q = xp.where(xp.isnan(q), hi if out_type == "int8" else 0, q)
    return q.astype(out_type)


def scaled(xp, data, levels, real_range):
    """``data * levels / real_range`` in float32 (inf/NaN where the range is zero)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (np.float32(levels) / real_range).astype(np.float32)
        return data.astype(np.float32, copy=False) * scale


def range_outputs(xp, lo, hi):
    return (xp.asarray(lo, dtype=np.float32).reshape(1).copy(),
            xp.asarray(hi, dtype=np.float32).reshape(1).copy())


def quantized_type(attrs):
    """The dtype an ``out_type`` of int8/uint8/auto gives (auto: uint8 for a
    calibrated range that is not negative, else int8)."""
    if attrs.out_type != "auto":
        return attrs.out_type
    if has_calib(attrs) and attrs.min_calib_range >= 0:
        return "uint8"
    return "int8"


def data_range_shape(op, n_ranges=2):
    """Shape rule: (data, range inputs...) -> (data shape, (1,), (1,))."""
    names = [(i, n) for i, n in enumerate(("min_range", "max_range")[:n_ranges], start=1)]

    def infer(attrs, shapes):
        shapes = check_range_shapes(op, names, shapes)
        return shapes, [shapes[0], (1,), (1,)]
    return infer


def _float32_ranges(op, types, first=1):
    for i, name in enumerate(("min_range", "max_range"), start=first):
        check_dtype(op, name, types[i], ("float32",))
    return [types[0]] + ["float32"] * (len(types) - 1)


# ----------------------------------------------------------------------------------------
# quantize / quantize_v2 / quantize_asym
# ----------------------------------------------------------------------------------------

_QUANTIZE_TYPES = ("int8", "uint8")


def _quantize_type(attrs, types):
    check_dtype("_contrib_quantize", "data", types[0], ("float32",))
    return ["float32"] + _float32_ranges("_contrib_quantize", types)[1:], \
        [attrs.out_type, "float32", "float32"]


@register("_contrib_quantize", inputs=("data", "min_range", "max_range"), num_outputs=3,
          params={"out_type": Param("str", "uint8", choices=_QUANTIZE_TYPES,
                                    doc="Integer type of the output.")},
          infer_shape=data_range_shape("_contrib_quantize"), infer_type=_quantize_type)
def _quantize(xp, attrs, data, min_range, max_range):
    """Quantize float32 data over the given range [min_range, max_range]: int8 maps
    max(|min|, |max|) to 127 and reports the symmetric range; uint8 maps it to 255,
    sends negative values to 0 and reports the given range."""
    check_ndim("_contrib_quantize", data.shape)
    data_range_shape("_contrib_quantize")(attrs, [data.shape, min_range.shape, max_range.shape])
    _quantize_type(attrs, [data.dtype.name, min_range.dtype.name, max_range.dtype.name])
    r = max_abs(xp, min_range, max_range)
    if attrs.out_type == "int8":
        out = saturate(xp, scaled(xp, data, INT8_LEVELS["quantize"], r), "int8")
        return (out,) + range_outputs(xp, -r, r)
    out = saturate(xp, scaled(xp, data, UINT8_LEVELS["quantize"], r), "uint8")
    return (out,) + range_outputs(xp, min_range, max_range)


def _quantize_v2_shape(attrs, shapes):
    return [shapes[0]], [shapes[0], (1,), (1,)]


def _quantize_v2_type(attrs, types):
    check_dtype("_contrib_quantize_v2", "data", types[0], ("float32", "int8", "uint8"))
    return [types[0]], [quantized_type(attrs), "float32", "float32"]


def data_min_max(xp, data):
    """Smallest and largest value of ``data``, NaN ignored (as a comparison loop does);
    an empty array spans (0, 0)."""
    if data.size == 0:
        zero = xp.zeros((), dtype=np.float32)
        return zero, zero
    with np.errstate(invalid="ignore"):
        return xp.nanmin(data).astype(np.float32), xp.nanmax(data).astype(np.float32)


@register("_contrib_quantize_v2", inputs=("data",), num_outputs=3,
          params={"out_type": Param("str", "int8", choices=("auto", "int8", "uint8"),
                                    doc="Integer type of the output; auto picks uint8 "
                                        "for a calibrated range that is not negative."),
                  **calib_params()},
          infer_shape=_quantize_v2_shape, infer_type=_quantize_v2_type)
def _quantize_v2(xp, attrs, data):
    """Quantize float32 data over the calibrated range, or the data's own range when
    no calibration is given: int8 maps max(|min|, |max|) to 127.5, uint8 to 255.5.
    Data already int8/uint8 passes through with its calibrated (or full) range."""
    op = "_contrib_quantize_v2"
    check_ndim(op, data.shape)
    out_type = quantized_type(attrs)
    if data.dtype.name in _QUANTIZE_TYPES:
        if data.dtype.name != out_type:
            # MXNet copies the bytes, reinterpreting them as the other type.
            raise MXNetError(f"{op}: data is already {data.dtype.name} but out_type "
                             f"'{attrs.out_type}' asks for {out_type}; pass "
                             f"out_type='{data.dtype.name}'")
        if has_calib(attrs):
            lo, hi = attrs.min_calib_range, attrs.max_calib_range
        elif out_type == "int8":
            lo, hi = -INT8_LEVELS["quantize_v2"], INT8_LEVELS["quantize_v2"]
        else:
            lo, hi = 0.0, UINT8_LEVELS["quantize_v2"]
        return (data.copy(),) + range_outputs(xp, lo, hi)
    _quantize_v2_type(attrs, [data.dtype.name])
    if has_calib(attrs):
        lo = xp.asarray(attrs.min_calib_range, dtype=np.float32)
        hi = xp.asarray(attrs.max_calib_range, dtype=np.float32)
    else:
        lo, hi = data_min_max(xp, data)
    r = max_abs(xp, lo, hi)
    if out_type == "int8":
        out = saturate(xp, scaled(xp, data, INT8_LEVELS["quantize_v2"], r), "int8")
        return (out,) + range_outputs(xp, -r, r)
    out = saturate(xp, scaled(xp, data, UINT8_LEVELS["quantize_v2"], r), "uint8")
    return (out,) + range_outputs(xp, lo, hi)


def _quantize_asym_type(attrs, types):
    check_dtype("_contrib_quantize_asym", "data", types[0], ("float32",))
    return ["float32"], ["uint8", "float32", "float32"]


@register("_contrib_quantize_asym", inputs=("data",), num_outputs=3, params=calib_params(),
          output_names=("output", "scale", "shift"),
          infer_shape=_quantize_v2_shape, infer_type=_quantize_asym_type)
def _quantize_asym(xp, attrs, data):
    """Asymmetric uint8 quantization ``out = round(data * scale + shift)`` with
    ``scale = 255 / (max - min)`` and ``shift = -min * scale`` over the calibrated range,
    or the data's own range when none is given; returns (out, scale, shift). (MXNet
    1.9.1 runs it on 3-d data only and crashes on other shapes; any shape works here.)"""
    check_ndim("_contrib_quantize_asym", data.shape)
    _quantize_asym_type(attrs, [data.dtype.name])
    if has_calib(attrs):
        lo = xp.asarray(attrs.min_calib_range, dtype=np.float32)
        hi = xp.asarray(attrs.max_calib_range, dtype=np.float32)
    else:
        lo, hi = data_min_max(xp, data)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (np.float32(255.0) / (hi - lo)).astype(np.float32)
    shift = (np.float32(0.0) - lo * scale).astype(np.float32)
    out = saturate(xp, data * scale + shift, "uint8")
    return (out,) + range_outputs(xp, scale, shift)


# ----------------------------------------------------------------------------------------
# dequantize / requantize
# ----------------------------------------------------------------------------------------

def _dequantize_type(attrs, types):
    check_dtype("_contrib_dequantize", "data", types[0], _QUANTIZE_TYPES)
    return _float32_ranges("_contrib_dequantize", types), ["float32"]


def _dequantize_shape(attrs, shapes):
    shapes = check_range_shapes("_contrib_dequantize", [(1, "min_range"), (2, "max_range")],
                                shapes)
    return shapes, [shapes[0]]


@register("_contrib_dequantize", inputs=("data", "min_range", "max_range"),
          params={"out_type": Param("str", "float32", choices=("float32",),
                                    doc="Float type of the output.")},
          infer_shape=_dequantize_shape, infer_type=_dequantize_type)
def _dequantize(xp, attrs, data, min_range, max_range):
    """Map int8/uint8 data back to float32: each level is max(|min|, |max|) / 127.5
    (int8) or / 255.5 (uint8)."""
    check_ndim("_contrib_dequantize", data.shape)
    _dequantize_shape(attrs, [data.shape, min_range.shape, max_range.shape])
    _dequantize_type(attrs, [data.dtype.name, min_range.dtype.name, max_range.dtype.name])
    levels = (INT8_LEVELS if data.dtype.name == "int8" else UINT8_LEVELS)["dequantize"]
    step = (max_abs(xp, min_range, max_range) / np.float32(levels)).astype(np.float32)
    return data.astype(np.float32) * step


def _requantize_type(attrs, types):
    check_dtype("_contrib_requantize", "data", types[0], ("int32",))
    return _float32_ranges("_contrib_requantize", types), \
        [quantized_type(attrs), "float32", "float32"]


def int32_real_range(xp, data, min_range, max_range):
    """Real range spanned by int32 ``data`` whose full int32 scale is the given range."""
    span = xp.abs(data.astype(np.int64)).max() if data.size else xp.asarray(0)
    return (span.astype(np.float32) * max_abs(xp, min_range, max_range)
            / INT32_RANGE).astype(np.float32)


def requantize_values(xp, data, in_range, out_range, out_type):
    """int32 ``data`` (full scale ``in_range``) as ``out_type`` levels of ``out_range``."""
    levels = (INT8_LEVELS if out_type == "int8" else UINT8_LEVELS)["requantize"]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = ((in_range / INT32_RANGE) * (np.float32(levels) / out_range)).astype(np.float32)
        return saturate(xp, data.astype(np.float32) * scale, out_type)


@register("_contrib_requantize", inputs=("data", "min_range", "max_range"), num_outputs=3,
          params={"out_type": Param("str", "int8", choices=("auto", "int8", "uint8"),
                                    doc="Integer type of the output; auto picks uint8 "
                                        "for a calibrated range that is not negative."),
                  **calib_params()},
          infer_shape=data_range_shape("_contrib_requantize"), infer_type=_requantize_type)
def _requantize(xp, attrs, data, min_range, max_range):
    """Narrow int32 data (whose int32 full scale is max(|min_range|, |max_range|)) to
    int8 (127 levels) or uint8 (255 levels) over the calibrated range, or over the
    range the data actually spans when no calibration is given."""
    op = "_contrib_requantize"
    check_ndim(op, data.shape)
    data_range_shape(op)(attrs, [data.shape, min_range.shape, max_range.shape])
    _requantize_type(attrs, [data.dtype.name, min_range.dtype.name, max_range.dtype.name])
    out_type = quantized_type(attrs)
    if has_calib(attrs):
        r = max_abs(xp, xp.asarray(attrs.min_calib_range, dtype=np.float32),
                    xp.asarray(attrs.max_calib_range, dtype=np.float32))
    else:
        r = int32_real_range(xp, data, min_range, max_range)
    out = requantize_values(xp, data, max_abs(xp, min_range, max_range), r, out_type)
    lo = -r if out_type == "int8" else xp.zeros_like(r)
    return (out,) + range_outputs(xp, lo, r)


# ----------------------------------------------------------------------------------------
# calibrate_entropy
# ----------------------------------------------------------------------------------------

def _host(xp, a):
    return a if xp is np else a.get()


def _smooth(p, eps=1e-4):
    """Move a little mass onto the empty bins so the KL divergence is finite (None when
    every bin is empty)."""
    zeros = p == 0
    n_zero = int(zeros.sum())
    n_nonzero = p.size - n_zero
    if n_nonzero == 0:
        return None
    return (p + np.where(zeros, eps, -eps * n_zero / n_nonzero)).astype(np.float32)


def _kl_divergence(p, q):
    p = p / p.sum()
    q = q / q.sum()
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / q[mask])))


def _candidate_divergence(hist, center, half_width, n_levels):
    """KL divergence between the histogram clipped to ``center +- half_width`` bins (the
    outliers piled onto the end bins) and its quantization into ``n_levels`` levels.

    As in MXNet, the quantized side counts whole samples (bin counts truncated to
    integers) and leaves out the two end bins, and each level spreads its count evenly
    over the bins of the clipped histogram that are not empty."""
    start, stop = center - half_width, center + half_width + 1
    p = hist[start:stop].astype(np.float64)
    p[0] += hist[:start].sum()
    p[-1] += hist[stop:].sum()
    inner = np.trunc(hist[start:stop]).astype(np.float64)
    inner[0] = inner[-1] = 0
    merge = inner.size // n_levels
    level_of = np.minimum(np.arange(inner.size) // merge, n_levels - 1)
    counts = np.bincount(level_of, weights=inner, minlength=n_levels)
    occupied = np.bincount(level_of, weights=(inner != 0), minlength=n_levels)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(occupied > 0, counts / occupied, 0.0)
    q = np.where(p != 0, spread[level_of], 0.0)
    p, q = _smooth(p), _smooth(q)
    if p is None or q is None:
        return float("inf")
    return _kl_divergence(p.astype(np.float64), q.astype(np.float64))


def _calibrate_shape(attrs, shapes):
    hist, edges = shapes
    if hist is not None and len(hist) != 1:
        raise MXNetError(f"_contrib_calibrate_entropy: input 'hist' must be 1-d, got shape "
                         f"{tuple(hist)}")
    if hist is not None and edges is not None and tuple(edges) != (hist[0] + 1,):
        raise MXNetError(f"_contrib_calibrate_entropy: input 'hist_edges' must have "
                         f"len(hist) + 1 = {hist[0] + 1} entries, got shape {tuple(edges)}")
    return [hist, edges], [(1,), (1,)]


def _calibrate_type(attrs, types):
    check_dtype("_contrib_calibrate_entropy", "hist", types[0], ("float32",))
    check_dtype("_contrib_calibrate_entropy", "hist_edges", types[1], ("float32",))
    return ["float32", "float32"], ["float32", "float32"]


@register("_contrib_calibrate_entropy", inputs=("hist", "hist_edges"), num_outputs=2,
          params={"num_quantized_bins": Param("int", 255, doc="Number of quantization "
                                              "levels the threshold is chosen for.")},
          output_names=("threshold", "divergence"),
          infer_shape=_calibrate_shape, infer_type=_calibrate_type)
def _calibrate_entropy(xp, attrs, hist, hist_edges):
    """Pick the clipping threshold of a histogram centred on zero that loses the least
    information (KL divergence) when the clipped range is quantized into
    ``num_quantized_bins`` levels; returns (threshold, divergence)."""
    op = "_contrib_calibrate_entropy"
    _calibrate_shape(attrs, [hist.shape, hist_edges.shape])
    _calibrate_type(attrs, [hist.dtype.name, hist_edges.dtype.name])
    hist, edges = _host(xp, hist), _host(xp, hist_edges)
    n_levels = attrs.num_quantized_bins
    center = hist.size // 2
    if n_levels <= 0 or n_levels // 2 > center:
        raise MXNetError(f"{op}: argument 'num_quantized_bins' must be positive and at most "
                         f"the number of bins ({hist.size}), got {n_levels}")
    widths = range(n_levels // 2, center + 1)
    divergences = [_candidate_divergence(hist, center, w, n_levels) for w in widths]
    best = int(np.argmin(divergences))
    threshold = edges[center + widths[best] + 1]
    return range_outputs(xp, threshold, divergences[best])
