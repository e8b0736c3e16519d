"""The NDArray: a device array with an engine var and an autograd entry.

An NDArray owns a backing array of its device's array module (NumPy on cpu)
in ``_data``, allocated when the array is created; while engine operations
writing it are pending, everything that reads the values waits on ``_var``
first. Views
(``x[1]``, ``x[2:5]``, ``x.reshape(...)``) share their base's var, so the
engine orders writes through any of them.

Operators reach NDArray through ``invoke``; methods here are the
conversions, properties and Python protocols. Arithmetic, fluent methods and
indexing are attached in ``arithmetic.py``, ``fluent.py`` and ``indexing.py``.
"""
import numpy as np

from .. import autograd as _autograd
from .. import engine as _engine
from ..base import MXNetError, mx_real_t, numeric_types
from ..context import Context, current_context
from ..engine import Var

__all__ = ["NDArray", "array"]
_object_new = object.__new__


def _new(data, ctx, var=None):
    """Wrap a backing array (no copy). The fast constructor used by invoke."""
    arr = _object_new(NDArray)
    arr._data = data
    arr._ctx = ctx
    arr._var = Var() if var is None else var
    arr._ag_node = None
    arr._ag_index = 0
    arr._grad = None
    arr._grad_req = "null"
    arr._fresh_grad = False
    return arr


class NDArray:
    """An n-dimensional array on a device, MXNet's central data type.

    Create one with ``mx.nd.array``, ``mx.nd.zeros`` and the other creation
    functions; operators return new NDArrays. Operations run asynchronously:
    ``asnumpy``, ``wait_to_read`` and ``mx.nd.waitall`` wait for results.
    """
    __slots__ = ("_data", "_ctx", "_var", "_ag_node", "_ag_index", "_grad", "_grad_req",
                 "_fresh_grad", "__weakref__")
    __array_priority__ = 1000.0
    _stype = "default"

    def __init__(self, handle, writable=True, ctx=None):
        data = handle._arr() if isinstance(handle, NDArray) else np.asarray(handle)
        self._reset(data, ctx or current_context())

    def _reset(self, data, ctx):
        """Hold ``data`` on ``ctx`` as a fresh array: new var, no autograd state."""
        self._data = data
        self._ctx = ctx
        self._var = Var()
        self._ag_node = None
        self._ag_index = 0
        self._grad = None
        self._grad_req = "null"
        self._fresh_grad = False

    # -- waiting and data access ------------------------------------------------
    def _arr(self):
        """The backing array, after all pending writes to it have finished."""
        if self._var.pending or self._var.exc is not None:
            _engine._engine.wait_to_read(self._var)
        return self._data

    def wait_to_read(self):
        """Block until every pending write of this array has finished (on a GPU:
        until the device has computed it).

        Raises the error of a failed operation that wrote it, as MXNetError."""
        var = self._var
        if var.pending or var.exc is not None:
            _engine._engine.wait_to_read(var)
        if self._ctx.device_typeid != 1:
            from ..device import synchronize
            synchronize(self._ctx)

    def _wait_to_write(self):
        if self._var.pending or self._var.exc is not None:
            _engine._engine.wait_to_write(self._var)

    # -- properties --------------------------------------------------------------
    @property
    def shape(self):
        """Tuple of dimension sizes."""
        return self._data.shape

    @property
    def dtype(self):
        """The element type, as a NumPy scalar type (``numpy.float32``)."""
        return self._data.dtype.type

    @property
    def size(self):
        """Number of elements."""
        return self._data.size

    @property
    def ndim(self):
        """Number of dimensions."""
        return self._data.ndim

    @property
    def context(self):
        """The device the array lives on."""
        return self._ctx

    ctx = context

    @property
    def stype(self):
        """Storage type: ``'default'`` for dense arrays."""
        return self._stype

    @property
    def handle(self):
        """This array (there is no C handle; kept for code that passes it around)."""
        return self

    @property
    def writable(self):
        return True

    @property
    def grad(self):
        """The gradient buffer attached by ``attach_grad``, else None."""
        return self._grad

    @property
    def T(self):
        """Transpose (reversed axes)."""
        from . import op
        return op.transpose(self)

    # -- conversion --------------------------------------------------------------
    def asnumpy(self):
        """A NumPy copy of the values (waits for pending writes)."""
        data = self._arr()
        if type(data) is np.ndarray:
            return data.copy()
        from ..device import to_numpy
        return to_numpy(data, self._ctx)

    def __array__(self, dtype=None, copy=None):
        data = self.asnumpy()
        return data if dtype is None else data.astype(dtype, copy=False)

    def asscalar(self):
        """The value of a one-element array as a NumPy scalar."""
        if self.size != 1:
            raise MXNetError(f"asscalar: the array must have exactly one element, "
                             f"got shape {self.shape}")
        return self.asnumpy().reshape(-1)[0]

    def astype(self, dtype, copy=True):
        """A copy with elements cast to ``dtype``; ``copy=False`` returns ``self``
        when the dtype already matches."""
        if not copy and np.dtype(dtype) == self._data.dtype:
            return self
        from . import op
        return op.Cast(self, dtype=np.dtype(dtype).name)

    def as_np_ndarray(self):
        """This array as an ``mx.np.ndarray`` (NumPy semantics); shares data,
        engine var and gradient with ``self``, no copy."""
        from ..numpy.multiarray import as_np
        return as_np(self)

    def as_nd_ndarray(self):
        """This array as a legacy ``NDArray`` (it already is one)."""
        return self

    def copy(self):
        """A deep copy on the same device."""
        return self.copyto(self._ctx)

    def copyto(self, other):
        """Copy into NDArray ``other`` (returned) or to a new array on Context ``other``."""
        if isinstance(other, NDArray):
            if other is self:
                return other
            if other.shape != self.shape:
                raise MXNetError(f"copyto: shape mismatch, source {self.shape} vs "
                                 f"target {other.shape}")
            if other._stype != "default":
                from .sparse import assign
                return assign(other, self)
            target = other
        elif isinstance(other, Context):
            target = _new(_empty_on(other, self.shape, self._data.dtype), other)
        else:
            raise MXNetError(f"copyto: 'other' must be an NDArray or Context, "
                             f"got {type(other).__name__}")
        src_ctx = self._ctx

        def copy():
            target._data[...] = _transfer(self._data, src_ctx, target._ctx)

        run_or_push(copy, target._ctx, [self._var], [target._var], "_copyto")
        if _autograd.is_recording():
            source = _autograd._source(self)
            if source is not None:
                _autograd._attach(_autograd.Node("_copyto", None, None, _copy_back, None,
                                                 [source], None), [self], [target])
        return target

    def as_in_context(self, context):
        """This array if it is already on ``context``, else a copy there."""
        if self._ctx == context:
            return self
        return self.copyto(context)

    def as_nd_ndarray(self):
        """This array: it already is a classic NDArray (MXNet returns ``self``
        here too; the conversion matters for ``mx.np`` arrays)."""
        return self

    def tostype(self, stype):
        """Convert storage type (``'default'``, ``'row_sparse'``, ``'csr'``)."""
        from . import op
        return op.cast_storage(self, stype=stype)

    def to_dlpack_for_read(self):
        """A DLPack capsule of the values, after pending writes finish."""
        return self._arr().__dlpack__()

    def to_dlpack_for_write(self):
        """A DLPack capsule for writing, after pending reads and writes finish."""
        self._wait_to_write()
        return self._data.__dlpack__()

    def __dlpack__(self, stream=None):
        return self._arr().__dlpack__()

    def __dlpack_device__(self):
        return self._arr().__dlpack_device__()

    # -- autograd ----------------------------------------------------------------
    def attach_grad(self, grad_req="write", stype=None):
        """Allocate a gradient buffer and mark this array as a variable to
        differentiate with respect to. ``grad_req`` is write, add or null."""
        from . import op
        grad = op.zeros_like(self)
        if stype is not None and stype != "default":
            grad = grad.tostype(stype)
        _autograd.mark_variables([self], [grad], grad_req)

    def detach(self):
        """The same data, cut from the autograd graph."""
        return _new(self._data, self._ctx, self._var)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Compute gradients of this array w.r.t. the variables it depends on."""
        _autograd.backward([self], None if out_grad is None else [out_grad],
                           retain_graph=retain_graph, train_mode=train_mode)

    # -- Python protocols --------------------------------------------------------
    def __repr__(self):
        shape_info = "x".join(str(d) for d in self.shape)
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape_info} @{self._ctx}>"

    def __len__(self):
        if not self.shape:
            raise MXNetError("len() of a 0-d NDArray")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        size = self.size
        if size == 0:
            return False
        if size == 1:
            return bool(self.asnumpy().reshape(-1)[0])
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    def __hash__(self):
        return id(self)

    def __getstate__(self):
        # MXNet's pickled form: the raw bytes of one array record, so pickles
        # (e.g. Trainer states) move between MXNet and this package.
        from .serialization import dumps_array
        item = self.asnumpy()
        ctx = (self._ctx.device_typeid, self._ctx.device_id)
        return {"handle": bytearray(dumps_array(item, ctx))}

    def __reduce__(self):
        return NDArray, (None,), self.__getstate__()

    def __setstate__(self, state):
        from .serialization import loads_array
        item = loads_array(state["handle"])
        if isinstance(item, tuple):
            raise MXNetError("unpickling a sparse array into a dense NDArray")
        ctx = current_context()  # MXNet restores pickles onto the current device
        self._reset(item if ctx.device_typeid == 1 else _from_host(item, ctx)._data, ctx)

    # -- shape views -------------------------------------------------------------
    def reshape(self, *shape, **kwargs):
        """A view with a new shape. Accepts MXNet's special codes: 0 copies a
        dimension, -1 infers one, -2 copies the rest, -3 merges two, -4 splits
        one in two; ``reverse=True`` applies them right to left."""
        from ..ops.shape_codes import infer_reshape
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        shape = kwargs.pop("shape", shape)
        reverse = kwargs.pop("reverse", False)
        if kwargs:
            raise MXNetError(f"reshape: unknown arguments {sorted(kwargs)}")
        new_shape = infer_reshape("reshape", self.shape, tuple(shape), reverse)
        view = _new(self._arr().reshape(new_shape), self._ctx, self._var)
        if _autograd.is_recording():
            from ..ops import registry
            op = registry.get("Reshape")
            _autograd._record(op, op.parse({"shape": new_shape}), [self], [view])
        return view



def _copy_back(inputs, outputs, out_grads):
    return [out_grads[0].as_in_context(inputs[0].context)]


def _transfer(data, src, dst):
    """``data`` of device ``src`` as an array of ``dst`` (the caller copies it
    into its target, so within one device, or between cpus, the array itself
    will do)."""
    if src == dst or (src.device_typeid == 1 and dst.device_typeid == 1):
        return data
    from ..device import from_numpy, to_numpy
    return from_numpy(to_numpy(data, src), dst)


def _empty_on(ctx, shape, dtype):
    if ctx.device_typeid == 1:
        return np.empty(shape, dtype)
    from ..device import empty
    return empty(shape, dtype, ctx)


def run_or_push(fn, ctx, read_vars, write_vars, name):
    """Run ``fn`` now if none of the vars has pending work, else push it; either
    way each written var's version moves on once ``fn`` has run."""
    for v in read_vars:
        if v.pending:
            break
    else:
        for v in write_vars:
            if v.pending:
                break
        else:
            fn()
            for v in write_vars:
                v.version += 1
            return
    _engine._engine.push(fn, ctx, read_vars, write_vars, name)


def _silent_cast():
    """Values out of the target dtype's range (1e20 as float16, nan as int32) convert as
    MXNet's C copy does, to inf or the integer it gives, without NumPy's RuntimeWarning."""
    return np.errstate(over="ignore", invalid="ignore")


def array(source_array, ctx=None, dtype=None):
    """An NDArray from a list, NumPy array, scalar or NDArray (a copy).

    The dtype is ``dtype`` if given, the source's if it is an NDArray, and
    float32 otherwise (also for NumPy sources, as in MXNet)."""
    ctx = ctx or current_context()
    if isinstance(source_array, NDArray):
        dtype = dtype or source_array.dtype
        data = source_array.asnumpy()
    else:
        dtype = mx_real_t if dtype is None else dtype
        if isinstance(source_array, numeric_types) or isinstance(source_array, np.ndarray):
            data = source_array
        else:
            try:
                with _silent_cast():
                    data = np.array(source_array, dtype=dtype)
            except (TypeError, ValueError) as e:
                raise MXNetError(f"array: cannot convert {type(source_array).__name__} "
                                 f"to an NDArray: {e}") from None
    try:
        with _silent_cast():
            data = np.array(data, dtype=np.dtype(dtype))
    except TypeError as e:
        raise MXNetError(f"array: invalid dtype {dtype!r}: {e}") from None
    return _from_host(data, ctx)


def _from_host(data, ctx):
    """An NDArray on ``ctx`` holding NumPy array ``data`` (not copied on cpu)."""
    if ctx.device_typeid != 1:
        from ..device import from_numpy
        data = from_numpy(data, ctx)
    return _new(data, ctx)
