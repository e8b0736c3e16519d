"""mx.util: NumPy-semantics switches, decorators, environment and ufunc helpers."""
import threading

import pytest

import mxnet as mx
from mxnet import util
from mxnet.base import MXNetError


@pytest.fixture(autouse=True)
def legacy_semantics():
    util.reset_np()
    yield
    util.reset_np()


def test_switches_start_off():
    assert util.is_np_shape() is False and util.is_np_array() is False


def test_np_shape_on_sets_the_switch_and_returns_the_previous_state():
    assert util.set_np_shape(True) is False
    assert util.is_np_shape() is True
    assert util.set_np_shape(False) is True
    with util.np_shape(True):
        assert util.is_np_shape() is True
    assert util.is_np_shape() is False
    util.set_np()
    assert util.is_np_shape() is True and util.is_np_array() is True


def test_np_shape_off_works_and_returns_the_previous_state():
    assert util.set_np_shape(False) is False
    with util.np_shape(False):
        assert util.is_np_shape() is False


def test_np_array_scope_sets_and_restores_the_flag():
    with util.np_array(True):
        assert util.is_np_array() is True
        with util.np_array(False):
            assert util.is_np_array() is False
        assert util.is_np_array() is True
    assert util.is_np_array() is False


def test_flags_are_per_thread():
    seen = []
    with util.np_array(True):
        worker = threading.Thread(target=lambda: seen.append(util.is_np_array()))
        worker.start()
        worker.join()
    assert seen == [False]


def test_set_np_needs_shape_for_array():
    with pytest.raises(ValueError, match="shape"):
        util.set_np(shape=False, array=True)
    util.set_np(shape=False, array=False)
    assert not util.is_np_array()


def test_use_np_array_wraps_functions_and_every_kind_of_class_member():
    @util.use_np_array
    def func():
        return util.is_np_array()

    @util.use_np_array
    class Thing:
        def method(self):
            return util.is_np_array()

        @property
        def prop(self):
            return util.is_np_array()

        @staticmethod
        def static():
            return util.is_np_array()

        @classmethod
        def klass(cls):
            return util.is_np_array()

    thing = Thing()
    assert func() and thing.method() and thing.prop and Thing.static() and Thing.klass()
    assert func.__name__ == "func"
    assert util.is_np_array() is False


def test_use_np_runs_calls_with_both_switches_on():
    @util.use_np
    def func():
        return util.is_np_shape(), util.is_np_array()

    @util.use_np_shape
    class Block:
        def forward(self):
            return util.is_np_shape(), util.is_np_array()

    assert func() == (True, True)
    assert Block().forward() == (True, False)
    assert util.is_np_shape() is False and util.is_np_array() is False


def test_decorating_a_non_callable_is_a_type_error():
    with pytest.raises(TypeError, match="use_np_array"):
        util.use_np_array(3)


def test_top_level_names_are_the_util_functions():
    for name in ("is_np_array", "is_np_shape", "np_shape", "np_array", "set_np_shape",
                 "use_np", "use_np_shape", "use_np_array"):
        if hasattr(mx, name):
            assert getattr(mx, name) is getattr(util, name)


def test_set_module():
    @util.set_module("mxnet.example")
    def func():
        pass
    assert func.__module__ == "mxnet.example"
    assert util.set_module(None)(func).__module__ == "mxnet.example"


def test_getenv_and_setenv(monkeypatch):
    monkeypatch.delenv("MXNEXT_UTIL_TEST", raising=False)
    assert util.getenv("MXNEXT_UTIL_TEST") is None
    util.setenv("MXNEXT_UTIL_TEST", "abc")
    assert util.getenv("MXNEXT_UTIL_TEST") == "abc"
    util.setenv("MXNEXT_UTIL_TEST", None)
    assert util.getenv("MXNEXT_UTIL_TEST") is None


def test_gpu_queries():
    count = util.get_gpu_count()
    assert isinstance(count, int) and count >= 0
    with pytest.raises(ValueError, match="gpu context"):
        util.get_cuda_compute_capability(mx.cpu())
    if count == 0:
        with pytest.raises(MXNetError, match="no GPU"):
            util.get_gpu_memory(0)
    else:
        free, total = util.get_gpu_memory(0)
        assert 0 < free <= total
        assert util.get_cuda_compute_capability(mx.gpu(0)) >= 30


@pytest.mark.parametrize("key, value, legal", [
    ("where", True, True), ("where", False, True), ("casting", "same_kind", True),
    ("casting", "no", True), ("casting", "sometimes", False), ("order", "K", True),
    ("order", "Z", False), ("dtype", "float32", True), ("dtype", None, False),
    ("subok", False, True), ("out", None, False), ("signature", None, False),
])
def test_np_ufunc_legal_option(key, value, legal):
    assert util.np_ufunc_legal_option(key, value) is legal


def test_wrapped_ufuncs_accept_only_default_options():
    @util.wrap_np_unary_func
    def negative(x, out=None):
        return -x, out

    @util.wrap_np_binary_func
    def add(x1, x2, out=None):
        return x1 + x2, out

    assert negative(2, where=True, casting="same_kind", order="K", dtype=None,
                    subok=True) == (-2, None)
    assert add(1, 2, out="o") == (3, "o")
    with pytest.raises(NotImplementedError, match="where=False"):
        negative(2, where=False)
    with pytest.raises(NotImplementedError, match="dtype"):
        add(1, 2, dtype="float32")
    with pytest.raises(TypeError, match="invalid keyword"):
        negative(2, signature=None)
