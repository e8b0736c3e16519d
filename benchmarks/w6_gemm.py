"""W6: dense matrix products and memory bandwidth, float32.

Cases (microseconds per call; 1024^3 products are 2.15 GFLOP, so GFLOP/s =
2147.5 / us * 1000):
  fc_1024   FullyConnected of a (1024, 1024) batch with a (1024, 1024) weight,
            no bias (PyTorch: ``linear``; NumPy: ``x @ w.T``).
  dot_1024  ``dot`` of two (1024, 1024) matrices.
  copy_64mb copy of a 16M-element float32 array (64 MB read + 64 MB written:
            GB/s = 134.2 / us * 1000).
Each waits once after the loop.
"""

import numpy as np

from timing import Case

TITLE = "GEMM and bandwidth"
UNIT = "us/op"
CASES = ("fc_1024", "dot_1024", "copy_64mb")

M = 1024
COPY_ELEMENTS = 16 * 1024 * 1024


def _matrices():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((M, M), dtype=np.float32),
            rng.standard_normal((M, M), dtype=np.float32))


def cases(framework, lib):
    """``{case name: Case}`` for ``framework`` ('mxnet', 'torch' or 'numpy')."""
    return {"mxnet": _mxnet_cases, "torch": _torch_cases, "numpy": _numpy_cases}[
        framework
    ](lib)


def _loop(step, finish=lambda: None):
    def run(n):
        for _ in range(n):
            out = step()
        finish()
        return out

    return run


def _mxnet_cases(mx):
    nd = mx.nd

    def fc():
        x, w = (nd.array(a) for a in _matrices())
        return _loop(lambda: nd.FullyConnected(x, w, num_hidden=M, no_bias=True), nd.waitall)

    def dot():
        a, b = (nd.array(m) for m in _matrices())
        return _loop(lambda: nd.dot(a, b), nd.waitall)

    def copy():
        a = nd.ones((COPY_ELEMENTS,))
        return _loop(a.copy, nd.waitall)

    return {"fc_1024": Case(fc), "dot_1024": Case(dot), "copy_64mb": Case(copy)}


def _torch_cases(torch):
    def fc():
        x, w = (torch.from_numpy(a) for a in _matrices())
        return _loop(lambda: torch.nn.functional.linear(x, w))

    def dot():
        a, b = (torch.from_numpy(m) for m in _matrices())
        return _loop(lambda: torch.mm(a, b))

    def copy():
        a = torch.ones(COPY_ELEMENTS)
        return _loop(a.clone)

    return {"fc_1024": Case(fc), "dot_1024": Case(dot), "copy_64mb": Case(copy)}


def _numpy_cases(np_):
    def fc():
        x, w = _matrices()
        return _loop(lambda: x @ w.T)

    def dot():
        a, b = _matrices()
        return _loop(lambda: a @ b)

    def copy():
        a = np_.ones(COPY_ELEMENTS, np_.float32)
        return _loop(a.copy)

    return {"fc_1024": Case(fc), "dot_1024": Case(dot), "copy_64mb": Case(copy)}
