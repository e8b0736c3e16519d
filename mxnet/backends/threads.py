"""Thread counts: NumPy's BLAS library, and the OpenMP teams of engine workers.

NumPy's OpenBLAS keeps its own team of threads, which spin for a while after
every call. MXNet's parallelism comes from elsewhere: the engine's workers
(one per device) and, with the oneDNN backend, oneDNN's OpenMP team, which
also runs every large matrix product (``dnnl/matmul.py``). A second team on
the same cores fights them and the Python threads for the cores. On a
2-core machine with other processes running, a 2-thread OpenBLAS made a
hybridized MLP step 10x slower with oneDNN active, and without oneDNN the
digits example took 23-147 s instead of 9-12 s (3-10x the CPU time); a
1024^3 product took as long with one thread as with two, and a 128x784x256
one 2-10x less. So OpenBLAS gets one thread unless the user asked for
another count (``MXNET_BLAS_NUM_THREADS``, or ``OPENBLAS_NUM_THREADS``,
which is then left alone): on an idle many-core machine without oneDNN,
large products run faster with more (``MXNET_BLAS_NUM_THREADS=<cores>``).

The library is found among the shared objects this process has loaded and
driven through its ``*openblas_set_num_threads*`` entry point, under whatever
symbol suffix the NumPy build gave it. Anything unexpected (another BLAS,
such as Apple's Accelerate) leaves BLAS as it is.

The engine runs one worker thread per device; with work on ``cpu(0)`` and
``cpu(1)`` at once, each worker's oneDNN calls would start OpenMP teams of
``OMP_NUM_THREADS`` threads, twice as many threads as cores. So each cpu
worker sets its own OpenMP thread count (an OpenMP setting is per calling
thread) to its share of ``OMP_NUM_THREADS`` (default: the core count).
"""
import ctypes
import logging
import os
import re

_log = logging.getLogger("mxnet.backends")
_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")
_blas = None


def _loaded_libraries(part):
    """Paths of the shared libraries mapped into this process whose file name
    contains ``part`` (Linux only; empty elsewhere)."""
    try:
        with open("/proc/self/maps") as maps:
            text = maps.read()
    except OSError:
        return []
    return sorted({p for p in re.findall(r"(/\S+\.so[\w.\-]*)", text)
                   if part in os.path.basename(p).lower()})


def _functions():
    """(setter, getter) of the loaded OpenBLAS, or None."""
    global _blas
    if _blas is None:
        _blas = ()
        import numpy  # noqa: F401  (maps NumPy's BLAS into the process)
        for path in _loaded_libraries("openblas"):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            setter = next((getattr(lib, s) for s in _SETTERS if hasattr(lib, s)), None)
            getter = next((getattr(lib, g) for g in _GETTERS if hasattr(lib, g)), None)
            if setter is not None and getter is not None:
                setter.argtypes, setter.restype = [ctypes.c_int], None
                getter.argtypes, getter.restype = [], ctypes.c_int
                _blas = (setter, getter)
                break
    return _blas or None


def blas_threads():
    """The thread count of NumPy's OpenBLAS, or None when it is not found."""
    fns = _functions()
    return None if fns is None else fns[1]()


def set_blas_threads(n):
    """Give NumPy's OpenBLAS ``n`` threads; returns whether it could be set."""
    fns = _functions()
    if fns is None:
        return False
    fns[0](max(1, int(n)))
    return True


def set_default_blas_threads():
    """Called when the engine starts: one BLAS thread, unless the user chose
    a count (``MXNET_BLAS_NUM_THREADS`` wins over ``OPENBLAS_NUM_THREADS``)."""
    wanted = os.environ.get("MXNET_BLAS_NUM_THREADS")
    if wanted is None and "OPENBLAS_NUM_THREADS" in os.environ:
        return
    try:
        count = int(wanted) if wanted else 1
    except ValueError:
        _log.warning("MXNET_BLAS_NUM_THREADS=%r is not an integer; BLAS threads left as they are",
                     wanted)
        return
    if not set_blas_threads(count):
        _log.debug("OpenBLAS not found; its thread count is left as it is")


_omp_setter = []


def _omp_set_num_threads():
    """``omp_set_num_threads`` of the OpenMP runtime in this process, or None."""
    if not _omp_setter:
        fn = None
        for path in _loaded_libraries("gomp") + _loaded_libraries("iomp"):
            try:
                fn = ctypes.CDLL(path).omp_set_num_threads
            except (OSError, AttributeError):
                continue
            fn.argtypes, fn.restype = [ctypes.c_int], None
            break
        _omp_setter.append(fn)
    return _omp_setter[0]


def share_cores_among_workers(workers):
    """Called by each cpu engine worker thread: give the OpenMP teams it
    starts ``OMP_NUM_THREADS / workers`` threads (at least one)."""
    fn = _omp_set_num_threads()
    if fn is None:
        return
    try:
        budget = int(os.environ.get("OMP_NUM_THREADS") or 0) or os.cpu_count() or 1
    except ValueError:
        budget = os.cpu_count() or 1
    fn(max(1, budget // max(1, workers)))
