"""Build the ``mx.nd`` operator functions from the op registry (no exec).

Each registered op becomes a Python function with a real
``inspect.Signature`` (inputs, then parameters, then ``out``/``name``), the
op's documentation as docstring, and a body that collects NDArray inputs and
keyword parameters and calls ``invoke``. Which module a name lands in
follows MXNet: ``_contrib_X`` in ``contrib``, ``_linalg_X`` in ``linalg``,
``_image_X`` in ``image``, ``_sparse_X`` in ``sparse``, ``_random_X`` and
``_sample_X`` in ``random`` (and ``_internal``), other ``_X`` in ``_internal``,
the rest public.
"""
import inspect

from ..base import MXNetError, _Null
from ..context import Context
from ..ops import registry
from .invoke import invoke

_SUBMODULE_PREFIXES = (("_contrib_", "contrib"), ("_linalg_", "linalg"), ("_image_", "image"),
                       ("_sparse_", "sparse"), ("_random_", "random"), ("_sample_", "random"))

_P = inspect.Parameter


def _doc(op, name):
    lines = [op.doc or f"The {op.name} operator.", ""]
    if name != op.name:
        lines += [f"Alias of ``{op.name}``.", ""]
    lines.append("Parameters")
    lines.append("----------")
    for inp in op.inputs + op.aux:
        lines.append(f"{inp} : NDArray{'[]' if op.variadic else ''}")
    for key, p in op.params.items():
        if key == op.variadic:
            continue
        lines.append(f"{key} : {p.type_doc()}")
        if p.doc:
            lines.append(f"    {p.doc}")
    lines += ["out : NDArray, optional", "    The output array to write into.", "",
              "Returns", "-------", "NDArray or list of NDArrays"]
    return "\n".join(lines)


def _signature(op):
    if op.variadic is not None:
        # MXNet names ``*`` after the op's array-list input, its last one
        # (dgl_csr_neighbor_uniform_sample(csr_matrix, seed_arrays[]) -> *seed_arrays).
        params = [_P(op.inputs[-1] if op.inputs else "args", _P.VAR_POSITIONAL),
                  _P("kwargs", _P.VAR_KEYWORD)]
        return inspect.Signature(params)
    params = [_P(n, _P.POSITIONAL_OR_KEYWORD, default=None) for n in op.inputs + op.aux]
    params += [_P(k, _P.POSITIONAL_OR_KEYWORD, default=_Null) for k in op.params]
    params += [_P("out", _P.POSITIONAL_OR_KEYWORD, default=None),
               _P("name", _P.POSITIONAL_OR_KEYWORD, default=None),
               _P("kwargs", _P.VAR_KEYWORD)]
    return inspect.Signature(params)


def make_function(op, name):
    """The ``mx.nd`` function for ``op`` under ``name``."""
    input_names = op.inputs + op.aux
    input_set = frozenset(input_names)
    param_names = tuple(op.params)
    n_inputs = len(input_names)
    variadic = op.variadic
    # The input count (num_args) is filled in from the call unless the op gives
    # it a default (the multi-tensor optimizer ops count weights, not arrays).
    count_required = variadic is not None and op.params[variadic].required

    if variadic is not None:
        def fn(*data, out=None, name=None, **kwargs):
            if len(data) == 1 and isinstance(data[0], (list, tuple)):
                data = data[0]
            if count_required:
                kwargs.setdefault(variadic, len(data))
            return invoke(op, list(data), kwargs, out)
    else:
        def fn(*args, out=None, name=None, **kwargs):
            if len(args) == n_inputs and n_inputs:
                # The common call: every input given positionally, keywords are parameters.
                for x in args:
                    if x is None:
                        break
                else:
                    for key, value in kwargs.items():
                        if value is _Null or key in input_set:
                            break
                    else:
                        return invoke(op, list(args), kwargs, out)
            ctx = _as_context(kwargs.pop("ctx", None)) if not n_inputs else None
            inputs = list(args[:n_inputs])
            if len(args) > n_inputs:
                extra = args[n_inputs:]
                if len(extra) > len(param_names):
                    raise MXNetError(f"{op.name}: takes at most {n_inputs + len(param_names)} "
                                     f"positional arguments, got {len(args)}")
                for key, value in zip(param_names, extra):
                    kwargs[key] = value
            if kwargs:
                for i in range(len(inputs), n_inputs):
                    inputs.append(kwargs.pop(input_names[i], None))
                for key in [k for k, v in kwargs.items() if v is _Null]:
                    del kwargs[key]
            if any(x is None for x in inputs):
                # MXNet passes only the inputs given; which ones an op needs
                # follows from its parameters (no_bias, use_length...).
                inputs = [x for x in inputs if x is not None]
            return invoke(op, inputs, kwargs, out, ctx)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = _doc(op, name)
    fn.__signature__ = _signature(op)
    fn.__module__ = "mxnet.ndarray"
    fn.op = op
    return fn


def _as_context(ctx):
    if ctx is None or isinstance(ctx, Context):
        return ctx
    if isinstance(ctx, str):
        text = ctx.strip()
        if not text:
            return None
        if text.endswith(")") and "(" in text:
            kind, _, num = text[:-1].partition("(")
            return Context(kind, int(num))
        return Context(text)
    raise MXNetError(f"ctx: expected a Context or a string like 'cpu(0)', got {ctx!r}")


def modules_for(name):
    """The (submodule, short name) places of registered op ``name``: random
    ops are also reachable under their full name in ``_internal``, as in MXNet."""
    for prefix, module in _SUBMODULE_PREFIXES:
        if name.startswith(prefix):
            places = [(module, name[len(prefix):])]
            if module == "random":
                places.append(("_internal", name))
            return places
    if name.startswith("_"):
        return [("_internal", name)]
    return [("op", name)]


_NAMESPACES = {}  # module name -> namespaces kept up to date with the registry


def populate(namespace, module, make=None):
    """Put a function for every registered op belonging to ``module`` into
    ``namespace``, and keep adding ops registered later (user-defined ops).
    ``make(op, short_name, full_name)`` builds a function (``mx.nd``'s by
    default; ``mx.sym`` passes its own). Returns the names added now."""
    make = make or _make_nd
    _NAMESPACES.setdefault(module, []).append((namespace, make))
    added = []
    for name, op in sorted(registry.all_ops().items()):
        for mod, short in modules_for(name):
            if mod == module and short not in namespace:
                namespace[short] = make(op, short, name)
                added.append(short)
    return added


def _make_nd(op, short, full):
    return make_function(op, short)


def _on_register(op):
    for name in (op.name,) + op.aliases:
        for mod, short in modules_for(name):
            for namespace, make in _NAMESPACES.get(mod, ()):
                if short not in namespace:
                    namespace[short] = make(op, short, name)
                    if "__all__" in namespace:
                        namespace["__all__"].append(short)


registry.add_listener(_on_register)
