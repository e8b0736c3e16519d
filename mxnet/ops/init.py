"""Creation and copy operators: zeros, ones, full, arange, eye, *_like, copy, Cast."""
import numpy as np

from ..base import MXNetError
from .infer import dtype_param, same_shape, same_type
from .params import Param
from .registry import register

_DTYPES = ("bfloat16", "bool", "float16", "float32", "float64", "int32", "int64", "int8",
           "uint8")
_CTX = Param("str", "", "Device context, e.g. 'cpu(0)' (set by the front end).")


def _dtype(name):
    if name == "bfloat16":
        raise MXNetError("bfloat16 arrays are not supported by the NumPy backend")
    return name


def _shape_of(attrs):
    return lambda _attrs, shapes: (shapes, [tuple(attrs.shape)])


def _check_shape(op, shape):
    if any(d is None or d < 0 for d in shape):
        raise MXNetError(f"{op}: shape must have non-negative dimensions, got {shape}")
    return shape


def _creation(name, fill, doc, extra_params=None):
    params = {"shape": Param("shape", ()), "ctx": _CTX,
              "dtype": Param("dtype", "float32", choices=_DTYPES)}
    params.update(extra_params or {})

    def compute(xp, attrs):
        return fill(xp, _check_shape(name, attrs.shape), _dtype(attrs.dtype), attrs)
    compute.__doc__ = doc
    register(name, params=params, inputs=(),
             infer_shape=lambda attrs, shapes: (shapes, [tuple(attrs.shape)]),
             infer_type=dtype_param())(compute)


_creation("_zeros", lambda xp, s, t, a: xp.zeros(s, t), "An array of zeros.")
_creation("_ones", lambda xp, s, t, a: xp.ones(s, t), "An array of ones.")
_creation("_full", lambda xp, s, t, a: xp.full(s, a.value, t), "An array filled with `value`.",
          {"value": Param("float", doc="The fill value.")})


def _arange_values(xp, attrs):
    start, stop, step = attrs.start, attrs.stop, attrs.step
    if stop is None:
        start, stop = 0.0, start
    if step == 0:
        raise MXNetError("_arange: argument 'step' must not be 0")
    n = int(max(np.ceil((stop - start) / step), 0))
    values = start + step * np.arange(n, dtype="float64")
    if attrs.repeat > 1:
        values = np.repeat(values, attrs.repeat)
    return xp.asarray(values.astype(_dtype(attrs.dtype)))


def _arange_shape(attrs, shapes):
    start, stop, step = attrs.start, attrs.stop, attrs.step
    if stop is None:
        start, stop = 0.0, start
    n = int(max(np.ceil((stop - start) / step), 0)) if step else 0
    return shapes, [(n * attrs.repeat,)]


@register("_arange", inputs=(), infer_shape=_arange_shape, infer_type=dtype_param(),
          params={"start": Param("float"), "stop": Param("float", None),
                  "step": Param("float", 1.0), "repeat": Param("int", 1),
                  "infer_range": Param("bool", False), "ctx": _CTX,
                  "dtype": Param("dtype", "float32", choices=_DTYPES)})
def _arange(xp, attrs):
    """Evenly spaced values in [start, stop), each repeated `repeat` times."""
    return _arange_values(xp, attrs)


def _eye_shape(attrs, shapes):
    return shapes, [(attrs.N, attrs.M or attrs.N)]


@register("_eye", inputs=(), infer_shape=_eye_shape, infer_type=dtype_param(),
          params={"N": Param("int"), "M": Param("int", 0), "k": Param("int", 0), "ctx": _CTX,
                  "dtype": Param("dtype", "float32", choices=_DTYPES)})
def _eye(xp, attrs):
    """A 2-D array with ones on the k-th diagonal."""
    return xp.eye(attrs.N, attrs.M or attrs.N, attrs.k, dtype=_dtype(attrs.dtype))


def _no_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(x) for x in ins]


@register("zeros_like", infer_shape=same_shape("zeros_like"), infer_type=same_type("zeros_like"),
          gradient=_no_grad)
def _zeros_like(xp, attrs, data):
    """An array of zeros with the shape and dtype of the input."""
    return xp.zeros_like(data)


@register("ones_like", infer_shape=same_shape("ones_like"), infer_type=same_type("ones_like"),
          gradient=_no_grad)
def _ones_like(xp, attrs, data):
    """An array of ones with the shape and dtype of the input."""
    return xp.ones_like(data)


@register("_copyto", infer_shape=same_shape("_copyto"), infer_type=same_type("_copyto"),
          gradient=lambda F, attrs, ins, outs, g: [g[0]])
def _copyto(xp, attrs, data):
    """Copy an array (across devices when the output lives elsewhere)."""
    if xp is np:
        return np.array(data, copy=True) if isinstance(data, np.ndarray) else data.get()
    return xp.array(data, copy=True)


def _cast_type(attrs, types):
    return types, [attrs.dtype]


@register("Cast", aliases=("cast",), infer_shape=same_shape("Cast"), infer_type=_cast_type,
          params={"dtype": Param("dtype", choices=_DTYPES, doc="Output dtype.")},
          gradient=lambda F, attrs, ins, outs, g: [F.Cast(g[0], dtype=ins[0].dtype)])
def _cast(xp, attrs, data):
    """Cast the elements to `dtype`."""
    return data.astype(_dtype(attrs.dtype))
