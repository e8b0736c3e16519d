"""``KVStoreBase``: the interface every key-value store offers, and the
registry through which new store types (Horovod-style allreduce, user
classes) plug into ``mx.kv.create``.

A store keeps one value per key (an int or a str). Data-parallel training
pushes each device's gradient for a key, the store sums them (and, with an
optimizer set, updates the stored weight), and pulls the result back to
every device.
"""
import warnings

import numpy as np

from ..base import MXNetError
from ..ndarray import NDArray

__all__ = ["KVStoreBase"]


class KVStoreBase:
    """The interface of a key-value store for data-parallel training.

    Subclasses registered with ``KVStoreBase.register`` are created by
    ``mx.kv.create(name)`` where ``name`` is the class name in lower case.
    """

    #: capability queried with ``is_capable``: the store can run the optimizer
    OPTIMIZER = "optimizer"

    kv_registry = {}

    def broadcast(self, key, value, out, priority=0):
        """Initialize ``key`` with ``value`` (taken from worker 0 when
        distributed) and copy it into ``out`` (an NDArray or a list)."""
        raise NotImplementedError()

    def pushpull(self, key, value, out=None, priority=0):
        """Sum ``value`` (the arrays of every device, and of every worker)
        for ``key`` and write the result into ``out`` (or back into ``value``
        when ``out`` is None, where the store allows it)."""
        raise NotImplementedError()

    def set_optimizer(self, optimizer):
        """Make pushes update the stored values with ``optimizer``."""
        raise NotImplementedError()

    def is_capable(self, capability):
        """Whether the store supports ``capability`` (``KVStoreBase.OPTIMIZER``)."""
        raise NotImplementedError()

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the states of the optimizer run by the store to ``fname``."""
        raise NotImplementedError()

    def load_optimizer_states(self, fname):
        """Read optimizer states written by ``save_optimizer_states``."""
        raise NotImplementedError()

    @property
    def type(self):
        """The store's type name, as given to ``create``."""
        raise NotImplementedError()

    @property
    def rank(self):
        """This worker's index among ``num_workers``."""
        raise NotImplementedError()

    @property
    def num_workers(self):
        """How many workers take part."""
        raise NotImplementedError()

    @staticmethod
    def register(klass):
        """Register a KVStoreBase subclass under its lower-cased class name
        (returns the class, so it serves as a decorator)."""
        if not (isinstance(klass, type) and issubclass(klass, KVStoreBase)):
            raise MXNetError(f"KVStoreBase.register: expected a subclass of KVStoreBase, "
                             f"got {klass!r}")
        name = klass.__name__.lower()
        if name in KVStoreBase.kv_registry:
            old = KVStoreBase.kv_registry[name]
            warnings.warn(f"WARNING: New kvstore {klass.__module__}.{klass.__name__} is "
                          f"overriding existing kvstore {old.__module__}.{old.__name__}")
        KVStoreBase.kv_registry[name] = klass
        return klass


# -- arguments shared by every store -----------------------------------------------------
def normalize_key(key):
    """``key`` as an int or a str (NumPy integers and bytes accepted)."""
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, bytes):
        return key.decode()
    if isinstance(key, str):
        return key
    raise MXNetError(f"kvstore: a key must be an int or a str, got {type(key).__name__} "
                     f"{key!r}")


def _as_list(value, what, key):
    if isinstance(value, NDArray):
        return [value]
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, NDArray) for v in value):
        return list(value)
    raise MXNetError(f"kvstore: {what} for key {key!r} must be an NDArray or a non-empty list "
                     f"of NDArrays, got {type(value).__name__}")


def key_value_pairs(key, value, what="value"):
    """``[(key, [arrays...]), ...]`` from the forms MXNet accepts: one key with
    an NDArray or a list of them (one per device), or a list of keys with a
    list of such values. A key given twice has its arrays joined, in order."""
    if isinstance(key, (list, tuple)):
        if not isinstance(value, (list, tuple)) or len(value) != len(key):
            got = len(value) if isinstance(value, (list, tuple)) else type(value).__name__
            raise MXNetError(f"kvstore: {len(key)} keys need a list of {len(key)} {what}s, "
                             f"got {got}")
        pairs = {}
        for k, v in zip(key, value):
            k = normalize_key(k)
            pairs.setdefault(k, []).extend(_as_list(v, what, k))
        return list(pairs.items())
    key = normalize_key(key)
    return [(key, _as_list(value, what, key))]


# -- creation ----------------------------------------------------------------------------
def create(name="local"):
    """A new key-value store of type ``name``.

    ``'local'`` sums on the CPU; ``'device'`` (and ``'nccl'``, the same here)
    spreads the sums over the devices; ``'dist_sync'``, ``'dist_device_sync'``
    and ``'dist_async'`` work across the processes of an MPI job (see
    ``mxnet.kvstore.dist``); registered classes (``'horovod'``, user classes)
    are looked up first. Other names give a local store, as in MXNet.
    """
    if not isinstance(name, str):
        raise TypeError("name must be a string")
    name = name.lower()
    if name in KVStoreBase.kv_registry:
        return KVStoreBase.kv_registry[name]()
    if "dist" in name:
        from .dist import create_dist
        return create_dist(name)
    from .local import KVStore
    return KVStore(name)


def _create_kvstore(kvstore, num_device, arg_params):
    """The store and the ``update_on_kvstore`` default for training on
    ``num_device`` devices (MXNet's rule, shared by Trainer and Module).

    ``kvstore`` is a name, a KVStoreBase or None. One device in one process
    needs no store. Updating on the store is the default (env
    ``MXNET_UPDATE_ON_KVSTORE``), except for a ``'local'`` store holding an
    array over 16M elements, and where the store cannot run optimizers.
    ``arg_params`` maps names to the parameters' arrays (for their sizes)."""
    import os
    update_on_kvstore = bool(int(os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")))
    if kvstore is None:
        kv = None
    elif isinstance(kvstore, KVStoreBase):
        kv = kvstore
    elif isinstance(kvstore, str):
        if num_device == 1 and "dist" not in kvstore:
            kv = None
        else:
            kv = create(kvstore)
            if kvstore == "local" and arg_params:
                largest = max(int(np.prod(p.shape)) for p in arg_params.values())
                if largest > 1024 * 1024 * 16:
                    update_on_kvstore = False
    else:
        raise TypeError(f"kvstore must be KVStore, str or None, got {type(kvstore).__name__}")
    if kv is None:
        update_on_kvstore = False
    else:
        update_on_kvstore &= kv.is_capable(KVStoreBase.OPTIMIZER)
    return kv, update_on_kvstore
