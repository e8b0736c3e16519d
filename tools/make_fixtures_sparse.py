"""Record MXNet 1.9.1's sparse storage behaviour for tests/test_sparse.py.

Run with the oracle's interpreter from outside the repository root::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_sparse.py

Writes under ``tests/fixtures/sparse/``:

* ``cases.json``: for each (operator, input storage types, parameters) the
  output storage type MXNet infers, whether it logged a "storage fallback"
  (no sparse kernel: inputs densified), the output values and, for sparse
  outputs, the stored rows (row_sparse) or stored (row, col) pairs (csr);
  or the fact that MXNet refuses the combination.
* ``mixed.params``: row_sparse, csr and dense arrays saved by MXNet, with
  ``mixed.json`` describing them, to check loading and byte-exact saving.
"""
import json
import operator
import os
import tempfile

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "sparse")

# Dense sources of the named inputs; "r"/"c" prefixes are their row_sparse/csr forms.
SOURCES = {
    "A": [[0, 1, 0], [2, 0, 3], [0, 0, 0], [4, 5, 0]],
    "B": [[1, 0, 0], [0, 0, 0], [0, -2, 6], [3, 0, -1]],
    "W": [[1, 2], [3, 4], [5, 6]],
    "W4": [[1, 2], [3, 4], [5, 6], [7, 8]],
    "V": [[1, 0, 2, 3], [0, 4, 0, 5]],
    "row": [[1, 2, 3]],
    "col": [[1], [2], [3], [4]],
    "idx": [3, 0, 2],
}

UNARY = ["abs", "sign", "relu", "sqrt", "square", "exp", "log", "cos", "sin", "tan", "tanh",
         "sigmoid", "negative", "ceil", "floor", "round", "rint", "fix", "trunc", "arcsin",
         "arctan", "arcsinh", "arctanh", "sinh", "expm1", "log1p", "cbrt", "rsqrt", "degrees",
         "radians", "zeros_like", "ones_like", "stop_gradient", "make_loss", "gamma",
         "gammaln", "_copy", "BlockGrad", "softmax"]
ELEMWISE = ["elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "_maximum",
            "_minimum", "_hypot", "broadcast_add", "broadcast_sub", "broadcast_mul",
            "broadcast_div"]
# Python operators on arrays ("operator.X") and the mx.nd.sparse arithmetic helpers.
PYTHON_OPS = ["operator.add", "operator.sub", "operator.mul", "operator.truediv",
              "sparse.add", "sparse.subtract", "sparse.multiply", "sparse.divide"]
SCALAR = ["_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar",
          "_rdiv_scalar", "_power_scalar", "_maximum_scalar", "_minimum_scalar",
          "_equal_scalar", "_not_equal_scalar", "_greater_scalar", "_greater_equal_scalar",
          "_lesser_scalar", "_lesser_equal_scalar"]


def cases():
    for name in UNARY:
        for x in ("rA", "cA"):
            yield name, [x], {}
    for name in ELEMWISE:
        for a in ("dA", "rA", "cA"):
            for b in ("dB", "rB", "cB"):
                if (a, b) != ("dA", "dB"):
                    yield name, [a, b], {}
    for name in ("broadcast_add", "broadcast_mul", "broadcast_div"):
        for pair in (["cA", "drow"], ["cA", "dcol"], ["rA", "drow"], ["drow", "cA"]):
            yield name, pair, {}
    for name in SCALAR:
        for x in ("rB", "cB"):
            for s in (-1.0, 0.0, 2.0):
                yield name, [x], {"scalar": s}
    for x in ("rB", "cB"):
        for lo, hi in ((-1, 1), (0, 3), (1, 2), (-2, -1)):
            yield "clip", [x], {"a_min": lo, "a_max": hi}
        yield "Cast", [x], {"dtype": "int32"}
        yield "add_n", [x, x], {}
        yield "add_n", [x, x, "dB"], {}
        yield "norm", [x], {}
        yield "transpose", [x], {}
        for ax in (None, 0, 1, (0, 1), -1):
            for kd in (False, True):
                kw = {"keepdims": kd} if ax is None else {"axis": ax, "keepdims": kd}
                yield "sum", [x], kw
                yield "mean", [x], kw
                yield "_square_sum", [x], kw
    yield "sum", ["cA"], {"axis": 1, "exclude": True}
    yield "add_n", ["rA", "rB", "rA"], {}
    yield "_sparse_retain", ["rA", "didx"], {}
    yield "_sparse_retain", ["cA", "didx"], {}
    yield "_sparse_retain", ["dA", "didx"], {}
    for args in ({"begin": (1,), "end": (3,)}, {"begin": (1, 0), "end": (4, 2)},
                 {"begin": (0,), "end": (4,), "step": (2,)}):
        yield "slice", ["cA"], args
        yield "slice", ["rA"], args
    yield "concat", ["cA", "cB"], {"dim": 0}
    yield "concat", ["cA", "cB"], {"dim": 1}
    yield "concat", ["rA", "rB"], {"dim": 0}
    yield "concat", ["cA", "dB"], {"dim": 0}
    yield "where", ["cA", "dA", "dB"], {}
    for fs in (None, "default", "row_sparse", "csr"):
        kw = {} if fs is None else {"forward_stype": fs}
        yield "dot", ["cA", "dW"], kw
        yield "dot", ["cA", "dW4"], dict(kw, transpose_a=True)
        yield "dot", ["dV", "cA"], kw
        yield "dot", ["dV", "cB"], kw
        yield "dot", ["drow", "cA"], dict(kw, transpose_b=True)
        yield "dot", ["dW4", "cA"], dict(kw, transpose_a=True)
        yield "dot", ["dA", "dW"], kw
    yield "dot", ["cA", "rW"], {}
    yield "dot", ["cA", "rW4"], {"transpose_a": True}
    yield "dot", ["rA", "dW"], {}
    yield "dot", ["rA", "dW4"], {"transpose_a": True}
    yield "dot", ["dV", "rA"], {}
    yield "dot", ["cA", "cA"], {"transpose_b": True}
    for name in PYTHON_OPS:
        for a in ("dA", "rA", "cA"):
            for b in ("dB", "rB", "cB", "drow", 2.0, 0.0):
                if a != "dA" or not isinstance(b, str) or b[0] != "d":
                    yield name, [a, b], {}
        for b in ("rB", "cB"):
            yield name, [3.0, b], {}


def build(name):
    if not isinstance(name, str):
        return name
    kind, src = name[0], name[1:]
    arr = mx.nd.array(np.array(SOURCES[src], dtype=np.float32))
    return {"d": arr, "r": arr.tostype("row_sparse") if kind == "r" else None,
            "c": arr.tostype("csr") if kind == "c" else None}[kind]


def describe(out):
    entry = {"stype": out.stype, "shape": list(out.shape), "dtype": np.dtype(out.dtype).name,
             "values": out.asnumpy().tolist()}
    if out.stype == "row_sparse":
        entry["rows"] = out.indices.asnumpy().tolist()
    elif out.stype == "csr":
        indptr = out.indptr.asnumpy()
        indices = out.indices.asnumpy()[:indptr[-1]]  # MXNet may over-allocate indices
        rows = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
        entry["coords"] = sorted([int(r), int(c)] for r, c in zip(rows, indices))
    return entry


def run(name, inputs, kwargs, log_path):
    if name.startswith("operator."):
        fn = getattr(operator, name.split(".")[1])
    elif name.startswith("sparse."):
        fn = getattr(mx.nd.sparse, name.split(".")[1])
    else:
        fn = getattr(mx.nd, name, None) or getattr(mx.nd._internal, name, None)
    if fn is None:
        fn = getattr(mx.nd.sparse, name[len("_sparse_"):])
    args = [build(x) for x in inputs]
    with open(log_path, "w"):
        pass
    saved = os.dup(2)
    log = os.open(log_path, os.O_WRONLY)
    os.dup2(log, 2)
    try:
        out = fn(*args, **kwargs)
        mx.nd.waitall()
        result = describe(out)
    except mx.base.MXNetError as e:
        lines = [ln for ln in str(e).splitlines() if "MXNetError" in ln] or ["MXNetError"]
        result = {"error": lines[0][:200]}
    finally:
        os.dup2(saved, 2)
        os.close(log)
        os.close(saved)
    with open(log_path) as f:
        result["fallback"] = "Storage type fallback detected" in f.read()
    return result


def sparse_file():
    rsp = mx.nd.sparse.row_sparse_array((np.arange(6, dtype=np.float32).reshape(3, 2) + 1,
                                         [0, 2, 5]), shape=(6, 2))
    rsp64 = mx.nd.sparse.row_sparse_array((np.array([[1.5, -2, 0]], dtype=np.float64), [1]),
                                          shape=(2, 3))
    csr = mx.nd.sparse.csr_matrix(([1, 2, 3], [2, 0, 1], [0, 1, 1, 3]), shape=(3, 4))
    csr_int = mx.nd.sparse.csr_matrix((np.array([7, 8], dtype=np.int32), [0, 3], [0, 1, 2]),
                                      shape=(2, 4))
    data = {"rsp": rsp, "rsp64": rsp64, "empty_rsp": mx.nd.sparse.zeros("row_sparse", (4, 2)),
            "csr": csr, "csr_int": csr_int, "empty_csr": mx.nd.sparse.zeros("csr", (2, 2)),
            "dense": mx.nd.array([[1, 2]])}
    path = os.path.join(OUT, "mixed.params")
    mx.nd.save(path, data)
    loaded = mx.nd.load(path)
    expected = {}
    for key, arr in loaded.items():
        entry = {"stype": arr.stype, "dtype": np.dtype(arr.dtype).name, "shape": list(arr.shape),
                 "values": arr.asnumpy().tolist(), "order": list(loaded).index(key)}
        if arr.stype != "default":
            entry["data"] = arr.data.asnumpy().tolist()
            entry["indices"] = arr.indices.asnumpy().tolist()
        if arr.stype == "csr":
            entry["indptr"] = arr.indptr.asnumpy().tolist()
        expected[key] = entry
    with open(os.path.join(OUT, "mixed.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    os.environ["MXNET_STORAGE_FALLBACK_LOG_VERBOSE"] = "1"
    log_path = os.path.join(tempfile.mkdtemp(), "stderr.txt")
    table, logged = [], {}
    for name, inputs, kwargs in cases():
        result = run(name, inputs, kwargs, log_path)
        # MXNet logs each distinct fallback message once per process.
        key = (name, tuple(getattr(build(x), "stype", x) for x in inputs), json.dumps(kwargs, sort_keys=True))
        result["fallback"] = logged.setdefault(key, result["fallback"])
        table.append({"op": name, "inputs": inputs, "kwargs": kwargs, **result})
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"sources": SOURCES, "cases": table}, f, separators=(",", ":"))
    sparse_file()
    print(f"{len(table)} cases")


if __name__ == "__main__":
    main()
