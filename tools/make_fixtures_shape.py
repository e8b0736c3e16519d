"""Record MXNet 1.9.1 results of shape and indexing operators whose semantics
NumPy does not share (index clipping/wrapping, truncation of float indices,
Sequence* ops, MXNet's pad and slice conventions) as test fixtures.

Run with the oracle interpreter from outside the repository, e.g.
``cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_shape.py``.
Writes ``tests/fixtures/ops/shape_oracle.json``: one record per case with the
function name, keyword arguments, inputs and outputs (each array as dtype,
shape and flat values).
"""
import json
import os

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops")

M = np.arange(12, dtype=np.float32).reshape(3, 4)
X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
SEQ = np.arange(24, dtype=np.float32).reshape(3, 2, 4)
LENS = np.array([1, 3], np.float32)
IMG = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)

# (case id, mx.nd function path, inputs, keyword arguments)
CASES = [
    ("take-clip-negative-to-0", "take", [M, np.array([[0, 2], [-1, 5]], np.float32)], {}),
    ("take-wrap", "take", [M, np.array([-1, 5, 1.7], np.float32)], {"mode": "wrap"}),
    ("take-axis-truncates-float-indices", "take", [M, np.array([1.7, -0.5], np.float32)],
     {"axis": 1}),
    ("take-int-data-int64-index", "take", [M.astype(np.int32), np.array([2], np.int64)], {}),
    ("pick-clip", "pick", [M, np.array([0, 5, -1], np.float32)], {}),
    ("pick-wrap-keepdims", "pick", [M, np.array([0, 5, -1], np.float32)],
     {"mode": "wrap", "keepdims": True}),
    ("pick-axis0", "pick", [M, np.array([0, 1, 2, 1], np.float32)], {"axis": 0}),
    ("choose_element_0index", "choose_element_0index", [M, np.array([0, 1, 3], np.float32)], {}),
    ("fill_element_0index", "fill_element_0index",
     [M, np.array([7, 8, 9], np.float32), np.array([0, 1, 3], np.float32)], {}),
    ("batch_take-clips", "batch_take", [M, np.array([-1, 7, 2], np.int32)], {}),
    ("gather_nd-negative", "gather_nd", [M, np.array([[0, 2], [1, -1]], np.float32)], {}),
    ("gather_nd-rows", "gather_nd", [X, np.array([[1, 0]], np.float32)], {}),
    ("scatter_nd", "scatter_nd", [np.array([[1, 2], [3, 4]], np.float32),
                                  np.array([[0, 2]], np.float32)], {"shape": (3, 2)}),
    ("one_hot-out-of-range-rows-are-off", "one_hot", [np.array([0, 2, -1, 5, 1.7], np.float32)],
     {"depth": 3}),
    ("one_hot-int-dtype", "one_hot", [np.array([[0, 2]], np.int32)],
     {"depth": 3, "on_value": 2.5, "off_value": -1, "dtype": "int32"}),
    ("ravel_multi_index", "ravel_multi_index", [np.array([[1, 2], [0, 3]], np.float32)],
     {"shape": (3, 4)}),
    ("unravel_index-first-coordinate-unwrapped", "unravel_index",
     [np.array([4, 11, 13, -1], np.float32)], {"shape": (3, 4)}),
    ("unravel_index-int64", "unravel_index", [np.array([4, 11], np.int64)], {"shape": (3, 4)}),
    ("slice-negative-steps", "slice", [X], {"begin": (None, None, None),
                                            "end": (None, None, None), "step": (-1, -1, -2)}),
    ("slice-clipped-bounds", "slice", [X], {"begin": (None, 5), "end": (None, -5),
                                            "step": (1, -1)}),
    ("slice-partial-axes", "slice", [X], {"begin": (-1, -2), "end": (None, -1)}),
    ("crop", "crop", [X], {"begin": (0, 1), "end": (1, 3)}),
    ("slice_axis-negative", "slice_axis", [X], {"axis": 1, "begin": -2, "end": -1}),
    ("slice_like-axes", "slice_like", [X, np.zeros((1, 2), np.float32)], {"axes": (0, -2)}),
    ("slice_assign-step", "_internal._slice_assign", [X, np.ones((2, 2, 4), np.float32)],
     {"begin": (None, None), "end": (None, None), "step": (1, -2)}),
    ("slice_assign_scalar-int-truncates", "_internal._slice_assign_scalar",
     [M.astype(np.int32)], {"scalar": 7.9, "begin": (0,), "end": (1,)}),
    ("pad-reflect", "pad", [IMG], {"mode": "reflect", "pad_width": (0, 0, 0, 0, 1, 1, 2, 0)}),
    ("pad-edge", "pad", [IMG], {"mode": "edge", "pad_width": (0, 0, 0, 0, 1, 1, 2, 0)}),
    ("depth_to_space", "depth_to_space", [np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2)],
     {"block_size": 2}),
    ("space_to_depth", "space_to_depth", [np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)],
     {"block_size": 2}),
    ("index_copy", "contrib.index_copy", [M, np.array([2, 0], np.float32),
                                          np.ones((2, 4), np.float32)], {}),
    ("index_array-axes", "contrib.index_array", [np.zeros((2, 3, 1), np.float32)],
     {"axes": (-1, 0)}),
    ("boolean_mask", "contrib.boolean_mask", [M, np.array([1, 0, 2], np.float32)], {}),
    ("arange_like-axis", "contrib.arange_like", [M], {"axis": 1, "start": 2, "step": 0.5}),
    ("arange_like-repeat", "contrib.arange_like", [M], {"repeat": 5}),
    ("SequenceMask", "SequenceMask", [SEQ, LENS],
     {"use_sequence_length": True, "value": -1}),
    ("SequenceMask-axis1", "SequenceMask", [X, LENS], {"use_sequence_length": True, "axis": 1}),
    ("SequenceMask-long-lengths", "SequenceMask", [SEQ, np.array([0, 5], np.float32)],
     {"use_sequence_length": True}),
    ("SequenceLast", "SequenceLast", [SEQ, LENS], {"use_sequence_length": True}),
    ("SequenceLast-axis1", "SequenceLast", [X, LENS], {"use_sequence_length": True, "axis": 1}),
    ("SequenceLast-no-lengths", "SequenceLast", [SEQ], {}),
    ("SequenceReverse", "SequenceReverse", [SEQ, LENS], {"use_sequence_length": True}),
    ("SequenceReverse-int", "SequenceReverse", [SEQ.astype(np.int32), LENS.astype(np.int32)],
     {"use_sequence_length": True}),
]


def nd_func(path):
    obj = mx.nd
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def encode(a):
    a = np.asarray(a)
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": a.ravel().tolist()}


def main():
    records = []
    for cid, func, inputs, kwargs in CASES:
        out = nd_func(func)(*[mx.nd.array(a, dtype=a.dtype) for a in inputs], **kwargs)
        outs = out if isinstance(out, list) else [out]
        records.append({"id": cid, "func": func, "kwargs": kwargs,
                        "inputs": [encode(a) for a in inputs],
                        "outputs": [encode(o.asnumpy()) for o in outs]})
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "shape_oracle.json"), "w") as f:
        json.dump(records, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
