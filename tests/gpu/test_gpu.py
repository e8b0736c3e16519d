"""The gpu context on CuPy: arrays, copies, operators, autograd, Gluon, kvstore.

Skipped where no GPU is usable. The operator suite also runs on a GPU with
``MXNET_TEST_DEFAULT_CONTEXT=gpu(0)`` (tests/conftest.py);
``tools/gpu_check.sh`` runs both on a GPU machine.
"""
import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, device_testing, gluon
from mxnet.base import MXNetError
from mxnet.test_utils import assert_almost_equal, check_consistency

pytestmark = pytest.mark.skipif(mx.context.num_gpus() == 0, reason="no GPU")
GPU = mx.gpu(0)


def test_arrays_live_in_device_memory_and_copy_both_ways():
    import cupy
    host = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = mx.nd.array(host, ctx=GPU)
    assert isinstance(x._data, cupy.ndarray) and x.context == GPU
    np.testing.assert_array_equal(x.asnumpy(), host)
    back = x.as_in_context(mx.cpu())
    assert back.context == mx.cpu() and isinstance(back._data, np.ndarray)
    y = mx.nd.zeros((3, 4), ctx=GPU)
    back.copyto(y)
    np.testing.assert_array_equal(y.asnumpy(), host)
    assert x.copyto(mx.cpu()).context == mx.cpu()
    assert float(x.sum().asscalar()) == 66.0


def test_elementwise_broadcast_reduce_and_dot_match_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((1, 5))
    x, y = mx.nd.array(a, ctx=GPU), mx.nd.array(b, ctx=GPU)
    assert_almost_equal((x * 2 + y).asnumpy(), a * 2 + b, rtol=1e-5, atol=1e-6)
    assert_almost_equal(mx.nd.broadcast_maximum(x, y).asnumpy(), np.maximum(a, b))
    assert_almost_equal(x.sum(axis=1).asnumpy(), a.sum(axis=1), rtol=1e-5, atol=1e-5)
    assert_almost_equal(mx.nd.dot(x, x.T).asnumpy(), a @ a.T, rtol=1e-4, atol=1e-4)
    assert_almost_equal(mx.nd.softmax(x).asnumpy(),
                        np.exp(a) / np.exp(a).sum(-1, keepdims=True), rtol=1e-5, atol=1e-6)
    x[1:3] = 5
    assert (x.asnumpy()[1:3] == 5).all()


def test_linalg_errors_are_raised_on_the_gpu():
    with pytest.raises(MXNetError, match="positive definite"):
        mx.nd.linalg.potrf(mx.nd.array([[1.0, 2.0], [2.0, 1.0]], ctx=GPU)).asnumpy()
    with pytest.raises(MXNetError, match="singular"):
        mx.nd.linalg.inverse(mx.nd.zeros((2, 2), ctx=GPU)).asnumpy()


def test_embedding_maps_nan_inf_and_huge_indices_to_row_0_on_the_gpu():
    table = mx.nd.array(np.arange(15.0).reshape(5, 3), ctx=GPU)
    idx = mx.nd.array([np.nan, np.inf, 1e30, 3e9, 1.9], ctx=GPU)
    rows = mx.nd.Embedding(idx, table, input_dim=5, output_dim=3).asnumpy()
    np.testing.assert_array_equal(rows[:, 0], [0, 0, 0, 12, 3])


def test_rnn_dropout_and_special_functions_on_the_gpu():
    layer = gluon.rnn.LSTM(8, num_layers=2, dropout=0.5)
    layer.initialize(ctx=GPU)
    x = mx.nd.ones((3, 2, 4), ctx=GPU)
    with autograd.record():
        y = layer(x)
    y.backward()
    assert y.shape == (3, 2, 8) and y.context == GPU
    np.testing.assert_allclose(mx.nd.erf(mx.nd.array([0.5], ctx=GPU)).asnumpy(), [0.5204999],
                               rtol=1e-5)


def test_operators_on_the_gpu_agree_with_the_cpu():
    report = device_testing.qualify(GPU, device_testing.sampled_ops(), trials=3)
    report.check()


@pytest.mark.parametrize("sym, shapes", [
    (mx.sym.Convolution(num_filter=4, kernel=(3, 3), pad=(1, 1), name="conv"),
     {"conv_data": (2, 3, 8, 8)}),
    (mx.sym.Pooling(kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool"),
     {"pool_data": (2, 3, 8, 8)}),
    (mx.sym.BatchNorm(name="bn", fix_gamma=False), {"bn_data": (4, 3, 5, 5)}),
    (mx.sym.FullyConnected(num_hidden=6, name="fc"), {"fc_data": (4, 10)}),
])
def test_check_consistency_between_cpu_and_gpu(sym, shapes):
    ctx_list = [dict(ctx=ctx, type_dict={name: np.float32 for name in shapes}, **shapes)
                for ctx in (mx.cpu(0), GPU)]
    aux = {name: np.random.uniform(0.5, 2.0, (3,)) for name in sym.list_auxiliary_states()}
    check_consistency(sym, ctx_list, rtol=1e-3, atol=1e-4, aux_params=aux)


def test_autograd_gradients_on_the_gpu():
    x = mx.nd.array([[1.0, -2.0, 3.0]], ctx=GPU)
    x.attach_grad()
    with autograd.record():
        y = (mx.nd.relu(x) * x).sum()
    y.backward()
    assert x.grad.context == GPU
    np.testing.assert_allclose(x.grad.asnumpy(), [[2.0, 0.0, 6.0]])


def test_mixing_devices_in_one_operator_is_an_error():
    with pytest.raises(MXNetError):
        (mx.nd.ones((2,), ctx=GPU) + mx.nd.ones((2,), ctx=mx.cpu())).asnumpy()


def _lenet():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(6, 5, activation="relu"), gluon.nn.MaxPool2D(2, 2),
            gluon.nn.Conv2D(16, 3, activation="relu"), gluon.nn.MaxPool2D(2, 2),
            gluon.nn.Flatten(), gluon.nn.Dense(32, activation="relu"), gluon.nn.Dense(10))
    return net


def _train(ctx, hybridize, steps=3):
    mx.random.seed(7)
    net = _lenet()
    net.initialize(mx.init.Xavier(), ctx=mx.cpu())
    net(mx.nd.zeros((1, 1, 28, 28)))
    net.collect_params().reset_ctx(ctx)
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    rng = np.random.default_rng(1)
    data = mx.nd.array(rng.standard_normal((steps, 8, 1, 28, 28)), ctx=ctx)
    label = mx.nd.array(rng.integers(0, 10, (steps, 8)), ctx=ctx)
    for i in range(steps):
        with autograd.record():
            loss = loss_fn(net(data[i]), label[i])
        loss.backward()
        trainer.step(8)
    return [p.data().asnumpy() for p in net.collect_params().values()]


@pytest.mark.parametrize("hybridize", [False, True])
def test_lenet_training_on_the_gpu_matches_the_cpu(hybridize):
    on_cpu, on_gpu = _train(mx.cpu(), hybridize), _train(GPU, hybridize)
    assert len(on_cpu) == len(on_gpu) == 8
    for i, (got, want) in enumerate(zip(on_gpu, on_cpu)):
        assert_almost_equal(got, want, rtol=1e-3, atol=1e-4, names=(f"gpu param {i}", "cpu"))


def test_parameters_saved_from_the_gpu_load_anywhere(tmp_path):
    params = {"w": mx.nd.array(np.arange(6.0).reshape(2, 3), ctx=GPU)}
    mx.nd.save(str(tmp_path / "p.params"), params)
    loaded = mx.nd.load(str(tmp_path / "p.params"))
    np.testing.assert_array_equal(loaded["w"].asnumpy(), np.arange(6.0).reshape(2, 3))
    net = gluon.nn.Dense(3, in_units=2)
    net.initialize(ctx=GPU)
    net.save_parameters(str(tmp_path / "d.params"))
    fresh = gluon.nn.Dense(3, in_units=2)
    fresh.load_parameters(str(tmp_path / "d.params"), ctx=mx.cpu())
    assert fresh.weight.data().context == mx.cpu()
    np.testing.assert_array_equal(fresh.weight.data().asnumpy(), net.weight.data().asnumpy())


def test_device_kvstore_sums_gpu_gradients():
    kv = mx.kv.create("device")
    kv.init("w", mx.nd.zeros((3,), ctx=GPU))
    kv.push("w", [mx.nd.ones((3,), ctx=GPU), mx.nd.ones((3,), ctx=mx.cpu())])
    out = mx.nd.zeros((3,), ctx=GPU)
    kv.pull("w", out=out)
    np.testing.assert_array_equal(out.asnumpy(), [2.0, 2.0, 2.0])


def test_random_numbers_on_the_gpu_follow_the_seed():
    mx.random.seed(3, ctx=GPU)
    a = mx.nd.random.uniform(shape=(1000,), ctx=GPU)
    mx.random.seed(3, ctx=GPU)
    b = mx.nd.random.uniform(shape=(1000,), ctx=GPU)
    assert a.context == GPU
    np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert 0.4 < float(a.mean().asscalar()) < 0.6


def test_memory_info_and_empty_cache():
    free, total = mx.context.gpu_memory_info(0)
    assert 0 < free <= total
    GPU.empty_cache()
    with pytest.raises(MXNetError, match="no GPU"):
        mx.context.gpu_memory_info(mx.context.num_gpus())


def test_an_executor_takes_head_gradients_from_another_device():
    ex = (mx.sym.var("x") * 2).simple_bind(mx.cpu(), x=(3,))
    ex.forward(is_train=True, x=mx.nd.ones((3,), ctx=GPU))
    ex.backward(mx.nd.ones((3,), ctx=GPU))
    np.testing.assert_array_equal(ex.grad_dict["x"].asnumpy(), [2.0, 2.0, 2.0])


def test_sparse_arrays_on_the_gpu_are_refused_clearly():
    with pytest.raises(MXNetError, match="sparse storage on gpu"):
        mx.nd.sparse.zeros("row_sparse", (3, 2), ctx=GPU)
    with pytest.raises(MXNetError, match="sparse storage on gpu"):
        mx.nd.ones((3, 3), ctx=GPU).tostype("csr")


def test_wait_to_read_returns_once_the_gpu_has_computed():
    import cupy
    x = mx.nd.ones((4096, 4096), ctx=GPU)
    y = mx.nd.dot(x, x)
    y.wait_to_read()
    assert cupy.cuda.get_current_stream().done
    z = mx.nd.dot(y, x)
    mx.nd.waitall()
    assert cupy.cuda.get_current_stream().done
    assert float(z[0, 0].asscalar()) == 4096.0 ** 2


def test_a_missing_gpu_is_an_error_and_waitall_still_works():
    for _ in range(2):
        with pytest.raises(MXNetError, match="no such GPU"):
            mx.nd.array([1.0], ctx=mx.gpu(mx.context.num_gpus()))
    mx.nd.waitall()


def test_float_to_unsigned_casts_wrap_as_on_the_cpu():
    values = np.array([1.5, -2.0, 300.0, 3.0], np.float32)
    on_gpu = mx.nd.array(values, ctx=GPU).astype("uint8").asnumpy()
    np.testing.assert_array_equal(on_gpu, mx.nd.array(values).astype("uint8").asnumpy())
