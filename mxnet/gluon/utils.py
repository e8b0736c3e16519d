"""Helpers of ``mx.gluon.utils``: batch splitting across devices, global-norm
clipping, file checks and downloads, and forward-hook handles."""
import collections
import hashlib
import os
import uuid
import warnings
import weakref

import numpy as np

from .. import ndarray
from ..base import MXNetError
from ..numpy.multiarray import as_np, ndarray as np_ndarray
from ..util import is_np_array, is_np_shape  # noqa: F401  (re-exported, as MXNet)

__all__ = ["split_data", "split_and_load", "clip_global_norm", "check_sha1", "download",
           "replace_file", "shape_is_known", "HookHandle", "is_np_array", "is_np_shape"]


def split_data(data, num_slice, batch_axis=0, even_split=True):
    """Split ``data`` into ``num_slice`` parts along ``batch_axis``.

    With ``even_split`` the size must divide evenly; otherwise the first
    parts get one extra element each."""
    size = data.shape[batch_axis]
    if even_split and size % num_slice != 0:
        raise ValueError(
            f"data with shape {data.shape} cannot be evenly split into {num_slice} slices "
            f"along axis {batch_axis}. Use a batch size that's multiple of {num_slice} or "
            "set even_split=False to allow uneven partitioning of data.")
    each, extra = divmod(size, num_slice)
    bounds = np.cumsum([0] + [each + 1] * extra + [each] * (num_slice - extra)).tolist()
    if batch_axis == 0:
        return [data[bounds[i]:bounds[i + 1]] for i in range(num_slice)]
    parts = [ndarray.slice_axis(data, axis=batch_axis, begin=bounds[i], end=bounds[i + 1])
             for i in range(num_slice)]
    return [as_np(p) for p in parts] if isinstance(data, np_ndarray) else parts


def split_and_load(data, ctx_list, batch_axis=0, even_split=True):
    """Split ``data`` (an NDArray or array-like) along ``batch_axis`` and put
    one part on each context of ``ctx_list``."""
    if not isinstance(data, ndarray.NDArray):
        data = ndarray.array(data, ctx=ctx_list[0])
        if is_np_array():
            data = as_np(data)
    if len(ctx_list) == 1:
        parts = [data.as_in_context(ctx_list[0])]
    else:
        parts = split_data(data, len(ctx_list), batch_axis, even_split)
        parts = [part.as_in_context(ctx) for part, ctx in zip(parts, ctx_list)]
    if isinstance(data, np_ndarray):  # mx.np data stays mx.np on every device
        parts = [as_np(p) for p in parts]
    return parts


def clip_global_norm(arrays, max_norm, check_isfinite=True):
    """Scale ``arrays`` in place so that their joint 2-norm is at most ``max_norm``.

    Returns the norm before clipping: a float, or a one-element NDArray when
    ``check_isfinite`` is False (which avoids a synchronisation)."""
    if not arrays:
        raise MXNetError("clip_global_norm: needs at least one array")
    ctx = arrays[0].context

    def squared_norm(arr):
        if arr.stype == "default":
            flat = arr.reshape((-1,))
            return ndarray.dot(flat, flat)
        return ndarray.square(ndarray.norm(arr))

    total = ndarray.sqrt(ndarray.add_n(*[squared_norm(a).as_in_context(ctx) for a in arrays]))
    if check_isfinite and not np.isfinite(total.asscalar()):
        warnings.warn(UserWarning("nan or inf is detected. Clipping results will be undefined."),
                      stacklevel=2)
    scale = max_norm / (total + 1e-8)
    scale = ndarray.min(ndarray.concat(scale, ndarray.ones(1, ctx=ctx), dim=0))
    for arr in arrays:
        arr *= scale.as_in_context(arr.context)
    return total.asscalar() if check_isfinite else total


def check_sha1(filename, sha1_hash):
    """Whether the SHA-1 hex digest of the file's content equals ``sha1_hash``."""
    sha1 = hashlib.sha1()
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha1.update(chunk)
    return sha1.hexdigest() == sha1_hash


def replace_file(src, dst):
    """Move ``src`` over ``dst`` atomically (``os.replace``)."""
    try:
        os.replace(src, dst)
    except OSError as e:
        try:
            os.remove(src)
        except OSError:
            pass
        raise OSError(f"Moving downloaded temp file - {src}, to {dst} failed. "
                      f"Please retry the download. ({e})") from None


def _fetch(url, verify_ssl):
    """The body of ``url`` (urllib; requests is not a dependency)."""
    import ssl
    import urllib.request
    context = None if verify_ssl else ssl._create_unverified_context()
    with urllib.request.urlopen(url, timeout=60, context=context) as response:
        if getattr(response, "status", 200) != 200:
            raise MXNetError(f"Failed downloading url {url}: HTTP status {response.status}")
        return response.read()


def download(url, path=None, overwrite=False, sha1_hash=None, retries=5, verify_ssl=True):
    """Download ``url`` to ``path`` (a file or a directory; the URL's file name
    by default) unless a file with the right ``sha1_hash`` is already there.

    Returns the file name. Raises MXNetError naming the URL when the download
    fails after ``retries`` further attempts (for example when offline)."""
    if path is None:
        fname = url.split("/")[-1]
        if not fname:
            raise MXNetError("download: can't construct a file name from this URL; "
                             "set the `path` option")
    else:
        path = os.path.expanduser(path)
        fname = os.path.join(path, url.split("/")[-1]) if os.path.isdir(path) else path
    if retries < 0:
        raise MXNetError(f"download: retries must be at least 0, got {retries}")
    if not verify_ssl:
        warnings.warn("Unverified HTTPS request is being made (verify_ssl=False). "
                      "Adding certificate verification is strongly advised.")
    if not overwrite and os.path.exists(fname) and (not sha1_hash or check_sha1(fname, sha1_hash)):
        return fname
    dirname = os.path.dirname(os.path.abspath(fname))
    os.makedirs(dirname, exist_ok=True)
    last_error = None
    for _ in range(retries + 1):
        try:
            print(f"Downloading {fname} from {url}...")
            body = _fetch(url, verify_ssl)
        except Exception as e:  # network errors of every kind are retried
            last_error = e
            continue
        tmp = f"{fname}.{uuid.uuid4()}"
        with open(tmp, "wb") as f:
            f.write(body)
        replace_file(tmp, fname)
        if sha1_hash and not check_sha1(fname, sha1_hash):
            raise MXNetError(f"File {fname} is downloaded but the content hash does not "
                             "match. The repo may be outdated or download may be incomplete.")
        return fname
    raise MXNetError(f"download: failed to download {url} after {retries + 1} attempt(s): "
                     f"{type(last_error).__name__}: {last_error}. Check the network "
                     "connection, or place the file at " + fname)


def shape_is_known(shape):
    """Whether every dimension of ``shape`` is known: 0 marks an unknown size,
    and ``()`` an unknown shape, except under NumPy shape semantics, where -1
    is the unknown size and ``()`` a scalar's shape."""
    if shape is None:
        return False
    unknown = -1 if is_np_shape() else 0
    if len(shape) == 0:
        return unknown == -1
    for dim in shape:
        if dim == unknown:
            return False
        if dim < unknown:
            raise MXNetError(f"shape dimension size cannot be less than {unknown}, got {dim} "
                             f"in {shape}")
    return True


def _check_all_np_ndarrays(out):
    """Under ``npx.set_np()`` a Block must give ``mx.np`` arrays (or, traced,
    NumPy-semantics Symbols); a legacy array or Symbol is a TypeError."""
    from ..symbol import Symbol
    from ..symbol.numpy import _Symbol
    if isinstance(out, (ndarray.NDArray, Symbol)):
        if not isinstance(out, (np_ndarray, _Symbol)):
            raise TypeError("Block's output ndarrays/symbols must be of type "
                            "`mxnet.numpy.ndarray` or `mxnet.symbol.numpy._Symbol`, while got "
                            f"output type {type(out)}")
    elif isinstance(out, (list, tuple)):
        for item in out:
            _check_all_np_ndarrays(item)


class HookHandle:
    """Handle of a registered forward (pre-)hook; ``detach()`` removes the hook.

    Also a context manager that detaches on exit."""

    def __init__(self):
        self._hooks_dict_ref = None
        self._id = None

    def attach(self, hooks_dict, hook):
        if self._hooks_dict_ref is not None:
            raise MXNetError("The same handle cannot be attached twice.")
        self._id = id(hook)
        hooks_dict[self._id] = hook
        self._hooks_dict_ref = weakref.ref(hooks_dict)

    def detach(self):
        hooks = self._hooks_dict_ref() if self._hooks_dict_ref is not None else None
        if hooks is not None and self._id in hooks:
            del hooks[self._id]

    def __getstate__(self):
        return (self._hooks_dict_ref() if self._hooks_dict_ref else None, self._id)

    def __setstate__(self, state):
        hooks = state[0] if state[0] is not None else collections.OrderedDict()
        self._hooks_dict_ref = weakref.ref(hooks)
        self._id = state[1]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.detach()


def _indent(text, spaces):
    """Indent every line but the first by ``spaces`` (nested reprs)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    return "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


def _brief_print_list(names, limit=7):
    """Quoted, comma-separated names, eliding the middle of long lists."""
    names = list(names)
    if len(names) > limit:
        return (_brief_print_list(names[:limit // 2], limit) + ", ..., "
                + _brief_print_list(names[-limit // 2:], limit))
    return ", ".join(f"'{n}'" for n in names)
