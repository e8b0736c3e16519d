"""Slicing and indexing operators: MXNet 1.9.1 results (oracle fixtures), NumPy
references, gradients (index inputs held fixed) and bad inputs."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, check_gradient, nd_func, run_case

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops", "shape_oracle.json")


def _decode(record):
    return np.array(record["data"], dtype=record["dtype"]).reshape(record["shape"])


def _oracle_cases():
    with open(FIXTURE) as f:
        records = json.load(f)
    cases = []
    for r in records:
        outs = [_decode(o) for o in r["outputs"]]
        cases.append(Case(r["func"], [_decode(a) for a in r["inputs"]], r["kwargs"],
                          ref=lambda *a, _outs=outs, **k: _outs, id=r["id"]))
    return cases


@pytest.mark.parametrize("case", _oracle_cases(), ids=str)
def test_matches_mxnet(case):
    run_case(case)


rng = np.random.default_rng(3)
X = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
M = rng.uniform(-1, 1, (3, 4)).astype(np.float32)


def assigned(x, y, **kwargs):
    """x with y written into x[:, 1:3, 0::2] (the _slice_assign case below)."""
    out = x.copy()
    out[:, 1:3, 0::2] = y
    return out


CASES = [
    Case("slice", [X], {"begin": (1, None, -1), "end": (None, 0, None), "step": (1, -1, -2)},
         ref=lambda x, **k: x[1:, :0:-1, ::-2], grad=True),
    Case("slice", [X], {"begin": (0,), "end": (1,)}, ref=lambda x, **k: x[0:1], grad=True),
    Case("crop", [M], {"begin": (1, 1), "end": (3, 3)}, ref=lambda x, **k: x[1:3, 1:3]),
    Case("slice_axis", [X], {"axis": -1, "begin": 1, "end": None},
         ref=lambda x, **k: x[..., 1:], grad=True),
    Case("slice_like", [X, np.zeros((1, 2, 3), np.float32)], ref=lambda x, y: x[:1, :2, :3],
         grad=True),
    Case("slice_like", [X, np.zeros((1, 2), np.float32)], {"axes": (1,)},
         ref=lambda x, y, axes: x[:, :2], grad=True),
    Case("_internal._slice_assign", [X, M[:2, :2, None].repeat(2, 2)],
         {"begin": (None, 1, 0), "end": (None, 3, None), "step": (1, 1, 2)},
         ref=assigned, grad=True),
    Case("_internal._crop_assign_scalar", [M], {"scalar": 2.5, "begin": (1,), "end": (2,)},
         ref=lambda x, **k: np.where(np.arange(3)[:, None] == 1, np.float32(2.5), x),
         grad=True),
    Case("shape_array", [np.zeros((0, 5), np.float32)], ref=lambda x: np.array([0, 5], np.int64),
         id="shape_array-of-empty-array"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


def _with_fixed(func, *fixed, position=1, **kwargs):
    """``func`` of the differentiable inputs, with index arrays inserted at ``position``."""
    def fn(*xs, **kw):
        args = list(xs)
        args[position:position] = [mx.nd.array(a, dtype=a.dtype) for a in fixed]
        return func(*args, **kwargs, **kw)
    return fn


GRAD_CASES = [
    ("take-repeated-indices-accumulate", _with_fixed(mx.nd.take, np.array([[0, 2], [2, 2]])),
     [M]),
    ("take-clip-axis1", _with_fixed(mx.nd.take, np.array([-1, 3, 9]), axis=1), [M]),
    ("take-wrap-axis-last", _with_fixed(mx.nd.take, np.array([-1, 5]), axis=-1, mode="wrap"),
     [X]),
    ("pick", _with_fixed(mx.nd.pick, np.array([0, 3, 1]), axis=1), [M]),
    ("pick-axis0-keepdims", _with_fixed(mx.nd.pick, np.array([[2, 0, 1, 1]]), axis=0,
                                        keepdims=True), [M]),
    ("batch_take", _with_fixed(mx.nd.batch_take, np.array([1, 0, 3], np.int32)), [M]),
    ("gather_nd-repeated-indices-accumulate",
     _with_fixed(mx.nd.gather_nd, np.array([[0, 2, 0], [1, 1, 1]])), [M]),
    ("scatter_nd", _with_fixed(mx.nd.scatter_nd, np.array([[0, 2], [1, 3]]), shape=(3, 4)),
     [M[0, :2]]),
    ("scatter_set_nd", _with_fixed(mx.nd._internal._scatter_set_nd, np.array([[0, 2], [1, 3]]),
                                   position=2, shape=(3, 4)), [M, M[0, :2]]),
    ("fill_element_0index", _with_fixed(mx.nd.fill_element_0index, np.array([0, 3, 1]),
                                        position=2), [M, M[:, 0]]),
    ("index_copy", _with_fixed(mx.nd.contrib.index_copy, np.array([2, 0])), [M, M[:2] * 2]),
    ("boolean_mask", _with_fixed(mx.nd.contrib.boolean_mask, np.array([1, 0, 1])), [M]),
    ("SequenceMask", _with_fixed(mx.nd.SequenceMask, np.array([1, 3]),
                                 use_sequence_length=True, axis=1), [X]),
    ("SequenceLast", _with_fixed(mx.nd.SequenceLast, np.array([1, 3, 2, 3]),
                                 use_sequence_length=True), [X.transpose(1, 2, 0)]),
    ("SequenceLast-axis1", _with_fixed(mx.nd.SequenceLast, np.array([1, 3]),
                                       use_sequence_length=True, axis=1), [X]),
    ("SequenceLast-no-lengths", mx.nd.SequenceLast, [X]),
    ("SequenceReverse", _with_fixed(mx.nd.SequenceReverse, np.array([1, 3, 2, 3]),
                                    use_sequence_length=True), [X.transpose(1, 2, 0)]),
]


@pytest.mark.parametrize("name,fn,inputs", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_gradient_with_fixed_indices(name, fn, inputs):
    check_gradient(fn, inputs, {})


def test_take_gradient_of_gradient_is_available():
    """Backward ops are differentiable: d/dx of the take-gradient's weighted sum."""
    x = mx.nd.array(M)
    idx = mx.nd.array([0, 2, 2])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.take(x, idx) ** 2
        (g,) = mx.autograd.grad(y, [x], create_graph=True)
        z = g.sum()
    z.backward()
    # g = scatter_add(2 * take(x)); so dz/dx = 2 * (number of times each row is taken)
    expected = 2 * np.array([1, 0, 2], np.float32)[:, None] * np.ones_like(M)
    np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-6)


def test_slice_assign_methods_write_in_place():
    from mxnet.ndarray.shape_funcs import slice_assign, slice_assign_scalar
    x = mx.nd.array(M)
    assert slice_assign(x, mx.nd.ones((1, 4)), (0,), (1,), ()) is x
    slice_assign_scalar(x, 5, (None, 3), (None, None), ())
    expected = M.copy()
    expected[0] = 1
    expected[:, 3] = 5
    np.testing.assert_allclose(x.asnumpy(), expected)


BAD = [
    ("slice", [X], {"begin": (0, 0), "end": (1,)}),
    ("slice", [X], {"begin": (0,), "end": (1,), "step": (0,)}),
    ("slice", [X], {"begin": (0, 0, 0, 0), "end": (1, 1, 1, 1)}),
    ("slice_axis", [X], {"axis": 1, "begin": 2, "end": 1}),
    ("slice_axis", [X], {"axis": 1, "begin": 0, "end": 5}),
    ("slice_axis", [X], {"axis": 3, "begin": 0, "end": 1}),
    ("slice_like", [X, np.zeros((3, 2, 3), np.float32)], {}),
    ("slice_like", [X, np.zeros((1, 2), np.float32)], {}),
    ("_internal._slice_assign", [X, np.ones((1, 1, 4), np.float32)],
     {"begin": (0, 1), "end": (1, 3)}),
    ("_internal._slice_assign", [X, np.ones((1, 2, 4), np.int32)],
     {"begin": (0, 1), "end": (1, 3)}),
    ("take", [M, np.array([0, 3], np.float32)], {"mode": "raise"}),
    ("take", [M, np.array([-1], np.float32)], {"mode": "raise"}),
    ("take", [M, np.array([0], np.float32)], {"axis": 2}),
    ("pick", [M, np.array([0, 1], np.float32)], {}),
    ("pick", [M, np.array([0, 1, 2], np.float32)], {"axis": None}),
    ("batch_take", [M[0], np.array([0], np.int32)], {}),
    ("batch_take", [M, np.array([0, 1], np.int32)], {}),
    ("gather_nd", [M, np.array([[0, 5]], np.float32)], {}),
    ("gather_nd", [M, np.zeros((3, 1), np.float32)], {}),
    ("scatter_nd", [np.ones(2, np.float32), np.array([[0, 1]], np.float32)], {"shape": (3, 4)}),
    ("fill_element_0index", [M, M[:, 0], np.array([0, 4, 1], np.float32)], {}),
    ("ravel_multi_index", [np.zeros((2, 2), np.float32)], {}),
    ("ravel_multi_index", [np.zeros((2, 2), np.float32)], {"shape": (3, 4, 5)}),
    ("unravel_index", [np.zeros(2, np.float32)], {"shape": (3, -1)}),
    ("contrib.index_copy", [M, np.array([5, 0], np.float32), np.ones((2, 4), np.float32)], {}),
    ("contrib.index_copy", [M, np.array([2, 0], np.float32), np.ones((2, 3), np.float32)], {}),
    ("contrib.index_array", [X], {"axes": (3,)}),
    ("contrib.boolean_mask", [M, np.array([1, 0], np.float32)], {}),
    ("contrib.boolean_mask", [M, np.ones((3, 1), np.float32)], {}),
    ("SequenceMask", [X, np.array([1, 2], np.float32)], {}),
    ("SequenceMask", [X], {"use_sequence_length": True}),
    ("SequenceMask", [X, np.array([1, 2], np.float32)], {"use_sequence_length": True}),
    ("SequenceMask", [X, np.array([1, 2], np.float32)], {"use_sequence_length": True,
                                                         "axis": 2}),
    ("SequenceLast", [X, np.array([0, 2, 1], np.float32)], {"use_sequence_length": True}),
    ("SequenceReverse", [X, np.array([1, 2], np.float32)], {"use_sequence_length": True,
                                                            "axis": 1}),
]


@pytest.mark.parametrize("func,inputs,kwargs", BAD,
                         ids=[f"{f}-{i}" for i, (f, _, _) in enumerate(BAD)])
def test_bad_arguments_raise_mxnet_error(func, inputs, kwargs):
    with pytest.raises(MXNetError):
        nd_func(func)(*[mx.nd.array(a, dtype=a.dtype) for a in inputs], **kwargs).asnumpy()
