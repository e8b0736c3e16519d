"""Write the RecordIO / mx.io fixtures under tests/fixtures/recordio/.

Two steps, because MXNet 1.9.1's environment has no image encoder:

    python3 tools/make_fixtures_recordio.py images      # any Python with Pillow
    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_recordio.py

The first writes small source images (``images/cat``, ``images/dog`` as PNG,
``jpg/`` as JPEG). The second, run with real MXNet, writes record files with
MXNet's writer (plain records including payloads that contain the magic
number, an indexed file with multi-label headers, packed PNG/JPEG images,
detection labels), CSV/LibSVM/MNIST inputs, and ``expected.npz`` +
``cases.json``: the batches MXNet's iterators produce for each case in
``CASES`` and the lists its ``tools/im2rec.py --list`` writes.
"""
import json
import os
import struct
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "recordio")
MAGIC = struct.pack("<I", 0xced7230a)
# Payloads of basic.rec: empty, unaligned, magic at aligned offsets (split
# records), magic at an unaligned offset (not split), magic alone.
PLAIN_RECORDS = [b"hello", b"", b"abcd" + MAGIC + b"xyz", MAGIC, b"12345678" + MAGIC + MAGIC + b"q",
                 b"ab" + MAGIC + b"cd", bytes(range(256)) * 3]
SIZES = [(20, 28), (32, 24), (24, 24), (18, 40), (30, 30), (26, 22), (40, 18), (22, 34), (28, 28),
         (36, 26)]

# name -> (record file, iterator, kwargs, epochs)
CASES = {
    "center": ("png.rec", "ImageRecordIter", dict(data_shape=(3, 16, 16), batch_size=4), 2),
    "enlarge": ("png.rec", "ImageRecordIter", dict(data_shape=(3, 32, 32), batch_size=5), 1),
    "resize": ("png.rec", "ImageRecordIter", dict(data_shape=(3, 16, 16), batch_size=5, resize=17), 1),
    "gray": ("png.rec", "ImageRecordIter", dict(data_shape=(1, 16, 16), batch_size=5), 1),
    "normalise": ("png.rec", "ImageRecordIter",
                  dict(data_shape=(3, 12, 14), batch_size=3, mean_r=10, mean_g=20, mean_b=30,
                       std_r=2, std_g=3, std_b=4, scale=0.5, round_batch=False), 1),
    "uint8": ("png.rec", "ImageRecordUInt8Iter", dict(data_shape=(3, 16, 16), batch_size=4), 1),
    "multilabel": ("multi.rec", "ImageRecordIter", dict(data_shape=(3, 8, 8), batch_size=4,
                                                         label_width=3), 1),
    "part0of3": ("png.rec", "ImageRecordIter", dict(data_shape=(3, 8, 8), batch_size=2,
                                                     num_parts=3, part_index=0), 1),
    "part2of3": ("png.rec", "ImageRecordIter", dict(data_shape=(3, 8, 8), batch_size=2,
                                                     num_parts=3, part_index=2), 1),
    "idxpart1of3": ("png.rec", "ImageRecordIter", dict(data_shape=(3, 8, 8), batch_size=2, num_parts=3,
                                                        part_index=1, path_imgidx="png.idx"), 1),
    "jpeg": ("jpg.rec", "ImageRecordIter", dict(data_shape=(3, 16, 16), batch_size=4, resize=20), 1),
    "det": ("det.rec", "ImageDetRecordIter", dict(data_shape=(3, 16, 16), batch_size=2), 1),
    "csv": ("d.csv", "CSVIter", dict(data_shape=(2, 3), label_csv="l.csv", batch_size=3), 2),
    "csv_noround": ("d.csv", "CSVIter", dict(data_shape=(6,), batch_size=3, round_batch=False), 1),
    "csv_int": ("d.csv", "CSVIter", dict(data_shape=(6,), batch_size=4, dtype="int32"), 1),
    "libsvm": ("d.svm", "LibSVMIter", dict(data_shape=(5,), batch_size=2), 2),
    "mnist": ("t10k-images-idx3-ubyte", "MNISTIter",
              dict(label="t10k-labels-idx1-ubyte", batch_size=3, shuffle=False, silent=True), 1),
    "mnist_flat": ("t10k-images-idx3-ubyte", "MNISTIter",
                   dict(label="t10k-labels-idx1-ubyte", batch_size=3, shuffle=False, flat=True,
                        silent=True), 1),
}
_PATH_ARG = {"ImageRecordIter": "path_imgrec", "ImageRecordUInt8Iter": "path_imgrec",
             "ImageDetRecordIter": "path_imgrec", "CSVIter": "data_csv", "LibSVMIter": "data_libsvm",
             "MNISTIter": "image"}


def make_images():
    from PIL import Image
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate(SIZES):
        y, x = np.mgrid[0:h, 0:w]
        img = np.stack([x * 255 // w, y * 255 // h, ((x + y) * 7 + i * 20) % 256], -1)
        img = np.clip(img + rng.integers(-10, 10, img.shape), 0, 255).astype(np.uint8)
        folder = os.path.join(OUT, "images", "cat" if i < 5 else "dog")
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(img).save(os.path.join(folder, f"{i}.png"))
        if i < 4:
            os.makedirs(os.path.join(OUT, "jpg"), exist_ok=True)
            Image.fromarray(img).save(os.path.join(OUT, "jpg", f"{i}.jpg"), quality=90)


def _png(i):
    with open(os.path.join(OUT, "images", "cat" if i < 5 else "dog", f"{i}.png"), "rb") as f:
        return f.read()


def write_records(mx):
    R = mx.recordio
    w = R.MXRecordIO(os.path.join(OUT, "basic.rec"), "w")
    for rec in PLAIN_RECORDS:
        w.write(rec)
    w.close()
    w = R.MXIndexedRecordIO(os.path.join(OUT, "indexed.idx"), os.path.join(OUT, "indexed.rec"), "w")
    for key in (3, 1, 7, 0):
        label = float(key) if key % 2 else [key, key + 0.5, -key]
        w.write_idx(key, R.pack(R.IRHeader(0, label, key * 10, key), b"payload-%d" % key + MAGIC))
    w.close()
    w = R.MXIndexedRecordIO(os.path.join(OUT, "png.idx"), os.path.join(OUT, "png.rec"), "w")
    m = R.MXRecordIO(os.path.join(OUT, "multi.rec"), "w")
    for i in range(len(SIZES)):
        w.write_idx(i, R.pack(R.IRHeader(0, float(i), i, 0), _png(i)))
        m.write(R.pack(R.IRHeader(0, [i, i + 0.5, -i], i, 0), _png(i)))
    w.close()
    m.close()
    w = R.MXRecordIO(os.path.join(OUT, "jpg.rec"), "w")
    for i in range(4):
        with open(os.path.join(OUT, "jpg", f"{i}.jpg"), "rb") as f:
            w.write(R.pack(R.IRHeader(0, float(i), i, 0), f.read()))
    w.close()
    w = R.MXRecordIO(os.path.join(OUT, "det.rec"), "w")
    for i in range(5):
        objects = [[j, 0.1 * j, 0.2, 0.5 + 0.1 * j, 0.9] for j in range(1 + i % 3)]
        w.write(R.pack(R.IRHeader(0, [2, 5] + sum(objects, []), i, 0), _png(i)))
    w.close()


def write_text_inputs():
    np.savetxt(os.path.join(OUT, "d.csv"), np.arange(7 * 6).reshape(7, 6) * 0.5, delimiter=",",
               fmt="%g")
    np.savetxt(os.path.join(OUT, "l.csv"), np.arange(7) + 1, delimiter=",", fmt="%g")
    with open(os.path.join(OUT, "d.svm"), "w") as f:
        f.write("1 0:1.5 3:2\n0 1:3\n2 2:1 4:-1\n1\n3 0:7 4:8\n")
    images = (np.arange(7 * 28 * 28) % 251).astype(np.uint8).reshape(7, 28, 28)
    with open(os.path.join(OUT, "t10k-images-idx3-ubyte"), "wb") as f:
        f.write(struct.pack(">IIII", 2051, 7, 28, 28) + images.tobytes())
    with open(os.path.join(OUT, "t10k-labels-idx1-ubyte"), "wb") as f:
        f.write(struct.pack(">II", 2049, 7) + np.arange(7, dtype=np.uint8).tobytes())


def run_cases(mx):
    arrays = {}
    alive = []  # MXNet 1.9.1 can crash freeing a finished iterator: keep them until exit
    for name, (path, iter_name, kwargs, epochs) in CASES.items():
        kwargs = {k: os.path.join(OUT, v) if k in ("label_csv", "label", "path_imgidx") else v
                  for k, v in kwargs.items()}
        it = getattr(mx.io, iter_name)(**{_PATH_ARG[iter_name]: os.path.join(OUT, path)}, **kwargs)
        alive.append(it)
        for epoch in range(epochs):
            for b, batch in enumerate(it):
                data = batch.data[0]
                data = data.asnumpy() if data.stype == "default" else data.tostype("default").asnumpy()
                if np.array_equal(data, np.clip(np.round(data), 0, 255)):
                    data = data.astype(np.uint8)  # pixel values: a quarter of the size
                arrays[f"{name}/{epoch}/{b}/data"] = data
                arrays[f"{name}/{epoch}/{b}/label"] = batch.label[0].asnumpy()
                arrays[f"{name}/{epoch}/{b}/pad"] = np.array(batch.pad)
            it.reset()
    np.savez_compressed(os.path.join(OUT, "expected.npz"), **arrays)
    return alive


def run_im2rec_lists(mx):
    """MXNet's im2rec list mode (its cv2 import stubbed: listing needs no images decoded)."""
    sys.modules.setdefault("cv2", types.ModuleType("cv2"))
    import importlib.util
    path = os.path.join(os.path.dirname(mx.__file__), "tools", "im2rec.py")
    spec = importlib.util.spec_from_file_location("mx_im2rec", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    lists = {}
    root = os.path.join(OUT, "images")
    tmp = os.path.join("/tmp", "im2rec_fixture")
    os.makedirs(tmp, exist_ok=True)
    for case, argv in {"flat": ["--list", "--recursive", "--no-shuffle"],
                       "shuffled": ["--list", "--recursive"],
                       "split": ["--list", "--recursive", "--train-ratio", "0.6", "--test-ratio", "0.2"],
                       "nonrecursive": ["--list", "--exts", ".png"]}.items():
        for name in os.listdir(tmp):
            os.remove(os.path.join(tmp, name))
        folder = root if case != "nonrecursive" else os.path.join(root, "cat")
        sys.argv = ["im2rec.py", os.path.join(tmp, "x"), folder] + argv
        args = tool.parse_args()
        args.prefix = os.path.abspath(args.prefix)
        args.root = os.path.abspath(args.root)
        tool.make_list(args)
        lists[case] = {name: open(os.path.join(tmp, name)).read() for name in sorted(os.listdir(tmp))}
    return lists


def main():
    if sys.argv[1:] == ["images"]:
        make_images()
        return
    import mxnet as mx
    write_records(mx)
    write_text_inputs()
    iterators = run_cases(mx)
    cases = {name: dict(path=path, iter=iter_name, kwargs=kwargs, epochs=epochs)
             for name, (path, iter_name, kwargs, epochs) in CASES.items()}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"cases": cases, "im2rec_lists": run_im2rec_lists(mx),
                   "plain_records": [r.hex() for r in PLAIN_RECORDS]}, f, indent=1, sort_keys=True)
    sys.stdout.flush()
    os._exit(0 if iterators else 1)  # skip MXNet's crashing iterator destructors


if __name__ == "__main__":
    main()
