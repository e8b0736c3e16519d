"""``Module``: a symbol bound on one or more devices with its parameters,
optimizer and (optional) kvstore: MXNet's intermediate-level training API."""
import logging
import warnings

from .. import ndarray as nd
from .. import optimizer as opt
from ..base import MXNetError
from ..context import Context, cpu
from ..initializer import InitDesc, Uniform
from ..io import DataDesc
from ..model import (_create_kvstore, _initialize_kvstore, _update_params,
                     _update_params_on_kvstore, load_checkpoint)
from .base_module import BaseModule, _check_input_names, _parse_data_desc
from .executor_group import DataParallelExecutorGroup

__all__ = ["Module"]


class Module(BaseModule):
    """A symbol with named data/label inputs, trained data-parallel over
    ``context`` (a Context or list of them; ``work_load_list`` weights the
    batch split). Arguments that are not inputs (``data_names``,
    ``label_names``, ``state_names``) are parameters; ``fixed_param_names``
    are parameters that are never updated.
    """

    def __init__(self, symbol, data_names=("data",), label_names=("softmax_label",),
                 logger=logging, context=cpu(), work_load_list=None, fixed_param_names=None,
                 state_names=None, group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        self._context = [context] if isinstance(context, Context) else list(context)
        if not all(isinstance(c, Context) for c in self._context):
            raise MXNetError(f"Module: context must be a Context or a list of them, "
                             f"got {context!r}")
        self._work_load_list = list(work_load_list) if work_load_list is not None \
            else [1] * len(self._context)
        if len(self._work_load_list) != len(self._context):
            raise MXNetError(f"Module: work_load_list has {len(self._work_load_list)} entries "
                             f"for {len(self._context)} contexts")
        self._group2ctxs = group2ctxs
        self._symbol = symbol
        self._data_names = list(data_names or [])
        self._label_names = list(label_names or [])
        self._state_names = list(state_names or [])
        self._fixed_param_names = list(fixed_param_names or [])
        _check_input_names(symbol, self._data_names, "data", True)
        _check_input_names(symbol, self._label_names, "label", False)
        _check_input_names(symbol, self._state_names, "state", True)
        _check_input_names(symbol, self._fixed_param_names, "fixed_param", True)

        inputs = set(self._data_names + self._label_names + self._state_names)
        self._param_names = [n for n in symbol.list_arguments() if n not in inputs]
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self._compression_params = compression_params
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = None
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # -- checkpoints -------------------------------------------------------------------
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module built from checkpoint ``prefix``/``epoch`` with its parameters
        loaded (and, with ``load_optimizer_states``, the optimizer states once
        ``init_optimizer`` runs). ``kwargs`` go to the constructor."""
        symbol, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=symbol, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = "%s-%04d.states" % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` and, optionally,
        ``prefix-%04d.states``."""
        self._symbol.save(f"{prefix}-symbol.json", remove_amp_cast=remove_amp_cast)
        param_name = "%s-%04d.params" % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = "%s-%04d.states" % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # -- properties ------------------------------------------------------------------------
    @property
    def data_names(self):
        return self._data_names

    @property
    def label_names(self):
        return self._label_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        self._require("data_shapes", "binded")
        return self._data_shapes

    @property
    def label_shapes(self):
        self._require("label_shapes", "binded")
        return self._label_shapes

    @property
    def output_shapes(self):
        self._require("output_shapes", "binded")
        return self._exec_group.get_output_shapes()

    # -- parameters ------------------------------------------------------------------------
    def get_params(self):
        """Copies on cpu of the parameters (averaged over devices)."""
        self._require("get_params", "binded", "params_initialized")
        if self._params_dirty:
            self._sync_params_from_devices()
        return self._arg_params, self._aux_params

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Give every parameter a value: from ``arg_params``/``aux_params`` when
        they have it, else from ``initializer`` (which honours a variable's own
        ``init`` attribute) if ``allow_missing`` or no dicts were given; a
        missing value is an error otherwise. Parameters are visited in sorted
        name order, as in MXNet. A second call is ignored unless ``force_init``."""
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "init_params call ignored.", stacklevel=2)
            return
        self._require("init_params", "binded")
        attrs = self._symbol.attr_dict()

        def fill(name, arr, given):
            desc = InitDesc(name, attrs.get(name, None))
            if given is not None:
                if name in given:
                    if given[name] is not arr:
                        given[name].copyto(arr)
                    return
                if not allow_missing:
                    raise RuntimeError(f"{name} is not presented")
            if initializer is not None:
                initializer(desc, arr)

        for name, arr in sorted(self._arg_params.items()):
            fill(name, arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            fill(name, arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def _assign_params(self, arg_params, aux_params, force_init, allow_extra):
        """``set_params`` with missing values allowed: write what is given."""
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        # The devices now hold the truth; get_params must read them back.
        self._params_dirty = True
        self.params_initialized = True

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # -- binding -----------------------------------------------------------------------------
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Create the executors for inputs of the given shapes (``DataDesc`` or
        ``(name, shape)``). ``shared_module`` (bound and initialised) lends
        its parameter arrays, as ``BucketingModule`` does."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if not for_training and inputs_need_grad:
            raise MXNetError("bind: inputs_need_grad=True requires for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)

        shared_group = None
        if shared_module is not None:
            if not (isinstance(shared_module, Module) and shared_module.binded
                    and shared_module.params_initialized):
                raise MXNetError("bind: shared_module must be a bound Module with "
                                 "initialized parameters")
            shared_group = shared_module._exec_group
            if len(shared_group.execs) < len(self._context):
                raise MXNetError("bind: shared_module runs on fewer devices than this module")

        self._exec_group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, self._data_shapes,
            self._label_shapes, self._param_names, for_training, inputs_need_grad,
            shared_group, logger=self.logger, fixed_param_names=self._fixed_param_names,
            grad_req=grad_req, state_names=self._state_names, group2ctxs=self._group2ctxs)
        self.binded = True

        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # Bound after Module.load (or a re-bind): the devices get the kept values.
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            group = self._exec_group
            self._arg_params = {name: nd.zeros(arrs[0].shape, dtype=arrs[0].dtype)
                                for name, arrs in zip(self._param_names, group.param_arrays)}
            self._aux_params = {name: nd.zeros(arrs[0].shape, dtype=arrs[0].dtype)
                                for name, arrs in zip(self._aux_names, group.aux_arrays)}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)

    def reshape(self, data_shapes, label_shapes=None):
        """Rebind for new input shapes (e.g. another batch size), keeping parameters."""
        self._require("reshape", "binded")
        self._data_shapes, self._label_shapes = _parse_data_desc(
            self._data_names, self._label_names, data_shapes, label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # -- optimizer -------------------------------------------------------------------------
    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Create the optimizer (a name plus ``optimizer_params``, or an
        ``Optimizer``) and the kvstore. A named optimizer gets
        ``rescale_grad = 1/batch_size`` unless given; updater indices are
        parameter positions (times the device count plus the device when
        updates run here rather than on the kvstore)."""
        self._require("init_optimizer", "binded", "params_initialized")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        if self._params_dirty:
            self._sync_params_from_devices()

        kvstore, update_on_kvstore = _create_kvstore(kvstore, len(self._context),
                                                     self._arg_params)
        batch_size = self._exec_group.batch_size
        kv_type = getattr(kvstore, "type", "") or ""
        if kvstore is not None and "dist" in kv_type and "_sync" in kv_type:
            batch_size *= kvstore.num_workers
        rescale_grad = 1.0 / batch_size
        names = self._exec_group.param_names
        if update_on_kvstore:
            idx2name = dict(enumerate(names))
        else:
            n = len(self._context)
            idx2name = {i * n + k: name for k in range(n) for i, name in enumerate(names)}
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self.symbol, param_idx2name=idx2name, **params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn("Optimizer created manually outside Module but rescale_grad is not "
                              "normalized to 1.0/batch_size/num_workers (%s vs. %s). Is this "
                              "intended?" % (optimizer.rescale_grad, rescale_grad), stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise MXNetError(f"init_optimizer: optimizer must be a name or an Optimizer, "
                             f"got {type(optimizer).__name__}")

        self._optimizer = optimizer
        self._kvstore = kvstore
        self._update_on_kvstore = update_on_kvstore
        self._updater = None
        if kvstore is not None:
            if self._compression_params and hasattr(kvstore, "set_gradient_compression"):
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            _initialize_kvstore(kvstore, self._exec_group.param_arrays, self._arg_params,
                                self._param_names, update_on_kvstore)
        if not update_on_kvstore:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use ``shared_module``'s optimizer, kvstore and updater (bucketing)."""
        if not shared_module.optimizer_initialized:
            raise MXNetError("borrow_optimizer: the shared module has no optimizer yet")
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname):
        """Save the optimizer states (the updater's pickle, or the kvstore's file)."""
        self._require("save_optimizer_states", "optimizer_initialized")
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
        else:
            with open(fname, "wb") as f:
                f.write(self._updater.get_states())

    def load_optimizer_states(self, fname):
        """Load states saved by ``save_optimizer_states``."""
        self._require("load_optimizer_states", "optimizer_initialized")
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
        else:
            with open(fname, "rb") as f:
                self._updater.set_states(f.read())

    # -- computation -------------------------------------------------------------------------
    def forward(self, data_batch, is_train=None):
        """Forward on ``data_batch``; a batch whose shapes differ from the bound
        ones reshapes the executors first (e.g. a smaller last batch)."""
        self._require("forward", "binded", "params_initialized")
        batches = data_batch if isinstance(data_batch, list) else [data_batch]
        current = tuple(tuple(d.shape) for d in self._data_shapes)
        new = tuple(tuple(d.shape) for d in data_batch.data) if not isinstance(data_batch, list) \
            else tuple(tuple(d.shape) for d in batches[0].data)
        if current != new and not isinstance(data_batch, list):
            if getattr(data_batch, "provide_data", None):
                data_desc = data_batch.provide_data
            else:
                data_desc = [DataDesc(d.name, shape, d.dtype, d.layout)
                             for d, shape in zip(self._data_shapes, new)]
            if getattr(data_batch, "provide_label", None):
                label_desc = data_batch.provide_label
            elif getattr(data_batch, "label", None) and self._label_shapes:
                label_desc = [DataDesc(d.name, tuple(lab.shape), d.dtype, d.layout)
                              for d, lab in zip(self._label_shapes, data_batch.label)]
            else:
                label_desc = None
            self.reshape(data_desc, label_desc)
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        """Backward pass; ``out_grads`` are the head gradients of non-loss outputs."""
        self._require("backward", "binded", "params_initialized")
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """One optimizer step from the current gradients (summed over devices)."""
        self._require("update", "binded", "params_initialized", "optimizer_initialized")
        self._params_dirty = True
        group = self._exec_group
        if self._update_on_kvstore:
            _update_params_on_kvstore(group.param_arrays, group.grad_arrays, self._kvstore,
                                      group.param_names)
        else:
            _update_params(group.param_arrays, group.grad_arrays, updater=self._updater,
                           num_device=len(self._context), kvstore=self._kvstore,
                           param_names=group.param_names)

    def get_outputs(self, merge_multi_context=True):
        """Outputs of the last forward, merged over devices unless asked not to."""
        self._require("get_outputs", "binded", "params_initialized")
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        """Gradients of the data inputs (bind with ``inputs_need_grad=True``)."""
        self._require("get_input_grads", "binded", "params_initialized")
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context=True):
        """Values of the ``state_names`` inputs."""
        self._require("get_states", "binded", "params_initialized")
        return self._exec_group.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        """Set the ``state_names`` inputs from arrays or to a scalar ``value``."""
        self._require("set_states", "binded", "params_initialized")
        self._exec_group.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Accumulate ``eval_metric`` over the last outputs and ``labels``."""
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Install a ``Monitor`` on every device's executor."""
        self._require("install_monitor", "binded")
        self._exec_group.install_monitor(mon)

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Pull the rows of row_sparse weights ``data_batch`` needs (with a
        kvstore that updates them); dense weights need nothing."""
        self._require("prepare", "binded")
        if sparse_row_id_fn is None:
            return
        if not self._kvstore or not self._update_on_kvstore:
            warnings.warn(UserWarning("Parameters are not updated in the KVStore. "
                                      "No need to call sparse_row_id_fn."))
            return
        row_ids = sparse_row_id_fn(data_batch)
        for name, ids in row_ids.items():
            index = self._exec_group.param_names.index(name)
            self._kvstore.row_sparse_pull(name, self._exec_group.param_arrays[index],
                                          priority=-index, row_ids=ids)
