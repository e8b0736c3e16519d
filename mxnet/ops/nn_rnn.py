"""The fused recurrent operator (``RNN``) with its backprop-through-time kernel,
and ``_rnn_param_concat`` used by gluon's fused layers.

``RNN`` runs a stack of ``num_layers`` recurrent layers (both directions when
``bidirectional``) over a (T, N, C) sequence. All weights live in one flat
``parameters`` vector packed the way MXNet packs it: first, for every layer
and direction in order, the input-to-hidden matrix (G*H, C_in), the
hidden-to-hidden matrix (G*H, R) and, with a projection, the projection
matrix (P, H); then, in the same order, the input and hidden bias vectors
(G*H each). G is the number of gates (1, 4 for LSTM in order i, f, g, o,
3 for GRU in order r, z, n) and R the recurrent size (P with a projection,
else H). GRU applies the reset gate after the hidden matrix product:
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.

The gradient is one fused op, ``_backward_RNN``, which reruns the forward
pass keeping the per-step activations and then walks the sequence backwards.
Dropout between layers (training mode, ``p > 0``) needs the same mask in
both passes, so the forward op then returns the mask as a hidden output.
"""
from ..base import MXNetError
from .params import Param
from .registry import OpDef, add, register
from .shape import _grad_concat

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}

_PARAMS = {
    "state_size": Param("int", doc="Size of the hidden state of each layer."),
    "num_layers": Param("int", doc="Number of stacked layers."),
    "bidirectional": Param("bool", False, doc="Run a second layer backwards in time."),
    "mode": Param("str", choices=tuple(sorted(_GATES)), doc="The recurrent cell."),
    "p": Param("float", 0.0, doc="Dropout rate on the outputs of every layer but the last."),
    "state_outputs": Param("bool", False, doc="Also return the final states."),
    "projection_size": Param("int", None, doc="LSTM projection size (LSTMP)."),
    "lstm_state_clip_min": Param("float", None, doc="Lower clip of the LSTM cell state."),
    "lstm_state_clip_max": Param("float", None, doc="Upper clip of the LSTM cell state."),
    "lstm_state_clip_nan": Param("bool", False, doc="Clip NaN cell states to the bounds."),
    "use_sequence_length": Param("bool", False,
                                 doc="Take per-example lengths from `sequence_length`."),
}


# ---------------------------------------------------------------------------
# Layout and shapes

def _check(attrs):
    if attrs.state_size <= 0:
        raise MXNetError(f"RNN: argument 'state_size' must be positive, got {attrs.state_size}")
    if attrs.num_layers <= 0:
        raise MXNetError(f"RNN: argument 'num_layers' must be positive, got {attrs.num_layers}")
    if not 0.0 <= attrs.p < 1.0:
        raise MXNetError(f"RNN: argument 'p' (dropout rate) must be in [0, 1), got {attrs.p}")
    if attrs.projection_size is not None:
        if attrs.mode != "lstm":
            raise MXNetError(f"RNN: argument 'projection_size' is only supported for mode "
                             f"'lstm', got mode '{attrs.mode}'")
        if attrs.projection_size <= 0:
            raise MXNetError(f"RNN: argument 'projection_size' must be positive, got "
                             f"{attrs.projection_size}")
    if (attrs.lstm_state_clip_min is None) != (attrs.lstm_state_clip_max is None):
        raise MXNetError("RNN: arguments 'lstm_state_clip_min' and 'lstm_state_clip_max' "
                         "must be given together")


def _dirs(attrs):
    return 2 if attrs.bidirectional else 1


def _rec_size(attrs):
    """Size of the recurrent state h (and of each direction's output)."""
    return attrs.projection_size or attrs.state_size


def _blocks(attrs, input_size):
    """(offset, shape) of every weight and bias in the flat parameter vector,
    as a list with one dict per (layer, direction)."""
    G, H, R, D = _GATES[attrs.mode], attrs.state_size, _rec_size(attrs), _dirs(attrs)
    P = attrs.projection_size
    layout, off = [], 0
    for layer in range(attrs.num_layers):
        cin = input_size if layer == 0 else D * R
        for _ in range(D):
            entry = {"wi": (off, (G * H, cin))}
            off += G * H * cin
            entry["wh"] = (off, (G * H, R))
            off += G * H * R
            if P:
                entry["wr"] = (off, (P, H))
                off += P * H
            layout.append(entry)
    for entry in layout:
        entry["bi"] = (off, (G * H,))
        entry["bh"] = (off + G * H, (G * H,))
        off += 2 * G * H
    return layout, off


def _views(flat, layout):
    """Per (layer, direction) dicts of reshaped views into ``flat``."""
    return [{k: flat[o:o + _size(s)].reshape(s) for k, (o, s) in entry.items()}
            for entry in layout]


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _has_mask(attrs):
    return attrs.p > 0 and attrs.num_layers > 1


def _num_states(attrs):
    return 2 if attrs.mode == "lstm" else 1


def _num_outputs(attrs):
    return 1 + _num_states(attrs) + (1 if _has_mask(attrs) else 0)


def _visible(attrs):
    return 1 + _num_states(attrs) if attrs.state_outputs else 1


def _input_names(attrs):
    names = ["data", "parameters", "state"]
    if attrs.mode == "lstm":
        names.append("state_cell")
    if attrs.use_sequence_length:
        names.append("sequence_length")
    return names


def _output_names(attrs):
    names = ["output", "state_output", "statecell_output"][:1 + _num_states(attrs)]
    return names + (["dropout_mask"] if _has_mask(attrs) else [])


def _shapes(attrs, data_shape):
    """Shapes of (parameters, state), the outputs and the dropout mask."""
    _check(attrs)
    if len(data_shape) != 3:
        raise MXNetError(f"RNN: input 'data' must be 3-d (sequence length, batch size, "
                         f"input size), got shape {tuple(data_shape)}")
    T, N, C = data_shape
    D, R, H = _dirs(attrs), _rec_size(attrs), attrs.state_size
    n_params = _blocks(attrs, C)[1]
    state = (attrs.num_layers * D, N, R)
    cell = (attrs.num_layers * D, N, H)
    outs = [(T, N, D * R), state] + ([cell] if attrs.mode == "lstm" else [])
    if _has_mask(attrs):
        outs.append((attrs.num_layers - 1, T, N, D * R))
    return (n_params,), state, cell, outs


def _infer_shape(attrs, shapes):
    shapes = list(shapes)
    if shapes[0] is None:
        return shapes, [None] * _num_outputs(attrs)
    params, state, cell, outs = _shapes(attrs, shapes[0])
    expected = [tuple(shapes[0]), params, state] + ([cell] if attrs.mode == "lstm" else [])
    names = _input_names(attrs)
    if len(shapes) != len(names):
        raise MXNetError(f"RNN: mode '{attrs.mode}' with use_sequence_length="
                         f"{attrs.use_sequence_length} takes {len(names)} inputs "
                         f"({', '.join(names)}), got {len(shapes)}")
    if attrs.use_sequence_length:
        expected.append((shapes[0][1],))
    for i, (given, want) in enumerate(zip(shapes, expected)):
        if given is not None and tuple(given) != want:
            raise MXNetError(f"RNN: input '{names[i]}' must have shape {want} for data of "
                             f"shape {tuple(shapes[0])}, got {tuple(given)}")
    return expected, outs


def _infer_type(attrs, types):
    known = next((t for t in types[:3] if t is not None), None)
    n_float = 4 if attrs.mode == "lstm" else 3
    for i, t in enumerate(types[:n_float]):
        if t is not None and t != known:
            raise MXNetError(f"RNN: input '{_input_names(attrs)[i]}' must have dtype {known}, "
                             f"got {t}")
    ins = [known] * n_float + list(types[n_float:])
    return ins, [known] * _num_outputs(attrs)


# ---------------------------------------------------------------------------
# One direction of one layer, forward and backward

def _sigmoid(xp, x):
    return 1 / (1 + xp.exp(-x))


def _clip(xp, attrs, c):
    lo, hi = attrs.lstm_state_clip_min, attrs.lstm_state_clip_max
    if lo is None:
        return c
    if attrs.lstm_state_clip_nan:  # fmin/fmax map NaN to a bound instead of propagating it
        return xp.fmax(lo, xp.fmin(hi, c))
    return xp.clip(c, lo, hi)


def _cell(xp, attrs, gi, h, c, w):
    """One step: new (h, c) and the activations its backward step needs."""
    H, mode = attrs.state_size, attrs.mode
    gh = h @ w["wh"].T + w["bh"]
    if mode == "rnn_tanh":
        h = xp.tanh(gi + gh)
        return h, None, h
    if mode == "rnn_relu":
        h = xp.maximum(gi + gh, 0)
        return h, None, h
    if mode == "gru":
        rz = _sigmoid(xp, gi[:, :2 * H] + gh[:, :2 * H])
        r, z = rz[:, :H], rz[:, H:]
        n = xp.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h, None, (rz, n, gh[:, 2 * H:])
    a = gi + gh
    gates = _sigmoid(xp, a)
    gates[:, 2 * H:3 * H] = xp.tanh(a[:, 2 * H:3 * H])
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    raw = f * c + i * g
    c = _clip(xp, attrs, raw)
    tc = xp.tanh(c)
    hh = o * tc
    h = hh @ w["wr"].T if "wr" in w else hh
    return h, c, (gates, raw, tc, hh)


def _cell_backward(xp, attrs, dh, dc, h, c, saved, w):
    """Gradients of one step: (d input gates, d hidden gates, dh_prev without
    the matrix term, dc_prev, d of the unprojected output or None)."""
    H, mode = attrs.state_size, attrs.mode
    if mode == "rnn_tanh":
        da = dh * (1 - saved * saved)
        return da, da, 0, None, None
    if mode == "rnn_relu":
        da = dh * (saved > 0)
        return da, da, 0, None, None
    if mode == "gru":
        rz, n, ghn = saved
        r, z = rz[:, :H], rz[:, H:]
        dn = dh * (1 - z) * (1 - n * n)
        drz = xp.concatenate([dn * ghn, dh * (h - n)], axis=1) * rz * (1 - rz)
        dgi = xp.concatenate([drz, dn], axis=1)
        dgh = xp.concatenate([drz, dn * r], axis=1)
        return dgi, dgh, dh * z, None, None
    gates, raw, tc, hh = saved
    dhh = dh @ w["wr"] if "wr" in w else dh
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    dcell = dc + dhh * o * (1 - tc * tc)
    if attrs.lstm_state_clip_min is not None:
        dcell = dcell * ((raw >= attrs.lstm_state_clip_min) & (raw <= attrs.lstm_state_clip_max))
    dgate = xp.concatenate([dcell * g, dcell * c, dcell * i, dhh * tc], axis=1)
    deriv = gates * (1 - gates)
    deriv[:, 2 * H:3 * H] = 1 - g * g
    da = dgate * deriv
    return da, da, 0, dcell * f, (dh if "wr" in w else None)


def _direction(xp, attrs, x, h, c, w, reverse, valid, keep):
    """Run one direction over x (T, N, Cin); returns output (T, N, R), final
    h and c, and (with ``keep``) the per-step activations for backward."""
    T, N, cin = x.shape
    gi_all = (x.reshape(T * N, cin) @ w["wi"].T + w["bi"]).reshape(T, N, -1)
    out = xp.empty((T, N, h.shape[1]), dtype=x.dtype)
    trace = [None] * T if keep else None
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        h_new, c_new, saved = _cell(xp, attrs, gi_all[t], h, c, w)
        if keep:
            trace[t] = (h, c, saved)
        if valid is not None:  # past an example's length the state carries over
            m = valid[t]
            out[t] = xp.where(m, h_new, 0)
            h_new = xp.where(m, h_new, h)
            c_new = None if c is None else xp.where(m, c_new, c)
        else:
            out[t] = h_new
        h, c = h_new, c_new
    return out, h, c, trace


def _direction_backward(xp, attrs, x, dy, dh, dc, w, gw, reverse, valid, trace):
    """Backprop through time for one direction: accumulates the weight
    gradients into the views ``gw``; returns (dx, dh0, dc0)."""
    T, N, cin = x.shape
    G = w["wh"].shape[0]
    dgi_all = xp.zeros((T, N, G), dtype=x.dtype)
    dgh_all = xp.zeros((T, N, G), dtype=x.dtype)
    h_prev = xp.empty((T, N, w["wh"].shape[1]), dtype=x.dtype)
    dproj = hh_all = None
    if "wr" in w:
        dproj = xp.zeros((T, N, w["wr"].shape[0]), dtype=x.dtype)
        hh_all = xp.empty((T, N, w["wr"].shape[1]), dtype=x.dtype)
    for t in (range(T) if reverse else range(T - 1, -1, -1)):
        h, c, saved = trace[t]
        h_prev[t] = h
        step_dh = dh + dy[t]
        step_dc = dc
        if valid is not None:
            m = valid[t]
            step_dh = step_dh * m
            step_dc = None if dc is None else dc * m
        dgi, dgh, dh_new, dc_new, dp = _cell_backward(xp, attrs, step_dh, step_dc, h, c,
                                                      saved, w)
        dh_new = dh_new + dgh @ w["wh"]
        if valid is not None:
            dh_new = xp.where(m, dh_new, dh)
            dc_new = None if dc is None else xp.where(m, dc_new, dc)
        dgi_all[t] = dgi
        dgh_all[t] = dgh
        if dp is not None:
            dproj[t] = dp
            hh_all[t] = saved[3]
        dh, dc = dh_new, dc_new
    flat_gi = dgi_all.reshape(T * N, G)
    flat_gh = dgh_all.reshape(T * N, G)
    gw["wi"] += flat_gi.T @ x.reshape(T * N, cin)
    gw["bi"] += flat_gi.sum(axis=0)
    gw["wh"] += flat_gh.T @ h_prev.reshape(T * N, -1)
    gw["bh"] += flat_gh.sum(axis=0)
    if dproj is not None:
        gw["wr"] += dproj.reshape(T * N, -1).T @ hh_all.reshape(T * N, -1)
    dx = (flat_gi @ w["wi"]).reshape(T, N, cin)
    return dx, dh, dc


# ---------------------------------------------------------------------------
# Whole stack

def _split_inputs(attrs, args):
    """(state_cell, sequence_length, rest) from the inputs after the state."""
    cell = None
    if attrs.mode == "lstm":
        if not args:
            raise MXNetError("RNN: mode 'lstm' needs the input 'state_cell'")
        cell, args = args[0], args[1:]
    lengths = None
    if attrs.use_sequence_length:
        if not args:
            raise MXNetError("RNN: use_sequence_length=True needs the input 'sequence_length'")
        lengths, args = args[0], args[1:]
    return cell, lengths, args


def _valid_steps(xp, attrs, lengths, T, N):
    if lengths is None:
        return None
    lengths = lengths.astype("int64")
    if lengths.shape != (N,) or int(lengths.min()) < 1 or int(lengths.max()) > T:
        raise MXNetError(f"RNN: 'sequence_length' must hold {N} lengths in [1, {T}], got "
                         f"shape {lengths.shape}")
    return (xp.arange(T)[:, None] < lengths[None, :])[:, :, None]


def _work_dtype(xp, dtype):
    # float16 products lose too much over a sequence: compute in float32
    return xp.float32 if dtype == xp.float16 else dtype


def _stack(xp, attrs, data, params, state, cell, valid, masks, keep):
    """Run every layer; returns (output, hy list, cy list, per-layer inputs, traces)."""
    D = _dirs(attrs)
    weights = _views(params, _blocks(attrs, data.shape[2])[0])
    inp, hy, cy, layer_inputs, traces = data, [], [], [], []
    for layer in range(attrs.num_layers):
        if layer > 0 and masks is not None:
            inp = inp * masks[layer - 1]
        layer_inputs.append(inp)
        outs = []
        for d in range(D):
            k = layer * D + d
            out, h, c, trace = _direction(xp, attrs, inp, state[k],
                                          None if cell is None else cell[k], weights[k],
                                          d == 1, valid, keep)
            outs.append(out)
            hy.append(h)
            cy.append(c)
            traces.append(trace)
        inp = outs[0] if D == 1 else xp.concatenate(outs, axis=2)
    return inp, hy, cy, layer_inputs, traces


def _rnn(xp, attrs, data, params, state, *rest, is_train=False, rng=None):
    """Fused multi-layer RNN/LSTM/GRU over a (T, N, C) sequence with one
    flat parameter vector; returns the output sequence and, with
    `state_outputs`, the final hidden (and LSTM cell) states."""
    _infer_shape(attrs, [x.shape for x in (data, params, state) + rest])
    cell, lengths, _ = _split_inputs(attrs, rest)
    dtype = data.dtype
    work = _work_dtype(xp, dtype)
    T, N, _ = data.shape
    masks = None
    if _has_mask(attrs):
        shape = (attrs.num_layers - 1, T, N, _dirs(attrs) * _rec_size(attrs))
        if is_train:
            masks = xp.asarray(((rng.random(shape) >= attrs.p) / (1 - attrs.p)).astype(work))
        else:
            masks = xp.ones(shape, dtype=work)
    valid = _valid_steps(xp, attrs, lengths, T, N)
    out, hy, cy, _, _ = _stack(xp, attrs, data.astype(work), params.astype(work),
                               state.astype(work), None if cell is None else cell.astype(work),
                               valid, masks, False)
    results = [out.astype(dtype), xp.stack(hy).astype(dtype)]
    if cell is not None:
        results.append(xp.stack(cy).astype(dtype))
    if masks is not None:
        results.append(masks.astype(dtype))
    return tuple(results)


def _rnn_gradient(F, attrs, ins, outs, out_grads):
    n = 1 + _num_states(attrs)
    extra = [outs[n]] if _has_mask(attrs) else []
    grads = F._internal._backward_RNN(*ins, *out_grads[:n], *extra, **attrs)
    grads = list(grads)
    if attrs.use_sequence_length:
        grads.append(None)
    return grads


# Inputs depend on the mode: state_cell only for LSTM, sequence_length only
# with use_sequence_length.
add(OpDef("RNN", _rnn, params=_PARAMS,
          inputs=("data", "parameters", "state", "state_cell", "sequence_length"),
          active_inputs=_input_names,
          num_outputs=_num_outputs, visible_outputs=_visible, output_names=_output_names,
          infer_shape=_infer_shape, infer_type=_infer_type, gradient=_rnn_gradient,
          resources=("rng", "is_train")))


def _backward_infer_shape(attrs, shapes):
    n_in = len(_input_names(attrs))
    ins, _ = _infer_shape(attrs, list(shapes[:n_in]))
    n_grads = 4 if attrs.mode == "lstm" else 3
    return list(ins) + list(shapes[n_in:]), ins[:n_grads]


def _backward_infer_type(attrs, types):
    n = 4 if attrs.mode == "lstm" else 3
    return types, [types[0]] * n


@register("_backward_RNN", params=_PARAMS,
          inputs=("data", "parameters", "state", "state_cell", "sequence_length",
                  "out_grad", "state_grad", "statecell_grad", "dropout_mask"),
          num_outputs=lambda attrs: 4 if attrs.mode == "lstm" else 3,
          infer_shape=_backward_infer_shape, infer_type=_backward_infer_type)
def _backward_rnn(xp, attrs, data, params, state, *rest):
    """Gradients of RNN w.r.t. data, parameters, state (and state_cell) by
    backpropagation through time; inputs are RNN's inputs, then the
    gradients of its output and final states, then its dropout mask."""
    cell, lengths, rest = _split_inputs(attrs, rest)
    dy, dhy = rest[0], rest[1]
    dcy = rest[2] if cell is not None else None
    masks = rest[-1] if _has_mask(attrs) else None
    dtype = data.dtype
    work = _work_dtype(xp, dtype)
    T, N, C = data.shape
    D, R = _dirs(attrs), _rec_size(attrs)
    layout, n_params = _blocks(attrs, C)
    valid = _valid_steps(xp, attrs, lengths, T, N)
    params = params.astype(work)
    _, _, _, layer_inputs, traces = _stack(
        xp, attrs, data.astype(work), params, state.astype(work),
        None if cell is None else cell.astype(work), valid,
        None if masks is None else masks.astype(work), True)
    weights = _views(params, layout)
    dparams = xp.zeros(n_params, dtype=work)
    grad_views = _views(dparams, layout)
    dstate = xp.empty(state.shape, dtype=work)
    dcell = None if cell is None else xp.empty(cell.shape, dtype=work)
    dinp = dy.astype(work)
    if valid is not None:
        dinp = dinp * valid
    for layer in range(attrs.num_layers - 1, -1, -1):
        x = layer_inputs[layer]
        dx = xp.zeros(x.shape, dtype=work)
        for d in range(D):
            k = layer * D + d
            dh0, dc0 = dhy[k].astype(work), None if dcy is None else dcy[k].astype(work)
            ddx, dh0, dc0 = _direction_backward(
                xp, attrs, x, dinp[:, :, d * R:(d + 1) * R], dh0, dc0, weights[k],
                grad_views[k], d == 1, valid, traces[k])
            dx += ddx
            dstate[k] = dh0
            if dcell is not None:
                dcell[k] = dc0
        if layer > 0 and masks is not None:
            dx = dx * masks[layer - 1].astype(work)
        dinp = dx
    grads = [dinp.astype(dtype), dparams.astype(dtype), dstate.astype(dtype)]
    if dcell is not None:
        grads.append(dcell.astype(dtype))
    return tuple(grads)


# ---------------------------------------------------------------------------
# _rnn_param_concat

def _param_concat_shape(attrs, shapes, out_shapes=None):
    """Forwards when every input is known; backwards, one input whose size
    along ``dim`` is unknown (None, or 0 in MXNet's partial shapes) gets what
    the known output leaves over: how a deferred RNN parameter learns its shape."""
    if len(shapes) != attrs.num_args:
        raise MXNetError(f"_rnn_param_concat: num_args is {attrs.num_args} but "
                         f"{len(shapes)} inputs were given")
    out = out_shapes[0] if out_shapes else None
    unknown = [i for i, s in enumerate(shapes) if s is None or 0 in s]
    if len(unknown) == 1 and out is not None and 0 not in out:
        shapes = list(shapes)
        axis = attrs.dim % len(out)
        rest = sum(s[axis] for i, s in enumerate(shapes) if i != unknown[0])
        if rest > out[axis]:
            raise MXNetError(f"_rnn_param_concat: inputs {shapes} are larger than the output "
                             f"{tuple(out)} along dim={attrs.dim}")
        shapes[unknown[0]] = tuple(out[:axis]) + (out[axis] - rest,) + tuple(out[axis + 1:])
    elif unknown:
        return shapes, [None]
    first = tuple(shapes[0])
    axis = attrs.dim % len(first) if first else 0
    for s in shapes:
        if len(s) != len(first) or any(a != b for i, (a, b) in enumerate(zip(s, first))
                                       if i != axis):
            raise MXNetError(f"_rnn_param_concat: inputs must agree on every axis except "
                             f"dim={attrs.dim}, got shapes "
                             f"{', '.join(str(tuple(x)) for x in shapes)}")
    out = first[:axis] + (sum(s[axis] for s in shapes),) + first[axis + 1:]
    return shapes, [out]


_param_concat_shape.uses_outputs = True


def _param_concat_type(attrs, types):
    known = next((t for t in types if t is not None), None)
    if any(t is not None and t != known for t in types):
        raise MXNetError("_rnn_param_concat: inputs must share one dtype, got "
                         + ", ".join(str(t) for t in types))
    return [known] * len(types), [known]


@register("_rnn_param_concat", variadic="num_args",
          params={"num_args": Param("int", doc="Number of inputs."), "dim": Param("int", 1)},
          infer_shape=_param_concat_shape, infer_type=_param_concat_type,
          gradient=_grad_concat)
def _rnn_param_concat(xp, attrs, *data):
    """Join the per-gate parameter arrays of a fused RNN layer along `dim`
    (Concat, as used by gluon's rnn layers to build the flat parameter vector)."""
    _param_concat_shape(attrs, [x.shape for x in data])
    _param_concat_type(attrs, [x.dtype.name for x in data])
    return xp.concatenate(data, axis=attrs.dim % data[0].ndim)
