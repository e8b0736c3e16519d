"""Image reading, decoding and geometry helpers of ``mx.image``.

Images are HWC NDArrays (uint8 as decoded, float32 after ``CastAug``). Random
choices use Python's ``random`` module, in the same order as MXNet, so a run seeded
with ``random.seed`` crops the same regions as MXNet would.
"""
import math
import random

import numpy as np

from ..base import MXNetError
from .. import ndarray as nd
from ..ndarray import NDArray
from ..ops import image_cv, image_ops  # noqa: F401  (register _cv*, _image_* ops)

numeric_types = (float, int, np.generic)

# OpenCV's module when installed (None otherwise), as ``mx.image.cv2`` is in MXNet.
cv2 = image_cv.cv2

__all__ = ["imread", "imdecode", "imresize", "scale_down", "copyMakeBorder", "resize_short",
           "fixed_crop", "random_crop", "center_crop", "color_normalize", "random_size_crop",
           "imrotate", "random_rotate"]


def imread(filename, *args, **kwargs):
    """Read an image file into an HWC uint8 NDArray.

    ``flag`` 1 (default) gives 3 colour channels, 0 one grey channel; ``to_rgb``
    (default True) orders channels RGB rather than OpenCV's BGR.
    """
    return nd._internal._cvimread(filename, *args, **kwargs)


def imdecode(buf, *args, **kwargs):
    """Decode an encoded image (bytes, str, a NumPy uint8 array or NDArray) to HWC uint8.

    Takes ``flag`` and ``to_rgb`` like ``imread`` and an optional ``out``.
    """
    if not isinstance(buf, NDArray):
        if isinstance(buf, str):
            buf = buf.encode("latin-1")
        if isinstance(buf, (bytes, bytearray, memoryview)):
            buf = np.frombuffer(bytes(buf), dtype=np.uint8)
        if not isinstance(buf, np.ndarray):
            raise MXNetError(f"imdecode: buf expects bytes, str, a NumPy array or an NDArray, "
                             f"got {type(buf).__name__}")
        buf = nd.array(buf.reshape(-1), dtype="uint8")
    return nd._internal._cvimdecode(buf, *args, **kwargs)


def imresize(src, w, h, *args, **kwargs):
    """Resize an HWC image to width ``w`` and height ``h`` (``interp`` is OpenCV's code)."""
    return nd._internal._cvimresize(src, w, h, *args, **kwargs)


def copyMakeBorder(src=None, top=0, bot=0, left=0, right=0, type=0, value=0.0, values=(),
                   out=None, **kwargs):
    """Pad an HWC image with a border, as OpenCV's ``copyMakeBorder``."""
    return nd._internal._cvcopyMakeBorder(src, top=top, bot=bot, left=left, right=right,
                                          type=type, value=value, values=values, out=out,
                                          **kwargs)


def scale_down(src_size, size):
    """Shrink the crop ``size`` (w, h) keeping its aspect ratio until it fits ``src_size``."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def _get_interp_method(interp, sizes=()):
    """Resolve MXNet's meta interpolation codes: 9 picks by direction, 10 at random."""
    if interp == 9:
        if sizes:
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return random.randint(0, 4)
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError(f"Unknown interp method {interp}: expected 0-4, 9 (auto) or "
                         "10 (random)")
    return interp


def resize_short(src, size, interp=2):
    """Resize so the shorter side becomes ``size``, keeping the aspect ratio."""
    h, w = src.shape[:2]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def fixed_crop(src, x0, y0, w, h, size=None, interp=2):
    """Crop the region (x0, y0, w, h), then resize it to ``size`` (w, h) if given."""
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        sizes = (h, w, size[1], size[0])
        out = imresize(out, *size, interp=_get_interp_method(interp, sizes))
    return out


def random_crop(src, size, interp=2):
    """Crop a random region of ``size`` (scaled down to fit); returns (image, (x, y, w, h))."""
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = random.randint(0, w - new_w)
    y0 = random.randint(0, h - new_h)
    out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
    return out, (x0, y0, new_w, new_h)


def center_crop(src, size, interp=2):
    """Crop the central region of ``size`` (scaled down to fit); returns (image, box)."""
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), size)
    x0 = int((w - new_w) / 2)
    y0 = int((h - new_h) / 2)
    out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
    return out, (x0, y0, new_w, new_h)


def color_normalize(src, mean, std=None):
    """Subtract ``mean`` and divide by ``std`` (either may be None), in place as MXNet does;
    returns ``src``."""
    if mean is not None:
        src -= mean
    if std is not None:
        src /= std
    return src


def random_size_crop(src, size, area, ratio, interp=2, **kwargs):
    """Crop a random region covering a fraction ``area`` of the image with aspect ratio
    drawn log-uniformly from ``ratio``, resized to ``size``; falls back to a centre crop
    after 10 failed draws. Returns (image, (x, y, w, h))."""
    h, w = src.shape[:2]
    src_area = h * w
    if "min_area" in kwargs:  # the argument's older name
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError(f"random_size_crop: unexpected arguments {sorted(kwargs)}")
    if isinstance(area, numeric_types):
        area = (area, 1.0)
    for _ in range(10):
        target_area = random.uniform(area[0], area[1]) * src_area
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        new_ratio = math.exp(random.uniform(*log_ratio))
        new_w = int(round(math.sqrt(target_area * new_ratio)))
        new_h = int(round(math.sqrt(target_area / new_ratio)))
        if new_w <= w and new_h <= h:
            x0 = random.randint(0, w - new_w)
            y0 = random.randint(0, h - new_h)
            out = fixed_crop(src, x0, y0, new_w, new_h, size, interp)
            return out, (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def _rotation_grid(h, w, angle, scale):
    """Source pixel coordinates of each output pixel for a rotation about the centre."""
    cos, sin = math.cos(angle), math.sin(angle)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    dx, dy = (xs - cx) * scale, (ys - cy) * scale
    return cy + sin * dx + cos * dy, cx + cos * dx - sin * dy


def _bilinear_zero_pad(img, sy, sx):
    h, w = img.shape[:2]
    y0, x0 = np.floor(sy).astype(np.int64), np.floor(sx).astype(np.int64)
    fy, fx = (sy - y0)[..., None], (sx - x0)[..., None]
    out = np.zeros(sy.shape + img.shape[2:], dtype=np.float64)
    for oy, ox, wgt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                        (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yy, xx = y0 + oy, x0 + ox
        inside = ((yy >= 0) & (yy < h) & (xx >= 0) & (xx < w))[..., None]
        out += np.where(inside, img[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)], 0) * wgt
    return out


def imrotate(src, rotation_degrees, zoom_in=False, zoom_out=False):
    """Rotate a float32 CHW image (or NCHW batch) counter-clockwise by ``rotation_degrees``
    (a number or one per image), bilinearly, filling with zeros. ``zoom_in`` scales up so
    no padding shows, ``zoom_out`` scales down so no corner is cut."""
    if zoom_in and zoom_out:
        raise ValueError("imrotate: zoom_in and zoom_out cannot both be True")
    if src.dtype != np.float32:
        raise TypeError("imrotate: only float32 images are supported")
    data = src.asnumpy()
    single = data.ndim == 3
    if single:
        data = data[None]
    degrees = np.broadcast_to(np.asarray(rotation_degrees.asnumpy()
                                         if isinstance(rotation_degrees, NDArray)
                                         else rotation_degrees, dtype=np.float64).reshape(-1),
                              (data.shape[0],))
    h, w = data.shape[2:]
    out = np.empty_like(data)
    for i, deg in enumerate(degrees):
        rad = math.radians(deg)
        cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
        scale = 1.0
        if zoom_out:
            scale = max((w * cos + h * sin) / w, (w * sin + h * cos) / h)
        elif zoom_in:
            scale = 1.0 / max((w * cos + h * sin) / w, (w * sin + h * cos) / h)
        sy, sx = _rotation_grid(h, w, rad, scale)
        img = np.moveaxis(data[i], 0, -1)
        out[i] = np.moveaxis(_bilinear_zero_pad(img, sy, sx), -1, 0)
    return nd.array(out[0] if single else out, ctx=src.context, dtype="float32")


def random_rotate(src, angle_limits, zoom_in=False, zoom_out=False):
    """Rotate by an angle drawn uniformly from ``angle_limits`` (one per image of a batch)."""
    n = 1 if len(src.shape) == 3 else src.shape[0]
    angles = np.random.uniform(angle_limits[0], angle_limits[1], size=n)
    return imrotate(src, angles if n > 1 else float(angles[0]), zoom_in=zoom_in,
                    zoom_out=zoom_out)
