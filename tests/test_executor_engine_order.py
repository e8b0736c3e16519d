"""Executors and the engine: outputs and gradients are written after the
engine's pending work on those arrays (every operator pushed with
MXNET_ENGINE_ASYNC_MIN_SIZE=0 in a subprocess: a fresh gradient array's zero
fill must not land after backward); graphs bind their inputs by name."""
import os
import subprocess
import sys

import pytest

import mxnet as mx

SCRIPT = r"""
import mxnet as mx, numpy as onp
a = mx.sym.var('a')
sym = mx.sym.slice_axis(a, axis=1, begin=1, end=2) * 2
for _ in range(20):
    grads = {'a': mx.nd.zeros((2, 3))}
    ex = sym.bind(mx.cpu(), {'a': mx.nd.array(onp.arange(6).reshape(2, 3))}, args_grad=grads)
    out = ex.forward(is_train=True)[0]
    reader = out * 1  # a pushed read of the output, pending while forward runs again
    ex.forward(is_train=True)
    ex.backward([mx.nd.array(onp.full((2, 1), 3.0))])
    assert grads['a'].asnumpy().tolist() == [[0, 6, 0], [0, 6, 0]], grads['a'].asnumpy()
    assert reader.asnumpy().ravel().tolist() == [2.0, 8.0]
print('ok')
"""


def test_backward_and_forward_writes_follow_pending_engine_work():
    env = {"MXNET_ENGINE_ASYNC_MIN_SIZE": "0", "MXNET_ENGINE_TYPE": "ThreadedEnginePerDevice"}
    res = subprocess.run([sys.executable, "-c", SCRIPT], env={**os.environ, **env},
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip().endswith("ok")


def test_two_different_variables_with_one_name_are_a_clear_error():
    first, second = mx.sym.var("c"), mx.sym.var("c")
    group = mx.sym.Group([first * 2, second + 1])
    with pytest.raises(mx.base.MXNetError, match=r"different variables with the same name \(c\)"):
        group.bind(mx.cpu(), {"c": mx.nd.ones((2,))})
