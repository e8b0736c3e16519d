"""``_contrib_quantized_rnn``: the int8 LSTM of MXNet 1.9.1's oneDNN build.

The data comes in as uint8 from ``quantize_asym`` together with its ``scale``
and ``shift`` (real value = (q - shift) / scale); parameters, states and
outputs are float32, packed as for ``RNN``. As oneDNN's int8 LSTM does, each
weight matrix is quantized to int8 per output row (127 levels over the row's
largest magnitude), every layer input and the hidden state fed back at each
step are quantized to uint8 with the data's scale and shift, and gates, cell
state and outputs are computed in float32 from the dequantized products.

MXNet 1.9.1 supports LSTM only and its CPU build fails to run this op on the
machines we checked (a oneDNN weight reorder is refused), so the numerics
here are the documented scheme above, not values compared with MXNet's.
There is no gradient (inference only; dropout ``p`` is ignored).

As in MXNet, the node has the final states as outputs only with
``state_outputs``, and its graph names the data range inputs ``min_data``
and ``max_data`` while ``mx.nd`` takes them as ``data_scale``/``data_shift``.
"""
import numpy as np

from ..base import MXNetError
from .nn_rnn import _PARAMS, _blocks, _cell, _dirs, _shapes, _views
from .quantization import check_dtype, saturate
from .registry import register

_OP = "_contrib_quantized_rnn"
_INPUTS = ("data", "parameters", "state", "state_cell", "data_scale", "data_shift")
# MXNet 1.9.1 documents (and takes as mx.nd keywords) the inputs above, but its
# graph lists the last two as min_data and max_data: symbols create, list, write
# and compose them by those names.
_GRAPH_INPUTS = _INPUTS[:4] + ("min_data", "max_data")


def _check(attrs):
    if attrs.mode != "lstm":
        raise MXNetError(f"{_OP}: supports mode 'lstm' only (as MXNet 1.9.1), got "
                         f"'{attrs.mode}'")
    if attrs.projection_size is not None:
        raise MXNetError(f"{_OP}: does not support 'projection_size', got "
                         f"{attrs.projection_size}")
    if attrs.use_sequence_length:
        raise MXNetError(f"{_OP}: does not support use_sequence_length=True")


def _infer_shape(attrs, shapes):
    _check(attrs)
    shapes = list(shapes)
    if len(shapes) != len(_INPUTS):
        raise MXNetError(f"{_OP}: takes {len(_INPUTS)} inputs ({', '.join(_INPUTS)}), got "
                         f"{len(shapes)}")
    for i in (4, 5):
        if shapes[i] is not None and tuple(shapes[i]) != (1,):
            raise MXNetError(f"{_OP}: input '{_INPUTS[i]}' must have shape (1,), got "
                             f"{tuple(shapes[i])}")
    if shapes[0] is None:
        return shapes[:4] + [(1,), (1,)], [None] * _num_outputs(attrs)
    params, state, cell, outs = _shapes(attrs, shapes[0])
    expected = [tuple(shapes[0]), params, state, cell]
    for name, given, want in zip(_INPUTS[1:4], shapes[1:4], expected[1:]):
        if given is not None and tuple(given) != want:
            raise MXNetError(f"{_OP}: input '{name}' must have shape {want} for data of "
                             f"shape {tuple(shapes[0])}, got {tuple(given)}")
    return expected + [(1,), (1,)], list(outs)[:_num_outputs(attrs)]


def _infer_type(attrs, types):
    check_dtype(_OP, "data", types[0], ("uint8",))
    for name, t in zip(_INPUTS[1:], types[1:]):
        check_dtype(_OP, name, t, ("float32",))
    return ["uint8"] + ["float32"] * 5, ["float32"] * _num_outputs(attrs)


def _num_outputs(attrs):
    # MXNet's node has the final states only with state_outputs (unlike RNN's,
    # which always has them, hidden)
    return 3 if attrs.state_outputs else 1


def _output_names(attrs):
    # "ouput" is MXNet 1.9.1's spelling (its list_outputs and executor keys)
    return ["output", "state_output", "statecell_ouput"][:_num_outputs(attrs)]


def _fake_quantized_rows(xp, w):
    """``w`` rounded to int8 levels of each row's own range, back in float32."""
    r = xp.abs(w).max(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        step = xp.where(r > 0, r / np.float32(127), np.float32(1)).astype(np.float32)
    return (xp.rint(w / step) * step).astype(np.float32)


class _DataQuantizer:
    """Round float32 values to the uint8 grid of the data (scale, shift) and back."""

    def __init__(self, scale, shift):
        self.scale, self.shift = scale, shift

    def __call__(self, xp, x):
        q = saturate(xp, x * self.scale + self.shift, "uint8")
        return self.dequantize(q)

    def dequantize(self, q):
        return ((q.astype(np.float32) - self.shift) / self.scale).astype(np.float32)


def _direction(xp, attrs, x, h, c, w, reverse, grid):
    T, N, cin = x.shape
    gi_all = (x.reshape(T * N, cin) @ w["wi"].T + w["bi"]).reshape(T, N, -1)
    out = xp.empty((T, N, h.shape[1]), dtype=np.float32)
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h, c, _ = _cell(xp, attrs, gi_all[t], grid(xp, h), c, w)
        out[t] = h
    return out, h, c


@register(_OP, inputs=_INPUTS, active_inputs=lambda attrs: _GRAPH_INPUTS,
          params=_PARAMS, num_outputs=_num_outputs, output_names=_output_names,
          infer_shape=_infer_shape, infer_type=_infer_type)
def _quantized_rnn(xp, attrs, data, parameters, state, state_cell, data_scale, data_shift):
    """LSTM over uint8 data quantized by ``quantize_asym`` (see the module docstring for
    the int8 scheme); returns the float32 output sequence and final hidden and cell
    states (shown with ``state_outputs``)."""
    ins = (data, parameters, state, state_cell, data_scale, data_shift)
    _infer_type(attrs, [a.dtype.name for a in ins])
    _infer_shape(attrs, [a.shape for a in ins])
    grid = _DataQuantizer(data_scale.astype(np.float32), data_shift.astype(np.float32))
    layout = _blocks(attrs, data.shape[2])[0]
    weights = _views(parameters.astype(np.float32), layout)
    for w in weights:
        w["wi"], w["wh"] = _fake_quantized_rows(xp, w["wi"]), _fake_quantized_rows(xp, w["wh"])
    D = _dirs(attrs)
    inp = grid.dequantize(data)
    hy, cy = [], []
    for layer in range(attrs.num_layers):
        if layer > 0:
            inp = grid(xp, inp)
        outs = []
        for d in range(D):
            k = layer * D + d
            out, h, c = _direction(xp, attrs, inp, state[k].astype(np.float32),
                                   state_cell[k].astype(np.float32), weights[k], d == 1, grid)
            outs.append(out)
            hy.append(h)
            cy.append(c)
        inp = outs[0] if D == 1 else xp.concatenate(outs, axis=2)
    return (inp, xp.stack(hy), xp.stack(cy))[:_num_outputs(attrs)]

