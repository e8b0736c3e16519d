"""``MNISTIter``: batches from MNIST's idx files (images ``idx3-ubyte``, labels ``idx1-ubyte``)."""
import gzip
import struct
import sys

import numpy as np

from ..base import MXNetError
from .io import MXDataIter
from .native import as_bool, as_dtype, parse
from ..recordio import _open

__all__ = ["MNISTIter"]


def _read_idx(path, magic, what):
    """The array stored in an idx file (gzip-compressed files are accepted too)."""
    with _open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 8 or struct.unpack(">I", raw[:4])[0] != magic:
        raise MXNetError(f"MNISTIter: {path!r} is not an MNIST {what} file (expected idx magic {magic})")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    body = raw[4 + 4 * ndim:]
    count = int(np.prod(dims))
    if len(body) < count:
        raise MXNetError(f"MNISTIter: {path!r} is truncated: {len(body)} of {count} bytes")
    return np.frombuffer(body, np.uint8, count).reshape(dims)


class MNISTIter(MXDataIter):
    """MNIST batches: images scaled to [0, 1) (pixel / 256) as ``(batch, 1, 28, 28)``
    or, with ``flat``, ``(batch, 784)``; float labels. The order is shuffled once
    (``shuffle`` is on by default, seeded by ``seed``); the incomplete last batch is dropped.
    ``num_parts``/``part_index`` read one contiguous share of the images."""

    def __init__(self, **kwargs):
        p = parse("MNISTIter", kwargs, {
            "image": (str, "./train-images-idx3-ubyte"), "label": (str, "./train-labels-idx1-ubyte"),
            "batch_size": (int, 128), "shuffle": (as_bool, True), "flat": (as_bool, False),
            "seed": (int, 0), "silent": (as_bool, False), "num_parts": (int, 1),
            "part_index": (int, 0), "prefetch_buffer": (int, 4), "ctx": (str, "gpu"),
            "dtype": (as_dtype, None), "data_name": (str, "data"),
            "label_name": (str, "softmax_label")})
        super().__init__(data_name=p["data_name"], label_name=p["label_name"])
        images = _read_idx(p["image"], 2051, "image")
        labels = _read_idx(p["label"], 2049, "label")
        if len(images) != len(labels):
            raise MXNetError(f"MNISTIter: {len(images)} images in {p['image']!r} but "
                             f"{len(labels)} labels in {p['label']!r}")
        share = -(-len(images) // p["num_parts"])
        part = slice(share * p["part_index"], share * (p["part_index"] + 1))
        images, labels = images[part], labels[part]
        order = np.arange(len(images))
        if p["shuffle"]:
            np.random.RandomState(p["seed"]).shuffle(order)
        dtype = p["dtype"] or "float32"
        shape = (len(images), -1) if p["flat"] else (len(images), 1) + images.shape[1:]
        self._images = (images[order].astype(np.float32) / 256).astype(dtype).reshape(shape)
        self._labels = labels[order].astype(dtype)
        self.batch_size = p["batch_size"]
        if not p["silent"]:
            print(f"MNISTIter: load {len(images)} images, shuffle={int(p['shuffle'])}, "
                  f"shape={(self.batch_size,) + self._images.shape[1:]}", file=sys.stderr)
        self._describe((self.batch_size,) + self._images.shape[1:], dtype, (self.batch_size,), dtype)

    def _epoch(self):
        bs = self.batch_size
        for start in range(0, len(self._images) - bs + 1, bs):
            yield (self._images[start:start + bs], self._labels[start:start + bs], 0,
                   np.zeros(bs, np.uint64))
