"""Deterministic, well-scaled weights for model-zoo output tests.

The same NumPy stream (``RandomState`` is bit-for-bit stable across
platforms) fills a model here and in MXNet 1.9.1 when the fixtures are
made, so only the outputs need to be stored, not tens of megabytes of
weights. Values are scaled like He initialisation so activations stay O(1)
through deep networks and float32 round-off stays small.
"""
import numpy as np


def zoo_weights(named_shapes, seed=0):
    """Arrays for ``[(name, shape), ...]`` in order, chosen by the name's suffix."""
    rng = np.random.RandomState(seed)
    arrays = []
    for name, shape in named_shapes:
        shape = tuple(shape)
        if name.endswith("weight") and len(shape) > 1:
            fan_in = int(np.prod(shape[1:]))
            value = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)
        elif name.endswith("gamma") or name.endswith("running_var"):
            value = rng.uniform(0.5, 1.5, shape)
        elif name.endswith("running_mean"):
            value = rng.standard_normal(shape) * 0.1
        else:  # biases, betas, 1-d weights
            value = rng.standard_normal(shape) * 0.05
        arrays.append(value.astype(np.float32))
    return arrays


def input_batch(shape, seed=1):
    """A fixed input batch of ``shape`` (uniform in [-1, 1])."""
    return np.random.RandomState(seed).uniform(-1, 1, shape).astype(np.float32)
