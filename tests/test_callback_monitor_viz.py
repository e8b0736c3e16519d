"""``mx.callback`` log formats and checkpoints, ``mx.monitor.Monitor``, and
``mx.viz`` (print_summary's table against MXNet 1.9.1's text, plot_network
with and without graphviz)."""
import contextlib
import io
import json
import os
import sys
import types

import numpy as np
import pytest

import mxnet as mx
from mxnet import callback, visualization
from mxnet.base import MXNetError
from mxnet.model import BatchEndParam
from mxnet.module import Module
from mxnet.monitor import Monitor

from module import BATCH, bn_net, mlp  # tests/module (pytest puts tests/ on sys.path)

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "module")
SUMMARIES = json.load(open(os.path.join(FIXTURES, "results.json")))["summary"]


class _Clock:
    """Stands in for ``time.time`` in mxnet.callback: each call advances 0.5 s."""

    def __init__(self):
        self.now = 100.0

    def time(self):
        self.now += 0.5
        return self.now


def _metric(value):
    metric = mx.metric.Accuracy()
    metric.sum_metric, metric.num_inst = value, 1
    metric.global_sum_metric, metric.global_num_inst = value, 1
    return metric


def _messages(caplog):
    return [r.getMessage() for r in caplog.records]


def test_speedometer_logs_mxnet_format_and_resets_metric(monkeypatch, caplog):
    monkeypatch.setattr(callback, "time", _Clock())
    speed = callback.Speedometer(batch_size=10, frequent=2)
    metric = _metric(0.75)
    with caplog.at_level("INFO"):
        for nbatch in range(5):
            speed(BatchEndParam(epoch=3, nbatch=nbatch, eval_metric=metric, locals=None))
    # 2 batches * 10 samples over the 0.5 s between two clock reads.
    assert _messages(caplog) == [
        "Epoch[3] Batch [0-2]\tSpeed: 40.00 samples/sec\taccuracy=0.750000",
        "Epoch[3] Batch [2-4]\tSpeed: 40.00 samples/sec\taccuracy=nan",
    ]


def test_speedometer_without_reset_or_metric(monkeypatch, caplog):
    monkeypatch.setattr(callback, "time", _Clock())
    cumulative = callback.Speedometer(batch_size=4, frequent=1, auto_reset=False)
    bare = callback.Speedometer(batch_size=4, frequent=1)
    with caplog.at_level("INFO"):
        for nbatch in range(2):
            cumulative(BatchEndParam(0, nbatch, _metric(1.0), None))
        for nbatch in range(2):
            bare(BatchEndParam(0, nbatch, None, None))
    assert _messages(caplog) == [
        "Epoch[0] Batch [0-1]\tSpeed: 8.00 samples/sec\taccuracy=1.000000",
        "Iter[0] Batch [1]\tSpeed: 8.00 samples/sec",
    ]


def test_log_train_metric_progress_bar_and_validation_callback(caplog):
    with caplog.at_level("INFO"):
        callback.log_train_metric(2)(BatchEndParam(1, 4, _metric(0.5), None))
        callback.ProgressBar(total=4, length=8)(BatchEndParam(0, 1, None, None))
        callback.LogValidationMetricsCallback()(BatchEndParam(2, 0, _metric(0.25), None))
    assert _messages(caplog) == ["Iter[1] Batch[4] Train-accuracy=0.500000",
                                 "[==------] 25%\r",
                                 "Epoch[2] Validation-accuracy=0.250000"]


def test_do_checkpoint_saves_every_period(tmp_path):
    save = callback.do_checkpoint(str(tmp_path / "net"), period=2)
    symbol = mlp(mx)
    args = {"fc1_weight": mx.nd.ones((16, 6))}
    for epoch in range(4):
        save(epoch, symbol, args, {})
    assert sorted(os.listdir(tmp_path)) == ["net-0002.params", "net-0004.params",
                                            "net-symbol.json"]


def test_module_checkpoint_saves_module_and_states(tmp_path):
    mod = Module(mlp(mx))
    mod.bind([("data", (BATCH, 6))], [("softmax_label", (BATCH,))])
    mod.init_params()
    mod.init_optimizer()
    callback.module_checkpoint(mod, str(tmp_path / "m"), save_optimizer_states=True)(0)
    assert sorted(os.listdir(tmp_path)) == ["m-0001.params", "m-0001.states",
                                            "m-symbol.json"]


def _bound_executor():
    ex = mlp(mx).simple_bind(mx.cpu(), data=(2, 6))
    for name, arr in ex.arg_dict.items():
        arr[:] = np.full(arr.shape, 0.5 if name != "softmax_label" else 1)
    return ex


def test_monitor_collects_on_interval_with_pattern_and_sort(caplog):
    ex = _bound_executor()
    mon = Monitor(2, pattern="fc1.*", sort=True)
    mon.install(ex)
    results = []
    for _ in range(3):
        mon.tic()
        ex.forward(is_train=False)
        results.append(mon.toc())
    assert [len(r) for r in results] == [3, 0, 3]
    assert [name for _, name, _ in results[0]] == ["fc1_bias", "fc1_output", "fc1_weight"]
    assert (results[0][0][0], results[2][0][0]) == (1, 3)
    weight = dict((name, text) for _, name, text in results[0])["fc1_weight"]
    assert weight == "0.5\t"  # root mean square of an all-0.5 array
    mon.tic()  # step 3: skipped
    assert mon.toc() == []
    mon.tic()
    ex.forward()
    with caplog.at_level("INFO"):
        mon.toc_print()
    assert caplog.records[0].getMessage().startswith("Batch:       5 fc1_bias")


def test_monitor_all_sees_node_inputs():
    ex = _bound_executor()
    mon = Monitor(1, stat_func=lambda x: [mx.nd.max(x), mx.nd.min(x)],
                  pattern="fc2_(data|weight|bias)", monitor_all=True)
    mon.install(ex)
    mon.tic()
    ex.forward()
    res = mon.toc()
    assert {name for _, name, _ in res} == {"fc2_data", "fc2_weight", "fc2_bias"}
    assert all(text.count("\t") == 2 for _, _, text in res)


def _conv_net():
    conv = mx.sym.Convolution(mx.sym.var("data"), kernel=(3, 3), num_filter=4, name="conv")
    pool = mx.sym.Pooling(conv, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool")
    flat = mx.sym.Flatten(pool, name="flat")
    return mx.sym.concat(flat, flat, dim=1, name="cat") + 1


SUMMARY_CASES = {  # as in tools/make_fixtures_module.py
    "mlp_shape": (mlp, {"data": (BATCH, 6)}, {}),
    "bn_shape": (bn_net, {"data": (BATCH, 6)}, {}),
    "mlp_noshape": (mlp, None, {}),
    "conv_80": (lambda _: _conv_net(), {"data": (1, 3, 8, 8)}, {"line_length": 80}),
}


@pytest.mark.parametrize("case", sorted(SUMMARIES))
def test_print_summary_prints_mxnet_table(case):
    build, shape, kwargs = SUMMARY_CASES[case]
    with mx.name.NameManager():  # fresh automatic names (_plusscalar0)
        symbol = build(mx)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        visualization.print_summary(symbol, shape=shape, **kwargs)
    assert buf.getvalue() == SUMMARIES[case]


def test_print_summary_rejects_bad_input():
    with pytest.raises(TypeError, match="symbol must be Symbol"):
        visualization.print_summary("not a symbol")
    with pytest.raises(ValueError, match="Input shape is incomplete"), \
            pytest.warns(UserWarning, match="Cannot decide shape"):
        visualization.print_summary(mlp(mx), shape={"softmax_label": (2,)})


def test_plot_network_without_graphviz_raises_mxnet_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(MXNetError, match="graphviz"):
        visualization.plot_network(mlp(mx))


class _FakeDigraph:
    def __init__(self, name, format):
        self.name, self.format, self.nodes, self.edges = name, format, {}, []

    def node(self, name, label, **attr):
        self.nodes[name] = (label, attr)

    def edge(self, tail_name, head_name, **attr):
        self.edges.append((tail_name, head_name, attr["label"]))


def test_plot_network_draws_layers_and_shapes(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Digraph=_FakeDigraph))
    dot = visualization.plot_network(mlp(mx), title="net", shape={"data": (BATCH, 6)})
    assert dot.name == "net" and dot.format == "pdf"
    assert dot.nodes["fc1"][0] == "FullyConnected\n16"
    assert dot.nodes["relu1"][0] == "Activation\nrelu"
    assert dot.nodes["data"][1]["shape"] == "oval"
    assert "fc1_weight" not in dot.nodes
    assert ("fc1", "data", "6") in dot.edges and ("fc2", "relu1", "16") in dot.edges
    shown = visualization.plot_network(mlp(mx), hide_weights=False)
    assert ("fc1", "fc1_weight", "") in shown.edges
