"""``mx.sym.npx.image``: graph forms of the ``mx.npx.image`` operators."""
from ...ops.npx import NPX_IMAGE_OPS
from . import make_op_function

__all__ = list(NPX_IMAGE_OPS)

for _short in NPX_IMAGE_OPS:
    globals()[_short] = make_op_function("_npx__image_" + _short, _short)
