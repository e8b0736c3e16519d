"""Operator functions of the ``sparse`` namespace of ``mx.sym``, built from the op registry."""
from .register import populate

__all__ = populate(globals(), "sparse")
