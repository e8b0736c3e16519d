"""Write MXNet 1.9.1 reference results for the Module tests (tests/module/).

Run with the oracle interpreter from outside the repository:

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_module.py

Files in ``tests/fixtures/module/``:

* ``mlp-symbol.json``, ``mlp-0000.params``: the MLP and its fixed starting
  parameters as ``mx.model.save_checkpoint`` writes them (bn likewise).
* ``mlp_trained-symbol.json``, ``mlp_trained-0003.params``,
  ``mlp_trained-0003.states``: ``Module.save_checkpoint`` after ``fit``.
* ``results.json``: per training case the logged metric lines (epoch, name,
  value), the per-batch training metric seen by a batch-end callback, and
  ``score``; ``print_summary`` texts.
* ``results.npz``: ``<case>/arg/<name>``, ``<case>/aux/<name>`` after
  training, ``<case>/predict`` outputs, and the bucketing case's outputs.
"""
import contextlib
import importlib.util
import io
import json
import logging
import os

import numpy as np

import mxnet as mx

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "module")


def _load_models():
    # Loaded by path: putting the repository on sys.path would shadow real MXNet.
    path = os.path.join(HERE, "..", "tests", "module", "__init__.py")
    spec = importlib.util.spec_from_file_location("module_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


M = _load_models()


class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def _metric_lines(lines):
    """(epoch, kind, name, value) from 'Epoch[e] Train-acc=v' style log lines."""
    out = []
    for line in lines:
        if "Train-" in line or "Validation-" in line:
            head, value = line.rsplit("=", 1)
            epoch = int(head[head.index("[") + 1:head.index("]")])
            kind, name = head.split(" ", 1)[1].split("-", 1)
            out.append([epoch, kind, name, float(value)])
    return out


def _fit(case, symbol, ctx, num_epoch, optimizer, optimizer_params, results, arrays,
         prefix=None):
    x, y = M.data()
    args, auxs = mx.model.load_params(os.path.join(OUT, case.split("_")[0]), 0)
    train = mx.io.NDArrayIter(x, y, M.BATCH, shuffle=False)
    val = mx.io.NDArrayIter(x[:24], y[:24], M.BATCH, shuffle=False)
    mod = mx.mod.Module(symbol, context=ctx)
    batch_metrics = []

    def record(param):
        batch_metrics.append([param.epoch, param.nbatch,
                              param.eval_metric.get_name_value()[0][1]])
    handler = _Lines()
    logging.getLogger().addHandler(handler)
    logging.getLogger().setLevel(logging.INFO)
    mod.fit(train, eval_data=val, eval_metric="acc", num_epoch=num_epoch, optimizer=optimizer,
            optimizer_params=optimizer_params, arg_params=args, aux_params=auxs,
            batch_end_callback=record)
    logging.getLogger().removeHandler(handler)
    score = mod.score(val, ["acc", "ce"])
    results[case] = {"log": _metric_lines(handler.lines), "batches": batch_metrics,
                     "score": [[n, float(v)] for n, v in score]}
    arg_params, aux_params = mod.get_params()
    for name, value in arg_params.items():
        arrays[f"{case}/arg/{name}"] = value.asnumpy()
    for name, value in aux_params.items():
        arrays[f"{case}/aux/{name}"] = value.asnumpy()
    arrays[f"{case}/predict"] = mod.predict(val).asnumpy()
    if prefix:
        mod.save_checkpoint(os.path.join(OUT, prefix), num_epoch, save_optimizer_states=True)
    return mod


def _resume(results, arrays):
    """Module.load with optimizer states, then one more epoch."""
    x, y = M.data()
    mod = mx.mod.Module.load(os.path.join(OUT, "mlp_trained"), 3, load_optimizer_states=True)
    train = mx.io.NDArrayIter(x, y, M.BATCH, shuffle=False)
    mod.fit(train, num_epoch=4, begin_epoch=3, optimizer="sgd",
            optimizer_params={"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4})
    for name, value in mod.get_params()[0].items():
        arrays[f"mlp_resumed/arg/{name}"] = value.asnumpy()


def _sequential(arrays):
    """MLP stages in a SequentialModule, and fc layers plus a PythonLossModule."""
    x, y = M.data()
    args, _ = mx.model.load_params(os.path.join(OUT, "mlp"), 0)
    features, classifier = M.mlp_stages(mx)
    seq = mx.mod.SequentialModule()
    seq.add(mx.mod.Module(features, label_names=None))
    seq.add(mx.mod.Module(classifier, data_names=["hidden"]), take_labels=True, auto_wiring=True)
    logits = mx.sym.FullyConnected(features, num_hidden=3, name="fc2")
    pyloss = mx.mod.SequentialModule()
    pyloss.add(mx.mod.Module(logits, label_names=None))
    pyloss.add(mx.mod.PythonLossModule(grad_func=M.softmax_grad(mx)), take_labels=True,
               auto_wiring=True)
    for name, mod in (("seq", seq), ("pyloss", pyloss)):
        train = mx.io.NDArrayIter(x, y, M.BATCH, shuffle=False)
        mod.fit(train, num_epoch=2, optimizer="sgd",
                optimizer_params={"learning_rate": 0.1, "momentum": 0.9}, arg_params=args)
        for key, value in mod.get_params()[0].items():
            arrays[f"{name}/arg/{key}"] = value.asnumpy()
        arrays[f"{name}/predict"] = mod.predict(train).asnumpy()


def _bucketing(arrays):
    sym_gen = M.bucket_sym_gen(mx)
    default = max(M.BUCKET_KEYS)
    symbol = sym_gen(default)[0]
    args, _ = M.initial_params(symbol, {"data": (M.BATCH, default),
                                        "softmax_label": (M.BATCH,)})
    for name, value in args.items():
        arrays[f"bucket/init/{name}"] = value
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=default)
    mod.bind([("data", (M.BATCH, default))], [("softmax_label", (M.BATCH,))])
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in args.items()})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5})
    for i, (key, tokens, labels) in enumerate(M.bucket_batches()):
        batch = mx.io.DataBatch([mx.nd.array(tokens)], [mx.nd.array(labels)], bucket_key=key,
                                provide_data=[mx.io.DataDesc("data", tokens.shape)],
                                provide_label=[mx.io.DataDesc("softmax_label", labels.shape)])
        mod.forward(batch, is_train=True)
        arrays[f"bucket/out/{i}"] = mod.get_outputs()[0].asnumpy()
        mod.backward()
        mod.update()
    for name, value in mod.get_params()[0].items():
        arrays[f"bucket/arg/{name}"] = value.asnumpy()


def _summaries():
    conv = mx.sym.Convolution(mx.sym.var("data"), kernel=(3, 3), num_filter=4, name="conv")
    pool = mx.sym.Pooling(conv, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool")
    flat = mx.sym.Flatten(pool, name="flat")
    joined = mx.sym.concat(flat, flat, dim=1, name="cat")
    cases = {
        "mlp_shape": (M.mlp(mx), {"data": (M.BATCH, 6)}, {}),
        "bn_shape": (M.bn_net(mx), {"data": (M.BATCH, 6)}, {}),
        "mlp_noshape": (M.mlp(mx), None, {}),
        "conv_80": (joined + 1, {"data": (1, 3, 8, 8)}, {"line_length": 80}),
    }
    texts = {}
    for name, (symbol, shape, kwargs) in cases.items():
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            mx.viz.print_summary(symbol, shape=shape, **kwargs)
        texts[name] = buf.getvalue()
    return texts


def main():
    os.makedirs(OUT, exist_ok=True)
    x, _ = M.data()
    for name, build in (("mlp", M.mlp), ("bn", M.bn_net)):
        symbol = build(mx)
        args, auxs = M.initial_params(symbol, {"data": (M.BATCH, x.shape[1])})
        mx.model.save_checkpoint(os.path.join(OUT, name), 0, symbol,
                                 {k: mx.nd.array(v) for k, v in args.items()},
                                 {k: mx.nd.array(v) for k, v in auxs.items()})
    results, arrays = {}, {}
    sgd = {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4}
    _fit("mlp", M.mlp(mx), mx.cpu(), 3, "sgd", sgd, results, arrays, prefix="mlp_trained")
    _fit("mlp_multi", M.mlp(mx), [mx.cpu(0), mx.cpu(1)], 3, "sgd", sgd, results, arrays)
    _fit("mlp_adam", M.mlp(mx), mx.cpu(), 2, "adam", {"learning_rate": 0.01}, results, arrays)
    # SGD, not Adam: the bias before BatchNorm gets a zero gradient up to
    # rounding, which Adam's normalisation would amplify into noise.
    _fit("bn", M.bn_net(mx), mx.cpu(), 2, "sgd", sgd, results, arrays)
    _resume(results, arrays)
    _bucketing(arrays)
    _sequential(arrays)
    results["summary"] = _summaries()
    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True)
    np.savez_compressed(os.path.join(OUT, "results.npz"), **arrays)


if __name__ == "__main__":
    main()
