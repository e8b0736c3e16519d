"""``_while_loop`` and ``_cond``: data-dependent control flow over subgraphs.

Both take the union of their subgraphs' inputs as node inputs; each
``*_input_locs`` param gives, per input of one subgraph, its node input
position. ``_while_loop`` also has ``func_var_locs``: the ``func`` input
position of each loop variable. Running, a loop variable's new value
replaces its node input for the next ``cond`` and ``func`` evaluation.
The machinery (subgraph keys, Runner, backward-by-replay) is in
``control_flow``.
"""
from ..base import MXNetError
from .control_flow import (Runner, backward_outputs_rule, check_locs, fresh, gradient_via,
                           infer_subgraph, truth)
from .params import Param
from .registry import register

# -- while_loop --------------------------------------------------------------------------
_WHILE_PARAMS = {
    "cond": Param("str", doc="Key of the loop condition subgraph (one one-element output)."),
    "func": Param("str", doc="Key of the loop body subgraph: step outputs, then new loop "
                             "variables."),
    "num_outputs": Param("int", doc="Number of outputs: step outputs, then loop variables."),
    "num_out_data": Param("int", doc="Number of step outputs of the body."),
    "max_iterations": Param("int", doc="Most iterations; step outputs have this many rows."),
    "cond_input_locs": Param("shape", doc="Node input position of each cond input."),
    "func_input_locs": Param("shape", doc="Node input position of each func input."),
    "func_var_locs": Param("shape", doc="func input position of each loop variable."),
}


def _var_slots(attrs, n_items):
    """Node input positions of the loop variables, after checking the params."""
    if attrs.max_iterations < 1:
        raise MXNetError(f"_while_loop: max_iterations must be at least 1, got "
                         f"{attrs.max_iterations}")
    check_locs("_while_loop", attrs.cond, attrs.cond_input_locs, n_items, "cond_input_locs")
    check_locs("_while_loop", attrs.func, attrs.func_input_locs, n_items, "func_input_locs")
    locs = attrs.func_input_locs
    if any(not 0 <= v < len(locs) for v in attrs.func_var_locs) \
            or attrs.num_outputs - attrs.num_out_data != len(attrs.func_var_locs):
        raise MXNetError(f"_while_loop: func_var_locs {attrs.func_var_locs} must give one "
                         f"func input (of {len(locs)}) per loop variable "
                         f"({attrs.num_outputs - attrs.num_out_data})")
    return [locs[v] for v in attrs.func_var_locs]


def _while_rule(kind):
    def infer(attrs, items):
        _var_slots(attrs, len(items))
        n, k = attrs.num_outputs, attrs.num_out_data
        outs = infer_subgraph("_while_loop", attrs.func,
                              [items[i] for i in attrs.func_input_locs], kind)
        if outs is None:
            return items, [None] * n
        if kind == "shape":
            return items, [(attrs.max_iterations,) + s for s in outs[:k]] + outs[k:]
        return items, outs
    return infer


def _iterate(xp, attrs, items, is_train, rng, keep):
    """Run the loop; returns (func runner, step outputs, saved step states,
    final node inputs with the loop variables' last values)."""
    slots = _var_slots(attrs, len(items))
    cond = Runner("_while_loop", attrs.cond, xp, items[0], is_train, rng)
    func = Runner("_while_loop", attrs.func, xp, items[0], is_train, rng)
    k = attrs.num_out_data
    current = list(items)
    steps, saved = [], []
    while len(steps) < attrs.max_iterations:
        pred, _ = cond.forward([current[i] for i in attrs.cond_input_locs])
        if not truth("_while_loop", pred[0]):
            break
        outs, state = func.forward([current[i] for i in attrs.func_input_locs], keep)
        for v, (slot, new) in enumerate(zip(slots, outs[k:])):
            old = current[slot]
            if new.shape != old.shape or new.dtype != old.dtype:
                raise MXNetError(f"_while_loop: loop variable {v} must keep its shape and "
                                 f"dtype, {tuple(old.shape)} {old.dtype.name} became "
                                 f"{tuple(new.shape)} {new.dtype.name}")
            current[slot] = new
        steps.append(outs[:k])
        saved.append(state)
    return func, steps, saved, current


@register("_while_loop", params=_WHILE_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_outputs,
          infer_shape=_while_rule("shape"), infer_type=_while_rule("type"),
          gradient=gradient_via("_backward_while_loop"), resources=("is_train", "rng"))
def _while_loop(xp, attrs, *items, is_train=False, rng=None):
    """Run ``func`` while ``cond`` holds, at most ``max_iterations`` times.
    Step outputs are stacked along a new axis 0 of ``max_iterations`` rows,
    rows past the last step zero (MXNet leaves them uninitialised); then
    come the loop variables' final values."""
    func, steps, _, current = _iterate(xp, attrs, items, is_train, rng, keep=False)
    program = func.program([current[i] for i in attrs.func_input_locs])
    outputs = []
    for j in range(attrs.num_out_data):
        out = xp.zeros((attrs.max_iterations,) + program.output_shapes[j],
                       program.output_dtypes[j])
        for t, step in enumerate(steps):
            out[t] = step[j]
        outputs.append(out)
    final = [current[s] for s in _var_slots(attrs, len(items))]
    return tuple(outputs + fresh(xp, final, items))


@register("_backward_while_loop", params=_WHILE_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_args - attrs.num_outputs,
          infer_shape=backward_outputs_rule, infer_type=backward_outputs_rule,
          resources=("is_train", "rng"))
def _backward_while_loop(xp, attrs, *items, is_train=True, rng=None):
    """Gradients of ``_while_loop`` w.r.t. its inputs: the loop is replayed,
    then each step's body gradient feeds the loop variables' gradients of the
    step before; rows of padding get none."""
    n, k = attrs.num_outputs, attrs.num_out_data
    out_grads, inputs = items[:n], items[n:]
    func, _, saved, _ = _iterate(xp, attrs, inputs, is_train, rng, keep=True)
    slots = _var_slots(attrs, len(inputs))
    var_positions = set(attrs.func_var_locs)
    grads = [xp.zeros(x.shape, x.dtype) for x in inputs]
    d_vars = list(out_grads[k:])
    for t in reversed(range(len(saved))):
        g = func.backward(saved[t], [og[t] for og in out_grads[:k]] + d_vars)
        for pos, slot in enumerate(attrs.func_input_locs):
            if pos not in var_positions and g[pos] is not None:
                grads[slot] += g[pos]
        d_vars = [xp.zeros_like(inputs[s]) if g[p] is None else g[p]
                  for p, s in zip(attrs.func_var_locs, slots)]
    for slot, d in zip(slots, d_vars):
        grads[slot] += d
    return tuple(grads)


# -- cond --------------------------------------------------------------------------------
_COND_PARAMS = {
    "cond": Param("str", doc="Key of the condition subgraph (one one-element output)."),
    "then_branch": Param("str", doc="Key of the subgraph run when the condition holds."),
    "else_branch": Param("str", doc="Key of the subgraph run otherwise."),
    "num_outputs": Param("int", doc="Number of outputs of each branch."),
    "cond_input_locs": Param("shape", doc="Node input position of each cond input."),
    "then_input_locs": Param("shape", doc="Node input position of each then-branch input."),
    "else_input_locs": Param("shape", doc="Node input position of each else-branch input."),
}


def _cond_check(attrs, n_items):
    for key, locs, what in ((attrs.cond, attrs.cond_input_locs, "cond_input_locs"),
                            (attrs.then_branch, attrs.then_input_locs, "then_input_locs"),
                            (attrs.else_branch, attrs.else_input_locs, "else_input_locs")):
        check_locs("_cond", key, locs, n_items, what)


def _cond_rule(kind):
    def infer(attrs, items):
        _cond_check(attrs, len(items))
        then = infer_subgraph("_cond", attrs.then_branch,
                              [items[i] for i in attrs.then_input_locs], kind)
        other = infer_subgraph("_cond", attrs.else_branch,
                               [items[i] for i in attrs.else_input_locs], kind)
        if then is not None and other is not None and then != other:
            raise MXNetError(f"_cond: the branches must give outputs of the same "
                             f"{kind}s, got {then} and {other}")
        outs = then if then is not None else other
        return items, [None] * attrs.num_outputs if outs is None else outs
    return infer


def _branch(xp, attrs, items, is_train, rng):
    """(runner, inputs) of the branch the condition picks."""
    _cond_check(attrs, len(items))
    cond = Runner("_cond", attrs.cond, xp, items[0], is_train, rng)
    pred, _ = cond.forward([items[i] for i in attrs.cond_input_locs])
    key, locs = ((attrs.then_branch, attrs.then_input_locs) if truth("_cond", pred[0])
                 else (attrs.else_branch, attrs.else_input_locs))
    return Runner("_cond", key, xp, items[0], is_train, rng), locs


@register("_cond", params=_COND_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_outputs,
          infer_shape=_cond_rule("shape"), infer_type=_cond_rule("type"),
          gradient=gradient_via("_backward_cond"), resources=("is_train", "rng"))
def _cond(xp, attrs, *items, is_train=False, rng=None):
    """The outputs of ``then_branch`` where the one-element ``cond`` output
    is nonzero, else of ``else_branch``; only the chosen branch runs."""
    runner, locs = _branch(xp, attrs, items, is_train, rng)
    outs, _ = runner.forward([items[i] for i in locs])
    return tuple(fresh(xp, outs, items))


@register("_backward_cond", params=_COND_PARAMS, variadic="num_args",
          num_outputs=lambda attrs: attrs.num_args - attrs.num_outputs,
          infer_shape=backward_outputs_rule, infer_type=backward_outputs_rule,
          resources=("is_train", "rng"))
def _backward_cond(xp, attrs, *items, is_train=True, rng=None):
    """Gradients of ``_cond`` w.r.t. its inputs: through the chosen branch;
    inputs only the other branch or the condition read get zeros."""
    n = attrs.num_outputs
    out_grads, inputs = items[:n], items[n:]
    runner, locs = _branch(xp, attrs, inputs, is_train, rng)
    _, saved = runner.forward([inputs[i] for i in locs], keep=True)
    grads = [xp.zeros(x.shape, x.dtype) for x in inputs]
    for slot, g in zip(locs, runner.backward(saved, list(out_grads))):
        if g is not None:
            grads[slot] += g
    return tuple(grads)
