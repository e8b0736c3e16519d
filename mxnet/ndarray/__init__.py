"""``mx.nd``: imperative NDArray operations.

Every registered operator is a function here (built from its declaration in
``mxnet.ops``), next to creation functions, arithmetic helpers and file I/O.
"""
from .ndarray import NDArray, array
from . import op, _internal, contrib, linalg, image, random, sparse
from .op import *  # noqa: F401,F403  (every public operator function)
from .register import populate as _populate
from .arithmetic import (add, subtract, multiply, divide, true_divide, modulo, power,
                         maximum, minimum, hypot, equal, not_equal, greater, greater_equal,
                         lesser, lesser_equal, logical_and, logical_or, logical_xor)
from . import indexing as _indexing  # noqa: F401  (attaches __getitem__/__setitem__)
from .creation import (zeros, ones, full, empty, arange, eye, linspace, concatenate, moveaxis,
                       from_numpy, from_dlpack, waitall)
from .files import save, load, load_frombuffer
from .shape_funcs import split_v2
from .misc_funcs import histogram, onehot_encode
from .legacy_image import imdecode
from . import fluent as _fluent

_fluent.attach()
_populate(globals(), "op")  # operators registered later appear in mx.nd too


def to_dlpack_for_read(data):
    """A DLPack capsule of ``data`` for reading."""
    return data.to_dlpack_for_read()


def to_dlpack_for_write(data):
    """A DLPack capsule of ``data`` for writing."""
    return data.to_dlpack_for_write()


def __getattr__(name):
    """``mx.nd.np`` and ``mx.nd.npx`` (``F.np``/``F.npx`` of an imperative
    ``hybrid_forward``): the ``mx.np`` and ``mx.npx`` modules, which import
    this package, so they are looked up on first use."""
    if name == "np":
        from .. import numpy as module
    elif name == "npx":
        from .. import numpy_extension as module
    else:
        raise AttributeError(f"module 'mxnet.ndarray' has no attribute '{name}'")
    globals()[name] = module
    return module
