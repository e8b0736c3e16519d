"""Helpers for writing tests of MXNet code (``mx.test_utils``).

Users' own test suites import this module, so it follows MXNet 1.9.1's
signatures and defaults: per-dtype tolerances, ``assert_almost_equal`` with a
report of the worst elements, random shapes and arrays driven by NumPy's
global random state (``np.random.seed`` makes them reproducible), environment
helpers, and the gradient checkers of ``mxnet._test_utils_grad``, which accept
a Python function over NDArrays as well as a Symbol.
"""
import bz2
import functools
import json
import os
import platform
import shutil
import sys
import time
import urllib.request
import zipfile
from collections import OrderedDict  # noqa: F401  (MXNet exposes it here)
from contextlib import contextmanager

import numpy as np

from .base import MXNetError
from .context import Context, current_context, num_gpus
from .io import DataIter
from .ndarray import NDArray, array
from .runtime import Features  # noqa: F401  (MXNet exposes it here)
from . import ndarray as nd
from ._test_utils_compare import (
    default_rtols, default_atols, default_numeric_eps, effective_dtype, get_tolerance,
    get_atol, get_rtol, get_etol, get_tols, checkShapes, locationError, find_max_violation,
    almost_equal, assert_almost_equal, assert_almost_equal_with_err,
    assert_almost_equal_ignore_nan, assert_allclose, same, same_array, compare_ndarray_tuple,
    _as_numpy)
from ._test_utils_grad import (numeric_grad, check_numeric_gradient, check_symbolic_forward,
                               check_symbolic_backward, simple_forward)
from ._test_utils_consistency import check_consistency
from ._test_utils_sparse import (create_sparse_array, create_sparse_array_zd,
                                 rand_sparse_ndarray, shuffle_csr_column_indices)

__all__ = [
    "default_context", "set_default_context", "default_dtype", "default_rtols",
    "default_atols", "default_numeric_eps", "effective_dtype", "get_tolerance", "get_atol",
    "get_rtol", "get_etol", "get_tols", "checkShapes", "locationError", "find_max_violation",
    "almost_equal", "assert_almost_equal", "assert_almost_equal_with_err",
    "assert_almost_equal_ignore_nan", "assert_allclose", "same", "same_array",
    "compare_ndarray_tuple", "assert_exception", "environment", "setenv", "getenv",
    "set_env_var", "rand_shape_2d", "rand_shape_3d", "rand_shape_nd", "rand_coord_2d",
    "rand_ndarray", "random_arrays", "random_uniform_arrays", "random_sample", "np_reduce",
    "collapse_sum_like", "assign_each", "assign_each2", "create_2d_tensor", "create_vector",
    "get_identity_mat", "get_identity_mat_batch", "new_orthonormal_matrix_2d",
    "new_matrix_with_real_eigvals_2d", "new_matrix_with_real_eigvals_nd",
    "new_sym_matrix_with_real_eigvals_2d", "new_sym_matrix_with_real_eigvals_nd",
    "numeric_grad", "check_numeric_gradient", "check_symbolic_forward",
    "check_symbolic_backward", "simple_forward", "check_consistency", "gen_buckets_probs_with_ppf", "mean_check",
    "var_check", "chi_square_check", "verify_generator", "list_gpus",
    "get_cuda_compute_capability", "is_cd_run", "is_aarch64_run", "has_tvm_ops", "is_op_runnable", "retry",
    "discard_stderr", "download", "get_zip_data", "get_bz2_data", "array", "current_context",
    "contextmanager", "Context", "Features", "OrderedDict", "DummyIter", "rand_sparse_ndarray",
    "create_sparse_array", "create_sparse_array_zd", "shuffle_csr_column_indices",
    "same_symbol_structure", "check_speed"]


# -- defaults ----------------------------------------------------------------------

def default_context():
    """The context tests run on: the current default context (cpu(0) unless changed)."""
    return current_context()


def set_default_context(ctx):
    """Make ``ctx`` the process-wide default context (what ``default_context`` returns
    outside any ``with ctx:`` block)."""
    Context.default_ctx = ctx


def default_dtype():
    """The dtype tests use when none is given: float32."""
    return np.float32


# -- exceptions and environment ---------------------------------------------------

def assert_exception(f, exception_type, *args, **kwargs):
    """Assert that ``f(*args, **kwargs)`` raises ``exception_type``; other
    exceptions propagate unchanged."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)!s} did not raise "
                         f"{exception_type.__name__}")


def setenv(name, value):
    """Set environment variable ``name`` to the string ``value``; ``None`` unsets it."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def getenv(name):
    """The value of environment variable ``name``, or None when it is not set."""
    return os.environ.get(name)


def set_env_var(key, val, default_val=""):
    """Set ``key`` to ``val`` and return its previous value (``default_val`` if unset).
    Kept from older MXNet releases; prefer ``environment``."""
    prev = os.environ.get(key, default_val)
    os.environ[key] = val
    return prev


@contextmanager
def environment(*args):
    """Set environment variables for the duration of a ``with`` block.

    Call as ``environment(name, value)`` or ``environment({name: value, ...})``;
    a value of None unsets the variable. Every variable is restored on exit,
    also when the block raises."""
    if len(args) == 2:
        settings = {args[0]: args[1]}
    elif len(args) == 1 and isinstance(args[0], dict):
        settings = dict(args[0])
    else:
        raise AssertionError("environment: expected one dict {name: value} or two "
                             f"arguments (name, value), got {len(args)} argument(s)")
    for name, value in settings.items():
        if value is not None and not isinstance(value, str):
            raise TypeError(f"environment: the value of {name} must be a str or None, "
                            f"got {type(value).__name__}")
    saved = {name: os.environ.get(name) for name in settings}
    try:
        for name, value in settings.items():
            setenv(name, value)
        yield
    finally:
        for name, value in saved.items():
            setenv(name, value)


# -- random shapes and arrays (NumPy's global random state) -------------------------

def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """A random 2-d shape with sizes in [1, dim] (or [0, dim] with allow_zero_size)."""
    return rand_shape_nd(2, (dim0, dim1), allow_zero_size)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """A random 3-d shape with sizes in [1, dim] (or [0, dim] with allow_zero_size)."""
    return rand_shape_nd(3, (dim0, dim1, dim2), allow_zero_size)


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """A random ``num_dim``-d shape; ``dim`` bounds every axis or, as a sequence,
    each axis separately. Sizes start at 1, or at 0 with ``allow_zero_size``."""
    low = 0 if allow_zero_size else 1
    sizes = np.random.randint(low, np.asarray(dim) + 1, size=num_dim)
    return tuple(int(s) for s in sizes)


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """A random integer point with x in [x_low, x_high) and y in [y_low, y_high)."""
    return int(np.random.randint(x_low, x_high)), int(np.random.randint(y_low, y_high))


def random_arrays(*shapes):
    """Standard-normal float32 NumPy arrays, one per shape; a single shape gives
    the array itself rather than a list."""
    arrays = [np.array(np.random.randn(*s), dtype=np.float32) for s in shapes]
    return arrays[0] if len(arrays) == 1 else arrays


def random_uniform_arrays(*shapes, **kwargs):
    """A list of NumPy arrays uniform in [low, high) (keywords ``low=0``,
    ``high=1``, ``dtype=float32``), one per shape."""
    low, high = kwargs.pop("low", 0.0), kwargs.pop("high", 1.0)
    dtype = kwargs.pop("dtype", np.float32)
    if kwargs:
        raise TypeError(f"random_uniform_arrays: unexpected keyword(s) {sorted(kwargs)}")
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population, k):
    """``k`` distinct elements of ``population`` in random order."""
    if not 0 <= k <= len(population):
        raise AssertionError(f"random_sample: k must be in [0, {len(population)}], got {k}")
    picks = np.random.choice(len(population), size=k, replace=False)
    return [population[i] for i in picks]


def rand_ndarray(shape, stype="default", density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """A random NDArray of ``shape``: standard-normal values cast to ``dtype``
    (float32 by default; integer dtypes truncate toward zero).

    With ``stype`` row_sparse or csr, ``rand_sparse_ndarray``'s array (using
    ``density``, ``distribution``, ``modifier_func``, ``shuffle_csr_indices``)."""
    if stype in ("row_sparse", "csr"):
        return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype,
                                   distribution=distribution, modifier_func=modifier_func,
                                   shuffle_csr_indices=shuffle_csr_indices, ctx=ctx)[0]
    if stype != "default":
        raise MXNetError("rand_ndarray: stype must be 'default', 'row_sparse' or 'csr', "
                         f"got {stype!r}")
    values = np.random.randn(*shape)
    return array(values, ctx=ctx or default_context(), dtype=dtype or default_dtype())


# -- NumPy references ----------------------------------------------------------------

def np_reduce(dat, axis, keepdims, numpy_reduce_func):
    """Reduce NumPy array ``dat`` over ``axis`` (None: all axes; int or sequence)
    with a reduction such as ``np.sum`` that takes ``axis`` and ``keepdims``.
    A full reduction without keepdims gives a NumPy scalar."""
    if axis is None:
        axes = tuple(range(dat.ndim))
    elif isinstance(axis, int):
        axes = (axis,)
    else:
        axes = tuple(axis)
    axes = tuple(sorted({a % dat.ndim for a in axes}))
    ret = dat
    for a in axes:
        ret = numpy_reduce_func(ret, axis=a, keepdims=True)
    if not keepdims:
        ret = ret.reshape(tuple(s for i, s in enumerate(dat.shape) if i not in axes))
        if ret.ndim == 0:
            return ret[()]
    return ret


def collapse_sum_like(a, shape):
    """Sum NumPy array ``a`` over the axes that broadcasting ``shape`` to
    ``a.shape`` would expand: the reference for gradients of broadcast ops."""
    shape = tuple(shape)
    if len(shape) > a.ndim or any(s not in (1, d) for s, d in
                                  zip(shape[::-1], a.shape[::-1])):
        raise AssertionError(f"collapse_sum_like: shape {shape} does not broadcast to "
                             f"{a.shape}")
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape)
                                      if s == 1 and a.shape[lead + i] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


def assign_each(the_input, function):
    """``function`` applied to every element of NumPy array ``the_input``."""
    return np.vectorize(function)(the_input)


def assign_each2(input1, input2, function):
    """``function`` applied elementwise to pairs from two NumPy arrays."""
    return np.vectorize(function)(input1, input2)


def create_2d_tensor(rows, columns, dtype=np.int64):
    """A ``rows x columns`` NDArray whose row i is filled with i."""
    values = np.repeat(np.arange(rows).reshape(rows, 1), columns, axis=1)
    return array(values, dtype=dtype)


def create_vector(size, dtype=np.int64):
    """The NDArray [0, 1, ..., size - 1]."""
    return array(np.arange(size), dtype=dtype)


def get_identity_mat(size):
    """A float32 ``size x size`` identity NDArray."""
    return array(np.eye(size))


def get_identity_mat_batch(size):
    """A batch of two float32 ``size x size`` identity matrices, shape (2, size, size)."""
    return array(np.stack([np.eye(size)] * 2))


def new_orthonormal_matrix_2d(n):
    """A random ``n x n`` float64 matrix with orthonormal rows and columns."""
    q, r = np.linalg.qr(np.random.randn(n, n))
    # Fixing the signs of R's diagonal makes Q uniformly distributed.
    return q * np.sign(np.diag(r))


def _well_separated_eigvals(n):
    """n real values of magnitude in [1, 1 + n] with random signs and gaps >= 1 apart
    in magnitude, so eigen-decompositions of the test matrices are well conditioned."""
    magnitudes = 1.0 + np.arange(n) + np.random.uniform(0, 0.5, size=n)
    return np.random.permutation(magnitudes) * np.random.choice([-1.0, 1.0], size=n)


def new_sym_matrix_with_real_eigvals_2d(n):
    """A random symmetric ``n x n`` float64 matrix with well separated eigenvalues."""
    q = new_orthonormal_matrix_2d(n)
    m = (q * _well_separated_eigvals(n)) @ q.T
    return (m + m.T) / 2


def new_matrix_with_real_eigvals_2d(n):
    """A random non-symmetric ``n x n`` float64 matrix with real, well separated
    eigenvalues (an orthogonal similarity of a triangular matrix)."""
    q = new_orthonormal_matrix_2d(n)
    t = np.triu(np.random.uniform(-1, 1, size=(n, n)), 1) + np.diag(_well_separated_eigvals(n))
    return q @ t @ q.T


def _stack_square(shape, make):
    shape = tuple(shape)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise AssertionError(f"the last two dimensions must be equal, got shape {shape}")
    n = shape[-1]
    count = int(np.prod(shape[:-2], dtype=np.int64))
    return np.array([make(n) for _ in range(count)]).reshape(shape)


def new_matrix_with_real_eigvals_nd(shape):
    """A stack of ``new_matrix_with_real_eigvals_2d`` matrices of ``shape`` (..., n, n)."""
    return _stack_square(shape, new_matrix_with_real_eigvals_2d)


def new_sym_matrix_with_real_eigvals_nd(shape):
    """A stack of ``new_sym_matrix_with_real_eigvals_2d`` matrices of ``shape`` (..., n, n)."""
    return _stack_square(shape, new_sym_matrix_with_real_eigvals_2d)


# -- checks of random generators --------------------------------------------------------

def gen_buckets_probs_with_ppf(ppf, nbuckets):
    """``nbuckets`` equally likely buckets [(lo, hi), ...] of a continuous
    distribution given its quantile function ``ppf``, and their probabilities."""
    edges = [ppf(i / nbuckets) for i in range(nbuckets + 1)]
    return list(zip(edges[:-1], edges[1:])), [1.0 / nbuckets] * nbuckets


def mean_check(generator, mu, sigma, nsamples=1000000):
    """Whether the mean of ``generator(nsamples)`` lies within 3 standard errors of ``mu``."""
    samples = np.asarray(_as_numpy(generator(nsamples)), dtype=np.float64)
    return bool(abs(samples.mean() - mu) < 3 * sigma / np.sqrt(nsamples))


def var_check(generator, sigma, nsamples=1000000):
    """Whether the variance of ``generator(nsamples)`` lies within 3 standard
    errors of ``sigma ** 2`` (needs many samples to be meaningful)."""
    samples = np.asarray(_as_numpy(generator(nsamples)), dtype=np.float64)
    bound = 3 * np.sqrt(2 * sigma ** 4 / (nsamples - 1))
    return bool(abs(samples.var(ddof=1) - sigma ** 2) < bound)


def chi_square_check(generator, buckets, probs, nsamples=1000000):
    """Chi-square goodness of fit of ``generator(nsamples)`` against ``probs``.

    ``buckets`` are ascending, disjoint ranges ``(lo, hi)`` (half-open) for a
    continuous distribution, or the possible values of a discrete one. Returns
    (p value, observed counts, expected counts). Needs SciPy."""
    try:
        from scipy.stats import chisquare
    except ImportError:
        raise ImportError("chi_square_check needs SciPy (pip install scipy)") from None
    samples = np.asarray(_as_numpy(generator(nsamples))).reshape(-1)
    if isinstance(buckets[0], (tuple, list)):
        observed = [int(np.count_nonzero((samples >= lo) & (samples < hi)))
                    for lo, hi in buckets]
    else:
        observed = [int(np.count_nonzero(samples == value)) for value in buckets]
    expected = np.asarray(probs, dtype=np.float64) * samples.size
    if sum(observed) != samples.size:
        raise AssertionError(f"chi_square_check: buckets hold {sum(observed)} of "
                             f"{samples.size} samples; they must cover every value")
    _, p = chisquare(observed, expected)
    return float(p), observed, expected.tolist()


def verify_generator(generator, buckets, probs, nsamples=1000000, nrepeat=5,
                     success_rate=0.2, alpha=0.05):
    """Run ``chi_square_check`` ``nrepeat`` times and assert that at least a
    ``success_rate`` fraction of the p values exceed ``alpha``; returns the p values."""
    results = [chi_square_check(generator, buckets, probs, nsamples) for _ in range(nrepeat)]
    pvalues = [r[0] for r in results]
    if np.mean(np.array(pvalues) > alpha) < success_rate:
        raise AssertionError(f"verify_generator: p values {pvalues} pass alpha={alpha} "
                             f"less often than success_rate={success_rate}; last observed "
                             f"counts {results[-1][1]}, expected {results[-1][2]}")
    return pvalues


# -- platform --------------------------------------------------------------------------

def list_gpus():
    """The ids of the GPUs this process can use: ``range(num_gpus())``."""
    return range(num_gpus())


def get_cuda_compute_capability(ctx):
    """The CUDA compute capability of GPU context ``ctx`` as an int (8.0 -> 80)."""
    if not isinstance(ctx, Context) or ctx.device_type != "gpu":
        raise ValueError(f"get_cuda_compute_capability: expected a gpu context, got {ctx}")
    if ctx.device_id >= num_gpus():
        raise MXNetError(f"get_cuda_compute_capability: no GPU {ctx.device_id} "
                         f"(found {num_gpus()})")
    import cupy
    return int(cupy.cuda.Device(ctx.device_id).compute_capability)


def is_cd_run():
    """Whether this is a continuous-delivery job (environment CD_JOB=1)."""
    return os.environ.get("CD_JOB") == "1"


def same_symbol_structure(sym1, sym2):
    """Whether the nodes of the two symbols' graphs (in JSON order) run the same
    operators, position by position (over the shorter graph)."""
    nodes1 = json.loads(sym1.tojson())["nodes"]
    nodes2 = json.loads(sym2.tojson())["nodes"]
    return all(n1["op"] == n2["op"] for n1, n2 in zip(nodes1, nodes2))


def check_speed(sym, location=None, ctx=None, N=20, grad_req=None, typ="whole", **kwargs):
    """Seconds per run of ``sym`` bound on ``ctx``: forward and backward (``typ``
    'whole') or inference forward ('forward'), averaged over ``N`` runs after a
    warm-up. Inputs are ``location`` (name -> array) or standard-normal arrays
    of the shapes given as keyword arguments."""
    if typ not in ("whole", "forward"):
        raise ValueError('typ can only be "whole" or "forward".')
    ctx = ctx or default_context()
    grad_req = grad_req or "write"
    if location is None:
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx, **kwargs)
        location = {k: np.random.normal(size=arr.shape, scale=1.0)
                    for k, arr in exe.arg_dict.items()}
    else:
        if not isinstance(location, dict):
            raise MXNetError(f"check_speed: location must be a dict of name -> array, got "
                             f"{type(location).__name__}")
        exe = sym.simple_bind(grad_req=grad_req, ctx=ctx,
                              **{k: v.shape for k, v in location.items()})
    for name, value in location.items():
        exe.arg_dict[name][:] = np.asarray(value).astype(exe.arg_dict[name].dtype)
    training = typ == "whole"

    def run():
        exe.forward(is_train=training)
        if training:
            exe.backward(out_grads=exe.outputs)
    run()
    nd.waitall()
    tic = time.time()
    for _ in range(N):
        run()
    nd.waitall()
    return (time.time() - tic) / N


class DummyIter(DataIter):
    """For speed tests: an endless data iterator that returns the first batch of
    ``real_iter`` again and again (with its ``provide_data``/``provide_label``
    and ``batch_size``), so that timings leave data loading out."""

    def __init__(self, real_iter):
        super().__init__()
        self.real_iter = real_iter
        self.provide_data = real_iter.provide_data
        self.provide_label = real_iter.provide_label
        self.batch_size = real_iter.batch_size
        self.the_batch = next(real_iter)

    def __iter__(self):
        return self

    def __next__(self):
        return self.the_batch

    def next(self):
        """The same first batch, every time."""
        return self.the_batch

    def reset(self):
        """Nothing to rewind: every batch is the first one."""


def is_aarch64_run():
    """Whether this machine is a 64-bit ARM."""
    return platform.machine() == "aarch64"


def has_tvm_ops():
    """Whether TVM-generated operators are available: never in this implementation."""
    return False


def is_op_runnable():
    """Whether operators can run on the default context (always, here: every
    context either runs kernels or falls back to the CPU)."""
    return True


def retry(n):
    """Decorator for stochastic tests: run the test up to ``n`` times, failing
    only if every attempt raises AssertionError."""
    if n < 1:
        raise ValueError(f"retry: n must be at least 1, got {n}")

    def decorate(test):
        @functools.wraps(test)
        def wrapper(*args, **kwargs):
            for attempt in range(n):
                try:
                    return test(*args, **kwargs)
                except AssertionError:
                    if attempt == n - 1:
                        raise
        return wrapper
    return decorate


@contextmanager
def discard_stderr():
    """Silence everything written to the process's standard error (file
    descriptor 2, so output from native libraries too) inside the block."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


# -- files -------------------------------------------------------------------------------

def download(url, fname=None, dirname=None, overwrite=False, retries=5):
    """Download ``url`` to ``dirname/fname`` (name taken from the URL when not
    given) and return the path. An existing file is kept unless ``overwrite``.
    Raises MXNetError when every one of ``retries`` attempts fails (e.g. offline)."""
    if retries < 1:
        raise MXNetError(f"download: retries must be at least 1, got {retries}")
    if fname is None:
        fname = url.split("/")[-1]
        if not fname:
            raise MXNetError(f"download: cannot take a file name from url {url!r}; "
                             "pass fname")
    if dirname is not None:
        fname = os.path.join(dirname, fname)
    if os.path.exists(fname) and not overwrite:
        return fname
    parent = os.path.dirname(fname)
    if parent:
        os.makedirs(parent, exist_ok=True)
    error = None
    for attempt in range(retries):
        try:
            with urllib.request.urlopen(url, timeout=60) as response, \
                    open(fname + ".part", "wb") as out:
                shutil.copyfileobj(response, out)
            os.replace(fname + ".part", fname)
            return fname
        except OSError as e:
            error = e
            if attempt < retries - 1:
                time.sleep(min(2 ** attempt, 10))
    if os.path.exists(fname + ".part"):
        os.remove(fname + ".part")
    raise MXNetError(f"download: could not fetch {url} after {retries} attempt(s): {error}")


def get_zip_data(data_dir, url, data_origin_name):
    """Extract the zip archive ``data_dir/data_origin_name`` into ``data_dir``,
    downloading it from ``url`` first when it is not there."""
    os.makedirs(data_dir, exist_ok=True)
    archive = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(archive):
        download(url, fname=data_origin_name, dirname=data_dir)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(path=data_dir)


def get_bz2_data(data_dir, data_name, url, data_origin_name):
    """Decompress ``data_dir/data_origin_name`` (bz2) into ``data_dir/data_name``
    unless that file exists, downloading the archive from ``url`` when needed."""
    os.makedirs(data_dir, exist_ok=True)
    target = os.path.join(data_dir, data_name)
    if os.path.exists(target):
        return
    archive = os.path.join(data_dir, data_origin_name)
    if not os.path.exists(archive):
        download(url, fname=data_origin_name, dirname=data_dir)
    with bz2.open(archive, "rb") as src, open(target + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.replace(target + ".part", target)
