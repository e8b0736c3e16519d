"""Write tests/fixtures/det_augment/: ImageDetRecordIter batches and augmentation statistics
from real MXNet 1.9.1.

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_det_augment.py

``extra.rec`` holds the images of tests/fixtures/recordio/det.rec with labels that
use a longer header, wider objects and an empty box. ``expected.npz`` +
``cases.json`` hold the data and label batches of deterministic settings
(resize modes, normalisation, mirror with probability 1). ``stats.json`` holds,
for random crop/pad settings, per image summaries over many epochs (see
``summarise``; tests/io/test_det_augment.py computes the same ones), since
MXNet's random stream cannot be reproduced.
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "tests", "fixtures", "recordio", "det.rec")
OUT = os.path.join(HERE, "..", "tests", "fixtures", "det_augment")

EXTRA_LABELS = [
    [4, 6, 7.5, -1, 0, 0.1, 0.2, 0.5, 0.9, 11, 1, 0.3, 0.1, 0.9, 0.6, 12],
    [2, 6, 3, 0.6, 0.1, 0.6, 0.5, 13, 1, 0.2, 0.3, 0.7, 0.8, 14],  # the first box is empty
    [3, 5, 42, 2, 0.0, 0.0, 1.0, 1.0],
]

CASES = {
    "fit": ("det.rec", dict(data_shape=(3, 36, 44), resize_mode="fit")),
    "shrink": ("det.rec", dict(data_shape=(3, 26, 30), resize_mode="shrink")),
    "resize_then_fit": ("det.rec", dict(data_shape=(3, 30, 30), resize=20, resize_mode="fit")),
    "normalise": ("det.rec", dict(data_shape=(3, 24, 24), resize_mode="shrink", mean_r=10,
                                  mean_g=20, mean_b=30, std_r=2, std_b=5, scale=0.5)),
    "mirror": ("det.rec", dict(data_shape=(3, 40, 40), resize_mode="shrink", rand_mirror_prob=1)),
    "mirror_force": ("det.rec", dict(data_shape=(3, 20, 18), rand_mirror_prob=1)),
    "gray": ("det.rec", dict(data_shape=(1, 16, 16))),
    "auto_inter": ("det.rec", dict(data_shape=(3, 40, 50), resize_mode="fit", inter_method=9)),
    "extra_labels": ("extra.rec", dict(data_shape=(3, 24, 24), rand_mirror_prob=1,
                                       label_pad_width=20, label_pad_value=-2)),
}

SSD_OVERLAPS = (0.1, 0.3, 0.5, 0.7, 0.9)
STAT_CASES = {
    "crop_center": dict(rand_crop_prob=1, min_crop_scales=(0.3,), max_crop_scales=(0.7,),
                        min_crop_aspect_ratios=(0.5,), max_crop_aspect_ratios=(2,)),
    "crop_overlap_emit": dict(rand_crop_prob=1, min_crop_scales=(0.3,), max_crop_scales=(0.7,),
                              min_crop_aspect_ratios=(0.5,), max_crop_aspect_ratios=(2,),
                              crop_emit_mode="overlap", emit_overlap_thresh=0.6),
    "crop_object_coverage": dict(rand_crop_prob=1, min_crop_scales=(0.5,), max_crop_scales=(0.95,),
                                 min_crop_object_coverages=(0.95,), max_crop_trials=(10,)),
    "crop_ssd_samplers": dict(rand_crop_prob=1, num_crop_sampler=5, min_crop_scales=(0.3,),
                              max_crop_scales=(1.0,), min_crop_aspect_ratios=(0.5,),
                              max_crop_aspect_ratios=(2.0,), min_crop_overlaps=SSD_OVERLAPS,
                              max_crop_trials=(50,)),
    "pad": dict(rand_pad_prob=1, max_pad_scale=3),
    "half_of_everything": dict(rand_pad_prob=0.5, max_pad_scale=2, rand_crop_prob=0.5,
                               min_crop_scales=(0.3,), rand_mirror_prob=0.5),
}
STAT_EPOCHS = 400


def summarise(sizes, labels, plain_sizes):
    """Per image, over samples: [changed size, area ratio, aspect ratio ratio, objects kept,
    mean xmin, ymin, xmax, ymax of the first object]. ``sizes`` (samples, images, 2) are the
    (height, width) label fields, ``labels`` (samples, images, width) the label rows."""
    plain = np.asarray(plain_sizes, np.float64)[None]
    sizes = np.asarray(sizes, np.float64)
    changed = (sizes != plain).any(-1).mean(0)
    area = (sizes.prod(-1) / plain.prod(-1)).mean(0)
    aspect = ((sizes[..., 1] / sizes[..., 0]) / (plain[..., 1] / plain[..., 0])).mean(0)
    head = labels[..., 4].astype(int)
    width = labels[..., 5].astype(int)
    objects = ((labels[..., 3] - head) / width).mean(0)
    first = np.stack([labels[i, k, 4 + head[i, k] + 1:4 + head[i, k] + 5]
                      for i in range(labels.shape[0]) for k in range(labels.shape[1])])
    first = first.reshape(labels.shape[:2] + (4,)).mean(0)
    return np.column_stack([changed, area, aspect, objects, first]).round(4).tolist()


def _det_iter(mx, rec, batch_size, **kwargs):
    return mx.io.ImageDetRecordIter(path_imgrec=os.path.join(OUT, rec) if rec != "det.rec" else SRC,
                                    batch_size=batch_size, verbose=False, preprocess_threads=1,
                                    **kwargs)


def main():
    import mxnet as mx
    os.makedirs(OUT, exist_ok=True)
    reader = mx.recordio.MXRecordIO(SRC, "r")
    payloads = [mx.recordio.unpack(reader.read())[1] for _ in range(5)]
    writer = mx.recordio.MXRecordIO(os.path.join(OUT, "extra.rec"), "w")
    for i, label in enumerate(EXTRA_LABELS):
        writer.write(mx.recordio.pack(mx.recordio.IRHeader(0, label, i, 0), payloads[i]))
    writer.close()

    expected, cases = {}, {}
    for name, (rec, kwargs) in CASES.items():
        n = 3 if rec == "extra.rec" else 5
        batch = next(_det_iter(mx, rec, n, **kwargs))
        data = batch.data[0].asnumpy()
        # Whole pixel values are stored as uint8, to keep the file small.
        expected[name + "_data"] = data.astype(np.uint8) if (data == np.rint(data)).all() \
            and data.min() >= 0 and data.max() <= 255 else data
        expected[name + "_label"] = batch.label[0].asnumpy()
        cases[name] = dict(kwargs, rec=rec, batch_size=n)
    np.savez_compressed(os.path.join(OUT, "expected.npz"), **expected)

    plain = next(_det_iter(mx, "det.rec", 5, data_shape=(3, 100, 100), resize_mode="shrink"))
    plain_sizes = plain.label[0].asnumpy()[:, 1:3].tolist()
    stats = {"plain_sizes": plain_sizes, "epochs": STAT_EPOCHS, "cases": {}}
    for name, kwargs in STAT_CASES.items():
        it = _det_iter(mx, "det.rec", 5, data_shape=(3, 100, 100), resize_mode="shrink",
                       label_pad_width=40, **kwargs)
        rows = []
        for _ in range(STAT_EPOCHS):
            it.reset()
            rows.append(next(it).label[0].asnumpy())
        rows = np.stack(rows)
        stats["cases"][name] = {"kwargs": kwargs,
                                "summary": summarise(rows[..., 1:3], rows, plain_sizes)}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1, sort_keys=True)
    with open(os.path.join(OUT, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)


if __name__ == "__main__":
    main()
