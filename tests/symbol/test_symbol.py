"""Symbol structure and composition, checked against what MXNet 1.9.1 does:
naming, attributes, Group, indexing, children, composition, copies, pickling
and the arithmetic operators."""
import copy
import pickle

import pytest

import mxnet as mx
from mxnet.base import MXNetError, NotImplementedForSymbol


@pytest.fixture(autouse=True)
def fresh_names():
    with mx.name.NameManager():
        yield


def _fc(name="fc"):
    return mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name=name)


# -- naming ------------------------------------------------------------------------------
def test_unnamed_nodes_count_per_operator():
    x = mx.sym.var("x")
    a = mx.sym.FullyConnected(x, num_hidden=2)
    b = mx.sym.FullyConnected(a, num_hidden=2)
    assert (a.name, b.name, mx.sym.Activation(b, act_type="relu").name) == \
        ("fullyconnected0", "fullyconnected1", "activation0")
    assert b.list_arguments() == ["x", "fullyconnected0_weight", "fullyconnected0_bias",
                                  "fullyconnected1_weight", "fullyconnected1_bias"]


def test_prefix_applies_to_given_and_automatic_names_but_not_variables():
    x = mx.sym.var("x")
    with mx.name.Prefix("net_"):
        a = mx.sym.FullyConnected(x, num_hidden=3)
        b = mx.sym.FullyConnected(a, num_hidden=3, name="fc")
        v = mx.sym.var("v")
    assert (a.name, b.name, v.name) == ("net_fullyconnected0", "net_fc", "v")


def test_nested_name_manager_restarts_counting():
    x = mx.sym.var("x")
    outer = mx.sym.FullyConnected(x, num_hidden=3)
    with mx.name.NameManager():
        inner = mx.sym.FullyConnected(x, num_hidden=3)
    after = mx.sym.FullyConnected(x, num_hidden=3)
    assert (outer.name, inner.name, after.name) == \
        ("fullyconnected0", "fullyconnected0", "fullyconnected1")


def test_scalar_operator_names():
    x = mx.sym.var("x")
    assert [s.name for s in (x + 1, 1 - x, x * 2, 2 / x, x > 1, x == x)] == \
        ["_plusscalar0", "_rminusscalar0", "_mulscalar0", "_rdivscalar0",
         "_greater_scalar0", "_equal0"]


def test_reflected_power_is_named_like_mxnet():
    assert (2 ** mx.sym.var("x")).name == "_rpower_scalar0"


def test_operators_record_the_canonical_op_name_and_string_params():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    node = mx.sym.load_json((x + y).tojson())
    assert '"op": "elemwise_add"' in node.tojson()
    assert (x - 2.5).list_attr() == {"scalar": "2.5"}
    assert (-x).list_attr() == {"scalar": "-1.0"}


# -- attributes ---------------------------------------------------------------------------
def test_variable_attributes_are_stored_hidden_and_listed_both_ways():
    x = mx.sym.var("x", shape=(2, 3), dtype="float16", lr_mult=0.1, wd_mult=0,
                   init='["zero", {}]', stype="default", attr={"mood": "happy"})
    assert x.list_attr() == {
        "__shape__": "(2, 3)", "__dtype__": "2", "__lr_mult__": "0.1", "lr_mult": "0.1",
        "__wd_mult__": "0", "wd_mult": "0", "__init__": '["zero", {}]',
        "__storage_type__": "0", "mood": "happy"}
    assert x.attr("lr_mult") == x.attr("__lr_mult__") == "0.1"
    assert x.attr("nope") is None


def test_variable_rejects_plain_extra_attributes():
    with pytest.raises(ValueError, match="double underscores"):
        mx.sym.var("q", foo=1)
    assert mx.sym.var("w", __myattr__=3).list_attr() == {"__myattr__": "3"}


def test_attr_scope_nests_and_attr_argument_wins():
    with mx.AttrScope(ctx_group="dev1", __tag__="outer"):
        y = mx.sym.var("y")
        with mx.AttrScope(__tag__="inner"):
            z = mx.sym.var("z")
        fc = mx.sym.FullyConnected(y, num_hidden=2, attr={"__tag__": "fc"}, name="fc")
    assert y.list_attr() == {"__ctx_group__": "dev1", "ctx_group": "dev1", "__tag__": "outer"}
    assert z.attr("__tag__") == "inner" and z.attr("ctx_group") == "dev1"
    assert fc.list_attr() == {"__ctx_group__": "dev1", "ctx_group": "dev1", "__tag__": "fc",
                              "num_hidden": "2"}
    assert mx.sym.var("outside").list_attr() == {}


def test_automatic_variables_inherit_the_scope_attributes():
    with mx.AttrScope(ctx_group="dev1"):
        fc = mx.sym.FullyConnected(mx.sym.var("y"), num_hidden=2, name="fc")
    assert fc.attr_dict()["fc_weight"] == {"num_hidden": "2", "__ctx_group__": "dev1",
                                           "ctx_group": "dev1"}


def test_batchnorm_sets_initializers_on_given_aux_variables():
    mm, mv = mx.sym.var("mm", init="keep"), mx.sym.var("mv")
    bn = mx.sym.BatchNorm(mx.sym.var("x"), moving_mean=mm, moving_var=mv, name="bn")
    attrs = bn.attr_dict()
    assert attrs["mm"] == {"__init__": "keep"}
    assert attrs["mv"] == {"__init__": '["one", {}]'}


def test_attr_dict_covers_every_node_with_attributes():
    fc = _fc()
    assert fc.attr_dict() == {"fc_weight": {"num_hidden": "3"}, "fc_bias": {"num_hidden": "3"},
                              "fc": {"num_hidden": "3"}}


def test_set_attr_adds_a_hidden_key():
    x = mx.sym.var("x")
    x._set_attr(lr_mult="2")
    assert x.list_attr() == {"__lr_mult__": "2", "lr_mult": "2"}


# -- outputs, indexing, Group ----------------------------------------------------------
def test_group_concatenates_outputs_and_has_no_name():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    fc = _fc()
    sl = mx.sym.SliceChannel(fc, num_outputs=3, name="sl")
    g = mx.sym.Group([fc, sl[1], y])
    assert g.list_outputs() == ["fc_output", "sl_output1", "y"]
    assert len(g) == 3 and g.name is None
    assert mx.sym.Group([g, x]).list_outputs() == ["fc_output", "sl_output1", "y", "x"]
    assert [s.list_outputs() for s in g] == [["fc_output"], ["sl_output1"], ["y"]]


@pytest.mark.parametrize("bad", [[], [mx.sym.var("x"), 1]])
def test_group_of_non_symbols_raises_type_error(bad):
    with pytest.raises(TypeError):
        mx.sym.Group(bad)


def test_getitem_by_index_and_by_output_name():
    sl = mx.sym.SliceChannel(mx.sym.var("x"), num_outputs=3, name="sl")
    assert sl[2].list_outputs() == ["sl_output2"]
    assert sl["sl_output1"].list_outputs() == ["sl_output1"]
    assert _fc().get_internals()["fc_weight"].list_outputs() == ["fc_weight"]


def test_getitem_errors():
    sl = mx.sym.SliceChannel(mx.sym.var("x"), num_outputs=3, name="sl")
    with pytest.raises(ValueError):
        sl["nope"]
    with pytest.raises(IndexError):
        sl[5]


def test_get_internals_lists_every_entry_in_graph_order():
    assert _fc().get_internals().list_outputs() == ["x", "fc_weight", "fc_bias", "fc_output"]


def test_get_internals_leaves_out_hidden_outputs():
    bn = mx.sym.BatchNorm(mx.sym.var("x"), name="bn")
    assert bn.get_internals().list_outputs() == [
        "x", "bn_gamma", "bn_beta", "bn_moving_mean", "bn_moving_var", "bn_output"]


def test_get_children():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    fc = _fc()
    assert fc.get_children().list_outputs() == ["x", "fc_weight", "fc_bias"]
    assert x.get_children() is None
    assert (x + y).get_children().list_outputs() == ["x", "y"]
    sl = mx.sym.SliceChannel(fc, num_outputs=3, name="sl")
    assert sl[1].get_children().list_outputs() == ["fc_output"]


def test_get_children_of_a_group_covers_every_output():
    fc = _fc()
    sl = mx.sym.SliceChannel(fc, num_outputs=3, name="sl")
    g = mx.sym.Group([fc, sl[1], mx.sym.var("y")])
    assert g.get_children().list_outputs() == ["x", "fc_weight", "fc_bias", "fc_output"]


def test_lists_and_aux_states():
    bn = mx.sym.BatchNorm(_fc(), name="bn")
    assert bn.list_arguments() == ["x", "fc_weight", "fc_bias", "bn_gamma", "bn_beta"]
    assert bn.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert bn.list_inputs() == ["x", "fc_weight", "fc_bias", "bn_gamma", "bn_beta",
                                "bn_moving_mean", "bn_moving_var"]
    assert bn.list_outputs() == ["bn_output"]
    shown = mx.sym.BatchNorm(mx.sym.var("x"), output_mean_var=True, name="bn2")
    assert shown.list_outputs() == ["bn2_output", "bn2_mean", "bn2_var"]


def test_repr_shows_the_node_name():
    assert repr(mx.sym.var("x")) == "<Symbol x>"
    assert str(_fc()) == "<Symbol fc>"


def test_multi_output_node_keeps_its_name():
    sl = mx.sym.SliceChannel(mx.sym.var("x"), num_outputs=3, name="sl")
    assert sl.name == "sl" and repr(sl) == "<Symbol sl>"
    assert repr(mx.sym.Group([_fc(), mx.sym.var("y")])) == "<Symbol group [fc, y]>"


def test_truth_value_is_undefined():
    with pytest.raises(NotImplementedForSymbol):
        bool(mx.sym.var("x"))


# -- composition and copies ----------------------------------------------------------------
def test_composition_by_keyword_replaces_a_variable():
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc2")
    composed = net(data=_fc())
    assert composed.list_arguments() == ["x", "fc_weight", "fc_bias", "fc2_weight",
                                         "fc2_bias"]
    assert net.list_arguments() == ["data", "fc2_weight", "fc2_bias"]  # unchanged


def test_composition_can_rename_and_replace_parameters():
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc2")
    assert net(data=_fc(), name="renamed").name == "renamed"
    assert net(fc2_weight=mx.sym.var("w")).list_arguments() == ["data", "w", "fc2_bias"]


def test_composition_errors():
    net = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc2")
    with pytest.raises(MXNetError, match="foo"):
        net(foo=_fc())
    sl = mx.sym.SliceChannel(mx.sym.var("x"), num_outputs=3)
    with pytest.raises(MXNetError):
        net(data=sl)
    with pytest.raises((MXNetError, TypeError)):
        net(data=1)


def test_shared_variable_appears_once():
    x = mx.sym.var("x")
    assert (x * x + x).list_arguments() == ["x"]


def test_copy_and_deepcopy_give_equal_independent_graphs():
    net = _fc()
    for dup in (copy.copy(net), copy.deepcopy(net), net.__copy__()):
        assert dup is not net and dup.tojson() == net.tojson()
        dup._set_attr(__mark__="1")
        assert net.attr("__mark__") is None


def test_pickle_round_trip():
    g = mx.sym.Group([_fc(), mx.sym.var("y")])
    back = pickle.loads(pickle.dumps(g))
    assert back.tojson() == g.tojson()
    assert back.list_outputs() == ["fc_output", "y"]


# -- arithmetic ----------------------------------------------------------------------------
@pytest.mark.parametrize("expr, expected", [
    (lambda x, y: 2 + x, [3, 4]), (lambda x, y: x - 3, [-2, -1]),
    (lambda x, y: 3 - x, [2, 1]), (lambda x, y: 2 * x, [2, 4]),
    (lambda x, y: x / 2, [0.5, 1]), (lambda x, y: 2 / x, [2, 1]),
    (lambda x, y: x ** 2, [1, 4]), (lambda x, y: 2 ** x, [2, 4]),
    (lambda x, y: -x, [-1, -2]), (lambda x, y: abs(-x), [1, 2]),
    (lambda x, y: x % 2, [1, 0]), (lambda x, y: 5 % x, [0, 1]),
    (lambda x, y: x + y, [4, 6]), (lambda x, y: y - x, [2, 2]), (lambda x, y: x * y, [3, 8]),
    (lambda x, y: y / x, [3, 2]), (lambda x, y: x ** y, [1, 16]),
    (lambda x, y: x > 1, [0, 1]), (lambda x, y: 1 >= x, [1, 0]), (lambda x, y: x == 2, [0, 1]),
    (lambda x, y: x != y, [1, 1]), (lambda x, y: x < y, [1, 1]), (lambda x, y: x <= 1, [1, 0]),
    (lambda x, y: mx.sym.maximum(x, 1.5), [1.5, 2]), (lambda x, y: mx.sym.minimum(2, y),
                                                     [2, 2]),
    (lambda x, y: mx.sym.pow(2, x), [2, 4]), (lambda x, y: mx.sym.hypot(x, 0), [1, 2]),
])
def test_arithmetic_evaluates_like_the_numbers(expr, expected):
    x, y = mx.sym.var("x"), mx.sym.var("y")
    sym = expr(x, y)
    inputs = {"x": mx.nd.array([1, 2]), "y": mx.nd.array([3, 4])}
    out = sym.eval(ctx=mx.cpu(), **{k: v for k, v in inputs.items()
                                   if k in sym.list_arguments()})
    assert out[0].asnumpy().tolist() == expected


def test_arithmetic_with_unsupported_types_raises_type_error():
    with pytest.raises(TypeError):
        mx.sym.var("x") + "a"



def test_namespace_functions_name_nodes_as_mxnet_does():
    x = mx.sym.var("x")
    # Facts from MXNet 1.9.1: contrib/linalg/sparse/image functions use their short
    # name, the random wrappers and _internal functions the operator's full name.
    assert [mx.sym.contrib.box_nms(x).name, mx.sym.linalg.gemm2(x, x).name,
            mx.sym.sparse.retain(x, x).name, mx.sym.image.to_tensor(x).name,
            mx.sym.random.uniform().name, mx.sym._internal._plus(x, x).name] == \
        ["box_nms0", "gemm20", "retain0", "to_tensor0", "_random_uniform0", "_plus0"]
    conv = mx.sym.contrib.DeformableConvolution(x, kernel=(3, 3), num_filter=2)
    assert conv.list_arguments() == ["x", "deformableconvolution0_offset",
                                     "deformableconvolution0_weight",
                                     "deformableconvolution0_bias"]


_DEBUG_STR_FC = """Symbol Outputs:
\toutput[0]=softmax(0)
Variable:data
Variable:fc1_weight
Variable:fc1_bias
--------------------
Op:FullyConnected, Name=fc1
Inputs:
\targ[0]=data(0) version=0
\targ[1]=fc1_weight(0) version=0
\targ[2]=fc1_bias(0) version=0
Attrs:
\tnum_hidden=4
Variable:softmax_label
--------------------
Op:SoftmaxOutput, Name=softmax
Inputs:
\targ[0]=fc1(0)
\targ[1]=softmax_label(0) version=0
"""

_DEBUG_STR_BN = """Symbol Outputs:
\toutput[0]=sp(1)
\toutput[1]=bn(0)
Variable:x
--------------------
Op:SliceChannel, Name=sp
Inputs:
\targ[0]=x(0) version=0
Attrs:
\tnum_outputs=2
Variable:bn_gamma
Variable:bn_beta
Variable:bn_moving_mean
Variable:bn_moving_var
--------------------
Op:BatchNorm, Name=bn
Inputs:
\targ[0]=sp(0)
\targ[1]=bn_gamma(0) version=0
\targ[2]=bn_beta(0) version=0
\targ[3]=bn_moving_mean(0) version=1
\targ[4]=bn_moving_var(0) version=1
Attrs:
\t__lr_mult__=2
"""


def test_debug_str_is_mxnets_text():
    # Both texts were printed by MXNet 1.9.1 for these graphs.
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc1")
    out = mx.sym.SoftmaxOutput(fc, name="softmax")
    assert out.debug_str() == _DEBUG_STR_FC
    assert out.simple_bind(mx.cpu(), data=(2, 3)).debug_str() == _DEBUG_STR_FC
    parts = mx.sym.split(mx.sym.var("x"), num_outputs=2, name="sp")
    group = mx.sym.Group([parts[1], mx.sym.BatchNorm(parts[0], name="bn",
                                                     attr={"lr_mult": "2"})])
    assert group.debug_str() == _DEBUG_STR_BN


def test_attr_name_is_the_node_name():
    assert mx.sym.FullyConnected(mx.sym.var("d"), num_hidden=2, name="fc").attr("name") == "fc"
    assert mx.sym.var("d").attr("name") == "d"


def test_executor_forward_with_an_unknown_argument_is_a_type_error():
    exe = (mx.sym.var("x") * 2).simple_bind(mx.cpu(), x=(2,))
    with pytest.raises(TypeError, match="unknown argument 'foo'"):
        exe.forward(foo=mx.nd.ones(2))
