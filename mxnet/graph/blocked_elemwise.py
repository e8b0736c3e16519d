"""Fused elementwise steps (``fuse``) over tensors in oneDNN's blocked layouts.

An elementwise group computes each element from the same element of its
inputs, so it may run over the buffers of tensors held in one oneDNN
layout as well as over plain arrays, provided every input has the result's
shape and the layout holds the elements and nothing else (a channel count
that fills its blocks: no padding). That lets training programs keep a
ResNet's residual sums, their relu and the gradients through them blocked
between oneDNN's convolutions and batch norms (``plan.assign_layouts``).
Registered as the fused op's layout-aware kernel when oneDNN is loaded.
"""
import numpy as np

from ..backends import dnnl, is_enabled, register_layout_kernel
from .fuse import FUSED_OP


def _common_layout(plan, args, keep_out):
    """The unpadded layout to run the group in, or None for plain arrays.
    Every input must have the group's shape and dtype (float32); the layout
    is the one most inputs are in, so that fewest need a reorder. A result
    to give plain is computed there only when that needs fewer reorders
    (the inputs not in it, and the result) than making the inputs plain."""
    if plan.dtype != np.float32:
        return None
    held = {}
    for a in args:
        if a.shape != plan.shape or a.dtype != np.float32:
            return None
        if type(a) is Blocked:
            held[a.layout] = held.get(a.layout, 0) + 1
    if not held:
        return None
    best = max(held, key=held.get)
    if best.nbytes != int(np.prod(plan.shape)) * 4:
        return None
    if not keep_out and len(args) - held[best] + 1 > sum(held.values()):
        return None
    return best


class BlockedElemwise:
    """The layout-aware kernel of fused steps: every input may be blocked.
    In the layout ``_common_layout`` picks the group runs over the buffers
    (other inputs reordered into it) and its result stays there when
    ``keep_out``; otherwise it runs on plain arrays."""
    __slots__ = ()
    reusable = None

    @staticmethod
    def accepts(attrs, n_inputs):
        return tuple(range(n_inputs))

    def __call__(self, attrs, args, ctx, resources, keep_out, donated=()):
        held = _common_layout(attrs, args, keep_out) if is_enabled("onednn") else None
        if held is None:
            return FUSED_OP.compute(np, attrs, *[plain(a) for a in args], **resources)
        views = []
        for a in args:
            tensor = a.to(held) if type(a) is Blocked else blocked_from(a, held)
            # the buffer seen with the group's shape: the same element order for all
            views.append(tensor.buf.view(np.float32).reshape(attrs.shape))
        res = FUSED_OP.compute(np, attrs, *views, **resources)
        out = Blocked(np.ascontiguousarray(res).reshape(-1).view(np.uint8), held, attrs.shape)
        return out if keep_out else out.plain()


if dnnl.available:
    from ..backends.dnnl.primitive import Blocked, blocked_from, plain
    register_layout_kernel(FUSED_OP.name, BlockedElemwise())
