"""mx.recordio: the binary format against files written by MXNet 1.9.1, and the API's behaviour."""
import json
import os
import pickle
import struct

import numpy as np
import pytest

from mxnet import recordio
from mxnet.base import MXNetError
from mxnet.io import decode

FIX = os.path.join(os.path.dirname(__file__), "..", "fixtures", "recordio")
CASES = json.load(open(os.path.join(FIX, "cases.json")))
PLAIN = [bytes.fromhex(h) for h in CASES["plain_records"]]
MAGIC = struct.pack("<I", 0xced7230a)
needs_images = pytest.mark.skipif(decode.cv2 is None and decode._PILImage is None,
                                  reason="needs Pillow or OpenCV")


def _read_all(path):
    reader = recordio.MXRecordIO(path, "r")
    out = []
    while True:
        rec = reader.read()
        if rec is None:
            return out
        out.append(rec)


def test_reads_records_written_by_mxnet_including_split_magic_payloads():
    assert _read_all(os.path.join(FIX, "basic.rec")) == PLAIN


def test_writes_the_same_bytes_as_mxnet(tmp_path):
    writer = recordio.MXRecordIO(str(tmp_path / "a.rec"), "w")
    for rec in PLAIN:
        writer.write(rec)
    writer.close()
    assert (tmp_path / "a.rec").read_bytes() == open(os.path.join(FIX, "basic.rec"), "rb").read()


def test_payload_with_aligned_magic_is_split_into_continuation_parts(tmp_path):
    writer = recordio.MXRecordIO(str(tmp_path / "m.rec"), "w")
    writer.write(b"abcd" + MAGIC + b"xyz")
    writer.close()
    raw = (tmp_path / "m.rec").read_bytes()
    first, second = struct.unpack("<II", raw[:8]), struct.unpack("<II", raw[12:20])
    assert first == (0xced7230a, (1 << 29) | 4) and second == (0xced7230a, (3 << 29) | 3)
    assert len(raw) % 4 == 0


def test_indexed_file_from_mxnet_reads_by_key_with_multi_label_headers():
    reader = recordio.MXIndexedRecordIO(os.path.join(FIX, "indexed.idx"),
                                        os.path.join(FIX, "indexed.rec"), "r")
    assert reader.keys == [3, 1, 7, 0]
    header, payload = recordio.unpack(reader.read_idx(0))
    assert header.flag == 3 and header.id == 0
    np.testing.assert_array_equal(header.label, np.array([0, 0.5, 0], np.float32))
    header, payload = recordio.unpack(reader.read_idx(7))
    assert header == recordio.IRHeader(0, 7.0, 70, 7) and payload == b"payload-7" + MAGIC
    reader.seek(1)
    assert recordio.unpack(reader.read())[0].id == 10
    assert recordio.unpack(reader.read())[0].id == 70  # reading goes on sequentially


def test_indexed_writer_reproduces_mxnet_files(tmp_path):
    writer = recordio.MXIndexedRecordIO(str(tmp_path / "i.idx"), str(tmp_path / "i.rec"), "w")
    for key in (3, 1, 7, 0):
        label = float(key) if key % 2 else [key, key + 0.5, -key]
        writer.write_idx(key, recordio.pack(recordio.IRHeader(0, label, key * 10, key),
                                            b"payload-%d" % key + MAGIC))
    assert writer.tell() == os.path.getsize(os.path.join(FIX, "indexed.rec"))
    writer.close()
    for name in ("i.idx", "i.rec"):
        theirs = "indexed" + os.path.splitext(name)[1]
        assert (tmp_path / name).read_bytes() == open(os.path.join(FIX, theirs), "rb").read()


def test_string_keys_round_trip(tmp_path):
    writer = recordio.MXIndexedRecordIO(str(tmp_path / "s.idx"), str(tmp_path / "s.rec"), "w",
                                        key_type=str)
    writer.write_idx("k", b"x")
    writer.write_idx("j", b"y")
    writer.close()
    assert (tmp_path / "s.idx").read_text() == "k\t0\nj\t12\n"
    reader = recordio.MXIndexedRecordIO(str(tmp_path / "s.idx"), str(tmp_path / "s.rec"), "r",
                                        key_type=str)
    assert reader.keys == ["k", "j"] and reader.read_idx("j") == b"y"


def test_pack_scalar_label_clears_flag_and_array_label_sets_count():
    assert recordio.pack(recordio.IRHeader(5, 2.0, 1, 2), b"p") == \
        struct.pack("<IfQQ", 0, 2.0, 1, 2) + b"p"
    packed = recordio.pack(recordio.IRHeader(0, np.array([1.5, 2.5]), 1, 2), b"p")
    assert packed == struct.pack("<IfQQ", 2, 0.0, 1, 2) + struct.pack("<ff", 1.5, 2.5) + b"p"
    header, payload = recordio.unpack(packed)
    assert header.flag == 2 and header.label.dtype == np.float32 and payload == b"p"
    assert recordio.unpack(recordio.pack((0, [], 1, 1), b"x")) == (recordio.IRHeader(0, 0.0, 1, 1), b"x")


def test_pickled_reader_reopens_at_the_start():
    reader = recordio.MXIndexedRecordIO(os.path.join(FIX, "indexed.idx"),
                                        os.path.join(FIX, "indexed.rec"), "r")
    reader.read()
    clone = pickle.loads(pickle.dumps(reader))
    assert clone.keys == reader.keys and clone.is_open
    assert recordio.unpack(clone.read())[0].id == 30
    assert recordio.unpack(reader.read())[0].id == 10


def test_reset_close_and_reopen():
    reader = recordio.MXRecordIO(os.path.join(FIX, "basic.rec"), "r")
    reader.read()
    reader.reset()
    assert reader.read() == PLAIN[0]
    reader.close()
    reader.close()
    assert not reader.is_open
    with pytest.raises(MXNetError, match="closed"):
        reader.read()
    reader.open()
    assert reader.read() == PLAIN[0]


def test_wrong_mode_and_bad_arguments_raise():
    reader = recordio.MXRecordIO(os.path.join(FIX, "basic.rec"), "r")
    with pytest.raises(AssertionError):
        reader.write(b"x")
    with pytest.raises(MXNetError, match="reading"):
        reader.write(b"x")
    with pytest.raises(ValueError, match="Invalid flag"):
        recordio.MXRecordIO(os.path.join(FIX, "basic.rec"), "x")
    with pytest.raises(MXNetError, match="No such file"):
        recordio.MXRecordIO(os.path.join(FIX, "missing.rec"), "r")
    with pytest.raises(MXNetError, match="too short"):
        recordio.unpack(b"abc")


def test_corrupt_and_truncated_files_name_the_file_and_offset(tmp_path):
    good = open(os.path.join(FIX, "basic.rec"), "rb").read()
    (tmp_path / "t.rec").write_bytes(good[:30])
    reader = recordio.MXRecordIO(str(tmp_path / "t.rec"), "r")
    assert reader.read() == PLAIN[0] and reader.read() == PLAIN[1]
    with pytest.raises(MXNetError, match=r"t\.rec.*byte 24"):
        reader.read()
    (tmp_path / "g.rec").write_bytes(b"garbage garbage!")
    with pytest.raises(MXNetError, match=r"g\.rec.*magic at byte 0"):
        recordio.MXRecordIO(str(tmp_path / "g.rec"), "r").read()


@needs_images
def test_pack_img_round_trips_png_exactly_and_jpeg_closely():
    img = (np.arange(12 * 10 * 3) % 256).astype(np.uint8).reshape(12, 10, 3)
    header, out = recordio.unpack_img(recordio.pack_img((0, 1.0, 4, 0), img, img_fmt=".png"))
    assert header.id == 4
    np.testing.assert_array_equal(out, img)
    smooth = np.repeat(np.linspace(0, 255, 16, dtype=np.uint8)[None, :, None], 16, 0).repeat(3, 2)
    _, out = recordio.unpack_img(recordio.pack_img((0, 1.0, 4, 0), smooth, quality=100))
    assert np.abs(out.astype(int) - smooth).max() <= 3
    _, gray = recordio.unpack_img(recordio.pack_img((0, 1.0, 4, 0), img, img_fmt=".png"), iscolor=0)
    assert gray.shape == (12, 10)


def test_missing_image_library_gives_install_hint(monkeypatch):
    monkeypatch.setattr(decode, "cv2", None)
    monkeypatch.setattr(decode, "_PILImage", None)
    with pytest.raises(MXNetError, match="pip install pillow"):
        recordio.unpack_img(recordio.pack((0, 1.0, 0, 0), b"\x89PNG"))


@needs_images
def test_undecodable_image_raises_mxnet_error():
    with pytest.raises(MXNetError, match="record id 9"):
        recordio.unpack_img(recordio.pack((0, 1.0, 9, 0), b"not an image"))
