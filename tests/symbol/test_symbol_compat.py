"""Symbol and Executor APIs as MXNet 1.9.1 has them: AMP casts left out of
JSON by default, get_backend_symbol, broadcast_like, pow(base, exp) and the
binary front ends on two numbers, Executor.get_optimized_symbol."""
import json

import numpy as np
import pytest

import mxnet as mx


def _amp_graph():
    x = mx.sym.var("x")
    cast = mx.sym.amp_cast(x, dtype="float16", name="c")
    fc = mx.sym.FullyConnected(cast, num_hidden=2, name="fc")
    both = mx.sym.amp_multicast(fc, x, num_outputs=2, name="mc")
    return both[0] + both[1]


def _ops(text):
    return [n["op"] for n in json.loads(text)["nodes"] if n["op"] != "null"]


def test_json_leaves_amp_casts_out_unless_asked(tmp_path):
    y = _amp_graph()
    assert _ops(y.tojson()) == ["FullyConnected", "elemwise_add"]
    doc = json.loads(y.tojson())
    # each cast output became the cast's matching input: fc reads x, the sum fc and x
    assert doc["nodes"][3]["inputs"][0] == [0, 0, 0]
    assert doc["nodes"][4]["inputs"] == [[3, 0, 0], [0, 0, 0]]
    assert _ops(y.tojson(remove_amp_cast=False)) == ["amp_cast", "FullyConnected",
                                                      "amp_multicast", "elemwise_add"]
    y.save(str(tmp_path / "a.json"))
    y.save(str(tmp_path / "b.json"), remove_amp_cast=False)
    assert _ops((tmp_path / "a.json").read_text()) == ["FullyConnected", "elemwise_add"]
    assert "amp_cast" in _ops((tmp_path / "b.json").read_text())
    assert y.list_outputs() == mx.sym.load(str(tmp_path / "a.json")).list_outputs()


def test_get_backend_symbol_folds_like_optimize_for():
    d = mx.sym.var("data")
    y = mx.sym.Activation(mx.sym.BatchNorm(mx.sym.Convolution(d, kernel=(3, 3), num_filter=4,
                                                              name="c"), name="bn"),
                          act_type="relu")
    assert y.get_backend_symbol("MKLDNN").list_outputs() == ["sg_mkldnn_conv_bn_act_0_output"]


def test_broadcast_like_is_a_fluent_method():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    out = a.broadcast_like(b).eval(a=mx.nd.ones((1, 3)), b=mx.nd.zeros((2, 3)))[0]
    assert out.shape == (2, 3)


def test_pow_takes_base_and_exp_and_binary_front_ends_take_two_numbers():
    a = mx.sym.var("a")
    assert mx.sym.pow(base=a, exp=2).eval(a=mx.nd.array([3.0]))[0].asscalar() == 9
    assert mx.sym.power(base=2, exp=a).eval(a=mx.nd.array([3.0]))[0].asscalar() == 8
    assert mx.sym.pow(2, 3) == 8 and mx.sym.maximum(2, 3) == 3 and mx.sym.minimum(2, 3) == 2
    assert mx.sym.hypot(3, 4) == 5.0
    with pytest.raises(TypeError):
        mx.sym.pow("a", 2)


def test_get_optimized_symbol_is_the_folded_graph_for_inference_executors():
    d = mx.sym.var("data")
    y = mx.sym.Activation(mx.sym.BatchNorm(mx.sym.Convolution(d, kernel=(3, 3), num_filter=4,
                                                              name="c"), name="bn"),
                          act_type="relu", name="r")
    training = y.simple_bind(mx.cpu(), data=(1, 3, 8, 8))
    assert training.get_optimized_symbol().list_outputs() == ["r_output"]
    inference = y.simple_bind(mx.cpu(), data=(1, 3, 8, 8), grad_req="null")
    optimized = inference.get_optimized_symbol()
    assert optimized.list_outputs() == ["sg_mkldnn_conv_bn_act_0_output"]
    assert optimized.list_arguments() == y.list_arguments()


def test_get_optimized_symbol_without_fusion_is_the_bound_graph(monkeypatch):
    monkeypatch.setenv("MXNET_USE_FUSION", "0")
    y = mx.sym.Activation(mx.sym.Convolution(mx.sym.var("data"), kernel=(1, 1), num_filter=2,
                                             name="c"), act_type="relu", name="r")
    exe = y.simple_bind(mx.cpu(), data=(1, 3, 4, 4), grad_req="null")
    assert exe.get_optimized_symbol().list_outputs() == ["r_output"]
    np.testing.assert_array_equal(exe.forward()[0].shape, (1, 2, 4, 4))
