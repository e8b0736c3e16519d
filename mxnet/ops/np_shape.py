"""``_np_*``/``_npi_*`` shape and indexing operators of the ``mx.np`` front end."""
