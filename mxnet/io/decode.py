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


def resize(img, width, height, interp=1):
    """Resize a uint8 HxW(xC) array to ``height`` x ``width`` with OpenCV's interpolation
    ``interp`` (0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos-4)."""
    h, w = img.shape[:2]
    if (h, w) == (height, width):
        return img.copy()
    if cv2 is not None:
        out = cv2.resize(img, (width, height), interpolation=interp)
        return out.reshape((height, width) + img.shape[2:])  # OpenCV drops a channel axis of 1
    if interp == 0:
        # OpenCV's source index is floor(dst_index / (dst_size / src_size)).
        rows = np.minimum(np.floor(np.arange(height) * (1 / (height / h))).astype(np.int64), h - 1)
        cols = np.minimum(np.floor(np.arange(width) * (1 / (width / w))).astype(np.int64), w - 1)
        return img[rows][:, cols]
    if interp == 1 or (interp == 3 and (height > h or width > w)):
        return _resize_linear(img, width, height)
    weights = _area_weights if interp == 3 else _kernel_weights
    out = np.tensordot(weights(h, height, interp), img.astype(np.float32), axes=(1, 0))
    out = np.tensordot(weights(w, width, interp), out, axes=(1, 1)).swapaxes(0, 1)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _resize_linear(img, width, height):
    h, w = img.shape[:2]
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


def _cubic(x):
    """OpenCV's bicubic weights (A = -0.75) of the 4 taps around fractional offset ``x``."""
    a = -0.75
    c0 = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    c1 = ((a + 2) * x - (a + 3)) * x * x + 1
    c2 = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
    return np.stack([c0, c1, c2, 1 - c0 - c1 - c2], -1)


def _lanczos4(x):
    """Normalised Lanczos-4 weights of the 8 taps around fractional offset ``x``."""
    d = x[:, None] + 3 - np.arange(8)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.sinc(d) * np.sinc(d / 4)
    k[np.isnan(k)] = 1.0
    return k / k.sum(1, keepdims=True)


def _kernel_weights(src, dst, interp):
    """Dense (dst, src) matrix of the bicubic or Lanczos taps, clamped at the edges."""
    pos = (np.arange(dst) + 0.5) * (src / dst) - 0.5
    base = np.floor(pos)
    taps = _cubic(pos - base) if interp == 2 else _lanczos4(pos - base)
    first = 1 if interp == 2 else 3
    index = np.clip(base[:, None].astype(np.int64) - first + np.arange(taps.shape[1]), 0, src - 1)
    out = np.zeros((dst, src), np.float32)
    np.add.at(out, (np.repeat(np.arange(dst), taps.shape[1]), index.ravel()), taps.ravel())
    return out


def _area_weights(src, dst, _interp):
    """Dense (dst, src) matrix averaging the source pixels each output pixel covers."""
    scale = src / dst
    lo = np.arange(dst)[:, None] * scale
    edges = np.arange(src + 1)[None, :]
    cover = np.clip(np.minimum(edges[:, 1:], lo + scale) - np.maximum(edges[:, :-1], lo), 0, None)
    return (cover / scale).astype(np.float32)


def resize_short(img, size):
    """Resize so the shorter edge is ``size``, keeping the aspect ratio (integer sizes as MXNet)."""
    h, w = img.shape[:2]
    if h > w:
        return resize(img, size, size * h // w)
    return resize(img, size * w // h, size)


def warp_affine(img, matrix, width, height, interp=1, fill=0):
    """Map a uint8 HxW(xC) image through the 2x3 forward affine ``matrix`` into a
    ``height`` x ``width`` canvas (OpenCV's ``warpAffine``); pixels from outside the
    source take the value ``fill``."""
    # Our own code even when OpenCV is installed: OpenCV 4+ rounds differently from the
    # OpenCV 3.4 inside MXNet 1.9, and this reproduces the latter. OpenCV inverts the matrix in double precision, then walks the destination in
    # fixed point: 10 fractional bits, of which 5 pick one of 32 sub-pixel positions.
    m = np.asarray(matrix, np.float32).astype(np.float64)
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    det = 1.0 / det if det != 0 else 0.0
    inv = np.array([[m[1, 1] * det, -m[0, 1] * det, 0], [-m[1, 0] * det, m[0, 0] * det, 0]])
    inv[:, 2] = -inv[:, :2] @ m[:, 2]
    xs, ys = np.arange(width), np.arange(height)
    nearest = interp == 0
    delta = 512 if nearest else 16
    fx = np.rint(inv[0, 0] * xs * 1024)[None, :] + (np.rint((inv[0, 1] * ys + inv[0, 2]) * 1024)
                                                     + delta)[:, None]
    fy = np.rint(inv[1, 0] * xs * 1024)[None, :] + (np.rint((inv[1, 1] * ys + inv[1, 2]) * 1024)
                                                     + delta)[:, None]
    fx, fy = fx.astype(np.int64), fy.astype(np.int64)
    h, w = img.shape[:2]
    padded = np.full((h + 2, w + 2) + img.shape[2:], fill, np.uint8)
    padded[1:-1, 1:-1] = img

    def tap(row, col):  # source pixels with a one-pixel border of ``fill``, clamped past it
        return padded[np.clip(row + 1, 0, h + 1), np.clip(col + 1, 0, w + 1)]

    if nearest:
        return tap(fy >> 10, fx >> 10)
    fx, fy = fx >> 5, fy >> 5
    col, row = fx >> 5, fy >> 5
    kernel = {2: _cubic, 4: _lanczos4}.get(interp)
    if kernel is None:  # bilinear (OpenCV warps INTER_AREA bilinearly too)
        wx = np.stack([32 - (fx & 31), fx & 31], -1) / 32.0
        wy = np.stack([32 - (fy & 31), fy & 31], -1) / 32.0
        first = 0
    else:
        wx = kernel(((fx & 31) / 32.0).ravel()).reshape(fx.shape + (-1,))
        wy = kernel(((fy & 31) / 32.0).ravel()).reshape(fy.shape + (-1,))
        first = 1 if interp == 2 else 3
    extra = (Ellipsis,) + (None,) * (img.ndim - 2)
    acc = 0.0
    for i in range(wy.shape[-1]):
        for j in range(wx.shape[-1]):
            weight = (wy[..., i] * wx[..., j])[extra]
            acc = acc + weight * tap(row + i - first, col + j - first)
    return np.clip(np.floor(acc + 0.5), 0, 255).astype(np.uint8)
