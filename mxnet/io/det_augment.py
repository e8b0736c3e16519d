"""The detection augmenter of ``ImageDetRecordIter`` (MXNet's ``det_aug_default``).

A detection label is MXNet's flat record ``[header_width, object_width,
<rest of the header>, objects...]``; each object is ``object_width`` values
``id, xmin, ymin, xmax, ymax, <extra>`` with the corners as fractions of the
image width and height. Objects with an empty box (``xmax <= xmin`` or
``ymax <= ymin``) are dropped on reading, as MXNet does.

An image and its boxes go through these steps, in MXNet's order, each only
when its parameters ask for it:

1. ``resize``: shorter edge to ``resize`` pixels;
2. colour: integer shifts of hue, lightness and saturation in OpenCV's 8-bit
   HLS (up to ``max_random_hue``/``_illumination``/``_saturation``) and a
   contrast gain ``1 + c`` (``|c| <= max_random_contrast``), each applied with
   its own probability;
3. mirror, with probability ``rand_mirror_prob``;
4. pad ("zoom out"), with probability ``rand_pad_prob``: the image is placed
   at a random spot of a canvas ``s`` times its size (``s`` uniform in
   ``[1, max_pad_scale]``, no padding when ``s < 1.05``) filled with
   ``fill_value``;
5. crop, with probability ``rand_crop_prob``: the ``num_crop_sampler``
   samplers are tried in random order, each for up to ``max_crop_trials``
   random boxes of its scale and aspect-ratio range. A box is taken when one
   object meets all of the sampler's bounds at once (IOU, intersection over
   crop area, intersection over object area; a bound pair left at [0, 1] is
   not checked) and at least one object is kept by ``crop_emit_mode``
   (``center``: its centre lies in the crop; ``overlap``: more than
   ``emit_overlap_thresh`` of its area does). Kept boxes are re-expressed in
   the crop and clipped to it; when no box is taken the image stays whole;
6. ``resize_mode``: ``force`` resizes to the data shape, ``shrink`` only
   scales down an image that does not fit (keeping its aspect ratio), ``fit``
   scales it to the largest size that fits. The iterator places the result at
   the top-left corner of the batch slot.

Box coordinates and pixel offsets are computed in float32 and truncated to
integers, as MXNet does, so probability-1 settings reproduce its geometry.
"""
import numpy as np

from ..base import MXNetError
from .augment import _bgr_to_hls, _hls_to_bgr, interpolation
from .decode import resize

__all__ = ["DET_AUG_PARAMS", "DetAugmenter", "parse_det_label"]

_F32 = np.float32


def _floats(value):
    """A tuple of floats from a number, a sequence or a string such as ``'(0.1, 0.3)'``."""
    if isinstance(value, str):
        value = value.strip().strip("()[]")
        return tuple(float(v) for v in value.split(",") if v.strip())
    if np.ndim(value) == 0:
        return (float(value),)
    return tuple(float(v) for v in value)


def _ints(value):
    return tuple(int(v) for v in _floats(value))


def _choice(*allowed):
    def convert(value):
        if value not in allowed:
            raise ValueError(value)
        return value
    return convert


# Per crop sampler: one value for all samplers, or one per sampler.
_SAMPLER_PARAMS = {
    "min_crop_scales": (_floats, (0.0,)), "max_crop_scales": (_floats, (1.0,)),
    "min_crop_aspect_ratios": (_floats, (1.0,)), "max_crop_aspect_ratios": (_floats, (1.0,)),
    "min_crop_overlaps": (_floats, (0.0,)), "max_crop_overlaps": (_floats, (1.0,)),
    "min_crop_sample_coverages": (_floats, (0.0,)), "max_crop_sample_coverages": (_floats, (1.0,)),
    "min_crop_object_coverages": (_floats, (0.0,)), "max_crop_object_coverages": (_floats, (1.0,)),
    "max_crop_trials": (_ints, (25,)),
}
DET_AUG_PARAMS = dict(_SAMPLER_PARAMS, **{
    "resize": (int, -1), "rand_crop_prob": (float, 0.0), "num_crop_sampler": (int, 1),
    "crop_emit_mode": (_choice("center", "overlap"), "center"), "emit_overlap_thresh": (float, 0.3),
    "rand_pad_prob": (float, 0.0), "max_pad_scale": (float, 1.0),
    "max_random_hue": (int, 0), "random_hue_prob": (float, 0.0),
    "max_random_saturation": (int, 0), "random_saturation_prob": (float, 0.0),
    "max_random_illumination": (int, 0), "random_illumination_prob": (float, 0.0),
    "max_random_contrast": (float, 0.0), "random_contrast_prob": (float, 0.0),
    "rand_mirror_prob": (float, 0.0), "fill_value": (int, 127), "inter_method": (int, 1),
    "resize_mode": (_choice("force", "shrink", "fit"), "force"),
})
_INTER_METHODS = (0, 1, 2, 3, 4, 9, 10)
# MXNet pads only when the drawn canvas scale reaches this much.
_MIN_PAD_SCALE = 1.05


def parse_det_label(raw, where, name):
    """Split a raw detection label into (header, objects (n, object_width) float32)."""
    raw = np.asarray(raw, _F32).ravel()
    if raw.size < 7:
        raise MXNetError(f"{name}: {where} has a label of {raw.size} value(s); a detection label "
                         "needs at least 7 (header_width, object_width, then id, xmin, ymin, "
                         "xmax, ymax of an object)")
    head, width = int(raw[0]), int(raw[1])
    if not 2 <= head <= raw.size:
        raise MXNetError(f"{name}: {where} has header_width {head} (label[0]); expected at "
                         f"least 2 and at most the label length {raw.size}")
    if width < 5:
        raise MXNetError(f"{name}: {where} has object_width {width} (label[1]); expected at "
                         "least 5 (id, xmin, ymin, xmax, ymax)")
    if (raw.size - head) % width:
        raise MXNetError(f"{name}: {where} has {raw.size - head} object values after its "
                         f"{head}-value header, not a multiple of object_width {width}")
    objects = raw[head:].reshape(-1, width)
    keep = (objects[:, 3] > objects[:, 1]) & (objects[:, 4] > objects[:, 2])
    return raw[:head].copy(), objects[keep]


def _project(objects, x, y, w, h):
    """Boxes re-expressed in the frame (x, y, w, h) (fractions of the old frame), clipped to it."""
    out = objects.copy()
    out[:, 1] = np.maximum(_F32(0), (objects[:, 1] - x) / w)
    out[:, 2] = np.maximum(_F32(0), (objects[:, 2] - y) / h)
    out[:, 3] = np.minimum(_F32(1), (objects[:, 3] - x) / w)
    out[:, 4] = np.minimum(_F32(1), (objects[:, 4] - y) / h)
    return out


class DetAugmenter:
    """The augmentation steps of one ``ImageDetRecordIter``, configured from its parsed
    parameters ``p`` (see ``DET_AUG_PARAMS``) and ``(channels, height, width)`` data shape.
    Bad settings raise MXNetError here, when the iterator is made."""

    def __init__(self, name, p, data_shape):
        self.p, self.name = p, name
        self.height, self.width = data_shape[1], data_shape[2]
        if p["inter_method"] not in _INTER_METHODS:
            raise MXNetError(f"{name}: inter_method must be one of 0 (nearest), 1 (bilinear), "
                             "2 (bicubic), 3 (area), 4 (Lanczos), 9 (auto) or 10 (random), "
                             f"got {p['inter_method']}")
        if p["resize"] != -1 and p["resize"] <= 0:
            raise MXNetError(f"{name}: resize must be a positive size or -1 (off), got {p['resize']}")
        if p["emit_overlap_thresh"] < 0:
            raise MXNetError(f"{name}: emit_overlap_thresh must be >= 0, got "
                             f"{p['emit_overlap_thresh']}")
        self.samplers = self._samplers()

    def _samplers(self):
        """Per-sampler settings as a list of dicts (values broadcast from length 1)."""
        p, name, count = self.p, self.name, self.p["num_crop_sampler"]
        if count <= 0:
            return []
        columns = {}
        for key in _SAMPLER_PARAMS:
            values = p[key]
            if len(values) == 1:
                values = values * count
            elif len(values) != count:
                raise MXNetError(f"{name}: {key} has {len(values)} values; expected 1 or one per "
                                 f"crop sampler (num_crop_sampler={count})")
            columns[key] = values
        samplers = [{k: v[i] for k, v in columns.items()} for i in range(count)]
        for i, s in enumerate(samplers):
            if not 0 <= s["min_crop_scales"] < s["max_crop_scales"] <= 1:
                raise MXNetError(f"{name}: crop sampler {i} needs 0 <= min_crop_scales < "
                                 f"max_crop_scales <= 1, got {s['min_crop_scales']} and "
                                 f"{s['max_crop_scales']}")
            if not 0 <= s["min_crop_aspect_ratios"] <= s["max_crop_aspect_ratios"]:
                raise MXNetError(f"{name}: crop sampler {i} needs 0 <= min_crop_aspect_ratios <= "
                                 f"max_crop_aspect_ratios, got {s['min_crop_aspect_ratios']} and "
                                 f"{s['max_crop_aspect_ratios']}")
            for kind in ("overlaps", "sample_coverages", "object_coverages"):
                low, high = s["min_crop_" + kind], s["max_crop_" + kind]
                if low > high:
                    raise MXNetError(f"{name}: crop sampler {i} needs min_crop_{kind} <= "
                                     f"max_crop_{kind}, got {low} and {high}")
        return samplers

    def _resize(self, img, width, height, rng):
        out = resize(img, width, height, interpolation(self.p["inter_method"], rng,
                                                       img.shape[1::-1], (width, height)))
        return out[:, :, None] if out.ndim == 2 else out

    def __call__(self, img, objects, rng):
        """Augment one uint8 HxWxC BGR image and its (n, object_width) objects; returns both."""
        p = self.p
        if p["resize"] > 0:
            rows, cols = img.shape[:2]
            size = p["resize"]
            width, height = (size, size * rows // cols) if rows > cols else (size * cols // rows, size)
            img = self._resize(img, width, height, rng)
        if (p["random_hue_prob"] > 0 or p["random_saturation_prob"] > 0
                or p["random_illumination_prob"] > 0 or p["random_contrast_prob"] > 0):
            img = self._colour(img, rng)
        if p["rand_mirror_prob"] > 0 and rng.random() < p["rand_mirror_prob"]:
            img = img[:, ::-1].copy()  # OpenCV refuses negative strides
            objects = objects.copy()
            objects[:, [1, 3]] = 1 - objects[:, [3, 1]]
        if p["rand_pad_prob"] > 0 and p["max_pad_scale"] > 1 and rng.random() < p["rand_pad_prob"]:
            img, objects = self._pad(img, objects, rng)
        if p["rand_crop_prob"] > 0 and self.samplers and rng.random() < p["rand_crop_prob"]:
            img, objects = self._crop(img, objects, rng)
        return self._fit(img, rng), objects

    # -- steps -----------------------------------------------------------------------------
    def _colour(self, img, rng):
        p = self.p
        shifts = rng.uniform(-1, 1, 4)
        hue, sat, light = (int(shifts[i] * p[k]) for i, k in enumerate(
            ("max_random_hue", "max_random_saturation", "max_random_illumination")))
        contrast = shifts[3] * p["max_random_contrast"]
        draws = rng.random(4)
        hue = hue if draws[0] < p["random_hue_prob"] else 0
        sat = sat if draws[1] < p["random_saturation_prob"] else 0
        light = light if draws[2] < p["random_illumination_prob"] else 0
        contrast = contrast if draws[3] < p["random_contrast_prob"] else 0.0
        if (hue or sat or light) and img.shape[2] == 3:
            hls = _bgr_to_hls(img).astype(np.int16) + np.array([hue, light, sat], np.int16)
            img = _hls_to_bgr(np.clip(hls, 0, [180, 255, 255]).astype(np.uint8))
        if abs(contrast) > 1e-3:
            img = np.clip(np.rint(img * _F32(1 + contrast)), 0, 255).astype(np.uint8)
        return img

    def _pad(self, img, objects, rng):
        scale = _F32(rng.uniform(1, self.p["max_pad_scale"]))
        if scale < _MIN_PAD_SCALE:
            return img, objects
        x0, y0 = rng.uniform(0, scale - 1, 2).astype(_F32)
        rows, cols = img.shape[:2]
        left, top = int(x0 * _F32(cols)), int(y0 * _F32(rows))
        right = int((scale - x0 - _F32(1)) * _F32(cols))
        bottom = int((scale - y0 - _F32(1)) * _F32(rows))
        fill = int(np.clip(self.p["fill_value"], 0, 255))
        out = np.full((rows + top + bottom, cols + left + right, img.shape[2]), fill, np.uint8)
        out[top:top + rows, left:left + cols] = img
        return out, _project(objects, -x0, -y0, scale, scale)

    def _crop_box(self, sampler, rng, aspect):
        """A random crop (x, y, w, h) as fractions of the image, of the sampler's scale and
        pixel aspect-ratio range (``aspect`` is the image's width / height)."""
        scale = _F32(rng.uniform(sampler["min_crop_scales"], sampler["max_crop_scales"]) + 1e-12)
        low = max(_F32(sampler["min_crop_aspect_ratios"]) / aspect, scale * scale)
        high = min(_F32(sampler["max_crop_aspect_ratios"]) / aspect, _F32(1) / (scale * scale))
        # C++'s uniform_real_distribution draws from an inverted range too (low > high
        # here when the scale cannot reach the asked aspect ratios); NumPy's refuses it.
        ratio = _F32(np.sqrt(low + (high - low) * rng.random()))
        w, h = min(_F32(1), scale * ratio), min(_F32(1), scale / ratio)
        return (_F32(rng.uniform(0, 1 - w)), _F32(rng.uniform(0, 1 - h)), w, h)

    def _try_crop(self, objects, box, sampler):
        """The objects re-expressed in crop ``box``, or None when the box is refused."""
        if not len(objects):
            return objects
        x, y, w, h = box
        left, top, right, bottom = objects[:, 1], objects[:, 2], objects[:, 3], objects[:, 4]
        inter = (np.maximum(_F32(0), np.minimum(right, x + w) - np.maximum(left, x))
                 * np.maximum(_F32(0), np.minimum(bottom, y + h) - np.maximum(top, y)))
        gt_area = (right - left) * (bottom - top)
        crop_area = w * h
        measures = {"overlaps": inter / (crop_area + gt_area - inter),
                    "sample_coverages": inter / crop_area, "object_coverages": inter / gt_area}
        meets = np.ones(len(objects), bool)
        for kind, value in measures.items():
            low, high = sampler["min_crop_" + kind], sampler["max_crop_" + kind]
            if low > 0 or high < 1:
                meets &= (value >= low) & (value <= high)
        if not meets.any():
            return None
        if self.p["crop_emit_mode"] == "center":
            cx, cy = (left + right) * _F32(0.5), (top + bottom) * _F32(0.5)
            keep = (cx >= x) & (cx < x + w) & (cy >= y) & (cy < y + h)
        else:
            keep = inter / gt_area > self.p["emit_overlap_thresh"]
        if not keep.any():
            return None
        return _project(objects[keep], x, y, w, h)

    def _crop(self, img, objects, rng):
        rows, cols = img.shape[:2]
        aspect = _F32(cols) / _F32(rows)
        for index in rng.permutation(len(self.samplers)):
            sampler = self.samplers[index]
            for _ in range(sampler["max_crop_trials"]):
                x, y, w, h = box = self._crop_box(sampler, rng, aspect)
                left, top = int(x * _F32(cols)), int(y * _F32(rows))
                width, height = int(w * _F32(cols)), int(h * _F32(rows))
                if width < 1 or height < 1:  # MXNet would fail on an empty image
                    continue
                cropped = self._try_crop(objects, box, sampler)
                if cropped is not None:
                    return img[top:top + height, left:left + width], cropped
        return img, objects

    def _fit(self, img, rng):
        mode = self.p["resize_mode"]
        rows, cols = img.shape[:2]
        if mode == "force":
            return self._resize(img, self.width, self.height, rng)
        if mode == "shrink" and rows <= self.height and cols <= self.width:
            return img
        ratio = min(_F32(self.height) / _F32(rows), _F32(self.width) / _F32(cols))
        height = min(self.height, max(1, int(ratio * _F32(rows))))
        width = min(self.width, max(1, int(ratio * _F32(cols))))
        return self._resize(img, width, height, rng)
