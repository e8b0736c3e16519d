"""``mx.image``: image decoding, geometry helpers, augmenters and image iterators."""
from .image import *  # noqa: F401,F403
from .image import cv2, numeric_types  # noqa: F401
from .augmenters import *  # noqa: F401,F403
from .image_iter import ImageIter  # noqa: F401
from .detection import *  # noqa: F401,F403
