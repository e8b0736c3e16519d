"""Normalization layers: MXNet 1.9.1 fixtures (outputs, gradients, moving statistics
after a training step), NumPy references with finite-difference gradients, and the
batch-norm behaviours and errors MXNet users rely on."""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from .harness import Case, nd_func, numeric_gradient, run_case

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ops")
rng = np.random.default_rng(3)


def _load_fixtures():
    with open(os.path.join(FIXTURES, "nn_norm.json")) as f:
        specs = json.load(f)
    data = np.load(os.path.join(FIXTURES, "nn_norm.npz"))
    for spec in specs:
        flat, pos, arrays = data[spec["id"]], 0, {}
        for group, items in spec["arrays"].items():
            arrays[group] = []
            for shape, dtype in items:
                n = int(np.prod(shape))
                arrays[group].append(flat[pos:pos + n].reshape(shape).astype(dtype))
                pos += n
        spec["data"] = arrays
    return specs


FIXTURE_CASES = _load_fixtures()


def _tolerance(arrays):
    half = any(a.dtype == np.float16 for a in arrays["in"])
    return {"rtol": 2e-2, "atol": 2e-2} if half else {"rtol": 1e-4, "atol": 1e-5}


@pytest.mark.parametrize("spec", FIXTURE_CASES, ids=lambda s: s["id"])
def test_matches_mxnet_training_step(spec):
    """Forward, backward and the state it leaves behind agree with MXNet 1.9.1."""
    arrays = spec["data"]
    xs = [mx.nd.array(a, dtype=a.dtype) for a in arrays["in"]]
    aux = [mx.nd.array(a, dtype=a.dtype) for a in arrays["aux"]]
    for x in xs:
        x.attach_grad()
    fn = nd_func(spec["func"])
    if spec["record"] is None:
        outs = fn(*xs, *aux, **spec["kwargs"])
    else:
        with mx.autograd.record(train_mode=spec["record"] == "train"):
            outs = fn(*xs, *aux, **spec["kwargs"])
    outs = outs if isinstance(outs, list) else [outs]
    if spec["record"] is not None:
        head = arrays["head"][0]
        outs[0].backward(mx.nd.array(head, dtype=head.dtype), train_mode=spec["backward_train"])
    checks = [("out", outs), ("in_after", xs), ("aux_after", aux)]
    if spec["record"] is not None:
        checks.append(("grad", [x.grad for x in xs]))
    for group, got in checks:
        assert len(got) == len(arrays[group]), f"{group}: count"
        for i, (g, e) in enumerate(zip(got, arrays[group])):
            g = g.asnumpy()
            assert g.dtype == e.dtype and g.shape == e.shape, f"{group}{i}: {g.dtype}{g.shape}"
            np.testing.assert_allclose(g, e, err_msg=f"{spec['id']} {group}{i}",
                                       **_tolerance(arrays))


# -- NumPy references ----------------------------------------------------------------

def _bn_ref(x, gamma, beta, mm, mv, axis=1, eps=1e-3, fix_gamma=True, train=False, relu=False,
            output_mean_var=False):
    """BatchNorm's (out, mean, 1/sqrt(var + eps)), the last two only with output_mean_var."""
    axes = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    shape = [1] * x.ndim
    shape[axis] = -1
    mean, var = (x.mean(axes), x.var(axes)) if train else (mm, mv)
    g = np.ones_like(gamma) if fix_gamma else gamma
    invstd = 1 / np.sqrt(var + np.float32(eps))
    out = (x - mean.reshape(shape)) * invstd.reshape(shape) * g.reshape(shape) \
        + beta.reshape(shape)
    out = np.maximum(out, 0) if relu else out
    return (out, mean, invstd) if output_mean_var else out


def _ln_ref(x, gamma, beta, axis=-1, eps=1e-5, output_mean_var=False):
    mean = x.mean(axis, keepdims=True)
    std = np.sqrt(x.var(axis, keepdims=True) + np.float32(eps))
    shape = [1] * x.ndim
    shape[axis] = -1
    out = (x - mean) / std * gamma.reshape(shape) + beta.reshape(shape)
    return (out, mean, std) if output_mean_var else out


def _in_ref(x, gamma, beta, eps=1e-3):
    axes = tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    xhat = (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)
    return xhat * gamma.reshape(shape) + beta.reshape(shape)


def _gn_ref(x, gamma, beta, num_groups=1, eps=1e-5, output_mean_var=False):
    groups = x.reshape(x.shape[0], num_groups, -1)
    mean = groups.mean(-1, keepdims=True)
    std = np.sqrt(groups.var(-1, keepdims=True) + np.float32(eps))
    out = ((groups - mean) / std * gamma.reshape(1, -1, 1) + beta.reshape(1, -1, 1))
    if output_mean_var:
        return out.reshape(x.shape), mean[..., 0], std[..., 0]
    return out.reshape(x.shape)


def _l2_ref(x, mode="instance", eps=1e-10):
    axes = {"instance": tuple(range(1, x.ndim)), "channel": (1,),
            "spatial": tuple(range(2, x.ndim))}[mode]
    return x / np.sqrt((x * x).sum(axes, keepdims=True) + eps)


def _lrn_ref(x, nsize, alpha=1e-4, beta=0.75, knorm=2.0):
    half = (nsize - 1) // 2
    sq = x * x
    total = np.stack([sq[:, max(0, c - half):c + half + 1].sum(1)
                      for c in range(x.shape[1])], axis=1)
    return x / (knorm + alpha / nsize * total) ** beta


def _f32(*shape):
    return rng.normal(size=shape).astype(np.float32)


def _pos(*shape):
    return rng.uniform(0.5, 2.0, size=shape).astype(np.float32)


X4 = _f32(2, 3, 2, 2)
C3 = [_pos(3), _f32(3)]
STATS3 = [_f32(3), _pos(3)]
OMV = {"output_mean_var": True}  # every output visible, so inference covers them all

CASES = [
    Case("BatchNorm", [X4] + C3 + STATS3, {"fix_gamma": False, **OMV}, ref=_bn_ref,
         id="bn-predict-uses-moving-stats"),
    Case("BatchNorm", [X4] + C3 + STATS3, OMV, ref=_bn_ref, id="bn-fix-gamma-ignores-gamma"),
    Case("BatchNorm", [_f32(2, 2, 3)] + C3 + STATS3, {"axis": -1, "eps": 0.1, **OMV},
         ref=_bn_ref, id="bn-last-axis"),
    Case("BatchNorm", [_f32(4, 3)] + C3 + STATS3, OMV, ref=_bn_ref, id="bn-2d"),
    Case("contrib.BatchNormWithReLU", [X4] + C3 + STATS3, {"fix_gamma": False, **OMV},
         ref=lambda *a, **k: _bn_ref(*a, relu=True, **k), id="bn-relu-predict"),
    Case("LayerNorm", [_f32(2, 3, 4), _pos(4), _f32(4)], OMV, ref=_ln_ref),
    Case("LayerNorm", [_f32(3, 4, 2), _pos(4), _f32(4)], {"axis": 1, "eps": 0.1, **OMV},
         ref=_ln_ref, id="layer-norm-axis1"),
    Case("LayerNorm", [_f32(5), _pos(5), _f32(5)], OMV, ref=_ln_ref, id="layer-norm-1d"),
    Case("InstanceNorm", [X4] + C3, ref=_in_ref, grad=True),
    Case("InstanceNorm", [_f32(2, 2, 5), _pos(2), _f32(2)], {"eps": 0.01}, ref=_in_ref,
         grad=True, id="instance-norm-3d"),
    Case("GroupNorm", [_f32(2, 4, 3), _pos(2), _f32(2)], {"num_groups": 2, **OMV},
         ref=_gn_ref),
    Case("GroupNorm", [_f32(2, 4, 2, 2), _pos(4), _f32(4)],
         {"num_groups": 4, "eps": 0.01, **OMV}, ref=_gn_ref,
         id="group-norm-one-channel-per-group"),
    Case("L2Normalization", [_f32(2, 3, 2)], ref=_l2_ref, grad=True),
    Case("L2Normalization", [_f32(2, 3, 2, 2)], {"mode": "channel"}, ref=_l2_ref, grad=True,
         id="l2-channel"),
    Case("L2Normalization", [_f32(2, 3, 2, 2)], {"mode": "spatial", "eps": 0.1}, ref=_l2_ref,
         grad=True, id="l2-spatial"),
    Case("L2Normalization", [np.array([3.0, -4.0], np.float32)],
         ref=lambda x: np.sign(x), id="l2-1d-normalizes-each-element"),
    Case("LRN", [_f32(2, 5, 2, 2)], {"nsize": 3, "alpha": 0.5}, ref=_lrn_ref, grad=True),
    Case("LRN", [_f32(1, 6, 2, 1)], {"nsize": 4, "alpha": 0.4, "beta": 0.6, "knorm": 1.5},
         ref=_lrn_ref, grad=True, id="lrn-even-window-spans-nsize-minus-one"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_op_case(case):
    run_case(case)


def _gradient_check(fn, arrays, kwargs, n_diff):
    """Autograd gradients of the first output (recorded in training mode) against
    finite differences of the training-mode forward, for the first ``n_diff``
    inputs; the others (moving statistics) are held fixed."""
    fixed = [mx.nd.array(a, dtype=np.float64) for a in arrays[n_diff:]]

    def first(out):
        return out[0] if isinstance(out, list) else out

    def forward(*xs):
        with mx.autograd.train_mode():
            out = fn(*[mx.nd.array(a, dtype=np.float64) for a in xs], *fixed, **kwargs)
        return [first(out).asnumpy()]
    weights, expected = numeric_gradient(forward, arrays[:n_diff])
    xs = [mx.nd.array(a, dtype=np.float64) for a in arrays[:n_diff]]
    for x in xs:
        x.attach_grad()
    with mx.autograd.record():
        out = first(fn(*xs, *fixed, **kwargs))
    out.backward(mx.nd.array(weights[0], dtype=np.float64))
    for i, (x, e) in enumerate(zip(xs, expected)):
        np.testing.assert_allclose(x.grad.asnumpy(), e, rtol=1e-2, atol=1e-3,
                                   err_msg=f"gradient of input {i}")


def _bn_args(axis=1):
    x = _f32(3, 2, 4) + np.float32(0.3)
    c = x.shape[axis]
    return [x, _pos(c), _f32(c), _f32(c), _pos(c)]


GRADIENT_CASES = [
    ("BatchNorm", {"fix_gamma": False}, _bn_args()),
    ("BatchNorm", {"fix_gamma": False, "axis": -1, "output_mean_var": True}, _bn_args(-1)),
    ("BatchNorm", {"fix_gamma": False, "use_global_stats": True}, _bn_args()),
    ("BatchNorm_v1", {"fix_gamma": False}, _bn_args()),
    ("contrib.SyncBatchNorm", {"fix_gamma": False, "key": "k"}, _bn_args()),
    ("contrib.BatchNormWithReLU", {"fix_gamma": False}, _bn_args()),
    ("LayerNorm", {"output_mean_var": True}, [_f32(2, 3, 4), _pos(4), _f32(4)]),
    ("LayerNorm", {"axis": 0}, [_f32(3, 2), _pos(3), _f32(3)]),
    ("GroupNorm", {"num_groups": 2, "output_mean_var": True},
     [_f32(2, 4, 3), _pos(2), _f32(2)]),
]


@pytest.mark.parametrize("func,kwargs,arrays", GRADIENT_CASES,
                         ids=[f"{f}-{'-'.join(f'{k}={v}' for k, v in kw.items())}"
                              for f, kw, _ in GRADIENT_CASES])
def test_gradient_matches_finite_differences(func, kwargs, arrays):
    _gradient_check(nd_func(func), arrays, kwargs, 3)


def test_batch_norm_with_relu_training_forward():
    x, gamma, beta, mm, mv = [X4] + C3 + STATS3
    with mx.autograd.record():
        out = mx.nd.contrib.BatchNormWithReLU(*[mx.nd.array(a) for a in (x, gamma, beta, mm, mv)],
                                             fix_gamma=False)
    np.testing.assert_allclose(out.asnumpy(), _bn_ref(x, gamma, beta, mm, mv, fix_gamma=False,
                                                      train=True, relu=True), rtol=1e-5,
                               atol=1e-6)


# -- batch-norm behaviours -----------------------------------------------------------

def _bn_arrays(shape=(4, 3, 2)):
    return [mx.nd.array(a) for a in (_f32(*shape), _pos(3), _f32(3), _f32(3), _pos(3))]


def test_batch_norm_forward_alone_leaves_moving_stats_unchanged():
    x, gamma, beta, mm, mv = _bn_arrays()
    before = mm.asnumpy(), mv.asnumpy()
    with mx.autograd.train_mode():
        mx.nd.BatchNorm(x, gamma, beta, mm, mv).wait_to_read()
    with mx.autograd.record():
        mx.nd.BatchNorm(x, gamma, beta, mm, mv).wait_to_read()
    np.testing.assert_array_equal(mm.asnumpy(), before[0])
    np.testing.assert_array_equal(mv.asnumpy(), before[1])


def test_batch_norm_backward_folds_batch_stats_into_moving_stats():
    x, gamma, beta, mm, mv = _bn_arrays()
    old_mm, old_mv, xn = mm.asnumpy(), mv.asnumpy(), x.asnumpy()
    x.attach_grad()
    with mx.autograd.record():
        out = mx.nd.BatchNorm(x, gamma, beta, mm, mv, momentum=0.75)
    out.backward()
    np.testing.assert_allclose(mm.asnumpy(), 0.75 * old_mm + 0.25 * xn.mean((0, 2)), rtol=1e-5)
    # the biased variance, not the unbiased one
    np.testing.assert_allclose(mv.asnumpy(), 0.75 * old_mv + 0.25 * xn.var((0, 2)), rtol=1e-5)


def test_batch_norm_fix_gamma_writes_ones_into_gamma_and_gives_it_no_gradient():
    x, gamma, beta, mm, mv = _bn_arrays()
    gamma.attach_grad()
    with mx.autograd.record():
        out = mx.nd.BatchNorm(x, gamma, beta, mm, mv)
    out.backward()
    np.testing.assert_array_equal(gamma.asnumpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(gamma.grad.asnumpy(), np.zeros(3, np.float32))


def test_batch_norm_shows_mean_and_var_only_with_output_mean_var():
    args = _bn_arrays()
    assert isinstance(mx.nd.BatchNorm(*args), mx.nd.NDArray)
    out, mean, invstd = mx.nd.BatchNorm(*args, output_mean_var=True)
    np.testing.assert_allclose(invstd.asnumpy(), 1 / np.sqrt(args[4].asnumpy() + 1e-3),
                               rtol=1e-6)
    _, _, var = mx.nd.BatchNorm_v1(*args, output_mean_var=True)
    np.testing.assert_array_equal(var.asnumpy(), args[4].asnumpy())


def test_batch_norm_float16_data_takes_float32_parameters():
    x, gamma, beta, mm, mv = _bn_arrays()
    out, mean, var = mx.nd.BatchNorm(x.astype("float16"), gamma, beta, mm, mv,
                                     output_mean_var=True)
    assert (out.dtype, mean.dtype, var.dtype) == (np.float16, np.float32, np.float32)


def test_layer_norm_mean_and_std_outputs_keep_the_axis():
    x = _f32(2, 3, 4)
    _, mean, std = mx.nd.LayerNorm(mx.nd.array(x), mx.nd.ones((3,)), mx.nd.zeros((3,)), axis=1,
                                   output_mean_var=True)
    np.testing.assert_allclose(mean.asnumpy(), x.mean(1, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std.asnumpy(), np.sqrt(x.var(1, keepdims=True) + 1e-5),
                               rtol=1e-5)


# -- errors ----------------------------------------------------------------------------

def _nd(*shape, dtype="float32"):
    return mx.nd.ones(shape, dtype=dtype)


BAD_CALLS = [
    ("bn-gamma-shape", lambda: mx.nd.BatchNorm(_nd(2, 4, 3), _nd(3), _nd(4), _nd(4), _nd(4)),
     "gamma"),
    ("bn-moving-var-shape",
     lambda: mx.nd.BatchNorm(_nd(2, 4, 3), _nd(4), _nd(4), _nd(4), _nd(2)), "moving_var"),
    ("bn-axis", lambda: mx.nd.BatchNorm(_nd(2, 4, 3), _nd(4), _nd(4), _nd(4), _nd(4), axis=3),
     "axis"),
    ("bn-int-data", lambda: mx.nd.BatchNorm(*[_nd(2, 4, dtype="int32")] + [_nd(4)] * 4),
     "int32"),
    ("bn-param-dtype", lambda: mx.nd.BatchNorm(_nd(2, 4, dtype="float64"), *[_nd(4)] * 4),
     "dtype"),
    ("sync-bn-without-key",
     lambda: mx.nd.contrib.SyncBatchNorm(_nd(2, 4), *[_nd(4)] * 4), "key"),
    ("ln-gamma-shape", lambda: mx.nd.LayerNorm(_nd(2, 3), _nd(2), _nd(3)), "gamma"),
    ("ln-axis", lambda: mx.nd.LayerNorm(_nd(2, 3), _nd(3), _nd(3), axis=-3), "axis"),
    ("in-2d", lambda: mx.nd.InstanceNorm(_nd(2, 3), _nd(3), _nd(3)), "3 axes"),
    ("in-beta-shape", lambda: mx.nd.InstanceNorm(_nd(2, 3, 2), _nd(3), _nd(2)), "beta"),
    ("gn-groups", lambda: mx.nd.GroupNorm(_nd(2, 4, 3), _nd(3), _nd(3), num_groups=3),
     "num_groups"),
    ("gn-gamma-per-channel",
     lambda: mx.nd.GroupNorm(_nd(2, 4, 3), _nd(4), _nd(4), num_groups=2), "gamma"),
    ("l2-channel-2d", lambda: mx.nd.L2Normalization(_nd(2, 3), mode="channel"), "3 axes"),
    ("l2-mode", lambda: mx.nd.L2Normalization(_nd(2, 3), mode="row"), "mode"),
    ("lrn-3d", lambda: mx.nd.LRN(_nd(1, 3, 2), nsize=3), "4-d"),
    ("lrn-nsize", lambda: mx.nd.LRN(_nd(1, 3, 2, 2), nsize=0), "nsize"),
]


@pytest.mark.parametrize("call,needle", [(c, n) for _, c, n in BAD_CALLS],
                         ids=[i for i, _, _ in BAD_CALLS])
def test_bad_arguments_raise(call, needle):
    with pytest.raises(MXNetError, match=needle):
        call().wait_to_read()
