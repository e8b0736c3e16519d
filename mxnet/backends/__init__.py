"""Kernel overrides with automatic fallback (MXNet's NNPACK / MKL-DNN model).

A backend contributes kernels for (operator, device type) pairs with a
``supports(attrs, arrays)`` test. ``compute`` runs an operator call: the
first enabled override whose test holds, else the operator's default kernel
on the device's array module, else (a device whose arrays the default
kernels cannot use) the default kernel on the host with copies in and out,
logged once per operator. Each backend can be switched off with
``MXNET_<NAME>_ENABLED=0`` (oneDNN also answers to ``MXNET_MKLDNN_ENABLED``).
Which kernel ran is logged at DEBUG level on the ``mxnet.backends`` logger
and counted in ``kernel_counts`` while ``count_kernels`` is on.
"""
import collections
import contextlib
import logging
import os

import numpy as np

from ..base import MXNetError
from ..device import device_type
from ..ops import registry

__all__ = ["register_kernel", "compute", "is_enabled", "count_kernels", "kernel_counts"]

_log = logging.getLogger("mxnet.backends")
_ENV_ALIASES = {"onednn": ("MXNET_ONEDNN_ENABLED", "MXNET_MKLDNN_ENABLED")}
_fallback_logged = set()
_counting = False
kernel_counts = collections.Counter()


class KernelOverride:
    """A backend's kernel for one operator on one device type."""
    __slots__ = ("backend", "device", "kernel", "supports")

    def __init__(self, backend, device, kernel, supports):
        self.backend = backend
        self.device = device
        self.kernel = kernel
        self.supports = supports


def register_kernel(op_name, device, kernel, supports=None, backend="custom"):
    """Use ``kernel(xp, attrs, *inputs, **resources)`` for ``op_name`` on
    devices of type ``device`` whenever ``supports(attrs, inputs)`` holds
    (always, when None). Overrides registered first are tried first."""
    op = registry.get(op_name)
    override = KernelOverride(backend, device, kernel, supports)
    op.overrides.setdefault(device, []).append(override)
    return override


# backend -> (os.environ when cached, the mapping to read, its keys for the switches)
_switches = {}
_switch_values = {}  # raw environment value -> whether it switches a backend on


def _switch_keys(backend):
    """Where to read ``backend``'s switches: ``os.environ.get`` encodes the key
    and raises and catches a KeyError for every unset name (over a microsecond
    each, on every call of an op with an override), so when CPython exposes
    the mapping's backing dict we look the encoded names up there directly."""
    names = _ENV_ALIASES.get(backend, (f"MXNET_{backend.upper()}_ENABLED",))
    environ = os.environ
    data = getattr(environ, "_data", None)
    if type(data) is dict and hasattr(environ, "encodekey"):
        return environ, data, tuple(environ.encodekey(n) for n in names)
    return environ, environ, names


def is_enabled(backend):
    """Whether ``backend`` is switched on (``MXNET_<BACKEND>_ENABLED``, default on).

    The environment is read at every call, so setting the variable from
    Python takes effect at the next operator call."""
    keys = _switches.get(backend)
    if keys is None or keys[0] is not os.environ:  # os.environ itself may be replaced
        keys = _switches[backend] = _switch_keys(backend)
    _, env, names = keys
    for name in names:
        value = env.get(name)
        if value is not None:
            on = _switch_values.get(value)
            if on is None:
                text = os.fsdecode(value).strip().lower()
                on = _switch_values[value] = text not in ("0", "false", "off", "no")
            return on
    return True


_layout_kernels = {}  # op name -> a backend's layout-aware kernel (see graph/plan.py)


def register_layout_kernel(op_name, kernel):
    """Declare ``kernel(attrs, args, ctx, resources, keep_out, donated)`` as the
    kernel of ``op_name`` that takes (at the input positions
    ``kernel.accepts(attrs, n_inputs)`` lists) and, with ``keep_out``, gives
    tensors in its backend's own layout; compiled programs pass such tensors
    between these kernels. ``kernel.reusable(attrs, n_inputs)`` (or None)
    lists inputs whose storage it can write its output into; the program
    passes as ``donated`` those it reads for the last time there."""
    _layout_kernels[op_name] = kernel


def layout_kernel(op_name):
    """The layout-aware kernel of ``op_name``, or None."""
    return _layout_kernels.get(op_name)


def count(op_name, backend):
    """Record that ``backend`` ran ``op_name`` (inside ``count_kernels``)."""
    if _counting:
        kernel_counts[(op_name, backend)] += 1


@contextlib.contextmanager
def count_kernels():
    """Count which backend ran each operator inside the block (``kernel_counts``)."""
    global _counting
    prev, _counting = _counting, True
    kernel_counts.clear()
    try:
        yield kernel_counts
    finally:
        _counting = prev


def _select(op, device_name, attrs, args):
    for o in op.overrides.get(device_name, ()):
        if is_enabled(o.backend) and (o.supports is None or o.supports(attrs, args)):
            return o
    return None


def compute(op, attrs, args, ctx, resources):
    """Run ``op`` on device arrays ``args`` of ``ctx``; returns the kernel's result."""
    if ctx.device_typeid == 1:
        return compute_host(op, attrs, args, resources)
    device = device_type(ctx)
    override = _select(op, device.name, attrs, args) if op.overrides else None
    if override is not None:
        _ran(op, override.backend, ctx)
        return override.kernel(device.array_module(ctx), attrs, *args, **resources)
    _ran(op, "default", ctx)
    if device.runs_default_kernels:
        return op.compute(device.array_module(ctx), attrs, *args, **resources)
    return _on_host(op, attrs, args, ctx, device, resources)


_NO_RESOURCES = {}  # never written


def compute_host(op, attrs, args, resources=_NO_RESOURCES):
    """``compute`` on the cpu, where most imperative calls run: no device lookup."""
    override = _select(op, "cpu", attrs, args) if op.overrides else None
    if override is not None:
        _ran(op, override.backend, "cpu")
        return override.kernel(np, attrs, *args, **resources)
    if _counting:
        kernel_counts[(op.name, "default")] += 1
    return op.compute(np, attrs, *args, **resources)


def _ran(op, backend, where):
    if _counting:
        kernel_counts[(op.name, backend)] += 1
    if backend != "default" and _log.isEnabledFor(logging.DEBUG):
        _log.debug("%s on %s: %s kernel", op.name, where, backend)


def _on_host(op, attrs, args, ctx, device, resources):
    key = (op.name, device.name)
    if key not in _fallback_logged:
        _fallback_logged.add(key)
        why = "its kernel declined this call" if op.overrides.get(device.name) else \
            "there is no kernel for it"
        _log.warning("%s on device %s: %s; running it on the cpu with copies in and out",
                     op.name, device.name, why)
    host_args = [device.to_host(a) for a in args]
    res = op.compute(np, attrs, *host_args, **resources)
    for i in op.mutate_inputs(attrs, len(args)):
        # In-place updates (optimizer states) must reach the device copy too.
        args[i][...] = device.from_host(host_args[i], ctx)
    if type(res) is tuple:
        return tuple(device.from_host(np.asarray(r), ctx) for r in res)
    return device.from_host(np.asarray(res), ctx)


def check_device_array(device_name, array):
    """Raise a clear error when a plugin array lacks what NDArray needs."""
    for attr in ("shape", "dtype", "size", "ndim"):
        if not hasattr(array, attr):
            raise MXNetError(f"device {device_name}: its arrays must have .{attr}")


from . import dnnl  # noqa: E402,F401  (oneDNN kernel overrides; registers nothing without the library)
