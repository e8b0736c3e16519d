"""Optimizer update ops in symbols: the inputs they update are aux states.

MXNet lists every input an op may write (momentum, moments, float32 master
weights...) among a symbol's auxiliary states, not its arguments, so
``list_arguments``/``list_auxiliary_states``, ``infer_shape``/``infer_type``,
``tojson`` (the write-version stamp of the aux inputs) and ``bind`` keep them
apart, and an executor updates the aux arrays in place as the op does.
The expected lists below come from MXNet 1.9.1 (inputs named i0, i1...).
"""
import json

import numpy as np
import pytest

import mxnet as mx
from mxnet.base import MXNetError

L2 = {"lrs": (0.1, 0.2), "wds": (0.0, 0.01)}
LAMB2 = {"learning_rates": (0.1, 0.2), "wds": (0.0, 0.01), "step_count": (1, 1)}

# (op, number of inputs, params, positions of the aux states), from MXNet 1.9.1.
AUX_TABLE = [
    ("sgd_update", 2, {"lr": 0.1}, []),
    ("signsgd_update", 2, {"lr": 0.1}, []),
    ("sgd_mom_update", 3, {"lr": 0.1}, [2]),
    ("mp_sgd_update", 3, {"lr": 0.1}, [2]),
    ("mp_sgd_mom_update", 4, {"lr": 0.1}, [2, 3]),
    ("nag_mom_update", 3, {"lr": 0.1}, [2]),
    ("mp_nag_mom_update", 4, {"lr": 0.1}, [2, 3]),
    ("signum_update", 3, {"lr": 0.1}, [2]),
    ("adam_update", 4, {"lr": 0.1}, [2, 3]),
    ("_adamw_update", 5, {"lr": 0.1, "eta": 1.0}, [2, 3]),
    ("_mp_adamw_update", 6, {"lr": 0.1, "eta": 1.0}, [2, 3, 4]),
    ("rmsprop_update", 3, {"lr": 0.1}, [2]),
    ("rmspropalex_update", 5, {"lr": 0.1}, [2, 3, 4]),
    ("ftrl_update", 4, {"lr": 0.1}, [2, 3]),
    ("ftml_update", 5, {"lr": 0.1, "t": 1}, [2, 3, 4]),
    ("lamb_update_phase1", 4, {"t": 1, "wd": 0.0}, [2, 3]),
    ("lamb_update_phase2", 4, {"lr": 0.1}, []),
    # weight32 is an argument of phase 1 and an aux state of phase 2
    ("mp_lamb_update_phase1", 5, {"t": 1, "wd": 0.0}, [2, 3]),
    ("mp_lamb_update_phase2", 5, {"lr": 0.1}, [4]),
    ("_contrib_group_adagrad_update", 3, {"lr": 0.1}, [2]),
    ("_sparse_adagrad_update", 3, {"lr": 0.1}, [2]),
    ("multi_sgd_update", 4, {"num_weights": 2, **L2}, []),
    ("multi_mp_sgd_update", 6, {"num_weights": 2, **L2}, [2, 5]),
    ("multi_mp_sgd_mom_update", 8, {"num_weights": 2, **L2}, [2, 3, 6, 7]),
    ("preloaded_multi_sgd_update", 6, {"num_weights": 2}, []),
    ("preloaded_multi_mp_sgd_update", 8, {"num_weights": 2}, [2, 5]),
    ("preloaded_multi_mp_sgd_mom_update", 10, {"num_weights": 2}, [2, 3, 6, 7]),
    ("_multi_adamw_update", 9, {"num_weights": 2, "etas": (1.0, 1.0), **L2}, [2, 3, 6, 7]),
    ("_multi_mp_adamw_update", 11, {"num_weights": 2, "etas": (1.0, 1.0), **L2},
     [2, 3, 4, 7, 8, 9]),
    ("_multi_lamb_update", 8, {"num_tensors": 2, **LAMB2}, [2, 3, 6, 7]),
    ("_multi_mp_lamb_update", 10, {"num_tensors": 2, **LAMB2}, [2, 3, 4, 7, 8, 9]),
    # MXNet 1.9.1 cannot compose these two (its mutable-input function reads the
    # wrong parameter struct); the momenta are aux states as in their mp_ siblings.
    ("multi_sgd_mom_update", 6, {"num_weights": 2, **L2}, [2, 5]),
    ("preloaded_multi_sgd_mom_update", 8, {"num_weights": 2}, [2, 5]),
]


def _sym_function(op):
    for prefix, space in (("_contrib_", mx.sym.contrib), ("_sparse_", mx.sym.sparse)):
        if op.startswith(prefix):
            return getattr(space, op[len(prefix):])
    return getattr(mx.sym, op, None) or getattr(mx.sym._internal, op)


def _op_symbol(op, n, params):
    fn = _sym_function(op)
    return fn(*[mx.sym.var(f"i{k}") for k in range(n)], name="u", **params)


@pytest.mark.parametrize("op,n,params,aux", AUX_TABLE, ids=[row[0] for row in AUX_TABLE])
def test_updated_inputs_are_aux_states(op, n, params, aux):
    sym = _op_symbol(op, n, params)
    assert sym.list_arguments() == [f"i{k}" for k in range(n) if k not in aux]
    assert sym.list_auxiliary_states() == [f"i{k}" for k in aux]
    assert sym.list_inputs() == [f"i{k}" for k in range(n)]
    # tojson stamps each aux input with its write count (1: this node writes it)
    node = json.loads(sym.tojson())["nodes"][-1]
    assert node["inputs"] == [[k, 0, int(k in aux)] for k in range(n)]


def test_json_round_trip_keeps_aux_states():
    sym = _op_symbol("multi_mp_sgd_mom_update", 8, {"num_weights": 2, "momentum": 0.9, **L2})
    back = mx.sym.load_json(sym.tojson())
    assert back.list_arguments() == ["i0", "i1", "i4", "i5"]
    assert back.list_auxiliary_states() == ["i2", "i3", "i6", "i7"]
    assert back.tojson() == sym.tojson()


def test_infer_shape_and_type_report_aux_separately():
    # values from MXNet 1.9.1
    w, g, mom, w32 = (mx.sym.var(k) for k in ("weight", "grad", "mom", "weight32"))
    sym = mx.sym.mp_sgd_mom_update(w, g, mom, w32, lr=0.1, name="u")
    assert sym.infer_shape(weight=(3,)) == ([(3,), (3,)], [(3,)], [(3,), (3,)])
    assert sym.infer_type(weight="float16") == ([np.float16, np.float16], [np.float16],
                                               [np.float32, np.float32])
    adam = mx.sym.adam_update(w, g, mx.sym.var("mean"), mx.sym.var("var"), lr=0.1)
    assert adam.infer_type(weight="float16")[2] == [np.float16, np.float16]


def _mp_sgd_mom_reference(w32, grad, mom, lr, momentum, wd):
    """MXNet's mp_sgd_mom_update in NumPy: (new weight32, new mom)."""
    mom = momentum * mom - lr * wd * w32 - lr * grad.astype(np.float32)
    return w32 + mom, mom


def test_simple_bind_updates_aux_arrays_in_place():
    w, g, mom, w32 = (mx.sym.var(k) for k in ("weight", "grad", "mom", "weight32"))
    sym = mx.sym.mp_sgd_mom_update(w, g, mom, w32, lr=0.1, momentum=0.9, wd=0.01)
    ex = sym.simple_bind(mx.cpu(), grad_req="null", weight=(3,),
                         type_dict={"weight": "float16", "grad": "float16"})
    assert sorted(ex.arg_dict) == ["grad", "weight"]
    assert sorted(ex.aux_dict) == ["mom", "weight32"]
    assert [a.dtype for a in ex.aux_arrays] == [np.float32, np.float32]
    rng = np.random.RandomState(0)
    values = {k: rng.uniform(0.5, 1.5, 3) for k in ("weight", "grad", "mom", "weight32")}
    for k, v in values.items():
        (ex.arg_dict if k in ex.arg_dict else ex.aux_dict)[k][:] = v
    w32_ref, mom_ref = values["weight32"].astype(np.float32), values["mom"].astype(np.float32)
    grad = values["grad"].astype(np.float16)
    for _ in range(2):  # each run updates the states again
        out = ex.forward()[0]
        w32_ref, mom_ref = _mp_sgd_mom_reference(w32_ref, grad, mom_ref, 0.1, 0.9, 0.01)
        np.testing.assert_allclose(ex.aux_dict["mom"].asnumpy(), mom_ref, rtol=1e-6)
        np.testing.assert_allclose(ex.aux_dict["weight32"].asnumpy(), w32_ref, rtol=1e-6)
        np.testing.assert_array_equal(out.asnumpy(), w32_ref.astype(np.float16))
    # the weight itself is an argument: only the output holds the new value
    np.testing.assert_array_equal(ex.arg_dict["weight"].asnumpy(),
                                  values["weight"].astype(np.float16))


@pytest.mark.parametrize("as_list", [False, True])
def test_bind_updates_the_given_aux_arrays(as_list):
    w, g, mean, var = (mx.sym.var(k) for k in ("weight", "grad", "mean", "var"))
    sym = mx.sym.adam_update(w, g, mean, var, lr=0.1)
    args = {"weight": mx.nd.array([1.0, 2.0]), "grad": mx.nd.array([0.5, -0.5])}
    aux = {"mean": mx.nd.zeros(2), "var": mx.nd.zeros(2)}
    if as_list:
        ex = sym.bind(mx.cpu(), args=[args["weight"], args["grad"]],
                      aux_states=[aux["mean"], aux["var"]], grad_req="null")
    else:
        ex = sym.bind(mx.cpu(), args=args, aux_states=aux, grad_req="null")
    ex.forward()
    np.testing.assert_allclose(aux["mean"].asnumpy(), [0.05, -0.05], rtol=1e-5)
    np.testing.assert_allclose(aux["var"].asnumpy(), [0.00025, 0.00025], rtol=1e-4)  # float32 (1 - beta2)


def test_lamb_phase2_lists_weight32_as_aux_but_leaves_it():
    names = ("weight", "g", "r1", "r2", "weight32")
    sym = mx.sym.mp_lamb_update_phase2(*(mx.sym.var(k) for k in names), lr=0.1)
    ex = sym.bind(mx.cpu(), grad_req="null",
                  args={"weight": mx.nd.ones(3, dtype="float16"), "g": mx.nd.ones(3),
                        "r1": mx.nd.array([2.0]), "r2": mx.nd.array([1.0])},
                  aux_states={"weight32": mx.nd.ones(3)})
    out = ex.forward()[0]
    np.testing.assert_allclose(out.asnumpy(), [0.8, 0.8, 0.8], rtol=1e-3)
    np.testing.assert_array_equal(ex.aux_dict["weight32"].asnumpy(), [1, 1, 1])


def _multi_inputs(rng, shapes, stride):
    """Per weight: float16 weight and grad, then float32 states."""
    arrays = []
    for shape in shapes:
        arrays += [rng.uniform(0.5, 1.5, shape).astype(np.float16 if j < 2 else np.float32)
                   for j in range(stride)]
    return arrays


@pytest.mark.parametrize("op,stride,params", [
    ("multi_mp_sgd_mom_update", 4, {"num_weights": 2, "momentum": 0.9, **L2}),
    ("multi_mp_sgd_update", 3, {"num_weights": 2, **L2}),
    ("_multi_mp_lamb_update", 5, {"num_tensors": 2, **LAMB2}),
])
def test_multi_tensor_executor_matches_nd_call(op, stride, params):
    """MXNet 1.9.1 cannot infer these ops' output shapes in a graph (its symbols
    do not bind); here an executor run gives the nd call's outputs and states."""
    values = _multi_inputs(np.random.RandomState(1), [(3,), (2, 2)], stride)
    n = len(values)
    sym = _op_symbol(op, n, params)
    aux_pos = [int(name[1:]) for name in sym.list_auxiliary_states()]
    ex = sym.bind(mx.cpu(), grad_req="null",
                  args={f"i{k}": mx.nd.array(v, dtype=v.dtype) for k, v in enumerate(values)
                        if k not in aux_pos},
                  aux_states={f"i{k}": mx.nd.array(values[k], dtype=values[k].dtype)
                              for k in aux_pos})
    nd_arrays = [mx.nd.array(v, dtype=v.dtype) for v in values]
    fn = getattr(mx.nd, op, None) or getattr(mx.nd._internal, op)
    for _ in range(2):
        expected = fn(*nd_arrays, **params)
        outs = ex.forward()
        for got, want in zip(outs, expected):
            np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
        for k in aux_pos:
            np.testing.assert_array_equal(ex.aux_dict[f"i{k}"].asnumpy(), nd_arrays[k].asnumpy())


def test_simple_bind_allocates_the_aux_states_of_a_multi_op():
    sym = _op_symbol("multi_mp_sgd_update", 6, {"num_weights": 2, **L2})
    ex = sym.simple_bind(mx.cpu(), grad_req="null", i0=(3,), i3=(2, 2),
                         type_dict={"i0": "float16", "i1": "float16", "i3": "float16",
                                    "i4": "float16"})
    assert sorted(ex.arg_dict) == ["i0", "i1", "i3", "i4"]
    assert sorted(ex.aux_dict) == ["i2", "i5"]
    assert [a.dtype for a in ex.aux_arrays] == [np.float32, np.float32]
    assert [a.shape for a in ex.aux_arrays] == [(3,), (2, 2)]


def test_wrong_aux_shape_is_rejected():
    w, g, mom = (mx.sym.var(k) for k in ("weight", "grad", "mom"))
    sym = mx.sym.sgd_mom_update(w, g, mom, lr=0.1)
    with pytest.raises(MXNetError, match="mom"):
        sym.infer_shape(weight=(3,), mom=(4,))


def test_bind_without_the_aux_states_is_a_clear_error():
    # MXNet 1.9.1 refuses too (a ValueError: aux_states has the wrong length)
    w, g, mom = (mx.sym.var(k) for k in ("weight", "grad", "mom"))
    sym = mx.sym.sgd_mom_update(w, g, mom, lr=0.1)
    with pytest.raises(MXNetError, match=r"aux_states is missing arrays for \['mom'\]"):
        sym.bind(mx.cpu(), args={"weight": mx.nd.ones(2), "grad": mx.nd.ones(2)})
