"""Run the benchmark workloads for this project and its competitors; print ratios.

    python benchmarks/run.py [--mxnet PY] [--torch PY] [--workloads W1]
                             [--repeat K] [--target-ms MS]
                             [--markdown FILE] [--json FILE]

Each framework runs in its own subprocess of this same script
(``--worker ours|mxnet|torch|numpy``), which prints its results as JSON:
``ours`` and ``numpy`` with this interpreter (``ours`` imports ``mxnet`` from
the repository root), ``mxnet`` and ``torch`` with the interpreters given.
A framework that fails to import, or a case that raises, becomes an error
cell in the table; the other cells are still measured.
"""

import argparse
import datetime
import importlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from timing import measure_case

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent

# Workload name -> module under benchmarks/.  Each module provides TITLE,
# UNIT, CASES (names in table order) and cases(api, lib) -> {name: Case}.
WORKLOADS = {"W1": "w1_overhead", "W2": "w2_mlp", "W3": "w3_lenet", "W4": "w4_resnet",
             "W5": "w5_alexnet_vgg", "W6": "w6_gemm", "W7": "w7_conv",
             "W8": "w8_data", "W9": "w9_multidevice"}
# Environment variables set to ``--threads`` in every worker, so that every
# framework's BLAS and OpenMP pools get the same number of threads.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

# Table column -> the API its cases are written against.
FRAMEWORKS = {"ours": "mxnet", "mxnet": "mxnet", "torch": "torch", "numpy": "numpy"}
RATIOS = (("ours", "mxnet"), ("ours", "torch"))
RESULT_MARKER = "@@benchmark-result@@ "


# ---------------------------------------------------------------- worker


def _import_framework(framework):
    """Import the library behind ``framework`` and make sure it is the right one:
    ``ours`` must come from this repository, ``mxnet`` must not."""
    if framework == "ours":
        sys.path.insert(0, str(REPO_ROOT))
    elif framework == "mxnet":
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO_ROOT]
    lib = importlib.import_module(FRAMEWORKS[framework])
    if FRAMEWORKS[framework] == "mxnet":
        # __file__ is None while the package is still a bare namespace package.
        file = getattr(lib, "__file__", None)
        location = Path(file).parent if file else Path(next(iter(lib.__path__)))
        ours = location.resolve() == REPO_ROOT / "mxnet"
        if ours != (framework == "ours"):
            raise ImportError(f"worker {framework!r} imported mxnet from {location}")
    return lib


def _describe(framework, lib):
    import numpy

    meta = {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "library": f"{lib.__name__} {getattr(lib, '__version__', '?')}",
        "library_file": getattr(lib, "__file__", None),
        "numpy": numpy.__version__,
    }
    if framework == "torch":
        meta["torch_threads"] = lib.get_num_threads()
    meta["OMP_NUM_THREADS"] = os.environ.get("OMP_NUM_THREADS", "(unset)")
    meta["OMP_WAIT_POLICY"] = os.environ.get("OMP_WAIT_POLICY", "(unset)")
    if framework in ("ours", "mxnet"):
        meta["MXNET_ENGINE_TYPE"] = os.environ.get("MXNET_ENGINE_TYPE", "(default)")
    return meta


def run_worker(framework, workloads, repeat, target_s):
    """Measure ``workloads`` for ``framework`` in this process; return a dict."""
    try:
        lib = _import_framework(framework)
    except Exception as exc:
        return {"error": f"import failed: {type(exc).__name__}: {exc}"}
    out = {"meta": _describe(framework, lib), "results": {}}
    for name in workloads:
        module = importlib.import_module(WORKLOADS[name])
        try:
            cases = module.cases(FRAMEWORKS[framework], lib)
        except Exception as exc:
            out["results"][name] = {"error": f"{type(exc).__name__}: {exc}"}
            continue
        out["results"][name] = {
            case: measure_case(cases[case], repeat, target_s)
            for case in module.CASES
            if case in cases
        }
    return out


# ---------------------------------------------------------------- driver


def worker_env(args):
    """This process's environment with the thread variables set to
    ``args.threads`` and ``OMP_WAIT_POLICY`` to ``args.omp_wait_policy``."""
    env = dict(os.environ)
    if args.threads:
        env.update({name: str(args.threads) for name in THREAD_VARIABLES})
    if args.omp_wait_policy:
        env["OMP_WAIT_POLICY"] = args.omp_wait_policy
    return env


def run_subprocess(framework, python, args, workload):
    """Run one worker for one workload under ``python``; return its result
    dict (or an error). One process per workload keeps a crash or a memory
    peak in one workload from spoiling the others."""
    cmd = [
        python, str(Path(__file__).resolve()), "--worker", framework,
        "--workloads", workload,
        "--repeat", str(args.repeat), "--target-ms", str(args.target_ms),
    ]
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout,
                              env=worker_env(args))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"worker did not finish: {exc}"}
    print(f"  {framework:<6} {workload:<3} {time.perf_counter() - start:6.1f} s  ({python})",
          file=sys.stderr)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"error": f"worker exited with {proc.returncode}: " + " | ".join(tail)}


def run_all(interpreters, args):
    """``{framework: result dict}`` for every framework with an interpreter.
    Workloads are the outer loop, so the frameworks compared in one row run
    minutes apart at most, under about the same load from other processes."""
    merged = {fw: {"results": {}} for fw, py in interpreters.items() if py}
    for workload in args.workloads:
        for framework in merged:
            result = run_subprocess(framework, interpreters[framework], args, workload)
            if "error" in result:
                merged[framework]["results"][workload] = {"error": result["error"]}
                continue
            merged[framework].setdefault("meta", result["meta"])
            merged[framework]["results"].update(result["results"])
    return merged


def is_rate(unit):
    """Whether ``unit`` is a rate (``images/s``): such rows show
    ``1e6 / median_us`` (cases count one op per sample), higher is better."""
    return unit.endswith("/s")


def shown_value(cell, unit):
    return 1e6 / cell["median_us"] if is_rate(unit) else cell["median_us"]


def _fmt_time(value):
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


class _Errors:
    """Numbered footnotes for error cells, one per distinct message."""

    def __init__(self):
        self.messages = []

    def cell(self, message):
        if message not in self.messages:
            self.messages.append(message)
        return f"error [{self.messages.index(message) + 1}]"


def _result(results, framework, workload, case):
    """The case result for one cell: a dict, or None when not run / not applicable."""
    worker = results.get(framework)
    if worker is None or "error" in worker:
        return worker
    table = worker["results"].get(workload)
    if table is None or "error" in table:
        return table
    return table.get(case)


def build_table(results, workloads):
    errors = _Errors()
    header = ["workload", "case", "unit", *FRAMEWORKS, *(f"{a}/{b}" for a, b in RATIOS)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in workloads:
        module = importlib.import_module(WORKLOADS[name])
        for case in module.CASES:
            cells = {fw: _result(results, fw, name, case) for fw in FRAMEWORKS}
            row = [name, case, module.UNIT]
            for fw in FRAMEWORKS:
                cell = cells[fw]
                if cell is None:
                    row.append("—")
                elif "error" in cell:
                    row.append(errors.cell(f"{fw}: {cell['error']}"))
                else:
                    row.append(_fmt_time(shown_value(cell, module.UNIT)))
            for a, b in RATIOS:
                ca, cb = cells[a], cells[b]
                ok = all(c is not None and "error" not in c for c in (ca, cb))
                ratio = ok and shown_value(ca, module.UNIT) / shown_value(cb, module.UNIT)
                row.append(f"{ratio:.2f}x" if ok else "—")
            lines.append("| " + " | ".join(row) + " |")
    notes = [f"[{i}] {msg}" for i, msg in enumerate(errors.messages, 1)]
    return "\n".join(lines), notes


def _cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def render_report(results, workloads, args, load):
    table, notes = build_table(results, workloads)
    parts = [
        "# Benchmark results",
        "",
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}, {platform.system()} "
        f"{platform.machine()}, {_cpu_name()}, {os.cpu_count()} CPUs. "
        f"Median of {args.repeat} runs of about {args.target_ms} ms each; "
        f"{args.threads or 'default'} threads (OMP/OpenBLAS/MKL_NUM_THREADS), "
        f"OMP_WAIT_POLICY={args.omp_wait_policy or '(default)'}. "
        "Ratios divide the numbers shown: for us/op rows above 1 means this "
        "project is slower, for images/s and samples/s rows above 1 means it is faster. "
        f"Load average (1 min) {load[0]:.1f} before and {load[1]:.1f} after the run.",
        "",
        table,
    ]
    if notes:
        parts += ["", "Errors:", ""] + [f"- {n}" for n in notes]
    parts += ["", "Interpreters:", ""]
    for fw in FRAMEWORKS:
        meta = (results.get(fw) or {}).get("meta")
        if meta:
            detail = ", ".join(f"{k}={v}" for k, v in meta.items() if k != "library_file")
            parts.append(f"- {fw}: {detail}")
    return "\n".join(parts) + "\n"


def memory_section(args):
    """``memory.py --markdown`` run under this interpreter, or an error line."""
    try:
        proc = subprocess.run([sys.executable, str(BENCH_DIR / "memory.py"), "--markdown"],
                              capture_output=True, text=True, timeout=args.timeout,
                              env=worker_env(args))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Memory table: not measured ({exc}).\n"
    if proc.returncode:
        return f"Memory table: memory.py exited with {proc.returncode}: {proc.stderr[-500:]}\n"
    return proc.stdout


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mxnet", metavar="PY", help="interpreter with real MXNet")
    parser.add_argument("--torch", metavar="PY", help="interpreter with PyTorch")
    parser.add_argument("--workloads", default="W1", help="comma-separated, e.g. W1")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case")
    parser.add_argument("--target-ms", type=float, default=150, help="length of one timed run")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds per worker (one worker per framework and workload)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="thread count for every framework (0: leave the environment)")
    parser.add_argument("--omp-wait-policy", default="",
                        help="OMP_WAIT_POLICY for every framework ('' leaves the environment); "
                        "PASSIVE keeps spinning OpenMP threads from collapsing on a shared machine")
    parser.add_argument("--markdown", metavar="FILE", help="also write the report here")
    parser.add_argument("--memory", action="store_true",
                        help="append benchmarks/memory.py's table (this project only)")
    parser.add_argument("--json", metavar="FILE", help="write the raw results here")
    parser.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in args.workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; known: {sorted(WORKLOADS)}")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        result = run_worker(args.worker, args.workloads, args.repeat, args.target_ms / 1000)
        print(RESULT_MARKER + json.dumps(result), flush=True)
        return 0

    interpreters = {"ours": sys.executable, "mxnet": args.mxnet,
                    "torch": args.torch, "numpy": sys.executable}
    print("running workers:", file=sys.stderr)
    load_before = os.getloadavg()[0]
    results = run_all(interpreters, args)
    report = render_report(results, args.workloads, args, (load_before, os.getloadavg()[0]))
    if args.memory:
        report += "\n" + memory_section(args)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
