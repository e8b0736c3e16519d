"""Write MXNet 1.9.1 reference results for the symbol zoo (tests/symbol/__init__.py).

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_symbol.py

For every zoo case, ``tests/fixtures/symbol/zoo.json`` holds the ``tojson()``
text, the argument/output/aux/input lists, ``attr_dict()``, the internal
outputs and the ``infer_shape``/``infer_type`` results. ``zoo.npz`` holds, for
the cases that run, the bound inputs (``<case>/arg/<name>``, ``<case>/aux/<name>``),
the head gradients (``<case>/head/<i>``), the outputs of an inference forward
(``<case>/infer/<i>``), of a training forward (``<case>/train/<i>``), the
gradients after ``backward`` (``<case>/grad/<name>``) and the aux states after
the training forward (``<case>/aux_after/<name>``).

The hand-written files in ``tests/fixtures/symbol/legacy/`` (MXNet 0.8 and
0.9 layouts) are loaded the same way and recorded as cases ``legacy_<file>``:
their ``json`` is what MXNet 1.9.1 writes after upgrading them. ``pickle``
holds ``pickle.dumps`` of the mlp case (base64), to check that pickles made by
MXNet load.
"""
import base64
import importlib.util
import json
import os
import pickle

import numpy as np

import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "symbol")


def _load_zoo():
    # Loaded by path: putting the repository on sys.path would shadow real MXNet.
    path = os.path.join(HERE, "..", "tests", "symbol", "__init__.py")
    spec = importlib.util.spec_from_file_location("symbol_zoo", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inputs(case, ex, rng):
    """Fill the executor's arguments and aux states with fixed random values."""
    arrays = {}
    labels = case.get("labels", {})
    for name, arr in ex.arg_dict.items():
        if name in labels:
            value = rng.integers(0, labels[name], size=arr.shape)
        else:
            value = rng.normal(size=arr.shape)
        arrays[f"arg/{name}"] = value.astype(arr.dtype)
        arr[:] = arrays[f"arg/{name}"]
    for name, arr in ex.aux_dict.items():
        value = rng.uniform(0.5, 1.5, size=arr.shape) if name.endswith("var") \
            else rng.normal(size=arr.shape)
        arrays[f"aux/{name}"] = value.astype(arr.dtype)
        arr[:] = arrays[f"aux/{name}"]
    return arrays


def _run(case, rng):
    sym = case["symbol"]
    types = case.get("types")
    ex = sym.simple_bind(mx.cpu(), grad_req="write", type_dict=types, **case["shapes"])
    arrays = _inputs(case, ex, rng)
    for i, out in enumerate(ex.forward(is_train=False)):
        arrays[f"infer/{i}"] = out.asnumpy()
    heads = []
    for i, out in enumerate(ex.forward(is_train=True)):
        arrays[f"train/{i}"] = out.asnumpy()
        arrays[f"head/{i}"] = rng.normal(size=out.shape).astype(out.dtype)
        heads.append(mx.nd.array(arrays[f"head/{i}"], dtype=out.dtype))
    ex.backward(heads)
    for name, grad in ex.grad_dict.items():
        arrays[f"grad/{name}"] = grad.asnumpy()
    for name, arr in ex.aux_dict.items():
        arrays[f"aux_after/{name}"] = arr.asnumpy()
    return arrays


def _describe(sym, case):
    types = case.get("types") or {k: "float32" for k in case["shapes"]}
    arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**case["shapes"])
    arg_types, out_types, aux_types = sym.infer_type(**types)
    return {
        "json": sym.tojson(),
        "arguments": sym.list_arguments(),
        "outputs": sym.list_outputs(),
        "auxiliary_states": sym.list_auxiliary_states(),
        "inputs": sym.list_inputs(),
        "attr_dict": sym.attr_dict(),
        "internals": sym.get_internals().list_outputs(),
        "arg_shapes": arg_shapes, "out_shapes": out_shapes, "aux_shapes": aux_shapes,
        "arg_types": [np.dtype(t).name for t in arg_types],
        "out_types": [np.dtype(t).name for t in out_types],
        "aux_types": [np.dtype(t).name for t in aux_types],
    }


def main():
    zoo = _load_zoo()
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    meta, arrays = {}, {}
    cases = {name: zoo.build(mx, name) for name in zoo.ZOO}
    for name, spec in zoo.LEGACY.items():
        cases[f"legacy_{name}"] = dict(spec, symbol=mx.sym.load(
            os.path.join(zoo.LEGACY_DIR, f"{name}.json")))
    for name, case in cases.items():
        meta[name] = _describe(case["symbol"], case)
        if case.get("run", True):
            for key, value in _run(case, rng).items():
                arrays[f"{name}/{key}"] = value
    meta["pickle"] = base64.b64encode(pickle.dumps(cases["mlp"]["symbol"])).decode()
    with open(os.path.join(OUT, "zoo.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    np.savez_compressed(os.path.join(OUT, "zoo.npz"), **arrays)


if __name__ == "__main__":
    main()
