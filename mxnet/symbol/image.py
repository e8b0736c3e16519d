"""Operator functions of the ``image`` namespace of ``mx.sym``, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "image")
