"""``mx.np`` shape manipulation (reshape, transpose, squeeze, broadcast_to, tile,
repeat, roll, flip, rot90, copy) and joining/splitting/padding (concatenate,
stack, split, pad, append).

Each function follows NumPy's signature and ends in an ``_np_*``/``_npi_*``
operator (``ops/np_shape.py``, ``ops/np_join.py``), so results are new arrays,
autograd records them and hybridized blocks get graph nodes.
"""
import numpy as onp

from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ..ops.np_join import pad_pairs
from ._args import array_arg as _arr
from ._args import is_symbol as _is_symbol
from ._indexing import *  # noqa: F401,F403 -- part of this family, kept in its own file
from ._indexing import __all__ as _indexing_all
from ._op import call

__all__ = ["reshape", "ravel", "transpose", "swapaxes", "moveaxis", "rollaxis", "expand_dims",
           "squeeze", "broadcast_to", "broadcast_arrays", "atleast_1d", "atleast_2d",
           "atleast_3d", "concatenate", "stack", "vstack", "row_stack", "hstack", "dstack",
           "column_stack", "split", "array_split", "hsplit", "vsplit", "dsplit", "tile",
           "repeat", "roll", "flip", "fliplr", "flipud", "rot90", "pad", "copy",
           "append"] + _indexing_all


def _arrays(seq, fname):
    if isinstance(seq, NDArray) or not isinstance(seq, (list, tuple)):
        raise MXNetError(f"{fname}: expects a list or tuple of arrays, got "
                         f"{type(seq).__name__}")
    if not seq:
        raise MXNetError(f"{fname}: needs at least one array")
    return [_arr(a, fname, "arrays") for a in seq]


def _axes(value):
    """An int or a sequence of ints as a tuple."""
    if isinstance(value, (int, onp.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


# -- shape and axes ---------------------------------------------------------------------------
def reshape(a, newshape, order="C", out=None):
    """``a``'s elements in shape ``newshape`` (one entry may be -1: inferred), read
    and written in C (row-major) or F (column-major) ``order``."""
    return call("_np_reshape", [_arr(a, "reshape")],
                {"newshape": _axes(newshape), "order": order}, out=out)


def ravel(x, order="C"):
    """The elements of ``x`` as a 1-d array."""
    return reshape(x, (-1,), order)


def transpose(a, axes=None):
    """``a`` with its axes permuted by ``axes`` (reversed when None)."""
    return call("_np_transpose", [_arr(a, "transpose")],
                {"axes": None if axes is None else _axes(axes)})


def swapaxes(a, axis1, axis2):
    """``a`` with axes ``axis1`` and ``axis2`` exchanged."""
    return call("_npi_swapaxes", [_arr(a, "swapaxes")], {"dim1": axis1, "dim2": axis2})


def moveaxis(a, source, destination):
    """``a`` with axes ``source`` moved to positions ``destination``; the others
    keep their order."""
    return call("_np_moveaxis", [_arr(a, "moveaxis")],
                {"source": _axes(source), "destination": _axes(destination)})


def rollaxis(a, axis, start=0):
    """``a`` with axis ``axis`` moved to sit before position ``start``."""
    a = _arr(a, "rollaxis")
    n = a.ndim
    if not -n <= axis < n:
        raise MXNetError(f"rollaxis: argument 'axis' {axis} is out of range for {n}-d input")
    if not -n <= start <= n:
        raise MXNetError(f"rollaxis: argument 'start' {start} must lie in [{-n}, {n}]")
    axis, start = axis % n, start % (n + 1) if start < 0 else start
    order = [i for i in range(n) if i != axis]
    order.insert(start - 1 if axis < start else start, axis)
    return transpose(a, tuple(order))


def expand_dims(a, axis):
    """``a`` with a size-1 axis inserted at ``axis`` (or at each of a tuple of axes,
    positions counted in the result)."""
    a = _arr(a, "expand_dims")
    if isinstance(axis, (int, onp.integer)):
        return call("_npi_expand_dims", [a], {"axis": int(axis)})
    n = a.ndim + len(axis)
    new = {int(x) % n if -n <= x < n else None for x in axis}
    if None in new or len(new) != len(axis):
        raise MXNetError(f"expand_dims: argument 'axis' {tuple(axis)} must hold distinct "
                         f"axes of the {n}-d result")
    rest = iter(a.shape)
    return reshape(a, tuple(1 if i in new else next(rest) for i in range(n)))


def squeeze(a, axis=None, out=None):
    """``a`` without its size-1 axes (only those in ``axis`` when given)."""
    return call("_np_squeeze", [_arr(a, "squeeze")],
                {"axis": None if axis is None else _axes(axis)}, out=out)


def broadcast_to(array, shape):
    """``array`` broadcast (NumPy's rules) to ``shape``, as a new array."""
    return call("_npi_broadcast_to", [_arr(array, "broadcast_to", "array")],
                {"shape": _axes(shape)})


def broadcast_arrays(*args):
    """The arrays broadcast against each other to their common shape."""
    arrays = _arrays(list(args), "broadcast_arrays")
    try:
        shape = onp.broadcast_shapes(*[x.shape for x in arrays])
    except ValueError:
        raise MXNetError("broadcast_arrays: shapes " + ", ".join(str(x.shape) for x in arrays)
                         + " cannot be broadcast together") from None
    return [x if x.shape == shape else broadcast_to(x, shape) for x in arrays]


def _atleast(ndim, arys):
    arrays = _arrays(list(arys), f"atleast_{ndim}d")
    res = call(f"_np_atleast_{ndim}d", arrays, {"num_args": len(arrays)})
    return list(res) if _is_symbol(res) and len(arrays) > 1 else res


def atleast_1d(*arys):
    """Each array with at least 1 dimension (0-d becomes shape (1,)); a list for
    several arrays."""
    return _atleast(1, arys)


def atleast_2d(*arys):
    """Each array with at least 2 dimensions (new axes in front)."""
    return _atleast(2, arys)


def atleast_3d(*arys):
    """Each array with at least 3 dimensions: (N,) becomes (1, N, 1), (M, N) (M, N, 1)."""
    return _atleast(3, arys)


# -- joining ----------------------------------------------------------------------------------
def _join(op, seq, fname, out=None, **attrs):
    arrays = _arrays(seq, fname)
    return call(op, arrays, {"num_args": len(arrays), **attrs}, out=out)


def concatenate(seq, axis=0, out=None):
    """The arrays joined along ``axis`` (flattened first when ``axis`` is None); they
    must share a dtype."""
    if axis is None:
        seq = [ravel(a) for a in _arrays(seq, "concatenate")]
        axis = 0
    return _join("_npi_concatenate", seq, "concatenate", out, axis=axis)


def stack(arrays, axis=0, out=None):
    """Same-shaped arrays joined along a new axis ``axis``."""
    return _join("_npi_stack", arrays, "stack", out, axis=axis)


def vstack(arrays, out=None):
    """Arrays stacked as rows (1-d arrays become rows)."""
    return _join("_npi_vstack", arrays, "vstack", out)


def row_stack(arrays):
    """The same as ``vstack``."""
    return vstack(arrays)


def hstack(arrays):
    """Arrays joined along their second axis (the first for 1-d arrays)."""
    return _join("_npi_hstack", arrays, "hstack")


def dstack(arrays):
    """Arrays joined along their third axis ((N,) and (M, N) inputs get size-1 axes)."""
    return _join("_npi_dstack", arrays, "dstack")


def column_stack(tup):
    """Arrays joined as columns of a 2-d result (1-d arrays become columns)."""
    return _join("_npi_column_stack", tup, "column_stack")


def append(arr, values, axis=None):
    """``values`` appended to ``arr`` along ``axis`` (both flattened when None)."""
    return concatenate([_arr(arr, "append", "arr"), _arr(values, "append", "values")], axis)


# -- splitting --------------------------------------------------------------------------------
def _split(op, ary, indices_or_sections, axis, fname, equal):
    ary = _arr(ary, fname, "ary")
    if isinstance(indices_or_sections, (int, onp.integer)) and _is_symbol(ary):
        # The axis length is known only to the graph, which checks the division.
        attrs = {"indices": (), "sections": int(indices_or_sections)}
    elif isinstance(indices_or_sections, (int, onp.integer)):
        sections = int(indices_or_sections)
        size = ary.shape[axis] if ary.ndim else 0
        if sections <= 0:
            raise ValueError(f"{fname}: number of sections must be larger than 0")
        if size % sections == 0:
            attrs = {"indices": (), "sections": sections}
        elif equal:
            raise ValueError(f"{fname}: array split does not result in an equal division")
        else:
            each, extra = divmod(size, sections)
            sizes = [each + 1] * extra + [each] * (sections - extra)
            attrs = {"indices": tuple(onp.cumsum([0] + sizes[:-1]).tolist()), "sections": 0}
    else:
        attrs = {"indices": (0,) + tuple(int(i) for i in indices_or_sections), "sections": 0}
    res = call(op, [ary], {**attrs, "axis": axis})
    if _is_symbol(res):
        return list(res)
    return res if isinstance(res, list) else [res]


def split(ary, indices_or_sections, axis=0):
    """``ary`` split along ``axis`` into equal parts (an int; ValueError when they
    would differ) or at the given increasing indices."""
    return _split("_npi_split", ary, indices_or_sections, axis, "split", True)


def array_split(ary, indices_or_sections, axis=0):
    """Like ``split``, but a section count need not divide the axis: the first parts
    get one element more."""
    return _split("_npi_split", ary, indices_or_sections, axis, "array_split", False)


def _min_ndim(ary, ndim, fname):
    """``ary`` after checking its rank (a Symbol's is checked by the graph's op)."""
    ary = _arr(ary, fname, "ary")
    if not _is_symbol(ary) and ary.ndim < ndim:
        raise ValueError(f"{fname} only works on arrays of {ndim} or more dimensions")
    return ary


def hsplit(ary, indices_or_sections):
    """``split`` along the second axis (the first for 1-d arrays; the op picks it)."""
    ary = _min_ndim(ary, 1, "hsplit")
    axis = 1 if _is_symbol(ary) or ary.ndim > 1 else 0
    return _split("_npi_hsplit", ary, indices_or_sections, axis, "hsplit", True)


def vsplit(ary, indices_or_sections):
    """``split`` along the first axis of an array of 2 or more dimensions."""
    ary = _min_ndim(ary, 2, "vsplit")
    return _split("_npi_split", ary, indices_or_sections, 0, "vsplit", True)


def dsplit(ary, indices_or_sections):
    """``split`` along the third axis of an array of 3 or more dimensions."""
    ary = _min_ndim(ary, 3, "dsplit")
    return _split("_npi_dsplit", ary, indices_or_sections, 2, "dsplit", True)


# -- repetition and reordering ----------------------------------------------------------------
def tile(A, reps):  # noqa: N803 -- NumPy's parameter name
    """``A`` repeated ``reps[i]`` times along axis i (axes added in front as needed)."""
    return call("_npi_tile", [_arr(A, "tile", "A")], {"reps": _axes(reps)})


def repeat(a, repeats, axis=None):
    """Each element of ``a`` repeated ``repeats`` times along ``axis`` (over the
    flattened array when None)."""
    if not isinstance(repeats, (int, onp.integer)):
        raise MXNetError(f"repeat: argument 'repeats' expects an int, got {repeats!r}")
    return call("_np_repeat", [_arr(a, "repeat")], {"repeats": int(repeats), "axis": axis})


def roll(a, shift, axis=None):
    """Elements of ``a`` shifted cyclically by ``shift`` along ``axis`` (over the
    flattened array when None)."""
    return call("_np_roll", [_arr(a, "roll")],
                {"shift": _axes(shift), "axis": None if axis is None else _axes(axis)})


def flip(m, axis=None, out=None):
    """``m`` with the order of elements reversed along ``axis`` (every axis when None)."""
    return call("_npi_flip", [_arr(m, "flip", "m")],
                {"axis": None if axis is None else _axes(axis)}, out=out)


def fliplr(m):
    """``m`` (2-d or more) with its second axis reversed."""
    m = _arr(m, "fliplr", "m")
    if not _is_symbol(m) and m.ndim < 2:
        raise MXNetError("fliplr: the input must have at least 2 dimensions")
    return flip(m, 1)


def flipud(m):
    """``m`` (1-d or more) with its first axis reversed."""
    m = _arr(m, "flipud", "m")
    if not _is_symbol(m) and m.ndim < 1:
        raise MXNetError("flipud: the input must have at least 1 dimension")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    """``m`` rotated by 90 degrees ``k`` times in the plane ``axes`` (from the first
    axis towards the second)."""
    return call("_npi_rot90", [_arr(m, "rot90", "m")], {"k": k, "axes": _axes(axes)})


def pad(x, pad_width=None, mode="constant", **kwargs):
    """``x`` padded with ``pad_width`` elements before and after each axis. Modes:
    'constant' (``constant_values``, default 0), 'edge', 'maximum', 'minimum',
    'reflect', 'symmetric'; only 'constant' is differentiable, as in MXNet."""
    constant = kwargs.pop("constant_values", 0)
    reflect_type = kwargs.pop("reflect_type", "even")
    if kwargs:
        raise TypeError(f"pad: unexpected arguments {sorted(kwargs)}")
    x = _arr(x, "pad", "x")
    if pad_width is None:
        raise MXNetError("pad: argument 'pad_width' is required")
    # A Symbol's rank is known only to the graph: the op expands the shorthands there.
    pairs = _nested_tuple(pad_width) if _is_symbol(x) else \
        tuple(pad_pairs("pad", pad_width, x.ndim))
    return call("_npi_pad", [x], {"pad_width": pairs, "mode": mode, "constant_value": constant,
                                  "reflect_type": reflect_type})


def _nested_tuple(value):
    if isinstance(value, (list, tuple)):
        return tuple(_nested_tuple(v) for v in value)
    return int(value)


def copy(a, out=None):
    """A copy of ``a``."""
    return call("_np_copy", [_arr(a, "copy")], out=out)
