"""Symbolic control flow (``mx.sym.contrib.foreach/while_loop/cond``).

``foreach`` traces the user's body function once on placeholder variables
into a subgraph and creates one ``_foreach`` node running it per step (the
number of steps comes from the data shape at run time). Variables the body
uses besides its placeholders become inputs of the node. ``cond`` builds
both branches and selects with ``where`` (both run; the gradient reaches
only the selected one). A data-dependent ``while_loop`` has no symbolic
form here and raises MXNetError.
"""
from ..base import MXNetError
from ..ops.control_flow import add_subgraph
from . import register
from .symbol import Group, Symbol, var

__all__ = ["foreach", "while_loop", "cond"]


def _as_list(x, what):
    if isinstance(x, Symbol):
        return [x], True
    if isinstance(x, (list, tuple)) and all(isinstance(v, Symbol) for v in x):
        return list(x), False
    raise MXNetError(f"{what}: expected a Symbol or a list of Symbols, got {type(x).__name__}")


_placeholders = iter(range(1 << 62))


def foreach(body, data, init_states, name="foreach"):
    """Symbol running ``body(data_slice, states) -> (outputs, new_states)`` over
    axis 0 of ``data``; returns ``(stacked outputs, final states)`` in the
    forms ``body`` used (a Symbol or a list)."""
    data_list, single_data = _as_list(data, "foreach: data")
    state_list, single_state = _as_list(init_states, "foreach: init_states")
    tag = next(_placeholders)
    data_vars = [var(f"_foreach{tag}_data{i}") for i in range(len(data_list))]
    state_vars = [var(f"_foreach{tag}_state{i}") for i in range(len(state_list))]
    outs, new_states = body(data_vars[0] if single_data else data_vars,
                            state_vars[0] if single_state else state_vars)
    if isinstance(outs, (list, tuple)) and not outs:
        out_list, single_out = [], False
    else:
        out_list, single_out = _as_list(outs, "foreach: the body's outputs")
    new_list, single_new = _as_list(new_states, "foreach: the body's new states")
    if len(new_list) != len(state_list):
        raise MXNetError(f"foreach: the body returned {len(new_list)} states, expected "
                         f"{len(state_list)}")
    body_sym = Group(out_list + new_list)
    own = {s.name for s in data_vars + state_vars}
    remains = [(n, 0) for n in body_sym._nodes() if n.op is None and n.name not in own]
    params = {"fn": add_subgraph(body_sym), "num_outputs": len(out_list) + len(new_list),
              "num_out_data": len(out_list),
              "data_names": ",".join(v.name for v in data_vars),
              "state_names": ",".join(v.name for v in state_vars),
              "remain_names": ",".join(n.name for n, _ in remains)}
    inputs = data_list + state_list + [Symbol([e]) for e in remains]
    node = register.create("_foreach", inputs, params)
    outputs = [node[i] for i in range(len(out_list) + len(new_list))]
    result = outputs[:len(out_list)]
    states = outputs[len(out_list):]
    return (result[0] if single_out else result), (states[0] if single_new else states)


def while_loop(cond, func, loop_vars, max_iterations=None, name="while_loop"):
    """Not available symbolically: the number of steps depends on data."""
    raise MXNetError("sym.contrib.while_loop: data-dependent loops are not supported in "
                     "symbolic graphs here; use mx.nd.contrib.while_loop (imperative, also "
                     "inside a non-hybridized block) or foreach when the step count follows "
                     "from a shape")


def cond(pred, then_func, else_func, name="cond"):
    """``then_func()`` where the one-element ``pred`` is nonzero, else
    ``else_func()``; both branches are computed and one is selected."""
    from . import op
    then_list, single = _as_list(then_func(), "cond: then_func's result")
    else_list, _ = _as_list(else_func(), "cond: else_func's result")
    if len(then_list) != len(else_list):
        raise MXNetError(f"cond: the branches return {len(then_list)} and {len(else_list)} "
                         "outputs")
    # where() takes a condition along the first axis; spread pred over it.
    outs = [op.where(op.broadcast_like(pred, t, lhs_axes=(0,), rhs_axes=(0,)), t, e)
            for t, e in zip(then_list, else_list)]
    return outs[0] if single else outs
