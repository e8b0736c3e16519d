"""``_npi_insert_scalar``/``_npi_insert_slice``/``_npi_insert_tensor``: NumPy's insert.

The three ops are MXNet's split of ``np.insert`` by the kind of ``obj``: one
position (``int_ind``), a slice (``start:stop:step``) or an index array (the
``obj`` input). The values come as the ``values`` input, or as the number
``val``. One plan serves all three: where each inserted slice lands, and the
block of values broadcast to the inserted shape, following NumPy's rules (a
single position takes all of the values, whose first axis then runs along
``axis`` when the position was a plain int). The result is the input and the
block interleaved; the gradient takes them apart again (``_backward_npi_insert``,
whose own gradient is the insert), which MXNet does not offer.
"""
import math

import numpy as np

from ..base import MXNetError
from ..device import to_numpy
from .params import Param
from .registry import register
from .shape import norm_axis

_PARAMS = {
    "val": Param("float", None, "The value to insert when no 'values' input is given."),
    "start": Param("int", None, "Slice start of the insertion points (_npi_insert_slice)."),
    "stop": Param("int", None, "Slice stop of the insertion points."),
    "step": Param("int", None, "Slice step of the insertion points."),
    "int_ind": Param("int", None, "The one insertion point (_npi_insert_scalar)."),
    "axis": Param("int", None, "The axis (None: the flattened array).")}
_KINDS = ("_npi_insert_scalar", "_npi_insert_slice", "_npi_insert_tensor")


def _input_names(kind, attrs):
    values = ("values",) if attrs.val is None else ()
    return ("arr",) + values + (("obj",) if kind == "_npi_insert_tensor" else ())


def _split_inputs(kind, attrs, ins):
    """(arr, values or None, obj or None) from a call's inputs."""
    names = _input_names(kind, attrs)
    got = dict(zip(names, ins))
    return got["arr"], got.get("values"), got.get("obj")


def _positions(kind, attrs, n, obj):
    """Host insertion points: 0-d for int_ind (NumPy's scalar case), else 1-d."""
    if kind == "_npi_insert_scalar":
        if attrs.int_ind is None:
            raise MXNetError(f"{kind}: argument 'int_ind' is required")
        idx = np.array(attrs.int_ind)
    elif kind == "_npi_insert_slice":
        return np.arange(n)[slice(attrs.start, attrs.stop, attrs.step)]
    else:
        idx = (obj if isinstance(obj, np.ndarray) else to_numpy(obj)).astype(np.int64)
        if idx.ndim > 1:
            raise MXNetError(f"{kind}: obj must be 0-d or 1-d, got shape {idx.shape}")
    if idx.size and (idx.min() < -n or idx.max() > n):
        raise MXNetError(f"{kind}: insertion point out of bounds for an axis of size {n}")
    return np.where(idx < 0, idx + n, idx)


class _Plan:
    """Where an insert puts things, from shapes and host positions only."""

    def __init__(self, kind, attrs, arr_shape, values_shape, idx):
        if attrs.axis is None:
            self.axis, self.seen = 0, (math.prod(arr_shape),)
        else:
            self.axis = norm_axis(kind, attrs.axis, len(arr_shape))
            self.seen = tuple(arr_shape)
        ndim, axis = len(self.seen), self.axis
        values_shape = tuple(values_shape)
        # The values with leading axes added up to arr's rank, then (``moved``) their
        # first axis turned to run along ``axis``: NumPy's rule for a plain int point.
        self.lifted = (1,) * (ndim - len(values_shape)) + values_shape
        self.moved = idx.ndim == 0
        self.placed = self.lifted
        if self.moved:
            lifted = self.lifted
            self.placed = lifted[1:axis + 1] + lifted[:1] + lifted[axis + 1:]
        if idx.size == 1:  # one point takes all the values
            count = self.placed[axis]
            where = np.repeat(idx.reshape(-1), count)
        else:
            count, where = idx.size, idx
        self.block = self.seen[:axis] + (count,) + self.seen[axis + 1:]
        if len(self.placed) > ndim or any(v not in (1, b) for v, b in zip(self.placed,
                                                                           self.block)):
            raise MXNetError(f"{kind}: values of shape {values_shape} do not fit the "
                             f"inserted block {self.block}")
        n = self.seen[axis]
        # Inserted slice j goes to its point plus the count of inserted slices sorted
        # before it; the original slices fill the remaining places in order.
        order = np.argsort(where, kind="stable")
        self.new_at = np.empty(count, dtype=np.int64)
        self.new_at[order] = where[order] + np.arange(count)
        self.old_at = np.setdiff1d(np.arange(n + count), self.new_at)
        self.out = self.seen[:axis] + (n + count,) + self.seen[axis + 1:]


def _plan(kind, attrs, arr, values, obj):
    values_shape = () if values is None else values.shape
    n = (math.prod(arr.shape) if attrs.axis is None else
         arr.shape[norm_axis(kind, attrs.axis, arr.ndim)])
    return _Plan(kind, attrs, arr.shape, values_shape, _positions(kind, attrs, n, obj))


def _index(axis, ndim, positions):
    index = [slice(None)] * ndim
    index[axis] = positions
    return tuple(index)


def _insert_compute(kind):
    def compute(xp, attrs, *ins):
        arr, values, obj = _split_inputs(kind, attrs, ins)
        plan = _plan(kind, attrs, arr, values, obj)
        fill = xp.asarray(attrs.val if values is None else values).astype(arr.dtype)
        out = xp.empty(plan.out, dtype=arr.dtype)
        out[_index(plan.axis, len(plan.out), xp.asarray(plan.old_at))] = arr.reshape(plan.seen)
        fill = fill.reshape(plan.lifted)
        if plan.moved:
            fill = xp.moveaxis(fill, 0, plan.axis)
        block = xp.broadcast_to(fill, plan.block)
        out[_index(plan.axis, len(plan.out), xp.asarray(plan.new_at))] = block
        return out
    compute.__doc__ = ("`arr` with the values inserted before the points along `axis` (of "
                       "the flattened array when None), as NumPy's insert.")
    return compute


def _insert_shape(kind):
    def infer(attrs, shapes):
        names = _input_names(kind, attrs)
        got = dict(zip(names, shapes))
        if any(s is None for s in shapes):
            return shapes, [None]
        arr_shape = tuple(got["arr"])
        n = (math.prod(arr_shape) if attrs.axis is None else
             arr_shape[norm_axis(kind, attrs.axis, len(arr_shape))])
        if kind == "_npi_insert_tensor":
            idx = np.zeros(got["obj"], dtype=np.int64)  # the shape alone fixes the count
        else:
            idx = _positions(kind, attrs, n, None)
        plan = _Plan(kind, attrs, arr_shape, got.get("values", ()), idx)
        return shapes, [plan.out]
    return infer


def _insert_gradient(kind):
    def rule(F, attrs, ins, outs, g):
        grads = F._internal._backward_npi_insert(g[0], *ins, kind=kind, **_kwargs(attrs))
        if attrs.val is not None:  # one output: the gradient of arr
            return [grads] + [None] * (len(ins) - 1)
        return [grads[0], grads[1]] + [None] * (len(ins) - 2)
    return rule


def _kwargs(attrs):
    return {k: attrs[k] for k in _PARAMS}


for _kind in _KINDS:
    register(_kind, inputs=("arr", "values", "obj") if _kind == "_npi_insert_tensor"
             else ("arr", "values"),
             active_inputs=lambda attrs, k=_kind: _input_names(k, attrs), params=_PARAMS,
             infer_shape=_insert_shape(_kind), infer_type=lambda attrs, t: (t, [t[0]]),
             gradient=_insert_gradient(_kind))(_insert_compute(_kind))


def _sum_to(xp, x, shape):
    """``x`` summed over the axes where ``shape`` (same rank) has size 1 but x does not."""
    axes = tuple(i for i, (a, b) in enumerate(zip(x.shape, shape)) if b == 1 and a != 1)
    return x.sum(axis=axes, keepdims=True) if axes else x


def _backward_outputs(attrs):
    return 2 if attrs.val is None else 1


def _grad_of_backward(F, attrs, ins, outs, g):
    # The backward map is the adjoint of the (linear) insert, so its own gradient is the
    # insert of the output gradients, at the same points.
    obj = list(ins[-1:]) if attrs.kind == "_npi_insert_tensor" else []
    again = getattr(F._internal, attrs.kind)(*g, *obj, **_kwargs(attrs))
    return [again] + [None] * (len(ins) - 1)


@register("_backward_npi_insert", inputs=("grad", "arr", "values", "obj"),
          active_inputs=lambda attrs: ("grad",) + _input_names(attrs.kind, attrs),
          params={**_PARAMS, "kind": Param("str", doc="The insert op differentiated.",
                                           choices=_KINDS)},
          num_outputs=_backward_outputs,
          infer_shape=lambda attrs, s: (s, list(s[1:1 + _backward_outputs(attrs)])),
          infer_type=lambda attrs, t: (t, list(t[1:1 + _backward_outputs(attrs)])),
          gradient=_grad_of_backward)
def _backward_npi_insert(xp, attrs, grad, *ins):
    """The gradient of an insert: `grad` at the original entries for `arr`, and at the
    inserted ones, summed back over the broadcasting, for `values`."""
    arr, values, obj = _split_inputs(attrs.kind, attrs, ins)
    plan = _plan(attrs.kind, attrs, arr, values, obj)
    ndim = len(plan.out)
    grad_arr = grad[_index(plan.axis, ndim, xp.asarray(plan.old_at))].reshape(arr.shape)
    if values is None:
        return grad_arr
    block = _sum_to(xp, grad[_index(plan.axis, ndim, xp.asarray(plan.new_at))], plan.placed)
    if plan.moved:
        block = xp.moveaxis(block, plan.axis, 0)
    return grad_arr, block.reshape(values.shape).astype(values.dtype)
