"""mx.np products (dot, matmul, tensordot, inner, outer, vdot, einsum) against NumPy."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet import numpy as np
from mxnet.base import MXNetError


def _arr(x, dtype="float64"):
    return mx.nd.array(onp.asarray(x), dtype=dtype).as_np_ndarray()


def _rand(*shape, seed=0):
    return onp.random.RandomState(seed + len(shape)).uniform(-1, 1, shape)


def _numeric_grads(f, values, head, eps=1e-6):
    """Central-difference gradients of sum(head * f(*values)) in float64."""
    grads = []
    for i, v in enumerate(values):
        g = onp.zeros_like(v)
        for idx in onp.ndindex(*v.shape):
            plus, minus = [x.copy() for x in values], [x.copy() for x in values]
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = ((head * f(*plus)).sum() - (head * f(*minus)).sum()) / (2 * eps)
        grads.append(g)
    return grads


def _check(fn, ref, shapes, rtol=1e-5):
    """Forward and gradients of ``fn`` (mx.np) against ``ref`` (NumPy)."""
    values = [_rand(*s, seed=k) for k, s in enumerate(shapes)]
    arrays = [_arr(v) for v in values]
    for x in arrays:
        x.attach_grad()
    with autograd.record():
        y = fn(*arrays)
    expected = ref(*values)
    assert isinstance(y, np.ndarray)
    assert y.shape == onp.shape(expected) and y.dtype == onp.float64
    onp.testing.assert_allclose(y.asnumpy(), expected, rtol=rtol, atol=1e-12)
    head = _rand(*onp.shape(expected), seed=7)
    y.backward(_arr(head))
    for x, g in zip(arrays, _numeric_grads(ref, values, head)):
        onp.testing.assert_allclose(x.grad.asnumpy(), g, rtol=1e-5, atol=1e-8)


DOT_SHAPES = [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
              ((), (2, 3)), ((2, 3), ()), ((2, 3, 4), (5, 4, 2)), ((2, 3, 4), (4,)),
              ((0, 3), (3, 2)), ((2, 0), (0, 3))]


@pytest.mark.parametrize("sa,sb", DOT_SHAPES)
def test_dot(sa, sb):
    _check(np.dot, onp.dot, [sa, sb])


MATMUL_SHAPES = [((2, 3), (3, 4)), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((5, 3, 4), (4,)), ((4,), (2, 4, 3)),
                 ((1, 2, 3), (4, 3, 2)), ((0, 2, 3), (3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES)
def test_matmul(sa, sb):
    _check(np.matmul, onp.matmul, [sa, sb])


def test_matmul_operator_and_method():
    a, b = _rand(2, 3), _rand(3, 4)
    onp.testing.assert_allclose((_arr(a) @ _arr(b)).asnumpy(), a @ b, rtol=1e-12)
    onp.testing.assert_allclose(_arr(a).dot(_arr(b)).asnumpy(), a @ b, rtol=1e-12)


@pytest.mark.parametrize("sa,sb,axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (4, 5), 0), ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
    ((3, 4), (4, 3), ((0, 1), (1, 0))), ((2, 3), (3, 2), (-1, 0)), ((3,), (3,), 1)])
def test_tensordot(sa, sb, axes):
    _check(lambda a, b: np.tensordot(a, b, axes), lambda a, b: onp.tensordot(a, b, axes),
           [sa, sb])


@pytest.mark.parametrize("fn,sa,sb", [
    ("inner", (2, 3), (4, 3)), ("inner", (3,), (3,)), ("inner", (), (2, 3)),
    ("outer", (2, 3), (4,)), ("outer", (3,), (2,)), ("vdot", (2, 3), (3, 2)),
    ("vdot", (4,), (2, 2))])
def test_inner_outer_vdot(fn, sa, sb):
    _check(getattr(np, fn), getattr(onp, fn), [sa, sb])


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("ij->ji", [(2, 3)]), ("i,i", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]),
    ("...j,jk", [(2, 5, 3), (3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij->", [(2, 3)]), ("ijk,k->", [(2, 3, 4), (4,)]), ("i,jk->ijk", [(2,), (3, 4)]),
    ("iij->ji", [(2, 2, 3)]), ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)])]


@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES)
def test_einsum(subscripts, shapes):
    _check(lambda *xs: np.einsum(subscripts, *xs),
           lambda *xs: onp.einsum(subscripts, *xs), shapes)


def test_einsum_optimize_and_int():
    a, b = _rand(2, 3), _rand(3, 4)
    got = np.einsum("ij,jk->ik", _arr(a), _arr(b), optimize=True)
    onp.testing.assert_allclose(got.asnumpy(), a @ b, rtol=1e-6)
    i = onp.arange(6, dtype="int32").reshape(2, 3)
    got = np.einsum("ij,ij->i", _arr(i, "int32"), _arr(i, "int32"))
    assert got.dtype == onp.int32
    onp.testing.assert_array_equal(got.asnumpy(), onp.einsum("ij,ij->i", i, i))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("fn", ["dot", "matmul", "inner", "outer", "vdot", "tensordot"])
def test_dtypes_kept(fn, dtype):
    a, b = _rand(3, 3), _rand(3, 3)
    got = getattr(np, fn)(_arr(a, dtype), _arr(b, dtype))
    assert got.dtype == onp.dtype(dtype)
    ref = getattr(onp, fn)(a.astype(dtype), b.astype(dtype))
    onp.testing.assert_allclose(got.asnumpy(), ref, rtol=1e-2 if dtype == "float16" else 1e-5)


@pytest.mark.parametrize("fn", ["dot", "matmul", "tensordot", "einsum"])
def test_out(fn):
    a, b = _rand(2, 3), _rand(3, 4)
    out = _arr(onp.zeros((2, 4)))
    if fn == "einsum":
        res = np.einsum("ij,jk->ik", _arr(a), _arr(b), out=out)
    elif fn == "tensordot":
        return  # NumPy's tensordot has no out=
    else:
        res = getattr(np, fn)(_arr(a), _arr(b), out=out)
    assert res is out
    onp.testing.assert_allclose(out.asnumpy(), a @ b, rtol=1e-6)


BAD_CALLS = [
    ("dot mismatch", lambda: np.dot(_arr(_rand(2, 3)), _arr(_rand(2, 3)))),
    ("dot int", lambda: np.dot(_arr([1, 2], "int32"), _arr([1, 2], "int32"))),
    ("dot mixed dtypes", lambda: np.dot(_arr(_rand(2, 3), "float32"), _arr(_rand(3, 2)))),
    ("dot python scalar", lambda: np.dot(_arr(_rand(2, 3)), 2.0)),
    ("matmul scalar", lambda: np.matmul(_arr(2.0), _arr(_rand(2, 3)))),
    ("matmul mismatch", lambda: np.matmul(_arr(_rand(2, 3)), _arr(_rand(2, 3)))),
    ("matmul batch", lambda: np.matmul(_arr(_rand(2, 2, 3)), _arr(_rand(3, 3, 2)))),
    ("tensordot axes", lambda: np.tensordot(_arr(_rand(2, 3)), _arr(_rand(3, 4)), 3)),
    ("tensordot sizes", lambda: np.tensordot(_arr(_rand(2, 3)), _arr(_rand(3, 4)),
                                             ([0], [0]))),
    ("einsum operands", lambda: np.einsum("ij,jk", _arr(_rand(2, 3)))),
    ("einsum sizes", lambda: np.einsum("ij,jk", _arr(_rand(2, 3)), _arr(_rand(4, 4)))),
    ("einsum letters", lambda: np.einsum("ij->k", _arr(_rand(2, 3)))),
    ("einsum rank", lambda: np.einsum("ijk", _arr(_rand(2, 3)))),
]


@pytest.mark.parametrize("name,call", BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_errors(name, call):
    with pytest.raises(MXNetError):
        call().asnumpy()


def test_legacy_internal_names():
    a, b = _rand(2, 3), _rand(3, 4)
    got = mx.nd._internal._np_dot(mx.nd.array(a), mx.nd.array(b))
    onp.testing.assert_allclose(got.asnumpy(), a @ b, rtol=1e-5)
    got = mx.nd._internal._npi_tensordot(mx.nd.array(a), mx.nd.array(b), a_axes_summed=(1,),
                                         b_axes_summed=(0,))
    onp.testing.assert_allclose(got.asnumpy(), a @ b, rtol=1e-5)


def test_second_order_matmul():
    a, b = _arr(_rand(2, 3)), _arr(_rand(3, 2))
    a.attach_grad()
    with autograd.record():
        y = np.matmul(a, b)
        (ga,) = autograd.grad(y, [a], create_graph=True, head_grads=_arr(onp.ones((2, 2))))
        z = ga * a
    z.backward()
    # ga = ones @ b.T does not depend on a, so d(sum(ga * a))/da is ga itself.
    onp.testing.assert_allclose(a.grad.asnumpy(), onp.ones((2, 2)) @ b.asnumpy().T)


def test_symbol_graph():
    a, b = _rand(2, 3), _rand(3, 4)
    y = np.dot(mx.sym.var("a"), mx.sym.var("b"))
    ex = y.bind(mx.context.current_context(), {"a": mx.nd.array(a), "b": mx.nd.array(b)})
    onp.testing.assert_allclose(ex.forward()[0].asnumpy(), a @ b, rtol=1e-5)


@pytest.mark.parametrize("build", [
    lambda a, b: np.matmul(a, b), lambda a, b: np.dot(a, b),
    lambda a, b: np.tensordot(a, b, 1), lambda a, b: np.einsum("ijk,k->ij", a, b)])
def test_graph_gradient_equals_autograd(build):
    a, b = _rand(2, 3, 4), _rand(4)
    ex = build(mx.sym.var("a"), mx.sym.var("b")).simple_bind(mx.context.current_context(), a=a.shape, b=b.shape)
    ex.arg_dict["a"][:] = a
    ex.arg_dict["b"][:] = b
    head = _rand(2, 3, seed=4)
    ex.forward(is_train=True)
    ex.backward(mx.nd.array(head))
    xa, xb = _arr(a, "float32"), _arr(b, "float32")
    xa.attach_grad()
    xb.attach_grad()
    with autograd.record():
        y = build(xa, xb)
    y.backward(_arr(head, "float32"))
    onp.testing.assert_allclose(ex.grad_dict["a"].asnumpy(), xa.grad.asnumpy(), rtol=1e-6)
    onp.testing.assert_allclose(ex.grad_dict["b"].asnumpy(), xb.grad.asnumpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", [np.dot, np.matmul, lambda a, b: np.tensordot(a, b, 1)])
def test_large_float32_products(fn):
    """Products big enough for the backend GEMM (oneDNN when loaded) equal NumPy's."""
    a, b = _rand(64, 256).astype("float32"), _rand(256, 192).astype("float32")
    x, w = _arr(a, "float32"), _arr(b, "float32")
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = fn(x, w)
    head = _rand(64, 192, seed=3).astype("float32")
    y.backward(_arr(head, "float32"))
    onp.testing.assert_allclose(y.asnumpy(), a @ b, rtol=1e-4, atol=1e-4)
    onp.testing.assert_allclose(x.grad.asnumpy(), head @ b.T, rtol=1e-4, atol=1e-4)
    onp.testing.assert_allclose(w.grad.asnumpy(), a.T @ head, rtol=1e-4, atol=1e-4)
