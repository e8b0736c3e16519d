"""The post-ops MXNet 1.9.1's oneDNN partitioner folds beyond Activation
(clip, LeakyReLU leaky/elu/gelu, square/sqrt/abs/exp after an inner
product, the same after a residual sum, ``y + y``): ``optimize_for('MKLDNN')``
writes MXNet's graph text, and the fused kernels (NumPy, and oneDNN post-ops
where the library is installed) give the unfused operators' results."""
import gzip
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet import backends
from mxnet.backends import dnnl

from . import FIXTURES
from .fused_pattern_cases import CASES, DATA_SHAPE, SELF_SUM, ZOO_MODELS, build, folded, \
    optimized_model

with gzip.open(os.path.join(FIXTURES, "fused_patterns.json.gz"), "rt") as _f:
    EXPECTED = json.load(_f)
_FUSED_OPS = ("_sg_mkldnn_conv", "_sg_mkldnn_fully_connected")
# A clip with a_min > a_max gives a_max above it and a_min below: oneDNN's clip
# differs, so the NumPy fused kernel runs it.
_NUMPY_ONLY = ("conv_clip_empty",)


@pytest.fixture(autouse=True)
def small_calls_use_onednn(monkeypatch):
    """The cases are tiny; let them through oneDNN's size thresholds."""
    if dnnl.available:
        from mxnet.backends.dnnl import overrides
        monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)
        monkeypatch.setattr(overrides, "MIN_WORK", 0)


def _symbol(name):
    return build(mx.sym, mx.sym.var, name)


def _arrays(sym):
    """Random float32 arrays for every argument and aux state of ``sym``."""
    rng = np.random.default_rng(3)
    arg_shapes, _, aux_shapes = sym.infer_shape(data=DATA_SHAPE)
    names = sym.list_arguments() + sym.list_auxiliary_states()
    out = {}
    for name, shape in zip(names, arg_shapes + aux_shapes):
        low = 0.5 if name.endswith("moving_var") else -1.0
        out[name] = rng.uniform(low, 1.5, shape).astype(np.float32)
    return out


def _ops(sym):
    return [n.op.name for n in sym._nodes() if n.op is not None]


@pytest.mark.parametrize("name", [c for c in CASES if c not in SELF_SUM])
def test_optimize_for_writes_mxnets_text(name):
    assert _symbol(name).optimize_for("MKLDNN").tojson() == EXPECTED["cases"][name]


@pytest.mark.parametrize("name", [c for c in CASES if c not in SELF_SUM])
def test_mxnets_file_loads_as_fused_nodes_and_saves_back_unchanged(name):
    loaded = mx.sym.load_json(EXPECTED["cases"][name])
    assert _ops(loaded)[-1 if folded(name) else 0] in _FUSED_OPS
    assert loaded.tojson() == EXPECTED["cases"][name]


@pytest.mark.parametrize("name", ZOO_MODELS)
def test_model_zoo_mobilenets_optimized_for_mkldnn_are_mxnets_text(name):
    # mobilenetv2's relu6 is clip(0, 6): folded into the convolutions.
    assert optimized_model(mx, name).tojson() == EXPECTED["zoo"][name]


@pytest.mark.parametrize("name", CASES)
def test_post_op_is_folded_where_mxnet_folds_it(name):
    ops = _ops(_symbol(name).optimize_for("MKLDNN"))
    assert ops[-1] in _FUSED_OPS if folded(name) else ops[-1] not in _FUSED_OPS
    assert len(ops) == (1 if folded(name) else 2)


@pytest.mark.parametrize("name", SELF_SUM)
def test_a_convolution_added_to_itself_is_fused_but_written_as_plain_operators(name):
    fused = _symbol(name).optimize_for("MKLDNN")
    [node] = [n for n in fused._nodes() if n.op is not None]
    assert node.params().with_sum and node.params().self_sum
    text = fused.tojson()
    ops = [n["op"] for n in json.loads(text)["nodes"] if n["op"] != "null"]
    assert "_sg_mkldnn_conv" not in ops and "elemwise_add" in ops
    add = [n for n in json.loads(text)["nodes"] if n["op"] == "elemwise_add"][0]
    assert add["inputs"][0] == add["inputs"][1]


def _forward(sym, arrays):
    args = {k: mx.nd.array(v) for k, v in arrays.items() if k in sym.list_arguments()}
    aux = {k: mx.nd.array(v) for k, v in arrays.items() if k in sym.list_auxiliary_states()}
    with backends.count_kernels() as counts:
        out = sym.bind(mx.cpu(), args, aux_states=aux).forward(is_train=False)[0].asnumpy()
        return out, dict(counts)


@pytest.mark.parametrize("onednn", ["0", "1"])
@pytest.mark.parametrize("name", [c for c in CASES if folded(c)])
def test_fused_kernel_gives_the_unfused_operators_results(monkeypatch, name, onednn):
    sym = _symbol(name)
    arrays = _arrays(sym)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    expected = build(mx.nd, lambda n: mx.nd.array(arrays[n]), name).asnumpy()
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", onednn)
    fused = sym.optimize_for("MKLDNN")
    got, counts = _forward(fused, arrays)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    [op] = [o for o in _ops(fused) if o in _FUSED_OPS]
    backend = "onednn" if onednn == "1" and dnnl.available and name not in _NUMPY_ONLY \
        else "default"
    assert counts.get((op, backend)), counts
    # Written to JSON and read back, the graph computes the same.
    again, _ = _forward(mx.sym.load_json(fused.tojson()), arrays)
    np.testing.assert_allclose(again, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", [c for c in CASES if folded(c)])
def test_inference_plan_folds_the_same_patterns(monkeypatch, name):
    # Bound as written (not optimized), an inference forward folds too.
    sym = _symbol(name)
    arrays = _arrays(sym)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    expected = build(mx.nd, lambda n: mx.nd.array(arrays[n]), name).asnumpy()
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    got, counts = _forward(sym, arrays)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    assert any(op in _FUSED_OPS for op, _ in counts), counts


@pytest.mark.parametrize("name", SELF_SUM)
def test_mxnets_file_of_a_convolution_added_to_itself_loads_in_order(monkeypatch, name):
    # MXNet lists that node's inputs as (weight, bias, data); its subgraph's
    # variable names give each one's place.
    sym = _symbol(name)
    arrays = _arrays(sym)
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    expected = build(mx.nd, lambda n: mx.nd.array(arrays[n]), name).asnumpy()
    loaded = mx.sym.load_json(EXPECTED["cases"][name])
    assert "_sg_mkldnn_conv" in _ops(loaded)
    got, _ = _forward(loaded, arrays)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
