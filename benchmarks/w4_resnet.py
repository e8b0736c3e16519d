"""W4: ResNet-18 v1 inference on 224x224 RGB images, float32, batch 1, 8 and 32.

The MXNet API side is ``gluon.model_zoo.vision.resnet18_v1`` (Xavier-initialised,
no pretrained weights), hybridized with ``static_alloc=True,
static_shape=True`` and called outside ``autograd.record`` (inference mode:
BatchNorm uses its running statistics). PyTorch has no model zoo here
(torchvision is not installed), so the same network is written below: the
standard BasicBlock ResNet-18 (7x7/2 stem, 3x3/2 max-pool, four stages of two
blocks with 64, 128, 256, 512 channels, global average pool, dense 1000),
in ``eval()`` mode under ``torch.inference_mode()``.

Cases (images per second): ``resnet18_b1``, ``resnet18_b8``, ``resnet18_b32``.
"""

import numpy as np

from timing import Case

TITLE = "ResNet-18 v1 inference"
UNIT = "images/s"
BATCHES = (1, 8, 32)
CASES = tuple(f"resnet18_b{b}" for b in BATCHES)


def images(batch, size=224):
    """A fixed random batch of ``size`` x ``size`` RGB images."""
    return np.random.default_rng(0).standard_normal((batch, 3, size, size), dtype=np.float32)


def cases(framework, lib):
    """``{case name: Case}`` for ``framework`` ('mxnet' or 'torch')."""
    if framework == "mxnet":
        return {f"resnet18_b{b}": Case(mxnet_inference(lib, "resnet18_v1", b), ops_per_iter=b)
                for b in BATCHES}
    if framework == "torch":
        return {f"resnet18_b{b}": Case(torch_inference(lib, resnet18, b), ops_per_iter=b)
                for b in BATCHES}
    return {}


def mxnet_inference(mx, model_name, batch, size=224):
    """A case factory: ``model_name`` from the Gluon model zoo, hybridized,
    run in inference mode on a batch of ``batch`` images."""

    def make():
        net = mx.gluon.model_zoo.vision.get_model(model_name)
        net.initialize(mx.init.Xavier())
        net.hybridize(static_alloc=True, static_shape=True)
        data = mx.nd.array(images(batch, size))

        def run(n):
            for _ in range(n):
                out = net(data)
            mx.nd.waitall()
            return out

        return run

    return make


def torch_inference(torch, build, batch, size=224):
    """A case factory: the module ``build(torch)`` in eval mode under
    ``inference_mode`` on a batch of ``batch`` images."""

    def make():
        model = build(torch).eval()
        data = torch.from_numpy(images(batch, size))

        def run(n):
            with torch.inference_mode():
                for _ in range(n):
                    out = model(data)
            return out

        return run

    return make


def resnet18(torch):
    """The BasicBlock ResNet-18 (ImageNet, 1000 classes) as a torch module."""
    nn = torch.nn

    class BasicBlock(nn.Module):
        def __init__(self, channels_in, channels, stride):
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(channels_in, channels, 3, stride, 1, bias=False),
                nn.BatchNorm2d(channels), nn.ReLU(inplace=True),
                nn.Conv2d(channels, channels, 3, 1, 1, bias=False),
                nn.BatchNorm2d(channels))
            self.downsample = None
            if stride != 1 or channels_in != channels:
                self.downsample = nn.Sequential(
                    nn.Conv2d(channels_in, channels, 1, stride, bias=False),
                    nn.BatchNorm2d(channels))

        def forward(self, x):
            shortcut = x if self.downsample is None else self.downsample(x)
            return torch.relu(self.body(x) + shortcut)

    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
              nn.MaxPool2d(3, 2, 1)]
    channels_in = 64
    for channels, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [BasicBlock(channels_in, channels, stride), BasicBlock(channels, channels, 1)]
        channels_in = channels
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, 1000)]
    return nn.Sequential(*layers)
