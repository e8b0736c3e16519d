"""``mx.gluon.contrib.rnn``: recurrent cells outside the core API
(VariationalDropoutCell, LSTMPCell)."""
from . import rnn_cell
from .rnn_cell import *  # noqa: F401,F403  (the public cell classes)

__all__ = rnn_cell.__all__
