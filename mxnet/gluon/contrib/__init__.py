"""``mx.gluon.contrib``: Gluon layers outside the core API (``contrib.nn``) and
``contrib.data`` samplers."""
from . import cnn, data, nn, rnn
