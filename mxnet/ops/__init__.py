"""Operator declarations, one family per file, all added to ``registry`` on import."""
from . import registry
from . import binary, init, reduce, shape, unary  # noqa: F401  (registration side effects)

__all__ = ["registry"]
