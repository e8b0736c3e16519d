"""Operator declarations, one family per file, all added to ``registry`` on import."""
from . import registry
# Importing a family file registers its operators.
from . import (binary, elemwise_misc, getitem, indexing, init, linalg,  # noqa: F401
               random, reduce, shape, slicing, sort, unary)
from . import (nn_activation, nn_conv, nn_dense, nn_detection, nn_loss,  # noqa: F401
               nn_norm, nn_pool, nn_rnn, nn_spatial)
from . import optimizer_ops, optimizer_multi  # noqa: F401
from . import image_cv, image_ops  # noqa: F401
from . import control_flow, misc_ops, misc_attention  # noqa: F401
from . import sparse_ops  # noqa: F401  (last: derives the _sparse_* aliases from the ops above)

__all__ = ["registry"]
