"""``mx.nd.histogram`` and ``mx.nd.onehot_encode``: front ends of ``_histogram``
and ``_onehot_encode`` with MXNet's argument handling."""
import warnings

import numpy as np

from ..base import MXNetError
from .ndarray import NDArray, array

__all__ = ["histogram", "onehot_encode"]


def histogram(a, bins=10, range=None):
    """Histogram of ``a``: ``(counts, bin_edges)``.

    ``bins`` is an NDArray of edges, or a number of equal bins over
    ``range=(low, high)``. Without a range, MXNet hands the job to NumPy
    (with a warning), and so does this: both results are then float32."""
    from . import _internal
    if isinstance(bins, NDArray):
        return _internal._histogram(a, bins)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        if range is None:
            warnings.warn("range is not specified, using numpy's result to ensure consistency "
                          "with numpy")
            counts, edges = np.histogram(a.asnumpy(), bins=int(bins))
            return array(counts, ctx=a.context), array(edges, ctx=a.context)
        return _internal._histogram(a, bin_cnt=int(bins), range=range)
    raise MXNetError(f"histogram: bins must be an integer or an NDArray, got "
                     f"{type(bins).__name__}")


def onehot_encode(indices, out):
    """Write the one-hot rows of ``indices`` into the float32 array ``out``
    (shape (len(indices), depth)) and return it. Deprecated in MXNet in favour
    of ``one_hot``."""
    from . import _internal
    return _internal._onehot_encode(indices, out, out=out)
