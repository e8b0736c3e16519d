"""``mx.kv.create('horovod')``: Horovod's allreduce-only store, over the MPI job.

Horovod's MXNet binding registers a KVStoreBase named ``horovod`` whose
``pushpull`` sums across all processes (no keys to initialise, no optimizer
on the store) and whose ``broadcast`` copies rank 0's value. This is the
same interface on mpi4py, so scripts written for it run without Horovod.
"""
import numpy as np

from ..base import MXNetError
from ..ndarray import ndarray as _nd
from .base import KVStoreBase, key_value_pairs
from .mpi import job

__all__ = ["Horovod"]


@KVStoreBase.register
class Horovod(KVStoreBase):
    """Allreduce and broadcast over every rank of the MPI job."""

    def __init__(self):
        self._mpi = job()
        self._comm = self._mpi.world

    @property
    def type(self):
        return "horovod"

    @property
    def rank(self):
        return self._comm.Get_rank()

    @property
    def local_rank(self):
        """The rank among the processes of this host."""
        return self._mpi.call(lambda: self._comm.Split_type(
            self._mpi.MPI.COMM_TYPE_SHARED).Get_rank(), "local_rank")

    @property
    def num_workers(self):
        return self._comm.Get_size()

    def is_capable(self, capability):
        """Horovod runs no optimizer on the store."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return False
        raise ValueError(f"Unknown capability: {capability}")

    def broadcast(self, key, value, out, priority=0):
        """Copy rank 0's ``value`` into ``out`` (an NDArray or list) on every rank."""
        for (k, vals), (_, outs) in zip(key_value_pairs(key, value),
                                        key_value_pairs(key, out, "out")):
            data = np.ascontiguousarray(vals[0].asnumpy())
            self._mpi.call(lambda: self._comm.Bcast(data, root=0), f"broadcast of {k!r}")
            result = _nd._from_host(data, vals[0].context)
            for o in outs:
                result.copyto(o)

    def pushpull(self, key, value, out=None, priority=0):
        """Sum ``value`` over local arrays and all ranks into ``out`` (or ``value``)."""
        outs_pairs = key_value_pairs(key, value if out is None else out, "out")
        for (k, vals), (_, outs) in zip(key_value_pairs(key, value), outs_pairs):
            mine = vals[0].asnumpy()  # a copy: summed in place (MPI would copy a send buffer)
            for v in vals[1:]:
                mine += v.asnumpy()
            self._mpi.call(lambda: self._comm.Allreduce(self._mpi.MPI.IN_PLACE, mine),
                           f"pushpull of {k!r}")
            result = _nd._from_host(mine, vals[0].context)
            for o in outs:
                result.copyto(o)

    def set_optimizer(self, optimizer):
        raise MXNetError("kvstore horovod runs no optimizer: update on the workers "
                         "(Trainer(update_on_kvstore=False))")

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise MXNetError("kvstore horovod holds no optimizer states")

    def load_optimizer_states(self, fname):
        raise MXNetError("kvstore horovod holds no optimizer states")
