"""``BucketingModule``: one ``Module`` per bucket key (e.g. sequence length),
all sharing the parameters and optimizer of the default bucket's module."""
import logging

import numpy as np

from .. import ndarray as nd
from ..base import MXNetError
from ..context import cpu
from ..initializer import Uniform
from ..model import load_params
from .base_module import BaseModule
from .module import Module

__all__ = ["BucketingModule"]


class BucketingModule(BaseModule):
    """Modules created on demand from ``sym_gen(bucket_key) -> (symbol,
    data_names, label_names)``. The module of ``default_bucket_key`` is bound
    first and owns the parameters; a batch's ``bucket_key`` selects (and, the
    first time, binds with shared parameters) its module. The default bucket
    should be the largest, so others can share its memory."""

    def __init__(self, sym_gen, default_bucket_key=None, logger=logging, context=cpu(),
                 work_load_list=None, fixed_param_names=None, state_names=None,
                 group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise MXNetError("BucketingModule: default_bucket_key must be given")
        self._default_bucket_key = default_bucket_key
        self._sym_gen = sym_gen
        self._symbols = {}  # bucket key -> a given symbol used instead of sym_gen's
        symbol, data_names, label_names = self._call_sym_gen(default_bucket_key)
        self._symbol = symbol
        self._data_names = list(data_names or [])
        self._label_names = list(label_names or [])
        self._state_names = list(state_names or [])
        self._fixed_param_names = list(fixed_param_names or [])
        self._context = context
        self._work_load_list = work_load_list
        self._group2ctxs = group2ctxs
        self._compression_params = compression_params
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False
        self._monitor = None
        self._grad_req = None
        self._preloaded = None

    def _call_sym_gen(self, key):
        symbol, data_names, label_names = self._sym_gen(key)
        return self._symbols.get(key, symbol), data_names, label_names

    def _new_module(self, symbol, data_names, label_names):
        return Module(symbol, data_names, label_names, logger=self.logger,
                      context=self._context, work_load_list=self._work_load_list,
                      fixed_param_names=self._fixed_param_names, state_names=self._state_names,
                      group2ctxs=self._group2ctxs, compression_params=self._compression_params)

    def _reset_bind(self):
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    # -- properties --------------------------------------------------------------------
    @property
    def data_names(self):
        return self._curr_module.data_names if self.binded else self._data_names

    @property
    def output_names(self):
        if self.binded:
            return self._curr_module.output_names
        return self._symbol.list_outputs()

    @property
    def data_shapes(self):
        self._require("data_shapes", "binded")
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        self._require("label_shapes", "binded")
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        self._require("output_shapes", "binded")
        return self._curr_module.output_shapes

    @property
    def symbol(self):
        """The symbol of the current bucket."""
        self._require("symbol", "binded")
        return self._curr_module.symbol

    # -- parameters ----------------------------------------------------------------------
    def get_params(self):
        self._require("get_params", "binded", "params_initialized")
        self._curr_module._params_dirty = self._params_dirty
        params = self._curr_module.get_params()
        self._params_dirty = False
        return params

    def _assign_params(self, arg_params, aux_params, force_init, allow_extra):
        """``set_params`` with missing values allowed: the current bucket writes them."""
        self._curr_module.set_params(arg_params, aux_params, allow_missing=True,
                                     force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise the shared parameters through the current module."""
        if self.params_initialized and not force_init:
            return
        self._require("init_params", "binded")
        self._curr_module.init_params(initializer=initializer, arg_params=arg_params,
                                      aux_params=aux_params, allow_missing=allow_missing,
                                      force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def get_states(self, merge_multi_context=True):
        self._require("get_states", "binded", "params_initialized")
        return self._curr_module.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        self._require("set_states", "binded", "params_initialized")
        self._curr_module.set_states(states, value)

    # -- binding ------------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Bind the default bucket's module (``data_shapes`` are for that bucket)."""
        if self.binded and self.params_initialized:
            arg_params, aux_params = self.get_params()
        elif self._preloaded is not None:
            arg_params, aux_params = self._preloaded
            self._preloaded = None
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if shared_module is not None:
            raise MXNetError("BucketingModule.bind: shared_module is not supported")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.binded = True
        self._grad_req = grad_req
        symbol, data_names, label_names = self._call_sym_gen(self._default_bucket_key)
        module = self._new_module(symbol, data_names, label_names)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None, grad_req=grad_req)
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self._buckets[self._default_bucket_key] = module
        if self.params_initialized:
            self.set_params(arg_params, aux_params)

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Make ``bucket_key`` current, binding its module (sharing the default
        bucket's parameters) the first time it is seen."""
        self._require("switch_bucket", "binded")
        if bucket_key not in self._buckets:
            symbol, data_names, label_names = self._call_sym_gen(bucket_key)
            module = self._new_module(symbol, data_names, label_names)
            module.bind(data_shapes, label_shapes, self._curr_module.for_training,
                        self._curr_module.inputs_need_grad, force_rebind=False,
                        shared_module=self._buckets[self._default_bucket_key],
                        grad_req=self._grad_req)
            if self._monitor is not None:
                module.install_monitor(self._monitor)
            self._buckets[bucket_key] = module
        self._curr_module = self._buckets[bucket_key]
        self._curr_bucket_key = bucket_key

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Create the optimizer once; every bucket's module borrows it."""
        self._require("init_optimizer", "binded", "params_initialized")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        self._curr_module.init_optimizer(kvstore, optimizer, optimizer_params,
                                         force_init=force_init)
        for module in self._buckets.values():
            if module is not self._curr_module:
                module.borrow_optimizer(self._curr_module)
        self.optimizer_initialized = True

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Switch to the batch's bucket (binding it if new), then prepare it."""
        self._require("prepare", "binded", "params_initialized")
        bucket_key = data_batch.bucket_key
        original_key = self._curr_bucket_key
        self.switch_bucket(bucket_key, data_batch.provide_data, data_batch.provide_label)
        self._curr_module.prepare(data_batch, sparse_row_id_fn=sparse_row_id_fn)
        self.switch_bucket(original_key, None, None)

    # -- computation ---------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Forward in the module of ``data_batch.bucket_key``."""
        self._require("forward", "binded", "params_initialized")
        self.switch_bucket(data_batch.bucket_key, data_batch.provide_data,
                           data_batch.provide_label)
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads=None):
        self._require("backward", "binded", "params_initialized")
        self._curr_module.backward(out_grads=out_grads)

    def update(self):
        """Update the shared parameters from the current bucket's gradients."""
        self._require("update", "binded", "params_initialized", "optimizer_initialized")
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        self._require("get_outputs", "binded", "params_initialized")
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._require("get_input_grads", "binded", "params_initialized")
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._require("update_metric", "binded", "params_initialized")
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install ``mon`` on every bucket, including those bound later."""
        self._require("install_monitor", "binded")
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)

    # -- checkpoints -----------------------------------------------------------------------
    def save_checkpoint(self, prefix, epoch, remove_amp_cast=False):
        """Write the shared parameters (``prefix-%04d.params``), each bucket's
        symbol (``prefix-<key>-symbol.json``) and the bucket keys
        (``prefix.buckets``, an int32 NDArray), as MXNet does."""
        if not self._buckets:
            raise MXNetError("BucketingModule.save_checkpoint: empty module (bind it first)")
        self.save_params("%s-%04d.params" % (prefix, epoch))
        for key in self._buckets:
            self._call_sym_gen(key)[0].save(f"{prefix}-{key}-symbol.json",
                                       remove_amp_cast=remove_amp_cast)
        nd.save(f"{prefix}.buckets", nd.array(list(self._buckets), dtype=np.int32))

    @staticmethod
    def load(prefix, epoch, sym_gen=None, default_bucket_key=None, **kwargs):
        """A BucketingModule whose parameters come from ``prefix-%04d.params``
        (applied when it is bound); ``sym_gen`` and ``default_bucket_key`` are
        required, the constructor's other arguments go in ``kwargs``."""
        if sym_gen is None:
            raise MXNetError("BucketingModule.load: sym_gen is required")
        if default_bucket_key is None:
            raise MXNetError("BucketingModule.load: default_bucket_key is required")
        mod = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        mod._preloaded = load_params(prefix, epoch)
        mod.params_initialized = True
        return mod

    @staticmethod
    def load_dict(sym_dict=None, sym_gen=None, default_bucket_key=None, arg_params=None,
                  aux_params=None, **kwargs):
        """A BucketingModule running the symbols of ``sym_dict`` ({bucket key:
        Symbol}) for their buckets (``sym_gen`` still names each bucket's data
        and labels, and makes the symbols of other keys), with the shared
        ``arg_params``/``aux_params`` applied when it is bound. Every argument
        but the constructor's ``kwargs`` is required."""
        for name, value in (("sym_dict", sym_dict), ("sym_gen", sym_gen),
                            ("default_bucket_key", default_bucket_key),
                            ("arg_params", arg_params), ("aux_params", aux_params)):
            if value is None:
                raise MXNetError(f"BucketingModule.load_dict: {name} is required")
        mod = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        mod._symbols = dict(sym_dict)
        mod._symbol = mod._call_sym_gen(default_bucket_key)[0]
        mod._preloaded = (arg_params, aux_params)
        mod.params_initialized = True
        return mod
