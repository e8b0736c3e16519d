"""mx.test_utils' random sparse arrays, symbol structure comparison and speed check."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import test_utils as tu


def test_rand_sparse_row_sparse_parts_and_options():
    np.random.seed(3)
    arr, (values, indices) = tu.rand_sparse_ndarray((6, 5), "row_sparse", density=0.5)
    assert isinstance(arr, mx.nd.sparse.RowSparseNDArray) and arr.shape == (6, 5)
    np.testing.assert_array_equal(arr.indices.asnumpy(), indices)
    np.testing.assert_allclose(arr.asnumpy()[indices], values)
    assert ((values >= 0) & (values < 1)).all()
    arr, (values, indices) = tu.rand_sparse_ndarray((4, 5), "row_sparse", rsp_indices=[0, 3],
                                                    data_init=2)
    expected = np.zeros((4, 5))
    expected[[0, 3]] = 2
    np.testing.assert_array_equal(arr.asnumpy(), expected)
    empty, (values, indices) = tu.rand_sparse_ndarray((3, 2), "row_sparse", density=0.0)
    assert empty.asnumpy().sum() == 0 and len(values) == 0 and len(indices) == 0
    doubled = tu.rand_ndarray((5, 4), "row_sparse", density=1.0, modifier_func=lambda v: v + 5)
    assert (doubled.data.asnumpy() >= 5).all()


def test_rand_sparse_csr_parts_and_options():
    np.random.seed(4)
    arr, (indptr, indices, data) = tu.rand_sparse_ndarray((4, 6), "csr", density=0.5)
    assert isinstance(arr, mx.nd.sparse.CSRNDArray)
    dense = arr.asnumpy()
    assert indptr.asnumpy()[-1] == np.count_nonzero(dense) == data.shape[0]
    shuffled = tu.shuffle_csr_column_indices(arr)
    np.testing.assert_array_equal(shuffled.asnumpy(), dense)
    powerlaw = tu.rand_ndarray((4, 8), "csr", density=0.5, distribution="powerlaw").asnumpy()
    per_row = (powerlaw != 0).sum(axis=1)
    assert per_row.sum() == 16 and (per_row > 0).all() and per_row[1] >= per_row[0]
    with pytest.raises(mx.base.MXNetError, match="2-D"):
        tu.rand_sparse_ndarray((2, 2, 2), "csr", density=0.5)
    with pytest.raises(mx.base.MXNetError, match="distribution"):
        tu.rand_sparse_ndarray((2, 2), "csr", density=0.5, distribution="zipf")


def test_create_sparse_array_helpers():
    arr = tu.create_sparse_array((3, 4), "row_sparse", data_init=1, rsp_indices=[1])
    np.testing.assert_array_equal(arr.asnumpy(), [[0] * 4, [1] * 4, [0] * 4])
    assert tu.create_sparse_array_zd((3, 4), "row_sparse", 0.9).asnumpy().sum() == 0
    assert tu.create_sparse_array((3, 4), "csr", density=1.0).asnumpy().min() > 0


def test_same_symbol_structure_and_check_speed():
    x = mx.sym.var("x")
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    # operators compared node by node, parameters not (as in MXNet 1.9.1)
    assert tu.same_symbol_structure(fc, mx.sym.FullyConnected(x, num_hidden=4))
    assert not tu.same_symbol_structure(fc, mx.sym.relu(x))
    assert tu.check_speed(fc, x=(2, 3), N=2) > 0
    assert tu.check_speed(fc, typ="forward", N=2, location={
        "x": np.ones((2, 3)), "fc_weight": np.ones((3, 3)), "fc_bias": np.ones(3)}) > 0
    with pytest.raises(ValueError, match="whole"):
        tu.check_speed(fc, typ="backward", x=(2, 3))
