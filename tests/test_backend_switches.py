"""Backend switches: ``MXNET_<NAME>_ENABLED`` turns a backend's kernel
overrides off and on, read at every call (so setting it from Python works)."""
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.ops import registry


@pytest.fixture
def doubling_backend():
    """A 'w1switch' backend whose override of ``negative`` doubles instead, so
    the result shows which kernel ran; removed again after the test."""
    op = registry.get("negative")
    override = backends.register_kernel("negative", "cpu", lambda xp, attrs, x: x * 2,
                                        backend="w1switch")
    try:
        yield op
    finally:
        op.overrides["cpu"].remove(override)
        if not op.overrides["cpu"]:
            del op.overrides["cpu"]


def _negate():
    return (-mx.nd.array([1.0, 2.0])).asnumpy()


@pytest.mark.parametrize("value, on", [("0", False), ("false", False), (" Off ", False),
                                       ("no", False), ("1", True), ("yes", True), ("", True)])
def test_switch_values(monkeypatch, doubling_backend, value, on):
    monkeypatch.setenv("MXNET_W1SWITCH_ENABLED", value)
    assert backends.is_enabled("w1switch") is on
    assert _negate().tolist() == ([2.0, 4.0] if on else [-1.0, -2.0])


def test_switch_is_read_at_every_call(monkeypatch, doubling_backend):
    monkeypatch.delenv("MXNET_W1SWITCH_ENABLED", raising=False)
    with backends.count_kernels() as counts:
        assert _negate().tolist() == [2.0, 4.0]
        os.environ["MXNET_W1SWITCH_ENABLED"] = "0"
        assert _negate().tolist() == [-1.0, -2.0]
        os.environ["MXNET_W1SWITCH_ENABLED"] = "1"
        assert _negate().tolist() == [2.0, 4.0]
        del os.environ["MXNET_W1SWITCH_ENABLED"]
        assert _negate().tolist() == [2.0, 4.0]
    assert counts[("negative", "w1switch")] == 3 and counts[("negative", "default")] == 1


def test_onednn_answers_to_both_names(monkeypatch):
    monkeypatch.delenv("MXNET_ONEDNN_ENABLED", raising=False)
    monkeypatch.delenv("MXNET_MKLDNN_ENABLED", raising=False)
    assert backends.is_enabled("onednn")
    monkeypatch.setenv("MXNET_MKLDNN_ENABLED", "0")
    assert not backends.is_enabled("onednn")
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")  # the new name wins
    assert backends.is_enabled("onednn")


def test_a_replaced_environ_mapping_is_followed(monkeypatch):
    assert backends.is_enabled("w1switch")
    monkeypatch.setattr(os, "environ", {"MXNET_W1SWITCH_ENABLED": "0"})
    assert not backends.is_enabled("w1switch")


def test_results_equal_with_the_backend_off(monkeypatch):
    x = mx.nd.array(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    w = mx.nd.array(np.linspace(0, 1, 20, dtype=np.float32).reshape(5, 4))
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    on = mx.nd.FullyConnected(x, w, no_bias=True, num_hidden=5).asnumpy()
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    off = mx.nd.FullyConnected(x, w, no_bias=True, num_hidden=5).asnumpy()
    np.testing.assert_allclose(on, off, rtol=1e-5, atol=1e-6)
