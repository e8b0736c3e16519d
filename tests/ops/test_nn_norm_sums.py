"""Batch norm's per-channel sums: the einsum path (runs after the channel axis
of moderate length) and the NumPy fallback (very short or very long runs) both
give the float64 statistics and gradients to float32 accuracy."""
import types

import numpy as np
import pytest

from mxnet.ops import nn_norm, registry

rng = np.random.default_rng(11)


class CountingNumpy(types.SimpleNamespace):
    """NumPy as a kernel's ``xp``, counting einsum calls."""

    def __init__(self):
        super().__init__(einsums=0)

    def __getattr__(self, name):
        return getattr(np, name)

    def einsum(self, *args, **kwargs):
        self.einsums += 1
        return np.einsum(*args, **kwargs)


def reference(x, dy, gamma, eps, axis):
    """Training-mode batch norm output and gradients in float64."""
    x, dy, gamma = (a.astype(np.float64) for a in (x, dy, gamma))
    axes = tuple(i for i in range(x.ndim) if i != axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    xhat = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    dbeta = dy.sum(axis=axes)
    dgamma = (dy * xhat).sum(axis=axes)
    count = x.size // x.shape[axis]
    dx = gamma.reshape(shape) / np.sqrt(var.reshape(shape) + eps) * (
        dy - dbeta.reshape(shape) / count - xhat * dgamma.reshape(shape) / count)
    return xhat * gamma.reshape(shape), mean, var, dx, dgamma, dbeta


@pytest.mark.parametrize("shape,axis,einsum", [
    ((4, 3, 20, 20), 1, True),     # run of 400 after the channels
    ((2, 5, 8, 8, 4), 1, True),
    ((16, 10, 6), 2, False),       # channels last: run of 1
    ((64, 6), 1, False),
    ((1, 2, 70000), 1, False),     # run above the einsum bound
])
def test_training_statistics_and_gradients(shape, axis, einsum):
    x = (rng.standard_normal(shape) + 3).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    channels = shape[axis]
    gamma = (rng.random(channels) + 0.5).astype(np.float32)
    beta = np.zeros(channels, np.float32)
    eps = 1e-3
    fwd = registry.get("BatchNorm")
    xp = CountingNumpy()
    attrs = fwd.parse({"fix_gamma": False, "eps": eps, "axis": axis})
    out, mean, invstd = fwd.compute(xp, attrs, x, gamma, beta, np.zeros(channels, np.float32),
                                    np.ones(channels, np.float32), is_train=True)
    bwd = registry.get("_backward_BatchNorm")
    battrs = bwd.parse({"fix_gamma": False, "eps": eps, "axis": axis})
    dx, dgamma, dbeta = bwd.compute(xp, battrs, dy, x, gamma, mean, invstd,
                                    np.zeros(channels, np.float32),
                                    np.ones(channels, np.float32), is_train=True)
    assert (xp.einsums > 0) == einsum
    want = reference(x, dy, gamma, eps, axis)
    got = (out, mean, 1 / invstd ** 2 - eps, dx, dgamma, dbeta)
    for g, w in zip(got, want):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, w, rtol=2e-4, atol=2e-4 * np.abs(w).max())


def test_channel_sum_matches_numpy_sums():
    a = rng.standard_normal((3, 7, 5, 9)).astype(np.float32)
    b = rng.standard_normal((3, 7, 5, 9)).astype(np.float32)
    np.testing.assert_allclose(nn_norm._channel_sum(np, a, 1), a.sum(axis=(0, 2, 3)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(nn_norm._channel_sum(np, a, 1, b), (a * b).sum(axis=(0, 2, 3)),
                               rtol=1e-5, atol=1e-5)


def test_empty_batch_gives_nan_statistics():
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        mean, var, centred = nn_norm._batch_moments(np, np.zeros((0, 3, 4, 4), np.float32), 1)
    assert mean.shape == var.shape == (3,)
    assert np.isnan(mean).all() and np.isnan(var).all() and centred is None
