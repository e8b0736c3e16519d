"""What every oneDNN kernel override shares: registration under the
``onednn`` backend switch, the tests of ``supports`` (float32, big enough),
the fallback to the operator's default kernel when oneDNN has no
implementation, and the table of kernels that take and give tensors in
oneDNN's blocked layouts (``LayoutKernel``).
"""
import logging

import numpy as np

from ...ops import registry
from .. import compute, count, is_enabled, register_kernel, register_layout_kernel
from .primitive import Blocked, plain

_log = logging.getLogger("mxnet.backends.dnnl")
registered = []

# Below these sizes the NumPy kernels are faster: waking oneDNN's thread team
# costs more than the work itself (measured on 2 vCPUs). Read at each call.
MIN_ELEMENTS = 1 << 16   # memory-bound operators: elements of the data
MIN_WORK = 1 << 18       # convolution and inner product: data size * output channels


def override(op_name, supports, blocked_inputs=None, reusable_inputs=None):
    """Decorator: register the function as ``op_name``'s oneDNN kernel on cpu.

    ``blocked_inputs(attrs, n_inputs)``, when given, declares the kernel
    layout-aware: it takes ``Blocked`` tensors at those input positions and,
    called with ``keep_out=True``, may leave its output blocked (see
    ``LayoutKernel``). ``reusable_inputs(attrs, n_inputs)`` lists the
    positions whose ``Blocked`` tensor it can write its output over when the
    program has no further use for it (the kernel's ``donated`` argument)."""
    def wrap(kernel):
        register_kernel(op_name, "cpu", kernel, supports, backend="onednn")
        registered.append(op_name)
        if blocked_inputs is not None:
            register_layout_kernel(op_name, LayoutKernel(op_name, kernel, supports,
                                                         blocked_inputs, reusable_inputs))
        return kernel
    return wrap


class LayoutKernel:
    """A oneDNN kernel that passes activations on in oneDNN's own layouts.

    A compiled program lets a step's output stay ``Blocked`` when every step
    reading it has a ``LayoutKernel`` accepting it at that input position
    (``accepts``), and runs those steps through ``__call__``: the oneDNN
    kernel when it is switched on and takes the call, else the normal
    dispatch on plain arrays. So a blocked tensor never reaches other code.
    ``reusable(attrs, n_inputs)`` lists the input positions whose storage
    the kernel can take over for its output (none when None)."""
    __slots__ = ("op", "kernel", "supports", "accepts", "reusable")

    def __init__(self, op_name, kernel, supports, accepts, reusable=None):
        self.op = registry.get(op_name)
        self.kernel, self.supports, self.accepts = kernel, supports, accepts
        self.reusable = reusable

    def __call__(self, attrs, args, ctx, resources, keep_out, donated=()):
        """Run on ``args`` (arrays or ``Blocked``); with ``keep_out`` the result
        may be ``Blocked``. ``donated``: positions (among ``reusable``) of
        inputs nothing reads after this call, which the kernel may overwrite."""
        if is_enabled("onednn") and self.supports(attrs, args):
            count(self.op.name, "onednn")
            if donated:
                resources = dict(resources, donated=donated)
            return self.kernel(np, attrs, *args, keep_out=keep_out, **resources)
        return compute(self.op, attrs, [plain(a) for a in args], ctx, resources)


def all_float32(arrays):
    """Whether every given array is a non-empty float32 array or ``Blocked``
    tensor (None entries skipped)."""
    for a in arrays:
        if a is not None and (type(a) not in (np.ndarray, Blocked) or a.dtype != np.float32
                              or a.size == 0):
            return False
    return True


def big_enough(data):
    """Whether a memory-bound operator on ``data`` is worth oneDNN's call."""
    return data.size >= MIN_ELEMENTS


def big_enough_product(data, out_channels):
    """Whether a convolution or inner product of ``data`` to ``out_channels``
    channels is worth oneDNN's call."""
    return data.size * out_channels >= MIN_WORK


def fallback(op_name, xp, attrs, args, resources, why):
    """Run ``op_name``'s default kernel (oneDNN has no implementation for this call)."""
    _log.debug("%s: oneDNN %s; running the default kernel", op_name, why)
    return registry.get(op_name).compute(xp, attrs, *[plain(a) for a in args], **resources)


def contiguous(a):
    """``a`` itself when oneDNN can bind it (positive strides), else a C-ordered copy."""
    return a if min(a.strides, default=1) > 0 else np.ascontiguousarray(a)
