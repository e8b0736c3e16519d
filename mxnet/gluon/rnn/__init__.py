"""``mx.gluon.rnn``: recurrent cells (stepped or unrolled in Python) and fused
recurrent layers (RNN, LSTM, GRU) running on the ``RNN`` operator."""
from . import rnn_cell, rnn_layer
from .rnn_cell import *  # noqa: F401,F403  (the public cell classes)
from .rnn_layer import *  # noqa: F401,F403  (RNN, LSTM, GRU)

__all__ = rnn_cell.__all__ + rnn_layer.__all__
