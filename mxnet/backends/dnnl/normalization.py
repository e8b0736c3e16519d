"""What the batch- and layer-normalization kernels share: the ``dnnl_types.h``
values they pass beyond ``library.py``'s, and the binding of their
primitive-descriptor constructors onto the loaded library."""
import ctypes

from . import primitive

BACKWARD = 128  # dnnl_backward: gradients of the data and of scale and shift
USE_SCALE, USE_SHIFT, FUSE_NORM_RELU = 0x2, 0x4, 0x8
ARG_MEAN, ARG_VARIANCE, ARG_SCALE, ARG_SHIFT = 49, 50, 51, 52
ARG_DIFF_SCALE, ARG_DIFF_SHIFT = 255, 256


def bind_constructors(signatures):
    """Give the loaded ``library.Library`` the descriptor constructors named in
    ``signatures`` ({name without ``dnnl_``: argtypes}), so
    ``primitive.create_pd`` reaches them by name."""
    lib = primitive._lib
    cdll = ctypes.CDLL(lib.path)
    for name, argtypes in signatures.items():
        fn = getattr(cdll, "dnnl_" + name)
        fn.restype, fn.argtypes = ctypes.c_int, argtypes
        setattr(lib, name, fn)
