"""Shape and type inference rules shared by operator families.

A rule gets the op's ``attrs`` and a list with one entry per input (a shape
tuple, or ``None`` where unknown) and returns ``(input_shapes, output_shapes)``
with every entry it could determine filled in. Type rules work the same way
on dtype names. Rules raise MXNetError naming the op when inputs disagree.
"""
from ..base import MXNetError


def _fmt(shapes):
    return ", ".join("?" if s is None else str(tuple(s)) for s in shapes)


def same_shape(op_name):
    """All inputs and the single output share one shape (elementwise ops)."""
    def infer(attrs, shapes):
        known = next((s for s in shapes if s is not None), None)
        if known is None:
            return shapes, [None]
        for s in shapes:
            if s is not None and tuple(s) != tuple(known):
                raise MXNetError(f"{op_name}: inputs must have the same shape, got {_fmt(shapes)}")
        return [tuple(known)] * len(shapes), [tuple(known)]
    return infer


def broadcast_shape(op_name):
    """NumPy broadcasting of all inputs to the single output."""
    def infer(attrs, shapes):
        if any(s is None for s in shapes):
            return shapes, [None]
        return shapes, [broadcast_shapes(op_name, shapes)]
    return infer


def broadcast_shapes(op_name, shapes):
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        dim = 1
        for s in shapes:
            d = s[i - ndim + len(s)] if i - ndim + len(s) >= 0 else 1
            if d != 1:
                if dim != 1 and d != dim:
                    raise MXNetError(f"{op_name}: operands could not be broadcast together "
                                     f"with shapes {_fmt(shapes)}")
                dim = d
        out.append(dim)
    return tuple(out)


def same_type(op_name):
    """All inputs and outputs share one dtype."""
    def infer(attrs, types):
        known = next((t for t in types if t is not None), None)
        for t in types:
            if t is not None and t != known:
                raise MXNetError(f"{op_name}: inputs must have the same dtype, got "
                                 + ", ".join(str(t) for t in types))
        return [known] * len(types), [known]
    return infer


def fixed_type(dtype):
    """Outputs have ``dtype`` whatever the inputs are."""
    def infer(attrs, types):
        return types, [dtype]
    return infer


def dtype_param(default="float32"):
    """The single output has the dtype named by ``attrs.dtype`` (creation ops)."""
    def infer(attrs, types):
        return types, [attrs.get("dtype") or default]
    return infer
