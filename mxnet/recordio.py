"""``mx.recordio``: MXNet's RecordIO files, readable and writable by MXNet 1.9.1.

A record on disk is a little-endian ``uint32`` magic ``0xced7230a``, a
``uint32`` holding the payload length in its lower 29 bits and a continuation
flag in its upper 3 bits, the payload, then zero padding to a multiple of 4
bytes. A payload that contains the magic number at a 4-byte aligned offset is
stored as several parts (flag 1 = first, 2 = middle, 3 = last; 0 = whole
record) with the magic words themselves dropped, so a reader that lost its
place can resynchronise on the magic. An ``.idx`` file is text, one
``key<TAB>byte offset`` line per record.

Record payloads written by ``pack`` start with an ``IRHeader`` (flag, label,
id, id2 as ``uint32, float32, uint64, uint64``); a header whose flag is
``n > 0`` is followed by ``n`` float32 labels.
"""
import numbers
import struct
import threading
from collections import namedtuple
from multiprocessing import current_process

import numpy as np

from . import filesystem
from .base import MXNetError

try:  # exposed as ``mx.recordio.cv2`` like MXNet; decoding itself lives in mxnet.io.decode
    import cv2
except ImportError:
    cv2 = None

__all__ = ["MXRecordIO", "MXIndexedRecordIO", "IRHeader", "pack", "unpack", "pack_img", "unpack_img"]

_MAGIC = 0xced7230a
_MAGIC_BYTES = struct.pack("<I", _MAGIC)
_LEN_MASK = (1 << 29) - 1
_IR_FORMAT = "<IfQQ"
_IR_SIZE = struct.calcsize(_IR_FORMAT)


class _ModeError(MXNetError, AssertionError):
    """Reading a writer or writing a reader (MXNet raises AssertionError here)."""


def _open(uri, mode):
    """Open a record file: a local path, or a URI (``s3://``, ``hdfs://``, ...) through fsspec."""
    try:
        return filesystem.open(uri, mode)
    except OSError as err:
        raise MXNetError(f"cannot open record file {uri!r} ({mode!r}): "
                         f"{err.strerror or err}") from None


def _split_at_magic(buf):
    """Offsets (multiples of 4) where the payload holds the magic number."""
    aligned = len(buf) // 4 * 4
    if aligned == 0:
        return ()
    words = np.frombuffer(buf, dtype="<u4", count=aligned // 4)
    return (np.flatnonzero(words == _MAGIC) * 4).tolist()


def _encode_record(buf):
    """The bytes of one record holding payload ``buf``, split and padded as MXNet writes it."""
    cuts = _split_at_magic(buf)
    pieces = []
    start = 0
    for cut in cuts:
        pieces.append(struct.pack("<II", _MAGIC, ((1 if start == 0 else 2) << 29) | (cut - start)))
        pieces.append(buf[start:cut])
        start = cut + 4
    pieces.append(struct.pack("<II", _MAGIC, ((3 if cuts else 0) << 29) | (len(buf) - start)))
    pieces.append(buf[start:])
    pieces.append(b"\0" * (-len(buf) % 4))
    return b"".join(pieces)


def read_record(handle, uri):
    """Read the record starting at ``handle``'s position (None at the end of the file).

    ``uri`` names the file in the errors raised for a corrupt or truncated record.
    """
    parts = []
    while True:
        start = handle.tell()
        head = handle.read(8)
        if not head and not parts:
            return None
        if len(head) < 8:
            raise MXNetError(f"invalid RecordIO file {uri!r}: truncated record header at byte {start}")
        magic, lrec = struct.unpack("<II", head)
        if magic != _MAGIC:
            raise MXNetError(f"invalid RecordIO file {uri!r}: no record magic at byte {start} "
                             f"(found 0x{magic:08x})")
        cflag, length = lrec >> 29, lrec & _LEN_MASK
        data = handle.read(length + (-length % 4))
        if len(data) < length:
            raise MXNetError(f"invalid RecordIO file {uri!r}: record at byte {start} is truncated "
                             f"({len(data)} of {length} bytes)")
        parts.append(data[:length])
        if cflag in (0, 3):
            return _MAGIC_BYTES.join(parts)


class MXRecordIO:
    """Sequential reader (``flag='r'``) or writer (``flag='w'``) of a RecordIO file.

    The file opens on construction. A reader that was pickled, or that is used
    in a forked process, reopens the file from its beginning.
    """

    def __init__(self, uri, flag):
        self.uri = str(uri)
        self.flag = flag
        self.handle = None
        self.pid = None
        self.is_open = False
        self.open()

    def open(self):
        """Open the file: for writing (truncating it) or for reading from the start."""
        if self.flag == "w":
            self.writable = True
        elif self.flag == "r":
            self.writable = False
        else:
            raise ValueError(f"Invalid flag {self.flag}")
        self.handle = _open(self.uri, "wb" if self.writable else "rb")
        self.pid = current_process().pid
        self.is_open = True

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: modules may already be gone
            pass

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("handle", None)
        if self.is_open and self.writable:
            self.handle.flush()
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.handle = None
        was_open, self.is_open = state.get("is_open", False), False
        if was_open:
            self.open()

    def _check_pid(self, allow_reset):
        if not self.is_open:
            raise MXNetError(f"record file {self.uri!r} is closed")
        if self.pid != current_process().pid:
            if not allow_reset:
                raise MXNetError(f"record file {self.uri!r} was opened in another process: "
                                 "sequential reads cannot continue here (seek or reset first)")
            self.reset()

    def close(self):
        """Close the file (flushing a writer). Closing twice does nothing."""
        if not self.is_open:
            return
        self.handle.close()
        self.handle = None
        self.is_open = False
        self.pid = None

    def reset(self):
        """Reopen the file: a reader goes back to the first record, a writer truncates."""
        self.close()
        self.open()

    def write(self, buf):
        """Append one record holding the bytes ``buf``."""
        if not self.writable:
            raise _ModeError(f"record file {self.uri!r} is open for reading: cannot write")
        self._check_pid(allow_reset=False)
        if not isinstance(buf, (bytes, bytearray, memoryview)):
            raise TypeError(f"MXRecordIO.write expects bytes, got {type(buf).__name__}")
        buf = bytes(buf)
        if len(buf) > _LEN_MASK:
            raise MXNetError(f"record of {len(buf)} bytes is too large for RecordIO (limit {_LEN_MASK})")
        self.handle.write(_encode_record(buf))

    def read(self):
        """The next record's bytes, or ``None`` at the end of the file."""
        if self.writable:
            raise _ModeError(f"record file {self.uri!r} is open for writing: cannot read")
        self._check_pid(allow_reset=False)
        return read_record(self.handle, self.uri)


class MXIndexedRecordIO(MXRecordIO):
    """A RecordIO file with an ``.idx`` file of record offsets, for random access by key.

    ``key_type`` converts the keys read from the index file (``int`` by default).
    """

    def __init__(self, idx_path, uri, flag, key_type=int):
        self.idx_path = idx_path
        self.idx = {}
        self.keys = []
        self.key_type = key_type
        self.fidx = None
        # read_idx is a seek then a read: threads sharing the reader (a DataLoader's
        # thread pool) must not interleave them.
        self._lock = threading.Lock()
        super().__init__(uri, flag)

    def open(self):
        super().open()
        self.idx = {}
        self.keys = []
        self.fidx = filesystem.open(self.idx_path, self.flag)
        if not self.writable:
            for number, line in enumerate(self.fidx, 1):
                fields = line.split()
                if not fields:
                    continue
                if len(fields) != 2:
                    raise MXNetError(f"index file {self.idx_path!r}, line {number}: expected "
                                     f"'key<TAB>offset', got {line.rstrip()!r}")
                key = self.key_type(fields[0])
                self.idx[key] = int(fields[1])
                self.keys.append(key)

    def close(self):
        if not self.is_open:
            return
        super().close()
        self.fidx.close()

    def __getstate__(self):
        state = super().__getstate__()
        state["fidx"] = None
        del state["_lock"]
        return state

    def __setstate__(self, state):
        self._lock = threading.Lock()
        super().__setstate__(state)

    def seek(self, idx):
        """Move the reader to the record with key ``idx``."""
        if self.writable:
            raise _ModeError(f"record file {self.uri!r} is open for writing: cannot seek")
        self._check_pid(allow_reset=True)
        self.handle.seek(self.idx[idx])

    def tell(self):
        """The byte offset where the writer's next record will start."""
        if not self.writable:
            raise _ModeError(f"record file {self.uri!r} is open for reading: tell() is for writers")
        self._check_pid(allow_reset=False)
        return self.handle.tell()

    def read_idx(self, idx):
        """The bytes of the record with key ``idx``."""
        with self._lock:
            self.seek(idx)
            return self.read()

    def write_idx(self, idx, buf):
        """Append record ``buf`` under key ``idx`` and add it to the index file."""
        key = self.key_type(idx)
        pos = self.tell()
        self.write(buf)
        self.fidx.write(f"{key}\t{pos}\n")
        self.idx[key] = pos
        self.keys.append(key)


IRHeader = namedtuple("HEADER", ["flag", "label", "id", "id2"])
IRHeader.__doc__ = """Header of an image record: flag (number of labels when > 0), label, id, id2."""


def pack(header, s):
    """Prefix the bytes ``s`` with ``header`` (an IRHeader or 4-tuple).

    A scalar label is stored in the header itself (flag 0); an array label of
    ``n`` values sets flag to ``n`` and follows the header as float32.
    """
    header = IRHeader(*header)
    label = header.label
    if isinstance(label, numbers.Number) or np.ndim(label) == 0:
        header = header._replace(flag=0, label=float(label))
        extra = b""
    else:
        values = np.asarray(label, dtype="<f4").ravel()
        header = header._replace(flag=values.size, label=0.0)
        extra = values.tobytes()
    return struct.pack(_IR_FORMAT, *header) + extra + bytes(s)


def unpack(s):
    """Split a packed record into ``(IRHeader, payload bytes)``; multi-labels become a float32 array."""
    if len(s) < _IR_SIZE:
        raise MXNetError(f"record of {len(s)} bytes is too short for an image record header "
                         f"({_IR_SIZE} bytes)")
    header = IRHeader(*struct.unpack(_IR_FORMAT, s[:_IR_SIZE]))
    s = s[_IR_SIZE:]
    if header.flag > 0:
        if len(s) < header.flag * 4:
            raise MXNetError(f"record header announces {header.flag} labels but only "
                             f"{len(s)} bytes follow")
        header = header._replace(label=np.frombuffer(s, dtype="<f4", count=header.flag).copy())
        s = s[header.flag * 4:]
    return header, s


def unpack_img(s, iscolor=-1):
    """Unpack a record and decode its image: ``(IRHeader, uint8 array in BGR order)``.

    ``iscolor`` follows OpenCV: 1 colour, 0 grayscale, -1 as stored.
    """
    from .io.decode import imdecode_bytes
    header, s = unpack(s)
    return header, imdecode_bytes(s, iscolor, what=f"image of record id {header.id}")


def pack_img(header, img, quality=95, img_fmt=".jpg"):
    """Encode ``img`` (uint8 HxWxC, BGR order) as JPEG or PNG and pack it after ``header``."""
    from .io.decode import imencode
    return pack(header, imencode(img, img_fmt, quality))
