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


def _common_layout(plan, args):
    """The unpadded layout of the first blocked input when every input has
    the group's shape and dtype (float32), else None."""
    if plan.dtype != np.float32:
        return None
    held = None
    for a in args:
        if a.shape != plan.shape or a.dtype != np.float32:
            return None
        if held is None and type(a) is Blocked:
            held = a.layout
    if held is None or held.nbytes != int(np.prod(plan.shape)) * 4:
        return None
    return held


class BlockedElemwise:
    """The layout-aware kernel of fused steps: every input may be blocked.
    With one common unpadded layout the group runs over the buffers in that
    layout (plain inputs reordered into it) and its result stays there when
    ``keep_out``; otherwise it runs on plain arrays."""
    __slots__ = ()
    reusable = None

    @staticmethod
    def accepts(attrs, n_inputs):
        return tuple(range(n_inputs))

    def __call__(self, attrs, args, ctx, resources, keep_out, donated=()):
        held = _common_layout(attrs, args) if is_enabled("onednn") else None
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
