"""Write the Gluon fixtures of tests/gluon/ with real MXNet 1.9.1.

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_gluon.py

Files written to tests/fixtures/gluon/:
* ``names.json``: parameter names, structural names and reprs of nested blocks;
* ``mlp.params``: ``save_parameters`` of a small MLP with fixed weights;
* ``mlp_legacy.params``: the same through the deprecated ``save_params``;
* ``mlp-symbol.json`` / ``mlp-0000.params``: ``export`` of that MLP;
* ``training.npz``: inputs, outputs and the weights after SGD steps with
  ``Trainer`` (one device and two cpu devices, several optimizer settings);
* ``sgd_momentum.states``: ``Trainer.save_states`` after one SGD-momentum
  step on ``w = ones(3)`` with gradient ``[1, 2, 3]``.
"""
import json
import os

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "gluon")
rng = np.random.RandomState(7)


class Net(gluon.HybridBlock):
    """A custom block with a parameter of its own and nested children."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.scale = self.params.get("scale", shape=(1,), init="ones")
            self.body = nn.HybridSequential()
            self.body.add(nn.Dense(4, activation="relu"), nn.Dense(3, use_bias=False))
            self.head = nn.Dense(2, flatten=False)

    def hybrid_forward(self, F, x, scale):
        return self.head(F.broadcast_mul(self.body(x), scale))


def mlp():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    return net


def fixed_weights(net):
    for name, p in sorted(net.collect_params().items()):
        p.set_data(mx.nd.array(rng.uniform(-0.5, 0.5, p.shape)))


def names():
    out = {}
    with mx.name.NameManager():
        net = Net()
        net.initialize()
        net(mx.nd.ones((2, 6)))
        out["net"] = {"params": list(net.collect_params().keys()),
                      "structural": sorted(net._collect_params_with_prefix().keys()),
                      "repr": repr(net), "prefix": net.prefix,
                      "shapes": {k: list(v.shape) for k, v in net.collect_params().items()}}
        seq = nn.Sequential()
        with seq.name_scope():
            seq.add(nn.Dense(3), nn.Dense(3))
            inner = nn.HybridSequential()
            inner.add(nn.Dense(2))
            seq.add(inner)
        second = nn.Dense(5)
        out["seq"] = {"params": list(seq.collect_params().keys()), "repr": repr(seq),
                      "second": second.name,
                      "select": list(seq.collect_params(".*bias").keys())}
    return out


def train(ctxs, optimizer, optimizer_params, steps=3, hybridize=False):
    mx.random.seed(0)
    with mx.name.NameManager():
        net = mlp()
    net.initialize(ctx=ctxs)
    fixed = mx.nd.load(os.path.join(OUT, "mlp_init.params"))
    for key, p in net.collect_params().items():
        p.set_data(fixed[key])
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), optimizer, optimizer_params)
    data = np.load(os.path.join(OUT, "inputs.npz"))
    losses = []
    for _ in range(steps):
        xs = gluon.utils.split_and_load(mx.nd.array(data["x"]), ctxs)
        ys = gluon.utils.split_and_load(mx.nd.array(data["y"]), ctxs)
        with autograd.record():
            ls = [-mx.nd.pick(mx.nd.log_softmax(net(x)), y) for x, y in zip(xs, ys)]
        for loss in ls:
            loss.backward()
        trainer.step(data["x"].shape[0])
        losses.append(sum(float(loss.sum().asscalar()) for loss in ls))
    params = {k: p.data(ctxs[0]).asnumpy() for k, p in net.collect_params().items()}
    return params, losses


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "names.json"), "w") as f:
        json.dump(names(), f, indent=1, sort_keys=True)

    with mx.name.NameManager():
        net = mlp()
    net.initialize()
    fixed_weights(net)
    mx.nd.save(os.path.join(OUT, "mlp_init.params"),
               {k: p.data() for k, p in net.collect_params().items()})
    net.save_parameters(os.path.join(OUT, "mlp.params"))
    net.save_params(os.path.join(OUT, "mlp_legacy.params"))
    x = rng.uniform(-1, 1, (6, 5)).astype(np.float32)
    y = np.array([0, 1, 2, 1, 0, 2], dtype=np.float32)
    np.savez(os.path.join(OUT, "inputs.npz"), x=x, y=y)
    net.hybridize()
    out = net(mx.nd.array(x)).asnumpy()
    net.export(os.path.join(OUT, "mlp"), epoch=0)

    results = {"forward": out}
    settings = {
        "sgd": ("sgd", {"learning_rate": 0.1}),
        "sgd_mom_wd": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
        "adam": ("adam", {"learning_rate": 0.01}),
    }
    for key, (name, params) in settings.items():
        for devices, ctxs in (("1", [mx.cpu(0)]), ("2", [mx.cpu(0), mx.cpu(1)])):
            weights, losses = train(ctxs, name, params)
            results[f"{key}_{devices}_losses"] = np.array(losses)
            for pname, value in weights.items():
                results[f"{key}_{devices}:{pname}"] = value
    np.savez(os.path.join(OUT, "training.npz"), **results)

    p = gluon.Parameter("w", shape=(3,), init="ones")
    p.initialize()
    trainer = gluon.Trainer([p], "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    with autograd.record():
        loss = (p.data() * mx.nd.array([1, 2, 3])).sum()
    loss.backward()
    trainer.step(1)
    trainer.save_states(os.path.join(OUT, "sgd_momentum.states"))


if __name__ == "__main__":
    main()
