"""Distributed stores over MPI: ``dist_sync``, ``dist_device_sync``, ``dist_async``.

``dist_sync`` (and ``dist_device_sync``, which also spreads the per-device
sums like ``device``): every worker keeps a replica of all values. ``init``
takes worker 0's value; ``push`` sums the worker's devices, then all workers
by an MPI allreduce, and every replica applies the same update (or stores
the sum), so the replicas stay equal without a parameter server and equal
what MXNet's servers hold. Pushes are collective: every worker pushes the
same keys in the same order, as data-parallel training does. Every rank
sums in place (``MPI.IN_PLACE``: a separate send buffer costs MPI a copy),
and a ``pushpull`` into the pushed arrays keeps no copy of the sums (see
``DistSyncKVStore.pushpull``). With gradient compression each worker sends
2 (or 1) bits per value, gathered from all.

``dist_async``: the first rank(s) run a server that keeps the values and
applies each worker's push the moment it arrives (the optimizer is required,
as in MXNet); workers push and pull with point-to-point messages and never
wait for each other except in ``init`` and ``barrier``. Keys are spread over
the servers by a hash. A server process never returns from ``create``: it
serves until every worker has finished, then exits (MXNet's servers do too).
"""
import pickle
import sys
import zlib

import numpy as np

from ..base import MXNetError
from ..context import Context
from ..ndarray import ndarray as _nd
from .fusion import FusedAllreduce, fusion_bytes
from .local import KVStore, copy_on_source
from .mpi import job

__all__ = ["create_dist", "DistSyncKVStore", "DistAsyncKVStore"]

_CMD, _DATA, _REPLY = 11, 12, 13
_CPU = Context("cpu", 0)
# Fusion buffer pairs a store keeps for reuse (each at most twice
# MXNET_KVSTORE_FUSION_BYTES).
_MAX_FLAT_BUFFERS = 64


def create_dist(name):
    """A distributed store of type ``name`` for this rank (servers serve and exit)."""
    mpi = job()
    is_async = "_async" in name
    n_servers = mpi.num_servers(is_async)
    comm = mpi.worker_comm()
    if mpi.world.Get_rank() < n_servers:
        _Server(mpi, n_servers).serve()
        sys.exit(0)
    if n_servers and not _DistBase._instances:
        mpi.on_exit(lambda: _stop_servers(mpi, n_servers))
    cls = DistAsyncKVStore if is_async else DistSyncKVStore
    return cls(name, mpi, comm, n_servers)


def _host(arr):
    """The values of an NDArray (any storage) as a NumPy array; on the CPU the
    array's own buffer (read-only use: it is sent, never written)."""
    if arr.stype != "default":
        arr = arr.tostype("default")
    data = arr._arr()
    return data if isinstance(data, np.ndarray) else arr.asnumpy()


class _DistBase(KVStore):
    _instances = 0

    def __init__(self, name, mpi, comm, n_servers):
        super().__init__(name)
        self._by_device = "device" in name
        self._mpi = mpi
        self._comm = comm
        self._n_servers = n_servers
        self._sid = _DistBase._instances  # same order of creation on every worker
        _DistBase._instances += 1

    @property
    def rank(self):
        """This worker's index (servers not counted)."""
        return self._comm.Get_rank()

    @property
    def num_workers(self):
        """The number of worker processes."""
        return self._comm.Get_size()

    def _barrier(self):
        """Wait until every worker has called ``barrier``."""
        self._mpi.call(self._comm.Barrier, "waiting in barrier")

    barrier = _barrier

    def _local_sum(self, key, vals, like):
        """The sum over this worker's devices as NumPy (no compression here:
        it applies to what goes over the network), and whether that array is
        the store's to write (not the buffer of one of ``vals``)."""
        for v in vals:
            if v.shape != like.shape:
                raise MXNetError(f"kvstore.push: key {key!r} holds shape {like.shape}, "
                                 f"got a value of shape {v.shape}")
        compression, self._compression = self._compression, None
        try:
            merged = self._reduce(key, vals, like)
        finally:
            self._compression = compression
        data = _host(merged)
        private = not any(isinstance(v._data, np.ndarray) and np.may_share_memory(data, v._data)
                          for v in vals)
        return data, private

    def _wrap(self, values, like):
        arr = _nd._from_host(values, like.context)
        return arr.tostype(like.stype) if like.stype != "default" else arr


class DistSyncKVStore(_DistBase):
    """Synchronous data parallelism: allreduce of every push across workers."""

    def __init__(self, name, mpi, comm, n_servers):
        super().__init__(name, mpi, comm, n_servers)
        self._spare = {}
        self._flat = {}
        self._fusion_bytes = fusion_bytes()
        self._collectives = 0  # issued by pushes so far (tests check the fusion with it)
        self._in_place = 0  # pushpulls summed in the pushed array (tests check it)
        self._borrowed = set()  # keys whose stored array is a pushed array (see pushpull)

    def init(self, key, value):
        """Initialize keys with worker 0's values (collective)."""
        for k, vals in self._pairs(key, value, "value"):
            if k in self._store:
                raise MXNetError(f"kvstore: duplicate init of key {k!r}")
            local = vals[0]
            mine = (local.shape, np.dtype(local.dtype).str, local.stype)
            head = self._mpi.call(lambda: self._comm.bcast(mine, root=0), f"init of key {k!r}")
            if head != mine:
                raise MXNetError(f"kvstore.init: key {k!r} is {mine[0]} {mine[1]} {mine[2]} "
                                 f"here but {head[0]} {head[1]} {head[2]} on worker 0")
            buf = _host(local) if self.rank == 0 else np.empty(local.shape, local.dtype)
            self._mpi.call(lambda: self._comm.Bcast(buf, root=0), f"init of key {k!r}")
            self._store[k] = self._initial_value(k, self._wrap(buf, local))

    def push(self, key, value, priority=0):
        """Sum ``value`` over this worker's devices and all workers (collective:
        every worker pushes the same keys in the same order)."""
        pairs = self._pairs(key, value, "value")
        self._sum_all(pairs, [self._plan(k, vals) for k, vals in pairs])

    def pushpull(self, key, value, out=None, priority=0):
        """``push`` then ``pull`` (into ``value`` when ``out`` is None).

        Where the store keeps the plain sum and an output is the pushed
        array itself (``out=None``, or ``out`` is ``value``: how Trainer
        reduces gradients), the allreduce sums in place in that array and
        the store then refers to it instead of keeping a copy, as MXNet's
        own local store refers to a pushed array: later writes to the array
        show in pulls of the key (until the next push of the key)."""
        pairs = self._pairs(key, value, "value")
        outs = pairs if out is None or out is value else self._pairs(key, out, "out")
        for k, targets in outs:
            stored = self._stored(k)
            for o in targets:
                if o.shape != stored.shape:
                    raise MXNetError(f"kvstore.pull: key {k!r} holds shape {stored.shape}, "
                                     f"got an output of shape {o.shape}")
        shared = _shared_outputs(outs)
        self._sum_all(pairs, [self._plan(k, vals, targets, shared)
                              for (k, vals), (_, targets) in zip(pairs, outs)])

    def _sum_all(self, pairs, plans):
        """Run the collectives of ``plans`` (one per key of ``pairs``): the
        small arrays fused into few allreduces (see ``fusion``), compressed
        ones gathered after them, one trip to the communication thread per
        collective; then each plan's ``finish`` (an optimizer's update run
        between the collectives would make the ranks wait for each other
        at every message)."""
        if len(self._flat) > _MAX_FLAT_BUFFERS:  # pushes of ever new key lists
            self._flat.clear()
        fused = FusedAllreduce(self._comm, [(p.send, p.recv) for p in plans if p.recv is not None],
                               *self._fusion_bytes, self._flat, self._mpi.MPI.IN_PLACE)
        messages = fused.messages() + [p.gather for p in plans if p.gather is not None]
        if len(pairs) == 1:
            what = f"push of key {pairs[0][0]!r}"
        else:
            what = f"push of {len(pairs)} keys ({pairs[0][0]!r} to {pairs[-1][0]!r})"
        # One trip per collective, not all of them in one trip: on a loaded
        # machine back-to-back collectives measured 10-30x slower (2 ranks,
        # ResNet-50's arrays: 0.4-1.5 s against 45 ms), and fusion already
        # makes the trips few.
        for send in messages:
            self._mpi.call(send, what)
        self._collectives += len(messages)
        fused.finish()
        for p in plans:
            p.finish()

    def _plan(self, key, vals, targets=None, shared=()):
        """What one key's push (and, given ``targets``, pull) needs: the
        local sum to send and the array to receive the total in (the same
        array where the sum is made in place) or a ``gather`` call, and
        ``finish`` to run once the collectives are done. Arrays
        in ``shared`` (ids of buffers) are outputs of several keys: none
        is summed in place, so that no key's sum is written over another's
        while MPI writes it."""
        stored = self._stored(key)
        plain = self._updater is None and self._compression is None and _dense_host(stored)
        if plain and targets is not None and len(vals) == 1:
            home = _in_place_output(vals[0], targets, stored)
            if home is not None and id(home._data) not in shared:
                return self._in_place_plan(key, home, targets)
        mine, private = self._local_sum(key, vals, stored)
        stored = self._store[key]  # 'dist_device_sync' may have moved it to its merge device
        if self._compression is not None:
            plan = self._compressed_plan(key, mine)
        elif plain and stored.dtype == mine.dtype:
            plan = self._replace_plan(key, mine, private, stored)
        else:
            plan = self._update_plan(key, mine, private)
        if targets is not None:
            plan.finish = _then(plan.finish, lambda: self._copy_out(key, targets))
        return plan

    def _compressed_plan(self, key, mine):
        comp = self._compression
        packed = comp.pack(comp.compress(key, 0, mine))
        everyone = np.empty((self.num_workers, packed.size), np.uint8)

        def finish():
            total = np.zeros_like(mine)
            for codes in everyone:  # rank order: the same sum on every worker
                total += comp.unpack(codes, mine.shape, mine.dtype)
            stored = self._owned(key)
            self._apply(key, self._wrap(total, stored), stored)

        return _Plan(gather=lambda: self._comm.Allgather(packed, everyone), finish=finish)

    def _update_plan(self, key, mine, private):
        """Sum in the local sum when it is the store's own array, else into a
        new array, then apply the update (or store the sum)."""
        total = mine if private and mine.flags.c_contiguous else np.empty(mine.shape, mine.dtype)

        def finish():
            stored = self._owned(key)
            self._apply(key, self._wrap(total, stored), stored)

        return _Plan(finish, mine, total)

    def _replace_plan(self, key, mine, private, stored):
        """The sum simply becomes the stored value: summed in the local sum
        when that is the store's own array, else in the buffer the previous
        push left over (fresh pages cost as much as a copy)."""
        if private and mine.flags.c_contiguous:
            buf = _nd._new(mine, stored.context)
        else:
            buf = self._spare.pop(key, None)
            if buf is None:
                buf = _nd._new(np.empty(mine.shape, mine.dtype), stored.context)
            else:
                buf._wait_to_write()

        def finish():
            if key in self._borrowed:  # the user's array: never to be written here
                self._borrowed.discard(key)
            else:
                self._spare[key] = stored
            self._store[key] = buf

        return _Plan(finish, mine, buf._data)

    def _in_place_plan(self, key, home, targets):
        """Sum in place in ``home``, the pushed array and one of the outputs;
        the store then refers to it (see ``pushpull``) and the other outputs
        copy it on the engine."""
        home._wait_to_write()
        self._in_place += 1

        def finish():
            home._var.version += 1  # written by MPI, outside the engine
            self._store[key] = home
            self._borrowed.add(key)
            self._spare.pop(key, None)  # pushpulls like this one need no buffer
            for o in targets:
                if not (_dense_host(o) and _same_buffer(o._data, home._data)):
                    copy_on_source(home, o, defer=True)

        return _Plan(finish, home._data, home._data)

    def _owned(self, key):
        """The key's stored array for an update to write: a copy if the store
        refers to a pushed array (which is the user's, not the store's)."""
        stored = self._store[key]
        if key in self._borrowed:
            self._borrowed.discard(key)
            stored = self._store[key] = stored.copy()
        return stored

    def _copy_out(self, key, targets):
        """Copy the key's stored value to ``targets`` on the engine."""
        stored = self._store[key]
        for o in targets:
            copy_on_source(stored, o, defer=True)


def _shared_outputs(outs):
    """Ids of the output buffers that several keys of ``outs`` write."""
    if len(outs) < 2:
        return ()
    seen, shared = set(), set()
    for _, targets in outs:
        for o in targets:
            i = id(o._data)
            if i in seen:
                shared.add(i)
            seen.add(i)
    return shared


def _dense_host(arr):
    return arr._stype == "default" and type(arr._data) is np.ndarray


def _in_place_output(value, targets, stored):
    """The output that is the pushed array ``value`` itself, when the sum can
    be made in place there: ``value`` is a dense host array like ``stored``
    (same shape, dtype and device: no local sum to compute), contiguous (for
    MPI), and no other output overlaps it only in part. None otherwise."""
    if not _dense_host(value) or (value._ctx is not stored._ctx and value._ctx != stored._ctx):
        return None
    mine = value._data
    if mine.shape != stored._data.shape or mine.dtype != stored._data.dtype \
            or not mine.flags.c_contiguous:
        return None
    home = None
    for o in targets:
        if o is value:
            home = o
        elif _dense_host(o) and np.may_share_memory(o._data, mine):
            if not _same_buffer(o._data, mine):
                return None
            if home is None:
                home = o
    return home


def _same_buffer(a, b):
    return a is b or (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
                      and a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype)


def _then(first, second):
    def both():
        first()
        second()
    return both


class _Plan:
    """One key's part of a synchronous push (see ``DistSyncKVStore._plan``)."""
    __slots__ = ("send", "recv", "gather", "finish")

    def __init__(self, finish, send=None, recv=None, gather=None):
        self.send, self.recv, self.gather, self.finish = send, recv, gather, finish


class DistAsyncKVStore(_DistBase):
    """Asynchronous training: a server applies every push as it arrives."""

    def __init__(self, name, mpi, comm, n_servers):
        super().__init__(name, mpi, comm, n_servers)
        self._meta = {}

    def _server_of(self, key):
        h = key if isinstance(key, int) else zlib.crc32(key.encode())
        return h % self._n_servers

    def _request(self, server, header, array=None, reply=None, what=""):
        _request(self._mpi, server, header, array, reply, what)

    def init(self, key, value):
        """Initialize keys on the servers with worker 0's values (collective)."""
        for k, vals in self._pairs(key, value, "value"):
            if k in self._meta:
                raise MXNetError(f"kvstore: duplicate init of key {k!r}")
            v = vals[0]
            self._meta[k] = v
            if self.rank == 0:
                data = _host(v)
                self._request(self._server_of(k), ("init", self._sid, k, data.shape,
                                                   data.dtype.str), data, what=f"init of {k!r}")
        self._barrier()

    def _stored(self, key):
        try:
            return self._meta[key]
        except KeyError:
            raise MXNetError(f"kvstore: key {key!r} has not been initialized (call init or "
                             "broadcast first)") from None

    def _push_one(self, key, vals):
        like = self._stored(key)
        data, _ = self._local_sum(key, vals, like)
        self._request(self._server_of(key), ("push", self._sid, key, data.shape, data.dtype.str),
                      data, what=f"push of key {key!r}")

    def _pull_one(self, key, outs, ignore_sparse):
        like = self._stored(key)
        buf = np.empty(like.shape, np.dtype(like.dtype))
        self._request(self._server_of(key), ("pull", self._sid, key), reply=buf,
                      what=f"pull of key {key!r}")
        value = self._wrap(buf, like)
        for o in outs:
            if ignore_sparse and o.stype != "default":
                continue
            value.copyto(o)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Rows ``row_ids`` of a row_sparse value (pulled whole from the server)."""
        raise MXNetError("kvstore dist_async: row_sparse_pull is not supported; use pull")

    def set_optimizer(self, optimizer):
        """Send ``optimizer`` to the servers, which then apply every push with it."""
        if self.rank == 0:
            body = pickle.dumps(optimizer)
            for server in range(self._n_servers):
                self._request(server, ("optimizer", self._sid, body), what="set_optimizer")
        self._barrier()

    def _set_updater(self, updater):
        raise MXNetError("kvstore dist_async: the update runs on the server; use "
                         "set_optimizer instead of an updater function")

    set_updater = _set_updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        raise MXNetError("Cannot save states for distributed training: the optimizer of a "
                         "dist_async store runs on the server")

    def load_optimizer_states(self, fname):
        raise MXNetError("Cannot load states for distributed training: the optimizer of a "
                         "dist_async store runs on the server")

    def set_gradient_compression(self, compression_params):
        raise MXNetError("kvstore dist_async: gradient compression is supported by "
                         "'device' and 'dist_sync' stores only")



def _request(mpi, server, header, array=None, reply=None, what=""):
    """Send ``header`` (and ``array``) to rank ``server``; fill ``reply`` with
    the array it answers, if any; raise the server's error."""
    world = mpi.world

    def talk():
        world.send(header, dest=server, tag=_CMD)
        if array is not None:
            world.Send(np.ascontiguousarray(array), dest=server, tag=_DATA)
        error = world.recv(source=server, tag=_REPLY)
        if error is None and reply is not None:
            world.Recv(reply, source=server, tag=_REPLY)
        return error

    error = mpi.call(talk, what)
    if error is not None:
        raise MXNetError(f"kvstore server: {error}")


def _stop_servers(mpi, n_servers):
    for server in range(n_servers):
        _request(mpi, server, ("stop",), what="stopping the servers")


class _Server:
    """The loop of a server rank: values of every store, updated as pushes come."""

    def __init__(self, mpi, n_servers):
        self._mpi = mpi
        self._workers = mpi.world.Get_size() - n_servers
        self._values = {}
        self._updaters = {}

    def serve(self):
        world, MPI = self._mpi.world, self._mpi.MPI
        stopped = 0
        while stopped < self._workers:
            status = MPI.Status()
            # No deadline: workers may compute for long between requests, and
            # mpirun ends the job if one of them dies.
            header = world.recv(source=MPI.ANY_SOURCE, tag=_CMD, status=status)
            source = status.Get_source()
            if header[0] == "stop":
                stopped += 1
                world.send(None, dest=source, tag=_REPLY)
                continue
            self._answer(header, source)

    def _answer(self, header, source):
        world = self._mpi.world
        op, sid = header[0], header[1]
        data = None
        if op in ("init", "push"):
            data = np.empty(header[3], np.dtype(header[4]))
            world.Recv(data, source=source, tag=_DATA)
        try:
            reply = self._handle(op, sid, header, data)
        except Exception as e:  # reported to the worker that asked
            world.send(f"{type(e).__name__}: {e}", dest=source, tag=_REPLY)
            return
        world.send(None, dest=source, tag=_REPLY)
        if reply is not None:
            world.Send(reply, dest=source, tag=_REPLY)

    def _handle(self, op, sid, header, data):
        if op == "optimizer":
            from .. import optimizer as opt
            self._updaters[sid] = opt.get_updater(pickle.loads(header[2]))
            return None
        key = (sid, header[2])
        if op == "init":
            self._values[key] = _nd._from_host(data, _CPU)
            return None
        stored = self._values.get(key)
        if stored is None:
            raise MXNetError(f"key {header[2]!r} has not been initialized")
        if op == "pull":
            return stored.asnumpy()
        updater = self._updaters.get(sid)
        if updater is None:
            raise MXNetError("dist_async applies pushes with the optimizer: call "
                             "set_optimizer on the kvstore (or let the Trainer update on it) "
                             "before pushing")
        updater(header[2], _nd._from_host(data, _CPU), stored)
        stored.wait_to_read()
        return None
