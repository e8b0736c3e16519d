#!/usr/bin/env python3
"""Make image lists (``.lst``) and image RecordIO files (``.rec`` + ``.idx``), as MXNet's im2rec.

    python tools/im2rec.py --list [--recursive] PREFIX ROOT     # write PREFIX.lst
    python tools/im2rec.py [--resize N] [--quality Q] PREFIX ROOT  # pack every PREFIX*.lst

A list line is ``index<TAB>label(s)<TAB>path relative to ROOT``. With
``--recursive`` every sub-folder of ROOT is a class, numbered in sorted
order; otherwise every image gets label 0. Lists are shuffled with a fixed
seed (as MXNet does) unless ``--no-shuffle``, and can be split into chunks
and train/val/test parts. Packing reads the images a list names, optionally
centre-crops them to a square and resizes the shorter edge, re-encodes them
(or, with ``--pass-through``, stores the file bytes untouched) and writes the
record file with its index, keyed by the list's indices.
"""
import argparse
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from mxnet import recordio  # noqa: E402  (after the path set-up above)
from mxnet.io.decode import imdecode_bytes, resize_short  # noqa: E402


def list_images(root, recursive, exts):
    """Yield ``(index, relative path, label)`` for the images under ``root``."""
    index = 0
    if not recursive:
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name)
            if os.path.isfile(path) and os.path.splitext(name)[1].lower() in exts:
                yield index, os.path.relpath(path, root), 0
                index += 1
        return
    classes = {}
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.path.splitext(name)[1].lower() in exts:
                label = classes.setdefault(folder, len(classes))
                yield index, os.path.relpath(path, root), label
                index += 1
    for folder, label in sorted(classes.items(), key=lambda kv: kv[1]):
        print(os.path.relpath(folder, root), label)


def write_list(path, items):
    with open(path, "w") as f:
        for item in items:
            labels = "".join(f"{label:f}\t" for label in item[2:])
            f.write(f"{item[0]}\t{labels}{item[1]}\n")


def make_lists(args):
    """Write PREFIX[_chunk][_train|_val|_test].lst files."""
    items = list(list_images(args.root, args.recursive, set(args.exts)))
    if args.shuffle:
        random.seed(100)
        random.shuffle(items)
    size = len(items)
    chunk_size = (size + args.chunks - 1) // args.chunks
    for chunk_index in range(args.chunks):
        chunk = items[chunk_index * chunk_size:(chunk_index + 1) * chunk_size]
        prefix = f"{args.prefix}_{chunk_index}" if args.chunks > 1 else args.prefix
        n_train = int(len(chunk) * args.train_ratio)
        n_test = int(len(chunk) * args.test_ratio)
        if args.train_ratio == 1.0:
            write_list(prefix + ".lst", chunk)
            continue
        if args.test_ratio:
            write_list(prefix + "_test.lst", chunk[:n_test])
        if args.train_ratio + args.test_ratio < 1.0:
            write_list(prefix + "_val.lst", chunk[n_test + n_train:])
        write_list(prefix + "_train.lst", chunk[n_test:n_test + n_train])


def read_list(path):
    """Yield ``[index, relative path, label, ...]`` for each usable line of a .lst file."""
    with open(path) as f:
        for line in f:
            fields = [field.strip() for field in line.strip().split("\t")]
            if len(fields) < 3:
                print(f"lst should have at least has three parts, but only has {len(fields)} "
                      f"parts for {line.strip()!r}")
                continue
            try:
                yield [int(fields[0]), fields[-1]] + [float(v) for v in fields[1:-1]]
            except ValueError as err:
                print(f"Parsing lst met error for {line.strip()!r}: {err}")


def encode(args, item):
    """The packed record for one list item, or None when the image cannot be read."""
    path = os.path.join(args.root, item[1])
    label = item[2:] if len(item) > 3 and args.pack_label else item[2]
    header = recordio.IRHeader(0, label, item[0], 0)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        print(f"imread error for {path}: {err}")
        return None
    if args.pass_through:
        return recordio.pack(header, raw)
    try:
        img = imdecode_bytes(raw, args.color, what=path)
    except Exception as err:  # a bad file is reported and skipped, as MXNet's tool does
        print(f"imread read blank (None) image for file: {path} ({err})")
        return None
    if args.center_crop:
        h, w = img.shape[:2]
        if h > w:
            top = (h - w) // 2
            img = img[top:top + w]
        else:
            left = (w - h) // 2
            img = img[:, left:left + h]
    if args.resize:
        img = resize_short(img, args.resize)
    return recordio.pack_img(header, img, quality=args.quality, img_fmt=args.encoding)


def pack_list(args, lst_path):
    base = os.path.splitext(lst_path)[0]
    writer = recordio.MXIndexedRecordIO(base + ".idx", base + ".rec", "w")
    items = list(read_list(lst_path))
    start = time.time()
    with ThreadPoolExecutor(max(1, args.num_thread)) as pool:
        for count, (item, record) in enumerate(zip(items, pool.map(lambda it: encode(args, it), items))):
            if record is not None:
                writer.write_idx(item[0], record)
            if count % 1000 == 0:
                print("time:", time.time() - start, " count:", count)
                start = time.time()
    writer.close()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        description="Create an image list and/or an image RecordIO file.")
    parser.add_argument("prefix", help="prefix of the input/output .lst and .rec files")
    parser.add_argument("root", help="folder holding the images")
    lists = parser.add_argument_group("Options for creating image lists")
    lists.add_argument("--list", action="store_true",
                       help="make the image list(s) instead of the record file(s)")
    lists.add_argument("--exts", nargs="+", default=[".jpeg", ".jpg", ".png"],
                       help="file extensions taken as images")
    lists.add_argument("--chunks", type=int, default=1, help="number of chunks")
    lists.add_argument("--train-ratio", type=float, default=1.0, help="share of images for training")
    lists.add_argument("--test-ratio", type=float, default=0, help="share of images for testing")
    lists.add_argument("--recursive", action="store_true",
                       help="walk sub-folders and give each folder its own label")
    lists.add_argument("--no-shuffle", dest="shuffle", action="store_false",
                       help="keep the listing order instead of shuffling")
    packing = parser.add_argument_group("Options for creating database")
    packing.add_argument("--pass-through", action="store_true",
                         help="store the image files' bytes without decoding them")
    packing.add_argument("--resize", type=int, default=0,
                         help="resize the shorter edge to this size (0: keep)")
    packing.add_argument("--center-crop", action="store_true",
                         help="crop the centre square before resizing")
    packing.add_argument("--quality", type=int, default=95,
                         help="JPEG quality (0-100) or PNG compression level (0-9)")
    packing.add_argument("--num-thread", type=int, default=1, help="number of encoding threads")
    packing.add_argument("--color", type=int, default=1, choices=[-1, 0, 1],
                         help="1: colour, 0: grayscale, -1: as stored (alpha kept)")
    packing.add_argument("--encoding", type=str, default=".jpg", choices=[".jpg", ".png"],
                         help="encoding of the stored images")
    packing.add_argument("--pack-label", action="store_true",
                         help="store every label of multi-label list lines in the record header")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.prefix = os.path.abspath(args.prefix)
    args.root = os.path.abspath(args.root)
    if args.list:
        make_lists(args)
        return
    folder = args.prefix if os.path.isdir(args.prefix) else os.path.dirname(args.prefix)
    lists = sorted(os.path.join(folder, name) for name in os.listdir(folder)
                   if name.endswith(".lst") and os.path.join(folder, name).startswith(args.prefix))
    if not lists:
        print(f"Did not find and list file with prefix {args.prefix}")
    for lst_path in lists:
        print("Creating .rec file from", lst_path, "in", folder)
        pack_list(args, lst_path)


if __name__ == "__main__":
    main()
