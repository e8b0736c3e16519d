"""Symbol JSON against MXNet 1.9.1: the exact text ``tojson`` writes for a zoo
of graphs, what loading MXNet's files gives, files in the MXNet 0.8/0.9
layouts, and errors for files that cannot load."""
import base64
import json
import os
import pickle

import pytest

import mxnet as mx
from mxnet.base import MXNetError

from . import LEGACY_DIR, ZOO, build, load_fixtures, missing_ops

META, _ = load_fixtures()
LEGACY = [name for name in META if name.startswith("legacy_")]

# Known differences, each waiting on a change in a file this suite does not own.
BUILT_JSON_DIFFS = {}
LOADED_JSON_DIFFS = {}
ATTR_DIFFS = {}
INTERNALS_DIFFS = {}
OUTPUT_NAME_DIFFS = {}


def _cases(names, known):
    return [pytest.param(n, marks=pytest.mark.xfail(reason=known[n], strict=True))
            if n in known else n for n in names]


def _require(name):
    missing = missing_ops(name)
    if missing:
        pytest.skip(f"operators not registered yet: {missing}")


def built(name):
    _require(name)
    return build(mx, name)["symbol"]


def loaded(name):
    _require(name)
    return mx.sym.load_json(META[name]["json"])


@pytest.mark.parametrize("name", _cases(ZOO, BUILT_JSON_DIFFS))
def test_tojson_of_a_graph_built_here_is_mxnets_text(name):
    assert built(name).tojson() == META[name]["json"]


@pytest.mark.parametrize("name", _cases(list(ZOO) + LEGACY, LOADED_JSON_DIFFS))
def test_mxnet_json_loads_and_saves_back_unchanged(name):
    assert loaded(name).tojson() == META[name]["json"]


LISTS = ["arguments", "auxiliary_states", "inputs"]


@pytest.mark.parametrize("what", LISTS)
@pytest.mark.parametrize("name", list(ZOO) + LEGACY)
def test_loaded_graph_lists_arguments_aux_and_inputs_like_mxnet(name, what):
    assert getattr(loaded(name), f"list_{what}")() == META[name][what]


@pytest.mark.parametrize("what", LISTS)
@pytest.mark.parametrize("name", list(ZOO))
def test_built_graph_lists_arguments_aux_and_inputs_like_mxnet(name, what):
    assert getattr(built(name), f"list_{what}")() == META[name][what]


@pytest.mark.parametrize("name", list(ZOO) + LEGACY)
def test_loaded_graph_output_names_and_attributes_match(name):
    sym = loaded(name)
    assert sym.list_outputs() == META[name]["outputs"]
    assert sym.attr_dict() == META[name]["attr_dict"]


@pytest.mark.parametrize("name", _cases(ZOO, OUTPUT_NAME_DIFFS))
def test_built_graph_output_names_match(name):
    assert built(name).list_outputs() == META[name]["outputs"]


@pytest.mark.parametrize("name", _cases(ZOO, ATTR_DIFFS))
def test_built_graph_attr_dict_matches(name):
    assert built(name).attr_dict() == META[name]["attr_dict"]


@pytest.mark.parametrize("name", _cases(list(ZOO) + LEGACY, INTERNALS_DIFFS))
def test_get_internals_lists_mxnets_entries(name):
    assert loaded(name).get_internals().list_outputs() == META[name]["internals"]


# -- files from older MXNet versions -------------------------------------------------
def _legacy(name):
    _require(f"legacy_{name}")
    return mx.sym.load(os.path.join(LEGACY_DIR, f"{name}.json"))


@pytest.mark.parametrize("name", ["v08_mlp", "v09_lenet"])
def test_old_file_upgrades_to_the_json_mxnet_writes(name):
    assert _legacy(name).tojson() == META[f"legacy_{name}"]["json"]


def test_mxnet_08_file_gains_batchnorm_aux_states_with_initializers():
    sym = _legacy("v08_mlp")
    assert sym.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    attrs = sym.attr_dict()
    assert attrs["bn_moving_mean"]["__init__"] == '["zero", {}]'
    assert attrs["bn_moving_var"]["__init__"] == '["one", {}]'
    assert attrs["bn_moving_var"]["eps"] == "0.001"  # the node's attributes too


def test_mxnet_08_file_renames_the_old_softmax_op():
    sym = _legacy("v08_mlp")
    assert json.loads(sym.tojson())["nodes"][-1]["op"] == "SoftmaxOutput"


@pytest.mark.parametrize("name", ["v08_mlp", "v09_lenet"])
def test_old_files_plain_lr_mult_and_ctx_group_become_hidden_attributes(name):
    attrs = _legacy(name).attr_dict()
    if name == "v08_mlp":
        assert attrs["fc1_weight"] == {"__lr_mult__": "0.5", "lr_mult": "0.5",
                                       "__ctx_group__": "dev1", "ctx_group": "dev1"}
    else:
        assert attrs["fc_weight"]["__lr_mult__"] == "2"
        assert attrs["conv1_weight"]["__wd_mult__"] == "0.5"


def _doc(nodes, heads, version=None, **extra):
    doc = {"nodes": nodes, "arg_nodes": [i for i, n in enumerate(nodes) if n["op"] == "null"],
           "heads": heads}
    if version is not None:
        doc["attrs"] = {"mxnet_version": ["int", version]}
    doc.update(extra)
    return json.dumps(doc)


def _var(name, **attrs):
    node = {"op": "null", "name": name, "inputs": []}
    if attrs:
        node["attrs"] = attrs
    return node


def test_plain_lr_mult_stays_plain_in_a_1_9_file():
    sym = mx.sym.load_json(_doc([_var("data", lr_mult="0.5")], [[0, 0, 0]], version=10901))
    assert sym.attr_dict() == {"data": {"lr_mult": "0.5"}}


def test_plain_lr_mult_becomes_hidden_in_a_1_8_file():
    sym = mx.sym.load_json(_doc([_var("data", lr_mult="0.5")], [[0, 0, 0]], version=10800))
    assert sym.attr_dict() == {"data": {"__lr_mult__": "0.5", "lr_mult": "0.5"}}


def test_batchnorm_without_aux_inputs_in_a_0_9_file_gets_none_added():
    _require("resnet_block")
    nodes = [_var("data"), _var("g"), _var("b"),
             {"op": "BatchNorm", "name": "bn", "attrs": {"eps": "0.001"},
              "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]}]
    assert mx.sym.load_json(_doc(nodes, [[3, 0, 0]], version=900)).list_inputs() == \
        ["data", "g", "b"]
    assert mx.sym.load_json(_doc(nodes, [[3, 0, 0]], version=800)).list_inputs() == \
        ["data", "g", "b", "bn_moving_mean", "bn_moving_var"]


def test_escaped_and_control_characters_round_trip():
    sym = mx.sym.var("x\u00e9", attr={"__a__": 'q"b\\c\nd\te/\x01'})
    text = sym.tojson()
    assert '"name": "x\u00e9"' in text  # non-ASCII written as is, like MXNet
    assert '"__a__": "q\\"b\\\\c\\nd\\te/\x01"' in text  # control characters raw
    assert mx.sym.load_json(text).attr_dict() == sym.attr_dict()


def test_save_and_load_through_a_file(tmp_path):
    _require("mlp")
    sym = built("mlp")
    path = str(tmp_path / "net-symbol.json")
    sym.save(path)
    assert mx.sym.load(path).tojson() == sym.tojson()


def test_symbol_pickled_by_mxnet_unpickles_here():
    _require("mlp")
    sym = pickle.loads(base64.b64decode(META["pickle"]))
    assert sym.tojson() == META["mlp"]["json"]


# -- files that cannot load ------------------------------------------------------------
def test_unknown_operator_names_the_node_and_op():
    text = _doc([_var("data"), {"op": "NoSuchOp", "name": "n1", "inputs": [[0, 0, 0]]}],
                [[1, 0, 0]], version=10901)
    with pytest.raises(MXNetError, match="n1.*NoSuchOp"):
        mx.sym.load_json(text)


@pytest.mark.parametrize("text", ["{", "", "not json", "[1, 2]", "null",
                                  '{"nodes": [{"op": "null"}], "heads": [[0, 0, 0]]}'])
def test_malformed_json_raises_mxnet_error(text):
    with pytest.raises(MXNetError):
        mx.sym.load_json(text)


def test_input_referring_to_a_later_node_raises():
    text = _doc([_var("data"), {"op": "relu", "name": "r", "inputs": [[5, 0, 0]]}],
                [[1, 0, 0]], version=10901)
    with pytest.raises(MXNetError, match="'r'.*invalid input"):
        mx.sym.load_json(text)


def test_head_referring_to_a_missing_node_raises():
    with pytest.raises(MXNetError, match="heads"):
        mx.sym.load_json(_doc([_var("data")], [[3, 0, 0]], version=10901))


def test_invalid_parameter_value_names_op_and_argument():
    text = _doc([_var("data"), {"op": "Activation", "name": "a",
                                "attrs": {"act_type": "nope"}, "inputs": [[0, 0, 0]]}],
                [[1, 0, 0]], version=10901)
    with pytest.raises(MXNetError, match="Activation.*act_type.*nope"):
        mx.sym.load_json(text)


def test_missing_required_parameter_raises():
    text = _doc([_var("data"), {"op": "Activation", "name": "a", "inputs": [[0, 0, 0]]}],
                [[1, 0, 0]], version=10901)
    with pytest.raises(MXNetError, match="act_type"):
        mx.sym.load_json(text)


def test_missing_file_raises_mxnet_error(tmp_path):
    with pytest.raises(MXNetError, match="cannot open"):
        mx.sym.load(str(tmp_path / "absent.json"))
