"""Regressions found by running MXNet 1.9 style programs (GluonNLP, GluonCV,
Sockeye, GluonTS, Module tutorials) side by side with MXNet 1.9.1.

Expected values are what MXNet 1.9.1 gives (noted next to each literal) or are
computed here with NumPy or by the imperative path of the same model."""
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import gluon, nd
from mxnet.gluon import nn, rnn


def test_fully_connected_learns_batch_size_from_its_output():
    # An RNN begin state is zeros of shape (0, hidden): its batch size comes
    # back through the h2h layer from the sum with the i2h layer's output.
    h, x = mx.sym.var("h"), mx.sym.var("x")
    net = mx.sym.FullyConnected(h, num_hidden=4) + mx.sym.FullyConnected(x, num_hidden=4)
    args, outs, _ = net.infer_shape_partial(x=(2, 3), h=(0, 6))
    assert args[0] == (2, 6) and outs == [(2, 4)]
    # Only the first axis is learnt, as in MXNet 1.9.1.
    seq = mx.sym.FullyConnected(h, num_hidden=4, flatten=False) \
        + mx.sym.FullyConnected(x, num_hidden=4, flatten=False)
    args, outs, _ = seq.infer_shape_partial(x=(2, 5, 3), h=(0, 0, 6))
    assert args[0] == (2, 0, 6) and outs == [(2, 5, 4)]


class _FinalCellState(gluon.HybridBlock):
    """Only the last cell state of an unrolled LSTM, so the hidden begin state
    reaches the outputs through the h2h FullyConnected alone."""

    def __init__(self):
        super().__init__()
        self.cell = rnn.LSTMCell(6, input_size=3)

    def hybrid_forward(self, F, x, valid_length):
        _, states = self.cell.unroll(5, x, layout="NTC", merge_outputs=True,
                                     valid_length=valid_length)
        return states[1]


def test_hybridized_unroll_returning_only_the_cell_state():
    net = _FinalCellState()
    net.initialize(mx.init.Uniform(0.3))
    x = nd.array(np.random.RandomState(0).randn(2, 5, 3))
    valid_length = nd.array([5, 2])
    eager = net(x, valid_length).asnumpy()
    net.hybridize()
    hybrid = net(x, valid_length).asnumpy()
    assert hybrid.shape == (2, 6)
    np.testing.assert_allclose(hybrid, eager, rtol=1e-5, atol=1e-6)


def _saved_dense(tmp_path, **arrays):
    path = str(tmp_path / "dense.params")
    nd.save(path, arrays)
    return path


@pytest.mark.parametrize("arrays, expected", [
    ({"weight": nd.ones((3, 2))}, "is missing"),
    ({"weight": nd.ones((3, 2)), "bias": nd.ones(3), "x": nd.ones(1)}, "is not present"),
    ({"weight": nd.ones((4, 2)), "bias": nd.ones(3)}, "shape incompatible"),
    ({"weight": nd.ones((3, 2), dtype="float16"), "bias": nd.ones(3)}, "dtype incompatible"),
])
def test_parameter_file_mismatch_is_an_assertion_error_as_in_mxnet(tmp_path, arrays, expected):
    # MXNet 1.9.1 raises AssertionError here; scripts catch it to retry with
    # allow_missing/ignore_extra, so the MXNetError must also be one.
    path = _saved_dense(tmp_path, **arrays)
    for load in (lambda d: d.load_parameters(path),
                 lambda d: d.collect_params().load(path, restore_prefix="d_")):
        with pytest.raises(AssertionError, match=expected) as info:
            load(nn.Dense(3, in_units=2, prefix="d_"))
        assert isinstance(info.value, mx.base.MXNetError)


def test_structural_parameter_file_mismatch_errors(tmp_path):
    saved = nn.HybridSequential()
    saved.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3))
    saved.initialize()
    path = str(tmp_path / "seq.params")
    saved.save_parameters(path)
    smaller = nn.HybridSequential()
    smaller.add(nn.Dense(3, in_units=2))
    with pytest.raises(ValueError, match="'1.weight' loaded from file"):  # ValueError in MXNet
        smaller.load_parameters(path)
    bigger = nn.HybridSequential()
    bigger.add(nn.Dense(3, in_units=2), nn.Dense(2, in_units=3), nn.Dense(1, in_units=2))
    with pytest.raises(AssertionError, match="'2.weight' is missing"):
        bigger.load_parameters(path)


def test_incompatible_set_data_and_restore_prefix_are_assertion_errors(tmp_path):
    dense = nn.Dense(3, in_units=2, prefix="d_")
    dense.initialize()
    with pytest.raises(AssertionError, match="incompatible"):
        dense.weight.set_data(nd.ones((5, 5)))
    path = str(tmp_path / "pd.params")
    dense.collect_params().save(path)
    with pytest.raises(AssertionError, match="restore_prefix is 'zz_'"):
        dense.collect_params().load(path, restore_prefix="zz_")


_INF, _NAN = np.inf, np.nan

# Operators fed infinities, NaNs or overflowing values give what MXNet 1.9.1
# gives (values from it) without a NumPy RuntimeWarning: under
# ``warnings.simplefilter("error")``, common in test suites, a warning would
# turn into a failed operator.
_SILENT_CASES = {
    "BatchNorm": (lambda: nd.BatchNorm(nd.ones((1, 2, 1, 1)), nd.ones(2), nd.zeros(2),
                                       nd.zeros(2), nd.array([-5., 1.]), fix_gamma=False,
                                       use_global_stats=True).reshape((-1,)),
                  [_NAN, 0.9995004]),
    "LayerNorm": (lambda: nd.LayerNorm(nd.array([[1., _INF, 2.], [1., 2., 3.]]),
                                       nd.ones(3), nd.zeros(3)).reshape((-1,)),
                  [_NAN, _NAN, _NAN, -1.2247356, 0., 1.2247356]),
    "InstanceNorm": (lambda: nd.InstanceNorm(nd.array([[[1., _INF]]]), nd.ones(1),
                                             nd.zeros(1)).reshape((-1,)), [_NAN, _NAN]),
    "L2Normalization": (lambda: nd.L2Normalization(nd.array([[1e30, 1.]])).reshape((-1,)),
                        [0., 0.]),
    "softmax_cross_entropy": (lambda: nd.softmax_cross_entropy(
        nd.array([[_INF, 0.], [0., 0.]]), nd.array([0, 1])), [_NAN]),
    "Activation": (lambda: nd.Activation(nd.array([_INF, -_INF, _NAN, 0.]),
                                         act_type="softrelu"), [_INF, 0., _NAN, 0.6931472]),
    "moments": (lambda: nd.moments(nd.array([[_INF, 1.], [1., 2.]]), axes=(1,))[1],
                [_NAN, 0.25]),
    "Cast": (lambda: nd.array([_NAN, 1e30, -1e30, 2.7]).astype("int32"),
             [-2147483648, -2147483648, -2147483648, 2]),
    "FullyConnected": (lambda: nd.FullyConnected(nd.array([[_INF, 1.]]), nd.array([[0., 1.]]),
                                                 nd.zeros(1), num_hidden=1).reshape((-1,)),
                       [_NAN]),
    "Convolution": (lambda: nd.Convolution(nd.full((1, 1, 1, 2), 1e30),
                                           nd.full((1, 1, 1, 1), 1e30), nd.zeros(1),
                                           kernel=(1, 1), num_filter=1).reshape((-1,)),
                    [_INF, _INF]),
    "Pooling": (lambda: nd.Pooling(nd.full((1, 1, 2, 2), 1e30), kernel=(2, 2), pool_type="lp",
                                   p_value=2).reshape((-1,)), [_INF]),
}


@pytest.mark.parametrize("name", sorted(_SILENT_CASES))
def test_operators_compute_through_inf_and_nan_silently(name):
    run, expected = _SILENT_CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = run().asnumpy()
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_normalization_gradients_through_inf_are_silent():
    x = nd.array([[1., _INF, 2.]])
    x.attach_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with mx.autograd.record():
            y = nd.LayerNorm(x, nd.ones(3), nd.zeros(3)) + nd.BatchNorm(
                x.reshape((1, 3, 1, 1)), nd.ones(3), nd.zeros(3), nd.zeros(3),
                nd.ones(3)).reshape((1, 3))
        y.backward()
        assert np.isnan(x.grad.asnumpy()).all()  # MXNet 1.9.1: nan everywhere too


def test_norms_scale_instead_of_overflowing_or_underflowing():
    # float32 squares of 1e30 overflow and of 1e-30 underflow; MXNet 1.9.1 scales by
    # the largest magnitude and gives the norm (values from it).
    big = nd.array([[1e30, 1.], [1., 2.]])
    np.testing.assert_allclose(nd.norm(big, axis=1).asnumpy(), [1e30, 2.236068], rtol=1e-6)
    np.testing.assert_allclose(nd.norm(nd.array([1e-30, 1e-30])).asnumpy(), [1.4142136e-30],
                               rtol=1e-6)
    assert np.isinf(nd.norm(nd.array([3e38, 3e38])).asscalar())  # beyond float32 itself
    assert nd.norm(nd.zeros((2, 0))).asscalar() == 0
    np.testing.assert_allclose(mx.np.linalg.norm(big.as_np_ndarray(), ord="nuc").asnumpy(),
                               1e30, rtol=1e-6)
    np.testing.assert_allclose(
        mx.np.linalg.norm(big.as_np_ndarray(), axis=1, keepdims=True).asnumpy(),
        [[1e30], [2.236068]], rtol=1e-6)
    x = nd.array([1e30, 1.])
    x.attach_grad()
    with mx.autograd.record():
        n = nd.norm(x)
    n.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [1., 1e-30], rtol=1e-6)


@pytest.mark.parametrize("make, expected", [
    (lambda: nd.array([1e20], dtype="float16"), [np.inf]),
    (lambda: nd.array(np.array([np.nan]), dtype="int32"), [-2147483648]),
    (lambda: mx.np.array([1e20], dtype="float16"), [np.inf]),
    (lambda: nd.full((2,), 1e20, dtype="float16"), [np.inf, np.inf]),
    (lambda: nd.full((2,), np.nan, dtype="int32"), [-2147483648] * 2),
    (lambda: mx.np.full((2,), np.nan, dtype="int32"), [-2147483648] * 2),
    (lambda: mx.np.full_like(mx.np.ones(2), np.nan, dtype="int32"), [-2147483648] * 2),
])
def test_creating_arrays_from_out_of_range_values_is_silent(make, expected):
    # MXNet 1.9.1 converts in C: inf for float16 overflow, INT_MIN for nan (x86).
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        np.testing.assert_array_equal(make().asnumpy(), expected)


def test_mxnet_1x_module_names():
    import importlib
    assert mx.img is mx.image and mx.rnd is mx.random
    assert importlib.import_module("mxnet.attribute").AttrScope is mx.AttrScope
    name = importlib.import_module("mxnet.name")
    with name.Prefix("p_"):
        assert mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2).name.startswith("p_")
    assert importlib.import_module("mxnet.contrib.io").DataLoaderIter is \
        mx.contrib.io.DataLoaderIter


def test_log_get_logger_format(capsys, tmp_path):
    logger = mx.log.get_logger("compat_sweep_logger", level=mx.log.INFO)
    assert logger.level == mx.log.INFO
    logger.info("hello %d", 3)
    logger.debug("hidden")
    err = capsys.readouterr().err
    # MXNet 1.9.1: "\x1b[32mI1126 05:43:23 31431 file.py:function:11]\x1b[0m hello 3"
    assert err.startswith("\x1b[32mI") and err.endswith("]\x1b[0m hello 3\n")
    assert "test_compat_sweep.py:test_log_get_logger_format:" in err
    assert "hidden" not in err
    assert mx.log.get_logger("compat_sweep_logger") is logger  # one handler only
    assert len(logger.handlers) == 1
    path = tmp_path / "log.txt"
    to_file = mx.log.get_logger("compat_sweep_file", filename=str(path), level=mx.log.DEBUG)
    to_file.warning("w %d", 1)
    to_file.handlers[0].flush()
    assert path.read_text() == "w 1\n"
    with pytest.warns(DeprecationWarning, match="Use get_logger"):
        mx.log.getLogger("compat_sweep_old")


def test_dummy_iter_repeats_the_first_batch():
    real = mx.io.NDArrayIter(np.arange(12).reshape((6, 2)), np.zeros(6), batch_size=3)
    dummy = mx.test_utils.DummyIter(real)
    assert isinstance(dummy, mx.io.DataIter) and iter(dummy) is dummy
    assert dummy.batch_size == 3 and dummy.provide_data == real.provide_data
    first = next(dummy)
    assert dummy.next() is first and next(dummy) is first
    np.testing.assert_array_equal(first.data[0].asnumpy(), [[0, 1], [2, 3], [4, 5]])


def test_data_loader_iter_feeds_module_batches():
    data = gluon.data.ArrayDataset(np.arange(20).reshape((10, 2)).astype("float64"),
                                   np.arange(10))
    it = mx.contrib.io.DataLoaderIter(gluon.data.DataLoader(data, batch_size=4))
    assert [(d.name, d.shape) for d in it.provide_data] == [("data", (4, 2))]
    assert [(d.name, d.shape) for d in it.provide_label] == [("softmax_label", (4,))]
    batches = list(it)
    assert [b.pad for b in batches] == [0, 0, 2]
    last = batches[-1]
    assert last.data[0].dtype == np.float32 and last.data[0].shape == (4, 2)
    np.testing.assert_array_equal(last.label[0].asnumpy()[:2], [8, 9])
    np.testing.assert_array_equal(last.data[0].asnumpy()[:2], [[16, 17], [18, 19]])
    it.reset()
    assert len(list(it)) == 3


def test_interval_sampler_at_its_contrib_path():
    from mxnet.gluon.contrib.data.sampler import IntervalSampler
    assert list(IntervalSampler(7, 3)) == [0, 3, 6, 1, 4, 2, 5]  # MXNet 1.9.1
    assert list(mx.gluon.contrib.data.IntervalSampler(7, 3, rollover=False)) == [0, 3, 6]


def _adam_run(ctxs, steps, states_in=None, states_out=None):
    net = nn.Dense(3, in_units=4)
    net.initialize(mx.init.Constant(0.1), ctx=ctxs)
    if states_in:
        net.weight.set_data(nd.array(np.load(states_in + ".w.npy")))
        net.bias.set_data(nd.array(np.load(states_in + ".b.npy")))
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.05})
    if states_in:
        trainer.load_states(states_in)
    x = nd.array(np.random.RandomState(0).randn(8, 4))
    for _ in range(steps):
        parts = gluon.utils.split_and_load(x, ctxs)
        with mx.autograd.record():
            losses = [net(p).square().sum() for p in parts]
        for loss in losses:
            loss.backward()
        trainer.step(8)
    if states_out:
        trainer.save_states(states_out)
        np.save(states_out + ".w.npy", net.weight.data(ctxs[0]).asnumpy())
        np.save(states_out + ".b.npy", net.bias.data(ctxs[0]).asnumpy())
    return net.weight.data(ctxs[0]).asnumpy()


@pytest.mark.parametrize("saved_on, resumed_on", [
    ([mx.cpu(0), mx.cpu(1)], [mx.cpu(0)]),
    ([mx.cpu(0)], [mx.cpu(0), mx.cpu(1)]),
])
def test_trainer_states_resume_on_another_device_layout(tmp_path, saved_on, resumed_on):
    # The saved optimizer counts updates per device; resumed on another layout,
    # Adam must continue at step 4, not restart bias correction at step 1.
    path = str(tmp_path / "adam.states")
    _adam_run(saved_on, 3, states_out=path)
    resumed = _adam_run(resumed_on, 1, states_in=path)
    straight = _adam_run([mx.cpu(0)], 4)
    np.testing.assert_allclose(resumed, straight, rtol=1e-5, atol=1e-6)


def test_pre_1_0_contrib_autograd_api():
    from mxnet.contrib import autograd as old
    x, g = nd.array([1., 2.]), nd.zeros(2)
    old.mark_variables([x], [g])
    with old.train_section():
        assert mx.autograd.is_recording() and mx.autograd.is_training()
        y = x * x * 3
    assert not mx.autograd.is_recording()
    old.backward([y])
    np.testing.assert_array_equal(g.asnumpy(), [6, 12])
    grads, loss = old.grad_and_loss(lambda a, b: (a * b).sum())(nd.array([1., 2.]),
                                                                nd.array([3., 4.]))
    assert [v.asnumpy().tolist() for v in grads] == [[3, 4], [1, 2]]
    assert loss.asnumpy().tolist() == [11]
    only_b = old.grad(lambda a, b: (a * b).sum(), argnum=1)(nd.array([1., 5.]), nd.array([2., 3.]))
    assert only_b[0].asnumpy().tolist() == [1, 5]
    assert old.set_is_training(True) is False and old.set_is_training(False) is True
    with pytest.raises(TypeError, match="should NDArray"):
        old.grad(lambda a: a)(np.ones(2))


def test_random_color_transforms_take_mxnet_keyword_names():
    from mxnet.gluon.data.vision import transforms
    image = nd.ones((4, 4, 3)) * 100
    for make in (lambda: transforms.RandomBrightness(brightness=0.3),
                 lambda: transforms.RandomContrast(contrast=0.3),
                 lambda: transforms.RandomSaturation(saturation=0.3),
                 lambda: transforms.RandomHue(hue=0.1)):
        assert make()(image).shape == (4, 4, 3)


def _adamw_inputs(seed, shape=(2, 3)):
    rng = np.random.RandomState(seed)
    return [nd.array(rng.randn(*shape)) for _ in range(3)] + [nd.array(rng.rand(*shape))]


def test_contrib_adamw_wrappers():
    w, g, m, v = _adamw_inputs(0)
    out = nd.contrib.adamw_update(w, g, m.copy(), v.copy(), rescale_grad=0.5, lr=0.1, eta=0.9,
                                  wd=0.01)
    expected = nd._internal._adamw_update(w, g, m.copy(), v.copy(), nd.array([0.5]), lr=0.1,
                                          eta=0.9, wd=0.01)
    np.testing.assert_allclose(out.asnumpy(), expected.asnumpy(), rtol=1e-6)
    # a non-finite rescale_grad (loss-scaler overflow) leaves the weight alone
    skipped = nd.contrib.adamw_update(w, g, m, v, rescale_grad=float("inf"), lr=0.1, eta=0.9)
    np.testing.assert_array_equal(skipped.asnumpy(), w.asnumpy())
    # the multi-tensor form equals one update per weight
    pairs = [_adamw_inputs(1), _adamw_inputs(2)]
    singles = [nd.contrib.adamw_update(pw, pg, pm.copy(), pv.copy(), 1.0, lr=lr, eta=eta, wd=wd)
               for (pw, pg, pm, pv), lr, eta, wd in zip(pairs, [0.1, 0.2], [1.0, 0.5], [0, 0.1])]
    weights = [p[0].copy() for p in pairs]
    nd.contrib.multi_adamw_update(weights, [p[1] for p in pairs], [p[2] for p in pairs],
                                  [p[3] for p in pairs], 1.0, lrs=[0.1, 0.2], wds=[0, 0.1],
                                  etas=[1.0, 0.5], out=weights)
    for got, single in zip(weights, singles):
        np.testing.assert_allclose(got.asnumpy(), single.asnumpy(), rtol=1e-6)
    w16, g16 = w.astype("float16"), g.astype("float16")
    w32 = w.copy()
    nd.contrib.mp_adamw_update(w16, g16, m, v, w32, rescale_grad=nd.array([1.0]), lr=0.1,
                               eta=1.0, out=w16)
    np.testing.assert_allclose(w16.asnumpy(), w32.asnumpy(), rtol=1e-3)


def test_contrib_multi_lamb_wrappers():
    rng = np.random.RandomState(3)
    weights = [nd.array(rng.randn(3)) for _ in range(2)]
    grads = [nd.array(rng.randn(3)) for _ in range(2)]
    w16 = [w.astype("float16") for w in weights]
    w32 = [w.astype("float32") for w in w16]
    nd.contrib.multi_lamb_update(weights, grads, [nd.zeros(3), nd.zeros(3)],
                                 [nd.zeros(3), nd.zeros(3)], step_count=[1, 2], lrs=[0.1, 0.2],
                                 wds=[0.0, 0.1], out=weights)
    nd.contrib.multi_mp_lamb_update(w16, [x.astype("float16") for x in grads],
                                    [nd.zeros(3), nd.zeros(3)], [nd.zeros(3), nd.zeros(3)], w32,
                                    step_count=[1, 2], lrs=[0.1, 0.2], wds=[0.0, 0.1], out=w16)
    for full, half, master in zip(weights, w16, w32):
        np.testing.assert_allclose(master.asnumpy(), full.asnumpy(), rtol=1e-2, atol=1e-3)
        np.testing.assert_allclose(half.asnumpy(), master.asnumpy(), rtol=1e-3, atol=1e-3)


def test_contrib_rand_zipfian():
    mx.random.seed(0)
    sampled, expected_true, expected_sampled = nd.contrib.rand_zipfian(
        nd.array([3, 10, 0]), 50, 100)
    assert sampled.shape == (50,) and sampled.dtype == np.int64
    s = sampled.asnumpy()
    assert ((s >= 0) & (s < 100)).all() and (s < 10).mean() > 0.3  # small classes dominate
    log_range = np.log(101)
    np.testing.assert_allclose(expected_true.asnumpy(),
                               np.log(np.array([5., 12, 2]) / [4, 11, 1]) / log_range * 50)
    np.testing.assert_allclose(expected_sampled.asnumpy(),
                               np.log((s + 2.) / (s + 1.)) / log_range * 50)
    assert expected_true.dtype == expected_sampled.dtype == np.float64


def test_nd_power_takes_base_and_exp_keywords():
    got = nd.power(base=nd.array([2., 3.]), exp=2)  # MXNet 1.9.1's argument names
    np.testing.assert_array_equal(got.asnumpy(), [4, 9])
    np.testing.assert_array_equal(nd.power(2, nd.array([1., 3.])).asnumpy(), [2, 8])
