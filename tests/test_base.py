"""mxnet.base helpers that user code imports."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import base


def test_mxnet_error_is_a_runtime_error():
    assert issubclass(base.MXNetError, RuntimeError)
    assert mx.MXNetError is base.MXNetError


def test_type_tuples():
    assert isinstance("s", base.string_types)
    assert isinstance(3, base.integer_types) and isinstance(np.int64(3), base.integer_types)
    assert isinstance(2.5, base.numeric_types) and isinstance(np.float32(1), base.numeric_types)
    assert base.mx_real_t is np.float32


def test_py_str_and_as_list():
    assert base.py_str(b"abc") == "abc" and base.py_str("abc") == "abc"
    assert base._as_list(3) == [3] and base._as_list([1, 2]) == [1, 2]
    assert base._as_list((1,)) == (1,)


def test_null_is_falsy_and_prints_like_mxnet():
    assert not base._Null and repr(base._Null) == "_Null"


def test_data_dir_honours_mxnet_home(monkeypatch, tmp_path):
    monkeypatch.setenv("MXNET_HOME", str(tmp_path))
    assert base.data_dir() == str(tmp_path)


def test_check_call_raises_on_nonzero():
    base.check_call(0)
    with pytest.raises(base.MXNetError):
        base.check_call(-1)
