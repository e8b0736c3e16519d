"""``_npi_*`` indexing operators behind ``mx.np.ndarray`` indexing.

``_npi_boolean_mask`` is MXNet's operator for ``a[mask]``: it keeps the
positions where an n-d boolean mask, laid over the axes from ``axis`` on, is
true (the output length is known only after running). ``_np_getitem`` takes
any other NumPy index (basic or advanced) as a parameter and gives NumPy's
result shape (an all-integer index gives a 0-d array, unlike the legacy
``_index``); its gradient, ``_backward_np_getitem``, scatters back to the
indexed positions, adding where advanced indices repeat. Both gradients are
again indexing operators, so higher-order gradients work.
"""
import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register


def device_key(xp, key):
    """``key`` with its NumPy index arrays moved to the array module ``xp``
    (CuPy cannot index with host arrays)."""
    if xp is np:
        return key
    if isinstance(key, tuple):
        return tuple(xp.asarray(k) if isinstance(k, np.ndarray) else k for k in key)
    return xp.asarray(key) if isinstance(key, np.ndarray) else key


def _getitem_shape(attrs, shapes):
    """NumPy's result shape, found by indexing a zero-stride stand-in of the input."""
    shape = shapes[0]
    if shape is None:
        return shapes, [None]
    stand_in = np.broadcast_to(np.empty((), dtype=bool), tuple(shape))
    try:
        return shapes, [np.shape(stand_in[attrs.key])]
    except (IndexError, TypeError, ValueError) as e:
        raise MXNetError(f"_np_getitem: index {attrs.key!r} does not fit an input of "
                         f"shape {tuple(shape)}: {e}") from None


def _getitem_grad(F, attrs, ins, outs, g):
    return [F._internal._backward_np_getitem(g[0], ins[0], key=attrs.key)]


@register("_np_getitem", params={"key": Param("any", doc="A NumPy index.", optional=True)},
          infer_shape=_getitem_shape, infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_getitem_grad)
def _np_getitem(xp, attrs, data):
    """``data[key]`` with NumPy's semantics, as a new array."""
    out = data[device_key(xp, attrs.key)]
    return xp.array(out, copy=True)


@register("_backward_np_getitem", inputs=("grad", "like"),
          params={"key": Param("any", optional=True)},
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[1]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._np_getitem(g[0], key=attrs.key), None])
def _backward_np_getitem(xp, attrs, grad, like):
    """Zeros shaped like ``like`` with ``grad`` added at ``key``."""
    key = device_key(xp, attrs.key)
    out = xp.zeros(like.shape, dtype=grad.dtype)
    xp.add.at(out, key, grad)
    return out


def _mask_axes(attrs, data_shape, mask_shape):
    """First axis the mask covers, after checking it fits ``data_shape`` there."""
    ndim, k = len(data_shape), len(mask_shape)
    axis = attrs.axis + ndim if attrs.axis < 0 else attrs.axis
    if not 0 <= axis <= ndim - k or tuple(data_shape[axis:axis + k]) != tuple(mask_shape):
        raise MXNetError(f"_npi_boolean_mask: index of shape {tuple(mask_shape)} does not fit "
                         f"data of shape {tuple(data_shape)} from axis {attrs.axis}: expected "
                         f"the mask's shape to equal the data's dimensions it covers")
    return axis


def _mask_type(attrs, types):
    return types, [types[0]]


@register("_npi_boolean_mask", inputs=("data", "index"), params={"axis": Param("int", 0)},
          infer_shape=lambda attrs, s: (s, [None]), infer_type=_mask_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_np_boolean_mask(
              g[0], ins[1], ins[0], axis=attrs.axis), None])
def _npi_boolean_mask(xp, attrs, data, index):
    """The elements (or sub-arrays) of ``data`` where ``index`` is true, ``index``
    covering the axes of ``data`` from ``axis`` on; they are stacked on one axis."""
    axis = _mask_axes(attrs, data.shape, index.shape)
    key = (slice(None),) * axis + (index.astype(bool),)
    return xp.array(data[key], copy=True)


@register("_backward_np_boolean_mask", inputs=("grad", "index", "like"),
          params={"axis": Param("int", 0)},
          infer_shape=lambda attrs, s: (s, [s[2]]), infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [
              F._internal._npi_boolean_mask(g[0], ins[1], axis=attrs.axis), None, None])
def _backward_np_boolean_mask(xp, attrs, grad, index, like):
    """Gradient of ``_npi_boolean_mask``: ``grad`` back at the kept positions,
    zeros elsewhere."""
    axis = _mask_axes(attrs, like.shape, index.shape)
    out = xp.zeros(like.shape, dtype=grad.dtype)
    out[(slice(None),) * axis + (index.astype(bool),)] = grad
    return out


@register("_npi_share_memory", inputs=("a", "b"),
          infer_shape=lambda attrs, shapes: (shapes, [()]),
          infer_type=lambda attrs, types: (types, ["bool"]))
def _npi_share_memory(xp, attrs, a, b):
    """Whether ``a`` and ``b`` overlap in memory (a 0-d bool): views of one array
    do where their elements meet."""
    return xp.asarray(bool(xp.shares_memory(a, b)))
