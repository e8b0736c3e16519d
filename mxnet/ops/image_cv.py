"""Image codec and geometry kernels (MXNet's ``_cv*`` operators) over OpenCV or Pillow.

MXNet links OpenCV; here OpenCV (``opencv-python-headless``) is optional. When it is
importable it decodes and resizes, so results match MXNet's to the pixel. Otherwise
Pillow decodes, and resizing uses NumPy for nearest/bilinear (OpenCV's pixel-centre
convention) and Pillow for the other filters. With neither package, decoding raises
an MXNetError saying what to install.

Interpolation codes are OpenCV's, passed through as MXNet does: 0 nearest,
1 bilinear, 2 bicubic, 3 area, 4 Lanczos.
"""
import io

import numpy as np

from .. import filesystem
from ..base import MXNetError
from .params import Param
from .registry import register

try:
    import cv2
except ImportError:  # optional backend
    cv2 = None
try:
    from PIL import Image as _PILImage
except ImportError:  # optional backend
    _PILImage = None

_INSTALL_HINT = "install opencv-python-headless (preferred, as MXNet uses OpenCV) or pillow"
_RESIZE_DTYPES = ("uint8", "float32", "float64", "uint16", "int16")


def _need_backend(what):
    if cv2 is None and _PILImage is None:
        raise MXNetError(f"{what}: no image library available; {_INSTALL_HINT}")


def decode(buf, flag=1, to_rgb=True, what="imdecode"):
    """Decode encoded image bytes to an HWC uint8 array (H, W, 1 when ``flag`` is 0)."""
    _need_backend(what)
    raw = np.frombuffer(bytes(buf), dtype=np.uint8)
    if cv2 is not None:
        img = cv2.imdecode(raw, cv2.IMREAD_COLOR if flag else cv2.IMREAD_GRAYSCALE) \
            if raw.size else None
        if img is None:
            raise MXNetError(f"{what}: decoding failed, the buffer ({raw.size} bytes) is not "
                             "a valid image file")
        if img.ndim == 2:
            return img[:, :, None]
        return np.ascontiguousarray(img[:, :, ::-1]) if to_rgb else img
    try:
        pil = _PILImage.open(io.BytesIO(raw.tobytes()))
        img = np.asarray(pil.convert("RGB" if flag else "L"))
    except Exception as e:  # Pillow raises many types for corrupt data
        raise MXNetError(f"{what}: decoding failed, the buffer ({raw.size} bytes) is not "
                         f"a valid image file ({e})") from None
    if img.ndim == 2:
        return img[:, :, None].copy()
    return img.copy() if to_rgb else np.ascontiguousarray(img[:, :, ::-1])


def read_file(filename, what="imread"):
    try:
        return filesystem.read_bytes(filename)
    except OSError as e:
        raise MXNetError(f"{what}: cannot open image file '{filename}': "
                         f"{e.strerror or e}") from None


def _linear_coords(n_in, n_out):
    # OpenCV's bilinear convention: pixel centres aligned, source clamped at the edges.
    pos = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
    pos = np.clip(pos, 0, None)
    lo = np.minimum(np.floor(pos).astype(np.int64), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    return lo, hi, (pos - lo).astype(np.float32)


def _resize_numpy(img, w, h, interp):
    src_h, src_w = img.shape[:2]
    if interp == 0:
        ys = np.minimum(np.floor(np.arange(h) * (src_h / h)).astype(np.int64), src_h - 1)
        xs = np.minimum(np.floor(np.arange(w) * (src_w / w)).astype(np.int64), src_w - 1)
        return img[ys][:, xs].copy()
    y0, y1, fy = _linear_coords(src_h, h)
    x0, x1, fx = _linear_coords(src_w, w)
    work = img.astype(np.float32)
    fy = fy.reshape((-1, 1) + (1,) * (img.ndim - 2))
    fx = fx.reshape((1, -1) + (1,) * (img.ndim - 2))
    rows = work[y0] * (1 - fy) + work[y1] * fy
    out = rows[:, x0] * (1 - fx) + rows[:, x1] * fx
    if np.issubdtype(img.dtype, np.integer):
        info = np.iinfo(img.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(img.dtype)


def _resize_pillow(img, w, h, interp):
    filters = {2: _PILImage.BICUBIC, 3: _PILImage.BOX, 4: _PILImage.LANCZOS}
    planes = [img[:, :, c] for c in range(img.shape[2])] if img.ndim == 3 else [img]
    work = [np.asarray(_PILImage.fromarray(p.astype(np.float32), mode="F")
                       .resize((w, h), filters[interp])) for p in planes]
    out = np.stack(work, axis=2) if img.ndim == 3 else work[0]
    if np.issubdtype(img.dtype, np.integer):
        info = np.iinfo(img.dtype)
        out = np.clip(np.rint(out), info.min, info.max)
    return out.astype(img.dtype)


def resize(img, w, h, interp=1, what="imresize"):
    """Resize an HW or HWC NumPy image to width ``w`` and height ``h``."""
    if w <= 0 or h <= 0:
        raise MXNetError(f"{what}: target size must be positive, got w={w}, h={h}")
    if interp not in (0, 1, 2, 3, 4):
        raise MXNetError(f"{what}: argument 'interp' expects one of 0 (nearest), 1 (bilinear), "
                         f"2 (bicubic), 3 (area), 4 (Lanczos), got {interp}")
    if img.dtype.name not in _RESIZE_DTYPES:
        raise MXNetError(f"{what}: images of dtype {img.dtype.name} cannot be resized; "
                         f"expected one of {', '.join(_RESIZE_DTYPES)}")
    if cv2 is not None:
        out = cv2.resize(img, (w, h), interpolation=interp)
        # OpenCV drops a trailing channel axis of size 1.
        return out.reshape(h, w, *img.shape[2:])
    if interp in (0, 1):
        return _resize_numpy(img, w, h, interp)
    _need_backend(what)
    return _resize_pillow(img, w, h, interp)


def copy_make_border(img, top, bot, left, right, border_type=0, value=0.0, values=()):
    """Pad an HWC image like OpenCV's copyMakeBorder (type 0 constant, 1 replicate,
    2 reflect, 3 wrap, 4 reflect-101)."""
    modes = {1: "edge", 2: "symmetric", 3: "wrap", 4: "reflect"}
    border_type &= ~16  # OpenCV's BORDER_ISOLATED flag changes nothing for a whole image
    if min(top, bot, left, right) < 0:
        raise MXNetError(f"copyMakeBorder: border widths must be non-negative, got "
                         f"top={top}, bot={bot}, left={left}, right={right}")
    pad = [(top, bot), (left, right)] + [(0, 0)] * (img.ndim - 2)
    if border_type == 0:
        fill = np.asarray(values if values else [value] * (img.shape[2] if img.ndim == 3 else 1),
                          dtype=np.float64)
        out = np.empty((img.shape[0] + top + bot, img.shape[1] + left + right) + img.shape[2:],
                       dtype=img.dtype)
        out[...] = fill.astype(img.dtype).reshape((1, 1, -1)[:img.ndim])
        out[top:top + img.shape[0], left:left + img.shape[1]] = img
        return out
    if border_type not in modes:
        raise MXNetError(f"copyMakeBorder: argument 'type' expects one of 0 (constant), "
                         f"1 (replicate), 2 (reflect), 3 (wrap), 4 (reflect-101), "
                         f"got {border_type}")
    return np.pad(img, pad, mode=modes[border_type])


def _host(xp, a):
    return a if xp is np else a.get()


def _decode_shape(attrs, shapes):
    return shapes, [None]


def _check_flag(op, flag):
    if flag < 0:
        raise MXNetError(f"{op}: argument 'flag' expects 0 (grayscale) or 1 (colour), got {flag}")


# MXNet names the encoded buffer 'data' in graphs (list_arguments) while its
# mx.nd keyword is 'buf' (and 'mean' for _imdecode).
_GRAPH_DATA = ("data",)


@register("_cvimdecode", inputs=("buf",), active_inputs=lambda attrs: _GRAPH_DATA,
          params={"flag": Param("int", 1, "1: colour (3 channels), 0: grayscale (1 channel)."),
                  "to_rgb": Param("bool", True, "Channels in RGB order (else OpenCV's BGR).")},
          infer_shape=_decode_shape, infer_type=lambda attrs, t: (t, ["uint8"]))
def _cvimdecode(xp, attrs, buf):
    """Decode an encoded image held in a uint8 array to an HWC uint8 image."""
    # MXNet reads the buffer's bytes whatever its shape, so (1, n) buffers decode too.
    if buf.dtype != np.uint8:
        raise MXNetError(f"_cvimdecode: argument 'buf' expects a uint8 array of encoded "
                         f"bytes, got dtype {buf.dtype}")
    _check_flag("_cvimdecode", attrs.flag)
    return xp.asarray(decode(_host(xp, buf).tobytes(), attrs.flag, attrs.to_rgb,
                             what="_cvimdecode"))


@register("_cvimread", inputs=(),
          params={"filename": Param("str", doc="Path of the image file."),
                  "flag": Param("int", 1, "1: colour (3 channels), 0: grayscale (1 channel)."),
                  "to_rgb": Param("bool", True, "Channels in RGB order (else OpenCV's BGR).")},
          infer_shape=_decode_shape, infer_type=lambda attrs, t: (t, ["uint8"]))
def _cvimread(xp, attrs):
    """Read and decode an image file to an HWC uint8 image."""
    _check_flag("_cvimread", attrs.flag)
    data = read_file(attrs.filename)
    try:
        return xp.asarray(decode(data, attrs.flag, attrs.to_rgb))
    except MXNetError as e:
        raise MXNetError(f"imread: '{attrs.filename}': {e}") from None


def _resize_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None]
    return shapes, [(attrs.h, attrs.w) + tuple(s[2:])]


@register("_cvimresize", inputs=("src",),
          params={"w": Param("int", doc="Output width."), "h": Param("int", doc="Output height."),
                  "interp": Param("int", 1, "OpenCV interpolation code.")},
          infer_shape=_resize_shape, infer_type=lambda attrs, t: (t, [t[0]]))
def _cvimresize(xp, attrs, src):
    """Resize an HWC image to (h, w) with OpenCV's interpolation codes."""
    if src.ndim not in (2, 3):
        raise MXNetError(f"_cvimresize: argument 'src' expects an HWC image, got shape {src.shape}")
    return xp.asarray(resize(_host(xp, src), attrs.w, attrs.h, attrs.interp, "_cvimresize"))


def _border_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None]
    return shapes, [(s[0] + attrs.top + attrs.bot, s[1] + attrs.left + attrs.right) + tuple(s[2:])]


@register("_cvcopyMakeBorder", inputs=("src",),
          params={"top": Param("int", doc="Rows added above."),
                  "bot": Param("int", doc="Rows added below."),
                  "left": Param("int", doc="Columns added on the left."),
                  "right": Param("int", doc="Columns added on the right."),
                  "type": Param("int", 0, "Border type, OpenCV's code (0 constant)."),
                  "value": Param("float", 0.0, "Fill value for a constant border."),
                  "values": Param("floats", (), "Per-channel fill values (override value).")},
          infer_shape=_border_shape, infer_type=lambda attrs, t: (t, [t[0]]))
def _cvcopy_make_border(xp, attrs, src):
    """Pad an HWC image with a border (OpenCV's copyMakeBorder)."""
    if src.ndim not in (2, 3):
        raise MXNetError(f"_cvcopyMakeBorder: argument 'src' expects an HWC image, "
                         f"got shape {src.shape}")
    # attrs["values"]: attribute access would find dict.values.
    return xp.asarray(copy_make_border(_host(xp, src), attrs.top, attrs.bot, attrs.left,
                                       attrs.right, attrs["type"], attrs["value"],
                                       attrs["values"]))


def _imdecode_bytes(value):
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, np.ndarray) and value.dtype == np.uint8:
        return value.tobytes()
    raise MXNetError(f"_imdecode: argument 'str_img' expects the encoded image as bytes, "
                     f"got {type(value).__name__}")


# The arguments default to None because MXNet checks them only when the op runs: a
# symbol may be made without them.
@register("_imdecode", inputs=("mean",), active_inputs=lambda attrs: _GRAPH_DATA,
          params={"index": Param("int", None, "Slice of a 4-D out= buffer to fill (the "
                                              "mx.nd.imdecode wrapper writes it)."),
                  "x0": Param("int", None, "Left column of the clip rectangle."),
                  "y0": Param("int", None, "Top row of the clip rectangle."),
                  "x1": Param("int", None, "Right column (exclusive) of the clip rectangle."),
                  "y1": Param("int", None, "Bottom row (exclusive); y1 == y0 keeps the whole "
                                           "image."),
                  "c": Param("int", None, "Channels: 1 decodes to grayscale, else the first "
                                          "c of OpenCV's BGR channels."),
                  "size": Param("int", None, "Number of bytes of str_img to decode."),
                  "str_img": Param("any", None, "The encoded image (bytes).")},
          infer_shape=_decode_shape,
          infer_type=lambda attrs, t: (t, [t[0] if t and t[0] else "float32"]))
def _imdecode(xp, attrs, mean=None):
    """MXNet's legacy image decoder behind ``mx.nd.imdecode``: decode ``str_img``,
    clip it to the rectangle (x0, y0)-(x1, y1), lay it out channels first (c, h, w)
    in BGR channel order, subtract ``mean`` (c, h, w) when given; the result has
    mean's dtype, else float32. (MXNet 1.9.1's own op cannot decode: its string
    argument is cut at the first zero byte, which every PNG or JPEG holds.)"""
    missing = [k for k in ("index", "x0", "y0", "x1", "y1", "c", "size", "str_img")
               if attrs[k] is None]
    if missing:
        raise MXNetError(f"_imdecode: arguments {missing} are required to run, got none")
    raw = _imdecode_bytes(attrs.str_img)
    if not 0 <= attrs.size <= len(raw):
        raise MXNetError(f"_imdecode: argument 'size' must be within the {len(raw)} bytes "
                         f"of str_img, got {attrs.size}")
    if attrs.c < 1 or attrs.index < 0:
        raise MXNetError(f"_imdecode: arguments 'c' must be positive and 'index' non-negative, "
                         f"got c={attrs.c}, index={attrs.index}")
    img = decode(raw[:attrs.size], 0 if attrs.c == 1 else 1, to_rgb=False, what="_imdecode")
    if attrs.c > img.shape[2]:
        raise MXNetError(f"_imdecode: argument 'c' asks for {attrs.c} channels, the decoded "
                         f"image has {img.shape[2]}")
    x0, y0, x1, y1 = attrs.x0, attrs.y0, attrs.x1, attrs.y1
    if y1 == y0:
        x0, y0, x1, y1 = 0, 0, img.shape[1], img.shape[0]
    if not (0 <= x0 < x1 <= img.shape[1] and 0 <= y0 < y1 <= img.shape[0]):
        raise MXNetError(f"_imdecode: clip rectangle ({x0}, {y0}, {x1}, {y1}) is not inside "
                         f"the {img.shape[1]}x{img.shape[0]} image")
    out = img[y0:y1, x0:x1, :attrs.c].transpose(2, 0, 1)
    dtype = np.float32 if mean is None else mean.dtype
    if mean is None:
        return xp.asarray(out.astype(dtype))
    if tuple(mean.shape) != out.shape:
        raise MXNetError(f"_imdecode: argument 'mean' expects shape {out.shape} (channels, "
                         f"clipped height, width), got {tuple(mean.shape)}")
    return xp.asarray(out.astype(dtype)) - mean
