"""DenseNet 121/161/169/201 (Huang et al. 2016): every layer of a dense block
sees the concatenation of all earlier feature maps of the block.

Blocks, prefixes and creation order reproduce MXNet's, so parameter names,
structural names and reprs are the same and MXNet's published parameter
files load unchanged.
"""
import os

from .... import base
from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ...nn.basic_layers import HybridConcurrent, Identity

__all__ = ["DenseNet", "densenet121", "densenet161", "densenet169", "densenet201"]


def _dense_layer(growth_rate, bn_size, dropout):
    """BN-ReLU-1x1 conv (to bn_size * growth_rate), BN-ReLU-3x3 conv (to
    growth_rate), concatenated after the layer's input."""
    new_features = nn.HybridSequential(prefix="")
    new_features.add(nn.BatchNorm(), nn.Activation("relu"),
                     nn.Conv2D(bn_size * growth_rate, kernel_size=1, use_bias=False),
                     nn.BatchNorm(), nn.Activation("relu"),
                     nn.Conv2D(growth_rate, kernel_size=3, padding=1, use_bias=False))
    if dropout:
        new_features.add(nn.Dropout(dropout))
    out = HybridConcurrent(axis=1, prefix="")
    out.add(Identity(), new_features)
    return out


def _dense_block(num_layers, bn_size, growth_rate, dropout, stage_index):
    out = nn.HybridSequential(prefix=f"stage{stage_index}_")
    with out.name_scope():
        for _ in range(num_layers):
            out.add(_dense_layer(growth_rate, bn_size, dropout))
    return out


def _transition(num_output_features):
    """BN-ReLU-1x1 conv, then 2x2 average pooling halving the resolution."""
    out = nn.HybridSequential(prefix="")
    out.add(nn.BatchNorm(), nn.Activation("relu"),
            nn.Conv2D(num_output_features, kernel_size=1, use_bias=False),
            nn.AvgPool2D(pool_size=2, strides=2))
    return out


class DenseNet(HybridBlock):
    """DenseNet: a 7x7/2 convolution stem with ``num_init_features`` channels
    and a 3x3/2 max pool, dense blocks of ``block_config[i]`` layers each
    adding ``growth_rate`` channels (bottleneck width ``bn_size *
    growth_rate``, optional ``dropout``), transitions halving the channels
    between blocks, then BN, ReLU, 7x7 average pooling (224x224 inputs) and
    a Dense classifier."""

    def __init__(self, num_init_features, growth_rate, block_config, bn_size=4, dropout=0,
                 classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            self.features.add(nn.Conv2D(num_init_features, kernel_size=7, strides=2,
                                        padding=3, use_bias=False),
                              nn.BatchNorm(), nn.Activation("relu"),
                              nn.MaxPool2D(pool_size=3, strides=2, padding=1))
            num_features = num_init_features
            for i, num_layers in enumerate(block_config):
                self.features.add(_dense_block(num_layers, bn_size, growth_rate, dropout,
                                               i + 1))
                num_features += num_layers * growth_rate
                if i != len(block_config) - 1:
                    num_features //= 2
                    self.features.add(_transition(num_features))
            self.features.add(nn.BatchNorm(), nn.Activation("relu"), nn.AvgPool2D(pool_size=7),
                              nn.Flatten())
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (stem channels, growth rate, layers per dense block)
densenet_spec = {121: (64, 32, [6, 12, 24, 16]),
                 161: (96, 48, [6, 12, 36, 24]),
                 169: (64, 32, [6, 12, 32, 32]),
                 201: (64, 32, [6, 12, 48, 32])}


def get_densenet(num_layers, pretrained=False, ctx=cpu(),
                 root=os.path.join(base.data_dir(), "models"), **kwargs):
    """DenseNet of depth ``num_layers`` (121, 161, 169 or 201); with
    ``pretrained`` the published parameters are loaded from ``root``
    (downloaded there if missing) onto ``ctx``."""
    if num_layers not in densenet_spec:
        raise ValueError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{sorted(densenet_spec)}")
    num_init_features, growth_rate, block_config = densenet_spec[num_layers]
    net = DenseNet(num_init_features, growth_rate, block_config, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file(f"densenet{num_layers}", root=root), ctx=ctx)
    return net


def densenet121(**kwargs):
    """DenseNet-121; arguments as ``get_densenet``."""
    return get_densenet(121, **kwargs)


def densenet161(**kwargs):
    """DenseNet-161; arguments as ``get_densenet``."""
    return get_densenet(161, **kwargs)


def densenet169(**kwargs):
    """DenseNet-169; arguments as ``get_densenet``."""
    return get_densenet(169, **kwargs)


def densenet201(**kwargs):
    """DenseNet-201; arguments as ``get_densenet``."""
    return get_densenet(201, **kwargs)
