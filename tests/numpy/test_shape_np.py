"""mx.np shape, join/split, padding, diagonal and indexing functions against
NumPy: values, shapes, dtypes, gradients and errors.

Every function in the table is affine in its array inputs, so its exact
gradient for output weights ``w`` is computable with NumPy: the gradient entry
of input element i is sum(w * (f(e_i) - f(0))) for the basis array e_i.
"""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, np
from mxnet.base import MXNetError


def _data(shape, dtype="float32", offset=0):
    return (onp.arange(onp.prod(shape), dtype="float64").reshape(shape) + 1 + offset
            ).astype(dtype)


A234 = (2, 3, 4)
# (id, mx.np call, NumPy reference, input shapes)
CASES = [
    ("reshape", lambda a: np.reshape(a, (6, -1)), lambda a: onp.reshape(a, (6, -1)), [A234]),
    ("reshape_F", lambda a: np.reshape(a, (4, 6), order="F"),
     lambda a: onp.reshape(a, (4, 6), order="F"), [A234]),
    ("reshape_0d", lambda a: np.reshape(a, (1, 1)), lambda a: onp.reshape(a, (1, 1)), [()]),
    ("reshape_empty", lambda a: np.reshape(a, (3, 0)), lambda a: onp.reshape(a, (3, 0)),
     [(0, 3)]),
    ("ravel", np.ravel, onp.ravel, [A234]),
    ("ravel_0d", np.ravel, onp.ravel, [()]),
    ("transpose", np.transpose, onp.transpose, [A234]),
    ("transpose_axes", lambda a: np.transpose(a, (-1, 0, 1)),
     lambda a: onp.transpose(a, (-1, 0, 1)), [A234]),
    ("transpose_1d", np.transpose, onp.transpose, [(3,)]),
    ("swapaxes", lambda a: np.swapaxes(a, 0, -1), lambda a: onp.swapaxes(a, 0, -1), [A234]),
    ("moveaxis", lambda a: np.moveaxis(a, 0, -1), lambda a: onp.moveaxis(a, 0, -1), [A234]),
    ("moveaxis_many", lambda a: np.moveaxis(a, [0, 1], [-1, -2]),
     lambda a: onp.moveaxis(a, [0, 1], [-1, -2]), [A234]),
    ("rollaxis", lambda a: np.rollaxis(a, 2, 1), lambda a: onp.rollaxis(a, 2, 1), [A234]),
    ("rollaxis_end", lambda a: np.rollaxis(a, 0, 3), lambda a: onp.rollaxis(a, 0, 3), [A234]),
    ("expand_dims", lambda a: np.expand_dims(a, -1), lambda a: onp.expand_dims(a, -1), [A234]),
    ("expand_dims_0d", lambda a: np.expand_dims(a, 0), lambda a: onp.expand_dims(a, 0), [()]),
    ("expand_dims_tuple", lambda a: np.expand_dims(a, (0, 2)),
     lambda a: onp.expand_dims(a, (0, 2)), [(2, 3)]),
    ("squeeze", np.squeeze, onp.squeeze, [(1, 2, 1)]),
    ("squeeze_axis", lambda a: np.squeeze(a, axis=(0, 2)),
     lambda a: onp.squeeze(a, axis=(0, 2)), [(1, 2, 1, 1)]),
    ("broadcast_to", lambda a: np.broadcast_to(a, (2, 3, 4)),
     lambda a: onp.broadcast_to(a, (2, 3, 4)), [(3, 1)]),
    ("broadcast_to_0d", lambda a: np.broadcast_to(a, (2,)), lambda a: onp.broadcast_to(a, (2,)),
     [()]),
    ("broadcast_arrays", np.broadcast_arrays, onp.broadcast_arrays, [(3, 1), (4,)]),
    ("atleast_1d", np.atleast_1d, onp.atleast_1d, [()]),
    ("atleast_2d", np.atleast_2d, onp.atleast_2d, [(3,)]),
    ("atleast_3d", np.atleast_3d, onp.atleast_3d, [(2, 3)]),
    ("atleast_3d_many", np.atleast_3d, onp.atleast_3d, [(), (3,), (2, 3, 4, 1)]),
    ("concatenate", lambda *x: np.concatenate(x), lambda *x: onp.concatenate(x),
     [(2, 3), (1, 3), (0, 3)]),
    ("concatenate_axis", lambda *x: np.concatenate(x, axis=-1),
     lambda *x: onp.concatenate(x, axis=-1), [(2, 3), (2, 1)]),
    ("concatenate_none", lambda *x: np.concatenate(x, axis=None),
     lambda *x: onp.concatenate(x, axis=None), [(2, 3), (4,)]),
    ("concatenate_one", lambda x: np.concatenate([x]), lambda x: onp.concatenate([x]),
     [(2, 3)]),
    ("append", lambda a, b: np.append(a, b), onp.append, [(2, 3), (2,)]),
    ("append_axis", lambda a, b: np.append(a, b, axis=0),
     lambda a, b: onp.append(a, b, axis=0), [(2, 3), (1, 3)]),
    ("stack", lambda *x: np.stack(x, axis=1), lambda *x: onp.stack(x, axis=1),
     [(2, 3), (2, 3)]),
    ("stack_last", lambda *x: np.stack(x, axis=-1), lambda *x: onp.stack(x, axis=-1),
     [(2,), (2,), (2,)]),
    ("vstack", lambda *x: np.vstack(x), lambda *x: onp.vstack(x), [(2, 3), (3,)]),
    ("row_stack", lambda *x: np.row_stack(x), lambda *x: onp.vstack(x), [(3,), (3,)]),
    ("hstack", lambda *x: np.hstack(x), lambda *x: onp.hstack(x), [(3,), (2,)]),
    ("hstack_2d", lambda *x: np.hstack(x), lambda *x: onp.hstack(x), [(2, 3), (2, 1)]),
    ("dstack", lambda *x: np.dstack(x), lambda *x: onp.dstack(x), [(3,), (3,)]),
    ("dstack_2d", lambda *x: np.dstack(x), lambda *x: onp.dstack(x), [(2, 3), (2, 3)]),
    ("column_stack", lambda *x: np.column_stack(x), lambda *x: onp.column_stack(x),
     [(3,), (3, 2)]),
    ("split", lambda a: np.split(a, 3), lambda a: onp.split(a, 3), [(6,)]),
    ("split_indices", lambda a: np.split(a, [1, 4]), lambda a: onp.split(a, [1, 4]), [(6, 2)]),
    ("split_axis", lambda a: np.split(a, 2, axis=2), lambda a: onp.split(a, 2, axis=2), [A234]),
    ("split_empty_part", lambda a: np.split(a, [2, 2]), lambda a: onp.split(a, [2, 2]), [(4,)]),
    ("array_split", lambda a: np.array_split(a, 3), lambda a: onp.array_split(a, 3), [(7,)]),
    ("array_split_idx", lambda a: np.array_split(a, [2, 5], axis=1),
     lambda a: onp.array_split(a, [2, 5], axis=1), [(2, 7)]),
    ("hsplit", lambda a: np.hsplit(a, 3), lambda a: onp.hsplit(a, 3), [A234]),
    ("hsplit_1d", lambda a: np.hsplit(a, 2), lambda a: onp.hsplit(a, 2), [(6,)]),
    ("vsplit", lambda a: np.vsplit(a, 2), lambda a: onp.vsplit(a, 2), [A234]),
    ("dsplit", lambda a: np.dsplit(a, [1]), lambda a: onp.dsplit(a, [1]), [A234]),
    ("tile", lambda a: np.tile(a, (2, 1, 3)), lambda a: onp.tile(a, (2, 1, 3)), [(2, 3)]),
    ("tile_short_reps", lambda a: np.tile(a, 2), lambda a: onp.tile(a, 2), [(2, 3)]),
    ("tile_0d", lambda a: np.tile(a, (2, 2)), lambda a: onp.tile(a, (2, 2)), [()]),
    ("tile_zero", lambda a: np.tile(a, (0, 1)), lambda a: onp.tile(a, (0, 1)), [(2, 3)]),
    ("repeat", lambda a: np.repeat(a, 2), lambda a: onp.repeat(a, 2), [(2, 3)]),
    ("repeat_axis", lambda a: np.repeat(a, 3, axis=-1), lambda a: onp.repeat(a, 3, axis=-1),
     [(2, 3)]),
    ("repeat_zero", lambda a: np.repeat(a, 0, axis=0), lambda a: onp.repeat(a, 0, axis=0),
     [(2, 3)]),
    ("roll", lambda a: np.roll(a, 2), lambda a: onp.roll(a, 2), [(2, 3)]),
    ("roll_axis", lambda a: np.roll(a, -1, axis=1), lambda a: onp.roll(a, -1, axis=1),
     [(2, 3)]),
    ("roll_axes", lambda a: np.roll(a, (1, 2), axis=(0, 1)),
     lambda a: onp.roll(a, (1, 2), axis=(0, 1)), [(2, 3)]),
    ("roll_0d", lambda a: np.roll(a, 1), lambda a: onp.roll(a, 1), [()]),
    ("flip", np.flip, onp.flip, [A234]),
    ("flip_axis", lambda a: np.flip(a, 1), lambda a: onp.flip(a, 1), [A234]),
    ("flip_0d", np.flip, onp.flip, [()]),
    ("fliplr", np.fliplr, onp.fliplr, [(2, 3)]),
    ("flipud", np.flipud, onp.flipud, [(2, 3)]),
    ("rot90", np.rot90, onp.rot90, [(2, 3)]),
    ("rot90_k", lambda a: np.rot90(a, 3, (2, 0)), lambda a: onp.rot90(a, 3, (2, 0)), [A234]),
    ("rot90_neg", lambda a: np.rot90(a, -2), lambda a: onp.rot90(a, -2), [(2, 3)]),
    ("pad", lambda a: np.pad(a, ((1, 0), (0, 2))), lambda a: onp.pad(a, ((1, 0), (0, 2))),
     [(2, 3)]),
    ("pad_int", lambda a: np.pad(a, 1, constant_values=5),
     lambda a: onp.pad(a, 1, constant_values=5), [(2, 3)]),
    ("pad_pair", lambda a: np.pad(a, (1, 2)), lambda a: onp.pad(a, (1, 2)), [A234]),
    ("copy", np.copy, onp.copy, [(2, 3)]),
    ("copy_0d", np.copy, onp.copy, [()]),
    ("diag_2d", np.diag, onp.diag, [(3, 4)]),
    ("diag_2d_k", lambda a: np.diag(a, 1), lambda a: onp.diag(a, 1), [(3, 4)]),
    ("diag_1d", lambda a: np.diag(a, -1), lambda a: onp.diag(a, -1), [(3,)]),
    ("diagflat", lambda a: np.diagflat(a, 1), lambda a: onp.diagflat(a, 1), [(2, 2)]),
    ("diagonal", np.diagonal, onp.diagonal, [A234]),
    ("diagonal_args", lambda a: np.diagonal(a, 1, 2, 0), lambda a: onp.diagonal(a, 1, 2, 0),
     [A234]),
    ("diagonal_empty", lambda a: np.diagonal(a, 5), lambda a: onp.diagonal(a, 5), [(2, 3)]),
    ("trace", np.trace, onp.trace, [(3, 4)]),
    ("trace_3d", lambda a: np.trace(a, -1, 1, 2), lambda a: onp.trace(a, -1, 1, 2), [A234]),
    ("take", lambda a: np.take(a, [0, -1, 2]), lambda a: onp.take(a, [0, -1, 2]), [(2, 3)]),
    ("take_axis", lambda a: np.take(a, np.array([[0, 2], [2, 2]], dtype="int32"), axis=1),
     lambda a: onp.take(a, [[0, 2], [2, 2]], axis=1), [(2, 3)]),
    ("take_wrap", lambda a: np.take(a, [4, -5], axis=0, mode="wrap"),
     lambda a: onp.take(a, [4, -5], axis=0, mode="wrap"), [(3, 2)]),
    ("take_clip", lambda a: np.take(a, [7, -1], axis=0, mode="clip"),
     lambda a: onp.take(a, [7, -1], axis=0, mode="clip"), [(3, 2)]),
    ("take_scalar", lambda a: np.take(a, 1, axis=1), lambda a: onp.take(a, 1, axis=1), [(2, 3)]),
    ("take_along_axis", lambda a: np.take_along_axis(a, onp.array([[0], [2]]), 1),
     lambda a: onp.take_along_axis(a, onp.array([[0], [2]]), 1), [(2, 3)]),
    ("take_along_axis_bc", lambda a: np.take_along_axis(a, onp.array([[0, 1, 1, 0]]), 0),
     lambda a: onp.take_along_axis(a, onp.array([[0, 1, 1, 0]]), 0), [(2, 4)]),
    ("compress", lambda a: np.compress([True, False, True], a, axis=1),
     lambda a: onp.compress([True, False, True], a, axis=1), [(2, 3)]),
    ("compress_flat", lambda a: np.compress([0, 1, 1], a), lambda a: onp.compress([0, 1, 1], a),
     [(2, 3)]),
    ("extract", lambda a: np.extract(onp.eye(2, 3), a), lambda a: onp.extract(onp.eye(2, 3), a),
     [(2, 3)]),
    ("choose", lambda *c: np.choose(onp.array([0, 1, 0]), c),
     lambda *c: onp.choose(onp.array([0, 1, 0]), c), [(3,), (2, 3)]),
    ("delete", lambda a: np.delete(a, 1, axis=1), lambda a: onp.delete(a, 1, axis=1), [(2, 3)]),
    ("delete_many", lambda a: np.delete(a, [1, 3]), lambda a: onp.delete(a, [1, 3]), [(6,)]),
    ("delete_slice", lambda a: np.delete(a, slice(0, 2), axis=1),
     lambda a: onp.delete(a, slice(0, 2), axis=1), [(2, 3)]),
    ("delete_slice_back", lambda a: np.delete(a, slice(None, None, -2)),
     lambda a: onp.delete(a, slice(None, None, -2)), [(5,)]),
    ("delete_mask", lambda a: np.delete(a, np.array([True, False, True], dtype=bool), axis=1),
     lambda a: onp.delete(a, [True, False, True], axis=1), [(2, 3)]),
    ("delete_array", lambda a: np.delete(a, np.array([-1, 0, 0], dtype="int32"), axis=0),
     lambda a: onp.delete(a, [-1, 0, 0], axis=0), [(4, 2)]),
    ("insert", lambda a: np.insert(a, 1, 5), lambda a: onp.insert(a, 1, 5), [(4,)]),
    ("insert_many", lambda a: np.insert(a, [1, 3, 1], 5), lambda a: onp.insert(a, [1, 3, 1], 5),
     [(4,)]),
    ("insert_rows", lambda a, v: np.insert(a, 1, v, axis=0),
     lambda a, v: onp.insert(a, 1, v, axis=0), [(2, 3), (3,)]),
    ("insert_end", lambda a, v: np.insert(a, -1, v, axis=1),
     lambda a, v: onp.insert(a, -1, v, axis=1), [(2, 3), (2, 1)]),
    ("insert_slice", lambda a: np.insert(a, slice(0, 2), 0, axis=1),
     lambda a: onp.insert(a, slice(0, 2), 0, axis=1), [(2, 3)]),
    ("insert_one_point", lambda a, v: np.insert(a, [1], v), lambda a, v: onp.insert(a, [1], v),
     [(4,), (2,)]),
    ("insert_point_column", lambda a, v: np.insert(a, [2], v, axis=1),
     lambda a, v: onp.insert(a, [2], v, axis=1), [(2, 3), (2, 1)]),
    ("insert_int_block", lambda a, v: np.insert(a, 0, v, axis=1),
     lambda a, v: onp.insert(a, 0, v, axis=1), [(2, 3), (2, 2)]),
    ("insert_array_obj", lambda a, v: np.insert(a, np.array([3, 0, 3], dtype="int32"), v,
                                                axis=1),
     lambda a, v: onp.insert(a, [3, 0, 3], v, axis=1), [(2, 3), (3,)]),
    ("resize", lambda a: np.resize(a, (3, 4)), lambda a: onp.resize(a, (3, 4)), [(2, 3)]),
    ("resize_shrink", lambda a: np.resize(a, 4), lambda a: onp.resize(a, 4), [(2, 3)]),
]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


@pytest.mark.parametrize("name, fn, ref, shapes", CASES, ids=[c[0] for c in CASES])
def test_forward_and_gradient(name, fn, ref, shapes):
    host = [_data(s, offset=10 * i) for i, s in enumerate(shapes)]
    xs = [np.array(h) for h in host]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        outs = _as_list(fn(*xs))
    refs = _as_list(ref(*host))
    assert len(outs) == len(refs)
    for out, expected in zip(outs, refs):
        assert isinstance(out, np.ndarray)
        assert out.shape == expected.shape and out.dtype == onp.float32
        onp.testing.assert_array_equal(out.asnumpy(), expected)
    weights = [_data(r.shape, offset=100 * i) for i, r in enumerate(refs)]
    autograd.backward(outs, [np.array(w) for w in weights])
    # f(e_i) - f(0): the functions that insert constants are affine, not linear.
    base = _as_list(ref(*[onp.zeros_like(v) for v in host]))
    for i, (x, h) in enumerate(zip(xs, host)):
        expected = onp.zeros(h.size)
        for j in range(h.size):
            basis = [onp.zeros_like(v) for v in host]
            basis[i].reshape(-1)[j] = 1
            expected[j] = sum((w * (r - r0)).sum() for w, r, r0 in
                              zip(weights, _as_list(ref(*basis)), base))
        onp.testing.assert_allclose(x.grad.asnumpy().reshape(-1), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int32", "int64", "float16", "float64", "bool", "uint8"])
def test_dtypes_are_kept(dtype):
    a = np.array(_data((2, 3), dtype))
    for res in [np.reshape(a, (3, 2)), np.transpose(a), np.concatenate([a, a]),
                np.stack([a, a]), np.tile(a, 2), np.repeat(a, 2), np.flip(a), np.pad(a, 1),
                np.diag(a), np.take(a, [0]), np.split(a, 3, axis=1)[0], np.broadcast_to(a,
                                                                                   (2, 2, 3))]:
        assert res.dtype == onp.dtype(dtype)


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "maximum", "minimum"])
def test_pad_modes(mode):
    host = onp.array([[1.0, 5.0, 3.0], [2.0, 0.0, 4.0]], dtype="float32")
    res = np.pad(np.array(host), ((1, 2), (2, 1)), mode=mode)
    onp.testing.assert_array_equal(res.asnumpy(), onp.pad(host, ((1, 2), (2, 1)), mode=mode))
    x = np.array(host)
    x.attach_grad()
    with autograd.record():
        y = np.pad(x, 1, mode=mode)
    with pytest.raises(MXNetError, match="constant"):  # as in MXNet: constant mode only
        y.backward()


def test_out_arguments():
    a = np.array(_data((2, 3)))
    out = np.zeros((3, 2))
    assert np.reshape(a, (3, 2), out=out) is out
    onp.testing.assert_array_equal(out.asnumpy(), _data((3, 2)))
    out = np.zeros((4, 3))
    np.concatenate([a, a], out=out)
    onp.testing.assert_array_equal(out.asnumpy(), onp.concatenate([_data((2, 3))] * 2))
    out = np.zeros(())
    np.trace(a, out=out)
    assert float(out.asnumpy()) == onp.trace(_data((2, 3)))


def test_results_do_not_alias_inputs():
    a = np.array(_data((2, 3)))
    for res in [np.reshape(a, (6,)), np.squeeze(a), np.copy(a), np.transpose(np.transpose(a)),
                np.atleast_2d(a), np.expand_dims(a, 0)]:
        res[...] = 0
    onp.testing.assert_array_equal(a.asnumpy(), _data((2, 3)))


def test_second_order_through_diagonal_and_tile():
    x = np.array(_data((2, 2)))
    x.attach_grad()
    with autograd.record():
        y = np.trace(np.tile(x, (1, 2)) * np.tile(x, (1, 2)))
        (gx,) = autograd.grad(y, [x], create_graph=True)
        z = np.trace(gx)
    z.backward()
    # y = x00^2 + x11^2 (trace of a 2x4 over its 2x2 part); dy/dx = diag(2 x); trace: 2(x00 + x11)
    onp.testing.assert_allclose(x.grad.asnumpy(), [[2.0, 0.0], [0.0, 2.0]])


@pytest.mark.parametrize("call", [
    lambda a: np.reshape(a, (5, -1)), lambda a: np.reshape(a, (-1, -1)),
    lambda a: np.reshape(a, (0, -1)), lambda a: np.transpose(a, (1, 0)),
    lambda a: np.transpose(a, (1, 1, 0)), lambda a: np.swapaxes(a, 0, 3),
    lambda a: np.moveaxis(a, 0, 5), lambda a: np.expand_dims(a, 5),
    lambda a: np.squeeze(a, axis=1), lambda a: np.broadcast_to(a, (3, 4)),
    lambda a: np.concatenate([a, np.zeros((2, 1, 4))]),
    lambda a: np.concatenate([a, np.zeros((2, 3, 4), dtype="int32")]),
    lambda a: np.concatenate([]), lambda a: np.concatenate([np.array(1.0), np.array(2.0)]),
    lambda a: np.stack([a, np.zeros((2, 3))]), lambda a: np.split(a, [3, 1]),
    lambda a: np.split(a, [1, 9]), lambda a: np.tile(a, (-1,)), lambda a: np.repeat(a, -1),
    lambda a: np.roll(a, (1, 2), axis=1), lambda a: np.rot90(a, 1, (0, 0)),
    lambda a: np.fliplr(np.ones(3)), lambda a: np.pad(a, ((1, 1), (1, 1))),
    lambda a: np.pad(a, -1), lambda a: np.diag(a), lambda a: np.diagonal(np.ones(3)),
    lambda a: np.take(a, [24]), lambda a: np.take(a, [-25]),
    lambda a: np.delete(a, 9, axis=1), lambda a: np.insert(a, 9, 0, axis=0),
    lambda a: np.take_along_axis(a, onp.zeros((2, 3), int), 0),
    lambda a: np.choose(onp.array([2]), [a, a]),
    lambda a: np.reshape([1, 2], (2,)),
])
def test_bad_arguments_raise_mxnet_error(call):
    with pytest.raises(MXNetError):
        for res in _as_list(call(np.array(_data((2, 3, 4))))):
            res.asnumpy()  # a pushed kernel's error surfaces at the wait


@pytest.mark.parametrize("call", [
    lambda: np.split(np.arange(6), 4), lambda: np.vsplit(np.ones(4), 2),
    lambda: np.dsplit(np.ones((2, 2)), 2), lambda: np.array_split(np.arange(6), 0),
])
def test_split_value_errors(call):
    with pytest.raises(ValueError):  # raised in Python as MXNet and NumPy do
        call()


def test_symbol_graph_names_match_mxnet():
    a = mx.sym.var("a")
    b = mx.sym.var("b")
    json = np.concatenate([a, b], axis=1).tojson()
    assert '"_npi_concatenate"' in json and '"axis": "1"' in json
    assert '"_np_reshape"' in np.reshape(a, (2, -1)).tojson()
    assert '"_npi_pad"' in np.pad(a, ((1, 1),)).tojson()
    assert '"_np_transpose"' in np.transpose(a).tojson()
    inserted = np.insert(a, mx.sym.var("obj"), b, axis=0).tojson()
    assert '"_npi_insert_tensor"' in inserted
    assert '"_npi_insert_scalar"' in np.insert(a, 1, 5.0).tojson()
    assert '"_npi_take"' in np.take(a, mx.sym.var("i"), axis=0).tojson()
    assert '"axis": "None"' in np.flip(a).tojson()  # all axes, known once the graph runs
    with pytest.raises(MXNetError, match="Symbol"):
        np.take(a, [0, 1])  # a graph cannot hold host indices
    deleted = np.delete(a, slice(0, 3, 2), axis=0).tojson()
    assert '"_npi_delete"' in deleted and '"step": "2"' in deleted
    parts = np.split(a, 2)
    assert len(parts) == 2 and '"_npi_split"' in parts[1].tojson()


def test_hybridized_symbol_runs():
    a = mx.sym.var("a")
    net = np.stack([np.transpose(a), np.flip(np.transpose(a), 0)], axis=0)
    ex = net.bind(mx.context.current_context(), {"a": mx.nd.array(_data((2, 3)))})
    res = ex.forward()[0].asnumpy()
    ref = onp.stack([_data((2, 3)).T, onp.flip(_data((2, 3)).T, 0)])
    onp.testing.assert_array_equal(res, ref)


SYMBOLIC = {
    "concatenate": lambda a, b: np.concatenate([a, b], axis=0),
    "stack": lambda a, b: np.stack([a, b], axis=1),
    "hstack": lambda a, b: np.hstack([a, b]),
    "column_stack": lambda a, b: np.column_stack([a, b]),
    "split": lambda a, b: np.split(a, 3, axis=1)[1],
    "tile": lambda a, b: np.tile(a, (2, 1)),
    "repeat": lambda a, b: np.repeat(a, 2, axis=1),
    "pad": lambda a, b: np.pad(a, ((1, 1), (0, 2))),
    "diag": lambda a, b: np.diag(a, 1),
    "trace": lambda a, b: np.trace(a),
    "tril": lambda a, b: np.tril(a),
    "rot90": lambda a, b: np.rot90(a),
    "flip": lambda a, b: np.flip(a),
    "fliplr": lambda a, b: np.fliplr(a),
    "hsplit": lambda a, b: np.hsplit(a, [1])[1],
    "vsplit": lambda a, b: np.vsplit(a, 2)[0],
    "take": lambda a, b: np.take(a, np.reshape(b, (-1,)) - 11, axis=1, mode="clip"),
    "roll": lambda a, b: np.roll(a, 1),
    "broadcast_to": lambda a, b: np.broadcast_to(a, (2, 2, 3)),
    "squeeze": lambda a, b: np.squeeze(np.expand_dims(a, 0)),
    "diagflat": lambda a, b: np.diagflat(a),
}


@pytest.mark.parametrize("name", sorted(SYMBOLIC))
def test_symbolic_graph_matches_imperative(name):
    """The same function on Symbols builds a graph whose forward and backward (the
    gradient rules run with mx.sym) equal the imperative run's."""
    fn = SYMBOLIC[name]
    host = {"a": _data((2, 3)), "b": _data((2, 3), offset=10)}
    sym = fn(mx.sym.var("a"), mx.sym.var("b"))
    args = {k: mx.nd.array(v) for k, v in host.items() if k in sym.list_arguments()}
    grads = {k: mx.nd.zeros(v.shape) for k, v in args.items()}
    ex = sym.bind(mx.context.current_context(), args, args_grad=grads)
    out = ex.forward(is_train=True)[0]
    weights = _data(out.shape)
    ex.backward([mx.nd.array(weights)])
    xs = {k: np.array(v) for k, v in host.items()}
    for x in xs.values():
        x.attach_grad()
    with autograd.record():
        res = fn(xs["a"], xs["b"])
    res.backward(np.array(weights))
    onp.testing.assert_array_equal(out.asnumpy(), res.asnumpy())
    for k, g in grads.items():
        onp.testing.assert_array_equal(g.asnumpy(), xs[k].grad.asnumpy())


@pytest.mark.parametrize("trim", ["fb", "f", "b", "FB"])
def test_trim_zeros(trim):
    host = onp.array([0.0, 0.0, 1.0, 0.0, 2.0, 0.0], dtype="float32")
    x = np.array(host)
    x.attach_grad()
    with autograd.record():
        res = np.trim_zeros(x, trim)
    onp.testing.assert_array_equal(res.asnumpy(), onp.trim_zeros(host, trim))
    res.backward()
    kept = onp.zeros(6)
    first = 2 if "f" in trim.lower() else 0
    last = 5 if "b" in trim.lower() else 6
    kept[first:last] = 1
    onp.testing.assert_array_equal(x.grad.asnumpy(), kept)
    assert np.trim_zeros(np.zeros(3)).shape == (0,)


def test_ix_():
    rows, cols = np.ix_(np.array([0, 1], dtype="int32"), [True, False, True])
    ref_rows, ref_cols = onp.ix_([0, 1], [True, False, True])
    assert rows.dtype == onp.int32 and cols.dtype == onp.int64
    onp.testing.assert_array_equal(rows.asnumpy(), ref_rows)
    onp.testing.assert_array_equal(cols.asnumpy(), ref_cols)
    with pytest.raises(MXNetError):
        np.ix_(np.zeros((2, 2)))


def test_unravel_index_and_genfromtxt():
    import io
    res = np.unravel_index(np.array([7, 3], dtype="int32"), (2, 4))
    for r, e in zip(res, onp.unravel_index([7, 3], (2, 4))):
        assert r.dtype == onp.int64
        onp.testing.assert_array_equal(r.asnumpy(), e)
    assert [int(r.asnumpy()) for r in np.unravel_index(5, (2, 3))] == [1, 2]
    with pytest.raises(MXNetError):
        np.unravel_index(6, (2, 3))
    data = np.genfromtxt(io.StringIO("1 2\n3 4"))
    assert data.dtype == onp.float64
    onp.testing.assert_array_equal(data.asnumpy(), [[1, 2], [3, 4]])


@pytest.mark.parametrize("name, legacy", [("_npi_gather_nd", "gather_nd"),
                                          ("_npi_scatter_set_nd", "_scatter_set_nd"),
                                          ("_npi_copyto", "_copyto"),
                                          ("_npi_rnn_param_concat", "_rnn_param_concat")])
def test_numpy_names_of_legacy_operators(name, legacy):
    # MXNet declares these as aliases: a graph built with either name stores the legacy one.
    from mxnet.ops import registry
    assert registry.get(name) is registry.get(legacy)


def test_insert_casts_values_and_second_order():
    a = np.array(onp.arange(4, dtype="int32"))
    res = np.insert(a, [1, 3], np.array([7.9, -2.5]))
    assert res.dtype == onp.int32
    onp.testing.assert_array_equal(res.asnumpy(), onp.insert(onp.arange(4), [1, 3], [7, -2]))
    x = np.array([1.0, 2.0])
    v = np.array([3.0])
    for t in (x, v):
        t.attach_grad()
    with autograd.record():
        y = np.insert(x, 1, v)                       # [x0, v0, x1]
        gx, gv = autograd.grad((y * y).sum(), [x, v], create_graph=True)
        z = (gx * gx).sum() + (gv * gv).sum()        # 4 (x0^2 + x1^2 + v0^2)
    z.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), [8.0, 16.0])
    onp.testing.assert_allclose(v.grad.asnumpy(), [24.0])


def test_split_ops_fix_their_axis():
    # _npi_hsplit splits the second axis (the first of 1-d input) and _npi_dsplit the
    # third, whatever 'axis' says, as the front ends' ops in MXNet.
    a = np.array(_data((2, 3, 4)))
    parts = mx.nd._internal._npi_dsplit(a, indices=(0, 1), axis=0)
    assert [p.shape for p in parts] == [(2, 3, 1), (2, 3, 3)]
    parts = mx.nd._internal._npi_hsplit(np.array(_data((6,))), indices=(0, 2), axis=1)
    assert [p.shape for p in parts] == [(2,), (4,)]
    with pytest.raises(MXNetError):
        mx.nd._internal._npi_dsplit(np.array(_data((2, 3))), indices=(0, 1))
