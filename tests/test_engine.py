"""The dependency engine: ordering, parallelism across devices, error surfacing."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import mxnet as mx
from mxnet import engine
from mxnet.base import MXNetError
from mxnet.engine import NaiveEngine, ThreadedEngine, Var

ENGINES = [NaiveEngine, lambda: ThreadedEngine(per_device=True),
           lambda: ThreadedEngine(per_device=False, num_workers=3)]
ENGINE_IDS = ["naive", "per-device", "pooled"]


def _busy():
    """NumPy work that releases the GIL (about 0.1-0.2 s)."""
    a = np.random.default_rng(0).random(1_000_000)
    out = np.empty_like(a)

    def work():
        for _ in range(8):
            np.sqrt(a, out=out)
            np.sin(out, out=out)
    return work


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _plain_threads(work):
    def run():
        ts = [threading.Thread(target=work) for _ in range(2)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return run


def _assert_overlaps(parallel, serial, work, good, attempts=8):
    """``parallel`` overlaps its two halves as well as two plain threads do at
    the same moment (or beats ``serial`` by the factor ``good``): a test running
    beside this one (pytest -n 2 on 2 cores) can hold a core, and then nothing
    overlaps. Skips when plain threads mostly fail to overlap too."""
    measured = []
    for _ in range(attempts):
        base = _timed(serial)
        ratio = _timed(parallel) / base
        plain = _timed(_plain_threads(work)) / _timed(lambda: (work(), work()))
        if ratio < good or (plain < good and ratio <= plain + 0.1):
            return
        measured.append((round(ratio, 2), round(plain, 2)))
        time.sleep(0.2)
    if sum(plain < good for _, plain in measured) < len(measured) / 2:
        pytest.skip(f"machine busy: plain threads rarely overlapped ({measured})")
    raise AssertionError(f"(engine, plain threads) time ratios {measured}: the engine did not "
                         f"overlap when plain threads did")


def test_work_on_two_cpu_devices_runs_at_the_same_time():
    """Each op waits until the other has started: this finishes only if they run concurrently."""
    eng = ThreadedEngine(per_device=True)
    both_running = threading.Barrier(2, timeout=10)
    for i in range(2):
        eng.push(both_running.wait, mx.cpu(i), [], [Var()])
    eng.wait_all()


def test_independent_work_on_two_cpu_devices_overlaps():
    eng = ThreadedEngine(per_device=True)
    work = _busy()

    def serial():
        work()
        work()

    def both():
        eng.push(work, mx.cpu(0), [], [Var()])
        eng.push(work, mx.cpu(1), [], [Var()])
        eng.wait_all()
    _assert_overlaps(both, serial, work, 0.8)


@pytest.fixture
def per_device_engine():
    old = engine.set_engine("ThreadedEnginePerDevice")
    yield
    engine.set_engine(old)


def test_large_ndarray_ops_on_two_devices_run_in_parallel(per_device_engine):
    n = 3_000_000
    xs = [mx.nd.ones((n,), ctx=mx.cpu(i)) for i in range(2)]
    mx.nd.waitall()

    def chain(x):
        for _ in range(20):
            x = mx.nd.sqrt(x + 1.0)
        return x

    def serial():
        for x in xs:
            chain(x).wait_to_read()

    def parallel():
        ys = [chain(x) for x in xs]
        for y in ys:
            y.wait_to_read()
    _assert_overlaps(parallel, serial, _busy(), 0.85)


@pytest.mark.parametrize("make", ENGINES, ids=ENGINE_IDS)
def test_random_read_write_pushes_match_sequential_execution(make):
    eng = make()
    rng = np.random.default_rng(7)
    n_vars, n_ops = 8, 3000
    vars_ = [Var() for _ in range(n_vars)]
    data = [np.zeros(64) for _ in range(n_vars)]
    expected = [np.zeros(64) for _ in range(n_vars)]
    ctxs = [mx.cpu(0), mx.cpu(1), mx.cpu(2)]

    def make_op(store, w, reads, k):
        def op():
            acc = store[w] * 0.5 + k
            for r in reads:
                acc = acc + store[r][::-1] * 0.25
            store[w][:] = acc
        return op

    for i in range(n_ops):
        w = int(rng.integers(n_vars))
        reads = [int(r) for r in rng.choice(n_vars, size=int(rng.integers(0, 3)), replace=False)
                 if r != w]
        make_op(expected, w, reads, i % 5)()
        eng.push(make_op(data, w, reads, i % 5), ctxs[i % 3],
                 [vars_[r] for r in reads], [vars_[w]])
    eng.wait_all()
    for got, want in zip(data, expected):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("make", ENGINES, ids=ENGINE_IDS)
def test_error_in_pushed_op_surfaces_at_wait_and_engine_keeps_working(make):
    eng = make()
    bad, good, downstream = Var(), Var(), Var()

    def fail():
        raise ValueError("kernel exploded")
    eng.push(fail, mx.cpu(0), [], [bad])
    eng.push(lambda: None, mx.cpu(0), [bad], [downstream])  # reads the failed result
    eng.push(lambda: None, mx.cpu(0), [], [good])
    with pytest.raises(MXNetError, match="kernel exploded"):
        eng.wait_to_read(bad)
    with pytest.raises(MXNetError, match="kernel exploded"):
        eng.wait_to_read(downstream)
    eng.wait_to_read(good)
    eng.push(lambda: None, mx.cpu(0), [], [bad])  # a successful rewrite clears the error
    eng.wait_to_read(bad)
    eng.wait_all()


@pytest.mark.parametrize("make", ENGINES, ids=ENGINE_IDS)
def test_waitall_raises_an_unseen_error_once(make):
    eng = make()

    def fail():
        raise KeyError("lost")
    eng.push(fail, mx.cpu(0), [], [Var()])
    with pytest.raises(MXNetError, match="lost"):
        eng.wait_all()
    eng.wait_all()


def test_write_waits_for_earlier_reads():
    eng = ThreadedEngine(per_device=True)
    src, dst = Var(), Var()
    buf = np.zeros(1)
    seen = []

    def slow_read():
        time.sleep(0.05)
        seen.append(buf[0])
    eng.push(slow_read, mx.cpu(0), [src], [dst])
    eng.push(lambda: buf.__setitem__(0, 1.0), mx.cpu(1), [], [src])
    eng.wait_all()
    assert seen == [0.0]


def test_finished_operations_are_not_kept_by_their_vars():
    eng = ThreadedEngine(per_device=True)
    ctx = mx.cpu()
    weight, gate = Var(), threading.Event()
    eng.push(gate.wait, ctx, (), (weight,))
    outs = [Var() for _ in range(200)]
    for out in outs:  # pending readers of one var (a weight read by many ops)
        eng.push(lambda: None, ctx, (weight,), (out,))
    assert len(weight.reads) == 200  # none finished: nothing to drop
    gate.set()
    eng.wait_all()
    for out in outs[:100]:
        eng.push(lambda: None, ctx, (weight,), (out,))
        eng.wait_all()
    # A finished write no longer orders anything, and finished readers are
    # dropped as the list grows: a var holds on to no finished operation graph.
    assert weight.last_write is None and all(o.last_write is None for o in outs)
    assert len(weight.reads) <= 32


def test_unique_vars_keeps_order_and_makes_a_read_written_var_a_write():
    from mxnet.engine.core import unique_vars
    a, b, c = Var(), Var(), Var()
    assert unique_vars((a, b, a, c, b), (c, c)) == ([a, b], [c])
    assert unique_vars((), (b, a, b)) == ([], [b, a])


def test_ndarray_error_surfaces_at_asnumpy():
    x = mx.nd.ones((4,))
    y = mx.nd.zeros((4,))

    def fail():
        raise RuntimeError("device fault")
    engine.get().push(fail, x.context, [], [y._var])
    with pytest.raises(MXNetError, match="device fault"):
        y.asnumpy()
    assert (x + 1).asnumpy().tolist() == [2.0] * 4
    try:
        mx.nd.waitall()
    except MXNetError:
        pass


def test_bulk_sets_and_restores_bulk_size():
    prev = engine.set_bulk_size(30)
    assert engine.set_bulk_size(prev) == 30
    with engine.bulk(5):
        assert engine.set_bulk_size(5) == 5
    assert engine.set_bulk_size(prev) == prev


def test_engine_type_is_selected_by_environment_variable():
    code = "import mxnet as mx; print(type(mx.engine.get()).__name__, mx.engine.get().threaded)"
    for name, expected in [("NaiveEngine", "NaiveEngine False"),
                           ("ThreadedEnginePerDevice", "ThreadedEngine True"),
                           ("ThreadedEngine", "ThreadedEngine True")]:
        env = dict(os.environ, MXNET_ENGINE_TYPE=name)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        assert out == expected


def test_unknown_engine_type_is_a_clear_error():
    env = dict(os.environ, MXNET_ENGINE_TYPE="WarpDrive")
    proc = subprocess.run([sys.executable, "-c", "import mxnet"], env=env, capture_output=True,
                          text=True)
    assert proc.returncode != 0 and "MXNET_ENGINE_TYPE" in proc.stderr


def _blocked(x):
    """Push a writer of ``x`` that waits for the returned event: ops reading ``x``
    stay pending until it is set."""
    gate = threading.Event()
    engine.get().push(lambda: gate.wait(5), x.context, [], [x._var])
    return gate


@pytest.mark.skipif(not engine.get().threaded, reason="needs a threaded engine")
def test_views_taken_while_the_producer_is_pending_see_its_result():
    x = mx.nd.ones((300, 300))
    gate = _blocked(x)
    y = x + 1                                   # large: pushed, waits for the gate
    row, flat = y[1:3], y.reshape((-1,))
    gate.set()
    assert row.asnumpy().tolist() == [[2.0] * 300] * 2
    assert flat.asnumpy()[:3].tolist() == [2.0] * 3 and y.sum().asscalar() == 2 * 90000


@pytest.mark.skipif(not engine.get().threaded, reason="needs a threaded engine")
def test_pushed_results_are_adopted_without_a_copy():
    import weakref
    x = mx.nd.ones((300, 300))
    gate = _blocked(x)
    y = x * 3
    placeholder = weakref.ref(y._data)
    gate.set()
    y.wait_to_read()
    assert placeholder() is None and y.asnumpy()[0, 0] == 3.0


# -- host memory reuse (MXNET_CPU_MEM_POOL_TYPE) ------------------------------------------

_GLIBC = bool(getattr(os, "confstr", None) and os.confstr_names.get("CS_GNU_LIBC_VERSION")
              and os.confstr("CS_GNU_LIBC_VERSION"))


@pytest.mark.skipif(not _GLIBC, reason="malloc tuning applies to glibc only")
def test_host_memory_pool_keeps_freed_blocks(monkeypatch):
    from mxnet.engine import host_memory
    monkeypatch.delenv("MXNET_CPU_MEM_POOL_TYPE", raising=False)
    assert host_memory.configure() == {"mmap_threshold": host_memory.MMAP_THRESHOLD,
                                       "trim_threshold": host_memory.TRIM_THRESHOLD}
    resource = pytest.importorskip("resource")

    def step():
        # A step's activations: several multi-megabyte arrays, all freed at its end.
        arrays = [np.ones(768 * 1024, np.float32) for _ in range(4)]
        return sum(float(a[-1]) for a in arrays)
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        assert step() == 4.0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    # Fresh pages would cost 10 steps x 4 arrays x 768 pages of faults.
    assert faults < 1000


@pytest.mark.skipif(not _GLIBC, reason="malloc tuning applies to glibc only")
def test_host_memory_pool_keeps_a_large_step_mapped(monkeypatch):
    # A step freeing more than any bounded trim threshold at once (hundreds of
    # MiB of activations in a hybridized ResNet) must not hand its pages back.
    from mxnet.engine import host_memory
    monkeypatch.delenv("MXNET_CPU_MEM_POOL_TYPE", raising=False)
    host_memory.configure()
    resource = pytest.importorskip("resource")

    def step():
        arrays = [np.ones(6 << 20, np.float32) for _ in range(4)]  # 4 x 24 MiB
        return sum(float(a[-1]) for a in arrays)
    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        assert step() == 4.0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    # A 64 MiB trim threshold gave back part of each step (about 4600 faults).
    assert faults < 1000


def test_host_memory_pool_settings(monkeypatch):
    from mxnet.engine import host_memory
    monkeypatch.setenv("MXNET_CPU_MEM_POOL_TYPE", "Unpooled")
    assert host_memory.configure() is None
    monkeypatch.setenv("MXNET_CPU_MEM_POOL_TYPE", "Pooled")
    with pytest.raises(MXNetError, match="MXNET_CPU_MEM_POOL_TYPE.*'Pooled'"):
        host_memory.configure()


@pytest.mark.parametrize("onednn", ["library found", "library missing"])
def test_numpy_blas_keeps_to_one_thread_unless_the_user_asks(onednn, tmp_path):
    from mxnet.backends import threads
    if threads.blas_threads() is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS this process can see")
    code = ("import mxnet, sys; from mxnet.backends import threads; "
            "sys.stdout.write(str(threads.blas_threads()))")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "MXNET_BLAS_NUM_THREADS", "MXNET_ONEDNN_LIBRARY")}
    if onednn == "library missing":
        env["MXNET_ONEDNN_LIBRARY"] = str(tmp_path / "libdnnl-missing.so")

    def blas_threads(**extra):
        proc = subprocess.run([sys.executable, "-c", code], env=dict(env, **extra),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert blas_threads() == "1"
    assert blas_threads(MXNET_BLAS_NUM_THREADS="2") == "2"
    assert blas_threads(OPENBLAS_NUM_THREADS="2") == "2"



def test_count_kernels_sees_small_calls_run_inline():
    # Small calls of ops without overrides take invoke's shortest path; they
    # are counted all the same.
    with mx.backends.count_kernels() as counts:
        (mx.nd.ones((2, 2)) + 1).wait_to_read()
    assert dict(counts) == {("_ones", "default"): 1, ("_plus_scalar", "default"): 1}
