"""Kernels that compute through floating-point errors silently, as MXNet's do.

Overflow, division by zero and invalid operations give inf and nan in MXNet
without a word, while NumPy warns (or raises, under ``np.seterr``). Kernels
therefore run under ``np.errstate(all="ignore")``. Entering that context
costs about 1.4 us per call, more than the arithmetic of a small array, so
hot kernels use ``quiet`` instead: on NumPy 2, whose error state is a
context variable, ``errstate`` as a decorator keeps the state per thread and
nests safely, and costs about a third as much. NumPy 1 keeps the state on
the decorator object (neither thread-safe nor reentrant), so there a fresh
``errstate`` is entered per call, as before.
"""
import functools

import numpy as np

_ERRSTATE_IS_CONTEXTVAR = int(np.__version__.split(".")[0]) >= 2


def quiet(kernel):
    """``kernel`` run with NumPy's floating-point error reporting off."""
    if _ERRSTATE_IS_CONTEXTVAR:
        return np.errstate(all="ignore")(kernel)

    @functools.wraps(kernel)
    def run(*args, **kwargs):
        with np.errstate(all="ignore"):
            return kernel(*args, **kwargs)
    return run
