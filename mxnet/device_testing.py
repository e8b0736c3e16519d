"""Qualify a device's operators against the cpu: the harness a vendor runs.

``qualify(ctx, ops)`` draws random sample inputs for each operator from a
table of generators (random shapes, parameters and dtypes), runs the
operator on ``ctx`` and on the cpu, and compares:

* the forward result in inference mode (what a vendor brings up first);
* where the operator has a gradient, a training-mode forward under
  ``autograd.record`` and the gradients of every differentiable input after
  ``backward`` with a random head gradient (the same on both devices).

A result must stay on ``ctx``, have the cpu result's shape and dtype, and
agree elementwise within ``atol * max(1, max|cpu|) + rtol * |cpu|`` (the
tolerances of its dtype, ``TOLERANCES``; NaNs must match). Every
disagreement, and every error the device raised where the cpu did not,
becomes a ``Mismatch`` naming the op, phase, input shapes, dtype, arguments
and the largest errors. The report also says which kernel ran the op on the
device in each trial (the device's own or the default one, which on a
plugin device means the host fallback).

Operators outside the table get sample generators through
``register_samples``.
"""
import collections
import dataclasses
import math

import numpy as np

from . import autograd
from . import backends
from .base import MXNetError
from .context import Context, cpu
from .device import device_type
from .ndarray.invoke import invoke
from .ndarray.ndarray import array as _array
from .ops import registry

__all__ = ["qualify", "register_samples", "Sample", "Mismatch", "OpReport",
           "QualificationReport", "QualificationError", "TOLERANCES", "sampled_ops"]

# (rtol, atol) per dtype; atol is scaled by the largest magnitude of the cpu
# result so sums over many terms are judged relative to their size.
TOLERANCES = {"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}
_EXACT = (0.0, 0.0)


@dataclasses.dataclass
class Sample:
    """One call of an op: host input arrays, keyword arguments and the
    positions of the inputs to differentiate (None: every floating input)."""
    inputs: list
    kwargs: dict
    grad_inputs: tuple = None


@dataclasses.dataclass
class Mismatch:
    """A disagreement between the device and the cpu (or an error on the device)."""
    op: str
    phase: str
    dtype: str
    shapes: dict
    kwargs: dict
    max_abs_err: float = math.nan
    max_rel_err: float = math.nan
    message: str = ""

    def __str__(self):
        shapes = ", ".join(f"{k}={v}" for k, v in self.shapes.items())
        what = self.message or (f"max abs err {self.max_abs_err:.3g}, "
                                f"max rel err {self.max_rel_err:.3g}")
        return f"{self.op} [{self.phase}] {self.dtype} {shapes} {self.kwargs}: {what}"


@dataclasses.dataclass
class OpReport:
    """Trials of one op: how many ran, which kernels ran them, what disagreed."""
    op: str
    trials: int = 0
    kernels: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    mismatches: list = dataclasses.field(default_factory=list)

    @property
    def ok(self):
        return not self.mismatches


class QualificationError(MXNetError):
    """Raised by ``QualificationReport.check`` when some op disagreed with the cpu."""


@dataclasses.dataclass
class QualificationReport:
    """The result of ``qualify``: one ``OpReport`` per op. ``print`` it for a
    summary; ``check()`` raises ``QualificationError`` listing the mismatches."""
    ctx: Context
    ops: list

    @property
    def ok(self):
        return all(r.ok for r in self.ops)

    @property
    def mismatches(self):
        return [m for r in self.ops for m in r.mismatches]

    def __getitem__(self, op_name):
        for r in self.ops:
            if r.op == op_name:
                return r
        raise KeyError(op_name)

    def __str__(self):
        lines = [f"Qualification of {self.ctx} against cpu: "
                 f"{sum(r.ok for r in self.ops)}/{len(self.ops)} ops agree"]
        for r in self.ops:
            kernels = ", ".join(f"{k} {n}" for k, n in sorted(r.kernels.items()))
            status = "ok" if r.ok else f"{len(r.mismatches)} mismatches"
            lines.append(f"  {r.op:<20} {r.trials} trials  kernels: {kernels or '-'}  {status}")
        for m in self.mismatches:
            lines.append(f"    {m}")
        return "\n".join(lines)

    def check(self):
        """Raise ``QualificationError`` (with the summary) unless every op agreed."""
        if not self.ok:
            raise QualificationError(str(self))
        return self


# -- sample generators -------------------------------------------------------------
_SAMPLES = {}


def register_samples(op_name, dtypes=("float32", "float64")):
    """Decorator: ``gen(rng, dtype) -> Sample`` draws inputs for ``op_name``
    (a ``numpy.random.Generator`` and a dtype name from ``dtypes``)."""
    def wrap(gen):
        _SAMPLES[registry.get(op_name).name] = (gen, tuple(dtypes))
        return gen
    return wrap


def sampled_ops():
    """Names of the ops that have sample generators."""
    return sorted(_SAMPLES)


def _normal(rng, shape, dtype, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def _positive(rng, shape, dtype):
    return rng.uniform(0.5, 2.0, shape).astype(dtype)


def _int(rng, low, high):
    return int(rng.integers(low, high + 1))


def _dims(rng, n, low=1, high=6):
    return tuple(_int(rng, low, high) for _ in range(n))


_FLOATS = ("float16", "float32", "float64")


@register_samples("FullyConnected", _FLOATS)
def _fully_connected(rng, dtype):
    flatten = bool(rng.integers(2))
    no_bias = bool(rng.integers(2))
    data_shape = _dims(rng, _int(rng, 2, 4), 1, 5)
    hidden = _int(rng, 1, 12)
    in_units = int(np.prod(data_shape[1:])) if flatten else data_shape[-1]
    inputs = [_normal(rng, data_shape, dtype), _normal(rng, (hidden, in_units), dtype, 0.3)]
    if not no_bias:
        inputs.append(_normal(rng, (hidden,), dtype))
    return Sample(inputs, dict(num_hidden=hidden, no_bias=no_bias, flatten=flatten))


def _conv_args(rng, nd, transposed):
    # Mostly the common case (no dilation, one group), so a kernel that
    # declines the rest still gets most trials.
    kernel = _dims(rng, nd, 1, 3)
    stride = _dims(rng, nd, 1, 2)
    dilate = _dims(rng, nd, 1, 2) if rng.random() < 0.25 else (1,) * nd
    pad = tuple(_int(rng, 0, k - 1) for k in kernel)
    group = 2 if rng.random() < 0.25 else 1
    channels, filters = group * _int(rng, 1, 3), group * _int(rng, 1, 3)
    reach = [d * (k - 1) + 1 for k, d in zip(kernel, dilate)]
    spatial = tuple(_int(rng, r, r + 5) for r in reach)
    kw = dict(kernel=kernel, stride=stride, dilate=dilate, pad=pad, num_group=group,
              num_filter=filters, no_bias=bool(rng.integers(2)))
    if transposed:
        wshape = (channels, filters // group) + kernel
        kw["adj"] = tuple(_int(rng, 0, s - 1) for s in stride)
    else:
        wshape = (filters, channels // group) + kernel
    return (_int(rng, 1, 3), channels) + spatial, wshape, filters, kw


def _conv_sample(rng, dtype, transposed):
    nd = int(rng.choice([1, 2, 2, 2, 3]))
    data_shape, wshape, filters, kw = _conv_args(rng, nd, transposed)
    inputs = [_normal(rng, data_shape, dtype), _normal(rng, wshape, dtype, 0.3)]
    if not kw["no_bias"]:
        inputs.append(_normal(rng, (filters,), dtype))
    return Sample(inputs, kw)


@register_samples("Convolution", _FLOATS)
def _convolution(rng, dtype):
    return _conv_sample(rng, dtype, transposed=False)


@register_samples("Deconvolution", _FLOATS)
def _deconvolution(rng, dtype):
    return _conv_sample(rng, dtype, transposed=True)


@register_samples("Activation", _FLOATS)
def _activation(rng, dtype):
    act = str(rng.choice(["relu", "sigmoid", "tanh", "softrelu", "softsign"]))
    return Sample([_normal(rng, _dims(rng, _int(rng, 1, 4)), dtype, 2.0)], dict(act_type=act))


@register_samples("LeakyReLU", _FLOATS)
def _leaky_relu(rng, dtype):
    act = str(rng.choice(["leaky", "elu", "selu", "gelu"]))
    kw = dict(act_type=act, slope=float(rng.uniform(0.05, 0.5)))
    return Sample([_normal(rng, _dims(rng, _int(rng, 2, 4)), dtype, 2.0)], kw)


@register_samples("Pooling", _FLOATS)
def _pooling(rng, dtype):
    nd = int(rng.choice([1, 2, 2, 3]))
    kernel = _dims(rng, nd, 1, 3)
    stride = _dims(rng, nd, 1, 2)
    pad = tuple(_int(rng, 0, k // 2) for k in kernel)
    kw = dict(kernel=kernel, stride=stride, pad=pad,
              pool_type=str(rng.choice(["max", "avg", "sum"])),
              pooling_convention=str(rng.choice(["valid", "full"])),
              global_pool=bool(rng.random() < 0.2))
    shape = _dims(rng, 2, 1, 3) + tuple(_int(rng, k, k + 5) for k in kernel)
    # Distinct values keep the maximum (and so its gradient) unambiguous.
    data = rng.permutation(int(np.prod(shape))).reshape(shape) / np.prod(shape)
    return Sample([data.astype(dtype)], kw)


@register_samples("BatchNorm", ("float32", "float64"))
def _batch_norm(rng, dtype):
    shape = _dims(rng, _int(rng, 2, 4), 2, 5)
    c = (shape[1],)
    inputs = [_normal(rng, shape, dtype), _positive(rng, c, dtype), _normal(rng, c, dtype),
              _normal(rng, c, dtype), _positive(rng, c, dtype)]
    kw = dict(fix_gamma=bool(rng.integers(2)), eps=1e-3)
    return Sample(inputs, kw, grad_inputs=(0, 1, 2))


@register_samples("softmax", _FLOATS)
def _softmax(rng, dtype):
    shape = _dims(rng, _int(rng, 1, 4))
    return Sample([_normal(rng, shape, dtype)], dict(axis=_int(rng, -len(shape), len(shape) - 1)))


@register_samples("log_softmax", _FLOATS)
def _log_softmax(rng, dtype):
    return _softmax(rng, dtype)


@register_samples("SoftmaxOutput", ("float32", "float64"))
def _softmax_output(rng, dtype):
    n, k = _int(rng, 1, 6), _int(rng, 2, 8)
    label = rng.integers(0, k, n).astype(dtype)
    return Sample([_normal(rng, (n, k), dtype), label], {}, grad_inputs=(0,))


@register_samples("Embedding", ("float32", "float64"))
def _embedding(rng, dtype):
    vocab, dim = _int(rng, 2, 10), _int(rng, 1, 6)
    index = rng.integers(0, vocab, _dims(rng, _int(rng, 1, 2))).astype(dtype)
    return Sample([index, _normal(rng, (vocab, dim), dtype)],
                  dict(input_dim=vocab, output_dim=dim), grad_inputs=(1,))


@register_samples("dot", _FLOATS)
def _dot(rng, dtype):
    m, k, n = _dims(rng, 3, 1, 12)
    ta, tb = bool(rng.integers(2)), bool(rng.integers(2))
    return Sample([_normal(rng, (k, m) if ta else (m, k), dtype),
                   _normal(rng, (n, k) if tb else (k, n), dtype)],
                  dict(transpose_a=ta, transpose_b=tb))


@register_samples("batch_dot", _FLOATS)
def _batch_dot(rng, dtype):
    b, m, k, n = _dims(rng, 4, 1, 6)
    return Sample([_normal(rng, (b, m, k), dtype), _normal(rng, (b, k, n), dtype)], {})


def _binary_same(rng, dtype):
    shape = _dims(rng, _int(rng, 1, 4))
    if dtype.startswith("int"):
        return Sample([rng.integers(-9, 10, shape).astype(dtype) for _ in range(2)], {})
    return Sample([_normal(rng, shape, dtype), _normal(rng, shape, dtype)], {})


def _binary_broadcast(rng, dtype):
    shape = _dims(rng, _int(rng, 1, 4))
    other = tuple(1 if rng.random() < 0.4 else d for d in shape)
    pair = [shape, other] if rng.integers(2) else [other, shape]
    if dtype.startswith("int"):
        return Sample([rng.integers(-9, 10, s).astype(dtype) for s in pair], {})
    return Sample([_normal(rng, s, dtype) for s in pair], {})


for _name in ("elemwise_add", "elemwise_mul"):
    register_samples(_name, _FLOATS + ("int32",))(_binary_same)
for _name in ("broadcast_add", "broadcast_mul"):
    register_samples(_name, _FLOATS + ("int32",))(_binary_broadcast)


def _reduce(rng, dtype):
    shape = _dims(rng, _int(rng, 1, 4))
    axis = None if rng.random() < 0.3 else _int(rng, -len(shape), len(shape) - 1)
    return Sample([_normal(rng, shape, dtype)], dict(axis=axis, keepdims=bool(rng.integers(2))))


for _name in ("sum", "mean"):
    register_samples(_name, _FLOATS)(_reduce)


def _unary(rng, dtype):
    return Sample([_normal(rng, _dims(rng, _int(rng, 1, 4)), dtype, 2.0)], {})


def _unary_positive(rng, dtype):
    return Sample([_positive(rng, _dims(rng, _int(rng, 1, 4)), dtype)], {})


for _name in ("exp", "tanh", "sigmoid", "relu"):
    register_samples(_name, _FLOATS)(_unary)
for _name in ("log", "sqrt"):
    register_samples(_name, _FLOATS)(_unary_positive)


@register_samples("transpose", _FLOATS + ("int32",))
def _transpose(rng, dtype):
    shape = _dims(rng, _int(rng, 1, 4))
    return Sample([_normal(rng, shape, dtype)],
                  dict(axes=tuple(int(a) for a in rng.permutation(len(shape)))))


@register_samples("Flatten", _FLOATS)
def _flatten(rng, dtype):
    return Sample([_normal(rng, _dims(rng, _int(rng, 2, 4)), dtype)], {})


@register_samples("Reshape", _FLOATS)
def _reshape(rng, dtype):
    shape = _dims(rng, _int(rng, 2, 4))
    return Sample([_normal(rng, shape, dtype)], dict(shape=(shape[0], -1)))


@register_samples("Concat", _FLOATS)
def _concat(rng, dtype):
    shape = _dims(rng, _int(rng, 1, 4))
    dim = _int(rng, 0, len(shape) - 1)
    parts = []
    for _ in range(_int(rng, 1, 3)):
        part = list(shape)
        part[dim] = _int(rng, 1, 4)
        parts.append(_normal(rng, tuple(part), dtype))
    return Sample(parts, dict(dim=dim, num_args=len(parts)))


# -- running and comparing ---------------------------------------------------------------
def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _finished(arrays):
    # Asynchronous kernels report their errors (and count their kernels) when
    # waited for: wait here, where the caller attributes them to the device.
    for a in arrays:
        a.wait_to_read()
    return arrays


def _forward(op, arrays, kwargs):
    with autograd.pause(train_mode=False):
        return _finished(_as_list(invoke(op, arrays, kwargs)))


def _train(op, arrays, kwargs, wrt, head_grads):
    """Training-mode outputs and the gradients of ``arrays[i]`` for ``i`` in ``wrt``."""
    for i in wrt:
        arrays[i].attach_grad()
    with autograd.record(train_mode=True):
        outs = _as_list(invoke(op, arrays, kwargs))
    ctx = arrays[0].context
    autograd.backward(outs, [_array(g, ctx=ctx, dtype=g.dtype) for g in head_grads])
    return _finished(outs), _finished([arrays[i].grad for i in wrt])


def _errors(expected, got):
    """(max abs err, max rel err, whether every element is within tolerance)."""
    dtype = expected.dtype.name
    if expected.size == 0:
        return 0.0, 0.0, True
    nan_e, nan_g = np.isnan(expected), np.isnan(got)
    if (nan_e != nan_g).any():
        return math.inf, math.inf, False
    e = np.where(nan_e, 0, expected).astype(np.float64)
    g = np.where(nan_g, 0, got).astype(np.float64)
    diff = np.abs(g - e)
    rtol, atol = TOLERANCES.get(dtype, _EXACT)
    bound = atol * max(1.0, float(np.abs(e).max())) + rtol * np.abs(e)
    rel = diff / np.maximum(np.abs(e), np.finfo(np.float64).tiny)
    return float(diff.max()), float(rel.max()), bool((diff <= bound).all())


class _Trial:
    """One sample on one device pair; collects mismatches into an OpReport."""

    def __init__(self, op, sample, dtype, ctx, report):
        self.op, self.sample, self.dtype, self.ctx, self.report = op, sample, dtype, ctx, report
        names = op.input_names(op.parse(sample.kwargs)) if not op.variadic else ()
        self.names = [names[i] if i < len(names) else f"input{i}"
                      for i in range(len(sample.inputs))]

    def fail(self, phase, message="", abs_err=math.nan, rel_err=math.nan):
        shapes = {n: tuple(x.shape) for n, x in zip(self.names, self.sample.inputs)}
        self.report.mismatches.append(Mismatch(self.op.name, phase, self.dtype, shapes,
                                               dict(self.sample.kwargs), abs_err, rel_err,
                                               message))

    def arrays(self, ctx):
        return [_array(x, ctx=ctx, dtype=x.dtype) for x in self.sample.inputs]

    def compare(self, phase, expected, got):
        if len(expected) != len(got):
            return self.fail(phase, f"{len(got)} results, the cpu gave {len(expected)}")
        for i, (e, g) in enumerate(zip(expected, got)):
            where = phase if len(expected) == 1 else f"{phase} #{i}"
            if g.context != self.ctx:
                return self.fail(where, f"result is on {g.context}, expected {self.ctx}")
            e, g = e.asnumpy(), g.asnumpy()
            if g.shape != e.shape or g.dtype != e.dtype:
                return self.fail(where, f"result {g.dtype}{g.shape}, the cpu gave "
                                        f"{e.dtype}{e.shape}")
            abs_err, rel_err, ok = _errors(e, g)
            if not ok:
                return self.fail(where, abs_err=abs_err, rel_err=rel_err)
        return None

    def run_device(self, phase, fn):
        try:
            return fn()
        except Exception as e:  # a device error is a finding to report, not a crash
            self.fail(phase, f"device raised {type(e).__name__}: {e}")
            return None

    def forward(self):
        kw = self.sample.kwargs
        try:
            expected = _forward(self.op, self.arrays(cpu()), kw)
        except MXNetError as e:
            return self.fail("cpu reference", f"the sample is invalid: {e}")
        with backends.count_kernels() as counts:
            got = self.run_device("forward", lambda: _forward(self.op, self.arrays(self.ctx), kw))
            ran = {b for (name, b) in counts if name == self.op.name}
        self.report.kernels.update(ran)
        if got is not None:
            self.compare("forward", expected, got)
        return expected

    def backward(self, rng, outputs):
        wrt = self.sample.grad_inputs
        if wrt is None:
            wrt = tuple(i for i, x in enumerate(self.sample.inputs) if x.dtype.kind == "f")
        if not wrt:
            return
        heads = [_normal(rng, o.shape, o.dtype) for o in outputs]
        kw = self.sample.kwargs
        try:
            expected = _train(self.op, self.arrays(cpu()), kw, wrt, heads)
        except MXNetError as e:
            return self.fail("cpu reference", f"backward of the sample failed: {e}")
        got = self.run_device("backward", lambda: _train(self.op, self.arrays(self.ctx), kw,
                                                         wrt, heads))
        if got is None:
            return
        self.compare("training forward", expected[0], got[0])
        for i, e, g in zip(wrt, expected[1], got[1]):
            self.compare(f"gradient of {self.names[i]}", [e], [g])


def qualify(ctx, ops=None, trials=8, seed=0, dtypes=None, backward=True):
    """Compare the operators ``ops`` on device ``ctx`` against the cpu.

    ``ops``: op names (default: every op with a kernel registered for the
    device type of ``ctx`` and a sample generator). ``trials``: random
    samples per op, each with a dtype drawn from the op's dtypes (restricted
    to ``dtypes`` when given). ``backward``: also compare training-mode
    outputs and gradients. Returns a ``QualificationReport``; call its
    ``check()`` to raise on any mismatch."""
    if not isinstance(ctx, Context):
        raise MXNetError(f"qualify: ctx must be a Context, got {ctx!r}")
    device = device_type(ctx)
    if ops is None:
        ops = [name for name in sampled_ops() if device.name in registry.get(name).overrides]
        if not ops:
            raise MXNetError(f"qualify: no op with a sample generator has a kernel for "
                             f"device {device.name}; name the ops to check")
    rng = np.random.default_rng(seed)
    reports = []
    for name in ops:
        op = registry.get(name)
        if op.name not in _SAMPLES:
            raise MXNetError(f"qualify: no sample generator for op {name!r}; add one with "
                             f"mxnet.device_testing.register_samples (ops with one: "
                             f"{', '.join(sampled_ops())})")
        gen, op_dtypes = _SAMPLES[op.name]
        allowed = [d for d in op_dtypes if dtypes is None or d in dtypes]
        report = OpReport(op.name)
        reports.append(report)
        for _ in range(trials if allowed else 0):
            dtype = str(rng.choice(allowed))
            trial = _Trial(op, gen(rng, dtype), dtype, ctx, report)
            report.trials += 1
            outputs = trial.forward()
            if backward and outputs is not None and op.gradient is not None:
                trial.backward(rng, outputs)
    return QualificationReport(ctx, reports)
