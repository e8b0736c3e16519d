"""``Trainer``: applies an optimizer to a set of Parameters.

With parameters on several devices, gradients are summed across devices
before the update, as MXNet's 'device'/'local' kvstore does: each device's
gradient buffer receives the sum and every copy is updated by its own
updater (``update_on_kvstore=True`` instead updates one copy once and
broadcasts it, which is what a kvstore-side optimizer does). The reduction
is done here locally; a KVStore object given as ``kvstore`` is used for it
when it offers ``pushpull``.
"""
from .. import optimizer as opt
from ..base import MXNetError
from .parameter import Parameter, ParameterDict

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
        self._params_to_init = []
        self._reduced = {}  # index -> summed gradient, when updating "on the kvstore"
        self._reset_kvstore()

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

    # -- the reduction across devices ("kvstore") ------------------------------------------
    def _reset_kvstore(self):
        """Forget the reduction set-up; it is redone (from the parameters'
        current data) at the next step."""
        self._kv_initialized = False
        self._kvstore = None
        self._distributed = None
        self._update_on_kvstore = None
        self._params_to_init = list(self._params)

    def _init_kvstore(self):
        kvstore = self._kvstore_params["kvstore"]
        if isinstance(kvstore, str) and "dist" in kvstore:
            raise MXNetError(f"Trainer: kvstore {kvstore!r} needs a distributed KVStore, which "
                             "this Trainer does not create; pass a KVStore object")
        self._distributed = False
        # A single device needs no reduction (MXNet drops the kvstore too).
        if kvstore and len(self._contexts) > 1:
            self._kvstore = kvstore
            wanted = self._kvstore_params["update_on_kvstore"]
            self._update_on_kvstore = bool(wanted)
        else:
            self._kvstore = None
            self._update_on_kvstore = None
        self._kv_initialized = True

    def _init_params(self):
        """Make the device copies equal before the first reduced update."""
        if self._update_on_kvstore:
            for param in self._params_to_init:
                if param._deferred_init:
                    continue
                copies = param.list_data()
                for arr in copies[1:]:
                    copies[0].copyto(arr)
        self._params_to_init = [p for p in self._params_to_init if p._deferred_init]

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
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            grads = param.list_grad()
            if hasattr(self._kvstore, "pushpull"):
                self._kvstore.pushpull(i, grads, grads, priority=-i)
                continue
            total = grads[0].copy()
            for g in grads[1:]:
                total += g.as_in_context(total.context)
            if self._update_on_kvstore:
                self._reduced[i] = total
            else:
                for g in grads:
                    total.copyto(g)

    def _update(self, ignore_stale_grad=False):
        updates = [[] for _ in self._updaters]
        for i, param in enumerate(self._params):
            if param.grad_req == "null":
                continue
            datas = param.list_data()
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
            grads = param.list_grad()
            if self._kvstore and self._update_on_kvstore:
                # One update on the reduced gradient, then every copy gets the result.
                if not ignore_stale_grad or getattr(datas[0], "_fresh_grad", True):
                    updates[0].append((i, self._reduced.pop(i, grads[0]), datas[0]))
                    _set_fresh(datas[0], False)
                continue
            for upd, data, grad in zip(updates, datas, grads):
                if not ignore_stale_grad or getattr(data, "_fresh_grad", True):
                    upd.append((i, grad, data))
                    _set_fresh(data, False)
        for updater, upd in zip(self._updaters, updates):
            if upd:
                indices, grads, weights = zip(*upd)
                updater(list(indices), list(grads), list(weights))
        if self._kvstore and self._update_on_kvstore:
            for i, _, _ in updates[0]:
                copies = self._params[i].list_data()
                for arr in copies[1:]:
                    copies[0].copyto(arr)

    # -- optimizer states ------------------------------------------------------------------
    def save_states(self, fname):
        """Write the optimizer and its states (MXNet's pickle format)."""
        self._prepare()
        with open(fname, "wb") as f:
            f.write(self._updaters[0].get_states(dump_optimizer=True))

    def load_states(self, fname):
        """Restore what ``save_states`` wrote (on every device's updater)."""
        self._prepare()
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
