"""With ``monitor_all``, an executor's backward reports what MXNet 1.9.1's
backward nodes show: their inputs (a variable first under its own name;
hidden values such as saved statistics, masks and max pooling's workspace
included), then their outputs, and the ``sum_grad`` nodes where gradients
meet: the same names in the same order, with the same values, run here on
MXNet's inputs and head gradients (fixture from
tools/make_fixtures_backward_monitor.py)."""
import ast
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest

import mxnet as mx
from mxnet.graph.backward_reports import NO_NODE

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = json.loads((ROOT / "tests/fixtures/monitor/backward_nodes.json").read_text())
VALUES = dict(np.load(ROOT / "tests/fixtures/monitor/backward_values.npz"))
_spec = importlib.util.spec_from_file_location(
    "make_fixtures_backward_monitor", ROOT / "tools/make_fixtures_backward_monitor.py")
TOOL = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(TOOL)
CALLS = {key: rest for key, *rest in TOOL.CALLS}
KEYS = sorted(set(FIXTURE["ops"]) & set(CALLS))

# Random values (Dropout's mask) cannot match MXNet's: checked by what they mean instead.
RANDOM = {"Dropout"}


def backward_names(sym, shapes, integers=(), out_grads=True, monitor_all=True):
    exe = sym.simple_bind(mx.cpu(), grad_req="write", **shapes)
    rs = np.random.RandomState(0)
    for i, arr in enumerate(exe.arg_dict.values()):
        arr[:] = rs.randint(0, 2, arr.shape) if i in integers else rs.uniform(-1, 1, arr.shape)
    outs = exe.forward(is_train=True)
    names = []
    exe.set_monitor_callback(lambda n, a: names.append(n), monitor_all)
    exe.backward([mx.nd.ones(o.shape) for o in outs] if out_grads else None)
    return names


def _fixture_arrays(key, group):
    """MXNet's arrays of ``group`` (args, aux, ograds, reports) for call ``key``."""
    flat, arrays, at = VALUES[f"{key}|{group}"], [], 0
    for meta in FIXTURE["ops"][key]["arrays"][group]:
        dtype, shape = meta.split(" ", 1)
        shape = ast.literal_eval(shape)
        size = int(np.prod(shape, dtype=np.int64))
        arrays.append(flat[at:at + size].astype(dtype).reshape(shape))
        at += size
    return arrays


def monitored(key, monitor_all=True):
    """(executor, [(name, value)]) of the fixture's call run here on MXNet's
    inputs and head gradients (MXNet's head-gradient nodes left out)."""
    fn, shapes, kwargs, _ = CALLS[key]
    make = getattr(mx.sym, fn, None) or getattr(mx.sym._internal, fn)
    sym = make(*[mx.sym.var(f"v{i}") for i in range(len(shapes))], name="node", **kwargs)
    no_grad = TOOL.NO_GRAD.get(key, ())
    reqs = {n: "null" if i in no_grad else "write" for i, n in enumerate(sym.list_arguments())}
    exe = sym.simple_bind(mx.cpu(), grad_req=reqs, **{f"v{i}": s for i, s in enumerate(shapes)})
    for arr, value in zip(exe.arg_arrays, _fixture_arrays(key, "args")):
        arr[:] = value
    for arr, value in zip(exe.aux_arrays, _fixture_arrays(key, "aux")):
        arr[:] = value
    calls = []
    exe.set_monitor_callback(lambda n, a: calls.append((n, a.asnumpy())), monitor_all)
    exe.forward(is_train=True)
    del calls[:]
    exe.backward([mx.nd.array(g) for g in _fixture_arrays(key, "ograds")])
    return exe, calls


def _mxnet_reports(key, plain=False):
    entry = FIXTURE["ops"][key]
    names = entry["reported_plain"] if plain else entry["reported"]
    values = _fixture_arrays(key, "reports")
    return [(n, v) for n, v in zip(names, values if not plain else [None] * len(names))
            if not n.startswith("_head_grad")]


def _same_value(key, name, got, want):
    if name == "node_backward_input4" and key.startswith("Pooling"):
        # Max pooling's workspace: MXNet writes a byte per output element (an
        # int32 for windows of 256 cells or more) and leaves the rest unwritten.
        _, shapes, kwargs, _ = CALLS[key]
        window = shapes[0][2:] if kwargs.get("global_pool") else kwargs["kernel"]
        used = got.size * (1 if np.prod(window) < 256 else 4)
        got, want = got.view(np.uint8).ravel()[:used], want.view(np.uint8).ravel()[:used]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{key}: {name}")


@pytest.mark.parametrize("key", KEYS)
def test_backward_node_reports_match_mxnet(key):
    _, got = monitored(key)
    want = _mxnet_reports(key)
    assert [n for n, _ in got] == [n for n, _ in want]
    if key in RANDOM:
        return
    # (MXNet leaves a label's gradient unwritten.)
    unwritten = CALLS[key][0].endswith("Output") or CALLS[key][0] == "softmax_cross_entropy"
    for (name, value), (_, expected) in zip(got, want):
        if not (unwritten and name == "node_backward_output1"):
            _same_value(key, name, value, expected)


@pytest.mark.parametrize("key", KEYS)
def test_backward_reports_without_monitor_all_match_mxnet(key):
    _, got = monitored(key, monitor_all=False)
    assert [n for n, _ in got] == [n for n, _ in _mxnet_reports(key, plain=True)]


@pytest.mark.parametrize("key", sorted(FIXTURE["plain_only"]))
def test_older_operators_name_backward_outputs_after_the_inputs(key):
    # (MXNet's monitor_all hangs on these: only the plain names are known.)
    fn, shapes, kwargs, integers = next(c[1:] for c in TOOL.PLAIN_ONLY if c[0] == key)
    sym = getattr(mx.sym, fn)(*[mx.sym.var(f"v{i}") for i in range(len(shapes))], name="node",
                              **kwargs)
    got = backward_names(sym, {f"v{i}": s for i, s in enumerate(shapes)}, integers,
                         monitor_all=False)
    assert got == [n for n in FIXTURE["plain_only"][key] if not n.startswith("_head_grad")]


def test_dropout_reports_its_mask_and_the_masked_gradient():
    exe, calls = monitored("Dropout")
    got = dict(calls)
    ograd, mask = got["node_backward_input0"], got["node_backward_input1"]
    p = CALLS["Dropout"][2]["p"]
    assert set(np.unique(mask)) <= {0, np.float32(1 / (1 - p))}
    np.testing.assert_allclose(got["node_backward_output"], ograd * mask, rtol=1e-6)
    np.testing.assert_allclose(exe.outputs[0].asnumpy(), exe.arg_dict["v0"].asnumpy() * mask,
                               rtol=1e-6)


def test_a_monitor_set_after_forward_fails_clearly_where_values_were_freed():
    sym = mx.sym.LayerNorm(mx.sym.var("x"), name="ln")
    exe = sym.simple_bind(mx.cpu(), x=(2, 4))
    exe.forward(is_train=True)
    exe.set_monitor_callback(lambda n, a: None, True)
    with pytest.raises(mx.base.MXNetError, match="set the monitor callback before forward"):
        exe.backward(mx.nd.ones((2, 4)))


def test_batch_norm_reports_moving_statistics_before_backward_updates_them():
    exe, calls = monitored("BatchNorm/fix_gamma_off")
    got = dict(calls)
    np.testing.assert_array_equal(got["node_moving_mean"], _fixture_arrays(
        "BatchNorm/fix_gamma_off", "aux")[0])
    assert not np.array_equal(exe.aux_dict["node_moving_mean"].asnumpy(),
                              got["node_moving_mean"])


def test_pass_through_gradients_have_no_backward_node():
    reported = FIXTURE["ops"]["elemwise_add"]["reported"]
    assert not [n for n in reported if n.startswith("node")]
    assert "elemwise_add" in NO_NODE


def _shared(n):
    h = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc1")
    s = h * 1
    for k in range(2, n + 1):
        s = s + h * k
    return mx.sym.SoftmaxOutput(s, name="softmax")


@pytest.mark.parametrize("n", sorted(FIXTURE["sums"], key=int))
def test_gradient_sums_are_reported_as_mxnet(n):
    def normal(names):  # node numbering depends on what the process made before
        return [re.sub(r"_mulscalar\d+", "_mulscalar", x) for x in names]
    got = backward_names(_shared(int(n)), {"data": (2, 5)}, out_grads=False)
    assert normal(got) == normal(FIXTURE["sums"][n])
    plain = backward_names(_shared(int(n)), {"data": (2, 5)}, out_grads=False,
                           monitor_all=False)
    assert normal(plain) == [x for x in normal(FIXTURE["sums"][n])
                             if "_backward_output" in x or x.endswith("sum_grad_output")
                             or x == "sum_grad_final_output"]


def test_sum_values_are_the_terms_and_their_total():
    exe = _shared(3).simple_bind(mx.cpu(), grad_req="write", data=(2, 5))
    for arr in exe.arg_dict.values():
        arr[:] = np.random.RandomState(1).uniform(-1, 1, arr.shape)
    exe.forward(is_train=True)
    seen = {}
    exe.set_monitor_callback(lambda n, a: seen.setdefault(n, a.asnumpy()), True)
    exe.backward()
    terms = [seen[f"sum_grad_arg{k}"] for k in range(3)]
    np.testing.assert_allclose(sum(terms), seen["sum_grad_output"], rtol=1e-6)
    np.testing.assert_array_equal(seen["fc1_backward_input0"], seen["sum_grad_output"])
    np.testing.assert_array_equal(seen["fc1_backward_input2"], exe.arg_dict["fc1_weight"].asnumpy())
