"""``Block``: the base of every Gluon layer and model.

Naming follows MXNet exactly, since saved files and user code depend on it:
a Block created at top level takes ``<class name lowercased><n>_`` as its
prefix, counted per name by the thread's symbol ``NameManager``; a Block
created inside a parent's ``name_scope()`` takes ``parent prefix +
<name><n>_``, counted per parent. Parameters are named ``prefix + name``.
``HybridBlock`` and ``SymbolBlock`` live in ``hybrid.py``.
"""
import json
import threading
import warnings
from collections import OrderedDict, defaultdict

from .. import ndarray
from ..base import MXNetError
from ..symbol import naming
from ..numpy._io import load as _npx_load, save as _npx_save
from ..numpy.multiarray import as_np, ndarray as np_ndarray
from ..util import is_np_array
from .parameter import _DEFAULT_INIT, Parameter, ParameterDict, ParameterMismatchError
from .utils import HookHandle, _brief_print_list, _check_all_np_ndarrays, _indent

__all__ = ["Block", "HybridBlock", "SymbolBlock"]


class _BlockScope:
    """The naming scope a Block opens with ``name_scope()``: children created
    inside get prefixes (and parameter dicts) derived from the Block's."""
    _local = threading.local()

    def __init__(self, block):
        self._block = block
        self._counter = {}
        self._old_scope = None
        self._name_scope = None

    @staticmethod
    def current():
        return getattr(_BlockScope._local, "value", None)

    @staticmethod
    def create(prefix, params, hint):
        """(prefix, ParameterDict) for a new Block with alias ``hint``."""
        current = _BlockScope.current()
        if current is None:
            if prefix is None:
                prefix = naming.current().get(None, hint) + "_"
            params = ParameterDict(prefix) if params is None \
                else ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            count = current._counter.get(hint, 0)
            prefix = f"{hint}{count}_"
            current._counter[hint] = count + 1
        if params is None:
            parent = current._block.params
            params = ParameterDict(parent.prefix + prefix, parent._shared)
        else:
            params = ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self):
        if self._block._empty_prefix:
            return self
        self._old_scope = _BlockScope.current()
        _BlockScope._local.value = self
        # Symbols traced inside (hybrid_forward with F=mx.sym) get the prefix too.
        self._name_scope = naming.Prefix(self._block.prefix)
        self._name_scope.__enter__()
        return self

    def __exit__(self, *exc):
        if self._block._empty_prefix:
            return
        self._name_scope.__exit__(*exc)
        self._name_scope = None
        _BlockScope._local.value = self._old_scope


def _flatten(args, what):
    """Nested lists/tuples of arrays (or Symbols) -> (flat list, format) so
    the nesting can be rebuilt with ``_regroup``. A format is 0 for one array,
    -1 for None, n > 0 for a Symbol with n outputs, or a list of formats."""
    from ..symbol import Symbol
    if isinstance(args, ndarray.NDArray):
        return [args], 0
    if isinstance(args, Symbol):
        n = len(args.list_outputs())
        return [args], n if n > 1 else 0
    if args is None:
        return [None], -1
    if not isinstance(args, (list, tuple)):
        raise ValueError(f"When hybridized, the {what} of HybridBlock must be (nested) list of "
                         f"Symbol or NDArray, but got {args} of type {type(args)}")
    flat, fmts = [], []
    for item in args:
        f, fmt = _flatten(item, what)
        flat.extend(f)
        fmts.append(fmt)
    return flat, fmts


def _regroup(args, fmt):
    """Inverse of ``_flatten``: rebuild the nesting described by ``fmt``."""
    def take(args, fmt):
        if isinstance(fmt, int):
            if fmt == 0:
                return args[0], args[1:]
            if fmt == -1:
                if args[0] is not None:
                    raise ValueError("We do not support passing types that are not None when "
                                     "the initial HybridBlock has received NoneType and has "
                                     "been hybridized.")
                return None, args[1:]
            return args[:fmt], args[fmt:]
        out = []
        for f in fmt:
            item, args = take(args, f)
            out.append(item)
        return out, args
    return take(args, fmt)[0]


class Block:
    """Base class of layers and models: holds parameters and child blocks.

    Subclasses create children and parameters in ``__init__`` (inside
    ``with self.name_scope():`` so their names carry this Block's prefix) by
    assigning them as attributes, and implement ``forward``.
    """

    def __init__(self, prefix=None, params=None):
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, self._alias())
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children = OrderedDict()
        self._reg_params = {}
        self._forward_hooks = OrderedDict()
        self._forward_pre_hooks = OrderedDict()

    def __repr__(self):
        lines = [f"  ({key}): {_indent(repr(block), 2)}"
                 for key, block in self.__dict__.items() if isinstance(block, Block)]
        return "{}(\n{}\n)".format(type(self).__name__, "\n".join(lines))

    def __setattr__(self, name, value):
        """Assigning a Block registers it as a child, a Parameter as this Block's own."""
        if hasattr(self, name):
            existing = getattr(self, name)
            if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
                raise TypeError(f"Changing attribute type for {name} from {type(existing)} to "
                                f"{type(value)}is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            if name in self._reg_params:
                raise MXNetError(f"Overriding Parameter attribute {name} is not allowed. If you "
                                 "want to share parameters between blocks, please set 'params' "
                                 "at Block construction instead.")
            self._reg_params[name] = value
        super().__setattr__(name, value)

    def _check_container_with_block(self):
        """Warn about Blocks hidden in plain lists/dicts (not registered)."""
        def holds_block(data):
            if isinstance(data, (list, tuple)):
                return any(isinstance(e, Block) or holds_block(e) for e in data)
            if isinstance(data, dict):
                return any(isinstance(v, Block) or holds_block(v) for v in data.values())
            return False
        for key, value in self.__dict__.items():
            if isinstance(value, (list, tuple, dict)) and not key.startswith("__") \
                    and key != "_children" and holds_block(value):
                warnings.warn(f'"{type(self).__name__}.{key}" is an unregistered container with '
                              "Blocks. Note that Blocks inside the list, tuple or dict will not "
                              "be registered automatically. Make sure to register them using "
                              "register_child() or switching to nn.Sequential/"
                              "nn.HybridSequential instead. ", stacklevel=3)

    def _alias(self):
        return type(self).__name__.lower()

    @property
    def prefix(self):
        """The prefix of this Block's and its children's names (ends with '_')."""
        return self._prefix

    @property
    def name(self):
        """The prefix without its trailing '_'."""
        return self._name

    def name_scope(self):
        """Context manager in which created children and symbols get this Block's prefix."""
        return self._scope

    @property
    def params(self):
        """This Block's own ParameterDict (children's parameters not included)."""
        return self._params

    def collect_params(self, select=None):
        """A ParameterDict of this Block's and every descendant's parameters;
        ``select`` keeps only names matching the regular expression."""
        self._check_container_with_block()
        out = ParameterDict(self._params.prefix)
        out.update(self.params if not select else self.params._select(select))
        for child in self._children.values():
            out.update(child.collect_params(select=select))
        return out

    def _collect_params_with_prefix(self, prefix=""):
        """{structural name: Parameter}: attribute paths such as '0.weight'."""
        if prefix:
            prefix += "."
        out = {prefix + key: value for key, value in self._reg_params.items()}
        for name, child in self._children.items():
            out.update(child._collect_params_with_prefix(prefix + name))
        return out

    # -- files -------------------------------------------------------------------------
    def save_parameters(self, filename, deduplicate=False):
        """Save parameters under their structural names ('0.weight', 'fc.bias')
        in MXNet's ``.params`` format. ``deduplicate`` saves shared ones once."""
        params = self._collect_params_with_prefix()
        if deduplicate:
            first = {}
            for key, param in params.items():
                first.setdefault(param, key)
            params = {key: param for param, key in first.items()}
        arrays = {key: p._reduce() for key, p in params.items()}
        if is_np_array():  # MXNet writes NumPy-shape records then (npx.save)
            _npx_save(filename, {key: as_np(a) for key, a in arrays.items()})
        else:
            ndarray.save(filename, arrays)

    def save_params(self, filename):
        """Deprecated: save under full parameter names minus this Block's prefix."""
        warnings.warn("save_params is deprecated. Please use save_parameters. Note that if you "
                      "want load from SymbolBlock later, please use export instead.")
        self.collect_params().save(filename, strip_prefix=self.prefix)

    def load_parameters(self, filename, ctx=None, allow_missing=False, ignore_extra=False,
                        cast_dtype=False, dtype_source="current"):
        """Load a file written by ``save_parameters`` (or, without any '.' in
        its names, by ``save_params``/``ParameterDict.save``). Under
        ``npx.set_np()`` the arrays are read as ``mx.np`` arrays (``npx.load``
        reads files of either shape format)."""
        loaded = _npx_load(filename) if is_np_array() else ndarray.load(filename)
        params = self._collect_params_with_prefix()
        if not loaded and not params:
            return
        if isinstance(loaded, list) or not any("." in key for key in loaded):
            self.collect_params().load(filename, ctx, allow_missing, ignore_extra, self.prefix,
                                       cast_dtype=cast_dtype, dtype_source=dtype_source)
            return
        if not allow_missing:
            # A shared parameter is saved once, under any of its names.
            names_of = defaultdict(list)
            for key, param in params.items():
                names_of[param].append(key)
            for key, param in params.items():
                if not any(n in loaded for n in names_of[param]):
                    raise ParameterMismatchError(
                        f"Parameter '{key}' is missing in file '{filename}', which contains "
                        f"parameters: {_brief_print_list(loaded.keys())}. Set "
                        "allow_missing=True to ignore missing parameters.")
        for key, value in loaded.items():
            if key not in params:
                if not ignore_extra:
                    raise ParameterMismatchError(
                        f"Parameter '{key}' loaded from file '{filename}' is not present in "
                        "ParameterDict, which contains parameters "
                        f"{_brief_print_list(params.keys())}. Set ignore_extra=True to ignore. ")
                continue
            params[key]._load_init(value, ctx, cast_dtype=cast_dtype, dtype_source=dtype_source)

    def load_params(self, filename, ctx=None, allow_missing=False, ignore_extra=False):
        """Deprecated name of ``load_parameters``."""
        warnings.warn("load_params is deprecated. Please use load_parameters.")
        self.load_parameters(filename, ctx, allow_missing, ignore_extra)

    def save(self, prefix):
        """Save the model: its structure in ``<prefix>-model.json`` and its
        parameters (as ``save_parameters``) in ``<prefix>-model.params``.

        The structure is a nested dictionary, one entry per Block keyed by its
        class name and its position in a depth-first walk (``dense1``), holding
        the Block's name, its children's attribute names and, for a
        HybridBlock that has run hybridized, its traced graph. ``load`` needs
        a model built the same way, in the same order."""
        model = {}
        self._save_structure(model, 0)
        with open(f"{prefix}-model.json", "w") as f:
            json.dump(model, f)
        self.save_parameters(f"{prefix}-model.params")

    def load(self, prefix):
        """Load a model written by ``save`` into this identically built model:
        Blocks and parameters take back their saved names, hybridized Blocks
        their traced graphs, then the parameters are loaded."""
        with open(f"{prefix}-model.json") as f:
            model = json.load(f)
        self._load_structure(model, 0)
        self.load_parameters(f"{prefix}-model.params")

    def _structure_key(self, index):
        return f"{type(self).__name__.lower()}{index}"

    def _save_structure(self, parent, index):
        """Add this Block's entry (and its descendants') to ``parent``; returns
        the next free position of the walk."""
        entry = {"orig_name": self.name}
        self._save_graph(entry)
        entry["children"] = {child.name: key for key, child in self._children.items()}
        parent[self._structure_key(index)] = entry
        index += 1
        for child in self._children.values():
            index = child._save_structure(entry, index)
        return index

    def _save_graph(self, entry):
        """Only HybridBlocks have a graph to save."""

    def _load_structure(self, parent, index):
        key = self._structure_key(index)
        if key not in parent:
            raise KeyError(f"load: the saved model has no Block '{key}' where this model has "
                           f"{type(self).__name__} '{self.name}' (saved Blocks here: "
                           f"{[k for k, v in parent.items() if isinstance(v, dict)]}); the "
                           "model must be built as the saved one was")
        entry = parent[key]
        self._rename(entry["orig_name"])
        self._load_graph(entry)
        index += 1
        for child in self._children.values():
            index = child._load_structure(entry, index)
        return index

    def _load_graph(self, entry):
        """Only HybridBlocks have a graph to restore."""

    def _rename(self, name):
        """Take the name ``name``; own parameters' names follow (old name replaced)."""
        old = self.name
        self._name = name
        if old == name:
            return
        renamed = OrderedDict()
        for param in self._params.values():
            if param.name.startswith(old):
                param.name = name + param.name[len(old):]
                param._var = None  # its cached Symbol carries the old name
            renamed[param.name] = param
        self._params._params = renamed

    # -- structure -----------------------------------------------------------------------
    def register_child(self, block, name=None):
        """Register ``block`` as a child (its parameters join ``collect_params``)."""
        if name is None:
            name = str(len(self._children))
        self._children[name] = block

    def register_forward_pre_hook(self, hook):
        """Call ``hook(block, inputs)`` before each forward; returns a HookHandle."""
        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook):
        """Call ``hook(block, inputs, outputs)`` after each forward; returns a HookHandle."""
        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn):
        """Call ``fn(block)`` on every descendant, then on this Block; returns self."""
        for child in self._children.values():
            child.apply(fn)
        fn(self)
        return self

    def initialize(self, init=_DEFAULT_INIT, ctx=None, verbose=False, force_reinit=False):
        """Initialise the parameters of this Block and its children
        (``init`` applies to parameters without their own initializer)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def hybridize(self, active=True, **kwargs):
        """Hybridize every HybridBlock child (a plain Block itself runs imperatively)."""
        for child in self._children.values():
            child.hybridize(active, **kwargs)

    def cast(self, dtype):
        """Cast every parameter of this Block and its children to ``dtype``."""
        for child in self._children.values():
            child.cast(dtype)
        for param in self.params.values():
            param.cast(dtype)

    def register_op_hook(self, callback, monitor_all=False):
        """Install an operator-output callback on hybridized children."""
        for child in self._children.values():
            child.register_op_hook(callback, monitor_all)

    # -- running -------------------------------------------------------------------------
    def __call__(self, *args):
        for hook in self._forward_pre_hooks.values():
            hook(self, args)
        out = self.forward(*args)
        for hook in self._forward_hooks.values():
            hook(self, args, out)
        if is_np_array() and type(out) is not np_ndarray:
            _check_all_np_ndarrays(out)
        return out

    def forward(self, *args):
        """The computation; override in subclasses."""
        raise NotImplementedError

    def summary(self, *inputs):
        """Print a table of every layer's output shape and parameter count
        for a forward pass on ``inputs`` (the Block must not be hybridized)."""
        from .hybrid import HybridBlock
        from .nn.basic_layers import HybridSequential, Sequential
        rows = OrderedDict()
        seen = set()
        hooks = []

        def record(block, _, outputs):
            key = f"{type(block).__name__}-{len(rows)}"
            row = rows[key] = {"output_shape": _shape_str(outputs), "n_params": 0,
                               "trainable": 0, "shared": 0}
            for p in block.params.values():
                size = p.data().size
                row["n_params"] += size
                row["trainable"] += 0 if p.grad_req == "null" else size
                if p in seen:
                    row["shared"] += size
                else:
                    seen.add(p)

        def add_hook(block):
            if isinstance(block, HybridBlock) and block._active:
                raise MXNetError(f'"{block.name}" must not be hybridized to print summary.')
            if not isinstance(block, (Sequential, HybridSequential)):
                hooks.append(block.register_forward_hook(record))

        rows["Input"] = {"output_shape": _shape_str(inputs), "n_params": 0, "trainable": 0,
                         "shared": 0}
        try:
            self.apply(add_hook)
            self(*inputs)
            _print_summary(rows)
        finally:
            for h in hooks:
                h.detach()


def _shape_str(values):
    """Shapes of (nested) outputs, as MXNet's summary prints them."""
    def shapes(v):
        if isinstance(v, (list, tuple)):
            return [shapes(e) for e in v]
        return v.shape if isinstance(v, ndarray.NDArray) else v
    result = shapes(values)
    return str(result)[1:-1] if isinstance(result, list) else str(result)


def _print_summary(rows):
    line = "{:>20}  {:>42} {:>15}"
    print("-" * 80)
    print(line.format("Layer (type)", "Output Shape", "Param #"))
    print("=" * 80)
    total = trainable = shared = 0
    for name, row in rows.items():
        print(line.format(name, row["output_shape"], row["n_params"]))
        total += row["n_params"]
        trainable += row["trainable"]
        shared += row["shared"]
    print("=" * 80)
    print("Parameters in forward computation graph, duplicate included")
    print(f"   Total params: {total}")
    print(f"   Trainable params: {trainable}")
    print(f"   Non-trainable params: {total - trainable}")
    print(f"Shared params in forward computation graph: {shared}")
    print(f"Unique parameters in model: {total - shared}")
    print("-" * 80)


from .hybrid import HybridBlock, SymbolBlock  # noqa: E402  (they subclass Block)
