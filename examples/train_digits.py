"""The main job: train a small convolutional network on handwritten digits,
evaluate it on held-out digits, save it, reload it and evaluate again.

The data (1797 8x8 digits, UCI, CC BY 4.0) ships in ``examples/data``.
Gluon network, hybridized, trained with SGD and momentum; prints progress
as it goes and fails if held-out accuracy is below 97%.

    python examples/train_digits.py [--epochs 15] [--out digits-cnn.params]
"""
import argparse
import gzip
import os
import tempfile
import time

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")


def load_digits(path=DATA, seed=0, test_fraction=0.25):
    """(x_train, y_train, x_test, y_test): images as (N, 1, 8, 8) float32 in [0, 1]."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = (table[:, :64] / 16.0).reshape(-1, 1, 8, 8)
    y = table[:, 64].astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order], y[order]
    split = int(len(y) * (1 - test_fraction))
    return x[:split], y[:split], x[split:], y[split:]


def build_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
            nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
            nn.MaxPool2D(pool_size=2),
            nn.Flatten(),
            nn.Dense(64, activation="relu"),
            nn.Dense(10))
    return net


def accuracy(net, x, y, batch_size=256):
    correct = 0
    for i in range(0, len(y), batch_size):
        pred = net(nd.array(x[i:i + batch_size])).asnumpy().argmax(axis=1)
        correct += int((pred == y[i:i + batch_size]).sum())
    return correct / len(y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(),
                                                      "digits-cnn.params"))
    parser.add_argument("--min-accuracy", type=float, default=0.97)
    args = parser.parse_args()

    mx.random.seed(0)
    np.random.seed(0)
    x_train, y_train, x_test, y_test = load_digits()
    print(f"{len(y_train)} training and {len(y_test)} held-out digits")
    net = build_net()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": args.lr, "momentum": 0.9, "wd": 1e-4})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(1)
    start = time.time()
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(y_train))
        total = 0.0
        for i in range(0, len(order), args.batch_size):
            idx = order[i:i + args.batch_size]
            data, label = nd.array(x_train[idx]), nd.array(y_train[idx])
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(len(idx))
            total += float(loss.sum().asscalar())
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  loss {total / len(y_train):.4f}  held-out accuracy "
                  f"{accuracy(net, x_test, y_test):.4f}  ({time.time() - start:.1f}s)",
                  flush=True)

    acc = accuracy(net, x_test, y_test)
    net.save_parameters(args.out)
    reloaded = build_net()
    reloaded.load_parameters(args.out)
    reloaded.hybridize()
    acc_reloaded = accuracy(reloaded, x_test, y_test)
    print(f"held-out accuracy {acc:.4f}; saved to {args.out}; reloaded accuracy "
          f"{acc_reloaded:.4f}")
    if acc_reloaded != acc:
        raise SystemExit("the reloaded network gives a different accuracy")
    if acc < args.min_accuracy:
        raise SystemExit(f"accuracy {acc:.4f} is below {args.min_accuracy}")


if __name__ == "__main__":
    main()
