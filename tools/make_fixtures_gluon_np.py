"""Write the fixtures of tests/numpy/test_gluon_np.py with real MXNet 1.9.1.

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_gluon_np.py

Under ``npx.set_np()`` a small model mixing layers (Dense, BatchNorm) with
NumPy-style code (``F.np.dot``, ``F.npx.relu``, methods and scalars) is run
once hybridized; files written to tests/fixtures/gluon_np/:
* ``model.params``: its ``save_parameters`` (NumPy-shape records);
* ``model-symbol.json`` / ``model-0000.params``: its ``export``;
* ``io.npz``: the input ``x`` and the output ``y``.
"""
import os

import numpy as onp
import mxnet as mx
from mxnet import gluon, init, np, npx
from mxnet.gluon import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "gluon_np")


class Model(gluon.HybridBlock):
    """Layers and NumPy-style code in one hybridizable block."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(4, in_units=3)
            self.norm = nn.BatchNorm(in_channels=4)
            self.w = self.params.get("w", shape=(4, 2), init=init.Uniform(0.5))

    def hybrid_forward(self, F, x, w):
        h = self.norm(self.dense(x))
        return F.npx.relu(F.np.dot(h, w)) * 2 + h.sum(axis=1, keepdims=True)


def main():
    npx.set_np()
    mx.random.seed(3)
    net = Model(prefix="model_")
    net.initialize(init.Uniform(0.5))
    net.hybridize()
    x = np.array(onp.random.RandomState(5).uniform(-1, 1, (5, 3)).astype("float32"))
    y = net(x)
    os.makedirs(OUT, exist_ok=True)
    net.save_parameters(os.path.join(OUT, "model.params"))
    net.export(os.path.join(OUT, "model"))
    onp.savez(os.path.join(OUT, "io.npz"), x=x.asnumpy(), y=y.asnumpy())


if __name__ == "__main__":
    main()
