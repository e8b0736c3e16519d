"""The metric base class and helpers shared by ``mxnet.metric``.

Kept apart to keep ``metric.py`` within the file-size budget; everything here
is re-exported from ``mxnet.metric``, where MXNet has it.
"""
import numpy

from . import ndarray
from . import registry


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Raise ValueError unless labels and preds have the same length (or,
    with ``shape``, the same shape); with ``wrap``, single NDArrays come back
    as one-element lists."""
    if shape:
        label_shape, pred_shape = labels.shape, preds.shape
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise ValueError(f"Shape of labels {label_shape} does not match shape of predictions "
                         f"{pred_shape}")
    if wrap:
        if isinstance(labels, ndarray.NDArray):
            labels = [labels]
        if isinstance(preds, ndarray.NDArray):
            preds = [preds]
    return labels, preds


def _numpy(x):
    """A NumPy copy of an NDArray (NumPy arrays pass through)."""
    return x.asnumpy() if hasattr(x, 'asnumpy') else numpy.asarray(x)


def _as_columns(x):
    """1-D arrays become (n, 1) columns, as MXNet's regression metrics do."""
    return x.reshape(x.shape[0], 1) if x.ndim == 1 else x


class EvalMetric(object):
    """Base class: ``name``, optional ``output_names``/``label_names`` (for
    ``update_dict``), and accumulated sums (see the module doc)."""

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        # Values print as MXNet's did (0.5, not NumPy 2's np.float64(0.5)).
        values = {name: float(v) if isinstance(v, numpy.floating) else v
                  for name, v in self.get_name_value()}
        return f"EvalMetric: {values}"

    def get_config(self):
        """The constructor arguments, with ``metric`` the class name (for ``create``)."""
        config = self._kwargs.copy()
        config.update({'metric': self.__class__.__name__, 'name': self.name,
                       'output_names': self.output_names, 'label_names': self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update from dicts name -> NDArray, choosing by ``label_names``/``output_names``."""
        pred = [pred[n] for n in self.output_names] if self.output_names is not None \
            else list(pred.values())
        label = [label[n] for n in self.label_names] if self.label_names is not None \
            else list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        """Accumulate the metric over a batch."""
        raise NotImplementedError(f"{type(self).__name__} must define update")

    def _add(self, value, count):
        # float32 batch values are summed in float64, as MXNet did under the
        # NumPy of its time (NumPy 2 would keep a float32 running sum); the sum
        # stays a NumPy float64, so get() reports np.float64 as MXNet's does.
        if isinstance(value, numpy.floating):
            value = numpy.float64(value)
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def reset(self):
        """Clear local and global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        """Clear the local statistics only."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        """``(name, value)``; value is NaN before any update."""
        if self.num_inst == 0:
            return self.name, float('nan')
        return self.name, self.sum_metric / self.num_inst

    def get_global(self):
        """``(name, value)`` over everything since the last ``reset``."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return self.name, float('nan')
        return self.name, self.global_sum_metric / self.global_num_inst

    @staticmethod
    def _pairs(name, value):
        names = name if isinstance(name, list) else [name]
        values = value if isinstance(value, list) else [value]
        return list(zip(names, values))

    def get_name_value(self):
        """``[(name, value), ...]``."""
        return self._pairs(*self.get())

    def get_global_name_value(self):
        """``[(name, value), ...]`` of the global statistics."""
        if not self._has_global_stats:
            return self.get_name_value()
        return self._pairs(*self.get_global())


# MXNet's pickles and reprs name the class here.
EvalMetric.__module__ = 'mxnet.metric'

register = registry.get_register_func(EvalMetric, 'metric')
alias = registry.get_alias_func(EvalMetric, 'metric')
_create = registry.get_create_func(EvalMetric, 'metric')
