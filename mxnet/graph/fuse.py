"""Elementwise fusion: runs of elementwise program steps become one step.

A group is a small DAG of elementwise steps (unary math, arithmetic with
arrays or scalars, comparisons, Activation, clip) whose intermediate values
nothing outside the group reads. It runs as one step that evaluates every
member with NumPy's ``out=`` into a few buffers allocated once per call
(one for a chain), instead of one fresh array and one kernel dispatch per
op. An input whose last reader is the group and that an earlier step of the
same list computed (so the program owns it) is reused as a buffer: a
``relu`` chain after a dense layer then writes over the layer's output.
A group of one step stays that step, except an activation gradient
(``_backward_Activation``) that can write over its incoming gradient: fused,
it skips the temporaries its kernel makes.

Members are built from closures over NumPy/CuPy ufuncs; nothing is
generated or evaluated as source. Only float32/float64 steps whose values
all share one shape and dtype fuse, so the ufuncs compute exactly what the
ops' kernels compute.
"""
import math

import numpy as np

from ..ops.binary import scalar_as
from ..ops.nn_fused import ACTIVATIONS, apply_activation
from ..ops.registry import OpDef

_FLOATS = (np.dtype("float32"), np.dtype("float64"))

# -- member emitters: emit(xp, out, *inputs) writes the op's result into out ------------------

_UFUNC_OPS = {
    "negative": "negative", "abs": "absolute", "square": "square", "sqrt": "sqrt",
    "cbrt": "cbrt", "exp": "exp", "expm1": "expm1", "log": "log", "log10": "log10",
    "log2": "log2", "log1p": "log1p", "sin": "sin", "cos": "cos", "tan": "tan",
    "arcsin": "arcsin", "arccos": "arccos", "arctan": "arctan", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "arcsinh": "arcsinh", "arccosh": "arccosh",
    "arctanh": "arctanh", "sign": "sign", "floor": "floor", "ceil": "ceil", "trunc": "trunc",
    "fix": "trunc", "reciprocal": "reciprocal",
}
_BINARY_UFUNCS = {
    "add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide",
    "maximum": "maximum", "minimum": "minimum", "power": "power", "hypot": "hypot",
    "equal": "equal", "not_equal": "not_equal", "greater": "greater",
    "greater_equal": "greater_equal", "lesser": "less", "lesser_equal": "less_equal",
}
_BINARY_OPS = {"elemwise_add": "add", "elemwise_sub": "sub", "elemwise_mul": "mul",
               "elemwise_div": "div", "_maximum": "maximum", "_minimum": "minimum",
               "_power": "power", "_hypot": "hypot"}
for _n in ("add", "sub", "mul", "div", "maximum", "minimum", "power", "hypot"):
    _BINARY_OPS[f"broadcast_{_n}"] = _n
for _n in ("equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal"):
    _BINARY_OPS[f"_{_n}"] = _n
    _BINARY_OPS[f"broadcast_{_n}"] = _n
_SCALAR_OPS = {"_plus_scalar": ("add", False), "_minus_scalar": ("sub", False),
               "_rminus_scalar": ("sub", True), "_mul_scalar": ("mul", False),
               "_div_scalar": ("div", False), "_rdiv_scalar": ("div", True),
               "_maximum_scalar": ("maximum", False), "_minimum_scalar": ("minimum", False),
               "_power_scalar": ("power", False), "_rpower_scalar": ("power", True),
               "_hypot_scalar": ("hypot", False)}
for _n in ("equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal"):
    _SCALAR_OPS[f"_{_n}_scalar"] = (_n, False)


def _ufunc_emitter(name):
    def emit(xp, out, a):
        getattr(xp, name)(a, out=out)
    return emit


def _binary_emitter(name):
    def emit(xp, out, a, b):
        getattr(xp, name)(a, b, out=out)
    return emit


def _scalar_emitter(name, scalar, reverse):
    if reverse:
        def emit(xp, out, a):
            getattr(xp, name)(scalar, a, out=out)
    else:
        def emit(xp, out, a):
            getattr(xp, name)(a, scalar, out=out)
    return emit


def _activation_emitter(kind):
    def emit(xp, out, a):
        if out is not a:
            xp.copyto(out, a)
        apply_activation(xp, kind, out)
    return emit


def _clip_emitter(lo, hi):
    def emit(xp, out, a):
        xp.maximum(a, lo, out=out)
        xp.minimum(out, hi, out=out)
    return emit


def _relu_gradient(xp, out, g, y):
    xp.multiply(g, xp.greater(y, 0), out=out)


def _sigmoid_gradient(xp, out, g, y):
    one_minus = xp.subtract(1, y)
    xp.multiply(g, y, out=out)
    xp.multiply(out, one_minus, out=out)


def _tanh_gradient(xp, out, g, y):
    # The same operations, in the same order, as the op's kernel: g * (1 - y*y).
    square = out if out is not g else xp.empty_like(y)
    xp.multiply(y, y, out=square)
    xp.subtract(1, square, out=square)
    xp.multiply(g, square, out=out)


_ACTIVATION_GRADIENTS = {"relu": _relu_gradient, "sigmoid": _sigmoid_gradient,
                         "tanh": _tanh_gradient}


def _rsqrt(xp, out, a):
    xp.sqrt(a, out=out)
    xp.divide(1, out, out=out)


def _copy(xp, out, a):
    xp.copyto(out, a)


def emitter(op_name, attrs, dtype):
    """``emit(xp, out, *inputs)`` computing op ``op_name`` with ``attrs`` on
    ``dtype`` data into ``out`` (which may be one of the inputs), or None when
    the op does not fuse."""
    if op_name in _UFUNC_OPS:
        return _ufunc_emitter(_UFUNC_OPS[op_name])
    if op_name in _BINARY_OPS:
        return _binary_emitter(_BINARY_UFUNCS[_BINARY_OPS[op_name]])
    if op_name in _SCALAR_OPS:
        kind, reverse = _SCALAR_OPS[op_name]
        if kind == "power" and reverse and attrs.scalar <= 0:
            return None  # the kernel's gradient rule and edge cases stay unfused
        return _scalar_emitter(_BINARY_UFUNCS[kind], scalar_as(dtype, attrs.scalar), reverse)
    if op_name in ("relu", "sigmoid", "softsign"):
        return _activation_emitter(op_name)
    if op_name == "Activation" and attrs.act_type in ACTIVATIONS:
        return _activation_emitter(attrs.act_type)
    if op_name == "_backward_Activation":
        return _ACTIVATION_GRADIENTS.get(attrs.act_type)
    if op_name == "_backward_relu":  # relu's gradient rule: (g, y)
        return _relu_gradient
    if op_name == "rsqrt":
        return _rsqrt
    if op_name in ("_copy", "identity"):
        return _copy
    if op_name == "clip" and attrs.a_min <= attrs.a_max and not (
            math.isnan(attrs.a_min) or math.isnan(attrs.a_max)):
        return _clip_emitter(dtype.type(attrs.a_min), dtype.type(attrs.a_max))
    return None


# Ops whose kernels always return a fresh array of their own: their outputs
# may be overwritten by a later fused step that is their last reader.
_FRESH_OUTPUTS = frozenset((
    "FullyConnected", "Convolution", "Deconvolution", "Pooling", "BatchNorm", "dot",
    "batch_dot", "_sg_mkldnn_conv", "_sg_mkldnn_fully_connected", "_FusedElemwise",
    "_backward_FullyConnected", "_backward_Pooling", "_FusedDenseActivation"))


# -- the fused step -------------------------------------------------------------------------

class FusedPlan:
    """What a fused step runs: ``instructions`` of (emit, destination, sources)
    over a value list made of the step's inputs followed by its buffers; a
    buffer is fresh, or the memory of input ``donor`` when that array fits."""
    __slots__ = ("instructions", "buffers", "shape", "dtype", "result", "names")

    def __init__(self, instructions, buffers, shape, dtype, result, names):
        self.instructions = instructions
        self.buffers = buffers
        self.shape = shape
        self.dtype = dtype
        self.result = result
        self.names = names

    def __repr__(self):
        return f"<fused {' -> '.join(self.names)}>"


def _run_fused(xp, plan, *inputs):
    """Evaluate a fused group (the kernel of fused steps)."""
    values = list(inputs)
    for donor in plan.buffers:
        arr = None if donor is None else inputs[donor]
        if arr is None or arr.shape != plan.shape or arr.dtype != plan.dtype or \
                not getattr(arr.flags, "writeable", True) or not arr.flags.c_contiguous:
            arr = xp.empty(plan.shape, plan.dtype)
        values.append(arr)
    with np.errstate(all="ignore"):
        for emit, dst, srcs in plan.instructions:
            emit(xp, values[dst], *[values[s] for s in srcs])
    return values[plan.result]


FUSED_OP = OpDef("_FusedElemwise", _run_fused, inputs=(),
                 doc="A group of elementwise operators evaluated in one pass.")


def _member_emitter(step, info):
    if len(step.outs) != 1 or step.op.resources or step.op.mutate_inputs(step.attrs,
                                                                           len(step.ins)):
        return None
    out = info.get(step.outs[0])
    if out is None or out[1] not in _FLOATS:
        return None
    if any(info.get(s, (None, None))[1] != out[1] for s in step.ins):
        return None
    return emitter(step.op.name, step.attrs, out[1])


def _mutated(step):
    return [step.ins[p] for p in step.op.mutate_inputs(step.attrs, len(step.ins))]


def fuse_steps(steps, info, keep, make_step):
    """The steps with every fusable group replaced by one fused step.

    ``info`` maps slots to (shape, numpy dtype); ``keep`` holds slots read
    outside ``steps`` (outputs, values kept for backward), which stay
    visible. ``make_step(op, attrs, ins, outs, name, out_names)`` builds a
    step; the steps left as they are come back as copies, so the original
    list keeps its own liveness."""
    emit = [_member_emitter(s, info) for s in steps]
    readers = {}
    for i, step in enumerate(steps):
        for s in step.ins:
            readers.setdefault(s, set()).add(i)
    producer = {s: i for i, step in enumerate(steps) for s in step.outs}
    group_of, groups = {}, {}
    for i, step in enumerate(steps):
        if emit[i] is None:
            continue
        shape = info[step.outs[0]][0]
        members = [i]
        for s in dict.fromkeys(step.ins):
            j = producer.get(s)
            if j is None or j not in group_of or s in keep or readers[s] != {i}:
                continue
            g = group_of[j]
            if g not in groups or info[s][0] != shape:
                continue
            if _blocked(steps, groups[g], i, members):
                continue
            members += groups.pop(g)
        groups[i] = sorted(members)
        for m in members:
            group_of[m] = i
    out = []
    for i, step in enumerate(steps):
        if emit[i] is None or (groups.get(i) == [i] and not _better_alone_fused(
                steps, i, producer, readers, emit, info, keep)):
            out.append(step.copy())
        elif i in groups:
            out.append(_fused_step(steps, groups[i], emit, readers, producer, info, keep,
                                   make_step))
    return out


# Ops whose kernels build temporaries the size of their output (the
# activation gradients: three for tanh) that their fused form does without.
_TEMPORARY_MAKERS = frozenset(("_backward_Activation", "_backward_relu"))


def _better_alone_fused(steps, i, producer, readers, emit, info, keep):
    """Whether step ``i``, fusing with nothing, should still run as a fused
    step. A lone step normally stays itself: its kernel may have a faster
    backend override, and profiles and device counters keep seeing it. A
    temporary-making op without an override is fused when it can write its
    result over an input it is the last reader of."""
    step = steps[i]
    if step.op.name not in _TEMPORARY_MAKERS or step.op.overrides:
        return False
    shape, dtype = info[step.outs[0]]
    return any(_donatable(s, steps, producer, readers, {i}, emit, info, keep, shape, dtype)
               for s in step.ins)


def _blocked(steps, group, sink, members):
    """Whether moving ``group`` (indices) to run at ``sink`` would pass a step
    that updates one of its inputs in place."""
    reads = {s for m in group for s in steps[m].ins}
    inside = set(group) | set(members)
    for k in range(min(group), sink):
        if k not in inside and reads.intersection(_mutated(steps[k])):
            return True
    return False


def _fused_step(steps, members, emit, readers, producer, info, keep, make_step):
    sink = steps[members[-1]]
    shape, dtype = info[sink.outs[0]]
    produced = {steps[m].outs[0]: m for m in members}
    ins = list(dict.fromkeys(s for m in members for s in steps[m].ins if s not in produced))
    position = {s: k for k, s in enumerate(ins)}
    last_read = {}
    for t, m in enumerate(members):
        for s in steps[m].ins:
            last_read[s] = t
    member_set = set(members)
    donors = [s for s in ins if _donatable(s, steps, producer, readers, member_set, emit, info,
                                           keep, shape, dtype)]
    buffers = [position[s] for s in donors]
    buffer_of = {s: b for b, s in enumerate(donors)}  # donors free up after their last read
    free, instructions = [], []
    n_in = len(ins)
    for t, m in enumerate(members):
        step = steps[m]
        srcs = tuple(n_in + buffer_of[s] if s in produced else position[s] for s in step.ins)
        released = [buffer_of[s] for s in dict.fromkeys(step.ins)
                    if last_read[s] == t and s in buffer_of]
        # Every emitter reads its inputs before writing (elementwise, in place
        # safe), so a buffer whose value dies here can take the result.
        free.extend(released)
        if free:
            b = free.pop()
        else:
            b = len(buffers)
            buffers.append(None)
        buffer_of[step.outs[0]] = b
        instructions.append((emit[m], n_in + b, srcs))
    plan = FusedPlan(instructions, buffers, tuple(shape), dtype, n_in + buffer_of[sink.outs[0]],
                     [steps[m].op.name for m in members])
    return make_step(FUSED_OP, plan, ins, list(sink.outs), sink.name, sink.out_names)


def _donatable(slot, steps, producer, readers, members, emit, info, keep, shape, dtype):
    """Whether input ``slot`` of a group may be overwritten by it: an array an
    earlier step of this list made fresh, read by nothing after the group."""
    j = producer.get(slot)
    if j is None or slot in keep or not readers[slot] <= members:
        return False
    if steps[j].op.name not in _FRESH_OUTPUTS and emit[j] is None:
        return False
    return info.get(slot) is not None and tuple(info[slot][0]) == tuple(shape) and \
        info[slot][1] == dtype
