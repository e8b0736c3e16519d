"""Data-parallel training over several devices with Gluon, timed against one.

Each batch of the bundled 8x8 digits is cut into one slice per device with
``gluon.utils.split_and_load``; every device runs forward and backward on
its slice with its own copy of the parameters, and ``Trainer.step`` sums the
gradients (through a ``'device'`` KVStore) and updates every copy. Here the
devices are ``cpu(0)`` and ``cpu(1)``: distinct logical devices with their
own engine worker, so their work can overlap. The same training runs on one
device first, and the samples/second of both are printed with their ratio.

    python examples/multi_device.py [--num-devices 2] [--epochs 3] [--batch-size 128]
"""
import argparse
import os
import sys
import time

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import load_digits  # noqa: E402  (the bundled data set's reader)


def build_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(64, kernel_size=3, padding=1, activation="relu"),
            nn.Conv2D(64, kernel_size=3, padding=1, activation="relu"),
            nn.MaxPool2D(pool_size=2),
            nn.Flatten(),
            nn.Dense(128, activation="relu"),
            nn.Dense(10))
    return net


def train(ctx, data, args):
    """Train a fresh network on the devices ``ctx``; returns (net, samples/s)."""
    x_train, y_train, _, _ = data
    mx.random.seed(0)
    net = build_net()
    net.initialize(mx.init.Xavier(), ctx=ctx)
    net.hybridize(static_alloc=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": args.lr, "momentum": 0.9}, kvstore="device")
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(1)
    seen, elapsed = 0, 0.0
    for epoch in range(args.epochs):
        order = rng.permutation(len(y_train))
        tic = time.time()
        for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
            idx = order[i:i + args.batch_size]
            xs = gluon.utils.split_and_load(nd.array(x_train[idx]), ctx)
            ys = gluon.utils.split_and_load(nd.array(y_train[idx]), ctx)
            with autograd.record():
                losses = [loss_fn(net(x), y) for x, y in zip(xs, ys)]
            # One backward per device: each device's work is queued on its own worker.
            for loss in losses:
                loss.backward()
            trainer.step(args.batch_size)
            seen += len(idx)
        nd.waitall()
        # The first epoch includes graph building and warm-up; time the rest.
        if epoch > 0 or args.epochs == 1:
            elapsed += time.time() - tic
        else:
            seen = 0
    return net, seen / elapsed


def accuracy(net, ctx, x, y):
    pred = net(nd.array(x, ctx=ctx)).asnumpy().argmax(axis=1)
    return float((pred == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-devices", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--num-train", type=int, default=0,
                        help="use only this many training digits (0: all)")
    args = parser.parse_args()

    data = load_digits()
    if args.num_train:
        data = (data[0][:args.num_train], data[1][:args.num_train]) + data[2:]
    _, _, x_test, y_test = data
    devices = [mx.cpu(i) for i in range(args.num_devices)]
    results = {}
    for ctx in ([devices[0]], devices):
        net, speed = train(ctx, data, args)
        # Every device holds the same parameters after each step.
        for param in net.collect_params().values():
            copies = [d.asnumpy() for d in param.list_data()]
            if any(not np.allclose(copies[0], c) for c in copies[1:]):
                raise SystemExit(f"{param.name} differs between devices")
        acc = accuracy(net, ctx[0], x_test, y_test)
        results[len(ctx)] = speed
        print(f"{len(ctx)} device(s) {ctx}: {speed:8.1f} samples/s, "
              f"held-out accuracy {acc:.4f}", flush=True)
    print(f"speed-up with {args.num_devices} devices: "
          f"{results[args.num_devices] / results[1]:.2f}x "
          f"(on {os.cpu_count()} CPU cores)")


if __name__ == "__main__":
    main()
