"""Train a symbolic network with the Module API, checkpoint it and reload it.

The network (an MLP or LeNet, built with ``mx.sym``) learns the bundled 8x8
digits through ``mx.mod.Module.fit`` fed by ``mx.io.NDArrayIter``, logging
with ``mx.callback.Speedometer`` and writing ``PREFIX-symbol.json`` and
``PREFIX-%04d.params`` after every epoch with ``mx.callback.do_checkpoint``.
The last checkpoint is then loaded with ``mx.mod.Module.load`` and scored on
the held-out digits, which must give the trained module's accuracy.

    python examples/module_train.py [--network lenet] [--epochs 10] [--prefix /tmp/digits]
"""
import argparse
import logging
import os
import sys
import tempfile

import numpy as np

import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_digits import load_digits  # noqa: E402  (the bundled data set's reader)


def mlp():
    data = mx.sym.flatten(mx.sym.var("data"))
    fc1 = mx.sym.FullyConnected(data, num_hidden=128, name="fc1")
    act1 = mx.sym.Activation(fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(act1, num_hidden=64, name="fc2")
    act2 = mx.sym.Activation(fc2, act_type="relu", name="relu2")
    fc3 = mx.sym.FullyConnected(act2, num_hidden=10, name="fc3")
    return mx.sym.SoftmaxOutput(fc3, name="softmax")


def lenet():
    """LeNet shrunk to 8x8 inputs: two 3x3 convolutions, one pooling."""
    data = mx.sym.var("data")
    conv1 = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=20, name="conv1")
    act1 = mx.sym.Activation(conv1, act_type="tanh", name="tanh1")
    conv2 = mx.sym.Convolution(act1, kernel=(3, 3), pad=(1, 1), num_filter=40, name="conv2")
    act2 = mx.sym.Activation(conv2, act_type="tanh", name="tanh2")
    pool = mx.sym.Pooling(act2, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool")
    fc1 = mx.sym.FullyConnected(mx.sym.flatten(pool), num_hidden=100, name="fc1")
    act3 = mx.sym.Activation(fc1, act_type="tanh", name="tanh3")
    fc2 = mx.sym.FullyConnected(act3, num_hidden=10, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", choices=("mlp", "lenet"), default="lenet")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--prefix", default=os.path.join(tempfile.gettempdir(), "digits-module"),
                        help="checkpoint files are PREFIX-symbol.json and PREFIX-NNNN.params")
    parser.add_argument("--min-accuracy", type=float, default=0.95)
    args = parser.parse_args()
    # fit and the callbacks report through the root logger, as in MXNet.
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)

    mx.random.seed(0)
    np.random.seed(0)
    x_train, y_train, x_test, y_test = load_digits()
    train_iter = mx.io.NDArrayIter(x_train, y_train.astype(np.float32), args.batch_size,
                                   shuffle=True, label_name="softmax_label")
    test_iter = mx.io.NDArrayIter(x_test, y_test.astype(np.float32), args.batch_size,
                                  label_name="softmax_label")

    symbol = mlp() if args.network == "mlp" else lenet()
    mod = mx.mod.Module(symbol, data_names=("data",), label_names=("softmax_label",),
                        context=mx.cpu())
    mod.fit(train_iter, eval_data=test_iter, eval_metric="acc",
            optimizer="sgd",
            optimizer_params={"learning_rate": args.lr, "momentum": 0.9, "wd": 1e-4},
            initializer=mx.init.Xavier(magnitude=2.0),
            num_epoch=args.epochs,
            batch_end_callback=mx.callback.Speedometer(args.batch_size, 20),
            epoch_end_callback=mx.callback.do_checkpoint(args.prefix))
    acc = dict(mod.score(test_iter, "acc"))["accuracy"]

    # A fresh module from the files alone: the symbol and the last epoch's parameters.
    loaded = mx.mod.Module.load(args.prefix, args.epochs, label_names=("softmax_label",))
    loaded.bind(data_shapes=test_iter.provide_data, label_shapes=test_iter.provide_label,
                for_training=False)
    acc_loaded = dict(loaded.score(test_iter, "acc"))["accuracy"]
    print(f"held-out accuracy {acc:.4f}; checkpoint {args.prefix}-{args.epochs:04d}.params "
          f"reloaded accuracy {acc_loaded:.4f}")
    if abs(acc_loaded - acc) > 1e-9:
        raise SystemExit("the reloaded checkpoint gives a different accuracy")
    if acc < args.min_accuracy:
        raise SystemExit(f"accuracy {acc:.4f} is below {args.min_accuracy}")


if __name__ == "__main__":
    main()
