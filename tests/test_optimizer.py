"""mx.optimizer: every registered optimizer against MXNet 1.9.1 update sequences,
plus the base-class rules (registry, multipliers, schedules, Updater states)."""
import importlib.util
import json
import os
import pickle

import numpy as np
import pytest

import mxnet as mx
import mxnet.optimizer as opt
import mxnet.lr_scheduler as lrs
from mxnet.base import MXNetError

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures", "optimizer_classes")
_spec = importlib.util.spec_from_file_location(
    "make_fixtures_optimizer_classes",
    os.path.join(HERE, "..", "tools", "make_fixtures_optimizer_classes.py"))
maker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(maker)


def load_cases():
    with open(os.path.join(FIXTURES, "cases.json")) as f:
        spec = json.load(f)
    values = np.load(os.path.join(FIXTURES, "steps.npy"))
    pos, cases = 0, []
    for case in spec["cases"]:
        arrays = {}
        for key, shape in case["arrays"]:
            size = int(np.prod(shape))
            arrays[key] = values[pos:pos + size].reshape(shape)
            pos += size
        cases.append((case, arrays))
    assert pos == values.size
    return spec["steps"], cases


STEPS, CASES = load_cases()


def tolerance(dtype):
    return dict(rtol=1e-3, atol=1e-3) if dtype == "float16" else dict(rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Accumulating with float16")
@pytest.mark.parametrize("case,arrays", CASES, ids=[c["case"] for c, _ in CASES])
def test_updates_match_mxnet(case, arrays):
    extra = case["extra"]
    dtype = extra.get("dtype", "float32")
    optimizer = maker.make_optimizer(mx, case["optimizer"], case["kwargs"], extra)
    updater = opt.get_updater(optimizer)
    n = case["nweights"]
    weights = [mx.nd.array(arrays[f"init{i}"], dtype=dtype) for i in range(n)]
    for step in range(STEPS):
        grads = [mx.nd.array(arrays[f"grad{step}_{i}"], dtype=dtype) for i in range(n)]
        if n == 1:
            updater(0, grads[0], weights[0])
        else:
            updater(list(range(n)), grads, weights)
        for i, w in enumerate(weights):
            assert w.dtype == np.dtype(dtype)
            np.testing.assert_allclose(w.asnumpy(), arrays[f"w{step}_{i}"], **tolerance(dtype),
                                       err_msg=f"weight {i} after step {step}")
            states = maker.flat_states(updater.states[i])
            expect = [k for k in arrays if k.startswith(f"s{step}_{i}_")]
            assert len(states) == len(expect)
            for j, s in enumerate(states):
                np.testing.assert_allclose(s.asnumpy(), arrays[f"s{step}_{i}_{j}"],
                                           **tolerance(dtype), err_msg=f"state {j} of weight {i}")


def test_every_mxnet_optimizer_is_registered_and_tested():
    names = {'sgd', 'signum', 'ftml', 'lars', 'lbsgd', 'lamb', 'dcasgd', 'nag', 'sgld', 'ccsgd',
             'adam', 'adagrad', 'rmsprop', 'adadelta', 'ftrl', 'adamax', 'nadam', 'test',
             'groupadagrad'}
    assert names <= set(opt.Optimizer.opt_registry)
    tested = {c["optimizer"] for c, _ in CASES} | {"sgld"}
    assert names <= tested


def test_create_is_case_insensitive_and_passes_arguments():
    o = opt.create("Adam", learning_rate=0.1, beta1=0.5)
    assert type(o) is opt.Adam and o.lr == 0.1 and o.beta1 == 0.5
    assert type(opt.Optimizer.create_optimizer("nag")) is opt.NAG


def test_unknown_optimizer_name_raises_value_error_listing_names():
    with pytest.raises(ValueError, match="Cannot find optimizer nosuch.*sgd"):
        opt.create("nosuch")
    with pytest.raises(MXNetError):
        opt.create("nosuch")


def test_register_adds_a_class_by_lowercase_name():
    @opt.register
    class MyOptimizerForTest(opt.Optimizer):
        pass
    try:
        assert type(opt.create("myoptimizerfortest")) is MyOptimizerForTest
        with pytest.warns(UserWarning, match="overriding"):
            opt.register(MyOptimizerForTest)
    finally:
        del opt.Optimizer.opt_registry["myoptimizerfortest"]


def test_constructor_defaults_match_mxnet():
    o = opt.Optimizer()
    assert (o.lr, o.wd, o.rescale_grad, o.clip_gradient, o.num_update) == (0.01, 0.0, 1.0, None, 0)
    assert opt.Adam().lr == 0.001 and opt.Adamax().lr == 0.002 and opt.Signum().lr == 0.01
    assert opt.Ftrl().lr == 0.1 and opt.LAMB().epsilon == 1e-6 and opt.RMSProp().gamma2 == 0.9
    assert opt.SGD().aggregate_num == 4 and opt.LAMB().aggregate_num == 45
    assert opt.Adam().aggregate_num == 0


def test_learning_rate_comes_from_the_scheduler_and_overrides_its_base(capsys):
    sched = lrs.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    o = opt.SGD(lr_scheduler=sched, learning_rate=0.4)
    assert sched.base_lr == 0.4 and "overwritten" in capsys.readouterr().out
    o.num_update = 5
    assert o.learning_rate == pytest.approx(0.1)
    with pytest.raises(UserWarning):
        o.set_learning_rate(0.3)
    plain = opt.SGD(learning_rate=0.2)
    plain.set_learning_rate(0.3)
    assert plain.learning_rate == 0.3


def test_wd_is_zero_for_named_non_weights_and_mults_apply_by_name_or_index():
    o = opt.SGD(wd=0.1, learning_rate=1.0,
                param_idx2name={0: "a_weight", 1: "a_bias", 2: "bn_gamma", 3: "bn_beta"})
    assert o._get_wds([0, 1, 2, 3, 4]) == [0.1, 0.0, 0.1, 0.0, 0.1]
    o.set_lr_mult({"a_weight": 3.0, 4: 0.5})
    assert o._get_lrs([0, 1, 4]) == [3.0, 1.0, 0.5]
    lars = opt.LARS(wd=0.1, param_idx2name={0: "a_weight", 1: "bn_gamma"})
    assert lars._get_wds([0, 1]) == [0.1, 0.0]


def test_multipliers_come_from_symbol_attributes():
    data = mx.sym.Variable("data")
    w = mx.sym.Variable("fc_weight", lr_mult=2.0, wd_mult=0.5)
    net = mx.sym.FullyConnected(data, weight=w, num_hidden=3, name="fc")
    o = opt.SGD(sym=net, wd=0.1, param_idx2name={0: "fc_weight", 1: "fc_bias"})
    assert o.lr_mult == {"fc_weight": 2.0}
    assert o.wd_mult == {"fc_bias": 0.0, "fc_weight": 0.5}
    assert o._get_lrs([0, 1]) == [0.02, 0.01]


def test_gluon_parameter_mults_take_priority():
    class Param:
        lr_mult, wd_mult = 4.0, 2.0
    o = opt.SGD(learning_rate=0.5, wd=0.1, param_dict={0: Param()})
    o.set_lr_mult({0: 100.0})
    assert o._get_lr(0) == 2.0 and o._get_wd(0) == pytest.approx(0.2)


def test_update_count_is_per_index_and_starts_at_begin_num_update():
    o = opt.Adam(begin_num_update=10)
    w, g = mx.nd.ones((2,)), mx.nd.ones((2,))
    s0, s1 = o.create_state(0, w), o.create_state(1, w)
    o.update(0, w, g, s0)
    o.update(0, w, g, s0)
    o.update(1, w, g, s1)
    assert o._index_update_count == {0: 12, 1: 11} and o.num_update == 12


def test_float16_state_without_multi_precision_warns():
    with pytest.warns(UserWarning, match="multi_precision=True"):
        opt.SGD(momentum=0.9).create_state_multi_precision(0, mx.nd.ones((2,), dtype="float16"))


def test_multi_precision_state_layouts_match_mxnet():
    w = mx.nd.ones((2,), dtype="float16")
    mom, master = opt.SGD(momentum=0.9, multi_precision=True).create_state_multi_precision(0, w)
    assert mom.dtype == np.float32 and master.dtype == np.float32
    master, (mean, var) = opt.Adam(multi_precision=True).create_state_multi_precision(0, w)
    assert master.dtype == np.float32 and mean.dtype == np.float32


def test_sgld_takes_half_a_step_plus_noise_of_variance_lr():
    mx.random.seed(3)
    o = opt.SGLD(learning_rate=0.01)
    w = mx.nd.zeros((20000,))
    o.update(0, w, mx.nd.ones((20000,)), o.create_state(0, w))
    values = w.asnumpy()
    assert abs(values.mean() + 0.005) < 0.003
    assert abs(values.std() - 0.1) < 0.005


def test_dcasgd_with_momentum_keeps_a_momentum_buffer():
    # MXNet 1.9.1 fails here (it tests an NDArray for truth); we apply the
    # documented rule: mom = momentum * mom - lr * (grad + ...).
    o = opt.DCASGD(momentum=0.5, lamda=0.0, learning_rate=0.1)
    w = mx.nd.array([1.0, 2.0])
    state = o.create_state(0, w)
    for _ in range(2):
        o.update(0, w, mx.nd.array([1.0, 1.0]), state)
    np.testing.assert_allclose(state[0].asnumpy(), [-0.15, -0.15], rtol=1e-6)
    np.testing.assert_allclose(w.asnumpy(), [0.75, 1.75], rtol=1e-6)


def test_updater_states_round_trip_with_and_without_the_optimizer():
    o = opt.SGD(momentum=0.9, learning_rate=0.1)
    u = opt.get_updater(o)
    w = mx.nd.array([1.0, 2.0])
    u(0, mx.nd.array([1.0, -1.0]), w)
    plain = opt.get_updater(opt.SGD(momentum=0.9, learning_rate=0.1))
    plain.set_states(u.get_states())
    np.testing.assert_allclose(plain.states[0].asnumpy(), u.states[0].asnumpy())
    assert plain.states_synced == {0: False}
    full = opt.get_updater(opt.Adam())
    full.set_states(u.get_states(dump_optimizer=True))
    assert type(full.optimizer) is opt.SGD and full.optimizer.momentum == 0.9
    assert full.optimizer._index_update_count == {0: 1}
    w1 = w.copy()
    u(0, mx.nd.array([1.0, -1.0]), w1)
    full(0, mx.nd.array([1.0, -1.0]), w)
    np.testing.assert_allclose(w.asnumpy(), w1.asnumpy())


def test_pickled_optimizers_name_mxnets_module():
    data = pickle.dumps(opt.Adam(learning_rate=0.5))
    assert b"mxnet.optimizer.optimizer" in data
    assert pickle.loads(data).lr == 0.5
    assert opt.optimizer.Adam is opt.Adam


def _reads_mxnet_ndarray_pickles():
    try:
        pickle.loads(open(os.path.join(FIXTURES, "sgd_mxnet.states"), "rb").read())
        return True
    except Exception:
        return False


@pytest.mark.skipif(not _reads_mxnet_ndarray_pickles(),
                    reason="NDArray unpickling of MXNet's {'handle': raw bytes} state is missing")
def test_states_saved_by_mxnet_load():
    u = opt.get_updater(opt.SGD())
    u.set_states(open(os.path.join(FIXTURES, "sgd_mxnet.states"), "rb").read())
    assert type(u.optimizer) is opt.SGD and u.optimizer.momentum == 0.9
    np.testing.assert_allclose(u.states[0].asnumpy(), [[-0.05, 0.1]], rtol=1e-6)


def test_updater_groups_weights_by_dtype_for_aggregated_optimizers():
    seen = []

    class Recording(opt.SGD):
        def update_multi_precision(self, index, weight, grad, state):
            seen.append((list(index), [w.dtype for w in weight]))
            super().update_multi_precision(index, weight, grad, state)
    u = opt.get_updater(Recording(learning_rate=0.1))
    ws = [mx.nd.ones((2,)), mx.nd.ones((2,), dtype="float64"), mx.nd.ones((2,))]
    u([0, 1, 2], [mx.nd.ones((2,), dtype=w.dtype) for w in ws], ws)
    assert seen == [([0, 2], [np.float32, np.float32]), ([1], [np.float64])]
    np.testing.assert_allclose(ws[1].asnumpy(), [0.9, 0.9])


def test_group_adagrad_rejects_weight_decay_and_non_matrix_weights():
    o = opt.contrib.GroupAdaGrad(wd=0.1)
    w = mx.nd.ones((2, 2))
    with pytest.raises(MXNetError, match="weight decay"):
        o.update(0, w, w, o.create_state(0, w))
    with pytest.raises(MXNetError, match="2-D"):
        o.create_state(0, mx.nd.ones((3,)))


def _sparse_rows(rows, value):
    data = np.full((len(rows), 2), value, "float32")
    return mx.nd.sparse.row_sparse_array((data, rows), shape=(4, 2))


SPARSE_CASES = [  # MXNet 1.9.1: column 0 of the weight after two row_sparse gradients
    ("sgd", dict(momentum=0.9, learning_rate=0.1, lazy_update=False), [1.05, 1.0, 0.86, 1.0]),
    ("adam", dict(learning_rate=0.1, lazy_update=False), [1.0744141, 1.0, 0.8733655, 1.0]),
    ("adagrad", dict(learning_rate=0.5), [1.5, 1.0, 0.7236068, 1.0]),
    ("ftrl", {}, [0.0326667, 0.0, 0.4731068, 0.0]),
]
LAZY_CASES = [
    ("sgd", dict(momentum=0.9, learning_rate=0.1, wd=0.1), [1.04, 1.0, 0.8321, 1.0]),
    ("adam", dict(learning_rate=0.1, wd=0.1), [1.0744141, 1.0, 0.8632175, 1.0]),
]


def _run_sparse(name, kwargs):
    w = mx.nd.ones((4, 2))
    u = opt.get_updater(opt.create(name, **kwargs))
    u(0, _sparse_rows([2], 1.0), w)
    u(0, _sparse_rows([0, 2], -0.5), w)
    return w.asnumpy()[:, 0]


@pytest.mark.parametrize("name,kwargs,expect", SPARSE_CASES, ids=[c[0] for c in SPARSE_CASES])
def test_row_sparse_gradients_match_mxnet(name, kwargs, expect):
    np.testing.assert_allclose(_run_sparse(name, kwargs), expect, rtol=1e-6)


@pytest.mark.parametrize("name,kwargs,expect", LAZY_CASES, ids=[c[0] for c in LAZY_CASES])
def test_lazy_updates_touch_only_rows_in_the_gradient(name, kwargs, expect):
    np.testing.assert_allclose(_run_sparse(name, kwargs), expect, rtol=1e-6)


# Update ops on W with a row_sparse gradient in rows 0 and 2 (lr=0.1, wd=0.1,
# states 0.5, momentum 0.9): MXNet 1.9.1's weight and states afterwards.
W = [[1, 2], [3, 4], [5, 6], [7, 8]]
LAZY_W = {"sgd_update": [0.89, 2.08, 3, 4, 4.75, 5.64, 7, 8],
          "sgd_mom_update": [1.34, 2.53, 3, 4, 5.2, 6.09, 7, 8],
          "adam_update": [0.92086, 1.94768, 3, 4, 4.90157, 5.88685, 7, 8]}
DENSE_W = {"sgd_update": [0.89, 2.08, 2.97, 3.96, 4.75, 5.64, 6.93, 7.92],
           "sgd_mom_update": [1.34, 2.53, 3.42, 4.41, 5.2, 6.09, 7.38, 8.37],
           "adam_update": [0.92086, 1.94768, 2.93209, 3.93068, 4.90157, 5.88685, 6.92646,
                           7.92506]}
LAZY_STATES = {"sgd_mom_update": [[0.34, 0.53, 0.5, 0.5, 0.2, 0.09, 0.5, 0.5]],
               "adam_update": [[0.56, 0.37, 0.5, 0.5, 0.7, 0.81, 0.5, 0.5],
                               [0.50071, 0.50014, 0.5, 0.5, 0.50575, 0.51246, 0.5, 0.5]]}
DENSE_STATES = {"sgd_mom_update": [[0.34, 0.53, 0.42, 0.41, 0.2, 0.09, 0.38, 0.37]],
                "adam_update": [[0.56, 0.37, 0.48, 0.49, 0.7, 0.81, 0.52, 0.53],
                                [0.50071, 0.50014, 0.49959, 0.49966, 0.50575, 0.51246, 0.49999,
                                 0.50014]]}


def _update_op(name, weight_stype, state_stype, **kwargs):
    def make(values, stype):
        x = mx.nd.array(values)
        return x if stype == "default" else x.tostype(stype)
    w = make(W, weight_stype)
    states = [make(np.full((4, 2), 0.5), state_stype) for _ in LAZY_STATES.get(name, [])]
    grad = mx.nd.sparse.row_sparse_array((np.array([[1, -1], [2, 3]], "float32"), [0, 2]),
                                         shape=(4, 2))
    extra = {"momentum": 0.9} if name == "sgd_mom_update" else {}
    getattr(mx.nd, name)(w, grad, *states, out=w, lr=0.1, wd=0.1, **extra, **kwargs)
    assert w.stype == weight_stype and all(st.stype == state_stype for st in states)
    return w.asnumpy().ravel(), [st.asnumpy().ravel() for st in states]


@pytest.mark.parametrize("stype", ["default", "row_sparse"])
@pytest.mark.parametrize("name", sorted(LAZY_W))
def test_lazy_update_ops_skip_rows_absent_from_the_gradient(name, stype):
    w, states = _update_op(name, stype, stype, lazy_update=True)
    np.testing.assert_allclose(w, LAZY_W[name], atol=1e-5)
    for got, want in zip(states, LAZY_STATES.get(name, [])):
        np.testing.assert_allclose(got, want, atol=1e-5)


@pytest.mark.parametrize("weight_stype,state_stype,lazy", [
    ("default", "default", False), ("row_sparse", "row_sparse", False),
    ("default", "row_sparse", True), ("row_sparse", "default", True)])
@pytest.mark.parametrize("name", ["sgd_mom_update", "adam_update"])
def test_update_ops_are_dense_unless_lazy_with_one_storage_type(name, weight_stype,
                                                                state_stype, lazy):
    # Mixed weight/state storage types update every row even with lazy_update,
    # and row_sparse states are still updated in place (as in MXNet 1.9.1).
    w, states = _update_op(name, weight_stype, state_stype, lazy_update=lazy)
    np.testing.assert_allclose(w, DENSE_W[name], atol=1e-5)
    for got, want in zip(states, DENSE_STATES[name]):
        np.testing.assert_allclose(got, want, atol=1e-5)


def test_ftrl_update_is_lazy_when_every_array_is_row_sparse():
    arrays = [mx.nd.array(W).tostype("row_sparse")] + [
        mx.nd.full((4, 2), 0.5).tostype("row_sparse") for _ in range(2)]
    w, z, n = arrays
    grad = mx.nd.sparse.row_sparse_array((np.array([[1, -1], [2, 3]], "float32"), [0, 2]),
                                         shape=(4, 2))
    mx.nd.ftrl_update(w, grad, z, n, out=w, lr=0.1, wd=0.1)
    np.testing.assert_allclose(w.asnumpy().ravel(), [0.16406, 0.48519, 3, 4, 2.17802, 3.3966,
                                                     7, 8], atol=1e-5)
    np.testing.assert_allclose(n.asnumpy().ravel(), [1.5, 1.5, 0.5, 0.5, 4.5, 9.5, 0.5, 0.5])


def test_sparse_adagrad_refuses_weight_decay_like_mxnet():
    o = opt.AdaGrad(wd=0.1)
    w = mx.nd.ones((4, 2))
    with pytest.raises(MXNetError, match="wd=0"):
        o.update(0, w, _sparse_rows([1], 1.0), o.create_state(0, w))


def test_optimizer_pickled_by_mxnet_loads_with_its_scheduler():
    with open(os.path.join(FIXTURES, "lamb_mxnet_optimizer.pkl"), "rb") as f:
        lamb = pickle.loads(f.read())
    assert type(lamb) is opt.LAMB and lamb.wd == 0.01
    assert type(lamb.lr_scheduler) is lrs.CosineScheduler
    assert lamb.learning_rate == pytest.approx(0.5 * (1 + np.cos(np.pi * 3 / 10)) / 2)
