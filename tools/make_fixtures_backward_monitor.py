"""MXNet 1.9.1's backward nodes as an executor's monitor sees them.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_backward_monitor.py

For each call below (one operator node named ``node`` on variables
``v0``...), the executor is bound with every gradient written (but
``NO_GRAD``'s), filled with random arguments and aux states, run forward in
training and backward with random head gradients, and a monitor with
``monitor_all=True`` records what backward reports; a second forward and
backward records the names reported without ``monitor_all``. Written to
``tests/fixtures/monitor/backward_nodes.json``, per call:

- ``inputs``: the backward node's inputs in order, each ``[label, kind,
  index]``: the label MXNet appends to ``node_backward_``, and what the
  value is, found by comparing values: ``ograd`` (the head gradient of the
  node's output ``index``), ``in`` (forward input ``index``), ``out``
  (forward output ``index``), or ``other`` (none of them: a hidden output
  such as saved statistics, a mask or a workspace, or an input the forward
  overwrote);
- ``outputs``: the labels of the backward node's outputs;
- ``reported`` / ``reported_plain``: all names reported, in order
  (variables by their names), with and without ``monitor_all``;
- ``arrays``: per group (``args``, ``aux``, ``ograds``, ``reports``: the
  values of ``reported``), each array's ``"dtype (shape)"``; the values
  themselves, flattened into one float64 array per group (exact for the
  float32 and int32 values there), are ``<call>|<group>`` in
  ``backward_values.npz``.

An operator whose gradient passes the head gradient through unchanged has
no backward node and an empty ``reported`` list. Each call runs in its own
process: MXNet's monitor hangs on some graphs (``MakeLoss`` heads; with
``monitor_all`` also MXNet's older operators such as InstanceNorm,
SliceChannel/split and SVMOutput, whose names without it are
``plain_only``), and a call that does not finish in
time is left out.

Also ``sums``: the names reported in backward where one value feeds
``n`` consumers, for a few ``n`` (MXNet sums such gradients in one node
named ``sum_grad`` below 8 terms, and in a chain ending in
``sum_grad_final`` from 8 on).
"""
import ctypes
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "monitor", "backward_nodes.json")
VALUES = os.path.join(HERE, "..", "tests", "fixtures", "monitor", "backward_values.npz")

F = "float32"
# (key, mx.sym function name, input shapes, keyword arguments, integer-valued inputs)
CALLS = [
    ("FullyConnected", "FullyConnected", [(2, 5), (4, 5), (4,)], {"num_hidden": 4}, ()),
    ("FullyConnected/no_bias", "FullyConnected", [(2, 5), (4, 5)],
     {"num_hidden": 4, "no_bias": True}, ()),
    ("Activation", "Activation", [(2, 4)], {"act_type": "relu"}, ()),
    ("Activation/sigmoid", "Activation", [(2, 4)], {"act_type": "sigmoid"}, ()),
    ("Activation/tanh", "Activation", [(2, 4)], {"act_type": "tanh"}, ()),
    ("relu", "relu", [(2, 4)], {}, ()),
    ("sigmoid", "sigmoid", [(2, 4)], {}, ()),
    ("tanh", "tanh", [(2, 4)], {}, ()),
    ("LeakyReLU", "LeakyReLU", [(2, 4)], {}, ()),
    ("SoftmaxOutput", "SoftmaxOutput", [(2, 4), (2,)], {}, (1,)),
    ("LinearRegressionOutput", "LinearRegressionOutput", [(2, 4), (2, 4)], {}, ()),
    ("LogisticRegressionOutput", "LogisticRegressionOutput", [(2, 4), (2, 4)], {}, ()),
    ("softmax", "softmax", [(2, 4)], {}, ()),
    ("log_softmax", "log_softmax", [(2, 4)], {}, ()),
    ("Convolution", "Convolution", [(1, 2, 5, 5), (3, 2, 3, 3), (3,)],
     {"kernel": (3, 3), "num_filter": 3}, ()),
    ("Pooling", "Pooling", [(1, 2, 4, 4)], {"kernel": (2, 2), "stride": (2, 2),
                                           "pool_type": "max"}, ()),
    ("BatchNorm", "BatchNorm", [(2, 3, 2, 2), (3,), (3,)], {}, ()),
    ("Dropout", "Dropout", [(3, 5)], {"p": 0.3}, ()),
    ("Flatten", "Flatten", [(2, 2, 3)], {}, ()),
    ("Reshape", "Reshape", [(2, 6)], {"shape": (3, 4)}, ()),
    ("Concat", "Concat", [(2, 3), (2, 2)], {"num_args": 2}, ()),
    ("elemwise_add", "elemwise_add", [(2, 4), (2, 4)], {}, ()),
    ("elemwise_sub", "elemwise_sub", [(2, 4), (2, 4)], {}, ()),
    ("elemwise_mul", "elemwise_mul", [(2, 4), (2, 4)], {}, ()),
    ("elemwise_div", "elemwise_div", [(2, 4), (2, 4)], {}, ()),
    ("broadcast_add", "broadcast_add", [(2, 4), (1, 4)], {}, ()),
    ("broadcast_mul", "broadcast_mul", [(2, 4), (1, 4)], {}, ()),
    ("_mul_scalar", "_mul_scalar", [(2, 4)], {"scalar": 3.0}, ()),
    ("_plus_scalar", "_plus_scalar", [(2, 4)], {"scalar": 3.0}, ()),
    ("sum", "sum", [(2, 4)], {}, ()),
    ("mean", "mean", [(2, 4)], {}, ()),
    ("transpose", "transpose", [(2, 4)], {}, ()),
    ("exp", "exp", [(2, 4)], {}, ()),
    ("square", "square", [(2, 4)], {}, ()),
    ("dot", "dot", [(2, 3), (3, 4)], {}, ()),
    ("LayerNorm", "LayerNorm", [(2, 4), (4,), (4,)], {}, ()),
    ("LayerNorm/axis1", "LayerNorm", [(2, 3, 4), (3,), (3,)], {"axis": 1}, ()),
    ("GroupNorm", "GroupNorm", [(2, 4, 3), (2,), (2,)], {"num_groups": 2}, ()),
    ("BatchNorm/fix_gamma_off", "BatchNorm", [(2, 3, 2, 2), (3,), (3,)],
     {"fix_gamma": False}, ()),
    ("BatchNorm/global_stats", "BatchNorm", [(2, 3, 2, 2), (3,), (3,)],
     {"use_global_stats": True, "fix_gamma": False}, ()),
    ("BatchNorm/axis_last", "BatchNorm", [(2, 3, 4), (4,), (4,)],
     {"axis": -1, "fix_gamma": False}, ()),
    ("BatchNorm/2d", "BatchNorm", [(4, 3), (3,), (3,)], {}, ()),
    ("BatchNorm/output_mean_var", "BatchNorm", [(2, 3, 2, 2), (3,), (3,)],
     {"output_mean_var": True}, ()),
    ("Pooling/avg", "Pooling", [(1, 2, 4, 4)], {"kernel": (2, 2), "stride": (2, 2),
                                               "pool_type": "avg"}, ()),
    ("Pooling/sum", "Pooling", [(1, 2, 4, 4)], {"kernel": (2, 2), "stride": (2, 2),
                                               "pool_type": "sum"}, ()),
    ("Pooling/lp", "Pooling", [(1, 2, 4, 4)], {"kernel": (2, 2), "pool_type": "lp",
                                              "p_value": 2}, ()),
    ("Pooling/global_max", "Pooling", [(1, 2, 4, 4)], {"kernel": (2, 2), "global_pool": True,
                                                      "pool_type": "max"}, ()),
    ("Pooling/global_avg", "Pooling", [(1, 2, 4, 4)], {"kernel": (2, 2), "global_pool": True,
                                                      "pool_type": "avg"}, ()),
    ("Pooling/global_max_big", "Pooling", [(1, 1, 20, 20)], {"kernel": (1, 1),
                                                            "global_pool": True}, ()),
    ("Pooling/max_3x3_s2", "Pooling", [(1, 2, 5, 5)], {"kernel": (3, 3), "stride": (2, 2)}, ()),
    ("Pooling/max_pad", "Pooling", [(1, 2, 5, 5)], {"kernel": (3, 3), "pad": (1, 1)}, ()),
    ("Pooling/max_full", "Pooling", [(1, 2, 6, 6)], {"kernel": (3, 3), "stride": (2, 2),
                                                    "pooling_convention": "full"}, ()),
    ("Pooling/max_1d", "Pooling", [(1, 2, 6)], {"kernel": (2,), "stride": (2,)}, ()),
    ("Pooling/max_3d", "Pooling", [(1, 1, 4, 4, 4)], {"kernel": (2, 2, 2),
                                                     "stride": (2, 2, 2)}, ()),
    ("Embedding", "Embedding", [(3,), (5, 4)], {"input_dim": 5, "output_dim": 4}, (0,)),
    ("LeakyReLU/prelu", "LeakyReLU", [(2, 4), (4,)], {"act_type": "prelu"}, ()),
    ("LeakyReLU/elu", "LeakyReLU", [(2, 4)], {"act_type": "elu"}, ()),
    ("LeakyReLU/selu", "LeakyReLU", [(2, 4)], {"act_type": "selu"}, ()),
    ("LeakyReLU/gelu", "LeakyReLU", [(2, 4)], {"act_type": "gelu"}, ()),
    ("Activation/softrelu", "Activation", [(2, 4)], {"act_type": "softrelu"}, ()),
    ("Activation/softsign", "Activation", [(2, 4)], {"act_type": "softsign"}, ()),
    ("Deconvolution", "Deconvolution", [(1, 2, 3, 3), (2, 3, 2, 2), (3,)],
     {"kernel": (2, 2), "num_filter": 3, "no_bias": False}, ()),
    ("slice", "slice", [(3, 4)], {"begin": (0, 1), "end": (2, 3)}, ()),
    ("slice_axis", "slice_axis", [(3, 4)], {"axis": 1, "begin": 1, "end": 3}, ()),
    ("take", "take", [(5, 3), (4,)], {}, (1,)),
    ("where", "where", [(2, 4), (2, 4), (2, 4)], {}, (0,)),
    ("clip", "clip", [(2, 4)], {"a_min": -0.5, "a_max": 0.5}, ()),
    ("broadcast_sub", "broadcast_sub", [(2, 4), (1, 4)], {}, ()),
    ("broadcast_div", "broadcast_div", [(2, 4), (1, 4)], {}, ()),
    ("broadcast_maximum", "broadcast_maximum", [(2, 4), (1, 4)], {}, ()),
    ("broadcast_minimum", "broadcast_minimum", [(2, 4), (1, 4)], {}, ()),
    ("broadcast_power", "broadcast_power", [(2, 4), (1, 4)], {}, ()),
    ("broadcast_to", "broadcast_to", [(1, 4)], {"shape": (3, 4)}, ()),
    ("broadcast_axis", "broadcast_axis", [(1, 4)], {"axis": 0, "size": 3}, ()),
    ("broadcast_like", "broadcast_like", [(1, 4), (3, 4)], {}, ()),
    ("MAERegressionOutput", "MAERegressionOutput", [(2, 4), (2, 4)], {}, ()),
    ("SoftmaxOutput/multi_output", "SoftmaxOutput", [(2, 3, 4), (2, 4)],
     {"multi_output": True}, (1,)),
    ("SoftmaxOutput/ignore", "SoftmaxOutput", [(2, 4), (2,)],
     {"use_ignore": True, "ignore_label": 0, "normalization": "valid"}, (1,)),
    ("BlockGrad", "BlockGrad", [(2, 4)], {}, ()),
    ("Cast", "Cast", [(2, 4)], {"dtype": "float64"}, ()),
    ("expand_dims", "expand_dims", [(2, 4)], {"axis": 1}, ()),
    ("squeeze", "squeeze", [(2, 1, 4)], {"axis": 1}, ()),
    ("stack", "stack", [(2, 4), (2, 4)], {"num_args": 2}, ()),
    ("negative", "negative", [(2, 4)], {}, ()),
    ("_minus_scalar", "_minus_scalar", [(2, 4)], {"scalar": 1.0}, ()),
    ("_div_scalar", "_div_scalar", [(2, 4)], {"scalar": 2.0}, ()),
    ("_rdiv_scalar", "_rdiv_scalar", [(2, 4)], {"scalar": 2.0}, ()),
    ("UpSampling", "UpSampling", [(1, 2, 2, 2)],
     {"scale": 2, "sample_type": "nearest", "num_args": 1}, ()),
    ("sqrt", "sqrt", [(2, 4)], {}, ()),
    ("log", "log", [(2, 4)], {}, ()),
    ("abs", "abs", [(2, 4)], {}, ()),
    ("max", "max", [(2, 4)], {"axis": 1}, ()),
    ("norm", "norm", [(2, 4)], {}, ()),
    ("softmax_cross_entropy", "softmax_cross_entropy", [(2, 4), (2,)], {}, (1,)),
]
# Inputs bound without a gradient (MXNet refuses one for these indices and labels).
NO_GRAD = {"Embedding": (0,), "softmax_cross_entropy": (1,)}
# Calls whose backward MXNet's monitor_all hangs on: only the names reported
# without it are recorded (under ``plain_only``).
PLAIN_ONLY = [
    ("InstanceNorm", "InstanceNorm", [(2, 3, 4), (3,), (3,)], {}, ()),
    ("SliceChannel", "SliceChannel", [(2, 6)], {"num_outputs": 3}, ()),
    ("split", "split", [(2, 4)], {"num_outputs": 2, "axis": 1}, ()),
    ("SVMOutput", "SVMOutput", [(2, 4), (2,)], {}, (1,)),
    ("SwapAxis", "SwapAxis", [(2, 3, 4)], {"dim1": 0, "dim2": 2}, ()),
    ("L2Normalization", "L2Normalization", [(2, 4)], {}, ()),
    ("SequenceMask", "SequenceMask", [(3, 2, 4)], {}, ()),
    ("SequenceLast", "SequenceLast", [(3, 2, 4)], {}, ()),
    ("SequenceReverse", "SequenceReverse", [(3, 2, 4)], {}, ()),
    ("Pad", "Pad", [(1, 2, 3, 3)], {"mode": "constant", "pad_width": (0, 0, 0, 0, 1, 1, 1, 1)},
     ()),
    ("ROIPooling", "ROIPooling", [(1, 2, 4, 4), (1, 5)],
     {"pooled_size": (2, 2), "spatial_scale": 1.0}, ()),
]
SUM_COUNTS = (2, 3, 8)


def _handle_array(mx, a):
    from mxnet.base import NDArrayHandle
    return mx.nd.NDArray(ctypes.cast(a, NDArrayHandle), writable=False).asnumpy()


def _bound(mx, sym, shapes, integers, rs, no_grad=()):
    """``sym`` bound and filled with random inputs (integers 0/1 where asked;
    aux states too, variances positive); returns it, the argument values and
    the aux values."""
    reqs = {n: "null" if i in no_grad else "write" for i, n in enumerate(sym.list_arguments())}
    exe = sym.simple_bind(mx.cpu(), grad_req=reqs, **{f"v{i}": s for i, s in enumerate(shapes)})
    inputs = []
    for i, name in enumerate(sym.list_arguments()):
        arr = exe.arg_dict[name]
        value = rs.randint(0, 2, arr.shape) if i in integers else rs.uniform(-1, 1, arr.shape)
        arr[:] = value
        inputs.append(arr.asnumpy())
    aux = []
    for name in sym.list_auxiliary_states():
        arr = exe.aux_dict[name]
        arr[:] = rs.uniform(0.5, 1.5, arr.shape) if name.endswith("var") else \
            rs.uniform(-1, 1, arr.shape)
        aux.append(arr.asnumpy())
    return exe, inputs, aux


def _monitored_backward(mx, exe, out_grads, monitor_all=True):
    calls = []
    exe.set_monitor_callback(lambda n, a: calls.append((mx.base.py_str(n),
                                                         _handle_array(mx, a))), monitor_all)
    exe.backward(out_grads)
    mx.nd.waitall()
    return calls


def _kind(value, ograds, inputs, outputs):
    for kind, arrays in (("ograd", ograds), ("out", outputs), ("in", inputs)):
        for i, a in enumerate(arrays):
            if a.shape == value.shape and np.array_equal(a, value):
                return kind, i
    return "other", 0


def _listed(arrays):
    return [[str(a.dtype), list(a.shape), a.ravel().tolist()] for a in arrays]


def describe(mx, key, fn, shapes, kwargs, integers):
    rs = np.random.RandomState(0)
    syms = [mx.sym.var(f"v{i}") for i in range(len(shapes))]
    make = getattr(mx.sym, fn, None) or getattr(mx.sym._internal, fn)
    sym = make(*syms, name="node", **kwargs)
    exe, inputs, aux = _bound(mx, sym, shapes, integers, rs, NO_GRAD.get(key, ()))
    outputs = [o.asnumpy() for o in exe.forward(is_train=True)]
    ograds = [rs.uniform(-1, 1, o.shape).astype(F) for o in outputs]
    calls = _monitored_backward(mx, exe, [mx.nd.array(g) for g in ograds])
    names = [n for n, _ in calls]
    own = [(n[len("node_backward_"):], v) for n, v in calls if n.startswith("node_backward_")]
    n_out = len([n for n in names if n.startswith("node_backward_output")])
    ins, outs = own[:-n_out] if len(own) > n_out else [], own[-n_out:] if own else []
    exe.forward(is_train=True)
    plain = _monitored_backward(mx, exe, [mx.nd.array(g) for g in ograds], False)
    return {"inputs": [[label, *_kind(v, ograds, inputs, outputs)] for label, v in ins],
            "outputs": [label for label, _ in outs], "reported": names,
            "reported_plain": [n for n, _ in plain],
            "values": {"args": _listed(inputs), "aux": _listed(aux), "ograds": _listed(ograds),
                       "reports": _listed([v for _, v in calls])}}


def sums(mx):
    out = {}
    for n in SUM_COUNTS:
        h = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=4, name="fc1")
        s = h * 1
        for k in range(2, n + 1):
            s = s + h * k
        sym = mx.sym.SoftmaxOutput(s, name="softmax")
        exe = sym.simple_bind(mx.cpu(), grad_req="write", data=(2, 5))
        for arr in exe.arg_dict.values():
            arr[:] = np.random.RandomState(0).randint(0, 2, arr.shape)
        exe.forward(is_train=True)
        out[str(n)] = [name for name, _ in _monitored_backward(mx, exe, None)]
    return out


def _in_subprocess(what):
    """The JSON this script prints for ``--one what``, or None if it hangs or fails."""
    try:
        done = subprocess.run([sys.executable, __file__, "--one", what], check=False,
                              capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print(f"{what}: timed out, left out")
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        print(f"{what}: failed, left out: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(lines[-1])


def plain_names(mx, fn, shapes, kwargs, integers):
    syms = [mx.sym.var(f"v{i}") for i in range(len(shapes))]
    sym = getattr(mx.sym, fn)(*syms, name="node", **kwargs)
    exe, _, _ = _bound(mx, sym, shapes, integers, np.random.RandomState(0))
    outputs = exe.forward(is_train=True)
    return [n for n, _ in _monitored_backward(mx, exe, [mx.nd.ones(o.shape) for o in outputs],
                                              False)]


def one(what):
    import mxnet as mx
    if what == "sums":
        return sums(mx)
    if what.startswith("plain:"):
        _, fn, shapes, kwargs, integers = next(c for c in PLAIN_ONLY if c[0] == what[6:])
        return plain_names(mx, fn, shapes, kwargs, integers)
    _, fn, shapes, kwargs, integers = next(c for c in CALLS if c[0] == what)
    return describe(mx, what, fn, shapes, kwargs, integers)


def main():
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one(sys.argv[2])))
        return
    table, values = {}, {}
    for key, *_ in CALLS:
        found = _in_subprocess(key)
        if found is not None:
            # One float64 array per group (exact for float32 and int32 values),
            # with each array's dtype and shape in the JSON.
            found["arrays"] = {}
            for group, arrays in found.pop("values").items():
                found["arrays"][group] = [f"{dtype} {tuple(shape)}" for dtype, shape, _ in arrays]
                values[f"{key}|{group}"] = np.concatenate(
                    [np.array(flat, np.float64) for _, _, flat in arrays] or [np.zeros(0)])
            table[key] = found
    np.savez_compressed(VALUES, **values)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        plain = {key: _in_subprocess("plain:" + key) for key, *_ in PLAIN_ONLY}
        json.dump({"ops": table, "sums": _in_subprocess("sums"), "plain_only": plain}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
