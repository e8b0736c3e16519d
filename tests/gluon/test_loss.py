"""gluon.loss against MXNet 1.9.1: outputs and input gradients of every loss
(weights, sample weights, batch axes, label formats), imperatively and
hybridized. Fixtures: tools/make_fixtures_gluon_rnn_loss.py."""
import importlib.util
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet import gluon
from mxnet.gluon import loss as gloss

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    "make_fixtures_gluon_rnn_loss",
    os.path.join(HERE, "..", "..", "tools", "make_fixtures_gluon_rnn_loss.py"))
maker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(maker)

FIXTURE = maker.load_packed(os.path.join(maker.OUT, "loss.npz"))


def _arrays(case):
    prefix = case + "/"
    return {k[len(prefix):]: FIXTURE[k] for k in FIXTURE if k.startswith(prefix)}


def _close(actual, expected, what):
    # float32 sums that cancel: absolute tolerance scaled to the largest value
    scale = max(1.0, float(np.abs(expected).max())) if np.size(expected) else 1.0
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5 * scale, err_msg=what)


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("case", sorted(maker.LOSS_CASES))
def test_loss_matches_mxnet(case, hybridize):
    if hybridize and case in maker.NOT_HYBRIDIZABLE:
        pytest.skip("needs concrete shapes, as in MXNet")
    arrays = _arrays(case)
    spec = maker.LOSS_CASES[case][2]
    block = maker.make_loss(case)
    if hybridize:
        block.hybridize()
    if case in maker.ORACLE_FORWARD_ONLY:
        args = [None if item is None else mx.nd.array(arrays[item[0]]) for item in spec]
        _close(block(*args).asnumpy(), arrays["out"], case)
        return
    out, grads = maker.run_loss(block, arrays, spec)
    assert out.shape == arrays["out"].shape
    _close(out, arrays["out"], case)
    assert sorted(grads) == sorted(k[5:] for k in arrays if k.startswith("grad_"))
    for name, grad in grads.items():
        _close(grad, arrays["grad_" + name], f"{case}: gradient of {name}")


def test_poisson_full_is_differentiable_here():
    # MXNet cannot record this loss (in-place update); the result must match
    # d/dpred (pred - t*log(pred + eps)) = 1 - t/(pred + eps).
    pred = mx.nd.array([[0.5, 2.0], [1.5, 1.0]])
    target = mx.nd.array([[0., 3.], [2., 1.]])
    pred.attach_grad()
    with mx.autograd.record():
        out = gloss.PoissonNLLLoss(from_logits=False, compute_full=True)(pred, target)
    out.backward()
    expected = (1 - target.asnumpy() / (pred.asnumpy() + 1e-8)) / 4
    _close(pred.grad.asnumpy(), expected, "PoissonNLLLoss gradient")


def test_aliases_are_the_same_classes():
    assert gloss.SigmoidBCELoss is gloss.SigmoidBinaryCrossEntropyLoss
    assert gloss.SoftmaxCELoss is gloss.SoftmaxCrossEntropyLoss
    assert gluon.loss.Loss is gloss.Loss
    assert sorted(gloss.__all__) == sorted([
        "Loss", "L2Loss", "L1Loss", "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss",
        "SoftmaxCrossEntropyLoss", "SoftmaxCELoss", "KLDivLoss", "CTCLoss", "HuberLoss",
        "HingeLoss", "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss",
        "CosineEmbeddingLoss", "SDMLLoss"])


def test_repr_and_naming_follow_mxnet():
    assert repr(gloss.L2Loss()) == "L2Loss(batch_axis=0, w=1.0)"
    assert repr(gloss.SoftmaxCELoss(batch_axis=1, weight=0.5)) == \
        "SoftmaxCrossEntropyLoss(batch_axis=1, w=0.5)"
    assert repr(gloss.CTCLoss(label_layout="TN")) == "CTCLoss(batch_axis=1, w=None)"
    assert gloss.L1Loss(prefix="myloss_").prefix == "myloss_"
    assert gloss.HuberLoss().name.startswith("huberloss")


def test_bad_constructor_arguments_raise():
    with pytest.raises(ValueError, match="label_format"):
        gloss.LogisticLoss(label_format="unsigned")
    with pytest.raises(ValueError, match="layout"):
        gloss.CTCLoss(layout="NCT")
    with pytest.raises(ValueError, match="label"):
        gloss.CTCLoss(label_layout="NN")
    with pytest.raises(TypeError, match="weight must be a number"):
        gloss.L1Loss(weight="heavy")(mx.nd.ones((2, 2)), mx.nd.ones((2, 2)))


def test_label_of_wrong_size_raises():
    with pytest.raises(mx.base.MXNetError):
        gloss.L2Loss()(mx.nd.ones((4, 3)), mx.nd.ones((4, 2))).asnumpy()


def test_loss_inside_hybridized_network_trains():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(3))
    net.initialize(mx.init.One())
    net.hybridize()
    loss_fn = gloss.SoftmaxCELoss()
    loss_fn.hybridize()
    x = mx.nd.array([[1., 2.], [0., -1.]])
    y = mx.nd.array([0, 2])
    with mx.autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    _close(loss.asnumpy(), [np.log(3.)] * 2, "uniform logits")
    assert net.collect_params()[net[0].weight.name].grad().abs().sum().asscalar() > 0
