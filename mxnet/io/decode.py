"""Image decoding, encoding and resizing for the record iterators and ``mx.recordio``.

Decoding and encoding go through an optional image library: OpenCV
(``opencv-python-headless``) when it is installed, else Pillow. Arrays follow
OpenCV's conventions, as MXNet's C++ iterators and ``recordio.unpack_img`` do:
``uint8`` HxWxC in BGR channel order (HxW for grayscale).

Resizing is our own NumPy code that reproduces OpenCV's fixed-point bilinear
interpolation (11-bit coefficients, half-pixel centres, exact 2x reductions
taken as area averages), so results match MXNet's iterators whichever library
decoded the image.
"""
import io

import numpy as np

from ..base import MXNetError

try:  # optional dependency, preferred: it is what MXNet itself uses
    import cv2
except ImportError:
    cv2 = None
try:
    from PIL import Image as _PILImage
except ImportError:
    _PILImage = None

_INSTALL_HINT = ("decoding or encoding images needs an image library: "
                 "install Pillow (pip install pillow) or OpenCV (pip install opencv-python-headless)")


def _require_backend():
    if cv2 is None and _PILImage is None:
        raise MXNetError(_INSTALL_HINT)


def imdecode_bytes(buf, flag=1, what="image"):
    """Decode encoded image bytes into a uint8 array.

    ``flag`` follows OpenCV: 1 gives 3-channel BGR, 0 grayscale HxW, -1 the
    image unchanged (BGR, BGRA or grayscale). ``what`` names the image in the
    error raised when the bytes cannot be decoded.
    """
    _require_backend()
    data = bytes(buf)
    if cv2 is not None:
        img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8),
                           {1: cv2.IMREAD_COLOR, 0: cv2.IMREAD_GRAYSCALE}.get(flag, cv2.IMREAD_UNCHANGED))
        if img is None:
            raise MXNetError(f"cannot decode {what}: not a valid image ({len(data)} bytes)")
        return img
    try:
        pil = _PILImage.open(io.BytesIO(data))
        pil.load()
    except Exception as err:  # Pillow raises several unrelated exception types
        raise MXNetError(f"cannot decode {what}: {err} ({len(data)} bytes)") from None
    if flag == 0:
        return _gray(np.asarray(pil.convert("RGB")))
    if flag == 1 or pil.mode not in ("L", "RGB", "RGBA"):
        pil = pil.convert("RGB")
    arr = np.asarray(pil)
    if arr.ndim == 3:  # RGB(A) -> BGR(A), OpenCV's order
        arr = arr[:, :, [2, 1, 0, 3][:arr.shape[2]]]
    return np.ascontiguousarray(arr)


def _gray(rgb):
    """RGB -> luma with OpenCV's 14-bit fixed-point weights."""
    rgb = rgb.astype(np.int32)
    y = rgb[..., 0] * 4899 + rgb[..., 1] * 9617 + rgb[..., 2] * 1868
    return ((y + (1 << 13)) >> 14).astype(np.uint8)


def imencode(img, img_fmt=".jpg", quality=95):
    """Encode a uint8 BGR (or grayscale) array as ``.jpg`` or ``.png`` bytes.

    ``quality`` is the JPEG quality (0-100) or the PNG compression level (0-9).
    """
    _require_backend()
    fmt = img_fmt.lower()
    if fmt not in (".jpg", ".jpeg", ".png"):
        raise MXNetError(f"image encoding: img_fmt must be '.jpg' or '.png', got {img_fmt!r}")
    img = np.asarray(img)
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    if cv2 is not None:
        param = ([cv2.IMWRITE_PNG_COMPRESSION, quality] if fmt == ".png"
                 else [cv2.IMWRITE_JPEG_QUALITY, quality])
        ok, buf = cv2.imencode(fmt, img, param)
        if not ok:
            raise MXNetError(f"image encoding to {fmt} failed for an array of shape {img.shape}")
        return buf.tobytes()
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3:
        img = img[:, :, [2, 1, 0, 3][:img.shape[2]]]
    out = io.BytesIO()
    if fmt == ".png":
        _PILImage.fromarray(img).save(out, format="PNG", compress_level=min(max(int(quality), 0), 9))
    else:
        _PILImage.fromarray(img).save(out, format="JPEG", quality=int(quality))
    return out.getvalue()


def _linear_taps(src, dst):
    """Source index and 11-bit weights of OpenCV's bilinear taps along one axis."""
    scale = src / dst
    f = (np.arange(dst, dtype=np.float64) + 0.5) * scale - 0.5
    f = f.astype(np.float32)  # OpenCV computes the positions in float
    i = np.floor(f).astype(np.int64)
    f = f - i
    low = i < 0
    f[low], i[low] = 0, 0
    high = i >= src - 1
    f[high], i[high] = 0, src - 1
    w0 = np.rint((1.0 - f) * 2048).astype(np.int64)
    return i, np.minimum(i + 1, src - 1), w0, 2048 - w0


def resize(img, width, height):
    """Bilinear resize of a uint8 HxW(xC) array to ``height`` x ``width`` (OpenCV's INTER_LINEAR)."""
    h, w = img.shape[:2]
    if (h, w) == (height, width):
        return img.copy()
    if cv2 is not None:
        return cv2.resize(img, (width, height), interpolation=cv2.INTER_LINEAR)
    if h == 2 * height and w == 2 * width:  # OpenCV averages 2x2 blocks here
        s = img.astype(np.int32)
        s = s[0::2, 0::2] + s[1::2, 0::2] + s[0::2, 1::2] + s[1::2, 1::2]
        return ((s + 2) >> 2).astype(np.uint8)
    src = img.astype(np.int64)
    x0, x1, a0, a1 = _linear_taps(w, width)
    y0, y1, b0, b1 = _linear_taps(h, height)
    extra = (slice(None),) + (None,) * (img.ndim - 2)
    rows = src[:, x0] * a0[extra] + src[:, x1] * a1[extra]   # scaled by 2048
    col = (slice(None), None) + (None,) * (img.ndim - 2)
    top = (b0[col] * (rows[y0] >> 4)) >> 16
    bottom = (b1[col] * (rows[y1] >> 4)) >> 16
    return ((top + bottom + 2) >> 2).astype(np.uint8)


def resize_short(img, size):
    """Resize so the shorter edge is ``size``, keeping the aspect ratio (integer sizes as MXNet)."""
    h, w = img.shape[:2]
    if h > w:
        return resize(img, size, size * h // w)
    return resize(img, size * w // h, size)
