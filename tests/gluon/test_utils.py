"""gluon.utils: splitting batches, global-norm clipping, file helpers."""
import hashlib

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.gluon import utils


def test_split_data_even_and_uneven():
    x = mx.nd.arange(12).reshape((6, 2))
    parts = utils.split_data(x, 3)
    assert [p.shape for p in parts] == [(2, 2)] * 3
    with pytest.raises(ValueError, match="cannot be evenly split"):
        utils.split_data(mx.nd.ones((5, 2)), 2)
    parts = utils.split_data(mx.nd.arange(5), 3, even_split=False)
    assert [p.asnumpy().tolist() for p in parts] == [[0, 1], [2, 3], [4]]
    parts = utils.split_data(mx.nd.ones((2, 4)), 2, batch_axis=1)
    assert [p.shape for p in parts] == [(2, 2), (2, 2)]


def test_split_and_load_puts_one_part_per_context():
    parts = utils.split_and_load(np.arange(8).reshape(4, 2), [mx.cpu(0), mx.cpu(1)])
    assert [p.context for p in parts] == [mx.cpu(0), mx.cpu(1)]
    np.testing.assert_array_equal(parts[1].asnumpy(), [[4, 5], [6, 7]])
    single = utils.split_and_load(mx.nd.ones((3,)), [mx.cpu(1)])
    assert len(single) == 1 and single[0].context == mx.cpu(1)


def test_clip_global_norm_scales_only_above_max():
    arrays = [mx.nd.array([3.0, 0.0]), mx.nd.array([[4.0]])]
    total = utils.clip_global_norm(arrays, 1.0)
    assert isinstance(total, np.float32) and np.isclose(total, 5.0)
    np.testing.assert_allclose(arrays[0].asnumpy(), [0.6, 0.0], rtol=1e-6)
    small = [mx.nd.array([0.3, 0.4])]
    norm = utils.clip_global_norm(small, 1.0, check_isfinite=False)
    assert isinstance(norm, mx.nd.NDArray)
    np.testing.assert_allclose(small[0].asnumpy(), [0.3, 0.4], rtol=1e-6)
    with pytest.warns(UserWarning, match="nan or inf"):
        utils.clip_global_norm([mx.nd.array([np.inf])], 1.0)


def test_check_sha1_and_offline_download(tmp_path):
    f = tmp_path / "f.bin"
    f.write_bytes(b"mxnext")
    assert utils.check_sha1(str(f), hashlib.sha1(b"mxnext").hexdigest())
    assert not utils.check_sha1(str(f), "0" * 40)
    # An existing file with the right hash is not downloaded again.
    assert utils.download("http://127.0.0.1:9/f.bin", path=str(f),
                          sha1_hash=hashlib.sha1(b"mxnext").hexdigest()) == str(f)
    with pytest.raises(MXNetError, match="failed to download http://127.0.0.1:9/missing"):
        utils.download("http://127.0.0.1:9/missing", path=str(tmp_path), retries=0)


def test_shape_is_known():
    assert utils.shape_is_known((2, 3))
    assert not utils.shape_is_known((2, 0))
    assert not utils.shape_is_known(None)
    assert not utils.shape_is_known(())
    with pytest.raises(MXNetError, match="cannot be less than 0"):
        utils.shape_is_known((2, -3))
