"""Write tests/fixtures/io_augment/: ImageRecordIter batches of MXNet 1.9.1 for its
deterministic augmentation settings (fixed rotation, scale, aspect ratio, image size
limits, padding, interpolation methods, crop sizes, random-resized-crop fallbacks).

Run with real MXNet, from outside the repository (it reads the PNG records of
tests/fixtures/recordio/png.rec):

    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_io_augment.py
"""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.join(HERE, "..", "tests", "fixtures", "recordio", "png.rec")
OUT = os.path.join(HERE, "..", "tests", "fixtures", "io_augment")

S16 = (3, 16, 16)
CASES = {
    "rotate90": dict(rotate=90),
    "rotate30_cubic": dict(rotate=30, inter_method=2),
    "rotate45_fill0": dict(rotate=45, fill_value=0, data_shape=(3, 24, 24)),
    "rotate60_lanczos": dict(rotate=60, inter_method=4),
    "rotate20_area": dict(rotate=20, inter_method=3),
    "rotate_gray": dict(rotate=90, data_shape=(1, 16, 16)),
    "scale_half": dict(min_random_scale=0.5, max_random_scale=0.5, data_shape=(3, 12, 12)),
    "scale_1_5": dict(min_random_scale=1.5, max_random_scale=1.5, inter_method=9),
    "aspect2": dict(min_aspect_ratio=2.0, max_aspect_ratio=2.0),
    "max_img_size": dict(max_img_size=14, data_shape=(3, 12, 12)),
    "min_img_size": dict(min_img_size=40, fill_value=9, data_shape=(3, 36, 36)),
    "pad": dict(pad=3, fill_value=7, data_shape=(3, 40, 40)),
    "resize_nearest": dict(resize=20, inter_method=0),
    "resize_cubic": dict(resize=25, inter_method=2),
    "resize_area": dict(resize=13, inter_method=3, data_shape=(3, 12, 12)),
    "resize_lanczos": dict(resize=21, inter_method=4),
    "resize_auto": dict(resize=19, inter_method=9),
    "enlarge_cubic": dict(inter_method=2, data_shape=(3, 32, 32)),
    "rrc_fallback": dict(random_resized_crop=True),
    "rrc_fallback_wide": dict(random_resized_crop=True, data_shape=(3, 12, 16)),
    "rrc_whole": dict(random_resized_crop=True, min_random_area=1.0, max_random_area=1.0,
                      min_aspect_ratio=1.0, max_aspect_ratio=1.0, data_shape=(3, 10, 10)),
    "crop_size": dict(min_crop_size=12, max_crop_size=12),
    "crop_size_rect": dict(min_crop_size=12, max_crop_size=12, data_shape=(3, 14, 14)),
    "uint8_rotate": dict(rotate=90, iter="ImageRecordUInt8Iter"),
}


def main():
    import mxnet as mx
    expected, spec = {}, {}
    for name, kwargs in CASES.items():
        kwargs = dict(kwargs)
        cls = getattr(mx.io, kwargs.pop("iter", "ImageRecordIter"))
        kwargs.setdefault("data_shape", S16)
        it = cls(path_imgrec=SOURCE, batch_size=3, verbose=False, **kwargs)
        # Pixels stay whole numbers in 0..255 (no mean/std): uint8 keeps the file small.
        expected[name] = it.next().data[0].asnumpy().astype(np.uint8)
        spec[name] = dict(kwargs, iter=cls.__name__, data_shape=list(kwargs["data_shape"]))
    os.makedirs(OUT, exist_ok=True)
    np.savez_compressed(os.path.join(OUT, "expected.npz"), **expected)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(spec, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
