"""The pre-1.0 autograd API (``mx.contrib.autograd``), where "training" meant
recording and training mode together; kept for old scripts. New code uses
``mx.autograd``."""
import functools

from .. import autograd as _autograd
from ..ndarray import NDArray, zeros_like

__all__ = ["set_is_training", "TrainingStateScope", "train_section", "test_section",
           "mark_variables", "backward", "compute_gradient", "grad_and_loss", "grad"]


def set_is_training(is_train):
    """Turn recording and training mode both on or off; returns whether
    recording was on before."""
    _autograd.set_training(is_train)
    return _autograd.set_recording(is_train)


class TrainingStateScope:
    """Context manager setting ``set_is_training(enter_state)`` and restoring it."""

    def __init__(self, enter_state):
        self._enter_state = enter_state
        self._prev = None

    def __enter__(self):
        self._prev = set_is_training(self._enter_state)

    def __exit__(self, ptype, value, trace):
        if self._prev != self._enter_state:
            set_is_training(self._prev)


def train_section():
    """Record and run in training mode inside the ``with`` block."""
    return TrainingStateScope(True)


def test_section():
    """Neither record nor train inside the ``with`` block."""
    return TrainingStateScope(False)


def mark_variables(variables, gradients, grad_reqs="write"):
    """Attach ``gradients`` buffers to ``variables`` (see ``mx.autograd``)."""
    _autograd.mark_variables(variables, gradients, grad_reqs)


def backward(outputs, out_grads=None, retain_graph=False):
    """Backpropagate from ``outputs`` (in training mode)."""
    if isinstance(outputs, NDArray):
        outputs = [outputs]
    _autograd.backward(outputs, out_grads, retain_graph, train_mode=True)


def compute_gradient(outputs):
    """Deprecated: ``backward(outputs)``."""
    backward(outputs)


def grad_and_loss(func, argnum=None):
    """``func`` turned into a function returning ``(gradients, outputs)``: the
    gradients of its outputs w.r.t. its arguments (or those at ``argnum``)."""
    @functools.wraps(func)
    def wrapped(*args):
        variables = list(args)
        if argnum is not None:
            picks = argnum if isinstance(argnum, list) else [argnum]
            variables = [args[i] for i in picks]
        for x in variables:
            if not isinstance(x, NDArray):
                raise TypeError("type of autograd input should NDArray.")
        grads = [zeros_like(x) for x in variables]
        mark_variables(variables, grads)
        with train_section():
            outputs = func(*args)
        compute_gradient([outputs] if isinstance(outputs, NDArray) else outputs)
        return grads, outputs
    return wrapped


def grad(func, argnum=None):
    """``func`` turned into a function returning the gradients of its outputs
    w.r.t. its arguments (or those at ``argnum``)."""
    with_loss = grad_and_loss(func, argnum)

    @functools.wraps(func)
    def wrapped(*args):
        return with_loss(*args)[0]
    return wrapped
