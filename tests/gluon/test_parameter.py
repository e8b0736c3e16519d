"""Parameter, Constant and ParameterDict (MXNet 1.9.1 semantics)."""
import numpy as np
import pytest

import mxnet as mx
from mxnet import autograd
from mxnet.base import MXNetError
from mxnet.gluon import Constant, DeferredInitializationError, Parameter, ParameterDict


def test_initialize_on_several_contexts_gives_one_equal_copy_per_context():
    p = Parameter("w", shape=(3, 4), init="ones")
    p.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    assert p.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert [d.context for d in p.list_data()] == [mx.cpu(0), mx.cpu(1)]
    assert p.data(mx.cpu(1)).context == mx.cpu(1)
    np.testing.assert_array_equal(p.data(mx.cpu(1)).asnumpy(), np.ones((3, 4)))
    assert [g.context for g in p.list_grad()] == [mx.cpu(0), mx.cpu(1)]
    with pytest.raises(RuntimeError, match="was not initialized on context cpu\\(2\\)"):
        p.data(mx.cpu(2))


def test_default_initializer_is_uniform_007_and_own_init_wins():
    p = Parameter("w", shape=(50, 50))
    p.initialize()
    values = p.data().asnumpy()
    assert values.dtype == np.float32 and np.abs(values).max() <= 0.07 and values.std() > 0.01
    q = Parameter("b", shape=(4,), init="zeros")
    q.initialize(init="ones")  # the explicit init of initialize() wins over p.init
    np.testing.assert_array_equal(q.data().asnumpy(), np.ones(4))
    r = Parameter("c", shape=(4,), init="zeros")
    r.initialize(default_init="ones")
    np.testing.assert_array_equal(r.data().asnumpy(), np.zeros(4))


def test_uninitialized_and_deferred_errors():
    p = Parameter("w", shape=(2, 0))
    with pytest.raises(RuntimeError, match="has not been initialized"):
        p.data()
    with pytest.raises(ValueError, match="invalid shape"):
        p.initialize()
    q = Parameter("v", shape=(2, 0), allow_deferred_init=True)
    q.initialize(ctx=mx.cpu(1))
    assert q.list_ctx() == [mx.cpu(1)]
    with pytest.raises(DeferredInitializationError, match="initialization was deferred"):
        q.data()
    assert issubclass(DeferredInitializationError, MXNetError)
    q.shape = (2, 5)
    q._finish_deferred_init()
    assert q.data().shape == (2, 5) and q.data().context == mx.cpu(1)


def test_shape_can_only_complete_unknown_dimensions():
    p = Parameter("w", shape=(2, 0))
    p.shape = (2, 7)
    assert p.shape == (2, 7)
    with pytest.raises(MXNetError, match="incompatible"):
        p.shape = (3, 7)
    assert Parameter("x", shape=5).shape == (5,)


def test_set_data_before_deferred_init_becomes_the_initial_value():
    p = Parameter("w", shape=(2, 0), allow_deferred_init=True)
    p.initialize()
    p.set_data(mx.nd.full((2, 3), 4.0))
    assert p.shape == (2, 3)
    p._finish_deferred_init()
    np.testing.assert_array_equal(p.data().asnumpy(), np.full((2, 3), 4.0))


def test_grad_req_write_add_null():
    p = Parameter("w", shape=(3,), init="ones")
    p.initialize()
    x = p.data()
    for _ in range(2):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [2, 2, 2])
    p.grad_req = "add"
    for _ in range(2):
        with autograd.record():
            y = (p.data() * 3).sum()
        y.backward()
    np.testing.assert_array_equal(p.grad().asnumpy(), [6, 6, 6])
    p.zero_grad()
    np.testing.assert_array_equal(p.grad().asnumpy(), [0, 0, 0])
    p.grad_req = "null"
    with pytest.raises(RuntimeError, match="grad_req='null'"):
        p.grad()
    with pytest.raises(MXNetError, match="grad_req must be one of"):
        p.grad_req = "sometimes"
    assert Parameter("n", differentiable=False).grad_req == "null"


def test_reset_ctx_and_cast_keep_values():
    p = Parameter("w", shape=(2, 2), init="ones")
    p.initialize(ctx=mx.cpu(0))
    p.reset_ctx([mx.cpu(1), mx.cpu(2)])
    assert p.list_ctx() == [mx.cpu(1), mx.cpu(2)]
    np.testing.assert_array_equal(p.data(mx.cpu(2)).asnumpy(), np.ones((2, 2)))
    p.cast("float16")
    assert p.dtype == "float16"
    assert p.data(mx.cpu(1)).dtype == np.float16 and p.grad(mx.cpu(1)).dtype == np.float16
    with autograd.record():
        y = (p.data(mx.cpu(1)) * 2).sum()
    y.backward()
    np.testing.assert_array_equal(p.grad(mx.cpu(1)).asnumpy(), np.full((2, 2), 2))
    with pytest.raises(ValueError, match="has not been initialized"):
        Parameter("u", shape=(1,)).reset_ctx(mx.cpu())


def test_var_carries_the_parameter_attributes():
    p = Parameter("fc_weight", shape=(3, 0), lr_mult=2.0, wd_mult=0.5, init="zeros")
    v = p.var()
    assert v.name == "fc_weight"
    attrs = v.list_attr()
    assert attrs["__shape__"] == "(3, 0)" and attrs["__dtype__"] == "0"
    assert attrs["__lr_mult__"] == "2.0" and attrs["__wd_mult__"] == "0.5"
    assert attrs["__init__"] == "zeros" and attrs["__storage_type__"] == "0"
    assert p.var() is v


def test_constant_has_fixed_value_and_no_gradient():
    c = Constant("c", [[1, 2], [3, 4]])
    assert repr(c) == "Constant c (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    assert c.grad_req == "null"
    with pytest.warns(UserWarning, match="does not support grad_req"):
        c.grad_req = "write"
    c.initialize()
    np.testing.assert_array_equal(c.data().asnumpy(), [[1, 2], [3, 4]])
    d = ParameterDict("net_")
    const = d.get_constant("k", mx.nd.ones((2,)))
    assert const.name == "net_k" and d.get_constant("k") is const
    with pytest.raises(KeyError, match="No constant named"):
        d.get_constant("missing")


def test_parameter_dict_get_shares_and_completes_shapes():
    shared = ParameterDict("a_")
    w = shared.get("w", shape=(3, 0))
    d = ParameterDict("a_", shared=shared)
    assert d.get("w", shape=(0, 5)) is w
    assert w.shape == (3, 5)
    assert list(d.keys()) == ["a_w"]
    with pytest.raises(MXNetError, match="does not match"):
        d.get("w", shape=(4, 5))
    assert d.get("w", dtype=np.float32) is w
    with pytest.raises(MXNetError, match="different Parameters with the same name"):
        d.update({"a_w": Parameter("a_w")})
    assert repr(d) == "a_ (\n  Parameter a_w (shape=(3, 5), dtype=<class 'numpy.float32'>)\n)"


def test_parameter_dict_setattr_zero_grad_and_list_ctx():
    d = ParameterDict("p_")
    d.get("a", shape=(2,), init="ones")
    d.get("b", shape=(3,))
    d.initialize(ctx=[mx.cpu(0), mx.cpu(1)])
    d.setattr("lr_mult", 0.1)
    assert all(p.lr_mult == 0.1 for p in d.values())
    for p in d.values():
        for g in p.list_grad():
            g[:] = 5
    d.zero_grad()
    assert all((g.asnumpy() == 0).all() for p in d.values() for g in p.list_grad())
    assert d.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    with pytest.warns(UserWarning, match="already initialized"):
        d.initialize()
    d.initialize(init="zeros", force_reinit=True, ctx=mx.cpu(0))
    np.testing.assert_array_equal(d["p_a"].data().asnumpy(), np.ones(2))  # own init wins
    np.testing.assert_array_equal(d["p_b"].data().asnumpy(), np.zeros(3))


def test_parameter_dict_save_load_with_prefixes(tmp_path):
    d = ParameterDict("net_")
    d.get("w", shape=(2, 3), init="ones")
    d.get("b", shape=(2,), init="zeros")
    d.initialize()
    fname = str(tmp_path / "p.params")
    d.save(fname, strip_prefix="net_")
    assert sorted(mx.nd.load(fname)) == ["b", "w"]
    with pytest.raises(ValueError, match="does not start with"):
        d.save(fname, strip_prefix="other_")
    e = ParameterDict("net_")
    e.get("w", shape=(2, 0), allow_deferred_init=True)
    e.get("b", shape=(2,))
    e.load(fname, restore_prefix="net_", ctx=mx.cpu(1))
    assert e["net_w"].shape == (2, 3) and e["net_w"].list_ctx() == [mx.cpu(1)]
    np.testing.assert_array_equal(e["net_w"].data().asnumpy(), np.ones((2, 3)))
    f = ParameterDict("net_")
    f.get("w", shape=(2, 3))
    f.get("extra", shape=(1,))
    with pytest.raises(MXNetError, match="'extra' is missing"):
        f.load(fname, restore_prefix="net_")
    with pytest.raises(MXNetError, match="'b' loaded from .* is not present"):
        f.load(fname, restore_prefix="net_", allow_missing=True)
    f.load(fname, restore_prefix="net_", allow_missing=True, ignore_extra=True)
    # MXNet checkpoint names (arg:/aux:) load too.
    g = ParameterDict()
    g.get("w", shape=(2, 3))
    g.load_dict({"arg:w": mx.nd.ones((2, 3))})
    np.testing.assert_array_equal(g["w"].data().asnumpy(), np.ones((2, 3)))


def test_load_checks_dtype_unless_cast_dtype():
    d = ParameterDict()
    d.get("w", shape=(2,), dtype="float16")
    with pytest.raises(MXNetError, match="dtype incompatible"):
        d.load_dict({"w": mx.nd.ones((2,))})
    d.load_dict({"w": mx.nd.ones((2,))}, cast_dtype=True)
    assert d["w"].data().dtype == np.float16
    e = ParameterDict()
    e.get("w", shape=(2,), dtype="float16")
    e.load_dict({"w": mx.nd.ones((2,))}, cast_dtype=True, dtype_source="saved")
    assert e["w"].data().dtype == np.float32
    with pytest.raises(MXNetError, match="shape incompatible"):
        e.load_dict({"w": mx.nd.ones((3,))})


def test_row_sparse_parameter_reads_rows_through_its_trainer():
    p = Parameter("e", shape=(4, 2), init="ones", stype="row_sparse")
    p.initialize()
    with pytest.raises(RuntimeError, match="storage type is row_sparse"):
        p.data()
    with pytest.raises(RuntimeError, match="no Trainer"):
        p.row_sparse_data(mx.nd.array([0]))
    mx.gluon.Trainer([p], "sgd")
    rows = p.row_sparse_data(mx.nd.array([0, 2]))
    assert rows.stype == "row_sparse"
    np.testing.assert_array_equal(rows.asnumpy(), [[1, 1], [0, 0], [1, 1], [0, 0]])


def test_initializer_objects_and_their_json_in_var():
    from mxnet import initializer
    p = Parameter("fc_weight", shape=(3, 4), init=initializer.Constant(2.0))
    p.initialize(init=None, default_init=initializer.Zero())
    np.testing.assert_array_equal(p.data().asnumpy(), np.full((3, 4), 2.0))
    assert p.var().attr("__init__") == initializer.Constant(2.0).dumps()
