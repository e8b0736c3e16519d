"""``_np_*``/``_npi_*`` reductions of the ``mx.np`` front end (sum, mean, std, argmax, cumsum...)."""
