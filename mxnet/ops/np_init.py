"""``_npi_*`` creation operators of the ``mx.np`` front end (zeros, arange, eye, linspace...)."""
