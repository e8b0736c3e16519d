"""Shape and type inference over a symbol graph.

Each operator's rule sees its inputs' known shapes (``None`` where unknown)
and returns them completed plus its output shapes, so information flows
forwards (outputs from inputs) and backwards (a FullyConnected weight's shape
from the data shape and ``num_hidden``). Passes repeat until nothing changes.

As in MXNet 1.x, a dimension of 0 is unknown: ``(0, 3)`` is a partly known
shape. Partly known shapes merge dimension by dimension with what the rules
infer; a shape with an unknown dimension is not a result of ``infer_shape``.
"""
import ast
import warnings

import numpy as np

from ..base import MXNetError
from ..ndarray.serialization import DTYPE_FLAGS
from ..symbol.symbol import topo_order

_FLAG_NAMES = {flag: np.dtype(dt).name for dt, flag in DTYPE_FLAGS.items()}


def _variable_hint(node, key):
    text = node.attrs.get(key)
    if text is None:
        return None
    if key == "__shape__":
        shape = tuple(ast.literal_eval(text))
        return shape if shape else None
    return _FLAG_NAMES.get(int(text))


def _merge_shapes(a, b):
    """The shape both partly known shapes describe, or None if they conflict."""
    if len(a) != len(b):
        return None
    merged = []
    for x, y in zip(a, b):
        if x and y and x != y:
            return None
        merged.append(x or y)
    return tuple(merged)


def _merge_types(a, b):
    return a if a == b else None


def _is_partial(shape):
    return shape is not None and 0 in shape


def _known_inputs(sym, args, kwargs, what, normalize):
    arg_names = sym.list_arguments()
    known = {}
    if args:
        if len(args) > len(arg_names):
            raise MXNetError(f"{what}: got {len(args)} positional values for "
                             f"{len(arg_names)} arguments")
        for name, value in zip(arg_names, args):
            if value is not None:
                known[name] = normalize(value)
    inputs = set(sym.list_inputs())
    for name, value in kwargs.items():
        if name not in inputs:
            raise MXNetError(f"{what}: {name!r} is not an input of the symbol; inputs are "
                             f"{sorted(inputs)}")
        if value is not None:
            known[name] = normalize(value)
    return known


def run(sym, known, rule_name, hint_key, merge, what):
    """Fixed-point inference; returns {(id(node), index): value or None}.

    ``merge(old, new)`` combines two values for one entry (None if they
    conflict); an equality test (returning True/False) also works, without
    merging partly known shapes. ``shapes``/``types`` below pick MXNet's merges."""
    nodes = topo_order(sym._outputs)
    values = {}
    for node in nodes:
        if node.op is None:
            value = known.get(node.name)
            if value is None:  # a given value overrides the variable's own hint
                value = _variable_hint(node, hint_key)
            values[(id(node), 0)] = value
    for _ in range(len(nodes) + 1):
        changed = False
        for node in nodes:
            if node.op is None:
                continue
            rule = getattr(node.op, rule_name)
            if rule is None:
                continue
            keys = [(id(src), i) for src, i in node.inputs]
            ins = [values.get(k) for k in keys]
            # A rule marked ``uses_outputs`` also learns from its known output
            # values (Reshape completes a partly known input from its output).
            outs_known = [values.get((id(node), i)) for i in range(node.num_outputs())] \
                if getattr(rule, "uses_outputs", False) else None
            result = _apply(rule, node, ins, what, outs_known)
            if result is None:
                continue
            new_ins, outs = result
            for pos, (key, old, new) in enumerate(zip(keys, ins, new_ins)):
                changed |= _update(values, key, old, new, merge, node, f"input {pos}", what)
            for i, out in enumerate(outs):
                key = (id(node), i)
                changed |= _update(values, key, values.get(key), out, merge, node,
                                   f"output {i}", what)
        if not changed:
            break
    return values


def shapes(sym, known):
    """Every entry's shape from the known input shapes {name: shape} (see ``run``)."""
    return run(sym, known, "infer_shape", "__shape__", _merge_shapes, "infer_shape")


def types(sym, known):
    """Every entry's dtype name from the known input dtypes {name: dtype name}."""
    return run(sym, known, "infer_type", "__dtype__", _merge_types, "infer_type")


def _apply(rule, node, ins, what, outs_known=None):
    """The rule's (inputs, outputs); partly known shapes it cannot use count as
    unknown (returns None when there is nothing to learn)."""
    extra = () if outs_known is None else (outs_known,)
    try:
        return rule(node.params(), list(ins), *extra)
    except MXNetError as e:
        if not any(_is_partial(v) for v in ins if isinstance(v, tuple)):
            raise MXNetError(f"{what}: error in operator {node.name} "
                             f"({node.op.name}): {e}") from None
    hidden = [None if isinstance(v, tuple) and _is_partial(v) else v for v in ins]
    if all(v is None for v in hidden):
        return None
    try:
        return rule(node.params(), hidden, *extra)
    except MXNetError as e:
        raise MXNetError(f"{what}: error in operator {node.name} "
                         f"({node.op.name}): {e}") from None


def _update(values, key, old, new, merge, node, where, what):
    """Store ``new`` for ``key``; True if that taught something."""
    if new is None:
        return False
    if old is None:
        values[key] = new
        return True
    merged = merge(old, new)
    if isinstance(merged, bool):
        merged = old if merged else None
    if merged is None:
        raise MXNetError(f"{what}: incompatible {what.split('_')[-1]} in node {node.name} "
                         f"({node.op.name}) at {where}: expected {old}, got {new}")
    if merged != old:
        values[key] = merged
        return True
    return False


def _collect(sym, values, unknown):
    """(complete, arg values, output values, aux values), ``unknown`` filling gaps."""
    nodes = topo_order(sym._outputs)
    aux = sym._aux_nodes()
    args = [values.get((id(n), 0)) for n in nodes if n.op is None and id(n) not in aux]
    auxs = [values.get((id(n), 0)) for n in nodes if n.op is None and id(n) in aux]
    outs = [values.get((id(n), i)) for n, i in sym._outputs]
    complete = all(v is not None and not (isinstance(v, tuple) and _is_partial(v))
                   for v in args + outs + auxs)
    fill = (lambda vs: [unknown if v is None else v for v in vs])
    return complete, fill(args), fill(outs), fill(auxs)


def _warn_undecided(sym, arg_shapes):
    """MXNet's warning naming the arguments whose shape stays unknown."""
    undecided = [f"{n}: {tuple(s)}" for n, s in zip(sym.list_arguments(), arg_shapes)
                 if not s or _is_partial(tuple(s))]
    warnings.warn("Cannot decide shape for the following arguments (0s in shape means "
                  "unknown dimensions). Consider providing them as input:\n\t"
                  + "\n\t".join(undecided), stacklevel=4)


def infer_shape(sym, args, kwargs, partial):
    known = _known_inputs(sym, args, kwargs, "infer_shape", lambda s: tuple(int(d) for d in s))
    values = shapes(sym, known)
    complete, arg_s, out_s, aux_s = _collect(sym, values, ())
    if not complete and not partial:
        _warn_undecided(sym, arg_s)
        return None, None, None
    return ([tuple(s) for s in arg_s], [tuple(s) for s in out_s], [tuple(s) for s in aux_s])


def infer_type(sym, args, kwargs, partial):
    known = _known_inputs(sym, args, kwargs, "infer_type", lambda t: np.dtype(t).name)
    values = types(sym, known)
    complete, arg_t, out_t, aux_t = _collect(sym, values, None)
    if not complete and not partial:
        return None, None, None
    to_type = (lambda ts: [None if t is None else np.dtype(t).type for t in ts])
    return to_type(arg_t), to_type(out_t), to_type(aux_t)
