"""VGG 11/13/16/19 (Simonyan and Zisserman 2014), with or without batch norm.

Blocks, prefixes and creation order reproduce MXNet's, so parameter names,
structural names and reprs are the same and MXNet's published parameter
files load unchanged.
"""
import os

from .... import base
from ....context import cpu
from ....initializer import Xavier
from ...block import HybridBlock
from ... import nn

__all__ = ["VGG", "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn",
           "vgg19_bn", "get_vgg"]


class VGG(HybridBlock):
    """VGG: ``layers[i]`` 3x3 convolutions of ``filters[i]`` channels (each
    followed by batch norm when ``batch_norm``, and ReLU) then a 2x2 max pool,
    for every i; then two Dense(4096) layers with dropout and the classifier."""

    def __init__(self, layers, filters, classes=1000, batch_norm=False, **kwargs):
        super().__init__(**kwargs)
        if len(layers) != len(filters):
            raise ValueError(f"VGG: layers and filters must have the same length, got "
                             f"{layers} and {filters}")
        with self.name_scope():
            self.features = self._make_features(layers, filters, batch_norm)
            self.features.add(nn.Dense(4096, activation="relu", weight_initializer="normal",
                                       bias_initializer="zeros"),
                              nn.Dropout(rate=0.5),
                              nn.Dense(4096, activation="relu", weight_initializer="normal",
                                       bias_initializer="zeros"),
                              nn.Dropout(rate=0.5))
            self.output = nn.Dense(classes, weight_initializer="normal",
                                   bias_initializer="zeros")

    @staticmethod
    def _make_features(layers, filters, batch_norm):
        featurizer = nn.HybridSequential(prefix="")
        for num_convs, channels in zip(layers, filters):
            for _ in range(num_convs):
                featurizer.add(nn.Conv2D(channels, kernel_size=3, padding=1,
                                         weight_initializer=Xavier(rnd_type="gaussian",
                                                                   factor_type="out",
                                                                   magnitude=2),
                                         bias_initializer="zeros"))
                if batch_norm:
                    featurizer.add(nn.BatchNorm())
                featurizer.add(nn.Activation("relu"))
            featurizer.add(nn.MaxPool2D(strides=2))
        return featurizer

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


# depth -> (convolutions per block, channels per block)
vgg_spec = {11: ([1, 1, 2, 2, 2], [64, 128, 256, 512, 512]),
            13: ([2, 2, 2, 2, 2], [64, 128, 256, 512, 512]),
            16: ([2, 2, 3, 3, 3], [64, 128, 256, 512, 512]),
            19: ([2, 2, 4, 4, 4], [64, 128, 256, 512, 512])}


def get_vgg(num_layers, pretrained=False, ctx=cpu(),
            root=os.path.join(base.data_dir(), "models"), **kwargs):
    """VGG of depth ``num_layers`` (11, 13, 16 or 19); ``batch_norm=True``
    selects the variant with batch norm. With ``pretrained`` the published
    parameters are loaded from ``root`` (downloaded there if missing) onto ``ctx``."""
    if num_layers not in vgg_spec:
        raise ValueError(f"Invalid number of layers: {num_layers}. Options are "
                         f"{sorted(vgg_spec)}")
    layers, filters = vgg_spec[num_layers]
    net = VGG(layers, filters, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        suffix = "_bn" if kwargs.get("batch_norm") else ""
        net.load_parameters(get_model_file(f"vgg{num_layers}{suffix}", root=root), ctx=ctx)
    return net


def vgg11(**kwargs):
    """VGG-11; arguments as ``get_vgg``."""
    return get_vgg(11, **kwargs)


def vgg13(**kwargs):
    """VGG-13; arguments as ``get_vgg``."""
    return get_vgg(13, **kwargs)


def vgg16(**kwargs):
    """VGG-16; arguments as ``get_vgg``."""
    return get_vgg(16, **kwargs)


def vgg19(**kwargs):
    """VGG-19; arguments as ``get_vgg``."""
    return get_vgg(19, **kwargs)


def vgg11_bn(**kwargs):
    """VGG-11 with batch norm; arguments as ``get_vgg``."""
    kwargs["batch_norm"] = True
    return get_vgg(11, **kwargs)


def vgg13_bn(**kwargs):
    """VGG-13 with batch norm; arguments as ``get_vgg``."""
    kwargs["batch_norm"] = True
    return get_vgg(13, **kwargs)


def vgg16_bn(**kwargs):
    """VGG-16 with batch norm; arguments as ``get_vgg``."""
    kwargs["batch_norm"] = True
    return get_vgg(16, **kwargs)


def vgg19_bn(**kwargs):
    """VGG-19 with batch norm; arguments as ``get_vgg``."""
    kwargs["batch_norm"] = True
    return get_vgg(19, **kwargs)
