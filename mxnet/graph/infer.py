"""Shape and type inference over a symbol graph.

Each operator's rule sees its inputs' known shapes (``None`` where unknown)
and returns them completed plus its output shapes, so information flows
forwards (outputs from inputs) and backwards (a FullyConnected weight's shape
from the data shape and ``num_hidden``). Passes repeat until nothing changes.
"""
import ast

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
        return shape if shape and all(d > 0 for d in shape) else None
    return _FLAG_NAMES.get(int(text))


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


def run(sym, known, rule_name, hint_key, equal, what):
    """Fixed-point inference; returns {(id(node), index): value or None}."""
    nodes = topo_order(sym._outputs)
    values = {}
    for node in nodes:
        if node.op is None:
            value = known.get(node.name)
            if value is None:
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
            try:
                new_ins, outs = rule(node.params(), list(ins))
            except MXNetError as e:
                raise MXNetError(f"{what}: error in operator {node.name} "
                                 f"({node.op.name}): {e}") from None
            for pos, (key, old, new) in enumerate(zip(keys, ins, new_ins)):
                if new is None:
                    continue
                if old is not None and not equal(old, new):
                    raise MXNetError(f"{what}: incompatible {what.split('_')[-1]} in node "
                                     f"{node.name} at input {pos}: expected {old}, got {new}")
                if old is None:
                    values[key] = new
                    changed = True
            for i, out in enumerate(outs):
                key = (id(node), i)
                if out is not None and values.get(key) is None:
                    values[key] = out
                    changed = True
        if not changed:
            break
    return values


def _collect(sym, values, default):
    nodes = topo_order(sym._outputs)
    aux = sym._aux_nodes()
    args = [values.get((id(n), 0)) for n in nodes if n.op is None and id(n) not in aux]
    auxs = [values.get((id(n), 0)) for n in nodes if n.op is None and id(n) in aux]
    outs = [values.get((id(n), i)) for n, i in sym._outputs]
    complete = all(v is not None for v in args + outs + auxs)
    fill = (lambda vs: [default if v is None else v for v in vs])
    return complete, fill(args), fill(outs), fill(auxs)


def infer_shape(sym, args, kwargs, partial):
    known = _known_inputs(sym, args, kwargs, "infer_shape", lambda s: tuple(int(d) for d in s))
    values = run(sym, known, "infer_shape", "__shape__",
                 lambda a, b: tuple(a) == tuple(b), "infer_shape")
    complete, arg_s, out_s, aux_s = _collect(sym, values, ())
    if not complete and not partial:
        return None, None, None
    return ([tuple(s) for s in arg_s], [tuple(s) for s in out_s], [tuple(s) for s in aux_s])


def infer_type(sym, args, kwargs, partial):
    known = _known_inputs(sym, args, kwargs, "infer_type", lambda t: np.dtype(t).name)
    values = run(sym, known, "infer_type", "__dtype__", lambda a, b: a == b, "infer_type")
    complete, arg_t, out_t, aux_t = _collect(sym, values, None)
    if not complete and not partial:
        return None, None, None
    to_type = (lambda ts: [None if t is None else np.dtype(t).type for t in ts])
    return to_type(arg_t), to_type(out_t), to_type(aux_t)
