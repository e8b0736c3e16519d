"""Linear algebra: dot (MXNet's N-d semantics), batch_dot, khatri_rao and the
_linalg_* family, against NumPy and against MXNet 1.9.1 fixtures (sign
conventions of gelqf/syevd, symmetric gradients of potrf/syevd)."""
import json
import pathlib

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, run_case

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "ops" / "linalg.npz"

rng = np.random.default_rng(11)


def r(*shape, dtype=np.float32):
    return rng.normal(size=shape).astype(dtype)


def mT(a):
    return np.swapaxes(a, -1, -2)


SPD = (lambda x: x @ mT(x) + 3 * np.eye(3, dtype=np.float32))(r(2, 3, 3))
LOW = np.tril(r(2, 3, 3)) + 3 * np.eye(3, dtype=np.float32)

CASES = [
    Case("dot", [r(3, 4), r(4, 5)], ref=np.dot, grad=True),
    Case("dot", [r(2, 3, 4), r(4, 5)], ref=lambda a, b: np.tensordot(a, b, 1), grad=True,
         id="dot-3d-by-2d"),
    Case("dot", [r(2, 3, 4), r(4, 2, 5)], ref=lambda a, b: np.tensordot(a, b, 1), grad=True,
         id="dot-contracts-first-axis-of-rhs"),
    Case("dot", [r(2, 3, 4), r(2, 5)], {"transpose_a": True},
         ref=lambda a, b, transpose_a: np.tensordot(a, b, ([0], [0])), grad=True,
         id="dot-transpose_a-contracts-first-axis-of-lhs"),
    Case("dot", [r(2, 3, 4), r(5, 3, 4)], {"transpose_b": True},
         ref=lambda a, b, transpose_b: np.tensordot(a, b, ([2], [2])), grad=True,
         id="dot-transpose_b-contracts-last-axis-of-rhs"),
    Case("dot", [r(4, 3), r(5, 4)], {"transpose_a": True, "transpose_b": True},
         ref=lambda a, b, transpose_a, transpose_b: a.T @ b.T, grad=True),
    Case("dot", [r(3), r(3)], ref=lambda a, b: np.dot(a, b).reshape(1), grad=True,
         id="dot-vectors-gives-shape-1"),
    Case("dot", [r(3), r(3, 2)], ref=np.dot, grad=True),
    Case("dot", [r(3, 4, dtype=np.float64), r(4, dtype=np.float64)], ref=np.dot),
    Case("batch_dot", [r(2, 3, 4), r(2, 4, 5)], ref=np.matmul, grad=True),
    Case("batch_dot", [r(2, 4, 3), r(2, 5, 4)], {"transpose_a": True, "transpose_b": True},
         ref=lambda a, b, transpose_a, transpose_b: mT(a) @ mT(b), grad=True),
    Case("batch_dot", [r(2, 2, 3, 4), r(2, 2, 5, 4)], {"transpose_b": True},
         ref=lambda a, b, transpose_b: a @ mT(b), id="batch_dot-4d"),
    Case("khatri_rao", [r(2, 3), r(4, 3), r(2, 3)],
         ref=lambda *ms: np.einsum("ak,bk,ck->abck", *ms).reshape(-1, 3)),
    Case("linalg.gemm", [r(2, 3, 4), r(2, 4, 5), r(2, 3, 5)], {"alpha": 2.0, "beta": 0.5},
         ref=lambda a, b, c, alpha, beta: alpha * a @ b + beta * c, grad=True),
    Case("linalg_gemm2", [r(4, 3), r(5, 4)], {"transpose_a": True, "transpose_b": True},
         ref=lambda a, b, transpose_a, transpose_b: a.T @ b.T, grad=True, id="gemm2-alias"),
    Case("linalg.gemm2", [r(3, 2, 4), r(3, 2, 5)], {"transpose_a": True, "axis": 0},
         ref=lambda a, b, transpose_a, axis: np.moveaxis(
             mT(np.moveaxis(a, 0, -2)) @ np.moveaxis(b, 0, -2), -2, 0), grad=True,
         id="gemm2-rows-on-axis-0"),
    Case("linalg.potrf", [SPD], ref=np.linalg.cholesky, rtol=1e-4, atol=1e-5),
    Case("linalg.potri", [LOW], ref=lambda a: np.linalg.inv(np.tril(a) @ mT(np.tril(a))),
         grad=True, rtol=1e-4, atol=1e-5),
    Case("linalg.trmm", [r(2, 3, 3), r(2, 3, 4)], {"lower": False, "alpha": 2.0},
         ref=lambda a, b, lower, alpha: 2 * np.triu(a) @ b, grad=True),
    Case("linalg.trmm", [r(2, 3, 3), r(2, 4, 3)], {"rightside": True, "transpose": True},
         ref=lambda a, b, rightside, transpose: b @ mT(np.tril(a)), grad=True),
    Case("linalg.trsm", [LOW, r(2, 3, 2)], {"alpha": 0.5},
         ref=lambda a, b, alpha: np.linalg.solve(np.tril(a), 0.5 * b), grad=True,
         rtol=1e-4, atol=1e-5),
    Case("linalg.trsm", [mT(LOW), r(2, 2, 3)], {"rightside": True, "lower": False,
                                                "transpose": True},
         ref=lambda a, b, rightside, lower, transpose: b @ np.linalg.inv(mT(np.triu(a))),
         grad=True, rtol=1e-4, atol=1e-5),
    Case("linalg.sumlogdiag", [SPD], ref=lambda a: np.log(np.diagonal(a, 0, -2, -1)).sum(-1),
         grad=True),
    Case("linalg.sumlogdiag", [SPD[0]], ref=lambda a: np.log(np.diag(a)).sum().reshape(1),
         id="sumlogdiag-one-matrix-gives-shape-1"),
    Case("linalg.syrk", [r(2, 3, 4)], {"alpha": 0.5},
         ref=lambda a, alpha: 0.5 * a @ mT(a), grad=True),
    Case("linalg.syrk", [r(3, 4)], {"transpose": True}, ref=lambda a, transpose: a.T @ a,
         grad=True),
    Case("linalg.inverse", [SPD], ref=np.linalg.inv, grad=True, rtol=1e-4, atol=1e-5),
    Case("linalg.det", [r(2, 3, 3)], ref=np.linalg.det, grad=True, rtol=1e-4, atol=1e-5),
    Case("linalg.slogdet", [r(2, 3, 3)], ref=lambda a: tuple(np.linalg.slogdet(a)), grad=True,
         rtol=1e-4, atol=1e-5),
    Case("linalg.gelqf", [r(2, 3, 4, dtype=np.float64)],
         ref=lambda a: tuple(mT(x) for x in np.linalg.qr(mT(a))), grad=True),
    Case("linalg.extractdiag", [r(2, 4, 4)], {"offset": 1},
         ref=lambda a, offset: np.diagonal(a, 1, -2, -1), grad=True),
    Case("linalg.makediag", [r(2, 3)], {"offset": -1},
         ref=lambda a, offset: np.stack([np.diag(v, -1) for v in a]), grad=True),
    Case("linalg.extracttrian", [r(4, 4)], ref=lambda a: a[np.tril_indices(4)], grad=True),
    Case("linalg.extracttrian", [r(4, 4)], {"lower": False},
         ref=lambda a, lower: a.T[np.tril_indices(4)], grad=True,
         id="extracttrian-upper-is-column-by-column"),
    Case("linalg.extracttrian", [r(4, 4)], {"offset": 1},
         ref=lambda a, offset: a.T[np.tril_indices(4, -1)], id="extracttrian-above-diagonal"),
    Case("linalg.maketrian", [r(2, 6)], {"offset": 1},
         ref=lambda a, offset: np.stack([_upper(v, 4, 1) for v in a]), grad=True),
    Case("linalg.maketrian", [r(6)], ref=lambda a: _lower(a, 3), grad=True),
]


def _lower(v, n, k=0):
    out = np.zeros((n, n), v.dtype)
    out[np.tril_indices(n, k)] = v
    return out


def _upper(v, n, k=0):
    return _lower(v, n, -k).T


@pytest.mark.parametrize("case", CASES, ids=str)
def test_linalg_case(case):
    run_case(case)


def _fixture_cases():
    if not FIXTURES.exists():
        return []
    with np.load(FIXTURES) as data:
        names = sorted({k.rsplit(".", 1)[0] for k in data.files})
        cases = []
        for name in names:
            meta = json.loads(str(data[f"{name}.meta"]))
            flat = data[f"{name}.values"].astype(np.float64)
            groups, pos = {}, 0
            for kind in ("in", "out", "head", "grad"):
                groups[kind] = []
                for shape in meta["shapes"][kind]:
                    n = int(np.prod(shape))
                    groups[kind].append(flat[pos:pos + n].reshape(shape))
                    pos += n
            cases.append(pytest.param(meta["func"], meta["kwargs"], groups, id=name))
    return cases


@pytest.mark.parametrize("func, kwargs, arrays", _fixture_cases())
def test_linalg_matches_mxnet_outputs_and_gradients(func, kwargs, arrays):
    xs = [mx.nd.array(a, dtype="float64") for a in arrays["in"]]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        outs = getattr(mx.nd.linalg, func)(*xs, **kwargs)
    outs = outs if isinstance(outs, list) else [outs]
    for got, want in zip(outs, arrays["out"]):
        np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)
    mx.autograd.backward(outs, [mx.nd.array(h, dtype="float64") for h in arrays["head"]])
    for x, want in zip(xs, arrays["grad"]):
        np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-4, atol=1e-4)


def test_fixtures_are_present():
    assert len(_fixture_cases()) >= 20


def test_syevd_eigenvectors_are_rows_with_positive_largest_entry():
    a = mx.nd.array(SPD)
    u, lam = mx.nd.linalg.syevd(a)
    u, lam = u.asnumpy(), lam.asnumpy()
    np.testing.assert_allclose(mT(u) @ (lam[..., None] * u), SPD, rtol=1e-4, atol=1e-4)
    assert (np.diff(lam, axis=-1) >= 0).all()
    biggest = np.take_along_axis(u, np.abs(u).argmax(-1)[..., None], -1)
    assert (biggest > 0).all()


def test_gemm2_second_order_gradient():
    a, b = mx.nd.array(r(3, 3), dtype="float64"), mx.nd.array(r(3, 3), dtype="float64")
    a.attach_grad()
    with mx.autograd.record():
        y = mx.nd.linalg.gemm2(a, a) * b
        (ga,) = mx.autograd.grad(y, [a], create_graph=True)
        z = ga.sum()
    z.backward()
    bn = b.asnumpy()
    # The first gradient is b a^T + a^T b; the sum of its entries has gradient
    # (column sums of b) in every row plus (row sums of b) in every column.
    expected = np.ones((3, 1)) @ bn.sum(0, keepdims=True) + bn.sum(1, keepdims=True) @ \
        np.ones((1, 3))
    np.testing.assert_allclose(a.grad.asnumpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda: mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((2, 3))),
    lambda: mx.nd.dot(mx.nd.ones((3,)), mx.nd.ones((3,)), transpose_a=True),
    lambda: mx.nd.dot(mx.nd.ones((2, 3), dtype="int32"), mx.nd.ones((3, 2), dtype="int32")),
    lambda: mx.nd.dot(mx.nd.ones((2, 3)), mx.nd.ones((3, 2), dtype="float64")),
    lambda: mx.nd.batch_dot(mx.nd.ones((2, 3)), mx.nd.ones((3, 2))),
    lambda: mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((3, 4, 5))),
    lambda: mx.nd.khatri_rao(mx.nd.ones((2, 3)), mx.nd.ones((2, 2))),
    lambda: mx.nd.linalg.gemm2(mx.nd.ones((2, 3)), mx.nd.ones((2, 3))),
    lambda: mx.nd.linalg.gemm2(mx.nd.ones((2, 3), dtype="float16"),
                               mx.nd.ones((3, 2), dtype="float16")),
    lambda: mx.nd.linalg.gemm(mx.nd.ones((2, 3)), mx.nd.ones((3, 4)), mx.nd.ones((2, 5))),
    lambda: mx.nd.linalg.gemm2(mx.nd.ones((2, 3)), mx.nd.ones((3, 2)), axis=-1),
    lambda: mx.nd.linalg.potrf(mx.nd.array([[1, 2], [2, 1]])),
    lambda: mx.nd.linalg.potrf(mx.nd.ones((2, 3))),
    lambda: mx.nd.linalg.inverse(mx.nd.array([[1, 2], [2, 4]])),
    lambda: mx.nd.linalg.det(mx.nd.ones((3, 3), dtype="int32")),
    lambda: mx.nd.linalg.trsm(mx.nd.ones((3, 3)), mx.nd.ones((2, 3))),
    lambda: mx.nd.linalg.trmm(mx.nd.ones((2, 3)), mx.nd.ones((3, 3))),
    lambda: mx.nd.linalg.gelqf(mx.nd.ones((3, 2))),
    lambda: mx.nd.linalg.extractdiag(mx.nd.ones((3, 3)), offset=3),
    lambda: mx.nd.linalg.extracttrian(mx.nd.ones((3, 2))),
    lambda: mx.nd.linalg.maketrian(mx.nd.ones((4,))),
    lambda: mx.nd.linalg.makediag(mx.nd.ones((2,), dtype="int32")),
], ids=["dot-shape-mismatch", "dot-transpose-vectors", "dot-int", "dot-mixed-dtypes",
        "batch_dot-2d", "batch_dot-batch-mismatch", "khatri_rao-columns", "gemm2-mismatch",
        "gemm2-float16", "gemm-bad-C", "gemm2-axis-is-last", "potrf-not-positive-definite",
        "potrf-not-square", "inverse-singular", "det-int", "trsm-shapes", "trmm-not-square",
        "gelqf-more-rows", "extractdiag-offset", "extracttrian-not-square",
        "maketrian-not-triangular", "makediag-int"])
def test_bad_linalg_arguments_raise(call):
    with pytest.raises(MXNetError):
        call().wait_to_read()
