"""Record how MXNet 1.9.1 updates weights and optimizer states of mixed storage
types, for tests/test_sparse_updates.py.

Run with the oracle's interpreter from outside the repository root::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_sparse_updates.py

Writes ``tests/fixtures/sparse/updates.json``:

* ``sources``: named 4x2 arrays. An input name is a storage prefix plus a
  source: ``d`` dense, ``r`` row_sparse storing every row, ``p`` row_sparse
  storing rows 0 and 2 only, ``e`` row_sparse storing nothing (all zeros);
  ``rG``/``dG`` are the gradient (rows 1 and 3) in row_sparse/dense form.
* ``ops``: calls of sgd/sgd_mom/adam/ftrl_update (operator, input names,
  ``lazy_update`` (null: not passed), whether ``out=weight`` is passed; the
  other arguments are ``kwargs`` plus ``momentum`` for sgd_mom_update) with what MXNet left
  in the weight and states (storage type, stored rows, values) and what it
  returned, or ``"error"`` with the words of its message that matter.
  Left out: row_sparse states storing only some rows (MXNet reads memory it
  does not own; results are undefined) and a non-lazy Adam on empty
  row_sparse states (MXNet fails an internal size check).
* ``trainer``: the full weight of a gluon ``SparseEmbedding(6, 2)`` after each
  of two ``Trainer.step`` calls, per weight initializer and optimizer.
"""
import json
import os

import numpy as np
import mxnet as mx
from mxnet import autograd, gluon

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "sparse", "updates.json")

SOURCES = {
    "W": [[1, 2], [3, 4], [5, 6], [7, 8]],
    "S": [[0.25, 0.5], [0.75, 1], [1.25, 1.5], [1.75, 2]],
    "G": [[0, 0], [0.5, -1], [0, 0], [2, 0.25]],
}
STATES = {"sgd_update": 0, "sgd_mom_update": 1, "adam_update": 2, "ftrl_update": 2}


def make(name):
    kind, src = name[0], np.array(SOURCES[name[1:]], np.float32)
    if kind == "d":
        return mx.nd.array(src)
    if kind == "e":
        return mx.nd.zeros(src.shape, stype="row_sparse")
    rows = {"r": np.arange(len(src)), "p": np.array([0, 2])}.get(kind)
    if name[1:] == "G":
        rows = np.array([1, 3])
    return mx.nd.sparse.row_sparse_array((src[rows], rows), shape=src.shape)


def describe(arr):
    values = [float("%.6g" % v) for v in arr.asnumpy().ravel()]
    rows = arr.indices.asnumpy().tolist() if arr.stype == "row_sparse" else None
    return [arr.stype, rows, values]


def op_cases():
    for op, n_states in STATES.items():
        for w in ("rW", "dW"):
            for g in ("rG", "dG"):
                for s in ("eS", "dS", "rS") if n_states else ("",):
                    if w == "dW" and g == "dG" and s in ("dS", ""):
                        continue  # all dense: not a storage question
                    for lazy in ((True, False) if op != "ftrl_update" else (None,)):
                        if (op, w, g, s, lazy) == ("adam_update", "rW", "rG", "eS", False):
                            continue  # MXNet fails an internal check (empty state); we grow it
                        yield op, [w, g] + [s] * n_states, lazy, True
    # MXNet refuses these: a weight storing some rows, and sparse kernels without out=weight.
    yield "sgd_update", ["pW", "rG"], True, True
    yield "sgd_mom_update", ["pW", "rG", "rS"], True, True
    yield "sgd_update", ["rW", "rG"], True, False
    yield "sgd_update", ["dW", "rG"], False, False
    yield "sgd_mom_update", ["rW", "rG", "eS"], True, False
    yield "adam_update", ["dW", "rG", "dS", "dS"], True, False
    yield "ftrl_update", ["rW", "rG", "rS", "rS"], None, False
    # A fallback needs no out=: it returns a new dense array.
    yield "sgd_mom_update", ["rW", "dG", "eS"], True, False
    # Adam's states must share one storage type.
    yield "adam_update", ["rW", "rG", "eS", "dS"], True, True


def run_op(op, names, lazy, use_out):
    arrays = [make(n) for n in names]
    kwargs = dict(lr=0.1, wd=0.1, **({"momentum": 0.9} if op == "sgd_mom_update" else {}))
    if lazy is not None:
        kwargs["lazy_update"] = lazy
    case = {"op": op, "inputs": names, "lazy_update": lazy, "out": use_out}
    try:
        if use_out:
            getattr(mx.nd, op)(*arrays, out=arrays[0], **kwargs)
        else:
            case["returned"] = describe(getattr(mx.nd, op)(*arrays, **kwargs))
        case["weight"] = describe(arrays[0])
        case["states"] = [describe(a) for a in arrays[2:]]
    except mx.base.MXNetError as e:
        message = str(e)
        for words in ("kWriteInplace", "all rows", "Inconsistent storage types"):
            if words in message:
                case["error"] = words
                break
        else:
            raise
    return case


def trainer_cases():
    settings = [("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
                ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "lazy_update": False}),
                ("adam", {"learning_rate": 0.1, "wd": 0.01}),
                ("adam", {"learning_rate": 0.1, "lazy_update": False})]
    for init in ("zeros", "ones"):
        for name, kwargs in settings:
            emb = gluon.contrib.nn.SparseEmbedding(6, 2, weight_initializer=init)
            emb.initialize()
            trainer = gluon.Trainer(emb.collect_params(), name, dict(kwargs))
            steps = []
            for ids in ([1, 3], [3, 4]):
                with autograd.record():
                    loss = (emb(mx.nd.array(ids)) * mx.nd.array([[1, 2], [3, 4]])).sum()
                loss.backward()
                trainer.step(1)
                weight = emb.weight.row_sparse_data(mx.nd.arange(6)).asnumpy()
                steps.append([float("%.6g" % v) for v in weight.ravel()])
            yield {"init": init, "optimizer": name, "kwargs": kwargs, "steps": steps}


def main():
    fixture = {"sources": SOURCES, "kwargs": {"lr": 0.1, "wd": 0.1}, "momentum": 0.9,
               "ops": [run_op(*case) for case in op_cases()],
               "trainer": list(trainer_cases())}
    with open(OUT, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {len(fixture['ops'])} op cases and {len(fixture['trainer'])} trainer cases "
          f"to {OUT} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
