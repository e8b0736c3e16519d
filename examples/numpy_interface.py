"""The NumPy interface (``mx.np``/``mx.npx``) the way the d2l.ai book uses it.

Part one fits a linear regression from scratch: ``np`` arrays, autograd and a
hand-written SGD step. Part two trains a Gluon MLP under ``npx.set_np()`` on
the 8x8 handwritten digits bundled in ``examples/data`` (hybridized, with a
DataLoader and a Trainer), evaluates it on held-out digits, saves the
parameters, reloads them into a fresh network and evaluates again.

    python examples/numpy_interface.py [--epochs 10]
"""
import argparse
import gzip
import os
import tempfile

import numpy as onp

from mxnet import autograd, gluon, init, np, npx

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")


def linear_regression(steps=300, lr=0.1):
    """Recover w = [2, -3.4], b = 4.2 from noisy samples."""
    true_w, true_b = np.array([2.0, -3.4]), 4.2
    features = np.random.normal(0, 1, (1000, 2))
    labels = np.dot(features, true_w) + true_b + np.random.normal(0, 0.01, (1000,))
    w, b = np.random.normal(0, 0.01, (2,)), np.zeros(1)
    w.attach_grad()
    b.attach_grad()
    for step in range(steps):
        batch = slice(step * 10 % 1000, step * 10 % 1000 + 10)
        with autograd.record():
            loss = ((np.dot(features[batch], w) + b - labels[batch]) ** 2 / 2).mean()
        loss.backward()
        w[:] = w - lr * w.grad
        b[:] = b - lr * b.grad
    return w, b


def load_digits(seed=0):
    """((x, y) train, (x, y) held out): 64 pixels in [0, 1] and the digit."""
    with gzip.open(DATA, "rt") as f:
        table = onp.loadtxt(f, delimiter=",", dtype="float32")
    order = onp.random.default_rng(seed).permutation(len(table))
    x, y = table[order, :64] / 16.0, table[order, 64].astype("int32")
    split = int(len(y) * 0.8)
    return (np.array(x[:split]), np.array(y[:split], dtype="int32")), \
        (np.array(x[split:]), np.array(y[split:], dtype="int32"))


def make_net():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(128, activation="relu"), gluon.nn.Dense(10))
    return net


def accuracy(net, x, y):
    return float((net(x).argmax(axis=1) == y.astype("float32")).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--min-accuracy", type=float, default=0.9)
    args = parser.parse_args()
    npx.set_np()

    w, b = linear_regression()
    print(f"linear regression: w = {w}, b = {b}")
    assert float(np.abs(w - np.array([2.0, -3.4])).max()) < 0.05

    (x_train, y_train), (x_test, y_test) = load_digits()
    net = make_net()
    net.initialize(init.Xavier())
    net.hybridize()
    loader = gluon.data.DataLoader(gluon.data.ArrayDataset(x_train, y_train), batch_size=64,
                                   shuffle=True)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    for epoch in range(args.epochs):
        total = 0.0
        for data, label in loader:
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total += float(loss.sum())
        print(f"epoch {epoch}: loss {total / len(y_train):.4f}, "
              f"held-out accuracy {accuracy(net, x_test, y_test):.3f}")
    test_accuracy = accuracy(net, x_test, y_test)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "mlp.params")
        net.save_parameters(path)
        reloaded = make_net()
        reloaded.load_parameters(path)
        reloaded_accuracy = accuracy(reloaded, x_test, y_test)
    print(f"held-out accuracy {test_accuracy:.3f}, after reloading {reloaded_accuracy:.3f}")
    assert reloaded_accuracy == test_accuracy
    assert test_accuracy >= args.min_accuracy, test_accuracy


if __name__ == "__main__":
    main()
