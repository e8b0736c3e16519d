"""mx.init: dumps() strings, name rules, deterministic fills and FusedRNN
layouts against MXNet 1.9.1 fixtures; random initializers by their statistics."""
import json
import os
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import initializer as init

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "initializer",
                       "cases.json")) as _f:
    FIX = json.load(_f)

CONFIGS = {
    "Zero()": lambda: init.Zero(), "One()": lambda: init.One(),
    "Constant(2)": lambda: init.Constant(2), "Constant(0.5)": lambda: init.Constant(0.5),
    "Uniform()": lambda: init.Uniform(), "Uniform(0.2)": lambda: init.Uniform(0.2),
    "Normal()": lambda: init.Normal(), "Orthogonal()": lambda: init.Orthogonal(),
    "Orthogonal(2.0, 'normal')": lambda: init.Orthogonal(2.0, "normal"),
    "Xavier()": lambda: init.Xavier(),
    "Xavier('gaussian', 'in', 2)": lambda: init.Xavier("gaussian", "in", 2),
    "MSRAPrelu()": lambda: init.MSRAPrelu(),
    "MSRAPrelu('out', 0.1)": lambda: init.MSRAPrelu("out", 0.1),
    "Bilinear()": lambda: init.Bilinear(), "LSTMBias()": lambda: init.LSTMBias(),
    "LSTMBias(2.5)": lambda: init.LSTMBias(2.5), "Initializer()": lambda: init.Initializer(),
    "FusedRNN(None, 4, 1, 'lstm')": lambda: init.FusedRNN(None, 4, 1, "lstm"),
    "FusedRNN(Xavier(), 8, 2, 'gru', True, 0.5)":
        lambda: init.FusedRNN(init.Xavier(), 8, 2, "gru", True, 0.5),
}


@pytest.mark.parametrize("config", sorted(FIX["dumps"]))
def test_dumps_is_mxnets_json(config):
    assert CONFIGS[config]().dumps() == FIX["dumps"][config]


@pytest.mark.parametrize("config", sorted(set(FIX["dumps"]) - {"Initializer()"}))
def test_create_reads_dumps_back(config):
    original = CONFIGS[config]()
    again = init.create(original.dumps())
    assert type(again) is type(original) and again.dumps() == original.dumps()


def test_constant_with_an_array_dumps_a_list():
    assert init.Constant(mx.nd.array([1, 2])).dumps() == '["constant", {"value": [1.0, 2.0]}]'
    assert init.Constant(np.array([[1, 2]])).dumps() == '["constant", {"value": [[1, 2]]}]'


def test_create_accepts_names_aliases_instances_and_dicts():
    assert type(init.create("zeros")) is init.Zero and type(init.create("ONES")) is init.One
    x = init.Xavier()
    assert init.create(x) is x
    assert init.create("xavier", magnitude=2).magnitude == 2.0
    assert init.create({"initializer": "normal", "sigma": 0.5}).sigma == 0.5
    with pytest.raises(ValueError, match="not registered"):
        init.create("nosuch")


def test_registered_initializer_is_found_by_name_and_in_init_attributes():
    @init.register
    class FortyTwoForTest(init.Initializer):
        def _init_weight(self, _, arr):
            arr[:] = 42
    arr = mx.nd.zeros((2,))
    init.Uniform()(init.InitDesc("x_bias", attrs={"__init__": FortyTwoForTest().dumps()}), arr)
    assert arr.asnumpy().tolist() == [42, 42]


@pytest.mark.parametrize("name", sorted(FIX["desc_rules"]))
def test_initdesc_suffix_rules(name):
    arr = mx.nd.full((2,), 7.0)
    init.Constant(3.0)(init.InitDesc(name), arr)
    assert arr.asnumpy().tolist() == FIX["desc_rules"][name]


@pytest.mark.parametrize("name", sorted(FIX["legacy_rules"]))
def test_plain_name_rules_are_deprecated_but_kept(name):
    arr = mx.nd.full((6,), 7.0)
    with pytest.warns(DeprecationWarning):
        init.Constant(3.0)(name, arr)
    assert arr.asnumpy().tolist() == FIX["legacy_rules"][name]


def test_unknown_suffix_raises_value_error_naming_the_parameter():
    with pytest.raises(ValueError, match="Unknown initialization pattern for bn_moving_mean"):
        init.Uniform()(init.InitDesc("bn_moving_mean"), mx.nd.zeros((2,)))


def test_init_attribute_overrides_suffix_and_global_init_is_recorded():
    desc = init.InitDesc("fc_weight", attrs={"__init__": init.Constant(5).dumps()})
    arr = mx.nd.zeros((3,))
    outer = init.Uniform()
    outer(desc, arr)
    assert arr.asnumpy().tolist() == [5, 5, 5] and desc.global_init is outer


def test_bilinear_and_lstm_bias_match_mxnet():
    arr = mx.nd.zeros((2, 1, 3, 4))
    init.Bilinear()(init.InitDesc("up_weight"), arr)
    np.testing.assert_array_equal(arr.asnumpy(), np.array(FIX["bilinear_2x1x3x4"], np.float32))
    bias = mx.nd.zeros((12,))
    init.LSTMBias(2.5)(init.InitDesc("lstm_bias"), bias)
    assert bias.asnumpy().tolist() == FIX["lstm_bias_12"]


@pytest.mark.parametrize("case", FIX["fused_rnn"], ids=lambda c: f"{c['mode']}-{c['layers']}")
def test_fused_rnn_initializes_unpacked_pieces_like_mxnet(case):
    seen = []

    class Recorder(init.Initializer):
        def _init_weight(self, name, arr):
            seen.append([str(name), list(arr.shape)])
            arr[:] = len(seen)
        _init_bias = _init_weight
    arr = mx.nd.zeros((case["size"],))
    fused = init.FusedRNN(Recorder(), 3, case["layers"], case["mode"], case["bidirectional"],
                          forget_bias=2.0)
    fused(init.InitDesc("rnn_weight"), arr)
    assert seen == case["pieces"]
    assert arr.asnumpy().astype(int).tolist() == case["values"]


def test_fused_rnn_rejects_a_vector_of_the_wrong_size():
    with pytest.raises(ValueError, match="does not fit"):
        init.FusedRNN(init.One(), 3, 1, "lstm")(init.InitDesc("rnn_weight"), mx.nd.zeros((7,)))


@pytest.mark.parametrize("shape,factor_type,magnitude,rnd_type", [
    ((64, 32), "avg", 3, "uniform"), ((16, 8, 3, 3), "in", 2, "gaussian"),
    ((40, 50), "out", 6, "gaussian")])
def test_xavier_scale(shape, factor_type, magnitude, rnd_type):
    mx.random.seed(0)
    arr = mx.nd.zeros(shape)
    init.Xavier(rnd_type, factor_type, magnitude)(init.InitDesc("w_weight"), arr)
    hw = np.prod(shape[2:]) if len(shape) > 2 else 1
    fan = {"avg": (shape[0] + shape[1]) * hw / 2, "in": shape[1] * hw,
           "out": shape[0] * hw}[factor_type]
    scale = np.sqrt(magnitude / fan)
    values = arr.asnumpy()
    if rnd_type == "uniform":
        assert np.abs(values).max() <= scale and np.abs(values).max() > 0.9 * scale
    else:
        assert abs(values.std() / scale - 1) < 0.1


def test_xavier_rejects_vectors_and_bad_settings():
    with pytest.raises(ValueError, match="at least 2D"):
        init.Xavier()(init.InitDesc("v_weight"), mx.nd.zeros((3,)))
    with pytest.raises(ValueError, match="factor type"):
        init.Xavier(factor_type="bad")(init.InitDesc("v_weight"), mx.nd.zeros((3, 3)))
    with pytest.raises(ValueError, match="random type"):
        init.Xavier(rnd_type="bad")(init.InitDesc("v_weight"), mx.nd.zeros((3, 3)))


def test_msraprelu_is_gaussian_xavier_with_prelu_magnitude():
    m = init.MSRAPrelu("in", 0.5)
    assert (m.rnd_type, m.factor_type, m.magnitude) == ("gaussian", "in", 2.0 / 1.25)


def test_uniform_and_normal_ranges():
    mx.random.seed(1)
    arr = mx.nd.zeros((5000,))
    init.Uniform(0.2)(init.InitDesc("u_weight"), arr)
    assert np.abs(arr.asnumpy()).max() <= 0.2
    init.Normal(0.5)(init.InitDesc("u_weight"), arr)
    assert abs(arr.asnumpy().std() - 0.5) < 0.03


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal_rows_or_columns_are_orthonormal_times_scale(shape):
    arr = mx.nd.zeros(shape)
    init.Orthogonal(scale=2.0)(init.InitDesc("o_weight"), arr)
    m = arr.asnumpy().reshape(shape[0], -1) / 2.0
    gram = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    np.testing.assert_allclose(gram, np.eye(gram.shape[0]), atol=1e-5)


def test_load_strips_prefixes_and_falls_back_to_default(tmp_path):
    path = str(tmp_path / "p.params")
    mx.nd.save(path, {"arg:fc_weight": mx.nd.array([1, 2]), "aux:bn_moving_var": mx.nd.ones(2)})
    loader = init.Load(path, default_init=init.Constant(9))
    arr = mx.nd.zeros((2,))
    loader("fc_weight", arr)
    assert arr.asnumpy().tolist() == [1, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loader("other_weight", arr)
    assert arr.asnumpy().tolist() == [9, 9]
    with pytest.raises(ValueError, match="Shape mismatch"):
        loader("fc_weight", mx.nd.zeros((3,)))
    with pytest.raises(ValueError, match="no default"):
        init.Load({"a": mx.nd.ones(1)})("b", arr)


def test_mixed_uses_the_first_matching_pattern():
    mixed = init.Mixed([".*bias", ".*"], [init.Zero(), init.One()])
    a, b = mx.nd.full((2,), 5.0), mx.nd.full((2,), 5.0)
    mixed(init.InitDesc("fc_bias"), a)
    mixed(init.InitDesc("fc_weight"), b)
    assert a.asnumpy().tolist() == [0, 0] and b.asnumpy().tolist() == [1, 1]
    with pytest.raises(ValueError, match="did not match"):
        init.Mixed(["a.*"], [init.One()])(init.InitDesc("b"), a)


def test_equality_compares_class_and_arguments():
    assert init.Xavier() == init.Xavier() and init.Xavier() != init.Xavier(magnitude=2)
    assert init.Zero() != init.One()


def test_quantized_weight_is_filled_with_one_int8_value():
    arr = mx.nd.zeros((2, 3), dtype="int8")
    init.Uniform()(init.InitDesc("q_weight_quantize"), arr)
    values = arr.asnumpy()
    assert len(set(values.ravel().tolist())) == 1 and -127 <= values[0, 0] < 127
