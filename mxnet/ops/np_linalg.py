"""``_npi_*`` linear-algebra operators behind ``mx.np.linalg``."""
