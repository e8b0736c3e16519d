"""Host memory reuse: keep freed array memory in the process for the next step.

MXNet pools CPU memory (``MXNET_CPU_MEM_POOL_TYPE``, ``Naive`` by default):
a training step's arrays are reused by the next step instead of going back
to the operating system. Here NumPy allocates through ``malloc``, and glibc's
defaults work against a training loop: blocks of a few megabytes are mapped
fresh, or the heap is trimmed as soon as a step frees its activations, so
every step touches new pages again and pays a page fault (and the kernel
zeroing a page) per 4 KiB. On LeNet training (64 x 20 x 24 x 24 activations)
that was about a fifth of the step's CPU time.

``configure()`` therefore raises glibc's mmap threshold (blocks up to 32 MiB
come from the heap) and turns off trimming (free heap stays mapped, as
MXNet's pool keeps what it once allocated), which makes freed blocks
available to the next allocation of the same size. A bounded trim threshold
is not enough: a step that frees more than it at the top of the heap (a
hybridized ResNet-18 batch 8 frees a few hundred MiB of activations at once)
hands the pages back, and the next step faults them in again (one 25 MiB
batch-norm gradient took 70-110 ms instead of 12). The price: the process
keeps its peak heap. ``MXNET_CPU_MEM_POOL_TYPE=Unpooled`` leaves malloc as
it is, and so does any C library other than glibc.
"""
import ctypes
import os

from ..base import MXNetError

# mallopt parameters (glibc's malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed value on 64-bit systems
TRIM_THRESHOLD = -1  # glibc: never give free heap back to the system
_POOL_TYPES = ("Naive", "Round", "Unpooled")


def _glibc_mallopt():
    """glibc's ``mallopt``, or None under another C library or platform."""
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        fn = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError, ValueError):
        return None
    fn.argtypes, fn.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return fn


def configure():
    """Apply the pool setting of ``MXNET_CPU_MEM_POOL_TYPE``; returns
    ``{parameter: value}`` as set in malloc (bytes; -1: no trimming), or
    None when malloc is left as it is (``Unpooled``, or not glibc)."""
    kind = os.environ.get("MXNET_CPU_MEM_POOL_TYPE", "Naive")
    if kind not in _POOL_TYPES:
        raise MXNetError(f"MXNET_CPU_MEM_POOL_TYPE: expected one of {list(_POOL_TYPES)}, "
                         f"got {kind!r}")
    if kind == "Unpooled":
        return None
    mallopt = _glibc_mallopt()
    if mallopt is None:
        return None
    # Setting either threshold turns off glibc's own adjustment of both.
    applied = {}
    for name, param, value in (("mmap_threshold", _M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                               ("trim_threshold", _M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        if mallopt(param, value) == 1:
            applied[name] = value
    return applied or None
