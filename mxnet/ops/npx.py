"""``_npx_*`` operators: the ``mx.npx`` names of MXNet's neural-network and utility operators.

As in MXNet, most are aliases of the legacy operator (``_npx_fully_connected``
is ``FullyConnected``: a graph built by ``mx.npx`` stores the legacy name in
its JSON). ``_npx_relu`` and ``_npx_sigmoid`` are operators of their own in
MXNet, here declared as copies of ``relu``/``sigmoid`` (same kernel,
inference, gradient and backend overrides). ``_npx_reshape`` (NumPy-style
shape codes), ``_npx_nonzero`` and ``_npx_constraint_check`` are new.
"""
import copy

from ..base import MXNetError
from . import registry
from .infer import same_type
from .params import Param
from .registry import register

# _npx_ name -> the legacy operator MXNet registers it as an alias of.
NPX_ALIASES = {
    "activation": "Activation", "arange_like": "_contrib_arange_like",
    "batch_dot": "batch_dot", "batch_flatten": "Flatten", "batch_norm": "BatchNorm",
    "cast": "Cast", "convolution": "Convolution", "deconvolution": "Deconvolution",
    "dropout": "Dropout", "embedding": "Embedding", "erf": "erf", "erfinv": "erfinv",
    "fully_connected": "FullyConnected", "gamma": "gamma", "gammaln": "gammaln",
    "gather_nd": "gather_nd", "layer_norm": "LayerNorm", "leaky_relu": "LeakyReLU",
    "log_softmax": "log_softmax", "multibox_detection": "_contrib_MultiBoxDetection",
    "multibox_prior": "_contrib_MultiBoxPrior", "multibox_target": "_contrib_MultiBoxTarget",
    "one_hot": "one_hot", "pick": "pick", "pooling": "Pooling", "reshape_like": "reshape_like",
    "rnn": "RNN", "roi_pooling": "ROIPooling", "sequence_mask": "SequenceMask",
    "shape_array": "shape_array", "slice": "slice", "smooth_l1": "smooth_l1",
    "softmax": "softmax", "topk": "topk",
}

# mx.npx.image: _npx__image_X is _image_X.
NPX_IMAGE_OPS = ("adjust_lighting", "crop", "flip_left_right", "flip_top_bottom", "normalize",
                 "random_brightness", "random_color_jitter", "random_contrast",
                 "random_flip_left_right", "random_flip_top_bottom", "random_hue",
                 "random_lighting", "random_saturation", "resize", "to_tensor")

for _short, _legacy in NPX_ALIASES.items():
    registry.add_alias("_npx_" + _short, _legacy)
for _short in NPX_IMAGE_OPS:
    registry.add_alias("_npx__image_" + _short, "_image_" + _short)


def _declare_like(name, legacy_name):
    """Register ``name`` as a copy of the legacy op's declaration. The backend
    overrides list is shared on purpose (a fast kernel serves both names);
    the parse cache is the new op's own, so its errors name ``name``."""
    legacy = registry.get(legacy_name)
    op = copy.copy(legacy)
    op.name = name
    op.aliases = ()
    op._cache = {}
    op._defaults = None
    op.doc = f"{legacy.doc}\n\nThe ``mx.npx`` operator computing ``{legacy_name}``.".strip()
    registry.add(op)
    return op


_declare_like("_npx_relu", "relu")
_declare_like("_npx_sigmoid", "sigmoid")


# -- _npx_reshape: NumPy-style reshape with MXNet's extra codes ------------------------------

def npx_reshape_shape(src, spec, reverse=False):
    """The output shape of ``npx.reshape(a, spec)`` for an input of shape ``src``.

    Codes: ``-1`` infers one dimension; ``-2`` copies the next input
    dimension; ``-3`` drops the next input dimension, which must be 1; ``-4``
    copies all remaining input dimensions; ``-5`` merges the next two input
    dimensions; ``-6, d1, d2`` splits the next input dimension into ``d1 x d2``
    (one of them may be -1). Other values are literal sizes, each consuming
    one input dimension. ``reverse`` matches the codes from the right."""
    src, spec = tuple(src), tuple(spec)
    if reverse:
        out = npx_reshape_shape(src[::-1], spec[::-1])
        return out[::-1]
    out, unknown, src_i, i = [], None, 0, 0

    def bad(why):
        return MXNetError(f"_npx_reshape: cannot reshape {src} to {spec}: {why}")

    def take():
        nonlocal src_i
        if src_i >= len(src):
            raise bad("the codes consume more input dimensions than the input has")
        src_i += 1
        return src[src_i - 1]

    while i < len(spec):
        code = spec[i]
        if code < -6:
            raise bad(f"dimension codes must be >= -6, got {code}")
        if code == -1:
            if unknown is not None:
                raise bad("only one dimension can be inferred")
            unknown = len(out)
            out.append(-1)
            src_i += 1
        elif code == -2:
            out.append(take())
        elif code == -3:
            if take() != 1:
                raise bad("-3 only drops an input dimension of size 1")
        elif code == -4:
            out.extend(src[src_i:])
            src_i = len(src)
        elif code == -5:
            out.append(take() * take())
        elif code == -6:
            if i + 2 >= len(spec):
                raise bad("-6 needs the two sizes to split into after it")
            whole, d1, d2 = take(), spec[i + 1], spec[i + 2]
            if d1 == -1 and d2 == -1:
                raise bad("-6 split sizes cannot both be -1")
            d1 = whole // d2 if d1 == -1 else d1
            d2 = whole // d1 if d2 == -1 else d2
            if d1 * d2 != whole:
                raise bad(f"split sizes {d1} x {d2} do not make {whole}")
            out += [d1, d2]
            i += 2
        else:
            out.append(code)
            src_i += 1
        i += 1
    size = _prod(src)
    if unknown is not None:
        known = _prod(d for d in out if d != -1)
        if known == 0 or size % known:
            raise bad("the inferred dimension is not a whole number")
        out[unknown] = size // known
    if _prod(out) != size:
        raise bad(f"sizes differ ({size} elements against {_prod(out)})")
    return tuple(out)


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def _npx_reshape_infer(attrs, shapes):
    src = shapes[0]
    if src is None:
        return shapes, [None]
    return shapes, [npx_reshape_shape(src, attrs.newshape, attrs.reverse)]


def _check_order(attrs):
    if attrs.order != "C":
        raise MXNetError(f"_npx_reshape: argument 'order' must be 'C', got {attrs.order!r}")


@register("_npx_reshape", inputs=("a",),
          params={"newshape": Param("shape"), "reverse": Param("bool", False),
                  "order": Param("str", "C")},
          infer_shape=_npx_reshape_infer, infer_type=same_type("_npx_reshape"),
          gradient=lambda F, attrs, ins, outs, g: [F.reshape_like(g[0], ins[0])])
def _npx_reshape(xp, attrs, a):
    """Reshape ``a`` to ``newshape``, which may use MXNet's codes -1..-6."""
    _check_order(attrs)
    return a.reshape(npx_reshape_shape(a.shape, attrs.newshape, attrs.reverse)).copy()


# -- _npx_nonzero, _npx_constraint_check ------------------------------------------------------

@register("_npx_nonzero", inputs=("x",),
          infer_shape=lambda attrs, s: (s, [None]),
          infer_type=lambda attrs, t: (t, ["int64"]))
def _npx_nonzero(xp, attrs, x):
    """The indices of the nonzero elements of ``x``, one row per element
    (shape ``(count, ndim)``, int64); a zero-d input counts as one-d."""
    if x.ndim == 0:
        x = x.reshape(1)
    return xp.ascontiguousarray(xp.argwhere(x).astype("int64", copy=False))


class ConstraintViolation(MXNetError, ValueError):
    """A failed ``npx.constraint_check``; a ``ValueError`` as in MXNet, and
    an ``MXNetError`` so the engine reports it unchanged."""


def _constraint_type(attrs, types):
    if types[0] is not None and str(types[0]) != "bool":
        raise MXNetError(f"_npx_constraint_check: argument 'input' must have dtype bool, "
                         f"got {types[0]}")
    return types, ["bool"]


@register("_npx_constraint_check", inputs=("input",),
          params={"msg": Param("str", "Constraint violated.")},
          infer_shape=lambda attrs, s: (s, [()]), infer_type=_constraint_type)
def _npx_constraint_check(xp, attrs, cond):
    """``True`` (a zero-d bool array) when every element of the bool input
    is true; otherwise raises ``ValueError`` with ``msg``."""
    if cond.dtype != bool:
        raise MXNetError(f"_npx_constraint_check: argument 'input' must have dtype bool, "
                         f"got {cond.dtype}")
    if not bool(cond.all()):
        raise ConstraintViolation(attrs.msg)
    return xp.ones((), dtype=bool)
