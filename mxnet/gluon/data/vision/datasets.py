"""Vision datasets: MNIST, Fashion-MNIST, CIFAR-10/100 from their files under ``root``,
and image datasets over record files, folders and image lists.

Samples are ``(image, label)`` with the image an HWC uint8 NDArray. The standard
datasets read the files MXNet downloads; a missing file is downloaded into ``root``
when possible, and otherwise an MXNetError says which file to place where. A ``root``
may be a URI (``s3://bucket/mnist``), read through fsspec; nothing is downloaded there.
"""
import gzip
import os
import struct
import warnings

import numpy as np

from .... import filesystem, image, ndarray as nd
from ....base import MXNetError
from ...utils import check_sha1, download
from ..dataset import Dataset, RecordFileDataset

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageRecordDataset",
           "ImageFolderDataset", "ImageListDataset"]

_REPO = "https://apache-mxnet.s3-accelerate.dualstack.amazonaws.com/gluon/dataset/"


class _DownloadedDataset(Dataset):
    """A dataset held in memory as ``_data`` (NDArray) and ``_label`` (NumPy int32)."""

    def __init__(self, root, transform):
        self._root = _expand(root)
        self._transform = transform
        self._data = None
        self._label = None
        if not filesystem.is_remote(self._root):
            os.makedirs(self._root, exist_ok=True)
        self._get_data()

    def __getitem__(self, idx):
        if self._transform is not None:
            return self._transform(self._data[idx], self._label[idx])
        return self._data[idx], self._label[idx]

    def __len__(self):
        return len(self._label)

    def _fetch(self, name, url, sha1):
        """Path of ``name`` under root, downloading it when missing or corrupt (a local file
        that fails the checksum is still used when no download is possible)."""
        path = filesystem.join(self._root, name)
        if filesystem.is_remote(path):
            if filesystem.exists(path):
                return path
            raise MXNetError(f"{type(self).__name__}: '{name}' is not in {self._root}; upload it "
                             f"there (from {url}) or use a local root to download it")
        if os.path.exists(path) and (sha1 is None or check_sha1(path, sha1)):
            return path
        try:
            return download(url, path=path, sha1_hash=sha1)
        except Exception as e:  # offline, proxy, server errors: say what to do instead
            if os.path.exists(path):
                warnings.warn(f"{path} does not match the published checksum and a fresh copy "
                              f"could not be downloaded; using it as it is", stacklevel=4)
                return path
            raise MXNetError(f"{type(self).__name__}: '{name}' is not in {self._root} and could "
                             f"not be downloaded from {url} ({type(e).__name__}: {e}); place "
                             "the file there by hand") from None


def _expand(root):
    return root if filesystem.is_remote(root) else os.path.expanduser(root)


def _read_idx(path):
    """Read an IDX file (MNIST's format), gzipped or not, as a NumPy uint8 array."""
    raw = filesystem.read_bytes(path)
    if path.endswith(".gz"):
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise MXNetError(f"'{path}' is not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise MXNetError(f"'{path}' is truncated: expected {int(np.prod(dims))} values, "
                         f"found {data.size}")
    return data.reshape(dims)


class MNIST(_DownloadedDataset):
    """The MNIST handwritten digits: 28x28x1 uint8 images, int32 labels 0-9."""

    _base_url = _REPO + "mnist/"
    _train_data = ("train-images-idx3-ubyte.gz", "6c95f4b05d2bf285e1bfb0e7960c31bd3b3f8a7d")
    _train_label = ("train-labels-idx1-ubyte.gz", "2a80914081dc54586dbdf242f9805a6b8d2a15fc")
    _test_data = ("t10k-images-idx3-ubyte.gz", "c3a25af1f52dad7f726cce8cacb138654b760d48")
    _test_label = ("t10k-labels-idx1-ubyte.gz", "763e7fa3757d93b0cdec073cef058b2004252c17")

    def __init__(self, root=os.path.join("~", ".mxnet", "datasets", "mnist"), train=True,
                 transform=None):
        self._train = train
        super().__init__(root, transform)

    def _locate(self, name, sha1):
        # Accept the uncompressed file too (as many mirrors ship it).
        plain = filesystem.join(self._root, name[:-3])
        if not filesystem.exists(filesystem.join(self._root, name)) and filesystem.exists(plain):
            return plain
        return self._fetch(name, self._base_url + name, sha1)

    def _get_data(self):
        data, label = (self._train_data, self._train_label) if self._train \
            else (self._test_data, self._test_label)
        labels = _read_idx(self._locate(*label)).astype(np.int32)
        images = _read_idx(self._locate(*data))
        if images.ndim != 3 or len(images) != len(labels):
            raise MXNetError(f"{type(self).__name__}: image file of shape {images.shape} does "
                             f"not match {len(labels)} labels")
        self._data = nd.array(images.reshape(-1, images.shape[1], images.shape[2], 1),
                              dtype=np.uint8)
        self._label = labels


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: MNIST's format and shapes, clothing classes."""

    _base_url = _REPO + "fashion-mnist/"
    _train_data = ("train-images-idx3-ubyte.gz", "0cf37b0d40ed5169c6b3aba31069a9770ac9043d")
    _train_label = ("train-labels-idx1-ubyte.gz", "236021d52f1e40852b06a4c3008d8de8aef1e40b")
    _test_data = ("t10k-images-idx3-ubyte.gz", "626ed6a7c06dd17c0eec72fa3be1740f146a2863")
    _test_label = ("t10k-labels-idx1-ubyte.gz", "17f9ab60e7257a1620f4ad76bbbaf857c3920701")

    def __init__(self, root=os.path.join("~", ".mxnet", "datasets", "fashion-mnist"),
                 train=True, transform=None):
        super().__init__(root, train, transform)


class CIFAR10(_DownloadedDataset):
    """CIFAR-10: 32x32x3 uint8 images, int32 labels 0-9, from the binary version's files
    (``cifar-10-batches-bin/*.bin`` under root)."""

    _url = _REPO + "cifar10/"
    _archive = ("cifar-10-binary.tar.gz", "fab780a1e191a7eda0f345501ccd62d20f7ed891")
    _folder = "cifar-10-batches-bin"
    _train_files = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
    _test_files = ("test_batch.bin",)
    _label_bytes = 1

    def __init__(self, root=os.path.join("~", ".mxnet", "datasets", "cifar10"), train=True,
                 transform=None):
        self._train = train
        super().__init__(root, transform)

    def _label_column(self):
        return 0

    def _read_batch(self, path):
        row = self._label_bytes + 3072
        raw = np.frombuffer(filesystem.read_bytes(path), dtype=np.uint8)
        if raw.size % row:
            raise MXNetError(f"'{path}' is truncated: {raw.size} bytes is not a multiple of "
                             f"the record size {row}")
        raw = raw.reshape(-1, row)
        images = raw[:, self._label_bytes:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        return images, raw[:, self._label_column()].astype(np.int32)

    def _get_data(self):
        names = self._train_files if self._train else self._test_files
        paths = [filesystem.join(self._root, self._folder, n) for n in names]
        if not all(filesystem.exists(p) for p in paths):
            import tarfile
            archive = self._fetch(self._archive[0], self._url + self._archive[0],
                                  self._archive[1])
            with tarfile.open(archive) as tar:
                tar.extractall(self._root, filter="data")
        parts = [self._read_batch(p) for p in paths]
        self._data = nd.array(np.concatenate([p[0] for p in parts]), dtype=np.uint8)
        self._label = np.concatenate([p[1] for p in parts])


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR10, with coarse (20) or ``fine_label`` (100) classes."""

    _url = _REPO + "cifar100/"
    _archive = ("cifar-100-binary.tar.gz", "a0bb982c76b83111308126cc779a992fa506b90b")
    _folder = "cifar-100-binary"
    _train_files = ("train.bin",)
    _test_files = ("test.bin",)
    _label_bytes = 2

    def __init__(self, root=os.path.join("~", ".mxnet", "datasets", "cifar100"),
                 fine_label=False, train=True, transform=None):
        self._fine_label = fine_label
        super().__init__(root, train, transform)

    def _label_column(self):
        return 1 if self._fine_label else 0


class ImageRecordDataset(RecordFileDataset):
    """Images in a RecordIO file: samples are (decoded HWC image, header label)."""

    def __init__(self, filename, flag=1, transform=None):
        super().__init__(filename)
        self._flag = flag
        self._transform = transform

    def __getitem__(self, idx):
        from .... import recordio
        header, img = recordio.unpack(super().__getitem__(idx))
        try:
            data = image.imdecode(img, self._flag)
        except MXNetError as err:
            raise MXNetError(f"ImageRecordDataset: image of record {idx} (id {header.id}) in "
                             f"{self.filename!r}: {err}") from None
        if self._transform is not None:
            return self._transform(data, header.label)
        return data, header.label


class ImageFolderDataset(Dataset):
    """Images stored as ``root/<class name>/<image>``; labels number the sorted class
    folders (listed in ``synsets``), ``items`` holds (path, label) pairs."""

    _exts = (".jpg", ".jpeg", ".png")

    def __init__(self, root, flag=1, transform=None):
        self._root = _expand(root)
        self._flag = flag
        self._transform = transform
        self.synsets = []
        self.items = []
        for folder in sorted(filesystem.listdir(self._root)):
            path = filesystem.join(self._root, folder)
            if not filesystem.isdir(path):
                warnings.warn(f"Ignoring {path}, which is not a directory.", stacklevel=3)
                continue
            label = len(self.synsets)
            self.synsets.append(folder)
            for filename in sorted(filesystem.listdir(path)):
                if os.path.splitext(filename)[1].lower() not in self._exts:
                    warnings.warn(f"Ignoring {filename} of type "
                                  f"{os.path.splitext(filename)[1]}. Only support "
                                  f"{', '.join(self._exts)}", stacklevel=3)
                    continue
                self.items.append((filesystem.join(path, filename), label))

    def __getitem__(self, idx):
        img = image.imread(self.items[idx][0], self._flag)
        label = self.items[idx][1]
        if self._transform is not None:
            return self._transform(img, label)
        return img, label

    def __len__(self):
        return len(self.items)


class ImageListDataset(Dataset):
    """Images listed in ``imglist``: a ``.lst`` file (``index<TAB>label(s)<TAB>path``) or a
    list of ``[label(s)..., path]``; paths are relative to ``root``. Labels are float32
    (a scalar for one label, an array for several)."""

    def __init__(self, root=".", imglist=None, flag=1):
        self._root = _expand(root)
        self._flag = flag
        self.items = []
        if isinstance(imglist, str):
            with filesystem.open(_expand(imglist), "r") as f:
                for n, line in enumerate(f):
                    fields = line.strip().split("\t")
                    if not fields or fields == [""]:
                        continue
                    if len(fields) < 3:
                        raise MXNetError(f"ImageListDataset: line {n + 1} of '{imglist}' needs "
                                         f"index, label(s) and path separated by tabs")
                    self.items.append((fields[-1], self._label(fields[1:-1])))
        elif imglist is not None:
            for entry in imglist:
                self.items.append((entry[-1], self._label(entry[:-1])))
        else:
            raise MXNetError("ImageListDataset: imglist must be a .lst file path or a list of "
                             "[label(s)..., path] entries")

    @staticmethod
    def _label(values):
        label = np.asarray([float(v) for v in np.ravel(values)], dtype=np.float32)
        return label[0] if label.size == 1 else label

    def __getitem__(self, idx):
        path, label = self.items[idx]
        return image.imread(filesystem.join(self._root, path), self._flag), label

    def __len__(self):
        return len(self.items)
