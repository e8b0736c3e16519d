"""MXNet 1.9.1's monitor names: what ``Executor.set_monitor_callback`` and
``mx.monitor.Monitor`` (through ``Module.install_monitor``) report, in order,
and which operators name their inputs and outputs.

Run with the oracle interpreter from outside the repository (so ``import
mxnet`` finds real MXNet):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_monitor.py

writes ``tests/fixtures/monitor/sequences.json`` (executor callbacks for
small graphs, forward only, monitor_all off/on, inference/training; and
``Monitor.toc()`` names after a Module training step, sort off/on,
monitor_all off/on) and ``tests/fixtures/monitor/op_names.json``: per
operator, the suffixes a CachedOp's op hook (monitor_all) gives its inputs
and outputs (``input0``/``0`` where the operator declares no names) in the
call made with ``kwargs``.

Operators are called on float inputs of shape (2, 3) with their default
parameters, and also as in the op tables of tests/ops when given
``--cases DIR``, a folder holding ``cases.json``/``cases.npz`` dumped from
those tables by running this file with this project's interpreter and
``--dump-cases DIR`` (from the repository root).
"""
import ctypes
import glob
import importlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "monitor")

# Ops that crash or need inputs no generic call gives (sparse, images, graphs).
_SKIP_PREFIXES = ("_np", "_sg_", "_cv", "_image", "_sparse", "_mp_", "_multi_", "_contrib_dgl",
                  "_contrib_quantize", "_contrib_intgemm", "_Native", "_NDArray", "Custom",
                  "_CachedOp", "_cuda", "_TensorRT", "_while", "_foreach", "_cond", "_FusedOp",
                  "_imdecode", "_contrib_edge_id", "_contrib_getnnz", "cast_storage",
                  "_contrib_SparseEmbedding", "_square_sum", "_scatter", "khatri_rao",
                  "_sample_unique_zipfian")


# Operators the generic calls below cannot run: (mx.sym function, input
# (shape, dtype) pairs, keyword arguments). Integer inputs are zeros.
_EXTRA_CALLS = [
    ("one_hot", [((3,), "int32")], {"depth": 4}),
    ("pick", [((2, 3), "float32"), ((2,), "float32")], {}),
    ("Crop", [((1, 1, 4, 4), "float32")], {"num_args": 1, "h_w": (2, 2)}),
    ("ROIPooling", [((1, 1, 4, 4), "float32"), ((1, 5), "float32")],
     {"pooled_size": (2, 2), "spatial_scale": 1.0}),
    ("contrib.ROIAlign", [((1, 1, 4, 4), "float32"), ((1, 5), "float32")],
     {"pooled_size": (2, 2), "spatial_scale": 1.0}),
    ("amp_multicast", [((2,), "float32"), ((2,), "float32")], {"num_outputs": 2}),
    ("CTCLoss", [((4, 2, 3), "float32"), ((2, 2), "float32")], {}),
    ("contrib.SyncBatchNorm", [((2, 3), "float32")] + [((3,), "float32")] * 4, {"key": "k"}),
    ("contrib.boolean_mask", [((3, 2), "float32"), ((3,), "int32")], {}),
    ("GridGenerator", [((1, 6), "float32")], {"transform_type": "affine",
                                              "target_shape": (2, 2)}),
    ("contrib.index_copy", [((3, 2), "float32"), ((1,), "int32"), ((1, 2), "float32")], {}),
    ("contrib.DeformableConvolution",
     [((1, 1, 4, 4), "float32"), ((1, 18, 4, 4), "float32"), ((2, 1, 3, 3), "float32"),
      ((2,), "float32")], {"kernel": (3, 3), "num_filter": 2, "pad": (1, 1)}),
    ("Convolution_v1", [((1, 1, 4, 4), "float32"), ((2, 1, 3, 3), "float32"),
                        ((2,), "float32")], {"kernel": (3, 3), "num_filter": 2}),
    ("ravel_multi_index", [((2, 3), "int32")], {"shape": (4, 5)}),
    ("unravel_index", [((3,), "int32")], {"shape": (4, 5)}),
    ("scatter_nd", [((2,), "float32"), ((1, 2), "int32")], {"shape": (3,)}),
    ("contrib.MultiBoxTarget", [((1, 2, 4), "float32"), ((1, 1, 5), "float32"),
                                ((1, 2, 2), "float32")], {}),
    ("contrib.MultiBoxDetection", [((1, 2, 2), "float32"), ((1, 8), "float32"),
                                   ((1, 2, 4), "float32")], {}),
    ("contrib.PSROIPooling", [((1, 8, 4, 4), "float32"), ((1, 5), "float32")],
     {"spatial_scale": 1.0, "output_dim": 2, "pooled_size": 2}),
    ("linalg.syevd", [((2, 2), "float32")], {}),
]


def _graphs(mx):
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    relu = mx.sym.Activation(fc, act_type="relu", name="relu1")
    bn = mx.sym.BatchNorm(fc, name="bn")
    bn_relu = mx.sym.Activation(bn, act_type="relu", name="relu1")
    x = mx.sym.var("x")
    parts = mx.sym.split(x, num_outputs=2, axis=1, name="split0")
    return {"fc": (mx.sym.SoftmaxOutput(relu, name="softmax"), {"data": (2, 3)}),
            "bn": (mx.sym.SoftmaxOutput(bn_relu, name="softmax"), {"data": (2, 3)}),
            "split": (mx.sym.Group([parts[0] + 1, parts[1] * 2]), {"x": (2, 4)})}


def executor_sequences(mx):
    out = {}
    for key, (sym, shapes) in _graphs(mx).items():
        for monitor_all in (False, True):
            for is_train in (False, True):
                exe = sym.simple_bind(mx.cpu(), grad_req="write", **shapes)
                names = []
                exe.set_monitor_callback(lambda n, a: names.append(mx.base.py_str(n)),
                                         monitor_all)
                exe.forward(is_train=is_train)
                mx.nd.waitall()
                out[f"{key}/monitor_all={monitor_all}/is_train={is_train}"] = names
    return out


def module_sequences(mx):
    sym, _ = _graphs(mx)["bn"]
    out = {}
    for monitor_all in (False, True):
        for sort in (False, True):
            mod = mx.mod.Module(sym, data_names=["data"], label_names=["softmax_label"])
            mod.bind(data_shapes=[("data", (2, 3))], label_shapes=[("softmax_label", (2,))])
            mod.init_params(mx.init.Uniform(0.5))
            mod.init_optimizer()
            mon = mx.monitor.Monitor(1, pattern=".*", sort=sort, monitor_all=monitor_all)
            mod.install_monitor(mon)
            batch = mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.array([0, 1])])
            mon.tic()
            mod.forward_backward(batch)
            mod.update()
            out[f"module/monitor_all={monitor_all}/sort={sort}"] = \
                [[step, name] for step, name, _ in mon.toc()]
    return out


def _hook_names(mx, fn, inputs, kwargs):
    """(op name, suffixes) the op hook reports for node 'node' of one call."""
    syms = [mx.sym.var(f"v{j}") for j in range(len(inputs))]
    sym = fn(*syms, name="node", **kwargs)
    op = mx.nd.CachedOp(sym)
    calls = []
    op._register_op_hook(lambda n, o, a: calls.append((n.decode(), o.decode())), True)
    op(*[mx.nd.array(a, dtype=a.dtype) for a in inputs])
    mx.nd.waitall()
    mine = [(n[len("node_"):], o) for n, o in calls if n.startswith("node_")]
    return (mine[0][1], [n for n, _ in mine]) if mine else (None, None)


def _record(table, kwargs, op_name, names, n_inputs):
    if op_name is not None and op_name not in table:
        table[op_name] = {"inputs": names[:n_inputs], "outputs": names[n_inputs:],
                          "kwargs": kwargs}


def _sym_function(mx, name):
    fn = getattr(mx.sym, name, None) or getattr(mx.sym._internal, name, None)
    for prefix, module in (("_contrib_", mx.sym.contrib), ("_linalg_", mx.sym.linalg)):
        if fn is None and name.startswith(prefix):
            fn = getattr(module, name[len(prefix):], None)
    return fn


def op_names(mx, cases_dir=None):
    table = {}
    if cases_dir is not None:
        cases = json.load(open(os.path.join(cases_dir, "cases.json")))
        arrays = np.load(os.path.join(cases_dir, "cases.npz"))
        for i, case in enumerate(cases):
            fn = mx.sym
            try:
                for part in case["func"].split("."):
                    fn = getattr(fn, part)
                inputs = [arrays[f"{i}_{j}"] for j in range(case["n_inputs"])]
                _record(table, case["kwargs"], *_hook_names(mx, fn, inputs, case["kwargs"]),
                        len(inputs))
            except Exception:  # ops the oracle cannot run this way stay unrecorded
                continue
    rng = np.random.RandomState(0)
    for path, specs, kwargs in _EXTRA_CALLS:
        fn = mx.sym
        try:
            for part in path.split("."):
                fn = getattr(fn, part)
            inputs = [np.zeros(shape, dtype) if dtype.startswith("int")
                      else rng.uniform(0.1, 0.9, shape).astype(dtype) for shape, dtype in specs]
            _record(table, kwargs, *_hook_names(mx, fn, inputs, kwargs), len(inputs))
        except Exception:  # an operator MXNet cannot run this way stays unrecorded
            continue
    size, names = ctypes.c_uint(), ctypes.POINTER(ctypes.c_char_p)()
    mx.base.check_call(mx.base._LIB.MXListAllOpNames(ctypes.byref(size), ctypes.byref(names)))
    for k in range(size.value):
        name = mx.base.py_str(names[k])
        if name.startswith(_SKIP_PREFIXES) or "backward" in name or "update" in name \
                or "quantized" in name or _sym_function(mx, name) is None:
            continue
        for n in (1, 2, 3):
            inputs = [rng.uniform(0.1, 0.9, (2, 3)).astype("float32") for _ in range(n)]
            try:
                _record(table, {}, *_hook_names(mx, _sym_function(mx, name), inputs, {}), n)
                break
            except Exception:
                continue
    return table


def dump_cases(folder):
    """With this project's interpreter: the op-table cases, one per function."""
    sys.path.insert(0, os.path.join(HERE, ".."))
    from tests.ops.harness import Case
    cases, arrays, seen = [], {}, set()
    for path in sorted(glob.glob(os.path.join(HERE, "..", "tests", "ops", "test_*.py"))):
        module = importlib.import_module("tests.ops." + os.path.basename(path)[:-3])
        for value in vars(module).values():
            for case in value if isinstance(value, (list, tuple)) else ():
                if not isinstance(case, Case) or case.func in seen:
                    continue
                try:
                    kwargs = json.loads(json.dumps(case.kwargs))
                except TypeError:
                    continue
                seen.add(case.func)
                for j, a in enumerate(case.inputs):
                    arrays[f"{len(cases)}_{j}"] = np.asarray(a)
                cases.append({"func": case.func, "kwargs": kwargs,
                              "n_inputs": len(case.inputs)})
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "cases.json"), "w") as f:
        json.dump(cases, f)
    np.savez(os.path.join(folder, "cases.npz"), **arrays)


def main(argv):
    if argv[:1] == ["--dump-cases"]:
        dump_cases(argv[1])
        return
    import mxnet as mx
    os.makedirs(OUT, exist_ok=True)
    sequences = executor_sequences(mx)
    sequences.update(module_sequences(mx))
    with open(os.path.join(OUT, "sequences.json"), "w") as f:
        json.dump(sequences, f, indent=1, sort_keys=True)
    cases_dir = argv[1] if argv[:1] == ["--cases"] else None
    table = op_names(mx, cases_dir)
    with open(os.path.join(OUT, "op_names.json"), "w") as f:
        json.dump(table, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
