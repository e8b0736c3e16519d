"""Devices: ``Context``, ``cpu``, ``gpu``, ``cpu_pinned`` and the default-context stack."""
import threading

from .base import MXNetError

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "current_context", "num_gpus",
           "gpu_memory_info"]


class Context:
    """A device on which NDArrays live and operators run.

    ``Context('cpu', 1)`` and ``cpu(1)`` are equal. Used as a context manager,
    a Context becomes the default for array creation inside the block.
    """
    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {v: k for k, v in devtype2str.items()}
    _local = threading.local()

    __slots__ = ("device_typeid", "device_id", "_old")

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            self.device_typeid = device_type.device_typeid
            self.device_id = device_type.device_id
        else:
            if device_type not in self.devstr2type:
                raise MXNetError(
                    f"Context: device_type must be one of {sorted(self.devstr2type)}, "
                    f"got {device_type!r}")
            self.device_typeid = self.devstr2type[device_type]
            self.device_id = int(device_id)
        self._old = None

    @property
    def device_type(self):
        return self.devtype2str[self.device_typeid]

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_typeid == other.device_typeid
                and self.device_id == other.device_id)

    def __str__(self):
        return f"{self.device_type}({self.device_id})"

    __repr__ = __str__

    def __enter__(self):
        stack = _stack()
        stack.append(self)
        return self

    def __exit__(self, *exc):
        _stack().pop()

    def empty_cache(self):
        """Release cached device memory (a no-op for host memory)."""
        if self.device_type == "gpu" and num_gpus() > self.device_id:
            import cupy
            cupy.get_default_memory_pool().free_all_blocks()

    # The process-wide default; MXNet code assigns it directly.
    default_ctx = None


def _stack():
    local = Context._local
    if not hasattr(local, "stack"):
        local.stack = []
    return local.stack


def cpu(device_id=0):
    """The ``device_id``-th CPU: logical devices with their own engine worker."""
    return Context("cpu", device_id)


def cpu_pinned(device_id=0):
    """Page-locked host memory (plain host memory here)."""
    return Context("cpu_pinned", device_id)


def gpu(device_id=0):
    """The ``device_id``-th GPU. Arrays on it need a GPU backend (CuPy)."""
    return Context("gpu", device_id)


def current_context():
    """The innermost ``with ctx:`` context, else ``Context.default_ctx``, else cpu(0)."""
    stack = _stack()
    if stack:
        return stack[-1]
    return Context.default_ctx


Context.default_ctx = Context("cpu", 0)


def num_gpus():
    """Number of GPUs usable by this process (0 without CuPy or a GPU)."""
    try:
        import cupy
    except ImportError:
        return 0
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:  # a CuPy install without a driver has no usable GPU
        return 0


def gpu_memory_info(device_id=0):
    """(free, total) bytes of GPU ``device_id``."""
    if device_id >= num_gpus():
        raise MXNetError(f"gpu_memory_info: no GPU {device_id} (found {num_gpus()})")
    import cupy
    with cupy.cuda.Device(device_id):
        return cupy.cuda.runtime.memGetInfo()
