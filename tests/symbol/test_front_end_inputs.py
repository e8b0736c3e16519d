"""The symbol front end as MXNet 1.9.1 has it for list operators (inputs it
creates, counts it refuses), split_v2's argument and quantized_rnn's input
names. Expected names were read from MXNet 1.9.1; the JSON of the created
inputs is checked against its text in test_json_entries.py."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.symbol import monitor_names


def test_created_list_inputs_bind_and_run():
    with mx.name.NameManager():
        sym = mx.sym.Concat(mx.sym.var("a"), num_args=3, dim=0)
    assert sym.list_arguments() == ["a", "concat0_arg1", "concat0_arg2"]
    values = {name: np.full((1, 2), i, np.float32) for i, name in enumerate(sym.list_arguments())}
    ex = sym.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in values.items()})
    out = ex.forward()[0].asnumpy()
    np.testing.assert_array_equal(out, np.concatenate(list(values.values())))


def test_update_inputs_are_named_per_weight():
    with mx.name.NameManager():
        sym = mx.sym.multi_mp_sgd_mom_update(num_weights=2, lrs=(0.1, 0.1), wds=(0., 0.))
    names = [n[len("multi_mp_sgd_mom_update0_"):] for n in
             sym.list_arguments() + sym.list_auxiliary_states()]
    assert sorted(names) == sorted(f"{n}_{i}" for i in range(2)
                                   for n in ("weight", "grad", "mom", "weight32"))


@pytest.mark.parametrize("make, match", [
    (lambda: mx.sym.Concat(), "num_args.*at least 1, got 0"),
    (lambda: mx.sym.stack(axis=0), "num_args.*at least 1, got 0"),
    (lambda: mx.sym.Crop(num_args=4), r"num_args.*in \[1, 3\], got 4"),
])
def test_counts_out_of_mxnets_bounds_raise(make, match):
    with pytest.raises(MXNetError, match=match):
        make()


def test_more_inputs_than_the_count_raise():
    a, b, c = (mx.sym.var(n) for n in "abc")
    with pytest.raises(MXNetError, match="takes 2 inputs"):
        mx.sym.Concat(a, b, c, num_args=2)
    with pytest.raises(MXNetError, match="takes 1 inputs"):
        mx.sym.multi_all_finite(a, b)  # num_arrays defaults to 1


def test_only_num_args_is_counted_from_the_inputs():
    a, b = mx.sym.var("a"), mx.sym.var("b")
    assert mx.sym.Concat(a, b).list_attr()["num_args"] == "2"
    with pytest.raises(MXNetError, match="num_outputs"):
        mx.sym.amp_multicast(a, b)
    with pytest.raises(MXNetError, match="num_arrays"):
        mx.sym.multi_sum_sq(a, b)


def test_monitor_labels_follow_the_created_names():
    op = mx.sym.multi_sgd_update.op
    attrs = op.parse({"num_weights": "2", "lrs": "(0.1, 0.1)", "wds": "(0, 0)"})
    assert monitor_names.input_labels(op, attrs, 4) == ["weight_0", "grad_0", "weight_1",
                                                       "grad_1"]
    concat = mx.sym.Concat.op
    assert monitor_names.input_labels(concat, concat.parse({"num_args": "2"}), 2) == \
        ["arg0", "arg1"]


@pytest.mark.parametrize("split", [lambda x, s: x.split_v2(s), mx.sym.split_v2])
def test_split_v2_takes_an_int_or_a_tuple_only(split):
    x = mx.sym.var("x")
    for bad in ([1], np.int64(2)):
        with pytest.raises(ValueError, match="int or a tuple"):
            split(x, bad)
    assert len(split(x, (1, 2)).list_outputs()) == 3
    assert len(split(x, 2).list_outputs()) == 2


def test_split_v2_node_attributes_are_mxnets():
    x = mx.sym.var("x")
    assert x.split_v2((1, 3)).list_attr() == {
        "indices": "[0, 1, 3]", "sections": "0", "axis": "0", "squeeze_axis": "False"}
    parts = x.split_v2(2)
    assert parts.list_attr()["indices"] == "[]" and parts.list_attr()["sections"] == "2"
    outs = x.split_v2((1, 3)).bind(mx.cpu(), {"x": mx.nd.arange(4)}).forward()
    assert [o.asnumpy().tolist() for o in outs] == [[0], [1, 2], [3]]


def test_list_parameters_keep_their_brackets():
    sym = mx.sym.Reshape(mx.sym.var("x"), shape=[2, 3])
    assert sym.list_attr() == {"shape": "[2, 3]"}
    assert sym.infer_shape(x=(3, 2))[1] == [(2, 3)]


def test_attributes_of_a_multi_output_node_read_and_set_through_its_outputs():
    parts = mx.sym.split(mx.sym.var("x"), num_outputs=2, name="sp")
    parts._set_attr(k="v")
    assert parts.list_attr() == {"num_outputs": "2", "k": "v"} and parts.attr("k") == "v"
    group = mx.sym.Group([mx.sym.var("x"), mx.sym.var("y")])
    assert group.list_attr() == {} and group.attr("k") is None and group.name is None
    with pytest.raises(MXNetError, match="one node"):
        group._set_attr(k="v")


def _lstm(seed=0):
    rs = np.random.RandomState(seed)
    T, N, C, H = 3, 2, 3, 4
    x = rs.uniform(-1, 1, (T, N, C)).astype(np.float32)
    rest = [rs.uniform(-.5, .5, s).astype(np.float32)
            for s in ((4 * H * (C + H) + 8 * H,), (1, N, H), (1, N, H))]
    return x, rest, dict(state_size=H, num_layers=1, mode="lstm")


def test_quantized_rnn_graph_inputs_are_min_and_max_data():
    with mx.name.NameManager():
        sym = mx.sym.contrib.quantized_rnn(state_size=3, num_layers=1, mode="lstm")
    assert sym.list_arguments() == [f"quantized_rnn0_{n}" for n in (
        "data", "parameters", "state", "state_cell", "min_data", "max_data")]
    given = mx.sym.contrib.quantized_rnn(mx.sym.var("x"), min_data=mx.sym.var("lo"),
                                         state_size=3, num_layers=1, mode="lstm", name="q")
    assert given.list_arguments()[0] == "x" and given.list_arguments()[4] == "lo"
    assert mx.sym.load_json(given.tojson()).list_arguments() == given.list_arguments()
    with pytest.raises(MXNetError, match="data_scale"):
        mx.sym.contrib.quantized_rnn(data_scale=mx.sym.var("s"), state_size=3, num_layers=1,
                                     mode="lstm")


def test_quantized_rnn_runs_the_same_through_a_symbol_and_nd_keywords():
    x, rest, kw = _lstm()
    q, scale, shift = mx.nd.contrib.quantize_asym(mx.nd.array(x))
    params = [mx.nd.array(a) for a in rest]
    # mx.nd keeps MXNet's documented keywords
    expected = mx.nd.contrib.quantized_rnn(q, *params, data_scale=scale, data_shift=shift, **kw)
    sym = mx.sym.contrib.quantized_rnn(*[mx.sym.var(n) for n in "dpsc"], name="q", **kw)
    args = dict(zip(sym.list_arguments(), [q] + params + [scale, shift]))
    assert list(args)[4:] == ["q_min_data", "q_max_data"]
    outs = sym.bind(mx.cpu(), args).forward()
    assert len(outs) == 1  # the node has no state outputs without state_outputs
    np.testing.assert_array_equal(outs[0].asnumpy(), expected.asnumpy())
    with_states = mx.sym.contrib.quantized_rnn(*[mx.sym.var(n) for n in "dpsc"], name="q",
                                               state_outputs=True, **kw)
    ex = with_states.bind(mx.cpu(), args)
    ex.forward()
    assert list(ex.output_dict) == ["q_output", "q_state_output", "q_statecell_ouput"]
    expected = mx.nd.contrib.quantized_rnn(q, *params, scale, shift, state_outputs=True, **kw)
    for out, want in zip(ex.outputs, expected):
        np.testing.assert_array_equal(out.asnumpy(), want.asnumpy())


def test_a_failed_call_uses_up_its_automatic_name():
    a = mx.sym.var("a")
    with mx.name.NameManager():
        for bad in (dict(foo=1), dict(dim="x")):
            with pytest.raises(MXNetError):
                mx.sym.Concat(a, **bad)
        with pytest.raises(MXNetError):
            mx.sym.Concat()
        assert mx.sym.Concat(a).name == "concat3"
