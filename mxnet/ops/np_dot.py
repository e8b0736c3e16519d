"""``_np_dot``, ``_npi_matmul``, ``_npi_tensordot``, ``_npi_einsum`` for the ``mx.np`` front end."""
