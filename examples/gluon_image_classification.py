"""Train a hybridized Gluon CNN on the bundled 8x8 digits with MXNet-style logging.

Each epoch runs over a ``gluon.data.DataLoader``; every ``--log-interval``
batches ``mx.callback.Speedometer`` logs samples/second and the running
training accuracy, in MXNet's exact wording (``Epoch[0] Batch [10-20]
Speed: ... samples/sec  accuracy=...``). With ``--progress`` a progress bar
shows each epoch (tqdm when it is installed, a plain text bar otherwise).

    python examples/gluon_image_classification.py [--epochs 10] [--progress]
"""
import argparse
import logging
import os
import sys
import time

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import load_digits  # noqa: E402  (the bundled data set's reader)


class TextBar:
    """A minimal stand-in for ``tqdm``: ``[=====-----] 12/40`` redrawn in place."""

    def __init__(self, total, desc="", width=30, stream=sys.stderr):
        self.total, self.desc, self.width, self.stream = total, desc, width, stream
        self.count = 0

    def update(self, n=1):
        self.count += n
        filled = int(self.width * self.count / max(self.total, 1))
        self.stream.write(f"\r{self.desc} [{'=' * filled}{'-' * (self.width - filled)}] "
                          f"{self.count}/{self.total}")
        self.stream.flush()

    def close(self):
        self.stream.write("\n")
        self.stream.flush()


def progress_bar(total, desc):
    try:
        from tqdm import tqdm
    except ImportError:
        return TextBar(total, desc)
    return tqdm(total=total, desc=desc, leave=True)


def build_net(channels=32):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(channels, kernel_size=3, padding=1),
            nn.BatchNorm(),
            nn.Activation("relu"),
            nn.Conv2D(channels, kernel_size=3, padding=1, activation="relu"),
            nn.MaxPool2D(pool_size=2),
            nn.Flatten(),
            nn.Dropout(0.25),
            nn.Dense(64, activation="relu"),
            nn.Dense(10))
    return net


def evaluate(net, loader):
    metric = mx.metric.Accuracy()
    for data, label in loader:
        metric.update([label], [net(data)])
    return metric.get()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--log-interval", type=int, default=10,
                        help="batches between Speedometer lines")
    parser.add_argument("--num-train", type=int, default=0,
                        help="use only this many training digits (0: all)")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    parser.add_argument("--min-accuracy", type=float, default=0.95)
    args = parser.parse_args()
    # Speedometer writes through the root logger, as in MXNet.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)

    mx.random.seed(0)
    np.random.seed(0)
    x_train, y_train, x_test, y_test = load_digits()
    if args.num_train:
        x_train, y_train = x_train[:args.num_train], y_train[:args.num_train]
    train_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_train, y_train.astype(np.float32)),
                                       batch_size=args.batch_size, shuffle=True)
    test_data = gluon.data.DataLoader(gluon.data.ArrayDataset(x_test, y_test.astype(np.float32)),
                                      batch_size=256)

    net = build_net()
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": args.lr, "momentum": 0.9, "wd": 1e-4})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    metric = mx.metric.Accuracy()
    speedometer = mx.callback.Speedometer(args.batch_size, frequent=args.log_interval)

    for epoch in range(args.epochs):
        tic = time.time()
        metric.reset()
        bar = progress_bar(len(train_data), f"epoch {epoch}") if args.progress else None
        for nbatch, (data, label) in enumerate(train_data):
            with autograd.record():
                output = net(data)
                loss = loss_fn(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            metric.update([label], [output])
            speedometer(mx.model.BatchEndParam(epoch=epoch, nbatch=nbatch,
                                               eval_metric=metric, locals=locals()))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        name, train_acc = metric.get_global()
        logging.info("Epoch[%d] Train-%s=%f", epoch, name, train_acc)
        logging.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)
        logging.info("Epoch[%d] Validation-accuracy=%f", epoch, evaluate(net, test_data))

    acc = evaluate(net, test_data)
    print(f"held-out accuracy {acc:.4f}")
    if acc < args.min_accuracy:
        raise SystemExit(f"accuracy {acc:.4f} is below {args.min_accuracy}")


if __name__ == "__main__":
    main()
