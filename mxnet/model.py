"""``mx.model``: checkpoint files and the helpers that move gradients and
weights between devices, a kvstore and an updater (used by ``mx.mod``), plus
the legacy ``FeedForward`` estimator, here a thin layer over ``Module``.

A checkpoint is two files: ``prefix-symbol.json`` (the graph) and
``prefix-%04d.params`` (an ``mx.nd.save`` dict whose keys are ``arg:<name>``
for arguments and ``aux:<name>`` for auxiliary states), the layout MXNet
writes and reads.
"""
import importlib
import logging
import os
import warnings
from collections import namedtuple

import numpy as np

from . import io
from . import metric
from . import ndarray as nd
from . import symbol as sym
from .base import MXNetError
from .context import Context, cpu
from .initializer import Uniform

__all__ = ["BatchEndParam", "save_checkpoint", "load_params", "load_checkpoint", "FeedForward"]

BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])


def _kvstore_module():
    """``mxnet.kvstore`` when it is available, else None (updates then stay local)."""
    try:
        return importlib.import_module("mxnet.kvstore")
    except ModuleNotFoundError:
        return None


class _DeviceSum:
    """Stands in for a 'local' kvstore when ``mxnet.kvstore`` is absent: a
    push-then-pull that sums a gradient over its per-device copies."""
    type = "local"
    num_workers = 1
    rank = 0

    def init(self, key, value):
        """Nothing to store: weights never live here."""

    def pushpull(self, key, value, out=None, priority=0):
        total = value[0].copy()
        for v in value[1:]:
            total += v.as_in_context(total.context)
        for target in (out if out is not None else value):
            total.copyto(target)


def _create_kvstore(kvstore, num_device, arg_params):
    """``(kvstore or None, update_on_kvstore)`` for a kvstore name or object.

    As in MXNet, a non-distributed kvstore name with a single device means no
    kvstore at all; updates happen on the kvstore only when it can run an
    optimizer, ``MXNET_UPDATE_ON_KVSTORE`` is not 0 and (for 'local') no
    parameter exceeds 16M elements.
    """
    update_on_kvstore = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
    kvs = _kvstore_module()
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            kv = None
        elif kvs is None:
            if "dist" in kvstore:
                raise MXNetError(f"kvstore {kvstore!r} needs mxnet.kvstore, which is not available")
            kv = _DeviceSum()
        else:
            kv = kvs.create(kvstore)
            if kvstore == "local":
                largest = max((int(np.prod(p.shape)) for p in arg_params.values()), default=0)
                if largest > 1024 * 1024 * 16:
                    update_on_kvstore = False
    elif hasattr(kvstore, "init") and hasattr(kvstore, "pull"):
        kv = kvstore  # a KVStore, or anything with its interface
    else:
        raise TypeError("kvstore must be KVStore, str or None")
    if kv is None or isinstance(kv, _DeviceSum):
        update_on_kvstore = False
    elif hasattr(kv, "is_capable"):
        base = getattr(kvs, "KVStoreBase", None)
        capability = getattr(base, "OPTIMIZER", "optimizer")
        update_on_kvstore = update_on_kvstore and kv.is_capable(capability)
    return kv, update_on_kvstore


def _initialize_kvstore(kvstore, param_arrays, arg_params, param_names, update_on_kvstore):
    """Register every parameter with the kvstore; when it runs the optimizer,
    every device's copy starts from the kvstore's value."""
    for index, copies in enumerate(param_arrays):
        name = param_names[index]
        kvstore.init(name, arg_params[name])
        if update_on_kvstore:
            kvstore.pull(name, copies, priority=-index)


def _pushpull(kvstore, name, values, out, priority):
    if hasattr(kvstore, "pushpull"):
        kvstore.pushpull(name, values, out=out, priority=priority)
    else:
        kvstore.push(name, values, priority=priority)
        kvstore.pull(name, out=values if out is None else out, priority=priority)


def _update_params_on_kvstore(param_arrays, grad_arrays, kvstore, param_names):
    """Push the gradients; the kvstore updates and the new weights come back."""
    for index, (weights, grads) in enumerate(zip(param_arrays, grad_arrays)):
        if grads[0] is None:
            continue
        _pushpull(kvstore, param_names[index], grads, weights, -index)


def _update_params(param_arrays, grad_arrays, updater, num_device, kvstore=None,
                   param_names=None):
    """Sum gradients over devices through the kvstore (when there is one),
    then update each device's copy locally: parameter ``i`` on device ``k``
    is updater index ``i * num_device + k``, as in MXNet."""
    per_device = [[] for _ in range(num_device)]
    for index, (weights, grads) in enumerate(zip(param_arrays, grad_arrays)):
        if grads[0] is None:
            continue
        if kvstore:
            _pushpull(kvstore, param_names[index], grads, None, -index)
        for k, (w, g) in enumerate(zip(weights, grads)):
            per_device[k].append((index * num_device + k, g, w))
    for updates in per_device:
        if updates:
            indices, grads, weights = zip(*updates)
            updater(list(indices), list(grads), list(weights))


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` (unless ``symbol`` is None) and
    ``prefix-%04d.params`` with ``arg:``/``aux:`` keys, in dict order."""
    if symbol is not None:
        symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
    saved = {f"arg:{k}": v.as_in_context(cpu()) for k, v in arg_params.items()}
    saved.update({f"aux:{k}": v.as_in_context(cpu()) for k, v in aux_params.items()})
    param_name = "%s-%04d.params" % (prefix, epoch)
    nd.save(param_name, saved)
    logging.info('Saved checkpoint to "%s"', param_name)


def load_params(prefix, epoch):
    """``(arg_params, aux_params)`` read from ``prefix-%04d.params``."""
    fname = "%s-%04d.params" % (prefix, epoch)
    saved = nd.load(fname)
    arg_params, aux_params = {}, {}
    if not saved:
        logging.warning("Params file '%s' is empty", fname)
        return arg_params, aux_params
    for key, value in saved.items():
        kind, name = key.split(":", 1)
        if kind == "arg":
            arg_params[name] = value
        elif kind == "aux":
            aux_params[name] = value
    return arg_params, aux_params


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` from a checkpoint written by
    ``save_checkpoint`` (here or in MXNet)."""
    symbol = sym.load(f"{prefix}-symbol.json")
    arg_params, aux_params = load_params(prefix, epoch)
    return symbol, arg_params, aux_params


class FeedForward:
    """The deprecated estimator-style model (``fit``/``predict``/``score``/
    ``save``/``load``/``create``), kept so old scripts run; training goes
    through ``mx.mod.Module``. Extra keyword arguments configure the optimizer.
    """

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
                 initializer=Uniform(0.01), numpy_batch_size=128, arg_params=None,
                 aux_params=None, allow_extra_params=False, begin_epoch=0, **kwargs):
        warnings.warn("mxnet.model.FeedForward has been deprecated. "
                      "Please use mxnet.mod.Module instead.", DeprecationWarning, stacklevel=2)
        if not isinstance(symbol, sym.Symbol):
            raise MXNetError("FeedForward: symbol must be a Symbol, got "
                             f"{type(symbol).__name__}")
        self.symbol = symbol
        self.arg_params = arg_params
        self.aux_params = aux_params
        self.allow_extra_params = allow_extra_params
        if allow_extra_params:
            args, auxs = set(symbol.list_arguments()), set(symbol.list_auxiliary_states())
            if arg_params:
                self.arg_params = {k: v for k, v in arg_params.items() if k in args}
            if aux_params:
                self.aux_params = {k: v for k, v in aux_params.items() if k in auxs}
        self.ctx = [cpu()] if ctx is None else [ctx] if isinstance(ctx, Context) else list(ctx)
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.kwargs = kwargs.copy()
        self.optimizer = optimizer
        self.initializer = initializer
        self.numpy_batch_size = numpy_batch_size
        self.begin_epoch = begin_epoch
        self._pred_mod = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_pred_mod"] = None
        return state

    def _init_iter(self, X, y, is_train):
        """Wrap NumPy/NDArray inputs into an ``NDArrayIter`` (shuffled, rolling over, when training)."""
        if isinstance(X, (np.ndarray, nd.NDArray)):
            if y is None:
                if is_train:
                    raise ValueError("y must be specified when X is numpy.ndarray")
                y = np.zeros(X.shape[0])
            if not isinstance(y, (np.ndarray, nd.NDArray)):
                raise TypeError("y must be ndarray when X is numpy.ndarray")
            if X.shape[0] != y.shape[0]:
                raise ValueError("The numbers of data points and labels not equal")
            if y.ndim == 2 and y.shape[1] == 1:
                y = y.flatten()
            if y.ndim != 1:
                raise ValueError("Label must be 1D or 2D (with 2nd dimension being 1)")
            batch = min(X.shape[0], self.numpy_batch_size)
            if is_train:
                return io.NDArrayIter(X, y, batch, shuffle=True, last_batch_handle="roll_over")
            return io.NDArrayIter(X, y, batch, shuffle=False)
        if not isinstance(X, io.DataIter):
            raise TypeError("X must be DataIter, NDArray or numpy.ndarray")
        return X

    def _init_eval_iter(self, eval_data):
        if eval_data is None or isinstance(eval_data, io.DataIter):
            return eval_data
        if isinstance(eval_data, (tuple, list)) and len(eval_data) == 2:
            if eval_data[0] is None:
                raise ValueError("Eval data is NONE")
            if eval_data[1] is None and isinstance(eval_data[0], io.DataIter):
                return eval_data[0]
            data, label = (np.array(x) if isinstance(x, list) else x for x in eval_data)
            return self._init_iter(data, label, is_train=True)
        raise TypeError("Eval data must be DataIter, or NDArray/numpy.ndarray/list pair "
                        "(i.e. tuple/list of length 2)")

    def _init_params(self, inputs):
        """Fill missing parameters with the initializer (called the legacy way, by name)."""
        shapes = {d[0]: d[1] for d in inputs}
        arg_shapes, _, aux_shapes = self.symbol.infer_shape(**shapes)
        if arg_shapes is None:
            raise MXNetError(f"FeedForward: cannot infer parameter shapes from {shapes}")
        args, auxs = {}, {}
        for name, shape in zip(self.symbol.list_arguments(), arg_shapes):
            if name not in shapes:
                args[name] = self._given_or_init(self.arg_params, name, shape)
        for name, shape in zip(self.symbol.list_auxiliary_states(), aux_shapes):
            auxs[name] = self._given_or_init(self.aux_params, name, shape)
        self.arg_params, self.aux_params = args, auxs

    def _given_or_init(self, given, name, shape):
        arr = nd.zeros(shape)
        if given and name in given:
            arr[:] = given[name]
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                self.initializer(name, arr)
        return arr

    def _module(self, data_iter, for_training):
        from .module import Module
        label_names = [d[0] for d in getattr(data_iter, "provide_label", None) or []]
        mod = Module(self.symbol, data_names=[d[0] for d in data_iter.provide_data],
                     label_names=label_names, context=self.ctx,
                     logger=logging)
        mod.bind(data_iter.provide_data, data_iter.provide_label or None,
                 for_training=for_training)
        return mod

    def _predictor(self, data_iter):
        shapes = [tuple(d) for d in data_iter.provide_data]
        if self._pred_mod is None or self._pred_mod[0] != shapes:
            mod = self._module(data_iter, for_training=False)
            self._pred_mod = (shapes, mod)
        mod = self._pred_mod[1]
        mod.set_params(self.arg_params, self.aux_params, allow_extra=self.allow_extra_params)
        return mod

    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """Outputs (NumPy) over ``X``, padding dropped; with ``return_data``
        also the data and labels seen."""
        X = self._init_iter(X, None, is_train=False)
        if reset:
            X.reset()
        mod = self._predictor(X)
        outputs, datas, labels = [], [], []
        for i, batch in enumerate(X):
            if num_batch is not None and i == num_batch:
                break
            mod.forward(batch, is_train=False)
            real = batch.data[0].shape[0] - (batch.pad or 0)
            outputs.append([o[0:real].asnumpy() for o in mod.get_outputs()])
            if return_data:
                datas.append([x[0:real].asnumpy() for x in batch.data])
                labels.append([x[0:real].asnumpy() for x in batch.label or []])
        result = _concat_columns(outputs)
        if return_data:
            return result, _concat_columns(datas), _concat_columns(labels)
        return result

    def score(self, X, eval_metric="acc", num_batch=None, batch_end_callback=None, reset=True):
        """The value of ``eval_metric`` (its first value) over ``X``."""
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        X = self._init_iter(X, None, is_train=False)
        if reset:
            X.reset()
        mod = self._predictor(X)
        for i, batch in enumerate(X):
            if num_batch is not None and i == num_batch:
                break
            mod.forward(batch, is_train=False)
            eval_metric.update(batch.label, mod.get_outputs())
            if batch_end_callback is not None:
                params = BatchEndParam(epoch=0, nbatch=i, eval_metric=eval_metric,
                                       locals=locals())
                for callback in _as_list(batch_end_callback):
                    callback(params)
        return eval_metric.get()[1]

    def fit(self, X, y=None, eval_data=None, eval_metric="acc", epoch_end_callback=None,
            batch_end_callback=None, kvstore="local", logger=None, work_load_list=None,
            monitor=None, eval_end_callback=None, eval_batch_end_callback=None):
        """Train for ``num_epoch`` epochs from ``begin_epoch``; the trained
        parameters end up in ``arg_params``/``aux_params``."""
        from .callback import LogValidationMetricsCallback
        from .module import Module
        data = self._init_iter(X, y, is_train=True)
        eval_data = self._init_eval_iter(eval_data)
        self._init_params(list(data.provide_data) + list(data.provide_label))
        # A named optimizer is created by Module, which also gives it the symbol
        # and the index -> name map (biases then get no weight decay).
        optimizer_params = dict(self.kwargs, rescale_grad=1.0 / data.batch_size) \
            if isinstance(self.optimizer, str) else ()
        mod = Module(self.symbol, data_names=[d[0] for d in data.provide_data],
                     label_names=[d[0] for d in data.provide_label], context=self.ctx,
                     work_load_list=work_load_list, logger=logger or logging)
        mod.fit(data, eval_data=eval_data, eval_metric=eval_metric,
                epoch_end_callback=epoch_end_callback, batch_end_callback=batch_end_callback,
                kvstore=kvstore, optimizer=self.optimizer, optimizer_params=optimizer_params,
                arg_params=self.arg_params,
                aux_params=self.aux_params, begin_epoch=self.begin_epoch,
                num_epoch=self.num_epoch, monitor=monitor,
                eval_end_callback=eval_end_callback or LogValidationMetricsCallback(),
                eval_batch_end_callback=eval_batch_end_callback)
        self.arg_params, self.aux_params = mod.get_params()
        self._pred_mod = None

    def save(self, prefix, epoch=None, remove_amp_cast=True):
        """Checkpoint under ``prefix`` at ``epoch`` (default ``num_epoch``)."""
        if epoch is None:
            epoch = self.num_epoch
        if epoch is None:
            raise MXNetError("FeedForward.save: give epoch (num_epoch is not set)")
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params, self.aux_params,
                        remove_amp_cast=remove_amp_cast)

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        """A FeedForward from a checkpoint, continuing at ``epoch``."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params, aux_params=aux_params,
                           begin_epoch=epoch, **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
               initializer=Uniform(0.01), eval_data=None, eval_metric="acc",
               epoch_end_callback=None, batch_end_callback=None, kvstore="local", logger=None,
               work_load_list=None, eval_end_callback=None, eval_batch_end_callback=None,
               **kwargs):
        """Construct a FeedForward and ``fit`` it in one call."""
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch, epoch_size=epoch_size,
                            optimizer=optimizer, initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric,
                  epoch_end_callback=epoch_end_callback, batch_end_callback=batch_end_callback,
                  kvstore=kvstore, logger=logger, work_load_list=work_load_list,
                  eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model


def _concat_columns(batches):
    """Per-position concatenation of lists of NumPy arrays; a lone array comes back bare."""
    if not batches:
        return []
    columns = [np.concatenate(col) for col in zip(*batches)]
    return columns[0] if len(columns) == 1 else columns


def _as_list(obj):
    return obj if isinstance(obj, list) else [obj]
