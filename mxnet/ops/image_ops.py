"""Image operators of ``mx.nd.image`` (MXNet's ``_image_*`` family).

Images are HWC (or NHWC batches) as decoded, except ``normalize`` which works on
the CHW tensors ``to_tensor`` makes. As in MXNet, the colour and flip operators
take a single HWC image, integer images are computed in float32 and truncated back
to their dtype, and the random operators draw their factor once per call.

MXNet 1.9.1 differences kept out on purpose: its ``flip_left_right`` returns
garbage (it reads past each row) and its ``random_saturation`` mixes with
``0.114 * blue`` instead of the luma; here both compute what they document.
"""
import numpy as np

from ..base import MXNetError
from . import image_cv
from .params import Param
from .registry import register

# ImageNet's RGB principal components (AlexNet's lighting noise), as MXNet uses them.
_EIGVAL = np.array([55.46, 4.794, 1.148], dtype=np.float32)
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009],
                    [-0.5808, -0.0045, -0.8140],
                    [-0.5836, -0.6948, 0.4203]], dtype=np.float32)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def _fmt(shape):
    return list(shape)


def _hwc(op, shape, batch=False):
    ok = len(shape) == 3 or (batch and len(shape) == 4)
    if not ok:
        expect = "(height, width, channels) or (N, height, width, channels)" if batch \
            else "(height, width, channels)"
        raise MXNetError(f"{op}: input image must have shape {expect}, got {_fmt(shape)}")


def _same(op, batch=False):
    def infer(attrs, shapes):
        if shapes[0] is None:
            return shapes, [None]
        _hwc(op, shapes[0], batch)
        return shapes, [tuple(shapes[0])]
    return infer


def _same_type(attrs, types):
    return types, [types[0]]


def _host(xp, a):
    return a if xp is np else a.get()


def _restore(xp, out, dtype):
    """Cast a float32 result back to the input dtype (integers truncate, and saturate)."""
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        out = xp.clip(out, info.min, info.max)
    return out.astype(dtype, copy=False)


def _work(xp, data):
    return data.astype(xp.float64 if data.dtype == np.float64 else xp.float32)


# --- to_tensor, normalize ------------------------------------------------------------

def _to_tensor_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None]
    _hwc("to_tensor", s, batch=True)
    return shapes, [tuple(s[:-3]) + (s[-1], s[-3], s[-2])]


def _chw_float32(xp, data, flip=False):
    """A fresh CHW (NCHW) float32 copy of an HWC (NHWC) image divided by 255, in one
    allocation (the ufunc reads the channel-last layout and casts as it goes)."""
    src = xp.moveaxis(data[..., ::-1, :] if flip else data, -1, -3)
    out = xp.empty(src.shape, dtype=xp.float32)
    xp.divide(src, xp.float32(255.0), out=out, dtype=xp.float32)
    return out


@register("_image_to_tensor", infer_shape=_to_tensor_shape,
          infer_type=lambda attrs, t: (t, ["float32"]))
def _to_tensor(xp, attrs, data):
    """HWC (or NHWC) image in [0, 255] to a CHW (NCHW) float32 tensor in [0, 1]."""
    _hwc("to_tensor", data.shape, batch=True)
    return _chw_float32(xp, data)


def _normalize_check(attrs, shape):
    if len(shape) not in (3, 4):
        raise MXNetError(f"normalize: input must have shape (channels, height, width) or "
                         f"(N, channels, height, width), got {_fmt(shape)}")
    c = shape[-3]
    if c not in (1, 3):
        raise MXNetError(f"normalize: the channel dimension must have 1 or 3 elements, "
                         f"got input shape {_fmt(shape)}")
    for name in ("mean", "std"):
        v = attrs[name]
        if len(v) not in (1, c):
            raise MXNetError(f"normalize: argument '{name}' must have 1 or {c} elements for "
                             f"input shape {_fmt(shape)}, got {list(v)}")
    if any(s == 0 for s in attrs.std):
        raise MXNetError(f"normalize: argument 'std' must be nonzero, got {list(attrs.std)}")


def _normalize_shape(attrs, shapes):
    if shapes[0] is None:
        return shapes, [None]
    _normalize_check(attrs, shapes[0])
    return shapes, [tuple(shapes[0])]


def _channel_vector(xp, values, c, dtype):
    v = xp.asarray(values, dtype=dtype)
    return xp.broadcast_to(v, (c,)).reshape(c, 1, 1)


@register("_image_normalize",
          params={"mean": Param("floats", (0.0, 0.0, 0.0, 0.0), "Per-channel mean."),
                  "std": Param("floats", (1.0, 1.0, 1.0, 1.0), "Per-channel standard deviation.")},
          infer_shape=_normalize_shape, infer_type=_same_type,
          gradient=lambda F, attrs, ins, outs, g: [
              F.image.normalize(g[0], mean=(0.0,), std=attrs.std)])
def _normalize(xp, attrs, data):
    """(data - mean) / std per channel of a CHW or NCHW tensor."""
    _normalize_check(attrs, data.shape)
    c = data.shape[-3]
    out = _work(xp, data)  # the one fresh array; the arithmetic below is in place
    out -= _channel_vector(xp, attrs.mean, c, out.dtype)
    out /= _channel_vector(xp, attrs.std, c, out.dtype)
    return _restore(xp, out, data.dtype)


def _to_tensor_normalize_shape(attrs, shapes):
    shapes, out = _to_tensor_shape(attrs, shapes)
    if out[0] is not None:
        _normalize_check(attrs, out[0])
        if attrs.random_flip_left_right:
            _hwc("random_flip_left_right", shapes[0])
    return shapes, out


@register("_fused_image_to_tensor_normalize",
          params={"mean": Param("floats", (0.0, 0.0, 0.0, 0.0), "Per-channel mean."),
                  "std": Param("floats", (1.0, 1.0, 1.0, 1.0), "Per-channel standard deviation."),
                  "random_flip_left_right": Param("bool", False, "First mirror the image left "
                                                  "to right with probability 0.5.")},
          infer_shape=_to_tensor_normalize_shape,
          infer_type=lambda attrs, t: (t, ["float32"]), resources=("rng",))
def _to_tensor_normalize(xp, attrs, data, rng=None):
    """``normalize(to_tensor(x))`` (optionally after ``random_flip_left_right``) in one
    output array, with the same float32 arithmetic and random draw as the three ops.
    ``gluon.data.vision.transforms.Compose`` uses it for those transforms in a row."""
    _hwc("to_tensor", data.shape, batch=True)
    flip = False
    if attrs.random_flip_left_right:
        _hwc("random_flip_left_right", data.shape)
        flip = rng.random() < 0.5
    c = data.shape[-1]
    _normalize_check(attrs, data.shape[:-3] + (c,) + data.shape[-3:-1])
    out = _chw_float32(xp, data, flip)
    out -= _channel_vector(xp, attrs.mean, c, xp.float32)
    out /= _channel_vector(xp, attrs.std, c, xp.float32)
    return out


# --- resize, crop, flips ---------------------------------------------------------------

def _resize_target(attrs, shape):
    _hwc("resize", shape, batch=True)
    size = attrs.size
    if len(size) not in (1, 2):
        raise MXNetError(f"resize: argument 'size' must have 1 or 2 elements (width, height), "
                         f"got {list(size)}")
    if any(s <= 0 for s in size):
        raise MXNetError(f"resize: argument 'size' must be positive, got {list(size)}")
    if len(size) == 2:
        return size[0], size[1]
    h, w = shape[-3], shape[-2]
    if not attrs.keep_ratio:
        return size[0], size[0]
    # The short side becomes `size`; the long side scales with it (rounded down).
    if h > w:
        return size[0], h * size[0] // w
    return w * size[0] // h, size[0]


def _resize_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None]
    w, h = _resize_target(attrs, s)
    return shapes, [tuple(s[:-3]) + (h, w, s[-1])]


@register("_image_resize",
          params={"size": Param("shape", (), "Output (width, height), or one size."),
                  "keep_ratio": Param("bool", False, "With one size: scale the short side "
                                                     "to it, keeping the aspect ratio."),
                  "interp": Param("int", 1, "OpenCV interpolation code (1 bilinear).")},
          infer_shape=_resize_shape, infer_type=_same_type)
def _resize(xp, attrs, data):
    """Resize an HWC image or NHWC batch (OpenCV interpolation)."""
    w, h = _resize_target(attrs, data.shape)
    src = _host(xp, data)
    if src.ndim == 3:
        return xp.asarray(image_cv.resize(src, w, h, attrs.interp, "resize"))
    return xp.asarray(np.stack([image_cv.resize(im, w, h, attrs.interp, "resize")
                                for im in src]))


def _crop_check(attrs, shape):
    _hwc("crop", shape, batch=True)
    h, w = shape[-3], shape[-2]
    if attrs.x < 0 or attrs.y < 0 or attrs.width <= 0 or attrs.height <= 0:
        raise MXNetError(f"crop: x, y must be non-negative and width, height positive, got "
                         f"x={attrs.x}, y={attrs.y}, width={attrs.width}, height={attrs.height}")
    if attrs.x + attrs.width > w or attrs.y + attrs.height > h:
        raise MXNetError(f"crop: region x={attrs.x}, y={attrs.y}, width={attrs.width}, "
                         f"height={attrs.height} exceeds the image (height {h}, width {w})")


def _crop_shape(attrs, shapes):
    s = shapes[0]
    if s is None:
        return shapes, [None]
    _crop_check(attrs, s)
    return shapes, [tuple(s[:-3]) + (attrs.height, attrs.width, s[-1])]


_CROP_PARAMS = {"x": Param("int", doc="Left column of the region."),
                "y": Param("int", doc="Top row of the region."),
                "width": Param("int", doc="Width of the region."),
                "height": Param("int", doc="Height of the region.")}


@register("_image_crop", params=dict(_CROP_PARAMS), infer_shape=_crop_shape,
          infer_type=_same_type,
          gradient=lambda F, attrs, ins, outs, g: [F._internal._backward_image_crop(
              g[0], ins[0], x=attrs.x, y=attrs.y, width=attrs.width, height=attrs.height)])
def _crop(xp, attrs, data):
    """The region (x, y, width, height) of an HWC image or NHWC batch."""
    _crop_check(attrs, data.shape)
    return data[..., attrs.y:attrs.y + attrs.height, attrs.x:attrs.x + attrs.width, :].copy()


@register("_backward_image_crop", inputs=("grad", "data"), params=dict(_CROP_PARAMS),
          infer_shape=lambda attrs, s: (s, [s[1]]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F.image.crop(
              g[0], x=attrs.x, y=attrs.y, width=attrs.width, height=attrs.height), None])
def _crop_backward(xp, attrs, grad, data):
    """Gradient of crop: the incoming gradient placed in its region, zeros elsewhere."""
    out = xp.zeros(data.shape, dtype=grad.dtype)
    out[..., attrs.y:attrs.y + attrs.height, attrs.x:attrs.x + attrs.width, :] = grad
    return out


def _flip(axis, name):
    def compute(xp, attrs, data):
        _hwc(name, data.shape)
        return xp.flip(data, axis=axis).copy()
    return compute


register("_image_flip_left_right", infer_shape=_same("flip_left_right"),
         infer_type=_same_type,
         gradient=lambda F, attrs, ins, outs, g: [F.image.flip_left_right(g[0])],
         doc="Mirror an HWC image left to right.")(_flip(1, "flip_left_right"))
register("_image_flip_top_bottom", infer_shape=_same("flip_top_bottom"),
         infer_type=_same_type,
         gradient=lambda F, attrs, ins, outs, g: [F.image.flip_top_bottom(g[0])],
         doc="Mirror an HWC image top to bottom.")(_flip(0, "flip_top_bottom"))


def _random_flip(axis, name):
    def compute(xp, attrs, data, rng=None):
        _hwc(name, data.shape)
        return xp.flip(data, axis=axis).copy() if rng.random() < 0.5 else data.copy()
    return compute


register("_image_random_flip_left_right", infer_shape=_same("random_flip_left_right"),
         infer_type=_same_type, resources=("rng",),
         doc="Mirror an HWC image left to right with probability 0.5.")(
    _random_flip(1, "random_flip_left_right"))
register("_image_random_flip_top_bottom", infer_shape=_same("random_flip_top_bottom"),
         infer_type=_same_type, resources=("rng",),
         doc="Mirror an HWC image top to bottom with probability 0.5.")(
    _random_flip(0, "random_flip_top_bottom"))


# --- colour: brightness, contrast, saturation, hue, lighting ---------------------------

def _gray(xp, work):
    """Per-pixel luma (H, W, 1); a one-channel image is its own luma."""
    if work.shape[-1] == 1:
        return work
    return xp.sum(work[..., :3] * xp.asarray(_LUMA, dtype=work.dtype), axis=-1, keepdims=True)


def _brightness(xp, work, alpha):
    return work * alpha


def _contrast(xp, work, alpha):
    return work * alpha + xp.mean(_gray(xp, work)) * (1 - alpha)


def _saturation(xp, work, alpha):
    return work * alpha + _gray(xp, work) * (1 - alpha)


def _hue(xp, work, alpha):
    """Rotate the hue by alpha turns in HLS space (lightness and saturation kept)."""
    if work.shape[-1] < 3:
        return work
    rgb = work[..., :3] / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    vmax, vmin = rgb.max(axis=-1), rgb.min(axis=-1)
    diff = vmax - vmin
    light = (vmax + vmin) / 2
    grey = diff <= 1e-12
    safe = xp.where(grey, 1.0, diff)
    sat = xp.where(light < 0.5, diff / xp.where(grey, 1.0, vmax + vmin),
                   diff / xp.where(grey, 1.0, 2.0 - vmax - vmin))
    hue = xp.where(vmax == r, (g - b) / safe,
                   xp.where(vmax == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0))
    hue = (hue / 6.0 + alpha) % 1.0
    p2 = xp.where(light <= 0.5, light * (1 + sat), light + sat - light * sat)
    p1 = 2 * light - p2

    def channel(t):
        t = t % 1.0
        return xp.where(t < 1 / 6, p1 + (p2 - p1) * 6 * t,
                        xp.where(t < 0.5, p2,
                                 xp.where(t < 2 / 3, p1 + (p2 - p1) * (2 / 3 - t) * 6, p1)))

    out = xp.stack([channel(hue + 1 / 3), channel(hue), channel(hue - 1 / 3)], axis=-1)
    out = xp.where(grey[..., None], light[..., None], out) * 255.0
    return xp.concatenate([out.astype(work.dtype), work[..., 3:]], axis=-1)


def _lighting(xp, work, alpha):
    if work.shape[-1] != 3:
        return work
    delta = _EIGVEC @ (np.asarray(alpha, dtype=np.float32) * _EIGVAL)
    return work + xp.asarray(delta, dtype=work.dtype)


def _factor_params():
    return {"min_factor": Param("float", doc="Smallest factor drawn."),
            "max_factor": Param("float", doc="Largest factor drawn.")}


def _check_factors(op, attrs):
    for name in ("min_factor", "max_factor"):
        if attrs[name] < 0:
            raise MXNetError(f"{op}: argument '{name}' must be >= 0, got {attrs[name]}")


def _random_colour(op, adjust, hue=False):
    def compute(xp, attrs, data, rng=None):
        _hwc(op, data.shape)
        _check_factors(op, attrs)
        alpha = rng.uniform(attrs.min_factor, attrs.max_factor)
        return _restore(xp, adjust(xp, _work(xp, data), alpha), data.dtype)
    return compute


for _name, _fn in (("brightness", _brightness), ("contrast", _contrast),
                   ("saturation", _saturation), ("hue", _hue)):
    register(f"_image_random_{_name}", params=_factor_params(),
             infer_shape=_same(f"random_{_name}"), infer_type=_same_type, resources=("rng",),
             doc=f"Adjust the {_name} of an HWC image by a factor drawn uniformly from "
                 "[min_factor, max_factor].")(_random_colour(f"random_{_name}", _fn))


@register("_image_random_color_jitter",
          params={"brightness": Param("float", doc="Brightness factor range 1 +- brightness."),
                  "contrast": Param("float", doc="Contrast factor range 1 +- contrast."),
                  "saturation": Param("float", doc="Saturation factor range 1 +- saturation."),
                  "hue": Param("float", doc="Hue shift range +- hue (in turns).")},
          infer_shape=_same("random_color_jitter"), infer_type=_same_type, resources=("rng",))
def _random_color_jitter(xp, attrs, data, rng=None):
    """Brightness, contrast, saturation and hue jitter applied in a random order."""
    _hwc("random_color_jitter", data.shape)
    for name in ("brightness", "contrast", "saturation", "hue"):
        if attrs[name] < 0:
            raise MXNetError(f"random_color_jitter: argument '{name}' must be >= 0, "
                             f"got {attrs[name]}")
    steps = [(_brightness, attrs.brightness, 1.0), (_contrast, attrs.contrast, 1.0),
             (_saturation, attrs.saturation, 1.0), (_hue, attrs.hue, 0.0)]
    work = _work(xp, data)
    for i in rng.permutation(len(steps)):
        adjust, spread, centre = steps[i]
        if spread > 0:
            work = adjust(xp, work, rng.uniform(centre - spread, centre + spread))
    return _restore(xp, work, data.dtype)


@register("_image_adjust_lighting",
          params={"alpha": Param("floats", doc="Weights of the three RGB principal components.")},
          infer_shape=_same("adjust_lighting"), infer_type=_same_type,
          gradient=lambda F, attrs, ins, outs, g: [g[0]])
def _adjust_lighting(xp, attrs, data):
    """Add AlexNet-style PCA lighting noise with the given component weights."""
    _hwc("adjust_lighting", data.shape)
    if len(attrs.alpha) != 3:
        raise MXNetError(f"adjust_lighting: argument 'alpha' must have 3 elements, "
                         f"got {list(attrs.alpha)}")
    return _restore(xp, _lighting(xp, _work(xp, data), attrs.alpha), data.dtype)


@register("_image_random_lighting",
          params={"alpha_std": Param("float", 0.05, "Standard deviation of the weights.")},
          infer_shape=_same("random_lighting"), infer_type=_same_type, resources=("rng",))
def _random_lighting(xp, attrs, data, rng=None):
    """PCA lighting noise with weights drawn from N(0, alpha_std)."""
    _hwc("random_lighting", data.shape)
    if attrs.alpha_std < 0:
        raise MXNetError(f"random_lighting: argument 'alpha_std' must be >= 0, "
                         f"got {attrs.alpha_std}")
    alpha = rng.normal(0.0, attrs.alpha_std, size=3) if attrs.alpha_std > 0 else np.zeros(3)
    return _restore(xp, _lighting(xp, _work(xp, data), alpha), data.dtype)
