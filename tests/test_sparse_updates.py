"""Optimizer updates with row_sparse weights, gradients and states.

Expected storage types, stored rows and values come from MXNet 1.9.1
(tests/fixtures/sparse/updates.json, written by
tools/make_fixtures_sparse_updates.py); where MXNet's result is undefined we
check our documented choice against NumPy.
"""
import json
import os

import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd, gluon
from mxnet import optimizer as opt
from mxnet.base import MXNetError

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sparse")
with open(os.path.join(HERE, "updates.json")) as _f:
    FIXTURE = json.load(_f)

# The words of MXNet's refusals, and ours for the same refusal.
ERRORS = {"kWriteInplace": "kWriteInplace", "all rows": "must store every row",
          "Inconsistent storage types": "must share one storage type"}


def make(name):
    """An input named as in the fixture: storage prefix + source name."""
    kind, src = name[0], np.array(FIXTURE["sources"][name[1:]], np.float32)
    if kind == "d":
        return mx.nd.array(src)
    if kind == "e":
        return mx.nd.zeros(src.shape, stype="row_sparse")
    rows = np.array([1, 3]) if name[1:] == "G" else {"r": np.arange(len(src)),
                                                      "p": np.array([0, 2])}[kind]
    return mx.nd.sparse.row_sparse_array((src[rows], rows), shape=src.shape)


def check(arr, expect):
    stype, rows, values = expect
    assert arr.stype == stype
    if rows is not None:
        assert arr.indices.asnumpy().tolist() == rows
    np.testing.assert_allclose(arr.asnumpy().ravel(), values, rtol=1e-5, atol=1e-6)


def _case_id(case):
    lazy = {True: "lazy", False: "std", None: ""}[case["lazy_update"]]
    return "-".join([case["op"], *case["inputs"][:3], lazy, "out" if case["out"] else "noout"])


@pytest.mark.parametrize("case", FIXTURE["ops"], ids=[_case_id(c) for c in FIXTURE["ops"]])
def test_update_op_storage_and_values_match_mxnet(case):
    arrays = [make(n) for n in case["inputs"]]
    kwargs = dict(FIXTURE["kwargs"])
    if case["op"] == "sgd_mom_update":
        kwargs["momentum"] = FIXTURE["momentum"]
    if case["lazy_update"] is not None:
        kwargs["lazy_update"] = case["lazy_update"]
    update = getattr(mx.nd, case["op"])
    if "error" in case:
        with pytest.raises(MXNetError, match=ERRORS[case["error"]]):
            update(*arrays, **({"out": arrays[0]} if case["out"] else {}), **kwargs)
        return
    if case["out"]:
        assert update(*arrays, out=arrays[0], **kwargs) is arrays[0]
    else:
        check(update(*arrays, **kwargs), case["returned"])
    check(arrays[0], case["weight"])
    for state, expect in zip(arrays[2:], case["states"]):
        check(state, expect)


def _trainer_id(case):
    return f"{case['init']}-{case['optimizer']}-" + (
        "std" if case["kwargs"].get("lazy_update") is False else "lazy")


@pytest.mark.parametrize("case", FIXTURE["trainer"],
                         ids=[_trainer_id(c) for c in FIXTURE["trainer"]])
def test_sparse_embedding_trains_step_by_step_like_mxnet(case):
    emb = gluon.contrib.nn.SparseEmbedding(6, 2, weight_initializer=case["init"])
    emb.initialize()
    trainer = gluon.Trainer(emb.collect_params(), case["optimizer"], dict(case["kwargs"]))
    for ids, expect in zip(([1, 3], [3, 4]), case["steps"]):
        with autograd.record():
            loss = (emb(mx.nd.array(ids)) * mx.nd.array([[1, 2], [3, 4]])).sum()
        loss.backward()
        trainer.step(1)
        weight = emb.weight.row_sparse_data(mx.nd.arange(6))
        np.testing.assert_allclose(weight.asnumpy().ravel(), expect, rtol=1e-5, atol=1e-6)


def _rows_grad(shape, rows, value=1.0):
    data = np.full((len(rows),) + shape[1:], value, np.float32)
    return mx.nd.sparse.row_sparse_array((data, rows), shape=shape)


@pytest.mark.parametrize("weight_stype", ["row_sparse", "default"])
def test_lazy_update_of_a_huge_weight_writes_only_the_gradient_rows_in_place(weight_stype):
    shape, rows = (200_000, 16), [7, 123_456]
    weight = mx.nd.ones(shape).tostype(weight_stype)
    mom = mx.nd.zeros(shape, stype=weight_stype)
    mom[:] = 0  # stores every row (zero or not), so it need not grow
    buffers = weight._data, mom._data
    mx.nd.sgd_mom_update(weight, _rows_grad(shape, rows), mom, out=weight, lr=0.5,
                         momentum=0.9)
    assert weight._data is buffers[0] and mom._data is buffers[1]
    changed = np.flatnonzero((weight._data != 1).any(axis=1))
    assert changed.tolist() == rows
    np.testing.assert_allclose(weight._data[rows], 0.5)
    np.testing.assert_allclose(mom._data[rows], -0.5)


def test_fresh_row_sparse_state_grows_to_every_row_once():
    w = mx.nd.ones((5, 2)).tostype("row_sparse")
    mom = mx.nd.zeros((5, 2), stype="row_sparse")
    mx.nd.sgd_mom_update(w, _rows_grad((5, 2), [1, 3]), mom, out=w, lr=0.1, momentum=0.9)
    assert mom.stype == "row_sparse" and mom.indices.asnumpy().tolist() == [0, 1, 2, 3, 4]
    np.testing.assert_allclose(mom.asnumpy()[:, 0], [0, -0.1, 0, -0.1, 0], atol=1e-7)
    grown = mom._data
    mx.nd.sgd_mom_update(w, _rows_grad((5, 2), [4]), mom, out=w, lr=0.1, momentum=0.9)
    assert mom._data is grown
    np.testing.assert_allclose(mom.asnumpy()[:, 0], [0, -0.1, 0, -0.1, -0.1], atol=1e-7)
    np.testing.assert_allclose(w.asnumpy()[:, 0], [1, 0.9, 1, 0.9, 0.9], rtol=1e-6)


def test_state_storing_some_rows_grows_keeping_its_values():
    # MXNet reads such a state as if it stored every row (undefined results);
    # here it grows to every row with zeros in the new ones, then updates.
    w = mx.nd.ones((4, 2)).tostype("row_sparse")
    mom = mx.nd.sparse.row_sparse_array((np.full((1, 2), 0.5, np.float32), [1]), shape=(4, 2))
    mx.nd.sgd_mom_update(w, _rows_grad((4, 2), [1, 2]), mom, out=w, lr=0.1, momentum=0.9)
    assert mom.indices.asnumpy().tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(mom.asnumpy()[:, 0], [0, 0.35, -0.1, 0], rtol=1e-6)
    np.testing.assert_allclose(w.asnumpy()[:, 0], [1, 1.35, 0.9, 1], rtol=1e-6)


def test_standard_adam_on_empty_row_sparse_states_updates_every_row():
    # MXNet 1.9.1 fails an internal size check here; we grow the states.
    w = mx.nd.array(np.arange(8).reshape(4, 2) + 1.0)
    rsp_w = w.tostype("row_sparse")
    mean, var = mx.nd.zeros((4, 2), stype="row_sparse"), mx.nd.zeros((4, 2), stype="row_sparse")
    grad = _rows_grad((4, 2), [2])
    dense_mean, dense_var = mx.nd.zeros((4, 2)), mx.nd.zeros((4, 2))
    kwargs = dict(lr=0.1, wd=0.1, lazy_update=False)
    mx.nd.adam_update(rsp_w, grad, mean, var, out=rsp_w, **kwargs)
    mx.nd.adam_update(w, grad.tostype("default"), dense_mean, dense_var, out=w, **kwargs)
    for got, want in ((rsp_w, w), (mean, dense_mean), (var, dense_var)):
        assert got.stype == "row_sparse"
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-6)


def test_dense_fallback_writes_updated_row_sparse_states_back():
    # nag_mom_update has no sparse kernel: it runs densely and the state keeps
    # its storage type, storing the rows that are not zero (as MXNet does).
    w = mx.nd.ones((4, 2)).tostype("row_sparse")
    mom = mx.nd.zeros((4, 2), stype="row_sparse")
    mx.nd.nag_mom_update(w, _rows_grad((4, 2), [1, 3]), mom, out=w, lr=0.1, momentum=0.9)
    assert mom.stype == "row_sparse" and mom.indices.asnumpy().tolist() == [1, 3]
    np.testing.assert_allclose(mom.asnumpy()[:, 0], [0, -0.1, 0, -0.1], rtol=1e-6)
    np.testing.assert_allclose(w.asnumpy()[:, 0], [1, 0.81, 1, 0.81], rtol=1e-6)


def test_update_without_out_leaves_weight_and_states_untouched_when_refused():
    w = mx.nd.ones((4, 2)).tostype("row_sparse")
    mom = mx.nd.zeros((4, 2), stype="row_sparse")
    with pytest.raises(MXNetError, match="pass out=weight"):
        mx.nd.sparse.sgd_mom_update(w, _rows_grad((4, 2), [1]), mom, lr=0.1, momentum=0.9)
    with pytest.raises(MXNetError, match="got another array"):
        mx.nd.sgd_update(w, _rows_grad((4, 2), [1]), lr=0.1, out=w.copy())
    assert mom.indices.asnumpy().tolist() == []
    np.testing.assert_allclose(w.asnumpy(), 1)


@pytest.mark.parametrize("name,kwargs", [("sgd", dict(momentum=0.9)), ("adam", {})])
def test_optimizer_state_of_a_row_sparse_weight_grows_to_every_row(name, kwargs):
    w = mx.nd.ones((5, 2)).tostype("row_sparse")
    optimizer = opt.create(name, learning_rate=0.1, **kwargs)
    updater = opt.get_updater(optimizer)
    updater(0, _rows_grad((5, 2), [1, 3]), w)
    states = updater.states[0]
    states = states if isinstance(states, tuple) else (states,)
    for state in states:
        assert state.stype == "row_sparse"
        assert state.indices.asnumpy().tolist() == [0, 1, 2, 3, 4]
    assert w.stype == "row_sparse"
    assert np.flatnonzero(w.asnumpy()[:, 0] != 1).tolist() == [1, 3]


def test_sparse_update_refuses_gradient_or_state_of_another_shape():
    w = mx.nd.ones((5, 2)).tostype("row_sparse")
    with pytest.raises(MXNetError, match="'grad' must have the weight's shape"):
        mx.nd.sgd_update(w, _rows_grad((10, 2), [8]), lr=0.1, out=w)
    with pytest.raises(MXNetError, match="'mom' must have the weight's shape"):
        mx.nd.sgd_mom_update(w, _rows_grad((5, 2), [4]), mx.nd.zeros((3, 2), stype="row_sparse"),
                             lr=0.1, out=w)
