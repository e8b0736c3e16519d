"""Few-row inner products split over threads (mxnet/backends/dnnl/split.py, dense.py)."""
import logging
import threading

import numpy as np
import pytest

import mxnet as mx
from mxnet.backends import dnnl
from mxnet.backends.dnnl import split

needs_onednn = pytest.mark.skipif(not dnnl.available, reason="oneDNN library not installed")


@pytest.fixture(autouse=True)
def onednn_switched_on(monkeypatch):
    """Whatever the environment says: these tests are about the oneDNN kernels,
    splitting switched on."""
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "1")
    monkeypatch.setenv("MXNET_ONEDNN_SPLIT_GEMV", "1")


def test_run_parts_runs_every_part_once_across_threads():
    seen, lock = [], threading.Lock()

    def part(i):
        with lock:
            seen.append((i, threading.current_thread().name))

    split.run_parts([lambda i=i: part(i) for i in range(5)], 3)
    assert sorted(i for i, _ in seen) == [0, 1, 2, 3, 4]
    assert len({name for _, name in seen}) <= 3


def test_run_parts_reraises_a_failed_part_after_the_others_ran():
    ran = []

    def bad():
        raise ValueError("part failed")

    with pytest.raises(ValueError, match="part failed"):
        split.run_parts([lambda: ran.append(0), bad, lambda: ran.append(2)], 2)
    assert sorted(ran) == [0, 2]


def test_run_parts_caller_takes_parts_no_helper_started():
    # Every helper busy with another job: the caller runs all the parts itself.
    split._ensure_helpers(2)
    release = threading.Event()
    blocker = split._Job([release.wait] * len(split._helpers))
    for _ in split._helpers:
        split._jobs.put(blocker)
    try:
        names = []
        split.run_parts([lambda: names.append(threading.current_thread().name)] * 3, 3)
        assert names == [threading.current_thread().name] * 3
    finally:
        release.set()
        assert blocker.done.wait(5)


@needs_onednn
def test_split_bounds_are_aligned_and_cover_all_channels():
    from mxnet.backends.dnnl.dense import _split_bounds
    assert _split_bounds(4096, 2) == [0, 2048, 4096]
    assert _split_bounds(1000, 2) == [0, 512, 1000]
    assert _split_bounds(1000, 3) == [0, 336, 672, 1000]
    assert _split_bounds(20, 4) == [0, 16, 20]
    assert _split_bounds(4096, 4) == [0, 1024, 2048, 3072, 4096]


@needs_onednn
@pytest.mark.parametrize("rows", [1, 3])
@pytest.mark.parametrize("with_bias", [True, False])
def test_fully_connected_split_matches_unsplit(monkeypatch, caplog, rows, with_bias):
    from mxnet.backends.dnnl import dense
    rng = np.random.default_rng(0)
    x = rng.standard_normal((rows, 1024), dtype=np.float32)
    w = rng.standard_normal((1040, 1024), dtype=np.float32)
    b = rng.standard_normal(1040, dtype=np.float32)
    args = [mx.nd.array(x), mx.nd.array(w)] + ([mx.nd.array(b)] if with_bias else [])

    def fc():
        return mx.nd.FullyConnected(*args, num_hidden=1040, no_bias=not with_bias).asnumpy()

    monkeypatch.setattr(dense, "threads", lambda: 1)
    with caplog.at_level(logging.DEBUG, logger="mxnet.backends.dnnl"):
        whole = fc()
    assert "parts on" not in caplog.text
    monkeypatch.setattr(dense, "threads", lambda: 3)
    with caplog.at_level(logging.DEBUG, logger="mxnet.backends.dnnl"):
        parts = fc()
    assert "3 parts on 3 threads" in caplog.text
    np.testing.assert_array_equal(parts, whole)
    expected = x @ w.T + (b if with_bias else 0)
    np.testing.assert_allclose(parts, expected, rtol=1e-4, atol=1e-3)


@needs_onednn
def test_fused_fully_connected_at_batch_1_is_split_with_its_activation(monkeypatch, caplog):
    from mxnet.backends.dnnl import dense
    monkeypatch.setattr(dense, "threads", lambda: 2)
    net = mx.gluon.nn.HybridSequential()
    net.add(mx.gluon.nn.Dense(1024, activation="relu", in_units=1024))
    net.initialize(mx.init.Xavier())
    x = mx.nd.array(np.random.default_rng(1).standard_normal((1, 1024), dtype=np.float32))
    expected = net(x).asnumpy()
    net.hybridize(static_alloc=True, static_shape=True)
    with caplog.at_level(logging.DEBUG, logger="mxnet.backends.dnnl"):
        got = net(x).asnumpy()
    assert "2 parts on 2 threads" in caplog.text
    assert got.min() >= 0
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_a_forked_child_starts_its_own_helpers():
    import os
    split._ensure_helpers(1)
    pid = os.fork()
    if pid == 0:  # the child: the parent's helper threads are gone
        ok = not split._helpers
        ran = []
        split.run_parts([lambda: ran.append(1)] * 4, 2)
        os._exit(0 if ok and ran == [1] * 4 and len(split._helpers) == 1 else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0


@needs_onednn
@pytest.mark.parametrize("rows,transpose_a,transpose_b,as_inner_product", [
    (1, False, True, True),    # a row against the (n, k) weights layout
    (1, True, True, True),
    (3, False, False, True),   # a few rows: the transposed matrix as weights
    (1, False, False, False),  # a row against a row-major matrix: NumPy's GEMV
    (8, False, False, False),  # many rows: oneDNN's matmul
])
def test_dot_of_few_rows_runs_as_an_inner_product(monkeypatch, rows, transpose_a, transpose_b,
                                                   as_inner_product):
    from mxnet import backends
    from mxnet.backends.dnnl import matmul
    calls = []
    real = matmul.run_inner_product
    monkeypatch.setattr(matmul, "run_inner_product",
                        lambda *a, **k: calls.append(1) or real(*a, **k))
    rng = np.random.default_rng(2)
    # 2M multiply-adds for one row: above matmul.MIN_FLOPS
    a = rng.standard_normal((rows, 2048), dtype=np.float32)
    b = rng.standard_normal((2048, 1024), dtype=np.float32)
    lhs = a.T.copy() if transpose_a else a
    rhs = b.T.copy() if transpose_b else b
    with backends.count_kernels() as counts:
        got = mx.nd.dot(mx.nd.array(lhs), mx.nd.array(rhs), transpose_a=transpose_a,
                        transpose_b=transpose_b).asnumpy()
        ran = dict(counts)
    np.testing.assert_allclose(got, a @ b, rtol=1e-4, atol=1e-3)
    assert bool(calls) == as_inner_product
    assert ran.get(("dot", "onednn"), 0) == (0 if (rows, transpose_b) == (1, False) else 1)


@needs_onednn
@pytest.mark.parametrize("rows,on_onednn", [(1, False), (2, True)])
def test_batch_dot_of_single_rows_stays_on_numpy(monkeypatch, rows, on_onednn):
    from mxnet import backends
    from mxnet.backends.dnnl import overrides
    monkeypatch.setattr(overrides, "MIN_ELEMENTS", 0)
    rng = np.random.default_rng(3)
    a = rng.standard_normal((4, rows, 512), dtype=np.float32)
    b = rng.standard_normal((4, 512, 1024), dtype=np.float32)
    with backends.count_kernels() as counts:
        got = mx.nd.batch_dot(mx.nd.array(a), mx.nd.array(b)).asnumpy()
        ran = dict(counts)
    np.testing.assert_allclose(got, a @ b, rtol=1e-4, atol=1e-3)
    assert ran.get(("batch_dot", "onednn"), 0) == int(on_onednn)


@needs_onednn
def test_splitting_is_off_unless_switched_on(monkeypatch, caplog):
    from mxnet.backends.dnnl import dense
    monkeypatch.delenv("MXNET_ONEDNN_SPLIT_GEMV")
    monkeypatch.setattr(dense, "threads", lambda: 3)
    x = mx.nd.ones((1, 1024))
    w = mx.nd.ones((1040, 1024))
    with caplog.at_level(logging.DEBUG, logger="mxnet.backends.dnnl"):
        out = mx.nd.FullyConnected(x, w, num_hidden=1040, no_bias=True).asnumpy()
    assert "parts on" not in caplog.text
    assert (out == 1024).all()
