"""Synchronous data-parallel training across processes with the dist_sync KVStore.

Start it with MPI, one process per worker:

    mpirun -n 2 python examples/distributed_mpirun.py [--epochs 5]
    python -m mxnet.tools.launch -n 2 python examples/distributed_mpirun.py

Every worker creates ``mx.kv.create('dist_sync')``, reads its own shard of
the bundled 8x8 digits (``kv.rank``-th of ``kv.num_workers``) and trains the
same Gluon network; ``Trainer(..., kvstore=kv)`` sums the gradients of all
workers at each step, so every worker holds identical parameters throughout.
Each worker prints a checksum of its parameters at the end (they must all
agree), and worker 0 the held-out accuracy. Run without mpirun it is a job
of one worker. Needs mpi4py and an MPI library (``pip install mxnext[dist]``).
"""
import argparse
import os
import sys

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import load_digits  # noqa: E402  (the bundled data set's reader)


def build_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
            nn.MaxPool2D(pool_size=2),
            nn.Flatten(),
            nn.Dense(64, activation="relu"),
            nn.Dense(10))
    return net


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32,
                        help="samples per worker per step")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--kvstore", default="dist_sync")
    args = parser.parse_args()

    kv = mx.kv.create(args.kvstore)
    rank, workers = kv.rank, kv.num_workers
    x_train, y_train, x_test, y_test = load_digits()
    # Each worker trains on its own shard; equal shard sizes keep the steps in lockstep.
    per_worker = len(y_train) // workers
    x_mine = x_train[rank * per_worker:(rank + 1) * per_worker]
    y_mine = y_train[rank * per_worker:(rank + 1) * per_worker]
    print(f"worker {rank} of {workers}: {len(y_mine)} training digits", flush=True)

    mx.random.seed(rank)  # different initial values: the store makes them agree
    net = build_net()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": args.lr, "momentum": 0.9}, kvstore=kv)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(100 + rank)
    for epoch in range(1, args.epochs + 1):
        order = rng.permutation(len(y_mine))
        total = 0.0
        for i in range(0, len(order) - args.batch_size + 1, args.batch_size):
            idx = order[i:i + args.batch_size]
            data, label = nd.array(x_mine[idx]), nd.array(y_mine[idx])
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            # The gradients of all workers are summed: normalise by the global batch.
            trainer.step(args.batch_size * workers)
            total += float(loss.sum().asscalar())
        print(f"worker {rank} epoch {epoch}: loss {total / len(order):.4f}", flush=True)

    checksum = sum(float(np.abs(p.data().asnumpy()).sum())
                   for p in net.collect_params().values())
    print(f"worker {rank} parameter checksum {checksum:.6f}", flush=True)
    if rank == 0:
        pred = net(nd.array(x_test)).asnumpy().argmax(axis=1)
        print(f"held-out accuracy {float((pred == y_test).mean()):.4f}", flush=True)


if __name__ == "__main__":
    main()
