"""``mx.np`` sorting, searching and set functions (sort, argsort, unique, nonzero...)."""
__all__ = []
