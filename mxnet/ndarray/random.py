"""``mx.nd.random``: sampling functions."""
from .register import populate

__all__ = populate(globals(), "random")
