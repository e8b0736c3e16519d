"""``HybridBlock`` (imperative or compiled through Symbol and CachedOp) and
``SymbolBlock`` (a Block wrapping an existing Symbol, e.g. an exported model).

A HybridBlock writes its computation once, as ``hybrid_forward(F, x, ...,
**params)``. Called on NDArrays it runs with ``F = mx.nd`` and the
parameters' arrays; called on Symbols, or when hybridized, it is traced with
``F = mx.sym`` (inputs named ``data`` or ``data0``, ``data1``...) into a
graph that ``CachedOp`` compiles and runs. Deferred parameter shapes are
completed by shape inference on that same graph.
"""
import copy
import warnings

import numpy as np

from .. import ndarray, symbol
from ..base import MXNetError, mx_real_t
from ..numpy.multiarray import ndarray as np_ndarray
from ..symbol import Symbol
from ..symbol.numpy import _Symbol, as_np_symbol
from ..util import is_np_array
from .block import Block, _flatten, _regroup
from .np_boundary import to_np
from .parameter import DeferredInitializationError, ParameterDict

__all__ = ["HybridBlock", "SymbolBlock"]

_NDArray = ndarray.NDArray
_PLAIN_ARRAYS = (_NDArray, np_ndarray)  # the two front ends' dense arrays


def _input_kinds(args):
    """(has Symbol, has NDArray, set of contexts, first context) of nested args."""
    has_sym = has_nd = False
    ctxs, first = set(), None
    stack = list(args)
    while stack:
        a = stack.pop(0)
        if isinstance(a, ndarray.NDArray):
            has_nd = True
            ctxs.add(a.context)
            first = first or a.context
        elif isinstance(a, Symbol):
            has_sym = True
        elif isinstance(a, (list, tuple)):
            stack[:0] = list(a)
    return has_sym, has_nd, ctxs, first


class HybridBlock(Block):
    """A Block whose ``hybrid_forward(F, x, *args, **params)`` works with both
    ``F = mx.nd`` and ``F = mx.sym``, so it can be compiled by ``hybridize()``.

    Its children must be HybridBlocks too."""

    def __init__(self, prefix=None, params=None):
        super().__init__(prefix=prefix, params=params)
        self._cached_graph = ()
        self._cached_op = None
        self._cached_op_args = []
        self._out_format = None
        self._in_format = None
        self._active = False
        self._flags = []
        self._backend = None
        self._callback = None
        self._monitor_all = False

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if isinstance(value, HybridBlock):
            self._clear_cached_op()

    def register_child(self, block, name=None):
        if not isinstance(block, HybridBlock):
            raise ValueError(f"Children of HybridBlock must also be HybridBlock, but {block} "
                             f"has type {type(block)}. If you are using Sequential, please try "
                             "HybridSequential instead.")
        super().register_child(block, name)
        self._clear_cached_op()

    def _clear_cached_op(self):
        self._cached_graph = ()
        self._cached_op = None
        self._cached_op_args = []

    # -- tracing ---------------------------------------------------------------------------
    def _get_graph(self, *args):
        """(input variables, output Symbol) of ``hybrid_forward`` traced with mx.sym."""
        if not self._cached_graph:
            flat, self._in_format = _flatten(args, "input")
            real = sum(a is not None for a in flat)
            if real == 0:
                raise ValueError(f"All args are None and we do not support such a case. "
                                 f"Received args={args}")
            inputs, grouped = [], []
            for a in flat:
                if a is None:
                    grouped.append(None)
                    continue
                var = symbol.var(f"data{len(inputs)}" if real > 1 else "data")
                if isinstance(a, np_ndarray):  # traced with NumPy semantics, as MXNet
                    var = as_np_symbol(var)
                inputs.append(var)
                grouped.append(var)
            grouped = _regroup(grouped, self._in_format)
            params = {name: p.var() for name, p in self._reg_params.items()}
            with self.name_scope():
                out = self.hybrid_forward(symbol, *grouped, **params)
            out, self._out_format = _flatten(out, "output")
            self._cached_graph = inputs, _group(out)
        return self._cached_graph

    def _infer_attrs(self, infer_fn, attr, *args):
        inputs, out = self._get_graph(*args)
        flat = [a for a in _flatten(args, "input")[0] if a is not None]
        known = {var.name: getattr(a, attr) for var, a in zip(inputs, flat)}
        arg_attrs, _, aux_attrs = getattr(out, infer_fn)(**known)
        if arg_attrs is None:
            raise MXNetError(f"{infer_fn}: cannot infer the {attr}s of every parameter of "
                             f"{self.name} from inputs {known}")
        found = dict(zip(out.list_arguments(), arg_attrs))
        found.update(zip(out.list_auxiliary_states(), aux_attrs))
        for param in self.collect_params().values():
            if param.name in found:
                setattr(param, attr, found[param.name])

    def infer_shape(self, *args):
        """Complete the parameters' shapes from the inputs' shapes."""
        self._infer_attrs("infer_shape", "shape", *args)

    def infer_type(self, *args):
        """Set the parameters' dtypes from the inputs' dtypes."""
        self._infer_attrs("infer_type", "dtype", *args)

    def _deferred_infer_shape(self, *args):
        try:
            self.infer_shape(*args)
        except Exception as e:
            raise ValueError("Deferred initialization failed because shape cannot be "
                             f"inferred. {e}") from e

    # -- compiled execution --------------------------------------------------------------------
    def _build_cache(self, *args):
        from ..cached_op import CachedOp
        data, out = self._get_graph(*args)
        if self._backend is not None:
            # The partitioned graph replaces the traced one, so export writes it.
            np_graph = isinstance(out, _Symbol)
            out = out.optimize_for(self._backend)
            if np_graph:
                out = as_np_symbol(out)
            self._cached_graph = data, out
        data_pos = {var.name: i for i, var in enumerate(data)}
        params = self.collect_params()
        input_names = out.list_inputs()
        for name in input_names:
            if name not in params.keys() and name not in data_pos:
                raise MXNetError(f"Unknown input to HybridBlock: {name}")
        unused = [f"{i}-th" for name, i in data_pos.items() if name not in input_names]
        if unused:
            warnings.warn(f"The {', '.join(unused)} input to HybridBlock is not used by any "
                          "computation. Is this intended?", stacklevel=4)
        unused = [name for name in params.keys() if name not in input_names]
        if unused:
            warnings.warn(f"Parameter {', '.join(unused)} is not used by any computation. "
                          "Is this intended?", stacklevel=4)
        self._cached_op_args = [(True, data_pos[name]) if name in data_pos
                                else (False, params[name]) for name in input_names]
        data_idx = [i for i, (is_arg, _) in enumerate(self._cached_op_args) if is_arg]
        param_idx = [i for i, (is_arg, _) in enumerate(self._cached_op_args) if not is_arg]
        flags = [("data_indices", data_idx), ("param_indices", param_idx)] + self._flags
        self._cached_op = CachedOp(out, flags)

    def _call_cached_op(self, *args):
        if self._cached_op is None:
            self._build_cache(*args)
        if self._callback is not None:
            self._cached_op._register_op_hook(self._callback, self._monitor_all)
            flags = dict(self._flags)
            if flags.get("static_alloc") or flags.get("static_shape"):
                warnings.warn("register_op_hook is experimental when static_alloc=True / "
                              "static_shape=True and may not work correctly", stacklevel=3)
        flat, fmt = _flatten(args, "input")
        if fmt != self._in_format:
            raise ValueError("The argument structure of HybridBlock does not match the cached "
                             f"version. Stored format = {self._in_format}, input format = {fmt}")
        flat = [a for a in flat if a is not None]
        return self._run_cached_op(flat, flat[0].context, args)

    def _run_cached_op(self, flat, ctx, args):
        """Run the built CachedOp on the flat inputs ``flat`` (of the nested
        ``args``) and the parameters' data on ``ctx``."""
        try:
            cargs = [flat[i] if is_arg else i.data(ctx) for is_arg, i in self._cached_op_args]
        except DeferredInitializationError:
            self._deferred_infer_shape(*args)
            for is_arg, p in self._cached_op_args:
                if not is_arg:
                    p._finish_deferred_init()
            cargs = [flat[i] if is_arg else i.data(ctx) for is_arg, i in self._cached_op_args]
        op = self._cached_op
        if not op._devices:  # the first run: it may go inline (CachedOp._runs_inline)
            op.single_device = all(len(p.list_ctx()) == 1
                                   for is_arg, p in self._cached_op_args if not is_arg)
        out = op(*cargs)
        if isinstance(out, ndarray.NDArray):
            out = [out]
        if isinstance(self._cached_graph[1], _Symbol):  # a NumPy-semantics graph
            out = to_np(out)
        return _regroup(out, self._out_format)

    def hybridize(self, active=True, backend=None, clear=True, static_alloc=False,
                  static_shape=False, inline_limit=2, forward_bulk_size=None,
                  backward_bulk_size=None, **kwargs):
        """Compile this Block (and its children) into a graph run by CachedOp
        at the next call; ``active=False`` goes back to imperative execution.
        With ``backend`` ('MKLDNN' or 'ONEDNN') the graph is first rewritten
        for it (see ``optimize_for``)."""
        _check_backend(backend)
        self._backend = backend
        self._active = active
        self._flags = [("static_alloc", static_alloc), ("static_shape", static_shape),
                       ("inline_limit", inline_limit)]
        if forward_bulk_size is not None:
            self._flags.append(("forward_bulk_size", forward_bulk_size))
        if backward_bulk_size is not None:
            self._flags.append(("backward_bulk_size", backward_bulk_size))
        if clear:
            self._clear_cached_op()
        if active and (self._forward_hooks or self._forward_pre_hooks):
            warnings.warn(f'"{self}" is being hybridized while still having forward '
                          f'hook/pre-hook. If "{self}" is a child of HybridBlock, the hooks '
                          "will not take effect.")
        super().hybridize(active, static_alloc=static_alloc, static_shape=static_shape,
                          inline_limit=inline_limit, forward_bulk_size=forward_bulk_size,
                          backward_bulk_size=backward_bulk_size)

    def optimize_for(self, x, *args, backend=None, clear=False, static_alloc=False,
                     static_shape=False, inline_limit=2, forward_bulk_size=None,
                     backward_bulk_size=None, **kwargs):
        """Hybridize for ``backend`` and build the compiled graph for inputs
        like ``x, *args`` now, without running it (parameters with deferred
        shapes are initialised). 'MKLDNN' (or 'ONEDNN') folds convolution /
        dense + batch norm + activation (+ residual sum) chains into MXNet's
        fused inference ops, so calls run the fused graph and ``export``
        writes it. Other backends are an MXNetError; MXNet requires a backend
        (ValueError without one)."""
        if not backend:
            raise ValueError('Must specify "backend" to optimize_for')
        self.hybridize(True, backend, clear, static_alloc, static_shape, inline_limit,
                       forward_bulk_size, backward_bulk_size, **kwargs)
        has_sym, has_nd, ctxs, _ = _input_kinds([x, *args])
        if not has_sym and not has_nd:
            raise ValueError("In HybridBlock, there must be one NDArray or one Symbol in the "
                             "input. Please check the type of the args.\n")
        if len(ctxs) > 1:
            raise ValueError("Found multiple contexts in the input, After hybridized, the "
                             "HybridBlock only supports one input context. "
                             f"Find all contexts = {ctxs}")
        self._build_cache(x, *args)
        params = [p for is_arg, p in self._cached_op_args if not is_arg]
        if any(p._deferred_init for p in params):
            self._deferred_infer_shape(x, *args)
            for p in params:
                p._finish_deferred_init()

    def cast(self, dtype):
        self._clear_cached_op()
        super().cast(dtype)

    def register_op_hook(self, callback, monitor_all=False):
        """Call ``callback(name, op_name, array)`` for every operator output
        (with ``monitor_all``, first for every input) while this Block runs
        hybridized: ``name`` is ``<node>_output`` (``<node>_data``... for
        inputs), ``op_name`` the operator, ``array`` an NDArray copy. Also
        installed on the direct children, for when they run on their own."""
        self._callback = callback
        self._monitor_all = monitor_all
        for child in self._children.values():
            child._callback = callback
            child._monitor_all = monitor_all

    def _save_graph(self, entry):
        if not self._cached_graph:
            entry["hybridized"] = False
            return
        inputs, out = self._cached_graph
        entry["in_format"] = self._in_format
        entry["out_format"] = self._out_format
        entry["inputs"] = [var.tojson() for var in inputs]
        entry["symbol"] = out.tojson()
        entry["hybridized"] = True

    def _load_graph(self, entry):
        if not entry.get("hybridized"):
            return
        self._clear_cached_op()
        self._in_format = entry["in_format"]
        self._out_format = entry["out_format"]
        self._cached_graph = ([symbol.load_json(text) for text in entry["inputs"]],
                              symbol.load_json(entry["symbol"]))
        self._active = True

    def export(self, path, epoch=0, remove_amp_cast=True):
        """Write ``path-symbol.json`` and ``path-%04d.params`` (``arg:``/``aux:``
        names), the files ``SymbolBlock.imports`` and MXNet's Module load.
        The Block must have run hybridized at least once."""
        if not self._cached_graph:
            raise MXNetError("Please first call block.hybridize() and then run forward with "
                             "this block at least once before calling export.")
        sym = self._cached_graph[1]
        sym.save(f"{path}-symbol.json", remove_amp_cast=remove_amp_cast)
        arg_names = set(sym.list_arguments())
        aux_names = set(sym.list_auxiliary_states())
        arrays = {}
        for is_arg, param in self._cached_op_args:
            if is_arg:
                continue
            if param.name in arg_names:
                arrays[f"arg:{param.name}"] = param._reduce()
            elif param.name in aux_names:
                arrays[f"aux:{param.name}"] = param._reduce()
            else:
                warnings.warn(f'Parameter "{param.name}" is not found in the graph. ',
                              stacklevel=3)
        ndarray.save(f"{path}-{epoch:04d}.params", arrays)

    # -- running ---------------------------------------------------------------------------
    def forward(self, x, *args):
        """Run imperatively on NDArrays, through the compiled graph when
        hybridized, or build the graph when called on Symbols."""
        if type(x) in _PLAIN_ARRAYS and all(type(a) in _PLAIN_ARRAYS for a in args):
            # The common calls, without the general walk over nested inputs.
            ctx = x._ctx
            if not self._active:
                with ctx:
                    try:
                        params = {k: p.data(ctx) for k, p in self._reg_params.items()}
                    except DeferredInitializationError:
                        params = None
                    if params is not None:
                        return self.hybrid_forward(ndarray, x, *args, **params)
            elif self._cached_op is not None and self._callback is None \
                    and self._in_format == [0] * (len(args) + 1) \
                    and all(a._ctx == ctx for a in args):
                # Built already for plain array inputs on one device: what
                # _call_cached_op would check and flatten is known.
                flat = (x,) + args
                with ctx:
                    return self._run_cached_op(flat, ctx, flat)
        has_sym, has_nd, ctxs, ctx = _input_kinds([x, *args])
        if has_sym and has_nd:
            raise ValueError("In HybridBlock, we do not support mixed NDArrays and Symbols "
                             "types for the input. Please check the type of the args.\n")
        if not has_sym and not has_nd:
            raise ValueError("In HybridBlock, there must be one NDArray or one Symbol in the "
                             "input. Please check the type of the args.\n")
        if has_nd:
            if self._active:
                if len(ctxs) > 1:
                    raise ValueError("Find multiple contexts in the input, After hybridized, "
                                     "the HybridBlock only supports one input context. "
                                     f"Find all contexts = {ctxs}")
                with ctx:
                    return self._call_cached_op(x, *args)
            with ctx:
                try:
                    params = {k: p.data(ctx) for k, p in self._reg_params.items()}
                except DeferredInitializationError:
                    self._deferred_infer_shape(x, *args)
                    for p in self._params.values():
                        p._finish_deferred_init()
                    for p in self._reg_params.values():
                        p._finish_deferred_init()
                    params = {k: p.data(ctx) for k, p in self._reg_params.items()}
                return self.hybrid_forward(ndarray, x, *args, **params)
        params = {k: p.var() for k, p in self._reg_params.items()}
        with self.name_scope():
            return self.hybrid_forward(symbol, x, *args, **params)

    def hybrid_forward(self, F, x, *args, **kwargs):
        """The computation, with ``F`` either ``mx.nd`` or ``mx.sym``; override it."""
        raise NotImplementedError


def _group(outputs):
    """The traced outputs as one Symbol; a NumPy-semantics one when they are."""
    group = symbol.Group(outputs)
    return as_np_symbol(group) if any(isinstance(o, _Symbol) for o in outputs) else group


def _check_backend(backend):
    if backend is not None and (not isinstance(backend, str) or
                                backend.upper() not in ("MKLDNN", "ONEDNN")):
        raise MXNetError(f"hybridize: unknown graph backend {backend!r}; supported backends "
                         "are 'MKLDNN' and 'ONEDNN'")


def _common_prefix(names):
    if not names:
        return ""
    prefix = names[0]
    for name in names[1:]:
        i = 0
        while i < min(len(prefix), len(name)) and prefix[i] == name[i]:
            i += 1
        prefix = prefix[:i]
    return prefix


class SymbolBlock(HybridBlock):
    """A HybridBlock running a given Symbol: ``outputs`` computed from the
    variables ``inputs``; the Symbol's other arguments and aux states become
    parameters (shared from ``params`` when given)."""

    @staticmethod
    def imports(symbol_file, input_names, param_file=None, ctx=None, allow_missing=False,
                ignore_extra=False):
        """Load a model written by ``HybridBlock.export`` (or MXNet's
        ``save_checkpoint``): the symbol JSON and, optionally, its params file."""
        sym = symbol.load(symbol_file)
        if isinstance(input_names, str):
            input_names = [input_names]
        if param_file is None:
            inputs = [symbol.var(n, dtype=mx_real_t) for n in input_names]
        else:
            inputs = [symbol.var(n) for n in input_names]
        if is_np_array():  # a model run with NumPy semantics (mx.np inputs and outputs)
            sym = as_np_symbol(sym)
            inputs = [as_np_symbol(i) for i in inputs]
        block = SymbolBlock(sym, inputs)
        if param_file is not None:
            block.collect_params().load(param_file, ctx, allow_missing, ignore_extra,
                                        cast_dtype=True, dtype_source="saved")
        return block

    def __init__(self, outputs, inputs, params=None):
        super().__init__(prefix=None, params=None)
        self._prefix = ""
        self._params = ParameterDict("", params)
        if isinstance(inputs, Symbol) and len(inputs.list_outputs()) == 1:
            inputs = [inputs]
        if isinstance(outputs, (list, tuple)) and len(outputs) == 1:
            outputs = outputs[0]
        syms, self._in_format = _flatten(inputs, "input")
        out, self._out_format = _flatten(outputs, "output")
        input_names = set()
        for s in syms:
            if len(s.get_internals().list_outputs()) != 1:
                raise MXNetError(f"Input symbols must be variable, but {s} is an output of "
                                 "operators")
            input_names.add(s.name)
        for s in out:
            for node in s.get_internals():
                if node.attr("__storage_type__") == "1":
                    raise MXNetError(f"SymbolBlock doesn't support Parameter '{node.name}' "
                                     "because its storage type is 'row_sparse'.")
        out = _group(out) if len(out) > 1 else out[0]
        arg_names = out.list_arguments()
        aux_names = out.list_auxiliary_states()
        arg_types, aux_types = _param_types(syms, out, arg_names, aux_names)
        for name, dtype in zip(arg_names, arg_types):
            if name not in input_names:
                self.params.get(name, allow_deferred_init=True, dtype=dtype)
        for name, dtype in zip(aux_names, aux_types):
            if name not in input_names:
                self.params.get(name, grad_req="null", allow_deferred_init=True, dtype=dtype)
        self._cached_graph = syms, out
        strip = len(_common_prefix(list(self._params.keys())))
        self._reg_params = {key[strip:]: p for key, p in self._params.items()}

    def __repr__(self):
        inputs, out = self._cached_graph
        return (f"{type(self).__name__}(\n{out} : {len(inputs)} -> "
                f"{len(out.list_outputs())}\n)")

    def forward(self, x, *args):
        if isinstance(x, ndarray.NDArray):
            with x.context:
                return self._call_cached_op(x, *args)
        if not isinstance(x, Symbol):
            raise MXNetError("HybridBlock requires the first argument to forward be either "
                             f"Symbol or NDArray, but got {type(x)}")
        flat, fmt = _flatten([x, *args], "input")
        if fmt != self._in_format:
            raise MXNetError("SymbolBlock: invalid input format")
        graph = self._cached_graph[1]
        out = copy.copy(graph)
        out._compose(**{var.name: s for var, s in zip(self._cached_graph[0], flat)})
        if isinstance(graph, _Symbol):
            out = as_np_symbol(out)
        return _regroup(list(out), self._out_format)

    def _clear_cached_op(self):
        graph = self._cached_graph
        super()._clear_cached_op()
        self._cached_graph = graph

    def cast(self, dtype):
        """Cast the parameters; in float16 BatchNorm statistics stay float32, as in MXNet."""
        self._clear_cached_op()
        super().cast(dtype)
        if np.dtype(dtype).name != "float16":
            return
        inputs = self._cached_graph[1].get_internals().list_inputs()
        for node in inputs:
            for var_suffix, mean_suffix in (("running_var", "running_mean"),
                                            ("moving_var", "moving_mean")):
                if node.endswith(var_suffix):
                    base = node[:-len(var_suffix)]
                    siblings = [base + t for t in (mean_suffix, "gamma", "beta")]
                    if all(s in inputs for s in siblings):
                        for name in [node] + siblings:
                            self.params.get(name).cast("float32")

    def hybrid_forward(self, F, x, *args, **kwargs):
        raise NotImplementedError

    def reset_ctx(self, ctx):
        """Move every parameter to ``ctx``."""
        for param in self.collect_params().values():
            param.reset_ctx(ctx)


def _param_types(inputs, out, arg_names, aux_names, default=mx_real_t):
    """Dtypes of the arguments and aux states, inferred from the inputs'
    declared dtypes when possible, else float32."""
    arg_types = aux_types = None
    known = {}
    for var in inputs:
        if var.attr("__dtype__") is None:  # nothing to infer from (and no warning)
            known = None
            break
        known[var.name] = var.infer_type()[0][0]
    if known is not None:
        try:
            arg_types, _, aux_types = out.infer_type(**known)
        except MXNetError:
            arg_types = aux_types = None
    if arg_types is None or len(arg_types) != len(arg_names) or None in arg_types:
        arg_types = [default] * len(arg_names)
    if aux_types is None or len(aux_types) != len(aux_names) or None in aux_types:
        aux_types = [default] * len(aux_names)
    return arg_types, aux_types
