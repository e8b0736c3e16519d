"""How a symbol file counts outputs (``node_row_ptr``), stamps input entries
with versions, drops AMP casts and writes fused subgraphs, against MXNet
1.9.1's text for the graphs of entry_cases.py; and that counting hidden
outputs in the file changes nothing that counts outputs here."""
import gzip
import json
import os

import numpy as np
import pytest

import mxnet as mx

from . import FIXTURES
from .entry_cases import CASES, ZOO_MODELS, build, optimized_model

with open(os.path.join(FIXTURES, "entries.json")) as _f:
    EXPECTED = json.load(_f)
with gzip.open(os.path.join(FIXTURES, "zoo_optimized.json.gz"), "rt") as _f:
    ZOO_OPTIMIZED = json.load(_f)


@pytest.mark.parametrize("name", list(CASES))
def test_tojson_is_mxnets_text(name):
    sym = build(mx, name)
    assert sym.tojson() == EXPECTED[name]["json"]
    assert sym.tojson(remove_amp_cast=False) == EXPECTED[name]["json_with_casts"]


@pytest.mark.parametrize("name", list(CASES))
def test_mxnets_file_saves_back_unchanged(name):
    for key in ("json", "json_with_casts"):
        text = EXPECTED[name][key]
        assert mx.sym.load_json(text).tojson(remove_amp_cast=False) == text


@pytest.mark.parametrize("name", list(CASES))
def test_output_names_and_internals_match(name):
    sym = build(mx, name)
    assert sym.list_outputs() == EXPECTED[name]["outputs"]
    assert sym.get_internals().list_outputs() == EXPECTED[name]["internals"]


@pytest.mark.parametrize("name", list(CASES))
def test_debug_str_matches(name):
    assert build(mx, name).debug_str() == EXPECTED[name]["debug_str"]


def _rows(sym):
    return json.loads(sym.tojson())["node_row_ptr"]


def test_row_counts_cover_hidden_outputs_only_in_the_file():
    sym = build(mx, "pool_max")
    assert _rows(sym) == [0, 1, 3]  # data, then pooling's output and workspace
    assert sym.list_outputs() == ["pool_output"]
    _, out_shapes, _ = sym.infer_shape(data=(1, 2, 4, 4))
    assert out_shapes == [(1, 2, 3, 3)]


def test_max_pooling_runs_with_one_output_after_a_round_trip():
    sym = mx.sym.load_json(build(mx, "pool_max").tojson())
    data = np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4)
    ex = sym.simple_bind(mx.cpu(), data=data.shape)
    outs = ex.forward(is_train=False, data=mx.nd.array(data))
    assert len(outs) == 1
    # 2x2 windows at stride 1
    expected = np.maximum.reduce([data[..., i:i + 3, j:j + 3] for i in (0, 1) for j in (0, 1)])
    np.testing.assert_array_equal(outs[0].asnumpy(), expected)


def test_index_named_output_is_the_executor_output_name():
    sym = build(mx, "sort")
    ex = sym.simple_bind(mx.cpu(), in0=(2, 3))
    assert list(ex.output_dict) == ["node_output0"]


def test_gluon_max_pooling_exports_mxnets_rows_and_imports_back(tmp_path):
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Conv2D(2, 3), mx.gluon.nn.MaxPool2D())
    net.initialize()
    net.hybridize()
    x = mx.nd.array(np.random.default_rng(0).normal(size=(1, 1, 6, 6)))
    expected = net(x).asnumpy()
    prefix = str(tmp_path / "net")
    net.export(prefix)
    with open(prefix + "-symbol.json") as f:
        doc = json.load(f)
    pool = [i for i, n in enumerate(doc["nodes"]) if n["op"] == "Pooling"][0]
    assert doc["node_row_ptr"][pool + 1] - doc["node_row_ptr"][pool] == 2
    back = mx.gluon.SymbolBlock.imports(prefix + "-symbol.json", ["data"],
                                        prefix + "-0000.params")
    np.testing.assert_allclose(back(x).asnumpy(), expected, rtol=1e-6)


def test_loaded_entry_versions_survive_a_copy_and_composition():
    text = EXPECTED["file_versions"]["json"]
    sym = mx.sym.load_json(text)
    assert sym.__copy__().tojson() == text
    # composing a new input re-stamps the node that takes it, as MXNet does
    composed = json.loads(sym(x=mx.sym.var("z")).tojson())
    assert [e[2] for e in composed["nodes"][-1]["inputs"]] == [0, 0, 0, 1, 1]


def test_invalid_entry_version_raises():
    doc = json.loads(EXPECTED["second_user_alone"]["json"])
    doc["nodes"][-1]["inputs"][0][2] = "v"
    with pytest.raises(mx.base.MXNetError, match="bn2.*version"):
        mx.sym.load_json(json.dumps(doc))


@pytest.mark.parametrize("name", ZOO_MODELS)
def test_model_zoo_graph_optimized_for_mkldnn_is_mxnets_text(name):
    assert optimized_model(mx, name).tojson() == ZOO_OPTIMIZED[name]
