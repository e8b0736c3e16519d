"""Pooling (forward and backward) on oneDNN: max and avg pooling, 1-D to 3-D,
global or windowed, 'valid', 'full' and 'same' conventions.

MXNet's output size sets oneDNN's right padding: the padding itself, or
more where a 'full' window overhangs the input (max pooling and avg pooling
that excludes padding skip those cells, as MXNet does). Avg pooling that
counts padding is covered only where no window overhangs, because MXNet
does not count the overhang while oneDNN would. The max-pooling gradient
needs the forward's workspace (where each maximum was): a forward run in
training mode (``is_train``) keeps it beside its output, and the backward of
that output uses it; otherwise the backward runs the forward again. Ties go
to the first maximum of a window, as in the NumPy kernel. Inside compiled
programs the forward and (in training programs) the backward take and give
tensors in oneDNN's blocked layouts (``LayoutKernel``); a training forward
of blocked data keeps its workspace for the backward as on plain data.
"""
import weakref

import numpy as np

from ...ops.nn_pool import PoolGeometry
from . import library as L
from .overrides import all_float32, big_enough, contiguous, fallback, override
from .primitive import (Blocked, Primitive, cache, create_pd, destroy_pd, empty, layout,
                        plain, strided_md, tag_md)


def _supports(attrs, args):
    data = args[-2] if len(args) > 1 else args[0]
    # Data already in oneDNN's layout pools there whatever its size: the
    # NumPy kernel would first need it converted back to plain.
    return attrs.pool_type in ("max", "avg") and 3 <= data.ndim <= 5 and all_float32(args) \
        and (type(data) is Blocked or big_enough(data))


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
def _pooling(xp, attrs, data, keep_out=False, is_train=False):
    """Max or avg pooling with oneDNN. ``data`` may be ``Blocked``: the
    primitive then reads its layout as it is and writes the same kind of
    layout, left blocked with ``keep_out``. Max pooling in training mode on
    plain data keeps its workspace for the backward (``_workspaces``)."""
    pg = PoolGeometry("Pooling", attrs, data.shape)
    chosen = _algorithm(attrs, pg)
    out = empty(pg.output_shape(data.shape))
    blocked = data.layout if type(data) is Blocked else None
    x = data if blocked is not None else _channels_first(pg, contiguous(data))
    y = _channels_first(pg, out)
    if is_train and chosen is not None and chosen[0] == L.POOLING_MAX:
        prims = _backward_primitives(chosen[0], layout(x), layout(y),
                                     _grad_layout(pg, data.shape), pg, chosen[1]) \
            if blocked is None else _blocked_primitives(chosen[0], blocked, data.shape,
                                                         y.shape, pg, chosen[1])
        if prims is not None:
            return _workspaces.run_forward(prims[0], x, y, out, keep_out)
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


def _grad_layout(pg, shape):
    """Layout (shape, element strides) of the data gradient the backward
    writes: a C-contiguous array of ``shape``, seen channels first."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    strides.reverse()
    shape = tuple(shape)
    if pg.channels_last:
        shape = (shape[0], shape[-1]) + shape[1:-1]
        strides = [strides[0], strides[-1]] + strides[1:-1]
    return shape, tuple(strides)


class _Workspaces:
    """Workspaces of max-pooling forwards run in training mode, by output
    array. An entry lives as long as its output array (a weak reference), so
    the backward reading that very array finds the workspace of the forward
    that wrote it; anything else (a copy, another array) finds nothing."""

    def __init__(self):
        self._by_id = {}

    def run_forward(self, forward, x, y, out, keep_out=False):
        """Run training ``forward`` from ``x`` into ``y`` (a view of ``out``)
        and keep its workspace for the result, which is ``out`` or, with
        ``keep_out``, possibly a ``Blocked`` tensor (kept by its buffer)."""
        workspace = np.empty(forward.internal_size(L.ARG_WORKSPACE), np.uint8)
        kept = forward({L.ARG_SRC: x, L.ARG_DST: y}, {L.ARG_WORKSPACE: workspace},
                       keep=(L.ARG_DST,) if keep_out else ())
        result = kept.get(L.ARG_DST, out)
        array = _array_of(result)
        key = id(array)
        ref = weakref.ref(array, lambda r: self._drop(key, r))
        self._by_id[key] = (ref, forward, workspace)
        return result

    def _drop(self, key, ref):
        entry = self._by_id.get(key)
        if entry is not None and entry[0] is ref:
            del self._by_id[key]

    def take(self, output, forward):
        """The workspace ``forward`` left for ``output`` (an array or
        ``Blocked`` tensor), or None."""
        output = _array_of(output)
        entry = self._by_id.get(id(output))
        if entry is None or entry[0]() is not output or entry[1] is not forward:
            return None
        return entry[2]

    def __len__(self):
        return len(self._by_id)


def _array_of(result):
    """The NumPy array holding a pooling result (a ``Blocked`` tensor's buffer)."""
    return result.buf if type(result) is Blocked else result


_workspaces = _Workspaces()


def _backward_primitives(alg, x, dy, dx, pg, pad_r):
    """(forward-training primitive or None, backward primitive) for these
    layouts (each a (shape, element strides) pair)."""
    def build():
        geometry = _geometry(pg, pad_r)
        src, dst = strided_md(*x), strided_md(*dy)
        hint = _forward_pd(L.FORWARD_TRAINING, alg, src, dst, geometry)
        forward = None
        if alg == L.POOLING_MAX:
            forward = Primitive(hint, {L.ARG_SRC: src, L.ARG_DST: dst}, outputs=(L.ARG_DST,),
                                internal=(L.ARG_WORKSPACE,))
        try:
            user = {L.ARG_DIFF_SRC: strided_md(*dx), L.ARG_DIFF_DST: dst}
            pd = create_pd("pooling_backward", alg, user[L.ARG_DIFF_SRC], dst, *geometry,
                           hint, None)
            backward = Primitive(pd, user, outputs=(L.ARG_DIFF_SRC,),
                                 internal=(L.ARG_WORKSPACE,))
        finally:
            if forward is None:
                destroy_pd(hint)
        return forward, backward
    return cache.get(("pool_bwd", alg, x, dy, dx, pg.kernel, pg.stride, pg.pad_before, pad_r),
                     build)


def _blocked_primitives(alg, held, x_shape, y_shape, pg, pad_r):
    """(forward-training primitive or None, backward primitive) for data in
    Layout ``held``: the forward writes, and the backward reads and writes,
    the layouts oneDNN picks (plain arrays given for them are reordered)."""
    def build():
        geometry = _geometry(pg, pad_r)
        plain_x, plain_y = strided_md(*_grad_layout(pg, x_shape)), \
            strided_md(*_grad_layout(pg, y_shape))
        hint = _forward_pd(L.FORWARD_TRAINING, alg, held.md, tag_md(y_shape), geometry)
        forward = None
        if alg == L.POOLING_MAX:
            forward = Primitive(hint, {L.ARG_SRC: held.md, L.ARG_DST: plain_y},
                                outputs=(L.ARG_DST,), internal=(L.ARG_WORKSPACE,),
                                blocked=(L.ARG_SRC,))
        try:
            pd = create_pd("pooling_backward", alg, tag_md(x_shape), tag_md(y_shape),
                           *geometry, hint, None)
            backward = Primitive(pd, {L.ARG_DIFF_SRC: plain_x, L.ARG_DIFF_DST: plain_y},
                                 outputs=(L.ARG_DIFF_SRC,), internal=(L.ARG_WORKSPACE,))
        finally:
            if forward is None:
                destroy_pd(hint)
        return forward, backward
    return cache.get(("pool_blocked", alg, held, tuple(x_shape), tuple(y_shape), pg.kernel,
                      pg.stride, pg.pad_before, pad_r), build)


def _workspace(forward, data, output, y_shape):
    """The internal arguments of a backward: none for avg pooling, else the
    workspace the forward left for ``output``, or one from running it again."""
    if forward is None:
        return None
    workspace = _workspaces.take(output, forward)
    if workspace is None:
        workspace = np.empty(forward.internal_size(L.ARG_WORKSPACE), np.uint8)
        forward({L.ARG_SRC: data, L.ARG_DST: empty(y_shape)}, {L.ARG_WORKSPACE: workspace})
    return {L.ARG_WORKSPACE: workspace}


def _blocked_backward(pg, chosen, out_grad, data, output, keep_out):
    """The pooling gradient of ``Blocked`` data in its layout (left there with
    ``keep_out``), or None when oneDNN has no implementation."""
    y_shape = pg.output_shape(data.shape)
    prims = _blocked_primitives(chosen[0], data.layout, data.shape, y_shape, pg, chosen[1])
    if prims is None:
        return None
    forward, backward = prims
    internal = _workspace(forward, data, output, y_shape)
    grad = empty(data.shape)
    dy = out_grad if type(out_grad) is Blocked else np.ascontiguousarray(out_grad)
    kept = backward({L.ARG_DIFF_SRC: grad, L.ARG_DIFF_DST: dy}, internal,
                    keep=(L.ARG_DIFF_SRC,) if keep_out else ())
    return kept.get(L.ARG_DIFF_SRC, grad)


def _backward_blocked_inputs(attrs, n_inputs):
    """The output gradient, data and output may come blocked (channels-first layouts)."""
    return (0, 1, 2) if _blocked_inputs(attrs, n_inputs) else ()


@override("_backward_Pooling", _supports, blocked_inputs=_backward_blocked_inputs)
def _backward_pooling(xp, attrs, out_grad, data, output, keep_out=False):
    """Gradient of max or avg pooling w.r.t. its data, with oneDNN. Blocked
    data is worked on in its layout (the gradient stays there with
    ``keep_out``); other arguments may be ``Blocked`` too."""
    pg = PoolGeometry("Pooling", attrs, data.shape)
    chosen = _algorithm(attrs, pg)
    if type(data) is Blocked and chosen is not None:
        grad = _blocked_backward(pg, chosen, out_grad, data, output, keep_out)
        if grad is not None:
            return grad
    if type(data) is Blocked or type(out_grad) is Blocked:
        return _backward_pooling(xp, attrs, plain(out_grad), plain(data), output)
    grad = np.empty(data.shape, np.float32)
    x = _channels_first(pg, contiguous(data))
    dy = _channels_first(pg, np.ascontiguousarray(out_grad))
    dx = _channels_first(pg, grad)
    prims = None if chosen is None else _backward_primitives(
        chosen[0], layout(x), layout(dy), layout(dx), pg, chosen[1])
    if prims is None:
        return fallback("_backward_Pooling", xp, attrs, (out_grad, data, output), {},
                        "has no pooling backward for this call")
    forward, backward = prims
    internal = None
    if forward is not None:
        workspace = _workspaces.take(output, forward)
        if workspace is None:
            workspace = np.empty(forward.internal_size(L.ARG_WORKSPACE), np.uint8)
            forward({L.ARG_SRC: x, L.ARG_DST: np.empty_like(dy)},
                    {L.ARG_WORKSPACE: workspace})
        internal = {L.ARG_WORKSPACE: workspace}
    backward({L.ARG_DIFF_SRC: dx, L.ARG_DIFF_DST: dy}, internal)
    return grad
