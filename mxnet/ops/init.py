"""Creation and copy operators: zeros, ones, full, arange, eye, *_like, copy, Cast."""
import numpy as np

from ..base import MXNetError
from .infer import dtype_param, same_shape, same_type
from .params import Param
from ..util import is_np_shape
from .quiet import quiet
from .registry import register

_DTYPES = ("bfloat16", "bool", "float16", "float32", "float64", "int32", "int64", "int8",
           "uint8")
_CTX = Param("str", "", "Device context, e.g. 'cpu(0)' (set by the front end).")


_FLOAT_INT_DTYPES = ("bfloat16", "float16", "float32", "float64", "int32", "int64", "int8",
                     "uint8")


def _dtype(name):
    if name == "bfloat16":
        raise MXNetError("bfloat16 arrays are not supported by the NumPy backend")
    return name


def _check_shape(op, shape):
    # MXNet 1.x treats an empty shape as unknown, so a creation op cannot make a
    # 0-d array, unless NumPy shape semantics are on (where () is a scalar).
    if shape is None or (len(shape) == 0 and not is_np_shape()) \
            or any(d is None or d < 0 for d in shape):
        raise MXNetError(f"{op}: argument 'shape' expects a non-empty tuple of non-negative "
                         f"sizes, got {shape}")
    return tuple(shape)


def _cast_value(value, dtype):
    """``value`` converted like a C cast: truncated toward zero, wrapped into integer types."""
    if dtype == "bool":
        return value != 0
    if np.issubdtype(np.dtype(dtype), np.integer) and np.isfinite(value):
        return np.array(int(value)).astype(dtype)
    return value


@quiet  # nan and out-of-range values convert as the C cast does, without a warning
def full_cast(xp, shape, value, dtype):
    """An array of ``shape`` and ``dtype`` filled with ``value`` converted like a C cast."""
    return xp.full(shape, _cast_value(value, dtype), dtype)


def _creation(name, fill, doc, extra_params=None, shape_default=()):
    params = {"shape": Param("shape", shape_default), "ctx": _CTX,
              "dtype": Param("dtype", "float32", choices=_DTYPES)}
    params.update(extra_params or {})

    def compute(xp, attrs):
        return fill(xp, _check_shape(name, attrs.shape), _dtype(attrs.dtype), attrs)
    compute.__doc__ = doc
    register(name, params=params, inputs=(),
             infer_shape=lambda attrs, shapes: (shapes, [_check_shape(name, attrs.shape)]),
             infer_type=dtype_param())(compute)


_creation("_zeros", lambda xp, s, t, a: xp.zeros(s, t), "An array of zeros.")
_creation("_ones", lambda xp, s, t, a: xp.ones(s, t), "An array of ones.")
_creation("_full", lambda xp, s, t, a: full_cast(xp, s, a.value, t),
          "An array filled with `value` (converted to `dtype` like a C cast).",
          {"value": Param("float", doc="The fill value.")}, shape_default=None)

# MXNet type codes, used by ops whose dtype argument is an integer.
_TYPE_CODES = {0: "float32", 1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8",
               6: "int64", 7: "bool", 8: "int16", 9: "uint16", 10: "uint32", 11: "uint64",
               12: "bfloat16"}


def _code_dtype(attrs):
    """The dtype named by an integer code; -1 (unknown, left to graph inference) is float32
    when the op runs on its own."""
    if attrs.dtype == -1:
        return "float32"
    if attrs.dtype not in _TYPE_CODES:
        raise MXNetError(f"_zeros_without_dtype: argument 'dtype' expects an MXNet type code "
                         f"in 0-12 or -1, got {attrs.dtype}")
    return _TYPE_CODES[attrs.dtype]


@register("_zeros_without_dtype", inputs=(),
          params={"shape": Param("shape", None), "ctx": _CTX,
                  "dtype": Param("int", -1, "An MXNet type code; -1 leaves it to inference.")},
          infer_shape=lambda attrs, s: (s, [_check_shape("_zeros_without_dtype", attrs.shape)]),
          infer_type=lambda attrs, t: (t, [None if attrs.dtype == -1 else _code_dtype(attrs)]))
def _zeros_without_dtype(xp, attrs):
    """An array of zeros whose dtype is given as a type code (or inferred in a graph)."""
    return xp.zeros(_check_shape("_zeros_without_dtype", attrs.shape),
                    _dtype(_code_dtype(attrs)))


def _check_step(attrs):
    if attrs.step == 0:
        raise MXNetError("_arange: argument 'step' must not be 0")
    if attrs.repeat <= 0:
        raise MXNetError(f"_arange: argument 'repeat' must be positive, got {attrs.repeat}")


def _arange_length(attrs):
    """Number of distinct values of the range; checks the arguments like MXNet."""
    start, stop, step = attrs.start, attrs.stop, attrs.step
    if stop is None:
        if attrs.infer_range:
            raise MXNetError("_arange: with infer_range=True and no 'stop', the length comes "
                             "from the output shape of a symbolic graph; give 'stop' when "
                             "calling it directly")
        start, stop = 0.0, start
    _check_step(attrs)
    if (step > 0 and not start < stop) or (step < 0 and not start > stop):
        raise MXNetError(f"_arange: empty range (start={start}, stop={stop}, step={step}): "
                         "stop must lie beyond start in the direction of step")
    return start, step, int(np.ceil((stop - start) / step))


def _range_is_inferred(attrs):
    return attrs.infer_range and attrs.stop is None and "_length" not in attrs


def _arange_shape(attrs, shapes):
    if _range_is_inferred(attrs):
        return shapes, [None]  # filled in backwards from the consumers of the output
    if "_length" in attrs:
        return shapes, [(attrs["_length"],)]
    return shapes, [(_arange_length(attrs)[2] * attrs.repeat,)]


def arange_with_length(attrs, out_shape):
    """``_arange`` attrs producing ``out_shape`` when ``infer_range`` left the length
    to graph inference (the graph executor calls this with the inferred shape): the
    values are start, start + step, ... each repeated, cut to that length."""
    if len(out_shape) != 1:
        raise MXNetError(f"_arange: the output of arange is 1-D, inferred shape {out_shape}")
    fixed = type(attrs)(attrs)
    fixed["_length"] = int(out_shape[0])
    return fixed


def _arange_values(xp, attrs):
    if "_length" in attrs:
        _check_step(attrs)
        n = -(-attrs["_length"] // attrs.repeat)  # enough values to cut to the length
        start, step = attrs.start, attrs.step
    else:
        start, step, n = _arange_length(attrs)
    dtype = _dtype(attrs.dtype)
    if np.issubdtype(np.dtype(dtype), np.integer):
        # Integer ranges are computed in the integer type: start and step truncate first.
        values = int(start) + int(step) * np.arange(n, dtype=np.int64)
    else:
        values = start + step * np.arange(n, dtype=np.float64)
    if attrs.repeat > 1:
        values = np.repeat(values, attrs.repeat)
    if "_length" in attrs:
        values = values[:attrs["_length"]]
    return xp.asarray(values.astype(dtype))


def _arange_specialize(attrs, out_shape):
    return arange_with_length(attrs, out_shape) if attrs.infer_range and attrs.stop is None \
        else None


@register("_arange", inputs=(), infer_shape=_arange_shape, infer_type=dtype_param(),
          specialize=_arange_specialize,
          params={"start": Param("float"), "stop": Param("float", None),
                  "step": Param("float", 1.0), "repeat": Param("int", 1),
                  "infer_range": Param("bool", False, "With no 'stop': take the length from "
                                                      "the inferred output shape (symbolic "
                                                      "graphs only)."), "ctx": _CTX,
                  "dtype": Param("dtype", "float32", choices=_FLOAT_INT_DTYPES)})
def _arange(xp, attrs):
    """Evenly spaced values in [start, stop), each repeated `repeat` times; with only
    `start`, the range [0, start). With `infer_range` and no `stop`, a graph sets the
    length from the shape its consumers need."""
    return _arange_values(xp, attrs)


# MXNet documents _linspace with arange's step/repeat/infer_range but its parser
# rejects them; they are declared (for the same signature) and rejected when given.
_ARANGE_ONLY = ("step", "repeat", "infer_range")


def _linspace_length(attrs):
    given = [k for k in _ARANGE_ONLY if attrs[k] is not None]
    if given:
        raise MXNetError(f"_linspace: argument '{given[0]}' is not accepted (as in MXNet, "
                         "only start, stop, num and endpoint define the samples); use "
                         "_arange for a stepped range")
    if attrs.num < 0:
        raise MXNetError(f"_linspace: argument 'num' must be non-negative, got {attrs.num}")
    return attrs.num


@register("_linspace", inputs=(),
          infer_shape=lambda attrs, s: (s, [(_linspace_length(attrs),)]),
          infer_type=dtype_param(),
          params={"start": Param("float"), "stop": Param("float"), "num": Param("int"),
                  "endpoint": Param("bool", True),
                  "step": Param("float", None, "Not accepted (see _arange)."),
                  "repeat": Param("int", None, "Not accepted (see _arange)."),
                  "infer_range": Param("bool", None, "Not accepted (see _arange)."),
                  "ctx": _CTX, "dtype": Param("dtype", "float32", choices=_FLOAT_INT_DTYPES)})
def _linspace(xp, attrs):
    """`num` evenly spaced values from `start` to `stop` (included when `endpoint`),
    computed in double precision and then converted (integers truncate)."""
    values = np.linspace(attrs.start, attrs.stop, _linspace_length(attrs),
                         endpoint=attrs.endpoint)
    return xp.asarray(values.astype(_dtype(attrs.dtype)))


def _eye_shape(attrs, shapes=None):
    if attrs.N < 0 or attrs.M < 0:
        raise MXNetError(f"_eye: arguments 'N' and 'M' must be non-negative, got "
                         f"N={attrs.N}, M={attrs.M}")
    return shapes, [(attrs.N, attrs.M or attrs.N)]


@register("_eye", inputs=(), infer_shape=_eye_shape, infer_type=dtype_param(),
          params={"N": Param("int"), "M": Param("int", 0), "k": Param("int", 0), "ctx": _CTX,
                  "dtype": Param("dtype", "float32", choices=_FLOAT_INT_DTYPES[1:])})
def _eye(xp, attrs):
    """A 2-D array (N rows, M columns, M=0 meaning N) with ones on diagonal k."""
    _eye_shape(attrs)
    return xp.eye(attrs.N, attrs.M or attrs.N, attrs.k, dtype=_dtype(attrs.dtype))


# ``src`` defaults to None because MXNet checks it only when the op runs: a symbol
# may be made without it.
@register("_set_value", inputs=(),
          params={"src": Param("float", None, "The value to write (required to run).")},
          infer_shape=lambda attrs, s: (s, [None]), infer_type=lambda attrs, t: (t, [None]))
def _set_value(xp, attrs):
    """Fill the array given as ``out=`` with the scalar ``src`` (converted to its
    dtype like a C cast: integers truncate toward zero). The kernel gives the
    0-d value; the output's shape and dtype are those of ``out``."""
    if attrs.src is None:
        raise MXNetError("_set_value: argument 'src' (a number) is required to run, "
                         "got none")
    return xp.asarray(attrs.src, dtype=xp.float64)


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
    dtype = _dtype(attrs.dtype)
    if xp is not np and data.dtype.kind == "f" and np.dtype(dtype).kind == "u":
        # Floats out of an unsigned type's range wrap around as they do on the cpu
        # (through a signed integer); CUDA's own conversion would saturate.
        data = data.astype(np.int64)
    if data.dtype.kind == "f" and data.dtype.itemsize > np.dtype(dtype).itemsize \
            or data.dtype.kind == "f" and np.dtype(dtype).kind != "f":
        return _narrowing_cast(data, dtype)
    return data.astype(dtype)


@quiet  # nan and out-of-range values convert as the C cast does, without a warning
def _narrowing_cast(data, dtype):
    return data.astype(dtype)
