"""Fused optimizer update operators for one weight tensor.

Each op takes the weight, its gradient and the optimizer's state arrays,
updates the states in place (``mutate_inputs``) and returns the new weight
as a fresh array; MXNet's optimizers call them with ``out=weight`` so the
weight is updated too. Multi-precision (``mp_``) variants take a float16
weight plus a float32 master copy ``weight32``: the update happens on the
master copy (updated in place) and the output is its float16 rounding.

Common arguments: ``rescale_grad`` multiplies the gradient first;
``clip_gradient`` then bounds it to ``[-c, c]``; only a negative value turns
clipping off (MXNet's documentation says ``c <= 0`` does, but its kernels
clip to zero when ``c == 0``, and so do these). ``lazy_update`` only matters for sparse gradients; dense
updates ignore it. Float16 arrays are computed in float32 and rounded when
stored. These ops have no gradient.
"""
import numpy as np

from ..base import MXNetError
from .params import REQUIRED, Param
from .registry import register

_FLOATS = ("float16", "float32", "float64")


def P(type, default=None, doc="", **kw):
    """A parameter that is required when no default is given."""
    return Param(type, REQUIRED if default is None else default, doc, **kw)


LR = {"lr": P("float", doc="Learning rate.")}
WD = {"wd": P("float", 0.0, "Weight decay: adds wd * weight to the gradient.")}
RESCALE = {"rescale_grad": P("float", 1.0, "Factor applied to the gradient first.")}
CLIP = {"clip_gradient": P("float", -1.0, "Bound for the rescaled gradient; negative disables.")}
LAZY = {"lazy_update": P("bool", True, "Update only rows present in a sparse gradient.")}
MOMENTUM = {"momentum": P("float", 0.0, "Momentum factor.")}


# ---------------------------------------------------------------- helpers

def up(xp, a):
    """``a`` in its compute dtype: float16 is computed in float32."""
    return a.astype(xp.float32) if a.dtype == np.float16 else a


def clip(xp, g, bound, in_place=False):
    """Clip ``g`` to [-bound, bound]; a negative bound disables (0 clips to zero).
    ``in_place`` writes into ``g`` (only for a temporary the caller owns)."""
    if bound >= 0:
        return xp.clip(g, -bound, bound, out=g if in_place else None)
    return g


def rescaled(xp, attrs, grad):
    """``clip(rescale_grad * grad)`` as a fresh array (callers may modify it)."""
    return clip(xp, up(xp, grad) * attrs.rescale_grad, attrs.clip_gradient, in_place=True)


def rescaled_into(xp, attrs, grad, out):
    """``clip(rescale_grad * grad)`` written into ``out`` (a scratch array of the
    compute dtype: a float16 gradient is widened first, as in ``rescaled``)."""
    xp.multiply(grad, attrs.rescale_grad, out=out, dtype=out.dtype)
    return clip(xp, out, attrs.clip_gradient, in_place=True)


def f32(x):
    """``x`` rounded to float32, as MXNet stores its float parameters."""
    return float(np.float32(x))


def store(state, value):
    """Write ``value`` into the state array in place (rounding to its dtype)."""
    state[...] = value


def new_weight(value, dtype):
    return value.astype(dtype)


def check_float(op, dtype):
    if dtype is not None and dtype not in _FLOATS:
        raise MXNetError(f"{op}: expects floating point arrays (float16, float32, float64), got {dtype}")


def elementwise_rules(op, names, layout, out_kind="w"):
    """Shape and type rules from a per-input layout string.

    ``w``: weight shape and dtype; ``f``: weight shape, float32 (states of
    the multi-precision ops); ``s``: shape (1,) and the weight dtype; ``S``:
    shape (1,), float32; ``h``: (rows, 1), the weight dtype (group AdaGrad
    history). ``out_kind`` is ``w`` or ``f`` for the single output.
    """
    def infer_shape(attrs, shapes):
        if len(shapes) != len(layout):
            raise MXNetError(f"{op}: expects {len(layout)} inputs, got {len(shapes)}")
        known = next((s for s, k in zip(shapes, layout) if s is not None and k in "wf"), None)
        if known is None:
            return shapes, [None]
        known = tuple(known)
        expect = {"w": known, "f": known, "s": (1,), "S": (1,), "h": known[:1] + (1,)}
        out = []
        for i, (s, k) in enumerate(zip(shapes, layout)):
            want = expect[k]
            if s is not None and tuple(s) != want:
                raise MXNetError(f"{op}: input '{names[i]}' must have shape {want} (weight shape "
                                 f"{known}), got {tuple(s)}")
            out.append(want)
        return out, [known]

    def infer_type(attrs, types):
        if len(types) != len(layout):
            raise MXNetError(f"{op}: expects {len(layout)} inputs, got {len(types)}")
        wt = next((t for t, k in zip(types, layout) if t is not None and k in "wsh"), None)
        check_float(op, wt)
        out = []
        for i, (t, k) in enumerate(zip(types, layout)):
            want = "float32" if k in "fS" else wt
            if t is not None and want is not None and t != want:
                raise MXNetError(f"{op}: input '{names[i]}' must have dtype {want}, got {t}")
            out.append(want)
        return out, [wt if out_kind == "w" else "float32"]
    return infer_shape, infer_type


_DTYPE_NAMES = {}


def dtype_names(arrays):
    """The dtype names of ``arrays`` (cached: numpy's ``dtype.name`` is slow)."""
    names = []
    for a in arrays:
        name = _DTYPE_NAMES.get(a.dtype)
        if name is None:
            name = _DTYPE_NAMES[a.dtype] = a.dtype.name
        names.append(name)
    return names


def update_op(name, inputs, layout, params, mutate, doc, out_kind="w", aux=None):
    """Register an update kernel; the kernel first gets checked inputs.

    ``aux``: positions of the inputs a symbol lists as auxiliary states, by
    default the updated states ``mutate``: MXNet makes every input an op may
    write an aux state, so symbols and executors keep them apart from the
    arguments (``list_auxiliary_states``, ``aux_states=`` of ``bind``)."""
    infer_shape, infer_type = elementwise_rules(name, inputs, layout, out_kind)
    aux_names = tuple(inputs[i] for i in (mutate if aux is None else aux))

    def wrap(kernel):
        def compute(xp, attrs, *arrays):
            infer_shape(attrs, [a.shape for a in arrays])
            infer_type(attrs, dtype_names(arrays))
            return kernel(xp, attrs, *arrays)
        compute.__doc__ = doc
        return register(name, inputs=inputs, params=params,
                        aux=(lambda attrs: aux_names) if aux_names else (),
                        mutate_inputs=mutate, infer_shape=infer_shape, infer_type=infer_type,
                        doc=doc)(compute)
    return wrap


# ---------------------------------------------------------------- SGD family

# The steps below work in place on their own temporaries and on the states
# they update (one pass per operation instead of one new array each, and no
# copy back into the state); the arithmetic and its order are those of the
# plain expressions in the docstrings, so results are bitwise identical.

def sgd_step(xp, attrs, w, grad, out=None):
    """``(1 - lr*wd)*w - lr*clip(rescale_grad*grad)``, written into ``out`` (which
    may be ``w`` itself: a float32 master weight) or a fresh array."""
    lr = attrs.lr  # read once: per-tensor attrs of the multi ops are read through __getattr__
    step = rescaled(xp, attrs, grad)
    step *= lr
    decay = 1 - lr * attrs.wd
    if decay == 1:  # w * 1 is exactly w: one pass fewer
        return xp.subtract(w, step, out=step if out is None else out)
    out = xp.multiply(w, decay, out=out)
    out -= step
    return out


def momentum_update(xp, attrs, w, grad, mom):
    """Set ``mom`` (in place) to ``momentum*mom - lr*wd*w - lr*clip(rescale_grad*grad)``;
    MXNet folds the learning rate and weight decay into the momentum.

    Returns ``(m, scratch)``: the new momentum in ``w``'s dtype (``mom`` itself,
    or, for a float16 ``mom`` computed in float32, the value before rounding)
    and a temporary shaped like ``w`` that the caller may overwrite.
    """
    if mom.dtype == w.dtype:
        m = mom
        m *= attrs.momentum
    else:
        m = up(xp, mom) * attrs.momentum
    scratch = w * (attrs.lr * attrs.wd)
    m -= scratch
    step = rescaled_into(xp, attrs, grad, scratch)
    step *= attrs.lr
    m -= step
    if m is not mom:
        store(mom, m)
    return m, scratch


_SGD = {**LR, **WD, **RESCALE, **CLIP, **LAZY}


@update_op("sgd_update", ("weight", "grad"), "ww", _SGD, (),
           doc="SGD step: weight = (1 - lr*wd)*weight - lr*clip(rescale_grad*grad).")
def _sgd_update(xp, attrs, weight, grad):
    # sgd_step's result is a fresh array: no second copy when the dtype matches.
    return sgd_step(xp, attrs, up(xp, weight), grad).astype(weight.dtype, copy=False)


@update_op("sgd_mom_update", ("weight", "grad", "mom"), "www", {**_SGD, **MOMENTUM}, (2,),
           doc="SGD with momentum: mom = momentum*mom - lr*(wd*weight + clip(rescale_grad*grad)); "
               "weight += mom. ``mom`` is updated in place.")
def _sgd_mom_update(xp, attrs, weight, grad, mom):
    w = up(xp, weight)
    m, scratch = momentum_update(xp, attrs, w, grad, mom)
    return xp.add(w, m, out=scratch).astype(weight.dtype, copy=False)


@update_op("mp_sgd_update", ("weight", "grad", "weight32"), "wwf", _SGD, (2,),
           doc="Multi-precision SGD: the step of ``sgd_update`` applied to the float32 master "
               "weight (updated in place); returns it rounded to the weight's dtype.")
def _mp_sgd_update(xp, attrs, weight, grad, weight32):
    sgd_step(xp, attrs, weight32, grad, out=weight32)
    return new_weight(weight32, weight.dtype)


@update_op("mp_sgd_mom_update", ("weight", "grad", "mom", "weight32"), "wwff",
           {**_SGD, **MOMENTUM}, (2, 3),
           doc="Multi-precision SGD with momentum on the float32 master weight; ``mom`` and "
               "``weight32`` are updated in place.")
def _mp_sgd_mom_update(xp, attrs, weight, grad, mom, weight32):
    m, _ = momentum_update(xp, attrs, weight32, grad, mom)
    weight32 += m
    return new_weight(weight32, weight.dtype)


def nag_step(xp, attrs, w, grad, mom):
    """(new momentum, new weight) of Nesterov momentum.

    MXNet writes the new weight before it computes the momentum (the weight
    is updated in place when optimizers call it with ``out=weight``, and
    always in the multi-precision op), so the weight decay term of the
    stored momentum uses the new weight. This keeps that trajectory.
    """
    g = rescaled(xp, attrs, grad)
    m0 = attrs.momentum * up(xp, mom)
    step = g + attrs.wd * w
    new_w = w + attrs.momentum * (m0 - attrs.lr * step) - attrs.lr * step
    return m0 - attrs.lr * (g + attrs.wd * new_w), new_w


_NAG = {**LR, **MOMENTUM, **WD, **RESCALE, **CLIP}


@update_op("nag_mom_update", ("weight", "grad", "mom"), "www", _NAG, (2,),
           doc="Nesterov momentum: g = clip(rescale_grad*grad) + wd*weight; "
               "weight += momentum*(momentum*mom - lr*g) - lr*g; then mom = momentum*mom - "
               "lr*(clip(rescale_grad*grad) + wd*new_weight), in place (MXNet's order, as seen "
               "by its optimizers, which pass out=weight).")
def _nag_mom_update(xp, attrs, weight, grad, mom):
    m, w = nag_step(xp, attrs, up(xp, weight), grad, mom)
    store(mom, m)
    return new_weight(w, weight.dtype)


@update_op("mp_nag_mom_update", ("weight", "grad", "mom", "weight32"), "wwff", _NAG, (2, 3),
           doc="Multi-precision Nesterov momentum on the float32 master weight.")
def _mp_nag_mom_update(xp, attrs, weight, grad, mom, weight32):
    m, w = nag_step(xp, attrs, weight32, grad, mom)
    store(mom, m)
    store(weight32, w)
    return new_weight(weight32, weight.dtype)


@update_op("signsgd_update", ("weight", "grad"), "ww", {**LR, **WD, **RESCALE, **CLIP}, (),
           doc="signSGD: weight = (1 - lr*wd)*weight - lr*sign(grad). Only the sign of the "
               "raw gradient matters, so rescaling and clipping have no effect.")
def _signsgd_update(xp, attrs, weight, grad):
    w = up(xp, weight)
    return new_weight((1 - attrs.lr * attrs.wd) * w - attrs.lr * xp.sign(up(xp, grad)), weight.dtype)


@update_op("signum_update", ("weight", "grad", "mom"), "www",
           {**LR, **MOMENTUM, **WD, **RESCALE, **CLIP,
            "wd_lh": P("float", 0.0, "Decoupled weight decay applied to the weight directly.")}, (2,),
           doc="Signum: mom = momentum*mom - (1-momentum)*(wd*weight + clip(rescale_grad*grad)); "
               "weight = (1 - lr*wd_lh)*weight + lr*sign(mom).")
def _signum_update(xp, attrs, weight, grad, mom):
    w = up(xp, weight)
    m = attrs.momentum * up(xp, mom) - (1 - attrs.momentum) * (attrs.wd * w + rescaled(xp, attrs, grad))
    store(mom, m)
    return new_weight((1 - attrs.lr * attrs.wd_lh) * w + attrs.lr * xp.sign(m), weight.dtype)


# ---------------------------------------------------------------- Adam family

_BETAS = {"beta1": P("float", 0.9, "Decay rate of the first moment."),
          "beta2": P("float", 0.999, "Decay rate of the second moment.")}


def betas(attrs, dtype, half_rates):
    """The decay rates as MXNet uses them: float32 parameters; Adam and LAMB
    (``half_rates``) round them to float16 when the states are float16."""
    if half_rates and dtype == np.float16:
        return float(np.float16(attrs.beta1)), float(np.float16(attrs.beta2))
    return f32(attrs.beta1), f32(attrs.beta2)


def moments(xp, attrs, g, mean, var, half_rates=False):
    """Update the first and second moment states in place; return their new
    values (the states themselves when they have ``g``'s dtype; callers only
    read them)."""
    b1, b2 = betas(attrs, mean.dtype, half_rates)
    if mean.dtype != g.dtype or var.dtype != g.dtype:
        # float16 states: computed in float32, the unrounded values returned
        m = b1 * up(xp, mean) + (1 - b1) * g
        v = b2 * up(xp, var) + (1 - b2) * g * g
        store(mean, m)
        store(var, v)
        return m, v
    term = g * (1 - b1)
    mean *= b1
    mean += term
    xp.multiply(g, 1 - b2, out=term)
    term *= g
    var *= b2
    var += term
    return mean, var


@update_op("adam_update", ("weight", "grad", "mean", "var"), "wwww",
           {**LR, **_BETAS, "epsilon": P("float", 1e-8, "Added to the denominator."),
            **WD, **RESCALE, **CLIP, **LAZY}, (2, 3),
           doc="Adam: g = clip(rescale_grad*grad + wd*weight); mean and var (updated in place) "
               "are moving averages of g and g**2; weight -= lr*mean/(sqrt(var) + epsilon). "
               "No bias correction: the Adam optimizer folds it into lr.")
def _adam_update(xp, attrs, weight, grad, mean, var):
    w = up(xp, weight)
    g = up(xp, grad) * attrs.rescale_grad
    decay = w * attrs.wd
    g += decay
    clip(xp, g, attrs.clip_gradient, in_place=True)
    m, v = moments(xp, attrs, g, mean, var, half_rates=True)
    # w - lr*m / (sqrt(v) + epsilon), in the two temporaries
    denom = xp.sqrt(v, out=decay)
    denom += attrs.epsilon
    step = xp.multiply(m, attrs.lr, out=g)
    step /= denom
    return xp.subtract(w, step, out=step).astype(weight.dtype, copy=False)


_ADAMW = {**LR, **_BETAS, "epsilon": P("float", 1e-8, "Added to the denominator."), **WD,
          "eta": P("float", doc="Schedule multiplier applied to the whole step."), **CLIP}


def grad_scale(xp, rescale_grad):
    """The scale held in the ``rescale_grad`` array (a Python float)."""
    return float(rescale_grad.reshape(-1)[0])


def adamw_step(xp, attrs, w, grad, mean, var, scale, out=None):
    """Update mean and var in place; return the new weight
    ``w - eta*(lr*mean/(sqrt(var) + epsilon) + wd*w)`` written into ``out``
    (which may be ``w``: the float32 master weight) or a fresh array."""
    g = clip(xp, up(xp, grad) * scale, attrs.clip_gradient, in_place=True)
    m, v = moments(xp, attrs, g, mean, var)
    denom = xp.sqrt(v)
    denom += attrs.epsilon
    step = xp.multiply(m, attrs.lr, out=g)
    step /= denom
    step += xp.multiply(w, attrs.wd, out=denom)
    step *= attrs.eta
    return xp.subtract(w, step, out=step if out is None else out)


@update_op("_adamw_update", ("weight", "grad", "mean", "var", "rescale_grad"), "wwwwS", _ADAMW,
           (2, 3), doc="AdamW (decoupled weight decay): g = clip(rescale_grad*grad); mean and var "
                       "updated in place; weight -= eta*(lr*mean/(sqrt(var) + epsilon) + wd*weight). "
                       "``rescale_grad`` is a float32 array; when it is not finite (a loss-scaler "
                       "overflow) nothing is updated and the weight is returned unchanged.")
def _adamw_update(xp, attrs, weight, grad, mean, var, rescale_grad):
    scale = grad_scale(xp, rescale_grad)
    if not np.isfinite(scale):
        return weight.copy()
    return adamw_step(xp, attrs, up(xp, weight), grad, mean, var, scale).astype(
        weight.dtype, copy=False)


@update_op("_mp_adamw_update", ("weight", "grad", "mean", "var", "weight32", "rescale_grad"),
           "wwfffS", _ADAMW, (2, 3, 4),
           doc="Multi-precision AdamW on the float32 master weight (mean, var and weight32 "
               "updated in place); a non-finite ``rescale_grad`` skips the update.")
def _mp_adamw_update(xp, attrs, weight, grad, mean, var, weight32, rescale_grad):
    scale = grad_scale(xp, rescale_grad)
    if not np.isfinite(scale):
        return weight.copy()
    adamw_step(xp, attrs, weight32, grad, mean, var, scale, out=weight32)
    return new_weight(weight32, weight.dtype)


# ---------------------------------------------------------------- RMSProp, FTRL, FTML

def clip_weights(xp, attrs, w):
    return clip(xp, w, attrs.clip_weights)


_RMS = {**LR, "gamma1": P("float", 0.95, "Decay rate of the squared-gradient average."),
        "epsilon": P("float", 1e-8, "Added inside the square root."), **WD, **RESCALE, **CLIP,
        "clip_weights": P("float", -1.0, "Bound for the new weight; negative disables.")}


@update_op("rmsprop_update", ("weight", "grad", "n"), "www", _RMS, (2,),
           doc="RMSProp: g = clip(rescale_grad*grad + wd*weight); n = (1-gamma1)*g**2 + gamma1*n "
               "(in place); weight -= lr*g/sqrt(n + epsilon), then clipped to clip_weights.")
def _rmsprop_update(xp, attrs, weight, grad, n):
    w = up(xp, weight)
    g = clip(xp, up(xp, grad) * attrs.rescale_grad + attrs.wd * w, attrs.clip_gradient)
    nn = (1 - attrs.gamma1) * g * g + attrs.gamma1 * up(xp, n)
    store(n, nn)
    return new_weight(clip_weights(xp, attrs, w - attrs.lr * g / xp.sqrt(nn + attrs.epsilon)),
                      weight.dtype)


@update_op("rmspropalex_update", ("weight", "grad", "n", "g", "delta"), "wwwww",
           {**_RMS, "gamma2": P("float", 0.9, "Momentum of the step.")}, (2, 3, 4),
           doc="Centered RMSProp (Graves 2013): n and g are moving averages of grad**2 and grad, "
               "delta = gamma2*delta - lr*grad/sqrt(n - g**2 + epsilon); weight += delta. "
               "n, g and delta are updated in place.")
def _rmspropalex_update(xp, attrs, weight, grad, n, g_avg, delta):
    w = up(xp, weight)
    g = clip(xp, up(xp, grad) * attrs.rescale_grad + attrs.wd * w, attrs.clip_gradient)
    nn = (1 - attrs.gamma1) * g * g + attrs.gamma1 * up(xp, n)
    ga = (1 - attrs.gamma1) * g + attrs.gamma1 * up(xp, g_avg)
    d = attrs.gamma2 * up(xp, delta) - attrs.lr * g / xp.sqrt(nn - ga * ga + attrs.epsilon)
    store(n, nn)
    store(g_avg, ga)
    store(delta, d)
    return new_weight(clip_weights(xp, attrs, w + d), weight.dtype)


@update_op("ftrl_update", ("weight", "grad", "z", "n"), "wwww",
           {**LR, "lamda1": P("float", 0.01, "L1 regularization strength."),
            "beta": P("float", 1.0, "Per-coordinate learning rate offset."), **WD, **RESCALE, **CLIP},
           (2, 3),
           doc="FTRL-Proximal: g = clip(rescale_grad*grad); z += g - (sqrt(n + g**2) - sqrt(n))*weight/lr; "
               "n += g**2 (both in place); weight = (sign(z)*lamda1 - z)/((beta + sqrt(n))/lr + wd) "
               "where |z| > lamda1, else 0.")
def _ftrl_update(xp, attrs, weight, grad, z, n):
    w = up(xp, weight)
    g = rescaled(xp, attrs, grad)
    n0 = up(xp, n)
    zz = up(xp, z) + g - (xp.sqrt(n0 + g * g) - xp.sqrt(n0)) * w / attrs.lr
    nn = n0 + g * g
    store(z, zz)
    store(n, nn)
    out = (xp.sign(zz) * attrs.lamda1 - zz) / ((attrs.beta + xp.sqrt(nn)) / attrs.lr + attrs.wd)
    return new_weight(out * (xp.abs(zz) > attrs.lamda1), weight.dtype)


@update_op("ftml_update", ("weight", "grad", "d", "v", "z"), "wwwww",
           {**LR, "beta1": P("float", 0.6, "Decay rate of z."),
            "beta2": P("float", 0.999, "Decay rate of v."),
            "epsilon": P("float", 1e-8, "Added to the denominator."),
            "t": P("int", doc="Number of the update (from 1)."), **WD, **RESCALE,
            "clip_grad": P("float", -1.0, "Bound for the rescaled gradient; negative disables.")},
           (2, 3, 4),
           doc="FTML (Follow the Moving Leader): g = clip(rescale_grad*grad + wd*weight); "
               "v = beta2*v + (1-beta2)*g**2; d_t = (1-beta1**t)/lr*(sqrt(v/(1-beta2**t)) + epsilon); "
               "z = beta1*z + (1-beta1)*g - (d_t - beta1*d)*weight; d = d_t; weight = -z/d. "
               "d, v and z are updated in place.")
def _ftml_update(xp, attrs, weight, grad, d, v, z):
    w = up(xp, weight)
    b1, b2, t = attrs.beta1, attrs.beta2, attrs.t
    g = clip(xp, up(xp, grad) * attrs.rescale_grad + attrs.wd * w, attrs.clip_grad)
    vv = b2 * up(xp, v) + (1 - b2) * g * g
    dt = (1 - b1 ** t) / attrs.lr * (xp.sqrt(vv / (1 - b2 ** t)) + attrs.epsilon)
    zz = b1 * up(xp, z) + (1 - b1) * g - (dt - b1 * up(xp, d)) * w
    store(v, vv)
    store(d, dt)
    store(z, zz)
    return new_weight(-zz / dt, weight.dtype)


# ---------------------------------------------------------------- LAMB

_LAMB1 = {**_BETAS, "epsilon": P("float", 1e-6, "Added to the denominator."),
          "t": P("int", doc="Number of the update (from 1), for bias correction."),
          "bias_correction": P("bool", True, "Divide the moments by (1 - beta**t)."),
          "wd": P("float", doc="Weight decay added to the direction."), **RESCALE, **CLIP}


def lamb_direction(xp, attrs, w, grad, mean, var, t):
    """Phase 1 of LAMB: update the moments in place; return the step direction."""
    m, v = moments(xp, attrs, rescaled(xp, attrs, grad), mean, var, half_rates=True)
    if attrs.bias_correction:
        b1, b2 = betas(attrs, mean.dtype, half_rates=True)
        m = m / (1 - b1 ** t)
        v = v / (1 - b2 ** t)
    return m / (xp.sqrt(v) + attrs.epsilon) + attrs.wd * w


@update_op("lamb_update_phase1", ("weight", "grad", "mean", "var"), "wwww", _LAMB1, (2, 3),
           doc="LAMB phase 1: moving averages mean and var of g = clip(rescale_grad*grad) "
               "(updated in place) give the direction mean/(sqrt(var) + epsilon) + wd*weight, "
               "with optional bias correction. The weight is not changed.")
def _lamb_update_phase1(xp, attrs, weight, grad, mean, var):
    return new_weight(lamb_direction(xp, attrs, up(xp, weight), grad, mean, var, attrs.t), weight.dtype)


@update_op("mp_lamb_update_phase1", ("weight", "grad", "mean", "var", "weight32"), "wwfff", _LAMB1,
           (2, 3), out_kind="f",
           doc="Multi-precision LAMB phase 1 on the float32 master weight; returns a float32 direction.")
def _mp_lamb_update_phase1(xp, attrs, weight, grad, mean, var, weight32):
    return lamb_direction(xp, attrs, weight32, grad, mean, var, attrs.t).astype(xp.float32)


def trust_ratio(attrs, r1, r2):
    """LAMB's layer-wise ratio ||weight|| / ||direction||, the weight norm bounded first."""
    if attrs.lower_bound > 0:
        r1 = max(r1, attrs.lower_bound)
    if attrs.upper_bound > 0:
        r1 = min(r1, attrs.upper_bound)
    return r1 / r2 if r1 != 0 and r2 != 0 else 1.0


_LAMB2 = {**LR, "lower_bound": P("float", -1.0, "Lower bound of the weight norm; <= 0 disables."),
          "upper_bound": P("float", -1.0, "Upper bound of the weight norm; <= 0 disables.")}


@update_op("lamb_update_phase2", ("weight", "g", "r1", "r2"), "wwss", _LAMB2, (),
           doc="LAMB phase 2: weight -= lr * (r1/r2) * g, where r1 (weight norm, bounded by "
               "lower_bound/upper_bound) and r2 (direction norm) are one-element arrays; the ratio "
               "is 1 when either norm is 0.")
def _lamb_update_phase2(xp, attrs, weight, g, r1, r2):
    ratio = trust_ratio(attrs, float(r1[0]), float(r2[0]))
    return new_weight(up(xp, weight) - attrs.lr * ratio * up(xp, g), weight.dtype)


@update_op("mp_lamb_update_phase2", ("weight", "g", "r1", "r2", "weight32"), "wfSSf", _LAMB2, (),
           aux=(4,),  # MXNet declares weight32 writable (an aux state) but never writes it
           doc="Multi-precision LAMB phase 2: returns weight32 - lr*(r1/r2)*g rounded to the "
               "weight's dtype. Like MXNet 1.9, weight32 itself is left unchanged.")
def _mp_lamb_update_phase2(xp, attrs, weight, g, r1, r2, weight32):
    ratio = trust_ratio(attrs, float(r1[0]), float(r2[0]))
    return new_weight(weight32 - attrs.lr * ratio * g, weight.dtype)


# ---------------------------------------------------------------- Group AdaGrad

@update_op("_contrib_group_adagrad_update", ("weight", "grad", "history"), "wwh",
           {**LR, **RESCALE, **CLIP, "epsilon": P("float", 1e-5, "Added inside the square root.")}, (2,),
           doc="Group AdaGrad (one accumulator per row): g = clip(rescale_grad*grad); "
               "history += mean of g**2 over each row (history has shape (rows, 1), updated in "
               "place); weight -= lr*g/sqrt(history + epsilon).")
def _group_adagrad_update(xp, attrs, weight, grad, history):
    if weight.ndim < 2:
        raise MXNetError(f"_contrib_group_adagrad_update: weight must have at least 2 dimensions "
                         f"(rows, ...), got shape {weight.shape}")
    w = up(xp, weight)
    g = rescaled(xp, attrs, grad)
    rows = g.reshape(g.shape[0], -1)
    h = up(xp, history) + (rows * rows).mean(axis=1, keepdims=True)
    store(history, h)
    div = rows / xp.sqrt(h + attrs.epsilon)
    return new_weight(w - attrs.lr * div.reshape(w.shape), weight.dtype)
