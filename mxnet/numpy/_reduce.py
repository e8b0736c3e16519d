"""``mx.np`` reductions and statistics (sum, mean, std, argmax, cumsum...)."""
__all__ = []
