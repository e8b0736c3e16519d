"""Build the ``mx.sym`` operator functions from the op registry (no exec).

``mx.sym.FullyConnected(data=x, num_hidden=10, name='fc1')`` creates a node
``fc1`` whose missing inputs become variables ``fc1_weight``, ``fc1_bias``
(MXNet's convention); unnamed nodes get ``<function name lowercased><n>``.
Parameters are checked by the op's schema when the node is created and kept
as strings, as MXNet stores them.
"""
import inspect

import numpy as np

from ..base import MXNetError, _Null
from ..ndarray import register as nd_register
from ..ops import registry
from . import naming, variadic_inputs
from .symbol import Node, Symbol, stamp_versions

_P = inspect.Parameter


def attr_string(value):
    """MXNet's string form of a parameter value."""
    if isinstance(value, str):
        return value
    if isinstance(value, type) or isinstance(value, np.dtype):
        return np.dtype(value).name
    return str(value)  # a list keeps its brackets, as in MXNet: "[2, 3]"


def create(fname, args, kwargs, name=None, attr=None, hint=None):
    """A node for the op registered as ``fname``, applied to Symbol ``args``
    (positional inputs) and ``kwargs`` (symbol inputs by name, and params)."""
    op = registry.get(fname)
    sym_kwargs = {}
    params = {}
    for key, value in kwargs.items():
        if isinstance(value, Symbol):
            sym_kwargs[key] = value
        elif value is not _Null and (value is not None or key in op.params):
            params[key] = value  # a parameter given as None is kept, as "None"
    args = [a for a in args if a is not None]  # MXNet skips None inputs
    for a in args:
        if not isinstance(a, Symbol):
            raise MXNetError(f"{fname}: positional arguments must be Symbols, got "
                             f"{type(a).__name__} (pass parameters by keyword)")
    if op.variadic == "num_args" and op.params[op.variadic].required:
        # MXNet counts the inputs given for num_args only; other counts
        # (amp_multicast's num_outputs, multi_sum_sq's num_arrays) must be given.
        params.setdefault(op.variadic, len(args))
    # MXNet takes the node's automatic name before checking anything else, so a
    # call that fails still uses up its name (the next one is concat1, not concat0).
    node_name = naming.current().get(name, (hint or fname).lower())
    str_params = {k: attr_string(v) for k, v in params.items()}
    parsed = op.parse(str_params)
    attrs = naming.hide_keys(naming.current_attr_scope().get(attr))
    attrs.update(str_params)
    attrs.update(naming.node_attrs(op.name))
    inputs = _collect_inputs(op, fname, parsed, list(args), sym_kwargs, node_name, attrs)
    node = Node(op, node_name, attrs, inputs)
    stamp_versions(node)
    n = op.num_outputs(parsed)
    if op.visible_outputs is not None:
        n = op.visible_outputs(parsed)
    return Symbol([(node, i) for i in range(n)])


def _collect_inputs(op, fname, parsed, args, sym_kwargs, node_name, node_attrs):
    if op.variadic is not None:
        variadic_inputs.check_count(op, parsed)
        names = naming.fixed_inputs(op.name, parsed) or variadic_inputs.input_names(op, parsed)
    else:
        names = op.input_names(parsed)
    if names is not None:
        return _named_inputs(op, fname, names, args, sym_kwargs, node_name, node_attrs)
    if sym_kwargs:
        raise MXNetError(f"{fname}: inputs of a variadic operator are positional, "
                         f"got keyword inputs {sorted(sym_kwargs)}")
    entries = [_entry(s, fname) for s in args]
    for i, entry in enumerate(entries):
        _set_input_init(op, "", i, entry)
    return entries


def _named_inputs(op, fname, names, args, sym_kwargs, node_name, node_attrs):
    if len(args) > len(names):
        raise MXNetError(f"{fname}: takes {len(names)} inputs ({', '.join(names)}), "
                         f"got {len(args)}")
    unknown = set(sym_kwargs) - set(names)
    if unknown:
        raise MXNetError(f"{fname}: unknown input(s) {sorted(unknown)}; inputs are {names}")
    entries = []
    for i, input_name in enumerate(names):
        if i < len(args) or input_name in sym_kwargs:
            entry = _entry(args[i] if i < len(args) else sym_kwargs[input_name], fname)
            _set_input_init(op, input_name, i, entry)
            entries.append(entry)
        else:
            # MXNet gives a created variable all of the node's attributes.
            attrs = naming.input_variable_attrs(op.name, input_name, node_attrs, i)
            entries.append((Node(None, f"{node_name}_{input_name}", attrs), 0))
    return entries


def _set_input_init(op, input_name, position, entry):
    init = naming.input_init(op.name, input_name, position)
    if init is not None and entry[0].op is None:
        entry[0].attrs.setdefault("__init__", init)  # as MXNet, for given variables too


def _entry(sym, fname):
    if len(sym._outputs) != 1:
        raise MXNetError(f"{fname}: an input symbol must have one output, got "
                         f"{len(sym._outputs)} ({sym.list_outputs()})")
    return sym._outputs[0]


def make_function(op, fname, hint=None):
    """The ``mx.sym`` function for ``op`` under ``fname``; unnamed nodes are
    named after ``hint`` (default ``fname``)."""
    n_inputs = len(op.inputs) + len(op.aux)
    param_names = list(op.params)

    def fn(*args, name=None, attr=None, **kwargs):
        if op.variadic is None and len(args) > n_inputs:
            # Like MXNet: positional values after the inputs are parameters, in order.
            for key, value in zip(param_names, args[n_inputs:]):
                kwargs.setdefault(key, value)
            args = args[:n_inputs]
        return create(fname, args, kwargs, name, attr, hint)
    fn.__name__ = fn.__qualname__ = fname
    from ..ndarray.register import _doc
    fn.__doc__ = _doc(op, fname).replace("NDArray", "Symbol")
    params = [_P(n, _P.POSITIONAL_OR_KEYWORD, default=None) for n in op.inputs + op.aux]
    if op.variadic is not None:
        params = [_P(op.inputs[-1] if op.inputs else "args", _P.VAR_POSITIONAL)]
    else:
        params += [_P(k, _P.KEYWORD_ONLY, default=_Null) for k in op.params]
    params += [_P("name", _P.KEYWORD_ONLY, default=None), _P("attr", _P.KEYWORD_ONLY, default=None),
               _P("kwargs", _P.VAR_KEYWORD)]
    fn.__signature__ = inspect.Signature(params)
    fn.__module__ = "mxnet.symbol"
    fn.op = op
    return fn


def populate(namespace, module):
    """Add a function for every registered op of ``module`` to ``namespace``
    and keep adding ops registered later (named after the full op name)."""
    # MXNet names the nodes of these namespaces' functions after the short name
    # (mx.sym.contrib.box_nms -> box_nms0, mx.sym.random.uniform_like -> uniform_like0);
    # the others after the op.
    short_hint = module in ("contrib", "linalg", "sparse", "image", "random")
    return nd_register.populate(namespace, module, lambda op, short, full: make_function(
        op, full, short if short_hint else None))
