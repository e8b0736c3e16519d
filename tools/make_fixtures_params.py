"""Write the ``.params`` fixtures of tests/test_serialization.py with real MXNet 1.9.1.

Run with the oracle's interpreter from the repository root::

    .venv-ref/bin/python tools/make_fixtures_params.py

Each ``<name>.params`` is written by MXNet itself (``mx.nd.save`` /
``npx.save``), except the legacy-format files, which are built by hand here
because MXNet 1.9 can only read those layouts, then checked by loading them
with MXNet.  ``expected.json`` records, per file, what MXNet loads from it
(names, dtype, shape, values; sparse parts separately) and how to write it
again (``byte_exact`` plus the ``dumps`` keyword arguments).
"""
import json
import os
import struct

import numpy as np
import mxnet as mx
from mxnet.ndarray import ndarray as _nd

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "params")
BF16 = _nd._DTYPE_MX_TO_NP[12]  # MXNet's structured two-byte bfloat16 dtype
rng = np.random.RandomState(1234)


def dense_entry(a):
    a = np.asarray(a)
    if a.dtype == BF16:
        return {"stype": "default", "dtype": "bfloat16", "shape": list(a.shape),
                "values": a.view(np.uint16).ravel().tolist()}
    return {"stype": "default", "dtype": a.dtype.name, "shape": list(a.shape),
            "values": a.ravel().tolist()}


def entry(x):
    """What MXNet loaded, as JSON."""
    if x.stype == "default":
        return dense_entry(x.asnumpy())
    parts = {"data": dense_entry(x.data.asnumpy()), "indices": dense_entry(x.indices.asnumpy())}
    if x.stype == "csr":
        parts["indptr"] = dense_entry(x.indptr.asnumpy())
    return {"stype": x.stype, "shape": list(x.shape), **parts}


def record(expected, name, loaded, byte_exact=True, **dumps_kwargs):
    if isinstance(loaded, dict):
        names, arrays = list(loaded), list(loaded.values())
    else:
        names, arrays = None, loaded
    expected[name] = {"names": names, "arrays": [entry(x) for x in arrays],
                      "byte_exact": byte_exact, "dumps_kwargs": dumps_kwargs}


def save_and_record(expected, name, data, **dumps_kwargs):
    path = os.path.join(OUT, name + ".params")
    mx.nd.save(path, data)
    record(expected, name, mx.nd.load(path), **dumps_kwargs)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    save_and_record(expected, "list_float32", [
        mx.nd.array(rng.randn(3)), mx.nd.array(rng.randn(2, 3)),
        mx.nd.array(np.array([[[np.nan, np.inf]], [[-np.inf, -0.0]]], dtype=np.float32))])
    dtypes = ["float32", "float64", "float16", "uint8", "int8", "int32", "int64", "bool"]
    by_dtype = {}
    for dt in dtypes:
        values = (rng.randn(2, 3) * 50).astype(dt) if dt != "bool" else rng.rand(2, 3) > 0.5
        by_dtype["w_" + dt] = mx.nd.array(values, dtype=dt)
    by_dtype["w_bfloat16"] = mx.nd.array(rng.randn(4).astype(np.float32)).astype(BF16)
    save_and_record(expected, "dict_dtypes", by_dtype)
    save_and_record(expected, "empty_list", [])
    save_and_record(expected, "empty_shapes", {"a": mx.nd.array(np.zeros((0,))),
                                               "b": mx.nd.array(np.zeros((2, 0), "int32"))})
    save_and_record(expected, "unicode_names",
                    {"zeta": mx.nd.ones((1,)), "ünï✓": mx.nd.zeros((2,))})
    save_and_record(expected, "contexts", [mx.nd.ones((2,), ctx=mx.cpu(3)),
                                           mx.nd.ones((1,), ctx=mx.cpu_pinned(0))],
                    contexts=[[1, 3], [3, 0]])
    rsp = mx.nd.sparse.row_sparse_array(
        (rng.randn(2, 3).astype(np.float32), np.array([1, 3])), shape=(5, 3))
    csr = mx.nd.sparse.csr_matrix(
        (np.array([7.0, 8.0, 9.0]), np.array([0, 2, 1]), np.array([0, 1, 1, 3])), shape=(3, 4))
    save_and_record(expected, "sparse", {
        "rsp": rsp, "csr": csr, "dense": mx.nd.array([1.0, 2.0]),
        "rsp_empty": mx.nd.sparse.zeros("row_sparse", (4, 2)),
        "csr_empty": mx.nd.sparse.zeros("csr", (3, 2))})

    # A legacy 0-d array: MXNet writes it but cannot read it back (its V2
    # reader stops after ndim 0), so the expectation is what was saved.
    mx.nd.save(os.path.join(OUT, "scalar_v2.params"), [mx.nd.array(5.0), mx.nd.array([1.0, 2.0])])
    expected["scalar_v2"] = {"names": None, "byte_exact": True, "dumps_kwargs": {},
                             "arrays": [dense_entry(np.array(5.0, np.float32)),
                                        dense_entry(np.array([1.0, 2.0], np.float32))]}

    with mx.util.np_shape(True), mx.util.np_array(True):
        path = os.path.join(OUT, "np_shape.params")
        mx.npx.save(path, {"scalar": mx.np.array(3.0), "vec": mx.np.ones((2,)),
                           "empty": mx.np.zeros((2, 0))})
        loaded = mx.npx.load(path)
        expected["np_shape"] = {"names": list(loaded), "byte_exact": True,
                                "dumps_kwargs": {"np_shape": True},
                                "arrays": [dense_entry(x.asnumpy()) for x in loaded.values()]}

    # Legacy layouts MXNet 1.9 still reads: V1 (magic, int32 ndim, int64
    # dims) and pre-V1 (uint32 ndim, uint32 dims), no storage type.
    values = np.arange(6, dtype="<f4").reshape(2, 3)
    tail = struct.pack("<iii", 1, 0, 0) + values.tobytes()
    legacy = {"legacy_v1": struct.pack("<Iiqq", 0xF993FAC8, 2, 2, 3) + tail,
              "legacy_v0": struct.pack("<III", 2, 2, 3) + tail}
    for name, rec in legacy.items():
        path = os.path.join(OUT, name + ".params")
        with open(path, "wb") as f:
            f.write(struct.pack("<QQQ", 0x112, 0, 1) + rec + struct.pack("<Q", 0))
        record(expected, name, mx.nd.load(path), byte_exact=False)

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        lines = [f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                 for k, v in sorted(expected.items())]
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
