"""HybridBlock.register_op_hook: a hybridized forward pass calls the hook for
every operator output (and input, with monitor_all), with MXNet 1.9.1's names
and order; the sequences below were recorded from MXNet 1.9.1."""
import warnings

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError
from mxnet.gluon import nn

_FC0 = ["net_dense0_fwd_data", "net_dense0_fwd_weight", "net_dense0_fwd_bias"]
_BN = ["net_batchnorm0_fwd_data", "net_batchnorm0_fwd_gamma", "net_batchnorm0_fwd_beta",
       "net_batchnorm0_fwd_moving_mean", "net_batchnorm0_fwd_moving_var"]
_FC1 = ["net_dense1_fwd_data", "net_dense1_fwd_weight", "net_dense1_fwd_bias"]


@pytest.fixture
def threaded_engine():
    old = mx.engine.set_engine("ThreadedEnginePerDevice")
    yield
    mx.engine.set_engine(old)


def _net(hybridize=True):
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Dense(4), nn.BatchNorm(), nn.Dense(2))
    net.initialize()
    if hybridize:
        net.hybridize()
    return net


def _record(net, monitor_all=False, train=False):
    calls = []
    net.register_op_hook(lambda name, op, arr: calls.append((name, op, arr)), monitor_all)
    x = mx.nd.array(np.arange(15).reshape(3, 5))
    if train:
        with mx.autograd.record():
            y = net(x)
        y.backward()
    else:
        y = net(x)
    y.wait_to_read()
    return calls


def test_inference_hook_sees_each_operator_output_in_order():
    calls = _record(_net())
    assert [(n, op) for n, op, _ in calls] == [
        ("net_dense0_fwd_output", "FullyConnected"), ("net_batchnorm0_fwd_output", "BatchNorm"),
        ("net_dense1_fwd_output", "FullyConnected")]


def test_training_hook_also_sees_batch_norm_mean_and_var():
    names = [n for n, _, _ in _record(_net(), train=True)]
    assert names == ["net_dense0_fwd_output", "net_batchnorm0_fwd_output",
                     "net_batchnorm0_fwd_mean", "net_batchnorm0_fwd_var",
                     "net_dense1_fwd_output"]


def test_monitor_all_names_each_input_before_the_outputs():
    names = [n for n, _, _ in _record(_net(), monitor_all=True)]
    assert names == _FC0 + ["net_dense0_fwd_output"] + _BN + ["net_batchnorm0_fwd_output"] \
        + _FC1 + ["net_dense1_fwd_output"]


def test_hook_arrays_are_ndarray_copies_of_the_values():
    net = _net()
    calls = _record(net, monitor_all=True)
    arrays = {n: a for n, _, a in calls}
    assert all(isinstance(a, mx.nd.NDArray) for a in arrays.values())
    dense = net[0]
    x = arrays["net_dense0_fwd_data"].asnumpy()
    expected = x @ dense.weight.data().asnumpy().T + dense.bias.data().asnumpy()
    np.testing.assert_allclose(arrays["net_dense0_fwd_output"].asnumpy(), expected, rtol=1e-6)
    arrays["net_dense0_fwd_weight"][:] = 0       # the hook's array is not the parameter
    assert dense.weight.data().asnumpy().any()


def test_concat_inputs_are_named_arg_i():
    class Cat(nn.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.concat(x, x * 2, dim=1)
    net = Cat(prefix="cat_")
    net.hybridize()
    calls = []
    net.register_op_hook(lambda name, op, arr: calls.append(name), monitor_all=True)
    net(mx.nd.ones((2, 2))).wait_to_read()
    assert [n for n in calls if n.startswith("cat_concat")] == [
        "cat_concat0_arg0", "cat_concat0_arg1", "cat_concat0_output"]


def test_imperative_runs_do_not_call_the_hook():
    assert _record(_net(hybridize=False)) == []


def test_block_installs_the_hook_on_hybridized_children():
    outer = nn.Sequential()
    inner = _net()
    outer.add(inner)
    calls = []
    outer.register_op_hook(lambda name, op, arr: calls.append(name))
    outer(mx.nd.ones((3, 5))).wait_to_read()
    assert calls[-1] == "net_dense1_fwd_output"


def test_hook_error_surfaces_at_the_next_wait(threaded_engine):
    net = _net()
    net(mx.nd.ones((3, 5))).wait_to_read()

    def failing(name, op, arr):
        raise ValueError("hook failed on " + name)
    net.register_op_hook(failing)
    y = net(mx.nd.ones((3, 5)))
    with pytest.raises(MXNetError, match="hook failed on net_dense0_fwd_output"):
        y.wait_to_read()


def test_hook_with_static_alloc_warns_as_mxnet_does():
    net = _net()
    net.hybridize(static_alloc=True)
    net.register_op_hook(lambda name, op, arr: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net(mx.nd.ones((3, 5))).wait_to_read()
    assert any("register_op_hook is experimental" in str(w.message) for w in caught)


def test_positional_inputs_and_unnamed_outputs_are_labelled_as_mxnet():
    # Activation names its input by position; Flatten has no output name, so
    # MXNet labels its output <node>_<index> (recorded from MXNet 1.9.1).
    net = nn.HybridSequential(prefix="net_")
    with net.name_scope():
        net.add(nn.Activation("sigmoid"), nn.Flatten())
    net.initialize()
    net.hybridize()
    seen = []
    net.register_op_hook(lambda name, op, arr: seen.append((name, op)), monitor_all=True)
    net(mx.nd.ones((2, 3, 2)))
    mx.nd.waitall()
    assert seen == [("net_sigmoid0_fwd_input0", "Activation"),
                    ("net_sigmoid0_fwd_output", "Activation"),
                    ("net_flatten0_flatten0_input0", "Flatten"),
                    ("net_flatten0_flatten0_0", "Flatten")]
