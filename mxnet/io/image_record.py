"""Image RecordIO iterators: ``ImageRecordIter`` (+ UInt8/Int8 variants) and ``ImageDetRecordIter``.

Records are read in the iterator's own background thread, decoded and
augmented by a pool of ``preprocess_threads`` threads (Pillow, OpenCV and
NumPy release the GIL for the heavy parts) and up to ``prefetch_buffer``
assembled batches wait in a queue, as MXNet's C++ pipeline does.
"""
import queue
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..base import MXNetError
from .. import filesystem, recordio
from .augment import AUG_PARAMS, DefaultAugmenter
from .det_augment import DET_AUG_PARAMS, DetAugmenter, parse_det_label
from .decode import imdecode_bytes
from .io import MXDataIter
from .native import REQUIRED, RoundBatches, as_bool, as_dtype, as_shape, parse

__all__ = ["ImageRecordIter", "ImageRecordUInt8Iter", "ImageRecordInt8Iter", "ImageDetRecordIter",
           "ImageRecordIter_v1", "ImageRecordUInt8Iter_v1"]

_END = object()

_BASE_PARAMS = {
    "path_imglist": (str, ""), "path_imgrec": (str, REQUIRED), "path_imgidx": (str, ""),
    "aug_seq": (str, "aug_default"), "label_width": (int, 1), "data_shape": (as_shape, REQUIRED),
    "preprocess_threads": (int, 4), "verbose": (as_bool, True), "num_parts": (int, 1),
    "part_index": (int, 0), "device_id": (int, 0), "shuffle_chunk_size": (int, 0),
    "shuffle_chunk_seed": (int, 0), "seed_aug": (lambda v: None if v in (None, "None") else int(v), None),
    "shuffle": (as_bool, False), "seed": (int, 0), "batch_size": (int, REQUIRED),
    "round_batch": (as_bool, True), "prefetch_buffer": (int, 4), "ctx": (str, "gpu"),
    "dtype": (as_dtype, None), "resize": (int, -1), "inter_method": (int, 1),
    "data_name": (str, "data"), "label_name": (str, "softmax_label"),
}
_CLS_PARAMS = dict(AUG_PARAMS, **{
    "rand_mirror": (as_bool, False), "mirror": (as_bool, False),
    "mean_img": (str, ""), "mean_r": (float, 0.0), "mean_g": (float, 0.0), "mean_b": (float, 0.0),
    "mean_a": (float, 0.0), "std_r": (float, 1.0), "std_g": (float, 1.0), "std_b": (float, 1.0),
    "std_a": (float, 1.0), "scale": (float, 1.0), "max_random_contrast": (float, 0.0),
    "max_random_illumination": (float, 0.0),
})
# ImageRecordIter's augmentation names: MXNet's detection iterator accepts and ignores them.
_CLS_ONLY = {name: (None, None) for name in _CLS_PARAMS}
_DET_NORMALISE = {
    "mean_img": (str, ""), "mean_r": (float, 0.0), "mean_g": (float, 0.0), "mean_b": (float, 0.0),
    "mean_a": (float, 0.0), "std_r": (float, 0.0), "std_g": (float, 0.0), "std_b": (float, 0.0),
    "std_a": (float, 0.0), "scale": (float, 1.0),
}


def _record_offsets(path):
    """Start offsets of every record in a RecordIO file (a scan of the headers)."""
    offsets = []
    with recordio._open(path, "rb") as f:
        pos = 0
        while True:
            head = f.read(8)
            if not head:
                return offsets
            if len(head) < 8:
                raise MXNetError(f"invalid RecordIO file {path!r}: truncated header at byte {pos}")
            magic, lrec = np.frombuffer(head, "<u4")
            if magic != recordio._MAGIC:
                raise MXNetError(f"invalid RecordIO file {path!r}: no record magic at byte {pos}")
            if lrec >> 29 in (0, 1):
                offsets.append(pos)
            length = int(lrec) & recordio._LEN_MASK
            pos += 8 + length + (-length % 4)
            f.seek(pos)


def _part_offsets(path, num_parts, part_index):
    """Records of one part, split by file bytes as MXNet's input splitter does."""
    offsets = _record_offsets(path)
    if num_parts == 1:
        return offsets
    with recordio._open(path, "rb") as f:
        total = f.seek(0, 2)
    step = -(-total // num_parts)
    step += -step % 4
    lo, hi = step * part_index, step * (part_index + 1)
    return [o for o in offsets if lo <= o < hi]


class ImageRecordIter(MXDataIter):
    """Batches of decoded, augmented images from an image RecordIO file.

    Each image is decoded (3 channels RGB, or grayscale when ``data_shape``
    has 1 channel), optionally resized so its shorter edge is ``resize``,
    enlarged if smaller than ``data_shape``, cropped to ``data_shape``
    (centre, or random with ``rand_crop``), optionally mirrored, then
    normalised as ``(pixel - mean) / std * scale`` per channel. Data batches
    are ``(batch_size,) + data_shape`` (float32 unless ``dtype``); labels are
    ``(batch_size,)`` or ``(batch_size, label_width)``. ``num_parts`` and
    ``part_index`` read one shard of the file, for distributed training.
    """

    _name = "ImageRecordIter"
    _default_dtype = "float32"

    def __init__(self, **kwargs):
        p = parse(self._name, kwargs, dict(_BASE_PARAMS, **_CLS_PARAMS))
        self._init_common(p)
        self._augmenter = DefaultAugmenter(self._name, p, self._shape)
        self._label_width = p["label_width"]
        self._mean = np.array([p["mean_r"], p["mean_g"], p["mean_b"], p["mean_a"]], np.float32)
        self._std = np.array([p["std_r"], p["std_g"], p["std_b"], p["std_a"]], np.float32)
        self._mean_img = None
        lshape = (self.batch_size,) if self._label_width == 1 else (self.batch_size, self._label_width)
        self._describe((self.batch_size,) + self._shape, self._dtype, lshape, np.float32)
        if p["mean_img"]:
            self._mean_img = self._load_or_make_mean(p["mean_img"])

    def _load_or_make_mean(self, path):
        """The mean image of ``path`` (an ``nd.save`` file), made first when the
        file does not exist, as MXNet does: the mean of one pass over the data
        as this iterator delivers it (so normalised by mean_r.., std and scale,
        MXNet's way), saved under the key 'mean_img'. With a mean image the
        per-channel means are not used."""
        from .. import ndarray as nd
        if filesystem.exists(path):
            saved = nd.load(path)
            arrays = list(saved.values()) if isinstance(saved, dict) else list(saved)
            if not arrays or arrays[0].shape != self._shape:
                raise MXNetError(f"{self._name}: mean_img {path!r} holds "
                                 f"{[a.shape for a in arrays]}, expected one array of shape "
                                 f"{self._shape}")
            return arrays[0].asnumpy().astype(np.float32)
        total, count = np.zeros(self._shape, np.float64), 0
        for batch in self:
            real = batch.data[0].asnumpy()[:self.batch_size - batch.pad]
            total += real.sum(axis=0)
            count += len(real)
        if count == 0:
            raise MXNetError(f"{self._name}: cannot make mean_img {path!r}: the data is empty")
        mean = (total / count).astype(np.float32)
        nd.save(path, {"mean_img": nd.array(mean)})
        # A fresh start, as MXNet makes the mean in a pass of its own: no round_batch
        # carry-over, the first epoch's augmentation seeds, and the new mean.
        self._mean_img = mean
        self._batcher.rewind()
        self._epoch_count = 0
        self.reset()
        return mean

    def _init_common(self, p):
        super().__init__(data_name=p["data_name"], label_name=p["label_name"])
        self._p = p
        self.batch_size = p["batch_size"]
        self._shape = p["data_shape"]
        if len(self._shape) != 3 or self._shape[0] not in (1, 3, 4):
            raise MXNetError(f"{self._name}: data_shape must be (channels, height, width) with 1, 3 "
                             f"or 4 channels, got {self._shape}")
        if not 0 <= p["part_index"] < p["num_parts"]:
            raise MXNetError(f"{self._name}: part_index {p['part_index']} is outside "
                             f"0..num_parts-1 (num_parts={p['num_parts']})")
        self._dtype = p["dtype"] or self._default_dtype
        self._path = p["path_imgrec"]
        if p["path_imgidx"]:
            reader = recordio.MXIndexedRecordIO(p["path_imgidx"], self._path, "r")
            keys = reader.keys
            reader.close()
            share = -(-len(keys) // p["num_parts"])
            offsets = [reader.idx[k] for k in keys[share * p["part_index"]:share * (p["part_index"] + 1)]]
        else:
            offsets = _part_offsets(self._path, p["num_parts"], p["part_index"])
        if not offsets:
            raise MXNetError(f"{self._name}: no records in {self._path!r} for part "
                             f"{p['part_index']} of {p['num_parts']}")
        self._offsets = np.array(offsets, np.int64)
        self._list_labels = self._read_list(p["path_imglist"]) if p["path_imglist"] else None
        self._batcher = RoundBatches(self.batch_size, p["round_batch"])
        self._epoch_count = 0
        self._pool = ThreadPoolExecutor(max(1, p["preprocess_threads"]))
        if p["verbose"]:
            print(f"{self._name}: {self._path}, {len(offsets)} records, "
                  f"{max(1, p['preprocess_threads'])} threads for decoding", file=sys.stderr)

    @staticmethod
    def _read_list(path):
        labels = {}
        with filesystem.open(path, "r") as f:
            for line in f:
                fields = line.strip().split("\t")
                if len(fields) >= 3:
                    labels[int(float(fields[0]))] = np.array(fields[1:-1], np.float32)
        return labels

    def __del__(self):
        try:
            self._close_epoch()
            self._pool.shutdown(wait=False)
        except AttributeError:  # construction failed before the pool existed
            pass

    # -- one example ---------------------------------------------------------------
    def _label_of(self, header, where):
        label = header.label
        if self._list_labels is not None:
            label = self._list_labels.get(header.id)
            if label is None:
                raise MXNetError(f"{self._name}: {where} has id {header.id}, absent from path_imglist")
        label = np.atleast_1d(np.asarray(label, np.float32))
        if label.size != self._label_width:
            raise MXNetError(f"{self._name}: {where} has {label.size} label value(s) but "
                             f"label_width is {self._label_width}")
        return label

    def _decode(self, raw, where):
        header, payload = recordio.unpack(raw)
        channels = self._shape[0]
        img = imdecode_bytes(payload, 0 if channels == 1 else (-1 if channels == 4 else 1), what=where)
        return header, img[:, :, None] if img.ndim == 2 else img

    def _augment(self, img, rng):
        return self._augmenter(img, rng)

    def _write(self, img, out, rng):
        """Write the augmented HxWxC BGR(A) image into ``out`` (C, H, W) as RGB(A): mirrored
        when asked, then ``((pixel - mean) * contrast + illumination) * scale / std``."""
        p = self._p
        if p["mirror"] or (p["rand_mirror"] and rng.random() < 0.5):
            img = img[:, ::-1]
        c = img.shape[2]
        chw = img.transpose(2, 0, 1)
        if c >= 3:  # BGR(A) -> RGB(A)
            chw = chw[[2, 1, 0, 3][:c]]
        if self._dtype == "uint8":
            out[...] = chw
            return
        contrast, illumination = 1.0, 0.0
        if p["max_random_contrast"] > 0:
            contrast += rng.uniform(-p["max_random_contrast"], p["max_random_contrast"])
        if p["max_random_illumination"] > 0:
            illumination = rng.uniform(-p["max_random_illumination"], p["max_random_illumination"])
        gain = (np.float32(contrast * p["scale"]) / self._std[:c])[:, None, None]
        offset = (np.float32(illumination * p["scale"]) / self._std[:c])[:, None, None]
        mean = self._mean[:c, None, None] if self._mean_img is None else self._mean_img
        work = np.subtract(chw, mean, dtype=np.float32)
        work *= gain
        work += offset
        if self._dtype == "int8":
            work = np.clip(np.rint(work), -128, 127)
        out[...] = work

    def _example(self, raw, offset, seed, out):
        where = f"record at byte {offset} of {self._path!r}"
        header, img = self._decode(raw, where)
        rng = np.random.default_rng(seed)
        self._write(self._augment(img, rng), out, rng)
        return self._label_of(header, where)

    # -- batches -----------------------------------------------------------------
    def _label_array(self):
        shape = (self.batch_size,) if self._label_width == 1 else (self.batch_size, self._label_width)
        return np.zeros(shape, np.float32)

    def _order(self):
        order = np.arange(len(self._offsets))
        if self._p["shuffle"]:
            np.random.default_rng((self._p["seed"], self._epoch_count)).shuffle(order)
        return order

    def _assemble(self, f, number, items, missing):
        """Read, decode and augment one batch (decoding runs in the thread pool)."""
        seed_aug = self._p["seed_aug"] if self._p["seed_aug"] is not None else self._p["seed"]
        raws = []
        for item in items:
            f.seek(int(self._offsets[item]))
            raws.append(recordio.read_record(f, self._path))
        # Each job writes its image straight into its slot of the batch.
        data = np.zeros((self.batch_size,) + self._shape, self._dtype)
        jobs = [self._pool.submit(self._example, raw, int(self._offsets[item]),
                                  (seed_aug, self._epoch_count, number, k), data[k])
                for k, (raw, item) in enumerate(zip(raws, items))]
        label = self._label_array()
        for k, job in enumerate(jobs):
            label[k] = job.result().reshape(label.shape[1:])
        return data, label, missing, np.zeros(self.batch_size, np.uint64)

    def _epoch(self):
        out = queue.Queue(maxsize=max(1, self._p["prefetch_buffer"]))
        stop = threading.Event()
        plan = list(self._batcher(self._order()))
        # The thread holds the iterator only weakly, so an abandoned iterator is
        # collected and its thread ends instead of waiting forever.
        thread = threading.Thread(target=_produce, args=(weakref.ref(self), plan, out, stop),
                                  daemon=True)
        thread.start()
        try:
            while True:
                item = out.get()
                if item is _END:
                    return
                if isinstance(item, Exception):
                    raise item if isinstance(item, MXNetError) else MXNetError(
                        f"{self._name}: {type(item).__name__}: {item}")
                yield item
        finally:
            stop.set()
            thread.join()
            self._epoch_count += 1

    def reset(self):
        if self._batches is not None and self._current is not None:
            self._batcher.rewind()  # a reset mid-epoch starts the data from its beginning
        super().reset()


def _put(out, item, stop, ref):
    """Queue ``item`` unless the epoch was stopped or the iterator is gone; False then."""
    while not stop.is_set() and ref() is not None:
        try:
            out.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _produce(ref, plan, out, stop):
    """Producer thread of one epoch: queue whole batches, then the end marker."""
    try:
        with recordio._open(ref()._path, "rb") as f:
            for number, (items, missing) in enumerate(plan):
                it = ref()
                if it is None:
                    return
                batch = it._assemble(f, number, items, missing)
                del it
                if not _put(out, batch, stop, ref):
                    return
    except Exception as err:  # handed to the consumer, raised at its next()
        _put(out, err, stop, ref)
        return
    _put(out, _END, stop, ref)


class ImageRecordUInt8Iter(ImageRecordIter):
    """``ImageRecordIter`` giving raw uint8 pixels (no mean/std/scale)."""
    _name = "ImageRecordUInt8Iter"
    _default_dtype = "uint8"


class ImageRecordInt8Iter(ImageRecordIter):
    """``ImageRecordIter`` giving int8 data (normalised values rounded and clipped)."""
    _name = "ImageRecordInt8Iter"
    _default_dtype = "int8"


ImageRecordIter_v1 = ImageRecordIter
ImageRecordUInt8Iter_v1 = ImageRecordUInt8Iter


class ImageDetRecordIter(ImageRecordIter):
    """Batches of images with object-detection labels, augmented with their boxes.

    Labels are MXNet's detection records (``[header_width, object_width,
    <header>, (id, xmin, ymin, xmax, ymax, <extra>) * n]``, corners as
    fractions of the image size). Each image goes through the detection
    augmenter (see ``mxnet.io.det_augment``: resize, colour, mirror, pad, crop,
    then ``resize_mode``) and lands at the top-left corner of its zeroed batch
    slot, normalised as ``(pixel - mean) * scale / std`` per channel over the
    whole slot (a ``std`` of 0 divides by 1). Each label row is ``[channels,
    height, width, n, <the n augmented label values>]`` (the image size after
    augmentation), padded with ``label_pad_value`` to ``4 + label_pad_width``
    values, where ``label_pad_width`` defaults to the longest label in the
    file. ImageRecordIter's augmentation parameters are accepted and ignored,
    as in MXNet.
    """

    _name = "ImageDetRecordIter"

    def __init__(self, **kwargs):
        params = dict(_BASE_PARAMS, **_CLS_ONLY)
        params.update(DET_AUG_PARAMS, **_DET_NORMALISE, label_pad_width=(int, 0),
                      label_pad_value=(float, -1.0), aug_seq=(str, "det_aug_default"),
                      label_width=(int, -1))
        p = parse(self._name, kwargs, params)
        self._init_common(p)
        if self._shape[0] == 4:
            raise MXNetError(f"{self._name}: data_shape must have 1 or 3 channels, got {self._shape}")
        self._augmenter = DetAugmenter(self._name, p, self._shape)
        self._mean = np.array([p["mean_r"], p["mean_g"], p["mean_b"]], np.float32)
        std = np.array([p["std_r"], p["std_g"], p["std_b"]], np.float32)
        self._gain = np.float32(p["scale"]) / np.where(std > 0, std, np.float32(1))
        longest = self._longest_label()
        if 0 < p["label_pad_width"] < longest:
            raise MXNetError(f"{self._name}: label_pad_width {p['label_pad_width']} is smaller than "
                             f"the longest label in {self._path!r} ({longest} values)")
        self._label_width = 4 + max(p["label_pad_width"], longest)
        self._describe((self.batch_size,) + self._shape, self._dtype,
                       (self.batch_size, self._label_width), np.float32)
        self._mean_img = None
        if p["mean_img"]:
            self._mean_img = self._load_or_make_mean(p["mean_img"])

    def _raw_label(self, header, where):
        if self._list_labels is None:
            return header.label
        label = self._list_labels.get(header.id)
        if label is None:
            raise MXNetError(f"{self._name}: {where} has id {header.id}, absent from path_imglist")
        return label

    def _longest_label(self):
        """The longest raw label of the file (checked against ``label_width`` when given)."""
        longest, fixed = 0, self._p["label_width"]
        with recordio._open(self._path, "rb") as f:
            for offset in self._offsets:
                f.seek(int(offset))
                where = f"record at byte {int(offset)} of {self._path!r}"
                header, _ = recordio.unpack(recordio.read_record(f, self._path))
                size = np.size(self._raw_label(header, where))
                if fixed > 0 and size != fixed:
                    raise MXNetError(f"{self._name}: {where} has {size} label values but "
                                     f"label_width is {fixed}")
                longest = max(longest, size)
        return longest

    def _label_array(self):
        return np.zeros((self.batch_size, self._label_width), np.float32)

    def _example(self, raw, offset, seed, out):
        where = f"record at byte {offset} of {self._path!r}"
        header, img = self._decode(raw, where)
        head, objects = parse_det_label(self._raw_label(header, where), where, self._name)
        img, objects = self._augmenter(img, objects, np.random.default_rng(seed))
        self._write(img, out, None)
        label = np.concatenate([head, objects.ravel()])
        row = np.full(self._label_width, self._p["label_pad_value"], np.float32)
        row[:4] = (self._shape[0],) + img.shape[:2] + (label.size,)
        row[4:4 + label.size] = label
        return row

    def _write(self, img, out, rng):
        """Place the HxWxC BGR image at the top-left of ``out`` (C, H, W) as RGB, then
        normalise the whole slot."""
        rows, cols, channels = img.shape
        chw = img.transpose(2, 0, 1)
        if channels == 3:
            chw = chw[::-1]
        gain = self._gain[:channels, None, None]
        mean = self._mean[:channels, None, None] if self._mean_img is None else self._mean_img
        integer = self._dtype in ("uint8", "int8")
        work = np.empty(out.shape, np.float32) if integer else out
        work[...] = (np.float32(0) - mean) * gain
        work[:, :rows, :cols] = (chw - (mean if mean.shape[1] == 1 else
                                        mean[:, :rows, :cols])) * gain
        if integer:
            info = np.iinfo(self._dtype)
            out[...] = np.clip(np.rint(work), info.min, info.max)
