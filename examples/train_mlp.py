"""Train, evaluate, save and reload a small classifier with mx.nd and autograd.

The data set is generated here (three interleaved spirals in 2-D, seeded),
so the script runs anywhere without downloads. A 2-64-64-3 MLP is trained
with plain SGD written against NDArrays, evaluated on held-out points,
saved to a .params file, reloaded and evaluated again.

    python examples/train_mlp.py [--epochs 60] [--out mlp.params]
"""
import argparse
import os
import tempfile
import time

import numpy as np

import mxnet as mx
from mxnet import autograd, nd


def make_spirals(n_per_class=400, classes=3, noise=0.3, seed=0):
    """Points on ``classes`` interleaved spiral arms, with integer labels."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        t = np.linspace(0.05, 1.0, n_per_class)
        angle = t * 3.5 + c * 2 * np.pi / classes + rng.normal(0, noise, n_per_class)
        xs.append(np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1))
        ys.append(np.full(n_per_class, c))
    x, y = np.concatenate(xs).astype(np.float32), np.concatenate(ys)
    order = rng.permutation(len(y))
    return x[order], y[order]


def init_params(sizes, seed=1):
    rng = np.random.default_rng(seed)
    params = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        scale = np.sqrt(2.0 / fan_in)
        params[f"dense{i}_weight"] = nd.array(rng.normal(0, scale, (fan_in, fan_out)))
        params[f"dense{i}_bias"] = nd.zeros((fan_out,))
    return params


def forward(params, x):
    n_layers = len(params) // 2
    for i in range(n_layers):
        x = nd.broadcast_add(nd.dot(x, params[f"dense{i}_weight"]), params[f"dense{i}_bias"])
        if i < n_layers - 1:
            x = nd.relu(x)
    return x


def cross_entropy(logits, onehot):
    shifted = nd.broadcast_sub(logits, nd.max(logits, axis=1, keepdims=True))
    log_prob = nd.broadcast_sub(shifted, nd.log(nd.sum(nd.exp(shifted), axis=1, keepdims=True)))
    return -nd.mean(nd.sum(log_prob * onehot, axis=1))


def accuracy(params, x, y):
    pred = forward(params, nd.array(x)).asnumpy().argmax(axis=1)
    return float((pred == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.2)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "mlp.params"))
    args = parser.parse_args()

    mx.random.seed(0)
    x, y = make_spirals()
    split = int(0.8 * len(y))
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]
    onehot = np.eye(3, dtype=np.float32)[y_train]
    params = init_params([2, 64, 64, 3])
    for p in params.values():
        p.attach_grad()

    start = time.time()
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        for i in range(0, split, args.batch_size):
            xb = nd.array(x_train[i:i + args.batch_size])
            yb = nd.array(onehot[i:i + args.batch_size])
            with autograd.record():
                loss = cross_entropy(forward(params, xb), yb)
            loss.backward()
            for p in params.values():
                p[:] = p - args.lr * p.grad
            total += loss.asscalar() * len(xb)
        if epoch % 10 == 0 or epoch == 1:
            print(f"epoch {epoch:3d}  loss {total / split:.4f}  "
                  f"test accuracy {accuracy(params, x_test, y_test):.3f}  "
                  f"({time.time() - start:.1f}s)", flush=True)

    acc = accuracy(params, x_test, y_test)
    nd.save(args.out, params)
    reloaded = nd.load(args.out)
    acc_reloaded = accuracy(reloaded, x_test, y_test)
    print(f"held-out accuracy {acc:.3f}; saved to {args.out}; "
          f"reloaded accuracy {acc_reloaded:.3f}")
    if acc_reloaded != acc:
        raise SystemExit("reloaded parameters give a different accuracy")
    if acc < 0.9:
        raise SystemExit(f"accuracy {acc:.3f} is below the expected 0.9")


if __name__ == "__main__":
    main()
