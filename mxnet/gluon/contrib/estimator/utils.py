"""Argument checks shared by the Estimator and its event handlers."""
from .... import metric as _metric
from ... import loss as gluon_loss

__all__ = []


def _check_metrics(metrics):
    """``metrics`` (a metric, a composite one or a list) as a flat list."""
    if isinstance(metrics, _metric.CompositeEvalMetric):
        return [m for child in metrics.metrics for m in _check_metrics(child)]
    if isinstance(metrics, _metric.EvalMetric):
        return [metrics]
    metrics = list(metrics or [])
    if not all(isinstance(m, _metric.EvalMetric) for m in metrics):
        raise ValueError("metrics must be a Metric or a list of Metric, refer to "
                         f"mxnet.metric.EvalMetric:{metrics}")
    return metrics


def _check_handler_metric_ref(handler, known_metrics):
    """Handlers that keep metrics must use the Estimator's own metric objects."""
    for metric in getattr(handler, "metrics", None) or []:
        if metric not in known_metrics:
            raise ValueError(f"Event handler {type(handler).__name__} refers to a metric "
                             f"instance {metric} outside of the known training and "
                             "validation metrics. Please use the metrics from "
                             "estimator.train_metrics and estimator.val_metrics instead.")


def _suggest_metric_for_loss(loss):
    """The metric that goes with ``loss`` when none is given: accuracy for softmax
    cross-entropy, none for other losses (whose value alone is tracked)."""
    if isinstance(loss, gluon_loss.SoftmaxCrossEntropyLoss):
        return _metric.Accuracy()
    return None
