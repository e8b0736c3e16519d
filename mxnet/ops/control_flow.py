"""Control-flow operators of symbolic graphs: the subgraph machinery and ``_foreach``.

Each control-flow op runs subgraphs (Symbols built by ``mx.sym.contrib.
foreach/while_loop/cond`` from the user's Python functions, or read from an
MXNet JSON node's ``subgraphs``) compiled for the shapes they meet. Graph
attributes are strings, so a node names its subgraphs by keys into
``SUBGRAPHS`` (params ``fn``, ``cond``, ``func``...). The node's inputs map
onto a subgraph's inputs (its variables, in ``list_inputs`` order) through
the ``*_locs`` params, exactly as in MXNet's JSON.

The gradient of each op is a ``_backward_*`` op that re-runs the forward
iterations keeping their values, then walks them in reverse through the
subgraph's compiled backward pass: stateless, at the price of computing
the forward twice. These ops execute compiled graphs, so they import the
graph layer when they run (the one place an operator does).
``_while_loop`` and ``_cond`` live in ``control_flow_loops``.
"""
import itertools

import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register

# Subgraph key -> _Subgraph. Symbols are small and graphs holding a key may
# be rebuilt and re-run at any time, so entries are kept for the process.
SUBGRAPHS = {}
_counter = itertools.count()

# The params naming each op's subgraphs, in the order of MXNet's JSON
# ``subgraphs`` list for the node.
SUBGRAPH_PARAMS = {"_foreach": ("fn",), "_while_loop": ("cond", "func"),
                   "_cond": ("cond", "then_branch", "else_branch")}


class _Subgraph:
    """A subgraph Symbol, its input names and its Programs per input signature."""
    __slots__ = ("sym", "input_names", "programs")

    def __init__(self, sym):
        self.sym = sym
        self.input_names = sym.list_inputs()
        self.programs = {}


def add_subgraph(sym):
    """Keep ``sym`` and return the string key naming it in node attributes."""
    names = sym.list_inputs()
    if len(set(names)) != len(names):
        raise MXNetError(f"control flow: the inputs of a subgraph must have distinct names, "
                         f"got {names}")
    key = f"subgraph{next(_counter)}"
    SUBGRAPHS[key] = _Subgraph(sym)
    return key


def split_subgraphs(op_name, attrs):
    """For writing JSON: ``(attrs without the subgraph keys, [Symbol])`` of a
    node of op ``op_name`` (no Symbols for ops without subgraphs)."""
    keys = SUBGRAPH_PARAMS.get(op_name, ())
    if not keys:
        return attrs, []
    rest = {k: v for k, v in attrs.items() if k not in keys}
    return rest, [_subgraph(op_name, attrs.get(k)).sym for k in keys]


def attach_subgraphs(op_name, attrs, symbols):
    """For reading JSON: ``attrs`` plus keys naming ``symbols``, the node's
    ``subgraphs`` in MXNet's order."""
    keys = SUBGRAPH_PARAMS.get(op_name, ())
    if len(symbols) != len(keys):
        raise MXNetError(f"{op_name}: a node needs {len(keys)} subgraphs "
                         f"({', '.join(keys) or 'none'}), got {len(symbols)}")
    out = dict(attrs)
    out.update((k, add_subgraph(s)) for k, s in zip(keys, symbols))
    return out


def _subgraph(op, key):
    entry = SUBGRAPHS.get(key)
    if entry is None:
        raise MXNetError(f"{op}: unknown subgraph {key!r} (a subgraph comes from "
                         "mx.sym.contrib control flow or from a JSON node's 'subgraphs')")
    return entry


def _context(xp, array):
    from ..context import Context, cpu
    if xp is np:
        return cpu(0)
    return Context("gpu", getattr(getattr(array, "device", None), "id", 0))


def truth(op, pred):
    """The Python truth of a one-element condition array."""
    if pred.size != 1:
        raise MXNetError(f"{op}: the condition must have one element, got shape "
                         f"{tuple(pred.shape)}")
    return bool(pred.reshape(-1)[0])


class Runner:
    """Runs one subgraph on backing arrays given in its input order."""

    def __init__(self, op, key, xp, sample, is_train, rng):
        self.op, self.is_train = op, is_train
        self.graph = _subgraph(op, key)
        self.ctx = _context(xp, sample)
        self.rng = (lambda: rng) if rng is not None else None

    def program(self, inputs, keep=False):
        from ..graph.program import Program
        names = self.graph.input_names
        wrt = tuple(n for n, v in zip(names, inputs) if v.dtype.kind == "f") if keep else ()
        sig = tuple((tuple(v.shape), v.dtype.name) for v in inputs) + (wrt,)
        program = self.graph.programs.get(sig)
        if program is None:
            program = self.graph.programs[sig] = Program(
                self.graph.sym, {n: tuple(v.shape) for n, v in zip(names, inputs)},
                {n: v.dtype.name for n, v in zip(names, inputs)}, wrt)
        return program

    def forward(self, inputs, keep=False):
        """``(outputs, saved)``; ``saved`` feeds ``backward`` when ``keep``."""
        program = self.program(inputs, keep)
        outs, state = program.forward(inputs, self.is_train, keep, self.ctx, self.rng)
        return outs, (program, state)

    def backward(self, saved, head_grads):
        """Gradients per subgraph input (None where an input gets none)."""
        program, state = saved
        if state is None:  # no input is differentiable
            return [None] * len(self.graph.input_names)
        grads = dict(zip(program.wrt, program.backward(state, head_grads, self.ctx, self.rng,
                                                      self.is_train)))
        return [grads.get(n) for n in self.graph.input_names]


def check_locs(op, key, locs, n_node_inputs, what):
    """Check that ``locs`` (node input positions per subgraph input) fit."""
    graph = _subgraph(op, key)
    if len(locs) != len(graph.input_names):
        raise MXNetError(f"{op}: {what} lists {len(locs)} positions but its subgraph has "
                         f"{len(graph.input_names)} inputs {graph.input_names}")
    if any(not 0 <= loc < n_node_inputs for loc in locs):
        raise MXNetError(f"{op}: {what} {tuple(locs)} refers past the {n_node_inputs} inputs "
                         "of the node")


def infer_subgraph(op, key, values, kind):
    """Output shapes (or dtype names) of subgraph ``key`` from its inputs'
    (in input order); None while any is unknown."""
    if any(v is None for v in values):
        return None
    graph = _subgraph(op, key)
    given = dict(zip(graph.input_names, values))
    if kind == "shape":
        _, outs, _ = graph.sym.infer_shape_partial(**given)
        return None if any(not s or 0 in s for s in outs) else [tuple(s) for s in outs]
    _, outs, _ = graph.sym.infer_type_partial(**given)
    return None if any(t is None for t in outs) else [np.dtype(t).name for t in outs]


def fresh(xp, arrays, inputs):
    """``arrays`` with copies where one is an input or repeats an earlier one
    (kernel outputs never alias inputs or each other)."""
    seen = {id(x) for x in inputs}
    out = []
    for a in arrays:
        if id(a) in seen:
            a = a.copy()
        seen.add(id(a))
        out.append(a)
    return out


def backward_outputs_rule(attrs, items):
    """Rule of a ``_backward_*`` op: one gradient per forward input, alike."""
    n = attrs.num_outputs
    return items, list(items[n:])


def gradient_via(backward_name):
    """A gradient rule calling the fused ``backward_name`` op on the output
    gradients and the forward inputs."""
    def rule(F, attrs, inputs, outputs, out_grads):
        kwargs = {k: v for k, v in attrs.items() if k != "num_args"}
        grads = getattr(F._internal, backward_name)(*out_grads, *inputs, **kwargs)
        return list(grads) if isinstance(grads, (list, tuple)) else [grads]
    return rule


# -- foreach -----------------------------------------------------------------------------
_FOREACH_PARAMS = {
    "fn": Param("str", doc="Key of the loop body subgraph."),
    "num_outputs": Param("int", doc="Number of outputs: per-step outputs, then states."),
    "num_out_data": Param("int", doc="Number of per-step outputs of the body."),
    "in_data_locs": Param("shape", doc="Body input position of each data input."),
    "in_state_locs": Param("shape", doc="Body input position of each state input."),
    "remain_locs": Param("shape", doc="Body input position of each remaining input."),
}


def _foreach_split(attrs, items):
    """Node inputs as (data, states, remains): they come in that order."""
    nd_, ns = len(attrs.in_data_locs), len(attrs.in_state_locs)
    return items[:nd_], items[nd_:nd_ + ns], items[nd_ + ns:]


def _foreach_body(attrs, data, states, remains):
    """The body's inputs, in its input order, from slices, states and remains."""
    locs = attrs.in_data_locs + attrs.in_state_locs + attrs.remain_locs
    values = [None] * len(locs)
    for loc, v in zip(locs, list(data) + list(states) + list(remains)):
        values[loc] = v
    return values


def _foreach_check(attrs, n_items):
    locs = attrs.in_data_locs + attrs.in_state_locs + attrs.remain_locs
    if sorted(locs) != list(range(len(locs))) or len(locs) != n_items:
        raise MXNetError(f"_foreach: in_data_locs {attrs.in_data_locs}, in_state_locs "
                         f"{attrs.in_state_locs} and remain_locs {attrs.remain_locs} must "
                         f"number the {n_items} inputs once each")
    check_locs("_foreach", attrs.fn, locs, n_items, "in_data_locs+in_state_locs+remain_locs")
    if not attrs.in_data_locs:
        raise MXNetError("_foreach: needs at least one data input (in_data_locs is empty)")


def _foreach_rule(kind):
    def infer(attrs, items):
        _foreach_check(attrs, len(items))
        data, states, remains = _foreach_split(attrs, items)
        n, k = attrs.num_outputs, attrs.num_out_data
        if any(d is None for d in data):
            return items, [None] * n
        if kind == "shape":
            if len({d[0] for d in data}) != 1:
                raise MXNetError(f"_foreach: data inputs must share their first dimension, "
                                 f"got {[tuple(d) for d in data]}")
            slices = [tuple(d[1:]) for d in data]
        else:
            slices = list(data)
        outs = infer_subgraph("_foreach", attrs.fn,
                              _foreach_body(attrs, slices, states, remains), kind)
        if outs is None:
            return items, [None] * n
        # The final states have the initial states' shapes: fill unknown ones.
        filled = list(data) + list(outs[k:]) + list(remains)
        if kind == "shape":
            return filled, [(data[0][0],) + s for s in outs[:k]] + outs[k:]
        return filled, outs
    return infer


@register("_foreach", params=_FOREACH_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_outputs,
          infer_shape=_foreach_rule("shape"), infer_type=_foreach_rule("type"),
          gradient=gradient_via("_backward_foreach"), resources=("is_train", "rng"))
def _foreach(xp, attrs, *items, is_train=False, rng=None):
    """Run the body over slices of the data inputs along axis 0, carrying the
    states; per-step outputs are stacked along a new axis 0."""
    _foreach_check(attrs, len(items))
    data, states, remains = _foreach_split(attrs, items)
    runner = Runner("_foreach", attrs.fn, xp, items[0], is_train, rng)
    k = attrs.num_out_data
    steps = []
    for t in range(data[0].shape[0]):
        outs, _ = runner.forward(_foreach_body(attrs, [d[t] for d in data], states, remains))
        steps.append(outs[:k])
        states = outs[k:]
    if steps:
        stacked = [xp.stack([s[j] for s in steps]) for j in range(k)]
    else:  # no steps: empty outputs of the shapes one step would give
        slices = [xp.zeros(d.shape[1:], d.dtype) for d in data]
        program = runner.program(_foreach_body(attrs, slices, states, remains))
        stacked = [xp.zeros((0,) + s, d) for s, d in zip(program.output_shapes[:k],
                                                         program.output_dtypes[:k])]
    return tuple(stacked + fresh(xp, states, items))


@register("_backward_foreach", params=_FOREACH_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_args - attrs.num_outputs,
          infer_shape=backward_outputs_rule, infer_type=backward_outputs_rule,
          resources=("is_train", "rng"))
def _backward_foreach(xp, attrs, *items, is_train=True, rng=None):
    """Gradients of ``_foreach`` w.r.t. its inputs, from its output gradients."""
    n, k = attrs.num_outputs, attrs.num_out_data
    out_grads, inputs = items[:n], items[n:]
    data, states, remains = _foreach_split(attrs, inputs)
    runner = Runner("_foreach", attrs.fn, xp, items[0], is_train, rng)
    saved = []
    cur = states
    for t in range(data[0].shape[0]):
        outs, keep = runner.forward(_foreach_body(attrs, [d[t] for d in data], cur, remains),
                                    keep=True)
        saved.append(keep)
        cur = outs[k:]
    d_data = [xp.zeros(d.shape, d.dtype) for d in data]
    d_remain = [xp.zeros(r.shape, r.dtype) for r in remains]
    d_state = list(out_grads[k:])
    for t in reversed(range(len(saved))):
        grads = runner.backward(saved[t], [g[t] for g in out_grads[:k]] + d_state)
        for dd, loc in zip(d_data, attrs.in_data_locs):
            if grads[loc] is not None:
                dd[t] += grads[loc]
        d_state = [xp.zeros_like(s) if grads[loc] is None else grads[loc]
                   for loc, s in zip(attrs.in_state_locs, states)]
        for dr, loc in zip(d_remain, attrs.remain_locs):
            if grads[loc] is not None:
                dr += grads[loc]
    return tuple(d_data + fresh(xp, d_state, items) + d_remain)
