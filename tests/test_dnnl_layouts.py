"""Compiled inference keeps activations in oneDNN's blocked layouts between
oneDNN kernels and gives the same results as the plain path.

Hybridized (folded) inference of ResNet- and VGG-style nets is compared with
imperative runs, with odd channel counts that leave blocks partly filled,
residual sums and pooling between convolutions; the switch
``MXNET_ONEDNN_ENABLED=0`` still runs everything on NumPy, and training
programs never see a blocked tensor. Skipped without the oneDNN library.
"""
import numpy as np
import pytest

import mxnet as mx
from mxnet.backends import dnnl
from mxnet.gluon import nn

pytestmark = [pytest.mark.skipif(not dnnl.available, reason="oneDNN library not installed"),
              pytest.mark.usefixtures("small_calls_use_onednn")]


class _Residual(nn.HybridBlock):
    """A ResNet basic block (with a strided 1x1 projection when it downsamples)."""

    def __init__(self, channels, stride, project, **kwargs):
        super().__init__(**kwargs)
        self.body = nn.HybridSequential()
        self.body.add(nn.Conv2D(channels, 3, stride, 1, use_bias=False), nn.BatchNorm(),
                      nn.Activation("relu"), nn.Conv2D(channels, 3, 1, 1, use_bias=False),
                      nn.BatchNorm())
        self.project = None
        if project:
            self.project = nn.HybridSequential()
            self.project.add(nn.Conv2D(channels, 1, stride, use_bias=False), nn.BatchNorm())

    def hybrid_forward(self, F, x):
        shortcut = x if self.project is None else self.project(x)
        return F.Activation(self.body(x) + shortcut, act_type="relu")


def _resnet(width):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(width, 3, 1, 1, use_bias=False), nn.BatchNorm(), nn.Activation("relu"),
            nn.MaxPool2D(3, 2, 1), _Residual(width, 1, False), _Residual(width + 4, 2, True),
            nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


def _vgg(width):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(width, 3, padding=1, activation="relu"), nn.MaxPool2D(2, 2),
            nn.Conv2D(width, 3, padding=1, activation="relu"),
            nn.Conv2D(2 * width, 3, padding=1, activation="relu"), nn.MaxPool2D(2, 2),
            nn.Dense(16, activation="relu"), nn.Dense(10))
    return net


def _initialized(net, channels=3, seed=0):
    """``net`` initialised (shapes from a first call) with batch-norm
    statistics that make folding change the weights."""
    net.initialize(mx.init.Xavier())
    net(_images(1, channels)).wait_to_read()
    rng = np.random.default_rng(seed)
    for name, p in net.collect_params().items():
        if name.endswith(("running_mean", "beta")):
            p.set_data(rng.uniform(-0.5, 0.5, p.shape).astype(np.float32))
        elif name.endswith(("running_var", "gamma")):
            p.set_data(rng.uniform(0.5, 1.5, p.shape).astype(np.float32))
    return net


def _images(batch, channels=3, size=12):
    return mx.nd.array(np.random.default_rng(batch).standard_normal(
        (batch, channels, size, size)).astype(np.float32))


def _blocked_steps(net):
    """(op name, keeps its output blocked) of the folded inference plan's steps."""
    program, = net._cached_op._programs.values()
    return [(s.op.name, s.keep_out) for s in program._inference_plan().steps]


@pytest.mark.parametrize("build", [_resnet, _vgg], ids=["resnet", "vgg"])
@pytest.mark.parametrize("width", [3, 20])
@pytest.mark.parametrize("batch", [1, 4])
def test_hybridized_inference_equals_imperative(build, width, batch):
    net = _initialized(build(width))
    x = _images(batch)
    expected = net(x).asnumpy()
    net.hybridize(static_alloc=True, static_shape=True)
    for _ in range(2):  # the second call runs on kept, reordered weights
        np.testing.assert_allclose(net(x).asnumpy(), expected, rtol=1e-4, atol=1e-5)


def test_activations_stay_blocked_between_onednn_kernels(monkeypatch):
    from mxnet.backends.dnnl.primitive import Blocked, Primitive
    from mxnet.backends.dnnl.replay import Replay
    net = _initialized(_resnet(20))
    net.hybridize()
    net(_images(1)).wait_to_read()
    steps = _blocked_steps(net)
    # every convolution and the max pooling hand on blocked tensors; the
    # global pooling feeds the dense layer, which reads plain arrays
    assert [keep for name, keep in steps if name == "_sg_mkldnn_conv"] == [True] * 6
    assert [keep for name, keep in steps if name == "Pooling"] == [True, False]
    assert not any(keep for name, keep in steps if name == "FullyConnected")
    handed_on, run, rerun = [], Primitive.__call__, Replay.__call__

    def recorded(self, *args, **kwargs):
        kept = run(self, *args, **kwargs)
        handed_on.extend(type(v) for v in kept.values())
        return kept

    def replayed(self, *args):  # the convolutions' calls after the first run
        out = rerun(self, *args)
        handed_on.append(type(out))
        return out
    monkeypatch.setattr(Primitive, "__call__", recorded)
    monkeypatch.setattr(Replay, "__call__", replayed)
    net(_images(1)).wait_to_read()
    assert handed_on == [Blocked] * 7


def test_the_switch_turns_blocked_layouts_off_after_compiling(monkeypatch):
    net = _initialized(_resnet(20))
    x = _images(4)
    net.hybridize()
    with_onednn = net(x).asnumpy()
    monkeypatch.setenv("MXNET_ONEDNN_ENABLED", "0")
    with mx.backends.count_kernels() as counts:
        without = net(x).asnumpy()
    assert not [k for k in counts if k[1] == "onednn"]
    np.testing.assert_allclose(without, with_onednn, rtol=1e-4, atol=1e-5)


def test_training_programs_match_imperative():
    def run(hybrid):
        mx.random.seed(3)  # the same initial weights for both
        net = _initialized(_resnet(20))
        if hybrid:
            net.hybridize()
        x = _images(4)
        with mx.autograd.record():
            loss = net(x).sum()
        loss.backward()
        return [p.grad().asnumpy() for p in net.collect_params().values()
                if p.grad_req != "null"]

    for got, want in zip(run(True), run(False)):
        np.testing.assert_allclose(got, want, rtol=1e-3, atol=1e-4)


def test_a_blocked_tensor_converts_back_to_its_plain_values():
    from mxnet.backends.dnnl.primitive import Blocked
    conv = nn.HybridSequential()
    conv.add(nn.Conv2D(20, 3, padding=1))
    conv = _initialized(conv, channels=20)
    x = _images(2, channels=20)
    expected = conv(x).asnumpy()
    from mxnet.backends.dnnl.fused import _sg_conv
    attrs = mx.ops.registry.get("_sg_mkldnn_conv").parse(
        {"kernel": (3, 3), "pad": (1, 1), "num_filter": 20})
    weight, bias = (p.data().asnumpy() for p in conv.collect_params().values())
    out = _sg_conv(np, attrs, x.asnumpy(), weight, bias, keep_out=True)
    assert type(out) is Blocked and out.shape == expected.shape
    np.testing.assert_allclose(out.plain(), expected, rtol=1e-4, atol=1e-5)
    again = _sg_conv(np, attrs, out, weight, bias)  # a blocked input, a plain output
    np.testing.assert_allclose(again, conv[0](mx.nd.array(expected)).asnumpy(),
                               rtol=1e-4, atol=1e-4)
