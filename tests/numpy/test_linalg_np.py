"""mx.np.linalg against NumPy: values, shapes, dtypes, gradients and errors."""
import json

import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet import numpy as np
from mxnet.base import MXNetError

L = np.linalg


def _arr(x, dtype="float64"):
    return mx.nd.array(onp.asarray(x), dtype=dtype).as_np_ndarray()


def _rs(seed=0):
    return onp.random.RandomState(seed)


def _general(*shape, seed=0):
    """Well-conditioned square (batches of) matrices."""
    n = shape[-1]
    return _rs(seed).uniform(-1, 1, shape) + 3 * onp.eye(n)


def _spd(*shape, seed=0):
    a = _general(*shape, seed=seed)
    return a @ onp.swapaxes(a, -1, -2)


def _wide(*shape, seed=0):
    return _rs(seed).uniform(-1, 1, shape)


def _outputs(res):
    return list(res) if isinstance(res, (tuple, list)) else [res]


FORWARD = [
    ("inv", L.inv, onp.linalg.inv, [_general(3, 3)]),
    ("inv batch", L.inv, onp.linalg.inv, [_general(2, 4, 4)]),
    ("det", L.det, onp.linalg.det, [_general(3, 3)]),
    ("det batch", L.det, onp.linalg.det, [_general(2, 3, 3)]),
    ("slogdet", L.slogdet, onp.linalg.slogdet, [-_general(3, 3)]),
    ("cholesky", L.cholesky, onp.linalg.cholesky, [_spd(2, 3, 3)]),
    ("eigvalsh", L.eigvalsh, onp.linalg.eigvalsh, [_spd(3, 3)]),
    ("eigvals", L.eigvals, lambda a: onp.sort(onp.linalg.eigvals(a).real),
     [_spd(4, 4)]),
    ("solve vec", L.solve, onp.linalg.solve, [_general(3, 3), _wide(3)]),
    ("solve mat", L.solve, onp.linalg.solve, [_general(2, 3, 3), _wide(2, 3, 2)]),
    ("solve vec batch", L.solve, lambda a, b: onp.linalg.solve(a, b[..., None])[..., 0],
     [_general(2, 3, 3), _wide(2, 3)]),
    ("pinv", L.pinv, onp.linalg.pinv, [_wide(2, 3, 4)]),
    ("pinv rcond", lambda a: L.pinv(a, rcond=0.1), lambda a: onp.linalg.pinv(a, rcond=0.1),
     [_wide(3, 4)]),
    ("tensorinv", lambda a: L.tensorinv(a, ind=1), lambda a: onp.linalg.tensorinv(a, ind=1),
     [_general(6, 6).reshape(6, 2, 3)]),
    ("tensorsolve", L.tensorsolve, onp.linalg.tensorsolve,
     [_general(6, 6).reshape(2, 3, 6), _wide(2, 3)]),
    ("tensorsolve axes", lambda a, b: L.tensorsolve(a, b, axes=(0,)),
     lambda a, b: onp.linalg.tensorsolve(a, b, axes=(0,)),
     [_general(6, 6).reshape(6, 2, 3), _wide(2, 3)]),
    ("matrix_power 3", lambda a: L.matrix_power(a, 3), lambda a: onp.linalg.matrix_power(a, 3),
     [_general(3, 3)]),
    ("matrix_power -2", lambda a: L.matrix_power(a, -2),
     lambda a: onp.linalg.matrix_power(a, -2), [_general(3, 3)]),
    ("matrix_power 0", lambda a: L.matrix_power(a, 0), lambda a: onp.linalg.matrix_power(a, 0),
     [_general(2, 3, 3)]),
    ("multi_dot", lambda a, b, c: L.multi_dot([a, b, c]),
     lambda a, b, c: onp.linalg.multi_dot([a, b, c]), [_wide(3), _wide(3, 4), _wide(4, 2)]),
    ("multi_dot chain", lambda *xs: L.multi_dot(xs), lambda *xs: onp.linalg.multi_dot(xs),
     [_wide(6), _wide(6, 20), _wide(20, 2), _wide(2, 9), _wide(9)]),
]


@pytest.mark.parametrize("name,fn,ref,values", FORWARD, ids=[f[0] for f in FORWARD])
def test_forward(name, fn, ref, values):
    got = _outputs(fn(*[_arr(v) for v in values]))
    expected = _outputs(ref(*values))
    for g, e in zip(got, expected):
        assert isinstance(g, np.ndarray)
        assert g.shape == onp.shape(e) and g.dtype == onp.float64
        out = g.asnumpy()
        if name == "eigvals":
            out = onp.sort(out)
        onp.testing.assert_allclose(out, e, rtol=1e-6, atol=1e-10)


def test_float32_kept():
    a = _general(3, 3).astype("float32")
    for fn in (L.inv, L.det, L.cholesky, L.norm, L.pinv):
        arg = a @ a.T if fn is L.cholesky else a
        assert fn(_arr(arg, "float32")).dtype == onp.float32


def test_decompositions_reconstruct():
    a = _wide(2, 3, 5)
    ut, s, v = L.svd(_arr(a))
    assert ut.shape == (2, 3, 3) and s.shape == (2, 3) and v.shape == (2, 3, 5)
    rebuilt = onp.einsum("...ij,...j,...jk->...ik", ut.asnumpy(), s.asnumpy(), v.asnumpy())
    onp.testing.assert_allclose(rebuilt, a, atol=1e-12)
    p = _spd(3, 3)
    w, vec = L.eigh(_arr(p))
    onp.testing.assert_allclose(vec.asnumpy() @ onp.diag(w.asnumpy()) @ vec.asnumpy().T, p,
                                rtol=1e-10)
    up = onp.triu(p) + onp.tril(onp.ones((3, 3)), -1) * 7.0  # junk below: only U is read
    onp.testing.assert_allclose(L.eigvalsh(_arr(up), UPLO="U").asnumpy(),
                                onp.linalg.eigvalsh(p), rtol=1e-10)
    g = _spd(3, 3, seed=2) + onp.triu(onp.ones((3, 3)))
    w, vec = L.eig(_arr(g))
    onp.testing.assert_allclose(g @ vec.asnumpy(), vec.asnumpy() * w.asnumpy(), atol=1e-9)


NORMS = [
    (None, None, False), (None, 1, False), (1, 0, False), (3, 1, True), (onp.inf, 1, False),
    (-onp.inf, 0, False), (0, 1, False), ("fro", None, False), ("nuc", None, False),
    (2, None, False), (-2, None, False), (1, None, False), (-1, None, True),
    (onp.inf, None, False), (-onp.inf, (1, 0), False), ("fro", (0, 1), True),
]


@pytest.mark.parametrize("order,axis,keepdims", NORMS)
def test_norm(order, axis, keepdims):
    x = _wide(3, 4, seed=3)
    got = L.norm(_arr(x), order, axis, keepdims)
    expected = onp.linalg.norm(x, order, axis, keepdims)
    assert got.shape == onp.shape(expected)
    onp.testing.assert_allclose(got.asnumpy(), expected, rtol=1e-10)
    if order != 0:
        _check_grad(lambda a: L.norm(a, order, axis, keepdims),
                    lambda a: onp.linalg.norm(a, order, axis, keepdims), [x])


def test_norm_batched_and_flat():
    x = _wide(2, 3, 4)
    onp.testing.assert_allclose(L.norm(_arr(x)).asnumpy(), onp.linalg.norm(x))
    onp.testing.assert_allclose(L.norm(_arr(x), axis=(1, 2)).asnumpy(),
                                onp.linalg.norm(x, axis=(1, 2)))
    onp.testing.assert_allclose(L.norm(_arr(x), "nuc", axis=(2, 1)).asnumpy(),
                                onp.linalg.norm(x, "nuc", axis=(2, 1)), rtol=1e-10)


def _check_grad(fn, ref, values, sym=False, eps=1e-6, heads=None):
    """Directional derivative check: <grad, D> against (f(x + eD) - f(x - eD)) / 2e
    for a random direction D (symmetric when ``sym``), on sum(head * output)."""
    arrays = [_arr(v) for v in values]
    for x in arrays:
        x.attach_grad()
    with autograd.record():
        outs = _outputs(fn(*arrays))
        hs = heads or [_rs(9).uniform(-1, 1, o.shape) for o in outs]
        loss = None
        for o, h in zip(outs, hs):
            term = mx.nd.sum(o.as_nd_ndarray() * mx.nd.array(h, dtype="float64"))
            loss = term if loss is None else loss + term
    loss.backward()
    rs = _rs(5)
    dirs = []
    for v in values:
        d = rs.uniform(-1, 1, onp.shape(v))
        dirs.append((d + onp.swapaxes(d, -1, -2)) / 2 if sym else d)

    def total(shift):
        res = _outputs(ref(*[v + shift * d for v, d in zip(values, dirs)]))
        return sum((onp.asarray(r) * h).sum() for r, h in zip(res, hs))
    numeric = (total(eps) - total(-eps)) / (2 * eps)
    analytic = sum((x.grad.asnumpy() * d).sum() for x, d in zip(arrays, dirs))
    onp.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


GRADS = [
    ("inv", L.inv, onp.linalg.inv, [_general(2, 3, 3)], False),
    ("det", L.det, onp.linalg.det, [_general(2, 3, 3)], False),
    ("slogdet", lambda a: L.slogdet(a)[1], lambda a: onp.linalg.slogdet(a)[1],
     [-_general(3, 3)], False),
    ("cholesky", L.cholesky, onp.linalg.cholesky, [_spd(2, 3, 3)], True),
    ("solve vec", L.solve, onp.linalg.solve, [_general(3, 3), _wide(3)], False),
    ("solve mat", L.solve, onp.linalg.solve, [_general(2, 3, 3), _wide(2, 3, 2)], False),
    ("pinv", L.pinv, onp.linalg.pinv, [_wide(2, 3, 4)], False),
    ("eigvalsh", L.eigvalsh, onp.linalg.eigvalsh, [_spd(3, 3)], True),
    ("eigh", lambda a: [L.eigh(a)[0], mx.nd.square(L.eigh(a)[1].as_nd_ndarray())],
     lambda a: [onp.linalg.eigh(a)[0], onp.linalg.eigh(a)[1] ** 2], [_spd(3, 3)], True),
    ("svd", lambda a: [mx.nd.square(x.as_nd_ndarray()) if i != 1 else x
                       for i, x in enumerate(L.svd(a))],
     lambda a: [x ** 2 if i != 1 else x for i, x in
                enumerate(onp.linalg.svd(a, full_matrices=False))], [_wide(2, 3, 4)], False),
    ("tensorinv", lambda a: L.tensorinv(a, ind=1), lambda a: onp.linalg.tensorinv(a, ind=1),
     [_general(6, 6).reshape(6, 2, 3)], False),
    ("tensorsolve", lambda a, b: L.tensorsolve(a, b, axes=(0,)),
     lambda a, b: onp.linalg.tensorsolve(a, b, axes=(0,)),
     [_general(6, 6).reshape(6, 2, 3), _wide(2, 3)], False),
    ("matrix_power", lambda a: L.matrix_power(a, -3), lambda a: onp.linalg.matrix_power(a, -3),
     [_general(3, 3)], False),
    ("multi_dot", lambda *xs: L.multi_dot(xs), lambda *xs: onp.linalg.multi_dot(xs),
     [_wide(5, 20), _wide(20, 2), _wide(2, 9), _wide(9, 3)], False),
]


@pytest.mark.parametrize("name,fn,ref,values,sym", GRADS, ids=[g[0] for g in GRADS])
def test_gradients(name, fn, ref, values, sym):
    _check_grad(fn, ref, values, sym)


def test_host_functions():
    a = _wide(5, 3)
    q, r = L.qr(_arr(a))
    onp.testing.assert_allclose(q.asnumpy() @ r.asnumpy(), a, atol=1e-12)
    x, res, rank, s = L.lstsq(_arr(a), _arr(onp.ones(5)), rcond=None)
    ex, eres, erank, es = onp.linalg.lstsq(a, onp.ones(5), rcond=None)
    onp.testing.assert_allclose(x.asnumpy(), ex, rtol=1e-10)
    assert rank == erank == 3
    assert int(L.matrix_rank(_arr(onp.ones((3, 3)))).asnumpy()) == 1
    onp.testing.assert_allclose(float(L.cond(_arr(_general(3, 3))).asnumpy()),
                                onp.linalg.cond(_general(3, 3)))


BAD = [
    ("int dtype", lambda: L.inv(_arr(onp.eye(2), "int32"))),
    ("float16", lambda: L.det(_arr(onp.eye(2), "float16"))),
    ("not square", lambda: L.inv(_arr(_wide(2, 3)))),
    ("1-d", lambda: L.det(_arr(_wide(3)))),
    ("singular", lambda: L.inv(_arr(onp.zeros((2, 2))))),
    ("not positive definite", lambda: L.cholesky(_arr(-onp.eye(2)))),
    ("complex eigenvalues", lambda: L.eigvals(_arr([[0.0, -1.0], [1.0, 0.0]]))),
    ("svd tall", lambda: L.svd(_arr(_wide(4, 3)))),
    ("solve shapes", lambda: L.solve(_arr(_general(3, 3)), _arr(_wide(4)))),
    ("solve batch", lambda: L.solve(_arr(_general(2, 3, 3)), _arr(_wide(3, 3, 1)))),
    ("tensorinv ind", lambda: L.tensorinv(_arr(_wide(2, 3)), ind=1)),
    ("tensorsolve", lambda: L.tensorsolve(_arr(_wide(2, 3, 5)), _arr(_wide(2, 3)))),
    ("norm axis", lambda: L.norm(_arr(_wide(2, 3)), axis=2)),
    ("norm order", lambda: L.norm(_arr(_wide(2, 3)), "bad")),
    ("norm matrix order", lambda: L.norm(_arr(_wide(2, 3)), 3)),
    ("pinv hermitian", lambda: L.pinv(_arr(_wide(2, 2)), hermitian=True)),
    ("not an array", lambda: L.inv(onp.eye(2))),
    ("matrix_power float", lambda: L.matrix_power(_arr(_general(2, 2)), 1.5)),
]


@pytest.mark.parametrize("name,call", BAD, ids=[b[0] for b in BAD])
def test_errors(name, call):
    with pytest.raises(MXNetError):
        for out in _outputs(call()):
            out.asnumpy()


def test_symbol_names():
    a = mx.sym.var("a")
    assert L.inv(a).list_arguments() == ["a"]
    x = mx.nd._internal._npi_det(mx.nd.array(_general(3, 3)))
    assert x.shape == ()


def test_norm_graph_attrs_as_mxnet():
    y = L.norm(mx.sym.var("x"))
    node = [n for n in json.loads(y.tojson())["nodes"] if n["op"] != "null"][0]
    assert node["op"] == "_npi_norm" and node["attrs"]["flag"] == "-2"
    # MXNet 1.9.1 writes an infinite order as flag -1 with ord 'inf', 'fro' as flag 1.
    x = _wide(3, 4)
    for attrs, expected in [({"ord": "inf", "flag": "-1", "axis": "(1,)"},
                             onp.linalg.norm(x, onp.inf, axis=1)),
                            ({"ord": "2", "flag": "1", "axis": "None"},
                             onp.linalg.norm(x, "fro"))]:
        sym = mx.sym._internal._npi_norm(mx.sym.var("x"), keepdims="False", **attrs)
        out = sym.bind(mx.context.current_context(), {"x": mx.nd.array(x, dtype="float64")}).forward()[0]
        onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-12)


def test_vector_signs_as_mxnet():
    """MXNet 1.9.1 signs each row of svd's V and each eigenvector of eigh so that its
    largest-magnitude entry is positive (UT's columns follow V's rows)."""
    for seed in range(5):
        a = _rs(seed).randn(2, 3, 5)
        ut, s, v = (x.asnumpy() for x in L.svd(_arr(a)))
        rows = onp.take_along_axis(v, onp.abs(v).argmax(-1)[..., None], -1)
        assert (rows > 0).all()
        onp.testing.assert_allclose(onp.einsum("...ij,...j,...jk->...ik", ut, s, v), a,
                                    atol=1e-12)
        p = a[..., :3] @ onp.swapaxes(a[..., :3], -1, -2)
        w, vec = (x.asnumpy() for x in L.eigh(_arr(p)))
        cols = onp.take_along_axis(vec, onp.abs(vec).argmax(-2)[..., None, :], -2)
        assert (cols > 0).all()


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_norm_gradient_low_precision_and_zero_vectors(dtype):
    x = _wide(4, 3)
    x[1] = 0  # a zero row: its gradient is 0, not NaN
    for order, axis in [(None, None), (2, 1), (1, 1), (0.5, 1), ("fro", None)]:
        a = _arr(x, dtype)
        a.attach_grad()
        with autograd.record():
            y = L.norm(a, order, axis)
        y.backward()
        n = onp.linalg.norm(x, order, axis, keepdims=True)
        safe = onp.where(n == 0, 1, n)
        with onp.errstate(divide="ignore", invalid="ignore"):
            expected = {None: x / safe, "fro": x / safe, 2: x / safe, 1: onp.sign(x),
                        0.5: onp.sign(x) * onp.abs(x) ** -0.5 / safe ** -0.5}[order]
        expected = onp.where(onp.isfinite(expected), expected, 0)
        assert a.grad.dtype == onp.dtype(dtype)
        onp.testing.assert_allclose(a.grad.asnumpy(), expected,
                                    rtol=2e-3 if dtype == "float16" else 1e-5, atol=1e-3)


@pytest.mark.parametrize("op,attrs,value,expected", [
    ("_npi_tensorsolve", {"a_axes": "None"}, None, None),
    ("_npi_tensorinv", {"ind": "1"}, _general(6, 6).reshape(6, 2, 3),
     onp.linalg.tensorinv(_general(6, 6).reshape(6, 2, 3), ind=1)),
    ("_npi_eigvalsh", {"UPLO": "L"}, _spd(3, 3), onp.linalg.eigvalsh(_spd(3, 3))),
    ("_npi_pinv_scalar_rcond", {"hermitian": "False", "rcond": "1e-15"}, _wide(3, 4),
     onp.linalg.pinv(_wide(3, 4))),
])
def test_graph_attrs_written_by_mxnet(op, attrs, value, expected):
    """Nodes with the attribute strings MXNet 1.9.1's graphs hold."""
    if op == "_npi_tensorsolve":
        a, b = _general(6, 6).reshape(2, 3, 6), _wide(2, 3)
        sym = mx.sym._internal._npi_tensorsolve(mx.sym.var("a"), mx.sym.var("b"), **attrs)
        args = {"a": mx.nd.array(a, dtype="float64"), "b": mx.nd.array(b, dtype="float64")}
        value, expected = None, onp.linalg.tensorsolve(a, b)
    else:
        sym = getattr(mx.sym._internal, op)(mx.sym.var("a"), **attrs)
        args = {"a": mx.nd.array(value, dtype="float64")}
    out = sym.bind(mx.context.current_context(), args).forward()[0]
    onp.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-8)


def test_multi_dot_out():
    vals = [_wide(4, 30), _wide(30, 2), _wide(2, 7)]
    out = _arr(onp.zeros((4, 7)))
    assert L.multi_dot([_arr(v) for v in vals], out=out) is out
    onp.testing.assert_allclose(out.asnumpy(), onp.linalg.multi_dot(vals), rtol=1e-12)
