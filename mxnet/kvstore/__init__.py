"""``mx.kv``: key-value stores that sum gradients across devices and workers.

``create('local')``/``create('device')`` serve the devices of one process;
``create('dist_sync')``, ``'dist_device_sync'`` and ``'dist_async'`` serve an
MPI job (mpi4py, the optional ``dist`` extra) started with ``mpirun`` or
``python -m mxnet.tools.launch``; ``'horovod'`` is an allreduce-only store over
the same MPI job.
"""
from .base import KVStoreBase, create, _create_kvstore
from .local import KVStore
from . import horovod  # registers 'horovod'

__all__ = ["KVStore", "KVStoreBase", "create"]
