"""``CSVIter`` and ``LibSVMIter``: batches read from text files."""
import re

import numpy as np

from ..base import MXNetError
from .. import ndarray as nd
from .io import MXDataIter
from .native import REQUIRED, RoundBatches, as_bool, as_dtype, as_shape, parse
from ..recordio import _open

__all__ = ["CSVIter", "LibSVMIter"]

_COMMON = {
    "batch_size": (int, REQUIRED),
    "round_batch": (as_bool, True),
    "prefetch_buffer": (int, 4),
    "ctx": (str, "gpu"),
    "dtype": (as_dtype, None),
    "data_name": (str, "data"),
    "label_name": (str, "softmax_label"),
}
_LEADING_INT = re.compile(r"\s*[+-]?\d+")


def _read_lines(path, what):
    with _open(path, "rb") as f:
        text = f.read().decode("utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise MXNetError(f"{what}: file {path!r} holds no rows")
    return lines


def _parse_field(text, integer):
    """One CSV field; integer dtypes keep only the leading integer, as C's strtol does."""
    if integer:
        match = _LEADING_INT.match(text)
        return int(match.group()) if match else 0
    return float(text)


def _read_csv(path, shape, dtype, what):
    size = int(np.prod(shape))
    integer = np.dtype(dtype).kind in "iu"
    rows = []
    for number, line in enumerate(_read_lines(path, what), 1):
        fields = line.strip().rstrip(",").split(",")
        if len(fields) != size:
            raise MXNetError(f"{what}: row {number} of {path!r} has {len(fields)} values but the "
                             f"shape {tuple(shape)} needs {size}")
        try:
            rows.append([_parse_field(f, integer) for f in fields])
        except ValueError as err:
            raise MXNetError(f"{what}: row {number} of {path!r}: {err}") from None
    return np.array(rows, dtype=dtype).reshape((len(rows),) + tuple(shape))


class CSVIter(MXDataIter):
    """Batches from a CSV file of examples (each row reshaped to ``data_shape``) and
    an optional CSV file of labels (``label_shape``; zeros without one)."""

    def __init__(self, **kwargs):
        p = parse("CSVIter", kwargs, dict(_COMMON, data_csv=(str, REQUIRED),
                                          data_shape=(as_shape, REQUIRED),
                                          label_csv=(str, "NULL"), label_shape=(as_shape, (1,))))
        super().__init__(data_name=p["data_name"], label_name=p["label_name"])
        dtype = p["dtype"] or "float32"
        self.batch_size = p["batch_size"]
        self._data = _read_csv(p["data_csv"], p["data_shape"], dtype, "CSVIter")
        if p["label_csv"] != "NULL":
            self._label = _read_csv(p["label_csv"], p["label_shape"], dtype, "CSVIter")
            if len(self._label) != len(self._data):
                raise MXNetError(f"CSVIter: {p['label_csv']!r} has {len(self._label)} rows but "
                                 f"{p['data_csv']!r} has {len(self._data)}")
        else:
            self._label = np.zeros((len(self._data),) + p["label_shape"], dtype=dtype)
        if p["label_shape"] == (1,):
            self._label = self._label.reshape(len(self._data))
        self._batcher = RoundBatches(self.batch_size, p["round_batch"])
        self._describe((self.batch_size,) + self._data.shape[1:], dtype,
                       (self.batch_size,) + self._label.shape[1:], dtype)

    def _epoch(self):
        # MXNet refills one buffer, so the slots of a short last batch (round_batch
        # off) still hold the previous batch's rows; reproduced for identical output.
        data = np.zeros((self.batch_size,) + self._data.shape[1:], self._data.dtype)
        label = np.zeros((self.batch_size,) + self._label.shape[1:], self._label.dtype)
        index = np.zeros(self.batch_size, np.uint64)
        for rows, missing in self._batcher(np.arange(len(self._data))):
            data[:len(rows)] = self._data[rows]
            label[:len(rows)] = self._label[rows]
            index[:len(rows)] = rows
            yield data.copy(), label.copy(), missing, index.copy()


def _read_libsvm(path, dim, what):
    """Labels (list of float lists) and CSR parts (values, columns, row pointers) of a LibSVM file."""
    labels, values, columns, indptr = [], [], [], [0]
    for number, line in enumerate(_read_lines(path, what), 1):
        tokens = line.split()
        try:
            labels.append([float(t) for t in tokens[0].split(",")])
            for token in tokens[1:]:
                col, val = token.split(":")
                col = int(col)
                if not 0 <= col < dim:
                    raise ValueError(f"feature index {col} is outside data_shape ({dim},)")
                columns.append(col)
                values.append(float(val))
        except ValueError as err:
            raise MXNetError(f"{what}: line {number} of {path!r}: {err}") from None
        indptr.append(len(values))
    return labels, np.array(values, np.float32), np.array(columns, np.int64), np.array(indptr, np.int64)


class LibSVMIter(MXDataIter):
    """Batches of CSR rows from a LibSVM file (``label idx:value ...``, zero-based indices).

    Data batches are ``CSRNDArray`` of shape ``(batch_size,) + data_shape``;
    labels come from the first column, or from ``label_libsvm`` when given.
    ``num_parts``/``part_index`` read one contiguous share of the rows.
    """

    def __init__(self, **kwargs):
        p = parse("LibSVMIter", kwargs, dict(_COMMON, data_libsvm=(str, REQUIRED),
                                             data_shape=(as_shape, REQUIRED),
                                             label_libsvm=(str, "NULL"), label_shape=(as_shape, (1,)),
                                             num_parts=(int, 1), part_index=(int, 0)))
        super().__init__(data_name=p["data_name"], label_name=p["label_name"])
        if len(p["data_shape"]) != 1:
            raise MXNetError(f"LibSVMIter: data_shape must have one dimension, got {p['data_shape']}")
        if not 0 <= p["part_index"] < p["num_parts"]:
            raise MXNetError(f"LibSVMIter: part_index {p['part_index']} is outside 0..num_parts-1 "
                             f"(num_parts={p['num_parts']})")
        self.batch_size = p["batch_size"]
        self._dim = p["data_shape"][0]
        labels, self._values, self._columns, self._indptr = _read_libsvm(
            p["data_libsvm"], self._dim, "LibSVMIter")
        label_shape = p["label_shape"]
        if p["label_libsvm"] != "NULL":
            _, lv, lc, lp = _read_libsvm(p["label_libsvm"], int(np.prod(label_shape)), "LibSVMIter")
            dense = np.zeros((len(lp) - 1, int(np.prod(label_shape))), np.float32)
            dense[np.repeat(np.arange(len(lp) - 1), np.diff(lp)), lc] = lv
            self._labels = dense.reshape((-1,) + label_shape)
        else:
            self._labels = np.array([lab[:int(np.prod(label_shape))] for lab in labels],
                                    np.float32).reshape((-1,) + label_shape)
        if label_shape == (1,):
            self._labels = self._labels.reshape(-1)
        rows = len(self._indptr) - 1
        if len(self._labels) != rows:
            raise MXNetError(f"LibSVMIter: {len(self._labels)} labels for {rows} data rows")
        share = -(-rows // p["num_parts"])
        self._rows = np.arange(rows)[share * p["part_index"]:share * (p["part_index"] + 1)]
        self._batcher = RoundBatches(self.batch_size, p["round_batch"])
        self._describe((self.batch_size, self._dim), np.float32,
                       (self.batch_size,) + self._labels.shape[1:], np.float32)

    def _epoch(self):
        for rows, missing in self._batcher(self._rows):
            starts, ends = self._indptr[rows], self._indptr[rows + 1]
            picks = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends)] + [np.zeros(0, int)])
            ptr = np.concatenate([[0], np.cumsum(ends - starts), np.full(self.batch_size - len(rows),
                                                                        (ends - starts).sum())])
            data = nd.sparse.csr_matrix((self._values[picks], self._columns[picks], ptr),
                                        shape=(self.batch_size, self._dim), dtype=np.float32)
            label = np.zeros((self.batch_size,) + self._labels.shape[1:], np.float32)
            label[:len(rows)] = self._labels[rows]
            yield data, label, missing, rows.astype(np.uint64)
