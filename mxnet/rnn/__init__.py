"""The legacy symbolic RNN API of MXNet 1.x (``mx.rnn``): step cells that
build symbols, their unrolling, a bucketing sentence iterator and RNN
checkpoints. Gluon's ``mx.gluon.rnn`` is the imperative counterpart."""
from . import io, rnn, rnn_cell
from .io import BucketSentenceIter, encode_sentences
from .rnn import do_rnn_checkpoint, load_rnn_checkpoint, save_rnn_checkpoint
from .rnn_cell import (BaseRNNCell, BidirectionalCell, DropoutCell, FusedRNNCell, GRUCell,
                       LSTMCell, ModifierCell, RNNCell, RNNParams, ResidualCell,
                       SequentialRNNCell, ZoneoutCell)
