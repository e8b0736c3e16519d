"""Layer-wise adaptive rate optimizers for large batches: LARS and LBSGD."""
import logging
import math

import numpy

from .. import ndarray as nd
from .optimizer import Optimizer, builtin
from .in_place import multi_update
from .sgd import (MomentumMixin, aggregation_size, as_lists, multi_sgd_inputs, multi_sgd_name,
                  sgd_step)

__all__ = ["LARS", "LBSGD"]


def _no_lars(name):
    """Biases and normalisation parameters keep the plain learning rate."""
    return name.endswith('gamma') or name.endswith('beta') or name.endswith('bias')


@builtin
class LARS(MomentumMixin, Optimizer):
    """SGD with momentum whose learning rate is scaled per layer by
    ``eta * |w| / (|g| + wd * |w| + eps)`` (``|.|`` the L2 norm, ``g`` the
    rescaled gradient; factor 1 when a norm is 0). Parameters named
    ``*gamma``, ``*beta`` or ``*bias`` are not scaled and get no weight decay
    unless their name ends in ``_weight``. With ``momentum_correction`` the
    momentum is scaled by the ratio of the current to the previous global
    learning rate (for schedulers)."""

    def __init__(self, momentum=0.0, lazy_update=True, eta=0.001, eps=0,
                 momentum_correction=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = aggregation_size(4)
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr = None
        self.cur_lr = None

    def _get_lrs(self, indices):
        # Remembers the previous global rate for the momentum correction.
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return self._scaled(lr, indices, self.lr_mult, 'lr_mult')

    def _no_decay(self, name):
        return not name.endswith('_weight')

    def _l2norm(self, v, rescale=False):
        v = v.astype('float32')
        if rescale:
            v *= self.rescale_grad
        return nd.norm(v).asnumpy()[0]

    def _name(self, index):
        return self.idx2name[index] if index in self.idx2name else str(index)

    def _get_lars(self, index, weight, grad, lr, wd):
        """The layer-wise learning rate of one weight."""
        if _no_lars(self._name(index)):
            return lr
        w_norm = self._l2norm(weight)
        g_norm = self._l2norm(grad, rescale=True)
        if w_norm > 0.0 and g_norm > 0.0:
            return self.eta * w_norm / (g_norm + wd * w_norm + self.eps) * lr
        return lr

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = as_lists(indices, weights, grads, states)
        dense = all(w.stype == 'default' and g.stype == 'default' for w, g in zip(weights, grads))
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        momentum = self.momentum
        if self.momentum_correction and self.last_lr != 0:
            momentum = self.momentum * (self.cur_lr / self.last_lr)
        kwargs = self._momentum_kwargs(momentum)
        if not dense:
            lrs = [self._get_lars(*args) for args in zip(indices, weights, grads, lrs, wds)]
            for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
                sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision,
                         None if multi_precision else self.lazy_update)
            return
        # Scaled weights first, then the others, so multi_lars works on a prefix.
        names = [self._name(i) for i in indices]
        order = [i for i, n in enumerate(names) if not _no_lars(n)]
        n_lars = len(order)
        order += [i for i, n in enumerate(names) if _no_lars(n)]
        ctx = weights[0].context
        new_lrs = nd.array([lrs[i] for i in order], ctx=ctx, dtype='float32')
        new_wds = nd.array([wds[i] for i in order], ctx=ctx, dtype='float32')
        weights = [weights[i] for i in order]
        grads = [grads[i] for i in order]
        states = [states[i] for i in order]
        if n_lars > 0:
            w_sum_sq = nd.multi_sum_sq(*weights[:n_lars], num_arrays=n_lars)
            g_sum_sq = nd.multi_sum_sq(*grads[:n_lars], num_arrays=n_lars)
            nd.multi_lars(new_lrs[:n_lars], w_sum_sq, g_sum_sq, new_wds[:n_lars], eta=self.eta,
                          eps=self.eps, rescale_grad=self.rescale_grad, out=new_lrs[:n_lars])
        has_momentum = self.momentum > 0
        name = multi_sgd_name(multi_precision, has_momentum, preloaded=True)
        for start in range(0, len(weights), self.aggregate_num):
            end = min(start + self.aggregate_num, len(weights))
            inputs = multi_sgd_inputs(weights[start:end], grads[start:end], states[start:end],
                                      multi_precision, has_momentum)
            multi_update(name, inputs + [new_lrs[start:end], new_wds[start:end]],
                         weights[start:end], dict(num_weights=end - start, **kwargs))


@builtin
class LBSGD(Optimizer):
    """Large-batch SGD: gradients are accumulated over ``batch_scale`` calls
    and applied with a learning rate multiplied by a warm-up factor
    (``warmup_strategy`` 'linear', 'power2', 'sqrt' over ``warmup_epochs``
    epochs of ``updates_per_epoch`` updates) or, with 'lars', by a
    layer-wise ratio ``sqrt(|w|^2 / (|g|^2 + wd |w|^2))`` clipped to
    [0.01, 100]."""

    def __init__(self, momentum=0.0, multi_precision=False, warmup_strategy='linear',
                 warmup_epochs=5, batch_scale=1, updates_per_epoch=32, begin_epoch=0,
                 num_epochs=60, **kwargs):
        super().__init__(**kwargs)
        logging.info('Running Large-Batch SGD Algorithm')
        logging.info('(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, updates_per_epoch=%d)',
                     batch_scale, warmup_epochs, warmup_strategy, updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index, weight):
        def momentum(dtype):
            if self.momentum == 0.0:
                return None
            return nd.zeros(weight.shape, weight.context, dtype=dtype, stype=weight.stype)
        if self.multi_precision and weight.dtype == numpy.float16:
            master = nd.array(weight, ctx=weight.context, dtype=numpy.float32)
            return (momentum(numpy.float32), master)
        return momentum(weight.dtype)

    def _get_lbmult(self, nup):
        """The warm-up multiplier after ``nup`` accumulated updates."""
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == 'linear':
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == 'power2':
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == 'sqrt':
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    def _l2norm(self, v):
        # The squared norm, as MXNet's LBSGD computes it.
        return nd.multiply(v, v).asnumpy().sum()

    def _get_lars(self, weight, grad, wd):
        weight2 = self._l2norm(weight)
        grad2 = self._l2norm(grad)
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100)

    def _cumulate_gradient(self, grad, index):
        cgrad = self.cumgrads.get(index)
        if cgrad and cgrad['num_cums'] > 0:
            cgrad = {'cum_grad': cgrad['cum_grad'] + grad, 'num_cums': cgrad['num_cums'] + 1}
        else:
            cgrad = {'cum_grad': grad, 'num_cums': self.init_updates + 1}
        self.cumgrads[index] = cgrad
        return cgrad

    def update(self, index, weight, grad, state):
        # MXNet reads the rates before counting this update.
        lr, wd = self._get_lr(index), self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad['num_cums'] % self.batch_scale != 0:
            # Still accumulating: a zero-rate step leaves the weight as it is.
            nd.sgd_update(weight, grad, out=weight, lr=0.0, wd=wd)
            return
        grad = cgrad['cum_grad'] / self.batch_scale
        if self.warmup_strategy == 'lars':
            lr *= self._get_lars(weight, grad, wd)
        else:
            lr *= self._get_lbmult(cgrad['num_cums'])
        kwargs = self._fused_kwargs(**({'momentum': self.momentum} if self.momentum > 0 else {}))
        sgd_step(weight, grad, state, lr, wd, kwargs, isinstance(state, (list, tuple)))
        cgrad['cum_grad'] = 0
