"""Parsed ``Attrs``: read as attributes, shared per argument tuple, and safe
to copy; values are held as instance attributes once parsing is done."""
import copy
import pickle

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ops import registry
from mxnet.ops.registry import Attrs


def test_parsed_attrs_read_as_attributes_and_items():
    attrs = registry.get("sum").parse({"axis": 1, "keepdims": True})
    assert attrs.axis == attrs["axis"] == (1,)
    assert attrs.keepdims is True and attrs.exclude is False
    assert vars(attrs) == dict(attrs)  # frozen: plain attribute reads
    assert registry.get("sum").parse({"axis": 1, "keepdims": True}) is attrs


def test_default_attrs_are_frozen_too():
    attrs = registry.get("broadcast_add").default_attrs()
    assert vars(attrs) == dict(attrs) == {}
    relu = registry.get("Activation").parse({"act_type": "relu"})
    assert relu.act_type == "relu" and vars(relu)["act_type"] == "relu"


def test_dict_method_names_stay_methods():
    attrs = registry.get("_cvcopyMakeBorder").parse({"top": 1, "bot": 1, "left": 1,
                                                      "right": 1, "values": (1.0, 2.0)})
    assert callable(attrs.values) and "values" not in vars(attrs)
    assert attrs["values"] == (1.0, 2.0)
    assert attrs.top == 1


def test_unfrozen_attrs_fall_back_to_items():
    attrs = Attrs(axis=2)
    assert vars(attrs) == {} and attrs.axis == 2
    with pytest.raises(AttributeError, match="nope"):
        attrs.nope
    assert getattr(attrs, "nope", None) is None


def test_copies_keep_values_and_attributes():
    attrs = registry.get("sum").parse({"axis": (0, 2)})
    for clone in (copy.copy(attrs), copy.deepcopy(attrs), pickle.loads(pickle.dumps(attrs))):
        assert type(clone) is Attrs and clone == attrs
        assert clone.axis == (0, 2) and clone.keepdims is False


def test_unknown_arguments_still_raise():
    with pytest.raises(MXNetError, match="sum: unknown argument 'axes'"):
        registry.get("sum").parse({"axes": 1})


def test_default_attrs_are_parsed_once_and_shared():
    op = registry.get("Activation")
    first = registry.get("broadcast_add").default_attrs()
    assert registry.get("broadcast_add").default_attrs() is first
    with pytest.raises(MXNetError, match="Activation: required argument 'act_type'"):
        op.default_attrs()


def test_zero_and_negative_zero_arguments_are_different_calls():
    x = mx.nd.array([-0.0])
    assert not np.signbit((x + 0.0).asnumpy()[0])   # -0 + 0 is +0
    assert np.signbit((x + -0.0).asnumpy()[0])      # -0 + -0 is -0 (not the cached +0 call)
    assert np.signbit((x - 0.0).asnumpy()[0])
    assert not np.signbit((x - -0.0).asnumpy()[0])
