"""``mx.nd.imdecode``: MXNet's deprecated image decoder (``mx.image`` replaces it)."""
from ..base import MXNetError
from .ndarray import NDArray

__all__ = ["imdecode"]


def imdecode(str_img, clip_rect=(0, 0, 0, 0), out=None, index=0, channels=3, mean=None):
    """Decode an encoded image (``str_img``: bytes) into a float32 array laid
    out channels first (c, h, w), channels in OpenCV's BGR order.

    ``clip_rect=(x0, y0, x1, y1)`` keeps that rectangle (all zeros: the whole
    image); ``channels=1`` decodes to grayscale; ``mean`` (c, h, w) is
    subtracted, and the result then has its dtype. ``out`` receives the image:
    a (c, h, w) array, or a (n, c, h, w) batch whose slice ``index`` is
    written; it is returned. Deprecated in MXNet: use ``mx.image.imdecode``.
    """
    from . import _internal
    if not isinstance(str_img, (bytes, bytearray, memoryview)):
        raise MXNetError(f"imdecode: argument 'str_img' expects the encoded image as bytes, "
                         f"got {type(str_img).__name__}")
    if len(clip_rect) != 4:
        raise MXNetError(f"imdecode: argument 'clip_rect' expects (x0, y0, x1, y1), "
                         f"got {clip_rect!r}")
    target = out
    if out is not None:
        if not isinstance(out, NDArray) or out.ndim not in (3, 4):
            raise MXNetError("imdecode: argument 'out' expects a 3-D (c, h, w) or 4-D "
                             f"(n, c, h, w) NDArray, got {getattr(out, 'shape', out)!r}")
        if out.ndim == 4:
            if not 0 <= index < out.shape[0]:
                raise MXNetError(f"imdecode: argument 'index' must be within the "
                                 f"{out.shape[0]} images of out, got {index}")
            target = out[index]
    x0, y0, x1, y1 = clip_rect
    inputs = [] if mean is None else [mean]
    # A bytearray is unhashable, so the op's parse cache does not keep the image.
    result = _internal._imdecode(*inputs, index=index, x0=x0, y0=y0, x1=x1, y1=y1,
                                 c=channels, size=len(str_img), str_img=bytearray(str_img),
                                 out=target)
    return out if out is not None else result
