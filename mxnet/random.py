"""Random number state: ``mx.random.seed`` and a generator per device.

Each device has its own ``numpy.random.Generator`` so seeded runs are
reproducible per context. Sampling functions live in ``mx.nd.random``.
"""
import threading

import numpy as np

from .base import MXNetError
from .context import Context

__all__ = ["seed", "generator"]

_lock = threading.Lock()
_generators = {}
_global_seed = None


def seed(seed_state, ctx="all"):
    """Seed the random generators of all devices (``ctx='all'``) or of one.

    The same seed gives the same stream on the same device; different
    devices with the same seed give different streams, as in MXNet."""
    global _global_seed
    try:
        value = int(seed_state)
    except (TypeError, ValueError):
        raise MXNetError(f"seed: seed_state must be an integer, got {seed_state!r}") from None
    with _lock:
        if ctx == "all":
            _global_seed = value
            _generators.clear()
        else:
            if not isinstance(ctx, Context):
                raise MXNetError(f"seed: ctx must be a Context or 'all', got {ctx!r}")
            _generators[ctx] = _make(value, ctx)


def _make(value, ctx):
    return np.random.default_rng([value, ctx.device_typeid, ctx.device_id])


def generator(ctx):
    """The ``numpy.random.Generator`` of device ``ctx``."""
    gen = _generators.get(ctx)
    if gen is None:
        with _lock:
            gen = _generators.get(ctx)
            if gen is None:
                if _global_seed is None:
                    gen = np.random.default_rng()
                else:
                    gen = _make(_global_seed, ctx)
                _generators[ctx] = gen
    return gen
