"""Write tests/fixtures/ops/nn_norm.json and nn_norm.npz: MXNet 1.9.1's results for
the normalization layers (run with the oracle's interpreter, from a directory
outside this repository so ``import mxnet`` is the real one):

    cd /tmp && /path/to/.venv-ref/bin/python /path/to/tools/make_fixtures_nn_norm.py DIR

Each case runs one call the way a training step does: the inputs get gradient
buffers, the forward runs under ``autograd.record(train_mode=...)`` (or not
recorded at all), then ``backward`` runs from the first output with a fixed head
gradient and its own ``train_mode``. The fixture keeps the inputs, the aux
states (moving statistics) before and after, the inputs after (``fix_gamma``
overwrites gamma), the outputs and the input gradients: one float32 vector per
case in the .npz, and the case list with each array's shape and dtype in the .json.

BatchNorm_v1 cannot take its aux states from ``mx.nd`` in MXNet 1.9.1, so its
cases run through a bound symbol executor instead, which does the same steps.
"""
import json
import os
import sys

import mxnet as mx
import numpy as np

rng = np.random.default_rng(7)


def normal(*shape, dtype="float32"):
    return rng.normal(size=shape).astype(dtype)


def positive(*shape, dtype="float32"):
    return rng.uniform(0.5, 2.0, size=shape).astype(dtype)


def bn_inputs(shape, axis=1, dtype="float32", param_dtype="float32"):
    c = shape[axis]
    return ([normal(*shape, dtype=dtype), positive(c, dtype=param_dtype),
             normal(c, dtype=param_dtype)],
            [normal(c, dtype=param_dtype), positive(c, dtype=param_dtype)])


def plain(shape, c):
    return [normal(*shape), positive(*c), normal(*c)]


# (id, mx.nd function, kwargs, inputs, aux, record mode or None, backward train_mode)
CASES = [
    ("bn_train", "BatchNorm", {"fix_gamma": False, "output_mean_var": True},
     *bn_inputs((2, 3, 2, 2)), "train", True),
    ("bn_train_fix_gamma", "BatchNorm", {"output_mean_var": True},
     *bn_inputs((2, 3, 2, 2)), "train", True),
    ("bn_train_last_axis", "BatchNorm",
     {"fix_gamma": False, "axis": -1, "momentum": 0.8, "eps": 0.01, "output_mean_var": True},
     *bn_inputs((3, 2, 4), axis=-1), "train", True),
    ("bn_train_2d", "BatchNorm", {"fix_gamma": False, "output_mean_var": True},
     *bn_inputs((5, 3)), "train", True),
    ("bn_train_global_stats", "BatchNorm",
     {"fix_gamma": False, "use_global_stats": True, "output_mean_var": True},
     *bn_inputs((2, 3, 2)), "train", True),
    ("bn_train_forward_predict_backward", "BatchNorm",
     {"fix_gamma": False, "output_mean_var": True}, *bn_inputs((2, 3, 2)), "train", False),
    ("bn_predict_forward_train_backward", "BatchNorm",
     {"fix_gamma": False, "output_mean_var": True}, *bn_inputs((2, 3, 2)), "predict", True),
    ("bn_predict", "BatchNorm", {"fix_gamma": False, "output_mean_var": True},
     *bn_inputs((2, 3, 2, 2)), None, None),
    ("bn_train_float16", "BatchNorm", {"fix_gamma": False, "output_mean_var": True},
     *bn_inputs((4, 2, 3), dtype="float16"), "train", True),
    ("bn_v1_train", "BatchNorm_v1", {"fix_gamma": False, "output_mean_var": True},
     *bn_inputs((2, 3, 2, 2)), "train", True),
    ("bn_v1_predict", "BatchNorm_v1", {"fix_gamma": False, "output_mean_var": True},
     *bn_inputs((2, 3, 2, 2)), None, None),
    ("sync_bn_train", "contrib.SyncBatchNorm",
     {"fix_gamma": False, "key": "bn0", "output_mean_var": True},
     *bn_inputs((2, 3, 2, 2)), "train", True),
    ("sync_bn_train_fix_gamma", "contrib.SyncBatchNorm", {"key": "bn1"},
     *bn_inputs((2, 3, 2)), "train", True),
    ("layer_norm", "LayerNorm", {"output_mean_var": True}, plain((2, 3, 4), (4,)), [],
     "train", True),
    ("layer_norm_axis1", "LayerNorm", {"axis": 1, "eps": 0.01, "output_mean_var": True},
     plain((2, 3, 4), (3,)), [], "train", True),
    ("instance_norm", "InstanceNorm", {}, plain((2, 3, 2, 2), (3,)), [], "train", True),
    ("instance_norm_eps", "InstanceNorm", {"eps": 0.1}, plain((2, 2, 3), (2,)), [],
     "train", True),
    ("group_norm", "GroupNorm", {"num_groups": 2, "output_mean_var": True},
     plain((2, 4, 3), (2,)), [], "train", True),
    ("group_norm_one_group", "GroupNorm", {"output_mean_var": True},
     plain((2, 3, 2, 2), (1,)), [], "train", True),
    ("l2_instance", "L2Normalization", {}, [normal(2, 3, 2)], [], "train", True),
    ("l2_channel", "L2Normalization", {"mode": "channel"}, [normal(2, 3, 2, 2)], [],
     "train", True),
    ("l2_spatial", "L2Normalization", {"mode": "spatial", "eps": 0.5},
     [normal(2, 3, 2, 2)], [], "train", True),
    ("lrn_odd", "LRN", {"nsize": 3, "alpha": 0.5}, [normal(2, 5, 2, 2)], [], "train", True),
    ("lrn_even", "LRN", {"nsize": 4, "alpha": 0.3, "beta": 0.6, "knorm": 1.5},
     [normal(1, 6, 2, 2)], [], "train", True),
]


def nd_func(name):
    obj = mx.nd
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def run_nd(func, kwargs, xs, aux, record):
    f = nd_func(func)
    if record is None:
        return f(*xs, *aux, **kwargs)
    with mx.autograd.record(train_mode=record == "train"):
        return f(*xs, *aux, **kwargs)


def run_symbol(func, kwargs, inputs, aux, record, head):
    """BatchNorm_v1 through an executor: the same forward/backward steps."""
    sym = getattr(mx.sym, func)(mx.sym.var("data"), name="bn", **kwargs)
    exe = sym.simple_bind(mx.cpu(), data=inputs[0].shape)
    for name, a in zip(("data", "bn_gamma", "bn_beta"), inputs):
        exe.arg_dict[name][:] = a
    for name, a in zip(("bn_moving_mean", "bn_moving_var"), aux):
        exe.aux_dict[name][:] = a
    outs = exe.forward(is_train=record == "train")
    grads = None
    if record is not None:
        exe.backward([mx.nd.array(head)] + [mx.nd.zeros(o.shape) for o in outs[1:]])
        grads = [exe.grad_dict[n].asnumpy() for n in ("data", "bn_gamma", "bn_beta")]
    return ([o.asnumpy() for o in outs], grads,
            [exe.arg_dict[n].asnumpy() for n in ("data", "bn_gamma", "bn_beta")],
            [exe.aux_dict[n].asnumpy() for n in ("bn_moving_mean", "bn_moving_var")])


def run(func, kwargs, inputs, aux, record, backward_train, head):
    if func == "BatchNorm_v1":
        return run_symbol(func, kwargs, inputs, aux, record, head)
    xs = [mx.nd.array(a, dtype=a.dtype) for a in inputs]
    auxs = [mx.nd.array(a, dtype=a.dtype) for a in aux]
    for x in xs:
        x.attach_grad()
    outs = run_nd(func, kwargs, xs, auxs, record)
    outs = outs if isinstance(outs, list) else [outs]
    grads = None
    if record is not None:
        outs[0].backward(mx.nd.array(head, dtype=head.dtype), train_mode=backward_train)
        grads = [x.grad.asnumpy() for x in xs]
    mx.nd.waitall()
    return ([o.asnumpy() for o in outs], grads, [x.asnumpy() for x in xs],
            [a.asnumpy() for a in auxs])


def main(directory):
    specs, arrays = [], {}
    for name, func, kwargs, inputs, aux, record, backward_train in CASES:
        head = normal(*inputs[0].shape, dtype=inputs[0].dtype)
        outs, grads, after, aux_after = run(func, kwargs, inputs, aux, record,
                                            backward_train, head)
        groups = {"in": inputs, "aux": aux, "out": outs, "in_after": after,
                  "aux_after": aux_after, "grad": grads or [], "head": [head]}
        layout, flat = {}, []
        for group, items in groups.items():
            layout[group] = [[list(a.shape), np.asarray(a).dtype.name] for a in items]
            flat += [np.asarray(a, dtype="float32").ravel() for a in items]
        # One float32 vector per case keeps the file small (float16 values fit exactly).
        arrays[name] = np.concatenate(flat)
        specs.append({"id": name, "func": func, "kwargs": kwargs, "record": record,
                      "backward_train": backward_train, "arrays": layout})
    with open(os.path.join(directory, "nn_norm.json"), "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(spec) for spec in specs) + "\n]\n")
    np.savez_compressed(os.path.join(directory, "nn_norm.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
