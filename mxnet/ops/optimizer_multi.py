"""Multi-tensor optimizer updates: one call updates a list of weights.

Inputs come flattened, one group per weight (``weight, grad[, states...]``
in the order of each op's ``GROUP``), followed by any shared arrays; the
count of weights is the ``num_weights`` (``num_tensors`` for LAMB)
argument, which MXNet does not infer from the number of arrays. The ops
return the new weights (one output per weight) and update states in place,
exactly like the single-tensor ops of ``optimizer_ops`` whose steps they
reuse; symbols list those states as aux states, as MXNet does. Unlike most
single-tensor ops, ``clip_gradient=0`` disables clipping here, as in MXNet 1.9.

Also here: ``multi_lars`` (LARS learning rates from precomputed norms) and
``reset_arrays`` (zero a list of arrays in place).

The SGD ops also have kernels that write each new weight into its weight
input (``IN_PLACE``): optimizers pass ``out=`` the weights themselves, and
computing there saves a fresh array and a copy per weight
(``mxnet/optimizer/in_place.py`` calls them).
"""
from functools import partial

import numpy as np

from ..base import MXNetError
from .optimizer_ops import (CLIP, RESCALE, P, adamw_step, check_float, dtype_names, grad_scale,
                            lamb_direction, momentum_update, new_weight, sgd_step, store,
                            trust_ratio, up)
from .registry import Attrs, register

_FLOAT_LIST = "floats"

# op name -> kernel(xp, attrs, *arrays) writing the new weights into the
# weight inputs (and returning nothing), checked like the op's own kernel.
IN_PLACE = {}


def _per_tensor(attrs, **values):
    """Attributes of the single-tensor step for one weight."""
    sub = Attrs(attrs)
    sub.update(values)
    return sub._freeze()  # attribute reads in the step then skip __getattr__


def _rules(op, group, shared, count):
    """Shape/type rules and an argument check for flattened weight groups.

    ``group`` has one letter per array of a group: ``w`` (weight dtype) or
    ``f`` (float32, the multi-precision states). ``shared`` lists the arrays
    after the groups: ``S`` a float32 array of shape (1,), ``L`` a float32
    array with one entry per weight.
    """
    stride = len(group)

    def expected(attrs, got):
        n = attrs[count]
        if n < 1:
            raise MXNetError(f"{op}: {count} must be at least 1, got {n}")
        want = n * stride + len(shared)
        if got != want:
            raise MXNetError(f"{op}: {count}={n} needs {want} input arrays ({stride} per weight"
                             f"{' plus ' + str(len(shared)) + ' shared' if shared else ''}), got {got}")
        return n

    def infer_shape(attrs, shapes):
        n = expected(attrs, len(shapes))
        ins, outs = list(shapes), []
        for k in range(n):
            part = shapes[k * stride:(k + 1) * stride]
            known = next((tuple(s) for s in part if s is not None), None)
            for i, s in enumerate(part):
                if s is not None and tuple(s) != known:
                    raise MXNetError(f"{op}: arrays of weight {k} must share its shape {known}, "
                                     f"got {tuple(s)} at input {k * stride + i}")
            ins[k * stride:(k + 1) * stride] = [known] * stride
            outs.append(known)
        for j, kind in enumerate(shared):
            want = (1,) if kind == "S" else (n,)
            i = n * stride + j
            if shapes[i] is not None and tuple(shapes[i]) != want:
                raise MXNetError(f"{op}: input {i} must have shape {want}, got {tuple(shapes[i])}")
            ins[i] = want
        return ins, outs

    def infer_type(attrs, types):
        n = expected(attrs, len(types))
        kinds = group * n + "f" * len(shared)
        wt = next((t for t, k in zip(types, kinds) if t is not None and k == "w"), None)
        check_float(op, wt)
        ins = []
        for i, (t, k) in enumerate(zip(types, kinds)):
            want = wt if k == "w" else "float32"
            if t is not None and want is not None and t != want:
                raise MXNetError(f"{op}: input {i} must have dtype {want}, got {t}")
            ins.append(want)
        return ins, [wt] * n
    return infer_shape, infer_type


def _lengths(op, attrs, n, names):
    for name in names:
        if len(attrs[name]) != n:
            raise MXNetError(f"{op}: {name} needs one value per weight ({n}), "
                             f"got {len(attrs[name])}: {attrs[name]}")


def multi_op(name, group, shared, params, lists, doc, count="num_weights", in_place=None):
    """Register a multi-tensor update; the kernel gets checked attrs and the groups.
    ``in_place``: the same kernel's variant that writes the new weights into
    the weights, registered in ``IN_PLACE``."""
    infer_shape, infer_type = _rules(name, group, shared, count)
    params = {**params, count: P("int", 1, "Number of weights updated.")}

    stride = len(group)

    def states(attrs, n_inputs):
        """Positions of the optimizer states (all but weight and grad of each group),
        which the kernel updates in place and symbols list as aux states, as in MXNet."""
        return tuple(k * stride + j for k in range(attrs[count]) for j in range(2, stride))

    # Calls already checked, by (attrs, shapes, dtypes): a training loop makes
    # the same call every step, and the checks cost a third of a small update.
    # The entry holds the attrs object itself, so a recycled id never matches.
    checked = {}

    def split(attrs, arrays):
        """The weight groups and the shared arrays of a checked call."""
        key = (id(attrs), tuple(a.shape for a in arrays), tuple(a.dtype for a in arrays))
        if checked.get(key) is not attrs:
            infer_shape(attrs, [a.shape for a in arrays])
            infer_type(attrs, dtype_names(arrays))
            _lengths(name, attrs, attrs[count], lists)
            if len(checked) >= 64:
                checked.clear()
            checked[key] = attrs
        n = attrs[count]
        return [arrays[k * stride:(k + 1) * stride] for k in range(n)], arrays[n * stride:]

    if in_place is not None:
        def compute_in_place(xp, attrs, *arrays):
            groups, rest = split(attrs, arrays)
            in_place(xp, attrs, groups, *rest)
        IN_PLACE[name] = compute_in_place

    def wrap(kernel):
        def compute(xp, attrs, *arrays):
            groups, rest = split(attrs, arrays)
            return tuple(kernel(xp, attrs, groups, *rest))
        compute.__doc__ = doc
        return register(name, inputs=("data",), variadic=count, params=params,
                        num_outputs=lambda attrs: attrs[count], infer_shape=infer_shape,
                        infer_type=infer_type, mutate_inputs=states if stride > 2 else (),
                        aux_positions=states if stride > 2 else None, doc=doc)(compute)
    return wrap


_LISTS = {"lrs": P(_FLOAT_LIST, doc="Learning rate of each weight."),
          "wds": P(_FLOAT_LIST, doc="Weight decay of each weight.")}
_COMMON = {**RESCALE, **CLIP}
_MOM = {"momentum": P("float", 0.0, "Momentum factor.")}


def _sgd(xp, attrs, groups, lrs, wds, in_place=False):
    """The new weights (a list); with ``in_place`` each is written into its
    weight instead (nothing returned). Both compute the same operations."""
    out = []
    for (w, g), lr, wd in zip(groups, lrs, wds):
        sub = _per_tensor(attrs, lr=lr, wd=wd)
        if in_place and w.dtype != np.float16:
            sgd_step(xp, sub, w, g, out=w)
            continue
        # sgd_step's result is a fresh array: no second copy when the dtype matches.
        new = sgd_step(xp, sub, up(xp, w), g).astype(w.dtype, copy=False)
        if in_place:
            store(w, new)
        else:
            out.append(new)
    return out


def _sgd_mom(xp, attrs, groups, lrs, wds, in_place=False):
    out = []
    for (w, g, mom), lr, wd in zip(groups, lrs, wds):
        wc = up(xp, w)
        m, scratch = momentum_update(xp, _per_tensor(attrs, lr=lr, wd=wd), wc, g, mom)
        if in_place and wc is w:
            xp.add(w, m, out=w)
            continue
        new = xp.add(wc, m, out=scratch).astype(w.dtype, copy=False)
        if in_place:
            store(w, new)
        else:
            out.append(new)
    return out


def _mp_sgd(xp, attrs, groups, lrs, wds, in_place=False):
    out = []
    for (w, g, w32), lr, wd in zip(groups, lrs, wds):
        sgd_step(xp, _per_tensor(attrs, lr=lr, wd=wd), w32, g, out=w32)
        if in_place:
            store(w, w32)  # rounds as new_weight does
        else:
            out.append(new_weight(w32, w.dtype))
    return out


def _mp_sgd_mom(xp, attrs, groups, lrs, wds, in_place=False):
    out = []
    for (w, g, mom, w32), lr, wd in zip(groups, lrs, wds):
        m, _ = momentum_update(xp, _per_tensor(attrs, lr=lr, wd=wd), w32, g, mom)
        w32 += m
        if in_place:
            store(w, w32)
        else:
            out.append(new_weight(w32, w.dtype))
    return out


_SGD_DOC = ("{what} for several weights; data is {layout} repeated num_weights times{tail}. "
            "Returns the new weights{states}.")

for _name, _group, _step, _extra, _layout, _states in (
        ("sgd_update", "ww", _sgd, {}, "(weight, grad)", ""),
        ("sgd_mom_update", "www", _sgd_mom, _MOM, "(weight, grad, mom)", "; mom is updated in place"),
        ("mp_sgd_update", "wwf", _mp_sgd, {}, "(weight, grad, weight32)",
         "; the float32 weight32 is updated in place"),
        ("mp_sgd_mom_update", "wwff", _mp_sgd_mom, _MOM, "(weight, grad, mom, weight32)",
         "; the float32 mom and weight32 are updated in place")):
    _what = ("SGD with momentum" if "mom" in _name else "SGD") + \
        (" on float32 master copies" if _name.startswith("mp_") else "")

    def _listed(xp, attrs, groups, _step=_step, in_place=False):
        return _step(xp, attrs, groups, attrs.lrs, attrs.wds, in_place)

    def _preloaded(xp, attrs, groups, lrs, wds, _step=_step, in_place=False):
        return _step(xp, attrs, groups, [float(x) for x in lrs], [float(x) for x in wds],
                     in_place)

    multi_op("multi_" + _name, _group, "", {**_LISTS, **_extra, **_COMMON}, ("lrs", "wds"),
             _SGD_DOC.format(what=_what, layout=_layout, tail="", states=_states),
             in_place=partial(_listed, in_place=True))(_listed)
    multi_op("preloaded_multi_" + _name, _group, "LL", {**_extra, **_COMMON}, (),
             _SGD_DOC.format(what=_what, layout=_layout, states=_states,
                             tail=", then the float32 arrays lrs and wds (one entry per weight)"),
             in_place=partial(_preloaded, in_place=True))(_preloaded)


_ADAMW = {"lrs": _LISTS["lrs"], "beta1": P("float", 0.9, "Decay rate of the first moment."),
          "beta2": P("float", 0.999, "Decay rate of the second moment."),
          "epsilon": P("float", 1e-8, "Added to the denominator."), "wds": _LISTS["wds"],
          "etas": P(_FLOAT_LIST, doc="Schedule multiplier of each weight."), **CLIP}


def _adamw_all(xp, attrs, groups, rescale_grad, mp):
    scale = grad_scale(xp, rescale_grad)
    if not np.isfinite(scale):
        return [g[0].copy() for g in groups]
    out = []
    for grp, lr, wd, eta in zip(groups, attrs.lrs, attrs.wds, attrs.etas):
        sub = _per_tensor(attrs, lr=lr, wd=wd, eta=eta)
        if mp:
            w, g, mean, var, w32 = grp
            adamw_step(xp, sub, w32, g, mean, var, scale, out=w32)
            out.append(new_weight(w32, w.dtype))
        else:
            w, g, mean, var = grp
            new = adamw_step(xp, sub, up(xp, w), g, mean, var, scale)
            out.append(new.astype(w.dtype, copy=False))
    return out


@multi_op("_multi_adamw_update", "wwww", "S", _ADAMW, ("lrs", "wds", "etas"),
          "AdamW for several weights; data is (weight, grad, mean, var) per weight, then the "
          "float32 rescale_grad array. A non-finite rescale_grad skips every update.")
def _multi_adamw_update(xp, attrs, groups, rescale_grad):
    return _adamw_all(xp, attrs, groups, rescale_grad, False)


@multi_op("_multi_mp_adamw_update", "wwfff", "S", _ADAMW, ("lrs", "wds", "etas"),
          "Multi-precision AdamW for several weights; data is (weight, grad, mean, var, weight32) "
          "per weight, then the float32 rescale_grad array.")
def _multi_mp_adamw_update(xp, attrs, groups, rescale_grad):
    return _adamw_all(xp, attrs, groups, rescale_grad, True)


_LAMB = {"learning_rates": P(_FLOAT_LIST, doc="Learning rate of each weight."),
         "beta1": P("float", 0.9, "Decay rate of the first moment."),
         "beta2": P("float", 0.999, "Decay rate of the second moment."),
         "epsilon": P("float", 1e-6, "Added to the denominator."), "wds": _LISTS["wds"], **RESCALE,
         "lower_bound": P("float", -1.0, "Lower bound of the weight norm; <= 0 disables."),
         "upper_bound": P("float", -1.0, "Upper bound of the weight norm; <= 0 disables."), **CLIP,
         "bias_correction": P("bool", True, "Divide the moments by (1 - beta**t)."),
         "step_count": P("shape", doc="Update number (from 1) of each weight.")}


def _lamb_all(xp, attrs, groups, mp):
    out = []
    for grp, lr, wd, t in zip(groups, attrs.learning_rates, attrs.wds, attrs.step_count):
        sub = _per_tensor(attrs, wd=wd)
        w, g, mean, var = grp[:4]
        master = grp[4] if mp else up(xp, w)
        direction = lamb_direction(xp, sub, master, g, mean, var, t)
        ratio = trust_ratio(sub, float(xp.sqrt((master * master).sum())),
                            float(xp.sqrt((direction * direction).sum())))
        new = master - lr * ratio * direction
        if mp:
            store(master, new)
        out.append(new_weight(new, w.dtype))
    return out


@multi_op("_multi_lamb_update", "wwww", "", _LAMB, ("learning_rates", "wds", "step_count"),
          "LAMB (both phases) for several weights; data is (weight, grad, mean, var) per weight; "
          "mean and var are updated in place.", count="num_tensors")
def _multi_lamb_update(xp, attrs, groups):
    return _lamb_all(xp, attrs, groups, False)


@multi_op("_multi_mp_lamb_update", "wwfff", "", _LAMB, ("learning_rates", "wds", "step_count"),
          "Multi-precision LAMB for several weights; data is (weight, grad, mean, var, weight32) "
          "per weight; the float32 states are updated in place.", count="num_tensors")
def _multi_mp_lamb_update(xp, attrs, groups):
    return _lamb_all(xp, attrs, groups, True)


# ---------------------------------------------------------------- LARS, reset

def _lars_shape(attrs, shapes):
    known = next((tuple(s) for s in shapes if s is not None), None)
    for i, s in enumerate(shapes):
        if s is not None and tuple(s) != known:
            raise MXNetError(f"multi_lars: all inputs must have one shape, got {known} and "
                             f"{tuple(s)} at input {i}")
    return [known] * len(shapes), [known]


def _lars_type(attrs, types):
    for i, t in enumerate(types):
        if t is not None and t != "float32":
            raise MXNetError(f"multi_lars: inputs must be float32, got {t} at input {i}")
    return ["float32"] * len(types), ["float32"]


@register("multi_lars", inputs=("lrs", "weights_sum_sq", "grads_sum_sq", "wds"),
          params={"eta": P("float", doc="LARS trust coefficient."),
                  "eps": P("float", doc="Added to the denominator."), **RESCALE},
          infer_shape=_lars_shape, infer_type=_lars_type)
def _multi_lars(xp, attrs, lrs, weights_sum_sq, grads_sum_sq, wds):
    """LARS learning rates: lr * eta * |w| / (|g| * rescale_grad + wd * |w| + eps) from the
    squared norms of each weight and gradient; lr unchanged where either norm is 0."""
    _lars_shape(attrs, [lrs.shape, weights_sum_sq.shape, grads_sum_sq.shape, wds.shape])
    _lars_type(attrs, [a.dtype.name for a in (lrs, weights_sum_sq, grads_sum_sq, wds)])
    w = xp.sqrt(weights_sum_sq)
    g = xp.sqrt(grads_sum_sq) * attrs.rescale_grad
    safe = xp.where((w > 0) & (g > 0), g + wds * w + attrs.eps, 1)
    scaled = lrs * attrs.eta * w / safe
    return xp.where((w > 0) & (g > 0), scaled, lrs).astype(xp.float32)


def _reset_shape(attrs, shapes):
    if len(shapes) != attrs.num_arrays:
        raise MXNetError(f"reset_arrays: num_arrays={attrs.num_arrays} but {len(shapes)} arrays given")
    return shapes, []


def _reset_type(attrs, types):
    for t in types:
        check_float("reset_arrays", t)
    return types, []


@register("reset_arrays", inputs=("data",), variadic="num_arrays",
          params={"num_arrays": P("int", doc="Number of arrays to reset.")}, num_outputs=0,
          infer_shape=_reset_shape, infer_type=_reset_type)
def _reset_arrays(xp, attrs, *arrays):
    """Set every given array to zero in place; no outputs."""
    _reset_shape(attrs, [a.shape for a in arrays])
    _reset_type(attrs, [a.dtype.name for a in arrays])
    for a in arrays:
        a[...] = 0
    return ()
