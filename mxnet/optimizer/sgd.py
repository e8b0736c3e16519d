"""Stochastic gradient descent and its momentum variants: SGD (ccSGD), NAG,
Signum, SGLD, DCASGD, and the ``Test`` optimizer."""
import math
import os

import numpy

from .. import ndarray as nd
from ..ndarray import random as nd_random
from .in_place import multi_update
from .optimizer import Optimizer, builtin, flatten, _warn_float16

__all__ = ["SGD", "ccSGD", "NAG", "Signum", "SGLD", "DCASGD", "Test"]


def aggregation_size(default):
    """``MXNET_OPTIMIZER_AGGREGATION_SIZE``: weights per multi-tensor update."""
    return int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE', str(default)))


class MomentumMixin(object):
    """State handling shared by SGD, NAG and LARS: an optional momentum
    buffer, and for float16 weights with ``multi_precision`` the pair
    ``(momentum of the master copy, float32 master copy)``."""

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        stype = weight.stype if getattr(self, 'lazy_update', False) else 'default'
        return nd.zeros(weight.shape, weight.context, dtype=weight.dtype, stype=stype)

    def create_state_multi_precision(self, index, weight):
        if weight.dtype == numpy.float16:
            if self.multi_precision:
                master = weight.astype(numpy.float32)
                return (self.create_state(index, master), master)
            _warn_float16(type(self).__name__)
        return self.create_state(index, weight)

    def _momentum_kwargs(self, momentum=None):
        momentum = self.momentum if momentum is None else momentum
        return self._fused_kwargs(**({'momentum': momentum} if self.momentum > 0 else {}))

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        first = weight[0] if isinstance(index, (tuple, list)) else weight
        self._update_impl(index, weight, grad, state,
                          multi_precision=self.multi_precision and first.dtype == numpy.float16)


def sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision, lazy_update=None):
    """One SGD (momentum) update of one weight with the single-tensor ops."""
    lazy = {} if lazy_update is None else {'lazy_update': lazy_update}
    if not multi_precision:
        if state is not None:
            nd.sgd_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd, **lazy, **kwargs)
        else:
            nd.sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **lazy, **kwargs)
    elif state[0] is not None:
        nd.mp_sgd_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd, **kwargs)
    else:
        nd.mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)


def multi_sgd_inputs(weights, grads, states, multi_precision, momentum):
    """Inputs of the multi-tensor SGD ops, one (weight, grad, [mom], [weight32])
    group per weight."""
    if not multi_precision:
        groups = zip(weights, grads, states) if momentum else zip(weights, grads)
    elif momentum:
        groups = ((w, g, s[0], s[1]) for w, g, s in zip(weights, grads, states))
    else:
        groups = ((w, g, s[1]) for w, g, s in zip(weights, grads, states))
    return flatten(groups)


def multi_sgd_name(multi_precision, momentum, preloaded=False):
    """Name of the multi-tensor SGD op for these options."""
    return ("preloaded_" if preloaded else "") + "multi_" + ("mp_" if multi_precision else "") \
        + ("sgd_mom_update" if momentum else "sgd_update")


def as_lists(indices, weights, grads, states):
    if isinstance(indices, (tuple, list)):
        return list(indices), list(weights), list(grads), list(states)
    return [indices], [weights], [grads], [states]


@builtin
class SGD(MomentumMixin, Optimizer):
    """SGD with momentum and weight decay.

    ``state = momentum * state + lr * (clip(rescale_grad * grad) + wd * weight)``
    and ``weight -= state`` (without momentum: ``weight -= lr * (...)``).
    Dense weights go through the multi-tensor ops, ``aggregate_num``
    (``MXNET_OPTIMIZER_AGGREGATION_SIZE``, default 4) at a time; with
    row_sparse gradients and ``lazy_update`` only the rows present are updated.
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = aggregation_size(4)

    def _update_impl(self, indices, weights, grads, states, multi_precision=False):
        indices, weights, grads, states = as_lists(indices, weights, grads, states)
        dense = all(w._stype == 'default' and g._stype == 'default'
                    for w, g in zip(weights, grads))
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        kwargs = self._momentum_kwargs()
        if dense:
            momentum = self.momentum > 0
            # Tuples, not lists: hashable arguments let the op reuse its parsed attributes.
            multi_update(multi_sgd_name(multi_precision, momentum),
                         multi_sgd_inputs(weights, grads, states, multi_precision, momentum),
                         weights, dict(num_weights=len(weights), lrs=tuple(lrs), wds=tuple(wds),
                                       **kwargs))
            return
        for weight, grad, state, lr, wd in zip(weights, grads, states, lrs, wds):
            sgd_step(weight, grad, state, lr, wd, kwargs, multi_precision,
                     None if multi_precision else self.lazy_update)


@builtin
class ccSGD(SGD):
    """Deprecated alias of ``SGD``."""


@builtin
class NAG(MomentumMixin, Optimizer):
    """Nesterov accelerated gradient:
    ``state = momentum * state + grad + wd * weight`` and
    ``weight -= lr * (grad + wd * weight + momentum * state)``."""

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs = self._momentum_kwargs()
        if not multi_precision:
            if state is not None:
                nd.nag_mom_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
            else:
                nd.sgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)
        elif state[0] is not None:
            nd.mp_nag_mom_update(weight, grad, state[0], state[1], out=weight, lr=lr, wd=wd,
                                 **kwargs)
        else:
            nd.mp_sgd_update(weight, grad, state[1], out=weight, lr=lr, wd=wd, **kwargs)

    def update_multi_precision(self, index, weight, grad, state):
        use_mp = self.multi_precision and weight.dtype == numpy.float16 \
            and isinstance(state, (tuple, list))
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@builtin
class Signum(Optimizer):
    """signSGD / Signum: step by the sign of the gradient (or of its momentum
    average ``state = momentum * state + (1 - momentum) * (grad + wd * weight)``),
    ``weight = (1 - lr * wd_lh) * weight - lr * sign(state)``."""

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        if self.momentum == 0.0:
            return None
        return nd.zeros(weight.shape, weight.context, dtype=weight.dtype, stype=weight.stype)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        extra = {'momentum': self.momentum} if self.momentum > 0 else {}
        if self.wd_lh:
            extra['wd_lh'] = self.wd_lh
        kwargs = self._fused_kwargs(**extra)
        if state is not None:
            nd.signum_update(weight, grad, state, out=weight, lr=lr, wd=wd, **kwargs)
        else:
            nd.signsgd_update(weight, grad, out=weight, lr=lr, wd=wd, **kwargs)


@builtin
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: a half SGD step plus Gaussian
    noise of variance ``lr``."""

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        grad = self._rescaled_grad(grad)
        weight[:] += -lr / 2 * (grad + wd * weight)
        weight[:] += nd_random.normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype,
                                      ctx=weight.context)


@builtin
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD: the gradient is corrected by
    ``lamda * grad**2 * (weight - previous weight)``; state is
    ``(momentum or None, previous weight)``."""

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        mom = None if self.momentum == 0.0 else \
            nd.zeros(weight.shape, weight.context, dtype=weight.dtype)
        return (mom, weight.copy())

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        grad = self._rescaled_grad(grad)
        mom, previous = state
        step = -lr * (grad + wd * weight + self.lamda * grad * grad * (weight - previous))
        if mom is not None:
            mom[:] *= self.momentum
            mom[:] += step
        else:
            mom = step
        previous[:] = weight
        weight[:] += mom


@builtin
class Test(Optimizer):
    """A trivial optimizer for tests: ``weight += rescale_grad * grad``; the
    state is a copy of the updated weight."""

    def create_state(self, index, weight):
        return nd.zeros(weight.shape, weight.context)

    def update(self, index, weight, grad, state):
        weight[:] += grad * self.rescale_grad
        state[:] = weight
