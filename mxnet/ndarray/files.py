"""``mx.nd.save`` / ``mx.nd.load`` / ``mx.nd.load_frombuffer``: MXNet's .params files.

The byte format lives in ``serialization``; this file moves NDArrays in and
out of it and handles paths (local, or URIs through ``mxnet.filesystem``).
Loading never executes anything from the file.
"""
from .. import filesystem
from ..base import MXNetError
from ..context import cpu
from .ndarray import NDArray, _from_host
from .serialization import dumps, loads

__all__ = ["save", "load", "load_frombuffer"]


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray to ``fname``.

    The file is MXNet's binary format, readable by MXNet 1.x and ``load``."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        if not all(isinstance(k, str) and isinstance(v, NDArray) for k, v in data.items()):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        names, arrays = list(data.keys()), list(data.values())
    elif isinstance(data, (list, tuple)):
        if not all(isinstance(v, NDArray) for v in data):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        names, arrays = None, list(data)
    else:
        raise TypeError("save only accept dict str->NDArray or list of NDArray")
    buf = dumps([_host_item(a) for a in arrays], names,
                contexts=[(a.context.device_typeid, a.context.device_id) for a in arrays])
    write_file(fname, buf, "save")


def write_file(fname, buf, who):
    """Write ``buf`` to the (local or remote) path ``fname``; an OSError
    becomes an MXNetError naming ``who`` and the path."""
    try:
        with filesystem.open(fname, "wb") as f:
            f.write(buf)
    except OSError as e:
        raise MXNetError(f"{who}: cannot write {fname!r}: {e}") from None


def read_file(fname, who):
    """The bytes of the (local or remote) path ``fname``; an OSError becomes
    an MXNetError naming ``who`` and the path."""
    try:
        with filesystem.open(fname, "rb") as f:
            return f.read()
    except OSError as e:
        raise MXNetError(f"{who}: cannot open {fname!r}: {e}") from None


def _host_item(arr):
    if arr.stype != "default":
        from .sparse import _to_item
        return _to_item(arr)
    return arr.asnumpy()


def load(fname):
    """Load arrays saved by ``save`` (or by MXNet): a list, or a dict when saved with names."""
    return load_frombuffer(read_file(fname, "load"))


def load_frombuffer(buf):
    """Like ``load``, from the bytes of a file."""
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError(f"load_frombuffer: expected bytes, got {type(buf).__name__}")
    arrays, names = loads(bytes(buf))
    ctx = cpu(0)
    result = [_to_ndarray(a, ctx) for a in arrays]
    if names:
        return dict(zip(names, result))
    return result


def _to_ndarray(item, ctx):
    if isinstance(item, tuple):
        from .sparse import _from_item
        return _from_item(item, ctx)
    return _from_host(item, ctx)
