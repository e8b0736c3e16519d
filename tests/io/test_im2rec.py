"""tools/im2rec.py: MXNet's list files, and record files the iterators and MXNet can read."""
import importlib.util
import json
import os

import numpy as np
import pytest

from mxnet import recordio
from mxnet import io as mio
from mxnet.io import decode

HERE = os.path.dirname(__file__)
FIX = os.path.join(HERE, "..", "fixtures", "recordio")
LISTS = json.load(open(os.path.join(FIX, "cases.json")))["im2rec_lists"]
IMAGES = os.path.join(FIX, "images")
_spec = importlib.util.spec_from_file_location("im2rec", os.path.join(HERE, "..", "..", "tools", "im2rec.py"))
im2rec = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(im2rec)
needs_images = pytest.mark.skipif(decode.cv2 is None and decode._PILImage is None,
                                  reason="needs Pillow or OpenCV")


def _lists(folder):
    return {name: (folder / name).read_text() for name in sorted(os.listdir(folder))
            if name.endswith(".lst")}


@pytest.mark.parametrize("case, argv", [
    ("flat", ["--list", "--recursive", "--no-shuffle"]),
    ("shuffled", ["--list", "--recursive"]),
    ("split", ["--list", "--recursive", "--train-ratio", "0.6", "--test-ratio", "0.2"]),
    ("nonrecursive", ["--list", "--exts", ".png"]),
])
def test_lists_match_mxnet(tmp_path, case, argv, capsys):
    root = IMAGES if case != "nonrecursive" else os.path.join(IMAGES, "cat")
    im2rec.main([str(tmp_path / "x"), root] + argv)
    assert _lists(tmp_path) == LISTS[case]


@needs_images
def test_pass_through_records_hold_the_file_bytes(tmp_path, capsys):
    im2rec.main([str(tmp_path / "x"), IMAGES, "--list", "--recursive", "--no-shuffle"])
    im2rec.main([str(tmp_path / "x"), IMAGES, "--pass-through", "--num-thread", "3"])
    reader = recordio.MXIndexedRecordIO(str(tmp_path / "x.idx"), str(tmp_path / "x.rec"), "r")
    assert reader.keys == list(range(10))
    header, payload = recordio.unpack(reader.read_idx(7))
    assert header.label == 1.0 and header.id == 7
    assert payload == open(os.path.join(IMAGES, "dog", "7.png"), "rb").read()


@needs_images
def test_resize_center_crop_png_encoding_reads_back_in_image_record_iter(tmp_path, capsys):
    im2rec.main([str(tmp_path / "x"), IMAGES, "--list", "--recursive", "--no-shuffle"])
    im2rec.main([str(tmp_path / "x"), IMAGES, "--resize", "12", "--center-crop", "--encoding", ".png"])
    reader = recordio.MXIndexedRecordIO(str(tmp_path / "x.idx"), str(tmp_path / "x.rec"), "r")
    _, img = recordio.unpack_img(reader.read_idx(3))
    assert img.shape == (12, 12, 3)
    src = decode.imdecode_bytes(open(os.path.join(IMAGES, "cat", "3.png"), "rb").read())
    side = min(src.shape[:2])
    top, left = (src.shape[0] - side) // 2, (src.shape[1] - side) // 2
    np.testing.assert_array_equal(img, decode.resize(src[top:top + side, left:left + side], 12, 12))
    it = mio.ImageRecordIter(path_imgrec=str(tmp_path / "x.rec"), data_shape=(3, 12, 12),
                             batch_size=5, verbose=False)
    assert [b.label[0].asnumpy().tolist() for b in it] == [[0] * 5, [1] * 5]


@needs_images
def test_pack_label_stores_every_label_and_jpeg_quality(tmp_path, capsys):
    (tmp_path / "m.lst").write_text("0\t1.000000\t2.000000\tcat/0.png\n1\t3.000000\t4.000000\tcat/1.png\n")
    im2rec.main([str(tmp_path / "m"), IMAGES, "--pack-label", "--quality", "90"])
    reader = recordio.MXRecordIO(str(tmp_path / "m.rec"), "r")
    header, img = recordio.unpack_img(reader.read())
    np.testing.assert_array_equal(header.label, [1, 2])
    assert img.shape == (20, 28, 3)
    (tmp_path / "n.lst").write_text("0\t1.000000\t2.000000\tcat/0.png\n")
    im2rec.main([str(tmp_path / "n"), IMAGES])
    header, _ = recordio.unpack(recordio.MXRecordIO(str(tmp_path / "n.rec"), "r").read())
    assert header.flag == 0 and header.label == 1.0


def test_missing_list_is_reported(tmp_path, capsys):
    im2rec.main([str(tmp_path / "none"), IMAGES])
    assert "Did not find" in capsys.readouterr().out
