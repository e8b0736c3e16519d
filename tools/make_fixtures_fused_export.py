"""MXNet 1.9.1's files for a network exported after ``optimize_for('MKLDNN')``,
and a check that MXNet loads the files this project exports.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_fused_export.py

writes ``tests/fixtures/fused_export/``: ``mxnet-symbol.json`` and
``mxnet-0000.params`` (what MXNet's ``export`` writes for a residual block
with conv+bn, conv+sum+relu and dense+activation chains, each a fused node
with a subgraph) and ``io.npz`` (the input ``x`` and MXNet's output ``y``).

    cd /tmp && /work/main/.venv-ref/bin/python \\
        /work/main/tools/make_fixtures_fused_export.py --check PREFIX

loads ``PREFIX-symbol.json``/``PREFIX-0000.params`` (exported here, e.g. by
``tests/symbol/test_fused_export.py::export_for_mxnet``) with MXNet's
``SymbolBlock.imports`` and prints the largest difference between its output
on ``io.npz``'s input and ``PREFIX-y.npy``.
"""
import os
import sys

import numpy as np

import mxnet as mx
from mxnet.gluon import nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "fused_export")


class Residual(nn.HybridBlock):
    """conv -> bn, conv + x -> relu, dense+relu, dense+sigmoid, dense."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.conv0 = nn.Conv2D(4, 3, padding=1, use_bias=False)
            self.bn0 = nn.BatchNorm()
            self.conv1 = nn.Conv2D(4, 3, padding=1)
            self.dense0 = nn.Dense(5, activation="relu")
            self.dense1 = nn.Dense(3, activation="sigmoid")
            self.dense2 = nn.Dense(3)

    def hybrid_forward(self, F, x):
        y = self.bn0(self.conv0(x))
        y = F.Activation(self.conv1(y) + x, act_type="relu")
        return self.dense2(self.dense1(self.dense0(y)))


def make():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(3)
    net = Residual(prefix="res_")
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(rng.uniform(-1, 1, (2, 4, 5, 5)).astype("float32"))
    net(x)
    for p in net.collect_params().values():   # batch norm statistics far from 0/1
        if p.name.rsplit("_", 1)[-1] in ("gamma", "beta", "mean", "var"):
            p.set_data(mx.nd.array(rng.uniform(0.5, 1.5, p.shape)))
    net.optimize_for(x, backend="MKLDNN")
    y = net(x)
    net.export(os.path.join(OUT, "mxnet"))
    np.savez(os.path.join(OUT, "io.npz"), x=x.asnumpy(), y=y.asnumpy())


def check(prefix):
    io = np.load(os.path.join(OUT, "io.npz"))
    net = nn.SymbolBlock.imports(prefix + "-symbol.json", ["data"], prefix + "-0000.params")
    got = net(mx.nd.array(io["x"])).asnumpy()
    expected = np.load(prefix + "-y.npy")
    print("loaded by MXNet", mx.__version__, "max abs difference", np.abs(got - expected).max())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    else:
        make()
