"""Pooling (forward and backward) on oneDNN: max and avg pooling, 1-D to 3-D,
global or windowed, 'valid', 'full' and 'same' conventions.

MXNet's output size sets oneDNN's right padding: the padding itself, or
more where a 'full' window overhangs the input (max pooling and avg pooling
that excludes padding skip those cells, as MXNet does). Avg pooling that
counts padding is covered only where no window overhangs, because MXNet
does not count the overhang while oneDNN would. The max-pooling gradient
needs the forward's workspace (where each maximum was), so the backward runs
the forward again in training mode; ties go to the first maximum of a window,
as in the NumPy kernel. Inside compiled inference programs the forward
takes and gives tensors in oneDNN's blocked layouts (``LayoutKernel``).
"""
import numpy as np

from ...ops.nn_pool import PoolGeometry
from . import library as L
from .overrides import all_float32, big_enough, contiguous, fallback, override
from .primitive import (Blocked, Primitive, cache, create_pd, destroy_pd, empty, layout,
                        strided_md, tag_md)


def _supports(attrs, args):
    data = args[-2] if len(args) > 1 else args[0]
    return attrs.pool_type in ("max", "avg") and 3 <= data.ndim <= 5 and all_float32(args) \
        and big_enough(data)


def _channels_first(pg, a):
    return np.moveaxis(a, -1, 1) if pg.channels_last else a


def _algorithm(attrs, pg):
    """(oneDNN algorithm, right padding), or None where oneDNN differs from MXNet."""
    pad_r = tuple(max(a, b) for a, b in zip(pg.pad_after, pg.pad_before))
    if max(max(pg.pad_before), max(pad_r)) >= min(pg.kernel):
        return None  # windows lying wholly in the padding
    if attrs.pool_type == "max":
        return L.POOLING_MAX, pad_r
    include = attrs.count_include_pad is None or attrs.count_include_pad
    if not include:
        return L.POOLING_AVG_EXCLUDE_PADDING, pad_r
    if pad_r != tuple(pg.pad_before):
        return None
    return L.POOLING_AVG_INCLUDE_PADDING, pad_r


def _geometry(pg, pad_r):
    """strides, kernel, dilation (none), left and right padding as ``dnnl_dims_t``."""
    return (L.dims(pg.stride), L.dims(pg.kernel), L.dims([0] * len(pg.kernel)),
            L.dims(pg.pad_before), L.dims(pad_r))


def _forward_pd(prop, alg, src, dst, geometry):
    return create_pd("pooling_forward", prop, alg, src, dst, *geometry, None)


def _blocked_inputs(attrs, n_inputs):
    """The data may come blocked (channels-first layouts)."""
    return (0,) if attrs.get("layout") in (None, "NCW", "NCHW", "NCDHW") else ()


@override("Pooling", _supports, blocked_inputs=_blocked_inputs)
def _pooling(xp, attrs, data, keep_out=False):
    """Max or avg pooling with oneDNN. ``data`` may be ``Blocked``: the
    primitive then reads its layout as it is and writes the same kind of
    layout, left blocked with ``keep_out``."""
    pg = PoolGeometry("Pooling", attrs, data.shape)
    chosen = _algorithm(attrs, pg)
    out = empty(pg.output_shape(data.shape))
    blocked = data.layout if type(data) is Blocked else None
    x = data if blocked is not None else _channels_first(pg, contiguous(data))
    y = _channels_first(pg, out)
    prim = None
    if chosen is not None:
        alg, pad_r = chosen

        def build():
            src = strided_md(*layout(x)) if blocked is None else blocked.md
            user = {L.ARG_SRC: src, L.ARG_DST: strided_md(*layout(y))}
            # From a blocked source the primitive picks its destination layout.
            dst = user[L.ARG_DST] if blocked is None else tag_md(y.shape)
            pd = _forward_pd(L.FORWARD_INFERENCE, alg, src, dst, _geometry(pg, pad_r))
            return Primitive(pd, user, outputs=(L.ARG_DST,),
                             blocked=() if blocked is None else (L.ARG_SRC,))
        prim = cache.get(("pool", alg, blocked, layout(x), layout(y), pg.kernel, pg.stride,
                          pg.pad_before, pad_r), build)
    if prim is None:
        return fallback("Pooling", xp, attrs, (data,), {}, "has no pooling for this call")
    kept = prim({L.ARG_SRC: x, L.ARG_DST: y}, keep=(L.ARG_DST,) if keep_out else ())
    return kept.get(L.ARG_DST, out)


def _backward_primitives(alg, x, dy, dx, pg, pad_r):
    """(forward-training primitive or None, backward primitive) for these layouts."""
    def build():
        geometry = _geometry(pg, pad_r)
        src, dst = strided_md(*layout(x)), strided_md(*layout(dy))
        hint = _forward_pd(L.FORWARD_TRAINING, alg, src, dst, geometry)
        forward = None
        if alg == L.POOLING_MAX:
            forward = Primitive(hint, {L.ARG_SRC: src, L.ARG_DST: dst}, outputs=(L.ARG_DST,),
                                internal=(L.ARG_WORKSPACE,))
        try:
            user = {L.ARG_DIFF_SRC: strided_md(*layout(dx)), L.ARG_DIFF_DST: dst}
            pd = create_pd("pooling_backward", alg, user[L.ARG_DIFF_SRC], dst, *geometry,
                           hint, None)
            backward = Primitive(pd, user, outputs=(L.ARG_DIFF_SRC,),
                                 internal=(L.ARG_WORKSPACE,))
        finally:
            if forward is None:
                destroy_pd(hint)
        return forward, backward
    return cache.get(("pool_bwd", alg, layout(x), layout(dy), layout(dx), pg.kernel,
                      pg.stride, pg.pad_before, pad_r), build)


@override("_backward_Pooling", _supports)
def _backward_pooling(xp, attrs, out_grad, data, output):
    """Gradient of max or avg pooling w.r.t. its data, with oneDNN."""
    pg = PoolGeometry("Pooling", attrs, data.shape)
    chosen = _algorithm(attrs, pg)
    grad = np.empty(data.shape, np.float32)
    x = _channels_first(pg, contiguous(data))
    dy = _channels_first(pg, np.ascontiguousarray(out_grad))
    dx = _channels_first(pg, grad)
    prims = None if chosen is None else _backward_primitives(chosen[0], x, dy, dx, pg,
                                                             chosen[1])
    if prims is None:
        return fallback("_backward_Pooling", xp, attrs, (out_grad, data, output), {},
                        "has no pooling backward for this call")
    forward, backward = prims
    internal = None
    if forward is not None:
        workspace = np.empty(forward.internal_size(L.ARG_WORKSPACE), np.uint8)
        internal = {L.ARG_WORKSPACE: workspace}
        forward({L.ARG_SRC: x, L.ARG_DST: np.empty_like(dy)}, internal)
    backward({L.ARG_DIFF_SRC: dx, L.ARG_DIFF_DST: dy}, internal)
    return grad
