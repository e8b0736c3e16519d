"""What every oneDNN kernel override shares: registration under the
``onednn`` backend switch, the tests of ``supports`` (float32, big enough)
and the fallback to the operator's default kernel when oneDNN has no
implementation.
"""
import logging

import numpy as np

from ...ops import registry
from .. import register_kernel

_log = logging.getLogger("mxnet.backends.dnnl")
registered = []

# Below these sizes the NumPy kernels are faster: waking oneDNN's thread team
# costs more than the work itself (measured on 2 vCPUs). Read at each call.
MIN_ELEMENTS = 1 << 16   # memory-bound operators: elements of the data
MIN_WORK = 1 << 18       # convolution and inner product: data size * output channels


def override(op_name, supports):
    """Decorator: register the function as ``op_name``'s oneDNN kernel on cpu."""
    def wrap(kernel):
        register_kernel(op_name, "cpu", kernel, supports, backend="onednn")
        registered.append(op_name)
        return kernel
    return wrap


def all_float32(arrays):
    """Whether every given array is a non-empty float32 array (None entries skipped)."""
    for a in arrays:
        if a is not None and (type(a) is not np.ndarray or a.dtype != np.float32
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
    return registry.get(op_name).compute(xp, attrs, *args, **resources)


def contiguous(a):
    """``a`` itself when oneDNN can bind it (positive strides), else a C-ordered copy."""
    return a if min(a.strides, default=1) > 0 else np.ascontiguousarray(a)
