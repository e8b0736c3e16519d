"""``_np_dot``, ``_npi_matmul``, ``_npi_tensordot``, ``_npi_einsum`` for the ``mx.np`` front end.

These follow NumPy's shape rules, not the legacy ``dot``'s. Every product
except einsum is a tensor contraction: the general kernel transposes to
(free, summed) x (summed, free) and makes one GEMM, and one gradient rule
(``tensordot_grads``) serves them all. A product by a matrix is the legacy
``dot``'s computation, so it uses that op's gradient rule and, when large,
its backend kernel (``gemm``). As in MXNet 1.9.1 both operands must have
one floating-point dtype; einsum also takes integers.
"""
import numpy as np

from ..base import MXNetError
from . import registry as _registry
from .linalg import _dot_grad, _mT, _matmul_grads, _size
from .np_einsum import einsum_grads, einsum_plan
from .params import Param
from .registry import register

_FLOATS = ("float16", "float32", "float64")
_FLOAT_DTYPES = frozenset(np.dtype(t) for t in _FLOATS)


def _same_float(op, types=_FLOATS):
    """infer_type for two operands of one dtype among ``types``."""
    def infer(attrs, dtypes):
        known = [t for t in dtypes if t is not None]
        if not known:
            return dtypes, [None]
        check_dtypes(op, known, types)
        return [known[0]] * len(dtypes), [known[0]]
    return infer


def check_dtypes(op, names, types=_FLOATS):
    """Raise unless all dtype ``names`` are one dtype among ``types``."""
    if any(t != names[0] for t in names):
        raise MXNetError(f"{op}: operands must have one dtype, got {', '.join(names)}")
    if names[0] not in types:
        raise MXNetError(f"{op}: dtype {names[0]} is not supported (expected one of "
                         f"{', '.join(types)})")


_F32 = np.dtype("float32")
# Products of fewer multiply-adds stay on NumPy: the oneDNN backend leaves them to
# NumPy too (its own threshold), and the detour through the legacy operator costs ~3 us.
_BACKEND_MIN_MACS = 1 << 21


def gemm(xp, a, b):
    """``a @ b`` for matrices: large float32 host products go through the legacy
    ``dot`` operator, so that the oneDNN backend, when loaded, runs them on its
    threads (NumPy's BLAS is then kept to one) exactly as for ``mx.nd.dot``.
    (Batches stay on NumPy: oneDNN's batched matmul measured 4x slower than NumPy's
    for 8 x 64 x 64 products.)"""
    if a.dtype is _F32 and b.dtype is _F32 and xp is np and a.ndim == 2 == b.ndim \
            and a.size * b.shape[1] >= _BACKEND_MIN_MACS:
        return _registry.run_host_op("dot", xp, None, a, b)
    return xp.matmul(a, b)


def _check_pair(op, a, b):
    """check_dtypes for two arrays, without NumPy's slow dtype names when they pass."""
    if a.dtype is not b.dtype and a.dtype != b.dtype or a.dtype not in _FLOAT_DTYPES:
        check_dtypes(op, [a.dtype.name, b.dtype.name])


# -- tensordot: the contraction kernel and gradient everything shares ------------------

def _norm_axes(op, axes, ndim, which):
    out = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise MXNetError(f"{op}: axis {ax} of {which} is out of range for {ndim} dimensions")
        out.append(ax % ndim)
    if len(set(out)) != len(out):
        raise MXNetError(f"{op}: repeated axis in {which}'s summed axes {tuple(axes)}")
    return out


def contraction(op, ashape, bshape, a_axes, b_axes):
    """Checked (a_axes, b_axes, out_shape) of summing ``a_axes`` of a against ``b_axes`` of b."""
    if len(a_axes) != len(b_axes):
        raise MXNetError(f"{op}: a and b must sum the same number of axes, got {tuple(a_axes)} "
                         f"and {tuple(b_axes)}")
    a_axes = _norm_axes(op, a_axes, len(ashape), "a")
    b_axes = _norm_axes(op, b_axes, len(bshape), "b")
    for i, j in zip(a_axes, b_axes):
        if ashape[i] != bshape[j]:
            raise MXNetError(f"{op}: shape mismatch for sum: a {tuple(ashape)} axis {i} has "
                             f"{ashape[i]}, b {tuple(bshape)} axis {j} has {bshape[j]}")
    out = tuple(d for i, d in enumerate(ashape) if i not in a_axes) + \
        tuple(d for j, d in enumerate(bshape) if j not in b_axes)
    return a_axes, b_axes, out


def _tensordot_kernel(xp, a, b, a_axes, b_axes, out_shape):
    """The contraction as one matrix product of contiguous operands."""
    if a.ndim == 2 and b.ndim == 2 and a_axes == [1] and b_axes == [0]:
        return gemm(xp, a, b)
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [j for j in range(b.ndim) if j not in b_axes]
    k = _size(a.shape[i] for i in a_axes)
    am = xp.transpose(a, a_free + a_axes).reshape(-1, k) if a.size else \
        xp.zeros((_size(a.shape[i] for i in a_free), k), a.dtype)
    bm = xp.transpose(b, b_axes + b_free).reshape(k, -1) if b.size else \
        xp.zeros((k, _size(b.shape[j] for j in b_free)), b.dtype)
    return gemm(xp, am, bm).reshape(out_shape)


def _inverse(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


def _argsort(values):
    return sorted(range(len(values)), key=values.__getitem__)


def tensordot_grads(F, a, b, a_axes, b_axes, g):
    """Gradients of ``tensordot(a, b, (a_axes, b_axes))`` from output gradient ``g``,
    built from tensordot and transpose so they are differentiable again."""
    from . import registry
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [j for j in range(b.ndim) if j not in b_axes]
    na = len(a_free)
    ga = gb = None
    if registry.input_grad_needed(0):
        # g's b-part against b's free axes leaves a's free axes then its summed ones.
        ga = F._internal._npi_tensordot(g, b, a_axes_summed=tuple(range(na, g.ndim)),
                                        b_axes_summed=tuple(b_free))
        # b's summed axes remain in b's order; each stands for its paired axis of a.
        perm = _inverse(a_free + [a_axes[k] for k in _argsort(b_axes)])
        if perm != tuple(range(a.ndim)):
            ga = F.transpose(ga, axes=perm)
    if registry.input_grad_needed(1):
        gb = F._internal._npi_tensordot(a, g, a_axes_summed=tuple(a_free),
                                        b_axes_summed=tuple(range(na)))
        perm = _inverse([b_axes[k] for k in _argsort(a_axes)] + b_free)
        if perm != tuple(range(b.ndim)):
            gb = F.transpose(gb, axes=perm)
    return [ga, gb]


# -- _np_dot -----------------------------------------------------------------------------

def _dot_axes(ashape, bshape):
    """NumPy dot as a contraction: a scalar multiplies, otherwise a's last axis
    meets b's only axis or its second to last."""
    if not ashape or not bshape:
        return [], []
    return [len(ashape) - 1], [max(len(bshape) - 2, 0)]


def _dot_contraction(ashape, bshape):
    return contraction("_np_dot", ashape, bshape, *_dot_axes(ashape, bshape))


def _dot_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    return shapes, [_dot_contraction(*shapes)[2]]


def _np_dot_grad(F, attrs, ins, outs, g):
    a, b = ins
    if b.ndim == 2 and a.ndim >= 1:
        # Then NumPy's dot is the legacy one, whose rule multiplies with transposed
        # operands directly (no transposed copies, as the general contraction makes).
        return _dot_grad(F, _registry.get("dot").default_attrs(), ins, outs, g)
    return tensordot_grads(F, a, b, *_dot_contraction(a.shape, b.shape)[:2], g[0])


@register("_np_dot", inputs=("a", "b"), infer_shape=_dot_shape,
          infer_type=_same_float("_np_dot"), gradient=_np_dot_grad)
def _np_dot(xp, attrs, a, b):
    """NumPy's dot: a scalar operand scales the other; otherwise sums the last
    axis of a with the only (1-d) or second-to-last axis of b."""
    _check_pair("_np_dot", a, b)
    if b.ndim == 2 and a.ndim >= 1 and a.shape[-1] == b.shape[0]:  # one GEMM
        if a.ndim == 2:
            return gemm(xp, a, b)
        return gemm(xp, a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
    a_axes, b_axes, out = _dot_contraction(a.shape, b.shape)
    if a.ndim == 1 and b.ndim == 1:
        return xp.asarray(xp.dot(a, b))
    return _tensordot_kernel(xp, a, b, a_axes, b_axes, out)


# -- _npi_tensordot, _npi_tensordot_int_axes -----------------------------------------------

def _int_axes(op, axes, ashape, bshape):
    if axes < 0 or axes > len(ashape) or axes > len(bshape):
        raise MXNetError(f"{op}: axes must be between 0 and both operands' dimensions, got "
                         f"{axes} for shapes {tuple(ashape)} and {tuple(bshape)}")
    return list(range(len(ashape) - axes, len(ashape))), list(range(axes))


def _td_int(ashape, bshape, attrs):
    op = "_npi_tensordot_int_axes"
    return contraction(op, ashape, bshape, *_int_axes(op, attrs.axes, ashape, bshape))


def _td(ashape, bshape, attrs):
    return contraction("_npi_tensordot", ashape, bshape, attrs.a_axes_summed,
                       attrs.b_axes_summed)


def _register_tensordot(name, params, plan):
    def infer_shape(attrs, shapes):
        if None in shapes:
            return shapes, [None]
        return shapes, [plan(shapes[0], shapes[1], attrs)[2]]

    def gradient(F, attrs, ins, outs, g):
        a_axes, b_axes, _ = plan(ins[0].shape, ins[1].shape, attrs)
        return tensordot_grads(F, ins[0], ins[1], a_axes, b_axes, g[0])

    def kernel(xp, attrs, a, b):
        _check_pair(name, a, b)
        return _tensordot_kernel(xp, a, b, *plan(a.shape, b.shape, attrs))
    kernel.__doc__ = "Sum products of a and b over the paired axes (NumPy's tensordot)."
    register(name, inputs=("a", "b"), params=params, infer_shape=infer_shape,
             infer_type=_same_float(name), gradient=gradient)(kernel)


_register_tensordot("_npi_tensordot", {
    "a_axes_summed": Param("shape", doc="Axes of a to sum over."),
    "b_axes_summed": Param("shape", doc="Axes of b to sum over, paired with a's.")}, _td)
_register_tensordot("_npi_tensordot_int_axes", {
    "axes": Param("int", doc="Sum the last `axes` axes of a with the first of b.")}, _td_int)


# -- _npi_matmul ---------------------------------------------------------------------------

def matmul_shape(op, ashape, bshape):
    """Output shape of NumPy's matmul: 1-d operands gain then lose a unit axis,
    leading (batch) axes broadcast."""
    if not ashape or not bshape:
        raise MXNetError(f"{op}: multiplication by scalars is not allowed (shapes "
                         f"{tuple(ashape)} and {tuple(bshape)}); use multiply")
    a = (1,) + tuple(ashape) if len(ashape) == 1 else tuple(ashape)
    b = tuple(bshape) + (1,) if len(bshape) == 1 else tuple(bshape)
    if a[-1] != b[-2]:
        raise MXNetError(f"{op}: last axis of a {tuple(ashape)} ({a[-1]}) does not match the "
                         f"{'only' if len(bshape) == 1 else 'second-to-last'} axis of b "
                         f"{tuple(bshape)} ({b[-2]})")
    lead_a, lead_b = a[:-2], b[:-2]
    n = max(len(lead_a), len(lead_b))
    batch = []
    for x, y in zip((1,) * (n - len(lead_a)) + lead_a, (1,) * (n - len(lead_b)) + lead_b):
        if x != y and 1 not in (x, y):
            raise MXNetError(f"{op}: batch axes of a {tuple(ashape)} and b {tuple(bshape)} "
                             f"do not broadcast")
        batch.append(y if x == 1 else x)
    out = tuple(batch)
    if len(ashape) > 1:
        out += (a[-2],)
    if len(bshape) > 1:
        out += (b[-1],)
    return out


def _matmul_grad(F, attrs, ins, outs, g):
    a, b = ins
    if a.ndim == 2 and b.ndim == 2:  # the legacy dot's product: its rule (see _np_dot_grad)
        return _dot_grad(F, _registry.get("dot").default_attrs(), ins, outs, g)
    g = g[0]
    # 1-d operands as the matrices matmul made of them, with g given their unit axes.
    a2 = F.reshape(a, shape=(1, -1)) if a.ndim == 1 else a
    b2 = F.reshape(b, shape=(-1, 1)) if b.ndim == 1 else b
    if a.ndim == 1:
        g = F.expand_dims(g, axis=g.ndim - 1 if b.ndim > 1 else g.ndim)
    if b.ndim == 1:
        g = F.expand_dims(g, axis=g.ndim)

    def mm(x, y, tx, ty):
        return F._internal._npi_matmul(_mT(F, x) if tx else x, _mT(F, y) if ty else y)
    da, db = _matmul_grads(mm, a2, b2, g, False, False)
    if da is not None:
        da = F.reshape_like(_sum_to(F, da, a2), a) if a.ndim == 1 else _sum_to(F, da, a)
    if db is not None:
        db = F.reshape_like(_sum_to(F, db, b2), b) if b.ndim == 1 else _sum_to(F, db, b)
    return [da, db]


def _sum_to(F, grad, x):
    """``grad`` summed over the batch axes that broadcasting gave it beyond ``x``'s."""
    if tuple(grad.shape) == tuple(x.shape):
        return grad
    return F._internal._reduce_sum_like(grad, x)


@register("_npi_matmul", inputs=("a", "b"),
          infer_shape=lambda attrs, s: (s, [None if None in s else
                                            matmul_shape("_npi_matmul", *s)]),
          infer_type=_same_float("_npi_matmul"), gradient=_matmul_grad)
def _npi_matmul(xp, attrs, a, b):
    """NumPy's matmul: matrix products over the last two axes, broadcasting the
    leading ones; a 1-d operand is a row (a) or column (b) vector."""
    _check_pair("_npi_matmul", a, b)
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0]:
        return gemm(xp, a, b)
    matmul_shape("_npi_matmul", a.shape, b.shape)
    return xp.asarray(xp.matmul(a, b))


# -- _npi_einsum ---------------------------------------------------------------------------

def _einsum_shape(attrs, shapes):
    if None in shapes:
        return shapes, [None]
    return shapes, [einsum_plan(attrs.subscripts, shapes).out_shape]


def _einsum_type(attrs, dtypes):
    known = [t for t in dtypes if t is not None]
    if not known:
        return dtypes, [None]
    check_dtypes("_npi_einsum", known, known[:1])
    return [known[0]] * len(dtypes), [known[0]]


def _einsum_grad(F, attrs, ins, outs, g):
    grads = F._internal._npi_einsum_backward(g[0], *ins, num_args=len(ins) + 1,
                                             subscripts=attrs.subscripts)
    return list(grads) if len(ins) > 1 else [grads]


@register("_npi_einsum", inputs=("data",), variadic="num_args",
          params={"subscripts": Param("str", "", "Einstein summation subscripts, as NumPy's."),
                  "optimize": Param("int", 0, "Whether to search a contraction order.")},
          infer_shape=_einsum_shape, infer_type=_einsum_type, gradient=_einsum_grad)
def _npi_einsum(xp, attrs, *operands):
    """Einstein summation of the operands as NumPy's einsum spells it."""
    check_dtypes("_npi_einsum", [x.dtype.name for x in operands],
                 [operands[0].dtype.name])
    plan = einsum_plan(attrs.subscripts, [x.shape for x in operands])
    return xp.asarray(xp.einsum(plan.explicit, *operands, optimize=bool(attrs.optimize)))


@register("_npi_einsum_backward", inputs=("data",), variadic="num_args",
          params={"subscripts": Param("str", "", "The forward einsum's subscripts.")},
          num_outputs=lambda attrs: attrs.num_args - 1,
          infer_shape=lambda attrs, s: (s, list(s[1:])),
          infer_type=lambda attrs, t: (t, list(t[1:])))
def _npi_einsum_backward(xp, attrs, g, *operands):
    """Gradients of an einsum's operands from its output gradient (first input)."""
    return tuple(einsum_grads(xp, attrs.subscripts, g, operands))
