"""Inference speed of the model zoo's image classifiers, in images per second.

MXNet's ``benchmark_score.py`` idea: for each network and batch size, time
forward passes of a hybridized Gluon model (random weights, random 224x224
images, 299x299 for Inception v3) and print a table of images/s.

    python examples/benchmark_score.py                     # quick subset
    python examples/benchmark_score.py --full              # MXNet's list
    python examples/benchmark_score.py --models alexnet,vgg16 --batch-sizes 1,2,4,8,16,32
    python examples/benchmark_score.py --onednn both       # with and without oneDNN

``--onednn on|off`` runs with the oneDNN backend on or off
(``MXNET_ONEDNN_ENABLED``, also ``MXNET_MKLDNN_ENABLED`` for Apache MXNet);
``both`` runs this script twice in subprocesses, once each way, and prints
the two columns side by side with their ratio. Thread counts come from
``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` as usual.
"""
import argparse
import json
import os
import subprocess
import sys
import time

QUICK_MODELS = ("alexnet", "resnet18_v1", "mobilenet1.0")
QUICK_BATCHES = (1, 8)
FULL_MODELS = ("alexnet", "vgg16", "resnet50_v1", "resnet152_v1", "inceptionv3",
               "mobilenet1.0", "mobilenetv2_1.0")
FULL_BATCHES = (1, 2, 4, 8, 16, 32)
ONEDNN_VARIABLES = ("MXNET_ONEDNN_ENABLED", "MXNET_MKLDNN_ENABLED")
RESULT_MARKER = "@@benchmark-score@@ "


def image_size(model):
    return 299 if model.startswith("inception") else 224


def score(mx, model, batch, iterations, warmup):
    """Images per second of ``model`` at ``batch``: ``warmup`` untimed
    forward passes, then the mean over ``iterations`` timed ones."""
    import numpy as np

    net = mx.gluon.model_zoo.vision.get_model(model)
    net.initialize(mx.init.Xavier())
    net.hybridize(static_alloc=True, static_shape=True)
    size = image_size(model)
    rng = np.random.default_rng(0)
    data = mx.nd.array(rng.standard_normal((batch, 3, size, size), dtype=np.float32))
    for _ in range(warmup):
        net(data).wait_to_read()
    start = time.perf_counter()
    for _ in range(iterations):
        out = net(data)
    out.wait_to_read()
    return iterations * batch / (time.perf_counter() - start)


def measure(args):
    """``{model: {batch: images/s}}`` in this process, printing as it goes."""
    import mxnet as mx

    onednn = "on" if mx.runtime.Features().is_enabled("MKLDNN") and \
        os.environ.get(ONEDNN_VARIABLES[0], "1") != "0" else "off"
    print(f"mxnet {mx.__version__} from {os.path.dirname(mx.__file__)}, oneDNN {onednn}",
          file=sys.stderr)
    results = {}
    for model in args.models:
        results[model] = {}
        for batch in args.batch_sizes:
            rate = score(mx, model, batch, args.iterations, args.warmup)
            results[model][batch] = rate
            print(f"network: {model:<16} batch size {batch:3d}  images/sec: {rate:9.2f}",
                  file=sys.stderr, flush=True)
    return results


def run_with_onednn(setting, args):
    """``measure`` in a subprocess with the oneDNN backend ``setting`` ('on'/'off')."""
    env = dict(os.environ, **{v: "1" if setting == "on" else "0" for v in ONEDNN_VARIABLES})
    cmd = [sys.executable, os.path.abspath(__file__), "--onednn", setting, "--emit-json",
           "--models", ",".join(args.models),
           "--batch-sizes", ",".join(map(str, args.batch_sizes)),
           "--iterations", str(args.iterations), "--warmup", str(args.warmup)]
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    raise SystemExit(f"the oneDNN {setting} run failed (exit code {proc.returncode})")


def table(columns):
    """A Markdown table: one row per (model, batch), one column per run."""
    names = list(columns)
    header = ["model", "batch", *(f"images/s ({n})" for n in names)]
    if len(names) == 2:
        header.append(f"{names[0]}/{names[1]}")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    first = columns[names[0]]
    for model, by_batch in first.items():
        for batch in by_batch:
            rates = [columns[n][model][batch] for n in names]
            row = [model, str(batch), *(f"{r:.2f}" for r in rates)]
            if len(rates) == 2:
                row.append(f"{rates[0] / rates[1]:.2f}x")
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _names(text):
    return [t.strip() for t in text.split(",") if t.strip()]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", type=_names, help="comma-separated model zoo names "
                        f"(default {','.join(QUICK_MODELS)})")
    parser.add_argument("--batch-sizes", type=lambda t: [int(b) for b in _names(t)],
                        help=f"comma-separated (default {','.join(map(str, QUICK_BATCHES))})")
    parser.add_argument("--full", action="store_true",
                        help=f"MXNet's list: {', '.join(FULL_MODELS)} at batch sizes "
                        f"{', '.join(map(str, FULL_BATCHES))}")
    parser.add_argument("--iterations", type=int, default=10, help="timed batches per cell")
    parser.add_argument("--warmup", type=int, default=2, help="untimed batches per cell")
    parser.add_argument("--onednn", choices=("on", "off", "both"),
                        help="switch the oneDNN backend on or off, or compare both ways")
    parser.add_argument("--emit-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.models = args.models or list(FULL_MODELS if args.full else QUICK_MODELS)
    args.batch_sizes = args.batch_sizes or list(FULL_BATCHES if args.full else QUICK_BATCHES)
    if args.iterations < 1 or args.warmup < 0 or min(args.batch_sizes) < 1:
        parser.error("--iterations and batch sizes must be at least 1, --warmup at least 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.onednn == "both":
        columns = {"oneDNN on": run_with_onednn("on", args),
                   "oneDNN off": run_with_onednn("off", args)}
    else:
        if args.onednn:
            for name in ONEDNN_VARIABLES:
                os.environ[name] = "1" if args.onednn == "on" else "0"
        results = measure(args)
        if args.emit_json:
            print(RESULT_MARKER + json.dumps(results), flush=True)
            return 0
        columns = {f"oneDNN {args.onednn}" if args.onednn else "default": results}
    # JSON turned the batch keys into strings; the table only prints them.
    print(table(columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
