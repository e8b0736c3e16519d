"""ONNX import of LSTM, GRU and RNN nodes as MXNet's fused ``RNN`` operator
(one layer per node, both directions when bidirectional).

The weights W (D, G*H, C), R (D, G*H, H) and B (D, 2*G*H) must be constants:
they are repacked into MXNet's flat parameter vector (per direction the
input then the hidden matrix, then all the biases) with the gates put back
into MXNet's order.
"""
import numpy as np

from ...base import MXNetError
from .import_rules import imports

# ONNX's gate order -> MXNet's: LSTM i,o,f,c -> i,f,g,o; GRU z,r,h -> r,z,n.
_GATE_ORDER = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}
_DEFAULT_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}


def _unsupported(node, what):
    return MXNetError(f"import_model: {node.op_type} '{node.name}': {what} is not supported")


def _mode(node, attrs, dirs):
    """MXNet's ``mode`` for the node, checking the settings MXNet's cells share."""
    op = node.op_type
    acts = list(attrs.get("activations", []))
    for key in ("clip", "input_forget"):
        if attrs.get(key):
            raise _unsupported(node, f"attribute '{key}'")
    if attrs.get("layout", 0):
        raise _unsupported(node, "layout=1 (batch first)")
    if op == "RNN":
        kind = acts[0] if acts else "Tanh"
        if kind not in ("Tanh", "Relu") or len(set(acts)) > 1:
            raise _unsupported(node, f"activations {acts}")
        return "rnn_tanh" if kind == "Tanh" else "rnn_relu"
    if acts and acts != _DEFAULT_ACTIVATIONS[op] * dirs:
        raise _unsupported(node, f"activations {acts}")
    if op == "GRU":
        if not attrs.get("linear_before_reset", 0):
            raise _unsupported(node, "linear_before_reset=0 (MXNet resets after the product)")
        return "gru"
    return "lstm"


def _reorder(matrix, order, hidden):
    """Gate blocks of ``matrix`` (rows G*H) taken in ``order``."""
    return np.concatenate([matrix[g * hidden:(g + 1) * hidden] for g in order])


def _flat_params(ctx, node, dirs, gates, hidden, order):
    w = ctx.constant(node, 1, "W")
    r = ctx.constant(node, 2, "R")
    b = ctx.constant(node, 3, "B")
    if b is None:
        b = np.zeros((dirs, 2 * gates * hidden), w.dtype)
    parts = []
    for d in range(dirs):
        parts += [_reorder(w[d], order, hidden).ravel(), _reorder(r[d], order, hidden).ravel()]
    for d in range(dirs):
        parts += [_reorder(b[d, :gates * hidden], order, hidden),
                  _reorder(b[d, gates * hidden:], order, hidden)]
    return np.concatenate(parts).astype(w.dtype)


def _initial(ctx, node, index, dirs, hidden):
    if len(node.input) > index and node.input[index]:
        return ctx.tensor(node.input[index])
    # No initial state: zeros, which needs the batch size now.
    return ctx.sym.zeros(shape=(dirs, ctx.shape(node.input[0], node)[1], hidden))


@imports("LSTM", "GRU", "RNN")
def recurrent(ctx, node, attrs):
    if len(node.input) > 4 and node.input[4]:
        raise _unsupported(node, "input 'sequence_lens'")
    if len(node.input) > 7 and node.input[7]:
        raise _unsupported(node, "peephole input 'P'")
    dirs = 2 if attrs.get("direction", "forward") == "bidirectional" else 1
    if attrs.get("direction", "forward") == "reverse":
        raise _unsupported(node, "direction 'reverse'")
    mode = _mode(node, attrs, dirs)
    order = _GATE_ORDER[node.op_type]
    hidden = attrs["hidden_size"]
    flat = _flat_params(ctx, node, dirs, len(order), hidden, order)
    states = [_initial(ctx, node, 5, dirs, hidden)]
    if mode == "lstm":
        states.append(_initial(ctx, node, 6, dirs, hidden))
    outs = ctx.sym.RNN(ctx.tensor(node.input[0]), ctx.param(f"{node.name}_parameters", flat),
                       *states, state_size=hidden, num_layers=1, mode=mode,
                       bidirectional=dirs == 2, state_outputs=True)
    # MXNet's (T, N, D*H) output is ONNX's (T, D, N, H) with the axes swapped.
    y = ctx.sym.transpose(ctx.sym.reshape(outs[0], shape=(0, 0, dirs, hidden)),
                          axes=(0, 2, 1, 3))
    return [y] + [outs[i] for i in range(1, len(states) + 1)]
