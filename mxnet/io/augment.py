"""MXNet's default image augmenter (``aug_default``) of the image record iterators.

An image goes through these steps, each only when its parameters ask for it, in
MXNet's order and with MXNet's conventions (uint8 HxWxC pixels in BGR order,
OpenCV interpolation codes):

1. ``resize``: shorter edge to ``resize`` pixels;
2. one affine warp combining rotation (``rotate`` or a random angle up to
   ``max_rotate_angle``), shear (``max_shear_ratio``), scale
   (``min/max_random_scale``) and aspect ratio (``min/max_aspect_ratio``) onto a
   canvas of the scaled size bounded by ``min/max_img_size``, filled with
   ``fill_value``;
3. ``pad`` pixels of ``fill_value`` on every side;
4. the crop: ``random_resized_crop`` (random area and aspect ratio, resized to
   the output size), a square crop of random side ``min/max_crop_size`` resized
   to the output size, or a plain ``data_shape`` crop (centre or ``rand_crop``)
   of an image first enlarged if it is too small;
5. ``random_h/s/l``: random offsets of the H, L and S planes in OpenCV's HLS;
6. ``brightness``, ``contrast``, ``saturation`` jitter and AlexNet-style
   ``pca_noise`` lighting.

Mirroring, ``max_random_contrast``/``max_random_illumination`` and mean/std
normalisation happen when the iterator writes the batch.
"""
import math

import numpy as np

from ..base import MXNetError
from .decode import cv2, resize, warp_affine
from .native import as_bool

__all__ = ["AUG_PARAMS", "DefaultAugmenter"]


def _optional_float(value):
    return None if value is None or value == "None" else float(value)


AUG_PARAMS = {
    "resize": (int, -1), "rand_crop": (as_bool, False), "random_resized_crop": (as_bool, False),
    "max_rotate_angle": (int, 0), "max_aspect_ratio": (float, 0.0),
    "min_aspect_ratio": (_optional_float, None), "max_shear_ratio": (float, 0.0),
    "max_crop_size": (int, -1), "min_crop_size": (int, -1), "max_random_scale": (float, 1.0),
    "min_random_scale": (float, 1.0), "max_random_area": (float, 1.0),
    "min_random_area": (float, 1.0), "max_img_size": (float, 1e10), "min_img_size": (float, 0.0),
    "brightness": (float, 0.0), "contrast": (float, 0.0), "saturation": (float, 0.0),
    "pca_noise": (float, 0.0), "random_h": (int, 0), "random_s": (int, 0), "random_l": (int, 0),
    "rotate": (int, -1), "fill_value": (int, 255), "inter_method": (int, 1), "pad": (int, 0),
}
_INTER_METHODS = (0, 1, 2, 3, 4, 9, 10)
# ImageNet RGB eigenvalues/eigenvectors of AlexNet's PCA lighting noise (the constants
# MXNet and most ImageNet pipelines use).
_EIGVAL = np.array([55.46, 4.794, 1.148], np.float32)
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]], np.float32)


def _gray_as_mxnet(img):
    """MXNet's grey level for the colour jitter: it converts its BGR pixels as if they
    were RGB, so blue carries the red weight (OpenCV's 14-bit fixed point)."""
    px = img.astype(np.int32)
    return (px[..., 0] * 4899 + px[..., 1] * 9617 + px[..., 2] * 1868 + (1 << 13)) >> 14


def _saturate(values):
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def interpolation(method, rng, src, dst):
    """MXNet's interpolation choice for resizing ``src`` (w, h) to ``dst``:
    ``method`` itself, or for 9 by direction (cubic up, area down), for 10 at random."""
    if method == 9:
        if dst[0] > src[0] and dst[1] > src[1]:
            return 2
        return 3 if dst[0] < src[0] and dst[1] < src[1] else 1
    if method == 10:
        return int(rng.integers(0, 5))
    return method


class DefaultAugmenter:
    """The augmentation steps of one iterator, configured from its parsed parameters ``p``
    (see ``AUG_PARAMS``) and its ``(channels, height, width)`` output shape."""

    def __init__(self, name, p, data_shape):
        self.p = p
        self.name = name
        self.height, self.width = data_shape[1], data_shape[2]
        if p["inter_method"] not in _INTER_METHODS:
            raise MXNetError(f"{name}: inter_method must be one of 0 (nearest), 1 (bilinear), "
                             "2 (bicubic), 3 (area), 4 (Lanczos), 9 (auto) or 10 (random), "
                             f"got {p['inter_method']}")
        self.affine = (p["max_rotate_angle"] > 0 or p["max_shear_ratio"] > 0 or p["rotate"] > 0
                       or p["max_random_scale"] != 1 or p["min_random_scale"] != 1
                       or p["max_img_size"] != 1e10 or p["min_img_size"] != 0
                       or (not p["random_resized_crop"]
                           and (p["max_aspect_ratio"] != 0 or p["min_aspect_ratio"] is not None)))
        if self.affine and p["inter_method"] == 0:
            raise MXNetError(f"{name}: inter_method=0 (nearest) is not accepted with rotation, "
                             "shear, random scale, aspect ratio or image size limits; give 1-4, 9 "
                             "or 10")
        self.crop_size = p["max_crop_size"] != -1 or p["min_crop_size"] != -1
        if p["random_resized_crop"]:
            self._check_random_resized_crop()
        elif self.crop_size and not 0 < p["min_crop_size"] <= p["max_crop_size"]:
            raise MXNetError(f"{name}: min_crop_size and max_crop_size must satisfy "
                             f"0 < min_crop_size <= max_crop_size, got {p['min_crop_size']} and "
                             f"{p['max_crop_size']}")
        self.hls = p["random_h"] != 0 or p["random_s"] != 0 or p["random_l"] != 0

    def _check_random_resized_crop(self):
        p, name = self.p, self.name
        if (p["min_random_scale"] != 1 or p["max_random_scale"] != 1 or p["min_crop_size"] != -1
                or p["max_crop_size"] != -1 or p["rand_crop"]):
            raise MXNetError(f"{name}: random_resized_crop=True cannot be combined with "
                             "rand_crop, min/max_random_scale or min/max_crop_size")
        if not 0 <= p["min_random_area"] <= p["max_random_area"]:
            raise MXNetError(f"{name}: random_resized_crop needs 0 <= min_random_area <= "
                             f"max_random_area, got {p['min_random_area']} and "
                             f"{p['max_random_area']}")
        low, high = self._aspect_range()
        if not 0 < low <= high:
            raise MXNetError(f"{name}: random_resized_crop needs 0 < min_aspect_ratio <= "
                             f"max_aspect_ratio, got the range [{low}, {high}]")

    def _aspect_range(self):
        p = self.p
        if p["min_aspect_ratio"] is not None:
            return p["min_aspect_ratio"], p["max_aspect_ratio"]
        return 1 - p["max_aspect_ratio"], 1 + p["max_aspect_ratio"]

    def _inter(self, rng, src, dst):
        return interpolation(self.p["inter_method"], rng, src, dst)

    def _resize(self, img, width, height, rng):
        return resize(img, width, height, self._inter(rng, img.shape[1::-1], (width, height)))

    def __call__(self, img, rng):
        """Augment one uint8 HxWxC BGR image; returns an image of the output height/width."""
        p = self.p
        if p["resize"] > 0:
            h, w = img.shape[:2]
            size = p["resize"]
            width, height = (size, size * h // w) if h > w else (size * w // h, size)
            img = self._resize(img, width, height, rng)
        if self.affine:
            img = self._warp(img, rng)
        if p["pad"] > 0:
            pad = p["pad"]
            img = np.pad(img, ((pad, pad), (pad, pad), (0, 0)), constant_values=p["fill_value"])
        if p["random_resized_crop"]:
            img = self._random_resized_crop(img, rng)
        elif self.crop_size:
            img = self._sized_crop(img, rng)
        else:
            img = self._crop(img, rng)
        if img.ndim == 2:
            img = img[:, :, None]
        if self.hls and img.shape[2] == 3:
            img = self._shift_hls(img, rng)
        if p["brightness"] > 0 or p["contrast"] > 0 or p["saturation"] > 0:
            img = self._jitter(img, rng)
        if p["pca_noise"] > 0 and img.shape[2] == 3:
            alpha = rng.normal(0, p["pca_noise"], 3).astype(np.float32)
            rgb = _EIGVEC @ (alpha * _EIGVAL)
            img = _saturate(img.astype(np.float32) + np.rint(rgb[::-1]))
        return img

    # -- geometry --------------------------------------------------------------------------
    def _warp(self, img, rng):
        p = self.p
        shear = p["max_shear_ratio"] * (rng.random() * 2 - 1)
        angle = int(rng.integers(-p["max_rotate_angle"], p["max_rotate_angle"] + 1)) \
            if p["max_rotate_angle"] > 0 else 0
        if p["rotate"] > 0:
            angle = p["rotate"]
        cos, sin = math.cos(angle / 180 * math.pi), math.sin(angle / 180 * math.pi)
        scale, ratio = 1.0, 1.0
        if not p["random_resized_crop"]:
            scale = p["min_random_scale"] + rng.random() * (p["max_random_scale"]
                                                            - p["min_random_scale"])
            low, high = self._aspect_range()
            ratio = low + rng.random() * (high - low)
        hs = 2 * scale / (1 + ratio)
        ws = ratio * hs
        rows, cols = img.shape[:2]
        width = max(p["min_img_size"], min(p["max_img_size"], scale * cols))
        height = max(p["min_img_size"], min(p["max_img_size"], scale * rows))
        m = np.array([[hs * cos - shear * sin * ws, hs * sin + shear * cos * ws, 0],
                      [-sin * ws, cos * ws, 0]], np.float32)
        # The image centre goes to the canvas centre.
        m[0, 2] = (width - (m[0, 0] * cols + m[0, 1] * rows)) / 2
        m[1, 2] = (height - (m[1, 0] * cols + m[1, 1] * rows)) / 2
        size = (int(width), int(height))
        if min(size) <= 0:
            raise MXNetError(f"{self.name}: the affine augmentation gives an empty "
                             f"{size[0]}x{size[1]} image (check max_img_size and the scales)")
        return warp_affine(img, m, size[0], size[1], self._inter(rng, (cols, rows), size),
                           p["fill_value"])

    def _random_resized_crop(self, img, rng):
        p = self.p
        rows, cols = img.shape[:2]
        if (p["max_random_area"] != 1 or p["min_random_area"] != 1 or p["max_aspect_ratio"] != 0
                or p["min_aspect_ratio"] is not None):
            low, high = self._aspect_range()
            for _ in range(10):
                area = rows * cols * rng.uniform(p["min_random_area"], p["max_random_area"])
                ratio = rng.uniform(low, high)
                crop_w = int(math.sqrt(area * ratio))
                crop_h = int(math.sqrt(area / ratio))
                # MXNet accepts only crops strictly smaller than the image on both sides.
                if 0 < crop_w < cols and 0 < crop_h < rows:
                    x = int(rng.integers(0, cols - crop_w + 1))
                    y = int(rng.integers(0, rows - crop_h + 1))
                    return self._resize(img[y:y + crop_h, x:x + crop_w], self.width,
                                        self.height, rng)
        return self._crop(img, rng)  # no acceptable crop in 10 tries: the plain centre crop

    def _sized_crop(self, img, rng):
        p = self.p
        rows, cols = img.shape[:2]
        if min(rows, cols) < p["max_crop_size"]:
            raise MXNetError(f"{self.name}: an image of {cols}x{rows} pixels is smaller than "
                             f"max_crop_size={p['max_crop_size']}")
        side = int(rng.integers(p["min_crop_size"], p["max_crop_size"] + 1))
        y, x = rows - side, cols - side
        if p["rand_crop"]:
            y, x = int(rng.integers(0, y + 1)), int(rng.integers(0, x + 1))
        else:
            y, x = y // 2, x // 2
        return self._resize(img[y:y + side, x:x + side], self.width, self.height, rng)

    def _crop(self, img, rng):
        height, width = self.height, self.width
        # A too small image is enlarged in two steps: rows first, then columns.
        if img.shape[0] < height:
            img = self._resize(img, img.shape[1] * height // img.shape[0], height, rng)
        if img.shape[1] < width:
            img = self._resize(img, width, img.shape[0] * width // img.shape[1], rng)
        if self.p["rand_crop"]:
            y = int(rng.integers(0, img.shape[0] - height + 1))
            x = int(rng.integers(0, img.shape[1] - width + 1))
        else:
            y, x = (img.shape[0] - height) // 2, (img.shape[1] - width) // 2
        return img[y:y + height, x:x + width]

    # -- colour ----------------------------------------------------------------------------
    def _shift_hls(self, img, rng):
        p = self.p
        shift = np.array([rng.random() * p["random_h"] * 2 - p["random_h"],
                          rng.random() * p["random_l"] * 2 - p["random_l"],
                          rng.random() * p["random_s"] * 2 - p["random_s"]]).astype(np.int32)
        hls = _bgr_to_hls(img).astype(np.int32) + shift
        hls = np.clip(hls, 0, [180, 255, 255]).astype(np.uint8)
        return _hls_to_bgr(hls)

    def _jitter(self, img, rng):
        p = self.p
        out = img
        if p["brightness"] > 0:
            alpha = np.float32(1 + rng.uniform(-p["brightness"], p["brightness"]))
            out = _saturate(out.astype(np.float32) * alpha)
        if p["contrast"] > 0 and out.shape[2] == 3:
            alpha = np.float32(1 + rng.uniform(-p["contrast"], p["contrast"]))
            mean = np.float32(_gray_as_mxnet(out).mean())
            out = _saturate(out.astype(np.float32) * alpha + mean * (1 - alpha))
        if p["saturation"] > 0 and out.shape[2] == 3:
            alpha = np.float32(1 + rng.uniform(-p["saturation"], p["saturation"]))
            gray = _gray_as_mxnet(out).astype(np.float32)[:, :, None]
            out = _saturate(out.astype(np.float32) * alpha + gray * (1 - alpha))
        return out


def _bgr_to_hls(img):
    """uint8 BGR -> OpenCV's 8-bit HLS (H in 0..180, L and S in 0..255)."""
    if cv2 is not None:
        return cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_BGR2HLS)
    bgr = img.astype(np.float32) / np.float32(255)
    b, g, r = bgr[..., 0], bgr[..., 1], bgr[..., 2]
    vmax, vmin = bgr.max(-1), bgr.min(-1)
    diff = vmax - vmin
    light = (vmax + vmin) * np.float32(0.5)
    grey = diff <= np.finfo(np.float32).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        sat = np.where(light < 0.5, diff / (vmax + vmin), diff / (2 - vmax - vmin))
        step = np.float32(60) / diff
        hue = np.where(vmax == r, (g - b) * step,
                       np.where(vmax == g, (b - r) * step + 120, (r - g) * step + 240))
    hue = np.where(hue < 0, hue + 360, hue)
    hue, sat = np.where(grey, 0, hue), np.where(grey, 0, sat)
    return _saturate(np.stack([hue * np.float32(0.5), light * 255, sat * 255], -1))


def _hls_to_bgr(hls):
    """OpenCV's 8-bit HLS -> uint8 BGR."""
    if cv2 is not None:
        return cv2.cvtColor(hls, cv2.COLOR_HLS2BGR)
    hue = hls[..., 0].astype(np.float32) * np.float32(6 / 180)
    light = hls[..., 1].astype(np.float32) / np.float32(255)
    sat = hls[..., 2].astype(np.float32) / np.float32(255)
    p2 = np.where(light <= 0.5, light * (1 + sat), light + sat - light * sat)
    p1 = 2 * light - p2
    hue = np.where(hue >= 6, hue - 6, hue)
    sector = np.floor(hue).astype(np.int64)
    frac = hue - sector
    # Per sector, which of (p2, p1, falling, rising) feeds blue, green and red.
    table = np.stack([p2, p1, p1 + (p2 - p1) * (1 - frac), p1 + (p2 - p1) * frac], -1)
    order = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])
    bgr = np.take_along_axis(table, order[sector], -1)
    bgr = np.where((sat == 0)[..., None], light[..., None], bgr)
    return _saturate(bgr * 255)
