"""Block.save / Block.load: the model structure file MXNet 1.9.1 writes
(``<prefix>-model.json``, shape taken from its files) and the parameters
beside it (``<prefix>-model.params``, as save_parameters)."""
import json

import numpy as np
import pytest

import mxnet as mx
from mxnet import gluon


def build():
    net = gluon.nn.HybridSequential()
    with net.name_scope():
        net.add(gluon.nn.Dense(3, in_units=2), gluon.nn.BatchNorm(in_channels=3))
    return net


class Wrapper(gluon.Block):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = gluon.nn.Dense(2, in_units=2)

    def forward(self, x):
        return self.body(x)


def test_save_writes_the_structure_and_the_parameters(tmp_path):
    net = build()
    net.initialize()
    net.save(str(tmp_path / "m"))
    top = net.name
    dense, bn = (child.name for child in net._children.values())
    # Keys: class name + position in a depth-first walk; children by attribute name.
    assert json.loads((tmp_path / "m-model.json").read_text()) == {"hybridsequential0": {
        "orig_name": top, "hybridized": False, "children": {dense: "0", bn: "1"},
        "dense1": {"orig_name": dense, "hybridized": False, "children": {}},
        "batchnorm2": {"orig_name": bn, "hybridized": False, "children": {}}}}
    saved = mx.nd.load(str(tmp_path / "m-model.params"))
    assert sorted(saved) == ["0.bias", "0.weight", "1.beta", "1.gamma", "1.running_mean",
                             "1.running_var"]


def test_hybridized_blocks_save_their_graph_and_plain_blocks_no_flag(tmp_path):
    net = Wrapper()
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((1, 2)))
    net.save(str(tmp_path / "w"))
    entry = json.loads((tmp_path / "w-model.json").read_text())["wrapper0"]
    assert list(entry) == ["orig_name", "children", "dense1"]  # a Block has no 'hybridized'
    dense = entry["dense1"]
    assert list(dense) == ["orig_name", "in_format", "out_format", "inputs", "symbol",
                           "hybridized", "children"]
    assert dense["hybridized"] and dense["in_format"] == [0] and dense["out_format"] == 0
    assert mx.sym.load_json(dense["inputs"][0]).name == "data"
    assert mx.sym.load_json(dense["symbol"]).list_arguments() == [
        "data", net.body.weight.name, net.body.bias.name]


def test_load_restores_names_graph_and_values(tmp_path):
    net = build()
    net.initialize(mx.init.Uniform(1.0))
    net.hybridize()
    x = mx.nd.array([[1, 2], [3, -4]])
    want = net(x).asnumpy()
    net.save(str(tmp_path / "m"))
    other = build()
    other.load(str(tmp_path / "m"))
    assert other.name == net.name
    assert list(other.collect_params()) == list(net.collect_params())
    assert other._active and other._cached_graph
    np.testing.assert_allclose(other(x).asnumpy(), want, rtol=1e-6)


def test_load_refuses_a_differently_built_model_and_missing_files(tmp_path):
    net = Wrapper()
    net.initialize()
    net.save(str(tmp_path / "w"))
    with pytest.raises(KeyError, match="no Block 'dense0'"):
        gluon.nn.Dense(2, in_units=2).load(str(tmp_path / "w"))
    with pytest.raises(FileNotFoundError):
        net.load(str(tmp_path / "absent"))
