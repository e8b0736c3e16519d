"""Operator functions of the ``op`` namespace, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "op")
