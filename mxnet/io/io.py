"""Data iterators: the ``DataIter`` protocol, ``NDArrayIter`` over in-memory arrays,
``ResizeIter`` and ``PrefetchingIter`` (MXNet's ``mx.io`` Python iterators)."""
import threading
from collections import namedtuple

import numpy as np

from ..base import MXNetError
from .. import ndarray as nd
from ..ndarray import NDArray

__all__ = ["DataDesc", "DataBatch", "DataIter", "MXDataIter", "NDArrayIter", "ResizeIter",
           "PrefetchingIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name and shape of one input, plus its ``dtype`` and ``layout``.

    It compares equal to the plain ``(name, shape)`` tuple, so code written for
    either form works. The batch axis is where ``'N'`` stands in ``layout``.
    """

    def __new__(cls, name, shape, dtype=np.float32, layout="NCHW"):
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self):
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout):
        """Index of the batch axis ``'N'`` in ``layout``; 0 when ``layout`` is None."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes, types):
        """``DataDesc`` list from ``[(name, shape)]`` and optional ``[(name, dtype)]``."""
        if types is None:
            return [DataDesc(name, shape) for name, shape in shapes]
        dtypes = dict(types)
        return [DataDesc(name, shape, dtypes[name]) for name, shape in shapes]


class DataBatch:
    """One mini-batch: lists of data and label NDArrays, the padding count
    (examples at the end that repeat earlier ones), optional example indices,
    bucket key and the descriptions of data and label."""

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        if data is not None and not isinstance(data, (list, tuple)):
            raise MXNetError(f"DataBatch: data must be a list of NDArrays, got {type(data).__name__}")
        if label is not None and not isinstance(label, (list, tuple)):
            raise MXNetError(f"DataBatch: label must be a list of NDArrays, got {type(label).__name__}")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data = [d.shape for d in self.data] if self.data else None
        label = [lab.shape for lab in self.label] if self.label else None
        return f"{self.__class__.__name__}: data shapes: {data} label shapes: {label}"


class DataIter:
    """Base iterator: ``reset()``, ``next()`` (a ``DataBatch`` or ``StopIteration``)
    and Python iteration. Subclasses implement ``iter_next`` and the ``get*`` methods
    or override ``next`` directly."""

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the first batch."""

    def next(self):
        """The next ``DataBatch``; raises ``StopIteration`` at the end of the epoch."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(),
                             pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Advance to the next batch; False at the end of the epoch."""
        raise NotImplementedError()

    def getdata(self):
        """The data NDArrays of the current batch."""
        raise NotImplementedError()

    def getlabel(self):
        """The label NDArrays of the current batch."""
        raise NotImplementedError()

    def getindex(self):
        """Indices of the current batch's examples, or None."""
        return None

    def getpad(self):
        """Number of padding examples in the current batch."""
        raise NotImplementedError()


class MXDataIter(DataIter):
    """Base of the built-in iterators (``CSVIter``, ``ImageRecordIter``, ...).

    In MXNet these wrap a C++ iterator handle; here a subclass provides
    ``_epoch()``, a generator of ``(data, label, pad, index)`` NumPy batches
    for one epoch, and fills ``provide_data``/``provide_label``.
    """

    def __init__(self, handle=None, data_name="data", label_name="softmax_label", **_):
        super().__init__()
        self.handle = handle
        self.data_name = data_name
        self.label_name = label_name
        self.provide_data = []
        self.provide_label = []
        self._current = None
        self._batches = None

    def _describe(self, data_shape, data_dtype, label_shape, label_dtype):
        self.provide_data = [DataDesc(self.data_name, tuple(data_shape), np.dtype(data_dtype).type)]
        self.provide_label = [DataDesc(self.label_name, tuple(label_shape), np.dtype(label_dtype).type)]

    def _epoch(self):
        raise NotImplementedError()

    def reset(self):
        self._close_epoch()
        self._current = None

    def _close_epoch(self):
        if self._batches is not None:
            self._batches.close()
            self._batches = None

    def iter_next(self):
        if self._batches is None:
            self._batches = self._epoch()
        self._current = next(self._batches, None)
        return self._current is not None

    def next(self):
        if not self.iter_next():
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                         index=self.getindex(), provide_data=self.provide_data,
                         provide_label=self.provide_label)

    def getdata(self):
        return [_to_nd(self._current[0])]

    def getlabel(self):
        return [_to_nd(self._current[1])]

    def getpad(self):
        return self._current[2]

    def getindex(self):
        return self._current[3]


def _to_nd(x):
    if isinstance(x, NDArray):
        return x
    return nd.array(x, dtype=x.dtype)


def _is_csr(x):
    return isinstance(x, NDArray) and getattr(x, "stype", "default") == "csr"


def _as_source(value, what):
    """An iterator input as a NumPy array (float32 unless it came as an NDArray) or a CSR NDArray."""
    if _is_csr(value):
        return value
    if isinstance(value, NDArray):
        return value.asnumpy()
    try:
        return np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as err:
        raise MXNetError(f"NDArrayIter: {what} must be an array, got {type(value).__name__}: {err}") from None


def _named_inputs(data, default_name, allow_empty):
    """MXNet's input normalisation: an array, a list (named ``_i_<default>``) or a dict (sorted)."""
    if data is None:
        if allow_empty:
            return []
        raise MXNetError("NDArrayIter: data must be given")
    if isinstance(data, (np.ndarray, NDArray)) or not isinstance(data, (list, tuple, dict)):
        pairs = [(default_name, data)]
    elif isinstance(data, (list, tuple)):
        if data and all(np.isscalar(x) for x in data):
            pairs = [(default_name, data)]
        elif len(data) == 1:
            pairs = [(default_name, data[0])]
        else:
            pairs = [(f"_{i}_{default_name}", d) for i, d in enumerate(data)]
    else:
        pairs = sorted(data.items(), key=lambda kv: kv[0])
    return [(name, _as_source(value, f"input {name!r}")) for name, value in pairs]


def _take_csr_rows(arr, rows):
    """Rows ``rows`` (any order) of a CSR NDArray, as a new CSR NDArray."""
    values = arr.data.asnumpy()
    indptr = arr.indptr.asnumpy()
    indices = arr.indices.asnumpy()
    starts, ends = indptr[rows], indptr[rows + 1]
    picks = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)]) if len(rows) else np.zeros(0, int)
    new_ptr = np.concatenate([[0], np.cumsum(ends - starts)])
    return nd.sparse.csr_matrix((values[picks], indices[picks], new_ptr),
                                shape=(len(rows), arr.shape[1]), dtype=arr.dtype)


class NDArrayIter(DataIter):
    """Iterate over in-memory arrays in mini-batches.

    ``data`` and ``label`` may be an array (NumPy, NDArray, CSR NDArray), a list
    of arrays or a dict name -> array. ``last_batch_handle`` decides what
    happens to the examples that do not fill a whole last batch: ``'pad'``
    fills the batch with examples from the start (``batch.pad`` counts them),
    ``'discard'`` drops them and ``'roll_over'`` keeps them for the first
    batch of the next epoch. ``shuffle`` permutes the examples at every reset.
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle="pad",
                 data_name="data", label_name="softmax_label", layout="NCHW"):
        super().__init__(batch_size)
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise MXNetError("NDArrayIter: last_batch_handle must be 'pad', 'discard' or "
                             f"'roll_over', got {last_batch_handle!r}")
        if int(batch_size) <= 0:
            raise MXNetError(f"NDArrayIter: batch_size must be positive, got {batch_size}")
        self.data = _named_inputs(data, data_name, allow_empty=False)
        self.label = _named_inputs(label, label_name, allow_empty=True)
        if any(_is_csr(v) for _, v in self.data + self.label) and last_batch_handle != "discard":
            raise NotImplementedError("NDArrayIter supports CSRNDArray inputs only with "
                                      "last_batch_handle='discard'")
        self.layout = layout
        self._axis = max(DataDesc.get_batch_axis(layout), 0)
        sizes = {name: self._length(v) for name, v in self.data + self.label}
        self.num_data = sizes[self.data[0][0]]
        wrong = {n: s for n, s in sizes.items() if s != self.num_data}
        if wrong:
            raise MXNetError(f"NDArrayIter: every input needs {self.num_data} examples along the "
                             f"batch axis (as {self.data[0][0]!r}), got {wrong}")
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.idx = np.arange(self.num_data)
        self.cursor = -self.batch_size
        self._carry = None  # roll_over: indices left from the previous epoch
        self._batch_idx = None
        self._batch_pad = 0
        if shuffle:
            np.random.shuffle(self.idx)

    def _length(self, value):
        axis = 0 if value.ndim == 1 or _is_csr(value) else self._axis
        return value.shape[axis]

    def _desc(self, pairs):
        descs = []
        for name, value in pairs:
            shape = list(value.shape)
            shape[0 if value.ndim == 1 or _is_csr(value) else self._axis] = self.batch_size
            dtype = value.dtype if isinstance(value.dtype, type) else np.dtype(value.dtype).type
            descs.append(DataDesc(name, tuple(shape), dtype, self.layout))
        return descs

    @property
    def provide_data(self):
        """Descriptions (name, batch shape, dtype, layout) of the data arrays."""
        return self._desc(self.data)

    @property
    def provide_label(self):
        """Descriptions of the label arrays."""
        return self._desc(self.label)

    def hard_reset(self):
        """Go back to the start, dropping any rolled-over examples."""
        if self.shuffle:
            np.random.shuffle(self.idx)
        self.cursor = -self.batch_size
        self._carry = None

    def reset(self):
        """Start a new epoch (reshuffling if ``shuffle``); with ``'roll_over'`` the examples
        left from the epoch that ended open the first batch."""
        if (self.last_batch_handle == "roll_over"
                and self.num_data - self.batch_size < self.cursor < self.num_data):
            self._carry = self.idx[self.cursor:].copy()
        else:
            self._carry = None
        if self.shuffle:
            np.random.shuffle(self.idx)
        self.cursor = -self.batch_size

    def iter_next(self):
        if self._carry is not None:
            # roll_over: last epoch's leftovers plus the first new examples; MXNet
            # reports the new ones as ``pad`` and keeps the cursor negative here.
            fresh = self.batch_size - len(self._carry)
            self._batch_idx = np.concatenate([self._carry, self.idx[:fresh]])
            self._batch_pad = fresh
            self._carry = None
            self.cursor = fresh - self.batch_size
            return True
        self.cursor += self.batch_size
        end = self.cursor + self.batch_size
        if self.cursor >= self.num_data:
            return False
        if end > self.num_data:
            if self.last_batch_handle != "pad":
                return False
            wrap = np.arange(end - self.num_data) % self.num_data
            self._batch_idx = np.concatenate([self.idx[self.cursor:], self.idx[wrap]])
            self._batch_pad = end - self.num_data
            return True
        self._batch_idx = self.idx[self.cursor:end]
        self._batch_pad = 0
        return True

    def _gather(self, pairs):
        out = []
        for _, value in pairs:
            if _is_csr(value):
                out.append(_take_csr_rows(value, self._batch_idx))
                continue
            axis = 0 if value.ndim == 1 else self._axis
            out.append(nd.array(np.take(value, self._batch_idx, axis=axis), dtype=value.dtype))
        return out

    def getdata(self):
        return self._gather(self.data)

    def getlabel(self):
        return self._gather(self.label)

    def getpad(self):
        return self._batch_pad

    def next(self):
        if not self.iter_next():
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=None)


class ResizeIter(DataIter):
    """Make ``data_iter`` yield exactly ``size`` batches per epoch, restarting it
    when it runs out (and, with ``reset_internal``, at every reset)."""

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


def _prefetch_worker(source, i, slots, ready, taken, alive):
    """Fetch ``source``'s next batch into ``slots[i]`` each time the last one was taken."""
    while True:
        taken.wait()
        if not alive.is_set():
            return
        taken.clear()
        try:
            slots[i] = source.next()
        except StopIteration:
            slots[i] = None
        except Exception as err:  # re-raised in the consumer's thread
            slots[i] = err
        ready.set()


class PrefetchingIter(DataIter):
    """Read the next batch of one or several iterators in background threads.

    With several iterators each batch concatenates their data and label lists.
    ``rename_data``/``rename_label`` are per-iterator dicts old name -> new name.
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super().__init__()
        self.iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        self.n_iter = len(self.iters)
        if self.n_iter == 0:
            raise MXNetError("PrefetchingIter needs at least one iterator")
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch = None
        self._slots = [None] * self.n_iter
        self._ready = [threading.Event() for _ in range(self.n_iter)]
        self._taken = [threading.Event() for _ in range(self.n_iter)]
        self._alive = threading.Event()
        self._alive.set()
        for event in self._taken:
            event.set()
        # Workers get the pieces they need, not ``self``: an iterator dropped by
        # its user is collected, and ``__del__`` then ends its threads.
        self._threads = [threading.Thread(target=_prefetch_worker, daemon=True,
                                          args=(self.iters[i], i, self._slots, self._ready[i],
                                                self._taken[i], self._alive))
                         for i in range(self.n_iter)]
        for thread in self._threads:
            thread.start()

    def __del__(self):
        if hasattr(self, "_alive"):
            self._alive.clear()
            for event in self._taken:
                event.set()

    @staticmethod
    def _renamed(descs_per_iter, renames):
        out = []
        for i, descs in enumerate(descs_per_iter):
            mapping = renames[i] if renames else {}
            for d in descs:
                name = mapping.get(d[0], d[0])
                out.append(DataDesc(name, d[1], getattr(d, "dtype", np.float32),
                                    getattr(d, "layout", "NCHW")))
        return out

    @property
    def provide_data(self):
        return self._renamed([it.provide_data for it in self.iters], self.rename_data)

    @property
    def provide_label(self):
        return self._renamed([it.provide_label for it in self.iters], self.rename_label)

    def reset(self):
        for event in self._ready:
            event.wait()
        for it in self.iters:
            it.reset()
        for ready, taken in zip(self._ready, self._taken):
            ready.clear()
            taken.set()

    def iter_next(self):
        for event in self._ready:
            event.wait()
        batches = list(self._slots)
        for batch in batches:
            if isinstance(batch, Exception):
                raise batch
        if batches[0] is None:
            if any(b is not None for b in batches):
                raise MXNetError("PrefetchingIter: the iterators have different numbers of batches")
            return False
        if any(b is None for b in batches):
            raise MXNetError("PrefetchingIter: the iterators have different numbers of batches")
        self.current_batch = DataBatch(sum([b.data for b in batches], []),
                                       sum([b.label or [] for b in batches], []),
                                       batches[0].pad, batches[0].index,
                                       provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        for ready, taken in zip(self._ready, self._taken):
            ready.clear()
            taken.set()
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad

