"""Peak memory of one training step, imperative against hybridized (this project).

    python benchmarks/memory.py [--markdown]

For the W2 MLP and the W3 LeNet (same networks, batches and loops as
``w2_mlp.py`` and ``w3_lenet.py``), one training step (forward, loss,
backward, SGD update) runs after two warm-up steps, and two numbers are
reported per mode:

- ``measured peak``: the highest number of bytes allocated during the step
  above what was allocated before it, from ``tracemalloc``. NumPy reports
  its array buffers to ``tracemalloc``, so this counts every array the step
  creates (activations kept for backward, gradients, temporaries); memory
  that oneDNN allocates on its own (scratchpads) is not included.
- ``planned`` (hybridized only): the network's compiled ``Program``
  ``memory_report()``: ``training_peak`` is the bytes its memory plan keeps
  alive at the worst point of forward + backward, ``training_total`` the
  bytes of every array it computes, i.e. what it would hold with no planning.

Imperative execution keeps every recorded intermediate on the autograd tape
until ``backward`` and holds last step's gradients until the new ones are
complete; the compiled program frees each intermediate once it is dead and
drops the parameters' old gradients before computing the new ones, so the
hybridized step should be lighter. The planned peak counts the inputs
(parameters, batch) as live, the measured one only what the step adds. Real MXNet and PyTorch
allocate outside Python's allocator, so this table is for this project only.
"""

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

import mxnet as mx  # noqa: E402  (this repository's package, from the root)

import w2_mlp  # noqa: E402
import w3_lenet  # noqa: E402

MODELS = {"MLP (W2, batch 128)": w2_mlp, "LeNet (W3, batch 64)": w3_lenet}


def step_peak(run):
    """Bytes allocated at the peak of ``run(1)`` above the allocation before it.

    Tracing starts before the two warm-up steps: ``tracemalloc`` only
    subtracts frees of blocks it saw allocated, so a step that frees what the
    previous step allocated (last step's gradients, replaced by this step's)
    would otherwise be charged for its new arrays without being credited for
    the old ones it drops."""
    tracemalloc.start()
    try:
        run(1)
        run(1)
        gc.collect()
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        run(1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - before


def planned(net):
    """The memory report of ``net``'s compiled training program (hybridized)."""
    programs = [p for p in net._cached_op._programs.values() if p.train_steps is not None]
    return programs[0].memory_report() if programs else {}


def measure():
    """``[(model, mode, measured_peak, report)]`` for every model and mode."""
    rows = []
    for title, module in MODELS.items():
        for hybridize in (False, True):
            net = module.mxnet_net(mx)
            run = w2_mlp.mxnet_training_loop(mx, net, *module.batch(), hybridize)
            peak = step_peak(run)
            rows.append((title, "hybridized" if hybridize else "imperative", peak,
                         planned(net) if hybridize else {}))
    return rows


def _mib(n):
    return f"{n / 2**20:.2f}" if n is not None else "—"


def render(rows):
    lines = ["| model | mode | measured peak (MiB) | planned peak (MiB) "
             "| planned, no freeing (MiB) |", "|---|---|---|---|---|"]
    for title, mode, peak, report in rows:
        lines.append(f"| {title} | {mode} | {_mib(peak)} | {_mib(report.get('training_peak'))} "
                     f"| {_mib(report.get('training_total'))} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--markdown", action="store_true", help="print a section for RESULTS.md")
    args = parser.parse_args(argv)
    table = render(measure())
    if args.markdown:
        print("## Memory: one training step, imperative vs hybridized (this project)\n")
        print("Peak bytes allocated during one step (tracemalloc, NumPy buffers) and, for "
              "the hybridized network, its compiled program's planned peak and the bytes "
              "it would hold without freeing dead intermediates (`benchmarks/memory.py`).\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
