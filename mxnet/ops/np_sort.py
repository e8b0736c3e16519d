"""``_npi_sort``, ``_npi_argsort``, ``_npi_unique``, ``_npi_nonzero`` for ``mx.np``.

Sorting is stable, so equal elements keep their order (ascending) and the
gradient of ``sort`` goes back to the element each output came from.
``unique`` and ``nonzero`` have data-dependent output shapes: their shape
inference leaves the outputs unknown until the kernel runs.
"""
from ..base import MXNetError
from .params import Param
from .registry import register

_AXIS = Param("int", -1, optional=True, doc="Axis to sort along; None sorts the flattened "
              "array.")
_ASCEND = Param("bool", True, doc="Ascending (else descending) order.")
_INDEX_TYPES = ("float16", "float32", "float64", "int32", "int64", "uint8")


def _norm_axis(op, axis, ndim):
    if axis is None:
        return None
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise MXNetError(f"{op}: axis {axis} is out of range for {ndim} dimensions")
    return axis % max(ndim, 1)


def _sort_shape(op):
    def infer(attrs, s):
        if s[0] is None:
            return s, [None]
        shape = tuple(s[0])
        if attrs.axis is None:
            n = 1
            for d in shape:
                n *= d
            return s, [(n,)]
        _norm_axis(op, attrs.axis, len(shape))
        return s, [shape]
    return infer


def _order(xp, op, attrs, data):
    """(data as sorted, indices that sort it along the sorted axis, that axis)."""
    axis = _norm_axis(op, attrs.axis, data.ndim)
    if axis is None or data.ndim == 0:
        data, axis = data.reshape(-1), 0
    idx = xp.argsort(data, axis=axis, kind="stable")
    if not attrs.is_ascend:
        idx = xp.flip(idx, axis=axis)
    return data, idx, axis


def _sort_grad(F, attrs, ins, outs, g):
    return [F._internal._backward_npi_sort(g[0], ins[0], axis=attrs.axis,
                                           is_ascend=attrs.is_ascend)]


@register("_npi_sort", inputs=("data",), params={"axis": _AXIS, "is_ascend": _ASCEND},
          infer_shape=_sort_shape("_npi_sort"), infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_sort_grad)
def _npi_sort(xp, attrs, data):
    """A sorted copy of data along `axis` (the flattened array when None)."""
    flat, idx, axis = _order(xp, "_npi_sort", attrs, data)
    return xp.take_along_axis(flat, idx, axis=axis)


@register("_backward_npi_sort", inputs=("ograd", "data"),
          params={"axis": _AXIS, "is_ascend": _ASCEND},
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[0]]))
def _backward_npi_sort(xp, attrs, ograd, data):
    """Each output gradient sent back to the input element sorted into its place."""
    _, idx, axis = _order(xp, "_backward_npi_sort", attrs, data)
    # The inverse permutation gathers, which every array module has (CuPy lacks a scatter).
    back = xp.argsort(idx, axis=axis)
    return xp.take_along_axis(ograd.reshape(idx.shape), back, axis=axis).reshape(data.shape)


def _zero_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(ins[0])]


@register("_npi_argsort", inputs=("data",),
          params={"axis": _AXIS, "is_ascend": _ASCEND,
                  "dtype": Param("dtype", "float32", choices=_INDEX_TYPES,
                                 doc="Dtype of the indices.")},
          infer_shape=_sort_shape("_npi_argsort"), infer_type=lambda attrs, t: (t, [attrs.dtype]),
          gradient=_zero_grad)
def _npi_argsort(xp, attrs, data):
    """Indices that sort data along `axis` (the flattened array when None)."""
    _, idx, _ = _order(xp, "_npi_argsort", attrs, data)
    return idx.astype(attrs.dtype)


def _unique_outputs(attrs):
    return 1 + int(attrs.return_index) + int(attrs.return_inverse) + int(attrs.return_counts)


@register("_npi_unique", inputs=("data",),
          params={"return_index": Param("bool", False, doc="Also the first index of each."),
                  "return_inverse": Param("bool", False, doc="Also the indices rebuilding "
                                          "data from the unique values."),
                  "return_counts": Param("bool", False, doc="Also the count of each."),
                  "axis": Param("int", None, doc="Axis of the slices compared (None: "
                                "elements of the flattened array).")},
          num_outputs=_unique_outputs,
          infer_shape=lambda attrs, s: (s, [None] * _unique_outputs(attrs)),
          infer_type=lambda attrs, t: (t, t[:1] + ["int64"] * (_unique_outputs(attrs) - 1)),
          gradient=lambda F, attrs, ins, outs, g: [F.zeros_like(ins[0])])
def _npi_unique(xp, attrs, data):
    """The sorted unique elements (or slices along `axis`) of data, with the
    first indices, the inverse indices and the counts the flags ask for."""
    axis = attrs.axis
    if axis is not None:
        if data.ndim == 0:
            raise MXNetError("_npi_unique: axis must be None for a 0-d input")
        axis = _norm_axis("_npi_unique", axis, data.ndim)
    res = xp.unique(data, return_index=attrs.return_index,
                    return_inverse=attrs.return_inverse, return_counts=attrs.return_counts,
                    axis=axis)
    if not isinstance(res, tuple):
        return res
    values, extra = res[0], [r.astype("int64") for r in res[1:]]
    if attrs.return_inverse:  # 1-d as in MXNet, whatever NumPy's version makes of it
        k = 1 + int(attrs.return_index)
        extra[k - 1] = extra[k - 1].reshape(-1)
    return (values, *extra)


@register("_npi_nonzero", inputs=("x",),
          infer_shape=lambda attrs, s: (s, [None]), infer_type=lambda attrs, t: (t, ["int64"]),
          gradient=_zero_grad)
def _npi_nonzero(xp, attrs, x):
    """Coordinates of the nonzero elements of x, one row each (N x ndim; a 0-d
    input counts as 1-d)."""
    if x.ndim == 0:
        x = x.reshape(1)
    return xp.argwhere(x).astype("int64")
