"""``_npi_*`` sorting, searching and set operators of the ``mx.np`` front end."""
