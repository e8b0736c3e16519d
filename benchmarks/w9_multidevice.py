"""W9: data-parallel training of LeNet on two CPU devices against one.

The model, data and optimizer are W3's (LeNet, SGD with learning rate 0.01,
hybridized with ``static_alloc``); one iteration is a full Trainer step at
batch 64, 128 or 256: with ``ctx=[cpu(0), cpu(1)]`` each device takes half
the batch (loaded once with ``split_and_load``), computes its gradients, and
the Trainer's default ``'device'`` kvstore sums them and updates the weights
on every device; with one device it is W3's step at that batch. The engine
runs one worker per device, each given its share of ``OMP_NUM_THREADS``
(``mxnet.backends.threads.share_cores_among_workers``), so with
``--threads 2`` both rows use the same two cores. Results are images per
second: the ``2dev`` row over the ``1dev`` row is the speed-up from data
parallelism on this machine. PyTorch has no cases here (its CPU data
parallelism is a different mechanism: processes).
"""
import numpy as np

from timing import Case
from w3_lenet import mxnet_net

TITLE = "LeNet training step, one vs two CPU devices"
UNIT = "images/s"
BATCHES = (64, 128, 256)
CASES = tuple(f"lenet_{n}dev_b{b}" for b in BATCHES for n in (1, 2))
LEARNING_RATE = 0.01


def cases(framework, lib):
    """``{case name: Case}`` for ``framework`` (only 'mxnet' has cases)."""
    if framework != "mxnet":
        return {}
    return {f"lenet_{n}dev_b{b}": Case(_maker(lib, n, b), ops_per_iter=b)
            for b in BATCHES for n in (1, 2)}


def _maker(mx, devices, batch):
    return lambda: training_loop(mx, [mx.cpu(i) for i in range(devices)], batch)


def training_loop(mx, ctxs, batch):
    """``run(n)``: ``n`` Trainer steps of a hybridized LeNet on ``ctxs``."""
    gluon = mx.gluon
    mx.random.seed(0)
    net = mxnet_net(mx)
    net.collect_params().reset_ctx(ctxs)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    net.hybridize(static_alloc=True, static_shape=True)
    loss_fn.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LEARNING_RATE})
    rng = np.random.default_rng(0)
    x = mx.nd.array(rng.random((batch, 1, 28, 28), dtype=np.float32))
    y = mx.nd.array(rng.integers(0, 10, batch), dtype="float32")
    xs = gluon.utils.split_and_load(x, ctxs)
    ys = gluon.utils.split_and_load(y, ctxs)

    def run(n):
        for _ in range(n):
            with mx.autograd.record():
                losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
            mx.autograd.backward(losses)
            trainer.step(batch)
        mx.nd.waitall()

    return run
