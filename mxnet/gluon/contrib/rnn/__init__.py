"""``mx.gluon.contrib.rnn``: recurrent cells outside the core API
(VariationalDropoutCell, LSTMPCell and the convolutional cells)."""
from . import conv_rnn_cell, rnn_cell
from .conv_rnn_cell import *  # noqa: F401,F403  (the public cell classes)
from .rnn_cell import *  # noqa: F401,F403  (the public cell classes)

__all__ = rnn_cell.__all__ + conv_rnn_cell.__all__
