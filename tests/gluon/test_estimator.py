"""gluon.contrib.estimator: the training loop, its default handlers and log
lines (MXNet 1.9.1's wording), checkpoints, resuming and early stopping."""
import os
import re

import numpy as np
import pytest

import mxnet as mx
from mxnet import gluon
from mxnet.gluon.contrib.estimator import (CheckpointHandler, EarlyStoppingHandler, Estimator,
                                           LoggingHandler, MetricHandler)


def _loader(batch_size=8, regression=False):
    rng = np.random.RandomState(0)
    x = rng.randn(24, 4).astype("float32")
    y = x.sum(axis=1, keepdims=True) if regression else (x[:, 0] > 0).astype("float32")
    return gluon.data.DataLoader(gluon.data.ArrayDataset(x, y), batch_size=batch_size)


def _classifier(hybridize=False):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(6, activation="tanh", in_units=4), gluon.nn.Dense(2, in_units=6))
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize()
    return net


def _estimator(net, loss=None, **kwargs):
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    return Estimator(net, loss or gluon.loss.SoftmaxCrossEntropyLoss(), trainer=trainer,
                     **kwargs)


def _lines(capsys):
    return capsys.readouterr().out.splitlines()


def test_default_metrics_and_epoch_logging(capsys):
    est = _estimator(_classifier())
    assert [m.name for m in est.train_metrics] == ["training accuracy",
                                                   "training softmaxcrossentropyloss"]
    assert [m.name for m in est.val_metrics] == ["validation accuracy",
                                                 "validation softmaxcrossentropyloss"]
    dense = gluon.nn.Dense(1, in_units=4)
    dense.initialize()
    regression = _estimator(dense, gluon.loss.L2Loss())
    assert [m.name for m in regression.train_metrics] == ["training l2loss"]
    capsys.readouterr()
    est.fit(_loader(), val_data=_loader(12), epochs=2)
    lines = _lines(capsys)
    assert lines[:3] == ["Training begin: using optimizer SGD with current learning rate 0.1000 ",
                         "Train for 2 epochs.",
                         "[Epoch 0] Begin, current learning rate: 0.1000"]
    # validation runs (and logs) before the epoch's own line
    assert lines[3] == "Validation Begin"
    assert re.fullmatch(r"\[Epoch 0\] Finished in \d+\.\d{3}s, validation accuracy: \d\.\d{4}, "
                        r"validation softmaxcrossentropyloss: \d\.\d{4}", lines[4])
    assert re.fullmatch(r"\[Epoch 0\] Finished in \d+\.\d{3}s, training accuracy: \d\.\d{4}, "
                        r"training softmaxcrossentropyloss: \d\.\d{4}", lines[5])
    assert re.fullmatch(r"Train finished using total \d+s with 2 epochs\. training accuracy: "
                        r"\d\.\d{4}, training softmaxcrossentropyloss: \d\.\d{4}", lines[-1])
    assert len(lines) == 11


def test_batch_logging_and_training_by_batches(capsys):
    est = _estimator(_classifier())
    est.fit(_loader(), batches=5,
            event_handlers=[LoggingHandler(log_interval=2, metrics=est.train_metrics)])
    lines = _lines(capsys)
    assert lines[1] == "Train for 5 batches."
    batch_lines = [line for line in lines if line.startswith("[Epoch") and "[Batch" in line]
    assert [line.split(" time")[0] for line in batch_lines] == [
        "[Epoch 0][Batch 0][Samples 8]", "[Epoch 0][Batch 2][Samples 24]",
        "[Epoch 1][Batch 0][Samples 32]"]
    assert "with 2 epochs" in lines[-1]
    assert est.train_metrics[0].num_inst == 16  # the two batches of the last epoch


def test_training_improves_and_evaluate_updates_validation_metrics():
    net = _classifier()
    est = _estimator(net)
    est.evaluate(_loader())
    before = est.val_metrics[1].get()[1]
    est.fit(_loader(), epochs=15)
    est.evaluate(_loader())
    assert est.val_metrics[1].get()[1] < before
    assert est.val_metrics[0].get()[1] > 0.8


def test_checkpoints_and_resuming(tmp_path, capsys):
    net = _classifier(hybridize=True)
    est = _estimator(net)
    handler = CheckpointHandler(str(tmp_path), batch_period=2, epoch_period=None,
                                max_checkpoints=2)
    est.fit(_loader(), batches=7, event_handlers=[handler])
    assert sorted(os.listdir(tmp_path)) == [
        "model-epoch1batch3.params", "model-epoch1batch3.states",
        "model-epoch1batch5.params", "model-epoch1batch5.states", "model-symbol.json"]
    capsys.readouterr()
    resumed = _classifier(hybridize=True)
    est2 = _estimator(resumed)
    est2.fit(_loader(), batches=10, event_handlers=[CheckpointHandler(
        str(tmp_path), batch_period=2, epoch_period=None, resume_from_checkpoint=True)])
    assert "Checkpoint resumed from epoch 1 batch 5, continue to train for 4 batches" \
        in capsys.readouterr().out
    # numbered on from the checkpoint: 3 batches an epoch, saved after batches 1 and 3
    assert {"model-epoch2batch7.params", "model-epoch3batch9.params"} <= set(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="maximum number of batch"):
        _estimator(_classifier()).fit(_loader(), batches=6, event_handlers=[CheckpointHandler(
            str(tmp_path), batch_period=2, epoch_period=None, resume_from_checkpoint=True)])


def test_save_best_and_early_stopping(tmp_path, capsys):
    net = gluon.nn.Dense(1, in_units=4)
    net.initialize(mx.init.Zero())
    est = _estimator(net, gluon.loss.L2Loss())
    loss_metric = est.train_metrics[0]
    with pytest.warns(UserWarning, match="`less` operator will be used to determine if "
                                         "training l2loss has improved"):
        best = CheckpointHandler(str(tmp_path), monitor=loss_metric, save_best=True)
    stopper = EarlyStoppingHandler(monitor=loss_metric, mode="min", min_delta=100)
    est.fit(_loader(regression=True), epochs=6, event_handlers=[best, stopper])
    # epoch 0 improves on inf; epoch 1 improves by less than min_delta: stop
    assert stopper.stopped_epoch == 1 and stopper.stop_training
    assert "model-best.params" in os.listdir(tmp_path)
    assert best.best == loss_metric.get()[1]
    out = capsys.readouterr().out
    assert "[Epoch 1] EarlyStoppingHanlder: early stopping due to training l2loss not " \
        "improving" in out  # MXNet's spelling
    assert "with 2 epochs" in out


def test_estimator_argument_errors(tmp_path):
    net = _classifier()
    est = _estimator(net)
    with pytest.raises(ValueError, match="loss must be a Loss"):
        Estimator(net, "l2")
    with pytest.raises(ValueError, match="Trainer must be a Gluon Trainer"):
        Estimator(net, gluon.loss.L2Loss(), trainer="sgd")
    with pytest.raises(ValueError, match="exactly one type of iteration"):
        est.fit(_loader(), epochs=1, batches=2)
    with pytest.raises(ValueError, match="only support input as Gluon DataLoader"):
        est.fit(np.ones((4, 4)), epochs=1)
    with pytest.raises(ValueError, match="log_interval must be"):
        LoggingHandler(log_interval="batch")
    with pytest.raises(ValueError, match="provide one of the metric objects"):
        EarlyStoppingHandler(monitor="acc")
    with pytest.raises(ValueError, match="To save best model only"):
        CheckpointHandler(str(tmp_path), save_best=True)
    with pytest.raises(ValueError, match="outside of the known training and validation"):
        est.fit(_loader(), epochs=1, event_handlers=[MetricHandler([mx.metric.MSE()])])
    with pytest.warns(UserWarning, match="default SGD optimizer"):
        Estimator(_classifier(), gluon.loss.L2Loss())
