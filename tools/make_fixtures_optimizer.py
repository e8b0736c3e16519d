"""Write the optimizer-update fixtures of tests/ops/test_optimizer_ops.py with real MXNet 1.9.1.

Run with the oracle's interpreter from the repository root::

    .venv-ref/bin/python tools/make_fixtures_optimizer.py

Every case calls one update operator for a few steps the way MXNet's
optimizers do (the new weight written back into the weight with ``out=``),
feeding a fresh gradient each step and letting the operator update its
states in place. ``optimizer_cases.json`` lists the cases (operator, keyword
arguments per step, which inputs are fresh each step, where the output
goes, dtypes and shapes); ``optimizer_steps.npz`` holds one flat array per
dtype with, case after case, the initial arrays, then for each step the fresh
inputs, the outputs (when not written into the weight) and every other array
after the step, as MXNet computed them.
"""
import json
import os

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops")
STEPS = 3
SHAPE = (2, 3)
rng = np.random.RandomState(7)


def rand(kind, shape=SHAPE, dtype="float32"):
    if kind == "normal":
        a = rng.normal(0, 1, shape)
    elif kind == "big":  # gradients large enough for clipping to matter
        a = rng.normal(0, 3, shape)
    elif kind == "pos":
        a = rng.uniform(0.2, 1.5, shape)
    elif kind == "zero":
        a = np.zeros(shape)
    else:
        raise ValueError(kind)
    return a.astype(dtype)


def single(op, states, kwargs, fp16=False, mp_states=(), step_param=None, out="weight",
           fresh=(1,), grad_kind="big", id=None, extra=()):
    """A case for an op taking (weight, grad, *states[, weight32]), states mutated in place.

    ``states`` are kinds of float32 (or float16 when ``fp16`` and not mp)
    state arrays; ``mp_states`` are float32 states after them (weight32 is
    added automatically as a copy of the weight when ``fp16`` and mp).
    """
    wdt = "float16" if fp16 else "float32"
    w = rand("normal", dtype=wdt)
    arrays = [w, rand(grad_kind, dtype=wdt)]
    arrays += [rand(k, dtype=wdt if not mp_states and fp16 else "float32") for k in states]
    if "weight32" in mp_states:
        arrays.append(w.astype("float32"))
    arrays += list(extra)
    return dict(id=id or op, op=op, arrays=arrays, kwargs=kwargs, step_param=step_param,
                out=out, fresh=list(fresh), grad_kind=grad_kind)


def multi(op, n, per, kwargs, fp16=False, extra=(), step_param=None, id=None, shapes=None):
    """A case of a multi-tensor op: ``n`` groups laid out per ``per`` (names)."""
    shapes = shapes or [(2, 3), (4,), (1, 2, 2)][:n]
    arrays, fresh, outs = [], [], []
    for i in range(n):
        wdt = "float16" if fp16 else "float32"
        w = rand("normal", shapes[i], wdt)
        for name in per:
            if name == "weight":
                outs.append(len(arrays))
                arrays.append(w)
            elif name == "grad":
                fresh.append(len(arrays))
                arrays.append(rand("big", shapes[i], wdt))
            elif name == "weight32":
                arrays.append(w.astype("float32"))
            elif name == "var":
                arrays.append(rand("pos", shapes[i]))
            else:  # mom, mean: float32 states in mp cases, weight dtype otherwise
                arrays.append(rand("normal", shapes[i], "float32" if "weight32" in per else wdt))
    for a in extra:
        arrays.append(a)
    return dict(id=id or op, op=op, arrays=arrays, kwargs=kwargs, step_param=step_param,
                out=outs, fresh=fresh, grad_kind="big")


CLIP = dict(wd=0.1, rescale_grad=0.5, clip_gradient=1.0)


def cases():
    c = []
    c.append(single("sgd_update", [], dict(lr=0.1, **CLIP)))
    c.append(single("sgd_update", [], dict(lr=0.1), id="sgd_update-defaults"))
    c.append(single("sgd_update", [], dict(lr=0.1, clip_gradient=0.0), id="sgd_update-clip-zero"))
    c.append(single("sgd_update", [], dict(lr=0.1, **CLIP), fp16=True, id="sgd_update-fp16"))
    c.append(single("sgd_mom_update", ["normal"], dict(lr=0.1, momentum=0.9, **CLIP)))
    c.append(single("sgd_mom_update", ["normal"], dict(lr=0.1, momentum=0.9, wd=0.01, clip_gradient=0.0),
                    id="sgd_mom_update-clip-zero"))
    c.append(single("mp_sgd_update", [], dict(lr=0.1, **CLIP), fp16=True, mp_states=["weight32"]))
    c.append(single("mp_sgd_mom_update", ["normal"], dict(lr=0.1, momentum=0.9, **CLIP), fp16=True,
                    mp_states=["weight32"]))
    c.append(single("nag_mom_update", ["normal"], dict(lr=0.1, momentum=0.9, **CLIP)))
    c.append(single("nag_mom_update", ["normal"], dict(lr=0.1, momentum=0.9, clip_gradient=0.0),
                    id="nag_mom_update-clip-zero"))
    c.append(single("mp_nag_mom_update", ["normal"], dict(lr=0.1, momentum=0.9, **CLIP), fp16=True,
                    mp_states=["weight32"]))
    c.append(single("signsgd_update", [], dict(lr=0.1, **CLIP)))
    c.append(single("signsgd_update", [], dict(lr=0.1, clip_gradient=0.0), id="signsgd_update-clip-zero"))
    c.append(single("signum_update", ["normal"], dict(lr=0.1, momentum=0.9, wd_lh=0.05, **CLIP)))
    c.append(single("signum_update", ["normal"], dict(lr=0.1, momentum=0.9, clip_gradient=1e-3),
                    id="signum_update-tiny-clip"))
    c.append(single("adam_update", ["normal", "pos"], dict(lr=0.1, **CLIP)))
    c.append(single("adam_update", ["normal", "pos"], dict(lr=0.1, clip_gradient=0.0, wd=0.1),
                    id="adam_update-clip-zero"))
    c.append(single("adam_update", ["normal", "pos"], dict(lr=0.01, beta1=0.8, beta2=0.99,
                                                           epsilon=1e-3, lazy_update=False),
                    fp16=True, id="adam_update-fp16"))
    rescale = np.array([0.5], np.float32)
    c.append(single("_adamw_update", ["normal", "pos"],
                    dict(lr=0.1, eta=0.5, wd=0.1, clip_gradient=1.0), extra=[rescale]))
    c.append(single("_adamw_update", ["normal", "pos"], dict(lr=0.1, eta=0.5, clip_gradient=0.0),
                    extra=[rescale], id="_adamw_update-clip-zero"))
    c.append(single("_adamw_update", ["normal", "pos"], dict(lr=0.1, eta=0.5, wd=0.1),
                    extra=[np.array([np.inf], np.float32)], id="_adamw_update-skips-on-inf-scale"))
    c.append(single("_adamw_update", ["normal", "pos"], dict(lr=0.01, eta=0.5, beta2=0.99, epsilon=1e-3),
                    fp16=True, extra=[rescale], id="_adamw_update-fp16"))
    c.append(single("_mp_adamw_update", ["normal", "pos"], dict(lr=0.1, eta=0.5, wd=0.1, clip_gradient=1.0),
                    fp16=True, mp_states=["weight32"], extra=[rescale]))
    c.append(single("_mp_adamw_update", ["normal", "pos"], dict(lr=0.1, eta=0.5, clip_gradient=0.0),
                    fp16=True, mp_states=["weight32"], extra=[rescale], id="_mp_adamw_update-clip-zero"))
    c.append(single("rmsprop_update", ["pos"], dict(lr=0.1, gamma1=0.9, epsilon=1e-4, **CLIP)))
    c.append(single("rmsprop_update", ["pos"], dict(lr=0.5, clip_weights=0.8, clip_gradient=0.0),
                    id="rmsprop_update-clip-weights"))
    c.append(single("rmspropalex_update", ["pos", "zero", "normal"],
                    dict(lr=0.1, gamma1=0.9, gamma2=0.8, epsilon=1e-4, **CLIP)))
    c.append(single("rmspropalex_update", ["pos", "zero", "normal"],
                    dict(lr=0.5, clip_weights=0.8, clip_gradient=0.0), id="rmspropalex_update-clip-weights"))
    c.append(single("ftrl_update", ["normal", "pos"], dict(lr=0.1, lamda1=0.05, beta=0.5, **CLIP)))
    c.append(single("ftrl_update", ["normal", "pos"], dict(lr=0.1, clip_gradient=0.0),
                    id="ftrl_update-clip-zero"))
    c.append(single("ftml_update", ["zero", "zero", "zero"],
                    dict(lr=0.1, beta1=0.6, beta2=0.99, epsilon=1e-6, wd=0.1, rescale_grad=0.5,
                         clip_grad=1.0), step_param="t"))
    c.append(single("ftml_update", ["zero", "zero", "zero"], dict(lr=0.1, clip_grad=0.0),
                    step_param="t", id="ftml_update-clip-zero"))
    lamb1 = dict(wd=0.1, rescale_grad=0.5, clip_gradient=1.0)
    c.append(single("lamb_update_phase1", ["normal", "pos"], lamb1,
                    step_param="t", out="none"))
    c.append(single("lamb_update_phase1", ["normal", "pos"],
                    dict(wd=0.0, bias_correction=False, clip_gradient=0.0, epsilon=1e-3),
                    step_param="t", out="none", id="lamb_update_phase1-no-bias-correction"))
    c.append(single("mp_lamb_update_phase1", ["normal", "pos"], lamb1,
                    fp16=True, mp_states=["weight32"], step_param="t", out="none"))
    r = np.array([1.5], np.float32)
    for lb, ub, r1, tag in ((-1.0, -1.0, r, ""), (2.0, -1.0, r, "-lower-bound"),
                            (-1.0, 1.0, r, "-upper-bound"),
                            (-1.0, -1.0, np.zeros(1, np.float32), "-zero-norm")):
        c.append(single("lamb_update_phase2", [], dict(lr=0.1, lower_bound=lb, upper_bound=ub),
                        extra=[r1, np.array([2.5], np.float32)], id="lamb_update_phase2" + tag))
    mp2 = single("mp_lamb_update_phase2", [], dict(lr=0.1, lower_bound=0.5, upper_bound=3.0), fp16=True,
                 mp_states=["weight32"], extra=[r, np.array([2.5], np.float32)])
    # phase 2 takes the float32 direction g from phase 1 and the norms before weight32
    w16, g16, w32, r1, r2 = mp2["arrays"]
    mp2["arrays"] = [w16, g16.astype("float32"), r1, r2, w32]
    c.append(mp2)

    lrs, wds = (0.1, 0.2, 0.05), (0.0, 0.1, 0.01)
    base = dict(lrs=lrs, wds=wds, rescale_grad=0.5, clip_gradient=1.0, num_weights=3)
    c.append(multi("multi_sgd_update", 3, ["weight", "grad"], base))
    c.append(multi("multi_sgd_mom_update", 3, ["weight", "grad", "mom"], dict(base, momentum=0.9)))
    c.append(multi("multi_mp_sgd_update", 3, ["weight", "grad", "weight32"], base, fp16=True))
    c.append(multi("multi_mp_sgd_mom_update", 3, ["weight", "grad", "mom", "weight32"],
                   dict(base, momentum=0.9), fp16=True))
    c.append(multi("multi_sgd_update", 2, ["weight", "grad"],
                   dict(lrs=(0.1, 0.2), wds=(0.0, 0.1), clip_gradient=0.0, num_weights=2),
                   id="multi_sgd_update-clip-zero"))
    pre = dict(rescale_grad=0.5, clip_gradient=1.0, num_weights=3)
    pre_arrays = [np.array(lrs, np.float32), np.array(wds, np.float32)]
    c.append(multi("preloaded_multi_sgd_update", 3, ["weight", "grad"], pre, extra=pre_arrays))
    c.append(multi("preloaded_multi_sgd_mom_update", 3, ["weight", "grad", "mom"], dict(pre, momentum=0.9),
                   extra=pre_arrays))
    c.append(multi("preloaded_multi_mp_sgd_update", 3, ["weight", "grad", "weight32"], pre, fp16=True,
                   extra=pre_arrays))
    c.append(multi("preloaded_multi_mp_sgd_mom_update", 3, ["weight", "grad", "mom", "weight32"],
                   dict(pre, momentum=0.9), fp16=True, extra=pre_arrays))
    adamw = dict(lrs=(0.1, 0.05), wds=(0.1, 0.0), etas=(0.5, 1.0), clip_gradient=1.0, num_weights=2)
    c.append(multi("_multi_adamw_update", 2, ["weight", "grad", "mean", "var"], adamw, extra=[rescale]))
    c.append(multi("_multi_mp_adamw_update", 2, ["weight", "grad", "mean", "var", "weight32"], adamw,
                   fp16=True, extra=[rescale]))
    c.append(multi("_multi_adamw_update", 1, ["weight", "grad", "mean", "var"],
                   dict(lrs=(0.1,), wds=(0.1,), etas=(0.5,), num_weights=1),
                   extra=[np.array([np.nan], np.float32)], id="_multi_adamw_update-skips-on-nan-scale"))
    lamb = dict(learning_rates=(0.1, 0.05), wds=(0.1, 0.0), rescale_grad=0.5, clip_gradient=1.0,
                num_tensors=2)
    c.append(multi("_multi_lamb_update", 2, ["weight", "grad", "mean", "var"], lamb, step_param="step_count"))
    c.append(multi("_multi_lamb_update", 2, ["weight", "grad", "mean", "var"],
                   dict(lamb, lower_bound=0.5, upper_bound=1.0, bias_correction=False),
                   step_param="step_count", id="_multi_lamb_update-bounds"))
    c.append(multi("_multi_mp_lamb_update", 2, ["weight", "grad", "mean", "var", "weight32"], lamb,
                   fp16=True, step_param="step_count"))
    lars = [np.array(x, np.float32) for x in ([0.1, 0.2, 0.3, 0.4], [4.0, 9.0, 0.0, 1.0],
                                               [1.0, 4.0, 1.0, 0.0], [0.1, 0.0, 0.1, 0.1])]
    c.append(dict(id="multi_lars", op="multi_lars", arrays=lars,
                  kwargs=dict(eta=0.5, eps=1e-3, rescale_grad=2.0),
                  step_param=None, out="none", fresh=[], grad_kind=None))
    return c


def nd_function(op):
    if op.startswith("_contrib_"):
        return getattr(mx.nd.contrib, op[len("_contrib_"):])
    if op.startswith("_"):
        return getattr(mx.nd._internal, op)
    return getattr(mx.nd, op)


def step_kwargs(case, step):
    kw = dict(case["kwargs"])
    if case["step_param"] == "t":
        kw["t"] = step + 1
    elif case["step_param"] == "step_count":
        kw["step_count"] = tuple(step + 1 for _ in range(kw["num_tensors"]))
    return kw


class Buffers:
    """One flat array per dtype; values are appended in the order the test reads them back."""

    def __init__(self):
        self.parts = {}

    def add(self, a):
        a = np.asarray(a)
        self.parts.setdefault(a.dtype.name, []).append(a.ravel())

    def arrays(self):
        return {k: np.concatenate(v) for k, v in self.parts.items()}


def run(case, buf):
    """Run ``case`` on MXNet; store, in reading order: the initial arrays, then per step
    the fresh inputs, the outputs (unless written into the weight) and every other array."""
    fn = nd_function(case["op"])
    arrays = [mx.nd.array(a, dtype=a.dtype) for a in case["arrays"]]
    for a in case["arrays"]:
        buf.add(a)
    steps = 1 if case["grad_kind"] is None else STEPS
    for s in range(steps):
        for i in case["fresh"]:
            a = rand(case["grad_kind"], case["arrays"][i].shape, case["arrays"][i].dtype.name)
            buf.add(a)
            arrays[i] = mx.nd.array(a, dtype=a.dtype)
        kw = step_kwargs(case, s)
        if case["out"] == "weight":
            outs = fn(*arrays, out=arrays[0], **kw)
        elif case["out"] == "none":
            outs = fn(*arrays, **kw)
        else:
            outs = fn(*arrays, out=[arrays[i] for i in case["out"]], **kw)
        outs = outs if isinstance(outs, list) else [outs]
        if case["out"] == "none":
            for o in outs:
                buf.add(o.asnumpy())
        for i, a in enumerate(arrays):
            if i not in case["fresh"]:
                buf.add(a.asnumpy())
    return {"id": case["id"], "op": case["op"], "kwargs": case["kwargs"],
            "step_param": case["step_param"], "steps": steps, "out": case["out"],
            "fresh": case["fresh"],
            "arrays": [[a.dtype.name, list(a.shape)] for a in case["arrays"]],
            "outputs": [[np.dtype(o.dtype).name, list(o.shape)] for o in outs]}


def main():
    buf = Buffers()
    table = [run(case, buf) for case in cases()]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "optimizer_cases.json"), "w") as f:
        json.dump(table, f, separators=(",", ":"))
    np.savez_compressed(os.path.join(OUT, "optimizer_steps.npz"), **buf.arrays())
    print(f"{len(table)} cases")


if __name__ == "__main__":
    main()
