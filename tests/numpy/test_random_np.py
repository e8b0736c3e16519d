"""mx.np.random: shapes, dtypes, distributions, seeding, gradients and errors."""
import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet import numpy as np
from mxnet.base import MXNetError

R = np.random
N = 200000


def _arr(x, dtype="float32"):
    return mx.nd.array(onp.asarray(x), dtype=dtype).as_np_ndarray()


# sampler call with `size`, expected mean, expected variance (NumPy's formulas)
MOMENTS = [
    ("uniform", lambda s: R.uniform(2.0, 5.0, size=s), 3.5, 9 / 12),
    ("normal", lambda s: R.normal(1.0, 2.0, size=s), 1.0, 4.0),
    ("gamma", lambda s: R.gamma(2.0, 3.0, size=s), 6.0, 18.0),
    ("gumbel", lambda s: R.gumbel(1.0, 2.0, size=s), 1.0 + 2.0 * 0.5772157, onp.pi ** 2 / 6 * 4),
    ("logistic", lambda s: R.logistic(1.0, 2.0, size=s), 1.0, onp.pi ** 2 / 3 * 4),
    ("exponential", lambda s: R.exponential(2.0, size=s), 2.0, 4.0),
    ("rayleigh", lambda s: R.rayleigh(2.0, size=s), 2.0 * onp.sqrt(onp.pi / 2),
     (4 - onp.pi) / 2 * 4),
    ("pareto", lambda s: R.pareto(5.0, size=s), 1 / 4, 5 / (16 * 3)),
    ("weibull", lambda s: R.weibull(2.0, size=s), 0.8862269, 1 - 0.8862269 ** 2),
    ("power", lambda s: R.power(2.0, size=s), 2 / 3, 2 / (9 * 4)),
    ("lognormal", lambda s: R.lognormal(0.0, 0.5, size=s), onp.exp(0.125),
     (onp.exp(0.25) - 1) * onp.exp(0.25)),
    ("beta", lambda s: R.beta(2.0, 3.0, size=s), 0.4, 6 / (25 * 6)),
    ("chisquare", lambda s: R.chisquare(3.0, size=s), 3.0, 6.0),
    ("rand", lambda s: R.rand(*s), 0.5, 1 / 12),
    ("randn", lambda s: R.randn(*s), 0.0, 1.0),
    ("randint", lambda s: R.randint(0, 10, size=s), 4.5, 99 / 12),
    ("choice", lambda s: R.choice(10, size=s), 4.5, 99 / 12),
]


@pytest.mark.parametrize("name,draw,mean,var", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_moments(name, draw, mean, var):
    mx.random.seed(11)
    x = draw((N,))
    assert isinstance(x, np.ndarray) and x.shape == (N,)
    v = x.asnumpy().astype("float64")
    # Five standard errors of the mean, and a loose bound on the variance.
    assert abs(v.mean() - mean) < 5 * onp.sqrt(var / N) + 1e-6
    assert abs(v.var() - var) < 0.05 * var


@pytest.mark.parametrize("name,draw,dtype", [
    ("uniform", lambda: R.uniform(), "float32"), ("normal", lambda: R.normal(), "float32"),
    ("normal64", lambda: R.normal(size=(2, 3), dtype="float64"), "float64"),
    ("uniform16", lambda: R.uniform(size=(2, 3), dtype="float16"), "float16"),
    ("gamma64", lambda: R.gamma(1.0, size=(2, 3), dtype="float64"), "float64"),
    ("randint", lambda: R.randint(5), "int64"),
    ("randint32", lambda: R.randint(0, 5, size=(2, 3), dtype="int32"), "int32"),
    ("choice", lambda: R.choice(5), "int64"),
    ("choice array", lambda: R.choice(_arr([1.0, 2.0, 3.0]), size=(2, 3)), "float32"),
    ("multinomial", lambda: R.multinomial(5, [0.5, 0.5], size=(2, 3)), "int64"),
    ("exponential", lambda: R.exponential(_arr([1.0, 2.0], "float64")), "float32"),
])
def test_dtypes_and_shapes(name, draw, dtype):
    x = draw()
    assert isinstance(x, np.ndarray)
    assert x.dtype == onp.dtype(dtype)
    expected = {"multinomial": (2, 3, 2), "exponential": (2,)}.get(name)
    if expected is None:
        expected = (2, 3) if name[-2:] in ("64", "16", "32") or name == "choice array" else ()
    assert x.shape == expected


@pytest.mark.parametrize("params,size,shape", [
    ((_arr(onp.zeros((2, 3))), 1.0), None, (2, 3)),
    ((0.0, _arr(onp.ones((2, 1)))), None, (2, 1)),
    ((_arr(onp.zeros(3)), _arr(onp.ones((2, 1)))), None, (2, 3)),
    ((_arr(onp.zeros(3)), _arr(onp.ones((2, 1)))), (4, 2, 3), (4, 2, 3)),
    ((0.0, 1.0), 5, (5,)), ((0.0, 1.0), (0, 3), (0, 3)),
])
def test_array_parameters_broadcast(params, size, shape):
    assert R.normal(*params, size=size).shape == shape
    assert R.uniform(*params, size=size).shape == shape
    assert R.gumbel(*params, size=size).shape == shape


def test_array_parameters_per_element():
    loc = _arr([0.0, 100.0, -100.0])
    x = R.normal(loc, 0.01, size=(1000, 3)).asnumpy()
    onp.testing.assert_allclose(x.mean(axis=0), [0.0, 100.0, -100.0], atol=0.01)
    lo, hi = _arr([0.0, 10.0]), _arr([1.0, 11.0])
    u = R.uniform(lo, hi, size=(500, 2)).asnumpy()
    assert (u[:, 0] >= 0).all() and (u[:, 0] < 1).all() and (u[:, 1] >= 10).all()


def test_seed_reproducible():
    draws = []
    for _ in range(2):
        mx.random.seed(42)
        draws.append([R.normal(size=5).asnumpy(), R.randint(0, 100, size=5).asnumpy(),
                      R.choice(10, size=5, replace=False).asnumpy(),
                      R.gamma(_arr([1.0, 2.0]), 1.0).asnumpy()])
    for a, b in zip(*draws):
        onp.testing.assert_array_equal(a, b)
    mx.random.seed(43)
    assert not onp.array_equal(R.normal(size=5).asnumpy(), draws[0][0])


def test_choice():
    x = R.choice(6, size=6, replace=False).asnumpy()
    assert sorted(x.tolist()) == list(range(6))
    p = _arr([0.0, 1.0, 0.0])
    assert (R.choice(3, size=20, p=p).asnumpy() == 1).all()
    a = _arr([5.0, 6.0, 7.0])
    assert set(R.choice(a, size=50).asnumpy().tolist()) <= {5.0, 6.0, 7.0}


def test_multinomial():
    counts = R.multinomial(100, [0.2, 0.3, 0.5], size=4).asnumpy()
    assert counts.shape == (4, 3) and (counts.sum(axis=1) == 100).all()
    single = R.multinomial(7, _arr([0.0, 1.0]))
    onp.testing.assert_array_equal(single.asnumpy(), [0, 7])


def test_shuffle_in_place():
    x = _arr(onp.arange(20).reshape(10, 2))
    assert R.shuffle(x) is None
    rows = x.asnumpy()
    assert sorted(rows[:, 0].tolist()) == list(range(0, 20, 2))
    onp.testing.assert_array_equal(rows[:, 1], rows[:, 0] + 1)


def test_out_and_ctx():
    out = _arr(onp.zeros((2, 3)))
    res = R.normal(size=(2, 3), out=out)
    assert res is out and out.asnumpy().std() > 0
    y = R.uniform(size=(2,), ctx=mx.cpu(1))
    assert y.context == mx.cpu(1)


def _grads(fn, p_values):
    params = [_arr(v) for v in p_values]
    for p in params:
        p.attach_grad()
    with autograd.record():
        y = fn(*params)
    y.backward()
    return y.asnumpy().astype("float64"), [p.grad.asnumpy() for p in params]


def test_normal_gradient():
    loc, scale = onp.array([0.5, -1.0, 2.0]), onp.array([1.0, 2.0, 0.5])
    y, (gl, gs) = _grads(lambda a, b: R.normal(a, b), [loc, scale])
    onp.testing.assert_allclose(gl, onp.ones(3))
    onp.testing.assert_allclose(gs, (y - loc) / scale, rtol=1e-5)


def test_broadcast_parameter_gradient_sums():
    loc = onp.array([1.0])
    y, (gl,) = _grads(lambda a: R.normal(a, 1.0, size=(4, 3)), [loc])
    onp.testing.assert_allclose(gl, [12.0])


@pytest.mark.parametrize("name,fn,deriv", [
    ("gumbel", lambda a: R.gumbel(0.5, a), lambda y, a: (y - 0.5) / a),
    ("logistic", lambda a: R.logistic(0.5, a), lambda y, a: (y - 0.5) / a),
    ("exponential", R.exponential, lambda y, a: y / a),
    ("rayleigh", R.rayleigh, lambda y, a: y / a),
    ("pareto", R.pareto, lambda y, a: -onp.log1p(y) * (y + 1) / a),
    ("weibull", R.weibull, lambda y, a: -y * onp.log(y) / a),
    ("lognormal", lambda a: R.lognormal(a, 0.5), lambda y, a: y),
    ("uniform", lambda a: R.uniform(0.0, a), lambda y, a: 0 * y),
    ("gamma", lambda a: R.gamma(a, 1.0), lambda y, a: 0 * y),
])
def test_reparameterised_gradients(name, fn, deriv):
    a = onp.array([1.5, 2.0, 3.0])
    y, (g,) = _grads(fn, [a])
    onp.testing.assert_allclose(g, deriv(y, a), rtol=1e-4, atol=1e-6)


BAD = [
    ("negative scale", lambda: R.normal(0.0, -1.0, size=2)),
    ("negative scale array", lambda: R.exponential(_arr([1.0, -1.0]))),
    ("size mismatch", lambda: R.normal(_arr(onp.zeros(3)), 1.0, size=(2,))),
    ("string param", lambda: R.normal("a")),
    ("randint empty", lambda: R.randint(5, 3, size=2)),
    ("randint float dtype", lambda: R.randint(0, 5, size=2, dtype="float32")),
    ("choice too many", lambda: R.choice(5, size=6, replace=False)),
    ("choice bad p", lambda: R.choice(3, p=_arr([0.5, 0.6, 0.1]))),
    ("choice 2-d", lambda: R.choice(_arr(onp.ones((2, 2))))),
    ("multinomial pvals", lambda: R.multinomial(3, [0.7, -0.1, 0.4])),
    ("shuffle 0-d", lambda: R.shuffle(_arr(1.0))),
    ("gamma shape", lambda: R.gamma(0.0, size=2)),
    ("out shape", lambda: R.normal(out=_arr(onp.zeros((2, 3))))),
    ("randint out shape", lambda: R.randint(3, size=2, out=_arr(onp.zeros(3), "int64"))),
    ("lognormal out shape", lambda: R.lognormal(size=2, out=_arr(onp.zeros(3)))),
    ("choice out shape", lambda: R.choice(_arr([1.0, 2.0]), size=2, out=_arr(onp.zeros(3)))),
    ("mvn shapes", lambda: R.multivariate_normal(_arr(onp.zeros(2)), _arr(onp.eye(3)))),
    ("mvn not positive definite", lambda: R.multivariate_normal(_arr(onp.zeros(2)),
                                                                _arr(-onp.eye(2)))),
]


@pytest.mark.parametrize("name,call", BAD, ids=[b[0] for b in BAD])
def test_errors(name, call):
    with pytest.raises(MXNetError):
        res = call()
        if res is not None:
            res.asnumpy()


def test_legacy_internal_call_and_symbol():
    x = mx.nd._internal._npi_normal(loc=0.0, scale=1.0, size=(2, 2))
    assert x.shape == (2, 2)
    sym = mx.sym._internal._npi_normal(mx.sym.var("m"), loc=None, scale=1.0)
    assert sym.list_arguments() == ["m"]


def test_symbol_parameters():
    y = R.normal(mx.sym.var("m"), 0.001, size=(2, 3))
    assert y.list_arguments() == ["m"]
    out = y.bind(mx.context.current_context(), {"m": mx.nd.array([0.0, 10.0, 100.0])}).forward()[0].asnumpy()
    assert out.shape == (2, 3)
    onp.testing.assert_allclose(out.mean(axis=0), [0.0, 10.0, 100.0], atol=0.01)


def test_multivariate_normal():
    cov = onp.array([[1.0, 0.5], [0.5, 2.0]])
    mx.random.seed(3)
    x = R.multivariate_normal(_arr([1.0, -2.0]), _arr(cov), size=(N // 2,))
    assert x.shape == (N // 2, 2) and x.dtype == onp.float32
    v = x.asnumpy().astype("float64")
    onp.testing.assert_allclose(v.mean(axis=0), [1.0, -2.0], atol=0.02)
    onp.testing.assert_allclose(onp.cov(v.T), cov, atol=0.03)
    assert R.multivariate_normal(_arr([0.0, 0.0], "float64"), _arr(cov, "float64")).shape == (2,)


def test_multivariate_normal_gradient():
    """With the seed fixed the samples are a smooth function of mean and cov."""
    mean, cov = onp.array([0.5, -1.0]), onp.array([[2.0, 0.3], [0.3, 1.0]])
    head = onp.array([[1.0, -2.0], [0.5, 3.0], [-1.0, 1.0]])

    def draw(m, c):
        mx.random.seed(5)
        return R.multivariate_normal(m, c, size=(3,))
    m, c = _arr(mean, "float64"), _arr(cov, "float64")
    m.attach_grad()
    c.attach_grad()
    with autograd.record():
        y = draw(m, c)
    y.backward(_arr(head, "float64"))
    onp.testing.assert_allclose(m.grad.asnumpy(), head.sum(axis=0))
    d = onp.array([[0.3, 0.1], [0.1, -0.2]])  # a symmetric direction
    eps = 1e-6

    def total(shift):
        out = draw(_arr(mean, "float64"), _arr(cov + shift * d, "float64"))
        return (out.asnumpy() * head).sum()
    numeric = (total(eps) - total(-eps)) / (2 * eps)
    onp.testing.assert_allclose((c.grad.asnumpy() * d).sum(), numeric, rtol=1e-5)


@pytest.mark.parametrize("op,attrs", [
    ("_npi_uniform", {"ctx": "cpu(0)", "dtype": "float32", "high": "1.0", "low": "None",
                      "size": "None"}),
    ("_npi_gamma", {"ctx": "cpu(0)", "dtype": "float32", "scale": "1.0", "shape": "None",
                    "size": "None"}),
    ("_npi_exponential", {"ctx": "cpu(0)", "scale": "None", "size": "None"}),
    ("_npi_pareto", {"a": "None", "ctx": "cpu(0)", "size": "None"}),
    ("_npi_powerd", {"a": "None", "size": "None"}),
])
def test_graph_attrs_written_by_mxnet(op, attrs):
    """Nodes as MXNet 1.9.1's mx.sym.np.random writes them (one array parameter)."""
    sym = getattr(mx.sym._internal, op)(mx.sym.var("x"), **attrs)
    out = sym.bind(mx.context.current_context(), {"x": mx.nd.array([0.5, 1.0, 2.0])}).forward()[0]
    assert out.shape == (3,) and out.dtype == onp.float32
