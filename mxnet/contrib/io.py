"""Adapters between Gluon data loading and the Module API's data iterators."""
from .. import ndarray
from ..io import DataDesc, DataIter

__all__ = ["DataLoaderIter"]


class DataLoaderIter(DataIter):
    """A ``mx.io.DataIter`` over a Gluon ``DataLoader`` yielding ``(data, label)``
    batches, for ``Module.fit``. The batch size and shapes come from the first
    batch; a shorter last batch is padded (with zeros here) and reports its
    ``pad``. Data and label are cast to ``dtype``."""

    def __init__(self, loader, data_name="data", label_name="softmax_label", dtype="float32"):
        super().__init__()
        self._loader = loader
        self._iter = iter(loader)
        data, label = next(self._iter)
        self.batch_size = data.shape[0]
        self.dtype = dtype
        self.provide_data = [DataDesc(data_name, data.shape, dtype)]
        self.provide_label = [DataDesc(label_name, label.shape, dtype)]
        self._current_batch = None
        self.reset()

    def reset(self):
        self._iter = iter(self._loader)

    def iter_next(self):
        self._current_batch = next(self._iter, None)
        return self._current_batch is not None

    def _padded(self, part):
        value = self._current_batch[part].astype(self.dtype)
        if not self.getpad():
            return [value]
        full = ndarray.zeros((self.batch_size,) + value.shape[1:], dtype=self.dtype)
        full[:value.shape[0]] = value
        return [full]

    def getdata(self):
        return self._padded(0)

    def getlabel(self):
        return self._padded(1)

    def getpad(self):
        return self.batch_size - self._current_batch[0].shape[0]

    def getindex(self):
        return None
