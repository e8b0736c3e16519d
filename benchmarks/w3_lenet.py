"""W3: training LeNet on 28x28 single-channel images with SGD, float32, batch 64.

The network is MXNet's classic LeNet (``example/image-classification``):
conv 5x5 20 filters, tanh, max-pool 2x2 stride 2; conv 5x5 50 filters, tanh,
max-pool 2x2 stride 2; dense 500, tanh; dense 10. Batch 64 is the MNIST
example's default. One iteration is a full training step on a fixed random
batch (forward, softmax cross-entropy, backward, SGD update with learning
rate 0.01); results are images per second.

Cases:
  lenet_imperative  Gluon run imperatively (PyTorch: eager).
  lenet_hybridized  after ``hybridize(static_alloc=True, static_shape=True)``
                    (PyTorch: ``torch.compile``).
"""

import numpy as np

from timing import Case
from w2_mlp import mxnet_training_loop, torch_training_loop

TITLE = "LeNet training, batch 64"
UNIT = "images/s"
CASES = ("lenet_imperative", "lenet_hybridized")

BATCH = 64


def batch():
    """The fixed training batch: images in [0, 1) and integer labels."""
    rng = np.random.default_rng(0)
    return rng.random((BATCH, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, BATCH)


def cases(framework, lib):
    """``{case name: Case}`` for ``framework`` ('mxnet' or 'torch')."""
    return {"mxnet": _mxnet_cases, "torch": _torch_cases, "numpy": lambda _: {}}[framework](lib)


def mxnet_net(mx):
    """LeNet as a Gluon block, initialised (Xavier)."""
    nn = mx.gluon.nn
    net = nn.HybridSequential()
    net.add(nn.Conv2D(20, kernel_size=5, activation="tanh"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Conv2D(50, kernel_size=5, activation="tanh"),
            nn.MaxPool2D(pool_size=2, strides=2),
            nn.Flatten(),
            nn.Dense(500, activation="tanh"),
            nn.Dense(10))
    net.initialize(mx.init.Xavier())
    return net


def _mxnet_cases(mx):
    def make(hybridize):
        return lambda: mxnet_training_loop(mx, mxnet_net(mx), *batch(), hybridize)

    return {"lenet_imperative": Case(make(False), ops_per_iter=BATCH),
            "lenet_hybridized": Case(make(True), ops_per_iter=BATCH)}


def _torch_net(torch):
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 20, 5), nn.Tanh(), nn.MaxPool2d(2, 2),
        nn.Conv2d(20, 50, 5), nn.Tanh(), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(50 * 4 * 4, 500), nn.Tanh(), nn.Linear(500, 10))


def _torch_cases(torch):
    def make(compiled):
        return lambda: torch_training_loop(torch, _torch_net(torch), *batch(), compiled)

    return {"lenet_imperative": Case(make(False), ops_per_iter=BATCH),
            "lenet_hybridized": Case(make(True), ops_per_iter=BATCH)}
