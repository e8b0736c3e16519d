"""``_npi_*`` creation operators of the ``mx.np`` front end (zeros, arange, eye, linspace...).

They differ from the legacy creation ops (``init.py``) in NumPy's shape rules:
an empty shape makes a 0-d array and zero-size axes are allowed, and a range
with no values is empty rather than an error. Ranges and windows are computed
in double precision on the host and then converted to the output dtype
(integers truncate toward zero).
"""
import math

import numpy as np

from ..base import MXNetError
from .infer import dtype_param, same_shape
from .init import _CTX, _dtype, arange_with_length, full_cast
from .params import Param
from .registry import register

_ALL_DTYPES = ("bfloat16", "bool", "float16", "float32", "float64", "int32", "int64", "int8",
               "uint8")
_NUMERIC_DTYPES = tuple(d for d in _ALL_DTYPES if d != "bool")


def _dtype_arg(default="float32", choices=_ALL_DTYPES):
    return Param("dtype", default, "Output dtype.", choices=choices)


def check_np_shape(op, name, shape):
    """``shape`` as a tuple of non-negative sizes; ``()`` is a 0-d array."""
    if shape is None or any(d is None or d < 0 for d in shape):
        raise MXNetError(f"{op}: argument '{name}' expects a tuple of non-negative sizes, "
                         f"got {shape}")
    return tuple(shape)


def _host_values(xp, values, dtype):
    """Host float64 ``values`` as an array of ``xp`` in ``dtype`` (C-style conversion)."""
    return xp.asarray(values.astype(_dtype(dtype)))


def _fill_op(name, fill, doc, extra_params=None, shape_default=(), check=check_np_shape):
    """Declare creation op ``name`` making ``fill(xp, shape, dtype, attrs)``; ``check``
    validates the shape for both the kernel and shape inference."""
    params = {"shape": Param("shape", shape_default, "Output shape."), "ctx": _CTX,
              "dtype": _dtype_arg()}
    params.update(extra_params or {})

    def compute(xp, attrs):
        return fill(xp, check(name, "shape", attrs.shape), _dtype(attrs.dtype), attrs)

    def infer_shape(attrs, shapes):
        return shapes, [check(name, "shape", attrs.shape)]
    compute.__doc__ = doc
    register(name, params=params, inputs=(), infer_type=dtype_param(),
             infer_shape=infer_shape)(compute)


def _square_shape(op, name, shape):
    shape = check_np_shape(op, name, shape)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise MXNetError(f"{op}: argument '{name}' expects a square 2-d shape (n, n), "
                         f"got {shape}")
    return shape


_fill_op("_npi_zeros", lambda xp, s, t, a: xp.zeros(s, t), "An array of zeros (0-d too).")
_fill_op("_npi_ones", lambda xp, s, t, a: xp.ones(s, t), "An array of ones (0-d too).")
_fill_op("_npi_full", lambda xp, s, t, a: full_cast(xp, s, a.value, t),
         "An array filled with `value`, converted to `dtype` like a C cast.",
         {"value": Param("float", doc="The fill value.")}, shape_default=None)
_fill_op("_npi_identity", lambda xp, s, t, a: xp.eye(s[0], dtype=t),
         "The identity matrix of `shape` (n, n).", check=_square_shape)


def _full_like_type(attrs, types):
    return types, [attrs.dtype or types[0]]


@register("_npi_full_like", inputs=("a",), infer_shape=same_shape("_npi_full_like"),
          infer_type=_full_like_type,
          gradient=lambda F, attrs, ins, outs, g: [F.zeros_like(ins[0])],
          params={"fill_value": Param("float", doc="The fill value."), "ctx": _CTX,
                  "dtype": Param("dtype", None, "Output dtype; None keeps the input's.",
                                 choices=_ALL_DTYPES)})
def _npi_full_like(xp, attrs, a):
    """An array with the shape of `a` filled with `fill_value` (dtype `dtype`, else a's)."""
    dtype = _dtype(attrs.dtype) if attrs.dtype else a.dtype
    return full_cast(xp, a.shape, attrs.fill_value, dtype)


# -- ranges -----------------------------------------------------------------------------------
def _arange_span(attrs):
    """(start, step, number of values) of the range, before repetition."""
    start, stop, step = attrs.start, attrs.stop, attrs.step
    if stop is None:
        start, stop = 0.0, start
    if step == 0:
        raise MXNetError("_npi_arange: argument 'step' must not be 0")
    if attrs.repeat <= 0:
        raise MXNetError(f"_npi_arange: argument 'repeat' must be positive, got {attrs.repeat}")
    return start, step, max(0, int(math.ceil((stop - start) / step)))


def _arange_is_inferred(attrs):
    return attrs.infer_range and attrs.stop is None and "_length" not in attrs


def _arange_shape(attrs, shapes):
    if _arange_is_inferred(attrs):
        return shapes, [None]  # a graph fills it in from the consumers of the output
    if "_length" in attrs:
        return shapes, [(attrs["_length"],)]
    return shapes, [(_arange_span(attrs)[2] * attrs.repeat,)]


@register("_npi_arange", inputs=(), infer_shape=_arange_shape, infer_type=dtype_param(),
          specialize=lambda attrs, out_shape: arange_with_length(attrs, out_shape)
          if _arange_is_inferred(attrs) else None,
          params={"start": Param("float"), "stop": Param("float", None),
                  "step": Param("float", 1.0), "repeat": Param("int", 1),
                  "infer_range": Param("bool", False, "With no 'stop', take the length from "
                                                      "the inferred output shape (graphs)."),
                  "ctx": _CTX, "dtype": _dtype_arg(choices=_NUMERIC_DTYPES)})
def _npi_arange(xp, attrs):
    """Values start, start + step, ... below `stop` (NumPy's arange; empty when `stop`
    is not beyond `start` in the direction of `step`), each repeated `repeat` times.
    Integer dtypes truncate start and step first, as MXNet does."""
    if _arange_is_inferred(attrs):
        raise MXNetError("_npi_arange: with infer_range=True and no 'stop' the length comes "
                         "from a symbolic graph's inferred shape; give 'stop' to call it")
    start, step, n = _arange_span(attrs)
    if "_length" in attrs:
        n = -(-attrs["_length"] // attrs.repeat)
    if np.issubdtype(np.dtype(_dtype(attrs.dtype)), np.integer):
        values = int(start) + int(step) * np.arange(n, dtype=np.int64)
    else:
        values = start + step * np.arange(n, dtype=np.float64)
    values = np.repeat(values, attrs.repeat)
    if "_length" in attrs:
        values = values[:attrs["_length"]]
    return _host_values(xp, values, attrs.dtype)


def _check_num(op, num):
    if num < 0:
        raise MXNetError(f"{op}: argument 'num' must be non-negative, got {num}")
    return num


_SPACE_PARAMS = {"start": Param("float"), "stop": Param("float"), "num": Param("int"),
                 "endpoint": Param("bool", True, "Whether `stop` is the last sample."),
                 "ctx": _CTX, "dtype": _dtype_arg(choices=_NUMERIC_DTYPES)}


@register("_npi_linspace", inputs=(), infer_type=dtype_param(), params=_SPACE_PARAMS,
          infer_shape=lambda attrs, s: (s, [(_check_num("_npi_linspace", attrs.num),)]))
def _npi_linspace(xp, attrs):
    """`num` evenly spaced samples from `start` to `stop` (included when `endpoint`)."""
    values = np.linspace(attrs.start, attrs.stop, _check_num("_npi_linspace", attrs.num),
                         endpoint=attrs.endpoint)
    return _host_values(xp, values, attrs.dtype)


@register("_npi_logspace", inputs=(), infer_type=dtype_param(),
          params={**_SPACE_PARAMS, "base": Param("float", 10.0, "Base of the exponents.")},
          infer_shape=lambda attrs, s: (s, [(_check_num("_npi_logspace", attrs.num),)]))
def _npi_logspace(xp, attrs):
    """`num` samples base ** e for e evenly spaced from `start` to `stop`."""
    exps = np.linspace(attrs.start, attrs.stop, _check_num("_npi_logspace", attrs.num),
                       endpoint=attrs.endpoint)
    return _host_values(xp, np.power(attrs.base, exps), attrs.dtype)


# -- matrices ---------------------------------------------------------------------------------
def _eye_shape(attrs):
    cols = attrs.N if attrs.M is None else attrs.M
    if attrs.N < 0 or cols < 0:
        raise MXNetError(f"_npi_eye: arguments 'N' and 'M' must be non-negative, got "
                         f"N={attrs.N}, M={attrs.M}")
    return attrs.N, cols


@register("_npi_eye", inputs=(), infer_type=dtype_param(),
          infer_shape=lambda attrs, s: (s, [_eye_shape(attrs)]),
          params={"N": Param("int", doc="Rows."),
                  "M": Param("int", None, "Columns (None: N)."),
                  "k": Param("int", 0, "Diagonal: 0 main, > 0 above, < 0 below."), "ctx": _CTX,
                  "dtype": _dtype_arg(choices=_NUMERIC_DTYPES)})
def _npi_eye(xp, attrs):
    """A 2-d array with ones on diagonal `k` and zeros elsewhere."""
    return xp.eye(*_eye_shape(attrs), k=attrs.k, dtype=_dtype(attrs.dtype))


def _indices_shape(attrs):
    dims = check_np_shape("_npi_indices", "dimensions", attrs.dimensions)
    return (len(dims),) + dims


@register("_npi_indices", inputs=(), infer_type=dtype_param("int32"),
          infer_shape=lambda attrs, s: (s, [_indices_shape(attrs)]),
          params={"dimensions": Param("shape", doc="Shape of the grid."),
                  "dtype": _dtype_arg("int32", _NUMERIC_DTYPES), "ctx": _CTX})
def _npi_indices(xp, attrs):
    """The index grid of `dimensions`: out[i] holds each element's index along axis i."""
    shape = _indices_shape(attrs)
    return xp.indices(shape[1:], dtype=_dtype(attrs.dtype)).reshape(shape)


# -- window functions -------------------------------------------------------------------------
def _window(name, terms, doc):
    """Declare window op ``name``: sum of c * cos(k * 2 pi n / (M - 1)) for (k, c) in terms."""
    def length(attrs):
        return (max(attrs.M, 0),)

    def compute(xp, attrs):
        m = length(attrs)[0]
        if m == 1:
            return _host_values(xp, np.ones(1), attrs.dtype)
        phase = 2.0 * np.pi * np.arange(m, dtype=np.float64) / max(m - 1, 1)
        values = sum(c * np.cos(k * phase) for k, c in terms)
        return _host_values(xp, np.asarray(values, dtype=np.float64), attrs.dtype)
    compute.__doc__ = doc
    register(name, inputs=(), infer_type=dtype_param(),
             infer_shape=lambda attrs, s: (s, [length(attrs)]),
             params={"M": Param("int", doc="Number of points (none when <= 0)."), "ctx": _CTX,
                     "dtype": _dtype_arg(choices=_NUMERIC_DTYPES)})(compute)


_window("_npi_hanning", ((0, 0.5), (1, -0.5)), "The Hann window of M points.")
_window("_npi_hamming", ((0, 0.54), (1, -0.46)), "The Hamming window of M points.")
_window("_npi_blackman", ((0, 0.42), (1, -0.5), (2, 0.08)), "The Blackman window of M points.")
