"""Shape and type inference against MXNet 1.9.1: the zoo's inferred shapes and
dtypes, partial inference, hints from variables, and errors that name the node."""
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from . import ZOO, build, load_fixtures, missing_ops

META, _ = load_fixtures()


def _require(name):
    missing = missing_ops(name)
    if missing:
        pytest.skip(f"operators not registered yet: {missing}")


def _case(name):
    """(symbol loaded from MXNet's JSON, input shapes, input dtypes)."""
    _require(name)
    spec = build(mx, name)
    types = spec.get("types") or {k: "float32" for k in spec["shapes"]}
    return mx.sym.load_json(META[name]["json"]), spec["shapes"], types


def _as_lists(shapes):
    return [list(s) for s in shapes]


@pytest.mark.parametrize("name", list(ZOO))
def test_infer_shape_matches_mxnet(name):
    sym, shapes, _ = _case(name)
    args, outs, aux = sym.infer_shape(**shapes)
    assert _as_lists(args) == META[name]["arg_shapes"]
    assert _as_lists(outs) == META[name]["out_shapes"]
    assert _as_lists(aux) == META[name]["aux_shapes"]


@pytest.mark.parametrize("name", list(ZOO))
def test_infer_type_matches_mxnet(name):
    sym, _, types = _case(name)
    args, outs, aux = sym.infer_type(**types)
    names = (lambda ts: [np.dtype(t).name for t in ts])
    assert names(args) == META[name]["arg_types"]
    assert names(outs) == META[name]["out_types"]
    assert names(aux) == META[name]["aux_types"]


@pytest.mark.parametrize("name", list(ZOO))
def test_graph_built_here_infers_the_same_shapes(name):
    _require(name)
    spec = build(mx, name)
    args, outs, aux = spec["symbol"].infer_shape(**spec["shapes"])
    assert _as_lists(args) == META[name]["arg_shapes"]
    assert _as_lists(outs) == META[name]["out_shapes"]


def test_results_are_tuples_in_argument_output_aux_order():
    data = mx.sym.var("data")
    bn = mx.sym.BatchNorm(mx.sym.FullyConnected(data, num_hidden=3, name="fc"), name="bn")
    args, outs, aux = bn.infer_shape(data=(2, 5))
    assert args == [(2, 5), (3, 5), (3,), (3,), (3,)]
    assert outs == [(2, 3)] and aux == [(3,), (3,)]
    assert all(type(s) is tuple for s in args + outs + aux)


# -- partial inference -------------------------------------------------------------
def test_unknown_shapes_give_none_and_a_warning():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    with pytest.warns(UserWarning, match="(?s)Cannot decide shape.*x: \\(\\)"):
        assert fc.infer_shape() == (None, None, None)


def test_partial_inference_leaves_unknown_shapes_empty():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    assert fc.infer_shape_partial(fc_weight=(3, 5)) == ([(), (3, 5), ()], [()], [])


def test_zero_dimension_means_unknown():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    assert fc.infer_shape_partial(x=(0, 5)) == ([(0, 5), (3, 5), (3,)], [(0, 3)], [])
    with pytest.warns(UserWarning, match="x: \\(0, 5\\)"):
        assert fc.infer_shape(x=(0, 5)) == (None, None, None)


def test_partly_known_variable_shape_is_completed_by_inference():
    a, y = mx.sym.var("a", shape=(0, 3)), mx.sym.var("y")
    assert (a + y).infer_shape(y=(2, 3)) == ([(2, 3), (2, 3)], [(2, 3)], [])
    assert (a + y).infer_shape_partial() == ([(0, 3), (0, 3)], [(0, 3)], [])


def test_variable_shape_and_dtype_attributes_are_hints():
    a, y = mx.sym.var("a", shape=(2, 3), dtype="float16"), mx.sym.var("y")
    assert (a + y).infer_shape() == ([(2, 3), (2, 3)], [(2, 3)], [])
    assert (a + y).infer_type() == ([np.float16, np.float16], [np.float16], [])


def test_given_shape_overrides_the_variable_hint():
    a, y = mx.sym.var("a", shape=(2, 3)), mx.sym.var("y")
    assert (a + y).infer_shape(a=(3, 3)) == ([(3, 3), (3, 3)], [(3, 3)], [])


def test_shapes_flow_backwards_to_inputs():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    assert (x + y).infer_shape(x=(2, 3)) == ([(2, 3), (2, 3)], [(2, 3)], [])


def test_positional_shapes_follow_list_arguments():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    assert fc.infer_shape((2, 5)) == ([(2, 5), (3, 5), (3,)], [(2, 3)], [])


def test_unknown_types_give_none_and_partial_types_none_entries():
    x, z = mx.sym.var("x"), mx.sym.var("z")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert (x + z).infer_type() == (None, None, None)
    assert (x + z).infer_type_partial() == ([None, None], [None], [])
    assert (x + z).infer_type_partial(x="float64") == \
        ([np.float64, np.float64], [np.float64], [])


def test_numpy_dtype_objects_are_accepted():
    x = mx.sym.var("x")
    assert (x * 2).infer_type(x=np.float16) == ([np.float16], [np.float16], [])


# -- errors ----------------------------------------------------------------------------
def test_incompatible_shapes_name_the_node():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    with mx.name.NameManager():
        total = x + y
    with pytest.raises(MXNetError, match="_plus0"):
        total.infer_shape(x=(2, 3), y=(3, 2))


def test_wrong_weight_shape_names_the_node_and_input():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    with pytest.raises(MXNetError, match="fc.*weight.*\\(3, 5\\)"):
        fc.infer_shape(x=(2, 4), fc_weight=(3, 5))


def test_error_deep_in_a_graph_names_that_node():
    _require("lenet")
    sym = build(mx, "lenet")["symbol"]
    with pytest.raises(MXNetError, match="conv1.*kernel"):
        sym.infer_shape(data=(2, 1, 2, 2))  # smaller than the first kernel


def test_incompatible_types_name_the_node():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    with mx.name.NameManager():
        total = x + y
    with pytest.raises(MXNetError, match="_plus0.*float64.*float32"):
        total.infer_type(x="float64", y="float32")


def test_unknown_argument_name_raises():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, name="fc")
    with pytest.raises(MXNetError, match="'z'"):
        fc.infer_shape(z=(2, 3))


def test_more_positional_shapes_than_arguments_raises():
    with pytest.raises(MXNetError, match="2 positional"):
        mx.sym.var("x").infer_shape((2,), (3,))


@pytest.mark.parametrize("method,what,value", [
    ("infer_shape", "shapes", (2, 3)), ("infer_shape_partial", "shapes", (2, 3)),
    ("infer_type", "types", "float32"), ("infer_type_partial", "types", "float32")])
def test_known_values_are_given_by_position_or_by_name_not_both(method, what, value):
    # MXNet 1.9.1 refuses the mix with a ValueError (same text).
    fc = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    with pytest.raises(ValueError, match=f"known argument {what} either by positional or kwargs"):
        getattr(fc, method)(value, fc_weight=value)
    assert getattr(fc, method)(value)[0][0] == (value if what == "shapes" else np.float32)
