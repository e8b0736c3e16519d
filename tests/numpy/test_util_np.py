"""NumPy-semantics switches (mx.util) and npx.save/npx.load files.

The expected bytes were written by MXNet 1.9.1 (``npx.save`` under
``npx.set_np()``, ``mx.nd.save`` under ``np_shape(True)``) for the arrays
built in each test; tools/print_np_core_fixtures.py prints them."""
import threading

import numpy as onp
import pytest

import mxnet as mx
from mxnet import np, util
from mxnet.base import MXNetError
from mxnet.numpy import _io

NPX_DICT = bytes.fromhex(
    "120100000000000000000000000000000300000000000000cafa93f90000000000000000010000000000"
    "00000000000000000040cafa93f900000000020000000000000000000000030000000000000001000000"
    "0000000004000000cafa93f9000000000100000003000000000000000100000000000000000000000000"
    "00000000803f00000040030000000000000001000000000000007a010000000000000065010000000000"
    "000076")
NPX_ZERO_D_LIST = bytes.fromhex(
    "120100000000000000000000000000000100000000000000cafa93f900000000000000000100000000000000"
    "00000000000000400000000000000000")
NPX_CPU1 = bytes.fromhex(
    "120100000000000000000000000000000100000000000000cafa93f900000000010000000200000000000000"
    "0100000001000000000000000000803f0000803f0000000000000000")
ND_UNDER_NP_SHAPE = bytes.fromhex(
    "120100000000000000000000000000000200000000000000cafa93f900000000020000000000000000000000"
    "0300000000000000010000000000000000000000cafa93f90000000001000000030000000000000001000000"
    "00000000000000000000803f00000040000040400200000000000000010000000000000065010000000000"
    "000076")
ND_LEGACY_INT64 = bytes.fromhex(
    "120100000000000000000000000000000100000000000000c9fa93f900000000010000000300000000000000"
    "010000000000000006000000010000000000000002000000000000000300000000000000000000000000"
    "0000")


@pytest.fixture(autouse=True)
def legacy_semantics():
    util.reset_np()
    yield
    util.reset_np()


def test_switches_and_scopes():
    assert util.set_np_shape(True) is False and util.is_np_shape()
    assert util.set_np_shape(False) is True and not util.is_np_shape()
    with util.np_shape():
        assert util.is_np_shape() and not util.is_np_array()
        with util.np_shape(False):
            assert not util.is_np_shape()
        assert util.is_np_shape()
    assert not util.is_np_shape()
    util.set_np()
    assert util.is_np_shape() and util.is_np_array()
    util.reset_np()
    assert not util.is_np_shape() and not util.is_np_array()
    with pytest.raises(ValueError, match="shape"):
        util.set_np(shape=False, array=True)


def test_switches_are_per_thread():
    util.set_np()
    seen = []
    worker = threading.Thread(target=lambda: seen.append((util.is_np_shape(), util.is_np_array())))
    worker.start()
    worker.join()
    assert seen == [(False, False)] and util.is_np_shape()


def test_top_level_names_are_the_util_switches():
    assert mx.set_np_shape is util.set_np_shape and mx.np_shape is util.np_shape
    assert mx.use_np is util.use_np and mx.is_np_shape is util.is_np_shape


def test_legacy_front_end_keeps_working_under_np_shape():
    with util.np_shape(True):
        a = mx.nd.array([[1, 2], [3, 4]])
        b = mx.nd.zeros((0, 3))
        assert b.shape == (0, 3) and (a + 1).asnumpy().tolist() == [[2, 3], [4, 5]]
        assert mx.nd.dot(a, a).shape == (2, 2) and mx.nd.sum(a).asscalar() == 10
        x = mx.nd.array([1.0, 2.0])
        x.attach_grad()
        with mx.autograd.record():
            y = (x * x).sum()
        y.backward()
        assert x.grad.asnumpy().tolist() == [2.0, 4.0]


def test_npx_save_writes_mxnets_bytes(tmp_path):
    util.set_np()
    path = str(tmp_path / "a.npx")
    with mx.cpu(0):  # files record the arrays' device
        _io.save(path, {"z": np.array(2.0), "e": np.zeros((0, 3), dtype="int32"),
                        "v": np.arange(3)})
        assert open(path, "rb").read() == NPX_DICT
        _io.save(path, [np.array(2.0)])
    assert open(path, "rb").read() == NPX_ZERO_D_LIST
    _io.save(path, np.ones(2, ctx=mx.cpu(1)))
    assert open(path, "rb").read() == NPX_CPU1


def test_npx_load_reads_mxnets_files_as_np_arrays(tmp_path):
    util.set_np()
    path = tmp_path / "a.npx"
    path.write_bytes(NPX_DICT)
    loaded = _io.load(str(path))
    assert sorted(loaded) == ["e", "v", "z"]
    assert all(type(v) is np.ndarray for v in loaded.values())
    assert loaded["z"].shape == () and loaded["z"].item() == 2.0
    assert loaded["e"].shape == (0, 3) and loaded["e"].dtype == onp.int32
    assert loaded["v"].tolist() == [0.0, 1.0, 2.0]
    path.write_bytes(ND_LEGACY_INT64)  # a legacy-shape file loads too
    (only,) = _io.load(str(path))
    assert type(only) is np.ndarray and only.dtype == onp.int64 and only.tolist() == [1, 2, 3]


def test_npx_round_trip(tmp_path):
    util.set_np()
    path = str(tmp_path / "r.npx")
    arrays = [np.array((onp.arange(12) % 5).astype(d).reshape(3, 4)) for d in
              ("float32", "float64", "float16", "int8", "uint8", "int32", "int64", "bool")]
    _io.save(path, arrays)
    for a, b in zip(arrays, _io.load(path)):
        assert b.dtype == a.dtype and b.shape == a.shape
        onp.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_legacy_save_under_np_shape_writes_np_shape_records(tmp_path):
    path = str(tmp_path / "n.params")
    with util.np_shape(True), mx.cpu(0):
        mx.nd.save(path, {"e": mx.nd.zeros((0, 3)), "v": mx.nd.array([1, 2, 3])})
    assert open(path, "rb").read() == ND_UNDER_NP_SHAPE
    with mx.cpu(0):
        mx.nd.save(path, [mx.nd.array([1, 2, 3], dtype="int64")])
    assert open(path, "rb").read() == ND_LEGACY_INT64


def test_npx_save_and_load_need_np_semantics(tmp_path):
    path = str(tmp_path / "x.npx")
    with pytest.raises(ValueError, match="legacy mode"):
        _io.save(path, np.ones(2))
    with pytest.raises(ValueError, match="legacy mode"):
        _io.load(path)


@pytest.mark.parametrize("data,error", [
    ({"v": mx.nd.ones(2)}, TypeError), ([np.ones(2), 3], TypeError), ("abc", ValueError),
    ({1: np.ones(2)}, TypeError), ([np.ones(2), mx.nd.ones(1)], TypeError),
])
def test_npx_save_rejects_what_mxnet_rejects(tmp_path, data, error):
    util.set_np()
    with pytest.raises(error):
        _io.save(str(tmp_path / "x.npx"), data)


def test_npx_load_errors(tmp_path):
    util.set_np()
    with pytest.raises(MXNetError, match="cannot open"):
        _io.load(str(tmp_path / "missing.npx"))
    bad = tmp_path / "bad.npx"
    bad.write_bytes(NPX_DICT[:40])
    with pytest.raises(MXNetError, match="truncated"):
        _io.load(str(bad))
