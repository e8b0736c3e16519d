"""FullyConnected on oneDNN's inner product.

The data is viewed as a matrix (batch, features): all axes after the first
folded when ``flatten``, all but the last otherwise. Data, weight and output
keep their plain row-major layouts, where oneDNN runs its GEMM directly. With
``MXNET_ONEDNN_SPLIT_GEMV=1`` a product of a few rows with large weights (a
layer at batch 1) is split by blocks of output channels over the cores
(``split.py``), for oneDNN builds that run such a GEMV on one thread. It is
off by default: the gomp build of oneDNN 3.2 already runs it on the whole
OpenMP team, and whole networks ran slower split (AlexNet batch 1, 2
threads, idle 2-core machine: 55-58 against 62-67 images/s unsplit).
"""
import os

import numpy as np

from ...ops import registry
from . import library as L
from .overrides import all_float32, big_enough_product, fallback, override
from .primitive import Attr, Primitive, cache, create_pd, empty, layout, strided_md, tag_md
from .split import run_parts, threads

_OP = registry.get("FullyConnected")

# Products of at most this many rows with at least this many weights are split
# over threads (when enabled): they are bound by memory bandwidth.
# Below 1M weights (4 MB, ~0.15 ms of GEMV) waking a helper costs about what
# the second core saves.
SPLIT_MAX_ROWS = 3
SPLIT_MIN_WEIGHTS = 1 << 20
# Output channels of a split part are a multiple of this (whole cache lines
# of the output, and whole vectors of the GEMV kernel).
_SPLIT_ALIGN = 16


def inner_product_primitive(x, w, b, y, post=(), packed=False):
    """Inner product ``y = post(x @ w.T + b)`` on these plain 2-D arrays
    (``b`` may be None); with ``packed`` the weights are taken in the layout
    oneDNN picks (the caller passes them reordered, see ``Primitive.pack``).
    None when oneDNN has no fast implementation."""
    def build():
        user = {L.ARG_SRC: strided_md(*layout(x)), L.ARG_WEIGHTS: strided_md(*layout(w)),
                L.ARG_DST: strided_md(*layout(y))}
        if b is not None:
            user[L.ARG_BIAS] = strided_md(*layout(b))
        weights = tag_md(w.shape) if packed else user[L.ARG_WEIGHTS]
        pd = create_pd("inner_product_forward", L.FORWARD_INFERENCE, user[L.ARG_SRC],
                       weights, user.get(L.ARG_BIAS), user[L.ARG_DST],
                       Attr(post) if post else None)
        return Primitive(pd, user, outputs=(L.ARG_DST,))
    return cache.get(("inner_product", layout(x), layout(w), None if b is None else b.shape,
                      layout(y), post, packed), build)


def _split_bounds(out_channels, parts):
    """Boundaries of up to ``parts`` blocks of output channels, aligned."""
    step = -(-out_channels // (parts * _SPLIT_ALIGN)) * _SPLIT_ALIGN
    return list(range(0, out_channels, step)) + [out_channels]


def _split_parts(x, w, b, y, post, workers):
    """(callables running the inner product by blocks of output channels,
    copies to make into ``y`` afterwards), or None when it is not worth
    splitting over ``workers`` threads (or a block has no fast primitive)."""
    if workers < 2 or x.shape[0] > SPLIT_MAX_ROWS or w.size < SPLIT_MIN_WEIGHTS \
            or os.environ.get("MXNET_ONEDNN_SPLIT_GEMV") != "1":
        return None
    bounds = _split_bounds(w.shape[0], workers)
    parts, copies = [], []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        # A block of a single row's output is contiguous and written in place;
        # oneDNN's GEMM does not write strided blocks of several rows.
        if y.shape[0] == 1:
            y_part = y.reshape(-1)[lo:hi].reshape(1, -1)
        else:
            y_part = np.empty((y.shape[0], hi - lo), np.float32)
            copies.append((y[:, lo:hi], y_part))
        args = {L.ARG_SRC: x, L.ARG_WEIGHTS: w[lo:hi], L.ARG_DST: y_part}
        if b is not None:
            args[L.ARG_BIAS] = b[lo:hi]
        prim = inner_product_primitive(x, args[L.ARG_WEIGHTS], args.get(L.ARG_BIAS), y_part,
                                       post)
        if prim is None:
            return None
        parts.append(lambda prim=prim, args=args: prim(args))
    return parts, copies


def run_inner_product(x, w, b, y, post=()):
    """Compute ``y = post(x @ w.T + b)`` (plain C-contiguous 2-D arrays, ``b``
    1-D or None) into ``y``, split over threads when that pays. Returns
    False when oneDNN has no implementation for it (nothing is written)."""
    workers = threads()
    split = _split_parts(x, w, b, y, post, workers)
    if split is not None:
        run_parts(split[0], workers)
        for dst, src in split[1]:
            dst[...] = src
        return True
    prim = inner_product_primitive(x, w, b, y, post)
    if prim is None:
        return False
    args = {L.ARG_SRC: x, L.ARG_WEIGHTS: w, L.ARG_DST: y}
    if b is not None:
        args[L.ARG_BIAS] = b
    prim(args)
    return True


def _supports(attrs, args):
    return args[0].ndim >= 1 and all_float32(args) and big_enough_product(args[0],
                                                                           attrs.num_hidden)


@override("FullyConnected", _supports)
def _fully_connected(xp, attrs, data, weight, bias=None):
    """``data @ weight.T + bias`` with oneDNN's inner product."""
    shapes = [data.shape, weight.shape] + ([] if bias is None else [bias.shape])
    out_shape = _OP.infer_shape(attrs, shapes)[1][0]
    x = np.ascontiguousarray(data).reshape(-1, weight.shape[1])
    out = empty(out_shape)
    b = None if bias is None else np.ascontiguousarray(bias)
    if not run_inner_product(x, np.ascontiguousarray(weight), b,
                             out.reshape(x.shape[0], weight.shape[0])):
        return fallback("FullyConnected", xp, attrs, (data, weight, bias)[:len(shapes)], {},
                        "has no inner product for this call")
    return out
