"""mx.np.ndarray: MXNet 1.9.1's class behaviour (repr, scalars, conversions,
methods it has and has not), NumPy indexing (views, copies, assignment,
gradients) and the Python operators."""
import math
import operator
import pickle
import warnings

import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, np
from mxnet.base import MXNetError


# repr strings printed by MXNet 1.9.1 (npx.set_np()) for the same arrays
# (tools/print_np_core_fixtures.py prints them).
REPRS = [
    ("np.array([1, 2])", "array([1., 2.])"),
    ("np.array([[1, 2], [3, 4]], dtype='int32')", "array([[1, 2],\n       [3, 4]], dtype=int32)"),
    ("np.array(3.5)", "array(3.5)"),
    ("np.zeros((0, 3))", "array([], shape=(0, 3))"),
    ("np.zeros((0, 3), dtype='int32')", "array([], shape=(0, 3), dtype=int32)"),
    ("np.array([], dtype='float32')", "array([])"),
    ("np.array([1.5, 2], dtype='float64')", "array([1.5, 2. ], dtype=float64)"),
    ("np.array([1, 2], dtype='float16')", "array([1., 2.], dtype=float16)"),
    ("np.array([1, 2], dtype='int64')", "array([1, 2], dtype=int64)"),
    ("np.array([1, 2], dtype='uint8')", "array([1, 2], dtype=uint8)"),
    ("np.array([1, 2], dtype='int8')", "array([1, 2], dtype=int8)"),
    ("np.array([1, 0], dtype='bool')", "array([ True, False])"),
    ("np.array(2, dtype='int32')", "array(2, dtype=int32)"),
    ("np.array(2, dtype='int64')", "array(2, dtype=int64)"),
    ("np.array(True, dtype='bool')", "array(True)"),
    ("np.ones((3, 20))", "array([[1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1.,\n"
     "        1., 1., 1., 1.],\n       [1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., "
     "1., 1.,\n        1., 1., 1., 1.],\n       [1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., 1., "
     "1., 1., 1., 1.,\n        1., 1., 1., 1.]])"),
    ("np.array([1e-8, 1e8])", "array([1.e-08, 1.e+08])"),
    ("np.array([[0.5, -1.25], [3, 4]])", "array([[ 0.5 , -1.25],\n       [ 3.  ,  4.  ]])"),
]


@pytest.mark.parametrize("expr,expected", REPRS, ids=[r[0] for r in REPRS])
def test_repr_is_mxnets(expr, expected):
    with mx.cpu(0):
        assert repr(eval(expr)) == expected


def test_str_and_repr_off_the_cpu_name_the_context():
    a = np.array([1, 2])
    assert str(a) == "[1. 2.]"
    assert str(np.array(3.5)) == "3.5"
    assert "ctx=" not in repr(np.array([1, 2], ctx=mx.cpu(1)))


def test_dtype_is_a_numpy_dtype_object_and_class_is_public():
    a = np.array([1, 2])
    assert isinstance(a.dtype, onp.dtype) and a.dtype == onp.float32
    assert np.array([1], dtype="int32").dtype == onp.dtype("int32")
    assert repr(type(a)) == "<class 'mxnet.numpy.ndarray'>"
    assert isinstance(a, mx.nd.NDArray)


def test_item_tolist_and_python_scalars():
    a = np.arange(6).reshape(2, 3)
    assert a.item(1) == 1.0 and type(a.item(1)) is float
    assert a[1, 2].item() == 5.0 and a.item((1, 2)) == 5.0
    assert a.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert np.array([1, 2], dtype="int32").tolist() == [1, 2]
    assert float(a[0, 1]) == 1.0 and int(a[1, 2]) == 5 and bool(a[0, 1]) is True
    assert float(np.ones((1, 1))) == 1.0
    with pytest.raises(ValueError, match="size 1"):
        a.item()
    with pytest.raises(TypeError, match="size-1"):
        float(a)
    with pytest.raises(TypeError, match="size-1"):
        int(a)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(a)


def test_truth_of_an_empty_array_is_false_with_a_warning():
    with pytest.warns(DeprecationWarning, match="empty"):
        assert bool(np.zeros((0,))) is False


def test_index_only_for_integer_zero_d_arrays():
    assert operator.index(np.array(3, dtype="int64")) == 3
    assert list(range(5))[np.array(2, dtype="int32")] == 2
    with pytest.raises(TypeError):
        operator.index(np.array(2.0))
    with pytest.raises(TypeError):
        operator.index(np.array([2], dtype="int32"))


def test_len_iteration_and_hash():
    a = np.arange(6).reshape(2, 3)
    assert len(a) == 2
    rows = list(a)
    assert [type(r) for r in rows] == [np.ndarray] * 2 and rows[1].shape == (3,)
    assert [x.shape for x in np.arange(3)] == [(), (), ()]
    with pytest.raises(TypeError, match="unsized"):
        len(np.array(1.0))
    with pytest.raises(NotImplementedError):
        hash(a)
    assert a in [a]  # identity first, as for any list


def test_conversions_keep_the_np_class():
    a = np.arange(6).reshape(2, 3)
    for b in (a.copy(), a.detach(), a.astype("int32"), a.as_in_ctx(mx.cpu(1)),
              a.as_in_context(mx.cpu(1)), a.copyto(mx.cpu(0)), a.T):
        assert type(b) is np.ndarray
    assert a.as_in_ctx(a.ctx) is a and a.astype("float32", copy=False) is a
    assert a.astype("float32") is not a
    assert a.astype(bool).dtype == onp.bool_
    legacy = a.as_nd_ndarray()
    assert type(legacy) is mx.nd.NDArray and type(legacy.as_np_ndarray()) is np.ndarray
    assert type(a.asnumpy()) is onp.ndarray
    onp.testing.assert_array_equal(onp.asarray(a), a.asnumpy())
    c = a.copy()
    c[0, 0] = 100
    assert a[0, 0] == 0


def test_astype_refuses_options_mxnet_lacks():
    with pytest.raises(NotImplementedError):
        np.ones(2).astype("int32", casting="safe")
    with pytest.raises(NotImplementedError):
        np.ones(2).copy(order="F")


def test_grad_is_an_np_array_sharing_the_buffer():
    x = np.array([1.0, 2.0])
    assert x.grad is None
    x.attach_grad()
    assert type(x.grad) is np.ndarray
    with autograd.record():
        y = x * x
    y.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0])
    g = x.grad
    g[:] = 0  # the returned array is the buffer itself, not a copy
    onp.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])


def test_pickle_round_trip_keeps_class_dtype_and_zero_d():
    for a in (np.arange(6).reshape(2, 3), np.array(2, dtype="int32"), np.zeros((0, 2))):
        b = pickle.loads(pickle.dumps(a))
        assert type(b) is np.ndarray and b.dtype == a.dtype and b.shape == a.shape
        onp.testing.assert_array_equal(b.asnumpy(), a.asnumpy())


@pytest.mark.parametrize("name", ["abs", "sigmoid", "softmax", "asscalar", "tile", "split",
                                  "expand_dims", "zeros_like", "tostype", "topk", "pick"])
def test_legacy_only_methods_are_absent(name):
    a = np.ones((2, 2))
    assert not hasattr(a, name)
    with pytest.raises(AttributeError, match=name):
        getattr(a, name)
    assert hasattr(mx.nd.ones((2, 2)), name)  # the legacy class keeps it


# -- indexing ---------------------------------------------------------------------

SHAPE = (4, 5, 3)
# (key, whether MXNet gives a view sharing memory)
BASIC_KEYS = [
    (1, True), (-1, True), ((1, 2), True), ((1, 2, 0), True), (slice(1, 3), True),
    ((slice(None), 1), False), (slice(None, None, 2), False), (slice(None, None, -1), False),
    (None, True), (Ellipsis, True), ((0, None), True), ((), True), ((1, slice(0, 2)), True),
    ((Ellipsis, 1), False), ((slice(1, 2), slice(0, 5)), True), ((2, Ellipsis, None), True),
    ((slice(-3, -1), 0, slice(None, None, -2)), False), (slice(10, 20), True),
]
ADVANCED_KEYS = [
    [1, 0, 3], onp.array([[0, 1], [3, 3]]), (slice(None), [0, 4]), ([0, 1], [2, 3]),
    ([0, 1], slice(None), [2, 0]), (Ellipsis, [1, 1]), ([True, False, True, False],),
    onp.array([True, False, True, False]), (1, [0, 2], None), ([[0], [1]], [1, 2]),
    (slice(1, 3), [0, 0, 1], 2),
]


def _data(shape=SHAPE):
    return onp.arange(onp.prod(shape), dtype="float32").reshape(shape)


@pytest.mark.parametrize("key,view", BASIC_KEYS, ids=[repr(k) for k, _ in BASIC_KEYS])
def test_basic_indexing_matches_numpy_and_views_as_mxnet(key, view):
    ref = _data()
    a = np.array(ref)
    out = a[key]
    expected = ref[key]
    assert type(out) is np.ndarray and out.shape == onp.shape(expected)
    onp.testing.assert_array_equal(out.asnumpy(), expected)
    if out.size:
        out[...] = -7
        assert bool((a.asnumpy() == -7).any()) is view


@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=[repr(k) for k in ADVANCED_KEYS])
@pytest.mark.parametrize("key_kind", ["host", "mx"])
def test_advanced_indexing_matches_numpy_and_copies(key, key_kind):
    ref = _data()
    a = np.array(ref)
    mx_key = _as_mx_key(key) if key_kind == "mx" else key
    out = a[mx_key]
    onp.testing.assert_array_equal(out.asnumpy(), ref[key])
    if out.size:
        out[...] = -7
        assert not (a.asnumpy() == -7).any()


def _as_mx_key(key):
    def one(k):
        if isinstance(k, (list, onp.ndarray)):
            k = onp.asarray(k)
            return np.array(k, dtype="bool" if k.dtype == bool else "int32")
        return k
    return tuple(one(k) for k in key) if isinstance(key, tuple) else one(key)


def test_float_index_arrays_are_cast_to_integers_as_mxnet():
    ref = _data()
    onp.testing.assert_array_equal(np.array(ref)[np.array([2, 0])].asnumpy(), ref[[2, 0]])


def test_n_d_boolean_mask():
    ref = _data()
    a = np.array(ref)
    mask = ref > 20
    onp.testing.assert_array_equal(a[np.array(mask)].asnumpy(), ref[mask])
    onp.testing.assert_array_equal(a[a > 20].asnumpy(), ref[mask])
    m2 = ref[:, :, 0] > 10
    onp.testing.assert_array_equal(a[np.array(m2)].asnumpy(), ref[m2])
    onp.testing.assert_array_equal(a[np.zeros(SHAPE, dtype=bool)].asnumpy().shape, (0,))


def test_integer_index_gives_zero_d_arrays():
    a = np.array(_data())
    assert a[1, 2, 0].shape == () and a[1, 2, 0].item() == 21.0
    assert np.arange(3)[1].shape == ()


@pytest.mark.parametrize("key,error", [
    (10, IndexError), ((0, 0, 0, 0), IndexError), ([0, 9], IndexError),
    (1.5, MXNetError), ("x", MXNetError), ([True, False], IndexError),
    (slice(0.5, 2), MXNetError),
])
def test_bad_keys_raise(key, error):
    a = np.array(_data())
    with pytest.raises(error):
        a[key]
    with pytest.raises(error):
        a[key] = 1


def test_bad_mx_mask_shape_raises_index_error():
    a = np.array(_data())
    with pytest.raises(IndexError):
        a[np.array([True, False], dtype="bool")]


SET_CASES = [
    (1, 5.0), ((0, slice(1, 3)), onp.arange(3, dtype="float32")), (slice(None, None, 2), -1.0),
    ((slice(None), 1), onp.ones((1, 4, 3))), ([0, 3], onp.arange(15).reshape(5, 3)),
    (([0, 1], [1, 2]), 9.0), ((Ellipsis, 0), onp.arange(5)), (None, 2.5),
    (slice(None, None, -1), onp.arange(60).reshape(4, 5, 3)), ((1, 2, 0), 42),
    (onp.array([True, False, False, True]), 3.0), ((2,), onp.ones((1, 5, 3))),
]


@pytest.mark.parametrize("key,value", SET_CASES, ids=[repr(k) for k, _ in SET_CASES])
@pytest.mark.parametrize("value_kind", ["host", "mx"])
def test_setitem_matches_numpy(key, value, value_kind):
    ref = _data()
    a = np.array(ref)
    if value_kind == "mx" and isinstance(value, onp.ndarray):
        value = np.array(value, dtype=value.dtype)
    ref[key] = value if not isinstance(value, np.ndarray) else value.asnumpy()
    a[key] = value
    onp.testing.assert_array_equal(a.asnumpy(), ref)


def test_setitem_casts_to_the_array_dtype():
    a = np.array([1, 2, 3], dtype="int32")
    a[0] = 7.9
    a[1:] = np.array([4.5, 5.5])
    assert a.dtype == onp.int32 and a.tolist() == [7, 4, 5]
    b = np.zeros(3)
    b[np.array([True, False, True], dtype="bool")] = np.array(2, dtype="int32")
    assert b.tolist() == [2.0, 0.0, 2.0]


def test_setitem_with_overlapping_view_of_itself():
    a = np.arange(5)
    a[1:] = a[:-1]
    assert a.tolist() == [0.0, 0.0, 1.0, 2.0, 3.0]


def test_setitem_shape_mismatch_raises():
    a = np.zeros((2, 3))
    with pytest.raises(MXNetError, match="shape"):
        a[0] = np.ones(2)
    with pytest.raises(MXNetError, match="shape"):
        a[:] = onp.ones((2, 2, 3))


def test_write_through_view_is_seen_by_the_base_and_ordered_by_the_engine():
    a = np.zeros((3, 4))
    row = a[1]
    row[:] = np.arange(4)
    a[1, 0] = 9
    assert row.tolist() == [9.0, 1.0, 2.0, 3.0]
    onp.testing.assert_array_equal(a.asnumpy()[1], [9, 1, 2, 3])


GRAD_KEYS = [1, (slice(None), 1), slice(None, None, -2), ([0, 0, 3],), ([1, 2], [0, 0]),
             (Ellipsis, 2), (2, 4, 1), (slice(1, 3), [0, 0, 2]), None, (), Ellipsis]


@pytest.mark.parametrize("key", GRAD_KEYS, ids=[repr(k) for k in GRAD_KEYS])
def test_gradient_through_getitem_scatters_back(key):
    ref = _data()
    x = np.array(ref)
    x.attach_grad()
    head = onp.asarray(onp.random.RandomState(0).rand(*onp.shape(ref[key])), dtype="float32")
    with autograd.record():
        y = x[key]
    y.backward(np.array(head))
    expected = onp.zeros_like(ref)
    onp.add.at(expected, key, head)
    onp.testing.assert_allclose(x.grad.asnumpy(), expected)


def test_gradient_through_boolean_mask():
    ref = _data()
    x = np.array(ref)
    x.attach_grad()
    mask = np.array(ref % 3 == 0)
    with autograd.record():
        y = x[mask] * 2
    y.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), onp.where(ref % 3 == 0, 2.0, 0.0))


def test_second_order_gradient_through_getitem():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x[[0, 2, 2]] ** 3
        (g,) = autograd.grad([y], [x], create_graph=True)
    g.backward()
    # d/dx of (3x0^2, 0, 6x2^2) summed: (6x0, 0, 12x2)
    onp.testing.assert_allclose(x.grad.asnumpy(), [6.0, 0.0, 36.0])


# -- operators and methods ------------------------------------------------------------

def test_arithmetic_operators_follow_mxnet_dtypes():
    a = np.array([1.5, -2.5])
    i = np.array([3, 5], dtype="int32")
    cases = [
        (a + 1, [2.5, -1.5], "float32"), (1 - a, [-0.5, 3.5], "float32"),
        (a * i, [4.5, -12.5], "float32"), (i / 2, [1.5, 2.5], "float32"),
        (1 / i, [1 / 3, 0.2], "float32"), (i % 2, [1, 1], "int32"), (2 % i, [2, 2], "int32"),
        (a ** 2, [2.25, 6.25], "float32"), (2 ** a, [2 ** 1.5, 2 ** -2.5], "float32"),
        (-a, [-1.5, 2.5], "float32"), (abs(a), [1.5, 2.5], "float32"),
        (a < 1, [False, True], "bool"), (1 < a, [True, False], "bool"),
        (a == 1.5, [True, False], "bool"), (a != i, [True, True], "bool"),
        (a >= a, [True, True], "bool"),
    ]
    for got, expected, dtype in cases:
        assert type(got) is np.ndarray and got.dtype == onp.dtype(dtype), (got, dtype)
        onp.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-6)


def test_matmul_and_bitwise_operators():
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    onp.testing.assert_allclose((m @ m).asnumpy(), m.asnumpy() @ m.asnumpy())
    assert (m[0] @ m[0]).shape == ()
    i = np.array([3, 5], dtype="int32")
    assert (i & 1).tolist() == [1, 1] and (i | 8).tolist() == [11, 13]
    assert (i ^ 1).tolist() == [2, 4] and (~i).tolist() == [-4, -6]


def test_unary_plus_is_a_copy_as_numpy():
    a = np.array([1.0, -2.0])
    b = +a
    assert type(b) is np.ndarray and b is not a and b.tolist() == [1.0, -2.0]


def test_slice_assign_methods_write_in_place():
    a = np.zeros((3, 4))
    assert a.slice_assign(np.ones((2, 2)), (0, 1), (2, 3), (None, None)) is a
    a.slice_assign_scalar(5, (1, 0), (3, 1), (None, None))
    assert a.tolist() == [[0, 1, 1, 0], [5, 1, 1, 0], [5, 0, 0, 0]]


def test_rounding_protocols():
    a = np.array([1.5, -2.5])
    assert round(a).tolist() == [2.0, -2.0]
    assert math.floor(a).tolist() == [1.0, -3.0]
    assert math.ceil(a).tolist() == [2.0, -2.0]
    assert math.trunc(a).tolist() == [1.0, -2.0]


def test_inplace_operators_write_into_the_array():
    a = np.array([1.0, 2.0])
    alias = a
    a += 1
    a *= np.array([2.0, 3.0])
    a -= 1
    a /= 2
    assert alias is a and a.tolist() == [1.5, 4.0]
    b = np.array([3, 5], dtype="int32")
    b %= 2
    assert b.dtype == onp.int32 and b.tolist() == [1, 1]


def test_operators_reject_unsupported_operands():
    a = np.array([1.0, 2.0])
    with pytest.raises(TypeError):
        a + "x"
    with pytest.raises(TypeError):
        a == None  # noqa: E711 -- MXNet raises here


def test_operators_are_recorded_by_autograd():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x + 2 * x - x / 2) ** 2
    y.backward()
    xs = x.asnumpy()
    expected = 2 * (xs * xs + 1.5 * xs) * (2 * xs + 1.5)
    onp.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-5)


def test_reshape_forms():
    a = np.arange(6)
    for shape_args in [((2, 3),), (2, 3), ([2, 3],), (-1, 3), ((3, -1),)]:
        b = a.reshape(*shape_args)
        assert b.shape in ((2, 3), (3, 2)) and type(b) is np.ndarray
    assert a.reshape(2, 3, order="C").shape == (2, 3)
    assert np.array(5.0).reshape(()).shape == ()
    with pytest.raises(TypeError):
        a.reshape(2, 3, foo=1)


def test_transpose_forms():
    a = np.array(_data())
    ref = _data()
    assert a.transpose().shape == ref.T.shape
    assert a.transpose(1, 0, 2).shape == (5, 4, 3)
    assert a.transpose((2, 0, 1)).shape == (3, 4, 5)
    assert a.transpose(None).shape == (3, 5, 4)
    onp.testing.assert_array_equal(a.T.asnumpy(), ref.T)


METHODS = [
    ("sum", (), {}), ("sum", (1,), {"keepdims": True}), ("mean", (), {"axis": 0}),
    ("prod", (), {"axis": 2}), ("max", (), {}), ("min", (), {"axis": 1}),
    ("std", (), {"axis": 0}), ("var", (), {"ddof": 1}), ("argmax", (), {"axis": 1}),
    ("argmin", (), {}), ("cumsum", (), {"axis": 0}), ("clip", (5, 20), {}),
    ("round", (), {}), ("flatten", (), {}), ("squeeze", (), {}), ("swapaxes", (0, 2), {}),
    ("repeat", (2,), {"axis": 1}), ("take", ([0, 2],), {"axis": 1}),
    ("sort", (), {"axis": 0}), ("argsort", (), {}), ("all", (), {}), ("any", (), {"axis": 0}),
]


@pytest.mark.parametrize("name,args,kwargs", METHODS, ids=[f"{m[0]}{m[1]}{m[2]}" for m in METHODS])
def test_fluent_methods_match_numpy(name, args, kwargs):
    ref = onp.random.RandomState(1).permutation(60).reshape(4, 5, 3).astype("float32")
    got = getattr(np.array(ref), name)(*args, **kwargs)
    # NumPy's ndarray.sort sorts in place; MXNet's returns the sorted copy
    expected = onp.sort(ref, *args, **kwargs) if name == "sort" else \
        getattr(ref, name)(*args, **kwargs)
    assert type(got) is np.ndarray and got.shape == onp.shape(expected)
    onp.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-5)


def test_flatten_is_a_copy_and_dot_nonzero_broadcast():
    a = np.arange(6).reshape(2, 3)
    f = a.flatten()
    f[0] = 100
    assert a[0, 0] == 0
    onp.testing.assert_allclose(a.dot(a.T).asnumpy(), a.asnumpy() @ a.asnumpy().T)
    rows, cols = (a > 2).nonzero()
    assert rows.tolist() == [1, 1, 1] and cols.tolist() == [0, 1, 2]
    assert a[0].broadcast_to((4, 3)).shape == (4, 3)
    assert a[0].broadcast_like(np.zeros((2, 3))).shape == (2, 3)


def test_methods_work_in_place_with_out():
    a = np.array(_data())
    out = np.zeros((5, 3))
    res = a.sum(axis=0, out=out)
    assert res is out
    onp.testing.assert_allclose(out.asnumpy(), _data().sum(axis=0))


def test_warnings_free_basic_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = np.arange(4)
        a[1] = 3
        repr(a[a > 1])


def test_in_place_writes_under_record_follow_mxnets_rule():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    x.attach_grad()
    with autograd.record():
        with pytest.raises(MXNetError, match="computational graph"):
            x[0] = 5  # a variable
        y = x * 2
        with pytest.raises(MXNetError, match="computational graph"):
            y[1:3] = 0  # computed under record
        with pytest.raises(MXNetError, match="computational graph"):
            y += 1
        w = np.zeros(4)
        with pytest.raises(MXNetError, match="In-place"):
            w[1:3] = y[1:3]  # the value comes from the graph
        w[0] = 3  # nothing recorded is involved
        w += np.ones(4)
    assert w.tolist() == [4.0, 1.0, 1.0, 1.0]
    y[0] = 1  # outside record the graph's arrays can be written
    x[0] = 7
    assert y[0] == 1 and x[0] == 7


def test_reshape_view_shares_memory_and_takes_legacy_codes():
    a = np.arange(6)
    b = a.reshape_view(2, 3)
    assert type(b) is np.ndarray and b.shape == (2, 3)
    b[0, 0] = 10
    assert a[0] == 10
    assert a.reshape_view((3, 2)).shape == (3, 2) and a.reshape_view(-1, 2).shape == (3, 2)
    assert a.reshape_view(0, -1).shape == (6, 1)


def test_format_and_copy_module():
    import copy
    assert format(np.array(2.5), ".2f") == "2.50"
    assert "{:.1f}".format(np.array(3, dtype="int32")) == "3.0"
    assert f"{np.array([1, 2])}" == "[1. 2.]"
    with pytest.raises(TypeError):
        format(np.array([1.0, 2.0]), ".2f")
    a = np.array([1.0, 2.0])
    for b in (copy.copy(a), copy.deepcopy(a)):
        assert type(b) is np.ndarray and b is not a and b.tolist() == [1.0, 2.0]


def test_dlpack_export():
    a = np.arange(6, ctx=mx.cpu(0)).reshape(2, 3)  # NumPy imports host tensors only
    onp.testing.assert_array_equal(onp.from_dlpack(a), a.asnumpy())
    assert type(a.to_dlpack_for_read()).__name__ == "PyCapsule"


def test_large_copies_infer_their_shape_and_run_on_the_engine():
    a = np.arange(3_000_000).reshape(1000, 3000) * 2  # big enough to be pushed
    onp.testing.assert_array_equal(a[:, [0, 5]][:2].asnumpy(), [[0, 10], [6000, 6010]])
    assert a[::-1, 1].shape == (1000,) and a[::-1, 1][0] == 2 * (999 * 3000 + 1)


@pytest.mark.parametrize("key", [(slice(None), 1), slice(0, 0), ([],), (Ellipsis, None)],
                         ids=repr)
def test_zero_size_indexing(key):
    ref = onp.zeros((0, 3), dtype="float32")
    assert np.zeros((0, 3))[key].shape == ref[key].shape


def test_empty_selections_read_and_write_nothing():
    a = np.arange(6).reshape(2, 3)
    assert a[0:0].shape == (0, 3) and a[np.array([], dtype="int32")].shape == (0, 3)
    assert a[a > 100].shape == (0,)
    a[a > 100] = 1
    a[[]] = 5
    assert a.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_sparse_arrays_do_not_convert():
    csr = mx.nd.array([[1, 0], [0, 2]]).tostype("csr")
    with pytest.raises(ValueError, match="storage type"):
        csr.as_np_ndarray()
    with pytest.raises(MXNetError, match="tostype"):
        csr.as_np_ndarray()
