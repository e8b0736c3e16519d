"""Symbol: a handle on outputs of a computation graph.

A graph is made of ``Node``s: a variable (``op is None``) or an operator
applied to output entries ``(node, index)`` of other nodes, with its
attributes kept as MXNet keeps them, strings (``{"num_hidden": "128"}``), so
JSON round-trips exactly. A ``Symbol`` is a list of output entries. Graph
passes (shape/type inference, gradient, memory planning) live in
``mxnet.graph``; execution in ``mxnet.executor``.
"""
import collections

from .. import filesystem
from ..base import MXNetError, NotImplementedForSymbol, numeric_types
from . import naming, mxnet_nodes

__all__ = ["Symbol", "Node", "var", "Variable", "Group"]


# What a fused node replaced, as MXNet writes it in the node's subgraph:
# ``nodes``, the (name, attrs) of the replaced nodes in chain order, and
# ``inputs``, the names of the subgraph's variables (one per input of the
# fused node), after the values' producers when the graph was partitioned.
FusedFrom = collections.namedtuple("FusedFrom", "nodes inputs")


class Node:
    """One graph node: a variable or an operator call.

    ``versions`` (one int per input, or None) are the version fields MXNet
    writes in the node's input entries: stamped when the node is composed
    (``stamp_versions``) or read from a file; nodes that graph passes build
    leave it None and get counted versions (``input_versions``). ``writes``
    counts the composed ops that update a variable (its aux-state users).
    ``fused_from`` holds, for a fused node, what MXNet writes as its
    subgraph (a ``FusedFrom``)."""
    __slots__ = ("op", "name", "attrs", "inputs", "_parsed", "versions", "writes",
                 "fused_from")

    def __init__(self, op, name, attrs=None, inputs=(), versions=None):
        self.op = op
        self.name = name
        self.attrs = dict(attrs or {})
        self.inputs = list(inputs)
        self._parsed = None
        self.versions = versions
        self.writes = 0
        self.fused_from = None

    @property
    def is_variable(self):
        return self.op is None

    def params(self):
        """The op's parsed parameters (from the string attributes)."""
        if self._parsed is None:
            op = self.op
            self._parsed = op.parse({k: v for k, v in self.attrs.items() if k in op.params})
        return self._parsed

    def num_outputs(self):
        return 1 if self.op is None else self.op.num_outputs(self.params())

    def output_names(self):
        if self.op is None:
            return [self.name]
        names = mxnet_nodes.mxnet_output_names(self, self.op.output_names(self.params()))
        return [f"{self.name}_{n}" for n in names]

    def aux_positions(self):
        """Input positions that are aux states (mutable, e.g. moving statistics)."""
        if self.op is None or not self.op.has_aux:
            return ()
        return self.op.aux_positions(self.params(), len(self.inputs))


def _positional_or_keywords(args, kwargs, what):
    """MXNet takes the known shapes or types one way or the other, not both."""
    if args and kwargs:
        raise ValueError(f"Can only specify known argument {what} either by positional or "
                         "kwargs way.")


def stamp_versions(node):
    """Record, as MXNet does when it composes ``node``, each variable input's
    write count, the inputs ``node`` updates (its aux states) counting this
    write too. Every variable is stamped before any count goes up, so a
    variable given both as data and as an aux state gets two stamps."""
    versions = [src.writes if src.op is None else 0 for src, _ in node.inputs]
    for pos in node.aux_positions():
        src = node.inputs[pos][0]
        if src.op is None:
            src.writes += 1
            versions[pos] = src.writes
    node.versions = versions


def input_versions(nodes, count_writes=True):
    """{id(node): the version of each of its input entries} for ``nodes`` in
    topological order: the recorded ``versions``, or else for a variable the
    number of updates by earlier nodes in the list, its own included
    (none when not ``count_writes``)."""
    counts, out = {}, {}
    for node in nodes:
        aux = set(node.aux_positions()) if count_writes else ()
        counted = []
        for pos, (src, _) in enumerate(node.inputs):
            if pos in aux and src.op is None:
                counts[id(src)] = counts.get(id(src), 0) + 1
            counted.append(counts.get(id(src), 0))
        out[id(node)] = counted if node.versions is None else node.versions
    return out


def topo_order(entries):
    """Every node the entries depend on, inputs before users, in MXNet's DFS order."""
    order, seen = [], set()
    for node, _ in entries:
        if id(node) in seen:
            continue
        stack = [(node, 0)]
        while stack:
            cur, i = stack.pop()
            if i == 0 and id(cur) in seen:
                continue
            if i < len(cur.inputs):
                stack.append((cur, i + 1))
                child = cur.inputs[i][0]
                if id(child) not in seen:
                    stack.append((child, 0))
            else:
                seen.add(id(cur))
                order.append(cur)
    return order


class Symbol:
    """Symbolic outputs of a graph: compose with operators, infer shapes,
    save as JSON, bind to an executor."""
    __slots__ = ("_outputs", "__weakref__")

    def __init__(self, outputs):
        self._outputs = [] if outputs is None else list(outputs)

    # -- structure ---------------------------------------------------------------
    @property
    def name(self):
        """Name of the node all outputs come from (None for a group of several nodes)."""
        node = self._node()
        return None if node is None else node.name

    @property
    def handle(self):
        return self

    def _nodes(self):
        return topo_order(self._outputs)

    def _aux_nodes(self):
        aux = set()
        for node in self._nodes():
            for pos in node.aux_positions():
                aux.add(id(node.inputs[pos][0]))
        return aux

    def list_arguments(self):
        """Names of the variables that are arguments (not aux states), in graph order."""
        aux = self._aux_nodes()
        return [n.name for n in self._nodes() if n.op is None and id(n) not in aux]

    def list_auxiliary_states(self):
        """Names of the auxiliary-state variables (e.g. BatchNorm moving statistics)."""
        aux = self._aux_nodes()
        return [n.name for n in self._nodes() if n.op is None and id(n) in aux]

    def list_inputs(self):
        """Names of all variables, arguments and aux states, in graph order."""
        return [n.name for n in self._nodes() if n.op is None]

    def list_outputs(self):
        """Names of the outputs (``<node>_output``, or the variable's name)."""
        return [node.output_names()[i] for node, i in self._outputs]

    def __len__(self):
        return len(self._outputs)

    def __iter__(self):
        return (Symbol([e]) for e in self._outputs)

    def __getitem__(self, index):
        if isinstance(index, str):
            names = self.list_outputs()
            matches = [i for i, n in enumerate(names) if n == index]
            if not matches:
                raise ValueError(f"cannot find output that matches name {index!r}")
            if len(matches) > 1:
                raise ValueError(f"there are multiple outputs with name {index!r}")
            index = matches[0]
        if isinstance(index, slice):
            return Symbol(self._outputs[index])
        if not -len(self._outputs) <= index < len(self._outputs):
            raise IndexError(f"symbol has {len(self._outputs)} outputs, index {index}")
        return Symbol([self._outputs[index]])

    def get_internals(self):
        """A group of every (visible) output of every node in the graph."""
        return Symbol([(node, i) for node in self._nodes() for i in range(_visible(node))])

    def get_children(self):
        """The inputs of the output nodes, as a group (None when there are none)."""
        children = [e for node, _ in self._outputs for e in node.inputs]
        return Symbol(children) if children else None

    # -- attributes --------------------------------------------------------------
    def attr(self, key):
        """The string value of attribute ``key`` of the node all outputs come
        from (None for a group of several nodes)."""
        node = self._node()
        if node is None:
            return None
        if key == "name":
            return node.name
        if key in node.attrs:
            return node.attrs[key]
        return node.attrs.get(f"__{key}__")

    def list_attr(self, recursive=False):
        """Attributes of the node all outputs come from ({} for a group of
        several nodes); ``recursive`` is refused, as in MXNet."""
        if recursive:
            raise MXNetError("list_attr: recursive=True was removed in MXNet; use attr_dict()")
        node = self._node()
        return {} if node is None else _shown_attrs(node.attrs)

    def attr_dict(self):
        """{node name: its attributes} for every node with attributes."""
        return {n.name: _shown_attrs(n.attrs) for n in self._nodes() if n.attrs}

    def _set_attr(self, **kwargs):
        node = self._node()
        if node is None:
            raise MXNetError(f"_set_attr: needs a symbol whose outputs come from one node, "
                             f"got a group of {len(self._outputs)} outputs "
                             f"({self.list_outputs()})")
        for key, value in naming.hide_keys(kwargs).items():
            node.attrs[key] = value
        node._parsed = None

    def _node(self):
        """The node all outputs come from, or None for a group of several nodes
        (MXNet reads and sets a multi-output node's attributes through any
        symbol of its outputs)."""
        nodes = {id(n) for n, _ in self._outputs}
        return self._outputs[0][0] if len(nodes) == 1 else None

    # -- composition ---------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        """A copy with free variables replaced: positionally in list_arguments
        order, or by name."""
        out = self.__copy__()
        out._compose(*args, **kwargs)
        return out

    def _compose(self, *args, name=None, **kwargs):
        args_order = self.list_arguments()
        mapping = {}
        for n, s in zip(args_order, args):
            mapping[n] = _single_entry(s, "compose")
        for key, s in kwargs.items():
            if key not in args_order:
                raise MXNetError(f"compose: no argument named {key!r}; "
                                 f"arguments are {args_order}")
            mapping[key] = _single_entry(s, "compose")
        self._outputs = _substitute(self._outputs, mapping)
        if name is not None and len(self._outputs) == 1:
            self._outputs[0][0].name = name

    def __copy__(self):
        return Symbol(_substitute(self._outputs, {}))

    def __deepcopy__(self, memo):
        return self.__copy__()

    def copy(self):
        return self.__copy__()

    def __repr__(self):
        name = self.name
        if name is None:
            return "<Symbol group [" + ", ".join(n.name for n, _ in self._outputs) + "]>"
        return f"<Symbol {name}>"

    def __str__(self):
        return repr(self)

    def __bool__(self):
        raise NotImplementedForSymbol(self.__bool__, "bool")

    def __reduce__(self):
        # MXNet's pickled form: Symbol(None) with the JSON text as 'handle'.
        return Symbol, (None,), {"handle": self.tojson()}

    def __setstate__(self, state):
        from .json_io import load_json
        self._outputs = load_json(state["handle"])._outputs

    # -- serialisation, inference, execution (implemented in sibling modules) --------
    def tojson(self, remove_amp_cast=True):
        """The graph in MXNet's JSON format; as in MXNet, without its
        ``amp_cast``/``amp_multicast`` nodes unless ``remove_amp_cast`` is False."""
        from .json_io import to_json
        return to_json(self, remove_amp_cast)

    def save(self, fname, remove_amp_cast=True):
        """Write ``tojson(remove_amp_cast)`` to ``fname`` (a local path or a URI
        such as ``s3://``)."""
        with filesystem.open(fname, "w") as f:
            f.write(self.tojson(remove_amp_cast))

    def debug_str(self):
        """A text dump of the graph in MXNet's layout: the outputs, then each
        node in order (a variable as one line; an operator with its inputs as
        ``node(output index)``, a variable input with its write count
        ``version``, and its attributes). A single node without inputs is one
        line: ``Variable:x``, or ``AtomicFunctor  Op:_zeros``."""
        if len(self._outputs) == 1 and not self._outputs[0][0].inputs:
            node = self._outputs[0][0]
            return f"Variable:{node.name}\n" if node.op is None else \
                f"AtomicFunctor  Op:{mxnet_nodes.mxnet_op_name(node.op)}\n"
        from .json_io import written_attrs
        lines = ["Symbol Outputs:"]
        lines += [f"\toutput[{i}]={node.name}({idx})" for i, (node, idx) in enumerate(self._outputs)]
        nodes = self._nodes()
        versions = input_versions(nodes)
        for node in nodes:
            if node.op is None:
                lines.append(f"Variable:{node.name}")
                continue
            lines += ["-" * 20, f"Op:{mxnet_nodes.mxnet_op_name(node.op)}, Name={node.name}",
                      "Inputs:"]
            for i, (src, idx) in enumerate(node.inputs):
                line = f"\targ[{i}]={src.name}({idx})"
                if src.op is None:
                    line += f" version={versions[id(node)][i]}"
                lines.append(line)
            attrs, _ = written_attrs(node)
            if attrs:
                lines.append("Attrs:")
                lines += [f"\t{key}={value}" for key, value in sorted(attrs.items())]
        return "\n".join(lines) + "\n"

    def infer_shape(self, *args, **kwargs):
        """Shapes of (arguments, outputs, aux states) from known argument shapes;
        (None, None, None) when some cannot be determined."""
        from ..graph.infer import infer_shape
        _positional_or_keywords(args, kwargs, "shapes")
        return infer_shape(self, args, kwargs, partial=False)

    def infer_shape_partial(self, *args, **kwargs):
        """Like infer_shape, with unknown shapes left as () instead of failing."""
        from ..graph.infer import infer_shape
        _positional_or_keywords(args, kwargs, "shapes")
        return infer_shape(self, args, kwargs, partial=True)

    def infer_type(self, *args, **kwargs):
        """Dtypes of (arguments, outputs, aux states) from known argument dtypes."""
        from ..graph.infer import infer_type
        _positional_or_keywords(args, kwargs, "types")
        return infer_type(self, args, kwargs, partial=False)

    def infer_type_partial(self, *args, **kwargs):
        """Like infer_type, with unknown dtypes left as None instead of failing."""
        from ..graph.infer import infer_type
        _positional_or_keywords(args, kwargs, "types")
        return infer_type(self, args, kwargs, partial=True)

    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None,
             group2ctx=None, shared_exec=None):
        """An Executor computing this symbol with the given argument arrays."""
        from ..executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states, group2ctx)

    def simple_bind(self, ctx, grad_req="write", type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None,
                    shared_buffer=None, **kwargs):
        """An Executor with arrays allocated from the given input shapes."""
        from ..executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, group2ctx, shared_exec, kwargs)

    def eval(self, ctx=None, **kwargs):
        """Outputs (a list of NDArrays) for the given argument arrays."""
        from ..context import current_context
        ex = self.bind(ctx or current_context(), kwargs)
        return ex.forward()

    def gradient(self, wrt):
        """The symbol of gradients of this (single-output) symbol w.r.t. ``wrt``."""
        from ..graph.gradient import gradient_symbol
        return gradient_symbol(self, wrt)

    def optimize_for(self, backend, args=None, aux=None, ctx=None, shape_dict=None,
                     type_dict=None, stype_dict=None, skip_infer=False, **kwargs):
        """This graph rewritten for ``backend``. 'MKLDNN' (also 'ONEDNN') folds
        Convolution/FullyConnected + BatchNorm + activation (+ residual sum)
        chains into the fused inference ops ``_sg_mkldnn_conv`` and
        ``_sg_mkldnn_fully_connected`` and drops training-mode Dropout after
        an operator, as MXNet does; the result takes the same arguments and
        aux states and is meant for inference. ``args``/``aux`` (arrays by
        name) are accepted as in MXNet and left unchanged: the fused ops read
        the original parameters."""
        from ..graph.fold import fold_graph
        if not isinstance(backend, str) or backend.upper() not in ("MKLDNN", "ONEDNN"):
            raise MXNetError(f"optimize_for: unknown backend {backend!r}; supported backends "
                             "are 'MKLDNN' and 'ONEDNN'")
        outputs, _ = fold_graph(self._outputs, export=True)
        return Symbol(outputs)

    def get_backend_symbol(self, backend):
        """This graph partitioned for subgraph ``backend`` (see ``optimize_for``)."""
        return self.optimize_for(backend)

    # -- arithmetic ----------------------------------------------------------------
    def _binary(self, other, op_name, scalar_name, reverse=False):
        from . import register
        if isinstance(other, Symbol):
            args = (other, self) if reverse else (self, other)
            return register.create(op_name, list(args), {})
        if isinstance(other, numeric_types):
            return register.create(scalar_name, [self], {"scalar": other})
        raise TypeError(f"type {type(other).__name__} not supported")

    def __add__(self, other):
        return self._binary(other, "_Plus", "_PlusScalar")

    __radd__ = __add__

    def __sub__(self, other):
        return self._binary(other, "_Minus", "_MinusScalar")

    def __rsub__(self, other):
        return self._binary(other, "_Minus", "_RMinusScalar", reverse=True)

    def __mul__(self, other):
        return self._binary(other, "_Mul", "_MulScalar")

    __rmul__ = __mul__

    def __truediv__(self, other):
        return self._binary(other, "_Div", "_DivScalar")

    def __rtruediv__(self, other):
        return self._binary(other, "_Div", "_RDivScalar", reverse=True)

    __div__, __rdiv__ = __truediv__, __rtruediv__

    def __mod__(self, other):
        return self._binary(other, "_Mod", "_ModScalar")

    def __rmod__(self, other):
        return self._binary(other, "_Mod", "_RModScalar", reverse=True)

    def __pow__(self, other):
        return self._binary(other, "_Power", "_PowerScalar")

    def __rpow__(self, other):
        return self._binary(other, "_Power", "_rpower_scalar", reverse=True)

    def __neg__(self):
        return self.__mul__(-1.0)

    def __abs__(self):
        from . import register
        return register.create("abs", [self], {})

    def __eq__(self, other):
        return self._binary(other, "_equal", "_equal_scalar")

    def __ne__(self, other):
        return self._binary(other, "_not_equal", "_not_equal_scalar")

    def __gt__(self, other):
        return self._binary(other, "_greater", "_greater_scalar")

    def __ge__(self, other):
        return self._binary(other, "_greater_equal", "_greater_equal_scalar")

    def __lt__(self, other):
        return self._binary(other, "_lesser", "_lesser_scalar")

    def __le__(self, other):
        return self._binary(other, "_lesser_equal", "_lesser_equal_scalar")

    def __hash__(self):
        return id(self)

    def __iadd__(self, other):
        return self + other

    def __isub__(self, other):
        return self - other

    def __imul__(self, other):
        return self * other

    def __itruediv__(self, other):
        return self / other


def _visible(node):
    if node.op is None:
        return 1
    if node.op.visible_outputs is not None:
        return node.op.visible_outputs(node.params())
    return node.num_outputs()


def _shown_attrs(attrs):
    """Attributes as list_attr shows them: hidden keys also under their plain name."""
    out = dict(attrs)
    for key in naming.HIDDEN_KEYS:
        hidden = f"__{key}__"
        if hidden in attrs:
            out[key] = attrs[hidden]
    return out


def _single_entry(sym, what):
    if not isinstance(sym, Symbol):
        raise MXNetError(f"{what}: expected a Symbol, got {type(sym).__name__}")
    if len(sym._outputs) != 1:
        raise MXNetError(f"{what}: expected a single-output Symbol, got {len(sym._outputs)} "
                         "outputs")
    return sym._outputs[0]


def _substitute(outputs, mapping):
    """Copy the graph of ``outputs``, replacing variables named in ``mapping``
    by the given entries (not copied)."""
    copies = {}
    for node in topo_order(outputs):
        if node.op is None and node.name in mapping:
            continue
        new = Node(node.op, node.name, node.attrs, versions=node.versions)
        new.writes = node.writes
        new.fused_from = node.fused_from
        new.inputs = [_mapped(e, copies, mapping) for e in node.inputs]
        if any(src.op is None and src.name in mapping for src, _ in node.inputs):
            stamp_versions(new)  # composed anew, as MXNet's compose does
        copies[id(node)] = new
    return [_mapped(e, copies, mapping) for e in outputs]


def _mapped(entry, copies, mapping):
    node, index = entry
    if node.op is None and node.name in mapping:
        return mapping[node.name]
    return (copies[id(node)], index)


def var(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None,
        stype=None, profiler_scope=None, **kwargs):
    """A variable: a named input of the graph (data, label or parameter).

    ``shape``, ``dtype``, ``lr_mult``, ``wd_mult``, ``init`` and ``stype``
    are stored as the attributes MXNet uses (``__shape__``...)."""
    if not isinstance(name, str):
        raise TypeError("Expect a string for variable `name`")
    attrs = naming.current_attr_scope().get(attr)
    attrs = naming.hide_keys(attrs)
    if shape is not None:
        attrs["__shape__"] = str(tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        import numpy as np
        from ..ndarray.serialization import DTYPE_FLAGS
        attrs["__dtype__"] = str(DTYPE_FLAGS[np.dtype(dtype)])
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str({"default": 0, "row_sparse": 1, "csr": 2}[stype])
    for key, value in kwargs.items():
        if key.startswith("__") and key.endswith("__"):
            attrs[key] = str(value)
        else:
            raise ValueError(f"Attribute name={key} is not supported. Additional attributes "
                             "must start and end with double underscores, e.g, __yourattr__")
    return Symbol([(Node(None, name, attrs), 0)])


Variable = var


def Group(symbols, create_fn=None):
    """One symbol whose outputs are the outputs of ``symbols``, in order."""
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    return Symbol([e for s in symbols for e in s._outputs])

