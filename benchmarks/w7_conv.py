"""W7: one 3x3 convolution layer, batch 32, 64 -> 64 channels, 56x56, float32
(a ResNet stage-1 layer), padding 1, with bias.

Cases (microseconds per call):
  conv3x3_fwd      forward only; one wait after the loop.
  conv3x3_fwd_bwd  forward and backward (gradients of data, weight and bias)
                   under autograd; one wait after the loop.

This project runs it on oneDNN when the library is installed
(``pip install onednn-cpu-gomp``), else on its NumPy im2col + GEMM kernel;
``MXNET_ONEDNN_ENABLED=0`` forces the latter. The NumPy column is a plain
im2col (``sliding_window_view``) + ``tensordot`` forward, the floor of a
pure-NumPy implementation.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from timing import Case

TITLE = "3x3 convolution 32x64x56x56"
UNIT = "us/op"
CASES = ("conv3x3_fwd", "conv3x3_fwd_bwd")

N, C, F, H, W, K = 32, 64, 64, 56, 56, 3


def _inputs():
    rng = np.random.default_rng(0)
    return (rng.standard_normal((N, C, H, W), dtype=np.float32),
            rng.standard_normal((F, C, K, K), dtype=np.float32) * 0.05,
            rng.standard_normal(F, dtype=np.float32))


def cases(framework, lib):
    """``{case name: Case}`` for ``framework`` ('mxnet', 'torch' or 'numpy')."""
    return {"mxnet": _mxnet_cases, "torch": _torch_cases, "numpy": _numpy_cases}[
        framework
    ](lib)


def _mxnet_cases(mx):
    nd = mx.nd

    def make(backward):
        def factory():
            x, w, b = (nd.array(a) for a in _inputs())
            head = nd.ones((N, F, H, W))
            for a in (x, w, b):
                a.attach_grad()

            def run(n):
                for _ in range(n):
                    if backward:
                        with mx.autograd.record():
                            y = nd.Convolution(x, w, b, kernel=(K, K), pad=(1, 1), num_filter=F)
                        y.backward(head)
                    else:
                        y = nd.Convolution(x, w, b, kernel=(K, K), pad=(1, 1), num_filter=F)
                nd.waitall()

            return run

        return factory

    return {"conv3x3_fwd": Case(make(False)), "conv3x3_fwd_bwd": Case(make(True))}


def _torch_cases(torch):
    conv2d = torch.nn.functional.conv2d

    def make(backward):
        def factory():
            x, w, b = (torch.from_numpy(a) for a in _inputs())
            head = torch.ones((N, F, H, W))
            if backward:
                for a in (x, w, b):
                    a.requires_grad_(True)

            def run(n):
                for _ in range(n):
                    if backward:
                        for a in (x, w, b):
                            a.grad = None
                        conv2d(x, w, b, padding=1).backward(head)
                    else:
                        with torch.no_grad():
                            conv2d(x, w, b, padding=1)

            return run

        return factory

    return {"conv3x3_fwd": Case(make(False)), "conv3x3_fwd_bwd": Case(make(True))}


def _numpy_cases(np_):
    def factory():
        x, w, b = _inputs()

        def run(n):
            for _ in range(n):
                padded = np_.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
                windows = sliding_window_view(padded, (K, K), axis=(2, 3))
                y = np_.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3]))  # N, H, W, F
                y = np_.ascontiguousarray(y.transpose(0, 3, 1, 2)) + b[:, None, None]
            return y

        return run

    return {"conv3x3_fwd": Case(factory)}
