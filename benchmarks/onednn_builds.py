"""Compare oneDNN library builds (OpenMP/gomp, TBB, Intel OpenMP, ...) on the
same workloads, on an idle machine or with the other cores kept busy.

    python benchmarks/onednn_builds.py \\
        --lib gomp=/path/to/libdnnl.so.3 --lib tbb=/other/libdnnl.so.3.2 \\
        --ld-path /dir/with/libtbb --rounds 3 [--busy 1]

Each (library, round) runs in a fresh subprocess with ``MXNET_ONEDNN_LIBRARY``
pointing at the library; rounds interleave the libraries so that a change in
machine load hits them alike. ``--busy N`` starts N processes spinning in a
Python loop for the whole run (a core taken by another job). Prints the
median over rounds of each workload's median time, in milliseconds.
"""
import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import time

WORKLOADS = ("conv_fwd", "conv_fwd_bwd", "resnet18_b1", "resnet18_b8")


def _worker(repeat):
    """Time every workload in this process; print ``{name: median ms}`` as JSON."""
    import numpy as np
    import mxnet as mx
    from mxnet.backends import dnnl
    if not dnnl.available:
        raise SystemExit("oneDNN library did not load")
    nd = mx.nd
    rng = np.random.default_rng(0)
    x = nd.array(rng.random((32, 64, 56, 56), dtype=np.float32))
    w = nd.array(rng.random((64, 64, 3, 3), dtype=np.float32) * 0.1)
    x.attach_grad()
    w.attach_grad()

    def conv_fwd():
        nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=64,
                       no_bias=True).wait_to_read()

    def conv_fwd_bwd():
        with mx.autograd.record():
            y = nd.Convolution(x, w, kernel=(3, 3), pad=(1, 1), num_filter=64, no_bias=True)
        y.backward()
        nd.waitall()

    net = mx.gluon.model_zoo.vision.resnet18_v1()
    net.initialize()
    net.hybridize(static_alloc=True, static_shape=True)
    images = {b: nd.array(rng.random((b, 3, 224, 224), dtype=np.float32)) for b in (1, 8)}

    def resnet(batch):
        return lambda: net(images[batch]).wait_to_read()

    cases = {"conv_fwd": conv_fwd, "conv_fwd_bwd": conv_fwd_bwd,
             "resnet18_b1": resnet(1), "resnet18_b8": resnet(8)}
    result = {"library": dnnl.library_path}
    for name in WORKLOADS:
        fn = cases[name]
        fn()
        fn()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        result[name] = 1e3 * statistics.median(times)
    print(json.dumps(result))


def _spin():
    while True:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lib", action="append", default=[], metavar="NAME=PATH",
                        help="a oneDNN library to compare (repeatable)")
    parser.add_argument("--ld-path", default="",
                        help="directories added to LD_LIBRARY_PATH (a build's runtime libraries)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per workload")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--busy", type=int, default=0, help="spinning processes to run alongside")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.repeat)
        return
    libs = [spec.split("=", 1) for spec in args.lib]
    if not libs or any(len(pair) != 2 for pair in libs):
        parser.error("give at least one --lib NAME=PATH")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    if args.ld_path:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (args.ld_path, env.get("LD_LIBRARY_PATH", "")) if p)
    spinners = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
    for p in spinners:
        p.start()
    runs = {name: [] for name, _ in libs}
    try:
        for _ in range(args.rounds):
            for name, path in libs:
                out = subprocess.run(
                    [sys.executable, __file__, "--worker", "--repeat", str(args.repeat)],
                    env=dict(env, MXNET_ONEDNN_LIBRARY=path), capture_output=True, text=True,
                    check=True)
                runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        for p in spinners:
            p.terminate()
    print(f"{args.threads} threads, {args.busy} busy processes, median of {args.rounds} rounds (ms)")
    print("| library | " + " | ".join(WORKLOADS) + " |")
    print("|---" * (len(WORKLOADS) + 1) + "|")
    for name, results in runs.items():
        cells = [f"{statistics.median(r[w] for r in results):.1f}" for w in WORKLOADS]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
