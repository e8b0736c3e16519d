"""Operator declarations, one family per file, all added to ``registry`` on import."""
from . import registry
# Importing a family file registers its operators.
from . import binary, elemwise_misc, getitem, indexing, init, linalg, random, reduce, shape, sort, unary  # noqa: F401

__all__ = ["registry"]
