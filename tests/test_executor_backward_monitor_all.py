"""With ``monitor_all``, an executor's backward reports what MXNet 1.9.1's
backward nodes show: their inputs (a variable first under its own name),
then their outputs, and the ``sum_grad`` nodes where gradients meet
(fixture from tools/make_fixtures_backward_monitor.py)."""
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
_spec = importlib.util.spec_from_file_location(
    "make_fixtures_backward_monitor", ROOT / "tools/make_fixtures_backward_monitor.py")
TOOL = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(TOOL)
CALLS = {key: rest for key, *rest in TOOL.CALLS}

# Operators whose MXNet backward node reads values that are not a head
# gradient, forward input or output (workspaces, saved statistics, masks):
# only their outputs are reported.
INPUTS_UNKNOWN = {key for key, entry in FIXTURE["ops"].items()
                  if any(kind == "other" for _, kind, _ in entry["inputs"])} | {"Dropout"}


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


@pytest.mark.parametrize("key", sorted(set(FIXTURE["ops"]) & set(CALLS)))
def test_backward_node_reports_match_mxnet(key):
    fn, shapes, kwargs, integers = CALLS[key]
    make = getattr(mx.sym, fn, None) or getattr(mx.sym._internal, fn)
    sym = make(*[mx.sym.var(f"v{i}") for i in range(len(shapes))], name="node", **kwargs)
    got = backward_names(sym, {f"v{i}": s for i, s in enumerate(shapes)}, integers)
    # (MXNet also shows the head gradients it was given, through identity nodes.)
    want = [n for n in FIXTURE["ops"][key]["reported"] if not n.startswith("_head_grad")]
    if key in INPUTS_UNKNOWN:
        want = [n for n in want if n.startswith("node_backward_output")]
    assert got == want


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
