"""gluon.contrib.nn: PixelShuffle, SparseEmbedding, SyncBatchNorm and the
containers. Outputs, gradients, names and reprs of PixelShuffle1D/2D/3D,
SyncBatchNorm and Identity are also checked against MXNet 1.9.1 fixtures in
test_nn_layers.py."""
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, gluon
from mxnet.gluon import nn
from mxnet.gluon.contrib import nn as contrib_nn


def pixel_shuffle_reference(x, factors):
    """out[n, c, d0 * f0 + i0, d1 * f1 + i1, ...] is x[n, c * prod(f) + (the
    flat index of (i0, i1, ...)), d0, d1, ...]."""
    n, channels = x.shape[:2]
    spatial = x.shape[2:]
    k = len(factors)
    c = channels // int(np.prod(factors))
    y = x.reshape((n, c) + tuple(factors) + spatial)
    # interleave: (n, c, d0, f0, d1, f1, ...)
    axes = [0, 1] + [a for i in range(k) for a in (2 + k + i, 2 + i)]
    return y.transpose(axes).reshape((n, c) + tuple(s * f for s, f in zip(spatial, factors)))


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
@pytest.mark.parametrize("layer, factors, shape", [
    (contrib_nn.PixelShuffle1D(3), (3,), (2, 6, 4)),
    (contrib_nn.PixelShuffle2D(2), (2, 2), (1, 8, 3, 2)),
    (contrib_nn.PixelShuffle2D((1, 3)), (1, 3), (2, 6, 2, 2)),
    (contrib_nn.PixelShuffle3D((2, 1, 3)), (2, 1, 3), (1, 12, 2, 2, 3)),
])
def test_pixel_shuffle_moves_channels_into_space(layer, factors, shape, hybridize):
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    if hybridize:
        layer.hybridize()
    data = mx.nd.array(x)
    data.attach_grad()
    with autograd.record():
        y = layer(data)
    y.backward(mx.nd.array(np.arange(y.size, dtype=np.float32).reshape(y.shape)))
    expected = pixel_shuffle_reference(x, factors)
    assert (y.asnumpy() == expected).all()
    # A permutation: the gradient puts each output's head gradient back in place.
    assert (pixel_shuffle_reference(data.grad.asnumpy(), factors) ==
            np.arange(y.size).reshape(y.shape)).all()


def test_pixel_shuffle_factors_and_reprs():
    assert repr(contrib_nn.PixelShuffle1D(2.0)) == "PixelShuffle1D(2)"
    assert repr(contrib_nn.PixelShuffle2D([2, 3])) == "PixelShuffle2D((2, 3))"
    assert repr(contrib_nn.PixelShuffle3D(2)) == "PixelShuffle3D((2, 2, 2))"
    with pytest.raises(ValueError):
        contrib_nn.PixelShuffle2D((2, 2, 2))


def test_containers_are_the_gluon_nn_ones():
    from mxnet.gluon.nn import basic_layers
    assert contrib_nn.Concurrent is basic_layers.Concurrent
    assert contrib_nn.HybridConcurrent is basic_layers.HybridConcurrent
    assert contrib_nn.Identity is basic_layers.Identity


@pytest.mark.parametrize("hybridize", [False, True], ids=["imperative", "hybridized"])
def test_hybrid_concurrent_concatenates_branches_of_layers(hybridize):
    net = contrib_nn.HybridConcurrent(axis=1)
    net.add(nn.Conv2D(2, 1, in_channels=3), contrib_nn.Identity(), nn.MaxPool2D(1))
    net.initialize()
    if hybridize:
        net.hybridize()
    x = mx.nd.random.uniform(shape=(2, 3, 4, 4))
    y = net(x).asnumpy()
    assert y.shape == (2, 8, 4, 4)
    assert np.allclose(y[:, 2:5], x.asnumpy()) and np.allclose(y[:, 5:], x.asnumpy())


def test_sync_batch_norm_defaults_to_one_device_with_a_warning():
    with mx.name.NameManager():
        with pytest.warns(UserWarning, match="num_devices"):
            layer = contrib_nn.SyncBatchNorm()
    assert repr(layer) == ("SyncBatchNorm(eps=1e-05, momentum=0.9, fix_gamma=False, "
                           "use_global_stats=False, ndev=1, key='syncbatchnorm0_', "
                           "in_channels=None)")
    assert isinstance(layer, nn.BatchNorm)


def test_sync_batch_norm_on_one_device_is_batch_norm():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sync = contrib_nn.SyncBatchNorm(in_channels=3, num_devices=1, momentum=0.7)
    plain = nn.BatchNorm(in_channels=3, momentum=0.7)
    x = mx.nd.random.uniform(shape=(4, 3, 5))
    outputs = []
    for layer in (sync, plain):
        layer.initialize()
        with autograd.record():
            outputs.append(layer(x).asnumpy())
    assert np.allclose(outputs[0], outputs[1], atol=1e-6)
    assert np.allclose(sync.running_mean.data().asnumpy(), plain.running_mean.data().asnumpy())
    assert np.allclose(sync.running_var.data().asnumpy(), plain.running_var.data().asnumpy())


def sparse_embedding(weight):
    layer = contrib_nn.SparseEmbedding(6, 2)
    layer.initialize(mx.init.Constant(weight))
    trainer = gluon.Trainer(layer.collect_params(), "sgd", {"learning_rate": 1.0})
    return layer, trainer


def test_sparse_embedding_is_row_sparse_and_looks_up_rows():
    layer, _ = sparse_embedding(0.5)
    assert layer.weight.stype == "row_sparse" and repr(layer) == "SparseEmbedding(6 -> 2, float32)"
    layer.weight.set_data(mx.nd.array(np.arange(12).reshape(6, 2)).tostype("row_sparse"))
    y = layer(mx.nd.array([[1, 3], [5, 0]]))
    assert (y.asnumpy() == np.arange(12).reshape(6, 2)[[[1, 3], [5, 0]]]).all()


def test_sparse_embedding_trains_only_the_rows_it_looked_up():
    layer, trainer = sparse_embedding(1.0)
    x = mx.nd.array([[1, 3], [1, 0]])
    with autograd.record():
        y = layer(x)
    y.backward()
    grad = layer.weight.grad()
    assert grad.stype == "row_sparse"
    assert (grad.asnumpy() == [[1, 1], [2, 2], [0, 0], [1, 1], [0, 0], [0, 0]]).all()
    trainer.step(1)
    weight = layer.weight.row_sparse_data(mx.nd.arange(6)).asnumpy()
    assert (weight == [[0, 0], [-1, -1], [1, 1], [0, 0], [1, 1], [1, 1]]).all()
