"""FullyConnected on oneDNN's inner product.

The data is viewed as a matrix (batch, features): all axes after the first
folded when ``flatten``, all but the last otherwise. Data, weight and output
keep their plain row-major layouts, where oneDNN runs its GEMM directly.
"""
import numpy as np

from ...ops import registry
from . import library as L
from .overrides import all_float32, big_enough_product, fallback, override
from .primitive import Primitive, cache, create_pd, empty, layout, strided_md

_OP = registry.get("FullyConnected")


def _supports(attrs, args):
    return args[0].ndim >= 1 and all_float32(args) and big_enough_product(args[0],
                                                                           attrs.num_hidden)


@override("FullyConnected", _supports)
def _fully_connected(xp, attrs, data, weight, bias=None):
    """``data @ weight.T + bias`` with oneDNN's inner product."""
    shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
    out_shape = _OP.infer_shape(attrs, shapes)[1][0]
    x = np.ascontiguousarray(data).reshape(-1, weight.shape[1])
    w = np.ascontiguousarray(weight)
    out = empty(out_shape)
    y = out.reshape(x.shape[0], w.shape[0])
    key = ("inner_product", x.shape, w.shape, bias is not None)

    def build():
        user = {L.ARG_SRC: strided_md(*layout(x)), L.ARG_WEIGHTS: strided_md(*layout(w)),
                L.ARG_DST: strided_md(*layout(y))}
        if bias is not None:
            user[L.ARG_BIAS] = strided_md(*layout(bias))
        pd = create_pd("inner_product_forward", L.FORWARD_INFERENCE, user[L.ARG_SRC],
                       user[L.ARG_WEIGHTS], user.get(L.ARG_BIAS), user[L.ARG_DST], None)
        return Primitive(pd, user, outputs=(L.ARG_DST,))

    prim = cache.get(key, build)
    if prim is None:
        return fallback("FullyConnected", xp, attrs, (data, weight, bias)[:len(shapes)], {},
                        "has no inner product for this call")
    args = {L.ARG_SRC: x, L.ARG_WEIGHTS: w, L.ARG_DST: y}
    if bias is not None:
        args[L.ARG_BIAS] = np.ascontiguousarray(bias)
    prim(args)
    return out
