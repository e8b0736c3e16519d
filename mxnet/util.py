"""``mx.util``: NumPy-semantics switches, environment and GPU queries, decorators.

MXNet 1.x has two per-thread switches that move the legacy ``mx.nd`` front
end towards NumPy behaviour: *np-shape* (``()`` is a scalar shape, ``0`` a
real zero-size dimension and ``-1`` the unknown marker) and *np-array*
(Gluon blocks and ``npx.save``/``npx.load`` produce ``mx.np.ndarray``). Both
are stored here per thread. The ``mx.np`` functions have NumPy semantics
whatever the switches say; the switches change what the legacy front end and
Gluon do (files saved under np-shape use MXNet's NumPy-shape record format).
"""
import functools
import inspect
import os
import threading

from .base import MXNetError, c_str, check_call, py_str

__all__ = ["is_np_shape", "is_np_array", "set_np_shape", "set_np", "reset_np",
           "np_shape", "np_array", "use_np_shape", "use_np_array", "use_np",
           "set_module", "getenv", "setenv", "get_gpu_count", "get_gpu_memory",
           "get_cuda_compute_capability", "np_ufunc_legal_option",
           "wrap_np_unary_func", "wrap_np_binary_func", "c_str", "check_call", "py_str"]


class _Flags(threading.local):
    """The switches of one thread; a new thread starts with both off. The
    class defaults make reading an unset switch a plain attribute read (a
    missing attribute of a thread-local costs ~1 us; Block calls read it)."""
    shape = False
    array = False


_flags = _Flags()


def set_module(module):
    """Decorator that sets ``__module__`` of a function or class to
    ``module`` (so documentation shows the public path); ``None`` leaves it."""
    def decorate(func):
        if module is not None:
            func.__module__ = module
        return func
    return decorate


def is_np_shape():
    """Whether NumPy shape semantics are active in this thread."""
    return _flags.shape


def is_np_array():
    """Whether NumPy-array semantics are active in this thread."""
    return _flags.array


def set_np_shape(active):
    """Turn NumPy shape semantics on or off for this thread; returns the
    previous state. Under them ``()`` is a scalar's shape and ``0`` a real
    zero-size dimension."""
    active = bool(active)
    prev = is_np_shape()
    _flags.shape = active
    return prev


def _set_np_array(active):
    prev = is_np_array()
    _flags.array = bool(active)
    return prev


def set_np(shape=True, array=True):
    """Set both switches at once. NumPy-array semantics need NumPy shape
    semantics, so ``shape=False, array=True`` is a ``ValueError`` as in MXNet."""
    if not shape and array:
        raise ValueError("set_np: NumPy array semantics (array=True) need NumPy shape "
                         "semantics (shape=True)")
    set_np_shape(shape)
    _set_np_array(array)


def reset_np():
    """Turn both switches off in this thread (legacy MXNet semantics)."""
    set_np(shape=False, array=False)


class _SwitchScope:
    """``with``-scope that sets one switch on entry and restores it on exit."""

    def __init__(self, setter, active):
        self._setter = setter
        self._active = bool(active)
        self._prev = None

    def __enter__(self):
        self._prev = self._setter(self._active)
        return self

    def __exit__(self, *exc):
        self._setter(self._prev)


def np_shape(active=True):
    """Scope in which NumPy shape semantics are ``active``; the previous state
    comes back on exit."""
    return _SwitchScope(set_np_shape, active)


def np_array(active=True):
    """Scope in which NumPy-array semantics are ``active``; the previous state
    comes back on exit."""
    return _SwitchScope(_set_np_array, active)


def _decorator(scope, kind):
    """A decorator that runs functions (or every method, property and static
    or class method defined in a class body) inside ``scope()``."""
    def wrap_function(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with scope():
                return func(*args, **kwargs)
        return wrapper

    def wrap_member(member):
        if isinstance(member, property):
            return property(*(None if f is None else wrap_function(f)
                              for f in (member.fget, member.fset, member.fdel)), member.__doc__)
        if isinstance(member, (staticmethod, classmethod)):
            return type(member)(wrap_function(member.__func__))
        if inspect.isfunction(member):
            return wrap_function(member)
        return member

    def decorate(func):
        if inspect.isclass(func):
            for name, member in list(vars(func).items()):
                wrapped = wrap_member(member)
                if wrapped is not member:
                    setattr(func, name, wrapped)
            return func
        if callable(func):
            return wrap_function(func)
        raise TypeError(f"{kind} decorates classes and callables, got "
                        f"{type(func).__name__}")
    return decorate


def use_np_shape(func):
    """Decorator: run ``func`` (or every method of a class) with NumPy shape
    semantics on."""
    return _decorator(lambda: np_shape(True), "use_np_shape")(func)


def use_np_array(func):
    """Decorator: run ``func`` (or every method of a class) with NumPy-array
    semantics on."""
    return _decorator(lambda: np_array(True), "use_np_array")(func)


def use_np(func):
    """Decorator combining ``use_np_shape`` and ``use_np_array`` (MXNet's way
    of marking NumPy-semantics code, e.g. a Gluon block class)."""
    return use_np_shape(use_np_array(func))


def getenv(name):
    """Value of environment variable ``name``, or None when unset."""
    return os.environ.get(name)


def setenv(name, value):
    """Set environment variable ``name`` to ``value`` (a string); ``None``
    removes it. Changes are seen by ``os.environ`` and child processes."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


def get_gpu_count():
    """Number of GPUs this process can use (0 without CuPy or a GPU)."""
    from .context import num_gpus
    return num_gpus()


def get_gpu_memory(gpu_dev_id):
    """``(free, total)`` memory of GPU ``gpu_dev_id`` in bytes."""
    from .context import gpu_memory_info
    return gpu_memory_info(gpu_dev_id)


def get_cuda_compute_capability(ctx):
    """Compute capability of ``ctx``'s GPU as an int (``major * 10 + minor``,
    e.g. 80 for an A100)."""
    if ctx.device_type != "gpu":
        raise ValueError(f"get_cuda_compute_capability: expected a gpu context, got {ctx}")
    if ctx.device_id >= get_gpu_count():
        raise MXNetError(f"get_cuda_compute_capability: no GPU {ctx.device_id} "
                         f"(found {get_gpu_count()})")
    import cupy
    return int(cupy.cuda.Device(ctx.device_id).compute_capability)


# NumPy ufunc keyword -> predicate of the values MXNet's np front end accepts.
_UFUNC_OPTIONS = {
    "where": lambda v: isinstance(v, bool),
    "casting": lambda v: v in ("no", "equiv", "safe", "same_kind", "unsafe"),
    "order": lambda v: v in ("C", "F", "A", "K"),
    "dtype": lambda v: v is not None and _is_dtype(v),
    "subok": lambda v: isinstance(v, bool),
}
# The only values a wrapped ufunc supports: NumPy's defaults.
_UFUNC_DEFAULTS = {"where": True, "casting": "same_kind", "order": "K", "dtype": None,
                   "subok": True}


def _is_dtype(value):
    import numpy as np
    try:
        np.dtype(value)
    except TypeError:
        return False
    return True


def np_ufunc_legal_option(key, value):
    """Whether ``key=value`` is a legal NumPy ufunc keyword argument
    (``where``, ``casting``, ``order``, ``dtype``, ``subok``)."""
    check = _UFUNC_OPTIONS.get(key)
    return bool(check is not None and check(value))


def _check_ufunc_kwargs(name, kwargs):
    for key, value in kwargs.items():
        if key not in _UFUNC_DEFAULTS:
            raise TypeError(f"{key} is an invalid keyword to function '{name}'")
        default = _UFUNC_DEFAULTS[key]
        if not (value is default or (type(value) is type(default) and value == default)):
            raise NotImplementedError(f"{name}: {key}={value!r} is not supported "
                                      f"(only the default {default!r})")


def wrap_np_unary_func(func):
    """Decorator for a unary ufunc ``func(x, out=None)``: accepts NumPy's other
    ufunc keywords at their default values and rejects anything else
    (``TypeError`` for unknown keywords, ``NotImplementedError`` for others)."""
    @functools.wraps(func)
    def wrapper(x, out=None, **kwargs):
        _check_ufunc_kwargs(func.__name__, kwargs)
        return func(x, out=out)
    return wrapper


def wrap_np_binary_func(func):
    """Binary counterpart of ``wrap_np_unary_func``: ``func(x1, x2, out=None)``."""
    @functools.wraps(func)
    def wrapper(x1, x2, out=None, **kwargs):
        _check_ufunc_kwargs(func.__name__, kwargs)
        return func(x1, x2, out=out)
    return wrapper
