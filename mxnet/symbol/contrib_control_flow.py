"""Symbolic control flow (``mx.sym.contrib.foreach/while_loop/cond``).

Each function calls the user's functions once, on placeholder variables,
inside an ``AttrScope`` that marks every node they create with
``__subgraph_name__`` (as MXNet does), and turns the results into subgraphs
run by one ``_foreach``/``_while_loop``/``_cond`` node. A symbol the
functions use but did not create (an outer variable, or an outer result,
which is cut off at that point) becomes an input of the node, so outer work
is done once, outside the loop. Node inputs and ``*_locs`` params are laid
out as MXNet lays them out, so the graph's JSON is MXNet's.
"""
import collections
import itertools

from ..base import MXNetError
from ..ops.control_flow import add_subgraph
from . import register
from .naming import AttrScope, current_attr_scope
from .symbol import Node, Symbol, var

__all__ = ["foreach", "while_loop", "cond"]

_SCOPE = "__subgraph_name__"
# Subgraph scope name -> counter, so names are unique per process as in MXNet.
_scope_counts = collections.defaultdict(itertools.count)


def _scope_name(name):
    outer = current_attr_scope().get(None).get(_SCOPE, "")
    if outer:
        name = f"{outer}${name}"
    return f"{name}{next(_scope_counts[name])}"


def _flatten(x, what):
    """``(list of Symbols, format)`` of a Symbol or a nested list of them;
    the format rebuilds the nesting (``None`` is one Symbol)."""
    if isinstance(x, Symbol):
        if len(x._outputs) != 1:
            raise MXNetError(f"{what}: expected Symbols of one output, got one with "
                             f"{len(x._outputs)} outputs {x.list_outputs()}")
        return [x], None
    if isinstance(x, (list, tuple)):
        flat, fmt = [], []
        for item in x:
            items, sub = _flatten(item, what)
            flat += items
            fmt.append(sub)
        return flat, fmt
    raise MXNetError(f"{what}: expected a Symbol or a list of Symbols, got {type(x).__name__}")


def _regroup(items, fmt):
    it = iter(items)

    def build(f):
        return next(it) if f is None else [build(sub) for sub in f]
    return build(fmt)


def _placeholder(sym):
    """A variable standing for ``sym`` in a subgraph, named as MXNet names it."""
    node, index = sym._outputs[0]
    return var(f"{node.name}-{index}")


def _wrap(outputs, scope, states_from=None):
    """Subgraph outputs, each an op node of the subgraph: a variable or an
    outer symbol goes through ``identity`` (called inside the scope), and so
    does an output from ``states_from`` on whose node also gives an earlier
    output (foreach's states; MXNet's rule)."""
    from . import op
    wrapped = []
    for pos, sym in enumerate(outputs):
        node = sym._outputs[0][0]
        repeated = states_from is not None and pos >= states_from and \
            any(s._outputs[0][0].name == node.name for s in outputs[:states_from])
        if node.op is None or node.attrs.get(_SCOPE) != scope or repeated:
            sym = op.identity(sym)
        wrapped.append(sym)
    return wrapped


def _inside(node, scope):
    return node.op is not None and node.attrs.get(_SCOPE) == scope


def _cut(outputs, scope):
    """The subgraph computing ``outputs``: nodes the functions created, with
    each outer op output they read replaced by a variable named after it.
    Returns ``(Symbol, {input name: outer entry feeding it})``."""
    order, seen = [], set()
    stack = [(node, False) for node, _ in reversed([s._outputs[0] for s in outputs])]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if _inside(node, scope):
            stack.extend((src, False) for src, _ in reversed(node.inputs))
    copies, sources = {}, {}

    def entry(src, index):
        if _inside(src, scope):
            return copies[id(src)], index
        name = src.name if src.op is None else src.output_names()[index]
        known = sources.get(name)
        if known is not None and known[1:] != (src, index):
            raise MXNetError(f"control flow: two different inputs of a subgraph are both "
                             f"named {name!r}; give the symbols distinct names")
        if known is None:
            placeholder = src if src.op is None else Node(None, name)
            known = sources[name] = (placeholder, src, index)
        return known[0], 0

    for node in order:
        if _inside(node, scope):
            copies[id(node)] = Node(node.op, node.name, node.attrs,
                                    [entry(src, i) for src, i in node.inputs])
    heads = [entry(*s._outputs[0]) for s in outputs]
    return Symbol(heads), {name: (src, index) for name, (_, src, index) in sources.items()}


def _subgraph(outputs, scope):
    """``(subgraph key, its input names, {input name: outer entry})``."""
    sub, sources = _cut(outputs, scope)
    return add_subgraph(sub), sub.list_inputs(), sources


def _locs(positions):
    return "[" + ", ".join(str(p) for p in positions) + "]"


def _node_outputs(op_name, inputs, params):
    node = register.create(op_name, [Symbol([e]) for e in inputs], params)
    return [node[i] for i in range(params["num_outputs"])]


def foreach(body, data, init_states, name="foreach"):
    """Symbol running ``body(data_slice, states) -> (outputs, new_states)`` over
    axis 0 of ``data``; returns ``(outputs stacked along a new axis 0, final
    states)``, nested as ``body`` returned them. ``data`` and
    ``init_states`` are Symbols or (nested) lists of them."""
    data_list, data_fmt = _flatten(data, "foreach: data")
    state_list, state_fmt = _flatten(init_states, "foreach: init_states")
    scope = _scope_name(name)
    with AttrScope(**{_SCOPE: scope}):
        data_vars = [_placeholder(s) for s in data_list]
        state_vars = [_placeholder(s) for s in state_list]
        outs, new_states = body(_regroup(data_vars, data_fmt), _regroup(state_vars, state_fmt))
        out_list, out_fmt = _flatten(outs, "foreach: the body's outputs")
        new_list, new_fmt = _flatten(new_states, "foreach: the body's new states")
        if len(new_list) != len(state_list):
            raise MXNetError(f"foreach: the body returned {len(new_list)} states, expected "
                             f"{len(state_list)}")
        wrapped = _wrap(out_list + new_list, scope, states_from=len(out_list))
    key, names, sources = _subgraph(wrapped, scope)
    position = {n: i for i, n in enumerate(names)}
    locs = {}
    for kind, placeholders in (("data", data_vars), ("state", state_vars)):
        missing = [v.name for v in placeholders if v.name not in position]
        if missing:
            raise MXNetError(f"foreach: the body must use every {kind} input; it does not "
                             f"use {missing}")
        locs[kind] = [position[v.name] for v in placeholders]
    own = {v.name for v in data_vars + state_vars}
    remain = [i for i, n in enumerate(names) if n not in own]
    inputs = [s._outputs[0] for s in data_list + state_list] + \
        [sources[names[i]] for i in remain]
    params = {"fn": key, "num_args": len(inputs) + 1, "num_outputs": len(wrapped),
              "num_out_data": len(out_list), "in_data_locs": _locs(locs["data"]),
              "in_state_locs": _locs(locs["state"]), "remain_locs": _locs(remain)}
    outputs = _node_outputs("_foreach", inputs, params)
    return (_regroup(outputs[:len(out_list)], out_fmt),
            _regroup(outputs[len(out_list):], new_fmt))


class _Inputs:
    """The union of several subgraphs' inputs, as node inputs: loop variables
    by position, other inputs by name (as MXNet: two variables named alike in
    two branches are one input)."""

    def __init__(self, loop_vars=()):
        self.entries, self._index = [], {}
        self._loop = {_placeholder(s).name: (k, s._outputs[0]) for k, s in enumerate(loop_vars)}

    def locs(self, names, sources):
        """Node input positions of a subgraph's inputs, and the subgraph input
        position of each loop variable (-1 when it does not read it)."""
        locs, var_locs = [], [-1] * len(self._loop)
        for pos, name in enumerate(names):
            if name in self._loop:
                k, entry = self._loop[name]
                ident = ("loop", k)
                var_locs[k] = pos
            else:
                entry = sources[name]
                ident = ("name", name)
            if ident not in self._index:
                self._index[ident] = len(self.entries)
                self.entries.append(entry)
            locs.append(self._index[ident])
        return locs, var_locs


def _as_int(value, what):
    if hasattr(value, "asscalar"):
        value = value.asscalar()
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MXNetError(f"{what}: expected an integer, got {value!r}") from None


def while_loop(cond, func, loop_vars, max_iterations=None, name="while_loop"):
    """Symbol running ``func(*loop_vars) -> (step_outputs, new_loop_vars)``
    while ``cond(*loop_vars)`` (a one-element Symbol) is nonzero, at most
    ``max_iterations`` times. Returns ``(outputs, final loop_vars)``: each
    step output stacked along a new axis 0 of ``max_iterations`` rows (rows
    after the last step are zero), loop variables nested as given."""
    if max_iterations is None:
        raise MXNetError("while_loop: max_iterations must be given")
    max_iterations = _as_int(max_iterations, "while_loop: max_iterations")
    var_list, var_fmt = _flatten(loop_vars, "while_loop: loop_vars")
    if not var_list:
        raise MXNetError("while_loop: loop_vars must hold at least one Symbol")

    cond_scope = _scope_name(name + "_cond")
    with AttrScope(**{_SCOPE: cond_scope}):
        pred = cond(*_regroup([_placeholder(s) for s in var_list], var_fmt))
        if not isinstance(pred, Symbol):
            raise MXNetError(f"while_loop: cond must return a Symbol, got {type(pred).__name__}")
        cond_out = _wrap(_flatten(pred, "while_loop: cond's result")[0], cond_scope)
    func_scope = _scope_name(name + "_func")
    with AttrScope(**{_SCOPE: func_scope}):
        result = func(*_regroup([_placeholder(s) for s in var_list], var_fmt))
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise MXNetError("while_loop: func must return (step_outputs, new_loop_vars)")
        step, new_vars = (x if x is not None else [] for x in result)
        out_list, out_fmt = _flatten(step, "while_loop: func's step outputs")
        new_list, _ = _flatten(new_vars, "while_loop: func's new loop variables")
        if len(new_list) != len(var_list):
            raise MXNetError(f"while_loop: func returned {len(new_list)} loop variables, "
                             f"expected {len(var_list)}")
        func_out = _wrap(out_list + new_list, func_scope)
    cond_key, cond_names, cond_sources = _subgraph(cond_out, cond_scope)
    func_key, func_names, func_sources = _subgraph(func_out, func_scope)
    union = _Inputs(var_list)
    cond_locs, _ = union.locs(cond_names, cond_sources)
    func_locs, var_locs = union.locs(func_names, func_sources)
    if -1 in var_locs:
        raise MXNetError(f"while_loop: func does not use loop variable {var_locs.index(-1)}; "
                         "every loop variable must take part in the computation")
    params = {"cond": cond_key, "func": func_key, "num_args": len(union.entries) + 2,
              "num_outputs": len(func_out), "num_out_data": len(out_list),
              "max_iterations": max_iterations, "cond_input_locs": _locs(cond_locs),
              "func_input_locs": _locs(func_locs), "func_var_locs": _locs(var_locs)}
    outputs = _node_outputs("_while_loop", union.entries, params)
    return (_regroup(outputs[:len(out_list)], out_fmt),
            _regroup(outputs[len(out_list):], var_fmt))


def cond(pred, then_func, else_func, name="cond"):
    """Symbol computing ``then_func()`` where the one-element ``pred`` is
    nonzero, else ``else_func()``; only the chosen branch runs (and gets
    gradients). The branches return Symbols nested alike."""
    graphs = []
    for suffix, fn in (("_pred", lambda: pred), ("_then", then_func), ("_else", else_func)):
        scope = _scope_name(name + suffix)
        with AttrScope(**{_SCOPE: scope}):
            flat, fmt = _flatten(fn(), f"cond: the result of {suffix[1:]}")
            graphs.append((_wrap(flat, scope), scope, fmt))
    (pred_out, _, _), (then_out, _, then_fmt), (else_out, _, _) = graphs
    if len(pred_out) != 1:
        raise MXNetError(f"cond: pred must be one Symbol, got {len(pred_out)}")
    if len(then_out) != len(else_out):
        raise MXNetError(f"cond: the branches return {len(then_out)} and {len(else_out)} "
                         "outputs")
    union = _Inputs()
    params = {"num_outputs": len(then_out)}
    for (out, scope, _), what in zip(graphs, ("cond", "then_branch", "else_branch")):
        key, names, sources = _subgraph(out, scope)
        params[what] = key
        params[f"{what.split('_')[0]}_input_locs"] = _locs(union.locs(names, sources)[0])
    params["num_args"] = len(union.entries) + 3
    return _regroup(_node_outputs("_cond", union.entries, params), then_fmt)
