"""AlexNet (Krizhevsky et al. 2012, the single-tower variant of "One weird
trick"): five convolutions and three Dense layers.

Blocks, prefixes and creation order reproduce MXNet's, so parameter names,
structural names and reprs are the same and MXNet's published parameter
files load unchanged.
"""
import os

from .... import base
from ....context import cpu
from ...block import HybridBlock
from ... import nn

__all__ = ["AlexNet", "alexnet"]


class AlexNet(HybridBlock):
    """AlexNet with a Dense classifier of ``classes`` outputs (224x224 inputs
    give the published 6x6x256 feature map; smaller ones down to 63x63 work
    with a correspondingly smaller first Dense layer)."""

    def __init__(self, classes=1000, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.features = nn.HybridSequential(prefix="")
            with self.features.name_scope():
                self.features.add(
                    nn.Conv2D(64, kernel_size=11, strides=4, padding=2, activation="relu"),
                    nn.MaxPool2D(pool_size=3, strides=2),
                    nn.Conv2D(192, kernel_size=5, padding=2, activation="relu"),
                    nn.MaxPool2D(pool_size=3, strides=2),
                    nn.Conv2D(384, kernel_size=3, padding=1, activation="relu"),
                    nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"),
                    nn.Conv2D(256, kernel_size=3, padding=1, activation="relu"),
                    nn.MaxPool2D(pool_size=3, strides=2),
                    nn.Flatten(),
                    nn.Dense(4096, activation="relu"), nn.Dropout(0.5),
                    nn.Dense(4096, activation="relu"), nn.Dropout(0.5))
            self.output = nn.Dense(classes)

    def hybrid_forward(self, F, x):
        return self.output(self.features(x))


def alexnet(pretrained=False, ctx=cpu(), root=os.path.join(base.data_dir(), "models"),
            **kwargs):
    """AlexNet; with ``pretrained`` the published parameters are loaded from
    ``root`` (downloaded there if missing) onto ``ctx``."""
    net = AlexNet(**kwargs)
    if pretrained:
        from ..model_store import get_model_file
        net.load_parameters(get_model_file("alexnet", root=root), ctx=ctx)
    return net
