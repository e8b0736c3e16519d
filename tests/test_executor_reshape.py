"""Executor.reshape as in MXNet 1.9.1: shapes are inferred from the given
inputs alone; arrays that keep their shape are shared, shrinking ones are
views of the old memory, growing ones are new; changes to inputs not given
need partial_shaping, growth needs allow_up_sizing (each else an
MXNetError naming the argument and both shapes)."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError


def _executor(batch=4):
    data = mx.sym.var("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    out = mx.sym.SoftmaxOutput(fc, name="softmax")
    exe = out.simple_bind(mx.cpu(), data=(batch, 3))
    exe.arg_dict["fc1_weight"][:] = 1
    return exe


def test_smaller_batch_shares_parameters_and_views_the_old_input_memory():
    exe = _executor()
    new = exe.reshape(data=(2, 3), softmax_label=(2,))
    assert new.arg_dict["data"].shape == (2, 3) and new.outputs[0].shape == (2, 4)
    assert new.arg_dict["fc1_weight"] is exe.arg_dict["fc1_weight"]
    assert new.grad_dict["fc1_weight"] is exe.grad_dict["fc1_weight"]
    new.arg_dict["data"][:] = 1
    np.testing.assert_array_equal(exe.arg_dict["data"].asnumpy(),
                                  [[1, 1, 1], [1, 1, 1], [0, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(new.forward()[0].asnumpy(), np.full((2, 4), 0.25))


def test_an_input_not_given_may_change_only_with_partial_shaping():
    exe = _executor()
    with pytest.raises(MXNetError, match=r"argument 'softmax_label'.*\(4,\) to \(2,\).*"
                                         "partial_shaping=True"):
        exe.reshape(data=(2, 3))
    new = exe.reshape(partial_shaping=True, data=(2, 3))
    assert new.arg_dict["softmax_label"].shape == (2,)


def test_growing_needs_allow_up_sizing_and_allocates_new_arrays():
    exe = _executor()
    with pytest.raises(MXNetError, match=r"new shape \(8, 3\) of argument 'data' is larger "
                                         r"than its original \(4, 3\).*allow_up_sizing=True"):
        exe.reshape(data=(8, 3), softmax_label=(8,))
    new = exe.reshape(allow_up_sizing=True, data=(8, 3), softmax_label=(8,))
    assert new.arg_dict["data"].shape == (8, 3)
    assert not np.shares_memory(new.arg_dict["data"].asnumpy(), exe.arg_dict["data"].asnumpy())
    assert new.arg_dict["fc1_weight"] is exe.arg_dict["fc1_weight"]


def test_parameters_follow_the_new_input_shape_with_both_flags():
    exe = _executor()
    with pytest.raises(MXNetError, match="allow_up_sizing"):
        exe.reshape(partial_shaping=True, data=(4, 5))
    new = exe.reshape(partial_shaping=True, allow_up_sizing=True, data=(4, 5))
    assert new.arg_dict["fc1_weight"].shape == (4, 5)
    assert new.grad_dict["fc1_weight"].shape == (4, 5)
    assert new.arg_dict["fc1_bias"] is exe.arg_dict["fc1_bias"]


def test_aux_states_follow_the_same_rules():
    data = mx.sym.var("data")
    bn = mx.sym.BatchNorm(mx.sym.Convolution(data, kernel=(1, 1), num_filter=2, name="c"),
                          name="bn")
    exe = bn.simple_bind(mx.cpu(), data=(2, 3, 4, 4))
    new = exe.reshape(data=(1, 3, 4, 4))
    assert new.aux_dict["bn_moving_mean"] is exe.aux_dict["bn_moving_mean"]
    assert new.forward()[0].shape == (1, 2, 4, 4)
