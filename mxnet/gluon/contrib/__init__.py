"""``mx.gluon.contrib``: Gluon layers outside the core API (``contrib.nn``)."""
from . import cnn, nn, rnn
