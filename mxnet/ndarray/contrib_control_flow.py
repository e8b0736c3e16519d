"""Imperative control flow (``mx.nd.contrib.foreach/while_loop/cond``).

Plain Python loops and branches over NDArrays: every operator the user's
functions call is recorded by autograd as usual, so gradients flow through
all iterations without anything special here.
"""
from ..base import MXNetError
from .ndarray import NDArray

__all__ = ["foreach", "while_loop", "cond"]


def _as_list(x, what):
    if isinstance(x, NDArray):
        return [x], True
    if isinstance(x, (list, tuple)) and all(isinstance(v, NDArray) for v in x):
        return list(x), False
    raise MXNetError(f"{what}: expected an NDArray or a list of NDArrays, got {type(x).__name__}")


def _stack(arrays):
    from . import op
    return op.stack(*arrays, axis=0, num_args=len(arrays))


def foreach(body, data, init_states):
    """Run ``body(data_slice, states) -> (outputs, new_states)`` over axis 0 of
    ``data`` (an NDArray or a list of them), carrying the states from
    ``init_states``. Returns ``(outputs stacked along a new axis 0, final
    states)``, each an NDArray or a list as ``body`` returned them."""
    data_list, single_data = _as_list(data, "foreach: data")
    _as_list(init_states, "foreach: init_states")
    steps = {d.shape[0] for d in data_list}
    if len(steps) != 1:
        raise MXNetError(f"foreach: data arrays must share their first dimension, got "
                         f"{[d.shape for d in data_list]}")
    states = init_states
    per_step, single_out = [], True
    for t in range(steps.pop()):
        slices = [d[t] for d in data_list]
        outs, states = body(slices[0] if single_data else slices, states)
        outs_list, single_out = _as_list(outs, "foreach: the body's outputs") \
            if not (isinstance(outs, (list, tuple)) and not outs) else ([], False)
        per_step.append(outs_list)
    if not per_step:
        raise MXNetError("foreach: data has no elements along axis 0")
    stacked = [_stack([step[i] for step in per_step]) for i in range(len(per_step[0]))]
    return (stacked[0] if single_out else stacked), states


def _truth(value, what):
    if isinstance(value, NDArray):
        if value.size != 1:
            raise MXNetError(f"{what}: the condition must be an array of one element, got "
                             f"shape {value.shape}")
        return bool(value.asscalar())
    return bool(value)


def while_loop(cond, func, loop_vars, max_iterations=None):
    """Run ``func(*loop_vars) -> (step_outputs, new_loop_vars)`` while
    ``cond(*loop_vars)`` holds, at most ``max_iterations`` times. Returns
    ``(outputs, final loop_vars)``: each step output stacked along a new axis
    0 and padded with zeros to ``max_iterations`` rows."""
    from . import op
    from .creation import zeros
    if max_iterations is None:
        raise MXNetError("while_loop: max_iterations must be given")
    loop_list, single_vars = _as_list(loop_vars, "while_loop: loop_vars")
    per_step, single_out = [], False
    steps = 0
    while steps < max_iterations and _truth(cond(*loop_list), "while_loop"):
        outs, new_vars = func(*loop_list)
        if outs is None or (isinstance(outs, (list, tuple)) and not outs):
            outs_list = []
        else:
            outs_list, single_out = _as_list(outs, "while_loop: the step outputs")
        new_list, _ = _as_list(new_vars, "while_loop: the new loop variables")
        if len(new_list) != len(loop_list):
            raise MXNetError(f"while_loop: func returned {len(new_list)} loop variables, "
                             f"expected {len(loop_list)}")
        per_step.append(outs_list)
        loop_list = new_list
        steps += 1
    outputs = []
    if per_step:
        for i in range(len(per_step[0])):
            out = _stack([step[i] for step in per_step])
            if steps < max_iterations:
                pad = zeros((max_iterations - steps,) + out.shape[1:], dtype=out.dtype,
                            ctx=out.context)
                out = op.concat(out, pad, dim=0, num_args=2)
            outputs.append(out)
    final = loop_list[0] if single_vars else loop_list
    return (outputs[0] if single_out and outputs else outputs), final


def cond(pred, then_func, else_func):
    """``then_func()`` if the one-element ``pred`` is nonzero, else ``else_func()``."""
    return then_func() if _truth(pred, "cond") else else_func()
