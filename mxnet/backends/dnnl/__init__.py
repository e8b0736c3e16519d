"""oneDNN fast path: kernel overrides for the cpu from the library MXNet itself
uses on CPU, bound through ctypes.

Importing this package never fails. When a oneDNN 3.x library is found
(``pip install onednn-cpu-gomp``, or ``MXNET_ONEDNN_LIBRARY=/path/libdnnl.so.3``)
it registers float32 kernels for Convolution (forward and backward),
Deconvolution, FullyConnected, dot, batch_dot, Pooling (forward and
backward), LRN (forward and backward), Activation, LeakyReLU, softmax,
log_softmax, BatchNorm's training forward (batch statistics, ReLU fused),
LayerNorm over the last axis (forward and backward) and the folding pass's
fused convolution and inner product (post-ops) under the ``onednn``
backend; every call they do not cover (other dtypes, parameters or
layouts, or work too small to gain from it) runs the default NumPy kernel,
and so does everything when the library is missing or
``MXNET_ONEDNN_ENABLED=0`` (also ``MXNET_MKLDNN_ENABLED=0``). oneDNN's
OpenMP build takes its thread count from ``OMP_NUM_THREADS`` (NumPy's
OpenBLAS keeps to one thread: ``mxnet/backends/threads.py``).

``available`` tells whether the library was loaded, ``version`` its
(major, minor, patch) and ``library_path`` where it came from.
"""
import importlib
import logging

from . import library

__all__ = ["available", "version", "library_path", "registered_ops", "layout_kernel"]

_log = logging.getLogger("mxnet.backends.dnnl")
available = False
version = None
library_path = None


def registered_ops():
    """Names of the operators with a oneDNN kernel (empty without the library)."""
    from .overrides import registered
    return tuple(registered)


def _activate():
    global available, version, library_path
    lib = library.load()
    if lib is None:
        _log.debug("oneDNN library not found; the NumPy kernels run everything")
        return
    from . import primitive, split
    primitive.init(lib)
    split.bind_openmp(lib.cdll)
    available, version, library_path = True, lib.version_tuple, lib.path
    for family in ("batchnorm", "conv", "dense", "eltwise", "fused", "layernorm", "lrn",
                   "matmul", "pool"):
        importlib.import_module(f"{__name__}.{family}")  # registers its overrides


try:
    _activate()
except Exception as exc:  # an unusable library must never break ``import mxnet``
    _log.warning("oneDNN backend disabled: %s: %s", type(exc).__name__, exc)
