"""Operator functions of the ``contrib`` namespace, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "contrib")
