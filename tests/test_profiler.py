"""mx.profiler: operator events in Chrome traces, aggregate tables, user objects."""
import json
import threading
import time
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import profiler
from mxnet.base import MXNetError
from mxnet.graph import plan
from mxnet.ndarray import invoke


@pytest.fixture
def prof(tmp_path, monkeypatch):
    """A fresh profiler writing to a temporary file; stopped afterwards."""
    monkeypatch.setattr(profiler, "_prof", profiler._Profiler())
    path = tmp_path / "trace.json"
    profiler.set_config(filename=str(path), continuous_dump=False, aggregate_stats=True)
    yield path
    profiler.set_state("stop")


def _trace(path):
    profiler.dump(finished=False)
    with open(path) as f:
        return json.load(f)


def _events(path, ph="X", cat="operator"):
    return [e for e in _trace(path)["traceEvents"] if e["ph"] == ph and e["cat"] == cat]


def _process_names(doc):
    return {e["pid"]: e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "process_name"}


def test_hooks_are_absent_unless_recording(prof):
    assert invoke._profiler_hook is None and plan._profiler_hook is None
    profiler.set_state("run")
    assert invoke._profiler_hook is not None and plan._profiler_hook is not None
    profiler.pause()
    assert invoke._profiler_hook is None and plan._profiler_hook is None
    profiler.resume()
    assert invoke._profiler_hook is not None
    profiler.set_state("stop")
    assert invoke._profiler_hook is None and plan._profiler_hook is None


def test_each_imperative_call_is_one_event_on_its_device(prof):
    a = mx.nd.ones((4, 4))
    profiler.set_state("run")
    b = a + a
    c = mx.nd.dot(a, b)
    mx.nd.waitall()
    profiler.set_state("stop")
    mx.nd.relu(c)  # after stop: not recorded
    np.testing.assert_allclose(c.asnumpy(), np.full((4, 4), 8.0))
    doc = _trace(prof)
    ops = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert [e["name"] for e in ops] == ["broadcast_add", "dot"]
    names = _process_names(doc)
    threads = {(e["pid"], e["tid"]) for e in doc["traceEvents"] if e["name"] == "thread_name"}
    for e in ops:
        assert names[e["pid"]] == "cpu/0"
        assert (e["pid"], e["tid"]) in threads
        assert e["dur"] >= 0 and e["ts"] > 1e15  # wall-clock microseconds
    assert ops[0]["ts"] <= ops[1]["ts"]
    assert doc["displayTimeUnit"] == "ms"


def test_engine_pushed_ops_are_timed_on_the_worker_thread(prof):
    if not mx.engine.get().threaded:
        pytest.skip("needs a threaded engine")
    big = mx.nd.ones((800, 800))  # both inputs: above the inline size, so it is pushed
    profiler.set_state("run")
    out = mx.nd.dot(big, big)
    out.wait_to_read()
    profiler.set_state("stop")
    doc = _trace(prof)
    (ev,) = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["name"] == "dot"]
    threads = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
               if e["ph"] == "M" and e["name"] == "thread_name"}
    assert ev["tid"] != threading.get_ident()
    assert threads[ev["tid"]].startswith("mxnet-engine")
    assert out.asnumpy()[0, 0] == 800


def test_errors_still_surface_while_profiling(prof):
    profiler.set_state("run")
    with pytest.raises(MXNetError, match="dot"):
        mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((2, 3))).wait_to_read()


def test_gradient_ops_are_recorded(prof):
    x = mx.nd.array([1.0, 2.0])
    x.attach_grad()
    profiler.set_state("run")
    with mx.autograd.record():
        y = (x * x).sum()
    y.backward()
    profiler.set_state("stop")
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0])
    names = [e["name"] for e in _events(prof)]
    assert {"broadcast_mul", "sum"} <= set(names)
    assert len(names) > 2  # the backward pass ran operators too


def _executor():
    x = mx.sym.var("x")
    y = mx.sym.relu(mx.sym.FullyConnected(x, num_hidden=3, name="fc"), name="act")
    return y.simple_bind(mx.cpu(), x=(2, 5))


def test_graph_steps_are_recorded_with_their_node_names(prof):
    ex = _executor()
    profiler.set_config(profile_imperative=False)
    profiler.set_state("run")
    ex.forward(x=mx.nd.ones((2, 5)))
    ex.outputs[0].wait_to_read()
    profiler.set_state("stop")
    steps = _events(prof)
    # Inference runs the folded graph: the dense layer is MXNet's fused node.
    assert [(e["name"], e["args"]["node"]) for e in steps] == [
        ("_sg_mkldnn_fully_connected", "sg_mkldnn_fully_connected_0"), ("relu", "act")]


def test_profile_symbolic_false_leaves_graph_steps_out(prof):
    ex = _executor()
    profiler.set_config(profile_symbolic=False)
    profiler.set_state("run")
    ex.forward()
    ex.outputs[0].wait_to_read()
    profiler.set_state("stop")
    assert not [e for e in _events(prof) if "node" in e.get("args", {})]


def test_hybridized_block_steps_are_recorded(prof):
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    net.hybridize()
    net(mx.nd.ones((1, 3))).wait_to_read()  # build the cached graph first
    profiler.set_config(profile_imperative=False)
    profiler.set_state("run")
    net(mx.nd.ones((1, 3))).wait_to_read()
    profiler.set_state("stop")
    assert "_sg_mkldnn_fully_connected" in [e["name"] for e in _events(prof)]


def test_pause_and_resume(prof):
    a = mx.nd.ones((2,))
    profiler.set_state("run")
    a + 1
    mx.nd.waitall()
    profiler.pause()
    a * 2
    profiler.resume()
    a - 3
    mx.nd.waitall()
    profiler.set_state("stop")
    assert [e["name"] for e in _events(prof)] == ["_plus_scalar", "_minus_scalar"]


def test_dumps_table_lists_count_and_times_per_operator(prof):
    a = mx.nd.ones((3,))
    profiler.set_state("run")
    for _ in range(3):
        a + 1
    a * 2
    mx.nd.waitall()
    profiler.set_state("stop")
    table = profiler.dumps()
    assert "Profile Statistics" in table and "operator\n=====" in table
    assert "Time (ms)" in table and "Avg Time (ms)" in table
    rows = {line.split()[0]: line.split() for line in table.splitlines()
            if line.startswith(("_plus_scalar", "_mul_scalar"))}
    assert rows["_plus_scalar"][1] == "3" and rows["_mul_scalar"][1] == "1"
    count_order = profiler.dumps(sort_by="count", ascending=True)
    assert count_order.index("_mul_scalar") < count_order.index("_plus_scalar")


def test_dumps_json_and_reset(prof):
    profiler.set_state("run")
    mx.nd.ones((2,)) + 1
    mx.nd.waitall()
    profiler.set_state("stop")
    doc = json.loads(profiler.dumps(format="json", reset=True))
    entry = doc["Time"]["operator"]["_plus_scalar"]
    assert entry["Count"] == 1 and entry["Min"] <= entry["Avg"] <= entry["Max"]
    assert doc["Unit"]["Time"] == "ms"
    assert json.loads(profiler.dumps(format="json"))["Time"] == {}


def test_dumps_is_empty_without_aggregate_stats(prof):
    profiler.set_config(aggregate_stats=False)
    profiler.set_state("run")
    mx.nd.ones((2,)) + 1
    profiler.set_state("stop")
    assert profiler.dumps() == ""


def test_dump_finished_starts_a_new_trace(prof):
    a = mx.nd.ones((2,))
    profiler.set_state("run")
    a + 1
    mx.nd.waitall()
    profiler.dump(finished=True)
    a * 2
    mx.nd.waitall()
    profiler.set_state("stop")
    assert [e["name"] for e in _events(prof)] == ["_mul_scalar"]


def test_dump_before_any_run_is_an_error(prof):
    with pytest.raises(MXNetError, match="set_state"):
        profiler.dump()


def test_continuous_dump_rewrites_the_file_while_running(prof):
    profiler.set_config(continuous_dump=True, dump_period=0.02)
    profiler.set_state("run")
    mx.nd.ones((2,)) + 1
    mx.nd.waitall()
    deadline = time.time() + 5
    while not prof.exists() and time.time() < deadline:
        time.sleep(0.01)
    with open(prof) as f:
        assert "_plus_scalar" in [e["name"] for e in json.load(f)["traceEvents"]]
    mx.nd.ones((2,)) * 2
    mx.nd.waitall()
    profiler.set_state("stop")  # stopping writes the final state
    with open(prof) as f:
        assert "_mul_scalar" in [e["name"] for e in json.load(f)["traceEvents"]]


def test_scope_prefixes_operator_names(prof):
    profiler.set_state("run")
    a = mx.nd.ones((2,))
    with profiler.scope("fwd"):
        a + 1
        with profiler.scope("inner:", append_mode=True):
            a * 2
        a - 1
    a / 2
    mx.nd.waitall()
    profiler.set_state("stop")
    assert [e["name"] for e in _events(prof)] == [
        "_ones", "fwd:_plus_scalar", "fwd:inner:_mul_scalar", "fwd:_minus_scalar", "_div_scalar"]


def test_domain_objects_write_their_events(prof):
    profiler.set_state("run")
    domain = profiler.Domain("train")
    task = domain.new_task("batch")
    task.start()
    task.stop()
    frame = domain.new_frame("epoch")
    frame.start()
    frame.stop()
    event = profiler.Event("load")
    event.start()
    event.stop()
    counter = domain.new_counter("samples", 10)
    counter += 5
    counter.decrement(2)
    domain.new_marker("checkpoint").mark("global")
    profiler.set_state("stop")
    assert [e["name"] for e in _events(prof, cat="train")] == ["batch"]
    assert [e["name"] for e in _events(prof, cat="train,frame")] == ["epoch"]
    assert [e["name"] for e in _events(prof, cat="event")] == ["load"]
    assert [e["args"]["samples"] for e in _events(prof, "C", "train")] == [10, 15, 13]
    (mark,) = _events(prof, "i", "train,instant_marker")
    assert mark["name"] == "checkpoint" and mark["s"] == "g"
    assert str(domain) == "train" and str(task) == "batch"
    table = profiler.dumps()
    assert "train (counters)" in table and "batch" in table


def test_stop_without_start_and_objects_outside_a_run_record_nothing(prof):
    profiler.set_state("run")
    task = profiler.Domain("d").new_task("t")
    task.stop()
    profiler.set_state("stop")
    task.start()
    task.stop()
    assert _events(prof, cat="d") == []


def test_string_config_values_and_legacy_names(prof):
    profiler.set_config(profile_imperative="False", aggregate_stats="1")
    assert profiler._prof.config["profile_imperative"] is False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        profiler.profiler_set_config(mode="all", filename=str(prof))
        profiler.profiler_set_state("run")
        mx.nd.ones((2,)) + 1
        mx.nd.waitall()
        profiler.profiler_set_state("stop")
        profiler.dump_profile()
    assert len([w for w in caught if issubclass(w.category, DeprecationWarning)]) == 4
    with open(prof) as f:
        assert "_plus_scalar" in [e["name"] for e in json.load(f)["traceEvents"]]
    assert profiler.state() == "stop"


@pytest.mark.parametrize("call, match", [
    (lambda: profiler.set_config(bogus=1), "bogus"),
    (lambda: profiler.set_config(profile_all="maybe"), "profile_all expects a boolean"),
    (lambda: profiler.set_config(dump_period="soon"), "dump_period"),
    (lambda: profiler.set_state("go"), "'run' or 'stop'"),
    (lambda: profiler.set_state("run", profile_process="server"), "server"),
    (lambda: profiler.dumps(format="xml"), "format"),
    (lambda: profiler.dumps(sort_by="median"), "sort_by"),
    (lambda: profiler.dumps(ascending="yes"), "ascending"),
    (lambda: profiler.Domain("d").new_marker("m").mark("galaxy"), "scope"),
    (lambda: profiler.profiler_set_config(mode="imperative"), "mode"),
])
def test_bad_arguments_raise_mxnet_error(prof, call, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(MXNetError, match=match):
            call()
