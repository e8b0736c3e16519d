"""Device types: what array module a device uses and how data crosses to the host.

Built in: ``cpu`` (also ``cpu_pinned``, ``cpu_shared``), NumPy; ``gpu``, CuPy
(optional). A plugin adds a device type with ``register_device``: its name,
an array module, copies to and from host NumPy arrays, and whether the
default kernels (written against an array module ``xp``) can run on its
arrays. Kernels of its own come through ``mxnet.backends.register_kernel``;
any other operator runs on the host with copies in and out (see
``mxnet.backends.compute``). Device arrays must expose ``shape``, ``dtype``,
``size`` and ``ndim``.
"""
import numpy as np

from .base import MXNetError
from .context import Context

__all__ = ["DeviceType", "register_device", "device_type", "array_module", "from_numpy",
           "to_numpy", "empty", "asynchronous", "synchronize", "synchronize_all"]


class DeviceType:
    """How one kind of device stores arrays (see module docstring)."""

    def __init__(self, name, typeid, array_module, to_host, from_host,
                 runs_default_kernels=True, empty=None, synchronize=None):
        self.name = name
        self.typeid = typeid
        self._array_module = array_module
        self.to_host = to_host
        self.from_host = from_host
        self.runs_default_kernels = runs_default_kernels
        # empty(shape, dtype, ctx): an uninitialised device array, allocated on the
        # device (without it, host memory is copied over).
        self.empty = empty or (lambda shape, dtype, ctx: from_host(np.empty(shape, dtype), ctx))
        # synchronize(ctx): wait for the work the device has queued (kernels run
        # asynchronously on a GPU after the engine has seen their call return).
        self.synchronize = synchronize

    def array_module(self, ctx):
        module = self._array_module
        return module(ctx) if callable(module) and not hasattr(module, "ndarray") else module

    def __repr__(self):
        return f"<DeviceType {self.name} ({self.typeid})>"


_TYPES = {}


def register_device(name, typeid, array_module, to_host, from_host, runs_default_kernels=True,
                    empty=None, synchronize=None):
    """Add a device type usable as ``mx.Context(name, i)``.

    ``array_module``: the module (or ``fn(ctx) -> module``) default kernels
    use on it; ``to_host(array) -> numpy.ndarray``; ``from_host(numpy_array,
    ctx) -> device array``; ``runs_default_kernels``: whether operators
    without a kernel of the device can run with its array module (CuPy can),
    otherwise they run on the host with copies in and out; ``empty(shape,
    dtype, ctx) -> device array`` (optional): uninitialised memory for
    operator outputs, allocated on the device instead of copied from the host;
    ``synchronize(ctx)`` (optional): wait for the device's queued work, for
    devices whose kernels return before their results are computed."""
    if typeid in _TYPES or name in Context.devstr2type:
        raise MXNetError(f"register_device: device {name!r} / type id {typeid} already exists")
    device = DeviceType(name, typeid, array_module, to_host, from_host, runs_default_kernels,
                        empty, synchronize)
    _TYPES[typeid] = device
    Context.devtype2str[typeid] = name
    Context.devstr2type[name] = typeid
    return device


def device_type(ctx):
    """The ``DeviceType`` of a Context."""
    try:
        return _TYPES[ctx.device_typeid]
    except KeyError:
        raise MXNetError(f"{ctx}: unknown device type") from None


# Contexts of devices with a synchronize hook that arrays were placed on: what
# waitall synchronizes.
_in_use = set()


def _cupy(ctx):
    try:
        import cupy
    except ImportError:
        raise MXNetError(f"{ctx}: GPU arrays need CuPy (pip install cupy-cuda12x); "
                         f"it is not installed") from None
    if ctx not in _in_use:  # checked once per GPU
        if ctx.device_id >= cupy.cuda.runtime.getDeviceCount():
            raise MXNetError(f"{ctx}: no such GPU (found {cupy.cuda.runtime.getDeviceCount()})")
        _in_use.add(ctx)
    return cupy


def _cupy_synchronize(ctx):
    cupy = _cupy(ctx)
    try:
        cupy.cuda.Device(ctx.device_id).synchronize()
    except cupy.cuda.runtime.CUDARuntimeError as err:
        raise MXNetError(f"{ctx}: {err}") from None


def _cupy_from_host(data, ctx):
    cupy = _cupy(ctx)
    with cupy.cuda.Device(ctx.device_id):
        return cupy.asarray(data)


def _cupy_empty(shape, dtype, ctx):
    cupy = _cupy(ctx)
    with cupy.cuda.Device(ctx.device_id):
        return cupy.empty(shape, dtype)


def _host_copy(data):
    return np.array(data, copy=True)


def _host_array(data, ctx):
    return data


for _name, _id in (("cpu", 1), ("cpu_pinned", 3), ("cpu_shared", 5)):
    _TYPES[_id] = DeviceType(_name, _id, np, _host_copy, _host_array)
_TYPES[2] = DeviceType("gpu", 2, _cupy, lambda a: a.get(), _cupy_from_host, empty=_cupy_empty,
                       synchronize=_cupy_synchronize)


def array_module(ctx):
    """The array module kernels use on ``ctx`` (NumPy on host devices)."""
    return device_type(ctx).array_module(ctx)


def _placed(device, ctx, array):
    if device.synchronize is not None:
        _in_use.add(ctx)
    return array


def from_numpy(data, ctx):
    """Device array on ``ctx`` with the values of host array ``data`` (no copy on cpu)."""
    device = device_type(ctx)
    return _placed(device, ctx, device.from_host(data, ctx))


def empty(shape, dtype, ctx):
    """An uninitialised device array on ``ctx``."""
    device = device_type(ctx)
    return _placed(device, ctx, device.empty(shape, dtype, ctx))


def asynchronous(ctx):
    """Whether kernels on ``ctx`` return before computing (GPU launches): there,
    running them in the caller already overlaps with the device's work."""
    return device_type(ctx).synchronize is not None


def synchronize(ctx):
    """Wait until device ``ctx`` has finished the work queued on it (a no-op
    for devices that compute before their kernels return, like the cpu)."""
    sync = device_type(ctx).synchronize
    if sync is not None:
        sync(ctx)


def synchronize_all():
    """``synchronize`` every device this process has placed arrays on."""
    for ctx in list(_in_use):
        synchronize(ctx)


def to_numpy(data, ctx=None):
    """A host NumPy copy of device array ``data``."""
    if isinstance(data, np.ndarray):
        return data.copy()
    if ctx is not None:
        return device_type(ctx).to_host(data)
    for device in _TYPES.values():
        if device.typeid not in (1, 3, 5):
            try:
                return device.to_host(data)
            except Exception:  # not this device's array type; try the next one
                continue
    raise MXNetError(f"to_numpy: cannot copy a {type(data).__name__} to the host")
