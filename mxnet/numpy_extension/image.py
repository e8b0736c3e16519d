"""``mx.npx.image``: the image operators (``to_tensor``, ``normalize``,
``resize``, ``crop``, flips and random colour/lighting changes) on
``mx.np.ndarray`` images, as ``_npx__image_*`` operators (MXNet's aliases
of ``_image_*``)."""
from ..ops.npx import NPX_IMAGE_OPS
from ._ops import make_op_function

__all__ = list(NPX_IMAGE_OPS)

for _short in NPX_IMAGE_OPS:
    globals()[_short] = make_op_function("_npx__image_" + _short, _short)
