"""The op-table harness: one row per operator case drives every check.

A row (``Case``) names an ``mx.nd`` function, sample inputs, keyword
arguments and a NumPy reference. ``run_case`` checks, in order:
forward values against the reference, that the output does not alias an
input, shape/type inference against the real output, and (``grad=True``)
autograd gradients against central finite differences in float64.
"""
import dataclasses
from typing import Callable, Optional, Sequence

import numpy as np

import mxnet as mx
from mxnet.ndarray.invoke import infer_outputs


@dataclasses.dataclass
class Case:
    func: str                      # mx.nd function name, e.g. "broadcast_add" or "contrib.foo"
    inputs: Sequence[np.ndarray]   # sample inputs (NumPy)
    kwargs: dict = dataclasses.field(default_factory=dict)
    ref: Optional[Callable] = None  # ref(*inputs, **kwargs) -> array or tuple of arrays
    grad: bool = False             # check gradients numerically
    rtol: float = 1e-5
    atol: float = 1e-6
    grad_rtol: float = 1e-2
    grad_atol: float = 1e-3
    id: str = ""

    def __str__(self):
        return self.id or f"{self.func}-{'x'.join(str(a.shape) for a in self.inputs)}"


def nd_func(name):
    obj = mx.nd
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def run_case(case):
    fn = nd_func(case.func)
    inputs = [mx.nd.array(a, dtype=a.dtype) for a in case.inputs]
    outs = _as_list(fn(*inputs, **case.kwargs))
    if case.ref is not None:
        expected = _as_list(case.ref(*case.inputs, **case.kwargs))
        assert len(outs) == len(expected), f"{case}: {len(outs)} outputs, expected {len(expected)}"
        for o, e in zip(outs, expected):
            e = np.asarray(e)
            got = o.asnumpy()
            assert got.shape == e.shape, f"{case}: shape {got.shape}, expected {e.shape}"
            assert got.dtype == e.dtype, f"{case}: dtype {got.dtype}, expected {e.dtype}"
            np.testing.assert_allclose(got, e, rtol=case.rtol, atol=case.atol, err_msg=str(case))
    for o in outs:
        for x in inputs:
            assert not np.shares_memory(o._data, x._data), f"{case}: output aliases an input"
    check_inference(fn, inputs, case.kwargs, outs)
    if case.grad:
        check_gradient(fn, case.inputs, case.kwargs, case.grad_rtol, case.grad_atol)
    return outs


def check_inference(fn, inputs, kwargs, outs):
    """infer_shape / infer_type of the op agree with the computed outputs."""
    op = fn.op
    call = {k: v for k, v in kwargs.items() if k not in ("ctx",)}
    if op.variadic is not None and op.params[op.variadic].required:
        call.setdefault(op.variadic, len(inputs))
    attrs = op.parse(call)
    inferred = infer_outputs(op, attrs, inputs)
    if inferred is None:
        return
    shapes, dtypes = inferred
    if op.visible_outputs is not None:  # a front-end call returns only these
        n = op.visible_outputs(attrs)
        shapes, dtypes = shapes[:n], dtypes[:n]
    assert [tuple(o.shape) for o in outs] == [tuple(s) for s in shapes], \
        f"{op.name}: inferred shapes {shapes}, computed {[o.shape for o in outs]}"
    assert [np.dtype(o.dtype).name for o in outs] == list(dtypes), \
        f"{op.name}: inferred dtypes {dtypes}, computed {[o.dtype for o in outs]}"


def numeric_gradient(f, inputs, eps=1e-4):
    """Central differences of sum(f(*inputs) * w) for a fixed random weight w."""
    base = [np.array(a, dtype=np.float64) for a in inputs]
    out = f(*base)
    rng = np.random.default_rng(0)
    weights = [rng.uniform(0.5, 1.5, size=np.shape(o)) for o in _as_list(out)]

    def scalar(args):
        return sum(float((np.asarray(o) * w).sum()) for o, w in zip(_as_list(f(*args)), weights))
    grads = []
    for i, a in enumerate(base):
        g = np.zeros_like(a)
        it = np.nditer(a, flags=["multi_index"])
        for _ in it:
            idx = it.multi_index
            plus = [b.copy() for b in base]
            minus = [b.copy() for b in base]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (scalar(plus) - scalar(minus)) / (2 * eps)
        grads.append(g)
    return weights, grads


def check_gradient(fn, np_inputs, kwargs, rtol=1e-2, atol=1e-3):
    """Autograd gradients of ``fn`` match finite differences (float64)."""
    def forward(*arrays):
        xs = [mx.nd.array(a, dtype=np.float64) for a in arrays]
        return [o.asnumpy() for o in _as_list(fn(*xs, **kwargs))]
    weights, expected = numeric_gradient(forward, np_inputs)
    xs = [mx.nd.array(a, dtype=np.float64) for a in np_inputs]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        outs = _as_list(fn(*xs, **kwargs))
    mx.autograd.backward(outs, [mx.nd.array(w, dtype=np.float64) for w in weights])
    for i, (x, e) in enumerate(zip(xs, expected)):
        np.testing.assert_allclose(x.grad.asnumpy(), e, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of input {i}")
