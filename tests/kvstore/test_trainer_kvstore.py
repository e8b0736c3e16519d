"""Gluon Trainer on a kvstore: data parallelism over devices equals one device."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, gluon
from mxnet import kvstore as kvs
from mxnet.base import MXNetError
from mxnet.gluon import nn

BATCH = 8


def small_cnn():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, kernel_size=3, in_channels=1, activation="relu"),
            nn.MaxPool2D(pool_size=2), nn.Flatten(), nn.Dense(10, in_units=4 * 3 * 3))
    return net


def train(ctxs, steps=3, seed=0, **trainer_kwargs):
    """Train from fixed initial weights on fixed batches split over ``ctxs``;
    the loss is summed over the batch, so the summed gradient does not depend
    on the split."""
    rng = np.random.RandomState(seed)
    net = small_cnn()
    net.initialize(ctx=ctxs)
    for p in net.collect_params().values():
        p.set_data(mx.nd.array(rng.normal(0, 0.3, p.shape)))
    trainer = gluon.Trainer(net.collect_params(), "sgd",
                            {"learning_rate": 0.05, "momentum": 0.9, "wd": 1e-3},
                            **trainer_kwargs)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(steps):
        x = mx.nd.array(rng.uniform(-1, 1, (BATCH, 1, 8, 8)))
        y = mx.nd.array(rng.randint(0, 10, BATCH))
        xs = gluon.utils.split_and_load(x, ctxs)
        ys = gluon.utils.split_and_load(y, ctxs)
        with autograd.record():
            losses = [loss_fn(net(a), b) for a, b in zip(xs, ys)]
        autograd.backward(losses)
        trainer.step(BATCH)
    return net, trainer


def weights(net, ctx):
    """The parameters' values on ``ctx``, in the network's order."""
    return [p.data(ctx).asnumpy() for p in net.collect_params().values()]


@pytest.fixture(scope="module")
def single_device():
    net, _ = train([mx.cpu(0)])
    return weights(net, mx.cpu(0))


@pytest.mark.parametrize("kvstore, update_on_kvstore", [
    ("device", None), ("device", False), ("local", True), ("local", False),
    ("instance", None)])
def test_two_devices_train_like_one_device_with_the_summed_batch(
        single_device, kvstore, update_on_kvstore):
    ctxs = [mx.cpu(0), mx.cpu(1)]
    store = kvs.create("device") if kvstore == "instance" else kvstore
    net, trainer = train(ctxs, kvstore=store, update_on_kvstore=update_on_kvstore)
    assert isinstance(trainer._kvstore, kvs.KVStore)
    assert trainer._update_on_kvstore == (update_on_kvstore is not False)
    for ctx in ctxs:
        for i, (mine, expected) in enumerate(zip(weights(net, ctx), single_device)):
            np.testing.assert_allclose(mine, expected, rtol=1e-4, atol=1e-5,
                                       err_msg=f"parameter {i} on {ctx}")


def test_one_device_needs_no_kvstore_and_update_on_kvstore_forbids_allreduce():
    _, trainer = train([mx.cpu(0)], steps=1)
    assert trainer._kvstore is None
    _, trainer = train([mx.cpu(0), mx.cpu(1)], steps=1)
    assert trainer._kvstore.type == "device" and trainer._update_on_kvstore
    with pytest.raises(MXNetError, match="update_on_kvstore"):
        trainer.allreduce_grads()


def test_trainer_states_live_on_the_kvstore_when_it_updates(tmp_path):
    _, trainer = train([mx.cpu(0), mx.cpu(1)], steps=2)
    fname = str(tmp_path / "t.states")
    trainer.save_states(fname)
    _, other = train([mx.cpu(0), mx.cpu(1)], steps=1, seed=1)
    other.load_states(fname)
    mine, theirs = trainer._kvstore._updater.states, other._kvstore._updater.states
    assert sorted(mine) == sorted(theirs)
    for index in mine:
        np.testing.assert_array_equal(mine[index].asnumpy(), theirs[index].asnumpy())


def test_gradient_compression_is_passed_to_the_kvstore():
    _, trainer = train([mx.cpu(0), mx.cpu(1)], steps=1,
                       compression_params={"type": "2bit", "threshold": 0.5})
    assert trainer._kvstore._compression.threshold == 0.5
    with pytest.raises(MXNetError, match="not supported for this type of kvstore"):
        train([mx.cpu(0), mx.cpu(1)], steps=1, kvstore="local",
              compression_params={"type": "2bit"})


@pytest.mark.parametrize("update_on_kvstore", [False, True])
def test_trainer_reduces_all_dense_gradients_in_one_kvstore_call(
        update_on_kvstore, single_device, monkeypatch):
    # One pushpull of the key list lets a distributed store fuse small
    # gradients into few messages.
    store = mx.kv.create("device")
    original = type(store).pushpull
    calls = []

    def spy(self, key, value=None, out=None, priority=0):
        calls.append(key)
        return original(self, key, value, out=out, priority=priority)

    monkeypatch.setattr(type(store), "pushpull", spy)
    net, _ = train([mx.cpu(0), mx.cpu(1)], kvstore=store, update_on_kvstore=update_on_kvstore)
    assert len(calls) == 3 and all(k == [0, 1, 2, 3] for k in calls), calls
    for got, want in zip(weights(net, mx.cpu(1)), single_device):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
