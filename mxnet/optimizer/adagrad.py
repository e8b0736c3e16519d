"""Optimizers with per-coordinate adaptive rates: AdaGrad, AdaDelta,
RMSProp, Ftrl.

Their states are float32 whatever the weight's dtype, as in MXNet."""
from .. import ndarray as nd
from ..base import MXNetError
from .optimizer import Optimizer, builtin

__all__ = ["AdaGrad", "AdaDelta", "RMSProp", "Ftrl"]


def float32_zeros(weight, count, stype=None):
    return tuple(nd.zeros(weight.shape, weight.context, stype=stype or 'default')
                 for _ in range(count))


@builtin
class AdaGrad(Optimizer):
    """AdaGrad: ``history += g**2``, ``weight -= lr * (g / sqrt(history +
    eps) + wd * weight)`` with ``g = clip(rescale_grad * grad)``."""

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return float32_zeros(weight, 1, weight.stype)[0]

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        history = state
        if grad.stype == 'row_sparse':
            # MXNet's sparse update touches only the gradient's rows and needs
            # wd == 0; then rows without gradient do not change in the dense
            # rule either, so the dense rule gives the same result.
            if wd != 0:
                raise MXNetError(f"AdaGrad: row_sparse gradients need wd=0 (MXNet's sparse "
                                 f"adagrad_update has no weight decay), got wd={wd}")
            grad = grad.tostype('default')
        grad = self._rescaled_grad(grad)
        history[:] += nd.square(grad)
        div = grad / nd.sqrt(history + self.float_stable_eps)
        weight[:] += (div + weight * wd) * -lr


@builtin
class AdaDelta(Optimizer):
    """AdaDelta (no learning rate): running averages of squared gradients
    and squared steps, ``delta = sqrt(acc_delta + eps) / sqrt(acc_g + eps) * g``,
    ``weight -= delta + wd * weight``.

    As MXNet's, it scales the caller's gradient array by ``rescale_grad`` in
    place."""

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return float32_zeros(weight, 2)

    def update(self, index, weight, grad, state):
        wd = self._get_wd(index)
        self._update_count(index)
        grad *= self.rescale_grad
        if self.clip_gradient is not None:
            grad = nd.clip(grad, -self.clip_gradient, self.clip_gradient)
        acc_g, acc_delta = state
        acc_g[:] *= self.rho
        acc_g[:] += (1. - self.rho) * grad * grad
        delta = nd.sqrt(acc_delta + self.epsilon) / nd.sqrt(acc_g + self.epsilon) * grad
        acc_delta[:] *= self.rho
        acc_delta[:] += (1. - self.rho) * delta * delta
        weight[:] -= delta + wd * weight


@builtin
class RMSProp(Optimizer):
    """RMSProp: Tieleman & Hinton's (``rmsprop_update``), or with
    ``centered=True`` Graves's version with momentum ``gamma2``
    (``rmspropalex_update``). ``clip_weights`` bounds the weights."""

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
                 centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        return float32_zeros(weight, 3 if self.centered else 1, weight.stype)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        kwargs = self._fused_kwargs(gamma1=self.gamma1, epsilon=self.epsilon)
        if self.centered:
            kwargs['gamma2'] = self.gamma2
        if self.clip_weights:
            kwargs['clip_weights'] = self.clip_weights
        if self.centered:
            n, g, delta = state
            nd.rmspropalex_update(weight, grad, n, g, delta, out=weight, lr=lr, wd=wd, **kwargs)
        else:
            n, = state
            nd.rmsprop_update(weight, grad, n, out=weight, lr=lr, wd=wd, **kwargs)


@builtin
class Ftrl(Optimizer):
    """FTRL-proximal (``ftrl_update``) with L1 strength ``lamda1`` and
    per-coordinate rate parameter ``beta``; state ``(z, n)``."""

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        # Set after the base class, so a scheduler's base_lr is not overridden.
        self.lr = learning_rate

    def create_state(self, index, weight):
        return float32_zeros(weight, 2, weight.stype)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        wd, lr = self._get_wd(index), self._get_lr(index)
        kwargs = self._fused_kwargs(lamda1=self.lamda1, beta=self.beta)
        z, n = state
        nd.ftrl_update(weight, grad, z, n, out=weight, lr=lr, wd=wd, **kwargs)
