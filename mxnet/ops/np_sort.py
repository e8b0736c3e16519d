"""``_npi_sort``, ``_npi_argsort``, ``_npi_unique``, ``_npi_nonzero`` for ``mx.np``.

``_npi_sort`` and ``_npi_argsort`` are the legacy ``sort``/``argsort``
(stable; sort's gradient goes back to the element each output came from).
``unique`` and ``nonzero`` have data-dependent output shapes: their shape
inference leaves the outputs unknown until the kernel runs.
"""
from ..base import MXNetError
from .params import Param
from .registry import add_alias, register

# MXNet declares these as other names of the legacy operators, so graphs store
# 'sort' and 'argsort'; the legacy kernels are stable and flatten for axis=None.
add_alias("_npi_sort", "sort")
add_alias("_npi_argsort", "argsort")


def _norm_axis(op, axis, ndim):
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise MXNetError(f"{op}: axis {axis} is out of range for {ndim} dimensions")
    return axis % max(ndim, 1)


def _zero_grad(F, attrs, ins, outs, g):
    return [F.zeros_like(ins[0])]


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
