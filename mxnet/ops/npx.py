"""``_npx_*`` operators: the ``mx.npx`` names of MXNet's neural-network and utility operators.

As in MXNet, most are aliases of the legacy operator (``_npx_fully_connected``
is ``FullyConnected``: a graph built by ``mx.npx`` stores the legacy name in
its JSON). ``_npx_relu`` and ``_npx_sigmoid`` are operators of their own in
MXNet, here declared as copies of ``relu``/``sigmoid`` (same kernel,
inference, gradient and backend overrides). ``_npx_reshape`` (NumPy-style
shape codes), ``_npx_nonzero`` and ``_npx_constraint_check`` are new.
"""
import copy

import numpy as np

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
        return _infer_reshape(src[::-1], spec[::-1], (src, spec, True))[::-1]
    return _infer_reshape(src, spec, (src, spec, False))


def _infer_reshape(src, spec, call):
    """``npx_reshape_shape`` matching from the left; ``call`` is the
    (shape, newshape, reverse) the errors quote."""
    out, unknown, src_i, i = [], None, 0, 0

    def bad(why):
        shape, newshape, reverse = call
        return MXNetError(f"_npx_reshape: cannot reshape {shape} to {newshape}"
                          f"{' (reverse=True)' if reverse else ''}: {why}")

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


class OpValueError(MXNetError, ValueError):
    """A failed value check (``npx.constraint_check``, a bernoulli
    probability out of [0, 1]): a ``ValueError`` as in MXNet, and an
    ``MXNetError`` so the engine reports it unchanged."""


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
        raise OpValueError(attrs.msg)
    return xp.ones((), dtype=bool)


# -- mx.npx.random: batched samplers and bernoulli --------------------------------------------

def _batch_shape(op_name, attrs, param_shapes):
    """``size`` (the batch shape) followed by the parameters' broadcast shape."""
    from .np_random import sample_shape
    return tuple(attrs.size or ()) + sample_shape(op_name, None, param_shapes)


def _declare_batched(name, base_name):
    """``name``: ``base_name``'s sampler with ``size`` read as a batch shape put
    before the parameters' broadcast shape (MXNet's ``_npi_uniform_n``...).
    Kernel, parameters and gradient are the base sampler's, run with the full
    output shape as its ``size``."""
    base = registry.get(base_name)
    op = copy.copy(base)
    op.name = name
    op.aliases = ()
    op._cache = {}
    op._defaults = None

    def full_attrs(attrs, shapes):
        return base.parse(dict(attrs, size=_batch_shape(name, attrs, shapes)))

    def compute(xp, attrs, *arrays, rng):
        return base.compute(xp, full_attrs(attrs, [a.shape for a in arrays]), *arrays, rng=rng)

    def infer_shape(attrs, shapes):
        if None in shapes:
            return shapes, [None]
        return shapes, [_batch_shape(name, attrs, [tuple(s) for s in shapes])]

    op.compute = compute
    op.infer_shape = infer_shape
    op.doc = f"Samples of ``{base_name}`` with ``size`` as a batch shape before the " \
             "parameters' broadcast shape."
    registry.add(op)


_declare_batched("_npi_uniform_n", "_npi_uniform")
_declare_batched("_npi_normal_n", "_npi_normal")


def _bernoulli_inputs(attrs):
    given = attrs.logit if attrs.is_logit else attrs.prob
    return ("input1",) if given is None else ()


def _bernoulli_shape(attrs, shapes):
    from .np_random import sample_shape
    if None in shapes:
        return shapes, [None]
    return shapes, [sample_shape("_npi_bernoulli", attrs.size, [tuple(s) for s in shapes])]


@register("_npi_bernoulli", inputs=("input1",), active_inputs=_bernoulli_inputs,
          params={"prob": Param("float", optional=True, doc="Probability of 1 (or None: "
                                "the array input)."),
                  "logit": Param("float", optional=True, doc="Log-odds of 1 (or None: the "
                                 "array input)."),
                  "size": Param("shape", None, doc="Output shape (None: the input's)."),
                  "ctx": Param("str", "cpu", doc="Device of the output (set by the front end)."),
                  "dtype": Param("dtype", "float32", choices=("bool", "float16", "float32",
                                                              "float64", "int32", "uint8")),
                  "is_logit": Param("bool", doc="Whether the parameter is a logit.")},
          resources=("rng",), infer_shape=_bernoulli_shape,
          infer_type=lambda attrs, t: (t, [attrs.dtype]),
          gradient=lambda F, attrs, ins, outs, g: [F.zeros_like(x) for x in ins])
def _npi_bernoulli(xp, attrs, *arrays, rng):
    """1 with probability ``prob`` (or ``sigmoid(logit)``), else 0; the
    parameter is a number or an array broadcasting to ``size``."""
    from .np_random import sample_shape
    from .random import _host
    value = attrs.logit if attrs.is_logit else attrs.prob
    if arrays:
        value = _host(xp, arrays[0]).astype(np.float64)
    if attrs.is_logit:
        value = 1.0 / (1.0 + np.exp(-np.asarray(value, dtype=np.float64)))
    elif np.any((np.asarray(value) < 0) | (np.asarray(value) > 1)):
        raise OpValueError("_npi_bernoulli: 'prob' must be in [0, 1]")
    size = sample_shape("_npi_bernoulli", attrs.size, [a.shape for a in arrays])
    out = rng.random(size) < value
    return xp.asarray(out.astype(attrs.dtype))
