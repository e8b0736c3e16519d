"""Tolerances and array comparison for ``mx.test_utils``.

Two values agree elementwise when ``|a - b| <= atol + rtol * |b|`` (NumPy's
``allclose`` rule, ``b`` being the expected value). The *error* of an element
is ``|a - b| / (atol + rtol * |b|)``, so an element passes when its error is at
most 1; failure reports rank elements by this error. Default tolerances depend
on the dtype, and a comparison of two dtypes uses the looser one.
"""
import numpy as np

__all__ = ["default_rtols", "default_atols", "default_numeric_eps", "effective_dtype",
           "get_tolerance", "get_atol", "get_rtol", "get_etol", "get_tols", "checkShapes",
           "locationError", "find_max_violation", "almost_equal", "assert_almost_equal",
           "assert_almost_equal_with_err", "assert_almost_equal_ignore_nan",
           "assert_allclose", "same", "same_array", "compare_ndarray_tuple"]

_INTEGER_DTYPES = ("bool", "int8", "uint8", "int32", "uint32", "int64", "uint64")


def _per_dtype(f16, f32, f64, integer):
    table = {np.dtype(np.float16): f16, np.dtype(np.float32): f32,
             np.dtype(np.float64): f64}
    table.update({np.dtype(name): integer for name in _INTEGER_DTYPES})
    return table


def default_rtols():
    """The default relative tolerance per dtype (a fresh dict)."""
    return _per_dtype(1e-2, 1e-4, 1e-5, 0)


def default_atols():
    """The default absolute tolerance per dtype (a fresh dict)."""
    return _per_dtype(1e-1, 1e-3, 1e-20, 0)


def default_numeric_eps():
    """The default finite-difference step per float dtype (powers of two, so
    ``x + eps`` is exact for values of moderate size)."""
    return {np.dtype(np.float16): 2.0 ** -6, np.dtype(np.float32): 2.0 ** -9,
            np.dtype(np.float64): 2.0 ** -14}


def effective_dtype(dat):
    """The dtype whose precision ``dat`` was computed with. This is the array's
    own dtype here: no backend computes float32 through TF32 behind the user's back."""
    dtype = getattr(dat, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(dat).dtype


def get_tolerance(dat, tol, default_tol):
    """``tol`` if given, else ``default_tol``'s entry for ``dat``'s dtype (dtypes it
    lacks use the float64 entry)."""
    if tol is not None:
        return tol
    dtype = effective_dtype(dat)
    return default_tol.get(dtype, default_tol[np.dtype(np.float64)])


def get_atol(atol=None, dtype=np.dtype(np.float64)):
    """``atol`` if given, else the default absolute tolerance of ``dtype``."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_rtol(rtol=None, dtype=np.dtype(np.float64)):
    """``rtol`` if given, else the default relative tolerance of ``dtype``."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_etol(etol=None):
    """``etol`` (allowed fraction of mismatching elements) if given, else 0."""
    return 0 if etol is None else etol


def get_tols(x, y, rtol, atol):
    """(rtol, atol) for comparing ``x`` with ``y``: the given values, else the
    looser of the two dtypes' defaults."""
    rtols, atols = default_rtols(), default_atols()
    return (max(get_tolerance(x, rtol, rtols), get_tolerance(y, rtol, rtols)),
            max(get_tolerance(x, atol, atols), get_tolerance(y, atol, atols)))


def _as_numpy(x):
    """NumPy data of an NDArray (anything with ``asnumpy``), array, list or scalar."""
    if hasattr(x, "asnumpy"):
        return x.asnumpy()
    return np.asarray(x)


def _short_repr(x):
    """At most three lines of NumPy's repr of ``x``, for failure messages."""
    with np.printoptions(threshold=4, suppress=True):
        lines = repr(x).splitlines()
    return "\n".join(lines[:3]) + ("..." if len(lines) > 3 else "")


def _report(a, b, header):
    return f"\nItems are not equal:\n{header}\n ACTUAL: {_short_repr(a)}\n " \
           f"DESIRED: {_short_repr(b)}"


def checkShapes(a, b):
    """Assert that arrays ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise AssertionError(_report(
            a, b, f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"))


def _errors(a, b, rtol, atol, equal_nan):
    """Elementwise error of ``a`` against ``b`` (broadcast): 0 where equal
    (including equal infinities, and NaN against NaN when ``equal_nan``), NaN
    where exactly one side is NaN."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # float64 (complex128) arithmetic: no unsigned wrap-around, no float16 rounding
        wide = np.complex128 if "c" in (a.dtype.kind, b.dtype.kind) else np.float64
        a, b = a.astype(wide), b.astype(wide)
        err = np.abs(a - b) / (atol + rtol * np.abs(b))
        err = np.where(a == b, 0.0, err)
        if equal_nan:
            err = np.where(np.isnan(a) & np.isnan(b), 0.0, err)
    return np.asarray(err, dtype=np.float64)


def _rank_key(err):
    """Errors with NaN counted as the worst possible, for ranking."""
    return np.where(np.isnan(err), np.inf, err)


def locationError(a, b, index, names, maxError=False):
    """One line naming the element at ``index`` and both values there."""
    kind = "maximum error" if maxError else "error"
    return (f"Location of {kind}: {tuple(int(i) for i in index)}, "
            f"{names[0]}={float(a[index]):.8f}, {names[1]}={float(b[index]):.8f}")


def find_max_violation(a, b, rtol=None, atol=None):
    """(index, error) of the element of ``a`` that violates the tolerance against
    ``b`` the most (the error is 1 at the tolerance boundary)."""
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = np.broadcast_arrays(_as_numpy(a), _as_numpy(b))
    err = _errors(a, b, rtol, atol, False)
    index = np.unravel_index(int(np.argmax(_rank_key(err))), err.shape)
    return index, float(err[index])


def _compare(a, b, rtol, atol, equal_nan, use_broadcast):
    """(a, b, err) as broadcast NumPy arrays, or None when the shapes do not fit."""
    a, b = _as_numpy(a), _as_numpy(b)
    if not use_broadcast and a.shape != b.shape:
        return a, b, None
    try:
        a, b = np.broadcast_arrays(a, b)
    except ValueError:
        return a, b, None
    return a, b, _errors(a, b, rtol, atol, equal_nan)


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """Whether every element of ``a`` is within tolerance of ``b`` (NDArrays or
    NumPy arrays); shapes that do not match (or broadcast) give False."""
    rtol, atol = get_tols(a, b, rtol, atol)
    _, _, err = _compare(a, b, rtol, atol, equal_nan, use_broadcast)
    return err is not None and bool(np.all(err <= 1))


def _failure_message(a, b, err, rtol, atol, names, mismatches, etol=None):
    failing = ~(err <= 1)
    rank = _rank_key(err).ravel()
    shown = max(int(mismatches[0]), 0)
    order = np.argsort(-rank, kind="stable")[:min(shown, int(failing.sum()))]
    worst = np.unravel_index(int(order[0]) if len(order) else int(np.argmax(rank)), err.shape)
    pct = 100.0 * failing.sum() / max(err.size, 1)
    allowed = "" if etol is None else f", allowed {100.0 * etol:f}%"
    lines = [f"Error {err[worst]:f} exceeds tolerance rtol={rtol:e}, atol={atol:e} "
             f"(mismatch {pct:f}%{allowed}).",
             locationError(a, b, worst, names, maxError=True)]
    if len(order) > 1:
        lines.append(f"Largest errors (of {err.size} elements):")
        for rank_no, flat in enumerate(order, 1):
            idx = np.unravel_index(int(flat), err.shape)
            lines.append(f"{rank_no:3d}: Error {err[idx]:f}  "
                         f"{locationError(a, b, idx, names)}")
    return _report(a, b, "\n".join(lines))


def _check(a, b, rtol, atol, names, equal_nan, use_broadcast, mismatches, etol):
    rtol, atol = get_tols(a, b, rtol, atol)
    a_np, b_np, err = _compare(a, b, rtol, atol, equal_nan, use_broadcast)
    if err is None:
        why = "are not equal" if not use_broadcast else "do not broadcast together"
        raise AssertionError(_report(
            a_np, b_np, f"{names[0]}.shape = {a_np.shape} and {names[1]}.shape = "
                        f"{b_np.shape} {why}"))
    failing = int(np.count_nonzero(~(err <= 1)))
    if failing == 0 or (etol and failing <= etol * err.size):
        return
    raise AssertionError(_failure_message(a_np, b_np, err, rtol, atol, names, mismatches,
                                          etol))


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Assert that ``a`` (actual) is within tolerance of ``b`` (expected).

    Inputs are NDArrays, NumPy arrays or scalars; ``rtol``/``atol`` default to
    the looser of the two dtypes' defaults. With ``use_broadcast=False`` the
    shapes must be equal. The AssertionError names the worst element, the
    percentage of mismatching elements and lists the ``mismatches[0]`` worst
    ones, labelled with ``names``. (``mismatches[1]`` capped MXNet's slow
    counting loop; the count here is always exact.)"""
    _check(a, b, rtol, atol, names, equal_nan, use_broadcast, mismatches, None)


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=("a", "b"),
                                 equal_nan=False, mismatches=(10, 10)):
    """Like ``assert_almost_equal``, but passes while the fraction of mismatching
    elements is at most ``etol`` (default 0)."""
    _check(a, b, rtol, atol, names, equal_nan, True, mismatches, get_etol(etol))


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=("a", "b")):
    """``assert_almost_equal`` after zeroing, in both arrays, every position where
    either holds NaN."""
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = np.broadcast_arrays(_as_numpy(a), _as_numpy(b))
    nan = np.isnan(a) | np.isnan(b)
    a, b = np.where(nan, 0, a), np.where(nan, 0, b)
    assert_almost_equal(a, b, rtol, atol, names)


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """``assert_almost_equal`` with NumPy ``assert_allclose``'s defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def same(a, b):
    """Whether ``a`` and ``b`` have the same shape and exactly equal elements."""
    return bool(np.array_equal(_as_numpy(a), _as_numpy(b)))


def same_array(array1, array2):
    """Whether two NDArrays are the same memory seen through equal shapes: a write
    to ``array1`` shows in ``array2``. ``array1`` is restored afterwards."""
    if array1.shape != array2.shape:
        return False
    saved = array1.asnumpy()
    # Two different probes: a separate array2 cannot match both of them.
    shared = True
    for values in ((saved == 0).astype(saved.dtype), (saved != 0).astype(saved.dtype)):
        array1[:] = values
        shared = shared and same(array2, values)
    array1[:] = saved
    return shared


def compare_ndarray_tuple(t1, t2, rtol=None, atol=None):
    """Assert that two (nested) tuples of NDArrays are almost equal pairwise;
    positions where both hold None are skipped."""
    if t1 is None or t2 is None:
        if (t1 is None) != (t2 is None):
            raise AssertionError(f"compare_ndarray_tuple: {t1!r} vs {t2!r}")
        return
    if isinstance(t1, (tuple, list)):
        if not isinstance(t2, (tuple, list)) or len(t1) != len(t2):
            raise AssertionError("compare_ndarray_tuple: structures differ, "
                                 f"{type(t1).__name__} of {len(t1)} vs {t2!r}")
        for x, y in zip(t1, t2):
            compare_ndarray_tuple(x, y, rtol, atol)
    else:
        assert_almost_equal(t1, t2, rtol=rtol, atol=atol)
