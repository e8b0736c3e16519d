"""W5: AlexNet and VGG-11 inference on 224x224 RGB images, float32, batch 1 and 16
(the ``benchmark_score.py`` models; see ``examples/benchmark_score.py`` for
the full table).

The MXNet API side uses ``gluon.model_zoo.vision.alexnet`` and ``vgg11``
exactly as W4 uses ResNet-18 (Xavier init, hybridized, inference mode).
The PyTorch networks are written below with the same layers as the Gluon
zoo: AlexNet (conv 11x11/4 64, pool 3/2, conv 5x5 192, pool, conv 3x3 384,
256, 256, pool, dense 4096, 4096, 1000 with dropout) and VGG-11 (3x3 convs
64, M, 128, M, 256x2, M, 512x2, M, 512x2, M, then dense 4096, 4096, 1000),
in ``eval()`` mode under ``torch.inference_mode()``.

Cases (images per second): ``alexnet_b1``, ``alexnet_b16``, ``vgg11_b1``,
``vgg11_b16``.
"""

from timing import Case
from w4_resnet import mxnet_inference, torch_inference

TITLE = "AlexNet and VGG-11 inference"
UNIT = "images/s"
BATCHES = (1, 16)
MODELS = ("alexnet", "vgg11")
CASES = tuple(f"{m}_b{b}" for m in MODELS for b in BATCHES)

VGG11_LAYOUT = (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M")


def cases(framework, lib):
    """``{case name: Case}`` for ``framework`` ('mxnet' or 'torch')."""
    if framework == "mxnet":
        return {f"{m}_b{b}": Case(mxnet_inference(lib, m, b), ops_per_iter=b)
                for m in MODELS for b in BATCHES}
    if framework == "torch":
        builders = {"alexnet": alexnet, "vgg11": vgg11}
        return {f"{m}_b{b}": Case(torch_inference(lib, builders[m], b), ops_per_iter=b)
                for m in MODELS for b in BATCHES}
    return {}


def _classifier(nn, features):
    return [nn.Flatten(),
            nn.Linear(features, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 1000)]


def alexnet(torch):
    """AlexNet as in the Gluon model zoo, as a torch module."""
    nn = torch.nn
    relu = lambda: nn.ReLU(inplace=True)  # noqa: E731 - one fresh module per use
    return nn.Sequential(
        nn.Conv2d(3, 64, 11, 4, 2), relu(), nn.MaxPool2d(3, 2),
        nn.Conv2d(64, 192, 5, 1, 2), relu(), nn.MaxPool2d(3, 2),
        nn.Conv2d(192, 384, 3, 1, 1), relu(),
        nn.Conv2d(384, 256, 3, 1, 1), relu(),
        nn.Conv2d(256, 256, 3, 1, 1), relu(), nn.MaxPool2d(3, 2),
        *_classifier(nn, 256 * 6 * 6))


def vgg11(torch):
    """VGG-11 (no batch norm) as in the Gluon model zoo, as a torch module."""
    nn = torch.nn
    layers, channels_in = [], 3
    for item in VGG11_LAYOUT:
        if item == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels_in, item, 3, 1, 1), nn.ReLU(inplace=True)]
            channels_in = item
    return nn.Sequential(*layers, *_classifier(nn, 512 * 7 * 7))
