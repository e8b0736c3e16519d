"""Multi-tensor updates check their arguments once per distinct call: a
repeated call skips the checks, a changed one is checked again."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError


def _update(ws, gs, lrs):
    return mx.nd.multi_sgd_update(*[a for pair in zip(ws, gs) for a in pair], lrs=lrs,
                                  wds=[0.0] * len(lrs), num_weights=len(ws), out=ws)


def test_repeated_calls_update_and_changed_calls_are_checked_again():
    ws = [mx.nd.ones((3,)), mx.nd.ones((2, 2))]
    gs = [mx.nd.ones((3,)), mx.nd.ones((2, 2))]
    for _ in range(3):
        _update(ws, gs, [0.5, 0.5])
    np.testing.assert_allclose(ws[0].asnumpy(), [-0.5] * 3)
    with pytest.raises(MXNetError, match="share its shape"):
        _update(ws, [mx.nd.ones((4,)), gs[1]], [0.5, 0.5])
    with pytest.raises(MXNetError, match="one value per weight"):
        _update(ws, gs, [0.5])
    with pytest.raises(MXNetError, match="dtype"):
        _update(ws, [gs[0].astype("float64"), gs[1]], [0.5, 0.5])
