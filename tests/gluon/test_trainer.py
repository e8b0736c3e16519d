"""Trainer: training runs that must reproduce MXNet 1.9.1's weights step by step."""
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, gluon
from mxnet.base import MXNetError
from mxnet.gluon import nn

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "gluon")
SETTINGS = {
    "sgd": ("sgd", {"learning_rate": 0.1}),
    "sgd_mom_wd": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
    "adam": ("adam", {"learning_rate": 0.01}),
}


def mlp():
    with mx.name.NameManager():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(8, activation="relu", in_units=5), nn.Dense(3, in_units=8))
    return net


def train(ctxs, optimizer, optimizer_params, steps=3, hybridize=False, **trainer_kwargs):
    """The fixture script's training loop: fixed initial weights, summed
    log-softmax loss over the batch split across ``ctxs``."""
    net = mlp()
    net.initialize(ctx=ctxs)
    fixed = mx.nd.load(os.path.join(FIXTURES, "mlp_init.params"))
    for key, p in net.collect_params().items():
        p.set_data(fixed[key])
    if hybridize:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), optimizer, optimizer_params, **trainer_kwargs)
    data = np.load(os.path.join(FIXTURES, "inputs.npz"))
    losses = []
    for _ in range(steps):
        xs = gluon.utils.split_and_load(mx.nd.array(data["x"]), ctxs)
        ys = gluon.utils.split_and_load(mx.nd.array(data["y"]), ctxs)
        with autograd.record():
            ls = [-mx.nd.pick(mx.nd.log_softmax(net(x)), y) for x, y in zip(xs, ys)]
        for loss in ls:
            loss.backward()
        trainer.step(data["x"].shape[0])
        losses.append(sum(float(loss.sum().asscalar()) for loss in ls))
    return net, trainer, losses


@pytest.mark.parametrize("hybridize", [False, True])
@pytest.mark.parametrize("devices", ["1", "2"])
@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_training_matches_mxnet(setting, devices, hybridize):
    expected = np.load(os.path.join(FIXTURES, "training.npz"))
    ctxs = [mx.cpu(i) for i in range(int(devices))]
    name, params = SETTINGS[setting]
    net, _, losses = train(ctxs, name, params, hybridize=hybridize)
    np.testing.assert_allclose(losses, expected[f"{setting}_{devices}_losses"], rtol=1e-5)
    for key, p in net.collect_params().items():
        for ctx in ctxs:  # every device ends with the same weights
            np.testing.assert_allclose(p.data(ctx).asnumpy(),
                                       expected[f"{setting}_{devices}:{key}"],
                                       rtol=1e-5, atol=1e-6)


def test_update_on_kvstore_gives_the_same_weights_across_devices():
    expected = np.load(os.path.join(FIXTURES, "training.npz"))
    net, trainer, _ = train([mx.cpu(0), mx.cpu(1)], "sgd", {"learning_rate": 0.1},
                            update_on_kvstore=True)
    for key, p in net.collect_params().items():
        for data in p.list_data():
            np.testing.assert_allclose(data.asnumpy(), expected[f"sgd_2:{key}"], rtol=1e-5,
                                       atol=1e-6)
    with pytest.raises(MXNetError, match="update_on_kvstore"):
        trainer.allreduce_grads()


def test_allreduce_then_update_equals_step():
    expected = np.load(os.path.join(FIXTURES, "training.npz"))
    ctxs = [mx.cpu(0), mx.cpu(1)]
    net = mlp()
    net.initialize(ctx=ctxs)
    fixed = mx.nd.load(os.path.join(FIXTURES, "mlp_init.params"))
    for key, p in net.collect_params().items():
        p.set_data(fixed[key])
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1},
                            update_on_kvstore=False)
    data = np.load(os.path.join(FIXTURES, "inputs.npz"))
    for _ in range(3):
        xs = gluon.utils.split_and_load(mx.nd.array(data["x"]), ctxs)
        ys = gluon.utils.split_and_load(mx.nd.array(data["y"]), ctxs)
        with autograd.record():
            ls = [-mx.nd.pick(mx.nd.log_softmax(net(x)), y) for x, y in zip(xs, ys)]
        autograd.backward(ls)
        trainer.allreduce_grads()
        g0, g1 = net[0].weight.list_grad()
        np.testing.assert_allclose(g0.asnumpy(), g1.asnumpy())  # summed on every device
        trainer.update(6)
    for key, p in net.collect_params().items():
        np.testing.assert_allclose(p.data(ctxs[1]).asnumpy(),
                                   expected[f"sgd_2:{key}"], rtol=1e-5, atol=1e-6)


def test_learning_rate_and_lr_mult():
    p = gluon.Parameter("w", shape=(2,), init="ones", lr_mult=0.5)
    p.initialize()
    trainer = gluon.Trainer([p], "sgd", {"learning_rate": 1.0})
    assert trainer.learning_rate == 1.0
    trainer.set_learning_rate(0.2)
    assert trainer.learning_rate == 0.2
    with autograd.record():
        y = (p.data() * 2).sum()
    y.backward()
    trainer.step(1)
    np.testing.assert_allclose(p.data().asnumpy(), [1 - 0.2 * 0.5 * 2] * 2, rtol=1e-6)


def test_save_and_load_states_roundtrip(tmp_path):
    _, trainer, _ = train([mx.cpu(0)], "adam", {"learning_rate": 0.01}, steps=2)
    fname = str(tmp_path / "t.states")
    trainer.save_states(fname)
    net, other, _ = train([mx.cpu(0)], "adam", {"learning_rate": 0.5}, steps=0)
    other.load_states(fname)
    assert other.learning_rate == 0.01
    assert other.optimizer is other._updaters[0].optimizer
    states = trainer._updaters[0].states
    for index, state in other._updaters[0].states.items():
        for mine, theirs in zip(state, states[index]):
            np.testing.assert_array_equal(mine.asnumpy(), theirs.asnumpy())


def test_trainer_argument_errors():
    p = gluon.Parameter("w", shape=(2,))
    with pytest.raises(MXNetError, match="has not been initialized"):
        gluon.Trainer([p], "sgd")
    p.initialize(ctx=mx.cpu(0))
    q = gluon.Parameter("v", shape=(2,))
    q.initialize(ctx=mx.cpu(1))
    with pytest.raises(MXNetError, match="same set of contexts"):
        gluon.Trainer([p, q], "sgd")
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer(p, "sgd")
    with pytest.raises(ValueError):
        gluon.Trainer([p], "no_such_optimizer")


def test_grad_req_null_parameters_are_not_updated():
    p = gluon.Parameter("w", shape=(2,), init="ones", grad_req="null")
    p.initialize()
    trainer = gluon.Trainer([p], "sgd", {"learning_rate": 1.0})
    trainer.step(1)
    np.testing.assert_array_equal(p.data().asnumpy(), [1, 1])


def test_states_saved_by_mxnet_load():
    p = gluon.Parameter("w", shape=(3,), init="ones")
    p.initialize()
    trainer = gluon.Trainer([p], "sgd", {"learning_rate": 0.5})
    trainer.load_states(os.path.join(FIXTURES, "sgd_momentum.states"))
    assert trainer.learning_rate == 0.1 and trainer.optimizer.momentum == 0.9
    np.testing.assert_allclose(trainer._updaters[0].states[0].asnumpy(), [-0.1, -0.2, -0.3],
                               rtol=1e-6)


def test_row_sparse_gradients_update_only_their_rows():
    p = gluon.Parameter("e", shape=(4, 2), init="ones", grad_stype="row_sparse")
    p.initialize()
    trainer = gluon.Trainer([p], "sgd", {"learning_rate": 0.1})
    with autograd.record():
        y = mx.nd.Embedding(mx.nd.array([1]), p.data(), input_dim=4, output_dim=2,
                            sparse_grad=True).sum()
    y.backward()
    assert p.grad().stype == "row_sparse"
    trainer.step(1)
    np.testing.assert_allclose(p.data().asnumpy(), [[1, 1], [0.9, 0.9], [1, 1], [1, 1]],
                               rtol=1e-6)
