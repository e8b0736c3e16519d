"""Files named by a local path or a URI, for every MXNet API that reads or writes one.

A local path (or a ``file://`` URI) opens with Python's ``open``. Any other
``scheme://`` URI (``s3://``, ``hdfs://``, ``az://``, ``gs://``, ``http(s)://``,
``memory://``, fsspec's chained ``simplecache::s3://`` ...) opens through
fsspec, an optional dependency that is imported only then. A missing package
is reported as an MXNetError saying what to install. Errors of the file
itself (absent, no permission) stay ``OSError`` so callers word them as they
did for local files.
"""
import os
import re

from .base import MXNetError

__all__ = ["is_remote", "open", "read_bytes", "write_bytes", "exists", "isdir", "listdir",
           "join"]

# Two letters at least, so that a Windows drive (C:/...) never reads as a scheme.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+)://")

# What a scheme needs besides fsspec (schemes fsspec serves itself are absent).
_PACKAGES = {
    "s3": "s3fs", "s3a": "s3fs", "gs": "gcsfs", "gcs": "gcsfs", "az": "adlfs", "abfs": "adlfs",
    "abfss": "adlfs", "adl": "adlfs", "hdfs": "pyarrow", "viewfs": "pyarrow",
    "webhdfs": "requests", "http": "aiohttp requests", "https": "aiohttp requests",
}
_builtin_open = open


def _scheme(path):
    """The scheme of a URI (the last one of a chained ``a::b://`` URL), or None."""
    match = _SCHEME.match(path.rsplit("::", 1)[-1])
    return match.group(1).lower() if match else None


def _local(path):
    return path[len("file://"):] if path.startswith("file://") else path


def is_remote(path):
    """Whether ``path`` is a URI that needs fsspec (not a local path or ``file://``)."""
    if not isinstance(path, str):
        return False
    scheme = _scheme(path)
    return scheme is not None and scheme != "file"


def _install_hint(scheme):
    return "pip install " + " ".join(["fsspec"] + _PACKAGES.get(scheme, "").split())


def _fsspec(path):
    try:
        import fsspec
    except ImportError:
        scheme = _scheme(path)
        raise MXNetError(f"{path!r} is a {scheme}:// URI, which needs fsspec "
                         f"({_install_hint(scheme)})") from None
    return fsspec


def _call(path, action):
    """Run ``action(fsspec)``, turning a missing filesystem package into an MXNetError."""
    fsspec = _fsspec(path)
    scheme = _scheme(path)
    try:
        return action(fsspec)
    except ImportError as err:
        raise MXNetError(f"opening {path!r} needs the package for {scheme}:// URIs "
                         f"({_install_hint(scheme)}): {err}") from None
    except ValueError as err:
        if "protocol" not in str(err).lower():
            raise
        raise MXNetError(f"cannot open {path!r}: fsspec knows no filesystem for "
                         f"{scheme}:// URIs ({err})") from None


def open(path, mode="rb", **kwargs):
    """Open ``path`` (a local path or a URI) like the built-in ``open``.

    Writes to remote storage are uploaded when the file is closed.
    """
    path = os.fspath(path)
    if not is_remote(path):
        return _builtin_open(_local(path), mode, **kwargs)
    return _call(path, lambda fsspec: fsspec.open(path, mode, **kwargs).open())


def read_bytes(path):
    """The whole content of ``path``."""
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    """Replace the content of ``path`` with ``data``."""
    with open(path, "wb") as f:
        f.write(data)


def _remote_fs(path):
    return _call(path, lambda fsspec: fsspec.core.url_to_fs(path))


def exists(path):
    """Whether ``path`` names an existing file or directory."""
    path = os.fspath(path)
    if not is_remote(path):
        return os.path.exists(_local(path))
    fs, inner = _remote_fs(path)
    return fs.exists(inner)


def isdir(path):
    """Whether ``path`` names a directory (a key prefix on object stores)."""
    path = os.fspath(path)
    if not is_remote(path):
        return os.path.isdir(_local(path))
    fs, inner = _remote_fs(path)
    return fs.isdir(inner)


def listdir(path):
    """The names (not paths) of the entries of directory ``path``, like ``os.listdir``."""
    path = os.fspath(path)
    if not is_remote(path):
        return os.listdir(_local(path))
    fs, inner = _remote_fs(path)
    inner = inner.rstrip("/")
    return [entry.rstrip("/").rsplit("/", 1)[-1] for entry in fs.ls(inner, detail=False)
            if entry.rstrip("/") != inner]


def join(base, *names):
    """``os.path.join`` for local paths; URIs are joined with ``/``."""
    base = os.fspath(base)
    if not is_remote(base):
        return os.path.join(base, *names)
    return "/".join([base.rstrip("/")] + [n.strip("/") for n in names])
