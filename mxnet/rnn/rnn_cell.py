"""Legacy symbolic RNN cells (``mx.rnn``): plain RNN, LSTM, GRU and the fused
multi-layer cell over the ``RNN`` operator, plus (re-exported here, where
MXNet 1.x keeps them) the cells that combine or modify other cells.

One step of a cell is FullyConnected layers on the input (``i2h``) and the
previous hidden state (``h2h``) with the gates stacked along the output
axis, then the gate nonlinearities; the symbol names carry the step
(``lstm_t3_out``), as in MXNet 1.x.
"""
import warnings

from .. import initializer, ndarray, symbol
from ..base import MXNetError
from .rnn_cell_base import (BaseRNNCell, BidirectionalCell, DropoutCell, ModifierCell,
                            RNNParams, ResidualCell, SequentialRNNCell, ZoneoutCell,
                            normalize_sequence)

__all__ = ["RNNParams", "BaseRNNCell", "RNNCell", "LSTMCell", "GRUCell", "FusedRNNCell",
           "SequentialRNNCell", "DropoutCell", "ModifierCell", "ZoneoutCell", "ResidualCell",
           "BidirectionalCell"]


def _hidden_state(num_hidden):
    return {"shape": (0, num_hidden), "__layout__": "NC"}


class _StepCell(BaseRNNCell):
    """A cell with stacked i2h/h2h weights and biases; ``_step`` gives the
    step's name prefix and the two FullyConnected results."""

    def __init__(self, num_hidden, prefix, params, num_gates, i2h_bias_init=None):
        super().__init__(prefix=prefix, params=params)
        self._num_hidden = num_hidden
        self._num_gates = num_gates
        self._iW = self.params.get("i2h_weight")
        self._hW = self.params.get("h2h_weight")
        self._iB = self.params.get("i2h_bias", **({"init": i2h_bias_init}
                                                  if i2h_bias_init is not None else {}))
        self._hB = self.params.get("h2h_bias")

    def _step(self, inputs, state, sep=""):
        self._counter += 1
        name = f"{self._prefix}t{self._counter}_"
        units = self._num_hidden * self._num_gates
        i2h = symbol.FullyConnected(data=inputs, weight=self._iW, bias=self._iB,
                                    num_hidden=units, name=f"{name}{sep}i2h")
        h2h = symbol.FullyConnected(data=state, weight=self._hW, bias=self._hB,
                                    num_hidden=units, name=f"{name}{sep}h2h")
        return name, i2h, h2h


class RNNCell(_StepCell):
    """Elman cell: ``h' = activation(W_i x + b_i + W_h h + b_h)``."""

    def __init__(self, num_hidden, activation="tanh", prefix="rnn_", params=None):
        super().__init__(num_hidden, prefix, params, 1)
        self._activation = activation

    @property
    def state_info(self):
        return [_hidden_state(self._num_hidden)]

    @property
    def _gate_names(self):
        return ("",)

    def __call__(self, inputs, states):
        name, i2h, h2h = self._step(inputs, states[0])
        output = self._get_activation(i2h + h2h, self._activation, name=f"{name}out")
        return output, [output]


class LSTMCell(_StepCell):
    """LSTM cell (gates in, forget, cell, out); states ``[h, c]``. The i2h bias
    is initialised with the forget gate's part at ``forget_bias``."""

    def __init__(self, num_hidden, prefix="lstm_", params=None, forget_bias=1.0):
        super().__init__(num_hidden, prefix, params, 4,
                         i2h_bias_init=initializer.LSTMBias(forget_bias=forget_bias))

    @property
    def state_info(self):
        return [_hidden_state(self._num_hidden), _hidden_state(self._num_hidden)]

    @property
    def _gate_names(self):
        return ["_i", "_f", "_c", "_o"]

    def __call__(self, inputs, states):
        name, i2h, h2h = self._step(inputs, states[0])
        gates = symbol.SliceChannel(i2h + h2h, num_outputs=4, name=f"{name}slice")
        in_gate = symbol.Activation(gates[0], act_type="sigmoid", name=f"{name}i")
        forget_gate = symbol.Activation(gates[1], act_type="sigmoid", name=f"{name}f")
        in_transform = symbol.Activation(gates[2], act_type="tanh", name=f"{name}c")
        out_gate = symbol.Activation(gates[3], act_type="sigmoid", name=f"{name}o")
        next_c = symbol._internal._plus(forget_gate * states[1], in_gate * in_transform,
                                        name=f"{name}state")
        next_h = symbol._internal._mul(out_gate, symbol.Activation(next_c, act_type="tanh"),
                                       name=f"{name}out")
        return next_h, [next_h, next_c]


class GRUCell(_StepCell):
    """GRU cell (gates reset, update, candidate), with the reset gate applied
    to the h2h product as in cuDNN."""

    def __init__(self, num_hidden, prefix="gru_", params=None):
        super().__init__(num_hidden, prefix, params, 3)

    @property
    def state_info(self):
        return [_hidden_state(self._num_hidden)]

    @property
    def _gate_names(self):
        return ["_r", "_z", "_o"]

    def __call__(self, inputs, states):
        prev_h = states[0]
        name, i2h, h2h = self._step(inputs, prev_h, sep="_")
        i2h_r, i2h_z, i2h = symbol.SliceChannel(i2h, num_outputs=3, name=f"{name}_i2h_slice")
        h2h_r, h2h_z, h2h = symbol.SliceChannel(h2h, num_outputs=3, name=f"{name}_h2h_slice")
        reset = symbol.Activation(i2h_r + h2h_r, act_type="sigmoid", name=f"{name}_r_act")
        update = symbol.Activation(i2h_z + h2h_z, act_type="sigmoid", name=f"{name}_z_act")
        candidate = symbol.Activation(i2h + reset * h2h, act_type="tanh", name=f"{name}_h_act")
        next_h = symbol._internal._plus((1. - update) * candidate, update * prev_h,
                                        name=f"{name}out")
        return next_h, [next_h]


_MODE_GATES = {"rnn_relu": [""], "rnn_tanh": [""], "lstm": ["_i", "_f", "_c", "_o"],
               "gru": ["_r", "_z", "_o"]}


class FusedRNNCell(BaseRNNCell):
    """Several RNN layers (optionally bidirectional) as one ``RNN`` operator with
    one packed parameter vector (``<prefix>parameters``). It cannot be stepped;
    ``unfuse`` gives the equivalent stack of step cells, and
    ``unpack_weights``/``pack_weights`` convert between the two parameter forms."""

    _zoneout_refusal = "FusedRNNCell doesn't support zoneout. Please unfuse first."

    def __init__(self, num_hidden, num_layers=1, mode="lstm", bidirectional=False,
                 dropout=0., get_next_state=False, forget_bias=1.0, prefix=None, params=None):
        if mode not in _MODE_GATES:
            raise MXNetError(f"FusedRNNCell: mode must be one of {sorted(_MODE_GATES)}, "
                             f"got {mode!r}")
        super().__init__(prefix=f"{mode}_" if prefix is None else prefix, params=params)
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._dropout = dropout
        self._get_next_state = get_next_state
        self._directions = ["l", "r"] if bidirectional else ["l"]
        self._parameter = self.params.get("parameters", init=initializer.FusedRNN(
            None, num_hidden, num_layers, mode, bidirectional, forget_bias))

    @property
    def state_info(self):
        shape = (len(self._directions) * self._num_layers, 0, self._num_hidden)
        return [{"shape": shape, "__layout__": "LNC"}
                for _ in range(2 if self._mode == "lstm" else 1)]

    @property
    def _gate_names(self):
        return _MODE_GATES[self._mode]

    @property
    def _num_gates(self):
        return len(self._gate_names)

    def _blocks(self, size):
        return [(self._prefix + name, pos, shape) for name, pos, shape in
                initializer.fused_rnn_blocks(size, self._num_hidden, self._num_layers,
                                             self._mode, self._bidirectional)]

    def unpack_weights(self, args):
        args = args.copy()
        packed = args.pop(self._parameter.name)
        flat = packed.reshape((-1,))
        for name, pos, shape in self._blocks(packed.size):
            size = 1
            for d in shape:
                size *= d
            args[name] = flat[pos:pos + size].reshape(shape).copy()
        return args

    def pack_weights(self, args):
        args = args.copy()
        first = args[f"{self._prefix}l0_i2h{self._gate_names[0]}_weight"]
        h, b, m = self._num_hidden, len(self._directions), self._num_gates
        size = (first.shape[1] + h + 2) * h * m * b \
            + (self._num_layers - 1) * m * h * (h + b * h + 2) * b
        pieces = [args.pop(name).reshape((-1,)) for name, _, _ in self._blocks(size)]
        args[self._parameter.name] = ndarray.concatenate(pieces).as_in_context(first.context)
        return args

    def __call__(self, inputs, states):
        raise NotImplementedError("FusedRNNCell cannot be stepped. Please use unroll")

    def unroll(self, length, inputs, begin_state=None, layout="NTC", merge_outputs=None):
        self.reset()
        inputs, axis = normalize_sequence(length, inputs, layout, True)
        if axis == 1:  # the RNN operator runs time-major
            warnings.warn("NTC layout detected. Consider using TNC for FusedRNNCell for faster "
                          "speed")
            inputs = symbol.swapaxes(inputs, dim1=0, dim2=1)
        states = self.begin_state() if begin_state is None else begin_state
        state_args = {"state": states[0]}
        if self._mode == "lstm":
            state_args["state_cell"] = states[1]
        rnn = symbol.RNN(data=inputs, parameters=self._parameter, state_size=self._num_hidden,
                         num_layers=self._num_layers, bidirectional=self._bidirectional,
                         p=self._dropout, state_outputs=self._get_next_state, mode=self._mode,
                         name=self._prefix + "rnn", **state_args)
        if not self._get_next_state:
            outputs, states = rnn, []
        else:
            outputs = rnn[0]
            states = [rnn[i] for i in range(1, 3 if self._mode == "lstm" else 2)]
            for state in states:
                state._set_attr(__layout__="LNC")
        if axis == 1:
            outputs = symbol.swapaxes(outputs, dim1=0, dim2=1)
        outputs, _ = normalize_sequence(length, outputs, layout, merge_outputs)
        return outputs, states

    def unfuse(self):
        """The same network as a SequentialRNNCell of step cells (named
        ``<prefix>l0_``..., with DropoutCells between layers when dropout > 0)."""
        h = self._num_hidden
        make = {"rnn_relu": lambda p: RNNCell(h, activation="relu", prefix=p),
                "rnn_tanh": lambda p: RNNCell(h, activation="tanh", prefix=p),
                "lstm": lambda p: LSTMCell(h, prefix=p),
                "gru": lambda p: GRUCell(h, prefix=p)}[self._mode]
        stack = SequentialRNNCell()
        for layer in range(self._num_layers):
            if self._bidirectional:
                stack.add(BidirectionalCell(make(f"{self._prefix}l{layer}_"),
                                            make(f"{self._prefix}r{layer}_"),
                                            output_prefix=f"{self._prefix}bi_l{layer}_"))
            else:
                stack.add(make(f"{self._prefix}l{layer}_"))
            if self._dropout > 0 and layer != self._num_layers - 1:
                stack.add(DropoutCell(self._dropout, prefix=f"{self._prefix}_dropout{layer}_"))
        return stack
