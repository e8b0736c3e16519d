"""``BaseModule``: the interface every module implements (bind, init_params,
init_optimizer, forward, backward, update, ...) and the high-level loops
written once on top of it: ``fit``, ``score``, ``predict``, ``iter_predict``.

A module moves through states: created -> bound (``binded``, executors for
given input shapes) -> ``params_initialized`` -> ``optimizer_initialized``.
"""
import logging
import time
import warnings

import numpy as np

from .. import metric
from .. import ndarray as nd
from ..base import MXNetError
from ..context import cpu
from ..initializer import Uniform
from ..io import DataBatch, DataDesc, DataIter
from ..model import BatchEndParam

__all__ = ["BaseModule"]


def _as_list(obj):
    return obj if isinstance(obj, list) else [obj]


def _check_input_names(symbol, names, typename, throw):
    """Every name must be an argument of ``symbol`` (else an error, or a
    warning when ``throw`` is False), suggesting the likely candidates."""
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args if not a.endswith(("_weight", "_bias", "_gamma", "_beta"))]
        msg = (f"You created Module with Module(..., {typename}_names={names}) but input with "
               f"name '{name}' is not found in symbol.list_arguments(). Did you mean one of:\n\t"
               + "\n\t".join(candidates))
        if throw:
            raise ValueError(msg)
        warnings.warn(msg)


def _check_names_match(names, shapes, what, throw):
    given = [d[0] for d in shapes]
    if sorted(given) != sorted(names):
        msg = (f"Data provided by {what}_shapes don't match names specified by "
               f"{what}_names ({shapes} vs. {names})")
        if throw:
            raise ValueError(msg)
        warnings.warn(msg)


def _parse_data_desc(data_names, label_names, data_shapes, label_shapes):
    """Input descriptions as ``DataDesc`` lists, checked against the names."""
    data_shapes = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in data_shapes]
    _check_names_match(data_names, data_shapes, "data", True)
    if label_shapes is not None:
        label_shapes = [d if isinstance(d, DataDesc) else DataDesc(*d) for d in label_shapes]
        _check_names_match(label_names, label_shapes, "label", False)
    else:
        _check_names_match(label_names, [], "label", False)
    return data_shapes, label_shapes


class BaseModule:
    """Base of ``Module``, ``BucketingModule``, ``SequentialModule`` and
    ``PythonModule``. Subclasses implement the abstract methods below; the
    training and inference loops here only use those."""

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None

    # -- high-level API ----------------------------------------------------------------
    def forward_backward(self, data_batch):
        """A training forward pass followed by backward."""
        self.forward(data_batch, is_train=True)
        self.backward()

    def _require(self, what, *flags):
        for flag in flags:
            if not getattr(self, flag):
                raise MXNetError(f"{type(self).__name__}.{what}: call "
                                 f"{_REQUIREMENT[flag]} first")

    def score(self, eval_data, eval_metric, num_batch=None, batch_end_callback=None,
              score_end_callback=None, reset=True, epoch=0, sparse_row_id_fn=None):
        """Evaluate ``eval_metric`` over ``eval_data`` (inference mode); returns
        its ``[(name, value)]``. Padded examples are counted, as in MXNet."""
        self._require("score", "binded", "params_initialized")
        if reset:
            eval_data.reset()
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        eval_metric.reset()
        seen = 0
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(batch, is_train=False)
            self._update_metric_for(eval_metric, batch)
            if batch_end_callback is not None:
                params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                       locals=locals())
                for callback in _as_list(batch_end_callback):
                    callback(params)
            seen += 1
        if score_end_callback:
            params = BatchEndParam(epoch=epoch, nbatch=seen, eval_metric=eval_metric,
                                   locals=locals())
            for callback in _as_list(score_end_callback):
                callback(params)
        return eval_metric.get_name_value()

    def _update_metric_for(self, eval_metric, batch):
        if isinstance(batch, list):
            self.update_metric(eval_metric, [b.label for b in batch], pre_sliced=True)
        else:
            self.update_metric(eval_metric, batch.label)

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yield ``(outputs, nbatch, batch)`` per batch, padding removed."""
        self._require("iter_predict", "binded", "params_initialized")
        if reset:
            eval_data.reset()
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(batch, is_train=False)
            pad = batch.pad or 0
            outputs = [out[0:out.shape[0] - pad] for out in self.get_outputs()]
            yield outputs, nbatch, batch

    def predict(self, eval_data, num_batch=None, merge_batches=True, reset=True,
                always_output_list=False, sparse_row_id_fn=None):
        """Run inference over ``eval_data`` (a DataIter, or one NDArray/NumPy
        batch) and return the outputs, padding removed: concatenated over
        batches when ``merge_batches`` (a single array when there is one
        output, unless ``always_output_list``), else one list per batch."""
        self._require("predict", "binded", "params_initialized")
        if isinstance(eval_data, (nd.NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                eval_data = nd.array(eval_data)
            self.forward(DataBatch([eval_data]))
            return self.get_outputs()[0]
        if not isinstance(eval_data, DataIter):
            raise ValueError("eval_data must be of type NDArray or DataIter")
        if reset:
            eval_data.reset()
        batches = []
        for nbatch, batch in enumerate(eval_data):
            if num_batch is not None and nbatch == num_batch:
                break
            self.prepare(batch, sparse_row_id_fn=sparse_row_id_fn)
            self.forward(batch, is_train=False)
            pad = batch.pad or 0
            batches.append([out[0:out.shape[0] - pad].copy() for out in self.get_outputs()])
        if not batches or not merge_batches:
            return batches
        count = len(batches[0])
        if any(len(b) != count for b in batches):
            raise MXNetError("predict: cannot merge batches with different numbers of outputs "
                             "(bucketing?); use merge_batches=False")
        merged = [nd.concat(*[b[i] for b in batches], dim=0) if len(batches) > 1
                  else batches[0][i] for i in range(count)]
        if count == 1 and not always_output_list:
            return merged[0]
        return merged

    def fit(self, train_data, eval_data=None, eval_metric="acc", epoch_end_callback=None,
            batch_end_callback=None, kvstore="local", optimizer="sgd",
            optimizer_params=(("learning_rate", 0.01),), eval_end_callback=None,
            eval_batch_end_callback=None, initializer=Uniform(0.01), arg_params=None,
            aux_params=None, allow_missing=False, force_rebind=False, force_init=False,
            begin_epoch=0, num_epoch=None, validation_metric=None, monitor=None,
            sparse_row_id_fn=None):
        """Train on ``train_data`` for epochs ``begin_epoch..num_epoch-1``.

        Binds, initialises parameters (``arg_params``/``aux_params`` first, the
        ``initializer`` for the rest) and the optimizer, then per batch runs
        forward, backward, update and the metric; callbacks get a
        ``BatchEndParam`` after each batch and ``(epoch, symbol, arg_params,
        aux_params)`` after each epoch, and ``eval_data`` is scored with
        ``validation_metric`` (default: ``eval_metric``) after each epoch.
        """
        if num_epoch is None:
            raise MXNetError("fit: please specify number of epochs (num_epoch)")
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)

        for epoch in range(begin_epoch, num_epoch):
            tic = time.time()
            eval_metric.reset()
            batches = iter(train_data)
            next_batch = next(batches)
            nbatch = 0
            finished = False
            while not finished:
                batch = next_batch
                if monitor is not None:
                    monitor.tic()
                self.forward_backward(batch)
                self.update()
                self._update_metric_for(eval_metric, batch)
                # Fetch ahead so prepare() (sparse pulls) overlaps this batch's work.
                try:
                    next_batch = next(batches)
                    self.prepare(next_batch, sparse_row_id_fn=sparse_row_id_fn)
                except StopIteration:
                    finished = True
                if monitor is not None:
                    monitor.toc_print()
                if finished:
                    name_values = eval_metric.get_global_name_value()
                if batch_end_callback is not None:
                    params = BatchEndParam(epoch=epoch, nbatch=nbatch, eval_metric=eval_metric,
                                           locals=locals())
                    for callback in _as_list(batch_end_callback):
                        callback(params)
                nbatch += 1
            for name, value in name_values:
                self.logger.info("Epoch[%d] Train-%s=%f", epoch, name, value)
            self.logger.info("Epoch[%d] Time cost=%.3f", epoch, time.time() - tic)

            # Parameters synced from the devices, written back so every device agrees.
            arg_params_now, aux_params_now = self.get_params()
            self.set_params(arg_params_now, aux_params_now)
            if epoch_end_callback is not None:
                for callback in _as_list(epoch_end_callback):
                    callback(epoch, self.symbol, arg_params_now, aux_params_now)
            if eval_data:
                results = self.score(eval_data, validation_metric,
                                     score_end_callback=eval_end_callback,
                                     batch_end_callback=eval_batch_end_callback, epoch=epoch)
                for name, value in results:
                    self.logger.info("Epoch[%d] Validation-%s=%f", epoch, name, value)
            train_data.reset()

    # -- properties -----------------------------------------------------------------------
    @property
    def data_names(self):
        """Names of the data inputs."""
        raise NotImplementedError()

    @property
    def output_names(self):
        """Names of the outputs."""
        raise NotImplementedError()

    @property
    def data_shapes(self):
        """``DataDesc`` of each data input."""
        raise NotImplementedError()

    @property
    def label_shapes(self):
        """``DataDesc`` of each label input (empty or None without labels)."""
        raise NotImplementedError()

    @property
    def output_shapes(self):
        """``[(name, shape)]`` of the outputs."""
        raise NotImplementedError()

    @property
    def symbol(self):
        """The symbol of the module."""
        return self._symbol

    # -- parameters ------------------------------------------------------------------------
    def get_params(self):
        """``(arg_params, aux_params)`` dicts of the current parameters."""
        raise NotImplementedError()

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise the parameters (see ``Module.init_params``)."""
        raise NotImplementedError()

    # Subclasses that can write a partial set of values directly define
    # _assign_params(arg_params, aux_params, force_init, allow_extra).
    _assign_params = None

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Assign parameter values; missing ones are an error unless
        ``allow_missing``, extra ones unless ``allow_extra``."""
        if not allow_missing or self._assign_params is None:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "set_params call ignored.", stacklevel=2)
            return
        self._assign_params(arg_params, aux_params, force_init, allow_extra)

    def save_params(self, fname):
        """Save the parameters to ``fname`` with ``arg:``/``aux:`` key prefixes."""
        arg_params, aux_params = self.get_params()
        saved = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
        saved.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
        nd.save(fname, saved)

    def load_params(self, fname):
        """Load parameters saved by ``save_params`` (or a checkpoint's .params)."""
        arg_params, aux_params = {}, {}
        for key, value in nd.load(fname).items():
            kind, _, name = key.partition(":")
            if kind == "arg":
                arg_params[name] = value
            elif kind == "aux":
                aux_params[name] = value
            else:
                raise ValueError("Invalid param file " + fname)
        self.set_params(arg_params, aux_params)

    def get_states(self, merge_multi_context=True):
        """The state inputs (``state_names``); empty for stateless modules."""
        self._require("get_states", "binded", "params_initialized")
        if merge_multi_context is False:
            return [[]]
        return []

    def set_states(self, states=None, value=None):
        """Set the state inputs; stateless modules accept nothing."""
        self._require("set_states", "binded", "params_initialized")
        if states or value:
            raise MXNetError("set_states: this module has no states")

    def install_monitor(self, mon):
        """Install a ``mx.monitor.Monitor`` on the executors."""
        raise NotImplementedError()

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Get ready for ``data_batch`` (MXNet pulls row_sparse weights here)."""
        if sparse_row_id_fn is not None:
            warnings.warn(UserWarning("sparse_row_id_fn is not invoked for BaseModule."))

    # -- computation -------------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Forward on a batch; ``is_train`` None means ``for_training``."""
        raise NotImplementedError()

    def backward(self, out_grads=None):
        """Backward from the last forward (``out_grads`` for non-loss outputs)."""
        raise NotImplementedError()

    def get_outputs(self, merge_multi_context=True):
        """Outputs of the last forward."""
        raise NotImplementedError()

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs (bind with ``inputs_need_grad``)."""
        raise NotImplementedError()

    def update(self):
        """Apply the optimizer to the gradients of the last backward."""
        raise NotImplementedError()

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Accumulate ``eval_metric`` over the last outputs and ``labels``."""
        raise NotImplementedError()

    # -- setup -----------------------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Allocate executors for the given input shapes."""
        raise NotImplementedError()

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Set up the optimizer (and kvstore)."""
        raise NotImplementedError()


_REQUIREMENT = {"binded": "bind()", "params_initialized": "init_params()",
                "optimizer_initialized": "init_optimizer()"}
