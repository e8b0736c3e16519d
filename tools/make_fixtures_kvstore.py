"""Write the kvstore fixtures of tests/kvstore/test_kvstore_local.py with real MXNet 1.9.1.

Run with the oracle's interpreter from the repository root (the script moves
out of it so that ``import mxnet`` finds the oracle)::

    .venv-ref/bin/python tools/make_fixtures_kvstore.py

``kvstore.npz`` holds, per case, the pushed values (``<case>/push<step>/<device>``)
and what MXNet's store returned after each step (``<case>/pull<step>``):
plain sums, the optimizer run on the store, and 2bit gradient compression
with its residual over several pushes. ``sgd_momentum.states`` is a
``save_optimizer_states(dump_optimizer=True)`` file written by MXNet.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "kvstore")
sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.abspath(HERE + "/..")]
os.chdir("/")

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402

SHAPE = (3, 4)
STEPS = 4
rng = np.random.RandomState(42)

# name -> (store type, devices, optimizer (name, kwargs) or None, compression or None)
CASES = {
    "sum_local_3dev": ("local", 3, None, None),
    "sum_device_2dev": ("device", 2, None, None),
    "sgd_momentum_local_2dev": ("local", 2, ("sgd", {"learning_rate": 0.1, "momentum": 0.9,
                                                    "wd": 0.01, "rescale_grad": 0.5}), None),
    "adam_device_2dev": ("device", 2, ("adam", {"learning_rate": 0.05}), None),
    "2bit_device_1dev": ("device", 1, None, {"type": "2bit", "threshold": 0.5}),
    "2bit_device_2dev": ("device", 2, None, {"type": "2bit", "threshold": 0.3}),
    "2bit_sgd_device_2dev": ("device", 2, ("sgd", {"learning_rate": 0.1}),
                             {"type": "2bit", "threshold": 0.5}),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    arrays = {}
    for name, (kvtype, ndev, optimizer, compression) in CASES.items():
        kv = mx.kv.create(kvtype)
        if compression:
            kv.set_gradient_compression(compression)
        init = rng.uniform(-1, 1, SHAPE).astype("float32")
        arrays[f"{name}/init"] = init
        kv.init(0, mx.nd.array(init))
        if optimizer:
            kv.set_optimizer(mx.optimizer.create(optimizer[0], **optimizer[1]))
        for step in range(STEPS):
            values = []
            for dev in range(ndev):
                v = rng.uniform(-1, 1, SHAPE).astype("float32")
                arrays[f"{name}/push{step}/{dev}"] = v
                values.append(mx.nd.array(v, ctx=mx.cpu(dev)))
            kv.push(0, values)
            out = mx.nd.zeros(SHAPE)
            kv.pull(0, out=out)
            arrays[f"{name}/pull{step}"] = out.asnumpy()
    np.savez_compressed(os.path.join(OUT, "kvstore.npz"), **arrays)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"shape": SHAPE, "steps": STEPS, "cases": CASES}, f, indent=1)

    kv = mx.kv.create("local")
    kv.init(0, mx.nd.array([1.0, 2.0, 3.0]))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    for _ in range(2):
        kv.push(0, mx.nd.array([1.0, -1.0, 0.5]))
    kv.save_optimizer_states(os.path.join(OUT, "sgd_momentum.states"), dump_optimizer=True)


if __name__ == "__main__":
    main()
