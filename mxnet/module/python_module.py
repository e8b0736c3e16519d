"""Modules written in Python rather than as a symbol: ``PythonModule`` (no
parameters, outputs computed by the subclass) and ``PythonLossModule`` (a
loss whose gradient is a Python function), handy as the last stage of a
``SequentialModule``."""
import logging

from .. import ndarray as nd
from ..base import MXNetError
from ..initializer import Uniform
from .base_module import BaseModule, _parse_data_desc

__all__ = ["PythonModule", "PythonLossModule"]


class PythonModule(BaseModule):
    """A parameter-free module: binding records the input shapes and asks
    ``_compute_output_shapes``; ``init_params``, ``init_optimizer`` and
    ``update`` do nothing. Subclasses implement forward/backward/outputs."""

    def __init__(self, data_names, label_names, output_names, logger=logging):
        super().__init__(logger=logger)
        self._data_names = list(data_names)
        self._label_names = list(label_names) if label_names is not None else []
        self._output_names = list(output_names)
        self._data_shapes = None
        self._label_shapes = None
        self._output_shapes = None

    @property
    def data_names(self):
        return self._data_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        return self._data_shapes

    @property
    def label_shapes(self):
        return self._label_shapes

    @property
    def output_shapes(self):
        return self._output_shapes

    def get_params(self):
        """No parameters: two empty dicts."""
        return {}, {}

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Nothing to initialise."""

    def update(self):
        """Nothing to update."""

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with the outputs, when the module has labels."""
        if self._label_shapes is None:
            return
        if pre_sliced:
            raise MXNetError("PythonModule.update_metric: pre_sliced labels are not supported")
        eval_metric.update(labels, self.get_outputs())

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Record the input shapes and compute the output shapes."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if grad_req != "write":
            raise MXNetError(f"PythonModule.bind: only grad_req='write' is supported, "
                             f"got {grad_req!r}")
        if shared_module is not None:
            raise MXNetError("PythonModule.bind: shared_module is not supported")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.binded = True
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)
        self._output_shapes = self._compute_output_shapes()

    def _compute_output_shapes(self):
        """``[(name, shape)]`` of the outputs for the bound input shapes."""
        raise NotImplementedError()

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """No parameters, so no optimizer."""


class PythonLossModule(PythonModule):
    """A loss layer in Python: forward passes the scores (its one input)
    through as output ``<name>_output``; backward sets the input gradient to
    ``grad_func(scores, labels)`` (an NDArray, or anything ``nd.array`` takes)."""

    def __init__(self, name="pyloss", data_names=("data",), label_names=("softmax_label",),
                 logger=logging, grad_func=None):
        super().__init__(data_names, label_names, [name + "_output"], logger=logger)
        self._name = name
        if len(self._data_names) != 1 or len(self._label_names) != 1:
            raise MXNetError("PythonLossModule takes exactly one data and one label input, "
                             f"got {self._data_names} and {self._label_names}")
        if grad_func is not None and not callable(grad_func):
            raise MXNetError("PythonLossModule: grad_func must be callable")
        self._grad_func = grad_func
        self._scores = None
        self._labels = None
        self._scores_grad = None

    def _compute_output_shapes(self):
        return [(self._name + "_output", self._data_shapes[0][1])]

    def forward(self, data_batch, is_train=None):
        """Keep the scores (and, when training, the labels)."""
        self._scores = data_batch.data[0]
        if is_train is None:
            is_train = self.for_training
        if is_train:
            self._labels = data_batch.label[0]

    def get_outputs(self, merge_multi_context=True):
        """``[scores]``."""
        if not merge_multi_context:
            raise MXNetError("PythonLossModule.get_outputs: only merged outputs exist")
        return [self._scores]

    def backward(self, out_grads=None):
        """Compute the gradient of the scores with ``grad_func``."""
        if out_grads is not None:
            raise MXNetError("For a loss module, out_grads should be None")
        if not self.for_training:
            raise MXNetError("backward: the module is not bound for training")
        self._backward_impl()

    def _backward_impl(self):
        """Subclasses without ``grad_func`` override this to set ``_scores_grad``."""
        if self._grad_func is None:
            raise NotImplementedError()
        grad = self._grad_func(self._scores, self._labels)
        self._scores_grad = grad if isinstance(grad, nd.NDArray) else nd.array(grad)

    def get_input_grads(self, merge_multi_context=True):
        """``[gradient of the scores]``."""
        if not merge_multi_context:
            raise MXNetError("PythonLossModule.get_input_grads: only merged gradients exist")
        return [self._scores_grad]

    def install_monitor(self, mon):
        raise NotImplementedError()
