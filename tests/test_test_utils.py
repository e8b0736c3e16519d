"""Specification of mx.test_utils, the public helpers MXNet users test with."""
import bz2
import os
import statistics
import zipfile

import numpy as np
import pytest

import mxnet as mx
import mxnet.test_utils as tu
from mxnet.base import MXNetError


# -- tolerances -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, rtol, atol", [
    (np.float16, 1e-2, 1e-1), (np.float32, 1e-4, 1e-3), (np.float64, 1e-5, 1e-20),
    (np.int32, 0, 0), (np.uint8, 0, 0), (np.bool_, 0, 0)])
def test_default_tolerances_per_dtype(dtype, rtol, atol):
    assert tu.get_rtol(None, np.dtype(dtype)) == rtol
    assert tu.get_atol(None, np.dtype(dtype)) == atol
    assert tu.get_tols(np.ones(1, dtype), np.ones(1, dtype), None, None) == (rtol, atol)


def test_tolerance_defaults_and_overrides():
    assert (tu.get_rtol(), tu.get_atol(), tu.get_etol()) == (1e-5, 1e-20, 0)
    assert (tu.get_rtol(0.3), tu.get_atol(0.5), tu.get_etol(0.2)) == (0.3, 0.5, 0.2)
    assert tu.default_numeric_eps()[np.dtype(np.float32)] == 2.0 ** -9


def test_comparing_two_dtypes_uses_the_looser_tolerance():
    assert tu.get_tols(np.ones(2, np.float16), np.ones(2), None, None) == (1e-2, 1e-1)
    assert tu.get_tols(mx.nd.ones(2), np.ones(2), None, None) == (1e-4, 1e-3)
    assert tu.get_tols(np.ones(2, np.float32), np.ones(2), 0.5, None) == (0.5, 1e-3)
    assert tu.get_tolerance(1.0, None, tu.default_atols()) == 1e-20


def test_default_context_and_dtype():
    assert tu.default_context() == mx.cpu(0)
    assert tu.default_dtype() is np.float32
    try:
        tu.set_default_context(mx.cpu(1))
        assert tu.default_context() == mx.cpu(1)
        assert tu.rand_ndarray((2,)).context == mx.cpu(1)
    finally:
        tu.set_default_context(mx.cpu(0))


# -- assert_almost_equal and friends -----------------------------------------------------

def test_assert_almost_equal_accepts_values_within_tolerance():
    tu.assert_almost_equal(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-6]))
    tu.assert_almost_equal(mx.nd.array([1, 2]), np.array([1.0005, 2.0]))
    tu.assert_almost_equal(1.0, 1.0)
    tu.assert_almost_equal(np.array([1.0, 2.0, 3.0]), np.array([[1.0, 2.0, 3.0]] * 2))
    tu.assert_almost_equal(np.array([np.inf, 0.0]), np.array([np.inf, 0.0]))


def test_assert_almost_equal_reports_the_worst_element_with_names():
    a = np.arange(12.0).reshape(3, 4)
    b = a.copy()
    b[0, 1] += 1
    b[2, 3] -= 5
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(mx.nd.array(a), mx.nd.array(b), names=("x", "y"))
    msg = str(info.value)
    assert "Items are not equal" in msg
    # error = |x - y| / (atol + rtol * |y|) with float32's (1e-4, 1e-3)
    assert "Error 3125.000000" in msg and "mismatch 16.666667%" in msg
    assert "Location of maximum error: (2, 3), x=11.00000000, y=6.00000000" in msg
    assert "2: Error 833.333" in msg and "(0, 1), x=1.00000000, y=2.00000000" in msg
    assert "ACTUAL:" in msg and "DESIRED:" in msg


def test_assert_almost_equal_lists_at_most_mismatches0_elements():
    a = np.zeros(20)
    with pytest.raises(AssertionError) as info:
        tu.assert_almost_equal(a, a + np.arange(1.0, 21.0), mismatches=(3, 10))
    msg = str(info.value)
    assert "3: Error" in msg and "4: Error" not in msg and "mismatch 100.000000%" in msg


def test_nan_is_a_mismatch_unless_equal_nan():
    a = np.array([1.0, np.nan])
    with pytest.raises(AssertionError, match=r"Location of maximum error: \(1,\)"):
        tu.assert_almost_equal(a, a.copy())
    tu.assert_almost_equal(a, a.copy(), equal_nan=True)
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(a, np.array([1.0, 2.0]), equal_nan=True)


def test_shapes_must_match_without_broadcast():
    with pytest.raises(AssertionError, match=r"a.shape = \(3,\) and b.shape = \(2, 3\)"):
        tu.assert_almost_equal(np.ones(3), np.ones((2, 3)), use_broadcast=False)
    with pytest.raises(AssertionError, match="do not broadcast"):
        tu.assert_almost_equal(np.ones(2), np.ones(3))
    with pytest.raises(AssertionError, match="are not equal"):
        tu.checkShapes(np.ones(2), np.ones(3))


def test_integers_compare_exactly_without_wraparound():
    tu.assert_almost_equal(np.array([3, 5], np.uint8), np.array([3, 5], np.uint8))
    with pytest.raises(AssertionError):
        tu.assert_almost_equal(np.array([3], np.uint8), np.array([5], np.uint8))
    assert not tu.almost_equal(np.array([1], np.int32), np.array([2], np.int32))


def test_almost_equal_is_a_predicate():
    assert tu.almost_equal(mx.nd.ones((2, 2)), np.ones((2, 2)))
    assert not tu.almost_equal(np.ones(2), np.full(2, 1.1))
    assert not tu.almost_equal(np.ones(2), np.ones(3))
    assert not tu.almost_equal(np.ones(3), np.ones((1, 3)), use_broadcast=False)
    assert tu.almost_equal(np.array([np.nan]), np.array([np.nan]), equal_nan=True)


def test_with_err_allows_a_fraction_of_mismatches():
    a = np.arange(30.0)
    b = a.copy()
    b[:3] += 1
    tu.assert_almost_equal_with_err(a, b, etol=0.1)
    with pytest.raises(AssertionError, match="mismatch 10.000000%"):
        tu.assert_almost_equal_with_err(a, b, etol=0.09)
    with pytest.raises(AssertionError):
        tu.assert_almost_equal_with_err(a, b)


def test_ignore_nan_skips_positions_where_either_side_is_nan():
    tu.assert_almost_equal_ignore_nan(np.array([np.nan, 1.0]), np.array([2.0, 1.0]))
    with pytest.raises(AssertionError):
        tu.assert_almost_equal_ignore_nan(np.array([np.nan, 1.0]), np.array([2.0, 2.0]))


def test_assert_allclose_is_strict_by_default():
    tu.assert_allclose(np.ones(2), np.ones(2) + 1e-9)
    tu.assert_allclose(np.array([np.nan]), np.array([np.nan]))
    with pytest.raises(AssertionError, match="rtol=1.000000e-07"):
        tu.assert_allclose(np.ones(2), np.ones(2) + 1e-3)


def test_find_max_violation_and_location_error():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.1])
    index, err = tu.find_max_violation(a, b)
    assert index == (1,) and err == pytest.approx(0.5 / (1e-20 + 1e-5 * 2.5))
    assert tu.locationError(a, b, (1,), ("a", "b")) == \
        "Location of error: (1,), a=2.00000000, b=2.50000000"


def test_same_compares_shape_and_exact_values():
    assert tu.same(mx.nd.array([1, 2]), np.array([1.0, 2.0]))
    assert not tu.same(np.array([1, 2]), np.array([[1, 2]]))
    assert not tu.same(np.array([1.0]), np.array([1.0 + 1e-12]))


def test_same_array_detects_shared_memory_and_restores_values():
    x = mx.nd.array([[0.0, 1.5], [2.0, -3.0]])
    assert tu.same_array(x, x)
    assert tu.same_array(x, x.reshape((2, 2)))
    assert not tu.same_array(x, x.copy())
    assert not tu.same_array(x, x[0:1])
    assert tu.same(x, np.array([[0.0, 1.5], [2.0, -3.0]]))


def test_compare_ndarray_tuple_recurses_and_checks_structure():
    t = (mx.nd.ones(2), (mx.nd.zeros(3), None))
    tu.compare_ndarray_tuple(t, (np.ones(2), (np.zeros(3), None)))
    with pytest.raises(AssertionError):
        tu.compare_ndarray_tuple(t, (mx.nd.ones(2), (mx.nd.ones(3), None)))
    with pytest.raises(AssertionError, match="structures differ"):
        tu.compare_ndarray_tuple((mx.nd.ones(2),), (mx.nd.ones(2), mx.nd.ones(2)))


def test_assert_exception():
    tu.assert_exception(lambda d: 1 / d, ZeroDivisionError, 0)
    with pytest.raises(AssertionError, match="did not raise ZeroDivisionError"):
        tu.assert_exception(lambda: 1, ZeroDivisionError)
    with pytest.raises(ZeroDivisionError):
        tu.assert_exception(lambda: 1 / 0, KeyError)


# -- environment ---------------------------------------------------------------------------

def test_environment_sets_and_restores_variables(monkeypatch):
    monkeypatch.setenv("MXT_A", "1")
    monkeypatch.delenv("MXT_B", raising=False)
    with tu.environment("MXT_A", "2"):
        assert os.environ["MXT_A"] == "2"
    assert os.environ["MXT_A"] == "1"
    with pytest.raises(KeyError):
        with tu.environment({"MXT_A": None, "MXT_B": "x"}):
            assert "MXT_A" not in os.environ and os.environ["MXT_B"] == "x"
            raise KeyError("body fails")
    assert os.environ["MXT_A"] == "1" and "MXT_B" not in os.environ


def test_environment_rejects_bad_arguments():
    with pytest.raises(AssertionError, match="one dict"):
        with tu.environment("MXT_A"):
            pass
    with pytest.raises(TypeError, match="must be a str"):
        with tu.environment("MXT_A", 1):
            pass


def test_setenv_getenv_and_set_env_var(monkeypatch):
    monkeypatch.delenv("MXT_C", raising=False)
    assert tu.getenv("MXT_C") is None
    tu.setenv("MXT_C", "3")
    assert tu.getenv("MXT_C") == "3"
    assert tu.set_env_var("MXT_C", "4") == "3" and os.environ["MXT_C"] == "4"
    tu.setenv("MXT_C", None)
    assert "MXT_C" not in os.environ
    with tu.environment("CD_JOB", "1"):
        assert tu.is_cd_run()
    with tu.environment("CD_JOB", None):
        assert not tu.is_cd_run()


# -- random shapes and arrays ----------------------------------------------------------------

def test_rand_shapes_stay_in_range():
    np.random.seed(0)
    shapes = [tu.rand_shape_2d(3, 4) for _ in range(200)]
    assert {s[0] for s in shapes} == {1, 2, 3} and {s[1] for s in shapes} == {1, 2, 3, 4}
    assert all(len(tu.rand_shape_3d()) == 3 for _ in range(10))
    zero = [tu.rand_shape_nd(2, 2, allow_zero_size=True) for _ in range(200)]
    assert min(min(s) for s in zero) == 0
    per_axis = [tu.rand_shape_nd(3, (1, 2, 1)) for _ in range(50)]
    assert all(s[0] == 1 and s[2] == 1 and s[1] in (1, 2) for s in per_axis)
    assert all(type(d) is int for d in tu.rand_shape_nd(4))


def test_rand_coord_2d_excludes_the_upper_bounds():
    coords = {tu.rand_coord_2d(0, 3, 10, 12) for _ in range(300)}
    assert coords == {(x, y) for x in range(3) for y in (10, 11)}


def test_random_draws_follow_numpy_seed():
    np.random.seed(7)
    first = (tu.rand_shape_2d(), tu.rand_ndarray((3,)).asnumpy(), tu.random_arrays((2,)))
    np.random.seed(7)
    second = (tu.rand_shape_2d(), tu.rand_ndarray((3,)).asnumpy(), tu.random_arrays((2,)))
    assert first[0] == second[0]
    assert tu.same(first[1], second[1]) and tu.same(first[2], second[2])


def test_rand_ndarray_dense():
    x = tu.rand_ndarray((2, 3))
    assert isinstance(x, mx.nd.NDArray) and x.shape == (2, 3) and x.dtype == np.float32
    assert tu.rand_ndarray((4,), dtype=np.float16).dtype == np.float16
    assert tu.rand_ndarray((4,), dtype=np.int32).dtype == np.int32
    assert tu.rand_ndarray((2, 0)).shape == (2, 0)
    assert tu.rand_ndarray((2,), ctx=mx.cpu(1)).context == mx.cpu(1)


def test_rand_ndarray_unknown_stype_raises():
    with pytest.raises(MXNetError, match="stype"):
        tu.rand_ndarray((2, 3), stype="dense", density=0.5)


@pytest.mark.parametrize("stype", ["row_sparse", "csr"])
def test_rand_ndarray_sparse(stype):
    arr = tu.rand_ndarray((2, 3), stype=stype, density=0.5)
    assert arr.stype == stype and arr.shape == (2, 3)


def test_random_arrays_and_samples():
    one = tu.random_arrays((2, 3))
    assert isinstance(one, np.ndarray) and one.shape == (2, 3) and one.dtype == np.float32
    many = tu.random_arrays((2,), (), (1, 1))
    assert [a.shape for a in many] == [(2,), (), (1, 1)]
    (u,) = tu.random_uniform_arrays((1000,), low=5, high=6, dtype=np.float16)
    assert u.dtype == np.float16 and 5 <= u.min() and u.max() <= 6
    sample = tu.random_sample(list("abcdef"), 4)
    assert len(set(sample)) == 4 and set(sample) <= set("abcdef")
    with pytest.raises(AssertionError):
        tu.random_sample([1, 2], 3)


# -- NumPy references and matrices ---------------------------------------------------------

def test_np_reduce_matches_numpy_reductions():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert tu.np_reduce(x, 1, True, np.sum).shape == (2, 1, 4)
    np.testing.assert_array_equal(tu.np_reduce(x, (0, 2), False, np.sum), x.sum(axis=(0, 2)))
    np.testing.assert_array_equal(tu.np_reduce(x, -1, False, np.max), x.max(axis=-1))
    assert tu.np_reduce(x, None, False, np.max) == 23.0
    assert tu.np_reduce(x, None, True, np.max).shape == (1, 1, 1)
    assert tu.np_reduce(x, [], False, np.max).shape == (2, 3, 4)


def test_collapse_sum_like_undoes_broadcasting():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(tu.collapse_sum_like(x, (3, 1)),
                                  x.sum(axis=(0, 2)).reshape(3, 1))
    assert tu.collapse_sum_like(x, (1, 3, 1)).shape == (1, 3, 1)
    np.testing.assert_array_equal(tu.collapse_sum_like(x, (2, 3, 4)), x)
    with pytest.raises(AssertionError, match="does not broadcast"):
        tu.collapse_sum_like(x, (5,))


def test_assign_each_applies_elementwise():
    np.testing.assert_array_equal(tu.assign_each(np.arange(3), lambda v: v * 2.5),
                                  [0.0, 2.5, 5.0])
    np.testing.assert_array_equal(tu.assign_each2(np.arange(3.0), np.ones(3),
                                                  lambda v, w: v + w), [1.0, 2.0, 3.0])


def test_tensor_builders():
    t = tu.create_2d_tensor(3, 4)
    assert t.dtype == np.int64 and tu.same(t, np.repeat(np.arange(3)[:, None], 4, axis=1))
    assert tu.same(tu.create_vector(5), np.arange(5))
    assert tu.create_vector(5, np.float32).dtype == np.float32
    assert tu.same(tu.get_identity_mat(3), np.eye(3))
    assert tu.get_identity_mat(3).dtype == np.float32
    assert tu.get_identity_mat_batch(3).shape == (2, 3, 3)


def test_random_matrices_have_the_promised_structure():
    np.random.seed(1)
    q = tu.new_orthonormal_matrix_2d(4)
    tu.assert_almost_equal(q @ q.T, np.eye(4), atol=1e-12)
    s = tu.new_sym_matrix_with_real_eigvals_2d(4)
    tu.assert_almost_equal(s, s.T, atol=0)
    m = tu.new_matrix_with_real_eigvals_2d(4)
    eig = np.linalg.eigvals(m)
    assert not np.allclose(m, m.T) and np.all(np.abs(eig.imag) < 1e-9)
    assert np.min(np.diff(np.sort(np.abs(eig.real)))) > 0.5
    assert tu.new_matrix_with_real_eigvals_nd((2, 3, 3)).shape == (2, 3, 3)
    assert tu.new_sym_matrix_with_real_eigvals_nd((2, 2, 3, 3)).shape == (2, 2, 3, 3)
    with pytest.raises(AssertionError, match="last two dimensions"):
        tu.new_matrix_with_real_eigvals_nd((2, 3))


# -- gradients -------------------------------------------------------------------------------

class _WrongSquare(mx.autograd.Function):
    """x * x with a gradient that is 2% too large."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved_tensors
        return dy * x * 2.04


def test_numeric_grad_of_a_function():
    grads = tu.numeric_grad(lambda x: x * x, [np.array([1.0, 2.0, -3.0])])
    tu.assert_almost_equal(grads["x"], np.array([2.0, 4.0, -6.0]), rtol=1e-3)
    assert grads["x"].dtype == np.float32


def test_check_numeric_gradient_passes_for_correct_gradients():
    np.random.seed(0)
    loc = {"x": np.random.uniform(0.5, 1.5, (2, 3)), "y": np.random.uniform(0.5, 1.5, (2, 3))}
    tu.check_numeric_gradient(lambda x, y: [mx.nd.tanh(x) * y, mx.nd.exp(y)], loc)
    tu.check_numeric_gradient(lambda x, y: x * y * y, [loc["x"], loc["y"]], dtype=np.float64)
    tu.check_numeric_gradient(lambda x, y: x * y, loc, grad_nodes=["y"])


def test_check_numeric_gradient_names_the_wrong_argument():
    np.random.seed(0)
    loc = [np.random.uniform(1, 2, (2, 3)), np.ones((2, 3))]
    with pytest.raises(AssertionError, match="NUMERICAL_data.*BACKWARD_data"):
        tu.check_numeric_gradient(lambda data, other: _WrongSquare()(data) + other, loc)
    tu.check_numeric_gradient(lambda data, other: _WrongSquare()(data) + other, loc,
                              grad_nodes=["other"])
    tu.check_numeric_gradient(lambda data, other: _WrongSquare()(data), loc, rtol=0.1,
                              atol=0.1)


def test_check_numeric_gradient_rejects_bad_requests():
    with pytest.raises(MXNetError, match="float dtype"):
        tu.check_numeric_gradient(lambda x: x, [np.ones(2)], dtype=np.int32)
    with pytest.raises(MXNetError, match="grad_nodes"):
        tu.check_numeric_gradient(lambda x: x, [np.ones(2)], grad_nodes=["z"])
    with pytest.raises(ValueError, match="location"):
        tu.check_numeric_gradient(lambda x, y: x, [np.ones(2)])
    with pytest.raises(MXNetError, match="Symbol or a function"):
        tu.check_numeric_gradient(42, [np.ones(2)])


def test_check_symbolic_forward_returns_outputs_and_names_failures():
    loc = [np.ones(2), np.full(2, 3.0)]
    outs = tu.check_symbolic_forward(lambda x, y: [x * y, x + y], loc,
                                     [np.full(2, 3.0), np.full(2, 4.0)])
    assert len(outs) == 2 and tu.same(outs[1], np.full(2, 4.0))
    with pytest.raises(AssertionError, match="EXPECTED_output=4.0.*FORWARD_output=3.0"):
        tu.check_symbolic_forward(lambda x, y: x * y, loc, [np.full(2, 4.0)])
    with pytest.raises(ValueError, match="do not match"):
        tu.check_symbolic_forward(lambda x, y: x * y, {"x": np.ones(2)}, [np.ones(2)])


def test_check_symbolic_backward_write_add_and_null():
    loc = [np.ones(2), np.full(2, 3.0)]
    grads = tu.check_symbolic_backward(lambda x, y: x * y, loc, [np.ones(2)],
                                       [np.full(2, 3.0), np.ones(2)])
    assert tu.same(grads["x"], np.full(2, 3.0))
    tu.check_symbolic_backward(lambda x, y: x * y, loc, [np.ones(2)],
                               {"x": np.full(2, 3.0), "y": np.ones(2)}, grad_req="add")
    grads = tu.check_symbolic_backward(lambda x, y: x * y, loc, [np.ones(2)],
                                       {"x": np.full(2, 3.0), "y": np.full(2, 99.0)},
                                       grad_req={"x": "write", "y": "null"})
    assert set(grads) == {"x"}
    with pytest.raises(AssertionError, match="EXPECTED_y.*BACKWARD_y"):
        tu.check_symbolic_backward(lambda x, y: x * y, loc, [np.ones(2)],
                                   [np.full(2, 3.0), np.full(2, 2.0)])


def test_simple_forward_returns_numpy():
    out = tu.simple_forward(lambda x, y: x * y, x=np.ones(2), y=np.full(2, 3.0))
    assert isinstance(out, np.ndarray) and tu.same(out, np.full(2, 3.0))
    outs = tu.simple_forward(lambda x: [x, x + 1], x=np.ones(1))
    assert [o.tolist() for o in outs] == [[1.0], [2.0]]


class _FakeExecutor:
    """The Executor interface the checkers use, run with autograd."""

    def __init__(self, fn, names, args, args_grad, grad_req):
        self.fn, self.names = fn, names
        self.arg_dict = dict(args)
        self.grad_dict = dict(args_grad or {})
        self.aux_dict = {}
        self.grad_req = grad_req if isinstance(grad_req, dict) else dict.fromkeys(names, grad_req)
        self.outputs = []

    def forward(self, is_train=False):
        inputs = [self.arg_dict[n].copy() for n in self.names]
        for n, x in zip(self.names, inputs):
            if is_train and n in self.grad_dict:
                x.attach_grad()
        with mx.autograd.record(train_mode=is_train):
            self.outputs = [self.fn(*inputs)]
        self._inputs = inputs

    def backward(self, out_grads):
        mx.autograd.backward(self.outputs, head_grads=out_grads)
        for n, x in zip(self.names, self._inputs):
            if n in self.grad_dict and self.grad_req[n] == "add":
                self.grad_dict[n][:] = self.grad_dict[n] + x.grad
            elif n in self.grad_dict and self.grad_req[n] == "write":
                self.grad_dict[n][:] = x.grad


class _FakeSymbol:
    """Stands in for mx.sym, which the checkers accept through its interface."""

    def __init__(self, fn, names):
        self.fn, self.names = fn, names

    def list_arguments(self):
        return list(self.names)

    def list_outputs(self):
        return ["prod_output"]

    def list_auxiliary_states(self):
        return []

    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None):
        return _FakeExecutor(self.fn, self.names, args, args_grad, grad_req)


def test_checkers_drive_symbols_through_bind_and_executors():
    sym = _FakeSymbol(lambda a, b: a * b * b, ["a", "b"])
    loc = {"a": np.array([1.0, 2.0]), "b": np.array([3.0, -1.0])}
    tu.check_numeric_gradient(sym, loc)
    tu.check_symbolic_forward(sym, loc, {"prod_output": np.array([9.0, 2.0])})
    tu.check_symbolic_backward(sym, loc, [np.ones(2)], [np.array([9.0, 1.0]),
                                                        np.array([6.0, -4.0])], grad_req="add")
    with pytest.raises(AssertionError, match="EXPECTED_prod_output"):
        tu.check_symbolic_forward(sym, loc, [np.zeros(2)])
    assert tu.same(tu.simple_forward(sym, a=loc["a"], b=loc["b"]), np.array([9.0, 2.0]))
    exe = sym.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in loc.items()})
    grads = tu.numeric_grad(exe, loc)
    tu.assert_almost_equal(grads["a"], np.array([9.0, 1.0]), rtol=1e-3)


# -- checks of random generators -------------------------------------------------------------

def _normal_ppf(q):
    return {0.0: -np.inf, 1.0: np.inf}.get(q) or statistics.NormalDist().inv_cdf(q)


def test_buckets_from_a_quantile_function_are_equally_likely():
    buckets, probs = tu.gen_buckets_probs_with_ppf(_normal_ppf, 4)
    assert probs == [0.25] * 4 and buckets[0][0] == -np.inf and buckets[-1][1] == np.inf
    assert buckets[1] == pytest.approx((-0.6744897501960817, 0.0))


def test_mean_and_variance_checks():
    np.random.seed(0)
    assert tu.mean_check(lambda n: np.random.normal(0, 1, size=n), 0, 1.0, 20000)
    assert not tu.mean_check(lambda n: np.random.normal(0.1, 1, size=n), 0, 1.0, 20000)
    assert tu.var_check(lambda n: np.random.normal(0, 1, size=n), 1.0, 20000)
    assert not tu.var_check(lambda n: np.random.normal(0, 1.2, size=n), 1.0, 20000)


def test_chi_square_checks_of_discrete_and_continuous_generators():
    pytest.importorskip("scipy")
    np.random.seed(0)
    p, observed, expected = tu.chi_square_check(lambda n: np.random.randint(0, 3, size=n),
                                                [0, 1, 2], [1 / 3] * 3, 3000)
    assert p > 0.001 and sum(observed) == 3000 and expected == pytest.approx([1000] * 3)
    buckets, probs = tu.gen_buckets_probs_with_ppf(_normal_ppf, 5)
    pvalues = tu.verify_generator(lambda n: mx.nd.random.normal(shape=(n,)), buckets, probs,
                                  nsamples=5000)
    assert len(pvalues) == 5
    with pytest.raises(AssertionError, match="success_rate"):
        tu.verify_generator(lambda n: np.random.randint(0, 2, size=n), [0, 1, 2], [1 / 3] * 3,
                            nsamples=3000)


# -- platform and files ------------------------------------------------------------------------

def test_platform_queries():
    assert tu.list_gpus() == range(mx.context.num_gpus())
    assert tu.has_tvm_ops() is False and tu.is_op_runnable() is True
    with pytest.raises(ValueError, match="gpu context"):
        tu.get_cuda_compute_capability(mx.cpu())


def test_retry_reruns_failing_tests():
    calls = []

    @tu.retry(3)
    def flaky():
        calls.append(1)
        assert len(calls) == 3

    flaky()
    assert len(calls) == 3

    @tu.retry(2)
    def broken():
        calls.append(1)
        assert False

    calls.clear()
    with pytest.raises(AssertionError):
        broken()
    assert len(calls) == 2


def test_discard_stderr_silences_file_descriptor_2(capfd):
    with tu.discard_stderr():
        os.write(2, b"hidden\n")
    os.write(2, b"shown\n")
    assert capfd.readouterr().err == "shown\n"


def test_download_local_url_and_offline_error(tmp_path):
    src = tmp_path / "src.txt"
    src.write_text("payload")
    path = tu.download(src.as_uri(), dirname=str(tmp_path / "out"))
    assert path == str(tmp_path / "out" / "src.txt") and open(path).read() == "payload"
    src.write_text("changed")
    assert open(tu.download(src.as_uri(), dirname=str(tmp_path / "out"))).read() == "payload"
    with pytest.raises(MXNetError, match="could not fetch"):
        tu.download((tmp_path / "missing.txt").as_uri(), retries=1)


def test_zip_and_bz2_data_extract_local_archives(tmp_path):
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as zf:
        zf.writestr("inner/a.txt", "zipped")
    tu.get_zip_data(str(tmp_path), "http://unreachable.invalid/d.zip", "d.zip")
    assert (tmp_path / "inner" / "a.txt").read_text() == "zipped"
    (tmp_path / "k.bz2").write_bytes(bz2.compress(b"rows"))
    tu.get_bz2_data(str(tmp_path), "k.txt", "http://unreachable.invalid/k.bz2", "k.bz2")
    assert (tmp_path / "k.txt").read_bytes() == b"rows"
