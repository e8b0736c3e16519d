"""W2: training an MLP 784-256-256-10 (ReLU) with SGD, float32, batch 128.

One iteration is a full training step on a fixed random batch: forward,
softmax cross-entropy, backward and the SGD update (learning rate 0.01, no
momentum, no weight decay). Results are samples per second (batch / step
time); data loading is not part of the step.

Cases:
  mlp_imperative  Gluon ``HybridSequential`` run imperatively (PyTorch: eager).
  mlp_hybridized  the same network and loss after ``hybridize(static_alloc=True,
                  static_shape=True)`` (PyTorch: ``torch.compile`` of the
                  model when it compiles, else the row is left out).

The MXNet API loop is ``autograd.record`` / ``backward`` / ``Trainer.step``;
the PyTorch loop is ``zero_grad(set_to_none=True)`` / ``backward`` /
``SGD.step``, whose mean-reduced loss matches MXNet's ``step(batch)`` scaling.
"""

import numpy as np

from timing import Case

TITLE = "MLP 784-256-256-10 training, batch 128"
UNIT = "samples/s"
CASES = ("mlp_imperative", "mlp_hybridized")

BATCH = 128
SIZES = (784, 256, 256, 10)
LEARNING_RATE = 0.01


def batch():
    """The fixed training batch: inputs in [0, 1) and integer labels."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    return x, y


def cases(framework, lib):
    """``{case name: Case}`` for ``framework`` ('mxnet' or 'torch')."""
    return {"mxnet": _mxnet_cases, "torch": _torch_cases, "numpy": lambda _: {}}[framework](lib)


def mxnet_net(mx):
    """The MLP as a Gluon block, initialised (Xavier)."""
    net = mx.gluon.nn.HybridSequential()
    for width in SIZES[1:-1]:
        net.add(mx.gluon.nn.Dense(width, activation="relu"))
    net.add(mx.gluon.nn.Dense(SIZES[-1]))
    net.initialize(mx.init.Xavier())
    return net


def mxnet_training_loop(mx, net, x, y, hybridize):
    """``run(n)``: ``n`` SGD steps of ``net`` on the batch ``(x, y)``."""
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
        loss_fn.hybridize(static_alloc=True, static_shape=True)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LEARNING_RATE})
    data, label = mx.nd.array(x), mx.nd.array(y, dtype="float32")
    size = x.shape[0]

    def run(n):
        for _ in range(n):
            with mx.autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(size)
        mx.nd.waitall()

    return run


def torch_training_loop(torch, model, x, y, compiled):
    """``run(n)``: ``n`` SGD steps of ``model`` on the batch ``(x, y)``;
    with ``compiled``, the model goes through ``torch.compile`` first."""
    if compiled:
        model = torch.compile(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    data, label = torch.from_numpy(x), torch.from_numpy(y)

    def run(n):
        for _ in range(n):
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(data), label).backward()
            optimizer.step()

    return run


def _mxnet_cases(mx):
    def make(hybridize):
        return lambda: mxnet_training_loop(mx, mxnet_net(mx), *batch(), hybridize)

    return {"mlp_imperative": Case(make(False), ops_per_iter=BATCH),
            "mlp_hybridized": Case(make(True), ops_per_iter=BATCH)}


def _torch_net(torch):
    nn = torch.nn
    layers = []
    for fan_in, fan_out in zip(SIZES[:-2], SIZES[1:-1]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    layers.append(nn.Linear(SIZES[-2], SIZES[-1]))
    return nn.Sequential(*layers)


def _torch_cases(torch):
    def make(compiled):
        return lambda: torch_training_loop(torch, _torch_net(torch), *batch(), compiled)

    return {"mlp_imperative": Case(make(False), ops_per_iter=BATCH),
            "mlp_hybridized": Case(make(True), ops_per_iter=BATCH)}
