"""Write the fixtures of tests/test_optimizer.py with real MXNet 1.9.1.

Run with the oracle's interpreter from the repository root::

    .venv-ref/bin/python tools/make_fixtures_optimizer_classes.py

Each case builds an optimizer with ``mx.optimizer.create(name, **kwargs)``
(plus an optional learning-rate scheduler and lr/wd multipliers), wraps it
in an ``Updater`` as Gluon's Trainer and Module do, and feeds it the same
gradients for a few steps. ``cases.json`` lists the cases and, for each,
the names and shapes of its arrays (initial weights ``init<i>``, the
gradients ``grad<step>_<i>``, weights ``w<step>_<i>`` and flattened states
``s<step>_<i>_<j>`` after each step); ``steps.npy`` is their values, one
float32 array laid end to end in that order (float16 values are exact in
float32).
"""
import json
import os
import pickle

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures",
                   "optimizer_classes")
STEPS = 3
SHAPES = [(2, 2)]
TWO = [(2, 2), (2,)]
NAMES = {"0": "fc_weight", "1": "fc_bias"}
FP16 = "float16"

# (case name, optimizer, kwargs, extra settings)
CASES = [
    ("sgd", "sgd", {}, {}),
    ("sgd_mom_wd", "sgd", {"momentum": 0.9, "wd": 0.01, "learning_rate": 0.1}, {}),
    ("sgd_clip_rescale", "sgd", {"momentum": 0.9, "clip_gradient": 0.1, "rescale_grad": 0.5}, {}),
    ("sgd_mp_mom", "sgd", {"momentum": 0.9, "multi_precision": True, "learning_rate": 0.1},
     {"dtype": FP16}),
    ("sgd_mp", "sgd", {"multi_precision": True, "learning_rate": 0.1, "wd": 0.1},
     {"dtype": FP16}),
    ("sgd_fp16", "sgd", {"momentum": 0.5, "learning_rate": 0.1}, {"dtype": FP16}),
    ("sgd_factor_schedule", "sgd", {"momentum": 0.9},
     {"scheduler": ["FactorScheduler", {"step": 1, "factor": 0.5, "base_lr": 0.2}]}),
    ("sgd_two_named", "sgd", {"momentum": 0.9, "wd": 0.1, "learning_rate": 0.1},
     {"shapes": TWO, "idx2name": NAMES, "lr_mult": {"fc_weight": 2.0}}),
    ("sgd_wd_mult_index", "sgd", {"wd": 0.1, "learning_rate": 0.1},
     {"shapes": TWO, "wd_mult": {"1": 3.0}, "lr_mult": {"0": 0.5}}),
    ("ccsgd", "ccsgd", {"momentum": 0.9}, {}),
    ("nag", "nag", {"momentum": 0.9, "wd": 0.01, "learning_rate": 0.1}, {}),
    ("nag_plain", "nag", {"learning_rate": 0.1}, {}),
    ("nag_mp", "nag", {"momentum": 0.9, "multi_precision": True}, {"dtype": FP16}),
    ("signum", "signum", {"wd": 0.01}, {}),
    ("signsgd", "signum", {"momentum": 0.0, "clip_gradient": 0.5}, {}),
    ("signum_wd_lh", "signum", {"wd_lh": 0.1, "learning_rate": 0.05}, {}),
    ("dcasgd", "dcasgd", {"lamda": 0.1, "wd": 0.01, "learning_rate": 0.1}, {}),
    ("adam", "adam", {}, {}),
    ("adam_wd_clip", "adam", {"wd": 0.01, "clip_gradient": 0.05, "rescale_grad": 2.0,
                              "learning_rate": 0.01}, {}),
    ("adam_mp", "adam", {"multi_precision": True, "learning_rate": 0.01}, {"dtype": FP16}),
    ("adamax", "adamax", {"wd": 0.01}, {}),
    ("adamax_clip", "adamax", {"clip_gradient": 0.1}, {}),
    ("nadam", "nadam", {"wd": 0.01}, {}),
    ("nadam_two", "nadam", {}, {"shapes": TWO}),
    ("ftml", "ftml", {"wd": 0.01, "learning_rate": 0.01}, {}),
    ("ftml_clip", "ftml", {"clip_gradient": 0.1}, {}),
    ("lamb", "lamb", {"wd": 0.01}, {}),
    ("lamb_bounds", "lamb", {"lower_bound": 0.5, "upper_bound": 2.0, "bias_correction": False,
                             "clip_gradient": 0.5}, {}),
    ("lamb_mp", "lamb", {"multi_precision": True, "wd": 0.01}, {"dtype": FP16}),
    ("lamb_two", "lamb", {"wd": 0.01}, {"shapes": TWO, "idx2name": NAMES}),
    ("adagrad", "adagrad", {"wd": 0.01, "learning_rate": 0.1}, {}),
    ("adagrad_clip", "adagrad", {"clip_gradient": 0.1, "rescale_grad": 3.0}, {}),
    ("adadelta", "adadelta", {"wd": 0.01}, {}),
    ("adadelta_rescale", "adadelta", {"rescale_grad": 0.5, "clip_gradient": 0.2}, {}),
    ("rmsprop", "rmsprop", {"wd": 0.01}, {}),
    ("rmsprop_centered", "rmsprop", {"centered": True, "clip_weights": 0.9,
                                     "clip_gradient": 0.5, "learning_rate": 0.01}, {}),
    ("ftrl", "ftrl", {"wd": 0.01}, {}),
    ("ftrl_clip", "ftrl", {"lamda1": 0.001, "beta": 0.5, "clip_gradient": 0.3}, {}),
    ("lars", "lars", {"momentum": 0.9, "wd": 0.01, "learning_rate": 0.1}, {}),
    ("lars_two_named", "lars", {"momentum": 0.9, "wd": 0.01, "eta": 0.01},
     {"shapes": TWO, "idx2name": NAMES,
      "scheduler": ["FactorScheduler", {"step": 1, "factor": 0.5, "base_lr": 0.2}]}),
    ("lars_mp", "lars", {"momentum": 0.9, "multi_precision": True, "learning_rate": 0.1},
     {"dtype": FP16}),
    ("lbsgd", "lbsgd", {"momentum": 0.9, "learning_rate": 0.1}, {}),
    ("lbsgd_scale", "lbsgd", {"batch_scale": 2, "warmup_epochs": 1, "updates_per_epoch": 4,
                              "learning_rate": 0.1}, {}),
    ("lbsgd_lars", "lbsgd", {"warmup_strategy": "lars", "wd": 0.01}, {}),
    ("groupadagrad", "groupadagrad", {"learning_rate": 0.1, "clip_gradient": 0.5}, {}),
    ("test", "test", {"rescale_grad": 0.5}, {}),
]


def flat_states(state):
    """The NDArrays of a (nested) optimizer state, in order, None dropped."""
    if state is None:
        return []
    if isinstance(state, (tuple, list)):
        return [a for s in state for a in flat_states(s)]
    return [state]


def make_optimizer(mxnet, name, kwargs, extra):
    kwargs = dict(kwargs)
    if "scheduler" in extra:
        cls, skw = extra["scheduler"]
        kwargs["lr_scheduler"] = getattr(mxnet.lr_scheduler, cls)(**skw)
    if "idx2name" in extra:
        kwargs["param_idx2name"] = {int(k): v for k, v in extra["idx2name"].items()}
    opt = mxnet.optimizer.create(name, **kwargs)

    def keys(d):
        return {int(k) if k.isdigit() else k: v for k, v in d.items()}
    if "lr_mult" in extra:
        opt.set_lr_mult(keys(extra["lr_mult"]))
    if "wd_mult" in extra:
        opt.set_wd_mult(keys(extra["wd_mult"]))
    return opt


def main():
    rng = np.random.RandomState(11)
    values, cases = [], []
    for case, name, kwargs, extra in CASES:
        arrays = {}
        shapes = extra.get("shapes", SHAPES)
        dtype = extra.get("dtype", "float32")
        opt = make_optimizer(mx, name, kwargs, extra)
        updater = mx.optimizer.get_updater(opt)
        weights = [mx.nd.array(rng.uniform(-1, 1, s), dtype=dtype) for s in shapes]
        for i, w in enumerate(weights):
            arrays[f"init{i}"] = w.asnumpy()
        for step in range(STEPS):
            grads = [mx.nd.array(rng.normal(0, 1, s), dtype=dtype) for s in shapes]
            for i, g in enumerate(grads):
                arrays[f"grad{step}_{i}"] = g.asnumpy()
            if len(weights) == 1:
                updater(0, grads[0], weights[0])
            else:
                updater(list(range(len(weights))), grads, weights)
            for i, w in enumerate(weights):
                arrays[f"w{step}_{i}"] = w.asnumpy()
            for i in range(len(weights)):
                for j, s in enumerate(flat_states(updater.states[i])):
                    arrays[f"s{step}_{i}_{j}"] = s.asnumpy()
        cases.append({"case": case, "optimizer": name, "kwargs": kwargs, "extra": extra,
                      "nweights": len(shapes),
                      "arrays": [[k, list(a.shape)] for k, a in arrays.items()]})
        values.extend(a.astype(np.float32).ravel() for a in arrays.values())
    # States saved by MXNet's Updater, for the pickle-compatibility test.
    opt = mx.optimizer.create("sgd", momentum=0.9, learning_rate=0.1)
    updater = mx.optimizer.get_updater(opt)
    updater(0, mx.nd.array([[0.5, -1.0]]), mx.nd.array([[1.0, 2.0]]))
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "sgd_mxnet.states"), "wb") as f:
        f.write(updater.get_states(dump_optimizer=True))
    # An optimizer with a scheduler, pickled by MXNet (no NDArrays inside).
    lamb = mx.optimizer.create("lamb", wd=0.01, lr_scheduler=mx.lr_scheduler.CosineScheduler(
        10, base_lr=0.5))
    lamb.num_update = 3
    with open(os.path.join(OUT, "lamb_mxnet_optimizer.pkl"), "wb") as f:
        f.write(pickle.dumps(lamb))
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"steps": STEPS, "cases": cases}, f)
    np.save(os.path.join(OUT, "steps.npy"), np.concatenate(values))


if __name__ == "__main__":
    main()
