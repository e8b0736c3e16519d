"""``mx.np.random``: NumPy-style samplers producing ``mx.np.ndarray``."""
__all__ = []
