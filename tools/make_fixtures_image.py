"""Write MXNet 1.9.1 reference outputs for mx.image, mx.nd.image and gluon.data tests.

Run with the oracle from outside the repository:
    cd /tmp && /work/main/.venv-ref/bin/python /work/main/tools/make_fixtures_image.py
Writes tests/fixtures/image/{sample.png, image_ops.npz, augmenters.npz, misc.json}.
The PNG is encoded here by hand (the oracle venv has neither OpenCV nor Pillow).
"""
import json
import os
import random
import struct
import zlib

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "image")


def png_bytes(img):
    """Encode an HxWx3 uint8 image as an RGB PNG (no filtering)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    h, w = img.shape[:2]
    rows = b"".join(b"\x00" + img[y].tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def image_ops(img):
    x = mx.nd.array(img, dtype="uint8")
    xf = x.astype("float32")
    t = mx.nd.image.to_tensor(x)
    out = {
        "to_tensor": t.asnumpy(),
        "normalize": mx.nd.image.normalize(t, mean=(0.1, 0.2, 0.3), std=(0.5, 1.0, 2.0)).asnumpy(),
        "resize_keep": mx.nd.image.resize(x, size=7, keep_ratio=True).asnumpy(),
        "resize_wh": mx.nd.image.resize(xf, size=(9, 5)).asnumpy(),
        "resize_batch": mx.nd.image.resize(mx.nd.stack(x, x[::-1]), size=(6, 4)).asnumpy(),
        "crop": mx.nd.image.crop(x, x=2, y=3, width=5, height=4).asnumpy(),
        "flip_top_bottom": mx.nd.image.flip_top_bottom(x).asnumpy(),
        "adjust_lighting": mx.nd.image.adjust_lighting(xf, alpha=(0.1, -0.2, 0.3)).asnumpy(),
        "adjust_lighting_u8": mx.nd.image.adjust_lighting(x, alpha=(0.1, -0.2, 0.3)).asnumpy(),
    }
    for name in ("brightness", "contrast", "hue"):
        fn = getattr(mx.nd.image, "random_" + name)
        out["random_" + name] = fn(xf, min_factor=0.3, max_factor=0.3).asnumpy()
    for interp in range(5):
        out[f"cvimresize_{interp}"] = mx.image.imresize(x, 7, 5, interp=interp).asnumpy()
        out[f"cvimresize_up_{interp}"] = mx.image.imresize(xf, 21, 15, interp=interp).asnumpy()
    chw = mx.nd.array(np.arange(30, dtype=np.float32).reshape(1, 5, 6))
    out["rotate_30"] = mx.image.imrotate(chw, 30).asnumpy()
    out["rotate_30_zoom_in"] = mx.image.imrotate(chw, 30, zoom_in=True).asnumpy()
    out["rotate_30_zoom_out"] = mx.image.imrotate(chw, 30, zoom_out=True).asnumpy()
    out["border_const"] = mx.image.copyMakeBorder(x, 1, 2, 3, 0, values=(7, 8, 9)).asnumpy()
    out["border_replicate"] = mx.image.copyMakeBorder(x, 2, 1, 0, 3, type=1).asnumpy()
    out["border_reflect101"] = mx.image.copyMakeBorder(x, 2, 1, 1, 2, type=4).asnumpy()
    return out


def augmenters(img):
    x = mx.nd.array(img, dtype="uint8")
    xf = x.astype("float32")
    out = {"resize_short": mx.image.resize_short(x, 8).asnumpy(),
           "center_crop": mx.image.center_crop(x, (6, 9))[0].asnumpy(),
           "fixed_crop": mx.image.fixed_crop(x, 1, 2, 6, 5, size=(10, 8)).asnumpy()}
    boxes = {}
    random.seed(7)
    out["random_crop"], boxes["random_crop"] = mx.image.random_crop(x, (6, 5))
    random.seed(11)
    out["random_size_crop"], boxes["random_size_crop"] = mx.image.random_size_crop(
        x, (8, 8), 0.3, (0.75, 1.33))
    jitters = {"brightness": mx.image.BrightnessJitterAug(0.3),
               "contrast": mx.image.ContrastJitterAug(0.3),
               "saturation": mx.image.SaturationJitterAug(0.3),
               "hue": mx.image.HueJitterAug(0.3),
               "gray": mx.image.RandomGrayAug(1.0),
               "flip": mx.image.HorizontalFlipAug(1.0),
               "color_normalize": mx.image.ColorNormalizeAug(mx.nd.array([100, 110, 120]),
                                                            mx.nd.array([50, 60, 70]))}
    out = {k: v.asnumpy() if isinstance(v, mx.nd.NDArray) else v for k, v in out.items()}
    for i, (name, aug) in enumerate(jitters.items()):
        random.seed(100 + i)
        # MXNet's augmenters modify their input in place: give each its own copy.
        out["aug_" + name] = aug(xf.copy()).asnumpy()
    np.random.seed(5)
    out["aug_lighting"] = mx.image.LightingAug(
        0.1, np.array([55.46, 4.794, 1.148]),
        np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                  [-0.5836, -0.6948, 0.4203]]))(xf.copy()).asnumpy()
    augs = mx.image.CreateAugmenter((3, 8, 8), resize=10, rand_crop=True, rand_mirror=True,
                                    mean=True, std=True, brightness=0.2, contrast=0.2,
                                    saturation=0.2)
    random.seed(42)
    y = x
    for aug in augs:
        y = aug(y)
    out["create_augmenter"] = y.asnumpy()
    dumps = [a.dumps() for a in augs]
    return out, {k: [int(v) for v in b] for k, b in boxes.items()}, dumps


def samplers():
    np.random.seed(3)
    order = list(mx.gluon.data.RandomSampler(12))
    return {"random_sampler_seed3": [int(i) for i in order]}


def image_iter_cases(out_dir):
    """A 5-image .rec/.idx and .lst with PNG files, and ImageIter batches over them."""
    rng = np.random.RandomState(4)
    rec = mx.recordio.MXIndexedRecordIO(os.path.join(out_dir, "tiny.idx"),
                                        os.path.join(out_dir, "tiny.rec"), "w")
    lines = []
    for i in range(5):
        img = rng.randint(0, 256, (10 + i, 12, 3)).astype(np.uint8)
        data = png_bytes(img)
        rec.write_idx(i, mx.recordio.pack(mx.recordio.IRHeader(0, float(i), i, 0), data))
        name = f"tiny{i}.png"
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)
        lines.append(f"{i}\t{i * 10}.0\t{name}\n")
    rec.close()
    with open(os.path.join(out_dir, "tiny.lst"), "w") as f:
        f.writelines(lines)
    res = {}
    it = mx.image.ImageIter(2, (3, 8, 8), path_imgrec=os.path.join(out_dir, "tiny.rec"))
    for n, batch in enumerate(it):
        res[f"rec_data_{n}"] = batch.data[0].asnumpy()
        res[f"rec_label_{n}"] = batch.label[0].asnumpy()
        res[f"rec_pad_{n}"] = np.array(batch.pad)
    it = mx.image.ImageIter(2, (3, 8, 8), path_imglist=os.path.join(out_dir, "tiny.lst"),
                            path_root=out_dir, last_batch_handle="roll_over")
    first = [b.label[0].asnumpy().tolist() for b in it]
    it.reset()
    second = [b.label[0].asnumpy().tolist() for b in it]
    res["lst_rollover_labels"] = np.array(first + second)
    random.seed(9)
    it = mx.image.ImageIter(3, (3, 8, 8), path_imgrec=os.path.join(out_dir, "tiny.rec"),
                            path_imgidx=os.path.join(out_dir, "tiny.idx"), shuffle=True,
                            last_batch_handle="discard")
    res["shuffled_labels"] = np.array([b.label[0].asnumpy() for b in it])
    return res


def detection_cases(out_dir):
    """Detection augmenters on fixed Python seeds and an ImageDetIter over a small .rec."""
    rng = np.random.RandomState(6)
    img = mx.nd.array(rng.randint(0, 256, (20, 24, 3)), dtype="uint8")
    label = np.array([[0, 0.1, 0.2, 0.5, 0.6], [1, 0.4, 0.3, 0.9, 0.95]], dtype=np.float32)
    res = {}
    cases = {"crop": mx.image.DetRandomCropAug(min_object_covered=0.3, area_range=(0.3, 1.0)),
             "pad": mx.image.DetRandomPadAug(area_range=(1.5, 3.0), pad_val=(1, 2, 3)),
             "flip": mx.image.DetHorizontalFlipAug(1.0)}
    for i, (name, aug) in enumerate(cases.items()):
        random.seed(20 + i)
        out, lab = aug(img.copy(), label.copy())
        res[f"det_{name}_img"] = out.asnumpy()
        res[f"det_{name}_label"] = lab
    rec = mx.recordio.MXIndexedRecordIO(os.path.join(out_dir, "det.idx"),
                                        os.path.join(out_dir, "det.rec"), "w")
    for i in range(3):
        objs = label[: 1 + (i % 2)].copy()
        objs[:, 0] = i
        raw = np.concatenate([[2, 5], objs.ravel()]).astype(np.float32)
        header = mx.recordio.IRHeader(raw.size, raw, i, 0)
        data = png_bytes(rng.randint(0, 256, (16, 18, 3)).astype(np.uint8))
        rec.write_idx(i, mx.recordio.pack(header, data))
    rec.close()
    it = mx.image.ImageDetIter(2, (3, 10, 10), path_imgrec=os.path.join(out_dir, "det.rec"),
                               path_imgidx=os.path.join(out_dir, "det.idx"))
    res["detiter_label_shape"] = np.array(it.provide_label[0][1])
    for n, batch in enumerate(it):
        res[f"detiter_data_{n}"] = batch.data[0].asnumpy()
        res[f"detiter_label_{n}"] = batch.label[0].asnumpy()
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, (13, 17, 3)).astype(np.uint8)
    png = png_bytes(img)
    with open(os.path.join(OUT, "sample.png"), "wb") as f:
        f.write(png)
    decoded = {"decode_rgb": mx.image.imdecode(png).asnumpy(),
               "decode_bgr": mx.image.imdecode(png, to_rgb=False).asnumpy(),
               "decode_gray": mx.image.imdecode(png, flag=0).asnumpy()}
    np.savez_compressed(os.path.join(OUT, "image_ops.npz"), **decoded, **image_ops(img))
    aug_out, boxes, dumps = augmenters(img)
    np.savez_compressed(os.path.join(OUT, "augmenters.npz"), **aug_out)
    np.savez_compressed(os.path.join(OUT, "image_iter.npz"), **image_iter_cases(OUT),
                        **detection_cases(OUT))
    with open(os.path.join(OUT, "misc.json"), "w") as f:
        json.dump({"boxes": boxes, "dumps": dumps, **samplers()}, f, indent=1)


if __name__ == "__main__":
    main()
