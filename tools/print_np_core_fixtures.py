"""Print the MXNet 1.9.1 outputs that tests/numpy/test_ndarray_np.py and
tests/numpy/test_util_np.py embed: ``repr`` strings of mx.np arrays and the
bytes of ``npx.save`` / ``mx.nd.save`` files (as hex).

Run with the oracle's interpreter from outside the repository (so that the
real ``mxnet`` is imported)::

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/print_np_core_fixtures.py
"""
import os
import tempfile

import mxnet as mx
from mxnet import np, npx

REPR_CASES = [
    "np.array([1, 2])", "np.array([[1, 2], [3, 4]], dtype='int32')", "np.array(3.5)",
    "np.zeros((0, 3))", "np.zeros((0, 3), dtype='int32')", "np.array([], dtype='float32')",
    "np.array([1.5, 2], dtype='float64')", "np.array([1, 2], dtype='float16')",
    "np.array([1, 2], dtype='int64')", "np.array([1, 2], dtype='uint8')",
    "np.array([1, 2], dtype='int8')", "np.array([1, 0], dtype='bool')",
    "np.array(2, dtype='int32')", "np.array(2, dtype='int64')", "np.array(True, dtype='bool')",
    "np.ones((3, 20))", "np.array([1e-8, 1e8])", "np.array([[0.5, -1.25], [3, 4]])",
]


def file_hex(save, *args):
    """The bytes ``save(path, *args)`` writes, as hex."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "f.params")
        save(path, *args)
        with open(path, "rb") as f:
            return f.read().hex()


def main():
    npx.set_np()
    for case in REPR_CASES:
        print(f"({case!r}, {repr(eval(case))!r}),")
    print("NPX_DICT", file_hex(npx.save, {"z": np.array(2.0),
                                          "e": np.zeros((0, 3), dtype="int32"),
                                          "v": np.arange(3)}))
    print("NPX_ZERO_D_LIST", file_hex(npx.save, [np.array(2.0)]))
    print("NPX_CPU1", file_hex(npx.save, np.ones(2, ctx=mx.cpu(1))))
    npx.reset_np()
    with mx.np_shape(True):
        print("ND_UNDER_NP_SHAPE", file_hex(mx.nd.save, {"e": mx.nd.zeros((0, 3)),
                                                          "v": mx.nd.array([1, 2, 3])}))
    print("ND_LEGACY_INT64", file_hex(mx.nd.save, [mx.nd.array([1, 2, 3], dtype="int64")]))


if __name__ == "__main__":
    main()
