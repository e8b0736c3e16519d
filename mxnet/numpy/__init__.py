"""``mx.np``: MXNet's NumPy-compatible array interface.

``mx.np.ndarray`` is an NDArray with NumPy semantics (dtypes, zero-d
arrays, indexing, broadcasting); the functions here follow NumPy's
signatures and run MXNet operators, so they are asynchronous, recorded by
autograd and work on every device.
"""
from .multiarray import ndarray  # noqa: F401
