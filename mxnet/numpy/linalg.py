"""``mx.np.linalg``: NumPy's linear-algebra functions on ``mx.np.ndarray``."""
__all__ = []
