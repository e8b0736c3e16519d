"""ctypes bindings of the oneDNN 3.x C API (``dnnl.h``): finding the shared
library, the function signatures this backend calls and the enum values it
passes.

The library comes from a ``onednn-cpu-*`` wheel (``libdnnl.so.3`` in the
environment's ``lib`` folder) or from the system; ``MXNET_ONEDNN_LIBRARY``
names a file to use instead. ``load()`` returns None when no usable library
is found, and never raises. Foreign calls through ``ctypes.CDLL`` release the
GIL, so long primitives overlap with other Python threads.
"""
import ctypes
import ctypes.util
import importlib.metadata
import logging
import os
import sys

from ...base import MXNetError

_log = logging.getLogger("mxnet.backends.dnnl")

# --- enum values of dnnl_types.h / dnnl_common_types.h (oneDNN 3.x) ----------------
SUCCESS = 0
DATA_TYPE_UNDEF = 0
F32 = 3
FORMAT_ANY = 1
CPU = 1
STREAM_DEFAULT = 1

FORWARD_TRAINING = 64
FORWARD_INFERENCE = 96

CONVOLUTION_DIRECT = 0x1
DECONVOLUTION_DIRECT = 0xa
ELTWISE_RELU = 0x20
ELTWISE_TANH = 0x21
ELTWISE_ELU = 0x22
ELTWISE_SQUARE = 0x23
ELTWISE_ABS = 0x24
ELTWISE_SQRT = 0x25
ELTWISE_LINEAR = 0x26
ELTWISE_SOFT_RELU = 0x27
ELTWISE_LOGISTIC = 0x29
ELTWISE_EXP = 0x2a
ELTWISE_CLIP = 0x2e
ELTWISE_GELU_ERF = 0x31
POOLING_MAX = 0x1ff
POOLING_AVG_INCLUDE_PADDING = 0x2ff
POOLING_AVG_EXCLUDE_PADDING = 0x3ff
LRN_ACROSS_CHANNELS = 0xaff
SOFTMAX_ACCURATE = 0x30000
SOFTMAX_LOG = 0x30001

QUERY_EXEC_ARG_MD = 255
QUERY_IMPL_INFO_STR = 8

ARG_SRC = 1
ARG_DST = 17
ARG_WEIGHTS = 33
ARG_BIAS = 41
ARG_WORKSPACE = 64
ARG_SCRATCHPAD = 80
SCRATCHPAD_MODE_USER = 1
ARG_DIFF_SRC = 129
ARG_DIFF_DST = 145
ARG_DIFF_WEIGHTS = 161
ARG_DIFF_BIAS = 169

MAX_NDIMS = 12
Dims = ctypes.c_int64 * MAX_NDIMS
_p = ctypes.c_void_p


class ExecArg(ctypes.Structure):
    """``dnnl_exec_arg_t``: an argument index and the memory bound to it."""
    _fields_ = [("arg", ctypes.c_int), ("memory", _p)]


class Version(ctypes.Structure):
    _fields_ = [("major", ctypes.c_int), ("minor", ctypes.c_int), ("patch", ctypes.c_int),
                ("hash", ctypes.c_char_p), ("cpu_runtime", ctypes.c_uint),
                ("gpu_runtime", ctypes.c_uint)]


_pp = ctypes.POINTER(ctypes.c_void_p)
_i, _u, _f, _sz, _i64 = ctypes.c_int, ctypes.c_uint, ctypes.c_float, ctypes.c_size_t, \
    ctypes.c_int64
_d = ctypes.POINTER(ctypes.c_int64)      # const dnnl_dims_t

# name -> (restype, argtypes); restype None means dnnl_status_t, checked by ``call``.
_SIGNATURES = {
    "dnnl_engine_create": (None, [_pp, _i, _sz]),
    "dnnl_stream_create": (None, [_pp, _p, _u]),
    "dnnl_stream_wait": (None, [_p]),
    "dnnl_memory_desc_create_with_tag": (None, [_pp, _i, _d, _i, _i]),
    "dnnl_memory_desc_create_with_strides": (None, [_pp, _i, _d, _i, _d]),
    "dnnl_memory_desc_destroy": (None, [_p]),
    "dnnl_memory_desc_clone": (None, [_pp, _p]),
    "dnnl_memory_desc_get_size": (_sz, [_p]),
    "dnnl_memory_desc_equal": (_i, [_p, _p]),
    "dnnl_memory_create": (None, [_pp, _p, _p, _p]),
    "dnnl_memory_destroy": (None, [_p]),
    "dnnl_memory_set_data_handle": (None, [_p, _p]),
    "dnnl_primitive_desc_query_md": (_p, [_p, _i, _i]),
    "dnnl_primitive_desc_query": (None, [_p, _i, _i, _p]),
    "dnnl_primitive_desc_destroy": (None, [_p]),
    "dnnl_primitive_create": (None, [_pp, _p]),
    "dnnl_primitive_execute": (None, [_p, _p, _i, ctypes.POINTER(ExecArg)]),
    "dnnl_primitive_destroy": (None, [_p]),
    "dnnl_reorder_primitive_desc_create": (None, [_pp, _p, _p, _p, _p, _p]),
    "dnnl_convolution_forward_primitive_desc_create":
        (None, [_pp, _p, _i, _i, _p, _p, _p, _p, _d, _d, _d, _d, _p]),
    "dnnl_convolution_backward_data_primitive_desc_create":
        (None, [_pp, _p, _i, _p, _p, _p, _d, _d, _d, _d, _p, _p]),
    "dnnl_convolution_backward_weights_primitive_desc_create":
        (None, [_pp, _p, _i, _p, _p, _p, _p, _d, _d, _d, _d, _p, _p]),
    "dnnl_deconvolution_forward_primitive_desc_create":
        (None, [_pp, _p, _i, _i, _p, _p, _p, _p, _d, _d, _d, _d, _p]),
    "dnnl_inner_product_forward_primitive_desc_create":
        (None, [_pp, _p, _i, _p, _p, _p, _p, _p]),
    "dnnl_matmul_primitive_desc_create": (None, [_pp, _p, _p, _p, _p, _p, _p]),
    "dnnl_pooling_forward_primitive_desc_create":
        (None, [_pp, _p, _i, _i, _p, _p, _d, _d, _d, _d, _d, _p]),
    "dnnl_pooling_backward_primitive_desc_create":
        (None, [_pp, _p, _i, _p, _p, _d, _d, _d, _d, _d, _p, _p]),
    "dnnl_eltwise_forward_primitive_desc_create": (None, [_pp, _p, _i, _i, _p, _p, _f, _f, _p]),
    "dnnl_softmax_forward_primitive_desc_create": (None, [_pp, _p, _i, _i, _p, _p, _i, _p]),
    "dnnl_lrn_forward_primitive_desc_create":
        (None, [_pp, _p, _i, _i, _p, _p, _i64, _f, _f, _f, _p]),
    "dnnl_lrn_backward_primitive_desc_create":
        (None, [_pp, _p, _i, _p, _p, _p, _i64, _f, _f, _f, _p, _p]),
    "dnnl_primitive_attr_create": (None, [_pp]),
    "dnnl_primitive_attr_destroy": (None, [_p]),
    "dnnl_primitive_attr_set_post_ops": (None, [_p, _p]),
    "dnnl_primitive_attr_set_scratchpad_mode": (None, [_p, _i]),
    "dnnl_post_ops_create": (None, [_pp]),
    "dnnl_post_ops_destroy": (None, [_p]),
    "dnnl_post_ops_append_sum": (None, [_p, _f, ctypes.c_int32, _i]),
    "dnnl_post_ops_append_eltwise": (None, [_p, _i, _f, _f]),
    "dnnl_version": (ctypes.POINTER(Version), []),
}

_STATUS = {1: "out of memory", 2: "invalid arguments", 3: "unimplemented",
           4: "last implementation reached", 5: "runtime error", 6: "not required",
           7: "invalid graph", 8: "invalid graph op", 9: "invalid shape",
           10: "invalid data type"}


class DnnlError(MXNetError):
    """A oneDNN call failed (``status`` is its dnnl_status_t)."""

    def __init__(self, what, status):
        super().__init__(f"oneDNN: {what} failed: {_STATUS.get(status, status)}")
        self.status = status


class Library:
    """The loaded oneDNN library: ``lib.<dnnl function>`` with signatures set
    (``cdll``: the ``ctypes.CDLL`` itself, for the runtime it links)."""

    def __init__(self, cdll, path):
        self.path, self.cdll = path, cdll
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(cdll, name)
            fn.restype = ctypes.c_int if restype is None else restype
            fn.argtypes = argtypes
            setattr(self, name[5:], fn)
        v = self.version().contents
        self.version_tuple = (v.major, v.minor, v.patch)


def call(fn, *args):
    """Call a status-returning oneDNN function; raise ``DnnlError`` on failure."""
    status = fn(*args)
    if status != SUCCESS:
        raise DnnlError(fn.__name__, status)


def dims(values):
    """A ``dnnl_dims_t`` holding ``values``."""
    return Dims(*values)


def _wheel_candidates():
    for dist in ("onednn-cpu-gomp", "onednn-cpu-iomp", "onednn-cpu-tbb", "onednn"):
        try:
            files = importlib.metadata.distribution(dist).files or ()
        except importlib.metadata.PackageNotFoundError:
            continue
        for f in files:
            name = os.path.basename(str(f))
            if name in ("libdnnl.so.3", "libdnnl.3.dylib", "dnnl.dll"):
                yield os.path.normpath(str(f.locate()))


def _candidates():
    explicit = os.environ.get("MXNET_ONEDNN_LIBRARY")
    if explicit:
        yield explicit
        return
    yield from _wheel_candidates()
    yield os.path.join(sys.prefix, "lib", "libdnnl.so.3")
    found = ctypes.util.find_library("dnnl")
    if found:
        yield found


def load():
    """The oneDNN library as a ``Library``, or None when none usable is installed.

    The OpenMP runtime keeps its own wait policy, as under MXNet and PyTorch:
    after a parallel region its threads spin for a few milliseconds before
    they sleep, which spans the Python work between a program's oneDNN calls.
    Made to sleep at once (``OMP_WAIT_POLICY=PASSIVE``), the team was woken
    31 times in a VGG-11 inference at batch 1, which took 88-94 ms instead
    of 82-84 on an idle 2-core machine, and W2's MLP trained at half the
    rate. On cores shared with other busy processes, spinning threads lose
    their time slices instead: set PASSIVE there."""
    for path in _candidates():
        if not os.path.isabs(path) or os.path.exists(path):
            try:
                lib = Library(ctypes.CDLL(path), path)
            except (OSError, AttributeError) as exc:
                _log.debug("oneDNN library %s not usable: %s", path, exc)
                continue
            if lib.version_tuple[0] != 3:
                _log.debug("oneDNN library %s is version %s; need 3.x", path,
                           lib.version_tuple)
                continue
            return lib
    return None
