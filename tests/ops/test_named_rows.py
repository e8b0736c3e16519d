"""Explicit op-table rows for operators that other tests reach only through names
built at run time (or not at all): broadcast comparisons and logic, densities,
``*_like`` samplers, the OpenCV-style decoders, the random vertical flip, the
sparse straight-through aliases and hawkesll's backward.

References are NumPy (densities through ``math.lgamma``) with conventions checked
against MXNet 1.9.1; ``tests/fixtures/ops/named_rows.json`` (written by
``tools/make_fixtures_named_rows.py``) holds MXNet's own density values and gradients.
"""
import json
import math
import os
import struct
import zlib

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.ops import image_cv

from .harness import Case, run_case

rng = np.random.default_rng(7)
# Distinct values on a coarse grid, so finite differences never straddle a tie.
A = rng.permutation(np.arange(12, dtype=np.float32)).reshape(3, 4) / 4 - 1
ROW = np.array([[-0.6, 0.15, 0.4, 1.1]], np.float32)
COL = np.array([[0.35], [-0.85], [2.2]], np.float32)
I32 = np.array([[0, 2, -3], [5, 0, -1]], np.int32)
J32 = np.array([[0], [-1]], np.int32)
NAN = np.array([np.nan, 0.0, 1.0, np.nan], np.float32)
NAN_RHS = np.array([0.0, np.nan, 1.0, np.nan], np.float32)
FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops", "named_rows.json")


def _as(ufunc):
    """A comparison or logic reference returning 0/1 in the lhs dtype, as MXNet does."""
    return lambda a, b: ufunc(a, b).astype(a.dtype)


def _truth(ufunc):
    """Logic reference: operands are true where nonzero (NaN is nonzero)."""
    return lambda a, b: ufunc(a != 0, b != 0).astype(a.dtype)


BROADCAST = {
    "broadcast_lesser": _as(np.less),
    "broadcast_lesser_equal": _as(np.less_equal),
    "broadcast_greater_equal": _as(np.greater_equal),
    "broadcast_not_equal": _as(np.not_equal),
    "broadcast_logical_and": _truth(np.logical_and),
    "broadcast_logical_or": _truth(np.logical_or),
    "broadcast_logical_xor": _truth(np.logical_xor),
    "broadcast_minimum": np.minimum,
}
BROADCAST_CASES = (
    # Comparisons and logic have zero gradients, which finite differences confirm.
    [Case(name, [A, ROW], ref=ref, grad=True, id=f"{name}-row") for name, ref in BROADCAST.items()]
    + [Case(name, [COL, A], ref=ref, grad=True, id=f"{name}-column") for name, ref in
       BROADCAST.items()]
    + [Case(name, [I32, J32], ref=ref, id=f"{name}-int32-stays-int32")
       for name, ref in BROADCAST.items()]
    + [Case(name, [NAN, NAN_RHS], ref=ref, id=f"{name}-nan") for name, ref in BROADCAST.items()]
)


@pytest.mark.parametrize("case", BROADCAST_CASES, ids=str)
def test_broadcast_comparison_logic_and_minimum_rows(case):
    run_case(case)


def test_broadcast_minimum_gives_ties_to_the_lhs():
    x, y = mx.nd.array([[1.0, 2.0, 3.0]]), mx.nd.array([[2.0], [2.0]])
    x.attach_grad()
    y.attach_grad()
    with mx.autograd.record():
        out = mx.nd.broadcast_minimum(x, y)
    out.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [[2, 2, 0]])
    np.testing.assert_array_equal(y.grad.asnumpy(), [[1], [1]])


@pytest.mark.parametrize("name", sorted(BROADCAST))
@pytest.mark.parametrize("lhs, rhs", [
    (np.ones((2, 3), np.float32), np.ones((3, 2), np.float32)),
    (np.ones((2, 3), np.float32), np.ones((2, 3), np.int32)),
], ids=["incompatible-shapes", "mixed-dtypes"])
def test_broadcast_bad_operands_raise(name, lhs, rhs):
    with pytest.raises(MXNetError, match=name):
        getattr(mx.nd, name)(mx.nd.array(lhs, dtype=lhs.dtype),
                             mx.nd.array(rhs, dtype=rhs.dtype)).wait_to_read()


# --- densities ---------------------------------------------------------------------------

X = np.array([[0.5, 1.0, 1.5, 4.0], [2.0, 0.1, 3.0, 0.25]])
COUNTS = np.array([[0.0, 1.0, 3.0, 7.0], [2.0, 0.0, 5.0, 1.0]])
_lg = np.vectorize(math.lgamma)


def _col(p):
    return p[:, None]


def _nb_log(x, k, p):
    return _lg(x + k) - _lg(x + 1) - _lg(k) + k * np.log(p) + x * np.log1p(-p)


# The density is scored with the parameters of the sample's row; beta of the
# generalized negative binomial is NB(k = 1/alpha, p = 1/(1 + alpha*mu)).
LOG_DENSITIES = {
    "random_pdf_exponential": ([X, np.array([0.7, 2.5])],
                               lambda x, lam: np.log(_col(lam)) - _col(lam) * x),
    "random_pdf_poisson": ([COUNTS, np.array([1.2, 3.5])],
                           lambda x, lam: x * np.log(_col(lam)) - _col(lam) - _lg(x + 1)),
    "random_pdf_negative_binomial": ([COUNTS, np.array([2.0, 4.5]), np.array([0.3, 0.6])],
                                     lambda x, k, p: _nb_log(x, _col(k), _col(p))),
    "random_pdf_generalized_negative_binomial": (
        [COUNTS, np.array([1.5, 2.5]), np.array([0.3, 0.8])],
        lambda x, mu, a: _nb_log(x, 1 / _col(a), 1 / (1 + _col(a) * _col(mu)))),
}


def _density(log_density, dtype):
    def ref(*arrays, is_log):
        out = log_density(*[a.astype(np.float64) for a in arrays])
        return (out if is_log else np.exp(out)).astype(dtype)
    return ref


DENSITY_CASES = [
    Case(name, [a.astype(dtype) for a in inputs], {"is_log": is_log},
         ref=_density(f, dtype), rtol=1e-5 if dtype == np.float32 else 1e-10,
         # A count's density is not differentiable in the count (MXNet gives 0 there):
         # only the exponential can go through finite differences in every input.
         grad=name == "random_pdf_exponential", id=f"{name}-{np.dtype(dtype).name}-log{is_log}")
    for name, (inputs, f) in LOG_DENSITIES.items()
    for dtype in (np.float32, np.float64) for is_log in (False, True)]


@pytest.mark.parametrize("case", DENSITY_CASES, ids=str)
def test_density_rows(case):
    run_case(case)


def _oracle_densities():
    with open(FIXTURES) as f:
        return json.load(f)["densities"]


@pytest.mark.parametrize("row", _oracle_densities(),
                         ids=lambda r: f"{r['op']}-log{r['is_log']}")
def test_density_values_and_gradients_match_mxnet(row):
    xs = [mx.nd.array(a, dtype="float64") for a in row["inputs"]]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        y = getattr(mx.nd, row["op"])(*xs, is_log=row["is_log"])
    y.backward(mx.nd.array(row["head"], dtype="float64"))
    np.testing.assert_allclose(y.asnumpy(), row["output"], rtol=1e-9, atol=1e-12)
    for x, expected in zip(xs, row["grads"]):
        np.testing.assert_allclose(x.grad.asnumpy(), expected, rtol=1e-7, atol=1e-9)


def test_density_of_a_sample_with_extra_axes_uses_its_leading_row():
    sample = np.tile(X[:, None, :], (1, 3, 1)).astype(np.float32)
    lam = np.array([0.7, 2.5], np.float32)
    out = mx.nd.random_pdf_exponential(mx.nd.array(sample), mx.nd.array(lam)).asnumpy()
    assert out.shape == (2, 3, 4)
    np.testing.assert_allclose(out, lam[:, None, None] * np.exp(-lam[:, None, None] * sample),
                               rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda: mx.nd.random_pdf_poisson(mx.nd.ones((2, 2), dtype="int32"),
                                     mx.nd.ones(2, dtype="int32")),
    lambda: mx.nd.random_pdf_exponential(mx.nd.ones((3, 2)), mx.nd.ones(2)),
    lambda: mx.nd.random_pdf_negative_binomial(mx.nd.ones((2, 2)), mx.nd.ones(2), mx.nd.ones(1)),
    lambda: mx.nd.random_pdf_generalized_negative_binomial(
        mx.nd.ones((2, 2), dtype="float64"), mx.nd.ones(2), mx.nd.ones(2)),
], ids=["integer-dtype", "sample-not-led-by-parameter-shape", "parameter-shapes-differ",
        "mixed-dtypes"])
def test_density_bad_inputs_raise(call):
    with pytest.raises(MXNetError, match="_random_pdf_"):
        call().wait_to_read()


# --- *_like samplers -----------------------------------------------------------------------

# name: (kwargs, mean, variance, discrete); gamma's beta is a scale for the sampler.
LIKE = {
    "random.exponential_like": ({"lam": 4.0}, 0.25, 1 / 16, False),
    "random.gamma_like": ({"alpha": 3.0, "beta": 2.0}, 6.0, 12.0, False),
    "random.negative_binomial_like": ({"k": 3, "p": 0.4}, 4.5, 11.25, True),
    "random.generalized_negative_binomial_like": ({"mu": 2.0, "alpha": 0.5}, 2.0, 4.0, True),
}
LIKE_CASES = [Case(name, [np.zeros((2, 3), dtype)], kwargs, id=f"{name}-{dtype}")
              for name, (kwargs, _, _, _) in LIKE.items()
              for dtype in ("float16", "float32", "float64")]


@pytest.mark.parametrize("case", LIKE_CASES, ids=str)
def test_like_sampler_keeps_shape_and_dtype(case):
    out, = run_case(case)
    assert out.shape == (2, 3) and out.dtype == case.inputs[0].dtype


def _like(name):
    return getattr(mx.nd.random, name.split(".")[1])


@pytest.mark.parametrize("name", sorted(LIKE))
def test_like_sampler_moments_and_support(name):
    kwargs, mean, var, discrete = LIKE[name]
    mx.random.seed(11)
    s = _like(name)(mx.nd.zeros(40000, dtype="float64"), **kwargs).asnumpy()
    assert s.min() >= 0
    np.testing.assert_allclose(s.mean(), mean, rtol=0.03)
    np.testing.assert_allclose(s.var(), var, rtol=0.06)
    if discrete:
        np.testing.assert_array_equal(s, np.round(s))


@pytest.mark.parametrize("name", sorted(LIKE))
def test_like_sampler_is_reproducible_under_a_seed(name):
    data = mx.nd.zeros((4, 5))
    mx.random.seed(123)
    first = _like(name)(data, **LIKE[name][0]).asnumpy()
    mx.random.seed(123)
    np.testing.assert_array_equal(_like(name)(data, **LIKE[name][0]).asnumpy(), first)
    assert not np.array_equal(_like(name)(data, **LIKE[name][0]).asnumpy(), first)


def test_like_sampler_defaults_match_mxnet():
    data = mx.nd.zeros(2000)
    # negative_binomial defaults to k=1, p=1: every draw is 0.
    assert mx.nd.random.negative_binomial_like(data).asnumpy().max() == 0
    # alpha=0 makes the generalized negative binomial a Poisson(mu).
    s = mx.nd.random.generalized_negative_binomial_like(data, mu=3.0, alpha=0.0).asnumpy()
    np.testing.assert_allclose([s.mean(), s.var()], [3.0, 3.0], rtol=0.15)


def test_like_sampler_gradient_is_zero():
    x = mx.nd.ones(4)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.random.gamma_like(x) + mx.nd.random.exponential_like(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), np.zeros(4))


@pytest.mark.parametrize("name, kwargs", [
    ("exponential_like", {"lam": 0.0}),
    ("gamma_like", {"alpha": 0.0}),
    ("gamma_like", {"beta": -1.0}),
    ("negative_binomial_like", {"k": -1}),
    ("negative_binomial_like", {"p": 0.0}),
    ("negative_binomial_like", {"p": 1.5}),
    ("negative_binomial_like", {"k": 2.5}),
    ("generalized_negative_binomial_like", {"mu": -1.0}),
    ("generalized_negative_binomial_like", {"alpha": -1.0}),
])
def test_like_sampler_bad_parameters_raise(name, kwargs):
    with pytest.raises(MXNetError, match=name):
        getattr(mx.nd.random, name)(mx.nd.zeros(3), **kwargs).wait_to_read()


@pytest.mark.parametrize("name", sorted(LIKE))
def test_like_sampler_refuses_integer_data(name):
    with pytest.raises(MXNetError, match="floating-point"):
        _like(name)(mx.nd.zeros(3, dtype="int32")).wait_to_read()


# --- image.random_flip_top_bottom ------------------------------------------------------------

IMAGE = np.arange(30, dtype=np.uint8).reshape(5, 2, 3)  # odd height: the middle row stays


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float32", "float64"])
def test_random_flip_top_bottom_row(dtype):
    out, = run_case(Case("image.random_flip_top_bottom", [IMAGE.astype(dtype)]))
    got = out.asnumpy()
    assert got.dtype == dtype
    assert np.array_equal(got, IMAGE) or np.array_equal(got, IMAGE[::-1])


def test_random_flip_top_bottom_flips_about_half_the_time_reproducibly():
    def draws():
        img = mx.nd.array(IMAGE, dtype="uint8")
        return [bool((mx.nd.image.random_flip_top_bottom(img).asnumpy() != IMAGE).any())
                for _ in range(40)]
    mx.random.seed(5)
    first = draws()
    mx.random.seed(5)
    assert draws() == first
    assert 8 <= sum(first) <= 32


@pytest.mark.parametrize("shape", [(5, 2), (2, 5, 2, 3)])
def test_random_flip_top_bottom_needs_an_hwc_image(shape):
    with pytest.raises(MXNetError, match="random_flip_top_bottom"):
        mx.nd.image.random_flip_top_bottom(mx.nd.ones(shape)).wait_to_read()


# --- _cvimdecode / _cvimread ----------------------------------------------------------------

needs_codec = pytest.mark.skipif(image_cv.cv2 is None and image_cv._PILImage is None,
                                 reason="no image library (opencv or pillow)")


def png_bytes(img):
    """A PNG file (8-bit grayscale or RGB, no filtering) holding the HxWxC uint8 ``img``."""
    h, w, c = img.shape
    rows = b"".join(b"\x00" + img[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", w, h, 8, {1: 0, 3: 2}[c], 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


RGB = rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)
GRAY = rng.integers(0, 256, (4, 5, 1), dtype=np.uint8)


def _buf(img):
    return np.frombuffer(png_bytes(img), np.uint8).copy()


# Grey pixels have one luma under every RGB->gray formula (OpenCV's and Pillow's differ).
DECODE_CASES = [
    Case("_internal._cvimdecode", [_buf(RGB)], ref=lambda b: RGB, id="colour"),
    Case("_internal._cvimdecode", [_buf(RGB)], {"to_rgb": False},
         ref=lambda b, to_rgb: RGB[:, :, ::-1], id="colour-bgr"),
    Case("_internal._cvimdecode", [_buf(np.repeat(GRAY, 3, axis=2))], {"flag": 0},
         ref=lambda b, flag: GRAY, id="grey-rgb-to-one-channel"),
    Case("_internal._cvimdecode", [_buf(GRAY)], ref=lambda b: np.repeat(GRAY, 3, axis=2),
         id="grayscale-file-to-colour"),
    Case("_internal._cvimdecode", [_buf(GRAY)], {"flag": 0}, ref=lambda b, flag: GRAY,
         id="grayscale-file-to-one-channel"),
    Case("_internal._cvimdecode", [_buf(RGB).reshape(1, -1)], ref=lambda b: RGB,
         id="2d-buffer-is-read-as-bytes"),
]


@needs_codec
@pytest.mark.parametrize("case", DECODE_CASES, ids=str)
def test_cvimdecode_rows(case):
    run_case(case)


@needs_codec
@pytest.mark.parametrize("kwargs, expected", [
    ({}, RGB), ({"to_rgb": False}, RGB[:, :, ::-1]), ({"flag": 0}, None),
], ids=["colour", "bgr", "grayscale"])
def test_cvimread_reads_a_file(tmp_path, kwargs, expected):
    img = RGB if expected is not None else np.repeat(GRAY, 3, axis=2)
    path = tmp_path / "img.png"
    path.write_bytes(png_bytes(img))
    out = mx.nd._internal._cvimread(filename=str(path), **kwargs)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out.asnumpy(), GRAY if expected is None else expected)


@needs_codec
@pytest.mark.parametrize("call, message", [
    (lambda: mx.nd._internal._cvimdecode(mx.nd.array(np.frombuffer(b"not an image", np.uint8),
                                                     dtype="uint8")), "decoding failed"),
    (lambda: mx.nd._internal._cvimdecode(mx.nd.array(_buf(RGB))), "uint8"),
    (lambda: mx.nd._internal._cvimdecode(mx.nd.array(_buf(RGB), dtype="uint8"), flag=-1), "flag"),
    (lambda: mx.nd._internal._cvimread(filename="/nonexistent/dir/img.png"), "img.png"),
    (lambda: mx.nd._internal._cvimread(), "filename"),
    (lambda: mx.nd._internal._cvimread(filename="x.png", flag=-1), "flag"),
], ids=["garbage-bytes", "float-buffer", "negative-flag", "missing-file", "no-filename",
        "imread-negative-flag"])
def test_cvimdecode_and_cvimread_bad_inputs_raise(call, message):
    with pytest.raises(MXNetError, match=message):
        call().wait_to_read()


# --- sparse straight-through aliases ----------------------------------------------------------

STE_INPUT = np.array([[-2.5, -0.5, 0.0], [0.4, 1.5, 2.5]], np.float32)
STE = {
    # round halves away from zero, unlike NumPy's round-half-to-even
    "sparse._contrib_round_ste":
        lambda x: (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(x.dtype),
    "sparse._contrib_sign_ste": np.sign,
}
STE_CASES = ([Case(name, [STE_INPUT], ref=ref, id=name) for name, ref in STE.items()]
             + [Case(name, [np.array([[-2, 3, 0]], np.int32)], ref=ref, id=f"{name}-int32")
                for name, ref in STE.items()])


@pytest.mark.parametrize("case", STE_CASES, ids=str)
def test_sparse_straight_through_rows(case):
    run_case(case)


@pytest.mark.parametrize("name", sorted(STE))
def test_sparse_straight_through_passes_the_gradient_unchanged(name):
    x = mx.nd.array(STE_INPUT)
    x.attach_grad()
    head = np.arange(6, dtype=np.float32).reshape(2, 3)
    with mx.autograd.record():
        y = getattr(mx.nd.sparse, name.split(".")[1])(x)
    y.backward(mx.nd.array(head))
    np.testing.assert_array_equal(x.grad.asnumpy(), head)


@pytest.mark.parametrize("name", sorted(STE))
@pytest.mark.parametrize("stype", ["csr", "row_sparse"])
def test_sparse_straight_through_keeps_the_storage_type(name, stype):
    out = getattr(mx.nd.sparse, name.split(".")[1])(mx.nd.array(STE_INPUT).tostype(stype))
    assert out.stype == stype
    np.testing.assert_array_equal(out.asnumpy(), STE[name](STE_INPUT))


# --- contrib.backward_hawkesll ----------------------------------------------------------------

def _hawkes_inputs():
    n, k, t = 2, 2, 3
    return [np.array([[0.8, 1.3], [1.1, 0.6]]), np.array([0.4, 0.3]), np.array([1.5, 2.0]),
            np.array([[0.2, 0.0], [0.5, 0.1]]), np.array([[0.3, 0.4, 0.2], [0.6, 0.1, 0.9]]),
            np.array([[0, 1, 0], [1, 1, 0]], np.int32)[:n, :t], np.array([3.0, 2.0]),
            np.array([1.5, 2.5])]


def _hawkes_fd(g_loglik, g_state, *arrays, eps=1e-6):
    """Central differences of sum(g_loglik * loglik + g_state * out_state) in the four
    parameter inputs of hawkesll."""
    def value(args):
        loglik, state = mx.nd.contrib.hawkesll(*[mx.nd.array(a, dtype=a.dtype) for a in args])
        return float((g_loglik * loglik.asnumpy()).sum() + (g_state * state.asnumpy()).sum())
    grads = []
    for i in range(4):
        g = np.zeros_like(arrays[i])
        for idx in np.ndindex(arrays[i].shape):
            plus, minus = list(arrays), list(arrays)
            plus[i], minus[i] = arrays[i].copy(), arrays[i].copy()
            plus[i][idx] += eps
            minus[i][idx] -= eps
            g[idx] = (value(plus) - value(minus)) / (2 * eps)
        grads.append(g)
    return tuple(grads)


HAWKES_CASES = [
    Case("contrib.backward_hawkesll",
         [np.array([1.0, -0.5]), np.array([[0.3, 0.7], [-0.2, 1.1]])] + _hawkes_inputs(),
         ref=_hawkes_fd, rtol=1e-6, atol=1e-8, id="backward_hawkesll-both-heads"),
    Case("contrib.backward_hawkesll", [np.array([1.0, 2.0]), np.zeros((2, 2))] + _hawkes_inputs(),
         ref=_hawkes_fd, rtol=1e-6, atol=1e-8, id="backward_hawkesll-loglik-head-only"),
]


@pytest.mark.parametrize("case", HAWKES_CASES, ids=str)
def test_backward_hawkesll_rows(case):
    run_case(case)


def test_backward_hawkesll_bad_inputs_raise():
    args = [mx.nd.array(a, dtype=a.dtype) for a in _hawkes_inputs()]
    args[5] = mx.nd.array(np.full((2, 3), 2, np.int32), dtype="int32")  # process id 2 of K=2
    with pytest.raises(MXNetError, match="process ids"):
        mx.nd.contrib.backward_hawkesll(mx.nd.ones(2, dtype="float64"),
                                        mx.nd.ones((2, 2), dtype="float64"), *args)[0].asnumpy()
