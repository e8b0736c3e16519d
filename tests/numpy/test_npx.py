"""mx.npx: operator functions on mx.np.ndarray, the _npx_* declarations, reshape codes,
nonzero, constraint_check and the switches."""
import inspect

import numpy as onp
import pytest

import mxnet as mx
from mxnet import autograd, npx
from mxnet.base import MXNetError
from mxnet.numpy import ndarray as np_ndarray
from mxnet.ops import registry


def _np(a, dtype="float32"):
    return mx.nd.array(onp.asarray(a), dtype=dtype).as_np_ndarray()


def _rand(*shape, seed=0):
    return onp.random.RandomState(seed).uniform(-1, 1, shape).astype("float32")


X = _rand(2, 3, 4, 4)
W = _rand(5, 3, 3, 3, seed=1)
B = _rand(5, seed=2)
V = _rand(4, 6, seed=3)

# (npx function, legacy mx.nd function, input arrays, keyword parameters): the np
# function computes what the legacy operator computes, as an mx.np.ndarray.
SAME_AS_LEGACY = [
    ("activation", "Activation", [V], {"act_type": "tanh"}),
    ("relu", "relu", [V], {}),
    ("sigmoid", "sigmoid", [V], {}),
    ("softmax", "softmax", [V], {"axis": 0}),
    ("log_softmax", "log_softmax", [V], {}),
    ("leaky_relu", "LeakyReLU", [V], {"slope": 0.1}),
    ("fully_connected", "FullyConnected", [V, _rand(3, 6), _rand(3)], {"num_hidden": 3}),
    ("convolution", "Convolution", [X, W, B], {"kernel": (3, 3), "num_filter": 5, "pad": (1, 1)}),
    ("deconvolution", "Deconvolution", [X, _rand(3, 2, 2, 2)], {"kernel": (2, 2), "num_filter": 2}),
    ("pooling", "Pooling", [X], {"kernel": (2, 2), "pool_type": "avg", "stride": (2, 2)}),
    ("layer_norm", "LayerNorm", [V, _rand(6), _rand(6)], {}),
    ("dropout", "Dropout", [V], {"p": 0.5}),
    ("embedding", "Embedding", [onp.array([[0, 2], [1, 1]], "float32"), _rand(3, 4)],
     {"input_dim": 3, "output_dim": 4}),
    ("one_hot", "one_hot", [onp.array([1, 0, 2], "float32")], {"depth": 3}),
    ("pick", "pick", [V, onp.array([0, 5, 2, 1], "float32")], {"axis": 1}),
    ("topk", "topk", [V], {"k": 2, "ret_typ": "value"}),
    ("sequence_mask", "SequenceMask", [V, onp.array([1, 2, 3, 4, 1, 2], "float32")],
     {"use_sequence_length": True, "value": -1.0}),
    ("batch_dot", "batch_dot", [_rand(2, 3, 4), _rand(2, 4, 5)], {}),
    ("batch_flatten", "Flatten", [X], {}),
    ("reshape_like", "reshape_like", [V, _rand(2, 12)], {}),
    ("arange_like", "_contrib_arange_like", [V], {"axis": 1}),
    ("shape_array", "shape_array", [X], {}),
    ("cast", "Cast", [V], {"dtype": "float16"}),
    ("erf", "erf", [V], {}),
    ("erfinv", "erfinv", [V * 0.9], {}),
    ("gamma", "gamma", [V + 2], {}),
    ("gammaln", "gammaln", [V + 2], {}),
    ("gather_nd", "gather_nd", [V, onp.array([[0, 3], [1, 5]], "float32")], {}),
    ("slice", "slice", [V], {"begin": (1, 0), "end": (3, 4)}),
    ("smooth_l1", "smooth_l1", [V], {"scalar": 2.0}),
    ("roi_pooling", "ROIPooling", [X, onp.array([[0, 0, 0, 3, 3]], "float32")],
     {"pooled_size": (2, 2), "spatial_scale": 1.0}),
    ("multibox_prior", "_contrib_MultiBoxPrior", [X], {"sizes": (0.5, 0.25)}),
]


@pytest.mark.parametrize("name, legacy, inputs, params", SAME_AS_LEGACY,
                         ids=[row[0] for row in SAME_AS_LEGACY])
def test_npx_operator_matches_legacy(name, legacy, inputs, params):
    out = getattr(npx, name)(*[_np(a) for a in inputs], **params)
    ref = getattr(mx.nd, legacy, None) or getattr(mx.nd.contrib, legacy.replace("_contrib_", ""))
    expected = ref(*[mx.nd.array(a) for a in inputs], **params)
    assert type(out) is np_ndarray
    assert out.dtype == expected.dtype and out.shape == expected.shape
    onp.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-6, atol=1e-7)


def test_npx_names_are_declared_as_mxnet_does():
    # Aliases of the legacy operator (graphs store the legacy name) ...
    assert registry.get("_npx_fully_connected") is registry.get("FullyConnected")
    assert registry.get("_npx_batch_flatten") is registry.get("Flatten")
    # ... except the operators MXNet declares on their own.
    for name in ("_npx_relu", "_npx_sigmoid", "_npx_reshape", "_npx_nonzero",
                 "_npx_constraint_check"):
        assert registry.get(name).name == name
    s = mx.sym._internal._npx_fully_connected(mx.sym.var("x"), num_hidden=2, name="fc")
    assert '"op": "FullyConnected"' in s.tojson()


def test_signatures_follow_mxnet_parameter_order():
    params = list(inspect.signature(npx.pooling).parameters)
    assert params[:5] == ["data", "kernel", "pool_type", "global_pool", "cudnn_off"]
    assert list(inspect.signature(npx.relu).parameters) == ["data", "out", "name", "kwargs"]
    assert list(inspect.signature(npx.reshape).parameters) == ["a", "newshape", "reverse",
                                                               "order"]
    # a positional parameter lands where MXNet's order puts it
    x = _np(X)
    out = npx.pooling(x, (2, 2), "max", False, False, "valid", (2, 2))
    assert out.shape == (2, 3, 2, 2)


def test_legacy_ndarray_input_is_a_type_error():
    with pytest.raises(TypeError, match="mx.np.ndarray"):
        npx.relu(mx.nd.ones((2,)))
    with pytest.raises(TypeError):
        npx.reshape(mx.nd.ones((2,)), (-1,))


def test_out_and_several_outputs():
    x = _np(V)
    out = _np(onp.zeros((4, 6)))
    assert npx.relu(x, out=out) is out
    onp.testing.assert_allclose(out.asnumpy(), onp.maximum(V, 0))
    res = npx.batch_norm(x, _np(onp.ones(6)), _np(onp.zeros(6)), _np(onp.zeros(6)),
                         _np(onp.ones(6)), axis=1, output_mean_var=True)
    assert len(res) == 3 and all(type(r) is np_ndarray for r in res)
    values, indices = npx.topk(x, k=2, ret_typ="both")
    assert type(values) is np_ndarray and type(indices) is np_ndarray


def test_gradients_flow_through_npx_operators():
    x = _np(V)
    w = _np(_rand(3, 6))
    x.attach_grad()
    w.attach_grad()
    with autograd.record():
        y = npx.fully_connected(x, w, num_hidden=3, no_bias=True)
        z = npx.relu(y)
        loss = npx.reshape(z, (-1,)).sum()
    loss.backward()
    mask = (V @ _rand(3, 6).T) > 0
    onp.testing.assert_allclose(x.grad.asnumpy(), mask.astype("float32") @ _rand(3, 6),
                                rtol=1e-5, atol=1e-6)
    onp.testing.assert_allclose(w.grad.asnumpy(), mask.T.astype("float32") @ V,
                                rtol=1e-5, atol=1e-6)


# input shape, newshape, reverse, expected shape (checked against MXNet 1.9.1)
RESHAPES = [
    ((2, 3, 4), (-1,), False, (24,)),
    ((2, 3, 4), (-2, -1), False, (2, 12)),
    ((2, 3, 4), (6, -1), False, (6, 4)),
    ((2, 3, 4), (-4,), False, (2, 3, 4)),
    ((2, 3, 4), (-5, -1), False, (6, 4)),
    ((2, 3, 4), (2, -5), False, (2, 12)),
    ((2, 3, 4), (-6, 1, 2, -2, -2), False, (1, 2, 3, 4)),
    ((2, 3, 4), (-2, -6, -1, 1, -2), False, (2, 3, 1, 4)),
    ((2, 1, 4), (-2, -3, -2), False, (2, 4)),
    ((2, 3, 4), (-1, -2), True, (6, 4)),
    ((2, 3, 4), (-1, -5), True, (2, 12)),
    ((2, 3, 4), (1, -4), True, (1, 2, 3, 4)),
    ((1, 3, 4), (-3, -2, -2), True, (3, 4)),
    ((0, 3), (-2, 3), False, (0, 3)),
]


@pytest.mark.parametrize("shape, newshape, reverse, expected", RESHAPES)
def test_reshape_codes(shape, newshape, reverse, expected):
    data = onp.arange(onp.prod(shape), dtype="float32").reshape(shape)
    out = npx.reshape(_np(data), newshape, reverse=reverse)
    assert type(out) is np_ndarray and out.shape == expected
    onp.testing.assert_array_equal(out.asnumpy(), data.reshape(expected))


@pytest.mark.parametrize("newshape", [(-3, 4), (-4, 2), (0, -1), (-2, -3), (-1, -1), (-7,),
                                      (-6, -1, -1, 4), (-6, 5, -1, 4)])
def test_reshape_bad_codes_raise(newshape):
    with pytest.raises(MXNetError, match="_npx_reshape"):
        npx.reshape(_np(onp.zeros((2, 3, 4))), newshape)


def test_reshape_reverse_errors_quote_the_call():
    with pytest.raises(MXNetError, match=r"\(2, 3, 4\) to \(-2, -6, 2, 2\) \(reverse=True\)"):
        npx.reshape(_np(onp.zeros((2, 3, 4))), (-2, -6, 2, 2), reverse=True)


def test_reshape_gradient_and_symbol():
    x = _np(V)
    x.attach_grad()
    with autograd.record():
        y = npx.reshape(x, (-6, 2, 2, -2)) * 3
    y.backward()
    onp.testing.assert_allclose(x.grad.asnumpy(), onp.full((4, 6), 3.0))
    s = mx.sym._internal._npx_reshape(mx.sym.var("a"), newshape=(-5,))
    assert s.infer_shape(a=(2, 3))[1] == [(6,)]


def test_nonzero():
    out = npx.nonzero(_np([[0, 1], [2, 0]]))
    assert type(out) is np_ndarray and out.dtype == onp.int64
    onp.testing.assert_array_equal(out.asnumpy(), [[0, 1], [1, 0]])
    assert npx.nonzero(_np(3.0)).shape == (1, 1)      # a zero-d input counts as 1-d
    assert npx.nonzero(_np(0.0)).shape == (0, 1)
    assert npx.nonzero(_np(onp.zeros((0, 3)))).shape == (0, 2)


def test_constraint_check():
    ok = npx.constraint_check(_np([True, True], dtype="bool"), "never")
    assert ok.shape == () and ok.dtype == onp.bool_ and bool(ok.asnumpy())
    with pytest.raises(ValueError, match="lengths must be positive"):
        npx.constraint_check(_np([True, False], dtype="bool"),
                             "lengths must be positive").asnumpy()
    with pytest.raises(MXNetError, match="bool"):
        npx.constraint_check(_np([1.0]), "m").asnumpy()


def test_save_and_load_are_npx_functions(tmp_path):
    npx.set_np()
    try:
        npx.save(str(tmp_path / "a.npy"), {"x": _np([1.0, 2.0])})
        loaded = npx.load(str(tmp_path / "a.npy"))
    finally:
        npx.reset_np()
    assert type(loaded["x"]) is np_ndarray
    onp.testing.assert_array_equal(loaded["x"].asnumpy(), [1.0, 2.0])


def test_switches_and_devices():
    assert npx.cpu() == mx.cpu() and npx.current_context() == mx.current_context()
    assert npx.num_gpus() == mx.context.num_gpus()
    prev = (npx.is_np_shape(), npx.is_np_array())
    try:
        npx.set_np()
        assert npx.is_np_shape() and npx.is_np_array()
        npx.reset_np()
        assert not npx.is_np_shape() and not npx.is_np_array()
    finally:
        mx.util.set_np(*prev)
    npx.waitall()


IMAGE = onp.random.RandomState(3).randint(0, 255, (6, 5, 3)).astype("uint8")

# (npx.image function, keyword parameters): the legacy mx.nd.image result, as mx.np.
IMAGE_OPS = [
    ("to_tensor", {}),
    ("resize", {"size": (4, 3)}),
    ("crop", {"x": 1, "y": 2, "width": 3, "height": 2}),
    ("flip_left_right", {}),
    ("flip_top_bottom", {}),
]


@pytest.mark.parametrize("name, params", IMAGE_OPS, ids=[row[0] for row in IMAGE_OPS])
def test_npx_image_operators(name, params):
    out = getattr(npx.image, name)(_np(IMAGE, dtype="uint8"), **params)
    expected = getattr(mx.nd.image, name)(mx.nd.array(IMAGE, dtype="uint8"), **params)
    assert type(out) is np_ndarray and out.dtype == expected.dtype
    onp.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-6)
    normalized = npx.image.normalize(npx.image.to_tensor(_np(IMAGE, dtype="uint8")),
                                     mean=(0.5, 0.4, 0.3), std=(0.2, 0.2, 0.2))
    assert normalized.shape == (3, 6, 5)
    assert registry.get("_npx__image_" + name) is registry.get("_image_" + name)
    with mx.name.NameManager():
        node = mx.sym.npx.image.to_tensor(mx.sym.var("x").as_np_ndarray())
    assert node.list_outputs() == ["to_tensor0_output"]


def test_npx_random_bernoulli():
    mx.random.seed(11)
    draws = npx.random.bernoulli(0.3, size=(20000,))
    assert type(draws) is np_ndarray and draws.dtype == onp.float32
    assert set(onp.unique(draws.asnumpy())) <= {0.0, 1.0}
    assert abs(draws.asnumpy().mean() - 0.3) < 0.02
    assert abs(npx.random.bernoulli(logit=0.0, size=20000).asnumpy().mean() - 0.5) < 0.02
    probs = _np([0.0, 1.0])
    onp.testing.assert_array_equal(npx.random.bernoulli(probs, size=(3, 2)).asnumpy(),
                                   [[0, 1]] * 3)
    assert npx.random.bernoulli(0.5, size=3, dtype="bool").dtype == onp.bool_
    with pytest.raises(ValueError, match="Either `prob` or `logit`"):
        npx.random.bernoulli()
    with pytest.raises(ValueError, match="Either `prob` or `logit`"):
        npx.random.bernoulli(0.1, 0.2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        npx.random.bernoulli(1.5).asnumpy()
    probs.attach_grad()
    with autograd.record():
        out = npx.random.bernoulli(probs)
    out.backward()
    onp.testing.assert_array_equal(probs.grad.asnumpy(), [0, 0])   # as MXNet: no gradient


@pytest.mark.parametrize("fn, params", [(npx.random.uniform_n, (0.0, 1.0)),
                                        (npx.random.normal_n, (0.0, 1.0))])
def test_npx_random_batched_samplers(fn, params):
    assert fn(*params, batch_shape=(2, 4)).shape == (2, 4)
    assert fn(*params).shape == ()
    assert fn(_np(onp.zeros((2, 1))), _np(onp.ones(3)), batch_shape=5).shape == (5, 2, 3)
    mx.random.seed(3)
    a = fn(_np(onp.zeros(3)), 1.0, batch_shape=(4,)).asnumpy()
    mx.random.seed(3)
    b = fn(_np(onp.zeros(3)), 1.0, batch_shape=(4,)).asnumpy()
    onp.testing.assert_array_equal(a, b)


def test_npx_random_normal_n_gradient():
    loc = _np([0.3, 0.6])
    loc.attach_grad()
    with autograd.record():
        out = npx.random.normal_n(loc, 1.0, batch_shape=(3,))
    out.backward()
    onp.testing.assert_allclose(loc.grad.asnumpy(), [3.0, 3.0])   # d(loc + z)/dloc, summed
