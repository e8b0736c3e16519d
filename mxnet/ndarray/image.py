"""Operator functions of the ``image`` namespace, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "image")
