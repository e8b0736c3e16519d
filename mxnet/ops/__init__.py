"""Operator declarations, one family per file, all added to ``registry`` on import."""
from . import registry
# Importing a family file registers its operators.
from . import (binary, elemwise_misc, getitem, indexing, init, linalg,  # noqa: F401
               random, reduce, shape, slicing, sort, unary)

__all__ = ["registry"]
