"""Griffe extension for the API reference: operator functions are created at
import time from the op registry (``mxnet.ndarray.register.populate``), so
reading the source finds none. After the static load of a namespace module,
this imports the module and adds the functions it holds, with the signatures
and docstrings built from their declarations."""
import importlib
import inspect

import griffe

# Modules whose public functions are generated from the registry.
NAMESPACES = ("mxnet.ndarray.op", "mxnet.ndarray.contrib", "mxnet.ndarray.linalg",
              "mxnet.ndarray.random", "mxnet.ndarray.image", "mxnet.ndarray.sparse")

_KINDS = {inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
          inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
          inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
          inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
          inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword}


def _markdown_safe(text):
    """``text`` with the ``*`` of formulas (``2*pad``) escaped outside code
    spans, so Markdown does not read them as emphasis."""
    parts = text.split("`")
    parts[::2] = [part.replace("*", "\\*") for part in parts[::2]]
    return "`".join(parts)


def _function(name, fn, parent):
    params = [griffe.Parameter(p.name, kind=_KINDS[p.kind],
                               default=None if p.default is p.empty else repr(p.default))
              for p in inspect.signature(fn).parameters.values()]
    function = griffe.Function(name, parameters=griffe.Parameters(*params), parent=parent)
    doc = inspect.getdoc(fn)
    if doc:
        # The generated docstrings are in NumPy's style, whatever the site's default.
        function.docstring = griffe.Docstring(_markdown_safe(doc), parent=function,
                                              parser="numpy",
                                              parser_options={"warn_unknown_params": False})
    return function


class GeneratedOperators(griffe.Extension):
    def on_module_members(self, *, mod, **kwargs):
        if mod.path not in NAMESPACES:
            return
        live = importlib.import_module(mod.path)
        for name in sorted(getattr(live, "__all__", ())):
            fn = getattr(live, name, None)
            if name in mod.members or not inspect.isfunction(fn):
                continue
            mod.set_member(name, _function(name, fn, mod))
