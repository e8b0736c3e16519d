"""Normalisation layers: BatchNorm, BatchNormReLU, InstanceNorm, LayerNorm, GroupNorm.

HybridBlocks over the operators of the same names. BatchNorm keeps its
moving statistics as parameters ``running_mean``/``running_var`` without
gradient; the operator updates them in place during training
(``autograd.record()`` in training mode), so they are aux states of the
hybridized graph.
"""
import numpy as np

from ..block import HybridBlock
from ..np_boundary import legacy_body

__all__ = ["BatchNorm", "BatchNormReLU", "InstanceNorm", "LayerNorm", "GroupNorm"]


def _affine_params(block, shape, center, scale, beta_initializer, gamma_initializer):
    """``gamma``/``beta``: trained only when ``scale``/``center`` is on."""
    block.gamma = block.params.get("gamma", grad_req="write" if scale else "null", shape=shape,
                                   init=gamma_initializer, allow_deferred_init=True)
    block.beta = block.params.get("beta", grad_req="write" if center else "null", shape=shape,
                                  init=beta_initializer, allow_deferred_init=True)


class BatchNorm(HybridBlock):
    """Batch normalisation over all axes but ``axis`` (the channels).

    In training, each channel is normalised by the batch's mean and
    variance, and the moving statistics become ``momentum * moving + (1 -
    momentum) * batch``; otherwise (or with ``use_global_stats``) the moving
    statistics are used. ``scale=False`` fixes gamma at 1 and ``center=False``
    leaves beta untrained. ``in_channels=0`` is inferred at the first
    forward pass. In float16 networks the layer stays float32."""

    def __init__(self, axis=1, momentum=0.9, epsilon=1e-5, center=True, scale=True,
                 use_global_stats=False, beta_initializer="zeros", gamma_initializer="ones",
                 running_mean_initializer="zeros", running_variance_initializer="ones",
                 in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"axis": axis, "eps": epsilon, "momentum": momentum,
                        "fix_gamma": not scale, "use_global_stats": use_global_stats}
        if in_channels != 0:
            self.in_channels = in_channels
        shape = (in_channels,)
        self.gamma = self.params.get("gamma", grad_req="write" if scale else "null",
                                     shape=shape, init=gamma_initializer,
                                     allow_deferred_init=True, differentiable=scale)
        self.beta = self.params.get("beta", grad_req="write" if center else "null",
                                    shape=shape, init=beta_initializer,
                                    allow_deferred_init=True, differentiable=center)
        self.running_mean = self.params.get("running_mean", grad_req="null", shape=shape,
                                            init=running_mean_initializer,
                                            allow_deferred_init=True, differentiable=False)
        self.running_var = self.params.get("running_var", grad_req="null", shape=shape,
                                           init=running_variance_initializer,
                                           allow_deferred_init=True, differentiable=False)

    def cast(self, dtype):
        if np.dtype(dtype).name == "float16":
            dtype = "float32"
        super().cast(dtype)

    def _op(self, F):
        return F.BatchNorm

    @legacy_body
    def hybrid_forward(self, F, x, gamma, beta, running_mean, running_var):
        return self._op(F)(x, gamma, beta, running_mean, running_var, name="fwd",
                           **self._kwargs)

    def __repr__(self):
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        in_channels = self.gamma.shape[0]
        return f"{type(self).__name__}({content}, in_channels={in_channels or None})"


class BatchNormReLU(BatchNorm):
    """BatchNorm followed by ReLU, as one operator (``contrib.BatchNormWithReLU``)."""

    def _op(self, F):
        return F.contrib.BatchNormWithReLU


class InstanceNorm(HybridBlock):
    """Instance normalisation: each sample's channel (``axis``) normalised
    over the remaining axes, then ``gamma * x + beta`` per channel (gamma
    not trained by default: ``scale=False``)."""

    def __init__(self, axis=1, epsilon=1e-5, center=True, scale=False, beta_initializer="zeros",
                 gamma_initializer="ones", in_channels=0, **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        _affine_params(self, (in_channels,), center, scale, beta_initializer, gamma_initializer)

    @legacy_body
    def hybrid_forward(self, F, x, gamma, beta):
        if self._axis == 1:
            return F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        # The operator normalises channels on axis 1: move them there and back.
        x = F.swapaxes(x, dim1=1, dim2=self._axis)
        out = F.InstanceNorm(x, gamma, beta, name="fwd", eps=self._epsilon)
        return F.swapaxes(out, dim1=1, dim2=self._axis)

    def __repr__(self):
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({content}, in_channels={self.gamma.shape[0]})"


class LayerNorm(HybridBlock):
    """Layer normalisation: each position normalised over ``axis`` (the
    last by default), then ``gamma * x + beta`` along that axis."""

    def __init__(self, axis=-1, epsilon=1e-5, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", in_channels=0, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "axis": axis, "center": center, "scale": scale}
        self._axis = axis
        self._epsilon = epsilon
        _affine_params(self, (in_channels,), center, scale, beta_initializer, gamma_initializer)

    @legacy_body
    def hybrid_forward(self, F, data, gamma, beta):
        return F.LayerNorm(data, gamma=gamma, beta=beta, axis=self._axis, eps=self._epsilon)

    def __repr__(self):
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({content}, in_channels={self.gamma.shape[0]})"


class GroupNorm(HybridBlock):
    """Group normalisation: the channels (axis 1) of each sample split into
    ``num_groups`` groups, each normalised over its channels and spatial
    positions; ``gamma``/``beta`` have one value per group."""

    def __init__(self, num_groups=1, epsilon=1e-5, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._kwargs = {"eps": epsilon, "num_groups": num_groups, "center": center,
                        "scale": scale}
        self._num_groups = num_groups
        self._epsilon = epsilon
        _affine_params(self, (num_groups,), center, scale, beta_initializer, gamma_initializer)

    @legacy_body
    def hybrid_forward(self, F, data, gamma, beta):
        return F.GroupNorm(data, gamma=gamma, beta=beta, num_groups=self._num_groups,
                           eps=self._epsilon)

    def __repr__(self):
        content = ", ".join(f"{k}={v!r}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({content})"
