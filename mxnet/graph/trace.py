"""Build graph nodes by calling operators on traced values with known shapes.

Gradient rules are written against a front end ``F`` (``mx.nd`` imperatively)
and may read ``x.shape``/``x.ndim``/``x.dtype``. To turn the same rules into
graph nodes, ``TraceFrontEnd`` mimics ``mx.nd``: ``F.dot(a, b)`` or ``a * b``
on ``TraceValue``s adds a node to the graph and infers its output shape and
dtype at once with the op's rules, so every value in the traced graph has a
static shape, exactly as the executor will see it.
"""
import numpy as np

from ..base import MXNetError, numeric_types
from ..ndarray.register import modules_for
from ..ops import registry
from ..symbol.register import attr_string
from ..symbol.symbol import Node


class TraceValue:
    """One output of a traced node, with its static shape and dtype name."""
    __slots__ = ("entry", "shape", "dtype_name", "front")

    def __init__(self, entry, shape, dtype_name, front):
        self.entry = entry
        self.shape = tuple(shape)
        self.dtype_name = dtype_name
        self.front = front

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def dtype(self):
        return np.dtype(self.dtype_name).type

    stype = "default"

    def copy(self):
        return self.front._call("_copy", [self], {})

    def astype(self, dtype, copy=True):
        return self.front._call("Cast", [self], {"dtype": np.dtype(dtype).name})

    def reshape(self, *shape, **kwargs):
        shape = kwargs.get("shape", shape[0] if len(shape) == 1 else shape)
        return self.front._call("Reshape", [self], {"shape": tuple(shape)})

    def __getattr__(self, name):
        # Fluent methods (x.sum(axis=1)) forward to the operator of that name.
        if name.startswith("_"):
            raise AttributeError(name)
        fn = getattr(self.front, name)
        return lambda *args, **kwargs: fn(self, *args, **kwargs)

    def _binary(self, other, tensor_op, scalar_op, rscalar_op=None, reverse=False):
        if isinstance(other, TraceValue):
            args = [other, self] if reverse else [self, other]
            return self.front._call(tensor_op, args, {})
        if isinstance(other, numeric_types):
            name = (rscalar_op or scalar_op) if reverse else scalar_op
            return self.front._call(name, [self], {"scalar": float(other)})
        return NotImplemented

    def __add__(self, o):
        return self._binary(o, "broadcast_add", "_plus_scalar")

    def __radd__(self, o):
        return self._binary(o, "broadcast_add", "_plus_scalar", reverse=True)

    def __sub__(self, o):
        return self._binary(o, "broadcast_sub", "_minus_scalar")

    def __rsub__(self, o):
        return self._binary(o, "broadcast_sub", "_minus_scalar", "_rminus_scalar", True)

    def __mul__(self, o):
        return self._binary(o, "broadcast_mul", "_mul_scalar")

    def __rmul__(self, o):
        return self._binary(o, "broadcast_mul", "_mul_scalar", reverse=True)

    def __truediv__(self, o):
        return self._binary(o, "broadcast_div", "_div_scalar")

    def __rtruediv__(self, o):
        return self._binary(o, "broadcast_div", "_div_scalar", "_rdiv_scalar", True)

    def __mod__(self, o):
        return self._binary(o, "broadcast_mod", "_mod_scalar")

    def __pow__(self, o):
        return self._binary(o, "broadcast_power", "_power_scalar")

    def __rpow__(self, o):
        return self._binary(o, "broadcast_power", "_power_scalar", "_rpower_scalar", True)

    def __neg__(self):
        return self.front._call("negative", [self], {})

    def __gt__(self, o):
        return self._binary(o, "broadcast_greater", "_greater_scalar")

    def __ge__(self, o):
        return self._binary(o, "broadcast_greater_equal", "_greater_equal_scalar")

    def __lt__(self, o):
        return self._binary(o, "broadcast_lesser", "_lesser_scalar")

    def __le__(self, o):
        return self._binary(o, "broadcast_lesser_equal", "_lesser_equal_scalar")

    def __eq__(self, o):
        return self._binary(o, "broadcast_equal", "_equal_scalar")

    def __ne__(self, o):
        return self._binary(o, "broadcast_not_equal", "_not_equal_scalar")

    __hash__ = object.__hash__


_SCALAR_HELPERS = {"maximum": ("broadcast_maximum", "_maximum_scalar", None),
                   "minimum": ("broadcast_minimum", "_minimum_scalar", None),
                   "add": ("broadcast_add", "_plus_scalar", None),
                   "subtract": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
                   "multiply": ("broadcast_mul", "_mul_scalar", None),
                   "divide": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
                   "power": ("broadcast_power", "_power_scalar", "_rpower_scalar")}


class TraceFrontEnd:
    """An ``mx.nd``-like namespace whose operators add nodes to a graph.

    ``module`` selects a sub-namespace (``_internal``, ``contrib``, ``linalg``...)
    as in ``mx.nd``. ``nodes`` collects every node created, in creation order."""

    def __init__(self, module="op", root=None, name_prefix="_grad"):
        self._module = module
        self._root = root or self
        if root is None:
            self.nodes = []
            self.shapes = {}  # (id(node), index) -> (shape, dtype name) of traced outputs
            # Filled by the gradient pass: (forward node, its inputs' gradient
            # values, None where an input gets none), in the order differentiated.
            self.node_grads = []
            self._count = 0
            self._prefix = name_prefix
            self._names = {}
            for name in registry.all_ops():
                for mod, short in modules_for(name):
                    self._names.setdefault((mod, short), name)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        root = self._root
        if self._module == "op" and name in ("_internal", "contrib", "linalg", "random",
                                             "sparse", "image"):
            return TraceFrontEnd(name, root)
        if self._module == "op" and name in _SCALAR_HELPERS:
            tensor, scalar, rscalar = _SCALAR_HELPERS[name]
            return lambda a, b: (a._binary(b, tensor, scalar) if isinstance(a, TraceValue)
                                 else b._binary(a, tensor, scalar, rscalar, reverse=True))
        op_name = root._names.get((self._module, name))
        if op_name is None:
            raise AttributeError(f"no operator {name!r} in the {self._module} namespace")
        return lambda *args, **kwargs: root._call(op_name, args, kwargs)

    def _call(self, op_name, args, kwargs):
        root = self._root
        op = registry.get(op_name)
        inputs = list(args)
        for key in list(kwargs):
            if isinstance(kwargs[key], TraceValue):
                inputs.append(kwargs.pop(key))
        while inputs and inputs[-1] is None:
            inputs.pop()
        if any(not isinstance(x, TraceValue) for x in inputs):
            raise MXNetError(f"{op_name}: traced inputs must be graph values, got "
                             f"{[type(x).__name__ for x in inputs]}")
        params = {k: attr_string(v) for k, v in kwargs.items() if v is not None}
        if op.variadic is not None and op.params[op.variadic].required:
            params.setdefault(op.variadic, str(len(inputs)))
        attrs = op.parse(params)
        _, shapes = op.infer_shape(attrs, [x.shape for x in inputs])
        _, dtypes = op.infer_type(attrs, [x.dtype_name for x in inputs])
        if any(s is None for s in shapes) or any(t is None for t in dtypes):
            raise MXNetError(f"{op_name}: cannot infer the output shape/dtype of a gradient "
                             f"node from inputs {[x.shape for x in inputs]}")
        node = Node(op, f"{root._prefix}{root._count}_{op_name.lower()}", params,
                    [x.entry for x in inputs])
        root._count += 1
        root.nodes.append(node)
        for i, (s, t) in enumerate(zip(shapes, dtypes)):
            root.shapes[(id(node), i)] = (tuple(s), t)
        outs = [TraceValue((node, i), s, t, root) for i, (s, t) in enumerate(zip(shapes, dtypes))]
        n = op.visible_outputs(attrs) if op.visible_outputs is not None else len(outs)
        return outs[0] if n == 1 else outs[:n]
