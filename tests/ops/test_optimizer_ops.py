"""Optimizer update operators: multi-step replays of MXNet 1.9.1, in-place state
updates, multi-precision, and the errors for bad arguments.

The fixtures (tools/make_fixtures_optimizer.py) record MXNet running each
update a few steps the way its optimizers do: the new weight is written back
with ``out=weight`` and the states are updated in place by the operator.
"""
import json
import os

import numpy as np
import pytest

import mxnet as mx
import mxnet.ops.optimizer_multi  # noqa: F401  (registers the ops until mxnet.ops imports them)
import mxnet.ops.optimizer_ops  # noqa: F401
from mxnet.base import MXNetError
from mxnet.ndarray.register import make_function
from mxnet.ops import registry

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops")
with open(os.path.join(FIXTURES, "optimizer_cases.json")) as f:
    CASES = json.load(f)


def op_fn(name):
    return make_function(registry.get(name), name)


def nd(a):
    return mx.nd.array(a, dtype=a.dtype)


class Reader:
    """Reads the fixture buffers back in the order the tool wrote them."""

    def __init__(self):
        data = np.load(os.path.join(FIXTURES, "optimizer_steps.npz"))
        self.buffers = {k: data[k] for k in data.files}
        self.pos = dict.fromkeys(self.buffers, 0)

    def take(self, dtype, shape):
        n = int(np.prod(shape))
        start = self.pos[dtype]
        self.pos[dtype] = start + n
        return self.buffers[dtype][start:start + n].reshape(shape)


def _replay_all():
    """Each case's recorded arrays, keyed by id (the buffers are read in one pass)."""
    reader = Reader()
    recorded = {}
    for case in CASES:
        init = [reader.take(dt, sh) for dt, sh in case["arrays"]]
        steps = []
        for _ in range(case["steps"]):
            fresh = {i: reader.take(*case["arrays"][i]) for i in case["fresh"]}
            outs = [reader.take(dt, sh) for dt, sh in case["outputs"]] if case["out"] == "none" else []
            after = {i: reader.take(*case["arrays"][i])
                     for i in range(len(init)) if i not in case["fresh"]}
            steps.append((fresh, outs, after))
        recorded[case["id"]] = (init, steps)
    return recorded


RECORDED = _replay_all()


def step_kwargs(case, step):
    kw = dict(case["kwargs"])
    if case["step_param"] == "t":
        kw["t"] = step + 1
    elif case["step_param"] == "step_count":
        kw["step_count"] = tuple(step + 1 for _ in range(kw["num_tensors"]))
    return kw


def tolerance(dtype):
    return dict(rtol=2e-3, atol=2e-3) if dtype == np.float16 else dict(rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_update_matches_mxnet_over_several_steps(case):
    fn = op_fn(case["op"])
    init, steps = RECORDED[case["id"]]
    arrays = [nd(a) for a in init]
    for s, (fresh, outs, after) in enumerate(steps):
        for i, a in fresh.items():
            arrays[i] = nd(a)
        kw = step_kwargs(case, s)
        if case["out"] == "weight":
            fn(*arrays, out=arrays[0], **kw)
        elif case["out"] == "none":
            got = fn(*arrays, **kw)
            got = got if isinstance(got, list) else [got]
            for g, e in zip(got, outs):
                assert g.dtype == e.dtype and g.shape == e.shape
                np.testing.assert_allclose(g.asnumpy(), e, err_msg=f"step {s} output",
                                           **tolerance(e.dtype))
        else:
            fn(*arrays, out=[arrays[i] for i in case["out"]], **kw)
        for i, e in after.items():
            np.testing.assert_allclose(arrays[i].asnumpy(), e, err_msg=f"step {s} array {i}",
                                       **tolerance(e.dtype))
