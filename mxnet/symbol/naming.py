"""Automatic names and attribute scopes for symbols: ``NameManager``, ``Prefix``, ``AttrScope``.

MXNet names an unnamed operator node ``<op name lowercased><count>``
(``fullyconnected0``, ``_plus1``), counting per name within the current
``NameManager``; ``Prefix('net_')`` prepends a prefix. ``AttrScope(k=v)``
attaches attributes to every symbol created inside it.
"""
import threading

from ..base import MXNetError

# Attribute keys MXNet stores hidden as __key__ (list_attr shows both forms).
HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage")

# Initializers (as Initializer.dumps() text) that MXNet attaches to the
# variables it creates for some ops' inputs: {op name: {input name: init}}.
_BN_STATS = {"moving_mean": '["zero", {}]', "moving_var": '["one", {}]'}
INPUT_INIT = {"BatchNorm": _BN_STATS, "BatchNorm_v1": _BN_STATS,
              "_contrib_SyncBatchNorm": _BN_STATS, "_contrib_BatchNormWithReLU": _BN_STATS,
              "LeakyReLU": {"gamma": '["Constant", {"value": 0.25}]'}}
# ... and by input position, for the inputs of a variadic op: UpSampling's
# second input, in either mode.
_POSITION_INIT = {"UpSampling": {1: '["bilinear", {}]'}}

# Attributes MXNet's parameter parser adds to every node of an op (created
# input variables copy them with the node's other attributes).
_NODE_ATTRS = {"_contrib_quantized_rnn": {"quantized": "true"}}

_local = threading.local()


class NameManager:
    """Gives unique names to symbols created without one."""

    def __init__(self):
        self._counter = {}
        self._old = None

    def get(self, name, hint):
        """``name`` if given, else ``hint`` plus the next free number for it."""
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f"{hint}{count}"

    def __enter__(self):
        self._old = current()
        _local.name_manager = self
        return self

    def __exit__(self, *exc):
        _local.name_manager = self._old

    @classmethod
    def current(cls):
        return current()


class Prefix(NameManager):
    """A name manager that puts ``prefix`` in front of every name."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


def current():
    """The innermost active ``NameManager`` (a process-wide default otherwise)."""
    manager = getattr(_local, "name_manager", None)
    if manager is None:
        manager = _local.name_manager = NameManager()
    return manager


class AttrScope:
    """Attributes (string values) given to every symbol created in the scope."""

    def __init__(self, **kwargs):
        for value in kwargs.values():
            if not isinstance(value, str):
                raise MXNetError(f"AttrScope: attribute values must be strings, got {value!r}")
        self._attr = kwargs
        self._old = None

    def get(self, attr):
        """``attr`` (a dict or None) merged over this scope's attributes."""
        if not self._attr:
            return dict(attr) if attr else {}
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return merged

    def __enter__(self):
        self._old = current_attr_scope()
        merged = self._old.get(self._attr) if self._old else dict(self._attr)
        scope = AttrScope()
        scope._attr = merged
        _local.attr_scope = scope
        return self

    def __exit__(self, *exc):
        _local.attr_scope = self._old

    @property
    def current(self):
        return current_attr_scope()


def current_attr_scope():
    scope = getattr(_local, "attr_scope", None)
    if scope is None:
        scope = _local.attr_scope = AttrScope()
    return scope


def input_init(op_name, input_name, position=None):
    """The initializer op ``op_name`` fixes for its input ``input_name`` at
    ``position`` (None for most). MXNet sets it as ``__init__`` on the
    variable bound to that input, given or created, unless the variable
    already has one."""
    init = INPUT_INIT.get(op_name, {}).get(input_name)
    return init if init is not None else _POSITION_INIT.get(op_name, {}).get(position)


def input_variable_attrs(op_name, input_name, node_attrs, position=None):
    """Attributes of the variable MXNet creates for an input of an op node that
    was not given (``fc1_weight``, ``bn_moving_mean``): all of the node's own
    attributes, plus the initializer the op fixes for that input, if any."""
    attrs = dict(node_attrs)
    init = input_init(op_name, input_name, position)
    if init is not None:
        attrs["__init__"] = init
    return attrs


def fixed_inputs(op_name, attrs):
    """The input names MXNet gives a call of variadic op ``op_name`` whatever
    its count of inputs says, or None: bilinear UpSampling takes data and
    weight (created when not given) even with num_args=1."""
    if op_name == "UpSampling" and attrs.sample_type == "bilinear":
        return ("data", "weight")
    return None


def hide_keys(attrs):
    """Store MXNet's special attribute keys in their hidden ``__key__`` form."""
    out = {}
    for key, value in attrs.items():
        if key in HIDDEN_KEYS:
            key = f"__{key}__"
        out[key] = str(value)
    return out


def node_attrs(op_name):
    """The attributes MXNet adds to a new node of op ``op_name`` (most: none)."""
    return _NODE_ATTRS.get(op_name, {})
