"""``_npi_*`` samplers behind ``mx.np.random``."""
