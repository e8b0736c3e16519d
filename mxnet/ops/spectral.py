"""Spectral and sketching operators: fft, ifft, count_sketch.

MXNet 1.9.1 builds these three only for GPUs (cuFFT and a CUDA kernel) and
refuses them on CPU. Here they run everywhere with the semantics of MXNet's
GPU kernels:

* ``fft``: the discrete Fourier transform of each real row (the last axis, of
  length d), written as interleaved (real, imag) pairs, so the last axis
  becomes 2d. ``ifft`` reads such interleaved rows (2d values) and returns
  the real part of the *unnormalised* inverse transform (d values), so
  ``ifft(fft(x)) == d * x``, as cuFFT computes it.
* ``count_sketch``: ``out[..., h[i]] += s[i] * data[..., i]``, a random
  projection of the last axis onto ``out_dim`` buckets (Charikar et al.).

Inputs are 2-D ``(N, d)`` or 4-D ``(N1, N2, N3, d)`` as in MXNet; ``compute_size``
and ``processing_batch_size`` only chunked the GPU work and change nothing.
"""
import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register

_FLOATS = ("float16", "float32", "float64")


def _check_layout(op, shape, dtype=None):
    if len(shape) not in (2, 4):
        raise MXNetError(f"{op}: argument 'data' expects a 2-D (N, d) or 4-D (N1, N2, N3, d) "
                         f"array, got shape {tuple(shape)}")
    if dtype is not None and dtype not in _FLOATS:
        raise MXNetError(f"{op}: argument 'data' expects a floating-point array, got {dtype}")


def _last_axis_shape(op, scale):
    def infer(attrs, shapes):
        s = shapes[0]
        if s is None:
            return shapes, [None]
        _check_layout(op, s)
        if scale < 1 and s[-1] % 2:
            raise MXNetError(f"{op}: the last axis holds (real, imag) pairs and must have even "
                             f"length, got shape {tuple(s)}")
        return shapes, [tuple(s[:-1]) + (int(s[-1] * scale),)]
    return infer


def _float_type(op):
    def infer(attrs, types):
        t = types[0]
        if t is not None and t not in _FLOATS:
            raise MXNetError(f"{op}: argument 'data' expects a floating-point array, got {t}")
        return types, [t]
    return infer


_COMPUTE_SIZE = {"compute_size": Param("int", 128, "Rows transformed per batch on the GPU "
                                                   "(no effect on the result).")}


def _fft_grad(F, attrs, ins, outs, g):
    # d/dx of Re/Im parts of sum_j x_j e^{-2 pi i jk/d} is the unnormalised inverse transform.
    return [F.contrib.ifft(g[0], compute_size=attrs.compute_size)]


def _ifft_grad(F, attrs, ins, outs, g):
    return [F.contrib.fft(g[0], compute_size=attrs.compute_size)]


@register("_contrib_fft", params=dict(_COMPUTE_SIZE), infer_shape=_last_axis_shape(
    "_contrib_fft", 2), infer_type=_float_type("_contrib_fft"), gradient=_fft_grad)
def _fft(xp, attrs, data):
    """Fourier transform of each real row of the last axis, as interleaved
    (real, imag) pairs: shape (..., d) -> (..., 2d). MXNet runs it on GPU only;
    here it runs on any device with the same result."""
    _check_layout("_contrib_fft", data.shape, data.dtype.name)
    spec = xp.fft.fft(data.astype(xp.float64), axis=-1)
    out = xp.stack([spec.real, spec.imag], axis=-1)
    return out.reshape(data.shape[:-1] + (2 * data.shape[-1],)).astype(data.dtype)


@register("_contrib_ifft", params=dict(_COMPUTE_SIZE), infer_shape=_last_axis_shape(
    "_contrib_ifft", 0.5), infer_type=_float_type("_contrib_ifft"), gradient=_ifft_grad)
def _ifft(xp, attrs, data):
    """Real part of the unnormalised inverse Fourier transform of rows of
    interleaved (real, imag) pairs: shape (..., 2d) -> (..., d), so that
    ifft(fft(x)) = d * x. MXNet runs it on GPU only."""
    _check_layout("_contrib_ifft", data.shape, data.dtype.name)
    if data.shape[-1] % 2:
        raise MXNetError(f"_contrib_ifft: the last axis holds (real, imag) pairs and must have "
                         f"even length, got shape {data.shape}")
    pairs = data.astype(xp.float64).reshape(data.shape[:-1] + (data.shape[-1] // 2, 2))
    d = pairs.shape[-2]
    # numpy's ifft divides by d; cuFFT's inverse does not.
    out = xp.fft.ifft(pairs[..., 0] + 1j * pairs[..., 1], axis=-1).real * d
    return out.astype(data.dtype)


def _sketch_shape(attrs, shapes):
    data, h, s = shapes
    if attrs.out_dim <= 0:
        raise MXNetError(f"_contrib_count_sketch: argument 'out_dim' must be positive, "
                         f"got {attrs.out_dim}")
    if data is None:
        return shapes, [None]
    _check_layout("_contrib_count_sketch", data)
    want = (1, data[-1])
    for name, given in (("h", h), ("s", s)):
        if given is not None and tuple(given) != want:
            raise MXNetError(f"_contrib_count_sketch: argument '{name}' expects shape {want} "
                             f"(one entry per input feature), got {tuple(given)}")
    return [tuple(data), want, want], [tuple(data[:-1]) + (attrs.out_dim,)]


def _sketch_type(attrs, types):
    t = next((t for t in types if t is not None), None)
    if t is not None and t not in _FLOATS:
        raise MXNetError(f"_contrib_count_sketch: inputs must be floating point, got {t}")
    return [t] * 3, [t]


def _sketch_grad(F, attrs, ins, outs, g):
    _, h, s = ins
    # Each input feature i was added into bucket h[i] with sign s[i].
    picked = F.take(g[0], F.reshape(h, shape=(-1,)), axis=-1)
    return [F.broadcast_mul(picked, F.reshape(s, shape=(1,) * (len(ins[0].shape) - 1) + (-1,))),
            None, None]


@register("_contrib_count_sketch", inputs=("data", "h", "s"),
          params={"out_dim": Param("int", doc="Number of output buckets."),
                  "processing_batch_size": Param("int", 32, "Rows per GPU batch (no effect on "
                                                             "the result).")},
          infer_shape=_sketch_shape, infer_type=_sketch_type, gradient=_sketch_grad)
def _count_sketch(xp, attrs, data, h, s):
    """Count sketch of the last axis: feature i of every row is multiplied by
    the sign s[0, i] and added into bucket h[0, i] of an ``out_dim``-long
    output. MXNet runs it on GPU only."""
    _sketch_shape(attrs, [data.shape, h.shape, s.shape])
    buckets = h.reshape(-1)
    if buckets.size and (buckets.min() < 0 or buckets.max() >= attrs.out_dim
                         or xp.any(buckets != xp.floor(buckets))):
        raise MXNetError(f"_contrib_count_sketch: argument 'h' expects integer bucket numbers "
                         f"in [0, {attrs.out_dim}), got values in "
                         f"[{buckets.min()}, {buckets.max()}]")
    rows = data.reshape(-1, data.shape[-1]).astype(xp.float64) * s.reshape(1, -1)
    # The scatter-add into buckets as one product with a (d, out_dim) 0/1 matrix.
    onehot = buckets.astype(xp.int64)[:, None] == xp.arange(attrs.out_dim)[None, :]
    out = rows @ onehot.astype(xp.float64)
    return out.reshape(data.shape[:-1] + (attrs.out_dim,)).astype(data.dtype)
