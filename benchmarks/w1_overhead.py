"""W1: per-operation overhead on arrays too small for the arithmetic to matter.

Every case is written once against the MXNet API (used both for real MXNet
and for this project's ``mxnet``), once for PyTorch and, where it makes
sense, once for plain NumPy as the floor of what a Python array call costs.
Results are microseconds per operation.

Cases:
  add_1elem_async  ``c = a + b`` on 1-element float32 arrays, one wait at the end.
  add_1elem_sync   the same, waiting on every result (PyTorch and NumPy are
                   synchronous on CPU, so for them it is the plain op).
  add_100x100      ``c = a + b`` on 100x100 float32 arrays, one wait at the end.
  chain10          ten elementwise ops on a 100-element array (add, mul, relu,
                   sub, tanh, exp, sqrt, square, log, abs), one wait at the end;
                   reported per op.
  autograd_step    record ``dot(x, w) -> relu -> sum`` with w 10x10, then
                   backward; reported per step.
"""

import numpy as np

from timing import Case

TITLE = "per-op overhead"
UNIT = "us/op"
CASES = ("add_1elem_async", "add_1elem_sync", "add_100x100", "chain10", "autograd_step")

_CHAIN_INPUT = np.linspace(-1.0, 1.0, 100, dtype=np.float32)


def cases(framework, lib):
    """Return ``{case name: Case}`` for ``framework`` ('mxnet', 'torch' or
    'numpy'), whose imported top-level module is ``lib``."""
    return {"mxnet": _mxnet_cases, "torch": _torch_cases, "numpy": _numpy_cases}[
        framework
    ](lib)


def _mxnet_cases(mx):
    nd = mx.nd

    def add(shape, sync):
        def make():
            a, b = nd.ones(shape), nd.ones(shape)

            def run(n):
                for _ in range(n):
                    c = a + b
                    if sync:
                        c.wait_to_read()
                nd.waitall()
                return c

            return run

        return make

    def chain10():
        x0 = nd.array(_CHAIN_INPUT)

        def run(n):
            for _ in range(n):
                x = x0 + 1
                x = x * 0.5
                x = nd.relu(x)
                x = x - 0.25
                x = nd.tanh(x)
                x = nd.exp(x)
                x = nd.sqrt(x)
                x = x * x
                x = nd.log(x)
                x = nd.abs(x)
            nd.waitall()

        return run

    def autograd_step():
        x = nd.ones((10, 10)) * 0.1
        w = nd.ones((10, 10))
        w.attach_grad()

        def run(n):
            for _ in range(n):
                with mx.autograd.record():
                    loss = nd.relu(nd.dot(x, w)).sum()
                loss.backward()
            nd.waitall()

        return run

    return {
        "add_1elem_async": Case(add((1,), sync=False)),
        "add_1elem_sync": Case(add((1,), sync=True)),
        "add_100x100": Case(add((100, 100), sync=False)),
        "chain10": Case(chain10, ops_per_iter=10),
        "autograd_step": Case(autograd_step),
    }


def _torch_cases(torch):
    def add(shape):
        def make():
            a, b = torch.ones(shape), torch.ones(shape)

            def run(n):
                for _ in range(n):
                    c = a + b
                return c

            return run

        return make

    def chain10():
        x0 = torch.from_numpy(_CHAIN_INPUT.copy())

        def run(n):
            for _ in range(n):
                x = x0 + 1
                x = x * 0.5
                x = torch.relu(x)
                x = x - 0.25
                x = torch.tanh(x)
                x = torch.exp(x)
                x = torch.sqrt(x)
                x = x * x
                x = torch.log(x)
                x = torch.abs(x)

        return run

    def autograd_step():
        x = torch.ones((10, 10)) * 0.1
        w = torch.ones((10, 10), requires_grad=True)

        def run(n):
            for _ in range(n):
                # set_to_none, like zero_grad(): the closest match to
                # MXNet's grad_req='write'.
                w.grad = None
                loss = torch.relu(x @ w).sum()
                loss.backward()

        return run

    return {
        "add_1elem_async": Case(add((1,))),
        "add_1elem_sync": Case(add((1,))),
        "add_100x100": Case(add((100, 100))),
        "chain10": Case(chain10, ops_per_iter=10),
        "autograd_step": Case(autograd_step),
    }


def _numpy_cases(np_):
    def add(shape):
        def make():
            a, b = np_.ones(shape, np_.float32), np_.ones(shape, np_.float32)

            def run(n):
                for _ in range(n):
                    c = a + b
                return c

            return run

        return make

    def chain10():
        x0 = _CHAIN_INPUT.copy()

        def run(n):
            for _ in range(n):
                x = x0 + np_.float32(1)
                x = x * np_.float32(0.5)
                x = np_.maximum(x, np_.float32(0))
                x = x - np_.float32(0.25)
                x = np_.tanh(x)
                x = np_.exp(x)
                x = np_.sqrt(x)
                x = x * x
                x = np_.log(x)
                x = np_.abs(x)

        return run

    return {
        "add_1elem_async": Case(add((1,))),
        "add_1elem_sync": Case(add((1,))),
        "add_100x100": Case(add((100, 100))),
        "chain10": Case(chain10, ops_per_iter=10),
    }
