"""Array modules of devices: NumPy for cpu, CuPy for gpu.

Kernels are written against an array module ``xp``; this file maps a
Context to its module and moves data between host and device.
"""
import numpy as np

from .base import MXNetError


def _cupy(ctx):
    try:
        import cupy
    except ImportError:
        raise MXNetError(f"{ctx}: GPU arrays need CuPy (pip install cupy-cuda12x); "
                         f"it is not installed") from None
    if ctx.device_id >= cupy.cuda.runtime.getDeviceCount():
        raise MXNetError(f"{ctx}: no such GPU (found "
                         f"{cupy.cuda.runtime.getDeviceCount()})")
    return cupy


def array_module(ctx):
    """NumPy for host devices, CuPy for ``gpu(i)``."""
    if ctx.device_type == "gpu":
        return _cupy(ctx)
    return np


def from_numpy(data, ctx):
    """Copy host array ``data`` to device ``ctx`` (no copy for host devices)."""
    if ctx.device_type != "gpu":
        return data
    cupy = _cupy(ctx)
    with cupy.cuda.Device(ctx.device_id):
        return cupy.asarray(data)


def to_numpy(data):
    """A host NumPy array with the values of device array ``data``."""
    if isinstance(data, np.ndarray):
        return data.copy()
    return data.get()
