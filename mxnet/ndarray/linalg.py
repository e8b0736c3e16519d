"""Operator functions of the ``linalg`` namespace, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "linalg")
