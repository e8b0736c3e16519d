"""SqueezeNet 1.0 and 1.1 (Iandola et al. 2016): "fire" modules that squeeze
with 1x1 convolutions and expand with parallel 1x1 and 3x3 ones.

Blocks, prefixes and creation order reproduce MXNet's, so parameter names,
structural names and reprs are the same and MXNet's published parameter
files load unchanged.
"""
import os

from .... import base
from ....context import cpu
from ...block import HybridBlock
from ... import nn
from ...nn.basic_layers import HybridConcurrent

__all__ = ["SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


def _fire_conv(channels, kernel_size, padding=0):
    out = nn.HybridSequential(prefix="")
    out.add(nn.Conv2D(channels, kernel_size, padding=padding), nn.Activation("relu"))
    return out


def _fire(squeeze_channels, expand1x1_channels, expand3x3_channels):
    """Squeeze (1x1), then the 1x1 and 3x3 expansions concatenated on channels."""
    out = nn.HybridSequential(prefix="")
    out.add(_fire_conv(squeeze_channels, 1))
    paths = HybridConcurrent(axis=1, prefix="")
    paths.add(_fire_conv(expand1x1_channels, 1))
    paths.add(_fire_conv(expand3x3_channels, 3, 1))
    out.add(paths)
    return out


class SqueezeNet(HybridBlock):
    """SqueezeNet ``version`` '1.0' or '1.1' (1.1 has a smaller stem and pools
    earlier: about 2.4x less computation for the same accuracy). The
    classifier is a 1x1 convolution to ``classes`` channels averaged over
    the 13x13 map, so inputs must be 224x224."""

    def __init__(self, version, classes=1000, **kwargs):
        super().__init__(**kwargs)
        if version not in ("1.0", "1.1"):
            raise ValueError(f"Unsupported SqueezeNet version {version}: 1.0 or 1.1 expected")
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            if version == "1.0":
                self.features.add(nn.Conv2D(96, kernel_size=7, strides=2),
                                  nn.Activation("relu"),
                                  nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True),
                                  _fire(16, 64, 64), _fire(16, 64, 64), _fire(32, 128, 128),
                                  nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True),
                                  _fire(32, 128, 128), _fire(48, 192, 192),
                                  _fire(48, 192, 192), _fire(64, 256, 256),
                                  nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True),
                                  _fire(64, 256, 256))
            else:
                self.features.add(nn.Conv2D(64, kernel_size=3, strides=2),
                                  nn.Activation("relu"),
                                  nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True),
                                  _fire(16, 64, 64), _fire(16, 64, 64),
                                  nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True),
                                  _fire(32, 128, 128), _fire(32, 128, 128),
                                  nn.MaxPool2D(pool_size=3, strides=2, ceil_mode=True),
                                  _fire(48, 192, 192), _fire(48, 192, 192),
                                  _fire(64, 256, 256), _fire(64, 256, 256))
            self.features.add(nn.Dropout(0.5))
            self.output = nn.HybridSequential(prefix="")
            self.output.add(nn.Conv2D(classes, kernel_size=1), nn.Activation("relu"),
                            nn.AvgPool2D(13), nn.Flatten())

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def get_squeezenet(version, pretrained=False, ctx=cpu(),
                   root=os.path.join(base.data_dir(), "models"), **kwargs):
    """SqueezeNet ``version`` ('1.0' or '1.1'); with ``pretrained`` the published
    parameters are loaded from ``root`` (downloaded there if missing) onto ``ctx``."""
    net = SqueezeNet(version, **kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file(f"squeezenet{version}", root=root), ctx=ctx)
    return net


def squeezenet1_0(**kwargs):
    """SqueezeNet 1.0; arguments as ``get_squeezenet``."""
    return get_squeezenet("1.0", **kwargs)


def squeezenet1_1(**kwargs):
    """SqueezeNet 1.1; arguments as ``get_squeezenet``."""
    return get_squeezenet("1.1", **kwargs)
