"""``_npi_*`` indexing operators behind ``mx.np.ndarray`` indexing (boolean masks, slices and their assignment)."""
