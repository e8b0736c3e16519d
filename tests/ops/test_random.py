"""Random samplers and densities: distributions, shapes, dtypes, gradients and errors.

Every test seeds the generators, so the statistical checks are deterministic;
their tolerances are a few standard errors, so any seed would pass.
"""
import math

import numpy as np
import pytest

import mxnet as mx
from mxnet.ndarray.invoke import invoke
from mxnet.ops import registry
from mxnet.ops.random import _digamma, _lgamma

from .harness import Case, numeric_gradient, run_case

R = mx.nd.random
N = 20000


@pytest.fixture(autouse=True)
def _seeded():
    mx.random.seed(1234)


# (sampler call, mean, variance) of each distribution
MOMENTS = [
    ("uniform", lambda: R.uniform(-1, 3, shape=N), 1.0, 16 / 12),
    ("normal", lambda: R.normal(2, 0.5, shape=N), 2.0, 0.25),
    ("gamma-scale-beta", lambda: R.gamma(2, 3, shape=N), 6.0, 18.0),
    ("exponential-scale", lambda: R.exponential(2, shape=N), 2.0, 4.0),
    ("poisson", lambda: R.poisson(4, shape=N), 4.0, 4.0),
    ("negative_binomial", lambda: R.negative_binomial(3, 0.4, shape=N), 4.5, 11.25),
    ("generalized_negative_binomial",
     lambda: R.generalized_negative_binomial(2, 0.5, shape=N), 2.0, 4.0),
    ("gnb-alpha-0-is-poisson",
     lambda: R.generalized_negative_binomial(3, 0, shape=N), 3.0, 3.0),
    ("randint", lambda: R.randint(0, 10, shape=N), 4.5, 8.25),
    ("randn", lambda: R.randn(N, loc=-1, scale=2), -1.0, 4.0),
    ("uniform_like", lambda: R.uniform_like(mx.nd.zeros(N), low=1, high=2), 1.5, 1 / 12),
    ("poisson_like", lambda: R.poisson_like(mx.nd.zeros(N), lam=2), 2.0, 2.0),
    ("mx.random.normal", lambda: mx.random.normal(1, 3, shape=N), 1.0, 9.0),
]


@pytest.mark.parametrize("name,draw,mean,var", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_sample_mean_and_variance_match_the_distribution(name, draw, mean, var):
    x = draw().asnumpy().astype(np.float64)
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / N)
    assert abs(x.var() - var) < 0.1 * var


@pytest.mark.parametrize("draw", [lambda: R.poisson(3.5, shape=100),
                                  lambda: R.negative_binomial(2, 0.3, shape=100),
                                  lambda: R.generalized_negative_binomial(2, 0.3, shape=100)])
def test_discrete_samples_are_integral_floats(draw):
    x = draw()
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.asnumpy(), np.round(x.asnumpy()))


def test_uniform_samples_lie_in_the_interval():
    x = R.uniform(-2, -1, shape=1000).asnumpy()
    assert x.min() >= -2 and x.max() < -1
    k = R.randint(-3, 2, shape=1000).asnumpy()
    assert set(k.tolist()) == {-3, -2, -1, 0, 1}


SHAPES = [
    ("no shape gives (1,)", lambda: R.uniform(), (1,), np.float32),
    ("int shape", lambda: R.normal(0, 1, shape=3), (3,), np.float32),
    ("float16", lambda: R.uniform(shape=(2, 3), dtype="float16"), (2, 3), np.float16),
    ("float64", lambda: R.gamma(shape=(2,), dtype="float64"), (2,), np.float64),
    ("randint default int32", lambda: R.randint(0, 5, shape=(2, 2)), (2, 2), np.int32),
    ("randint int64", lambda: R.randint(0, 5, shape=4, dtype="int64"), (4,), np.int64),
    ("op function", lambda: mx.nd.random_normal(shape=(2, 5)), (2, 5), np.float32),
    ("like keeps dtype", lambda: R.normal_like(mx.nd.zeros((2, 3), dtype="float16")), (2, 3),
     np.float16),
    ("per-element params", lambda: R.uniform(mx.nd.zeros((2, 2)), mx.nd.ones((2, 2)), shape=3),
     (2, 2, 3), np.float32),
    ("per-element params ignore their dtype",
     lambda: R.normal(mx.nd.zeros(2, dtype="float64"), mx.nd.ones(2, dtype="float64")),
     (2,), np.float32),
    ("per-element dtype", lambda: mx.nd.sample_poisson(mx.nd.ones(2), shape=(1, 2),
                                                       dtype="float64"), (2, 1, 2), np.float64),
    ("multinomial one distribution", lambda: R.multinomial(mx.nd.array([0.5, 0.5])), (1,),
     np.int32),
    ("multinomial batch", lambda: R.multinomial(mx.nd.ones((4, 3)) / 3, shape=(2, 5)),
     (4, 2, 5), np.int32),
    ("multinomial uint8", lambda: R.multinomial(mx.nd.ones((4, 3)) / 3, dtype="uint8"), (4,),
     np.uint8),
    ("exponential per element", lambda: R.exponential(mx.nd.ones(3), shape=2), (3, 2),
     np.float32),
]


@pytest.mark.parametrize("name,draw,shape,dtype", SHAPES, ids=[s[0] for s in SHAPES])
def test_sample_shape_and_dtype(name, draw, shape, dtype):
    x = draw()
    assert x.shape == shape
    assert x.dtype == dtype


def test_out_argument_gives_shape_and_dtype():
    out = mx.nd.zeros((3, 2), dtype="float64")
    assert R.uniform(5, 6, out=out) is out
    assert out.asnumpy().min() >= 5
    ints = mx.nd.zeros((4,), dtype="int32")
    R.randint(7, 8, out=ints)
    np.testing.assert_array_equal(ints.asnumpy(), [7] * 4)


def test_ctx_places_the_samples():
    assert R.normal(shape=2, ctx=mx.cpu(1)).context == mx.cpu(1)
    assert R.randint(0, 3, shape=2, ctx="cpu(2)").context == mx.cpu(2)


def test_per_element_parameters_apply_to_their_own_block():
    mu = mx.nd.array([0.0, 10.0, 100.0])
    sigma = mx.nd.array([1.0, 2.0, 3.0])
    x = R.normal(mu, sigma, shape=5000).asnumpy()
    np.testing.assert_allclose(x.mean(axis=1), [0, 10, 100], atol=0.2)
    np.testing.assert_allclose(x.std(axis=1), [1, 2, 3], rtol=0.05)
    lam = R.poisson(mx.nd.array([[0.0, 50.0]]), shape=(100,)).asnumpy()
    assert (lam[0, 0] == 0).all() and lam[0, 1].mean() > 40


def test_sampler_gradients_are_zero_like_mxnet():
    mu, sigma, data = mx.nd.array([0.0, 1.0]), mx.nd.array([1.0, 2.0]), mx.nd.ones(3)
    for x in (mu, sigma, data):
        x.attach_grad()
    with mx.autograd.record():
        y = R.normal(mu, sigma, shape=3).sum() + R.uniform_like(data).sum()
    y.backward()
    for x in (mu, sigma, data):
        assert (x.grad.asnumpy() == 0).all()


# --- multinomial -----------------------------------------------------------------------

def test_multinomial_frequencies_follow_the_probabilities():
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]], np.float32)
    s = R.multinomial(mx.nd.array(p), shape=N).asnumpy()
    for row in range(2):
        freq = np.bincount(s[row], minlength=3) / N
        np.testing.assert_allclose(freq, p[row], atol=0.015)


def test_multinomial_get_prob_returns_log_probabilities_of_the_draws():
    p = np.array([[0.1, 0.2, 0.7], [0.25, 0.25, 0.5]], np.float64)
    s, logp = R.multinomial(mx.nd.array(p, dtype="float64"), shape=4, get_prob=True)
    assert logp.dtype == np.float64 and logp.shape == (2, 4)
    expected = np.log(np.take_along_axis(p, s.asnumpy().astype(int), axis=1))
    np.testing.assert_allclose(logp.asnumpy(), expected)


def test_multinomial_log_probability_gradient_counts_draws_over_probability():
    p = mx.nd.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], np.float32)
    p.attach_grad()
    with mx.autograd.record():
        s, logp = R.multinomial(p, shape=3, get_prob=True)
        loss = (logp * mx.nd.array(w)).sum()
    loss.backward()
    expected = np.zeros((2, 3))
    for r in range(2):
        for j, c in enumerate(s.asnumpy()[r]):
            expected[r, c] += w[r, j] / p.asnumpy()[r, c]
    np.testing.assert_allclose(p.grad.asnumpy(), expected, rtol=1e-5)


# --- shuffle, unique zipfian -----------------------------------------------------------

def _zipfian(**kwargs):
    return invoke(registry.get("_sample_unique_zipfian"), [], kwargs)


def test_shuffle_permutes_whole_rows():
    x = np.arange(40, dtype=np.int32).reshape(20, 2)
    y = R.shuffle(mx.nd.array(x, dtype="int32")).asnumpy()
    assert y.dtype == np.int32
    assert not (y == x).all()
    np.testing.assert_array_equal(y[np.argsort(y[:, 0])], x)
    assert mx.random.shuffle(mx.nd.arange(5)).shape == (5,)


def test_unique_zipfian_draws_distinct_classes_favouring_small_ones():
    samples, tries = _zipfian(range_max=1000, shape=(3, 50))
    s = samples.asnumpy()
    assert samples.dtype == np.int64 and tries.shape == (3,)
    for row in s:
        assert len(set(row.tolist())) == 50 and row.min() >= 0 and row.max() < 1000
    assert (tries.asnumpy() >= 50).all()
    assert (s < 100).mean() > 0.4  # P(c < 100) is about log(101)/log(1001) = 0.67 per draw


# --- densities -------------------------------------------------------------------------

def _lg(x):
    return np.vectorize(math.lgamma)(x)


X = np.array([[0.5, 1.0, 1.5], [2.0, 0.1, 3.0]])
P1 = np.array([0.7, 1.5])
P2 = np.array([1.2, 2.5])
K = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 5.0]])
PR = np.array([0.3, 0.6])


def _col(a):
    return a[:, None]


def _logpdf_normal(x, m, s):
    return -(x - _col(m)) ** 2 / (2 * _col(s) ** 2) - np.log(_col(s)) - 0.5 * np.log(2 * np.pi)


def _logpdf_nb(x, k, p):
    k, p = _col(k), _col(p)
    return _lg(x + k) - _lg(x + 1) - _lg(k) + k * np.log(p) + x * np.log(1 - p)


def _logpdf_dirichlet(x, a):
    return _lg(a.sum()) - _lg(a).sum() + ((a - 1) * np.log(x)).sum(axis=-1)


LOGPDFS = {
    "normal": ([X, P1, P2], _logpdf_normal),
    "uniform": ([X, P1 - 1, P2 + 2], lambda x, lo, hi: 0 * x - np.log(_col(hi - lo))),
    "gamma": ([X, P1, P2], lambda x, a, b: _col(a) * np.log(_col(b)) + (_col(a) - 1) * np.log(x)
              - _col(b) * x - _lg(_col(a))),
    "exponential": ([X, P2], lambda x, lam: np.log(_col(lam)) - _col(lam) * x),
    "poisson": ([K, P2], lambda x, lam: x * np.log(_col(lam)) - _col(lam) - _lg(x + 1)),
    "negative_binomial": ([K, P2, PR], _logpdf_nb),
    "generalized_negative_binomial": (
        [K, P2, PR], lambda x, mu, a: _logpdf_nb(x, 1 / a, 1 / (1 + a * mu))),
    "dirichlet": ([np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), np.array([1.0, 2.0, 3.0])],
                  _logpdf_dirichlet),
}
# The sample gradient of a discrete density is 0 in MXNet, not the derivative of lgamma.
DISCRETE = ("poisson", "negative_binomial", "generalized_negative_binomial")



def _density_ref(logpdf):
    def ref(*arrays, is_log):
        out = logpdf(*[a.astype(np.float64) for a in arrays])
        return (out if is_log else np.exp(out)).astype(np.float32)
    return ref


PDF_CASES = [Case(f"random_pdf_{name}", [a.astype(np.float32) for a in inputs],
                  {"is_log": is_log}, ref=_density_ref(f), grad=name not in DISCRETE,
                  id=f"pdf_{name}-log{is_log}")
             for name, (inputs, f) in LOGPDFS.items() for is_log in (False, True)]


@pytest.mark.parametrize("case", PDF_CASES, ids=str)
def test_density_values_and_gradients(case):
    run_case(case)


@pytest.mark.parametrize("name", DISCRETE)
def test_discrete_density_parameter_gradients(name):
    inputs, _ = LOGPDFS[name]
    fn = getattr(mx.nd, f"random_pdf_{name}")
    sample = mx.nd.array(inputs[0], dtype="float64")
    weights, expected = numeric_gradient(
        lambda *p: fn(sample, *[mx.nd.array(q, dtype="float64") for q in p]).asnumpy(),
        inputs[1:])
    params = [mx.nd.array(p, dtype="float64") for p in inputs[1:]]
    for p in params:
        p.attach_grad()
    with mx.autograd.record():
        y = fn(sample, *params)
    y.backward(mx.nd.array(weights[0], dtype="float64"))
    for p, e in zip(params, expected):
        np.testing.assert_allclose(p.grad.asnumpy(), e, rtol=1e-4, atol=1e-6)


def test_density_conventions_match_mxnet():
    x = mx.nd.array([[0.5, 1.0], [2.0, 0.1]])
    a = mx.nd.array([1.0, 2.0])
    # gamma's beta is a rate in the density; uniform has no support check
    np.testing.assert_allclose(mx.nd.random_pdf_gamma(x, a, a).asnumpy().ravel(),
                               [0.60653067, 0.36787945, 0.14652511, 0.32749233], rtol=1e-5)
    np.testing.assert_allclose(mx.nd.random_pdf_uniform(x, a - 1, a).asnumpy(), np.ones((2, 2)))
    sample = mx.nd.array([[[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]])
    out = mx.nd.random_pdf_dirichlet(sample, mx.nd.array([[1.0, 2.0, 3.0]]))
    assert out.shape == (1, 2)
    np.testing.assert_allclose(out.asnumpy(), [[4.5, 3.84]], rtol=1e-5)
    assert mx.nd.random_pdf_dirichlet(sample[0][0], mx.nd.array([1.0, 2.0, 3.0])).shape == (1,)


def test_lgamma_and_digamma_helpers_are_accurate():
    x = np.array([1e-3, 0.1, 0.5, 1.0, 2.5, 7.0, 30.0, 1e4])
    np.testing.assert_allclose(_lgamma(np, x), _lg(x), rtol=1e-10, atol=1e-10)
    h = 1e-5
    np.testing.assert_allclose(_digamma(np, x[1:]), (_lg(x[1:] + h) - _lg(x[1:] - h)) / (2 * h),
                               rtol=1e-5)


# --- errors ----------------------------------------------------------------------------

ERRORS = [
    ("low above high", lambda: R.uniform(2, 1, shape=2)),
    ("low above high, per element", lambda: R.uniform(mx.nd.array([3.0]), mx.nd.array([1.0]))),
    ("low above high, like", lambda: R.uniform_like(mx.nd.ones(2), low=2, high=1)),
    ("zero scale", lambda: R.normal(0, 0, shape=2)),
    ("negative sigma per element", lambda: R.normal(mx.nd.zeros(2), -mx.nd.ones(2))),
    ("negative gamma alpha", lambda: R.gamma(-1, 1, shape=2)),
    ("negative gamma beta", lambda: R.gamma(1, -1, shape=2)),
    ("negative exponential scale", lambda: R.exponential(-2, shape=2)),
    ("zero exponential scale", lambda: R.exponential(0, shape=2)),
    ("negative poisson rate", lambda: R.poisson(-3, shape=2)),
    ("negative binomial k", lambda: R.negative_binomial(-3, 0.4, shape=2)),
    ("negative binomial p above 1", lambda: R.negative_binomial(3, 1.4, shape=2)),
    ("negative binomial p 0", lambda: R.negative_binomial(3, 0, shape=2)),
    ("negative gnb mu", lambda: R.generalized_negative_binomial(-3, 0.5, shape=2)),
    ("empty shape", lambda: R.normal(0, 1, shape=())),
    ("randn without shape", lambda: R.randn()),
    ("negative shape", lambda: R.normal(0, 1, shape=(-1,))),
    ("integer dtype", lambda: R.uniform(0, 1, shape=2, dtype="int32")),
    ("randint float dtype", lambda: R.randint(0, 3, shape=2, dtype="float32")),
    ("randint empty range", lambda: R.randint(3, 3, shape=2)),
    ("randint range over int32", lambda: R.randint(0, 2 ** 40, shape=2)),
    ("like on integers", lambda: R.poisson_like(mx.nd.zeros(2, dtype="int32"))),
    ("parameter shapes differ", lambda: R.uniform(mx.nd.zeros(2), mx.nd.ones(3))),
    ("mixed number and array", lambda: R.uniform(mx.nd.zeros(2), 1)),
    ("multinomial unnormalised", lambda: R.multinomial(mx.nd.array([0.5, 0.2, 0.7]))),
    ("multinomial negative", lambda: R.multinomial(mx.nd.array([-0.5, 0.8, 0.7]))),
    ("multinomial 0-d", lambda: R.multinomial(mx.nd.ones((1,)).reshape(()))),
    ("multinomial int64", lambda: R.multinomial(mx.nd.array([0.5, 0.5]), dtype="int64")),
    ("shuffle 0-d", lambda: R.shuffle(mx.nd.ones((1,)).reshape(()))),
    ("zipfian 1-d shape", lambda: _zipfian(range_max=5, shape=(6,))),
    ("zipfian too many", lambda: _zipfian(range_max=5, shape=(1, 6))),
    ("pdf shape mismatch", lambda: mx.nd.random_pdf_normal(mx.nd.ones((1, 3)), mx.nd.ones(2),
                                                           mx.nd.ones(2))),
    ("pdf dtype mismatch", lambda: mx.nd.random_pdf_normal(
        mx.nd.ones(2, dtype="float64"), mx.nd.ones(2), mx.nd.ones(2))),
    ("pdf dirichlet k mismatch", lambda: mx.nd.random_pdf_dirichlet(mx.nd.ones((2, 3)),
                                                                    mx.nd.ones(2))),
]


@pytest.mark.parametrize("name,call", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_arguments_raise_mxnet_error(name, call):
    with pytest.raises(mx.MXNetError):
        call().wait_to_read()
