"""The Hawkes-process log-likelihood operator.

For every sample n and each of K independent processes k, with background
rate mu = ``lda[n, k]``, branching ratio ``alpha[k]`` and decay ``beta[k]``,
the conditional intensity is

    lambda_k(t) = mu + alpha_k * beta_k * s_k(t),
    s_k(t) = state[n, k] * exp(-beta_k t) + sum_{t_i < t, mark_i = k} exp(-beta_k (t - t_i)).

Events arrive at the cumulative sums of ``lags[n, :valid_length[n]]`` with
process ids ``marks``. The log likelihood on (0, T], T = ``max_time[n]``, is
the sum of log intensities at the events minus the integrated intensity;
because s decays at rate beta between unit jumps, the integral of
``beta_k s_k`` is ``s_k(0) + (number of k events) - s_k(T)``. The second
output is the memory ``s(T)``, the ``state`` to pass to the next window.

The recursion runs once over the time axis, vectorised over samples and
processes, carrying d s / d beta and d s / d state(0) for the gradient.
"""
import numpy as np

from ..base import MXNetError
from .registry import register

_INPUTS = ("lda", "alpha", "beta", "state", "lags", "marks", "valid_length", "max_time")
_FLOATS = ("float16", "float32", "float64")


def _expected_shapes(shapes):
    """The shape each input must have, from those of lda (N, K) and lags (N, T)."""
    lda, lags = shapes[0], shapes[4]
    if lda is None or lags is None:
        return None
    n, k = lda
    t = lags[1]
    return [(n, k), (k,), (k,), (n, k), (n, t), (n, t), (n,), (n,)]


def _infer_shape(attrs, shapes):
    for name, s, ndim in zip(("lda", "lags"), (shapes[0], shapes[4]), (2, 2)):
        if s is not None and len(s) != ndim:
            raise MXNetError(f"_contrib_hawkesll: argument '{name}' expects a 2-D array, "
                             f"got shape {tuple(s)}")
    want = _expected_shapes(shapes)
    if want is None:
        return shapes, [None, None]
    for name, given, expected in zip(_INPUTS, shapes, want):
        if given is not None and tuple(given) != expected:
            raise MXNetError(f"_contrib_hawkesll: argument '{name}' expects shape {expected} "
                             f"(from lda {want[0]} and lags {want[4]}), got {tuple(given)}")
    return want, [want[6], want[0]]


def _infer_type(attrs, types):
    t = next((x for i, x in enumerate(types) if i != 5 and x is not None), None)
    for name, given in zip(_INPUTS, types):
        expected = "int32" if name == "marks" else t
        if given is not None and expected is not None and given != expected:
            raise MXNetError(f"_contrib_hawkesll: argument '{name}' expects dtype {expected}, "
                             f"got {given}")
    if t is not None and t not in _FLOATS:
        raise MXNetError(f"_contrib_hawkesll: parameters and observations must be floating "
                         f"point, got {t}")
    return [("int32" if i == 5 else t) for i in range(8)], [t, t]


def _check(xp, arrays):
    _infer_shape(None, [a.shape for a in arrays])
    _infer_type(None, [a.dtype.name for a in arrays])
    lags, marks, valid = arrays[4], arrays[5], arrays[6]
    steps, k = lags.shape[1], arrays[0].shape[1]
    if valid.size and (valid.min() < 0 or valid.max() > steps):
        raise MXNetError(f"_contrib_hawkesll: argument 'valid_length' expects values in "
                         f"[0, {steps}], got {valid.tolist()}")
    used = xp.arange(steps)[None, :] < valid[:, None]
    if xp.any(used & ((marks < 0) | (marks >= k))):
        raise MXNetError(f"_contrib_hawkesll: argument 'marks' expects process ids in "
                         f"[0, {k}) for the valid points, got {marks[used].tolist()}")


def _hawkes(xp, arrays, with_grad):
    """Log likelihood and s(T), plus the pieces of the gradient when asked."""
    lda, alpha, beta, state, lags, marks, valid, max_time = [
        a if i == 5 else a.astype(xp.float64) for i, a in enumerate(arrays)]
    n, k = lda.shape
    rows = xp.arange(n)
    s = state.copy()
    ds_dbeta = xp.zeros_like(s)
    ds_dstate = xp.ones_like(s)
    loglik = xp.zeros(n)
    counts = xp.zeros_like(s)
    d_lda, d_alpha, d_beta, d_state = (xp.zeros_like(s) for _ in range(4))
    elapsed = xp.zeros(n)

    def decay(dt):
        nonlocal s, ds_dbeta, ds_dstate
        factor = xp.exp(-beta[None, :] * dt[:, None])
        ds_dbeta = (ds_dbeta - dt[:, None] * s) * factor
        s = s * factor
        ds_dstate = ds_dstate * factor

    for j in range(lags.shape[1]):
        live = j < valid
        dt = xp.where(live, lags[:, j], 0.0)
        decay(dt)
        elapsed += dt
        m = xp.where(live, marks[:, j], 0).astype(xp.int64)
        s_m = s[rows, m]
        lam = lda[rows, m] + alpha[m] * beta[m] * s_m
        loglik += xp.where(live, xp.log(xp.where(live, lam, 1.0)), 0.0)
        if with_grad:
            inv = xp.where(live, 1.0 / xp.where(live, lam, 1.0), 0.0)
            d_lda[rows, m] += inv
            d_alpha[rows, m] += inv * beta[m] * s_m
            d_beta[rows, m] += inv * alpha[m] * (s_m + beta[m] * ds_dbeta[rows, m])
            d_state[rows, m] += inv * alpha[m] * beta[m] * ds_dstate[rows, m]
        s[rows, m] += live
        counts[rows, m] += live
    decay(max_time - elapsed)
    integral = lda * max_time[:, None] + alpha * (state + counts - s)
    loglik -= integral.sum(axis=1)
    if not with_grad:
        return loglik, s
    d_lda -= max_time[:, None]
    d_alpha -= state + counts - s
    d_beta += alpha * ds_dbeta
    d_state -= alpha * (1.0 - ds_dstate)
    return loglik, s, (d_lda, d_alpha, d_beta, d_state, ds_dbeta, ds_dstate)


def _hawkes_grad(F, attrs, ins, outs, g):
    grads = F.contrib.backward_hawkesll(g[0], g[1], *ins)
    return list(grads) + [None] * 4


@register("_contrib_hawkesll", inputs=_INPUTS, num_outputs=2,
          output_names=("output", "out_state"), infer_shape=_infer_shape,
          infer_type=_infer_type, gradient=_hawkes_grad)
def _hawkesll(xp, attrs, *arrays):
    """Log likelihood of K independent univariate Hawkes processes with
    exponential kernels for each of N samples, and the final memory state.

    Inputs: lda (N, K) background rates, alpha (K,) branching ratios, beta
    (K,) decays, state (N, K) memory at time 0, lags (N, T) interarrival
    times and marks (N, T, int32) process ids (left-aligned, the first
    valid_length[n] valid), valid_length (N,), max_time (N,) window length.
    Outputs: log likelihood (N,) and the memory at max_time (N, K)."""
    _check(xp, arrays)
    dtype = arrays[0].dtype
    loglik, s = _hawkes(xp, arrays, with_grad=False)
    return loglik.astype(dtype), s.astype(dtype)


def _backward_shape(attrs, shapes):
    ins, _ = _infer_shape(attrs, shapes[2:])
    return [ins[6], ins[0]] + list(ins), ins[:4]


def _backward_type(attrs, types):
    ins, outs = _infer_type(attrs, types[2:])
    return [outs[0], outs[0]] + ins, ins[:4]


@register("_contrib_backward_hawkesll", inputs=("out_grad", "out_state_grad") + _INPUTS,
          num_outputs=4, infer_shape=_backward_shape, infer_type=_backward_type)
def _backward_hawkesll(xp, attrs, g_loglik, g_state, *arrays):
    """Gradients of hawkesll's two outputs, weighted by ``out_grad`` (N,) and
    ``out_state_grad`` (N, K), with respect to lda, alpha, beta and state.

    MXNet 1.9.1's own backward leaves the state gradient at zero, ignores
    ``out_state_grad`` and is inexact when points are observed; this one is
    the exact derivative of the forward computation."""
    _check(xp, arrays)
    dtype = arrays[0].dtype
    _, _, (d_lda, d_alpha, d_beta, d_state, ds_dbeta, ds_dstate) = _hawkes(
        xp, arrays, with_grad=True)
    g = g_loglik.astype(xp.float64)[:, None]
    g_s = g_state.astype(xp.float64)
    return ((g * d_lda).astype(dtype), (g * d_alpha).sum(axis=0).astype(dtype),
            (g * d_beta + g_s * ds_dbeta).sum(axis=0).astype(dtype),
            (g * d_state + g_s * ds_dstate).astype(dtype))
