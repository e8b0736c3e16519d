"""NumPy's dispatch protocols for ``mx.np.ndarray`` (NEP 13 and NEP 18).

As in MXNet 1.9.1, a NumPy function or ufunc called on ``mx.np`` arrays
(``onp.exp(a)``, ``onp.concatenate([a, b])``) runs the ``mx.np`` function of
the same name, so it stays on the device, asynchronous and differentiable.
Functions ``mx.np`` does not have are computed by NumPy on host copies and
their array results come back as ``mx.np`` arrays, as MXNet's fallback does.
"""
import numpy as _onp

from ..ndarray.ndarray import NDArray

# NumPy module -> the mx.np module holding the same functions
_MODULES = {"numpy": "", "numpy.linalg": "linalg", "numpy.random": "random"}


def _mx_function(module, name):
    from .. import numpy as mx_np
    sub = _MODULES.get(module)
    if sub is None:
        return None
    target = getattr(mx_np, sub) if sub else mx_np
    fn = getattr(target, name, None)
    return fn if callable(fn) and not isinstance(fn, type) else None


def _to_host(value):
    if isinstance(value, NDArray):
        return value.asnumpy()
    if isinstance(value, (list, tuple)):
        return type(value)(_to_host(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_host(v) for k, v in value.items()}
    return value


def _from_host(value, ctx):
    if isinstance(value, _onp.ndarray):
        from ._creation import array
        return array(value, dtype=value.dtype, ctx=ctx)
    if isinstance(value, (list, tuple)):
        return type(value)(_from_host(v, ctx) for v in value)
    return value


def _context(args, kwargs):
    for value in list(args) + list(kwargs.values()):
        if isinstance(value, NDArray):
            return value.context
        if isinstance(value, (list, tuple)):
            ctx = _context(value, {})
            if ctx is not None:
                return ctx
    return None


def _on_host(func, args, kwargs):
    """``func`` computed by NumPy on host copies; array results as mx.np arrays."""
    ctx = _context(args, kwargs)
    return _from_host(func(*_to_host(args), **_to_host(kwargs)), ctx)


def array_function(self, func, types, args, kwargs):
    """NEP 18: ``onp.<func>(...)`` with an ``mx.np.ndarray`` argument."""
    fn = _mx_function(func.__module__, func.__name__)
    if fn is not None:
        return fn(*args, **kwargs)
    return _on_host(func, args, kwargs)


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """NEP 13: a NumPy ufunc (``onp.exp``, ``onp.add``...) on ``mx.np`` arrays."""
    if method == "__call__":
        fn = _mx_function("numpy", ufunc.__name__)
        out = kwargs.get("out")
        if fn is not None and (out is None or all(isinstance(o, NDArray) for o in out)):
            if out is not None:
                if len(out) != 1:
                    return NotImplemented
                kwargs = dict(kwargs, out=out[0])
            return fn(*inputs, **kwargs)
    if kwargs.get("out") is not None:
        return NotImplemented  # writing host results into device arrays: not here
    return _on_host(getattr(ufunc, method), inputs, kwargs)
