"""Contrib layers: SparseEmbedding, SyncBatchNorm, PixelShuffle1D/2D/3D, and
the containers Concurrent, HybridConcurrent and Identity (defined with the
other containers in ``gluon.nn.basic_layers``)."""
import warnings
from numbers import Number

from ... import nn
from ...block import Block, HybridBlock
from ...nn.basic_layers import Concurrent, HybridConcurrent, Identity
from .... import context, ndarray

__all__ = ["Concurrent", "HybridConcurrent", "Identity", "SparseEmbedding", "SyncBatchNorm",
           "PixelShuffle1D", "PixelShuffle2D", "PixelShuffle3D"]


class SparseEmbedding(Block):
    """Embedding whose weight is stored row_sparse (and gets row_sparse
    gradients): each forward pulls only the rows the batch indexes. The
    weight must belong to a Trainer, which keeps those rows current."""

    def __init__(self, input_dim, output_dim, dtype="float32", weight_initializer=None,
                 **kwargs):
        super().__init__(**kwargs)
        self._kwargs = {"input_dim": input_dim, "output_dim": output_dim, "dtype": dtype,
                        "sparse_grad": True}
        self.weight = self.params.get("weight", shape=(input_dim, output_dim),
                                      init=weight_initializer, dtype=dtype,
                                      grad_stype="row_sparse", stype="row_sparse")

    def forward(self, x):
        weight = self.weight.row_sparse_data(x)
        return ndarray.contrib.SparseEmbedding(x, weight, name="fwd", **self._kwargs)

    def __repr__(self):
        kw = self._kwargs
        return f"{type(self).__name__}({kw['input_dim']} -> {kw['output_dim']}, {kw['dtype']})"


class SyncBatchNorm(nn.BatchNorm):
    """BatchNorm whose batch statistics are computed over the data of all
    ``num_devices`` devices (one part of the batch each) rather than per
    device; channels on axis 1. With ``num_devices`` left out, the number of
    GPUs (at least 1) is assumed, with a warning."""

    def __init__(self, in_channels=0, num_devices=None, momentum=0.9, epsilon=1e-5,
                 center=True, scale=True, use_global_stats=False, beta_initializer="zeros",
                 gamma_initializer="ones", running_mean_initializer="zeros",
                 running_variance_initializer="ones", **kwargs):
        super().__init__(1, momentum, epsilon, center, scale, use_global_stats,
                         beta_initializer, gamma_initializer, running_mean_initializer,
                         running_variance_initializer, in_channels, **kwargs)
        if num_devices is None:
            warnings.warn("Caution using SyncBatchNorm: if not using all the GPUs, please "
                          "manually set num_devices", UserWarning, stacklevel=2)
            num_devices = max(context.num_gpus(), 1)
        self._kwargs = {"eps": epsilon, "momentum": momentum, "fix_gamma": not scale,
                        "use_global_stats": use_global_stats, "ndev": num_devices,
                        "key": self.prefix}

    def _op(self, F):
        return F.contrib.SyncBatchNorm


def _factors(factor, n):
    if isinstance(factor, Number):
        return (int(factor),) * n
    factors = tuple(int(f) for f in factor)
    if len(factors) != n:
        raise ValueError(f"wrong length {len(factors)} of factor {factor}: expected {n}")
    return factors


class PixelShuffle1D(HybridBlock):
    """Moves channels into the width: (N, C * f, W) -> (N, C, W * f), output
    position ``w * f + i`` taking input channel ``c * f + i``."""

    def __init__(self, factor):
        super().__init__()
        self._factor = int(factor)

    def hybrid_forward(self, F, x):
        f = self._factor
        x = F.reshape(x, shape=(0, -4, -1, f, 0))  # (N, C, f, W)
        x = F.transpose(x, axes=(0, 1, 3, 2))  # (N, C, W, f)
        return F.reshape(x, shape=(0, 0, -3))

    def __repr__(self):
        return f"{type(self).__name__}({self._factor})"


class PixelShuffle2D(HybridBlock):
    """Moves channels into height and width: (N, C * f1 * f2, H, W) ->
    (N, C, H * f1, W * f2) (sub-pixel convolution upsampling). ``factor`` is
    an int or a pair (f1, f2)."""

    def __init__(self, factor):
        super().__init__()
        self._factors = _factors(factor, 2)

    def hybrid_forward(self, F, x):
        f1, f2 = self._factors
        x = F.reshape(x, shape=(0, -4, -1, f1 * f2, 0, 0))  # (N, C, f1 * f2, H, W)
        x = F.reshape(x, shape=(0, 0, -4, f1, f2, 0, 0))  # (N, C, f1, f2, H, W)
        x = F.transpose(x, axes=(0, 1, 4, 2, 5, 3))  # (N, C, H, f1, W, f2)
        return F.reshape(x, shape=(0, 0, -3, -3))

    def __repr__(self):
        return f"{type(self).__name__}({self._factors})"


class PixelShuffle3D(HybridBlock):
    """Moves channels into depth, height and width: (N, C * f1 * f2 * f3, D,
    H, W) -> (N, C, D * f1, H * f2, W * f3). ``factor`` is an int or a triple."""

    def __init__(self, factor):
        super().__init__()
        self._factors = _factors(factor, 3)

    def hybrid_forward(self, F, x):
        f1, f2, f3 = self._factors
        x = F.reshape(x, shape=(0, -4, -1, f1 * f2 * f3, 0, 0, 0))  # (N, C, f1*f2*f3, D, H, W)
        x = F.swapaxes(x, dim1=2, dim2=3)  # (N, C, D, f1*f2*f3, H, W)
        x = F.reshape(x, shape=(0, 0, 0, -4, f1, f2 * f3, 0, 0))  # (N, C, D, f1, f2*f3, H, W)
        x = F.reshape(x, shape=(0, 0, -3, 0, 0, 0))  # (N, C, D*f1, f2*f3, H, W)
        x = F.swapaxes(x, dim1=3, dim2=4)  # (N, C, D*f1, H, f2*f3, W)
        x = F.reshape(x, shape=(0, 0, 0, 0, -4, f2, f3, 0))  # (N, C, D*f1, H, f2, f3, W)
        x = F.reshape(x, shape=(0, 0, 0, -3, 0, 0))  # (N, C, D*f1, H*f2, f3, W)
        x = F.swapaxes(x, dim1=4, dim2=5)  # (N, C, D*f1, H*f2, W, f3)
        return F.reshape(x, shape=(0, 0, 0, 0, -3))

    def __repr__(self):
        return f"{type(self).__name__}({self._factors})"
