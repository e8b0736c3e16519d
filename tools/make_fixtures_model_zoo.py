"""Write the model-zoo fixtures of tests/gluon/test_model_zoo.py with real MXNet 1.9.1.

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_model_zoo.py

Files written to tests/fixtures/model_zoo/:
* ``structure.json.gz``: for every model of ``get_model`` (and a few
  variants with other ``classes``/``thumbnail``/``dropout``): parameter
  names, structural names (``features.0.weight``), shapes after a forward
  pass at the given input size, and ``repr`` before and after that pass;
* ``outputs.npz``: inference outputs of models filled with the
  deterministic weights of ``tests/gluon/zoo_weights.py`` on fixed inputs;
* ``mobilenet0.25.params``: ``save_parameters`` of a mobilenet0.25 after
  MXNet's own (seeded Xavier) initialisation, with its outputs in
  ``outputs.npz`` (inference, and training mode: outputs, updated running
  statistics and a weight gradient);
* ``squeezenet1.1_c10_fp16.params``: the same for squeezenet1.1 with 10
  classes, saved after casting to float16 to keep the file small.

It also prints MXNet's model-store table of SHA-1 digests (facts about the
published files), which ``mxnet/gluon/model_zoo/model_store.py`` holds as data.
"""
import gzip
import importlib.util
import json
import os

import numpy as np
import mxnet as mx
from mxnet import autograd
from mxnet.gluon.model_zoo import model_store, vision

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "model_zoo")
_spec = importlib.util.spec_from_file_location(
    "zoo_weights", os.path.join(HERE, "..", "tests", "gluon", "zoo_weights.py"))
zoo_weights = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(zoo_weights)

# (name, kwargs, input size) for the structure checks.
VARIANTS = [
    ("resnet18_v1", {"thumbnail": True, "classes": 10}, 32),
    ("resnet50_v2", {"thumbnail": True, "classes": 10}, 32),
    ("mobilenet0.75", {"classes": 10}, 64),
    ("mobilenetv2_0.5", {"classes": 10}, 64),
    ("densenet121", {"classes": 10, "dropout": 0.1}, 224),
    ("vgg13_bn", {"classes": 10}, 32),
    ("squeezenet1.0", {"classes": 10}, 224),
    ("alexnet", {"classes": 10}, 67),
]

# (name, kwargs, input shape) for the output checks with zoo_weights.
OUTPUT_CASES = [
    ("mobilenetv2_0.25", {"classes": 10}, (2, 3, 64, 64)),
    ("resnet18_v1", {}, (2, 3, 64, 64)),
    ("resnet18_v2", {"thumbnail": True, "classes": 10}, (2, 3, 32, 32)),
    ("resnet50_v1", {"classes": 10}, (2, 3, 64, 64)),
    ("resnet50_v2", {"thumbnail": True, "classes": 10}, (2, 3, 32, 32)),
    ("alexnet", {"classes": 10}, (2, 3, 67, 67)),
    ("vgg11", {"classes": 10}, (2, 3, 32, 32)),
    ("vgg11_bn", {"classes": 10}, (2, 3, 32, 32)),
    ("squeezenet1.0", {"classes": 10}, (1, 3, 224, 224)),
    ("densenet121", {"classes": 10}, (1, 3, 224, 224)),
    ("inceptionv3", {"classes": 10}, (1, 3, 299, 299)),
]


def case_key(name, kwargs, size):
    args = ",".join(f"{k}={kwargs[k]}" for k in sorted(kwargs))
    return f"{name}|{args}|{size}"


def structure():
    cases = [(n, {}, 299 if n == "inceptionv3" else 224) for n in sorted(model_store._model_sha1)]
    out = {}
    for name, kwargs, size in cases + VARIANTS:
        net = vision.get_model(name, **kwargs)
        before = repr(net)
        net.initialize()
        net(mx.nd.zeros((1, 3, size, size)))
        params = net.collect_params()
        out[case_key(name, kwargs, size)] = {
            "name": name, "kwargs": kwargs, "size": size,
            "names": list(params.keys()),
            "shapes": [list(p.shape) for p in params.values()],
            "structural": list(net._collect_params_with_prefix().keys()),
            "repr_before": before, "repr_after": repr(net)}
        print("structure", name, kwargs, len(params.keys()))
    with gzip.open(os.path.join(OUT, "structure.json.gz"), "wt") as f:
        json.dump(out, f)


def fill(net, seed=0):
    params = list(net.collect_params().values())
    for p, value in zip(params, zoo_weights.zoo_weights([(p.name, p.shape) for p in params],
                                                        seed)):
        p.set_data(mx.nd.array(value))


def outputs():
    arrays = {}
    for name, kwargs, shape in OUTPUT_CASES:
        net = vision.get_model(name, **kwargs)
        net.initialize()
        x = mx.nd.array(zoo_weights.input_batch(shape))
        net(x)
        fill(net)
        key = case_key(name, kwargs, shape[-1])
        arrays[f"{key}:input_shape"] = np.array(shape)
        arrays[f"{key}:output"] = net(x).asnumpy()
        print("output", key)
    xavier = mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)

    # mobilenet0.25 from MXNet's own initialisation, saved as a .params file.
    mx.random.seed(0)
    net = vision.get_model("mobilenet0.25")
    net.initialize(xavier)
    x = mx.nd.array(zoo_weights.input_batch((2, 3, 64, 64)))
    net(x)
    net.save_parameters(os.path.join(OUT, "mobilenet0.25.params"))
    arrays["mobilenet0.25:input_shape"] = np.array(x.shape)
    arrays["mobilenet0.25:output"] = net(x).asnumpy()
    with autograd.record():
        y = net(x)
    y.backward()
    arrays["mobilenet0.25:train_output"] = y.asnumpy()
    structural = net._collect_params_with_prefix()
    for key in ("features.1.running_mean", "features.1.running_var", "features.79.running_var"):
        arrays[f"mobilenet0.25:train:{key}"] = structural[key].data().asnumpy()
    arrays["mobilenet0.25:train:grad:features.0.weight"] = \
        structural["features.0.weight"].grad().asnumpy()

    # squeezenet1.1 (10 classes) stored in float16, loaded back into float32.
    net = vision.get_model("squeezenet1.1", classes=10)
    net.initialize(xavier)
    x = mx.nd.array(zoo_weights.input_batch((2, 3, 224, 224)))
    net(x)
    net.cast("float16")
    path = os.path.join(OUT, "squeezenet1.1_c10_fp16.params")
    net.save_parameters(path)
    net = vision.get_model("squeezenet1.1", classes=10)
    net.load_parameters(path, cast_dtype=True)
    arrays["squeezenet1.1_c10_fp16:input_shape"] = np.array(x.shape)
    arrays["squeezenet1.1_c10_fp16:output"] = net(x).asnumpy()
    np.savez_compressed(os.path.join(OUT, "outputs.npz"), **arrays)


def main():
    os.makedirs(OUT, exist_ok=True)
    print("_MODEL_SHA1 = {")
    for name in sorted(model_store._model_sha1):
        print(f'    "{name}": "{model_store._model_sha1[name]}",')
    print("}")
    structure()
    outputs()


if __name__ == "__main__":
    main()
