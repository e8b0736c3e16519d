"""``mx.random``: seeding and the samplers of ``mx.nd.random``.

Each device has its own random stream, so seeded runs are reproducible per
context and different devices draw different numbers. An operator call takes
a generator for its own use from its device's stream when it is issued
(``generator``), so results do not depend on when the engine runs it.
"""
import threading

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from .base import MXNetError
from .context import Context

from .ndarray.random import (uniform, normal, randn, exponential, gamma, poisson,
                             negative_binomial, generalized_negative_binomial, multinomial,
                             shuffle, randint)

__all__ = ["seed", "generator", "uniform", "normal", "randn", "exponential", "gamma", "poisson",
           "negative_binomial", "generalized_negative_binomial", "multinomial", "shuffle",
           "randint"]

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
    """A fresh ``numpy.random.Generator`` for one operator call on device ``ctx``.

    It is seeded from the device's stream at call time, in program order, so a
    kernel the engine runs later draws the same numbers as one run inline."""
    with _lock:
        stream = _generators.get(ctx)
        if stream is None:
            stream = np.random.default_rng() if _global_seed is None else _make(_global_seed, ctx)
            _generators[ctx] = stream
        words = stream.bit_generator.random_raw(4)
    return np.random.Generator(np.random.PCG64(_Words(words)))


class _Words(ISeedSequence):
    """Seed words taken as they are: the parent stream's output is already uniformly
    random, and skipping SeedSequence's hashing makes a call's generator 4x cheaper."""
    __slots__ = ("words",)

    def __init__(self, words):
        self.words = words

    def generate_state(self, n_words, dtype=np.uint32):
        words = self.words if np.dtype(dtype) == np.uint64 else self.words.view(np.uint32)
        if n_words > len(words):
            raise ValueError(f"at most {len(words)} seed words available, {n_words} requested")
        return words[:n_words].copy()
