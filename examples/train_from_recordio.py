"""Pack generated images into RecordIO files with im2rec and train from them.

Three classes of small RGB pictures (horizontal stripes, vertical stripes and
discs, in random colours and positions, with noise) are drawn with NumPy and
written as PNG files, one folder per class. ``tools/im2rec.py`` then makes
the train/validation image lists (``--list --recursive``) and packs them into
``.rec`` files with their ``.idx`` index, exactly as with MXNet. Training
reads the records through ``mx.io.ImageRecordIter`` (decoding, random crop
and mirror, mean/scale normalisation) and fits a hybridized Gluon CNN.

    python examples/train_from_recordio.py [--per-class 200] [--epochs 5] [--workdir DIR]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn

IM2REC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "tools", "im2rec.py")
CLASSES = ("hstripes", "vstripes", "disc")


def draw(kind, size, rng):
    """One ``size`` x ``size`` uint8 RGB picture of class ``kind``."""
    yy, xx = np.mgrid[0:size, 0:size]
    fg, bg = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    while np.abs(fg - bg).sum() < 150:  # keep the shape visible
        fg = rng.integers(0, 256, 3)
    period, phase = rng.integers(4, 8), rng.integers(0, 8)
    if kind == "hstripes":
        mask = (yy + phase) % period < period // 2
    elif kind == "vstripes":
        mask = (xx + phase) % period < period // 2
    else:
        cy, cx = rng.integers(size // 3, 2 * size // 3, 2)
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < rng.integers(size // 5, size // 3) ** 2
    img = np.where(mask[..., None], fg, bg) + rng.normal(0, 12, (size, size, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def make_images(root, per_class, size, seed=0):
    rng = np.random.default_rng(seed)
    for kind in CLASSES:
        os.makedirs(os.path.join(root, kind), exist_ok=True)
        for i in range(per_class):
            Image.fromarray(draw(kind, size, rng)).save(os.path.join(root, kind, f"{i:04d}.png"))


def im2rec(*args):
    """Run tools/im2rec.py as a user would, failing loudly if it fails."""
    subprocess.run([sys.executable, IM2REC, *args], check=True, stdout=subprocess.DEVNULL)


def build_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(16, kernel_size=3, padding=1, activation="relu"),
            nn.MaxPool2D(pool_size=2),
            nn.Conv2D(32, kernel_size=3, padding=1, activation="relu"),
            nn.GlobalAvgPool2D(),
            nn.Dense(len(CLASSES)))
    return net


def evaluate(net, make_iter):
    """Accuracy over one pass of a fresh iterator: with ``round_batch`` the
    last batch is filled with records from the start (``batch.pad`` of them),
    and the next pass would start after those, so each pass starts anew."""
    metric = mx.metric.Accuracy()
    for batch in make_iter():
        n = batch.data[0].shape[0] - batch.pad
        metric.update([batch.label[0][:n]], [net(batch.data[0])[:n]])
    return metric.get()[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=200, help="images made per class")
    parser.add_argument("--image-size", type=int, default=32)
    parser.add_argument("--crop", type=int, default=28, help="side of the training crops")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--workdir", default=None,
                        help="where images and records go (default: a temporary folder)")
    parser.add_argument("--min-accuracy", type=float, default=0.9)
    args = parser.parse_args()

    workdir = args.workdir or tempfile.mkdtemp(prefix="mxnet-recordio-")
    root, prefix = os.path.join(workdir, "images"), os.path.join(workdir, "shapes")
    tic = time.time()
    make_images(root, args.per_class, args.image_size)
    im2rec("--list", "--recursive", "--train-ratio", "0.8", prefix, root)
    # For PNG, --quality is the compression level (0-9), as in MXNet's im2rec.
    im2rec("--encoding", ".png", "--quality", "3", "--num-thread", "2", prefix, root)
    sizes = {part: os.path.getsize(f"{prefix}_{part}.rec") for part in ("train", "val")}
    print(f"{len(CLASSES) * args.per_class} images packed into {prefix}_train.rec "
          f"({sizes['train']} bytes) and {prefix}_val.rec ({sizes['val']} bytes) "
          f"in {time.time() - tic:.1f}s")

    mx.random.seed(0)
    norm = dict(mean_r=127.5, mean_g=127.5, mean_b=127.5, scale=1 / 64.0)
    shape = (3, args.crop, args.crop)
    train_iter = mx.io.ImageRecordIter(
        path_imgrec=prefix + "_train.rec", path_imgidx=prefix + "_train.idx",
        data_shape=shape, batch_size=args.batch_size, shuffle=True,
        rand_crop=True, rand_mirror=True, seed=1, **norm)

    def val_iter():
        return mx.io.ImageRecordIter(
            path_imgrec=prefix + "_val.rec", path_imgidx=prefix + "_val.idx",
            data_shape=shape, batch_size=args.batch_size, **norm)

    net = build_net()
    net.initialize(mx.init.Xavier())
    net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": args.lr, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for epoch in range(1, args.epochs + 1):
        train_iter.reset()
        metric = mx.metric.Accuracy()
        tic, seen = time.time(), 0
        for batch in train_iter:
            data, label = batch.data[0], batch.label[0]
            with autograd.record():
                output = net(data)
                loss = loss_fn(output, label)
            loss.backward()
            trainer.step(data.shape[0])
            metric.update([label], [output])
            seen += data.shape[0]
        print(f"epoch {epoch}  train accuracy {metric.get()[1]:.3f}  validation accuracy "
              f"{evaluate(net, val_iter):.3f}  ({seen / (time.time() - tic):.0f} images/s)",
              flush=True)

    acc = evaluate(net, val_iter)
    print(f"validation accuracy {acc:.4f}")
    if acc < args.min_accuracy:
        raise SystemExit(f"accuracy {acc:.4f} is below {args.min_accuracy}")


if __name__ == "__main__":
    main()
