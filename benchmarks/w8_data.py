"""W8: data loading, images/s decoded and augmented from a JPEG RecordIO file.

The file holds 200 JPEG images of 256x256 (quality 90, as ``im2rec --resize
256`` prepares ImageNet), written once with ``mx.recordio`` into the temporary
directory and shared by every framework of a run, so all read the same bytes.
One iteration is one epoch of 200 images in batches of 20, (3, 224, 224).

Cases (images per second, higher is better):
  imagerecorditer      ``mx.io.ImageRecordIter``: random 224 crop, random
                       mirror, mean/std normalisation, 2 decoding threads.
  dataloader_2workers  ``gluon.data.DataLoader(num_workers=2)`` over
                       ``ImageRecordDataset`` with the Gluon ImageNet training
                       transforms: RandomResizedCrop(224), RandomFlipLeftRight,
                       ToTensor, Normalize.

``python benchmarks/w8_data.py`` measures this project alone and prints images/s.
"""

import hashlib
import os
import tempfile

import numpy as np

from timing import Case

TITLE = "data loading: JPEG records decoded and augmented"
UNIT = "images/s"
CASES = ("imagerecorditer", "dataloader_2workers")

NUM_IMAGES, SIDE, CROP, BATCH, QUALITY = 200, 256, 224, 20, 90
THREADS = 2
MEAN = (123.68, 116.28, 103.53)
STD = (58.395, 57.12, 57.375)


def _image(rng):
    """A random RGB image: smooth colour fields plus fine noise (compresses like a photo)."""
    coarse = rng.uniform(0, 255, (5, 5, 3))
    # Bilinear upsampling of the 5x5 field: weights[i, a] of coarse row a for pixel row i.
    pos = np.linspace(0, 4, SIDE)
    weights = np.maximum(0, 1 - np.abs(pos[:, None] - np.arange(5)[None, :]))
    img = np.einsum("ia,abc,jb->ijc", weights, coarse, weights)
    img += rng.normal(0, 6, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def _encode_jpeg(img):
    try:
        import cv2
        ok, buf = cv2.imencode(".jpg", img[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        if ok:
            return buf.tobytes()
    except ImportError:
        pass
    try:
        import io
        from PIL import Image
    except ImportError:
        raise RuntimeError("W8 writes its JPEG records with OpenCV or Pillow; install one in "
                           "the interpreter that runs benchmarks/run.py") from None
    out = io.BytesIO()
    Image.fromarray(img).save(out, format="JPEG", quality=QUALITY)
    return out.getvalue()


def record_file(mx):
    """Path of the shared .rec (with its .idx), written with ``mx.recordio`` if absent."""
    key = hashlib.sha1(repr((NUM_IMAGES, SIDE, QUALITY, 1)).encode()).hexdigest()[:10]
    folder = os.path.join(tempfile.gettempdir(), f"mxnext-bench-w8-{key}")
    rec = os.path.join(folder, "images.rec")
    if os.path.exists(rec):
        return rec
    os.makedirs(folder, exist_ok=True)
    # Written under temporary names and renamed, so a reader never sees half a file.
    tmp_rec, tmp_idx = f"{rec}.{os.getpid()}.tmp", f"{rec[:-4]}.{os.getpid()}.idx.tmp"
    writer = mx.recordio.MXIndexedRecordIO(tmp_idx, tmp_rec, "w")
    rng = np.random.default_rng(8)
    for i in range(NUM_IMAGES):
        header = mx.recordio.IRHeader(0, float(i % 10), i, 0)
        writer.write_idx(i, mx.recordio.pack(header, _encode_jpeg(_image(rng))))
    writer.close()
    os.replace(tmp_idx, rec[:-4] + ".idx")
    os.replace(tmp_rec, rec)
    return rec


def cases(framework, lib):
    """``{case name: Case}``; only the MXNet API has this workload."""
    if framework != "mxnet":
        return {}
    mx = lib
    rec = record_file(mx)

    def record_iter():
        it = mx.io.ImageRecordIter(
            path_imgrec=rec, data_shape=(3, CROP, CROP), batch_size=BATCH, rand_crop=True,
            rand_mirror=True, mean_r=MEAN[0], mean_g=MEAN[1], mean_b=MEAN[2], std_r=STD[0],
            std_g=STD[1], std_b=STD[2], preprocess_threads=THREADS, verbose=False)

        def run(n):
            for _ in range(n):
                it.reset()
                for batch in it:
                    batch.data[0].wait_to_read()

        return run

    def data_loader():
        gdata = mx.gluon.data
        T = gdata.vision.transforms
        augment = T.Compose([T.RandomResizedCrop(CROP), T.RandomFlipLeftRight(), T.ToTensor(),
                             T.Normalize([m / 255 for m in MEAN], [s / 255 for s in STD])])
        dataset = gdata.vision.ImageRecordDataset(rec).transform_first(augment)
        loader = gdata.DataLoader(dataset, batch_size=BATCH, num_workers=THREADS)

        def run(n):
            for _ in range(n):
                for data, _label in loader:
                    data.wait_to_read()

        return run

    return {"imagerecorditer": Case(record_iter, ops_per_iter=NUM_IMAGES),
            "dataloader_2workers": Case(data_loader, ops_per_iter=NUM_IMAGES)}


if __name__ == "__main__":
    import statistics
    import sys
    import time
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import mxnet

    for name, case in cases("mxnet", mxnet).items():
        run = case.make()
        run(1)
        rates = []
        for _ in range(5):
            start = time.perf_counter()
            run(1)
            rates.append(NUM_IMAGES / (time.perf_counter() - start))
        print(f"{name:22s} {statistics.median(rates):8.1f} images/s (median of 5 epochs; "
              f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs)")
