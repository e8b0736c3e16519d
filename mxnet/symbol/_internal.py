"""Operator functions of the ``_internal`` namespace of ``mx.sym``, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "_internal")
