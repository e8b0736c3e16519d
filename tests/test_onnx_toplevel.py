"""``mx.onnx``, MXNet 1.9's top-level export namespace: present without the
onnx package, listing the operators export_model translates."""
import json
import os
import sys

import pytest

import mxnet as mx


def test_mx_onnx_is_there_without_importing_onnx():
    assert mx.onnx.export_model is mx.contrib.onnx.export_model
    import mxnet.onnx  # noqa: F401  (importable as a module, as in MXNet)
    if "onnx" not in sys.modules:  # another test may have loaded it already
        mx.onnx.get_operator_support()
        assert "onnx" not in sys.modules


def test_operator_support_lists_the_translated_operators():
    ops = mx.onnx.get_operator_support()
    assert ops == sorted(ops)
    for name in ("Convolution", "FullyConnected", "BatchNorm", "Pooling", "Activation"):
        assert name in ops
    assert mx.onnx.get_operator_support(13) == ops
    with pytest.raises(mx.base.MXNetError, match="opset 13"):
        mx.onnx.get_operator_support(11)


def test_operator_support_covers_mxnet_1_9_1_and_lists_aliases():
    fixture = os.path.join(os.path.dirname(__file__), "fixtures", "onnx_export",
                           "operator_support.json")
    with open(fixture) as f:
        theirs = set(json.load(f)) - {"null"}  # 'null' is a variable, not an operator
    ours = set(mx.onnx.get_operator_support())
    assert theirs <= ours, sorted(theirs - ours)
    assert {"identity", "_copy", "sum_axis", "MakeLoss"} <= ours
