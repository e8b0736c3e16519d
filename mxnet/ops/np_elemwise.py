"""``_npi_*`` elementwise operators of the ``mx.np`` front end (unary, binary, scalar variants, comparisons)."""
