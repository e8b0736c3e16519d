"""mx.np functions MXNet 1.9.1 serves from NumPy on the host: vander, bit
packing, apply_along_axis/apply_over_axes give NumPy's values as mx.np arrays."""
import numpy as onp

import mxnet as mx
from mxnet import np


def test_vander_and_bit_packing_equal_numpy():
    x = onp.array([1.0, 2.0, 3.0], dtype="float32")
    out = np.vander(np.array(x), 4, increasing=True)
    assert type(out) is np.ndarray
    onp.testing.assert_array_equal(out.asnumpy(), onp.vander(x, 4, increasing=True))
    bits = onp.array([[1, 0, 1], [0, 1, 1]], dtype="uint8")
    packed = np.packbits(np.array(bits, dtype="uint8"), axis=1)
    assert packed.dtype == onp.uint8
    onp.testing.assert_array_equal(packed.asnumpy(), onp.packbits(bits, axis=1))
    onp.testing.assert_array_equal(np.unpackbits(packed, axis=1).asnumpy(),
                                   onp.unpackbits(onp.packbits(bits, axis=1), axis=1))


def test_apply_along_and_over_axes_call_back_with_numpy_arrays():
    data = onp.arange(6, dtype="float32").reshape(2, 3)
    seen = []

    def row_range(row):
        seen.append(type(row))
        return row.max() - row.min()

    out = np.apply_along_axis(row_range, 1, np.array(data))
    assert type(out) is np.ndarray and out.asnumpy().tolist() == [2.0, 2.0]
    assert seen and all(t is onp.ndarray for t in seen)
    total = np.apply_over_axes(onp.sum, np.array(data), [0, 1])
    assert total.asnumpy().tolist() == [[15.0]]
    assert mx.np.vander.__module__ == "mxnet.numpy"
