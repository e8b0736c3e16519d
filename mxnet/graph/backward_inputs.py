"""What MXNet 1.9.1's backward node of each operator reads, for the monitor.

``layout(op_name, attrs, n_inputs)`` says, for one forward node, what its
MXNet backward node takes as inputs (and so what ``monitor_all`` reports
before the node's outputs), as ``(label, kind, index)`` triples: ``label``
is what MXNet appends to ``<node>_backward_``; ``kind`` is

- ``ograd``: the head gradient of forward output ``index``;
- ``in`` / ``out``: forward input / output ``index``. Outputs include the
  hidden ones, which hold what MXNet's hidden outputs hold: BatchNorm's
  batch mean and 1/sqrt(var + eps), LayerNorm's and GroupNorm's mean and
  std, Dropout's mask (0 or 1/(1-p));
- ``ws_grad`` / ``ws``: max pooling's oneDNN workspace, a hidden int32
  output of output 0's shape that no operator here has: its head gradient
  (zeros, made by a ``zeros_without_dtype`` node MXNet reports first) and
  its value (``pool_workspace``).

Some operators differentiate an input with a separate ``zeros_like`` node
named ``<node>_<suffix>_backward`` (``where``'s condition, ``broadcast_like``'s
right side): ``zeros_nodes`` lists them, with whether MXNet runs them
before or after the main node; their input is left out of the main node's
outputs. MXNet's older operators (InstanceNorm, SliceChannel, SVMOutput,
SwapAxis, L2Normalization, Sequence*, Pad, ROIPooling...) label their
backward node's outputs with the forward input names
(``<node>_backward_data``): ``named_outputs``; their backward inputs are not
known (MXNet 1.9.1's ``monitor_all`` hangs on them).
"""
from typing import NamedTuple

import numpy as np

from ..device import array_module
from ..ops.nn_pool import PoolGeometry, _lowest, _padded


class Layout(NamedTuple):
    """One operator's MXNet backward node, as the module docstring describes."""
    inputs: tuple
    zeros_nodes: tuple = ()   # (suffix, forward input index, before the main node?)
    named_outputs: bool = False


_OGRAD = (("input0", "ograd", 0),)
_OGRAD_IN2 = (("input0", "ograd", 0), ("input1", "in", 0), ("input2", "in", 1))
_UNARY_OUT = (("lhs", "ograd", 0), ("rhs", "out", 0))
_UNARY_IN = (("lhs", "ograd", 0), ("rhs", "in", 0))
_OGRAD_IN_OUT = (("input0", "ograd", 0), ("input1", "in", 0), ("input2", "out", 0))
_LOSS = (("input0", "in", 1), ("input1", "out", 0))
_NORM_STATS = (("input0", "ograd", 0), ("input1", "in", 0), ("input2", "in", 1),
               ("input3", "out", 1), ("input4", "out", 2))
_BATCH_NORM = (("input0", "ograd", 0), ("input1", "out", 1), ("input2", "out", 2)) + tuple(
    (f"input{i + 3}", "in", i) for i in range(5))
_MAX_POOL = (("input0", "ograd", 0), ("input1", "ws_grad", 0), ("input2", "in", 0),
             ("input3", "out", 0), ("input4", "ws", 0))
_NAMED_OUTPUTS = Layout((), named_outputs=True)
_OGRAD_ALL_IN = "ograd, every input"  # input0 the head gradient, then every forward input


def _leaky_relu(attrs, n_inputs):
    if attrs.act_type == "rrelu":  # (its random slopes are not kept)
        return None
    return ((("input0", "ograd", 0),) + tuple((f"input{i + 1}", "in", i) for i in range(n_inputs))
            + ((f"input{n_inputs + 1}", "out", 0),))


def _activation(attrs, n_inputs):
    if attrs.act_type == "relu":
        return (("input0", "ograd", 0), ("input1", "out", 0))
    return (("input0", "ograd", 0), ("input1", "out", 0), ("input2", "in", 0))


def _pooling(attrs, n_inputs):
    if attrs.pool_type != "max":
        return (("input0", "ograd", 0), ("input1", "in", 0), ("input2", "out", 0))
    if attrs.layout is not None and attrs.layout.endswith("C"):
        return None  # (the workspace's byte order there is not known)
    return _MAX_POOL


# operator name -> its backward node's inputs, or a function of (attrs, number
# of forward inputs) giving them (None: not known), or a Layout. Checked
# against MXNet 1.9.1 by tests/test_executor_backward_monitor_all.py.
_INPUTS = {
    "FullyConnected": _OGRAD_IN2,
    "Convolution": _OGRAD_ALL_IN,
    "Deconvolution": _OGRAD_ALL_IN,
    "Concat": _OGRAD_ALL_IN,
    "dot": _OGRAD_IN2,
    "elemwise_mul": _OGRAD_IN2,
    "elemwise_div": _OGRAD_IN2,
    "broadcast_mul": _OGRAD_IN2,
    "broadcast_div": _OGRAD_IN2,
    "broadcast_maximum": _OGRAD_IN2,
    "broadcast_minimum": _OGRAD_IN2,
    "broadcast_power": _OGRAD_IN2,
    "elemwise_sub": _OGRAD,
    "broadcast_add": _OGRAD,
    "broadcast_sub": _OGRAD,
    "broadcast_to": _OGRAD,
    "broadcast_axis": _OGRAD,
    "broadcast_like": Layout(_OGRAD, zeros_nodes=(("rhs", 1, False),)),
    "Flatten": _OGRAD,
    "Reshape": _OGRAD,
    "transpose": _OGRAD,
    "slice": _OGRAD,
    "slice_axis": _OGRAD,
    "sum": _OGRAD,
    "mean": _OGRAD,
    "_mul_scalar": _OGRAD,
    "_plus_scalar": _OGRAD,
    "Cast": _OGRAD,
    "expand_dims": _OGRAD,
    "squeeze": _OGRAD,
    "stack": _OGRAD,
    "negative": _OGRAD,
    "_minus_scalar": _OGRAD,
    "_div_scalar": _OGRAD,
    "UpSampling": lambda attrs, n: _OGRAD if attrs.sample_type == "nearest" else None,
    "max": _OGRAD_IN_OUT,
    "norm": _OGRAD_IN_OUT,
    "clip": (("input0", "ograd", 0), ("input1", "in", 0)),
    "take": (("input0", "ograd", 0), ("input1", "in", 1)),
    "Embedding": (("input0", "ograd", 0), ("input1", "in", 0)),
    "where": Layout((("input0", "ograd", 0), ("input1", "in", 0)),
                    zeros_nodes=(("cond", 0, True),)),
    "BlockGrad": (("input0", "in", 0),),
    "relu": _UNARY_OUT,
    "sigmoid": _UNARY_OUT,
    "tanh": _UNARY_OUT,
    "exp": _UNARY_OUT,
    "sqrt": _UNARY_OUT,
    "square": _UNARY_IN,
    "log": _UNARY_IN,
    "abs": _UNARY_IN,
    "_rdiv_scalar": _UNARY_IN,
    "softmax": (("ograd", "ograd", 0), ("output", "out", 0)),
    "log_softmax": (("ograd", "ograd", 0), ("output", "out", 0)),
    "SoftmaxOutput": (("input0", "out", 0), ("input1", "in", 1)),
    "LinearRegressionOutput": _LOSS,
    "LogisticRegressionOutput": _LOSS,
    "MAERegressionOutput": _LOSS,
    "softmax_cross_entropy": _OGRAD_IN2,
    "LeakyReLU": _leaky_relu,
    "Activation": _activation,
    "BatchNorm": _BATCH_NORM,
    "LayerNorm": _NORM_STATS,
    "GroupNorm": _NORM_STATS,
    "Dropout": (("input0", "ograd", 0), ("input1", "out", 1)),
    "Pooling": _pooling,
    "InstanceNorm": _NAMED_OUTPUTS,
    "SliceChannel": _NAMED_OUTPUTS,
    "SVMOutput": _NAMED_OUTPUTS,
    "SwapAxis": _NAMED_OUTPUTS,
    "L2Normalization": _NAMED_OUTPUTS,
    "SequenceMask": _NAMED_OUTPUTS,
    "SequenceLast": _NAMED_OUTPUTS,
    "SequenceReverse": _NAMED_OUTPUTS,
    "Pad": _NAMED_OUTPUTS,
    "ROIPooling": _NAMED_OUTPUTS,
}


def layout(op_name, attrs, n_inputs):
    """The Layout of ``op_name``'s MXNet backward node, or None when not known."""
    found = _INPUTS.get(op_name)
    if callable(found):
        found = found(attrs, n_inputs)
    elif found == _OGRAD_ALL_IN:
        found = (("input0", "ograd", 0),) + tuple(
            (f"input{i + 1}", "in", i) for i in range(n_inputs))
    if found is None or isinstance(found, Layout):
        return found
    return Layout(found)


class Derived:
    """A reported value that no slot holds, computed from ``slots`` when it is
    reported: ``compute(*arrays, ctx=ctx)``."""
    __slots__ = ("compute", "slots")

    def __init__(self, compute, slots):
        self.compute, self.slots = compute, tuple(slots)

    def __call__(self, values, ctx):
        return self.compute(*[values[s] for s in self.slots], ctx=ctx)


def workspace(attrs, data_slot):
    """Max pooling's workspace, derived from the forward input in ``data_slot``."""
    return Derived(lambda data, ctx: pool_workspace(array_module(ctx), attrs, data), (data_slot,))


def pool_workspace(xp, attrs, data):
    """What MXNet's oneDNN max pooling keeps for its backward pass: per output
    element, the position of the (first) maximum in its window (row-major
    over the kernel, padding included), one byte each when the window has
    fewer than 256 cells, else one int32 each; the bytes fill an int32 array
    of the output's shape from the start (MXNet leaves the rest unwritten;
    zeros here)."""
    pg = PoolGeometry("Pooling", attrs, data.shape)
    low = _lowest(xp, data.dtype)
    padded = _padded(xp, data, pg, low, low)
    best = where = None
    for k, window in enumerate(pg.offsets()):
        win = padded[(slice(None), slice(None)) + window]
        if best is None:
            best, where = win.copy(), xp.zeros(win.shape, np.int32)
            continue
        higher = win > best
        best[higher] = win[higher]
        where[higher] = k
    if np.prod(pg.kernel) >= 256:
        return where
    packed = xp.zeros(where.size * 4, np.uint8)
    packed[:where.size] = where.ravel()
    return packed.view(np.int32).reshape(where.shape)
