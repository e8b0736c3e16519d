"""mx.np.shares_memory / may_share_memory over views, copies and front ends."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import np


@pytest.mark.parametrize("fn", [np.shares_memory, np.may_share_memory])
def test_views_share_memory_and_copies_do_not(fn):
    a = np.arange(10)
    assert fn(a, a[2:5]) is True
    assert fn(a[:3], a[5:]) is False  # views of one base that do not meet
    assert fn(a, a.copy()) is False
    assert fn(a, np.arange(10)) is False
    legacy = mx.nd.ones((4,))
    assert fn(legacy.as_np_ndarray(), legacy.as_np_ndarray()) is True


def test_share_memory_operator_and_errors():
    a = np.arange(6).reshape(2, 3)
    out = mx.nd._internal._npi_share_memory(a.as_nd_ndarray(), a[1].as_nd_ndarray())
    assert out.shape == () and out.dtype == onp.bool_ and bool(out.asnumpy())
    with pytest.raises(mx.base.MXNetError, match="shares_memory: argument 'b'"):
        np.shares_memory(a, [1, 2])
