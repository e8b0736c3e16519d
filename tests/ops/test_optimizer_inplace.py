"""The optimizer kernels update their states in place with the arithmetic of
the plain formulas, in the same order, so results are bitwise those of the
formulas; multi-tensor ops declare their states as written."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.ops import registry

nd = mx.nd
rng = np.random.default_rng(7)
SHAPE = (13, 9)
CONFIGS = [dict(lr=0.05, wd=0.0, rescale_grad=0.125),
           dict(lr=0.02, wd=1e-3, rescale_grad=0.7, clip_gradient=0.3)]


def arrays(dtype, *scales):
    return [(rng.standard_normal(SHAPE) * s).astype(dtype) for s in scales]


def clip(g, c):
    return np.clip(g, -c, c) if c >= 0 else g


def sgd_mom_reference(w, g, mom, c, momentum):
    """The momentum update as MXNet writes it, float32 throughout."""
    step = clip(g.astype(np.float32) * c["rescale_grad"], c.get("clip_gradient", -1))
    m = mom.astype(np.float32) * momentum
    m = m - (c["lr"] * c["wd"]) * w.astype(np.float32)
    m = m - step * c["lr"]
    return m, w.astype(np.float32) + m


def adam_reference(w, g, mean, var, c, b1, b2, eps):
    g = clip(g * c["rescale_grad"] + c["wd"] * w, c.get("clip_gradient", -1))
    m = b1 * mean + (1 - b1) * g
    v = b2 * var + (1 - b2) * g * g
    return m, v, w - c["lr"] * m / (np.sqrt(v) + eps)


def assert_bitwise(got, want):
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("c", CONFIGS)
@pytest.mark.parametrize("multi", [False, True])
def test_sgd_momentum_is_bitwise_the_formula(c, multi):
    w, g, mom = arrays(np.float32, 1, 3, 0.1)
    want_m, want_w = sgd_mom_reference(w, g, mom, c, 0.9)
    weight, grad, state = nd.array(w), nd.array(g), nd.array(mom)
    held = state._data
    if multi:
        nd.multi_sgd_mom_update(weight, grad, state, out=[weight], num_weights=1, lrs=(c["lr"],),
                                wds=(c["wd"],), momentum=0.9,
                                **{k: v for k, v in c.items() if k not in ("lr", "wd")})
    else:
        nd.sgd_mom_update(weight, grad, state, out=weight, momentum=0.9, **c)
    assert state._data is held  # updated where it lies
    assert_bitwise(state.asnumpy(), want_m)
    assert_bitwise(weight.asnumpy(), want_w)


@pytest.mark.parametrize("c", CONFIGS)
def test_mixed_precision_sgd_updates_the_master_copy_in_place(c):
    w16, g16 = arrays(np.float16, 1, 3)
    w32, mom = w16.astype(np.float32), arrays(np.float32, 0.1)[0]
    want_m, want_w32 = sgd_mom_reference(w32, g16, mom, c, 0.9)
    weight, grad, state, master = nd.array(w16, dtype="float16"), nd.array(g16, dtype="float16"), \
        nd.array(mom), nd.array(w32)
    nd.mp_sgd_mom_update(weight, grad, state, master, out=weight, momentum=0.9, **c)
    assert_bitwise(state.asnumpy(), want_m)
    assert_bitwise(master.asnumpy(), want_w32)
    assert_bitwise(weight.asnumpy(), want_w32.astype(np.float16))

    master = nd.array(w32)
    nd.mp_sgd_update(weight, grad, master, out=weight, **c)
    step = clip(g16.astype(np.float32) * c["rescale_grad"], c.get("clip_gradient", -1)) * c["lr"]
    want = w32 * np.float32(1 - c["lr"] * c["wd"]) - step if c["wd"] else w32 - step
    assert_bitwise(master.asnumpy(), want)


@pytest.mark.parametrize("c", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_is_bitwise_the_formula(c, dtype):
    w, g, mean, var = arrays(dtype, 1, 3, 0.1, 0.1)
    var = np.abs(var)
    b1, b2, eps = float(np.float32(0.8)), float(np.float32(0.99)), 1e-6
    want_m, want_v, want_w = adam_reference(w, g, mean, var, c, b1, b2, eps)
    weight, grad, m_state, v_state = (nd.array(a, dtype=dtype) for a in (w, g, mean, var))
    held = m_state._data, v_state._data
    nd.adam_update(weight, grad, m_state, v_state, out=weight, beta1=0.8, beta2=0.99,
                   epsilon=eps, **c)
    assert (m_state._data, v_state._data) == held
    assert_bitwise(m_state.asnumpy(), want_m)
    assert_bitwise(v_state.asnumpy(), want_v)
    assert_bitwise(weight.asnumpy(), want_w)


@pytest.mark.parametrize("name,stride", [("multi_sgd_mom_update", 3), ("multi_mp_sgd_update", 3),
                                         ("multi_mp_sgd_mom_update", 4)])
def test_multi_updates_declare_their_states_written(name, stride):
    op = registry.get(name)
    attrs = op.parse({"num_weights": 2, "lrs": (0.1, 0.1), "wds": (0.0, 0.0)})
    states = tuple(k * stride + j for k in range(2) for j in range(2, stride))
    assert op.mutate_inputs(attrs, 2 * stride) == states
    w16, g16 = (nd.array(a, dtype="float16") for a in arrays(np.float16, 1, 1))
    group = [w16, g16] if "mp" in name else [nd.array(np.ones(SHAPE)), nd.array(np.ones(SHAPE))]
    group += [nd.zeros(SHAPE) for _ in range(stride - 2)]
    versions = [a._var.version for a in group[2:]]
    getattr(nd, name)(*group, out=[group[0]], num_weights=1, lrs=(0.1,), wds=(0.0,))
    assert [a._var.version for a in group[2:]] == [v + 1 for v in versions]


def test_multi_sgd_declares_no_state():
    assert registry.get("multi_sgd_update").mutate_inputs({"num_weights": 2}, 4) == ()


@pytest.mark.parametrize("clip_gradient", [-1.0, 0.5])
def test_adamw_is_bitwise_the_formula_and_updates_the_master_copy(clip_gradient):
    w, g, mean, var = arrays(np.float32, 1, 3, 0.1, 0.1)
    var = np.abs(var)
    lr, wd, eta, eps = 0.01, 0.02, 0.7, 1e-6
    b1, b2 = float(np.float32(0.9)), float(np.float32(0.999))
    gs = clip(g * 0.5, clip_gradient)
    m = b1 * mean + (1 - b1) * gs
    v = b2 * var + (1 - b2) * gs * gs
    want = w - eta * (lr * m / (np.sqrt(v) + eps) + wd * w)
    kwargs = dict(lr=lr, wd=wd, eta=eta, epsilon=eps, clip_gradient=clip_gradient)
    weight, grad, m_state, v_state = (nd.array(a) for a in (w, g, mean, var))
    nd._internal._adamw_update(weight, grad, m_state, v_state, nd.array([0.5]), out=weight,
                               **kwargs)
    assert_bitwise(m_state.asnumpy(), m)
    assert_bitwise(v_state.asnumpy(), v)
    assert_bitwise(weight.asnumpy(), want)

    w16 = w.astype(np.float16)
    master = nd.array(w16.astype(np.float32))
    weight = nd.array(w16, dtype="float16")
    m_state, v_state = nd.array(mean), nd.array(var)
    nd._internal._mp_adamw_update(weight, nd.array(g, dtype="float16"), m_state, v_state,
                                  master, nd.array([0.5]), out=weight, **kwargs)
    gs = clip(g.astype(np.float16).astype(np.float32) * 0.5, clip_gradient)
    m = b1 * mean + (1 - b1) * gs
    v = b2 * var + (1 - b2) * gs * gs
    w32 = w16.astype(np.float32)
    want = w32 - eta * (lr * m / (np.sqrt(v) + eps) + wd * w32)
    assert_bitwise(master.asnumpy(), want)
    assert_bitwise(weight.asnumpy(), want.astype(np.float16))
