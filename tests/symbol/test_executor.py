"""Executors against MXNet 1.9.1: graphs saved by MXNet, bound here with the
same inputs, give MXNet's outputs (inference and training forward), gradients
for given head gradients and updated aux states; plus grad_req, bind and
forward/backward semantics."""
import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

from . import LEGACY, ZOO, build, load_fixtures, missing_ops

META, ARRAYS = load_fixtures()
RUN_CASES = [n for n in ZOO if f"{n}/train/0" in ARRAYS] + [f"legacy_{n}" for n in LEGACY]


def _close(actual, expected, what):
    assert actual.dtype == expected.dtype, what
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5, err_msg=what)


def _spec(name):
    missing = missing_ops(name)
    if missing:
        pytest.skip(f"operators not registered yet: {missing}")
    if name.startswith("legacy_"):
        return LEGACY[name[len("legacy_"):]]
    return build(mx, name)


def _bound(name):
    """An executor for MXNet's JSON of ``name`` with the fixture's inputs."""
    spec = _spec(name)
    sym = mx.sym.load_json(META[name]["json"])
    ex = sym.simple_bind(mx.cpu(), grad_req="write", type_dict=spec.get("types"),
                         **spec["shapes"])
    for key, arr in ex.arg_dict.items():
        arr[:] = ARRAYS[f"{name}/arg/{key}"]
    for key, arr in ex.aux_dict.items():
        arr[:] = ARRAYS[f"{name}/aux/{key}"]
    return ex


def _heads(name, n):
    return [mx.nd.array(ARRAYS[f"{name}/head/{i}"], dtype=ARRAYS[f"{name}/head/{i}"].dtype)
            for i in range(n)]


@pytest.mark.parametrize("name", RUN_CASES)
def test_inference_forward_matches_mxnet(name):
    ex = _bound(name)
    for i, out in enumerate(ex.forward(is_train=False)):
        _close(out.asnumpy(), ARRAYS[f"{name}/infer/{i}"], f"output {i}")


# MXNet 1.9.1's graph executor gives PReLU's gamma the true gradient times gamma
# when the layer's input is computed by another node (its imperative gradient is the
# true one, as here); the relation is checked instead of the values.
SCALED_BY_GAMMA = {("legacy_v09_lenet", "prelu_gamma")}


@pytest.mark.parametrize("name", RUN_CASES)
def test_training_forward_and_backward_match_mxnet(name):
    ex = _bound(name)
    outs = ex.forward(is_train=True)
    for i, out in enumerate(outs):
        _close(out.asnumpy(), ARRAYS[f"{name}/train/{i}"], f"output {i}")
    ex.backward(_heads(name, len(outs)))
    for key, grad in ex.grad_dict.items():
        expected = ARRAYS[f"{name}/grad/{key}"]
        actual = grad.asnumpy()
        if (name, key) in SCALED_BY_GAMMA:
            actual = actual * ex.arg_dict[key].asnumpy()
        _close(actual, expected, f"gradient of {key}")


@pytest.mark.parametrize("name", [n for n in RUN_CASES if META[n]["auxiliary_states"]])
def test_moving_statistics_change_in_backward_like_mxnet(name):
    ex = _bound(name)
    ex.forward(is_train=False)
    outs = ex.forward(is_train=True)
    for key, arr in ex.aux_dict.items():  # MXNet updates them in the backward pass
        _close(arr.asnumpy(), ARRAYS[f"{name}/aux/{key}"], f"aux {key} before backward")
    ex.backward(_heads(name, len(outs)))
    for key, arr in ex.aux_dict.items():
        _close(arr.asnumpy(), ARRAYS[f"{name}/aux_after/{key}"], f"aux {key}")


@pytest.mark.parametrize("name", ["mlp", "lstm"])
def test_graph_built_here_runs_like_mxnets_json(name):
    spec = _spec(name)
    ex = spec["symbol"].simple_bind(mx.cpu(), **spec["shapes"])
    for key, arr in ex.arg_dict.items():
        arr[:] = ARRAYS[f"{name}/arg/{key}"]
    outs = ex.forward(is_train=True)
    ex.backward(_heads(name, len(outs)))
    for i, out in enumerate(outs):
        _close(out.asnumpy(), ARRAYS[f"{name}/train/{i}"], f"output {i}")
    for key, grad in ex.grad_dict.items():
        _close(grad.asnumpy(), ARRAYS[f"{name}/grad/{key}"], f"gradient of {key}")


# -- grad_req and heads --------------------------------------------------------------------
def _product(grad_req="write"):
    x, y = mx.sym.var("x"), mx.sym.var("y")
    ex = (x * y).simple_bind(mx.cpu(), grad_req=grad_req, x=(2,), y=(2,))
    ex.arg_dict["x"][:] = [1, 2]
    ex.arg_dict["y"][:] = [3, 4]
    return ex


def test_grad_req_add_accumulates_over_backward_calls():
    ex = _product("add")
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward(mx.nd.ones((2,)))
    assert ex.grad_dict["x"].asnumpy().tolist() == [6, 8]


def test_grad_req_write_overwrites():
    ex = _product("write")
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward(mx.nd.array([1, 10]))
    assert ex.grad_dict["x"].asnumpy().tolist() == [3, 40]


def test_grad_req_null_allocates_no_gradient():
    ex = _product({"x": "write", "y": "null"})
    assert ex.grad_arrays[1] is None
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2,)))
    assert ex.grad_dict["x"].asnumpy().tolist() == [3, 4]


def test_backward_can_run_twice_after_one_forward():
    ex = _product()
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2,)))
    ex.backward(mx.nd.array([1, 10]))
    assert ex.grad_dict["x"].asnumpy().tolist() == [3, 40]


def test_grad_dict_lists_null_gradients_as_none():
    ex = _product({"x": "write", "y": "null"})
    assert ex.grad_dict == {"x": ex.grad_arrays[0], "y": None}


def test_loss_output_needs_no_head_gradient():
    data, label = mx.sym.var("d"), mx.sym.var("l")
    ex = mx.sym.SoftmaxOutput(data, label, name="so").simple_bind(mx.cpu(), d=(2, 3), l=(2,))
    ex.arg_dict["d"][:] = np.arange(6).reshape(2, 3)
    ex.arg_dict["l"][:] = [0, 2]
    ex.forward(is_train=True)
    ex.backward()
    p = np.exp(np.arange(3)) / np.exp(np.arange(3)).sum()
    expected = np.stack([p - [1, 0, 0], p - [0, 0, 1]])
    np.testing.assert_allclose(ex.grad_dict["d"].asnumpy(), expected, rtol=1e-5)


def test_same_output_twice_sums_both_head_gradients():
    # MXNet 1.9.1 keeps only the last head gradient of an entry listed twice
    # ([6, 6] here); the sum is the gradient of the group's weighted outputs.
    x = mx.sym.var("x")
    twice = x * 2
    ex = mx.sym.Group([twice, twice]).simple_bind(mx.cpu(), x=(2,))
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((2,)), mx.nd.ones((2,)) * 3])
    assert ex.grad_dict["x"].asnumpy().tolist() == [8, 8]


def test_variable_as_output_passes_its_head_gradient_through():
    x = mx.sym.var("x")
    ex = mx.sym.Group([x, x * 3]).simple_bind(mx.cpu(), x=(2,))
    ex.arg_dict["x"][:] = 1
    ex.forward(is_train=True)
    assert ex.outputs[0].asnumpy().tolist() == [1, 1]
    ex.backward([mx.nd.ones((2,)) * 5, mx.nd.ones((2,))])
    assert ex.grad_dict["x"].asnumpy().tolist() == [8, 8]


# -- bind and forward ------------------------------------------------------------------------
def test_forward_copies_keyword_arrays_into_arguments():
    ex = _product()
    out = ex.forward(is_train=False, x=mx.nd.array([1, 2]), y=mx.nd.array([5, 6]))
    assert out[0].asnumpy().tolist() == [5, 12]
    assert ex.arg_dict["y"].asnumpy().tolist() == [5, 6]


def test_forward_with_unknown_argument_raises():
    with pytest.raises((MXNetError, TypeError), match="z"):
        _product().forward(z=mx.nd.ones((2,)))


def test_bind_with_explicit_arrays_and_partial_args_grad():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    gx = mx.nd.zeros((2,))
    ex = (x * y).bind(mx.cpu(), {"x": mx.nd.array([1, 2]), "y": mx.nd.array([3, 4])},
                      args_grad={"x": gx})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2,)))
    assert gx.asnumpy().tolist() == [3, 4]


def test_bind_missing_argument_raises():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    with pytest.raises((MXNetError, ValueError), match="y"):
        (x * y).bind(mx.cpu(), {"x": mx.nd.ones((2,))})


def test_bind_with_incompatible_shapes_names_the_node():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    with mx.name.NameManager():
        product = x * y
    with pytest.raises(MXNetError, match="_mul0"):
        product.bind(mx.cpu(), {"x": mx.nd.ones((2,)), "y": mx.nd.ones((3,))})


def test_simple_bind_uses_type_dict():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    ex = (x + y).simple_bind(mx.cpu(), type_dict={"x": "float64"}, x=(2,), y=(2,))
    assert ex.arg_dict["y"].dtype == np.float64


def test_simple_bind_without_enough_shapes_raises():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2)
    with pytest.raises((MXNetError, RuntimeError)):
        fc.simple_bind(mx.cpu())


def test_output_dict_is_keyed_by_output_names():
    with mx.name.NameManager():
        ex = _product()
    ex.forward()
    assert list(ex.output_dict) == ["_mul0_output"]


def test_copy_params_from_and_extra_params():
    fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2, name="fc")
    ex = fc.simple_bind(mx.cpu(), x=(1, 3))
    ex.copy_params_from({"fc_weight": mx.nd.ones((2, 3))})
    assert ex.arg_dict["fc_weight"].asnumpy().sum() == 6
    with pytest.raises((MXNetError, ValueError)):
        ex.copy_params_from({"nope": mx.nd.ones((2, 3))})
    ex.copy_params_from({"nope": mx.nd.ones((2, 3))}, allow_extra_params=True)


def test_reshape_gives_an_executor_for_new_input_shapes():
    ex = (mx.sym.var("x") * 2).simple_bind(mx.cpu(), x=(2, 3))
    new = ex.reshape(allow_up_sizing=True, x=(4, 3))
    assert new.arg_dict["x"].shape == (4, 3)
    assert new.forward()[0].shape == (4, 3)


def test_monitor_callback_sees_every_node_output():
    seen = []
    with mx.name.NameManager():
        ex = (mx.sym.var("x") * 2 + 1).simple_bind(mx.cpu(), x=(2,))
    ex.set_monitor_callback(lambda name, arr: seen.append(name))
    ex.forward()
    # MXNet passes the names as bytes (mx.monitor.Monitor decodes them).
    assert [n.decode() if isinstance(n, bytes) else n for n in seen] == \
        ["_mulscalar0_output", "_plusscalar0_output"]


def test_eval_returns_a_list_of_outputs():
    x, y = mx.sym.var("x"), mx.sym.var("y")
    outs = mx.sym.Group([x * 2 + y, x]).eval(ctx=mx.cpu(), x=mx.nd.ones((2,)),
                                             y=mx.nd.array([1, 2]))
    assert isinstance(outs, list)
    assert [o.asnumpy().tolist() for o in outs] == [[3, 4], [1, 1]]


def test_eval_without_ctx_uses_the_current_context():
    x = mx.sym.var("x")
    assert (x * 3).eval(x=mx.nd.ones((2,)))[0].asnumpy().tolist() == [3, 3]
