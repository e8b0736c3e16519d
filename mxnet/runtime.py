"""What this install can do: ``mx.runtime.Features()``.

Feature names are MXNet's (``CUDA``, ``MKLDNN``, ``OPENCV``, ``DIST_KVS``...)
plus ``ONEDNN``; each is enabled when the optional library behind it can be
found in this environment.
"""
import collections
import importlib.util

__all__ = ["Feature", "Features", "feature_list"]


def _has_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _has_onednn():
    from .backends import dnnl
    return bool(dnnl.available)


def _has_gpu():
    from .context import num_gpus
    return num_gpus() > 0


# name -> probe; probes run once, when Features() is first built.
_PROBES = collections.OrderedDict([
    ("CUDA", _has_gpu), ("CUDNN", lambda: False), ("NCCL", lambda: False),
    ("CUDA_RTC", lambda: False), ("TENSORRT", lambda: False),
    ("CPU_SSE", lambda: True), ("CPU_SSE2", lambda: True),
    ("OPENMP", lambda: False), ("BLAS_OPEN", lambda: True), ("LAPACK", lambda: True),
    ("MKLDNN", _has_onednn), ("ONEDNN", _has_onednn),
    ("OPENCV", lambda: _has_module("cv2")), ("PILLOW", lambda: _has_module("PIL")),
    ("SCIPY", lambda: _has_module("scipy")),
    ("DIST_KVS", lambda: _has_module("mpi4py")), ("MPI", lambda: _has_module("mpi4py")),
    ("FSSPEC", lambda: _has_module("fsspec")),
    ("PROFILER", lambda: True), ("INT64_TENSOR_SIZE", lambda: True),
    ("SIGNAL_HANDLER", lambda: False), ("DEBUG", lambda: False),
])


class Feature(collections.namedtuple("Feature", ["name", "enabled"])):
    """One compile-time/runtime feature and whether it is enabled."""
    __slots__ = ()

    def __repr__(self):
        return ("✔ " if self.enabled else "✖ ") + self.name


def feature_list():
    """All features as a list of ``Feature``."""
    return [Feature(name, bool(probe())) for name, probe in _PROBES.items()]


class Features(collections.OrderedDict):
    """Mapping of feature name to ``Feature``, with ``is_enabled(name)``."""
    _cache = None

    def __init__(self):
        if Features._cache is None:
            Features._cache = feature_list()
        super().__init__((f.name, f) for f in Features._cache)

    def __repr__(self):
        return str(list(self.values()))

    def is_enabled(self, feature_name):
        """Whether ``feature_name`` (case-insensitive) is enabled."""
        name = feature_name.upper()
        if name not in self:
            from .base import MXNetError
            raise MXNetError(f"Features.is_enabled: unknown feature {feature_name!r}; "
                             f"known: {', '.join(self)}")
        return self[name].enabled
