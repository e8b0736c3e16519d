"""Control-flow operators of symbolic graphs: ``_foreach``, ``_while_loop``, ``_cond``.

Each runs subgraphs (Symbols built by ``mx.sym.contrib.foreach/while_loop/
cond`` from the user's Python functions) compiled for the shapes they meet.
A subgraph is named in the node's attributes by a key into ``SUBGRAPHS``
(graph attributes are strings), and its inputs are listed by name in
``*_input_names``-style attributes so the node's inputs map onto them.

The gradient of each op is a ``_backward_*`` op that re-runs the forward
iterations keeping their values, then walks them in reverse through the
subgraph's compiled backward pass: stateless, at the price of computing
the forward twice. These ops execute compiled graphs, so they import the
graph layer when they run (the one place an operator does).
"""
import itertools

import numpy as np

from ..base import MXNetError
from .params import Param
from .registry import register

# Subgraph key -> Symbol. Symbols are small and graphs holding a key may be
# rebuilt and re-run at any time, so entries are kept for the process.
SUBGRAPHS = {}
_counter = itertools.count()


def add_subgraph(sym):
    """Keep ``sym`` and return the string key naming it in node attributes."""
    key = f"subgraph{next(_counter)}"
    SUBGRAPHS[key] = (sym, {})
    return key


def _subgraph(op, key):
    entry = SUBGRAPHS.get(key)
    if entry is None:
        raise MXNetError(f"{op}: unknown subgraph {key!r} (subgraphs are kept in memory and "
                         "cannot be loaded from JSON)")
    return entry


def _names(text):
    return [n for n in text.split(",") if n] if text else []


def _program(op, key, shapes, dtypes, wrt=()):
    """The compiled Program of subgraph ``key`` for these input shapes/dtypes."""
    from ..graph.program import Program
    sym, cache = _subgraph(op, key)
    sig = (tuple(sorted(shapes.items())), tuple(sorted(dtypes.items())), tuple(wrt))
    program = cache.get(sig)
    if program is None:
        program = cache[sig] = Program(sym, shapes, dtypes, wrt)
    return program


def _context(xp, array):
    from ..context import Context, cpu
    if xp is np:
        return cpu(0)
    return Context("gpu", getattr(getattr(array, "device", None), "id", 0))


class _Runner:
    """Runs one subgraph on named backing arrays."""

    def __init__(self, op, key, xp, sample, is_train, rng):
        self.op, self.key, self.is_train = op, key, is_train
        self.ctx = _context(xp, sample)
        self.rng = (lambda: rng) if rng is not None else None

    def program(self, values, wrt=()):
        return _program(self.op, self.key, {n: tuple(v.shape) for n, v in values.items()},
                        {n: v.dtype.name for n, v in values.items()}, wrt)

    def forward(self, values, keep=False):
        wrt = [n for n, v in values.items() if v.dtype.kind == "f"] if keep else ()
        program = self.program(values, wrt)
        outs, state = program.forward([values[n] for n in program.input_names], self.is_train,
                                      keep, self.ctx, self.rng)
        return outs, (program, state)

    def backward(self, saved, head_grads):
        program, state = saved
        grads = program.backward(state, head_grads, self.ctx, self.rng, self.is_train)
        return dict(zip(program.wrt, grads))


def _infer(op, key, names, shapes, kind):
    """Output shapes (or dtypes) of subgraph ``key`` from its named inputs'."""
    if any(s is None for s in shapes):
        return None
    sym, _ = _subgraph(op, key)
    given = dict(zip(names, shapes))
    if kind == "shape":
        _, outs, _ = sym.infer_shape_partial(**given)
        return None if any(not s or 0 in s for s in outs) else [tuple(s) for s in outs]
    _, outs, _ = sym.infer_type_partial(**given)
    return None if any(t is None for t in outs) else [np.dtype(t).name for t in outs]


# -- foreach -----------------------------------------------------------------------------
_FOREACH_PARAMS = {
    "fn": Param("str", doc="Key of the loop body subgraph."),
    "num_outputs": Param("int", doc="Number of outputs: per-step outputs, then states."),
    "num_out_data": Param("int", doc="Number of per-step outputs of the body."),
    "data_names": Param("str", "", "Body inputs fed a slice of each data input."),
    "state_names": Param("str", "", "Body inputs fed the loop states."),
    "remain_names": Param("str", "", "Body inputs fed the same array every step."),
}


def _foreach_inputs(attrs, items):
    """Split node inputs into (data, states, remains) as the attributes name them."""
    nd_, ns = len(_names(attrs.data_names)), len(_names(attrs.state_names))
    return items[:nd_], items[nd_:nd_ + ns], items[nd_ + ns:]


def _foreach_body_inputs(attrs, data, states, remains):
    return dict(zip(_names(attrs.data_names) + _names(attrs.state_names)
                    + _names(attrs.remain_names), list(data) + list(states) + list(remains)))


def _foreach_rule(kind):
    def infer(attrs, items):
        data, states, remains = _foreach_inputs(attrs, items)
        n = attrs.num_outputs
        if any(d is None for d in data):
            return items, [None] * n
        if kind == "shape":
            steps = {d[0] for d in data}
            if len(steps) != 1:
                raise MXNetError(f"_foreach: data inputs must share their first dimension, "
                                 f"got {[tuple(d) for d in data]}")
            slices = [tuple(d[1:]) for d in data]
        else:
            slices = list(data)
        body = _foreach_body_inputs(attrs, slices, states, remains)
        outs = _infer("_foreach", attrs.fn, list(body), list(body.values()), kind)
        if outs is None:
            return items, [None] * n
        k = attrs.num_out_data
        if kind == "shape":
            per_step = [(data[0][0],) + s for s in outs[:k]]
            return items[:len(data)] + list(outs[k:]) + items[len(data) + len(states):], \
                per_step + outs[k:]
        return items[:len(data)] + list(outs[k:]) + items[len(data) + len(states):], outs
    return infer


def _foreach_gradient(F, attrs, inputs, outputs, out_grads):
    kwargs = {k: v for k, v in attrs.items() if k != "num_args"}
    grads = F._internal._backward_foreach(*out_grads, *inputs, **kwargs)
    return list(grads) if isinstance(grads, (list, tuple)) else [grads]


@register("_foreach", params=_FOREACH_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_outputs,
          infer_shape=_foreach_rule("shape"), infer_type=_foreach_rule("type"),
          gradient=_foreach_gradient, resources=("is_train", "rng"))
def _foreach(xp, attrs, *items, is_train=False, rng=None):
    """Run the body over slices of the data inputs along axis 0, carrying the
    states; per-step outputs are stacked along a new axis 0."""
    data, states, remains = _foreach_inputs(attrs, items)
    runner = _Runner("_foreach", attrs.fn, xp, items[0], is_train, rng)
    k = attrs.num_out_data
    steps = [[] for _ in range(k)]
    for t in range(data[0].shape[0]):
        outs, _ = runner.forward(_foreach_body_inputs(attrs, [d[t] for d in data], states,
                                                      remains))
        for acc, o in zip(steps, outs[:k]):
            acc.append(o)
        states = outs[k:]
    return tuple([xp.stack(s) for s in steps] + [s.copy() for s in states])


def _backward_foreach_shape(attrs, items):
    n = attrs.num_outputs
    return items, list(items[n:])


@register("_backward_foreach", params=_FOREACH_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_args - attrs.num_outputs,
          infer_shape=_backward_foreach_shape, infer_type=_backward_foreach_shape,
          resources=("is_train", "rng"))
def _backward_foreach(xp, attrs, *items, is_train=True, rng=None):
    """Gradients of ``_foreach`` w.r.t. its inputs, from its output gradients."""
    n, k = attrs.num_outputs, attrs.num_out_data
    out_grads, inputs = items[:n], items[n:]
    data, states, remains = _foreach_inputs(attrs, inputs)
    runner = _Runner("_foreach", attrs.fn, xp, items[0], is_train, rng)
    data_names = _names(attrs.data_names)
    state_names = _names(attrs.state_names)
    remain_names = _names(attrs.remain_names)
    saved = []
    cur = states
    for t in range(data[0].shape[0]):
        outs, keep = runner.forward(_foreach_body_inputs(attrs, [d[t] for d in data], cur,
                                                         remains), keep=True)
        saved.append(keep)
        cur = outs[k:]
    d_data = [xp.zeros(d.shape, d.dtype) for d in data]
    d_remain = [xp.zeros(r.shape, r.dtype) for r in remains]
    d_state = list(out_grads[k:])
    for t in reversed(range(len(saved))):
        heads = [g[t] for g in out_grads[:k]] + d_state
        grads = runner.backward(saved[t], heads)
        for dd, name in zip(d_data, data_names):
            if grads.get(name) is not None:
                dd[t] += grads[name]
        d_state = [grads.get(name) if grads.get(name) is not None else xp.zeros_like(s)
                   for name, s in zip(state_names, states)]
        for dr, name in zip(d_remain, remain_names):
            if grads.get(name) is not None:
                dr += grads[name]
    return tuple(d_data + [xp.asarray(s).copy() for s in d_state] + d_remain)
