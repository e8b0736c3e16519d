"""``mx.np`` shape manipulation and indexing functions (reshape, concatenate, split, take...)."""
__all__ = []
