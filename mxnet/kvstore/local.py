"""``KVStore``: the single-process store of types ``local`` and ``device``.

``push`` sums the arrays given for a key (one per device) and then either
replaces the stored value with the sum or, once an optimizer or updater is
set, calls ``updater(key, sum, stored)``; ``pull`` copies the stored value to
every output. All of it goes through NDArray operations, so it runs on the
engine asynchronously like any other work, each sum on one device's worker.

Where the sum is computed: ``local`` (and the names MXNet treats as local)
sums on the device holding the stored value, the CPU the value was
initialised on; ``device``/``nccl`` choose, per key, the least loaded of the
devices the values come from and keep the stored value there, so the work of
many keys spreads over all devices (NCCL itself is not used: there is no
NVLink collective here, the arrays are copied by the engine).
"""
import logging

import numpy as np

from .. import optimizer as opt
from ..base import MXNetError
from ..context import Context
from .. import engine as _engine
from ..engine import Var
from ..ndarray import NDArray
from ..ndarray import ndarray as _nd
from ..ndarray import op as _op
from ..ndarray import sparse as _sparse
from .base import KVStoreBase, key_value_pairs
from .compression import GradientCompression

__all__ = ["KVStore"]

_log = logging.getLogger(__name__)


class KVStore(KVStoreBase):
    """A key-value store for the devices of one process (``mx.kv.create('local')``
    or ``'device'``); the distributed stores extend it."""

    def __init__(self, name="local"):
        self._type = name
        self._by_device = "device" in name or "nccl" in name
        self._store = {}
        self._key_kind = None
        self._merge_ctx = {}
        self._load = {}
        self._updater = None
        self._compression = None
        self._compress_vars = {}
        self._warned_sparse_pull = False

    # -- description -----------------------------------------------------------------------
    @property
    def type(self):
        """The type name given to ``create``."""
        return self._type

    @property
    def rank(self):
        """This worker's index: always 0 in one process."""
        return 0

    @property
    def num_workers(self):
        """The number of workers: 1 in one process."""
        return 1

    def is_capable(self, capability):
        """Whether the store offers ``capability``: it can run the optimizer."""
        if capability.lower() == KVStoreBase.OPTIMIZER:
            return True
        raise ValueError(f"Unknown capability: {capability}")

    def __repr__(self):
        return f"<KVStore {self._type!r}: {len(self._store)} keys>"

    # -- keys -------------------------------------------------------------------------------
    def _pairs(self, key, value, what):
        pairs = key_value_pairs(key, value, what)
        for k, _ in pairs:
            kind = type(k)
            if self._key_kind is None:
                self._key_kind = kind
            elif self._key_kind is not kind:
                raise MXNetError(f"kvstore: mixed key types are not allowed: this store uses "
                                 f"{self._key_kind.__name__} keys, got {k!r}")
        return pairs

    def _stored(self, key):
        try:
            return self._store[key]
        except KeyError:
            raise MXNetError(f"kvstore: key {key!r} has not been initialized (call init or "
                             "broadcast first)") from None

    # -- init / push / pull -----------------------------------------------------------------
    def init(self, key, value):
        """Initialize ``key`` (or each key of a list) with ``value``; a key may
        be initialized only once."""
        for k, vals in self._pairs(key, value, "value"):
            if k in self._store:
                raise MXNetError(f"kvstore: duplicate init of key {k!r}. Please double check "
                                 "if you called kv.init or kv.broadcast with this key multiple "
                                 "times")
            self._store[k] = self._initial_value(k, vals[0])

    def _initial_value(self, key, value):
        ctx = value.context if value.context.device_type == "cpu" else Context("cpu", 0)
        if self._by_device:
            ctx = value.context
        return value.copyto(ctx)

    def push(self, key, value, priority=0):
        """Sum the arrays of ``value`` for ``key`` and store the sum (or update
        the stored value with it, when an updater is set). ``priority`` is
        accepted for compatibility; the engine orders work by data."""
        for k, vals in self._pairs(key, value, "value"):
            self._push_one(k, vals)

    def _push_one(self, key, vals):
        stored = self._stored(key)
        for v in vals:
            if v.shape != stored.shape:
                raise MXNetError(f"kvstore.push: key {key!r} holds shape {stored.shape}, "
                                 f"got a value of shape {v.shape}")
        merged = self._reduce(key, vals, stored)
        self._apply(key, merged, self._store[key])

    def _reduce(self, key, vals, stored):
        """The sum of ``vals`` on the key's merge device (a fresh array unless a
        single value already lives there)."""
        ctx = self._merge_device(key, vals, stored)
        sparse = any(v.stype != "default" for v in vals)
        if self._compression is not None and not sparse:
            vals = [self._compressed(key, i, v) for i, v in enumerate(vals)]
        if len(vals) > 1 and not sparse and ctx.device_typeid == 1 \
                and all(v.context.device_typeid == 1 and v.dtype == stored.dtype for v in vals):
            return _host_sum(vals, ctx)
        vals = [v.as_in_context(ctx) for v in vals]
        vals = [v if v.dtype == stored.dtype else v.astype(stored.dtype) for v in vals]
        if len(vals) == 1:
            return vals[0]
        return _op.add_n(*vals)

    def _merge_device(self, key, vals, stored):
        if not self._by_device:
            return stored.context
        ctx = self._merge_ctx.get(key)
        if ctx is None:
            devices = list(dict.fromkeys(v.context for v in vals))
            ctx = min(devices, key=lambda c: self._load.get(c, 0))
            self._load[ctx] = self._load.get(ctx, 0) + stored.size
            self._merge_ctx[key] = ctx
            if stored.context != ctx:
                self._store[key] = stored.as_in_context(ctx)
        return ctx

    def _compressed(self, key, sender, value):
        """``value`` as the compressed gradient it is sent as (asynchronously:
        one engine operation per value, ordered per (key, sender) so the
        residual sees the pushes in program order)."""
        comp = self._compression
        out = _nd._new(_nd._empty_on(value.context, value.shape, value.dtype), value.context)
        order = self._compress_vars.setdefault((key, sender), Var())

        def run():
            host = _nd._transfer(value._data, value.context, Context("cpu", 0))
            sent = comp.compress(key, sender, host)
            out._data[...] = _nd._transfer(sent, Context("cpu", 0), out.context)

        _nd.run_or_push(run, value.context, [value._var], [out._var, order],
                        "_kvstore_compress")
        return out

    def _apply(self, key, merged, stored):
        """Store ``merged`` for ``key`` (through the updater when one is set)."""
        if self._updater is not None:
            self._updater(key, merged, stored)
        else:
            merged.copyto(stored)

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the value of ``key`` into ``out`` (an NDArray or a list, one per
        device). Sparse outputs are skipped unless ``ignore_sparse=False``
        (use ``row_sparse_pull`` for them)."""
        if out is None:
            raise MXNetError("kvstore.pull: 'out' must be given")
        for k, outs in self._pairs(key, out, "out"):
            self._pull_one(k, outs, ignore_sparse)

    def _pull_one(self, key, outs, ignore_sparse):
        stored = self._stored(key)
        for o in outs:
            if ignore_sparse and o.stype != "default":
                if not self._warned_sparse_pull:
                    self._warned_sparse_pull = True
                    _log.warning("non-default weights detected during kvstore pull. This call "
                                 "has been ignored. Please make sure to use "
                                 "kv.row_sparse_pull() or module.prepare() with row_ids.")
                continue
            if o.shape != stored.shape:
                raise MXNetError(f"kvstore.pull: key {key!r} holds shape {stored.shape}, "
                                 f"got an output of shape {o.shape}")
            copy_on_source(stored, o)

    def pushpull(self, key, value, out=None, priority=0):
        """``push(key, value)`` then ``pull(key, out)``; with ``out=None`` the
        pushed arrays receive the result."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority, ignore_sparse=False)

    def broadcast(self, key, value, out, priority=0):
        """``init(key, value)`` then ``pull(key, out)``."""
        self.init(key, value)
        self.pull(key, out, priority)

    def row_sparse_pull(self, key, out=None, priority=0, row_ids=None):
        """Copy the rows ``row_ids`` of a row_sparse value into ``out`` (a
        row_sparse NDArray or list; ``row_ids`` an NDArray or a list matching
        ``out``). Rows are taken once each, in increasing order."""
        if out is None or row_ids is None:
            raise MXNetError("kvstore.row_sparse_pull: 'out' and 'row_ids' must be given")
        pairs = self._pairs(key, out, "out")
        if isinstance(row_ids, NDArray):
            row_ids = [row_ids]
        n_outs = sum(len(outs) for _, outs in pairs)
        if len(row_ids) == 1 and n_outs > 1:
            row_ids = row_ids * n_outs
        if len(row_ids) != n_outs:
            raise MXNetError(f"kvstore.row_sparse_pull: {n_outs} outputs need as many row_ids, "
                             f"got {len(row_ids)}")
        ids = iter(row_ids)
        for k, outs in pairs:
            stored = self._stored(k)
            if stored.stype != "row_sparse":
                raise MXNetError(f"kvstore.row_sparse_pull: key {k!r} holds a {stored.stype} "
                                 "value; row_sparse_pull expects row_sparse storage")
            for o in outs:
                rid = next(ids)
                if o.stype != "row_sparse":
                    raise MXNetError(f"kvstore.row_sparse_pull: expected row_sparse storage "
                                     f"for the output of key {k!r}, got {o.stype}")
                unique = _nd.array(_unique_rows(rid), ctx=stored.context, dtype="int64")
                _sparse.retain(stored, unique).copyto(o)

    # -- optimizer ------------------------------------------------------------------------
    def set_optimizer(self, optimizer):
        """Run ``optimizer`` on every push: the stored values are the weights
        and the pushed arrays their gradients."""
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater):
        """Call ``updater(key, pushed_sum, stored)`` on every push (an
        ``mx.optimizer.Updater`` or any function of that form)."""
        self._updater = updater

    set_updater = _set_updater

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the updater's states (with the optimizer if ``dump_optimizer``)."""
        self._optimizer_updater("save_optimizer_states")
        with open(fname, "wb") as f:
            f.write(self._updater.get_states(dump_optimizer))

    def load_optimizer_states(self, fname):
        """Restore states written by ``save_optimizer_states``."""
        self._optimizer_updater("load_optimizer_states")
        with open(fname, "rb") as f:
            self._updater.set_states(f.read())

    def _optimizer_updater(self, what):
        if not isinstance(self._updater, opt.Updater):
            raise MXNetError(f"kvstore.{what}: no optimizer runs on this kvstore (call "
                             "set_optimizer first)")

    def set_gradient_compression(self, compression_params):
        """Compress pushed gradients (``{'type': '2bit' or '1bit', 'threshold':
        t}``), keeping the compression error as a residual added to the next
        push. Only ``device`` and distributed stores compress, as in MXNet."""
        if not (self._by_device or "dist" in self._type):
            raise MXNetError("Gradient compression is not supported for this type of "
                             f"kvstore ({self._type!r}); use 'device' or a 'dist_*' type")
        self._compression = GradientCompression(compression_params)

    # -- synchronisation ------------------------------------------------------------------
    def _barrier(self):
        """Wait until every worker gets here (nothing to wait for in one process)."""

    barrier = _barrier

    def _send_command_to_servers(self, head, body):
        """Send a command to the servers (there are none in one process)."""


def copy_on_source(src, dst, defer=False):
    """``src.copyto(dst)``; between dense host arrays, run by the worker of
    ``src``'s device rather than ``dst``'s (``copyto``'s choice).

    A pull copies a value that the store's device has just summed or
    updated to every device. Run by the source's worker, the copies follow
    the update on the same thread, and each other device's worker wakes
    once, for its next forward pass, instead of once per key: on a loaded
    machine every wake-up can wait for a time slice (two cpu devices, LeNet
    at batch 128, load 10: the step's kvstore phase went from 20-27 ms to
    11-14 ms). With ``defer`` the copy always goes through the engine, even
    when nothing is pending."""
    if src.stype != "default" or dst.stype != "default" \
            or not isinstance(src._data, np.ndarray) or not isinstance(dst._data, np.ndarray):
        src.copyto(dst)
        return

    def copy():
        dst._data[...] = src._data

    if defer:
        _engine.get().push(copy, src.context, [src._var], [dst._var], "_kvstore_pull")
    else:
        _nd.run_or_push(copy, src.context, [src._var], [dst._var], "_kvstore_pull")


def _host_sum(vals, ctx):
    """``add_n`` of dense arrays of cpu devices, summed on ``ctx`` straight
    from each device's buffer: cpu devices share the host's memory, so the
    copies to the merge device that ``as_in_context`` makes are not needed.
    One engine operation instead of a copy per device plus the sum, so the
    step waits for fewer hand-offs between the device workers."""
    first = vals[0]
    merged = _nd._new(_nd._empty_on(ctx, first.shape, first._data.dtype), ctx)

    def run():
        out = merged._data
        np.add(vals[0]._data, vals[1]._data, out=out)
        for v in vals[2:]:  # in order, as add_n sums
            np.add(out, v._data, out=out)

    _nd.run_or_push(run, ctx, [v._var for v in vals], [merged._var], "_kvstore_reduce")
    return merged


def _unique_rows(row_ids):
    ids = row_ids.asnumpy() if isinstance(row_ids, NDArray) else np.asarray(row_ids)
    return np.unique(ids.astype(np.int64).reshape(-1))
