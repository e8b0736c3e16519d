"""ImageIter: batches of augmented images from a RecordIO file or an image list."""
import logging
import random

from .. import ndarray as nd
from .. import filesystem, io, recordio
from ..base import MXNetError
from .augmenters import CreateAugmenter
from .image import imdecode, numeric_types

__all__ = ["ImageIter"]


class ImageIter(io.DataIter):
    """Iterate over images with labels, decoding and augmenting them in Python.

    Sources: ``path_imgrec`` (a .rec file; with ``path_imgidx`` it can be shuffled
    and partitioned), ``path_imglist`` (a .lst file: ``index<TAB>label(s)<TAB>path``)
    or ``imglist`` (a list of ``[label(s)..., path]``), with paths relative to
    ``path_root``. A list given with a .rec supplies the labels for its records.
    Batches are (batch_size, C, H, W) of ``dtype`` with ``data_shape`` (C, H, W);
    labels (batch_size,) or (batch_size, label_width). ``aug_list`` defaults to
    ``CreateAugmenter(data_shape, **kwargs)``. ``part_index``/``num_parts`` take
    one contiguous part of the images. ``last_batch_handle``: 'pad' fills the last
    batch from the start (``pad`` says how many), 'discard' drops it, 'roll_over'
    carries its images into the first batch of the next epoch.
    """

    def __init__(self, batch_size, data_shape, label_width=1, path_imgrec=None,
                 path_imglist=None, path_root=None, path_imgidx=None, shuffle=False, part_index=0,
                 num_parts=1, aug_list=None, imglist=None, data_name="data",
                 label_name="softmax_label", dtype="float32", last_batch_handle="pad", **kwargs):
        super().__init__(batch_size)
        if not (path_imgrec or path_imglist or isinstance(imglist, list)):
            raise ValueError("ImageIter: give path_imgrec, path_imglist or imglist")
        if dtype not in ("int32", "float32", "int64", "float64"):
            raise ValueError(f"ImageIter: dtype must be int32, float32, int64 or float64, "
                             f"got {dtype}")
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError(f"ImageIter: last_batch_handle must be 'pad', 'discard' or "
                             f"'roll_over', got {last_batch_handle!r}")
        self.dtype = dtype
        self.imgidx = None
        self.imgrec = None
        if path_imgrec:
            if path_imgidx:
                self.imgrec = recordio.MXIndexedRecordIO(path_imgidx, path_imgrec, "r")
                self.imgidx = list(self.imgrec.keys)
            else:
                self.imgrec = recordio.MXRecordIO(path_imgrec, "r")
        imgkeys = []
        self.imglist = None
        if path_imglist:
            self.imglist = {}
            with filesystem.open(path_imglist, "r") as fin:
                for line in fin:
                    fields = line.strip().split("\t")
                    if len(fields) < 3:
                        continue
                    key = int(fields[0])
                    self.imglist[key] = (nd.array(fields[1:-1], dtype=dtype), fields[-1])
                    imgkeys.append(key)
        elif isinstance(imglist, list):
            self.imglist = {}
            for index, entry in enumerate(imglist, 1):
                key = str(index)
                if len(entry) > 2:
                    label = nd.array(entry[:-1], dtype=dtype)
                elif isinstance(entry[0], numeric_types):
                    label = nd.array([entry[0]], dtype=dtype)
                else:
                    label = nd.array(entry[0], dtype=dtype)
                self.imglist[key] = (label, entry[-1])
                imgkeys.append(key)
        self.path_root = path_root
        self.check_data_shape(data_shape)
        self.provide_data = [(data_name, (batch_size,) + tuple(data_shape))]
        self.provide_label = [(label_name, (batch_size, label_width) if label_width > 1
                               else (batch_size,))]
        self.batch_size = batch_size
        self.data_shape = tuple(data_shape)
        self.label_width = label_width
        self.shuffle = shuffle
        if self.imgrec is None:
            self.seq = imgkeys
        elif shuffle or num_parts > 1 or path_imgidx:
            if self.imgidx is None:
                raise ValueError("ImageIter: shuffle and num_parts > 1 need path_imgidx")
            self.seq = self.imgidx
        else:
            self.seq = None
        if num_parts > 1:
            if not 0 <= part_index < num_parts:
                raise ValueError(f"ImageIter: part_index {part_index} not in [0, {num_parts})")
            size = len(self.seq) // num_parts
            self.seq = self.seq[part_index * size:(part_index + 1) * size]
        self.auglist = CreateAugmenter(data_shape, **kwargs) if aug_list is None else aug_list
        self.cur = 0
        self._allow_read = True
        self.last_batch_handle = last_batch_handle
        self.num_image = len(self.seq) if self.seq is not None else None
        self._cache_data = self._cache_label = self._cache_idx = None
        self.reset()

    def reset(self):
        """Start a new epoch (reshuffled; a rolled-over partial batch is kept)."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.last_batch_handle != "roll_over" or self._cache_data is None:
            if self.imgrec is not None:
                self.imgrec.reset()
            self.cur = 0
            self._allow_read = True

    def hard_reset(self):
        """Start a new epoch, dropping any rolled-over images."""
        if self.seq is not None and self.shuffle:
            random.shuffle(self.seq)
        if self.imgrec is not None:
            self.imgrec.reset()
        self.cur = 0
        self._allow_read = True
        self._cache_data = self._cache_label = self._cache_idx = None

    def next_sample(self):
        """(label, encoded image bytes) of the next image; StopIteration at the end."""
        if not self._allow_read:
            raise StopIteration
        if self.seq is None:
            s = self.imgrec.read()
            if s is None:
                if self.last_batch_handle != "discard":
                    self.imgrec.reset()
                raise StopIteration
            header, img = recordio.unpack(s)
            return header.label, img
        if self.cur >= self.num_image:
            if self.last_batch_handle != "discard":
                self.cur = 0
            raise StopIteration
        idx = self.seq[self.cur]
        self.cur += 1
        if self.imgrec is not None:
            header, img = recordio.unpack(self.imgrec.read_idx(idx))
            return (header.label if self.imglist is None else self.imglist[idx][0]), img
        label, fname = self.imglist[idx]
        return label, self.read_image(fname)

    def _batchify(self, batch_data, batch_label, start=0):
        i = start
        try:
            while i < self.batch_size:
                label, s = self.next_sample()
                data = self.imdecode(s)
                try:
                    self.check_valid_image(data)
                except RuntimeError as e:
                    logging.debug("Invalid image, skipping: %s", e)
                    continue
                data = self.augmentation_transform(data)
                batch_data[i] = self.postprocess_data(data)
                batch_label[i] = label
                i += 1
        except StopIteration:
            if not i:
                raise
        return i

    def next(self):
        """The next ``DataBatch``."""
        if self._cache_data is not None:
            batch_data, batch_label, i = self._cache_data, self._cache_label, self._cache_idx
        else:
            batch_data, batch_label = self._new_batch()
            i = self._batchify(batch_data, batch_label)
        pad = self.batch_size - i
        if pad:
            if self.last_batch_handle == "discard":
                raise StopIteration
            if self.last_batch_handle == "roll_over" and self._cache_data is None:
                self._cache_data, self._cache_label, self._cache_idx = batch_data, batch_label, i
                raise StopIteration
            self._batchify(batch_data, batch_label, i)
            if self.last_batch_handle == "pad":
                self._allow_read = False
            else:
                self._cache_data = self._cache_label = self._cache_idx = None
        return io.DataBatch([batch_data], [batch_label], pad=pad)

    def _new_batch(self):
        return (nd.zeros((self.batch_size,) + self.data_shape, dtype=self.dtype),
                nd.empty(self.provide_label[0][1], dtype=self.dtype))

    def check_data_shape(self, data_shape):
        """Require a (3, H, W) data shape."""
        if len(data_shape) != 3:
            raise ValueError("data_shape should have length 3, with dimensions CxHxW")
        if data_shape[0] != 3:
            raise ValueError("This iterator expects inputs to have 3 channels.")

    def check_valid_image(self, data):
        """Raise RuntimeError for an empty decode result (the image is then skipped)."""
        if len(data[0].shape) == 0:
            raise RuntimeError("Data shape is wrong")

    def imdecode(self, s):
        """Decode image bytes, naming the image in the error when that fails."""
        try:
            return imdecode(s)
        except Exception as e:
            where = self.cur - 1
            if self.seq is not None and self.num_image:
                idx = self.seq[(self.cur % self.num_image) - 1]
                where = (f"filename: {self.imglist[idx][1]}" if self.imglist is not None
                         else f"index: {idx}")
            if self.imgrec is not None:
                where = f"{where} of {self.imgrec.uri!r}"
            # MXNetError is a RuntimeError, what MXNet raises here.
            raise MXNetError(f"Broken image {where}, {e}") from None

    def read_image(self, fname):
        """The raw bytes of image ``fname`` under ``path_root``."""
        path = filesystem.join(self.path_root, fname) if self.path_root else fname
        return filesystem.read_bytes(path)

    def augmentation_transform(self, data):
        """Run the augmenters on one image."""
        for aug in self.auglist:
            data = aug(data)
        return data

    def postprocess_data(self, datum):
        """HWC to CHW."""
        return nd.transpose(datum, axes=(2, 0, 1))
