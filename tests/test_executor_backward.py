"""Executor.backward after an inference forward, as MXNet 1.9.1 allows: the
gradients of the graph as it ran (batch norm on its moving statistics)."""
import numpy as np

import mxnet as mx


def _executor():
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=3, name="fc1")
    out = mx.sym.SoftmaxOutput(mx.sym.BatchNorm(fc, name="bn", fix_gamma=False),
                               name="softmax")
    exe = out.simple_bind(mx.cpu(), data=(4, 2))
    rng = np.random.RandomState(0)
    for value in exe.arg_dict.values():
        value[:] = rng.uniform(0.5, 1.5, value.shape)
    exe.arg_dict["softmax_label"][:] = [0, 1, 2, 1]
    exe.aux_dict["bn_moving_var"][:] = 2.0
    return exe


def test_backward_after_an_inference_forward_uses_the_inference_graph():
    exe = _executor()
    exe.forward()
    exe.backward()
    # recorded from MXNet 1.9.1 (tmp script with the same values)
    np.testing.assert_allclose(exe.grad_dict["fc1_weight"].asnumpy(),
                               [[-2.52583, -2.99477], [3.67294, 4.40069],
                                [-1.46808, -1.79221]], rtol=1e-4)
    np.testing.assert_array_equal(exe.aux_dict["bn_moving_mean"].asnumpy(), 0)


def test_a_training_forward_after_it_gives_training_gradients():
    exe = _executor()
    exe.forward()
    exe.backward()
    exe.forward(is_train=True)
    exe.backward()
    np.testing.assert_allclose(exe.grad_dict["fc1_weight"].asnumpy(),
                               [[0.15506, -0.34937], [-0.31594, 0.31825],
                                [0.57781, -0.37894]], rtol=1e-3, atol=1e-5)
