"""Adam and its relatives: Adam, Adamax, Nadam, FTML, LAMB."""
import math
import os

import numpy

from .. import ndarray as nd
from .optimizer import Optimizer, builtin, flatten

__all__ = ["Adam", "Adamax", "Nadam", "FTML", "LAMB"]


def zeros_like(weight, count, dtype=None, stype='default'):
    return tuple(nd.zeros(weight.shape, weight.context, dtype=dtype or weight.dtype, stype=stype)
                 for _ in range(count))


@builtin
class Adam(Optimizer):
    """Adam: moving averages of the gradient (``beta1``) and of its square
    (``beta2``); step ``lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m /
    (sqrt(v) + epsilon)`` with ``t`` the update count of the weight.
    With row_sparse gradients and ``lazy_update`` only present rows change."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return zeros_like(weight, 2, stype=weight.stype if self.lazy_update else 'default')

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1.0 - self.beta2 ** t) / (1.0 - self.beta1 ** t)
        kwargs = self._fused_kwargs(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon)
        mean, var = state
        nd.adam_update(weight, grad, mean, var, out=weight, lazy_update=self.lazy_update, lr=lr,
                       wd=wd, **kwargs)


@builtin
class Adamax(Optimizer):
    """AdaMax (Adam with the infinity norm): ``u = max(beta2 * u, |g|)``,
    ``weight -= lr / (1 - beta1**t) * m / u``."""

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return zeros_like(weight, 2)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr /= 1.0 - self.beta1 ** t
        grad = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        m_t, u_t = state
        m_t[:] *= self.beta1
        m_t[:] += (1.0 - self.beta1) * grad
        u_t[:] = nd.maximum(self.beta2 * u_t, nd.abs(grad))
        weight[:] -= lr * m_t / u_t


@builtin
class Nadam(Optimizer):
    """Adam with Nesterov momentum and a momentum schedule
    ``beta1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))``. As in MXNet, the
    running product of the schedule is one value shared by all weights."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def create_state(self, index, weight):
        return zeros_like(weight, 2)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        grad = grad * self.rescale_grad + wd * weight
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        momentum_t = self.beta1 * (1.0 - 0.5 * pow(0.96, t * self.schedule_decay))
        momentum_next = self.beta1 * (1.0 - 0.5 * pow(0.96, (t + 1) * self.schedule_decay))
        self.m_schedule = self.m_schedule * momentum_t
        m_schedule_next = self.m_schedule * momentum_next
        m_t, v_t = state
        m_t[:] *= self.beta1
        m_t[:] += (1.0 - self.beta1) * grad
        v_t[:] *= self.beta2
        v_t[:] += (1.0 - self.beta2) * grad * grad
        grad_prime = grad / (1.0 - self.m_schedule)
        m_t_prime = m_t / (1.0 - m_schedule_next)
        v_t_prime = v_t / (1.0 - pow(self.beta2, t))
        m_t_bar = (1.0 - momentum_t) * grad_prime + momentum_next * m_t_prime
        weight[:] -= lr * m_t_bar / (nd.sqrt(v_t_prime) + self.epsilon)


@builtin
class FTML(Optimizer):
    """Follow the Moving Leader (``ftml_update``); state ``(d, v, z)``."""

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return zeros_like(weight, 3)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs = {'beta1': self.beta1, 'beta2': self.beta2, 'epsilon': self.epsilon,
                  'rescale_grad': self.rescale_grad, 't': self._index_update_count[index]}
        if self.clip_gradient:
            # ftml_update names its clipping argument clip_grad.
            kwargs['clip_grad'] = self.clip_gradient
        prev_d, prev_v, prev_z = state
        nd.ftml_update(weight, grad, prev_d, prev_v, prev_z, out=weight, lr=lr, wd=wd, **kwargs)


@builtin
class LAMB(Optimizer):
    """Layer-wise adaptive moments (LAMB): an Adam direction ``g`` (phase 1)
    applied with the trust ratio ``|w| / |g|`` clipped to
    [``lower_bound``, ``upper_bound``] (phase 2). Lists of weights go through
    the multi-tensor op, ``aggregate_num`` (at most 45) at a time."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, int(os.getenv('MXNET_OPTIMIZER_AGGREGATION_SIZE',
                                                          '45'))))

    def create_state(self, index, weight):
        return zeros_like(weight, 2, stype=weight.stype)

    def _bounds(self):
        bounds = {}
        if self.lower_bound:
            bounds['lower_bound'] = self.lower_bound
        if self.upper_bound:
            bounds['upper_bound'] = self.upper_bound
        return bounds

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        kwargs = self._fused_kwargs(beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
                                    bias_correction=self.bias_correction)
        if isinstance(index, (tuple, list)) and self.aggregate_num > 1:
            self._update_many(index, weight, grad, state, multi_precision,
                              {**kwargs, **self._bounds()})
            return
        if isinstance(index, (tuple, list)):
            index, weight, grad, state = index[0], weight[0], grad[0], state[0]
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs['t'] = self._index_update_count[index]
        if multi_precision:
            weight32, (mean, var) = state
            g = nd.mp_lamb_update_phase1(weight, grad, mean, var, weight32, wd=wd, **kwargs)
            nd.mp_lamb_update_phase2(weight, g, weight32.norm(), g.norm(), weight32, lr=lr,
                                     out=weight, **self._bounds())
        else:
            mean, var = state
            g = nd.lamb_update_phase1(weight, grad, mean, var, wd=wd, **kwargs)
            nd.lamb_update_phase2(weight, g, weight.norm(), g.norm(), lr=lr, out=weight,
                                  **self._bounds())

    def _update_many(self, indices, weights, grads, states, multi_precision, kwargs):
        steps, lrs, wds = [], [], []
        for i in indices:
            self._update_count(i)
            steps.append(self._index_update_count[i])
            lrs.append(self._get_lr(i))
            wds.append(self._get_wd(i))
        for start in range(0, len(weights), self.aggregate_num):
            part = slice(start, min(start + self.aggregate_num, len(weights)))
            ws, gs = weights[part], grads[part]
            if multi_precision:
                groups = [(w, g, s[1][0], s[1][1], s[0]) for w, g, s in zip(ws, gs, states[part])]
                op = nd._internal._multi_mp_lamb_update
            else:
                groups = [(w, g, s[0], s[1]) for w, g, s in zip(ws, gs, states[part])]
                op = nd._internal._multi_lamb_update
            op(*flatten(groups), out=list(ws), num_tensors=len(ws), step_count=steps[part],
               learning_rates=lrs[part], wds=wds[part], **kwargs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        first = weight[0] if isinstance(index, (tuple, list)) else weight
        self._update_impl(index, weight, grad, state,
                          multi_precision=self.multi_precision and first.dtype == numpy.float16)
