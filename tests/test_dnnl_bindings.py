"""How oneDNN primitives bind NumPy arrays: addresses, memory objects kept per
thread and role, argument arrays reused, and the layouts of cache keys.

A primitive run again on the same buffers repoints nothing, and run on other
buffers (or on other threads) reads and writes those, never stale ones.
Skipped without the oneDNN library.
"""
import threading

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

from mxnet.backends import dnnl

pytestmark = pytest.mark.skipif(not dnnl.available, reason="oneDNN library not installed")


def _modules():
    from mxnet.backends.dnnl import dense, library, primitive
    return dense, library, primitive


def _arrays_to_bind():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    readonly = base.copy()
    readonly.flags.writeable = False
    return {
        "contiguous": base,
        "row slice": base[1:],
        "column slice": base[:, 2:],
        "transposed": base.T,
        "read-only": readonly,
        "broadcast": as_strided(np.zeros(1, np.float32), (3, 5), (0, 0), writeable=False),
        "bytes": np.zeros(100, np.uint8)[3:],
    }


@pytest.mark.parametrize("name", list(_arrays_to_bind()))
def test_address_is_the_first_element(name):
    _, _, primitive = _modules()
    a = _arrays_to_bind()[name]
    assert primitive.address(a) == a.ctypes.data


@pytest.mark.parametrize("name", list(_arrays_to_bind()))
def test_layout_gives_element_strides(name):
    _, _, primitive = _modules()
    a = _arrays_to_bind()[name]
    shape, strides = primitive.layout(a)
    assert shape == a.shape
    assert strides == tuple(s // a.itemsize for s in a.strides)


def test_layout_tells_equal_shapes_of_other_strides_apart():
    _, _, primitive = _modules()
    a = np.zeros((4, 6), np.float32)
    assert primitive.layout(a)[1] == (6, 1)
    assert primitive.layout(a.T.copy().T)[1] == (1, 4)
    assert primitive.layout(np.zeros((4, 6), np.float64))[1] == (6, 1)


def _inner_product(rows=3, features=40, out=24, seed=0):
    dense, library, _ = _modules()
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((rows, features), dtype=np.float32)
    w = rng.standard_normal((out, features), dtype=np.float32)
    b = rng.standard_normal(out, dtype=np.float32)
    y = np.empty((rows, out), np.float32)
    prim = dense.inner_product_primitive(x, w, b, y)
    assert prim is not None
    return prim, library, x, w, b, y


def _run(prim, L, x, w, b, y):
    prim({L.ARG_SRC: x, L.ARG_WEIGHTS: w, L.ARG_BIAS: b, L.ARG_DST: y})
    return y


def test_same_buffers_are_not_repointed_and_reuse_one_argument_array(monkeypatch):
    prim, L, x, w, b, y = _inner_product()
    _run(prim, L, x, w, b, y)
    bindings = prim._bindings()
    args_before = dict(bindings._args)
    _, _, primitive = _modules()
    repointed = []
    real_call = primitive.L.call

    def spy(fn, *args):
        if fn is primitive._lib.memory_set_data_handle:
            repointed.append(args)
        return real_call(fn, *args)

    monkeypatch.setattr(primitive.L, "call", spy)
    y[...] = 0
    _run(prim, L, x, w, b, y)
    assert repointed == []
    assert bindings._args == args_before and len(args_before) == 1
    np.testing.assert_allclose(y, x @ w.T + b, rtol=1e-5, atol=1e-4)


def test_new_buffers_are_read_and_written_not_the_previous_ones():
    prim, L, x, w, b, y = _inner_product()
    _run(prim, L, x, w, b, y)
    first = y.copy()
    rng = np.random.default_rng(1)
    for _ in range(3):
        x2 = rng.standard_normal(x.shape, dtype=np.float32)
        w2 = rng.standard_normal(w.shape, dtype=np.float32)
        y2 = np.full(y.shape, np.nan, np.float32)
        _run(prim, L, x2, w2, b, y2)
        np.testing.assert_allclose(y2, x2 @ w2.T + b, rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(y, first)  # the first output was not written again


def test_each_thread_binds_its_own_memory_objects():
    prim, L, x, w, b, _ = _inner_product(rows=2)
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal(x.shape, dtype=np.float32) for _ in range(4)]
    outputs = [np.empty((2, w.shape[0]), np.float32) for _ in inputs]
    barrier = threading.Barrier(len(inputs))

    def work(i):
        barrier.wait()
        for _ in range(20):
            _run(prim, L, inputs[i], w, b, outputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for xi, yi in zip(inputs, outputs):
        np.testing.assert_allclose(yi, xi @ w.T + b, rtol=1e-5, atol=1e-4)
    assert len(prim._threads) >= len(inputs)
