"""Fused recurrent layers (RNN, LSTM, GRU): a whole multi-layer,
optionally bidirectional network run over a sequence by the ``RNN`` operator.

Each layer and direction owns four parameters named ``<d><layer>_<i2h|h2h>_
<weight|bias>`` (d is 'l' forwards, 'r' backwards; LSTMs with a projection
add ``<d><layer>_h2r_weight``), e.g. ``lstm0_l0_i2h_weight``. At run time they
are flattened and concatenated (``_rnn_param_concat``) in the order the
operator expects: every weight (layer by layer, direction by direction,
i2h then h2h then h2r), then every bias. ``save_parameters`` uses MXNet's
structural names for them (``_unfused.0.l_cell.i2h_weight`` when
bidirectional, else ``_unfused.0.i2h_weight``), so files move both ways.
"""
import re

from ... import ndarray, symbol
from ...base import MXNetError
from ...util import is_np_array
from ..hybrid import HybridBlock
from ..np_boundary import legacy_body, to_np

__all__ = ["RNN", "LSTM", "GRU"]

_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}
_PARAM_NAME = re.compile(r"(l|r)(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")


class _RNNLayer(HybridBlock):
    """Shared implementation of RNN, LSTM and GRU (``mode`` picks the cell)."""

    def __init__(self, hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                 i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                 h2h_bias_initializer, mode, projection_size, h2r_weight_initializer,
                 lstm_state_clip_min, lstm_state_clip_max, lstm_state_clip_nan, dtype,
                 use_sequence_length=False, **kwargs):
        super().__init__(**kwargs)
        if layout not in ("TNC", "NTC"):
            raise AssertionError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
        self._hidden_size = hidden_size
        self._projection_size = projection_size if projection_size else None
        self._num_layers = num_layers
        self._mode = mode
        self._layout = layout
        self._dropout = dropout
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._i2h_weight_initializer = i2h_weight_initializer
        self._h2h_weight_initializer = h2h_weight_initializer
        self._i2h_bias_initializer = i2h_bias_initializer
        self._h2h_bias_initializer = h2h_bias_initializer
        self._h2r_weight_initializer = h2r_weight_initializer
        self._lstm_state_clip_min = lstm_state_clip_min
        self._lstm_state_clip_max = lstm_state_clip_max
        self._lstm_state_clip_nan = lstm_state_clip_nan
        self._dtype = dtype
        self._use_sequence_length = use_sequence_length
        self.skip_states = None
        self._gates = _GATES[mode]

        rows, nh, npr = self._gates * hidden_size, hidden_size, self._projection_size
        ni = input_size
        for i in range(num_layers):
            for d in "lr"[:self._dir]:
                self._register_param(f"{d}{i}_i2h_weight", (rows, ni), i2h_weight_initializer,
                                     dtype)
                self._register_param(f"{d}{i}_h2h_weight", (rows, npr or nh),
                                     h2h_weight_initializer, dtype)
                self._register_param(f"{d}{i}_i2h_bias", (rows,), i2h_bias_initializer, dtype)
                self._register_param(f"{d}{i}_h2h_bias", (rows,), h2h_bias_initializer, dtype)
                if npr:
                    self._register_param(f"{d}{i}_h2r_weight", (npr, nh),
                                         h2r_weight_initializer, dtype)
            ni = (npr or nh) * self._dir

    def _register_param(self, name, shape, init, dtype):
        param = self.params.get(name, shape=shape, init=init, allow_deferred_init=True,
                                dtype=dtype)
        setattr(self, name, param)
        return param

    def __repr__(self):
        shape = self.l0_i2h_weight.shape
        text = (f"{type(self).__name__}({shape[1] if shape[1] else None} -> "
                f"{shape[0] // self._gates}, {self._layout}")
        if self._num_layers != 1:
            text += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            text += f", dropout={self._dropout}"
        if self._dir == 2:
            text += ", bidirectional"
        return text + ")"

    def _collect_params_with_prefix(self, prefix=""):
        """Structural names as MXNet writes them (those of its older unfused
        cell stacks), so parameter files are interchangeable."""
        if prefix:
            prefix += "."
        matches = {key: _PARAM_NAME.match(key) for key in self._reg_params}
        bidirectional = any(m.group(1) == "r" for m in matches.values())
        out = {}
        for key, param in self._reg_params.items():
            d, layer, kind, what = matches[key].groups()
            cell = f"{d}_cell." if bidirectional else ""
            out[f"{prefix}_unfused.{layer}.{cell}{kind}_{what}"] = param
        for name, child in self._children.items():
            out.update(child._collect_params_with_prefix(prefix + name))
        return out

    def state_info(self, batch_size=0):
        """Shapes, layouts and dtypes of the states ((layers*directions, N, size) each)."""
        raise NotImplementedError

    def infer_shape(self, inputs, *args):
        """Complete the first layer's input-to-hidden weights from the input's feature size."""
        if len(inputs.shape) != 3:
            raise MXNetError(f"{type(self).__name__}: input data must be a 3-d tensor laid out "
                             f"{self._layout}, got shape {inputs.shape}")
        ni = inputs.shape[2]
        for i in range(self._num_layers):
            for d in "lr"[:self._dir]:
                getattr(self, f"{d}{i}_i2h_weight").shape = (self._gates * self._hidden_size, ni)
            ni = (self._projection_size or self._hidden_size) * self._dir

    def cast(self, dtype):
        super().cast(dtype)
        self._dtype = dtype

    def begin_state(self, batch_size=0, func=ndarray.zeros, **kwargs):
        """Initial states made by ``func(name=..., shape=..., dtype=..., **kwargs)``."""
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info = dict(info, **kwargs) if info is not None else kwargs
            states.append(func(name=f"{self.prefix}h0_{i}", **info))
        return to_np(states) if is_np_array() else states

    def __call__(self, inputs, states=None, sequence_length=None, **kwargs):
        """Run over ``inputs``; returns the outputs alone when ``states`` is
        None (zeros are used), else (outputs, final states)."""
        self.skip_states = states is None
        if states is None:
            if isinstance(inputs, ndarray.NDArray):
                batch_size = inputs.shape[self._layout.find("N")]
                states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
            else:
                states = self.begin_state(0, func=symbol.zeros)
        if isinstance(states, (ndarray.NDArray, symbol.Symbol)):
            states = [states]
        if self._use_sequence_length:
            return super().__call__(inputs, states, sequence_length, **kwargs)
        return super().__call__(inputs, states, **kwargs)

    @legacy_body
    def hybrid_forward(self, F, inputs, states, sequence_length=None, **kwargs):
        if F is ndarray:
            batch_size = inputs.shape[self._layout.find("N")]
            for state, info in zip(states, self.state_info(batch_size)):
                if state.shape != info["shape"]:
                    raise ValueError(f"Invalid recurrent state shape. Expecting "
                                     f"{info['shape']}, got {state.shape}.")
        out = self._forward_kernel(F, inputs, states, sequence_length, **kwargs)
        return out[0] if self.skip_states else out

    def _flat_params(self, F, params):
        """The operator's flat parameter vector: all weights, then all biases."""
        kinds = ("i2h", "h2h", "h2r") if self._projection_size else ("i2h", "h2h")
        order = [f"{d}{i}_{g}_weight" for i in range(self._num_layers)
                 for d in "lr"[:self._dir] for g in kinds]
        order += [f"{d}{i}_{g}_bias" for i in range(self._num_layers)
                  for d in "lr"[:self._dir] for g in ("i2h", "h2h")]
        flat = [F.reshape(params[name], shape=(-1,)) for name in order]
        return F._internal._rnn_param_concat(*flat, dim=0)

    def _forward_kernel(self, F, inputs, states, sequence_length, **kwargs):
        if self._layout == "NTC":
            inputs = F.swapaxes(inputs, 0, 1)
        args = list(states) + ([sequence_length] if self._use_sequence_length else [])
        rnn = F.RNN(inputs, self._flat_params(F, kwargs), *args,
                    use_sequence_length=self._use_sequence_length,
                    state_size=self._hidden_size, projection_size=self._projection_size,
                    num_layers=self._num_layers, bidirectional=self._dir == 2,
                    p=self._dropout, state_outputs=True, mode=self._mode,
                    lstm_state_clip_min=self._lstm_state_clip_min,
                    lstm_state_clip_max=self._lstm_state_clip_max,
                    lstm_state_clip_nan=self._lstm_state_clip_nan)
        outputs = rnn[0]
        states = [rnn[1], rnn[2]] if self._mode == "lstm" else [rnn[1]]
        if self._layout == "NTC":
            outputs = F.swapaxes(outputs, 0, 1)
        return outputs, states


def _state(shape, dtype):
    return {"shape": shape, "__layout__": "LNC", "dtype": dtype}


class RNN(_RNNLayer):
    """Multi-layer Elman RNN, ``h_t = activation(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``
    with ``activation`` 'relu' or 'tanh'. Inputs are laid out ``layout``
    ('TNC' or 'NTC'); one state of shape (num_layers*directions, N, hidden_size)."""

    def __init__(self, hidden_size, num_layers=1, activation="relu", layout="TNC", dropout=0,
                 bidirectional=False, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", input_size=0,
                 dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "rnn_" + activation, None, None, None, None,
                         False, dtype, **kwargs)

    def state_info(self, batch_size=0):
        return [_state((self._num_layers * self._dir, batch_size, self._hidden_size),
                       self._dtype)]


class LSTM(_RNNLayer):
    """Multi-layer LSTM (gates input, forget, cell, output). Two states, h and
    c; with ``projection_size`` the recurrent state h is projected to that size
    (LSTMP). ``state_clip_min``/``state_clip_max`` clip the cell state."""

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros",
                 projection_size=None, h2r_weight_initializer=None, state_clip_min=None,
                 state_clip_max=None, state_clip_nan=False, dtype="float32", **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "lstm", projection_size, h2r_weight_initializer,
                         state_clip_min, state_clip_max, state_clip_nan, dtype, **kwargs)

    def state_info(self, batch_size=0):
        lead = (self._num_layers * self._dir, batch_size)
        h_size = self._projection_size or self._hidden_size
        return [_state(lead + (h_size,), self._dtype),
                _state(lead + (self._hidden_size,), self._dtype)]


class GRU(_RNNLayer):
    """Multi-layer GRU (gates reset, update, new; the reset gate applies after
    the hidden projection). One state of shape (num_layers*directions, N, hidden_size)."""

    def __init__(self, hidden_size, num_layers=1, layout="TNC", dropout=0, bidirectional=False,
                 input_size=0, i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros", dtype="float32",
                 **kwargs):
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, "gru", None, None, None, None, False, dtype,
                         **kwargs)

    def state_info(self, batch_size=0):
        return [_state((self._num_layers * self._dir, batch_size, self._hidden_size),
                       self._dtype)]
