"""Shape and layout operators: reshape, transpose, broadcast, expand_dims, flatten...

Kernels return new arrays (``.copy()`` where NumPy would return a view): an
operator's output never aliases its input. NDArray methods that MXNet
defines as views (``x.reshape``, ``x[i]``) build views themselves.
"""
from ..base import MXNetError
from .shape_codes import infer_reshape
from .infer import broadcast_shapes, same_type
from .params import Param
from .registry import register


def _reshape_target(attrs, shape):
    spec = attrs.shape if attrs.shape else attrs.target_shape
    if not spec:
        raise MXNetError("Reshape: argument 'shape' is required")
    return infer_reshape("Reshape", shape, spec, attrs.reverse)


def _grad_reshape_like_input(F, attrs, ins, outs, g):
    return [F.reshape_like(g[0], ins[0])]


@register("Reshape", aliases=("reshape",),
          params={"shape": Param("shape", ()), "reverse": Param("bool", False),
                  "target_shape": Param("shape", ()), "keep_highest": Param("bool", False)},
          infer_shape=lambda attrs, s: (s, [None if s[0] is None
                                            else _reshape_target(attrs, s[0])]),
          infer_type=same_type("Reshape"), gradient=_grad_reshape_like_input,
          fluent="reshape")
def _reshape(xp, attrs, data):
    """Reshape to `shape`, with MXNet's special codes 0, -1, -2, -3, -4."""
    return data.reshape(_reshape_target(attrs, data.shape)).copy()


@register("reshape_like", inputs=("lhs", "rhs"),
          params={"lhs_begin": Param("int", None), "lhs_end": Param("int", None),
                  "rhs_begin": Param("int", None), "rhs_end": Param("int", None)},
          infer_shape=lambda attrs, s: (s, [None if None in s else _reshape_like(attrs, *s)]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F.reshape_like(g[0], ins[0]), None])
def _reshape_like_op(xp, attrs, lhs, rhs):
    """Reshape lhs (or its axes lhs_begin:lhs_end) to the shape of rhs (rhs_begin:rhs_end)."""
    return lhs.reshape(_reshape_like(attrs, lhs.shape, rhs.shape)).copy()


def _reshape_like(attrs, lshape, rshape):
    lb, le = _span(attrs.lhs_begin, attrs.lhs_end, len(lshape))
    rb, re = _span(attrs.rhs_begin, attrs.rhs_end, len(rshape))
    out = tuple(lshape[:lb]) + tuple(rshape[rb:re]) + tuple(lshape[le:])
    if _prod(out) != _prod(lshape):
        raise MXNetError(f"reshape_like: cannot reshape {tuple(lshape)} to {out}")
    return out


def _prod(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _span(begin, end, ndim):
    begin = 0 if begin is None else begin % ndim if ndim else 0
    end = ndim if end is None else (end % ndim if end < 0 else end)
    return begin, end


def _transpose_axes(attrs, ndim):
    return tuple(attrs.axes) if attrs.axes else tuple(reversed(range(ndim)))


def _grad_transpose(F, attrs, ins, outs, g):
    axes = _transpose_axes(attrs, ins[0].ndim)
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return [F.transpose(g[0], axes=tuple(inverse))]


@register("transpose", params={"axes": Param("shape", ())},
          infer_shape=lambda attrs, s: (s, [None if s[0] is None else tuple(
              s[0][a] for a in _transpose_axes(attrs, len(s[0])))]),
          infer_type=same_type("transpose"), gradient=_grad_transpose)
def _transpose(xp, attrs, data):
    """Permute axes (reverse them when `axes` is empty)."""
    axes = _transpose_axes(attrs, data.ndim)
    if sorted(a % max(data.ndim, 1) for a in axes) != list(range(data.ndim)):
        raise MXNetError(f"transpose: axes {axes} is not a permutation of {data.ndim} axes")
    return xp.ascontiguousarray(data.transpose(axes)) if data.ndim > 1 else data.copy()


def _broadcast_to_shape(attrs, shape):
    target = tuple(s if t == 0 else t for s, t in zip(shape, attrs.shape)) \
        if len(attrs.shape) == len(shape) else tuple(attrs.shape)
    return broadcast_shapes("broadcast_to", [tuple(shape), target])


@register("broadcast_to", params={"shape": Param("shape", ())},
          infer_shape=lambda attrs, s: (s, [None if s[0] is None
                                            else _broadcast_to_shape(attrs, s[0])]),
          infer_type=same_type("broadcast_to"),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._reduce_sum_like(g[0], ins[0])])
def _broadcast_to(xp, attrs, data):
    """Broadcast to `shape` (0 keeps the input's dimension)."""
    target = _broadcast_to_shape(attrs, data.shape)
    if len(target) != data.ndim:
        raise MXNetError(f"broadcast_to: shape {attrs.shape} must have {data.ndim} dimensions")
    return xp.broadcast_to(data, target).copy()


@register("broadcast_like", inputs=("lhs", "rhs"),
          params={"lhs_axes": Param("shape", None), "rhs_axes": Param("shape", None)},
          infer_shape=lambda attrs, s: (s, [None if None in s else _like_target(attrs, *s)]),
          infer_type=lambda attrs, t: (t, [t[0]]),
          gradient=lambda F, attrs, ins, outs, g: [F._internal._reduce_sum_like(g[0], ins[0]),
                                                   None])
def _broadcast_like(xp, attrs, lhs, rhs):
    """Broadcast lhs to the shape of rhs (or only the axes lhs_axes to rhs_axes)."""
    return xp.broadcast_to(lhs, _like_target(attrs, lhs.shape, rhs.shape)).copy()


def _like_target(attrs, lshape, rshape):
    if attrs.lhs_axes is None:
        return broadcast_shapes("broadcast_like", [tuple(lshape), tuple(rshape)])
    out = list(lshape)
    for la, ra in zip(attrs.lhs_axes, attrs.rhs_axes):
        if out[la] != 1:
            raise MXNetError(f"broadcast_like: lhs axis {la} has size {out[la]}, expected 1")
        out[la] = rshape[ra]
    return tuple(out)
