"""``mx.np``: MXNet's NumPy-compatible array interface.

``mx.np.ndarray`` is an NDArray with NumPy semantics (dtypes, zero-d
arrays, indexing, broadcasting); the functions here follow NumPy's
signatures and run MXNet operators, so they are asynchronous, recorded by
autograd and work on every device. Each family lives in its own module.
"""
from ._dtypes import *  # noqa: F401,F403
from .multiarray import *  # noqa: F401,F403
from ._creation import *  # noqa: F401,F403
from ._math import *  # noqa: F401,F403
from ._reduce import *  # noqa: F401,F403
from ._shape import *  # noqa: F401,F403
from ._dot import *  # noqa: F401,F403
from ._sort import *  # noqa: F401,F403
from . import linalg, random  # noqa: F401


def _public_module_paths():
    # Functions show the public path (mxnet.numpy.add), as in MXNet: their
    # family modules are an implementation detail.
    import types
    for value in list(globals().values()):
        if isinstance(value, types.FunctionType) and value.__module__.startswith(__name__ + "._"):
            value.__module__ = __name__


_public_module_paths()
