"""``mx.gluon.contrib``: Gluon layers outside the core API (``contrib.nn``),
``contrib.data`` samplers and the ``contrib.estimator`` training loop."""
from . import cnn, data, estimator, nn, rnn
