"""Repeating a compiled step's oneDNN call without working it out again.

A compiled inference plan calls a kernel with the same kinds of arguments
run after run: activations of one shape in one layout, parameters at one
write version. Working the call out (geometry, folded and packed weights,
cache keys, each argument's way in) costs about 30 us of Python per step
when hot, and several times that after a large primitive has flushed the
caches: most of a batch-1 inference's time outside oneDNN. So a kernel
keeps what it worked out as a ``Replay``, stored like folded weights with
the parameter (``nn_fused.derived``: dropped when a parameter is written or
freed), and a later call of the same kind only binds its data and output
buffers and runs the primitive.
"""
import numpy as np

from ...ops import nn_fused
from . import library as L
from .primitive import Blocked, _aligned, address, empty


def slot(attrs, data, weight, consts, const_vars, extra=()):
    """The one-element list holding the ``Replay`` of a call on ``data`` with
    parameters ``consts`` (``weight`` first) at ``const_vars``' versions (known:
    calls whose parameter versions are unknown are not repeated). The
    element is None until the first such call records one."""
    blocked = data.layout if type(data) is Blocked else None
    key = ("onednn-replay", id(attrs), blocked, data.shape, data.strides, extra)
    return nn_fused.derived(weight, consts, const_vars, key, lambda: [None])


class Replay:
    """One recorded call of a primitive reading ``data`` (argument ``src``)
    and writing its result (argument ``dst``) to a new buffer, or over the
    ``Blocked`` summand it adds to; its other arguments are bound to the
    same buffers each time (weights, bias)."""
    __slots__ = ("attrs", "prim", "roles", "fixed", "_hold", "out_layout", "out_shape", "into")

    def __init__(self, attrs, prim, roles, fixed, hold, out_layout, out_shape, into):
        self.attrs, self.prim, self.roles = attrs, prim, roles
        self.fixed = fixed          # addresses of the arguments after src and dst
        self._hold = hold           # the arrays behind them the parameters do not hold
        self.out_layout, self.out_shape, self.into = out_layout, out_shape, into

    @classmethod
    def record(cls, attrs, prim, src, dst, others, weight, out_shape, into=False):
        """The ``Replay`` of a call that bound ``src`` (an array or ``Blocked``
        tensor), ``dst`` (a plain output array, or a ``Blocked`` one in the
        primitive's layout: new, or with ``into`` the summand it wrote over
        as it was)
        and ``others`` ({arg id: (kind, array)}, kinds as in
        ``Primitive.direct_roles``), or None when one of them went through a
        reorder. Arrays of ``others`` sharing memory with ``weight`` are not
        held: the record lives only while it does."""
        blocked_dst = "blocked" if into else "kept"
        kinds = {L.ARG_SRC: "blocked" if type(src) is Blocked else "plain",
                 L.ARG_DST: blocked_dst if type(dst) is Blocked else "plain"}
        kinds.update((arg, kind) for arg, (kind, _) in others.items())
        roles = prim.direct_roles(kinds)
        if roles is None or (type(src) is Blocked and src.layout is not prim.blocks(L.ARG_SRC)):
            return None
        arrays = [a for _, a in others.values()]
        hold = tuple(a for a in arrays if not np.may_share_memory(a, weight))
        return cls(attrs, prim, roles, tuple(address(a) for a in arrays), hold,
                   dst.layout if type(dst) is Blocked else None, out_shape, into)

    def __call__(self, attrs, data, summand=None):
        """Run on ``data`` (and the ``Blocked`` ``summand`` a summing call
        writes over), as at the recording; the result, or None when
        ``attrs`` is not the recorded call's (an id reused)."""
        if attrs is not self.attrs:
            return None
        src = address(data.buf) if type(data) is Blocked else address(data)
        if self.into:
            summand.forget_conversions()
            out, dst = summand, address(summand.buf)
        elif self.out_layout is not None:
            buf = _aligned(self.out_layout.nbytes)
            out, dst = Blocked(buf, self.out_layout, self.out_shape), address(buf)
        else:
            out = empty(self.out_shape)
            dst = address(out)
        self.prim.run_direct(self.roles, (src, dst) + self.fixed)
        return out
