"""Shape and layout operators: forward against NumPy, inference, gradients, bad inputs."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

rng = np.random.default_rng(7)
X = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
M = rng.uniform(-1, 1, (3, 4)).astype(np.float32)
V = rng.uniform(-1, 1, (3,)).astype(np.float32)
I32 = np.arange(6, dtype=np.int32).reshape(2, 3)
IMG = rng.uniform(-1, 1, (1, 2, 3, 4)).astype(np.float32)
DEPTH = rng.uniform(-1, 1, (2, 8, 2, 3)).astype(np.float32)
ONE = rng.uniform(-1, 1, (1, 3, 1)).astype(np.float32)


def pad_ref(x, mode, pad_width, constant_value=0.0):
    pairs = list(zip(pad_width[::2], pad_width[1::2]))
    if mode == "constant":
        return np.pad(x, pairs, mode="constant", constant_values=constant_value)
    return np.pad(x, pairs, mode=mode)


def split_ref(x, num_outputs, axis=1, squeeze_axis=False):
    parts = np.split(x, num_outputs, axis=axis)
    return [np.squeeze(p, axis=axis) if squeeze_axis else p for p in parts]


def d2s_ref(x, block_size):
    """Loop form of MXNet's depth_to_space (DCR order), independent of the kernel."""
    b = block_size
    n, c, h, w = x.shape
    out = np.empty((n, c // (b * b), h * b, w * b), x.dtype)
    for ch in range(c // (b * b)):
        for i in range(b):
            for j in range(b):
                out[:, ch, i::b, j::b] = x[:, (i * b + j) * (c // (b * b)) + ch]
    return out


CASES = [
    Case("Flatten", [X], ref=lambda x: x.reshape(2, 12), grad=True),
    Case("flatten", [V], ref=lambda x: x.reshape(3, 1), id="flatten-1d-gives-column"),
    Case("expand_dims", [M], {"axis": -1}, ref=lambda x, axis: x[..., None], grad=True),
    Case("expand_dims", [M], {"axis": 0}, ref=lambda x, axis: x[None]),
    Case("squeeze", [ONE], ref=lambda x: x.reshape(3), grad=True),
    Case("squeeze", [ONE], {"axis": (-1,)}, ref=lambda x, axis: x.reshape(1, 3)),
    Case("squeeze", [np.ones((1, 1), np.float32)], ref=lambda x: np.ones(1, np.float32),
         id="squeeze-everything-gives-shape-1"),
    Case("SwapAxis", [X], {"dim1": 0, "dim2": 2}, ref=lambda x, **k: np.swapaxes(x, 0, 2),
         grad=True),
    Case("swapaxes", [X], {"dim1": -1, "dim2": 1}, ref=lambda x, **k: np.swapaxes(x, 2, 1)),
    Case("tile", [M], {"reps": (2, 1, 3)}, ref=lambda x, reps: np.tile(x, reps), grad=True),
    Case("tile", [I32], {"reps": (2,)}, ref=lambda x, reps: np.tile(x, reps),
         id="tile-short-reps-apply-to-last-axes"),
    Case("repeat", [M], {"repeats": 2, "axis": -1}, ref=lambda x, **k: np.repeat(x, 2, -1),
         grad=True),
    Case("repeat", [I32], {"repeats": 3}, ref=lambda x, **k: np.repeat(x, 3),
         grad=False, id="repeat-without-axis-flattens"),
    Case("repeat", [M], {"repeats": 2}, ref=lambda x, **k: np.repeat(x, 2), grad=True,
         id="repeat-flat-grad"),
    Case("reverse", [X], {"axis": (0, 2)}, ref=lambda x, axis: x[::-1, :, ::-1], grad=True),
    Case("flip", [I32], {"axis": (1, 1)}, ref=lambda x, axis: x, id="flip-twice-is-identity"),
    Case("Pad", [IMG], {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 2, 0, 1),
                        "constant_value": 1.5}, ref=pad_ref, grad=True),
    Case("pad", [IMG], {"mode": "edge", "pad_width": (0, 0, 0, 0, 2, 1, 3, 0)}, ref=pad_ref,
         grad=True),
    Case("pad", [IMG], {"mode": "reflect", "pad_width": (0, 0, 0, 0, 2, 1, 1, 3)},
         ref=pad_ref, grad=True),
    Case("pad", [rng.uniform(-1, 1, (1, 1, 2, 3, 2))],
         {"mode": "reflect", "pad_width": (0, 0, 0, 0, 1, 1, 2, 1, 1, 0)}, ref=pad_ref,
         grad=True, id="pad-5d-reflect"),
    Case("Concat", [M, M * 2, M[:, :1]], {"dim": 1},
         ref=lambda *xs, dim: np.concatenate(xs, axis=dim), grad=True),
    Case("concat", [M, M[:1]], {"dim": -2},
         ref=lambda *xs, dim: np.concatenate(xs, axis=0), grad=True),
    Case("stack", [M, M + 1, M * 3], {"axis": 1}, ref=lambda *xs, axis: np.stack(xs, 1),
         grad=True),
    Case("stack", [M, M], {"axis": -1}, ref=lambda *xs, axis: np.stack(xs, -1), grad=True),
    Case("SliceChannel", [X], {"num_outputs": 2, "axis": 2}, ref=split_ref, grad=True),
    Case("split", [X], {"num_outputs": 2, "axis": 0, "squeeze_axis": True}, ref=split_ref,
         grad=True),
    Case("split", [X], {"num_outputs": 1, "axis": 0}, ref=split_ref,
         id="split-into-one-part-returns-an-array"),
    Case("_internal._split_v2", [X], {"indices": (0, 1, 3), "axis": 2},
         ref=lambda x, indices, axis: np.split(x, indices[1:], axis=axis), grad=True),
    Case("_internal._split_v2", [X], {"indices": (), "sections": 3, "axis": 1},
         ref=lambda x, axis, **k: np.split(x, 3, axis=axis), grad=True),
    Case("depth_to_space", [DEPTH], {"block_size": 2}, ref=d2s_ref, grad=True),
    Case("space_to_depth", [d2s_ref(DEPTH, 2)], {"block_size": 2}, ref=lambda x, **k: DEPTH,
         grad=True, id="space_to_depth-inverts-depth_to_space"),
    Case("shape_array", [X], ref=lambda x: np.array([2, 3, 4], np.int64)),
    Case("size_array", [X], ref=lambda x: np.array([24], np.int64)),
    Case("broadcast_axis", [ONE], {"axis": (0, 2), "size": (2, 5)},
         ref=lambda x, **k: np.broadcast_to(x, (2, 3, 5)), grad=True),
    Case("broadcast_axes", [ONE], ref=lambda x: x, id="broadcast_axes-no-axes-copies"),
    Case("diag", [M], ref=np.diag, grad=True),
    Case("diag", [M], {"k": -1}, ref=lambda x, k: np.diag(x, k), grad=True),
    Case("diag", [V], {"k": 1}, ref=lambda x, k: np.diag(x, k), grad=True),
    Case("diag", [X], {"k": 1, "axis1": -1, "axis2": 1},
         ref=lambda x, **k: np.diagonal(x, 1, 2, 1), grad=True),
    Case("diag", [I32], ref=np.diag, id="diag-keeps-int-dtype"),
    Case("reshape_like", [X, np.zeros((3, 2, 7), np.float32)],
         {"lhs_begin": -3, "lhs_end": -1, "rhs_begin": 0, "rhs_end": -1},
         ref=lambda x, y, **k: x.reshape(3, 2, 4), grad=True, id="reshape_like-axis-ranges"),
    Case("broadcast_like", [ONE, np.zeros((2, 5, 4), np.float32)],
         {"lhs_axes": (0, 2), "rhs_axes": (0, -1)},
         ref=lambda x, y, **k: np.broadcast_to(x, (2, 3, 4)), grad=True,
         id="broadcast_like-selected-axes"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


def test_split_v2_wrapper_takes_sections_or_split_points():
    from mxnet.ndarray.shape_funcs import split_v2
    x = mx.nd.array(X)
    parts = split_v2(x, (1, 3), axis=2)
    assert [p.shape for p in parts] == [(2, 3, 1), (2, 3, 2), (2, 3, 1)]
    np.testing.assert_array_equal(parts[1].asnumpy(), X[:, :, 1:3])
    assert [p.shape for p in split_v2(x, 2, axis=0, squeeze_axis=True)] == [(3, 4), (3, 4)]
    assert split_v2(x, 1).shape == x.shape
    with pytest.raises(ValueError):
        split_v2(x, 3, axis=2)
    with pytest.raises(ValueError):
        split_v2(x, [1], axis=2)


def test_split_squeezing_a_single_element_gives_a_0d_array_like_mxnet():
    out = mx.nd.split(mx.nd.array([5.0]), num_outputs=1, axis=0, squeeze_axis=True)
    assert out.shape == ()


def test_split_gradient_flows_from_used_outputs_only():
    x = mx.nd.array(M)
    x.attach_grad()
    with mx.autograd.record():
        a, b = mx.nd.split(x, num_outputs=2, axis=1)
        y = (a * 3).sum()
    y.backward()
    expected = np.zeros_like(M)
    expected[:, :2] = 3
    np.testing.assert_allclose(x.grad.asnumpy(), expected)


BAD = [
    ("expand_dims", [X], {"axis": 4}),
    ("squeeze", [ONE], {"axis": (1,)}),
    ("squeeze", [ONE], {"axis": (0, 0)}),
    ("SwapAxis", [X], {"dim1": 3}),
    ("tile", [M], {"reps": (0, 1)}),
    ("repeat", [M], {"repeats": -1}),
    ("repeat", [M], {"repeats": 2, "axis": 2}),
    ("reverse", [M], {"axis": (-1,)}),
    ("reverse", [M], {"axis": (2,)}),
    ("Pad", [M], {"mode": "constant", "pad_width": (1, 1, 1, 1)}),
    ("Pad", [IMG], {"mode": "constant", "pad_width": (1, 0, 0, 0, 1, 1, 1, 1)}),
    ("Pad", [IMG], {"mode": "reflect", "pad_width": (0, 0, 0, 0, 3, 0, 0, 0)}),
    ("Pad", [IMG], {"mode": "wrap", "pad_width": (0, 0, 0, 0, 1, 1, 1, 1)}),
    ("Concat", [M, V], {"dim": 0}),
    ("Concat", [M, M], {"dim": 2}),
    ("Concat", [M, M.astype(np.float64)], {"dim": 0}),
    ("Concat", [M, M], {"dim": 0, "num_args": 3}),
    ("stack", [M, M[:1]], {}),
    ("stack", [M, M], {"axis": 3}),
    ("split", [X], {"num_outputs": 3, "axis": 2}),
    ("split", [X], {"num_outputs": 2, "axis": 2, "squeeze_axis": True}),
    ("_internal._split_v2", [X], {"indices": (1, 3), "axis": 2}),
    ("_internal._split_v2", [X], {"indices": (0, 3, 1), "axis": 2}),
    ("depth_to_space", [IMG], {"block_size": 2}),
    ("depth_to_space", [X], {"block_size": 2}),
    ("space_to_depth", [IMG], {"block_size": 2}),
    ("broadcast_axis", [ONE], {"axis": (1,), "size": (3,)}),
    ("broadcast_axis", [ONE], {"axis": (-1,), "size": (3,)}),
    ("broadcast_axis", [ONE], {"axis": (0, 2), "size": (3,)}),
    ("reshape_like", [X, V], {}),
    ("broadcast_like", [ONE, X], {"lhs_axes": (0,), "rhs_axes": (0, 1)}),
    ("broadcast_like", [ONE, X], {"lhs_axes": (1,), "rhs_axes": (1,)}),
    ("diag", [M], {"k": 5}),
    ("diag", [X], {"axis1": 1, "axis2": -2}),
]


@pytest.mark.parametrize("func,inputs,kwargs", BAD,
                         ids=[f"{f}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                              for f, _, kw in BAD])
def test_bad_arguments_raise_mxnet_error(func, inputs, kwargs):
    from .harness import nd_func
    with pytest.raises(MXNetError):
        nd_func(func)(*[mx.nd.array(a, dtype=a.dtype) for a in inputs], **kwargs).asnumpy()
