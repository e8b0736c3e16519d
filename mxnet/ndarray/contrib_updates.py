"""``mx.nd.contrib`` wrappers of the AdamW and LAMB update operators (as
GluonNLP-style optimizers call them) and ``rand_zipfian`` (candidate sampling
for sampled softmax)."""
import math

from . import _internal
from .ndarray import NDArray
from .random import uniform
from ..context import current_context

__all__ = ["adamw_update", "mp_adamw_update", "multi_adamw_update", "multi_mp_adamw_update",
           "multi_lamb_update", "multi_mp_lamb_update", "rand_zipfian"]


def _scale_array(rescale_grad, ctx):
    """``rescale_grad`` as the (1,) array the operators read (a non-finite value
    makes them skip the update, for loss scaling)."""
    if isinstance(rescale_grad, NDArray):
        return rescale_grad.as_in_context(ctx)
    from .creation import full
    return full(shape=(1,), val=rescale_grad, ctx=ctx)


def adamw_update(weight, grad, mean, var, rescale_grad, lr, eta, beta1=0.9, beta2=0.999,
                 epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None, **kwargs):
    """AdamW step (``_adamw_update``); ``rescale_grad`` may be a number or an array."""
    return _internal._adamw_update(weight=weight, grad=grad, mean=mean, var=var,
                                   rescale_grad=_scale_array(rescale_grad, weight.context),
                                   lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon,
                                   wd=wd, clip_gradient=clip_gradient, out=out, name=name,
                                   **kwargs)


def mp_adamw_update(weight, grad, mean, var, weight32, rescale_grad, lr, eta, beta1=0.9,
                    beta2=0.999, epsilon=1e-8, wd=0, clip_gradient=-1, out=None, name=None,
                    **kwargs):
    """Multi-precision AdamW step on the float32 master ``weight32``."""
    return _internal._mp_adamw_update(weight=weight, grad=grad, mean=mean, var=var,
                                      weight32=weight32,
                                      rescale_grad=_scale_array(rescale_grad, weight.context),
                                      lr=lr, eta=eta, beta1=beta1, beta2=beta2, epsilon=epsilon,
                                      wd=wd, clip_gradient=clip_gradient, out=out, name=name,
                                      **kwargs)


def _interleaved(*lists):
    return [x for group in zip(*lists) for x in group]


def multi_adamw_update(weights, grads, mean, var, rescale_grad, lrs, wds, etas, out=None,
                       name=None, size=0, **kwargs):
    """AdamW for several weights at once (``size`` of them, all by default)."""
    scale = _scale_array(rescale_grad, weights[0].context)
    return _internal._multi_adamw_update(*_interleaved(weights, grads, mean, var), scale,
                                         out=out, num_weights=size or len(weights), lrs=lrs,
                                         wds=wds, etas=etas, name=name, **kwargs)


def multi_mp_adamw_update(weights, grads, mean, var, weights32, rescale_grad, lrs, wds, etas,
                          out=None, name=None, size=0, **kwargs):
    """Multi-precision AdamW for several weights at once."""
    scale = _scale_array(rescale_grad, weights[0].context)
    return _internal._multi_mp_adamw_update(
        *_interleaved(weights, grads, mean, var, weights32), scale, out=out,
        num_weights=size or len(weights), lrs=lrs, wds=wds, etas=etas, name=name, **kwargs)


def multi_lamb_update(weights, grads, mean, var, step_count, lrs, wds, out=None, num_tensors=0,
                      **kwargs):
    """LAMB (both phases) for several weights; ``step_count`` per weight, from 1."""
    return _internal._multi_lamb_update(*_interleaved(weights, grads, mean, var), out=out,
                                        num_tensors=num_tensors or len(weights),
                                        step_count=step_count, learning_rates=lrs, wds=wds,
                                        **kwargs)


def multi_mp_lamb_update(weights, grads, mean, var, weights32, step_count, lrs, wds, out=None,
                         num_tensors=0, **kwargs):
    """Multi-precision LAMB for several weights."""
    return _internal._multi_mp_lamb_update(*_interleaved(weights, grads, mean, var, weights32),
                                           out=out, num_tensors=num_tensors or len(weights),
                                           step_count=step_count, learning_rates=lrs, wds=wds,
                                           **kwargs)


def rand_zipfian(true_classes, num_sampled, range_max, ctx=None):
    """Draw ``num_sampled`` classes from an approximately log-uniform (Zipfian)
    distribution over [0, range_max): P(c) = log((c + 2) / (c + 1)) / log(range_max + 1).
    Returns (sampled classes (int64), expected counts of ``true_classes``,
    expected counts of the sampled classes), the counts float64."""
    ctx = ctx or current_context()
    log_range = math.log(range_max + 1)
    draws = uniform(0, log_range, shape=(num_sampled,), dtype="float64", ctx=ctx)
    sampled = (draws.exp() - 1).astype("int64") % range_max
    true = true_classes.as_in_context(ctx).astype("float64")
    expected_true = ((true + 2.0) / (true + 1.0)).log() / log_range * num_sampled
    sampled64 = sampled.astype("float64")
    expected_sampled = ((sampled64 + 2.0) / (sampled64 + 1.0)).log() / log_range * num_sampled
    return sampled, expected_true, expected_sampled
