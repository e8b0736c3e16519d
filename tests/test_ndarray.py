"""NDArray behaviour as MXNet 1.9 defines it."""
import os
import pickle

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError


def test_array_defaults_to_float32_even_from_integer_numpy_arrays():
    assert mx.nd.array([1, 2, 3]).dtype == np.float32
    assert mx.nd.array(np.arange(3, dtype=np.int64)).dtype == np.float32
    assert mx.nd.array(np.arange(3), dtype="int32").dtype == np.int32


def test_array_from_ndarray_keeps_its_dtype():
    src = mx.nd.array([1, 2], dtype="int64")
    assert mx.nd.array(src).dtype == np.int64


def test_dtype_property_is_a_numpy_scalar_type():
    assert mx.nd.ones((2,)).dtype is np.float32


def test_array_from_scalar_has_no_dimensions():
    a = mx.nd.array(5)
    assert a.shape == () and a.asscalar() == 5.0


def test_properties():
    a = mx.nd.zeros((2, 3, 4), ctx=mx.cpu(1))
    assert (a.shape, a.size, a.ndim, a.stype) == ((2, 3, 4), 24, 3, "default")
    assert a.context == mx.cpu(1) and a.ctx == mx.cpu(1)
    assert a.T.shape == (4, 3, 2)
    assert a.grad is None


def test_repr_matches_mxnet_format():
    assert repr(mx.nd.ones((2, 3))) == "\n[[1. 1. 1.]\n [1. 1. 1.]]\n<NDArray 2x3 @cpu(0)>"
    assert repr(mx.nd.array(5)) == "\n5.0\n<NDArray  @cpu(0)>"


def test_scalar_operand_is_cast_to_the_array_dtype():
    a = mx.nd.array([1, 2], dtype="int32")
    assert (a + 1.5).asnumpy().tolist() == [2, 3]
    assert (a * 1.5).asnumpy().tolist() == [1, 2]
    assert (a / 2).asnumpy().tolist() == [0, 1]
    assert (1.5 - a).asnumpy().tolist() == [0, -1]
    assert (a + 1.5).dtype == np.int32


def test_comparisons_return_zero_one_in_the_array_dtype():
    a = mx.nd.array([1, 2, 3])
    r = a > 1.5
    assert r.dtype == np.float32 and r.asnumpy().tolist() == [0, 1, 1]
    assert (a == mx.nd.array([1, 0, 3])).asnumpy().tolist() == [1, 0, 1]
    assert (2 < a).asnumpy().tolist() == [0, 0, 1]


def test_arithmetic_operators_and_reflected_forms():
    a = mx.nd.array([1.0, 2.0, 4.0])
    b = mx.nd.array([2.0, 2.0, 2.0])
    np.testing.assert_allclose((a + b).asnumpy(), [3, 4, 6])
    np.testing.assert_allclose((a - b).asnumpy(), [-1, 0, 2])
    np.testing.assert_allclose((a * b).asnumpy(), [2, 4, 8])
    np.testing.assert_allclose((a / b).asnumpy(), [0.5, 1, 2])
    np.testing.assert_allclose((a % b).asnumpy(), [1, 0, 0])
    np.testing.assert_allclose((a ** 2).asnumpy(), [1, 4, 16])
    np.testing.assert_allclose((2 ** a).asnumpy(), [2, 4, 16])
    np.testing.assert_allclose((8 / a).asnumpy(), [8, 4, 2])
    np.testing.assert_allclose((-a).asnumpy(), [-1, -2, -4])


def test_binary_operators_broadcast():
    a = mx.nd.ones((2, 3))
    b = mx.nd.array([1.0, 2.0, 3.0])
    assert (a + b).asnumpy().tolist() == [[2, 3, 4], [2, 3, 4]]


def test_inplace_operators_write_into_the_left_array_and_its_views():
    a = mx.nd.ones((2, 2))
    row = a[0]
    a += 1
    a *= mx.nd.array([[1, 2], [3, 4]])
    assert a.asnumpy().tolist() == [[2, 4], [6, 8]]
    assert row.asnumpy().tolist() == [2, 4]


def test_first_axis_int_and_slice_indexing_give_views():
    x = mx.nd.arange(6).reshape((2, 3))
    x[1][:] = 7
    x[0:1][:] = 9
    assert x.asnumpy().tolist() == [[9, 9, 9], [7, 7, 7]]


def test_reshape_is_a_view():
    x = mx.nd.zeros((2, 3))
    x.reshape((3, 2))[:] = 1
    assert x.asnumpy().sum() == 6


def test_other_basic_indexing_copies():
    x = mx.nd.zeros((2, 3))
    col = x[:, 1]
    col[:] = 5
    assert x.asnumpy().sum() == 0 and col.shape == (2,)


def test_indexing_never_gives_zero_dimensional_results():
    assert mx.nd.arange(3)[1].shape == (1,)
    assert mx.nd.zeros((2, 3))[1, 2].shape == (1,)
    assert mx.nd.zeros((2, 3, 4))[1, 2].shape == (4,)


def test_advanced_indexing_with_lists_numpy_and_ndarrays():
    y = mx.nd.arange(24).reshape((2, 3, 4))
    assert y[[0, 1], [1, 2]].shape == (2, 4)
    assert y[mx.nd.array([0, 1]), :, 1].shape == (2, 3)
    assert y[np.array([1])].shape == (1, 3, 4)
    assert y[None, 1].shape == (1, 3, 4)


def test_setitem_with_scalars_arrays_and_broadcasting():
    y = mx.nd.zeros((2, 3, 4))
    y[0, 1] = 5
    y[:, :, 0] = mx.nd.array([1, 2, 3])
    y[1] = np.ones((3, 4))
    assert y[0, 1].asnumpy().tolist() == [2, 5, 5, 5]
    assert y[:, :, 0].asnumpy().tolist() == [[1, 2, 3], [1, 1, 1]]
    y[:] = 0
    assert y.asnumpy().sum() == 0


def test_index_out_of_range_raises_index_error():
    with pytest.raises(IndexError):
        mx.nd.arange(3)[5]


def test_reshape_special_codes():
    x = mx.nd.zeros((2, 3, 4))
    assert x.reshape((0, -1)).shape == (2, 12)
    assert x.reshape((-2,)).shape == (2, 3, 4)
    assert x.reshape((-3, 4)).shape == (6, 4)
    assert x.reshape((-4, 1, 2, -2)).shape == (1, 2, 3, 4)
    assert x.reshape((0, -4, -1, 1, 0)).shape == (2, 3, 1, 4)
    assert x.reshape((0, -1), reverse=True).shape == (3, 8)
    assert x.reshape(shape=(-3, -1)).shape == (6, 4)
    assert x.reshape(4, 6).shape == (4, 6)


def test_reshape_to_incompatible_size_is_an_mxnet_error():
    with pytest.raises(MXNetError, match="reshape"):
        mx.nd.zeros((2, 3)).reshape((4, 2))


def test_len_iter_bool():
    x = mx.nd.array([[1, 2], [3, 4]])
    assert len(x) == 2
    assert [r.asnumpy().tolist() for r in x] == [[1, 2], [3, 4]]
    assert bool(mx.nd.ones((1,))) and not bool(mx.nd.zeros((1,)))
    with pytest.raises(ValueError):
        bool(mx.nd.ones((3,)))


def test_astype_copy_and_conversion():
    x = mx.nd.array([1.7, -2.2])
    assert x.astype("int32").asnumpy().tolist() == [1, -2]
    assert x.astype("float32", copy=False) is x
    c = x.copy()
    c[:] = 0
    assert x.asnumpy().tolist() == pytest.approx([1.7, -2.2])
    assert mx.nd.array([3.5]).asscalar() == 3.5
    with pytest.raises(MXNetError):
        x.asscalar()


def test_copyto_and_as_in_context():
    x = mx.nd.array([1, 2, 3])
    y = x.copyto(mx.cpu(1))
    assert y.context == mx.cpu(1) and y.asnumpy().tolist() == [1, 2, 3]
    z = mx.nd.zeros((3,))
    assert x.copyto(z) is z and z.asnumpy().tolist() == [1, 2, 3]
    assert x.as_in_context(mx.cpu(0)) is x
    with pytest.raises(MXNetError, match="shape"):
        x.copyto(mx.nd.zeros((4,)))


def test_numpy_interop():
    x = mx.nd.array([[1, 2], [3, 4]])
    assert np.asarray(x).tolist() == [[1, 2], [3, 4]]
    y = mx.nd.from_numpy(np.arange(4, dtype=np.float32))
    assert y.asnumpy().tolist() == [0, 1, 2, 3]
    back = np.from_dlpack(x)
    assert back.tolist() == [[1, 2], [3, 4]]


def test_pickle_round_trip_restores_onto_the_current_device():
    x = mx.nd.array([[1, 2], [3, 4]], ctx=mx.cpu(1), dtype="int64")
    y = pickle.loads(pickle.dumps(x))
    assert y.dtype == np.int64 and y.context == mx.cpu(0)
    assert y.asnumpy().tolist() == [[1, 2], [3, 4]]


def test_pickles_written_by_mxnet_load():
    path = os.path.join(os.path.dirname(__file__), "fixtures", "pickle", "int64_2x2.pickle")
    with open(path, "rb") as f:
        y = pickle.load(f)
    assert y.dtype == np.int64 and y.asnumpy().tolist() == [[1, 2], [3, 4]]


def test_pickle_holds_mxnet_raw_bytes_state():
    state = mx.nd.array([1.0, 2.0]).__getstate__()
    assert isinstance(state["handle"], bytearray)
    assert bytes(state["handle"][:4]) == (0xF993FAC9).to_bytes(4, "little")


def test_fluent_methods_forward_to_operators():
    x = mx.nd.array([[1.0, 4.0], [9.0, 16.0]])
    assert x.sqrt().asnumpy().tolist() == [[1, 2], [3, 4]]
    assert x.sum(axis=1).asnumpy().tolist() == [5, 25]
    assert x.exp().shape == (2, 2)


def test_operator_functions_have_real_signatures_and_docs():
    import inspect
    sig = inspect.signature(mx.nd.sum)
    assert list(sig.parameters)[:4] == ["data", "axis", "keepdims", "exclude"]
    assert "Sum" in mx.nd.sum.__doc__
    assert "broadcast_add" in mx.nd.broadcast_plus.__doc__


def test_unknown_or_ill_typed_arguments_are_clear_errors():
    x = mx.nd.ones((2, 2))
    with pytest.raises(MXNetError, match="sum: unknown argument 'axes'"):
        mx.nd.sum(x, axes=1)
    with pytest.raises(MXNetError, match="keepdims.*expects a boolean.*'maybe'"):
        mx.nd.sum(x, keepdims="maybe")
    with pytest.raises(MXNetError, match="Cast: required argument 'dtype'"):
        mx.nd.Cast(x)
    with pytest.raises(MXNetError, match="broadcast_add.*must be an NDArray"):
        mx.nd.broadcast_add(x, [1, 2])


def test_operators_reject_inputs_on_different_devices():
    with pytest.raises(MXNetError, match="one device"):
        mx.nd.ones((2,), ctx=mx.cpu(0)) + mx.nd.ones((2,), ctx=mx.cpu(1))


def test_out_argument_writes_into_the_given_array():
    a, b = mx.nd.ones((2,)), mx.nd.ones((2,))
    out = mx.nd.zeros((2,))
    r = mx.nd.elemwise_add(a, b, out=out)
    assert r is out and out.asnumpy().tolist() == [2, 2]


def test_string_forms_of_parameters_are_parsed_like_symbol_json():
    x = mx.nd.ones((2, 3))
    assert mx.nd.sum(x, axis="(1,)", keepdims="True").shape == (2, 1)


def test_context_manager_sets_default_device():
    with mx.cpu(1):
        assert mx.nd.zeros((1,)).context == mx.cpu(1)
        assert mx.current_context() == mx.cpu(1)
    assert mx.nd.zeros((1,)).context == mx.cpu(0)


def test_gpu_without_backend_is_a_clear_error():
    if mx.context.num_gpus():
        pytest.skip("a GPU is present")
    with pytest.raises(MXNetError, match="gpu"):
        mx.nd.zeros((2,), ctx=mx.gpu(0))


def test_version_and_features():
    assert mx.__version__ == "1.9.1"
    feats = mx.runtime.Features()
    assert "CUDA" in feats and isinstance(feats.is_enabled("CUDA"), bool)
    with pytest.raises(MXNetError):
        feats.is_enabled("WARP_DRIVE")


def test_operators_registered_later_appear_in_mx_nd():
    from mxnet.ops.infer import same_shape, same_type
    from mxnet.ops.registry import register

    @register("test_triple", infer_shape=same_shape("test_triple"),
              infer_type=same_type("test_triple"),
              gradient=lambda F, attrs, ins, outs, g: [g[0] * 3])
    def _triple(xp, attrs, data):
        return data * 3
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.test_triple(x)
    y.backward()
    assert y.asnumpy().tolist() == [3, 6] and x.grad.asnumpy().tolist() == [3, 3]
    assert mx.nd.op.test_triple is not None


def test_contrib_isinf_isnan_isfinite():
    a = mx.nd.array([1, np.inf, -np.inf, np.nan])
    assert mx.nd.contrib.isinf(a).asnumpy().tolist() == [0, 1, 1, 0]
    assert mx.nd.contrib.isnan(a).asnumpy().tolist() == [0, 0, 0, 1]
    assert mx.nd.contrib.isfinite(a).asnumpy().tolist() == [1, 0, 0, 0]
    assert mx.nd.contrib.isnan(mx.nd.array([1, 2], dtype="int32")).dtype == np.int32
