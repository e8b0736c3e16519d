"""``Trainer``: applies an optimizer to a set of Parameters.

With parameters on several devices (or a distributed kvstore), gradients
are summed through a KVStore (``mx.kv``), chosen as MXNet does: the
``kvstore`` argument names one ('device', 'local', 'dist_sync', ...) or is a
KVStore; one device in one process needs none. With ``update_on_kvstore``
(the default where the store can run the optimizer) the store applies the
update once and every device pulls the new weights; otherwise every
device's updater applies the summed gradient to its own copy.
"""
from .. import optimizer as opt
from ..base import MXNetError
from ..kvstore import KVStore, KVStoreBase, _create_kvstore
from .parameter import Parameter, ParameterDict
from .utils import shape_is_known

__all__ = ["Trainer"]


class Trainer:
    """Updates ``params`` (a ParameterDict, dict or list of Parameters) with
    ``optimizer`` (a name for ``mx.optimizer.create`` with
    ``optimizer_params``, or an Optimizer)."""

    def __init__(self, params, optimizer, optimizer_params=None, kvstore="device",
                 compression_params=None, update_on_kvstore=None):
        if isinstance(params, (dict, ParameterDict)):
            params = [params[key] for key in sorted(params.keys())]
        if not isinstance(params, (list, tuple)):
            raise ValueError("First argument must be a list or dict of Parameters, "
                             f"got {type(params)}.")
        self._params = []
        self._param2idx = {}
        self._contains_sparse_weight = self._contains_sparse_grad = False
        for i, param in enumerate(params):
            if not isinstance(param, Parameter):
                raise ValueError("First argument must be a list or dict of Parameters, "
                                 f"got list of {type(param)}.")
            self._param2idx[param.name] = i
            self._params.append(param)
            param._set_trainer(self)
            self._contains_sparse_weight |= param._stype != "default"
            self._contains_sparse_grad |= param._grad_stype != "default"
        self._compression_params = compression_params
        self._contexts = self._check_contexts()
        self._init_optimizer(optimizer, optimizer_params or {})
        self._scale = self._optimizer.rescale_grad
        self._kvstore_params = {"kvstore": kvstore, "update_on_kvstore": update_on_kvstore}
        self._kv_initialized = False
        self._kvstore = None
        self._update_on_kvstore = None
        self._distributed = None
        self._params_to_init = list(self._params)

    def _check_contexts(self):
        contexts = None
        for param in self._params:
            ctx = param.list_ctx()
            if contexts is not None and contexts != ctx:
                raise MXNetError(f"All Parameters must be initialized on the same set of "
                                 f"contexts, but Parameter {param.name} is initialized on {ctx} "
                                 f"while previous Parameters are initialized on {contexts}.")
            contexts = ctx
        return contexts

    def _init_optimizer(self, optimizer, optimizer_params):
        param_dict = dict(enumerate(self._params))
        if isinstance(optimizer, opt.Optimizer):
            if optimizer_params:
                raise MXNetError("optimizer_params must be None if optimizer is an instance of "
                                 "Optimizer instead of str")
            self._optimizer = optimizer
            self._optimizer.param_dict = param_dict
        else:
            self._optimizer = opt.create(optimizer, param_dict=param_dict, **optimizer_params)
        self._updaters = [opt.get_updater(self._optimizer) for _ in self._contexts]

    # -- the kvstore ------------------------------------------------------------------------
    def _reset_kvstore(self):
        """Forget the kvstore set-up; it is redone (from the parameters'
        current data) at the next step."""
        if self._kvstore and "dist" in self._kvstore.type:
            raise MXNetError("Cannot reset distributed KVStore.")
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        """Create the kvstore and decide where updates happen (MXNet's rules)."""
        config = self._kvstore_params
        wanted = config["update_on_kvstore"]
        arg_arrays = {p.name: p for p in self._params if p.shape and shape_is_known(p.shape)}
        kvstore, update_on_kvstore = _create_kvstore(config["kvstore"], len(self._contexts),
                                                     arg_arrays)
        self._distributed = "dist" in kvstore.type if kvstore else False
        if self._contains_sparse_weight or self._contains_sparse_grad:
            # Sparse gradients are pushed and pulled back; in one process the
            # updaters then run on the devices (MXNet's faster choice).
            update_on_kvstore = self._distributed
            if wanted is False and self._distributed:
                raise ValueError("Cannot set update_on_kvstore=False on dist kvstore when "
                                 "sparse gradients are present.")
            if kvstore is not None and not isinstance(kvstore, KVStore):
                raise ValueError(f"Cannot use {type(kvstore)} for multi-device training with "
                                 "sparse gradients")
        elif self._distributed and "async" in kvstore.type:
            update_on_kvstore = True
            if wanted is False:
                raise ValueError("Please set update_on_kvstore=True when training in async "
                                 "mode.")
        if wanted is not None:
            update_on_kvstore = wanted
        if kvstore is not None and update_on_kvstore \
                and not kvstore.is_capable(KVStoreBase.OPTIMIZER):
            raise ValueError(f"Please set update_on_kvstore=False: {kvstore.type} cannot run "
                             "the optimizer")
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            self._kvstore = kvstore
            self._update_on_kvstore = update_on_kvstore
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def _init_params(self):
        """Put the parameters' current values into the kvstore (every device
        gets device 0's copy, or worker 0's in a distributed job)."""
        pending = []
        for param in self._params_to_init:
            if param._deferred_init:
                pending.append(param)
                continue
            if self._kvstore:
                # row_sparse parameters refuse list_data(); the trainer reads them raw
                arrays = param._check_and_get(param._data, list)
                idx = self._param2idx[param.name]
                if param._stype != "default":
                    self._kvstore.init(idx, arrays[0])
                else:
                    self._kvstore.broadcast(idx, arrays[0], arrays)
        self._params_to_init = pending

    @property
    def learning_rate(self):
        """The optimizer's current learning rate."""
        return self._optimizer.learning_rate

    @property
    def optimizer(self):
        return self._optimizer

    def set_learning_rate(self, lr):
        """Set the optimizer's learning rate."""
        self._optimizer.set_learning_rate(lr)

    def _prepare(self):
        if not self._kv_initialized:
            self._init_kvstore()
        if self._params_to_init:
            self._init_params()

    def _check_and_rescale_grad(self, scale):
        if self._update_on_kvstore and self._distributed and self._kv_initialized \
                and self._optimizer.rescale_grad != scale:
            raise UserWarning("Possible change in the `batch_size` from previous `step` "
                              "detected. Optimizer gradient normalizing factor will not change "
                              "w.r.t new batch_size when update_on_kvstore=True and when "
                              "distributed kvstore is used.")
        self._optimizer.rescale_grad = scale

    # -- stepping --------------------------------------------------------------------------
    def step(self, batch_size, ignore_stale_grad=False):
        """One optimization step: gradients are normalized by ``1/batch_size``,
        reduced across devices, and applied."""
        self._check_and_rescale_grad(self._scale / batch_size)
        self._prepare()
        self._allreduce_grads()
        self._update(ignore_stale_grad)

    def allreduce_grads(self):
        """Sum gradients across devices (for use before ``update``, e.g. to
        clip them in between)."""
        self._prepare()
        if self._kvstore and self._update_on_kvstore:
            raise MXNetError("allreduce_grads() when parameters are updated on kvstore is not "
                             "supported. Try setting `update_on_kvstore` to False when creating "
                             "trainer.")
        self._allreduce_grads()

    def update(self, batch_size, ignore_stale_grad=False):
        """Apply the (already reduced) gradients, normalized by ``1/batch_size``."""
        self._prepare()
        if self._kvstore and self._update_on_kvstore:
            raise MXNetError("update() when parameters are updated on kvstore is not "
                             "supported. Try setting `update_on_kvstore` to False when creating "
                             "trainer.")
        self._check_and_rescale_grad(self._scale / batch_size)
        self._update(ignore_stale_grad)

    def _allreduce_grads(self):
        if not self._kvstore:
            return
        keys, grads_of, outs_of = [], [], []
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            if grads[0].stype != "default":
                # Sparse gradients: push, then pull what the update needs.
                self._kvstore.push(i, grads, priority=-i)
                if param._stype == "default":
                    outs = param.list_data() if self._update_on_kvstore else grads
                    self._kvstore.pull(i, outs, priority=-i, ignore_sparse=self._distributed)
                continue
            keys.append(i)
            grads_of.append(grads)
            outs_of.append(param.list_data() if self._update_on_kvstore else grads)
        if keys:
            # One call for every dense gradient: a distributed store fuses
            # small arrays into few messages (kvstore/fusion.py).
            self._kvstore.pushpull(keys, grads_of, out=outs_of, priority=-keys[0])

    def _update(self, ignore_stale_grad=False):
        on_kvstore = self._kvstore and self._update_on_kvstore
        updates = [[] for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            datas = param._check_and_get(param._data, list)
            if not ignore_stale_grad:
                for data in datas:
                    if getattr(data, "_fresh_grad", True) is False:
                        raise UserWarning(
                            f"Gradient of Parameter `{param.name}` on context {data.context} "
                            "has not been updated by backward since last `step`. This could "
                            "mean a bug in your model that made it only use a subset of the "
                            "Parameters (Blocks) for this iteration. If you are intentionally "
                            "only using a subset, call step with ignore_stale_grad=True to "
                            "suppress this warning and skip updating of Parameters with stale "
                            "gradient")
            if on_kvstore:  # the kvstore updated the weights in _allreduce_grads
                for data in datas:
                    _set_fresh(data, False)
                continue
            for upd, data, grad in zip(updates, datas, param.list_grad()):
                if not ignore_stale_grad or getattr(data, "_fresh_grad", True):
                    upd.append((i, grad, data))
                    _set_fresh(data, False)
        for updater, upd in zip(self._updaters, updates):
            if upd:
                indices, grads, weights = zip(*upd)
                updater(list(indices), list(grads), list(weights))

    # -- optimizer states ------------------------------------------------------------------
    def save_states(self, fname):
        """Write the optimizer and its states (MXNet's pickle format)."""
        self._prepare()
        if self._update_on_kvstore:
            if self._params_to_init:
                raise MXNetError("Cannot save trainer states when some parameters are not "
                                 "yet initialized in kvstore.")
            self._kvstore.save_optimizer_states(fname, dump_optimizer=True)
            return
        with open(fname, "wb") as f:
            f.write(self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname):
        """Restore what ``save_states`` wrote (on every device's updater)."""
        self._prepare()
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            self._optimizer = self._kvstore._updater.optimizer
        else:
            with open(fname, "rb") as f:
                states = f.read()
            for updater in self._updaters:
                updater.set_states(states)
                updater.optimizer = self._updaters[0].optimizer
            self._optimizer = self._updaters[0].optimizer
        self._optimizer.param_dict = dict(enumerate(self._params))


def _set_fresh(arr, value):
    """Mark a weight's gradient as consumed, where NDArray tracks freshness."""
    try:
        arr._fresh_grad = value
    except AttributeError:
        pass
