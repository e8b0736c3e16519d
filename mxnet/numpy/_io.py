"""``npx.save`` / ``npx.load``: ``mx.np.ndarray`` files in MXNet's ``.params`` format.

The bytes are the legacy format (``ndarray.serialization``) with NumPy-shape
records (magic 0xF993FACA), whose ``()`` shape is a 0-d array holding one
value and whose zero-size dimensions are real. As in MXNet, both functions
need NumPy-array semantics to be on (``npx.set_np()``); ``load`` reads
legacy-shape files too and always gives ``mx.np.ndarray`` arrays.
"""
from ..base import MXNetError
from ..context import cpu
from ..ndarray.files import read_file, write_file
from ..ndarray.ndarray import _from_host
from ..ndarray.serialization import dumps, loads
from ..util import is_np_array
from .multiarray import ndarray

__all__ = ["save", "load"]

_LEGACY_MODE = ("Cannot {} `mxnet.numpy.ndarray` in legacy mode. Please activate numpy "
                "semantics by calling `npx.set_np()` in the global scope before calling "
                "this function.")


def save(file, arr):
    """Save an ``ndarray``, a list of them or a dict of str -> ``ndarray`` to
    the path ``file``; ``load`` (or MXNet's ``npx.load``) reads it back."""
    if not is_np_array():
        raise ValueError(_LEGACY_MODE.format("save"))
    if isinstance(arr, ndarray):
        names, arrays = None, [arr]
    elif isinstance(arr, dict):
        names, arrays = list(arr.keys()), list(arr.values())
        if not all(isinstance(k, str) for k in names):
            raise TypeError("Only accepts dict str->ndarray or list of ndarrays")
    elif isinstance(arr, (list, tuple)):
        names, arrays = None, list(arr)
    else:
        raise ValueError("data needs to either be a ndarray, dict of (str, ndarray) pairs "
                         "or a list of ndarrays.")
    if not all(type(a) is ndarray for a in arrays):
        raise TypeError("Only accepts dict str->ndarray or list of ndarrays")
    buf = dumps([a.asnumpy() for a in arrays], names, np_shape=True,
                contexts=[(a.context.device_typeid, a.context.device_id) for a in arrays])
    write_file(file, buf, "npx.save")


def load(file):
    """The arrays saved in ``file`` as ``ndarray``s on cpu: a list, or a dict
    when they were saved with names."""
    if not is_np_array():
        raise ValueError(_LEGACY_MODE.format("load"))
    arrays, names = loads(read_file(file, "npx.load"))
    ctx = cpu(0)
    result = []
    for i, item in enumerate(arrays):
        if isinstance(item, tuple):
            raise MXNetError(f"npx.load: array {i} of {file!r} is {item[0]}; mx.np arrays "
                             f"are dense only (load it with mx.nd.load)")
        out = _from_host(item, ctx)
        out.__class__ = ndarray
        result.append(out)
    return dict(zip(names, result)) if names else result
