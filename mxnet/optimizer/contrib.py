"""Contributed optimizers: GroupAdaGrad."""
from .. import ndarray as nd
from ..base import MXNetError
from .optimizer import Optimizer, register

__all__ = ["GroupAdaGrad"]


@register
class GroupAdaGrad(Optimizer):
    """AdaGrad with one adaptive rate per row of a 2-D weight:
    ``history += mean(g**2, axis=1)``, ``weight -= lr * g / sqrt(history +
    eps)``. Weight decay is not supported; row_sparse gradients update only
    their rows (``contrib.group_adagrad_update``)."""

    def __init__(self, eps=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        if len(weight.shape) != 2:
            raise MXNetError(f"GroupAdaGrad: expects 2-D weights, got shape {weight.shape}")
        return nd.zeros((weight.shape[0], 1), weight.context, stype=weight.stype)

    def update(self, index, weight, grad, state):
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        if wd != 0:
            raise MXNetError(f"GroupAdaGrad: weight decay is not supported, got wd={wd}")
        if grad.stype == 'row_sparse':
            nd.contrib.group_adagrad_update(
                weight, grad, state, out=weight, lr=lr,
                **self._fused_kwargs(epsilon=self.float_stable_eps))
            return
        grad = self._rescaled_grad(grad)
        state[:] += nd.mean(nd.square(grad), axis=1, keepdims=True)
        weight[:] -= lr * grad / nd.sqrt(state + self.float_stable_eps)
