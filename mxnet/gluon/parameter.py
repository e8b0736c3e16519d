"""Gluon parameters: ``Parameter``, ``Constant`` and ``ParameterDict``.

A Parameter holds one copy of a weight per context (plus a gradient buffer
per copy, marked for autograd). Its shape may have unknown (0) dimensions
until the first forward pass completes it; initialisation is then deferred
and reading the data raises ``DeferredInitializationError`` until then.
"""
import re
import warnings
from collections import OrderedDict

import numpy as np

from .. import autograd, initializer, ndarray
from ..base import MXNetError, mx_real_t
from ..context import Context, cpu, current_context
from ..numpy.multiarray import as_np, ndarray as np_ndarray
from ..util import is_np_array, is_np_shape
from .utils import _brief_print_list, _indent, shape_is_known

__all__ = ["DeferredInitializationError", "Parameter", "Constant", "ParameterDict",
           "tensor_types"]

tensor_types = (ndarray.NDArray,)

# MXNet's default global initializer.
_DEFAULT_INIT = initializer.Uniform()


class ParameterMismatchError(MXNetError, AssertionError, ValueError):
    """Parameters and the arrays given for them (a file, a dict, a new shape)
    do not match: missing or extra names, incompatible shapes or dtypes.

    MXNet 1.9.1 raises AssertionError for these (ValueError for an extra
    array in ``Block.load_parameters``), so code that catches either keeps
    working; it is an MXNetError like every other error here."""


class DeferredInitializationError(MXNetError):
    """A parameter's data was read before its deferred initialisation ran
    (the shape becomes known at the first forward pass)."""


def _run_initializer(name, init, default_init, arr):
    """Fill ``arr`` as MXNet does: the global ``default_init`` is called with a
    descriptor carrying the parameter's own ``init`` (which wins when set)."""
    initializer.create(default_init)(initializer.InitDesc(name, {"__init__": init}), arr)


class Parameter:
    """A weight of a Block: data and gradient copies on one or more contexts.

    ``shape`` may contain 0 for sizes known only at the first forward pass
    (then ``allow_deferred_init=True`` lets ``initialize`` wait for it).
    ``grad_req`` is 'write', 'add' or 'null'; ``lr_mult``/``wd_mult`` scale
    the optimizer's learning rate and weight decay; ``init`` overrides the
    global initializer given to ``initialize``.
    """

    def __init__(self, name, grad_req="write", shape=None, dtype=mx_real_t, lr_mult=1.0,
                 wd_mult=1.0, init=None, allow_deferred_init=False, differentiable=True,
                 stype="default", grad_stype="default"):
        self._var = None
        self._data = None
        self._grad = None
        self._ctx_list = None
        self._ctx_map = None
        self._trainer = None
        self._deferred_init = ()
        self._differentiable = differentiable
        self._allow_deferred_init = allow_deferred_init
        self._grad_req = None
        if isinstance(shape, int):
            shape = (shape,)
        self._shape = shape
        self.name = name
        self._dtype = dtype
        self.lr_mult = lr_mult
        self.wd_mult = wd_mult
        self.grad_req = grad_req
        self.init = init
        for what, value in (("stype", stype), ("grad_stype", grad_stype)):
            if value not in ("default", "row_sparse", "csr"):
                raise MXNetError(f"{what} for Parameter '{name}' must be one of 'default', "
                                 f"'row_sparse', or 'csr', but got '{value}'")
        self._stype = stype
        self._grad_stype = grad_stype

    def __repr__(self):
        return f"Parameter {self.name} (shape={self.shape}, dtype={self.dtype})"

    # -- attributes ------------------------------------------------------------------
    @property
    def grad_req(self):
        """'write', 'add' or 'null' (always 'null' when not differentiable)."""
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req):
        if req not in ("write", "add", "null"):
            raise MXNetError(f"grad_req must be one of 'write', 'add', or 'null', "
                             f"but got '{req}'")
        if not self._differentiable:
            req = "null"
        if self._grad_req == req:
            return
        self._grad_req = req
        if req == "null" and self._grad is not None:
            self._grad = None
            self._data = [d.detach() for d in self._data]
        elif self._data is not None:
            self._init_grad()

    @property
    def dtype(self):
        """The element type; assigning it casts the data (see ``cast``)."""
        return self._dtype

    @dtype.setter
    def dtype(self, dtype):
        self.cast(dtype)

    @property
    def shape(self):
        """The shape, with 0 for dimensions not known yet (-1 under NumPy
        shape semantics, where 0 is a real size; a parameter is never empty)."""
        if self._shape is not None and is_np_shape():
            return tuple(-1 if d == 0 else d for d in self._shape)
        return self._shape

    @shape.setter
    def shape(self, new_shape):
        new_shape = _stored_shape(new_shape)
        if self._shape is None:
            self._shape = new_shape
            return
        if len(self._shape) != len(new_shape) or \
                any(old not in (0, new) for new, old in zip(new_shape, self._shape)):
            raise ParameterMismatchError(
                f"Parameter '{self.name}' has shape {self._shape}; shape {tuple(new_shape)} is "
                "incompatible with it (0 marks a dimension still unknown).")
        self._shape = tuple(new_shape)

    @property
    def stype(self):
        return self._stype

    def _set_trainer(self, trainer):
        if self._stype != "default" and self._trainer and trainer \
                and self._trainer is not trainer:
            raise MXNetError(f"Failed to set the trainer for Parameter '{self.name}' because it "
                             f"was already set. More than one trainers for a {self._stype} "
                             "Parameter is not supported.")
        self._trainer = trainer

    # -- access to the copies ---------------------------------------------------------
    def _check_and_get(self, arr_list, ctx):
        """The copy for ``ctx`` (``list`` for all copies; None: the only copy
        or the current context's)."""
        if arr_list is not None:
            if ctx is list:
                return arr_list
            if ctx is None:
                if len(arr_list) == 1:
                    return arr_list[0]
                ctx = current_context()
            ids = self._ctx_map[ctx.device_typeid & 1]
            if ctx.device_id < len(ids) and ids[ctx.device_id] is not None:
                return arr_list[ids[ctx.device_id]]
            raise MXNetError(f"Parameter '{self.name}' was not initialized on context {ctx}. "
                             f"It was only initialized on {self._ctx_list}.")
        if self._deferred_init:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization "
                "was deferred. Actual initialization happens during the first forward pass. "
                "Please pass one batch of data through the network before accessing "
                "Parameters. You can also avoid deferred initialization by specifying "
                "in_units, num_features, etc., for network layers.")
        raise MXNetError(f"Parameter '{self.name}' has not been initialized. Note that you "
                         "should initialize parameters and create Trainer with "
                         "Block.collect_params() instead of Block.params because the later "
                         "does not include Parameters of nested child Blocks")

    def data(self, ctx=None):
        """This parameter's data on ``ctx`` (the only copy, or the current context's)."""
        if self._stype != "default":
            raise MXNetError(f"Cannot return a copy of Parameter '{self.name}' on ctx {ctx} via "
                             f"data() because its storage type is {self._stype}. Please use "
                             "row_sparse_data() instead.")
        return self._check_and_get(self._data, ctx)

    def list_data(self):
        """The data copies, one per context, in ``list_ctx()`` order."""
        if self._stype != "default":
            raise MXNetError(f"Cannot return copies of Parameter '{self.name}' on all contexts "
                             f"via list_data() because its storage type is {self._stype}. "
                             "Please use row_sparse_data() instead.")
        return self._check_and_get(self._data, list)

    def grad(self, ctx=None):
        """The gradient buffer on ``ctx``."""
        if self._data is not None and self._grad is None:
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' "
                             "because grad_req='null'")
        return self._check_and_get(self._grad, ctx)

    def list_grad(self):
        """The gradient buffers, one per context."""
        if self._data is not None and self._grad is None:
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' "
                             "because grad_req='null'")
        return self._check_and_get(self._grad, list)

    def list_ctx(self):
        """The contexts this parameter lives (or will live) on."""
        if self._data is None:
            if self._deferred_init:
                return self._deferred_init[1]
            raise MXNetError(f"Parameter '{self.name}' has not been initialized")
        return self._ctx_list

    def row_sparse_data(self, row_id):
        """The rows ``row_id`` of a row_sparse parameter on ``row_id``'s context."""
        return self._row_sparse(self._check_and_get(self._data, row_id.context), row_id)

    def list_row_sparse_data(self, row_id):
        """The rows ``row_id`` of a row_sparse parameter, on every context."""
        return [self._row_sparse(d, row_id) for d in self._check_and_get(self._data, list)]

    def _row_sparse(self, data, row_id):
        if self._stype != "row_sparse":
            raise MXNetError(f"Cannot return a copy of Parameter {self.name} via "
                             f"row_sparse_data() because its storage type is {self._stype}. "
                             "Please use data() instead.")
        if not isinstance(row_id, ndarray.NDArray):
            raise TypeError(f"row_id must have NDArray type, but {type(row_id)} is given")
        if not self._trainer:
            raise MXNetError(f"Cannot get row_sparse data for Parameter '{self.name}' when no "
                             "Trainer is created with it.")
        return ndarray.sparse.retain(data, row_id.as_in_context(data.context))

    # -- initialisation ---------------------------------------------------------------
    def initialize(self, init=None, ctx=None, default_init=_DEFAULT_INIT, force_reinit=False):
        """Allocate and fill the data on ``ctx`` (a Context or a list; the
        current context by default). ``init`` beats ``self.init``, which beats
        ``default_init``. With unknown dimensions and ``allow_deferred_init``,
        the work waits for the shape to be completed by a forward pass."""
        if self._data is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. "
                          "Set force_reinit=True to re-initialize.", stacklevel=2)
            return
        self._data = self._grad = None
        ctx = _ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        self._deferred_init = (init, ctx, default_init, None)
        if not shape_is_known(self.shape):
            if self._allow_deferred_init:
                return
            self._deferred_init = ()
            raise ValueError(f"Cannot initialize Parameter '{self.name}' because it has "
                             f"invalid shape: {self.shape}.")
        self._finish_deferred_init()

    def _finish_deferred_init(self):
        """Run the pending initialisation now that the shape is known."""
        if not self._deferred_init:
            return
        init, ctx, default_init, data = self._deferred_init
        self._deferred_init = ()
        if not shape_is_known(self.shape):
            raise MXNetError(f"Cannot initialize Parameter '{self.name}' because it has invalid "
                             f"shape: {self.shape}. Please specify in_units, in_channels, etc "
                             "for `Block`s.")
        with autograd.pause():
            if data is None:
                data = ndarray.zeros(self.shape, dtype=self.dtype, ctx=cpu(), stype=self._stype)
                self._initial_value(init, default_init, data)
            self._init_impl(data, ctx)

    def _initial_value(self, init, default_init, arr):
        _run_initializer(self.name, init, default_init, arr)

    def _init_impl(self, data, ctx_list):
        """One copy of ``data`` per context, then the gradient buffers."""
        self._ctx_list = list(ctx_list)
        self._ctx_map = [[], []]
        for i, ctx in enumerate(self._ctx_list):
            ids = self._ctx_map[ctx.device_typeid & 1]
            ids.extend([None] * (ctx.device_id + 1 - len(ids)))
            ids[ctx.device_id] = i
        self._data = [data.copyto(ctx) for ctx in self._ctx_list]
        if is_np_array():
            # Initialised under npx.set_np(): data and gradients are mx.np arrays.
            self._data = [as_np(d) for d in self._data]
        self._init_grad()

    def _init_grad(self):
        if self.grad_req == "null":
            self._grad = None
            return
        self._grad = [ndarray.zeros(d.shape, dtype=d.dtype, ctx=d.context,
                                    stype=self._grad_stype) for d in self._data]
        if self._data and isinstance(self._data[0], np_ndarray):
            self._grad = [as_np(g) for g in self._grad]
        autograd.mark_variables(self._data, self._grad, self.grad_req)

    def _reduce(self):
        """The data on cpu: the mean of the copies (they are normally equal)."""
        ctx = cpu()
        if self._stype != "default":
            data = self._data[0].copyto(ctx)
            return data if len(self._data) == 1 else ndarray.add_n(
                *(d.copyto(ctx) for d in self._data)) / len(self._data)
        copies = self.list_data()
        if len(copies) == 1:
            return copies[0].copyto(ctx)
        return ndarray.add_n(*(d.copyto(ctx) for d in copies)) / len(copies)

    def _load_init(self, data, ctx, cast_dtype=False, dtype_source="current"):
        """Take ``data`` loaded from a file: complete the shape, check or cast
        the dtype, then initialise with it (or overwrite the current data)."""
        if cast_dtype and dtype_source not in ("current", "saved"):
            raise MXNetError(f"dtype_source must be 'current' or 'saved', got {dtype_source!r}")
        if self._shape:
            if len(self._shape) != len(data.shape) or \
                    any(mine not in (0, saved) for mine, saved in zip(self._shape, data.shape)):
                raise ParameterMismatchError(
                    f"Failed loading Parameter '{self.name}' from saved params: shape "
                    f"incompatible expected {self.shape} vs saved {data.shape}")
            self.shape = tuple(data.shape)
        if self.dtype:
            if cast_dtype and np.dtype(self.dtype) != np.dtype(data.dtype):
                if dtype_source == "current":
                    data = data.astype(self.dtype, copy=False)
                else:
                    self.dtype = data.dtype
            elif np.dtype(self.dtype) != np.dtype(data.dtype):
                raise ParameterMismatchError(
                    f"Failed loading Parameter '{self.name}' from saved params: dtype "
                    f"incompatible expected {np.dtype(self.dtype)} vs saved "
                    f"{np.dtype(data.dtype)}. Set cast_dtype=True to cast the dtype of saved "
                    "params.")
        if self._stype != data.stype:
            data = data.tostype(self._stype)
        if isinstance(ctx, Context):
            ctx = [ctx]
        if self._data is None:
            if self._deferred_init:
                if ctx is not None and set(ctx) != set(self._deferred_init[1]):
                    raise MXNetError(f"Failed to load Parameter '{self.name}' on {ctx} because "
                                     f"it was previous initialized on {self.list_ctx()}.")
                ctx = self._deferred_init[1]
            elif ctx is None:
                ctx = [cpu()]
            self._init_impl(data, ctx)
        else:
            if ctx is not None and set(ctx) != set(self.list_ctx()):
                raise MXNetError(f"Failed to load Parameter '{self.name}' on {ctx} because it "
                                 f"was previous initialized on {self.list_ctx()}.")
            self.set_data(data)
        self._deferred_init = ()

    # -- changing the data --------------------------------------------------------------
    def set_data(self, data):
        """Overwrite every copy with ``data`` (before a deferred initialisation
        runs, ``data`` becomes the initial value)."""
        self.shape = data.shape
        if self._data is None:
            if not self._deferred_init:
                raise MXNetError(f"Parameter '{self.name}' has not been initialized")
            self._deferred_init = self._deferred_init[:3] + (data,)
            return
        trainer = self._trainer
        if trainer is not None and trainer._kv_initialized and trainer._update_on_kvstore \
                and self not in trainer._params_to_init:
            trainer._reset_kvstore()
        for arr in self._check_and_get(self._data, list):
            arr[:] = data

    def reset_ctx(self, ctx):
        """Move the data (and gradient buffers) to the context(s) ``ctx``."""
        ctx = _ctx_list(ctx)
        if self._data:
            data = self._reduce()
            with autograd.pause():
                self._init_impl(data, ctx)
        elif self._deferred_init:
            init, _, default_init, data = self._deferred_init
            self._deferred_init = (init, ctx, default_init, data)
        else:
            raise ValueError(f"Cannot reset context for Parameter '{self.name}' because it "
                             "has not been initialized.")

    def zero_grad(self):
        """Set the gradient buffers to 0."""
        if self._grad is None:
            return
        for g in self._grad:
            ndarray.zeros_like(g, out=g)

    def cast(self, dtype):
        """Convert the data and gradients to ``dtype``."""
        self._dtype = dtype
        self._var = None
        if self._data is None:
            return
        with autograd.pause():
            self._data = [_same_front_end(d.astype(dtype), d) for d in self._data]
            if self._grad is None:
                return
            self._grad = [_same_front_end(g.astype(dtype), g) for g in self._grad]
            autograd.mark_variables(self._data, self._grad, self.grad_req)

    def var(self):
        """The symbol variable standing for this parameter in a traced graph,
        with its shape, dtype, multipliers, init and storage type as attributes."""
        if self._var is None:
            from .. import symbol
            self._var = symbol.var(self.name, shape=self._shape, dtype=self.dtype,
                                   lr_mult=self.lr_mult, wd_mult=self.wd_mult, init=self.init,
                                   stype=self._stype)
            if is_np_array():
                self._var = self._var.as_np_ndarray()
        return self._var


def _stored_shape(shape):
    """``shape`` as parameters keep it: an int is a 1-d shape and unknown
    sizes are 0 (-1 marks them under NumPy shape semantics)."""
    if shape is None:
        return None
    if isinstance(shape, int):
        return (shape,)
    return tuple(0 if d == -1 else d for d in shape) if -1 in shape else shape


def _same_front_end(arr, like):
    """``arr`` as an ``mx.np`` array when ``like`` is one."""
    return as_np(arr) if isinstance(like, np_ndarray) else arr


def _ctx_list(ctx):
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    return list(ctx)


class Constant(Parameter):
    """A parameter with a fixed value and no gradient (``grad_req`` is 'null')."""

    def __init__(self, name, value):
        if not isinstance(value, ndarray.NDArray):
            value = ndarray.array(value)
        if is_np_array():
            value = as_np(value)
        self.value = value
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype,
                         init=f"Constant_{name}_{id(self)}")

    def __repr__(self):
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    def _initial_value(self, init, default_init, arr):
        if init == self.init:
            self.value.copyto(arr)
        else:
            _run_initializer(self.name, init, default_init, arr)

    @property
    def grad_req(self):
        return "null"

    @grad_req.setter
    def grad_req(self, req):
        if req != "null":
            warnings.warn(f'Constant parameter "{self.name}" does not support grad_req other '
                          f'than "null", and new value "{req}" is ignored.')
        self._grad_req = "null"


class ParameterDict:
    """An ordered name -> Parameter mapping with a name prefix.

    ``get('weight', shape=...)`` returns the parameter ``prefix + 'weight'``,
    creating it if needed or taking it from the ``shared`` dictionary, so
    Blocks built with another Block's ``params`` share weights."""

    def __init__(self, prefix="", shared=None):
        self._prefix = prefix
        self._params = OrderedDict()
        self._shared = shared

    def __repr__(self):
        name = self._prefix + " " if self._prefix else ""
        content = "\n".join(_indent(f"  {v}", 2) for v in self.values())
        return f"{name}(\n{content}\n)"

    def __getitem__(self, key):
        return self._params[key]

    def __iter__(self):
        return iter(self._params)

    def __len__(self):
        return len(self._params)

    def __contains__(self, key):
        return key in self._params

    def items(self):
        return self._params.items()

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    @property
    def prefix(self):
        """The prefix added to every name given to ``get``."""
        return self._prefix

    def _get_impl(self, name):
        if name in self._params:
            return self._params[name]
        if self._shared is not None and name in self._shared._params:
            self._params[name] = self._shared._params[name]
            return self._params[name]
        return None

    def get(self, name, **kwargs):
        """The Parameter ``prefix + name``: existing (checked against the given
        attributes, and an unknown shape completed) or created with ``kwargs``."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            param = Parameter(name, **kwargs)
            self._params[name] = param
            return param
        for key, value in kwargs.items():
            if key == "shape":  # compared in the stored form, 0 marking unknown sizes
                existing = param._shape
                value = _stored_shape(value)
            else:
                existing = getattr(param, key, None)
            if existing is None:
                setattr(param, key, value)
                continue
            if key == "shape" and value is not None and len(value) == len(existing):
                merged = _merge_shapes(value, existing)
                if merged is not None:
                    param._shape = merged
                    continue
            elif key == "dtype" and np.dtype(value) == np.dtype(existing):
                continue
            if value is not None and value != existing:
                raise MXNetError(f"Cannot retrieve Parameter '{name}' because desired attribute "
                                 f"does not match with stored for attribute '{key}': desired "
                                 f"'{value}' vs stored '{existing}'.")
        return param

    def get_constant(self, name, value=None):
        """The Constant ``prefix + name``, created from ``value`` if new."""
        name = self._prefix + name
        param = self._get_impl(name)
        if param is None:
            if value is None:
                raise KeyError(f"No constant named '{name}'. Please specify value if you want "
                               "to create a new constant.")
            param = Constant(name, value)
            self._params[name] = param
        elif value is not None:
            if not isinstance(param, Constant):
                raise MXNetError(f"Parameter '{name}' already exists but it is not a constant.")
            value = value.asnumpy() if isinstance(value, ndarray.NDArray) else np.asarray(value)
            if param.shape != value.shape or not (param.value.asnumpy() == value).all():
                raise MXNetError(f"Constant '{name}' already exists but it's value doesn't "
                                 "match new value")
        return param

    def update(self, other):
        """Add the parameters of ``other``; a name may only map to one Parameter."""
        for key, value in other.items():
            if key in self._params and self._params[key] is not value:
                raise MXNetError("Cannot update self with other because they have different "
                                 f"Parameters with the same name '{key}'")
        for key, value in other.items():
            self._params[key] = value

    def initialize(self, init=_DEFAULT_INIT, ctx=None, verbose=False, force_reinit=False):
        """Initialise every parameter; ``init`` is the default for those
        without their own ``init``."""
        if verbose and hasattr(init, "set_verbosity"):
            init.set_verbosity(verbose=verbose)
        for param in self.values():
            param.initialize(None, ctx, init, force_reinit=force_reinit)

    def zero_grad(self):
        """Set every gradient buffer to 0."""
        grads = {}
        for param in self.values():
            if param.grad_req == "null" or param._grad is None:
                continue
            for g in param.list_grad():
                if g.stype != "default":
                    ndarray.zeros_like(g, out=g)
                else:
                    grads.setdefault(g.context, []).append(g)
        for arrays in grads.values():
            ndarray.reset_arrays(*arrays, num_arrays=len(arrays))

    def reset_ctx(self, ctx):
        """Move every parameter to the context(s) ``ctx``."""
        for param in self.values():
            param.reset_ctx(ctx)

    def list_ctx(self):
        """The contexts of all parameters."""
        found = []
        for param in self.values():
            for ctx in param.list_ctx():
                if ctx not in found:
                    found.append(ctx)
        return found

    def setattr(self, name, value):
        """Set attribute ``name`` (e.g. 'grad_req', 'lr_mult') on every parameter."""
        for param in self.values():
            setattr(param, name, value)

    def save(self, filename, strip_prefix=""):
        """Save the data in MXNet's ``.params`` format, names minus ``strip_prefix``."""
        arrays = {}
        for param in self.values():
            if not param.name.startswith(strip_prefix):
                raise ValueError(
                    f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's "
                    f"name '{param.name}' does not start with '{strip_prefix}'. this may be due "
                    "to your Block shares parameters from other Blocks or you forgot to use "
                    "'with name_scope()' when creating child blocks.")
            arrays[param.name[len(strip_prefix):]] = param._reduce()
        ndarray.save(filename, arrays)

    def load(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
             restore_prefix="", cast_dtype=False, dtype_source="current"):
        """Load a ``.params`` file (names get ``restore_prefix`` prepended;
        MXNet's ``arg:``/``aux:`` prefixes are dropped)."""
        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise ParameterMismatchError(
                        f"restore_prefix is '{restore_prefix}' but Parameters name '{name}' "
                        f"does not start with '{restore_prefix}'.")
        self.load_dict(ndarray.load(filename), ctx, allow_missing, ignore_extra,
                       restore_prefix, filename, cast_dtype, dtype_source)

    def load_dict(self, param_dict, ctx=None, allow_missing=False, ignore_extra=False,
                  restore_prefix="", filename=None, cast_dtype=False, dtype_source="current"):
        """Like ``load``, from a dict of name -> NDArray."""
        items = param_dict.items() if isinstance(param_dict, dict) else param_dict
        arrays = {restore_prefix + (k[4:] if k.startswith(("arg:", "aux:")) else k): v
                  for k, v in items}
        source = f"file: {filename}" if filename else "param_dict"
        strip = len(restore_prefix)
        if not allow_missing:
            for name in self.keys():
                if name not in arrays:
                    raise ParameterMismatchError(
                        f"Parameter '{name[strip:]}' is missing in {source}, which contains "
                        f"parameters: {_brief_print_list(arrays.keys())}. Please make sure "
                        "source and target networks have the same prefix.")
        for name, value in arrays.items():
            if name not in self._params:
                if not ignore_extra:
                    raise ParameterMismatchError(
                        f"Parameter '{name[strip:]}' loaded from {source} is not present in "
                        f"ParameterDict, choices are: {_brief_print_list(self._params.keys())}. "
                        "Set ignore_extra to True to ignore. Please make sure source and "
                        "target networks have the same prefix.")
                continue
            self._params[name]._load_init(value, ctx, cast_dtype=cast_dtype,
                                          dtype_source=dtype_source)

    def _select(self, pattern):
        """The parameters whose names match the regular expression ``pattern``."""
        regex = re.compile(pattern)
        return {name: p for name, p in self.items() if regex.match(name)}


def _merge_shapes(wanted, existing):
    """The two shapes with unknown (0) dims filled from each other, or None
    when a known dimension differs."""
    merged = []
    for a, b in zip(wanted, existing):
        if a != b and a > 0 and b > 0:
            return None
        merged.append(b if a == 0 else a)
    return tuple(merged)
