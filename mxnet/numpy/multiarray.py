"""``mx.np.ndarray``: the NDArray with NumPy semantics.

It is the same object layout as ``NDArray`` (no extra slots), so an array
changes front end by changing its class, without a copy: ``as_np_ndarray``
and ``as_nd_ndarray`` share data and engine var with the original, as in
MXNet. Operators reach it through ``_op.call``, which runs the registry op
and hands back ``ndarray`` outputs.

What differs from the legacy class: ``dtype`` is a NumPy dtype object,
indexing follows NumPy (``_subscript``), arithmetic and comparisons are the
``mx.np`` functions (NumPy type promotion, bool comparison results), the
methods are NumPy's (``sum(axis, dtype, out, keepdims)``...) and the legacy
methods MXNet's ``mx.np.ndarray`` does not have raise ``AttributeError``.
"""
import warnings

import numpy as _onp

from ..autograd import _state as _ag_state
from ..base import MXNetError
from ..ndarray import invoke as _invoke
from ..ndarray.ndarray import NDArray
from . import _dispatch
from ._inplace import check_inplace_recording

__all__ = ["ndarray"]


_package = []  # [mxnet.numpy], filled on first use


def _np():
    """The ``mxnet.numpy`` package: methods delegate to its functions, which
    are defined in modules imported after this one."""
    if not _package:
        from .. import numpy as mxnp
        _package.append(mxnp)
    return _package[0]


def _adopt(arr):
    """A freshly made legacy result (nothing else refers to it) as an ``ndarray``."""
    arr.__class__ = ndarray
    return arr


class ndarray(NDArray):  # noqa: N801 -- MXNet's (and NumPy's) class name
    """An n-dimensional array on a device, with NumPy's semantics.

    Create one with ``mx.np.array``, ``mx.np.zeros`` and the other creation
    functions, or from a legacy array with ``NDArray.as_np_ndarray()``.
    """
    __slots__ = ()
    # NumPy functions and ufuncs on these arrays run mx.np's (see _dispatch).
    __array_function__ = _dispatch.array_function
    __array_ufunc__ = _dispatch.array_ufunc

    # -- properties --------------------------------------------------------------
    @property
    def dtype(self):
        """The element type as a NumPy dtype object (``dtype('float32')``)."""
        return self._data.dtype

    @property
    def T(self):
        """The array with its axes reversed."""
        return _np().transpose(self)

    @property
    def grad(self):
        """The gradient buffer attached by ``attach_grad`` (an ``ndarray``
        sharing its memory), else None."""
        g = self._grad
        if g is None or g.stype != "default":  # a sparse buffer of a legacy view stays as is
            return g
        return as_np(g)

    # -- conversions -------------------------------------------------------------
    def as_nd_ndarray(self):
        """This array as a legacy ``mx.nd.NDArray`` (shares data, no copy)."""
        return as_legacy(self)

    def as_np_ndarray(self):
        """This array (already an ``mx.np.ndarray``)."""
        return self

    def item(self, *args):
        """One element as a Python scalar: the only one (no arguments), or the
        one at a flat index or a tuple of indices, as ``numpy.ndarray.item``."""
        return self.asnumpy().item(*args)

    def tolist(self):
        """The values as nested Python lists of Python scalars."""
        return self.asnumpy().tolist()

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        """A copy cast to ``dtype``; with ``copy=False`` the array itself when it
        already has that dtype. Only the defaults of ``order``, ``casting`` and
        ``subok`` are supported, as in MXNet."""
        if order != "K" or casting != "unsafe" or subok is not True:
            raise NotImplementedError("astype: only order='K', casting='unsafe' and "
                                      "subok=True are supported")
        dtype = _onp.dtype(dtype)
        if not copy and dtype == self._data.dtype:
            return self
        return _adopt(NDArray.astype(self, dtype))

    def copy(self, order="C"):
        """A deep copy on the same device (only C order, as in MXNet)."""
        if order != "C":
            raise NotImplementedError(f"copy: only order='C' is supported, got {order!r}")
        return self.copyto(self._ctx)

    def copyto(self, other):
        """Copy into array ``other`` (returned) or to a new array on Context ``other``."""
        res = NDArray.copyto(self, other)
        return res if res is other else _adopt(res)

    def as_in_ctx(self, ctx):
        """This array if it is on ``ctx``, else a copy there."""
        if self._ctx == ctx:
            return self
        return self.copyto(ctx)

    as_in_context = as_in_ctx

    def detach(self):
        """The same data, cut from the autograd graph."""
        return _adopt(NDArray.detach(self))

    # -- Python protocols --------------------------------------------------------
    def __repr__(self):
        return _format_repr(self)

    def __str__(self):
        return str(self.asnumpy())

    def __format__(self, spec):
        # As NumPy: a 0-d array formats as its value ('{:.2f}'.format(loss)).
        return format(self.asnumpy() if self.ndim else self.item(), spec)

    def __bool__(self):
        size = self.size
        if size == 0:
            warnings.warn("The truth value of an empty array is ambiguous. Returning False, "
                          "but in future this will result in an error.", DeprecationWarning,
                          stacklevel=2)
            return False
        if size == 1:
            return bool(self.item())
        raise ValueError("The truth value of an ndarray with multiple elements is ambiguous.")

    __nonzero__ = __bool__

    def _scalar(self, kind):
        if self.size != 1:
            raise TypeError(f"only size-1 arrays can be converted to Python scalars "
                            f"({kind}() of an array of shape {self.shape})")
        return self.item()

    def __float__(self):
        return float(self._scalar("float"))

    def __int__(self):
        return int(self._scalar("int"))

    def __index__(self):
        if self.ndim or self._data.dtype.kind not in "iu":
            raise TypeError(f"only integer scalar arrays can be converted to a scalar index "
                            f"(got shape {self.shape}, dtype {self._data.dtype})")
        return int(self.item())

    def __len__(self):
        if not self.ndim:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    def __hash__(self):
        raise NotImplementedError("mxnet.numpy.ndarray is unhashable, as in MXNet")

    def __reduce__(self):
        return ndarray, (None,), self.__getstate__()

    def __getitem__(self, key):
        from ._subscript import getitem
        return getitem(self, key)

    def __setitem__(self, key, value):
        from ._subscript import setitem
        setitem(self, key, value)

    # -- methods that are mx.np functions -----------------------------------------
    def reshape(self, *args, **kwargs):
        """The array with a new shape: ``a.reshape(2, 3)``, ``a.reshape((2, 3))``,
        one dimension may be -1; ``order`` is 'C' (the only order MXNet has)."""
        order = kwargs.pop("order", "C")
        if kwargs:
            raise TypeError(f"reshape: unexpected keyword arguments {sorted(kwargs)}")
        if len(args) == 1 and isinstance(args[0], (tuple, list)):
            args = tuple(args[0])
        return _np().reshape(self, args, order=order)

    def transpose(self, *axes):
        """The array with axes permuted: ``a.transpose()``, ``a.transpose(1, 0)``
        or ``a.transpose((1, 0))``."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _np().transpose(self, axes or None)

    def reshape_view(self, *shape, **kwargs):
        """A view with a new shape, sharing memory with this array; takes the
        legacy ``reshape`` codes (0 keeps a dimension, -1 infers one...)."""
        return _adopt(NDArray.reshape(self, *shape, **kwargs))

    def flatten(self, order="C"):
        """A 1-d copy of the array."""
        return _np().reshape(self, (-1,), order=order)

    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        """Sum of elements over ``axis`` (all by default)."""
        return _np().sum(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        """Mean of elements over ``axis`` (all by default)."""
        return _np().mean(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        """Product of elements over ``axis`` (all by default)."""
        return _np().prod(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def max(self, axis=None, out=None, keepdims=False):
        """Largest element over ``axis`` (all by default)."""
        return _np().max(self, axis=axis, out=out, keepdims=keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        """Smallest element over ``axis`` (all by default)."""
        return _np().min(self, axis=axis, out=out, keepdims=keepdims)

    def all(self, axis=None, out=None, keepdims=False):
        """Whether every element over ``axis`` is true."""
        return _np().all(self, axis=axis, out=out, keepdims=keepdims)

    def any(self, axis=None, out=None, keepdims=False):
        """Whether some element over ``axis`` is true."""
        return _np().any(self, axis=axis, out=out, keepdims=keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        """Standard deviation over ``axis`` with ``ddof`` delta degrees of freedom."""
        return _np().std(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        """Variance over ``axis`` with ``ddof`` delta degrees of freedom."""
        return _np().var(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def argmax(self, axis=None, out=None):
        """Index of the largest element (flat, or along ``axis``)."""
        return _np().argmax(self, axis=axis, out=out)

    def argmin(self, axis=None, out=None):
        """Index of the smallest element (flat, or along ``axis``)."""
        return _np().argmin(self, axis=axis, out=out)

    def cumsum(self, axis=None, dtype=None, out=None):
        """Cumulative sum (flattened, or along ``axis``)."""
        return _np().cumsum(self, axis=axis, dtype=dtype, out=out)

    def clip(self, min=None, max=None, out=None):  # noqa: A002 -- NumPy's names
        """Values limited to [``min``, ``max``]."""
        return _np().clip(self, min, max, out=out)

    def round(self, decimals=0, out=None, **kwargs):
        """Values rounded to ``decimals`` decimals (halves to even)."""
        return _np().round(self, decimals=decimals, out=out, **kwargs)

    def dot(self, b, out=None):
        """Dot product with ``b``."""
        return _np().dot(self, b, out=out)

    def take(self, indices, axis=None, mode="raise"):
        """Elements at ``indices`` (of the flattened array, or along ``axis``)."""
        return _np().take(self, indices, axis=axis, mode=mode)

    def repeat(self, repeats, axis=None):
        """Each element repeated ``repeats`` times (flattened, or along ``axis``)."""
        return _np().repeat(self, repeats, axis=axis)

    def swapaxes(self, axis1, axis2):
        """The array with ``axis1`` and ``axis2`` interchanged."""
        return _np().swapaxes(self, axis1, axis2)

    def squeeze(self, axis=None):
        """The array without its length-1 axes (or only those in ``axis``)."""
        return _np().squeeze(self, axis=axis)

    def nonzero(self):
        """Indices of the non-zero elements, one int64 array per dimension."""
        return _np().nonzero(self)

    def sort(self, axis=-1, kind=None, order=None):
        """A sorted copy along ``axis``."""
        return _np().sort(self, axis=axis, kind=kind, order=order)

    def argsort(self, axis=-1, kind=None, order=None):
        """Indices that sort the array along ``axis``."""
        return _np().argsort(self, axis=axis, kind=kind, order=order)

    def broadcast_to(self, shape):
        """The array broadcast to ``shape``."""
        return _np().broadcast_to(self, shape)

    def broadcast_like(self, other):
        """The array broadcast to the shape of ``other``."""
        return _np().broadcast_to(self, other.shape)


def _binary(name, reflected=False):
    def method(self, other):
        fn = getattr(_np(), name)
        return fn(other, self) if reflected else fn(self, other)
    method.__name__ = f"__{'r' if reflected else ''}{name}__"
    return method


def _inplace(name):
    def method(self, other):
        if not self.writable:
            raise ValueError("trying to modify a read-only ndarray")
        if _ag_state.recording:
            check_inplace_recording(self, other)
        return getattr(_np(), name)(self, other, out=self)
    return method


def _unary(name):
    def method(self):
        return getattr(_np(), name)(self)
    return method


# Python operator -> mx.np function, with its reflected and in-place forms.
_ARITHMETIC = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
               "div": "true_divide", "mod": "mod", "pow": "power", "matmul": "matmul",
               "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor"}
_COMPARISONS = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                "gt": "greater", "ge": "greater_equal"}
_UNARY = {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert",
          "ceil": "ceil", "floor": "floor", "trunc": "trunc"}
# MXNet's mx.np.ndarray has neither // nor the reflected bitwise operators.
_NO_REFLECTED = ("and", "or", "xor")


def _attach_operators():
    for op, fn in _ARITHMETIC.items():
        setattr(ndarray, f"__{op}__", _binary(fn))
        if op not in _NO_REFLECTED:
            setattr(ndarray, f"__r{op}__", _binary(fn, reflected=True))
        setattr(ndarray, f"__i{op}__", _inplace(fn))
    for op, fn in _COMPARISONS.items():
        setattr(ndarray, f"__{op}__", _binary(fn))
    for op, fn in _UNARY.items():
        setattr(ndarray, f"__{op}__", _unary(fn))
    ndarray.__round__ = lambda self, ndigits=0: _np().round(self, decimals=ndigits or 0)


class _Absent:
    """A legacy NDArray method that MXNet's ``mx.np.ndarray`` does not have:
    reading it raises ``AttributeError`` (so ``hasattr`` is False)."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, obj, owner=None):
        raise AttributeError(f"mxnet.numpy.ndarray object has no attribute {self.name}")


# Legacy methods that MXNet 1.9.1's mx.np.ndarray rejects.
_ABSENT = (
    "abs", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "argmax_channel",
    "asscalar", "broadcast_axes", "cbrt", "ceil", "cos", "cosh", "degrees", "depth_to_space",
    "diag", "exp", "expand_dims", "expm1", "fix", "flip", "floor", "log", "log10", "log1p",
    "log2", "log_softmax", "nanprod", "nansum", "norm", "one_hot", "ones_like", "pad", "pick",
    "radians", "rcbrt", "reciprocal", "relu", "reshape_like", "rint", "rsqrt", "shape_array",
    "sigmoid", "sign", "sin", "sinh", "size_array", "slice", "slice_axis", "slice_like",
    "softmax", "softmin", "space_to_depth", "split", "split_v2", "sqrt", "square", "tan",
    "tanh", "tile", "topk", "trunc", "zeros_like", "tostype",
)


def _attach_absent():
    for name in _ABSENT:
        absent = _Absent()
        absent.__set_name__(ndarray, name)
        setattr(ndarray, name, absent)


_attach_operators()
_attach_absent()
ndarray.__module__ = "mxnet.numpy"  # its public path, as MXNet (pickles name it too)


def _format_repr(arr):
    """MXNet's repr: NumPy's, where float32 (the default dtype) and bool carry no
    ``dtype=`` and every other dtype does; arrays off the cpu add ``ctx=``."""
    text = repr(arr.asnumpy())
    dtype = arr._data.dtype
    if "dtype=" in text:
        if dtype == _onp.float32:
            text = text[:text.rindex(",")] + ")"
    elif dtype not in (_onp.float32, _onp.bool_):
        text = f"{text[:-1]}, dtype={dtype})"
    if arr._ctx.device_type != "cpu":
        text = f"{text[:-1]}, ctx={arr._ctx})"
    return text


def as_np(arr):
    """``arr``'s data as an ``mx.np.ndarray`` sharing storage, var and
    autograd entry (dense arrays only: mx.np has no sparse storage)."""
    if type(arr) is ndarray:
        return arr
    if arr.stype != "default":
        raise _NotDense(f"as_np_ndarray: cannot convert an array of storage type "
                        f"{arr.stype!r} to mx.np.ndarray; expected 'default' (call "
                        f"tostype('default') first)")
    return _view(arr, ndarray)


class _NotDense(MXNetError, ValueError):
    """A sparse array given where a dense one is needed (MXNet raises ValueError)."""


def as_legacy(arr):
    """``arr``'s data as a legacy ``NDArray`` sharing storage, var and
    autograd entry."""
    if type(arr) is NDArray:
        return arr
    return _view(arr, NDArray)


def _view(arr, cls):
    out = object.__new__(cls)
    out._data = arr._data
    out._ctx = arr._ctx
    out._var = arr._var
    out._ag_node = arr._ag_node
    out._ag_index = arr._ag_index
    out._grad = arr._grad
    out._grad_req = arr._grad_req
    out._fresh_grad = arr._fresh_grad
    return out


_invoke._np_ndarray = ndarray  # invoke's fast path takes mx.np arrays as it takes NDArrays
