"""Memory descriptors, primitives bound to NumPy arrays, and the primitive cache.

A ``Primitive`` wraps a oneDNN primitive created for the exact layouts of the
arrays its callers pass (shape and strides, so channels-last views and the
transposed weights of Deconvolution bind without copies). Where the
primitive prefers another layout (the blocked formats its fast kernels use),
it reorders the argument into a per-thread buffer before running, or out of
it afterwards for outputs; a constant input can be reordered once (``pack``)
and passed already in that layout. Primitives are built once per
(operator, shapes, strides, parameters) key and kept in an LRU cache of
``MXNET_ONEDNN_CACHE_NUM`` entries (default 1024). A key oneDNN has no
implementation for, or only its slow reference code (``ref:*``), is
remembered as None, so its callers fall back to NumPy at once.

Between the oneDNN kernels of a compiled program an activation may stay in
the primitive's layout: a ``Blocked`` tensor (a byte buffer and its interned
``Layout``), bound without a reorder by the next primitive that wants that
layout and reordered (to that layout, or plain) otherwise.

The engine is created once; streams and reorder buffers are per thread, so
engine workers on different devices run primitives concurrently.
"""
import collections
import ctypes
import os
import sys
import threading

import numpy as np

from . import library as L

_lib = None
_engine = None
_local = threading.local()
_ALIGN = 64


def init(lib):
    """Create the CPU engine of ``lib`` (a ``library.Library``)."""
    global _lib, _engine
    engine = ctypes.c_void_p()
    L.call(lib.engine_create, ctypes.byref(engine), L.CPU, 0)
    _lib, _engine = lib, engine


def _stream():
    stream = getattr(_local, "stream", None)
    if stream is None:
        stream = ctypes.c_void_p()
        L.call(_lib.stream_create, ctypes.byref(stream), _engine, L.STREAM_DEFAULT)
        _local.stream = stream
    return stream


def _buffer(role, nbytes):
    """This thread's reusable, 64-byte aligned scratch buffer for ``role`` (an address)."""
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    entry = buffers.get(role)
    if entry is None or entry[0].size < nbytes + _ALIGN:
        buf = np.empty(nbytes + _ALIGN, dtype=np.uint8)
        address = buf.ctypes.data
        entry = buffers[role] = (buf, address + (-address) % _ALIGN)
    return entry[1]


_char = ctypes.c_char


def address(a):
    """Address of the first element of array ``a``. NumPy's ``a.ctypes.data``
    builds a helper object and costs ~3x more than taking the address of a
    ctypes view of the buffer, which works for writable C-contiguous arrays
    (all the pooled outputs and buffers a compiled step passes); others
    take NumPy's way."""
    try:
        return ctypes.addressof(_char.from_buffer(a))
    except (TypeError, ValueError, BufferError):
        return a.ctypes.data


# ----------------------------------------------------------------------------------------
# memory descriptors
# ----------------------------------------------------------------------------------------

class MemoryDesc:
    """An owned ``dnnl_memory_desc_t`` of float32 data."""
    __slots__ = ("handle",)

    def __init__(self, handle):
        self.handle = handle

    def __del__(self):
        if _lib is not None:
            _lib.memory_desc_destroy(self.handle)


def strided_md(shape, strides):
    """Descriptor of float32 data of ``shape`` with element ``strides``."""
    handle = ctypes.c_void_p()
    L.call(_lib.memory_desc_create_with_strides, ctypes.byref(handle), len(shape),
           L.dims(shape), L.F32, L.dims(strides))
    return MemoryDesc(handle)


def tag_md(shape, tag=L.FORMAT_ANY):
    """Descriptor with a format tag: ``FORMAT_ANY`` lets the primitive choose."""
    handle = ctypes.c_void_p()
    L.call(_lib.memory_desc_create_with_tag, ctypes.byref(handle), len(shape),
           L.dims(shape), L.F32, tag)
    return MemoryDesc(handle)


_layouts_of = {}  # (shape, byte strides, item size) -> layout


def layout(a):
    """(shape, element strides) of array ``a``: the part of a cache key it
    decides. Remembered by shape and byte strides: every kernel call builds
    keys from a few of these, and the division was most of their cost."""
    key = (a.shape, a.strides, a.itemsize)
    found = _layouts_of.get(key)
    if found is None:
        if len(_layouts_of) >= 4096:
            _layouts_of.clear()
        found = _layouts_of[key] = (a.shape, tuple([s // a.itemsize for s in a.strides]))
    return found


def _reorder_now(reorder, src_md, src, dst_md, dst):
    """Run ``reorder`` (a ``_Reorder``) from array ``src`` to array ``dst`` and wait."""
    stream = _stream()
    src_mem = _memory(src_md, src.ctypes.data)
    try:
        dst_mem = _memory(dst_md, dst.ctypes.data)
        try:
            _execute(reorder.prim, stream, [(L.ARG_SRC, src_mem), (L.ARG_DST, dst_mem)])
            L.call(_lib.stream_wait, stream)
        finally:
            _lib.memory_destroy(dst_mem)
    finally:
        _lib.memory_destroy(src_mem)


# ----------------------------------------------------------------------------------------
# reused output buffers
# ----------------------------------------------------------------------------------------

# Outputs of at least this many bytes come from the pool. A new large array
# is fresh memory from the kernel: the primitive writing it first takes a
# page fault per page (VGG-11 at batch 16: ~5000 faults, ~0.1-0.3 s of system
# time per image batch), which reused buffers avoid.
POOL_MIN_BYTES = 1 << 18
# Most bytes of buffers a thread's pool holds (in use or free).
POOL_MAX_BYTES = int(os.environ.get("MXNET_ONEDNN_POOL_MB", "2048") or 2048) << 20


class _Pool:
    """One thread's large buffers by size. A buffer is free again once
    nothing but the pool refers to it: every array made from it (the
    aligned slice, its float32 views, a caller's reshape) holds its base,
    so the reference count tells, whoever dropped it and wherever."""
    __slots__ = ("by_size", "nbytes")

    def __init__(self):
        self.by_size, self.nbytes = {}, 0

    def take(self, nbytes):
        entries = self.by_size.get(nbytes)
        if entries is None:
            entries = self.by_size[nbytes] = []
        for raw in entries:
            # references: the list, ``raw`` and getrefcount's argument
            if sys.getrefcount(raw) == 3:
                return raw
        raw = np.empty(nbytes + _ALIGN, dtype=np.uint8)
        if self.nbytes + raw.nbytes <= POOL_MAX_BYTES:
            entries.append(raw)
            self.nbytes += raw.nbytes
        return raw


def release_buffers():
    """Drop this thread's pooled output buffers (arrays still in use keep theirs)."""
    _local.pool = _Pool()


def _aligned(nbytes, pooled=True):
    """A 64-byte aligned uint8 buffer of ``nbytes`` (from this thread's pool
    when large and ``pooled``), whose contents are undefined."""
    if nbytes < POOL_MIN_BYTES or not pooled:
        raw = np.empty(nbytes + _ALIGN, dtype=np.uint8)
    else:
        pool = getattr(_local, "pool", None)
        if pool is None:
            pool = _local.pool = _Pool()
        raw = pool.take(nbytes)
    start = (-raw.ctypes.data) % _ALIGN
    return raw[start:start + nbytes]


def empty(shape):
    """A C-contiguous float32 array of ``shape`` to write an output into
    (pooled like ``_aligned``)."""
    count = 1
    for n in shape:
        count *= n
    if count * 4 < POOL_MIN_BYTES:
        return np.empty(shape, np.float32)
    return _aligned(count * 4).view(np.float32).reshape(shape)


# ----------------------------------------------------------------------------------------
# layouts and tensors held in them
# ----------------------------------------------------------------------------------------

class Layout:
    """One memory layout oneDNN chose (an owned copy of its descriptor).
    Layouts are interned: two primitives wanting equal descriptors share one
    ``Layout`` object, so ``is`` tells whether a tensor fits as it is."""
    __slots__ = ("md", "nbytes", "_reorders")

    def __init__(self, handle):
        self.md = MemoryDesc(ctypes.c_void_p())
        L.call(_lib.memory_desc_clone, ctypes.byref(self.md.handle), handle)
        self.nbytes = _lib.memory_desc_get_size(handle)
        self._reorders = {}  # target Layout, or the plain shape -> (_Reorder, target md)

    def reorder(self, buf, target, shape):
        """``buf`` (this layout) reordered into a new buffer: a C-contiguous
        float32 array of ``shape`` when ``target`` is None, else a uint8
        buffer in Layout ``target``."""
        key = shape if target is None else target
        entry = self._reorders.get(key)
        out = empty(shape) if target is None else _aligned(target.nbytes)
        if entry is None:  # a benign race: two threads build equal reorders
            md = strided_md(*layout(out)) if target is None else target.md
            entry = self._reorders[key] = (_Reorder(self.md.handle, md.handle), md)
        _reorder_now(entry[0], self.md.handle, buf, entry[1].handle, out)
        return out

    def reorder_in(self, a):
        """Array ``a`` (float32, any strides) reordered into a new buffer of this layout."""
        key = ("from", layout(a))
        entry = self._reorders.get(key)
        out = _aligned(self.nbytes)
        if entry is None:  # a benign race, as in ``reorder``
            md = strided_md(*layout(a))
            entry = self._reorders[key] = (_Reorder(md.handle, self.md.handle), md)
        _reorder_now(entry[0], entry[1].handle, a, self.md.handle, out)
        return out


_layouts = []
_layouts_lock = threading.Lock()


def intern_layout(handle):
    """The ``Layout`` equal to descriptor ``handle`` (created on first sight).
    Called when primitives are built, never per run."""
    with _layouts_lock:
        for known in _layouts:
            if _lib.memory_desc_equal(known.md.handle, handle):
                return known
        known = Layout(handle)
        _layouts.append(known)
        return known


class Blocked:
    """A float32 tensor held in a oneDNN layout (e.g. nChw16c) between two
    oneDNN kernels of a compiled program: a byte buffer, its ``Layout`` and
    the logical (plain) shape. It answers ``shape``, ``dtype``, ``size``,
    ``ndim``, ``itemsize`` and ``strides`` as the C-contiguous array it
    stands for, so cache keys and size tests treat both alike. Conversions
    (``plain``, ``to``) are made once per tensor: several readers share them."""
    __slots__ = ("buf", "layout", "shape", "strides", "size", "_as")
    dtype = np.dtype(np.float32)
    itemsize = 4

    def __init__(self, buf, layout_, shape):
        self.buf, self.layout, self.shape = buf, layout_, tuple(shape)
        strides, step = [], 4
        for n in reversed(self.shape):
            strides.append(step)
            step *= n
        self.strides = tuple(reversed(strides))
        self.size = step // 4
        self._as = None

    @property
    def ndim(self):
        return len(self.shape)

    def _converted(self, target):
        if self._as is None:
            self._as = {}
        found = self._as.get(target)
        if found is None:
            found = self._as[target] = self.layout.reorder(self.buf, target, self.shape)
        return found

    def plain(self):
        """The tensor as a C-contiguous NumPy array (not to be written)."""
        return self._converted(None)

    def to(self, target):
        """The tensor in Layout ``target`` (itself when it is there already)."""
        if target is self.layout:
            return self
        return Blocked(self._converted(target), target, self.shape)

    def forget_conversions(self):
        """Drop the conversions made so far: the buffer is about to be overwritten."""
        self._as = None

    def copy(self):
        """A copy in the same layout (a new buffer)."""
        buf = _aligned(self.buf.size)
        np.copyto(buf, self.buf)
        return Blocked(buf, self.layout, self.shape)


def blocked_from(a, target):
    """Array ``a`` as a ``Blocked`` tensor in Layout ``target``: one reorder
    for an input that several primitives read in that layout."""
    return Blocked(target.reorder_in(a), target, a.shape)


def plain(a):
    """``a`` as a NumPy array (a ``Blocked`` tensor is reordered)."""
    return a.plain() if type(a) is Blocked else a



# ----------------------------------------------------------------------------------------
# primitives
# ----------------------------------------------------------------------------------------

def create_pd(name, *args):
    """A primitive descriptor from ``dnnl_<name>_primitive_desc_create(pd, engine,
    *args)``; ``MemoryDesc`` arguments pass their handles. The last argument
    is the primitive attribute: None means the default ``Attr()``."""
    pd = ctypes.c_void_p()
    # ``args`` keeps the descriptors alive through the call: a temporary
    # argument (``tag_md(...)``) may have no other reference, and its
    # handle must not be destroyed before oneDNN reads it.
    handles = [a.handle if isinstance(a, (MemoryDesc, Attr)) else a for a in args]
    if handles[-1] is None:
        handles[-1] = _default_attr().handle
    L.call(getattr(_lib, name + "_primitive_desc_create"), ctypes.byref(pd), _engine, *handles)
    return pd


def destroy_pd(pd):
    """Release a primitive descriptor not handed to a ``Primitive``."""
    _lib.primitive_desc_destroy(pd)


class Attr:
    """A ``dnnl_primitive_attr_t`` (copied into each descriptor made with it).

    Every primitive here takes its scratchpad from the caller (user mode),
    bound to a per-thread buffer at execution: with oneDNN's own (library)
    scratchpad, one primitive run from two engine workers at once (the same
    layer on cpu(0) and cpu(1)) shares it and can hang. ``post_ops`` is a
    chain of ``("sum",)`` and ``("eltwise", alg, alpha, beta)`` entries, in
    order."""
    __slots__ = ("handle", "_ops")

    def __init__(self, post_ops=()):
        self.handle = ctypes.c_void_p()
        self._ops = None
        L.call(_lib.primitive_attr_create, ctypes.byref(self.handle))
        L.call(_lib.primitive_attr_set_scratchpad_mode, self.handle, L.SCRATCHPAD_MODE_USER)
        if post_ops:
            self._ops = ctypes.c_void_p()
            L.call(_lib.post_ops_create, ctypes.byref(self._ops))
            for entry in post_ops:
                if entry[0] == "sum":
                    L.call(_lib.post_ops_append_sum, self._ops, 1.0, 0, L.DATA_TYPE_UNDEF)
                else:
                    L.call(_lib.post_ops_append_eltwise, self._ops, *entry[1:])
            L.call(_lib.primitive_attr_set_post_ops, self.handle, self._ops)

    def __del__(self):
        if _lib is not None:
            if self._ops is not None:
                _lib.post_ops_destroy(self._ops)
            _lib.primitive_attr_destroy(self.handle)


_default = []


def _default_attr():
    if not _default:
        _default.append(Attr())
    return _default[0]


class _Reorder:
    """A reorder primitive between two descriptors."""
    __slots__ = ("pd", "prim")

    def __init__(self, src_md, dst_md):
        self.pd = ctypes.c_void_p()
        L.call(_lib.reorder_primitive_desc_create, ctypes.byref(self.pd), src_md, _engine,
               dst_md, _engine, None)
        self.prim = ctypes.c_void_p()
        L.call(_lib.primitive_create, ctypes.byref(self.prim), self.pd)

    def __del__(self):
        if _lib is not None:
            _lib.primitive_destroy(self.prim)
            _lib.primitive_desc_destroy(self.pd)


def _memory(md, address):
    mem = ctypes.c_void_p()
    L.call(_lib.memory_create, ctypes.byref(mem), md, _engine, ctypes.c_void_p(address))
    return mem


def _execute(prim, stream, bindings):
    args = (L.ExecArg * len(bindings))(*bindings)
    _execute_args(prim, stream, args)


def _execute_args(prim, stream, args):
    L.call(_lib.primitive_execute, prim, stream, len(args), args)


class _Bindings:
    """One thread's memory objects for one primitive, by role (an (arg id,
    kind) pair), each with the address it points at, and the argument
    arrays built from them. Creating memory objects, repointing them and
    building argument arrays at every call cost more than the call's other
    work: a compiled step passes the same pooled buffers run after run, so
    most calls repoint nothing and reuse their argument array."""
    __slots__ = ("mems", "_args")

    def __init__(self):
        self.mems = {}   # role -> [memory object, address]
        self._args = {}  # ((arg id, id(memory object)), ...) -> ExecArg array

    def bind(self, role, md, where):
        """The memory object of ``role`` (descriptor ``md``) pointed at address ``where``."""
        entry = self.mems.get(role)
        if entry is None:
            entry = self.mems[role] = [_memory(md, where), where]
        elif entry[1] != where:
            L.call(_lib.memory_set_data_handle, entry[0], where)
            entry[1] = where
        return entry[0]

    def exec_args(self, bindings):
        """The ``ExecArg`` array of ``bindings`` ((arg id, memory object) pairs)."""
        # Memory objects live as long as ``self``: their ids stand for them.
        key = tuple([(arg, id(mem)) for arg, mem in bindings])
        found = self._args.get(key)
        if found is None:
            found = self._args[key] = (L.ExecArg * len(bindings))(*bindings)
        return found

    def destroy(self):
        for mem, _ in self.mems.values():
            _lib.memory_destroy(mem)


class Primitive:
    """A oneDNN primitive for arguments of given layouts.

    ``user`` maps argument ids (``library.ARG_*``) to the descriptors of the
    arrays callers will pass; ``outputs`` lists the ids written, ``updated``
    those read and then written (the destination of a ``sum`` post-op).
    Arguments the primitive wants in another layout go through reorders;
    ``internal`` ids (workspace) are bound to per-thread buffers of the size
    it asks for.
    """

    def __init__(self, pd, user, outputs=(), internal=(), updated=(), blocked=()):
        self.pd = pd
        self._threads = {}  # thread id -> its _Bindings, see ``_bindings``
        self.prim = ctypes.c_void_p()
        L.call(_lib.primitive_create, ctypes.byref(self.prim), pd)
        self.user = user
        self.outputs = frozenset(outputs) | frozenset(updated)
        self.reorders = {}
        self.reorders_in = {}
        # arg id -> the Layout a Blocked tensor must have to bind without a reorder
        self.layouts = {arg: intern_layout(user[arg].handle) for arg in blocked}
        for arg, md in user.items():
            want = _lib.primitive_desc_query_md(pd, L.QUERY_EXEC_ARG_MD, arg)
            if not _lib.memory_desc_equal(md.handle, want):
                src, dst = (want, md.handle) if arg in self.outputs else (md.handle, want)
                self.reorders[arg] = (_Reorder(src, dst), want,
                                      _lib.memory_desc_get_size(want))
                self.layouts[arg] = intern_layout(want)
                if arg in updated:
                    self.reorders_in[arg] = _Reorder(md.handle, want)
        self.internal = {}
        for arg in tuple(internal) + (L.ARG_SCRATCHPAD,):
            md = _lib.primitive_desc_query_md(pd, L.QUERY_EXEC_ARG_MD, arg)
            size = _lib.memory_desc_get_size(md) if md else 0
            if size:
                self.internal[arg] = (md, size)

    def __del__(self):
        if _lib is not None:
            for bindings in self._threads.values():
                bindings.destroy()
            _lib.primitive_destroy(self.prim)
            _lib.primitive_desc_destroy(self.pd)

    def impl_name(self):
        """oneDNN's name of the implementation it picked (e.g. 'brg:avx512_core')."""
        out = ctypes.c_char_p()
        L.call(_lib.primitive_desc_query, self.pd, L.QUERY_IMPL_INFO_STR, 0, ctypes.byref(out))
        return out.value.decode()

    def pack(self, arg, a):
        """Input ``a`` reordered once into the layout the primitive wants for
        ``arg`` (a new aligned buffer to pass with ``packed``), or None when
        it takes ``a`` as it is. For constant inputs: weights at inference."""
        reorder = self.reorders.get(arg)
        if reorder is None or arg in self.outputs:
            return None
        rp, want, nbytes = reorder
        packed = _aligned(nbytes, pooled=False)  # kept as long as the weights
        _reorder_now(rp, self.user[arg].handle, a, want, packed)
        return packed

    def blocks(self, arg):
        """The ``Layout`` the primitive keeps ``arg`` in when it is not the
        caller's plain layout, else None."""
        return self.layouts.get(arg)

    def _bindings(self):
        """The calling thread's ``_Bindings`` of this primitive."""
        ident = threading.get_ident()
        found = self._threads.get(ident)
        if found is None:
            found = self._threads[ident] = _Bindings()
        return found

    def __call__(self, arrays, internal=None, packed=(), keep=()):
        """Run on ``arrays`` ({arg id: NumPy array in the layout given at creation,
        or a ``Blocked`` tensor}).

        ``internal`` ({arg id: uint8 array}) binds internal arguments to caller
        buffers (a workspace kept from forward to backward); the others get
        per-thread buffers. The arrays of the arg ids in ``packed`` come from
        ``pack`` and are bound without a reorder, and so are ``Blocked``
        tensors already in the wanted layout (others are made plain first).
        Outputs named in ``keep`` that the primitive holds in a blocked
        layout are left there, in new buffers: they are returned as
        ``{arg id: Blocked}`` (their NumPy arrays are then not written; an
        updated one is read from its given array or ``Blocked`` tensor)."""
        stream = _stream()
        bound = self._bindings()
        bind = bound.bind
        bindings = []
        after = []
        kept = {}
        for arg, a in arrays.items():
            if type(a) is Blocked:
                want = self.layouts.get(arg)
                if want is not None:
                    a = a.to(want)
                    bindings.append((arg, bind((arg, "blocked"), want.md.handle,
                                               address(a.buf))))
                    if arg in keep:
                        kept[arg] = a
                    continue
                a = a.plain()
            if arg in packed:
                bindings.append((arg, bind((arg, "packed"), self.reorders[arg][1], address(a))))
                continue
            reorder = self.reorders.get(arg)
            if reorder is None:
                bindings.append((arg, bind((arg, "user"), self.user[arg].handle, address(a))))
                continue
            rp, want, nbytes = reorder
            if arg in keep and arg in self.outputs and arg not in self.reorders_in:
                # The result stays in the primitive's layout: ``a`` is never touched.
                buf = _aligned(nbytes)
                kept[arg] = Blocked(buf, self.layouts[arg], a.shape)
                bindings.append((arg, bind((arg, "inner"), want, address(buf))))
                continue
            mem = bind((arg, "user"), self.user[arg].handle, address(a))
            if arg in keep:
                buf = _aligned(nbytes)
                kept[arg] = Blocked(buf, self.layouts[arg], a.shape)
                inner_address = address(buf)
            else:
                inner_address = _buffer(arg, nbytes)
            inner = bind((arg, "inner"), want, inner_address)
            if arg in self.outputs:
                if arg not in keep:
                    after.append((rp, inner, mem))
                if arg in self.reorders_in:
                    _execute(self.reorders_in[arg].prim, stream,
                             [(L.ARG_SRC, mem), (L.ARG_DST, inner)])
            else:
                _execute(rp.prim, stream, [(L.ARG_SRC, mem), (L.ARG_DST, inner)])
            bindings.append((arg, inner))
        for arg, (md, nbytes) in self.internal.items():
            given = None if internal is None else internal.get(arg)
            where = _buffer(arg, nbytes) if given is None else address(given)
            bindings.append((arg, bind((arg, "internal"), md, where)))
        _execute_args(self.prim, stream, bound.exec_args(bindings))
        for rp, inner, mem in after:
            _execute(rp.prim, stream, [(L.ARG_SRC, inner), (L.ARG_DST, mem)])
        L.call(_lib.stream_wait, stream)
        return kept

    def direct_roles(self, kinds):
        """How a call whose arguments ``kinds`` ({arg id: 'blocked' for a
        ``Blocked`` tensor in the wanted layout, 'plain' for an array in the
        layout given at creation, 'packed' for ``pack``'s result, 'kept' for
        an output left in the primitive's layout}) binds each of them as it
        is, with no reorder before or after: a list of (arg id, role,
        descriptor) for ``run_direct``, or None when some argument needs a
        reorder."""
        roles = []
        for arg, kind in kinds.items():
            reorder = self.reorders.get(arg)
            if kind == "blocked" and arg in self.layouts:
                roles.append((arg, (arg, "blocked"), self.layouts[arg].md.handle))
            elif kind == "packed" and reorder is not None and arg not in self.outputs:
                roles.append((arg, (arg, "packed"), reorder[1]))
            elif kind == "kept" and reorder is not None and arg in self.outputs \
                    and arg not in self.reorders_in:
                roles.append((arg, (arg, "inner"), reorder[1]))
            elif kind == "plain" and reorder is None:
                roles.append((arg, (arg, "user"), self.user[arg].handle))
            else:
                return None
        return roles

    def run_direct(self, roles, addresses):
        """Run with the arguments of ``roles`` (from ``direct_roles``) at
        ``addresses`` (in the same order), internal ones in this thread's
        buffers: what ``__call__`` does for such a call, without working
        out each argument's way in."""
        stream = _stream()
        bound = self._bindings()
        bind = bound.bind
        bindings = [(arg, bind(role, md, where))
                    for (arg, role, md), where in zip(roles, addresses)]
        for arg, (md, nbytes) in self.internal.items():
            bindings.append((arg, bind((arg, "internal"), md, _buffer(arg, nbytes))))
        _execute_args(self.prim, stream, bound.exec_args(bindings))
        L.call(_lib.stream_wait, stream)

    def internal_size(self, arg):
        """Bytes of internal argument ``arg`` (0 when the primitive has none)."""
        entry = self.internal.get(arg)
        return 0 if entry is None else entry[1]


# ----------------------------------------------------------------------------------------
# the cache
# ----------------------------------------------------------------------------------------

def _is_reference(prim):
    parts = prim if isinstance(prim, tuple) else (prim,)
    return any(p is not None and p.impl_name().startswith("ref") for p in parts)


class PrimitiveCache:
    """LRU map from a key to a built ``Primitive`` (or None: no implementation)."""

    def __init__(self, capacity):
        self.capacity = capacity
        self._items = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        """The primitive for ``key``, built with ``build()`` on a miss; None when
        oneDNN has no implementation for it."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        try:
            prim = build()
        except L.DnnlError as exc:
            if exc.status not in (2, 3):  # only 'invalid arguments' / 'unimplemented'
                raise
            prim = None
        if _is_reference(prim):
            prim = None  # oneDNN's reference code is slower than the NumPy kernels
        with self._lock:
            self._items[key] = prim
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return prim

    def clear(self):
        with self._lock:
            self._items.clear()

    def __len__(self):
        return len(self._items)


cache = PrimitiveCache(max(1, int(os.environ.get("MXNET_ONEDNN_CACHE_NUM", "1024") or 1024)))
