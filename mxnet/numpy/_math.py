"""``mx.np`` elementwise functions (add, exp, maximum, where...)."""
__all__ = []
