"""Operator functions of the ``_internal`` namespace, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "_internal")
