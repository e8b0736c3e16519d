"""``mx.npx``: MXNet-specific operators and switches for ``mx.np`` code.

``set_np()`` turns on NumPy shape and array semantics (Gluon blocks then
take and give ``mx.np.ndarray``); the neural-network operators
(``npx.convolution``, ``npx.batch_norm``, ``npx.softmax``...) and utilities
(``npx.reshape`` with MXNet's shape codes, ``npx.nonzero``...), the image
operators (``npx.image``) and extra samplers (``npx.random``) work on
``mx.np.ndarray``s; the device helpers are those of ``mx.context``.
"""
from ..context import Context, cpu, cpu_pinned, current_context, gpu, gpu_memory_info, num_gpus
from ..ndarray.creation import waitall
from ..numpy._io import load, save
from ..util import get_cuda_compute_capability, is_np_array, is_np_shape, reset_np, set_np
from ._ops import *  # noqa: F401,F403
from ._ops import __all__ as _op_names
from . import image, random

__all__ = ["Context", "cpu", "cpu_pinned", "gpu", "gpu_memory_info", "num_gpus",
           "get_cuda_compute_capability", "current_context", "waitall", "save", "load",
           "set_np", "reset_np", "is_np_array", "is_np_shape", "image", "random"] + _op_names
