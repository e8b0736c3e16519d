"""What every oneDNN kernel override shares: registration under the
``onednn`` backend switch, the float32 test of ``supports`` and the fallback
to the operator's default kernel when oneDNN has no implementation.
"""
import logging

import numpy as np

from ...ops import registry
from .. import register_kernel

_log = logging.getLogger("mxnet.backends.dnnl")
registered = []


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


def fallback(op_name, xp, attrs, args, resources, why):
    """Run ``op_name``'s default kernel (oneDNN has no implementation for this call)."""
    _log.debug("%s: oneDNN %s; running the default kernel", op_name, why)
    return registry.get(op_name).compute(xp, attrs, *args, **resources)


def contiguous(a):
    """``a`` itself when oneDNN can bind it (positive strides), else a C-ordered copy."""
    return a if min(a.strides, default=1) > 0 else np.ascontiguousarray(a)
