"""Allreduce of a ResNet-50-sized gradient set between MPI ranks: the kvstore's
``dist_sync`` pushpull against plain mpi4py ``Allreduce`` of the same buffers.

    mpirun -n 2 --oversubscribe --bind-to none python benchmarks/kvstore_allreduce.py [--repeat 9]

The gradient set is every parameter array of ResNet-50 v1 (299 arrays,
BatchNorm's running statistics included: 25.6M float32 values, 102 MB).
Each timed round reduces every array once, in order, then waits. Cases:
``mpi4py Allreduce`` back to back from the main thread, separate send and
receive buffers (the issue's raw reference), ``mpi4py, thread`` the same one
call at a time on a helper thread (how the kvstore calls MPI), ``mpi4py in
place`` that with ``MPI.IN_PLACE`` (the same work as ``pushpull(k, g,
out=g)``: the sum lands in the pushed array; a separate send buffer costs
MPI a copy), ``kvstore per key`` (one ``pushpull`` per array) and ``kvstore
key list`` (one ``pushpull`` of all keys, as Trainer calls it: small arrays
fused, see ``mxnet/kvstore/fusion.py``). The cases run round robin,
``--repeat`` rounds each; rank 0 prints the median seconds per round, the
algorithm bandwidth (bytes reduced per second) and the kvstore's overhead
over the raw references (the issue's goal: under 10%), as the median of the
per-round ratios.

Numbers measured on the shared 2-core machine are in docs/distributed.md
(section "Speed").
"""
import argparse
import queue
import statistics
import threading
import time

import numpy as np


def resnet50_shapes(mx):
    """Parameter shapes of ResNet-50 v1 (from the model zoo, shapes inferred)."""
    net = mx.gluon.model_zoo.vision.get_model("resnet50_v1")
    net.initialize()
    net(mx.nd.zeros((1, 3, 224, 224)))
    return [p.shape for p in net.collect_params().values()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    import mxnet as mx
    from mpi4py import MPI

    kv = mx.kv.create("dist_sync")
    comm = MPI.COMM_WORLD
    shapes = resnet50_shapes(mx)
    rng = np.random.default_rng(kv.rank)
    grads = [mx.nd.array(rng.standard_normal(s, dtype=np.float32)) for s in shapes]
    raw = [g.asnumpy() for g in grads]
    sums = [np.empty_like(r) for r in raw]
    for i, g in enumerate(grads):
        kv.init(i, mx.nd.zeros(g.shape))

    keys = list(range(len(grads)))

    def kvstore_round():
        for i, g in enumerate(grads):
            kv.pushpull(i, g, out=g)
        mx.nd.waitall()

    def kvstore_list_round():
        kv.pushpull(keys, grads, out=grads)
        mx.nd.waitall()

    def raw_round():
        for r, s in zip(raw, sums):
            comm.Allreduce(r, s)

    calls, done = queue.SimpleQueue(), queue.SimpleQueue()
    threading.Thread(target=lambda: [done.put(fn()) for fn in iter(calls.get, None)],
                     daemon=True).start()

    def raw_thread_round():
        for r, s in zip(raw, sums):
            calls.put(lambda r=r, s=s: comm.Allreduce(r, s))
            done.get()

    def raw_in_place_round():
        for r in raw:
            calls.put(lambda r=r: comm.Allreduce(MPI.IN_PLACE, r))
            done.get()

    rounds = {"mpi4py Allreduce": raw_round, "mpi4py, thread": raw_thread_round,
              "mpi4py in place": raw_in_place_round,
              "kvstore per key": kvstore_round, "kvstore key list": kvstore_list_round}
    for run in rounds.values():
        run()  # warm-up: buffers, MPI connections
    # Round robin, so that the load of other processes weighs on every case alike.
    seconds = {name: [] for name in rounds}
    for _ in range(args.repeat):
        for name, run in rounds.items():
            comm.Barrier()
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    timings = {name: statistics.median(s) for name, s in seconds.items()}
    if kv.rank == 0:
        values = sum(int(np.prod(s)) for s in shapes)
        print(f"{len(shapes)} arrays, {values / 1e6:.1f}M float32 values, "
              f"{comm.Get_size()} ranks, median of {args.repeat} rounds")
        for name, t in timings.items():
            print(f"  {name:17s} {t * 1e3:8.1f} ms   {values * 4 / t / 1e9:6.2f} GB/s")
        # Overheads from the rounds run one after the other (the same load
        # weighs on both), median over the rounds: steadier than a ratio
        # of medians on a machine whose load moves.
        for raw_name in ("mpi4py Allreduce", "mpi4py, thread", "mpi4py in place"):
            for name in ("kvstore per key", "kvstore key list"):
                ratio = statistics.median(k / r for k, r in zip(seconds[name], seconds[raw_name]))
                print(f"  {name} over {raw_name}: {100 * (ratio - 1):+.1f}%")

if __name__ == "__main__":
    main()
