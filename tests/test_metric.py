"""mx.metric: every metric's local and global values against MXNet 1.9.1, plus
the factory, composite, custom metrics and bad input."""
import json
import math
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet import metric

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "metric",
                       "cases.json")) as _f:
    CASES = json.load(_f)


def close(got, want):
    if isinstance(want, list):
        assert isinstance(got, (list, tuple)) and len(got) == len(want)
        for g, w in zip(got, want):
            close(g, w)
    elif isinstance(want, str):
        assert got == want
    elif math.isnan(want):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(want, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['metric']}-{i}" for i, c in enumerate(CASES)])
def test_values_match_mxnet(case):
    m = metric.create(case["metric"], **case["kwargs"])
    for step, ((labels, preds), want) in enumerate(zip(case["batches"], case["results"])):
        if step == 2:
            m.reset_local()
        m.update([mx.nd.array(a) for a in labels], [mx.nd.array(a) for a in preds])
        close(list(m.get()), want["get"])
        close(list(m.get_global()), want["get_global"])
        close([list(p) for p in m.get_name_value()], want["name_value"])


def test_every_mxnet_metric_name_is_registered():
    names = {'acc', 'accuracy', 'top_k_accuracy', 'top_k_acc', 'topkaccuracy', 'f1', 'mcc',
             'perplexity', 'mae', 'mse', 'rmse', 'ce', 'crossentropy', 'nll_loss',
             'negativeloglikelihood', 'pearsonr', 'pearsoncorrelation', 'pcc', 'loss', 'torch',
             'caffe', 'custommetric', 'composite', 'compositeevalmetric'}
    assert names <= set(mx.registry.get_registry(metric.EvalMetric))


def test_no_update_gives_nan_and_reset_clears_global():
    m = metric.Accuracy()
    assert m.get()[0] == "accuracy" and math.isnan(m.get()[1])
    m.update([mx.nd.array([1, 0])], [mx.nd.array([[0.2, 0.8], [0.9, 0.1]])])
    m.reset_local()
    assert math.isnan(m.get()[1]) and m.get_global() == ("accuracy", 1.0)
    m.reset()
    assert math.isnan(m.get_global()[1])


def test_single_arrays_are_accepted_as_one_element_lists():
    m = metric.MAE()
    m.update(mx.nd.array([1.0, 2.0]), mx.nd.array([1.5, 2.5]))
    assert m.get() == ("mae", pytest.approx(0.5))


def test_mismatched_label_and_prediction_counts_raise_value_error():
    with pytest.raises(ValueError, match="does not match"):
        metric.Accuracy().update([mx.nd.array([1])], [])
    with pytest.raises(ValueError, match="does not match"):
        metric.check_label_shapes(mx.nd.zeros((2,)), mx.nd.zeros((3,)), shape=True)


def test_binary_metrics_reject_more_than_two_classes():
    with pytest.raises(ValueError, match="binary"):
        metric.F1().update([mx.nd.array([0, 1, 2])], [mx.nd.ones((3, 2))])


def test_top_k_needs_k_above_one():
    with pytest.raises(ValueError, match="Accuracy"):
        metric.TopKAccuracy(top_k=1)


def test_custom_metric_and_np_wrapper():
    def mean_abs(label, pred):
        return np.abs(label - pred).mean()
    m = metric.np(mean_abs)
    assert m.name == "mean_abs"
    m.update([mx.nd.array([1.0, 3.0])], [mx.nd.array([2.0, 3.0])])
    assert m.get() == ("mean_abs", pytest.approx(0.5))
    pair = metric.create(lambda label, pred: (float((label == pred).sum()), label.size))
    assert pair.name == "custom(<lambda>)"
    pair.update([mx.nd.array([1, 2, 3])], [mx.nd.array([1, 0, 3])])
    assert pair.get()[1] == pytest.approx(2 / 3)
    with pytest.raises(NotImplementedError):
        pair.get_config()


def test_composite_config_and_children():
    comp = metric.create(["acc", metric.MSE()])
    assert isinstance(comp, metric.CompositeEvalMetric)
    assert isinstance(comp.get_metric(1), metric.MSE)
    with pytest.raises(ValueError, match="out of range"):
        comp.get_metric(5)
    config = comp.get_config()
    assert config["metric"] == "CompositeEvalMetric"
    assert [c["metric"] for c in config["metrics"]] == ["Accuracy", "MSE"]
    assert metric.create(metric.Accuracy(axis=0).get_config()).axis == 0


def test_update_dict_selects_by_names():
    m = metric.Accuracy(output_names=["out"], label_names=["lab"])
    m.update_dict({"lab": mx.nd.array([1]), "other": mx.nd.array([0])},
                  {"out": mx.nd.array([[0.0, 1.0]]), "x": mx.nd.array([[1.0, 0.0]])})
    assert m.get() == ("accuracy", 1.0)


def test_str_shows_name_and_value():
    m = metric.Loss()
    m.update(None, mx.nd.array([2.0, 4.0]))
    assert str(m) == "EvalMetric: {'loss': 3.0}"


def test_register_custom_metric_class():
    @metric.register
    class HalfForTest(metric.EvalMetric):
        def __init__(self):
            super().__init__("half")

        def update(self, labels, preds):
            self.sum_metric += 0.5
            self.num_inst += 1
    m = metric.create("halffortest")
    m.update([], [])
    assert m.get() == ("half", 0.5)
    with pytest.raises(ValueError, match="not registered"):
        metric.create("nosuchmetric")


_PROBS = mx.nd.array([[0.2, 0.5, 0.3], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
_CLASSES = mx.nd.array([0, 1, 2, 1])
_REG_PRED = mx.nd.array([[0.1], [0.7], [0.4], [0.9]])
_REG_LABEL = mx.nd.array([[0.3], [0.2], [0.5], [0.6]])
_BIN_PRED = mx.nd.array([[0.3, 0.7], [0.6, 0.4], [0.2, 0.8], [0.9, 0.1]])
_BIN_LABEL = mx.nd.array([1, 0, 0, 0])


# Python type of get()[1] after one update, as MXNet 1.9.1 returns it.
@pytest.mark.parametrize("name,kwargs,data,expected", [
    ("acc", {}, (_CLASSES, _PROBS), np.float64),
    ("top_k_accuracy", {"top_k": 2}, (_CLASSES, _PROBS), np.float64),
    ("ce", {}, (_CLASSES, _PROBS), np.float64),
    ("nll_loss", {}, (_CLASSES, _PROBS), np.float64),
    ("perplexity", {"ignore_label": None}, (_CLASSES, _PROBS), float),
    ("f1", {}, (_BIN_LABEL, _BIN_PRED), np.float64),
    ("f1", {"average": "micro"}, (_BIN_LABEL, _BIN_PRED), np.float64),
    ("mcc", {}, (_BIN_LABEL, _BIN_PRED), float),
    ("mcc", {"average": "micro"}, (_BIN_LABEL, _BIN_PRED), np.float64),
    ("mae", {}, (_REG_LABEL, _REG_PRED), np.float64),
    ("mse", {}, (_REG_LABEL, _REG_PRED), np.float64),
    ("rmse", {}, (_REG_LABEL, _REG_PRED), np.float64),
    ("pearsonr", {}, (_REG_LABEL, _REG_PRED), np.float64),
    ("pcc", {}, (_CLASSES, _PROBS), np.float64),
    ("loss", {}, (None, _REG_PRED), np.float64),
])
def test_value_types_match_mxnet(name, kwargs, data, expected):
    label, pred = data
    m = metric.create(name, **kwargs)
    m.update(None if label is None else [label], [pred])
    assert type(m.get()[1]) is expected
    assert type(m.get_global()[1]) is expected
    m.update(None if label is None else [label], [pred])
    assert type(m.get()[1]) is expected


def test_str_prints_numpy_values_as_plain_numbers():
    m = metric.Accuracy()
    m.update([mx.nd.array([0, 1])], [mx.nd.array([[0.2, 0.8], [0.3, 0.7]])])
    assert str(m) == "EvalMetric: {'accuracy': 0.5}"
