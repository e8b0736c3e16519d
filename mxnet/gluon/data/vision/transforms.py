"""Image transforms as Gluon Blocks, for ``Dataset.transform_first``.

Inputs are HWC images (uint8 as decoded) until ``ToTensor`` makes CHW float32
tensors in [0, 1]; ``Normalize`` works on those. Transforms built only from
operators are HybridBlocks; those that choose a crop in Python are Blocks.
"""
import functools
import random

import numpy as np

from .... import image
from ....numpy import ndarray as _np_ndarray
from ...block import Block, HybridBlock
from ...np_boundary import legacy_body, to_np
from ...nn import HybridSequential, Sequential
from ...utils import is_np_array

numeric_types = (float, int, np.generic)

__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Resize", "CropResize", "CenterCrop",
           "RandomResizedCrop", "RandomFlipLeftRight", "RandomFlipTopBottom",
           "RandomBrightness", "RandomContrast", "RandomSaturation", "RandomHue",
           "RandomColorJitter", "RandomLighting", "RandomGray", "RandomApply", "Rotate",
           "RandomRotation", "Block", "HybridBlock", "Sequential", "HybridSequential",
           "is_np_array", "numeric_types"]


def _pair(size):
    return (size, size) if isinstance(size, numeric_types) else tuple(size)


def _fuse(transforms):
    """``transforms`` with each ``ToTensor, Normalize`` pair (and a ``RandomFlipLeftRight``
    just before it) replaced by one ``_ToTensorNormalize``: the same numbers from one pass
    and one output array, instead of an array per step."""
    out = []
    for t in transforms:
        if type(t) is Normalize and out and type(out[-1]) is ToTensor:
            out.pop()
            flip = bool(out) and type(out[-1]) is RandomFlipLeftRight
            if flip:
                out.pop()
            t = _ToTensorNormalize(t._mean, t._std, flip)
        out.append(t)
    return out



def _np_results(forward):
    """Give a host-side transform's result in the front end of its input:
    ``mx.np`` images in, ``mx.np`` images out (the image functions are legacy)."""
    @functools.wraps(forward)
    def wrapper(self, x):
        out = forward(self, x)
        return to_np(out) if isinstance(x, _np_ndarray) else out
    return wrapper

class Compose(Sequential):
    """Apply ``transforms`` in order. Runs of consecutive HybridBlocks are grouped into a
    hybridized HybridSequential; ``ToTensor`` followed by ``Normalize`` runs as one step."""

    def __init__(self, transforms):
        super().__init__()
        hybrid = []
        for t in _fuse(transforms) + [None]:
            if isinstance(t, HybridBlock):
                hybrid.append(t)
                continue
            if len(hybrid) == 1:
                self.add(hybrid[0])
            elif len(hybrid) > 1:
                block = HybridSequential()
                block.add(*hybrid)
                block.hybridize()
                self.add(block)
            hybrid = []
            if t is not None:
                self.add(t)


class Cast(HybridBlock):
    """Cast to ``dtype``."""

    def __init__(self, dtype="float32"):
        super().__init__()
        self._dtype = dtype

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.cast(x, dtype=self._dtype)


class ToTensor(HybridBlock):
    """HWC (or NHWC) image in [0, 255] to CHW (NCHW) float32 in [0, 1]."""

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.image.to_tensor(x)


class Normalize(HybridBlock):
    """``(x - mean) / std`` per channel of a CHW tensor (numbers or one per channel)."""

    def __init__(self, mean=0.0, std=1.0):
        super().__init__()
        self._mean = mean
        self._std = std

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.image.normalize(x, mean=self._mean, std=self._std)


class _ToTensorNormalize(HybridBlock):
    """``ToTensor`` then ``Normalize(mean, std)``, after ``RandomFlipLeftRight`` when
    ``flip``, as one operator."""

    def __init__(self, mean, std, flip):
        super().__init__()
        self._args = dict(mean=mean, std=std, random_flip_left_right=flip)

    @legacy_body
    def hybrid_forward(self, F, x):
        return F._internal._fused_image_to_tensor_normalize(x, **self._args)


class Resize(HybridBlock):
    """Resize to ``size`` (an int: square, or with ``keep_ratio`` the short side;
    or (width, height)). ``interpolation`` is OpenCV's code (1 bilinear)."""

    def __init__(self, size, keep_ratio=False, interpolation=1):
        super().__init__()
        self._keep = keep_ratio
        self._size = size
        self._interpolation = interpolation

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.image.resize(x, size=self._size, keep_ratio=self._keep,
                              interp=self._interpolation)


class CropResize(HybridBlock):
    """Crop the region (x, y, width, height), then optionally resize it to ``size``."""

    def __init__(self, x, y, width, height, size=None, interpolation=None):
        super().__init__()
        self._x, self._y, self._width, self._height = x, y, width, height
        self._size = size
        self._interpolation = interpolation

    @legacy_body
    def hybrid_forward(self, F, x):
        out = F.image.crop(x, x=self._x, y=self._y, width=self._width,
                           height=self._height)
        if self._size:
            interp = 1 if self._interpolation is None else self._interpolation
            out = F.image.resize(out, size=self._size, interp=interp)
        return out


class CenterCrop(Block):
    """Crop the centre to ``size`` (int or (width, height)), scaling the region down to
    fit a smaller image and resizing it back."""

    def __init__(self, size, interpolation=1):
        super().__init__()
        self._args = (_pair(size), interpolation)

    @_np_results
    def forward(self, x):
        return image.center_crop(x, *self._args)[0]


class RandomResizedCrop(Block):
    """Crop a random region (area fraction in ``scale``, aspect ratio in ``ratio``) and
    resize it to ``size``."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation=1):
        super().__init__()
        self._args = (_pair(size), scale, ratio, interpolation)

    @_np_results
    def forward(self, x):
        return image.random_size_crop(x, *self._args)[0]


class RandomFlipLeftRight(HybridBlock):
    """Mirror left to right with probability 0.5."""

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.image.random_flip_left_right(x)


class RandomFlipTopBottom(HybridBlock):
    """Mirror top to bottom with probability 0.5."""

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.image.random_flip_top_bottom(x)


class _RandomFactor(HybridBlock):
    _op = None

    def __init__(self, amount):
        super().__init__()
        self._args = (max(0, 1 - amount), 1 + amount)

    @legacy_body
    def hybrid_forward(self, F, x):
        return getattr(F.image, self._op)(x, min_factor=self._args[0], max_factor=self._args[1])


class RandomBrightness(_RandomFactor):
    """Scale the values by a factor drawn from [max(0, 1 - brightness), 1 + brightness]."""
    _op = "random_brightness"

    def __init__(self, brightness):  # MXNet's keyword name
        super().__init__(brightness)


class RandomContrast(_RandomFactor):
    """Blend with the mean grey level by a factor drawn from [1 - contrast, 1 + contrast]."""
    _op = "random_contrast"

    def __init__(self, contrast):  # MXNet's keyword name
        super().__init__(contrast)


class RandomSaturation(_RandomFactor):
    """Blend with each pixel's grey level by a factor from [1 - saturation, 1 + saturation]."""
    _op = "random_saturation"

    def __init__(self, saturation):  # MXNet's keyword name
        super().__init__(saturation)


class RandomHue(_RandomFactor):
    """Rotate the hue by a factor drawn from [1 - hue, 1 + hue] turns."""
    _op = "random_hue"

    def __init__(self, hue):  # MXNet's keyword name
        super().__init__(hue)


class RandomColorJitter(HybridBlock):
    """Random brightness, contrast, saturation and hue changes in a random order."""

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.image.random_color_jitter(x, **dict(zip(
            ("brightness", "contrast", "saturation", "hue"), self._args)))


class RandomLighting(HybridBlock):
    """AlexNet-style PCA lighting noise with weights drawn from N(0, alpha)."""

    def __init__(self, alpha):
        super().__init__()
        self._alpha = alpha

    @legacy_body
    def hybrid_forward(self, F, x):
        return F.image.random_lighting(x, alpha_std=self._alpha)


class RandomGray(Block):
    """Replace an RGB image by its grey level (in all three channels) with probability p."""

    def __init__(self, p=0.5):
        super().__init__()
        self._aug = image.RandomGrayAug(p)

    @_np_results
    def forward(self, x):
        return self._aug(x.astype("float32")).astype(x.dtype)


class RandomApply(Sequential):
    """Apply ``transforms`` with probability ``p``, else pass the input through."""

    def __init__(self, transforms, p=0.5):
        super().__init__()
        self.transforms = transforms
        self.p = p

    @_np_results
    def forward(self, x):
        if self.p < random.random():
            return x
        return self.transforms(x)


class Rotate(Block):
    """Rotate a float32 CHW image by ``rotation_degrees`` counter-clockwise."""

    def __init__(self, rotation_degrees, zoom_in=False, zoom_out=False):
        super().__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    @_np_results
    def forward(self, x):
        if x.dtype != np.float32:
            raise TypeError("Rotate: only float32 images are supported")
        return image.imrotate(x, *self._args)


class RandomRotation(Block):
    """With probability ``rotate_with_proba``, rotate by an angle drawn from
    ``angle_limits`` (degrees)."""

    def __init__(self, angle_limits, zoom_in=False, zoom_out=False, rotate_with_proba=1.0):
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("RandomRotation: angle_limits must be (lower, upper) with "
                             f"lower < upper, got {angle_limits}")
        if not 0.0 <= rotate_with_proba <= 1.0:
            raise ValueError(f"RandomRotation: rotate_with_proba must be in [0, 1], "
                             f"got {rotate_with_proba}")
        self._args = (angle_limits, zoom_in, zoom_out)
        self._rotate_with_proba = rotate_with_proba

    @_np_results
    def forward(self, x):
        if np.random.random() > self._rotate_with_proba:
            return x
        if x.dtype != np.float32:
            raise TypeError("RandomRotation: only float32 images are supported")
        return image.random_rotate(x, *self._args)
