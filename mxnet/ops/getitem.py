"""The operators behind ``NDArray.__getitem__`` when the result is a copy.

``_index`` applies a NumPy index (basic or advanced) and gives MXNet 1.x
shapes (a 0-d result becomes shape (1,)); ``_index_backward`` scatters a
gradient back to the indexed positions, adding where indices repeat.
"""
import numpy as np

from .params import Param
from .registry import register


def _index_grad(F, attrs, ins, outs, g):
    return [F._internal._index_backward(g[0], ins[0], key=attrs.key)]


@register("_index", params={"key": Param("any", doc="A NumPy index.")},
          infer_shape=lambda attrs, s: (s, [None]), infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=_index_grad)
def _index(xp, attrs, data):
    """``data[key]`` as a new array."""
    out = data[attrs.key]
    if not isinstance(out, xp.ndarray) or np.shares_memory(out, data):
        out = xp.array(out, copy=True)
    return out.reshape(out.shape or (1,))


@register("_index_backward", inputs=("grad", "like"), params={"key": Param("any")},
          infer_shape=lambda attrs, s: (s, [s[1]]), infer_type=lambda attrs, t: (t, [t[1]]),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._index(g[0], key=attrs.key), None])
def _index_backward(xp, attrs, grad, like):
    """Zeros shaped like ``like`` with ``grad`` added at ``key``."""
    out = xp.zeros_like(like)
    xp.add.at(out, attrs.key, grad.reshape(like[attrs.key].shape))
    return out
