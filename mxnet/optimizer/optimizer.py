"""The optimizer base class, its registry, and the ``Updater`` that applies it.

An optimizer turns (weight, gradient, state) into an updated weight, in
place. Subclasses live in family modules (``sgd``, ``adam``, ``adagrad``,
``lars``, ``contrib``) and call the fused update operators of
``mxnet.ndarray`` with ``out=weight``.

Pickles: MXNet keeps every optimizer class in ``mxnet.optimizer.optimizer``
and ``Updater.get_states`` pickles ``states`` (a dict index -> state) or,
with ``dump_optimizer=True``, the pair ``(states, optimizer)``. The
built-in classes here therefore report that module as theirs (this module
resolves their names on demand, see ``__getattr__`` at the bottom), and the
optimizer's attribute names are MXNet's, so state files move between the two
libraries as far as the NDArray pickle format allows.
"""
import pickle
import warnings

import numpy

from ..base import MXNetError
from .. import ndarray as nd

__all__ = ["Optimizer", "Updater", "create", "get_updater", "register"]

# Built-in classes say they live here, where MXNet's pickles look for them.
MXNET_MODULE = "mxnet.optimizer.optimizer"


class UnknownOptimizerError(MXNetError, ValueError):
    """An optimizer name that is not registered (a ValueError, as in MXNet)."""


class Optimizer(object):
    """Base class of all optimizers.

    Parameters (all optional): ``rescale_grad`` multiplies every gradient
    first (often ``1/batch_size``); ``param_idx2name`` maps indices to
    parameter names (names not ending in ``_weight``/``_gamma`` then get no
    weight decay); ``wd`` is the L2 weight decay; ``clip_gradient`` bounds
    gradients to ``[-c, c]``; ``learning_rate`` (default 0.01 unless a
    scheduler gives it; when both are given it overrides the scheduler's
    ``base_lr``); ``lr_scheduler``; ``sym`` a Symbol whose ``__lr_mult__``
    and ``__wd_mult__`` argument attributes become per-parameter multipliers;
    ``begin_num_update`` the starting update count; ``multi_precision``
    keeps float32 master copies of float16 weights; ``param_dict`` maps
    indices to gluon Parameters whose ``lr_mult``/``wd_mult`` take priority.
    """

    opt_registry = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None \
                and lr_scheduler.base_lr != learning_rate:
            # MXNet prints (rather than warns) this message.
            print(UserWarning("learning rate from ``lr_scheduler`` has been overwritten by "
                              "``learning_rate`` in optimizer."))
            lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        # Update counts per device (device_id -> {index: count}); the Updater
        # selects the current device before updating.
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise MXNetError(f"Optimizer: param_idx2name must be a dict of parameter indices to "
                             f"names, got {type(param_idx2name).__name__}")
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.allow_np_array = False
        self.set_lr_mult({})
        self.set_wd_mult({})

    # -- registry --------------------------------------------------------------
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased class name."""
        if not isinstance(klass, type):
            raise MXNetError(f"Optimizer.register: expects a class, got {klass!r}")
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            old = Optimizer.opt_registry[name]
            warnings.warn(f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is "
                          f"overriding existing optimizer {old.__module__}.{old.__name__}")
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An instance of the optimizer registered as ``name`` (case-insensitive)."""
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise UnknownOptimizerError(
                f"Cannot find optimizer {name}: registered optimizers are "
                f"{sorted(Optimizer.opt_registry)}; register new ones with "
                f"mx.optimizer.register")
        return klass(**kwargs)

    # -- learning rate -----------------------------------------------------------
    @property
    def learning_rate(self):
        """The current learning rate (from the scheduler when there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set the learning rate; not allowed once a scheduler drives it."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note that "
                              "set_learning_rate can mutate the value of the learning rate of "
                              "the optimizer only when the LRScheduler of the optimizer is "
                              "undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        """Deprecated in MXNet: use ``set_lr_mult``."""
        raise DeprecationWarning

    def _symbol_mults(self, key):
        """``{argument name: float}`` of a ``__lr_mult__``-style symbol attribute."""
        if not self.sym_info:
            return {}
        attr, arg_names = self.sym_info
        return {n: float(attr[n][key]) for n in arg_names if n in attr and key in attr[n]}

    def set_lr_mult(self, args_lr_mult):
        """Per-parameter learning-rate multipliers, keyed by name or index.

        Starts from the symbol's ``__lr_mult__`` attributes, then applies
        ``args_lr_mult``."""
        self.lr_mult = self._symbol_mults('__lr_mult__')
        self.lr_mult.update(args_lr_mult)

    def _no_decay(self, name):
        """Whether a named parameter gets weight decay 0 by default."""
        return not (name.endswith('_weight') or name.endswith('_gamma'))

    def set_wd_mult(self, args_wd_mult):
        """Per-parameter weight-decay multipliers, keyed by name or index.

        Named parameters that are not weights (biases, betas...) start at 0;
        the symbol's ``__wd_mult__`` attributes and then ``args_wd_mult``
        override."""
        self.wd_mult = {n: 0.0 for n in self.idx2name.values() if self._no_decay(n)}
        self.wd_mult.update(self._symbol_mults('__wd_mult__'))
        self.wd_mult.update(args_wd_mult)

    def _scaled(self, base, indices, mults, attr):
        out = [base] * len(indices)
        for i, index in enumerate(indices):
            if index in self.param_dict:
                out[i] *= getattr(self.param_dict[index], attr)
            elif index in mults:
                out[i] *= mults[index]
            elif index in self.idx2name:
                out[i] *= mults.get(self.idx2name[index], 1.0)
        return out

    def _get_lrs(self, indices):
        """Learning rates of several weights (scheduler rate times multipliers)."""
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return self._scaled(lr, indices, self.lr_mult, 'lr_mult')

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        """Weight decays of several weights (``wd`` times multipliers)."""
        return self._scaled(self.wd, indices, self.wd_mult, 'wd_mult')

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    # -- update counting ---------------------------------------------------------
    def _set_current_context(self, device_id):
        """Count updates separately for each device (data-parallel copies)."""
        counts = self._all_index_update_counts.get(device_id)
        if counts is None:  # a device first seen after loading states continues their counts
            counts = dict(getattr(self, "_resumed_counts", {}))
            self._all_index_update_counts[device_id] = counts
        self._index_update_count = counts

    def _update_count(self, index):
        """Count one more update of ``index`` (an index or a list of them)."""
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    # -- states and updates ------------------------------------------------------
    def create_state(self, index, weight):
        """The auxiliary state of one weight (momentum...), or None."""
        return None

    def create_state_multi_precision(self, index, weight):
        """Like ``create_state``; for a float16 weight with ``multi_precision``
        the state is ``(float32 master copy, state of the copy)``."""
        if weight.dtype == numpy.float16:
            if self.multi_precision:
                master = weight.astype(numpy.float32)
                return (master, self.create_state(index, master))
            _warn_float16(type(self).__name__)
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        """Update ``weight`` in place from ``grad`` and ``state``."""
        raise NotImplementedError(f"{type(self).__name__} does not define update")

    def update_multi_precision(self, index, weight, grad, state):
        """``update``, on the float32 master copy when the state holds one;
        the float16 weight then receives the rounded master copy."""
        if self.multi_precision and weight.dtype == numpy.float16:
            master, inner = state
            self.update(index, master, grad.astype(numpy.float32), inner)
            nd.cast(master, dtype=weight.dtype, out=weight)
        else:
            self.update(index, weight, grad, state)

    def _fused_kwargs(self, **extra):
        """Keyword arguments shared by the fused update ops.

        MXNet passes ``clip_gradient`` only when it is truthy, so 0 means no
        clipping here (the Python-written optimizers clip whenever it is not
        None)."""
        kwargs = {'rescale_grad': self.rescale_grad, **extra}
        if self.clip_gradient:
            kwargs['clip_gradient'] = self.clip_gradient
        return kwargs

    def _rescaled_grad(self, grad):
        """``clip(grad * rescale_grad)`` as the Python-written optimizers do it."""
        grad = grad * self.rescale_grad
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        return grad

    def __getstate__(self):
        state = self.__dict__.copy()
        # Gluon parameters are not saved; the Trainer sets them again.
        del state['param_dict']
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}
        self._share_update_counts()

    def _share_update_counts(self):
        """Give every device the latest update count of every index. A saved
        optimizer counts per device, and which device updated a key depends on
        where it was trained (a 'device' kvstore spreads keys over the devices);
        resumed on another layout, a key would otherwise restart at step 1
        (Adam's bias correction, schedules by count). Copies of one weight on
        several devices always share one count, so this loses nothing."""
        per_device = getattr(self, "_all_index_update_counts", None)
        if not per_device:
            return
        latest = {}
        for counts in per_device.values():
            for idx, count in counts.items():
                latest[idx] = max(count, latest.get(idx, count))
        for counts in per_device.values():  # in place: _index_update_count is one of them
            counts.update(latest)
        self._resumed_counts = latest


def _warn_float16(name):
    warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or slow "
                  "convergence. Consider using multi_precision=True option of the "
                  f"{name} optimizer")


register = Optimizer.register
create = Optimizer.create_optimizer


def builtin(klass):
    """Register a built-in optimizer under MXNet's module path (see module doc)."""
    klass.__module__ = MXNET_MODULE
    return register(klass)


def flatten(groups):
    """``[(a, b), (c, d)] -> [a, b, c, d]``: the input order of multi-tensor ops."""
    return [item for group in groups for item in group]


def _as_classic(value):
    """mx.np arrays are updated through their mx.nd view, as in MXNet."""
    if type(value) is nd.NDArray:
        return value
    if isinstance(value, (list, tuple)):
        return [_as_classic(v) for v in value]
    return value.as_nd_ndarray() if hasattr(value, 'as_nd_ndarray') and \
        not isinstance(value, nd.NDArray) else value


class Updater(object):
    """Applies an optimizer to (index, grad, weight) triples, keeping the states.

    States are created on first sight of an index. Optimizers with an
    ``aggregate_num`` (SGD, LARS, LAMB) receive the weights in groups of that
    size (one group per dtype), which lets them use multi-tensor ops.
    """

    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}
        self.aggregate_updates = optimizer.aggregate_num > 0

    def __call__(self, index, grad, weight):
        """Update ``weight`` (or a list of weights) with ``grad`` at ``index``."""
        if isinstance(index, (list, tuple)):
            indices = list(index)
            grads = list(grad) if all(type(g) is nd.NDArray for g in grad) \
                else _as_classic(grad)
            weights = list(weight) if all(type(w) is nd.NDArray for w in weight) \
                else _as_classic(weight)
        else:
            indices, grads, weights = [index], [_as_classic(grad)], [_as_classic(weight)]
        if weights:
            self.optimizer._set_current_context(weights[0].context.device_id)
        for i, idx in enumerate(indices):
            if isinstance(idx, bytes):
                idx = indices[i] = idx.decode()
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, weights[i])
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = self.sync_state_context(self.states[idx], weights[i].context)
                self.states_synced[idx] = True
        if not self.aggregate_updates:
            for i, w, g in zip(indices, weights, grads):
                self.optimizer.update_multi_precision(i, w, g, self.states[i])
            return
        by_dtype = {}
        for triple in zip(indices, weights, grads):
            by_dtype.setdefault(triple[1].dtype, []).append(triple)
        size = self.optimizer.aggregate_num
        for triples in by_dtype.values():
            for start in range(0, len(triples), size):
                idx, ws, gs = zip(*triples[start:start + size])
                self.optimizer.update_multi_precision(list(idx), list(ws), list(gs),
                                                      [self.states[i] for i in idx])

    def sync_state_context(self, state, context):
        """``state`` (an NDArray or nested tuple/list of them) moved to ``context``."""
        if isinstance(state, nd.NDArray):
            return state.as_in_context(context)
        if isinstance(state, (tuple, list)):
            return type(state)(self.sync_state_context(s, context) for s in state)
        return state

    def set_states(self, states):
        """Restore states from ``get_states`` bytes (pickle, as in MXNet: only
        load files you trust)."""
        states = pickle.loads(states)
        if isinstance(states, tuple) and len(states) == 2:
            self.states, self.optimizer = states
        else:
            self.states = states
        self.states_synced = dict.fromkeys(self.states.keys(), False)

    def get_states(self, dump_optimizer=False):
        """The states as pickle bytes; with ``dump_optimizer`` the pair
        ``(states, optimizer)`` so learning-rate schedules are kept too."""
        return pickle.dumps((self.states, self.optimizer) if dump_optimizer else self.states)


def get_updater(optimizer):
    """An ``Updater`` for ``optimizer`` (the closure the kvstore calls)."""
    return Updater(optimizer)


def __getattr__(name):
    # Resolves ``mxnet.optimizer.optimizer.SGD`` and friends, where pickles
    # written by MXNet (and by us) look for them.
    klass = Optimizer.opt_registry.get(name.lower())
    if klass is not None and klass.__name__ == name:
        return klass
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
