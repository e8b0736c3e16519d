"""ONNX export of the fused ``RNN`` operator (LSTM, GRU, vanilla RNN), as one
ONNX LSTM/GRU/RNN node per layer.

MXNet keeps every weight in one flat vector: per layer and direction the
input matrix (G*H, C_in) then the hidden matrix (G*H, H); after all of them,
in the same order, the input and hidden biases (G*H each). The graph slices
that vector (so it may be an input as well as an initializer), reorders the
gates into ONNX's order and stacks the directions.
"""
from .export_rules import exports

# MXNet's gate order -> ONNX's: LSTM i,f,g,o -> i,o,f,c; GRU r,z,n -> z,r,h.
_GATE_ORDER = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn_tanh": [0], "rnn_relu": [0]}
_ONNX_OP = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "RNN", "rnn_relu": "RNN"}


def _layout(num_layers, dirs, gates, hidden, input_size):
    """``[(layer, direction, {part: (offset, rows, cols)})]`` of the flat vector."""
    blocks, off = [], 0
    for layer in range(num_layers):
        cin = input_size if layer == 0 else dirs * hidden
        for d in range(dirs):
            parts = {"wi": (off, gates * hidden, cin)}
            off += gates * hidden * cin
            parts["wh"] = (off, gates * hidden, hidden)
            off += gates * hidden * hidden
            blocks.append((layer, d, parts))
    for _, _, parts in blocks:
        parts["bi"] = (off, gates * hidden, 1)
        parts["bh"] = (off + gates * hidden, gates * hidden, 1)
        off += 2 * gates * hidden
    return blocks


class _Params:
    """Slices of the flat parameter vector, gate-reordered for ONNX."""

    def __init__(self, ctx, node, hidden):
        self.ctx, self.node = ctx, node
        self.order = _GATE_ORDER[node.attrs.mode]
        self.hidden = hidden

    def block(self, offset, rows, cols, is_matrix):
        """The (1, rows, cols) matrix, or with ``is_matrix`` False the (1, rows)
        bias, stored at ``offset``, its gates reordered."""
        ctx, name = self.ctx, self.node.name
        flat = ctx.emit("Slice", [self.node.inputs[1],
                                  ctx.ints(f"{name}_start", [offset]),
                                  ctx.ints(f"{name}_end", [offset + rows * cols])])
        matrix = ctx.emit("Reshape", [flat, ctx.ints(f"{name}_shape", [rows, cols])])
        h = self.hidden
        if self.order != list(range(len(self.order))):
            pieces = [ctx.emit("Slice", [matrix, ctx.ints(f"{name}_gs", [g * h]),
                                         ctx.ints(f"{name}_ge", [(g + 1) * h]),
                                         ctx.ints(f"{name}_ga", [0])]) for g in self.order]
            matrix = ctx.emit("Concat", pieces, axis=0)
        shape = [1, rows, cols] if is_matrix else [1, rows]
        return ctx.emit("Reshape", [matrix, ctx.ints(f"{name}_shape", shape)])


def _check(node):
    a = node.attrs
    if a.projection_size:
        raise node.unsupported("projection_size (LSTMP)")
    if a.lstm_state_clip_min is not None or a.lstm_state_clip_max is not None:
        raise node.unsupported("lstm_state_clip_min/max")
    if a.use_sequence_length:
        raise node.unsupported("use_sequence_length=True")


@exports("RNN")
def rnn(ctx, node):
    _check(node)
    a = node.attrs
    mode, hidden, layers = a.mode, a.state_size, a.num_layers
    dirs = 2 if a.bidirectional else 1
    gates = len(_GATE_ORDER[mode])
    input_size = node.in_shapes[0][2]
    params = _Params(ctx, node, hidden)
    blocks = _layout(layers, dirs, gates, hidden, input_size)
    x = node.inputs[0]
    finals = {"h": [], "c": []}
    for layer in range(layers):
        mine = [parts for lay, _, parts in blocks if lay == layer]
        w = _stack(ctx, [params.block(*p["wi"], True) for p in mine])
        r = _stack(ctx, [params.block(*p["wh"], True) for p in mine])
        b = _stack(ctx, [ctx.emit("Concat", [params.block(*p["bi"], False),
                                             params.block(*p["bh"], False)], axis=1)
                         for p in mine])
        states = [_layer_state(ctx, node, node.inputs[i], layer, dirs)
                  for i in range(2, 4 if mode == "lstm" else 3)]
        y, y_h, y_c = (ctx.reserve(f"{node.name}_l{layer}_{k}") for k in ("y", "h", "c"))
        outputs = [y, y_h, y_c] if mode == "lstm" else [y, y_h]
        extra = _cell_attrs(mode, dirs)
        ctx.emit_multi(_ONNX_OP[mode], [x, w, r, b, ""] + states, outputs,
                       hidden_size=hidden, direction="bidirectional" if dirs == 2 else "forward",
                       **extra)
        finals["h"].append(y_h)
        if mode == "lstm":
            finals["c"].append(y_c)
        # Y is (T, directions, N, H); the next layer reads (T, N, directions * H).
        moved = ctx.emit("Transpose", [y], perm=[0, 2, 1, 3])
        x = ctx.emit("Reshape", [moved, ctx.ints(f"{node.name}_y_shape", [0, 0, -1])])
    ctx.emit("Identity", [x], node.outputs[0])
    for out, key in zip(node.outputs[1:], ("h", "c")):
        ctx.emit("Concat", finals[key], out, axis=0)


def _stack(ctx, per_direction):
    return per_direction[0] if len(per_direction) == 1 else \
        ctx.emit("Concat", per_direction, axis=0)


def _layer_state(ctx, node, state, layer, dirs):
    """Rows ``layer * dirs`` to ``(layer + 1) * dirs`` of a (L*D, N, H) state."""
    return ctx.emit("Slice", [state, ctx.ints(f"{node.name}_state_start", [layer * dirs]),
                              ctx.ints(f"{node.name}_state_end", [(layer + 1) * dirs]),
                              ctx.ints(f"{node.name}_state_axis", [0])])


def _cell_attrs(mode, dirs):
    if mode == "gru":
        # MXNet's GRU applies the reset gate after the hidden product and bias.
        return {"linear_before_reset": 1}
    if mode in ("rnn_tanh", "rnn_relu"):
        return {"activations": ["Tanh" if mode == "rnn_tanh" else "Relu"] * dirs}
    return {}
