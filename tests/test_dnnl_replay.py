"""Compiled inference repeats each fused convolution's oneDNN call from its
record (``backends/dnnl/replay.py``) instead of working it out again, and
gets what working it out gives: on new data, after the parameters change
(written in place, replaced, or updated by a trainer), with residual sums
written over their summand, and from several threads. Skipped without the
oneDNN library."""
import threading

import numpy as np
import pytest

import mxnet as mx
from mxnet.backends import dnnl
from mxnet.gluon import nn

pytestmark = [pytest.mark.skipif(not dnnl.available, reason="oneDNN library not installed"),
              pytest.mark.usefixtures("small_calls_use_onednn")]


class _Residual(nn.HybridBlock):
    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential()
        self.body.add(nn.Conv2D(channels, 3, padding=1, use_bias=False), nn.BatchNorm(),
                      nn.Activation("relu"), nn.Conv2D(channels, 3, padding=1, use_bias=False),
                      nn.BatchNorm())

    def hybrid_forward(self, F, x):
        return F.Activation(self.body(x) + x, act_type="relu")


def _net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(32, 3, padding=1, activation="relu"), _Residual(32), _Residual(32),
            nn.MaxPool2D(2, 2),
            nn.Conv2D(64, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"),
            _Residual(64), nn.GlobalAvgPool2D(), nn.Dense(5))
    net.initialize(mx.init.Xavier())
    net(_images(0))  # shapes
    # batch norm statistics away from the identity, so that folding matters
    for name, p in net.collect_params().items():
        if name.endswith(("running_mean", "running_var", "gamma", "beta")):
            p.set_data(mx.nd.random.uniform(0.5, 1.5, p.shape))
    return net


def _images(seed, batch=2):
    return mx.nd.array(np.random.RandomState(seed).rand(batch, 3, 16, 16).astype(np.float32))


def _imperative(net, x):
    """What the net gives without compiling (no folding, no records)."""
    net.hybridize(active=False)
    out = net(x).asnumpy()
    net.hybridize(static_alloc=True, static_shape=True)
    return out


@pytest.fixture
def replays(monkeypatch):
    """Counts the calls run from a record ([0]), the records made ([1]) and
    those of residual sums ([2])."""
    from mxnet.backends.dnnl.replay import Replay
    count = [0, 0, 0]
    run, record = Replay.__call__, Replay.record.__func__

    def counted(self, *args):
        out = run(self, *args)
        count[0] += out is not None
        return out

    def recorded(cls, *args, **kwargs):
        made = record(cls, *args, **kwargs)
        count[1] += made is not None
        count[2] += made is not None and made.into
        return made
    monkeypatch.setattr(Replay, "__call__", counted)
    monkeypatch.setattr(Replay, "record", classmethod(recorded))
    return count


def test_replayed_calls_give_what_the_first_call_gives(replays):
    net = _net()
    expected = {seed: _imperative(net, _images(seed)) for seed in (0, 1, 2)}
    first = net(_images(0)).asnumpy()
    assert replays[0] == 0
    for seed in (1, 2, 0):
        out = net(_images(seed)).asnumpy()
        np.testing.assert_allclose(out, expected[seed], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(out, first)
    # the recorded calls ran from their records in the 3 later runs, the
    # residual sums included
    assert replays[2] >= 1 and replays[1] >= 4
    assert replays[0] == 3 * replays[1]


def test_parameters_written_in_place_or_replaced_are_seen(replays):
    net = _net()
    net.hybridize(static_alloc=True, static_shape=True)
    x = _images(3)
    net(x).wait_to_read()
    net(x).wait_to_read()
    conv = net[4]
    conv.weight.data()[:] = conv.weight.data() * 0.5              # in place
    np.testing.assert_allclose(net(x).asnumpy(), _imperative(net, x), rtol=1e-4, atol=1e-5)
    net[7].body[0].weight.set_data(mx.nd.ones(net[7].body[0].weight.shape) * 0.01)
    bn = net[5]
    bn.running_var.set_data(bn.running_var.data() * 4)            # a folded parameter
    np.testing.assert_allclose(net(x).asnumpy(), _imperative(net, x), rtol=1e-4, atol=1e-5)
    before = replays[0]
    net(x).wait_to_read()
    assert replays[0] > before


def test_a_training_step_between_inferences_is_seen():
    net = _net()
    net.hybridize(static_alloc=True, static_shape=True)
    x = _images(4)
    net(x).wait_to_read()
    net(x).wait_to_read()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    with mx.autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    trainer.step(2)
    np.testing.assert_allclose(net(x).asnumpy(), _imperative(net, x), rtol=1e-4, atol=1e-5)


def test_outputs_of_earlier_runs_are_not_overwritten():
    net = _net()
    net.hybridize(static_alloc=True, static_shape=True)
    outs = [net(_images(seed)) for seed in range(4)]
    for seed, out in enumerate(outs):
        np.testing.assert_allclose(out.asnumpy(), _imperative(net, _images(seed)),
                                   rtol=1e-4, atol=1e-5)


def test_threads_replay_on_their_own_bindings():
    net = _net()
    net.hybridize(static_alloc=True, static_shape=True)
    inputs = [_images(seed) for seed in range(4)]
    expected = [_imperative(net, x) for x in inputs]
    net(inputs[0]).wait_to_read()
    results, errors = {}, []

    def run(i):
        try:
            for _ in range(5):
                results[i] = net(inputs[i]).asnumpy()
        except Exception as exc:  # reported below
            errors.append(exc)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(4):
        np.testing.assert_allclose(results[i], expected[i], rtol=1e-4, atol=1e-5)


def test_a_new_input_shape_gets_its_own_record():
    net = _net()
    net.hybridize()
    for batch in (1, 3, 1):
        x = _images(batch, batch)
        np.testing.assert_allclose(net(x).asnumpy(), _imperative(net, x), rtol=1e-4, atol=1e-5)
        net.hybridize()
