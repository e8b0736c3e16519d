"""MXNet 1.9.1's backward nodes as an executor's monitor sees them.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_backward_monitor.py

For each call below (one operator node named ``node`` on variables
``v0``...), the executor is bound with every gradient written, run forward
in training and backward with random head gradients, and a monitor with
``monitor_all=True`` records what backward reports. Written to
``tests/fixtures/monitor/backward_nodes.json``, per operator name:

- ``inputs``: the backward node's inputs in order, each ``[label, kind,
  index]``: the label MXNet appends to ``node_backward_``, and what the
  value is, found by comparing values: ``ograd`` (the head gradient of the
  node's output ``index``), ``in`` (forward input ``index``), ``out``
  (forward output ``index``), or ``other`` (none of them: a workspace);
- ``outputs``: the labels of the backward node's outputs, one per forward
  input;
- ``reported``: all names reported, in order (variables by their names).

An operator whose gradient passes the head gradient through unchanged has
no backward node and an empty ``reported`` list. Each call runs in its own
process: MXNet's monitor hangs on some graphs (``MakeLoss`` heads), and a
call that does not finish in time is left out.

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
    ("Dropout", "Dropout", [(2, 4)], {"p": 0.5}, ()),
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
]
SUM_COUNTS = (2, 3, 8)


def _handle_array(mx, a):
    from mxnet.base import NDArrayHandle
    return mx.nd.NDArray(ctypes.cast(a, NDArrayHandle), writable=False).asnumpy()


def _bound(mx, sym, shapes, integers, rs):
    exe = sym.simple_bind(mx.cpu(), grad_req="write",
                          **{f"v{i}": s for i, s in enumerate(shapes)})
    inputs = []
    for i, name in enumerate(sym.list_arguments()):
        arr = exe.arg_dict[name]
        value = rs.randint(0, 2, arr.shape) if i in integers else rs.uniform(-1, 1, arr.shape)
        arr[:] = value
        inputs.append(arr.asnumpy())
    return exe, inputs


def _monitored_backward(mx, exe, out_grads):
    calls = []
    exe.set_monitor_callback(lambda n, a: calls.append((mx.base.py_str(n),
                                                         _handle_array(mx, a))), True)
    exe.backward(out_grads)
    mx.nd.waitall()
    return calls


def _kind(value, ograds, inputs, outputs):
    for kind, arrays in (("ograd", ograds), ("out", outputs), ("in", inputs)):
        for i, a in enumerate(arrays):
            if a.shape == value.shape and np.array_equal(a, value):
                return kind, i
    return "other", 0


def describe(mx, fn, shapes, kwargs, integers):
    rs = np.random.RandomState(0)
    syms = [mx.sym.var(f"v{i}") for i in range(len(shapes))]
    make = getattr(mx.sym, fn, None) or getattr(mx.sym._internal, fn)
    sym = make(*syms, name="node", **kwargs)
    exe, inputs = _bound(mx, sym, shapes, integers, rs)
    outputs = [o.asnumpy() for o in exe.forward(is_train=True)]
    ograds = [rs.uniform(-1, 1, o.shape).astype(F) for o in outputs]
    calls = _monitored_backward(mx, exe, [mx.nd.array(g) for g in ograds])
    names = [n for n, _ in calls]
    own = [(n[len("node_backward_"):], v) for n, v in calls if n.startswith("node_backward_")]
    n_out = len(sym.list_arguments())
    ins, outs = own[:-n_out] if len(own) > n_out else [], own[-n_out:] if own else []
    return {"inputs": [[label, *_kind(v, ograds, inputs, outputs)] for label, v in ins],
            "outputs": [label for label, _ in outs], "reported": names}


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
        done = subprocess.run([sys.executable, __file__, "--one", what], capture_output=True,
                              text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print(f"{what}: timed out, left out")
        return None
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        print(f"{what}: failed, left out: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(lines[-1])


def one(what):
    import mxnet as mx
    if what == "sums":
        return sums(mx)
    _, fn, shapes, kwargs, integers = next(c for c in CALLS if c[0] == what)
    return describe(mx, fn, shapes, kwargs, integers)


def main():
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one(sys.argv[2])))
        return
    table = {}
    for key, *_ in CALLS:
        found = _in_subprocess(key)
        if found is not None:
            table[key] = found
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"ops": table, "sums": _in_subprocess("sums")}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
