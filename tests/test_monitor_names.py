"""Monitor callbacks name and order what they report as MXNet 1.9.1 does:
``Executor.set_monitor_callback`` and ``mx.monitor.Monitor`` against the
sequences in tests/fixtures/monitor (tools/make_fixtures_monitor.py), and
the per-operator input/output naming table against what MXNet reported for
each operator."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.ops import registry
from mxnet.symbol import monitor_names

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "monitor")
with open(os.path.join(FIXTURES, "sequences.json")) as _f:
    SEQUENCES = json.load(_f)
with open(os.path.join(FIXTURES, "op_names.json")) as _f:
    OP_NAMES = json.load(_f)


def _graphs():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    relu = mx.sym.Activation(fc, act_type="relu", name="relu1")
    bn = mx.sym.BatchNorm(fc, name="bn")
    bn_relu = mx.sym.Activation(bn, act_type="relu", name="relu1")
    x = mx.sym.var("x")
    parts = mx.sym.split(x, num_outputs=2, axis=1, name="split0")
    with mx.name.NameManager():  # automatic names count from 0, as in the fixture run
        split = mx.sym.Group([parts[0] + 1, parts[1] * 2])
    return {"fc": (mx.sym.SoftmaxOutput(relu, name="softmax"), {"data": (2, 3)}),
            "bn": (mx.sym.SoftmaxOutput(bn_relu, name="softmax"), {"data": (2, 3)}),
            "split": (split, {"x": (2, 4)})}


@pytest.mark.parametrize("key", [k for k in SEQUENCES if not k.startswith("module/")])
def test_executor_monitor_reports_mxnets_names_in_mxnets_order(key):
    graph, monitor_all, is_train = key.split("/")
    sym, shapes = _graphs()[graph]
    exe = sym.simple_bind(mx.cpu(), grad_req="write", **shapes)
    names = []
    exe.set_monitor_callback(lambda n, a: names.append(n), monitor_all == "monitor_all=True")
    exe.forward(is_train=is_train == "is_train=True")
    assert names == SEQUENCES[key]


def test_monitor_all_reports_values_of_variables_and_inputs():
    sym, shapes = _graphs()["fc"]
    exe = sym.simple_bind(mx.cpu(), **shapes)
    exe.arg_dict["data"][:] = np.arange(6).reshape(2, 3)
    exe.arg_dict["fc1_weight"][:] = 0.5
    seen = {}
    exe.set_monitor_callback(lambda n, a: seen.setdefault(n, a.asnumpy()), monitor_all=True)
    exe.forward()
    np.testing.assert_array_equal(seen["data"], np.arange(6).reshape(2, 3))
    np.testing.assert_array_equal(seen["fc1_data"], seen["data"])
    np.testing.assert_allclose(seen["relu1_input0"], seen["fc1_output"])
    np.testing.assert_allclose(seen["fc1_output"],
                               np.arange(6).reshape(2, 3) @ np.full((3, 4), 0.5))


@pytest.mark.parametrize("monitor_all", [False, True])
@pytest.mark.parametrize("sort", [False, True])
def test_module_monitor_toc_names(monitor_all, sort):
    # Backward nodes' inputs (BatchNorm's saved statistics among them) and
    # outputs included.
    sym, _ = _graphs()["bn"]
    mod = mx.mod.Module(sym, data_names=["data"], label_names=["softmax_label"])
    mod.bind(data_shapes=[("data", (2, 3))], label_shapes=[("softmax_label", (2,))])
    mod.init_params(mx.init.Uniform(0.5))
    mod.init_optimizer()
    mon = mx.monitor.Monitor(1, pattern=".*", sort=sort, monitor_all=monitor_all)
    mod.install_monitor(mon)
    mon.tic()
    mod.forward_backward(mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.array([0, 1])]))
    mod.update()
    got = [[step, name] for step, name, _ in mon.toc()]
    assert got == SEQUENCES[f"module/monitor_all={monitor_all}/sort={sort}"]


def _canonical(name):
    op = registry.find(name)
    return None if op is None else op


@pytest.mark.parametrize("name", sorted(OP_NAMES))
def test_operator_naming_table_matches_mxnet(name):
    op = _canonical(name)
    if op is None:
        pytest.skip(f"{name} is not an operator here")
    recorded = OP_NAMES[name]
    positional = all(s == f"input{i}" for i, s in enumerate(recorded["inputs"]))
    assert (op.name in monitor_names.POSITIONAL_INPUTS) == positional
    named_outputs = not all(s == str(i) for i, s in enumerate(recorded["outputs"]))
    assert (op.name in monitor_names.NAMED_OUTPUTS) == named_outputs


@pytest.mark.parametrize("name", sorted(OP_NAMES))
def test_input_labels_match_mxnet_for_every_recorded_operator(name):
    op = _canonical(name)
    if op is None:
        pytest.skip(f"{name} is not an operator here")
    recorded = OP_NAMES[name]
    attrs = _recorded_attrs(op, recorded)
    assert monitor_names.input_labels(op, attrs, len(recorded["inputs"])) == recorded["inputs"]


def _recorded_attrs(op, recorded):
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in recorded["kwargs"].items()
              if k in op.params}
    if op.variadic is not None and op.variadic not in kwargs:
        kwargs[op.variadic] = len(recorded["inputs"])
    return op.parse(kwargs)


_DECLARED_OUTPUTS = [name for name in sorted(OP_NAMES) if _canonical(name) is not None
                     and _canonical(name).name in monitor_names.NAMED_OUTPUTS]


@pytest.mark.parametrize("name", _DECLARED_OUTPUTS)
def test_declared_output_names_match_mxnet(name):
    op = _canonical(name)
    recorded = OP_NAMES[name]
    names = op.output_names(_recorded_attrs(op, recorded))
    assert list(names)[:len(recorded["outputs"])] == recorded["outputs"]


@pytest.mark.parametrize("op_name,kwargs,count,expected", [
    ("FullyConnected", {"num_hidden": 2}, 3, ["data", "weight", "bias"]),
    ("FullyConnected", {"num_hidden": 2, "no_bias": True}, 2, ["data", "weight"]),
    ("elemwise_add", {}, 2, ["lhs", "rhs"]),
    ("Concat", {"num_args": 3}, 3, ["arg0", "arg1", "arg2"]),
    ("Activation", {"act_type": "relu"}, 1, ["input0"]),
    ("_plus_scalar", {"scalar": 1}, 1, ["input0"]),
    ("BatchNorm", {}, 5, ["data", "gamma", "beta", "moving_mean", "moving_var"]),
    ("where", {}, 3, ["condition", "x", "y"]),
])
def test_input_labels(op_name, kwargs, count, expected):
    op = registry.get(op_name)
    assert monitor_names.input_labels(op, op.parse(kwargs), count) == expected
    recorded = OP_NAMES.get(op_name)
    if recorded is not None and len(recorded["inputs"]) == count:
        assert recorded["inputs"] == expected


def test_hook_output_labels_number_undeclared_outputs():
    assert monitor_names.hook_output_labels(registry.get("Flatten"), ["f_output"], "f") == \
        ["f_0"]
    assert monitor_names.hook_output_labels(registry.get("BatchNorm"),
                                            ["bn_output", "bn_mean", "bn_var"], "bn") == \
        ["bn_output", "bn_mean", "bn_var"]
