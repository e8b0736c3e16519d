"""Convolutional recurrent cells (``Conv{1,2,3}D{RNN,LSTM,GRU}Cell``): the
i2h and h2h projections of the RNN, LSTM and GRU cells are convolutions, and
the states are feature maps. The h2h convolution is padded to keep the
state's spatial size, which is the i2h convolution's output size."""
from ....base import MXNetError
from ...rnn.rnn_cell import HybridRecurrentCell

__all__ = ["Conv1DRNNCell", "Conv2DRNNCell", "Conv3DRNNCell",
           "Conv1DLSTMCell", "Conv2DLSTMCell", "Conv3DLSTMCell",
           "Conv1DGRUCell", "Conv2DGRUCell", "Conv3DGRUCell"]


def _as_tuple(spec, dims, what):
    if isinstance(spec, int):
        return (spec,) * dims
    if len(spec) != dims:
        raise MXNetError(f"For {dims}D convolution, the convolution settings can only be "
                         f"either int or list/tuple of length {dims}, got {what}={spec}")
    return tuple(spec)


def _conv_out_size(sizes, kernels, pads, dilates):
    return tuple((x + 2 * p - d * (k - 1) - 1) + 1 if x else 0
                 for x, k, p, d in zip(sizes, kernels, pads, dilates))


class _BaseConvRNNCell(HybridRecurrentCell):
    """Shared layout: ``input_shape`` is one example's shape (channels first or
    last as ``conv_layout`` says); weights stack the gates along the output
    channels."""
    _num_gates = 1

    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                 i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                 i2h_bias_initializer, h2h_bias_initializer, dims, conv_layout, activation,
                 prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._hidden_channels = hidden_channels
        self._input_shape = tuple(input_shape)
        self._conv_layout = conv_layout
        self._activation = activation
        self._i2h_kernel = _as_tuple(i2h_kernel, dims, "i2h_kernel")
        self._i2h_pad = _as_tuple(i2h_pad, dims, "i2h_pad")
        self._i2h_dilate = _as_tuple(i2h_dilate, dims, "i2h_dilate")
        self._h2h_kernel = _as_tuple(h2h_kernel, dims, "h2h_kernel")
        self._h2h_dilate = _as_tuple(h2h_dilate, dims, "h2h_dilate")
        if any(k % 2 == 0 for k in self._h2h_kernel):
            raise MXNetError(f"Only support odd number, get h2h_kernel= {h2h_kernel}")
        self._h2h_pad = tuple(d * (k - 1) // 2 for d, k in zip(self._h2h_dilate,
                                                              self._h2h_kernel))
        self._channel_axis = conv_layout.find("C")
        channels_first = self._channel_axis == 1
        self._in_channels = self._input_shape[self._channel_axis - 1]
        spatial = self._input_shape[1:] if channels_first else self._input_shape[:-1]
        out_size = _conv_out_size(spatial, self._i2h_kernel, self._i2h_pad, self._i2h_dilate)
        rows = hidden_channels * self._num_gates
        if channels_first:
            i2h_shape = (rows, self._in_channels) + self._i2h_kernel
            h2h_shape = (rows, hidden_channels) + self._h2h_kernel
            self._state_shape = (hidden_channels,) + out_size
        else:
            i2h_shape = (rows,) + self._i2h_kernel + (self._in_channels,)
            h2h_shape = (rows,) + self._h2h_kernel + (hidden_channels,)
            self._state_shape = out_size + (hidden_channels,)
        get = self.params.get
        self.i2h_weight = get("i2h_weight", shape=i2h_shape, init=i2h_weight_initializer,
                              allow_deferred_init=True)
        self.h2h_weight = get("h2h_weight", shape=h2h_shape, init=h2h_weight_initializer,
                              allow_deferred_init=True)
        self.i2h_bias = get("i2h_bias", shape=(rows,), init=i2h_bias_initializer,
                            allow_deferred_init=True)
        self.h2h_bias = get("h2h_bias", shape=(rows,), init=h2h_bias_initializer,
                            allow_deferred_init=True)

    def state_info(self, batch_size=0):
        return [{"shape": (batch_size,) + self._state_shape, "__layout__": self._conv_layout}]

    def __repr__(self):
        return (f"{type(self).__name__}({self._in_channels or None} -> "
                f"{self.i2h_weight.shape[0]}, {self._activation}, {self._conv_layout})")

    def _conv_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias,
                      prefix):
        filters = self._hidden_channels * self._num_gates
        i2h = F.Convolution(data=inputs, num_filter=filters, kernel=self._i2h_kernel,
                            stride=(1,) * len(self._i2h_kernel), pad=self._i2h_pad,
                            dilate=self._i2h_dilate, weight=i2h_weight, bias=i2h_bias,
                            layout=self._conv_layout, name=prefix + "i2h")
        h2h = F.Convolution(data=states[0], num_filter=filters, kernel=self._h2h_kernel,
                            stride=(1,) * len(self._h2h_kernel), pad=self._h2h_pad,
                            dilate=self._h2h_dilate, weight=h2h_weight, bias=h2h_bias,
                            layout=self._conv_layout, name=prefix + "h2h")
        return i2h, h2h


class _ConvRNNCell(_BaseConvRNNCell):
    def _alias(self):
        return "conv_rnn"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f"t{self._counter}_"
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        output = self._get_activation(F, i2h + h2h, self._activation, name=prefix + "out")
        return output, [output]


class _ConvLSTMCell(_BaseConvRNNCell):
    _num_gates = 4

    def state_info(self, batch_size=0):
        info = super().state_info(batch_size)[0]
        return [info, dict(info)]

    def _alias(self):
        return "conv_lstm"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f"t{self._counter}_"
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        gates = F.SliceChannel(i2h + h2h, num_outputs=4, axis=self._channel_axis,
                               name=prefix + "slice")
        in_gate = F.Activation(gates[0], act_type="sigmoid", name=prefix + "i")
        forget_gate = F.Activation(gates[1], act_type="sigmoid", name=prefix + "f")
        in_transform = self._get_activation(F, gates[2], self._activation, name=prefix + "c")
        out_gate = F.Activation(gates[3], act_type="sigmoid", name=prefix + "o")
        next_c = F.elemwise_add(forget_gate * states[1], in_gate * in_transform,
                                name=prefix + "state")
        next_h = F.elemwise_mul(out_gate, self._get_activation(F, next_c, self._activation),
                                name=prefix + "out")
        return next_h, [next_h, next_c]


class _ConvGRUCell(_BaseConvRNNCell):
    _num_gates = 3

    def _alias(self):
        return "conv_gru"

    def hybrid_forward(self, F, inputs, states, i2h_weight, h2h_weight, i2h_bias, h2h_bias):
        prefix = f"t{self._counter}_"
        i2h, h2h = self._conv_forward(F, inputs, states, i2h_weight, h2h_weight, i2h_bias,
                                      h2h_bias, prefix)
        axis = self._channel_axis
        i2h_r, i2h_z, i2h = F.SliceChannel(i2h, num_outputs=3, axis=axis,
                                           name=prefix + "i2h_slice")
        h2h_r, h2h_z, h2h = F.SliceChannel(h2h, num_outputs=3, axis=axis,
                                           name=prefix + "h2h_slice")
        reset_gate = F.Activation(i2h_r + h2h_r, act_type="sigmoid", name=prefix + "r_act")
        update_gate = F.Activation(i2h_z + h2h_z, act_type="sigmoid", name=prefix + "z_act")
        candidate = self._get_activation(F, i2h + reset_gate * h2h, self._activation,
                                         name=prefix + "h_act")
        next_h = F.elemwise_add((1. - update_gate) * candidate, update_gate * states[0],
                                name=prefix + "out")
        return next_h, [next_h]


def _public(base, dims, layout, doc):
    """The ``dims``-D cell class over ``base`` with MXNet's signature and defaults."""
    def __init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel,
                 i2h_pad=(0,) * dims, i2h_dilate=(1,) * dims, h2h_dilate=(1,) * dims,
                 i2h_weight_initializer=None, h2h_weight_initializer=None,
                 i2h_bias_initializer="zeros", h2h_bias_initializer="zeros",
                 conv_layout=layout, activation="tanh", prefix=None, params=None):
        base.__init__(self, input_shape, hidden_channels, i2h_kernel, h2h_kernel, i2h_pad,
                      i2h_dilate, h2h_dilate, i2h_weight_initializer, h2h_weight_initializer,
                      i2h_bias_initializer, h2h_bias_initializer, dims, conv_layout,
                      activation, prefix=prefix, params=params)
    name = f"Conv{dims}D{base.__name__[5:]}"
    return type(name, (base,), {"__init__": __init__, "__doc__": doc,
                                "__module__": __name__, "__qualname__": name})


_RNN_DOC = "{d}-D convolutional Elman cell: ``h' = activation(conv(x) + conv(h))``."
_LSTM_DOC = ("{d}-D convolutional LSTM cell (Shi et al. 2015, without peepholes); "
             "states [h, c].")
_GRU_DOC = "{d}-D convolutional GRU cell; the reset gate scales the h2h convolution."

Conv1DRNNCell = _public(_ConvRNNCell, 1, "NCW", _RNN_DOC.format(d=1))
Conv2DRNNCell = _public(_ConvRNNCell, 2, "NCHW", _RNN_DOC.format(d=2))
Conv3DRNNCell = _public(_ConvRNNCell, 3, "NCDHW", _RNN_DOC.format(d=3))
Conv1DLSTMCell = _public(_ConvLSTMCell, 1, "NCW", _LSTM_DOC.format(d=1))
Conv2DLSTMCell = _public(_ConvLSTMCell, 2, "NCHW", _LSTM_DOC.format(d=2))
Conv3DLSTMCell = _public(_ConvLSTMCell, 3, "NCDHW", _LSTM_DOC.format(d=3))
Conv1DGRUCell = _public(_ConvGRUCell, 1, "NCW", _GRU_DOC.format(d=1))
Conv2DGRUCell = _public(_ConvGRUCell, 2, "NCHW", _GRU_DOC.format(d=2))
Conv3DGRUCell = _public(_ConvGRUCell, 3, "NCDHW", _GRU_DOC.format(d=3))
