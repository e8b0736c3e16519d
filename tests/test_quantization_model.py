"""mx.contrib.quantization: the quantized graph of a small CNN matches MXNet 1.9.1's
(fixtures from tools/make_fixtures_quantization.py) and runs close to the float model."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.contrib import quantization

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "quantization")


def _tiny_cnn():
    net = mx.sym.Convolution(mx.sym.var("data"), kernel=(3, 3), num_filter=4, name="conv1")
    net = mx.sym.BatchNorm(net, fix_gamma=False, name="bn1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
    net = mx.sym.Flatten(net, name="flat")
    return mx.sym.FullyConnected(net, num_hidden=3, name="fc1")


@pytest.fixture(scope="module")
def model():
    saved = np.load(os.path.join(FIXTURES, "tiny_cnn.npz"))
    args = {k[4:]: mx.nd.array(saved[k]) for k in saved.files if k.startswith("arg:")}
    auxs = {k[4:]: mx.nd.array(saved[k]) for k in saved.files if k.startswith("aux:")}
    return _tiny_cnn(), args, auxs, saved["calib_data"]


def _run(sym, args, auxs, x):
    exe = sym.bind(mx.cpu(), dict(args, data=mx.nd.array(x)),
                   aux_states={k: v.copy() for k, v in auxs.items()})
    return exe.forward()[0].asnumpy()


def _quantize(model, **kwargs):
    sym, args, auxs, x = model
    kwargs.setdefault("calib_data", mx.io.NDArrayIter(x, batch_size=2))
    return quantization.quantize_model(sym, args, auxs, ctx=mx.cpu(), label_names=None,
                                       **kwargs)


def _ops(graph):
    return [(n["op"], n["name"], n.get("attrs", {})) for n in graph["nodes"]]


def test_naive_calibration_gives_mxnets_graph_and_ranges(model):
    qsym, _, _ = _quantize(model, calib_mode="naive", quantized_dtype="auto")
    with open(os.path.join(FIXTURES, "tiny_cnn-quantized-symbol.json")) as f:
        expected = json.load(f)
    ours = json.loads(qsym.tojson())
    assert [(op, name) for op, name, _ in _ops(ours)] == \
        [(op, name) for op, name, _ in _ops(expected)]
    assert [n["inputs"] for n in ours["nodes"]] == [n["inputs"] for n in expected["nodes"]]
    for (_, name, got), (_, _, want) in zip(_ops(ours), _ops(expected)):
        for key in ("min_calib_range", "max_calib_range", "out_type"):
            if key in want:
                assert float(got[key]) == pytest.approx(float(want[key]), rel=1e-5) \
                    if "calib" in key else got[key] == want[key], (name, key)


@pytest.mark.parametrize("dtype", ["int8", "auto"])
def test_naive_quantized_cnn_is_close_to_float(model, dtype):
    sym, args, auxs, x = model
    qsym, qargs, qauxs = _quantize(model, calib_mode="naive", quantized_dtype=dtype)
    assert qargs["conv1_weight_quantize"].dtype == np.int8
    ref = _run(sym, args, auxs, x)
    got = _run(qsym, qargs, qauxs, x)
    assert np.abs(got - ref).max() <= 0.03 * np.abs(ref).max()


def test_entropy_calibration_sets_symmetric_thresholds_within_the_data_range(model):
    qsym, _, _ = _quantize(model, calib_mode="entropy", quantized_dtype="int8")
    data_q = next(n for n in json.loads(qsym.tojson())["nodes"] if n["name"] == "data_quantize")
    lo, hi = float(data_q["attrs"]["min_calib_range"]), float(data_q["attrs"]["max_calib_range"])
    # a histogram widened for a later batch may end a bin (2 * 0.98 / 8001) past the data
    assert lo == -hi and 0 < hi <= np.abs(model[3]).max() + 5e-4


def test_uncalibrated_graph_leaves_ranges_to_run_time(model):
    qsym, qargs, _ = _quantize(model, calib_mode="none", excluded_sym_names=["bn1"])
    nodes = json.loads(qsym.tojson())["nodes"]
    assert not any("min_calib_range" in n.get("attrs", {}) for n in nodes)
    ops = [n["op"] for n in nodes]
    assert "BatchNorm" in ops and "_contrib_quantized_batch_norm" not in ops
    assert set(qargs) >= {"fc1_weight_quantize", "fc1_weight_quantize_min", "bn1_gamma"}


def test_excluded_ops_and_full_mode_insert_quantize_and_dequantize(model):
    sym = model[0]
    qsym, _, _, collector = quantization.quantize_graph(
        sym, model[1], model[2], excluded_op_names=["Convolution"], calib_mode="naive",
        quantize_mode="full")
    names = [n["name"] for n in json.loads(qsym.tojson())["nodes"] if n["op"] != "null"]
    assert names[:3] == ["conv1", "conv1_output_quantize", "quantized_bn1"]
    assert collector.include_layer == ["conv1_output", "bn1_output", "fc1_output"]


def test_smart_mode_keeps_layers_between_float_layers_in_float():
    net = mx.sym.Activation(mx.sym.var("data"), act_type="tanh", name="tanh")
    net = mx.sym.Flatten(net, name="flat")
    net = mx.sym.FullyConnected(net, num_hidden=2, name="fc")
    args = {"fc_weight": mx.nd.ones((2, 4)), "fc_bias": mx.nd.zeros(2)}
    ops = {mode: [n["op"] for n in json.loads(quantization.quantize_graph(
        net, args, {}, calib_mode="none", quantize_mode=mode)[0].tojson())["nodes"]]
        for mode in ("smart", "full")}
    assert "Flatten" in ops["smart"] and "_contrib_quantized_flatten" in ops["full"]


def test_calib_graph_with_a_filled_collector(model):
    sym, args, auxs, x = model
    qsym, _, _, collector = quantization.quantize_graph(sym, args, auxs, calib_mode="naive")
    collector.collect("data", mx.nd.array([-2.0, 1.0]))
    qsym, qargs, _ = quantization.calib_graph(qsym, args, auxs, collector, calib_mode="naive")
    data_q = json.loads(qsym.tojson())["nodes"][1]
    assert data_q["attrs"]["min_calib_range"] == "-2.000000"
    with pytest.raises(ValueError, match="naive or entropy"):
        quantization.calib_graph(qsym, args, auxs, collector, calib_mode="none")


def test_bad_options_raise():
    sym = _tiny_cnn()
    with pytest.raises(ValueError, match="quantized_dtype"):
        quantization.quantize_model(sym, {}, {}, quantized_dtype="int4")
    with pytest.raises(ValueError, match="excluded_sym_names"):
        quantization.quantize_model(sym, {}, {}, excluded_sym_names="conv1")
    with pytest.raises(ValueError, match="calib_data"):
        quantization.quantize_model(sym, {"conv1_weight": mx.nd.ones((4, 1, 3, 3))}, {},
                                    calib_mode="naive")


def test_quantize_net_v2_gives_a_symbol_block_close_to_the_float_net():
    mx.random.seed(0)
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Conv2D(4, 3, in_channels=1, activation="relu"),
            mx.gluon.nn.MaxPool2D(), mx.gluon.nn.Flatten(), mx.gluon.nn.Dense(3, in_units=36))
    net.initialize(mx.init.Uniform(1.0))
    x = mx.nd.array(np.random.RandomState(1).uniform(-1, 1, (4, 1, 8, 8)))
    ref = net(x).asnumpy()
    qnet = quantization.quantize_net_v2(net, quantized_dtype="auto", calib_mode="naive",
                                        calib_data=mx.io.NDArrayIter(x, batch_size=2))
    assert isinstance(qnet, mx.gluon.SymbolBlock)
    got = qnet(x).asnumpy()
    assert np.abs(got - ref).max() <= 0.03 * np.abs(ref).max()
